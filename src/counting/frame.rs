//! The condensate frame: Ψ written in one-body frames whose orbital 0 is u (species A) and v
//! (species B).
//!
//! With a one-body unitary W such that W u = e₀ (its first row is u†), the new modes are
//! b_k = Σ_x W_kx a_x, so b₀ = a(u), and the coefficients of Ψ in the occupation basis of the b's
//! are Γ(W)Ψ, where Γ(W) is the many-body representation, Γ(W)|x⟩^{⊗} = (W|x⟩)^{⊗}. For two
//! species the frame is Γ(W_A) ⊗ Γ(W_B): Ψ′ = Γ(W_A) Ψ Γ(W_B)ᵀ on the D_A × D_B matrix.
//!
//! **Givens rotations.** W = g_1 ⋯ g_{M−1}, where g acting on modes (x−1, x) is
//! R(θ) diag(e^{−iα}, e^{−iβ}) with R(θ) = [[cos θ, sin θ], [−sin θ, cos θ]], chosen to move
//! the weight of component x onto x−1 and leave it real and positive; sweeping x = M−1, …, 1
//! brings u to e₀ exactly (up to round-off). Only W's first row matters for p, q and P_k.
//!
//! **One rotation on the Fock space.** Γ(g) keeps n_i + n_j = s and the other occupations, so
//! it acts block by block on the sectors {|n_i = k, n_j = s − k⟩ : k = 0..s}. There
//! Γ(diag(e^{−iα}, e^{−iβ})) = e^{−i(αk + β(s−k))} and Γ(R(θ)) = e^{θ G_s} with
//! G_s = dΓ([[0,1],[−1,0]]) = a_i†a_j − a_j†a_i = B − Bᵀ, B_{k+1,k} = √((k+1)(s−k)).
//! With D = diag(i^k), D G_s D⁻¹ = i S, S = B + Bᵀ real symmetric with the exact eigenvalues
//! σ_l = −s + 2l (S = 2J_x in Schwinger's representation), so
//!
//!   e^{θ G_s} = D⁻¹ V diag(e^{iθσ}) Vᵀ D,     S = V diag(σ) Vᵀ,
//!
//! the Wigner-d block of spin s/2, computed stably for any s from the eigenvectors V of S (faer),
//! which depend on s only and are cached. The cost per rotation is Σ over sectors of
//! 2(s+1)² × (row length), at most O(D · N) per species and rotation, O(D (N₁+N₂) M) in all;
//! the extra memory is one sector's rows.

use std::collections::BTreeMap;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use crate::fock::FockBasis;
use crate::linalg::{symmetric_eigen, transpose};
use crate::{Error, Result, C64};

/// One Givens factor g = R(θ) diag(e^{−iα}, e^{−iβ}) on modes (x−1, x).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Givens {
    /// The pair is (mode − 1, mode).
    mode: usize,
    angle: f64,
    phase_low: f64,
    phase_high: f64,
}

/// The Givens factors of a unitary W with W u = e₀, in the order they act.
fn givens_sequence(orbital: &[C64]) -> Vec<Givens> {
    let mut w = orbital.to_vec();
    let mut sequence = Vec::new();
    for x in (1..w.len()).rev() {
        let (low, high) = (w[x - 1], w[x]);
        let r = low.norm().hypot(high.norm());
        let angle = high.norm().atan2(low.norm());
        sequence.push(Givens {
            mode: x,
            angle,
            phase_low: low.arg(),
            phase_high: high.arg(),
        });
        w[x - 1] = C64::new(r, 0.0);
        w[x] = C64::new(0.0, 0.0);
    }
    sequence
}

/// The states of one sector: ranks of |…, n_{x−1} = k, n_x = s − k, …⟩ for k = 0..s.
#[derive(Clone, Debug)]
struct Sector {
    ranks: Vec<u32>,
}

/// Eigen-decomposition S = V diag(σ) Vᵀ of the sector generator of size s + 1.
#[derive(Clone, Debug)]
struct SectorEigen {
    vectors: Mat<f64>,
    values: Vec<f64>,
}

impl SectorEigen {
    fn new(s: usize) -> Result<Self> {
        let n = s + 1;
        let b = |k: usize| (((k + 1) * (s - k)) as f64).sqrt();
        let matrix = Mat::from_fn(n, n, |i, j| {
            if i == j + 1 {
                b(j)
            } else if j == i + 1 {
                b(i)
            } else {
                0.0
            }
        });
        let (computed, vectors) = symmetric_eigen(&matrix)?;
        // The spectrum is exactly {−s, −s+2, …, s}; use the exact values.
        let values: Vec<f64> = (0..n).map(|l| 2.0 * l as f64 - s as f64).collect();
        let worst = computed
            .iter()
            .zip(&values)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if worst > 1e-8 * (s as f64).max(1.0) {
            return Err(Error::Numerical(format!(
                "sector eigenvalues of size {n} off by {worst:e}"
            )));
        }
        Ok(SectorEigen { vectors, values })
    }
}

