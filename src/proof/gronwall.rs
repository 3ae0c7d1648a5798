//! Theorem 2.1 along a run: f(t) = ∫₀ᵗ (A₁ + A₂ + A^u + A^v) dτ of (2.19) along the Hartree
//! solution, and the Grönwall bound (5.5) α^(1,1)(t) ≤ (α^(1,1)(0) + 1/(N₁+N₂)) e^{κ f(t)}.

use crate::hartree::HartreeSystem;
use crate::model::Model;
use crate::proof::snapshot::{constant_sum, ExponentChoice};
use crate::{Error, Result, C64};

/// Hartree sub-steps per output interval for the trapezoidal rule of f(t).
pub const REFINEMENT: usize = 20;

/// f(t_k) of (2.19) at the (increasing, starting at 0) times `outputs`: the trapezoidal rule on a
/// grid with [`REFINEMENT`] sub-intervals per output interval, the integrand A₁ + A₂ + A^u + A^v
/// evaluated on the Hartree solution from (u₀, v₀) with the exponents `exponents`.
pub fn mean_field_integral(
    model: &Model,
    u0: &[C64],
    v0: &[C64],
    outputs: &[f64],
    tolerance: f64,
    exponents: &ExponentChoice,
) -> Result<Vec<f64>> {
    if outputs.first() != Some(&0.0) || outputs.windows(2).any(|w| w[1] <= w[0]) {
        return Err(Error::invalid(
            "output times",
            "must start at 0 and increase",
        ));
    }
    let mut fine = vec![0.0];
    for w in outputs.windows(2) {
        let h = (w[1] - w[0]) / REFINEMENT as f64;
        fine.extend((1..=REFINEMENT).map(|j| {
            if j == REFINEMENT {
                w[1]
            } else {
                w[0] + j as f64 * h
            }
        }));
    }
    let (trajectory, _) = HartreeSystem::new(model).solve(u0, v0, &fine, tolerance)?;
    let integrand: Vec<f64> = trajectory
        .iter()
        .map(|p| constant_sum(model, &p.u, &p.v, exponents))
        .collect();
    let mut values = vec![0.0];
    let mut running = 0.0;
    for j in 1..fine.len() {
        running += 0.5 * (fine[j] - fine[j - 1]) * (integrand[j] + integrand[j - 1]);
        if j % REFINEMENT == 0 {
            values.push(running);
        }
    }
    Ok(values)
}

/// The right side of (5.5): (α(0) + 1/N) e^{κ f(t)}, N = N₁ + N₂. It overflows to +∞ for
/// κ f(t) beyond about 709; the natural logarithm is [`gronwall_log_bound`].
pub fn gronwall_bound(alpha_zero: f64, total_particles: usize, kappa: f64, f_t: f64) -> f64 {
    gronwall_log_bound(alpha_zero, total_particles, kappa, f_t).exp()
}

/// ln of the bound (5.5): ln(α(0) + 1/N) + κ f(t).
pub fn gronwall_log_bound(alpha_zero: f64, total_particles: usize, kappa: f64, f_t: f64) -> f64 {
    (alpha_zero + 1.0 / total_particles as f64).ln() + kappa * f_t
}
