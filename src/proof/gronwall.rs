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

use crate::evolution::hartree::HartreeSystem;
use crate::model::one_body::PairPotential;
use crate::model::Model;
use crate::proof::norms::sum_space_norm;
use crate::proof::norms::ExponentChoice;
use crate::proof::snapshot::MeanFieldConstants;
use crate::{Error, Result, C64};

/// The excess of the upper rule over the integral that the piece count aims at, relative to
/// the integral over each output interval.
pub const RELATIVE_EXCESS: f64 = 1e-4;

/// The most pieces an output interval is cut into (the bound holds at any count).
pub const MAX_PIECES: usize = 20_000;

/// The fewest pieces per output interval (where the budget allows).
pub const MIN_PIECES: usize = 20;

/// The most pieces of a whole run: with many output times each interval gets fewer pieces
/// (at least one), so that the work stays bounded; the result is an upper bound all the same.
pub const TOTAL_PIECES: usize = 400_000;

/// Bounds [D_u, D_v] on ‖∂_t u‖₂ and ‖∂_t v‖₂ along any solution of (2.10):
/// D_u = ‖h₁‖ + max|V₁| + c₂ max|V₁₂| (‖V * |u|²‖_∞ ≤ max|V| as ‖u‖₂ = 1; ‖h₁‖ bounded by its
/// largest absolute row sum), D_v likewise.
pub fn hartree_speeds(model: &Model) -> [f64; 2] {
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
    [
        operator_norm(a) + max_abs(&a.potential) + model.c2() * max_abs(v12),
        operator_norm(b) + max_abs(&b.potential) + model.c1() * max_abs(v12),
    ]
}

/// A Lipschitz constant of g(t) = A₁ + A₂ + A^u + A^v along any solution of (2.10) (module docs).
pub fn integrand_lipschitz(model: &Model, exponents: &ExponentChoice) -> f64 {
    let largest_norm = |potential: &PairPotential, index: usize| {
        exponents
            .candidates(index)
            .into_iter()
            .map(|e| sum_space_norm(potential, e))
            .fold(0.0, f64::max)
    };
    let (a, b, v12) = (
        model.species_a(),
        model.species_b(),
        model.inter_potential(),
    );
    let [d_u, d_v] = hartree_speeds(model);
    2.0 * largest_norm(&a.potential, 0) * d_u
        + 2.0 * largest_norm(&b.potential, 1) * d_v
        + 2.0 * largest_norm(v12, 2) * (d_u + d_v)
}

/// Upper bounds on f(t_k) of (2.19) at the (non-decreasing, starting at 0) times `outputs`, the
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
    let constants = MeanFieldConstants::new(model, exponents);
    upper_integral(
        model,
        u0,
        v0,
        outputs,
        tolerance,
        |u, v| constants.sum(u, v),
        integrand_lipschitz(model, exponents),
    )
}

/// Upper bounds on ∫₀^{t_k} g(u_τ, v_τ) dτ at the (non-decreasing, starting at 0) times
/// `outputs`, for an integrand g with Lipschitz constant `lipschitz` in τ along the Hartree
/// solution from (u₀, v₀) (module docs: the tent rule).
pub fn upper_integral(
    model: &Model,
    u0: &[C64],
    v0: &[C64],
    outputs: &[f64],
    tolerance: f64,
    integrand: impl Fn(&[C64], &[C64]) -> f64,
    lipschitz: f64,
) -> Result<Vec<f64>> {
    if outputs.first() != Some(&0.0) || outputs.windows(2).any(|w| w[1] < w[0] || w[1].is_nan()) {
        return Err(Error::invalid(
            "output times",
            "must start at 0 and not decrease",
        ));
    }
    let hartree = HartreeSystem::new(model);
    // The integrand at the output times sets the piece counts.
    let mut coarse = Vec::with_capacity(outputs.len());
    hartree.solve_with(u0, v0, outputs, tolerance, |_, u, v| {
        coarse.push(integrand(u, v));
        Ok(())
    })?;
    let intervals = outputs.len() - 1;
    let most = (TOTAL_PIECES / intervals.max(1)).clamp(1, MAX_PIECES);
    let fewest = MIN_PIECES.min(most);
    let pieces: Vec<usize> = outputs
        .windows(2)
        .zip(coarse.windows(2))
        .map(|(t, g)| {
            if lipschitz == 0.0 {
                // A constant integrand: the trapezoid is exact.
                return 1;
            }
            if t[1] == t[0] {
                return 1;
            }
            let wanted = lipschitz * (t[1] - t[0]) / (4.0 * RELATIVE_EXCESS * g[0].min(g[1]));
            if wanted.is_finite() {
                (wanted.ceil() as usize).clamp(fewest, most)
            } else {
                most
            }
        })
        .collect();
    let mut fine = vec![0.0];
    for (w, &n) in outputs.windows(2).zip(&pieces) {
        let h = (w[1] - w[0]) / n as f64;
        fine.extend((1..=n).map(|j| if j == n { w[1] } else { w[0] + j as f64 * h }));
    }
    // The tent rule along the fine grid, the integrand evaluated as the solution passes (nothing
    // of the trajectory is kept).
    let mut values = vec![0.0];
    let (mut running, mut previous, mut index) = (0.0, None::<(f64, f64)>, 0usize);
    let mut boundaries = pieces.iter().scan(0, |end, n| {
        *end += n;
        Some(*end)
    });
    let mut next_output = boundaries.next();
    hartree.solve_with(u0, v0, &fine, tolerance, |time, u, v| {
        let g1 = integrand(u, v);
        if let Some((t0, g0)) = previous {
            let (h, jump) = (time - t0, g1 - g0);
            if jump.abs() > lipschitz * h * (1.0 + 1e-9) + 1e-12 {
                return Err(Error::Numerical(format!(
                    "the integrand of f(t) changed by {jump:e} over dt = {h:e}, beyond its Lipschitz bound {lipschitz:e}"
                )));
            }
            let excess = if lipschitz > 0.0 {
                ((lipschitz * h).powi(2) - jump * jump).max(0.0) / (4.0 * lipschitz)
            } else {
                0.0
            };
            running += 0.5 * h * (g0 + g1) + excess;
            index += 1;
            if Some(index) == next_output {
                values.push(running);
                next_output = boundaries.next();
            }
        }
        previous = Some((time, g1));
        Ok(())
    })?;
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