/// Everything about one species' Fock space that the frame change needs and that does not
/// depend on the orbital: the sectors of each mode pair and the cached sector eigenvectors.
#[derive(Clone, Debug)]
pub struct SpeciesFrame {
    dim: usize,
    modes: usize,
    particles: usize,
    /// sectors[x] for the pair (x−1, x), x = 1..M−1 (index 0 unused).
    sectors: Vec<Vec<Sector>>,
    eigen: BTreeMap<usize, SectorEigen>,
}

impl SpeciesFrame {
    /// Precomputes the sectors of every neighbouring mode pair and their eigenvectors.
    pub fn new(basis: &FockBasis) -> Result<Self> {
        let m = basis.modes();
        let mut sectors = vec![Vec::new(); m];
        let mut sizes = std::collections::BTreeSet::new();
        for (x, list) in sectors.iter_mut().enumerate().skip(1) {
            let mut occupation = vec![0u32; m];
            for rank in 0..basis.dim() {
                let occ = basis.occupation(rank);
                if occ[x - 1] != 0 {
                    continue;
                }
                let s = occ[x] as usize;
                occupation.copy_from_slice(occ);
                let ranks = (0..=s)
                    .map(|k| {
                        occupation[x - 1] = k as u32;
                        occupation[x] = (s - k) as u32;
                        basis.rank(&occupation) as u32
                    })
                    .collect();
                sizes.insert(s);
                list.push(Sector { ranks });
            }
        }
        let eigen = sizes
            .into_iter()
            .filter(|&s| s > 0)
            .map(|s| SectorEigen::new(s).map(|e| (s, e)))
            .collect::<Result<_>>()?;
        Ok(SpeciesFrame {
            dim: basis.dim(),
            modes: m,
            particles: basis.particles(),
            sectors,
            eigen,
        })
    }

    /// Dimension of the species' Fock space.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Applies Γ(W) (or Γ(W)⁻¹ = Γ(W†) when `inverse`) to every row of the row-major
    /// `rows × length` matrix `data`, the rows being this species' Fock states.
    fn transform_rows(
        &self,
        orbital: &[C64],
        data: &mut [C64],
        length: usize,
        inverse: bool,
    ) -> Result<()> {
        if orbital.len() != self.modes {
            return Err(Error::invalid(
                "orbital",
                format!("{} coefficients for {} modes", orbital.len(), self.modes),
            ));
        }
        assert_eq!(data.len(), self.dim * length);
        if self.modes == 1 {
            // W = e^{−iα} on one mode: Γ(W) = e^{−iαN} on the single state.
            let angle = orbital[0].arg() * self.particles as f64;
            let phase = C64::from_polar(1.0, if inverse { angle } else { -angle });
            data.iter_mut().for_each(|z| *z *= phase);
            return Ok(());
        }
        let mut sequence = givens_sequence(orbital);
        if inverse {
            sequence.reverse();
        }
        for g in sequence {
            self.apply_rotation(g, data, length, inverse);
        }
        Ok(())
    }

    /// One Givens factor (or its inverse) on all sectors of its mode pair, sectors in parallel.
    fn apply_rotation(&self, g: Givens, data: &mut [C64], length: usize, inverse: bool) {
        let sectors = &self.sectors[g.mode];
        let shared = SharedRows(data.as_mut_ptr(), data.len());
        let few = sectors.len() < 4 * rayon::current_num_threads();
        let par = if few { Par::rayon(0) } else { Par::Seq };
        let sign = if inverse { -1.0 } else { 1.0 };
        sectors
            .par_iter()
            .with_min_len(if few { 1 } else { 16 })
            .for_each(|sector| {
                let s = sector.ranks.len() - 1;
                // Diagonal factors before and after the real rotation:
                // forward  Γ(g)   = D⁻¹ V e^{iθσ} Vᵀ D · e^{−i(αk + β(s−k))},
                // inverse  Γ(g)⁻¹ = e^{+i(αk + β(s−k))} · D⁻¹ V e^{−iθσ} Vᵀ D.
                let diagonal_phase = |k: usize| {
                    C64::from_polar(
                        1.0,
                        -sign * (g.phase_low * k as f64 + g.phase_high * (s - k) as f64),
                    )
                };
                let i_power = |k: usize| {
                    [
                        C64::new(1.0, 0.0),
                        C64::new(0.0, 1.0),
                        C64::new(-1.0, 0.0),
                        C64::new(0.0, -1.0),
                    ][k % 4]
                };
                let (pre, post): (Vec<C64>, Vec<C64>) = (0..=s)
                    .map(|k| {
                        if inverse {
                            (i_power(k), i_power(k).conj() * diagonal_phase(k))
                        } else {
                            (i_power(k) * diagonal_phase(k), i_power(k).conj())
                        }
                    })
                    .unzip();
                // SAFETY: every rank belongs to exactly one sector of this mode pair, so the rows
                // touched here are touched by no other task.
                let rows: Vec<&mut [C64]> = sector
                    .ranks
                    .iter()
                    .map(|&r| unsafe { shared.row(r as usize, length) })
                    .collect();
                if s == 0 {
                    let f = pre[0] * post[0];
                    rows.into_iter()
                        .for_each(|row| row.iter_mut().for_each(|z| *z *= f));
                    return;
                }
                let eigen = &self.eigen[&s];
            // The real and imaginary parts go through the real Vᵀ and V separately: two real
            // products instead of one complex one with a real factor (half the flops).
            let n = s + 1;
            let mut re = Mat::<f64>::zeros(n, length);
            let mut im = Mat::<f64>::zeros(n, length);
            for (k, row) in rows.iter().enumerate() {
                for (c, z) in row.iter().enumerate() {
                    let w = pre[k] * z;
                    re[(k, c)] = w.re;
                    im[(k, c)] = w.im;
                }
            }
            let mut re_rotated = Mat::<f64>::zeros(n, length);
            let mut im_rotated = Mat::<f64>::zeros(n, length);
            matmul(&mut re_rotated, Accum::Replace, eigen.vectors.transpose(), &re, 1.0, par);
            matmul(&mut im_rotated, Accum::Replace, eigen.vectors.transpose(), &im, 1.0, par);
            for k in 0..n {
                let phase = C64::from_polar(1.0, sign * g.angle * eigen.values[k]);
                for c in 0..length {
                    let w = phase * C64::new(re_rotated[(k, c)], im_rotated[(k, c)]);
                    re_rotated[(k, c)] = w.re;
                    im_rotated[(k, c)] = w.im;
                }
            }
            matmul(&mut re, Accum::Replace, &eigen.vectors, &re_rotated, 1.0, par);
            matmul(&mut im, Accum::Replace, &eigen.vectors, &im_rotated, 1.0, par);
            for (k, row) in rows.into_iter().enumerate() {
                for (c, z) in row.iter_mut().enumerate() {
                    *z = post[k] * C64::new(re[(k, c)], im[(k, c)]);
                }
            }
        });
    }
}

