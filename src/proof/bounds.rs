//! The bounds of Proposition 5.1 on the pairs of C_V1 and C_V2, with explicit constants
//! (SPEC §5, paper §5.4).
//!
//! With A_j = ‖V_j‖_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ) (φ = u for j = 1, v for j = 2), N = N₁ + N₂ and
//! α = α^(1,1), the paper states for species A (B likewise with c₂, v, V₂):
//!
//! * (5.29) |(pp,qp)| ≤ ‖V₁*|u|²‖_∞ / (2N₁), and (pp,pq) = (pp,qp) by the symmetry of Ψ;
//! * (5.30) |(qp,qq)| ≤ (½‖V₁*|u|²‖_∞ + ½‖V₁²*|u|²‖_∞^{1/2}) α (the two Cauchy–Schwarz steps before
//!   "≲"; (qp,qq) = (pq,qq) likewise);
//! * (5.31) |(pp,qq)| ≤ (4√2/c₁) A₁ (α + 1/N) (N₁ ≥ 2);
//! * the pairs with equal numbers of q vanish (Lemma A.3), and a pair (Π_R, Π_L) has the bound of
//!   (Π_L, Π_R) (they are related by complex conjugation up to sign).
//!
//! **κ_j of (5.26), derived from these steps.** By (5.28), i C_V1 = 2 Re[2(pp,qp) + 2(qp,qq) + (pp,qq)],
//! so |C_V1| ≤ 4|(pp,qp)| + 4|(qp,qq)| + 2|(pp,qq)|. With ‖V₁*|u|²‖_∞ ≤ A₁ (5.11),
//! ‖V₁²*|u|²‖_∞^{1/2} ≤ √2 A₁ (5.12) and 1/N₁ = 1/(c₁N):
//! 4|(pp,qp)| ≤ (2/c₁) A₁/N, 4|(qp,qq)| ≤ 2(1 + √2) A₁ α, 2|(pp,qq)| ≤ (8√2/c₁) A₁ (α + 1/N), hence
//!
//!   |C_V1| ≤ κ₁ A₁ (α + 1/N),   κ₁(c₁) = (2 + 8√2)/c₁ + 2(1 + √2).
//!
//! The paper prints no number for κ₁ ("depends only on c₁"); this is the constant its own steps give.

use crate::lemmas::Component;
use crate::model::Model;
use crate::proof::norms::{mean_field_constant, potential_values, Exponents};
use crate::proof::pairs::PairTerms;
use crate::C64;

/// κ_j(c_j) = (2 + 8√2)/c_j + 2(1 + √2), the constant of (5.26) derived above.
pub fn kappa_intra(c: f64) -> f64 {
    (2.0 + 8.0 * 2f64.sqrt()) / c + 2.0 * (1.0 + 2f64.sqrt())
}

/// The stated bounds for the pairs of C_V1 (species A) or C_V2 (species B) at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntraSpeciesBounds {
    /// A_j = ‖V_j‖_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ).
    pub mean_field_constant: f64,
    /// (5.29).
    pub pp_qp: f64,
    /// (5.30).
    pub qp_qq: f64,
    /// (5.31).
    pub pp_qq: f64,
    /// (5.26) with the derived κ_j: κ_j A_j (α + 1/N).
    pub total: f64,
}

impl IntraSpeciesBounds {
    /// The bounds for species A (C_V1) or B (C_V2), from the orbital of that species, α^(1,1) and
    /// the exponents (r, s) used for A_j.
    pub fn new(
        model: &Model,
        component: Component,
        orbital: &[C64],
        alpha11: f64,
        exponents: Exponents,
    ) -> Self {
        let (species, c) = match component {
            Component::A => (model.species_a(), model.c1()),
            Component::B => (model.species_b(), model.c2()),
        };
        let n = species.particles as f64;
        let total_particles = model.total_particles() as f64;
        let sup = |f: Vec<f64>| f.into_iter().map(f64::abs).fold(0.0, f64::max);
        let mean_field = sup(species.potential.convolve_density(orbital));
        let squared = sup(species.potential.squared().convolve_density(orbital));
        let a = mean_field_constant(&potential_values(&species.potential), orbital, exponents);
        let shifted_alpha = alpha11 + 1.0 / total_particles;
        IntraSpeciesBounds {
            mean_field_constant: a,
            pp_qp: mean_field / (2.0 * n),
            qp_qq: 0.5 * (mean_field + squared.sqrt()) * alpha11,
            pp_qq: 4.0 * 2f64.sqrt() / c * a * shifted_alpha,
            total: kappa_intra(c) * a * shifted_alpha,
        }
    }

    /// The bound of pair (left, right) in the order of [`crate::proof::PROJECTIONS`], or `None`
    /// for the pairs that vanish (equal numbers of q), where the paper states no bound.
    pub fn pair(&self, left: usize, right: usize) -> Option<f64> {
        let (ql, qr) = (PairTerms::q_count(left), PairTerms::q_count(right));
        match (ql.min(qr), ql.max(qr)) {
            (0, 1) => Some(self.pp_qp),
            (1, 2) => Some(self.qp_qq),
            (0, 2) => Some(self.pp_qq),
            _ => None,
        }
    }
}
