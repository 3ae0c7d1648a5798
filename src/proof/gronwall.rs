//! Theorem 2.1 along a run: f(t) = ∫₀ᵗ g(τ) dτ with g = A₁ + A₂ + A^u + A^v of (2.19) along the
//! Hartree solution, and the Grönwall bound (5.5) α^(1,1)(t) ≤ (α^(1,1)(0) + 1/(N₁+N₂)) e^{κ f(t)}.
//!
//! **An upper bound on f, not an estimate.** The trapezoid rule alone can fall below the
//! integral (where g is concave), and then e^{κ f} would not be a bound. So f is integrated with
//! a rule whose error is bounded from the Lipschitz constant L of g: on a sub-interval of width h
//! with end values g₀, g₁, a function with |g′| ≤ L lies below the tent min(g₀ + Lτ, g₁ + L(h − τ)),
//! whose integral is h(g₀ + g₁)/2 + (L²h² − (g₁ − g₀)²)/(4L). The sum of these is an upper bound on
//! f (up to the Hartree solution's own error, set by `--hartree-tol`).
//!
//! **L.** With ‖φ‖_p ≤ ‖φ‖₂ for p ≥ 2 (counting measure) and r̂, ŝ ≥ 2,
//! |d/dt (‖φ‖_r̂ + ‖φ‖_ŝ)| ≤ 2‖∂_tφ‖₂; by (2.10) ‖∂_t u‖₂ ≤ D_u = ‖h₁‖ + max|V₁| + c₂ max|V₁₂|
//! (‖V*|u|²‖_∞ ≤ max|V| as ‖u‖₂ = 1; ‖h₁‖ bounded by its largest absolute row sum), D_v likewise.
//! So L = 2‖V₁‖D_u + 2‖V₂‖D_v + 2‖V₁₂‖(D_u + D_v) with each ‖V‖ the largest ‖V‖_{L^r+L^s} over
//! the exponents the choice can pick (the integrand is then a minimum of functions each
//! L-Lipschitz). Each output interval H is cut into n ≥ L·H/(4·[`RELATIVE_EXCESS`]·min g) pieces
//! (at most [`MAX_PIECES`]), which keeps the added excess below that fraction of the integral.

use crate::hartree::HartreeSystem;
use crate::model::Model;
use crate::one_body::PairPotential;
use crate::proof::norms::sum_space_norm;
use crate::proof::snapshot::{ExponentChoice, MeanFieldConstants};
use crate::{Error, Result, C64};

/// The excess of the upper rule over the integral that the piece count aims at, relative to
/// the integral over each output interval.
pub const RELATIVE_EXCESS: f64 = 1e-4;

/// The most pieces an output interval is cut into (the bound holds at any count).
pub const MAX_PIECES: usize = 20_000;

/// The fewest pieces per output interval.
pub const MIN_PIECES: usize = 20;

/// A Lipschitz constant of g(t) = A₁ + A₂ + A^u + A^v along any solution of (2.10) (module docs).
pub fn integrand_lipschitz(model: &Model, exponents: &ExponentChoice) -> f64 {
    let largest_norm = |potential: &PairPotential, index: usize| {
        exponents
            .candidates(index)
            .into_iter()
            .map(|e| sum_space_norm(potential, e))
            .fold(0.0, f64::max)
    };
    let max_abs = |p: &PairPotential| {
        (0..p.sites())
            .flat_map(|x| p.row(x).iter().map(|v| v.abs()))
            .fold(0.0, f64::max)
    };
    let operator_norm = |species: &crate::model::Species| {
        let h = species.hamiltonian.matrix();
        (0..h.nrows())
            .map(|r| (0..h.ncols()).map(|c| h[(r, c)].norm()).sum::<f64>())
            .fold(0.0, f64::max)
    };
    let (a, b, v12) = (
        model.species_a(),
        model.species_b(),
        model.inter_potential(),
    );
    let d_u = operator_norm(a) + max_abs(&a.potential) + model.c2() * max_abs(v12);
    let d_v = operator_norm(b) + max_abs(&b.potential) + model.c1() * max_abs(v12);
    2.0 * largest_norm(&a.potential, 0) * d_u
        + 2.0 * largest_norm(&b.potential, 1) * d_v
        + 2.0 * largest_norm(v12, 2) * (d_u + d_v)
}

/// Upper bounds on f(t_k) of (2.19) at the (increasing, starting at 0) times `outputs`, the
/// integrand A₁ + A₂ + A^u + A^v evaluated on the Hartree solution from (u₀, v₀) with the
/// exponents `exponents` (module docs: the tent rule with its excess bounded by L).
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
    let hartree = HartreeSystem::new(model);
    let constants = MeanFieldConstants::new(model, exponents);
    let integrand = |trajectory: &[crate::hartree::HartreeState]| -> Vec<f64> {
        trajectory
            .iter()
            .map(|p| constants.sum(&p.u, &p.v))
            .collect()
    };
    let lipschitz = integrand_lipschitz(model, exponents);
    // The integrand at the output times sets the piece counts.
    let (coarse, _) = hartree.solve(u0, v0, outputs, tolerance)?;
    let coarse = integrand(&coarse);
    let pieces: Vec<usize> = outputs
        .windows(2)
        .zip(coarse.windows(2))
        .map(|(t, g)| {
            let scale = g[0].min(g[1]);
            let wanted = lipschitz * (t[1] - t[0]) / (4.0 * RELATIVE_EXCESS * scale);
            if wanted.is_finite() {
                (wanted.ceil() as usize).clamp(MIN_PIECES, MAX_PIECES)
            } else {
                MAX_PIECES
            }
        })
        .collect();
    let mut fine = vec![0.0];
    for (w, &n) in outputs.windows(2).zip(&pieces) {
        let h = (w[1] - w[0]) / n as f64;
        fine.extend((1..=n).map(|j| if j == n { w[1] } else { w[0] + j as f64 * h }));
    }
    let (trajectory, _) = hartree.solve(u0, v0, &fine, tolerance)?;
    let g = integrand(&trajectory);
    let mut values = vec![0.0];
    let mut running = 0.0;
    let mut index = 0;
    for &n in &pieces {
        for _ in 0..n {
            let (h, g0, g1) = (fine[index + 1] - fine[index], g[index], g[index + 1]);
            let jump = g1 - g0;
            if jump.abs() > lipschitz * h * (1.0 + 1e-9) + 1e-12 {
                return Err(Error::Numerical(format!(
                    "the mean-field constants changed by {jump:e} over dt = {h:e}, beyond their Lipschitz bound {lipschitz:e}"
                )));
            }
            let excess = if lipschitz > 0.0 {
                ((lipschitz * h).powi(2) - jump * jump).max(0.0) / (4.0 * lipschitz)
            } else {
                0.0
            };
            running += 0.5 * h * (g0 + g1) + excess;
            index += 1;
        }
        values.push(running);
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

/// Whether Theorem 2.1's proof covers the model: Proposition 5.1 needs N₁, N₂ ≥ 2 (its pair
/// bounds divide by N_j − 1). With a species of one particle the Grönwall bound is not a
/// consequence of the proof and is not reported.
pub fn proof_covers(model: &Model) -> bool {
    model.species_a().particles >= 2 && model.species_b().particles >= 2
}
