//! Indicators of condensation and conserved quantities of a two-species state (SPEC §4).
//!
//! With N_u = a†(u)a(u) = Σ_{x,y} u_x conj(u_y) a†_x a_y:
//!
//! * α^(1,1) = 1 − ⟨N_u^A N_v^B⟩/(N₁N₂)   (2.18)
//! * α^(1,0) = 1 − ⟨N_u^A⟩/N₁,  α^(0,1) = 1 − ⟨N_v^B⟩/N₂   (3.3)
//!
//! computed from X = (N_u^A ⊗ 1)Ψ and Y = (1 ⊗ N_v^B)Ψ: since the two commute and are
//! Hermitian, ⟨Ψ, N_u^A N_v^B Ψ⟩ = ⟨X, Y⟩, ⟨N_u^A⟩ = ⟨Ψ, X⟩ and ⟨N_v^B⟩ = ⟨Ψ, Y⟩.

use crate::fock::{FockBasis, SpeciesOperator};
use crate::hamiltonian::apply_two_species;
use crate::linalg::{dot, norm, LinearOperator};
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

/// Computes indicators, reusing two state-sized work vectors between calls.
#[derive(Debug)]
pub struct IndicatorWorkspace<'a> {
    basis_a: &'a FockBasis,
    basis_b: &'a FockBasis,
    counted_a: Vec<C64>,
    counted_b: Vec<C64>,
}

impl<'a> IndicatorWorkspace<'a> {
    /// A workspace for states on `basis_a` ⊗ `basis_b`.
    pub fn new(basis_a: &'a FockBasis, basis_b: &'a FockBasis) -> Self {
        IndicatorWorkspace {
            basis_a,
            basis_b,
            counted_a: Vec::new(),
            counted_b: Vec::new(),
        }
    }

    /// α^(1,1), α^(1,0), α^(0,1) of `state` (normalised or not: expectations are divided by
    /// ‖Ψ‖²) relative to the normalised orbitals u, v.
    pub fn indicators(&mut self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Indicators> {
        let (rows, columns) = (self.basis_a.dim(), self.basis_b.dim());
        let number_u = SpeciesOperator::orbital_number(self.basis_a, u)?;
        let number_v = SpeciesOperator::orbital_number(self.basis_b, v)?;
        self.counted_a.resize(state.len(), C64::new(0.0, 0.0));
        self.counted_b.resize(state.len(), C64::new(0.0, 0.0));
        let mean_u = apply_two_species(
            Some(&number_u),
            None,
            None,
            rows,
            columns,
            state,
            &mut self.counted_a,
        );
        let mean_v = apply_two_species(
            None,
            Some(&number_v),
            None,
            rows,
            columns,
            state,
            &mut self.counted_b,
        );
        let norm_sqr = dot(state, state).re;
        let (n1, n2) = (
            self.basis_a.particles() as f64,
            self.basis_b.particles() as f64,
        );
        Ok(Indicators {
            alpha11: 1.0 - dot(&self.counted_a, &self.counted_b).re / (n1 * n2 * norm_sqr),
            alpha10: 1.0 - mean_u.re / (n1 * norm_sqr),
            alpha01: 1.0 - mean_v.re / (n2 * norm_sqr),
        })
    }
}

/// ⟨Ψ, HΨ⟩/‖Ψ‖², using `scratch` for HΨ.
pub fn energy_expectation<O: LinearOperator>(
    hamiltonian: &O,
    state: &[C64],
    scratch: &mut Vec<C64>,
) -> f64 {
    scratch.resize(state.len(), C64::new(0.0, 0.0));
    hamiltonian.apply_and_dot(state, scratch).re / dot(state, state).re
}

/// ‖Ψ‖.
pub fn state_norm(state: &[C64]) -> f64 {
    norm(state)
}
