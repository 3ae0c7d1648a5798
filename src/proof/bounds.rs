//! The bounds of Propositions 5.1–5.2 on the pairs of C_V1, C_V2 and C_V12, each in two forms
//! (SPEC §5, paper §5.4–5.5): [`ProofConstants::AsPrinted`], the constants the paper prints, and
//! [`ProofConstants::Tight`], the same chains of inequalities with nothing dropped that the steps
//! do not need.
//!
//! Notation: A_j = ‖V_j‖_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ) (φ = u for j = 1, v for j = 2),
//! A^u = ‖V₁₂‖_{L^r+L^s}(‖u‖_r̂ + ‖u‖_ŝ), A^v likewise, N = N₁ + N₂, c_j = N_j/N exactly (SPEC §3),
//! α = α^(1,1), and the suprema S₁ = ‖V*|φ|²‖_∞, S₂ = ‖V²*|φ|²‖_∞^{1/2} that Lemma 5.1 bounds by
//! S₁ ≤ A (5.11) and S₂ ≤ √2 A (5.12).
//!
//! # C_V1 (C_V2 likewise with N₂, v, V₂)
//!
//! By (5.28), i C_V1 = 2 Re[2(pp,qp) + 2(qp,qq) + (pp,qq)], so |C_V1| ≤ 4|(pp,qp)| + 4|(qp,qq)| + 2|(pp,qq)|.
//!
//! * (5.29) |(pp,qp)| ≤ S₁/(2N₁), and (pp,pq) = (pp,qp) by the symmetry of Ψ. Both forms.
//! * (5.30), the two Cauchy–Schwarz steps before "≲": |(qp,qq)| ≤ ½(S₁ + ((N₁−1)/N₁) S₂) α. The
//!   paper drops (N₁−1)/N₁ ≤ 1 (as printed: ½(S₁ + S₂) α; in the A form both give (½ + 1/√2)A₁α).
//! * (5.31), |(pp,qq)|. The chain is (N₁−1)/N₁ · √⟨…V₁²…⟩ · √⟨n̂⁻² q₁q₂⟩ with (A.13)
//!   ⟨n̂⁻² q₁q₂⟩ ≤ (N₁/(N₁−1))‖q₂Ψ‖², then ‖τ₂n̂ Ψ‖ = (α^(1,0) + 2/N₁)^{1/2} and
//!   √(α + 2/N₁)√α ≤ α + 1/N₁. The paper drops the prefactor (N₁−1)/N₁, prints 2 for
//!   √(N₁/(N₁−1)) and uses α + 1/N₁ ≤ (2/c₁)(α + 1/N) "for N large"; with (5.12):
//!   as printed (4√2/c₁) A₁ (α + 1/N). Kept together, (N₁−1)/N₁ · √(N₁/(N₁−1)) = √((N₁−1)/N₁) ≤ 1, so
//!   tight: |(pp,qq)| ≤ √((N₁−1)/N₁) S₂ (α + 1/N₁) ≤ √2 A₁ (α + 1/(c₁N)).
//! * the pairs with equal numbers of q vanish (Lemma A.3), and a pair (Π_R, Π_L) has the bound of
//!   (Π_L, Π_R) (they are related by complex conjugation up to sign).
//!
//! **κ_j of (5.26).** The paper prints no number ("depends only on c₁").
//! *As printed*, with ≲ read as the steps before it and the coefficients of α and of 1/N added:
//! 4|(pp,qp)| ≤ (2/c₁)A₁/N, 4|(qp,qq)| ≤ 2(1 + √2)A₁α, 2|(pp,qq)| ≤ (8√2/c₁)A₁(α + 1/N), hence
//! κ₁ = (2 + 8√2)/c₁ + 2(1 + √2) (31.46 at c₁ = ½).
//! *Tight*: the same three terms in tight form, 4|(pp,qp)| ≤ (2/c₁)A₁/N, 4|(qp,qq)| ≤ (2 + 2√2)A₁α,
//! 2|(pp,qq)| ≤ 2√2A₁α + (2√2/c₁)A₁/N, collect a α + b/N with a = 2 + 4√2, b = (2 + 2√2)/c₁, and
//! a α + b/N ≤ max(a, b)(α + 1/N) (a maximum, not the sum):
//!
//!   κ₁,tight = max(2 + 4√2, (2 + 2√2)/c₁)   (9.66 at c₁ = ½).
//!
//! # C_V12
//!
//! C_V12 = −Σ T over the 16 pairs, with T(Π_R,Π_L) = −conj T(Π_L,Π_R), and (5.32) is an identity
//! under exact c_j, so |C_V12| ≤ 2(|T(pq,qp)| + |T(qp,qq)| + |T(pq,qq)| + |T(pp,qq)|), "pq" meaning
//! p on the A-particle and q on the B-particle. With S^u₁ = ‖V₁₂*|u|²‖_∞, S^u₂ = ‖V₁₂²*|u|²‖_∞^{1/2}
//! and S^v likewise:
//!
//! * (5.40)–(5.41): T(pq,qp) is (N₁−1)/N times a term ≤ S^u₂ ‖q^AΨ‖‖q^BΨ‖ ≤ S^u₂ α, minus
//!   (N₂−1)/N times one ≤ S^v₂ α. As printed the prefactors are dropped to 1: √2(A^u + A^v)α.
//!   Tight: ((N₁−1)S^u₂ + (N₂−1)S^v₂) α/N ≤ √2(c₁A^u + c₂A^v) α.
//! * (5.42): T(qp,qq) = −(N₁−1)/N ⟨q p^B((V₁₂)₁₁ − (V₁₂^u)₁^B) q q^B p₂⟩, whose V₁₂ part is
//!   ≤ S^v₂ α and whose mean-field part is ≤ S^u₁ α. As printed the prefactor is dropped and the
//!   mean-field part bounded through (5.12) although (5.11) suffices: √2(A^u + A^v)α.
//!   Tight: (N₁−1)/N (S^v₂ + S^u₁) α ≤ c₁(√2A^v + A^u) α. T(pq,qq) likewise with
//!   A ↔ B: (N₂−1)/N (S^u₂ + S^v₁) α ≤ c₂(√2A^u + A^v) α.
//! * §5.5.2, (pp,qq)₁: the chain is (N₁−1)/N · √⟨…V₁₂²*|v|²…⟩ · √⟨n̂⁻² p₂q₁q^B⟩ with (A.14)
//!   ≤ N₁/(N₁−1), then √(α + 1/N₁)√α ≤ α + 1/(2N₁). The paper drops (N₁−1)/N ≤ c₁ to 1, prints
//!   2 for √(N₁/(N₁−1)) and uses α + 1/(2N₁) ≤ (2/c₁)(α + 1/N): as printed (4√2/c₁)A^v(α + 1/N).
//!   Tight: (N₁−1)/N · √(N₁/(N₁−1)) = √((N₁−1)N₁)/N ≤ c₁, so
//!   |(pp,qq)₁| ≤ (√((N₁−1)N₁)/N) S^v₂ (α + 1/(2N₁)) ≤ √2 A^v (c₁α + 1/(2N)).
//!   (pp,qq)₂ likewise with A ↔ B. The paper prints (2√2/c₂)A^u(α + 1/N): that is exactly what
//!   the steps give with the exact c₂ (N/N₂ = 1/c₂), while the printed 4√2/c₁ of (pp,qq)₁ carries
//!   the extra 2 of "N/N₁ ≤ 2/c₁ for N large"; both as-printed values are kept as printed.
//!   (pp,qq)₃ ≤ S^u₂/N ≤ √2A^u/N in both forms; T(pp,qq) is bounded by the sum of the three.
//! * the pairs §5.5.1–5.5.2 show to vanish have no bound.
//!
//! **κ₁₂ of (5.33).**
//! *As printed*: |C_V12| ≤ 6√2(A^u + A^v)α + (8√2/c₁)A^v(α + 1/N) + (4√2/c₂)A^u(α + 1/N) + (2√2/N)A^u
//! ≤ [(8√2 + 4√2/c₂)A^u + (6√2 + 8√2/c₁)A^v](α + 1/N), so κ₁₂ = max(8√2 + 4√2/c₂, 6√2 + 8√2/c₁)
//! (31.11 at c = ½).
//! *Tight*: twice the tight A forms above give a_u A^u α + a_v A^v α + b_u A^u/N + b_v A^v/N with
//! a_u = 2(1 + √2)c₁ + 4√2c₂, a_v = 2(1 + √2)c₂ + 4√2c₁, b_u = 3√2, b_v = √2, so
//!
//!   κ₁₂,tight = max(2(1 + √2)c₁ + 4√2c₂, 2(1 + √2)c₂ + 4√2c₁, 3√2)   (5.24 at c = ½).
//!
//! Every tight bound is checked against the exact pairs for random states and orbitals (not
//! only along the dynamics) in the tests, where a step taken too far would show.

