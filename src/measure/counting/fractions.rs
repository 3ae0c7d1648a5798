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

use std::path::{Path, PathBuf};

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
const ROUND_OFF: f64 = 1e-12;

/// The rows of every (k₁, k₂) ≠ (0, 0) at time `t`.
pub fn fraction_rows(pi: &CountingDistribution, t: f64) -> Result<Vec<FractionRow>> {
    let alpha11 = pi.alpha(1, 1)?;
    let mut rows = Vec::new();
    for k1 in 0..=pi.particles_a() {
        for k2 in 0..=pi.particles_b() {
            if k1 + k2 == 0 {
                continue;
            }
            let alpha = pi.alpha(k1, k2)?;
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

/// The figure α^(k,k)/α^(1,1) against k/(N₁+N₂) at the output times (of `times`) nearest
/// T/3, 2T/3 and T (the rows with k₁ = k₂ = k), into `stem`.svg and `.png`. Returns the files
/// written.
pub fn write_fraction_figure(
    rows: &[FractionRow],
    times: &[f64],
    total_particles: usize,
    title: &str,
    stem: &Path,
) -> Result<Vec<PathBuf>> {
    crate::app::plot::register_font();
    let t_max = times.last().copied().unwrap_or(0.0);
    let mut chosen: Vec<f64> = (1..=3)
        .filter_map(|k| {
            let target = t_max * k as f64 / 3.0;
            times
                .iter()
                .copied()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        })
        .collect();
    chosen.dedup();
    let alpha11 = |t: f64| {
        rows.iter()
            .find(|r| r.t == t && r.k1 == 1 && r.k2 == 1)
            .map(|r| r.alpha)
    };
    let series = chosen
        .iter()
        .filter_map(|&t| {
            let a11 = alpha11(t).filter(|a| *a > ROUND_OFF)?;
            let points = rows
                .iter()
                .filter(|r| r.t == t && r.k1 == r.k2)
                .map(|r| (r.k1 as f64 / total_particles as f64, r.alpha / a11))
                .collect();
            Some((format!("t = {t}"), points))
        })
        .collect();
    let figure = crate::app::plot::Curves {
        title,
        x_desc: "k / (N1 + N2)",
        y_desc: "α^(k,k) / α^(1,1)",
        series,
    };
    crate::app::plot::write_both(&figure, stem, crate::app::plot::SIZE)
}
