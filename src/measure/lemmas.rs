//! The paper's lemmas on indicators and counting operators as checks that return both sides,
//! so that the slack (right side minus left side, ≥ 0 when the lemma holds) can be reported.
//!
//! * Lemma 3.1: (3.5) α^(1,0) ≤ α^(1,1), α^(0,1) ≤ α^(1,1); (3.6) α^(1,1) ≤ α^(1,0) + α^(0,1)
//!   (together the two-sided bound (2.6));
//! * Lemma 3.2: (3.7) α^(k₁,k₂) ≤ R^(k₁,k₂) ≤ 2√α^(k₁,k₂); (3.8) α^(k₁,k₂) ≤ max(k₁,k₂) α^(1,1);
//! * Lemma A.1 (A.10)–(A.11) for each species and any f ≥ 0;
//! * Lemma A.2 in the two forms the proof uses, the chains (A.13) and (A.14).
//!
//! Lemma A.3 (A.16)/(A.17), an operator identity, is checked densely on small spaces in the
//! tests (`tests/appendix_a_first_quantised.rs`); the library uses it through the vanishing
//! pairs of [`crate::proof`].
//!
//! For a state symmetric in each species, operators on particles 1, 2 of one species are
//! replaced by their symmetrisations, which are diagonal in the counting basis: on the range of
//! P_k, (1/N)Σ_j q_j = k/N (A.8), (1/(N(N−1)))Σ_{i≠j} q_i q_j = k(k−1)/(N(N−1)) and
//! (1/(N(N−1)))Σ_{i≠j} q_i p_j = k(N−k)/(N(N−1)); p₁ of the other species gives (N′−k′)/N′.
//! So every side is an expectation in the joint counting distribution π. The tests check these
//! left sides against dense first-quantised p_i, q_i and P_k.

use crate::measure::counting::CountingDistribution;

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

/// Which species a one-species lemma is applied to (the other one is a spectator).
pub use crate::model::Component;

/// Lemma A.1 for one species and a weight f ≥ 0: (A.10) ⟨f̂ q₁⟩ = ⟨f̂ m̂⟩ (an equality, reported as
/// two inequalities' worth: left = ⟨f̂ q₁⟩, right = ⟨f̂ m̂⟩) and (A.11)
/// ⟨f̂ q₁q₂⟩ ≤ N/(N−1) ⟨f̂ m̂²⟩ (N ≥ 2).
pub fn lemma_a_1(
    pi: &CountingDistribution,
    component: Component,
    f: impl Fn(usize) -> f64,
) -> [Inequality; 2] {
    let (n, pick) = split(pi, component);
    let first = pi.expectation(|ka, kb| {
        let k = pick(ka, kb) as f64;
        f(pick(ka, kb)) * k / n
    });
    let pair = if n > 1.0 {
        pi.expectation(|ka, kb| {
            let k = pick(ka, kb) as f64;
            f(pick(ka, kb)) * k * (k - 1.0) / (n * (n - 1.0))
        })
    } else {
        0.0
    };
    let m_squared = if n > 1.0 {
        n / (n - 1.0)
            * pi.expectation(|ka, kb| {
                let k = pick(ka, kb) as f64;
                f(pick(ka, kb)) * (k / n).powi(2)
            })
    } else {
        0.0
    };
    [
        Inequality {
            label: "(A.10) <f q1> = <f m>",
            left: first,
            right: first,
        },
        Inequality {
            label: "(A.11) <f q1 q2> <= N/(N-1) <f m^2>",
            left: pair,
            right: m_squared,
        },
    ]
}