use crate::measure::lemmas::Component;
use crate::model::one_body::PairPotential;
use crate::model::Model;
use crate::proof::norms::{mean_field_constant, orbital_weight, sum_space_norm, Exponents};
use crate::proof::pairs::Projection;
use crate::C64;

/// Which constants a bound is written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofConstants {
    /// The constants the paper prints (or, for κ, the ones its printed steps give).
    AsPrinted,
    /// The same chains of inequalities with every exact factor kept (see the module docs).
    Tight,
}

/// κ_j(c_j) of (5.26): as printed (2 + 8√2)/c_j + 2(1 + √2); tight max(2 + 4√2, (2 + 2√2)/c_j).
pub fn kappa_intra(c: f64, constants: ProofConstants) -> f64 {
    let r2 = 2f64.sqrt();
    match constants {
        ProofConstants::AsPrinted => (2.0 + 8.0 * r2) / c + 2.0 * (1.0 + r2),
        ProofConstants::Tight => (2.0 + 4.0 * r2).max((2.0 + 2.0 * r2) / c),
    }
}

/// κ₁₂(c₁, c₂) of (5.33): as printed max(8√2 + 4√2/c₂, 6√2 + 8√2/c₁); tight
/// max(2(1 + √2)c₁ + 4√2c₂, 2(1 + √2)c₂ + 4√2c₁, 3√2).
pub fn kappa_inter(c1: f64, c2: f64, constants: ProofConstants) -> f64 {
    let r2 = 2f64.sqrt();
    match constants {
        ProofConstants::AsPrinted => (8.0 * r2 + 4.0 * r2 / c2).max(6.0 * r2 + 8.0 * r2 / c1),
        ProofConstants::Tight => (2.0 * (1.0 + r2) * c1 + 4.0 * r2 * c2)
            .max(2.0 * (1.0 + r2) * c2 + 4.0 * r2 * c1)
            .max(3.0 * r2),
    }
}

