//! The mean-field Hamiltonian (2.8) in second quantisation, applied matrix-free (SPEC §2):
//!
//! H = H_A ⊗ 1 + 1 ⊗ H_B + W_AB,
//! H_A = Σ_{x,y} (h₁)_{xy} a†_x a_y + (1/(2N₁)) Σ_{x,y} V₁(x−y)(n^A_x n^A_y − δ_{xy} n^A_x),
//! H_B likewise with h₂, V₂, N₂,
//! W_AB = (1/(N₁+N₂)) Σ_{x,y} V₁₂(x−y) n^A_x n^B_y.
//!
//! On Ψ seen as a D_A × D_B matrix, H_A acts on the rows, H_B on the columns and W_AB entrywise:
//! (HΨ)[a, ·] = Σ_{a′} H_A[a, a′] Ψ[a′, ·] + H_B Ψ[a, ·] + W[a, ·] ∘ Ψ[a, ·], with
//! W[a, b] = Σ_x n^A_x(a) g_x(b) and g(b) = V₁₂ * n^B(b)/(N₁+N₂). Only the per-species sparse
//! operators H_A (D_A × D_A) and H_B (D_B × D_B) are stored; rows of the output are computed in
//! parallel, each by one task, so no two tasks write to the same place. The streaming kernel of
//! H is in `kernel`; [`apply_two_species`] is the general (slower) one behind the number
//! operators of the observables.

mod kernel;
pub(crate) mod rows;
pub(crate) mod tiles;
mod two_body;

pub use kernel::ManyBodyHamiltonian;

use rayon::prelude::*;

use crate::model::one_body::PairPotential;
use crate::model::Species;
use crate::space::fock::{FockBasis, SpeciesOperator};
use crate::{Result, C64};

/// A diagonal two-species operator W[a, b] = r(a) + c(b) + Σ_x f_x(a) g_x(b), stored as its
/// factors.
#[derive(Clone, Debug)]
pub struct PairDiagonal {
    modes: usize,
    rows: Vec<f64>,
    columns: Vec<f64>,
    row_offset: Vec<f64>,
    column_offset: Vec<f64>,
}

impl PairDiagonal {
    /// W_AB of (2.8): f(a) = n^A(a), g(b) = V₁₂ * n^B(b) / (N₁ + N₂).
    pub fn inter_species(basis_a: &FockBasis, basis_b: &FockBasis, v12: &PairPotential) -> Self {
        let m = basis_a.modes();
        let total = (basis_a.particles() + basis_b.particles()) as f64;
        let rows = (0..basis_a.dim())
            .flat_map(|a| basis_a.occupation(a).iter().map(|&n| n as f64))
            .collect();
        let columns = (0..basis_b.dim())
            .flat_map(|b| {
                let nb: Vec<f64> = basis_b.occupation(b).iter().map(|&n| n as f64).collect();
                v12.convolve(&nb).into_iter().map(move |g| g / total)
            })
            .collect();
        PairDiagonal {
            modes: m,
            rows,
            columns,
            row_offset: vec![0.0; basis_a.dim()],
            column_offset: vec![0.0; basis_b.dim()],
        }
    }

    /// W[a, b].
    #[inline]
    pub fn value(&self, a: usize, b: usize) -> f64 {
        let f = &self.rows[a * self.modes..(a + 1) * self.modes];
        let g = &self.columns[b * self.modes..(b + 1) * self.modes];
        self.row_offset[a]
            + self.column_offset[b]
            + f.iter().zip(g).map(|(f, g)| f * g).sum::<f64>()
    }
}

/// The intra-species interaction energy of an occupation,
/// (1/(2N)) Σ_{x,y} V(x−y)(n_x n_y − δ_{xy} n_x).
pub fn interaction_energy(potential: &PairPotential, particles: usize, occupation: &[u32]) -> f64 {
    let mut sum = 0.0;
    for (x, &nx) in occupation.iter().enumerate() {
        if nx == 0 {
            continue;
        }
        let nx = nx as f64;
        let row = potential.row(x);
        let pair: f64 = occupation
            .iter()
            .zip(row)
            .map(|(&ny, v)| v * ny as f64)
            .sum();
        sum += nx * pair - row[x] * nx;
    }
    sum / (2.0 * particles as f64)
}

/// H_A (or H_B): Σ h_xy a†_x a_y plus the intra-species interaction, on one species' basis.
pub fn species_hamiltonian(basis: &FockBasis, species: &Species) -> Result<SpeciesOperator> {
    SpeciesOperator::from_one_body(basis, species.hamiltonian.matrix(), |occ| {
        interaction_energy(&species.potential, species.particles, occ)
    })
}

/// y = (O_A ⊗ 1 + 1 ⊗ O_B + W) x on a D_A × D_B state, each term optional, returning ⟨x, y⟩
/// (accumulated while each output row is still in cache). The one kernel behind H and the
/// number operators N_u^A ⊗ 1, 1 ⊗ N_v^B of the observables.
pub fn apply_two_species(
    rows_operator: Option<&SpeciesOperator>,
    columns_operator: Option<&SpeciesOperator>,
    diagonal: Option<&PairDiagonal>,
    rows: usize,
    columns: usize,
    x: &[C64],
    y: &mut [C64],
) -> C64 {
    assert_eq!(x.len(), rows * columns);
    assert_eq!(y.len(), rows * columns);
    let min_rows = (1 << 13) / columns.max(1) + 1;
    crate::linalg::ordered_sum(
        y.par_chunks_mut(columns)
            .with_min_len(min_rows)
            .enumerate()
            .map(|(a, out)| {
                let input = &x[a * columns..(a + 1) * columns];
                match (columns_operator, diagonal) {
                    (Some(op), _) => {
                        for (b, o) in out.iter_mut().enumerate() {
                            let (cols, vals) = op.row(b);
                            let mut acc = C64::new(0.0, 0.0);
                            for (&c, v) in cols.iter().zip(vals) {
                                acc += v * input[c as usize];
                            }
                            if let Some(w) = diagonal {
                                acc += w.value(a, b) * input[b];
                            }
                            *o = acc;
                        }
                    }
                    (None, Some(w)) => {
                        for (b, o) in out.iter_mut().enumerate() {
                            *o = w.value(a, b) * input[b];
                        }
                    }
                    (None, None) => out.iter_mut().for_each(|o| *o = C64::new(0.0, 0.0)),
                }
                if let Some(op) = rows_operator {
                    let (cols, vals) = op.row(a);
                    for (&c, v) in cols.iter().zip(vals) {
                        let source = &x[c as usize * columns..(c as usize + 1) * columns];
                        out.iter_mut().zip(source).for_each(|(o, s)| *o += v * s);
                    }
                }
                input
                    .iter()
                    .zip(out.iter())
                    .map(|(x, y)| x.conj() * y)
                    .sum::<C64>()
            }),
    )
}
