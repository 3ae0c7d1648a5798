//! The three terms of dα^(1,1)/dt (5.20)–(5.22), in second quantisation (SPEC §5):
//!
//!   C_V1  = ⟨Ψ, [W₁ − dΓ_A(V₁*|u|²), 1 − O] Ψ⟩,
//!   C_V2  = ⟨Ψ, [W₂ − dΓ_B(V₂*|v|²), 1 − O] Ψ⟩,
//!   C_V12 = ⟨Ψ, [W_AB − c₂ dΓ_A(V₁₂*|v|²) − c₁ dΓ_B(V₁₂*|u|²), 1 − O] Ψ⟩,
//!
//! with O = N_u^A N_v^B/(N₁N₂), and (5.19) dα^(1,1)/dt = i(C_V1 + C_V2 + C_V12), exact at finite N
//! with c_j = N_j/(N₁+N₂): along i∂_tΨ = HΨ and i∂_t u = h^u u (2.10), ∂_t O = −i[dΓ(h^u) + dΓ(h^v), O],
//! so d⟨O⟩/dt = i⟨[H − dΓ_A(h^u) − dΓ_B(h^v), O]⟩ and the one-body parts h₁, h₂ cancel.
//!
//! Every X_j is diagonal in the site basis, so with Y = (1 − O)Ψ,
//! C_j = ⟨X_jΨ, Y⟩ − ⟨Y, X_jΨ⟩ = 2i Σ_{a,b} X_j[a,b] Im(conj Ψ[a,b] · Y[a,b]).

use rayon::prelude::*;

use crate::evolution::hamiltonian::{apply_two_species, interaction_energy, PairDiagonal};
use crate::model::Model;
use crate::space::fock::SpeciesOperator;
use crate::space::state::StateView;
use crate::{Result, C64};

/// C_V1, C_V2, C_V12 at one time; each is purely imaginary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DerivativeTerms {
    /// C_V1 (5.20).
    pub c_v1: C64,
    /// C_V2 (5.21).
    pub c_v2: C64,
    /// C_V12 (5.22).
    pub c_v12: C64,
}

impl DerivativeTerms {
    /// i(C_V1 + C_V2 + C_V12), which equals dα^(1,1)/dt by (5.19).
    pub fn alpha11_derivative(&self) -> f64 {
        (C64::i() * (self.c_v1 + self.c_v2 + self.c_v12)).re
    }
}

/// Σ_x f(x) n_x of an occupation.
fn one_body_diagonal(field: &[f64], occupation: &[u32]) -> f64 {
    field
        .iter()
        .zip(occupation)
        .map(|(f, &n)| f * n as f64)
        .sum()
}

/// C_V1, C_V2, C_V12 of a normalised state Ψ(t) with the Hartree pair (u_t, v_t).
pub fn derivative_terms(
    model: &Model,
    state: StateView,
    u: &[C64],
    v: &[C64],
) -> Result<DerivativeTerms> {
    let (basis_a, basis_b) = (state.basis_a, state.basis_b);
    let (rows, columns) = (state.rows(), state.columns());
    let state = state.values();
    let (sa, sb, v12) = (
        model.species_a(),
        model.species_b(),
        model.inter_potential(),
    );
    let (n1, n2) = (sa.particles as f64, sb.particles as f64);
    // Y = (1 − O)Ψ = Ψ − (N_u ⊗ N_v)Ψ/(N₁N₂).
    let number_u = SpeciesOperator::orbital_number(basis_a, u)?;
    let number_v = SpeciesOperator::orbital_number(basis_b, v)?;
    let mut counted_a = vec![C64::new(0.0, 0.0); state.len()];
    let mut counted = vec![C64::new(0.0, 0.0); state.len()];
    apply_two_species(
        Some(&number_u),
        None,
        None,
        rows,
        columns,
        state,
        &mut counted_a,
    );
    apply_two_species(
        None,
        Some(&number_v),
        None,
        rows,
        columns,
        &counted_a,
        &mut counted,
    );
    drop(counted_a);
    // Diagonals of X₁ (rows), X₂ (columns) and the one-body parts of X₁₂.
    let field_a = sa.potential.convolve_density(u);
    let field_b = sb.potential.convolve_density(v);
    let field_ab = v12.convolve_density(v); // acts on A, weight c₂
    let field_ba = v12.convolve_density(u); // acts on B, weight c₁
    let (c1, c2) = (model.c1(), model.c2());
    let x1: Vec<f64> = (0..rows)
        .map(|a| {
            let occ = basis_a.occupation(a);
            interaction_energy(&sa.potential, sa.particles, occ) - one_body_diagonal(&field_a, occ)
        })
        .collect();
    let x2: Vec<f64> = (0..columns)
        .map(|b| {
            let occ = basis_b.occupation(b);
            interaction_energy(&sb.potential, sb.particles, occ) - one_body_diagonal(&field_b, occ)
        })
        .collect();
    let mean_a: Vec<f64> = (0..rows)
        .map(|a| c2 * one_body_diagonal(&field_ab, basis_a.occupation(a)))
        .collect();
    let mean_b: Vec<f64> = (0..columns)
        .map(|b| c1 * one_body_diagonal(&field_ba, basis_b.occupation(b)))
        .collect();
    let coupling = PairDiagonal::inter_species(basis_a, basis_b, v12);
    let weight = 1.0 / (n1 * n2);
    let per_row: Vec<(f64, f64, f64)> = state
        .par_chunks(columns)
        .zip(counted.par_chunks(columns))
        .enumerate()
        .map(|(a, (psi, count))| {
            let mut sums = (0.0, 0.0, 0.0);
            for b in 0..columns {
                let y = psi[b] - weight * count[b];
                let im = (psi[b].conj() * y).im;
                sums.0 += x1[a] * im;
                sums.1 += x2[b] * im;
                sums.2 += (coupling.value(a, b) - mean_a[a] - mean_b[b]) * im;
            }
            sums
        })
        .collect();
    // Added in row order, so that the figures are the same on every run.
    let (s1, s2, s12) = per_row
        .iter()
        .fold((0.0, 0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2));
    let twice_i = C64::new(0.0, 2.0);
    Ok(DerivativeTerms {
        c_v1: twice_i * s1,
        c_v2: twice_i * s2,
        c_v12: twice_i * s12,
    })
}