/// κ = max(κ₁, κ₂, κ₁₂), the constant of B(t) (5.3).
pub fn kappa(c1: f64, c2: f64, constants: ProofConstants) -> f64 {
    kappa_intra(c1, constants)
        .max(kappa_intra(c2, constants))
        .max(kappa_inter(c1, c2, constants))
}

/// S₁ = ‖V*|φ|²‖_∞ and S₂ = ‖V²*|φ|²‖_∞^{1/2}, the suprema Lemma 5.1 bounds.
fn suprema(potential: &PairPotential, orbital: &[C64]) -> (f64, f64) {
    let sup = |f: Vec<f64>| f.into_iter().map(f64::abs).fold(0.0, f64::max);
    (
        sup(potential.convolve_density(orbital)),
        sup(potential.squared().convolve_density(orbital)).sqrt(),
    )
}

/// The bounds for the pairs of C_V1 (species A) or C_V2 (species B) at one time.
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
    /// (5.26): κ_j A_j (α + 1/N).
    pub total: f64,
}

impl IntraSpeciesBounds {
    /// The bounds for species A (C_V1) or B (C_V2), from the orbital of that species, α^(1,1),
    /// the exponents (r, s) used for A_j and the form of the constants.
    pub fn new(
        model: &Model,
        component: Component,
        orbital: &[C64],
        alpha11: f64,
        exponents: Exponents,
        constants: ProofConstants,
    ) -> Self {
        let species = model.component(component);
        let n = species.particles as f64;
        let total_particles = model.total_particles() as f64;
        let c = n / total_particles;
        let (s1, s2) = suprema(&species.potential, orbital);
        let a = mean_field_constant(&species.potential, orbital, exponents);
        let shifted_alpha = alpha11 + 1.0 / total_particles;
        let (qp_qq, pp_qq) = match constants {
            ProofConstants::AsPrinted => (
                0.5 * (s1 + s2) * alpha11,
                4.0 * 2f64.sqrt() / c * a * shifted_alpha,
            ),
            ProofConstants::Tight => (
                0.5 * (s1 + (n - 1.0) / n * s2) * alpha11,
                ((n - 1.0) / n).sqrt() * s2 * (alpha11 + 1.0 / n),
            ),
        };
        IntraSpeciesBounds {
            mean_field_constant: a,
            pp_qp: s1 / (2.0 * n),
            qp_qq,
            pp_qq,
            total: kappa_intra(c, constants) * a * shifted_alpha,
        }
    }

