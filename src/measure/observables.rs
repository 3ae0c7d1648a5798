//! Indicators of condensation and conserved quantities of a two-species state (SPEC §4).
//!
//! With N_u = a†(u)a(u) = Σ_{x,y} u_x conj(u_y) a†_x a_y:
//!
//! * α^(1,1) = 1 − ⟨N_u^A N_v^B⟩/(N₁N₂)   (2.18)
//! * α^(1,0) = 1 − ⟨N_u^A⟩/N₁,  α^(0,1) = 1 − ⟨N_v^B⟩/N₂   (3.3)
//!
//! computed from X = (N_u^A ⊗ 1)Ψ and Y = (1 ⊗ N_v^B)Ψ: since the two commute and are
//! Hermitian, ⟨Ψ, N_u^A N_v^B Ψ⟩ = ⟨X, Y⟩, ⟨N_u^A⟩ = ⟨Ψ, X⟩ and ⟨N_v^B⟩ = ⟨Ψ, Y⟩. X and Y are
//! formed one row at a time and never stored whole, so measuring needs no state-sized vector.

use rayon::prelude::*;

use crate::evolution::hamiltonian::rows::per_vector_unit;
use crate::linalg::{norm, LinearOperator};
use crate::space::fock::{FockBasis, SpeciesOperator};
use crate::{Result, C64};

/// The indicators α^(1,1), α^(1,0), α^(0,1) of one state relative to orbitals (u, v).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Indicators {
    /// α^(1,1) (2.18).
    pub alpha11: f64,
    /// α^(1,0) (3.3).
    pub alpha10: f64,
    /// α^(0,1) (3.3).
    pub alpha01: f64,
}

/// Computes indicators of states on one pair of bases.
#[derive(Debug)]
pub struct IndicatorWorkspace<'a> {
    basis_a: &'a FockBasis,
    basis_b: &'a FockBasis,
}

impl<'a> IndicatorWorkspace<'a> {
    /// A workspace for states on `basis_a` ⊗ `basis_b`.
    pub fn new(basis_a: &'a FockBasis, basis_b: &'a FockBasis) -> Self {
        IndicatorWorkspace { basis_a, basis_b }
    }

    /// α^(1,1), α^(1,0), α^(0,1) of `state` (normalised or not: expectations are divided by
    /// ‖Ψ‖²) relative to the normalised orbitals u, v.
    pub fn indicators(&mut self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Indicators> {
        let (rows, columns) = (self.basis_a.dim(), self.basis_b.dim());
        crate::space::state::check_state_len(state, rows, columns)?;
        let number_u = SpeciesOperator::orbital_number(self.basis_a, u)?;
        let number_v = SpeciesOperator::orbital_number(self.basis_b, v)?;
        let min_rows = (1 << 13) / columns.max(1) + 1;
        // Per row a: [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] (real parts), added in
        // row order.
        let per_row: Vec<[f64; 4]> = (0..rows)
            .into_par_iter()
            .with_min_len(min_rows)
            .map_init(
                || {
                    (
                        vec![C64::new(0.0, 0.0); columns],
                        vec![C64::new(0.0, 0.0); columns],
                    )
                },
                |(x_row, y_row), a| row_sums(state, a, (&number_u, &number_v), x_row, y_row),
            )
            .collect();
        let mut sums = [0.0; 4];
        for row in per_row {
            sums.iter_mut().zip(row).for_each(|(s, r)| *s += r);
        }
        let [joint, mean_u, mean_v, norm_sqr] = sums;
        let (n1, n2) = (
            self.basis_a.particles() as f64,
            self.basis_b.particles() as f64,
        );
        Ok(Indicators {
            alpha11: 1.0 - joint / (n1 * n2 * norm_sqr),
            alpha10: 1.0 - mean_u / (n1 * norm_sqr),
            alpha01: 1.0 - mean_v / (n2 * norm_sqr),
        })
    }
}

/// Row a's share of the indicators, [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] (real
/// parts, each summed over the columns in order), with X_a = (N_u^A Ψ)_a built in `x_row` and
/// Y_a = ((1 ⊗ N_v^B) Ψ)_a in `y_row`.
#[inline(always)]
fn row_sums_body(
    state: &[C64],
    a: usize,
    (number_u, number_v): (&SpeciesOperator, &SpeciesOperator),
    x_row: &mut [C64],
    y_row: &mut [C64],
) -> [f64; 4] {
    let columns = x_row.len();
    let input = &state[a * columns..(a + 1) * columns];
    x_row.iter_mut().for_each(|z| *z = C64::new(0.0, 0.0));
    let (sources, values) = number_u.row(a);
    for (&source, &w) in sources.iter().zip(values) {
        let source = source as usize;
        let row = &state[source * columns..(source + 1) * columns];
        x_row.iter_mut().zip(row).for_each(|(z, s)| *z += w * s);
    }
    for (b, y) in y_row.iter_mut().enumerate() {
        let (sources, values) = number_v.row(b);
        *y = sources
            .iter()
            .zip(values)
            .map(|(&c, &w)| w * input[c as usize])
            .sum();
    }
    let mut sums = [0.0; 4];
    for ((p, x), y) in input.iter().zip(x_row.iter()).zip(y_row.iter()) {
        sums[0] += (x.conj() * y).re;
        sums[1] += (p.conj() * x).re;
        sums[2] += (p.conj() * y).re;
        sums[3] += p.norm_sqr();
    }
    sums
}

per_vector_unit! {
    /// [`row_sums_body`] compiled for the process's vector unit (the same operations, the same
    /// bits on every unit).
    fn row_sums(
        state: &[C64],
        a: usize,
        numbers: (&SpeciesOperator, &SpeciesOperator),
        x_row: &mut [C64],
        y_row: &mut [C64],
    ) -> [f64; 4] => row_sums_body
}

/// ⟨Ψ, HΨ⟩/‖Ψ‖², streamed row by row (no state-sized work vector).
pub fn energy_expectation<O: LinearOperator>(hamiltonian: &O, state: &[C64]) -> f64 {
    hamiltonian.expectation(state).re / norm(state).powi(2)
}
/// ‖Ψ‖.
pub fn state_norm(state: &[C64]) -> f64 {
    norm(state)
}
