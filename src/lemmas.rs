//! The paper's lemmas on indicators and counting operators as checks that return both sides,
//! so that the slack (right side minus left side, ≥ 0 when the lemma holds) can be reported.
//!
//! * Lemma 3.1: (3.5) α^(1,0) ≤ α^(1,1), α^(0,1) ≤ α^(1,1); (3.6) α^(1,1) ≤ α^(1,0) + α^(0,1)
//!   (together the two-sided bound (2.6));
//! * Lemma 3.2: (3.7) α^(k₁,k₂) ≤ R^(k₁,k₂) ≤ 2√α^(k₁,k₂); (3.8) α^(k₁,k₂) ≤ max(k₁,k₂) α^(1,1);
//! * Lemma A.1 (A.11) for each species, with f̂ = 1: ⟨q₁q₂⟩ ≤ N/(N−1) ⟨m̂²⟩, where for a
//!   symmetric state ⟨q₁q₂⟩ = ⟨k(k−1)⟩/(N(N−1)) (Σ_{i≠j} q_i q_j = k(k−1) on the range of P_k).

use crate::counting::CountingDistribution;

/// Both sides of one inequality `left ≤ right`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inequality {
    /// Equation label, e.g. `(3.6)`.
    pub label: &'static str,
    /// The smaller side.
    pub left: f64,
    /// The larger side.
    pub right: f64,
}

impl Inequality {
    /// right − left: ≥ 0 when the inequality holds.
    pub fn slack(&self) -> f64 {
        self.right - self.left
    }
}

/// (3.5) twice and (3.6).
pub fn lemma_3_1(alpha11: f64, alpha10: f64, alpha01: f64) -> [Inequality; 3] {
    [
        Inequality {
            label: "(3.5) alpha10 <= alpha11",
            left: alpha10,
            right: alpha11,
        },
        Inequality {
            label: "(3.5) alpha01 <= alpha11",
            left: alpha01,
            right: alpha11,
        },
        Inequality {
            label: "(3.6) alpha11 <= alpha10 + alpha01",
            left: alpha11,
            right: alpha10 + alpha01,
        },
    ]
}

/// (3.7): α ≤ R and R ≤ 2√α.
pub fn lemma_3_2_trace_norm(alpha: f64, r: f64) -> [Inequality; 2] {
    [
        Inequality {
            label: "(3.7) alpha <= R",
            left: alpha,
            right: r,
        },
        Inequality {
            label: "(3.7) R <= 2 sqrt(alpha)",
            left: r,
            right: 2.0 * alpha.max(0.0).sqrt(),
        },
    ]
}

/// (3.8): α^(k₁,k₂) ≤ max(k₁,k₂) α^(1,1).
pub fn lemma_3_2_higher(alpha_k: f64, k1: usize, k2: usize, alpha11: f64) -> Inequality {
    Inequality {
        label: "(3.8) alpha^(k1,k2) <= max(k1,k2) alpha11",
        left: alpha_k,
        right: k1.max(k2) as f64 * alpha11,
    }
}

/// (A.11) with f̂ = 1 for species A (`species_a`) or B, from the counting distribution.
pub fn lemma_a_1_pair(pi: &CountingDistribution, species_a: bool) -> Inequality {
    let n = if species_a {
        pi.particles_a()
    } else {
        pi.particles_b()
    } as f64;
    let count = |ka: usize, kb: usize| if species_a { ka } else { kb } as f64;
    let left = if n > 1.0 {
        pi.expectation(|ka, kb| count(ka, kb) * (count(ka, kb) - 1.0)) / (n * (n - 1.0))
    } else {
        0.0
    };
    let right = if n > 1.0 {
        n / (n - 1.0) * pi.expectation(|ka, kb| (count(ka, kb) / n).powi(2))
    } else {
        0.0
    };
    Inequality {
        label: "(A.11) <q1 q2> <= N/(N-1) <m^2>",
        left,
        right,
    }
}