/// Raw access to disjoint rows of one matrix from several rayon tasks.
struct SharedRows(*mut C64, usize);
unsafe impl Sync for SharedRows {}
unsafe impl Send for SharedRows {}

impl SharedRows {
    /// # Safety
    /// No two live references may cover the same row.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize, length: usize) -> &mut [C64] {
        assert!((row + 1) * length <= self.1);
        std::slice::from_raw_parts_mut(self.0.add(row * length), length)
    }
}

/// The condensate frame of a two-species state space.
#[derive(Clone, Debug)]
pub struct CondensateFrame {
    species_a: SpeciesFrame,
    species_b: SpeciesFrame,
}

impl CondensateFrame {
    /// Precomputes both species' sectors (independent of the orbitals, reusable at every time).
    pub fn new(basis_a: &FockBasis, basis_b: &FockBasis) -> Result<Self> {
        Ok(CondensateFrame {
            species_a: SpeciesFrame::new(basis_a)?,
            species_b: SpeciesFrame::new(basis_b)?,
        })
    }

    /// Ψ′ = Γ(W_A) Ψ Γ(W_B)ᵀ with W_A u = e₀, W_B v = e₀: the state in the condensate frame.
    pub fn to_frame(&self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Vec<C64>> {
        self.transform(state, u, v, false)
    }

    /// The inverse change: from the condensate frame of (u, v) back to the site basis.
    pub fn from_frame(&self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Vec<C64>> {
        self.transform(state, u, v, true)
    }

    fn transform(&self, state: &[C64], u: &[C64], v: &[C64], inverse: bool) -> Result<Vec<C64>> {
        let (rows, columns) = (self.species_a.dim(), self.species_b.dim());
        if state.len() != rows * columns {
            return Err(Error::invalid(
                "state",
                format!(
                    "{} coefficients for a {rows} x {columns} state",
                    state.len()
                ),
            ));
        }
        let mut data = state.to_vec();
        self.species_a
            .transform_rows(u, &mut data, columns, inverse)?;
        let mut transposed = transpose(&data, rows, columns);
        self.species_b
            .transform_rows(v, &mut transposed, rows, inverse)?;
        Ok(transpose(&transposed, columns, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn givens_sequence_maps_the_orbital_to_the_first_unit_vector() {
        let u = [
            C64::new(0.3, 0.1),
            C64::new(-0.2, 0.5),
            C64::new(0.0, -0.4),
            C64::new(0.6, 0.2),
        ];
        let n = u.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        let mut w: Vec<C64> = u.iter().map(|z| z / n).collect();
        for g in givens_sequence(&w.clone()) {
            let (i, j) = (g.mode - 1, g.mode);
            let (a, b) = (
                w[i] * C64::from_polar(1.0, -g.phase_low),
                w[j] * C64::from_polar(1.0, -g.phase_high),
            );
            let (c, s) = (g.angle.cos(), g.angle.sin());
            w[i] = c * a + s * b;
            w[j] = -s * a + c * b;
        }
        assert!((w[0] - C64::new(1.0, 0.0)).norm() < 1e-15);
        assert!(w[1..].iter().all(|z| z.norm() < 1e-15));
    }
}