    /// The bound of pair (left, right), or `None` for the pairs that vanish (equal numbers of
    /// q), where the paper states no bound.
    pub fn pair(&self, left: Projection, right: Projection) -> Option<f64> {
        let (ql, qr) = (left.q_count(), right.q_count());
        match (ql.min(qr), ql.max(qr)) {
            (0, 1) => Some(self.pp_qp),
            (1, 2) => Some(self.qp_qq),
            (0, 2) => Some(self.pp_qq),
            _ => None,
        }
    }
}

/// The bounds for the pairs T(Π_L, Π_R) of C_V12 (Proposition 5.2, §5.5) at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InterSpeciesBounds {
    /// A^u.
    pub constant_u: f64,
    /// A^v.
    pub constant_v: f64,
    /// (5.40)–(5.41), T(pq,qp).
    pub pq_qp: f64,
    /// (5.42), T(qp,qq).
    pub qp_qq: f64,
    /// (5.42), T(pq,qq).
    pub pq_qq: f64,
    /// (pp,qq)₁.
    pub pp_qq_1: f64,
    /// (pp,qq)₂.
    pub pp_qq_2: f64,
    /// (pp,qq)₃.
    pub pp_qq_3: f64,
    /// (5.33): κ₁₂ (A^u + A^v)(α + 1/N).
    pub total: f64,
}

impl InterSpeciesBounds {
    /// The bounds at one time from (u, v), α^(1,1), the exponents used for V₁₂ and the form of
    /// the constants.
    pub fn new(
        model: &Model,
        u: &[C64],
        v: &[C64],
        alpha11: f64,
        exponents: Exponents,
        constants: ProofConstants,
    ) -> Self {
        let v12 = model.inter_potential();
        let norm = sum_space_norm(v12, exponents);
        let (a_u, a_v) = (
            norm * orbital_weight(u, exponents),
            norm * orbital_weight(v, exponents),
        );
        let (c1, c2) = (model.c1(), model.c2());
        let (n1, n2) = (
            model.species_a().particles as f64,
            model.species_b().particles as f64,
        );
        let n = n1 + n2;
        let r2 = 2f64.sqrt();
        let shifted = alpha11 + 1.0 / n;
        let ((su1, su2), (sv1, sv2)) = (suprema(v12, u), suprema(v12, v));
        let total = kappa_inter(c1, c2, constants) * (a_u + a_v) * shifted;
        match constants {
            ProofConstants::AsPrinted => InterSpeciesBounds {
                constant_u: a_u,
                constant_v: a_v,
                pq_qp: r2 * (a_u + a_v) * alpha11,
                qp_qq: r2 * (a_u + a_v) * alpha11,
                pq_qq: r2 * (a_u + a_v) * alpha11,
                pp_qq_1: 4.0 * r2 / c1 * a_v * shifted,
                pp_qq_2: 2.0 * r2 / c2 * a_u * shifted,
                pp_qq_3: r2 / n * a_u,
                total,
            },
            ProofConstants::Tight => InterSpeciesBounds {
                constant_u: a_u,
                constant_v: a_v,
                pq_qp: ((n1 - 1.0) * su2 + (n2 - 1.0) * sv2) / n * alpha11,
                qp_qq: (n1 - 1.0) / n * (sv2 + su1) * alpha11,
                pq_qq: (n2 - 1.0) / n * (su2 + sv1) * alpha11,
                pp_qq_1: ((n1 - 1.0) * n1).sqrt() / n * sv2 * (alpha11 + 0.5 / n1),
                pp_qq_2: ((n2 - 1.0) * n2).sqrt() / n * su2 * (alpha11 + 0.5 / n2),
                pp_qq_3: su2 / n,
                total,
            },
        }
    }