/// The chain (A.13) for species A (Lemma A.2 with f = n⁻¹, Φ = q₂^A p₁^B Ψ):
/// ⟨(n̂⁻²)^A q₁^A q₂^A p₁^B⟩ ≤ ‖(n̂⁻¹)^A q₁^A q₂^A p₁^B Ψ‖² ≤ N₁/(N₁−1)‖(n̂⁻¹)^A n̂^A q₂^A p₁^B Ψ‖²
/// ≤ 2‖q₂^A Ψ‖²; with A ↔ B for species B. Needs N ≥ 2 in the chosen species.
pub fn lemma_a_2_chain_13(pi: &CountingDistribution, component: Component) -> [Inequality; 3] {
    let (n, pick) = split(pi, component);
    let (other_n, other) = split(pi, component.other());
    let spectator_p = move |ka: usize, kb: usize| (other_n - other(ka, kb) as f64) / other_n;
    let inverse_squared = |k: usize| if k == 0 { 0.0 } else { n / k as f64 };
    let pairs = |k: usize| {
        let k = k as f64;
        k * (k - 1.0) / (n * (n - 1.0))
    };
    // ⟨n̂⁻² q₁q₂ p₁′⟩ and ‖n̂⁻¹ q₁q₂ p₁′Ψ‖² are the same number (all factors commute and are projections).
    let left = pi.expectation(|ka, kb| {
        inverse_squared(pick(ka, kb)) * pairs(pick(ka, kb)) * spectator_p(ka, kb)
    });
    let lifted = n / (n - 1.0)
        * pi.expectation(|ka, kb| {
            let k = pick(ka, kb);
            // (n⁻¹ n)² = 1 on k ≥ 1; ⟨q₂⟩ → k/N.
            if k == 0 {
                0.0
            } else {
                k as f64 / n * spectator_p(ka, kb)
            }
        });
    let depletion = 2.0 * pi.expectation(|ka, kb| pick(ka, kb) as f64 / n);
    [
        Inequality {
            label: "(A.13) <n^-2 q1 q2 p1'> <= |n^-1 q1 q2 p1' Psi|^2",
            left,
            right: left,
        },
        Inequality {
            label: "(A.13) |n^-1 q1 q2 p1' Psi|^2 <= N/(N-1) |n^-1 n q2 p1' Psi|^2",
            left,
            right: lifted,
        },
        Inequality {
            label: "(A.13) N/(N-1) |n^-1 n q2 p1' Psi|^2 <= 2 |q2 Psi|^2",
            left: lifted,
            right: depletion,
        },
    ]
}

/// The chain (A.14) for species A (Lemma A.2 with f = n⁻¹, Φ = p₂^A q₁^B Ψ):
/// ⟨(n̂⁻²)^A p₂^A q₁^A q₁^B⟩ = ‖(n̂⁻¹)^A q₁^A q₁^B p₂^A Ψ‖² ≤ N₁/(N₁−1)‖(n̂⁻¹)^A n̂^A p₂^A q₁^B Ψ‖²
/// ≤ 2‖q₁^B Ψ‖²; with A ↔ B for species B. Needs N ≥ 2 in the chosen species.
pub fn lemma_a_2_chain_14(pi: &CountingDistribution, component: Component) -> [Inequality; 2] {
    let (n, pick) = split(pi, component);
    let (other_n, other) = split(pi, component.other());
    let spectator_q = move |ka: usize, kb: usize| other(ka, kb) as f64 / other_n;
    let inverse_squared = |k: usize| if k == 0 { 0.0 } else { n / k as f64 };
    let left = pi.expectation(|ka, kb| {
        let k = pick(ka, kb) as f64;
        inverse_squared(pick(ka, kb)) * k * (n - k) / (n * (n - 1.0)) * spectator_q(ka, kb)
    });
    let lifted = n / (n - 1.0)
        * pi.expectation(|ka, kb| {
            let k = pick(ka, kb);
            if k == 0 {
                0.0
            } else {
                (n - k as f64) / n * spectator_q(ka, kb)
            }
        });
    let depletion = 2.0 * pi.expectation(spectator_q);
    [
        Inequality {
            label: "(A.14) |n^-1 q1 q1' p2 Psi|^2 <= N/(N-1) |n^-1 n p2 q1' Psi|^2",
            left,
            right: lifted,
        },
        Inequality {
            label: "(A.14) N/(N-1) |n^-1 n p2 q1' Psi|^2 <= 2 |q1' Psi|^2",
            left: lifted,
            right: depletion,
        },
    ]
}

/// The particle number of a species and the function picking its count from (k_A, k_B).
fn split(pi: &CountingDistribution, component: Component) -> (f64, fn(usize, usize) -> usize) {
    match component {
        Component::A => (pi.particles_a() as f64, |ka, _| ka),
        Component::B => (pi.particles_b() as f64, |_, kb| kb),
    }
}
