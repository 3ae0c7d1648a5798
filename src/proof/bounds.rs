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
use crate::proof::norms::{mean_field_constant, orbital_weight, sum_space_norm, Exponents};
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
        let a = mean_field_constant(&species.potential, orbital, exponents);
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

/// κ₁₂(c₁, c₂) of (5.33), derived from §5.5 below: max(8√2 + 4√2/c₂, 6√2 + 8√2/c₁).
pub fn kappa_inter(c1: f64, c2: f64) -> f64 {
    let r2 = 2f64.sqrt();
    (8.0 * r2 + 4.0 * r2 / c2).max(6.0 * r2 + 8.0 * r2 / c1)
}

/// The stated bounds for the pairs T(Π_L, Π_R) of C_V12 (Proposition 5.2, §5.5), with
/// A^u = ‖V₁₂‖_{L^r+L^s}(‖u‖_r̂ + ‖u‖_ŝ), A^v likewise, N = N₁ + N₂, α = α^(1,1):
///
/// * (5.40)–(5.41): |T(pq,qp)| = |T(qp,pq)| ≤ √2 (A^u + A^v) α (two Cauchy–Schwarz terms, √2A^u α and
///   √2A^v α, after (N_j − 1)/N ≤ 1);
/// * (5.42): |T(qp,qq)|, |T(pq,qq)| ≤ √2 (A^u + A^v) α each (the (V₁₂)₁₁ part ≤ √2A^v α, resp. √2A^u α,
///   and the mean-field part ≤ √2A^u α, resp. √2A^v α, as printed);
/// * §5.5.2: |(pp,qq)₁| ≤ (4√2/c₁) A^v (α + 1/N), |(pp,qq)₂| ≤ (2√2/c₂) A^u (α + 1/N) (as printed; the
///   same steps as for (pp,qq)₁ give 4√2/c₂), |(pp,qq)₃| ≤ (√2/N) A^u, and T(pp,qq) their sum;
/// * the pairs §5.5.1–5.5.2 show to vanish have no bound.
///
/// **κ₁₂ of (5.33).** C_V12 = −Σ T, the pairs related by T(Π_R,Π_L) = −conj T(Π_L,Π_R), so
/// |C_V12| ≤ 2(|T(pq,qp)| + |T(qp,qq)| + |T(pq,qq)| + |T(pp,qq)|)
///   ≤ 6√2 (A^u + A^v) α + (8√2/c₁) A^v (α + 1/N) + (4√2/c₂) A^u (α + 1/N) + (2√2/N) A^u
///   ≤ [(8√2 + 4√2/c₂) A^u + (6√2 + 8√2/c₁) A^v] (α + 1/N) ≤ κ₁₂ (A^u + A^v)(α + 1/N).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InterSpeciesBounds {
    /// A^u.
    pub constant_u: f64,
    /// A^v.
    pub constant_v: f64,
    /// (5.40)–(5.41), per pair.
    pub pq_qp: f64,
    /// (5.42), per pair.
    pub qp_qq: f64,
    /// (pp,qq)₁.
    pub pp_qq_1: f64,
    /// (pp,qq)₂.
    pub pp_qq_2: f64,
    /// (pp,qq)₃.
    pub pp_qq_3: f64,
    /// (5.33) with the derived κ₁₂.
    pub total: f64,
}

impl InterSpeciesBounds {
    /// The bounds at one time from (u, v), α^(1,1) and the exponents used for V₁₂.
    pub fn new(model: &Model, u: &[C64], v: &[C64], alpha11: f64, exponents: Exponents) -> Self {
        let norm = sum_space_norm(model.inter_potential(), exponents);
        let (a_u, a_v) = (
            norm * orbital_weight(u, exponents),
            norm * orbital_weight(v, exponents),
        );
        let (c1, c2) = (model.c1(), model.c2());
        let n = model.total_particles() as f64;
        let r2 = 2f64.sqrt();
        let shifted = alpha11 + 1.0 / n;
        InterSpeciesBounds {
            constant_u: a_u,
            constant_v: a_v,
            pq_qp: r2 * (a_u + a_v) * alpha11,
            qp_qq: r2 * (a_u + a_v) * alpha11,
            pp_qq_1: 4.0 * r2 / c1 * a_v * shifted,
            pp_qq_2: 2.0 * r2 / c2 * a_u * shifted,
            pp_qq_3: r2 / n * a_u,
            total: kappa_inter(c1, c2) * (a_u + a_v) * shifted,
        }
    }

    /// The bound of T(left, right) in the order of [`crate::proof::PROJECTIONS`] (pp, pq, qp, qq), or
    /// `None` for the pairs shown to vanish.
    pub fn pair(&self, left: usize, right: usize) -> Option<f64> {
        let (pp, pq, qp, qq) = (0, 1, 2, 3);
        let key = (left.min(right), left.max(right));
        if key == (pq, qp) {
            Some(self.pq_qp)
        } else if key == (qp, qq) || key == (pq, qq) {
            Some(self.qp_qq)
        } else if key == (pp, qq) {
            Some(self.pp_qq_1 + self.pp_qq_2 + self.pp_qq_3)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_by_hand() {
        let r2 = 2f64.sqrt();
        // c = 1/2: (2 + 8√2)·2 + 2 + 2√2 = 6 + 18√2.
        assert!((kappa_intra(0.5) - (6.0 + 18.0 * r2)).abs() < 1e-12);
        // c = 1/3: (2 + 8√2)·3 + 2 + 2√2 = 8 + 26√2.
        assert!((kappa_intra(1.0 / 3.0) - (8.0 + 26.0 * r2)).abs() < 1e-12);
        // c₁ = c₂ = 1/2: max(8√2 + 8√2, 6√2 + 16√2) = 22√2.
        assert!((kappa_inter(0.5, 0.5) - 22.0 * r2).abs() < 1e-12);
        // c₁ = 2/3, c₂ = 1/3: max(8√2 + 12√2, 6√2 + 12√2) = 20√2.
        assert!((kappa_inter(2.0 / 3.0, 1.0 / 3.0) - 20.0 * r2).abs() < 1e-12);
    }
}