    /// The bound of T(left, right), or `None` for the pairs shown to vanish.
    pub fn pair(&self, left: Projection, right: Projection) -> Option<f64> {
        use Projection::{PP as pp, PQ as pq, QP as qp, QQ as qq};
        let key = if left.index() <= right.index() {
            (left, right)
        } else {
            (right, left)
        };
        if key == (pq, qp) {
            Some(self.pq_qp)
        } else if key == (qp, qq) {
            Some(self.qp_qq)
        } else if key == (pq, qq) {
            Some(self.pq_qq)
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
        let printed = ProofConstants::AsPrinted;
        let tight = ProofConstants::Tight;
        // c = 1/2: (2 + 8√2)·2 + 2 + 2√2 = 6 + 18√2.
        assert!((kappa_intra(0.5, printed) - (6.0 + 18.0 * r2)).abs() < 1e-12);
        // c = 1/3: (2 + 8√2)·3 + 2 + 2√2 = 8 + 26√2.
        assert!((kappa_intra(1.0 / 3.0, printed) - (8.0 + 26.0 * r2)).abs() < 1e-12);
        // c₁ = c₂ = 1/2: max(8√2 + 8√2, 6√2 + 16√2) = 22√2.
        assert!((kappa_inter(0.5, 0.5, printed) - 22.0 * r2).abs() < 1e-12);
        // c₁ = 2/3, c₂ = 1/3: max(8√2 + 12√2, 6√2 + 12√2) = 20√2.
        assert!((kappa_inter(2.0 / 3.0, 1.0 / 3.0, printed) - 20.0 * r2).abs() < 1e-12);
        // Tight, c = 1/2: max(2 + 4√2, 4 + 4√2) = 4 + 4√2; c = 0.9: 2 + 4√2 (7.66 > 5.36).
        assert!((kappa_intra(0.5, tight) - (4.0 + 4.0 * r2)).abs() < 1e-12);
        assert!((kappa_intra(0.9, tight) - (2.0 + 4.0 * r2)).abs() < 1e-12);
        // Tight, c₁ = c₂ = 1/2: 1 + √2 + 2√2 = 1 + 3√2 (> 3√2).
        assert!((kappa_inter(0.5, 0.5, tight) - (1.0 + 3.0 * r2)).abs() < 1e-12);
        // Tight, c₁ = 2/3, c₂ = 1/3: max((4 + 8√2)/3, (2 + 10√2)/3, 3√2) = (2 + 10√2)/3.
        assert!((kappa_inter(2.0 / 3.0, 1.0 / 3.0, tight) - (2.0 + 10.0 * r2) / 3.0).abs() < 1e-12);
        // κ at c = 1/2: 6 + 18√2 = 31.46 as printed, 4 + 4√2 = 9.66 tight.
        assert!((kappa(0.5, 0.5, printed) - (6.0 + 18.0 * r2)).abs() < 1e-12);
        assert!((kappa(0.5, 0.5, tight) - (4.0 + 4.0 * r2)).abs() < 1e-12);
    }
}
