//! (2.25): condensation of a fraction of each population. For every k₁ ≤ N₁, k₂ ≤ N₂,
//!
//!   α^(k₁,k₂) = 1 − E[(N₁−k_A)_{k₁}(N₂−k_B)_{k₂}] / ((N₁)_{k₁}(N₂)_{k₂})
//!
//! from the counting distribution ([`CountingDistribution::alpha`]), against the paper's
//! consequence of Theorem 2.1 through Lemma 3.2 (3.8), α^(k₁,k₂) ≤ max(k₁,k₂) α^(1,1):
//!
//!   α^(k₁,k₂)(t) ≤ max(k₁,k₂) (α^(1,1)(0) + 1/(N₁+N₂)) e^{κ f(t)},
//!
//! the constant of (2.25) made explicit (the factor max(k₁,k₂) from (3.8), the rest from (5.5)),
//! with κ as printed or tight ([`crate::proof::bounds`]). The ratio α^(k₁,k₂)/(max(k₁,k₂) α^(1,1))
//! says where the linear-in-k regime of (3.8) holds (near 1) and where it ends.

use super::CountingDistribution;
use crate::Result;

/// One row of `FILE_alpha_k.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FractionRow {
    /// t.
    pub t: f64,
    /// k₁.
    pub k1: usize,
    /// k₂.
    pub k2: usize,
    /// α^(k₁,k₂)(t).
    pub alpha: f64,
    /// α^(k₁,k₂) / (max(k₁,k₂) α^(1,1)), ≤ 1 by (3.8); `None` where α^(1,1) is round-off.
    pub over_max_k_alpha11: Option<f64>,
}

/// Below this, α^(1,1) is round-off and ratios to it are left empty.
pub(crate) const ROUND_OFF: f64 = 1e-12;

/// The rows of every (k₁, k₂) ≠ (0, 0) at time `t`.
pub fn fraction_rows(pi: &CountingDistribution, t: f64) -> Result<Vec<FractionRow>> {
    let table = pi.alpha_table();
    let width = pi.particles_b() + 1;
    let alpha11 = table[width + 1];
    let mut rows = Vec::new();
    for k1 in 0..=pi.particles_a() {
        for k2 in 0..=pi.particles_b() {
            if k1 + k2 == 0 {
                continue;
            }
            let alpha = table[k1 * width + k2];
            rows.push(FractionRow {
                t,
                k1,
                k2,
                alpha,
                over_max_k_alpha11: (alpha11 > ROUND_OFF)
                    .then(|| alpha / (k1.max(k2) as f64 * alpha11)),
            });
        }
    }
    Ok(rows)
}

/// ln of the (2.25) bound: ln max(k₁,k₂) + ln of the Grönwall bound (5.5).
pub fn log_fraction_bound(k1: usize, k2: usize, log_gronwall_bound: f64) -> f64 {
    (k1.max(k2) as f64).ln() + log_gronwall_bound
}
