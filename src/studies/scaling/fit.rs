//! Fits of α^(1,1)(t) across particle numbers.
//!
//! * **Rate.** α ∝ N^{−γ}: least squares of ln α = ln C − γ ln N over the sizes, with the 95%
//!   confidence interval γ ± t_{0.975, n−2} · se(γ) from Student's t (statrs), where
//!   se(γ)² = s² / Σ(ln N_i − mean)², s² the residual variance with n − 2 degrees of freedom.
//!   Corollary 2.1 (2.21) predicts γ = 1 for initial data with α(0) = O(1/N).
//! * **Limit curve.** N α(t) → g(t): Richardson extrapolation in h = 1/N of g(N) = g∞ + a h + b h² + …,
//!   by Neville's scheme on all sizes; the error estimate is the difference between the
//!   extrapolations of the last two orders (all points, and all but the smallest N).

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::{Error, Result};

/// α ≈ C N^{−γ} with its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLawFit {
    /// The exponent γ.
    pub gamma: f64,
    /// Lower end of the 95% interval (absent with only two sizes).
    pub gamma_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub gamma_high: Option<f64>,
    /// The prefactor C.
    pub prefactor: f64,
}

/// The limit of N α(N) as N → ∞ and an estimate of its error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extrapolation {
    /// Extrapolated limit.
    pub limit: f64,
    /// |difference between the last two orders| + Σ |w_i| ε_i, the bound on the inputs' errors
    /// ε_i carried through the extrapolation's weights (absent with one size).
    pub error: Option<f64>,
}

/// Fits α ∝ N^{−γ}. Needs at least two distinct sizes and positive α's (refused otherwise, with
/// the reason: a log–log fit of α ≤ 0 has no meaning).
pub fn power_law_fit(sizes: &[f64], alphas: &[f64]) -> Result<PowerLawFit> {
    if sizes.len() != alphas.len() || sizes.len() < 2 {
        return Err(Error::invalid(
            "power-law fit",
            "needs at least two (N, alpha) pairs",
        ));
    }
    if let Some(bad) = sizes
        .iter()
        .zip(alphas)
        .find(|(n, a)| !(**n > 0.0 && **a > 0.0 && a.is_finite()))
    {
        return Err(Error::invalid(
            "power-law fit",
            format!(
                "needs N > 0 and alpha > 0, got N = {}, alpha = {}",
                bad.0, bad.1
            ),
        ));
    }
    let x: Vec<f64> = sizes.iter().map(|n| n.ln()).collect();
    let y: Vec<f64> = alphas.iter().map(|a| a.ln()).collect();
    let n = x.len() as f64;
    let (mean_x, mean_y) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|v| (v - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return Err(Error::invalid(
            "power-law fit",
            "needs at least two distinct sizes",
        ));
    }
    let sxy: f64 = x
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - mean_x) * (b - mean_y))
        .sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let (gamma_low, gamma_high) = if x.len() > 2 {
        let dof = n - 2.0;
        let residual: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (b - intercept - slope * a).powi(2))
            .sum::<f64>()
            / dof;
        let standard_error = (residual / sxx).sqrt();
        let t = StudentsT::new(0.0, 1.0, dof)
            .map_err(|e| Error::Numerical(format!("Student t with {dof} degrees of freedom: {e}")))?
            .inverse_cdf(0.975);
        (
            Some(-slope - t * standard_error),
            Some(-slope + t * standard_error),
        )
    } else {
        (None, None)
    };
    Ok(PowerLawFit {
        gamma: -slope,
        gamma_low,
        gamma_high,
        prefactor: intercept.exp(),
    })
}

/// Neville's extrapolation to h = 0 of values at h_i.
fn neville_at_zero(h: &[f64], values: &[f64]) -> f64 {
    let mut p = values.to_vec();
    let n = h.len();
    for level in 1..n {
        for i in 0..n - level {
            // Polynomial through points i..=i+level, evaluated at 0.
            p[i] = (h[i + level] * p[i] - h[i] * p[i + 1]) / (h[i + level] - h[i]);
        }
    }
    p[0]
}

/// Extrapolates g(N) = N α(N) to N → ∞ (Richardson in 1/N, Neville's scheme). Needs distinct
/// positive sizes. `errors` are bounds on the errors of the values (empty: exact values).
///
/// The extrapolated value is linear in the values, L = Σ w_i g_i with the Lagrange weights at
/// 0, w_i = Π_{j≠i} h_j/(h_j − h_i) (h = 1/N), so an error ε_i of g_i moves it by at most
/// Σ |w_i| ε_i. The weights grow quickly with the number of sizes, so this part is what keeps
/// the error honest when many sizes enter: the difference of the last two orders alone
/// measured the truncation only, and was 350 times smaller than the actual error on a
/// two-site study of eight sizes (N up to 2048).
pub fn richardson_limit(sizes: &[f64], values: &[f64], errors: &[f64]) -> Result<Extrapolation> {
    if !errors.is_empty() && errors.len() != values.len() {
        return Err(Error::invalid(
            "extrapolation",
            "needs one error per value, or none",
        ));
    }
    if sizes.len() != values.len() || sizes.is_empty() {
        return Err(Error::invalid(
            "extrapolation",
            "needs at least one (N, value) pair",
        ));
    }
    let error_of = |i: usize| errors.get(i).copied().unwrap_or(0.0);
    let mut points: Vec<(f64, f64, f64)> = (0..sizes.len())
        .map(|i| (sizes[i], values[i], error_of(i)))
        .collect();
    if points
        .iter()
        .any(|(n, v, e)| !(*n > 0.0 && v.is_finite() && *e >= 0.0 && e.is_finite()))
    {
        return Err(Error::invalid(
            "extrapolation",
            "needs N > 0 and finite values",
        ));
    }
    // Largest N first, so that dropping the last point drops the smallest N.
    points.sort_by(|a, b| b.0.total_cmp(&a.0));
    if points.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Error::invalid("extrapolation", "sizes must be distinct"));
    }
    let h: Vec<f64> = points.iter().map(|(n, _, _)| 1.0 / n).collect();
    let g: Vec<f64> = points.iter().map(|(_, v, _)| *v).collect();
    let limit = neville_at_zero(&h, &g);
    let propagated: f64 = (0..h.len())
        .map(|i| {
            let weight: f64 = (0..h.len())
                .filter(|&j| j != i)
                .map(|j| h[j] / (h[j] - h[i]))
                .product();
            weight.abs() * points[i].2
        })
        .sum();
    let error = (g.len() > 1).then(|| {
        (limit - neville_at_zero(&h[..h.len() - 1], &g[..g.len() - 1])).abs() + propagated
    });
    Ok(Extrapolation { limit, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_power_law_is_recovered_with_a_vanishing_interval() {
        let sizes = [10.0, 20.0, 40.0, 80.0];
        let alphas: Vec<f64> = sizes.iter().map(|n: &f64| 3.0 * n.powf(-1.0)).collect();
        let fit = power_law_fit(&sizes, &alphas).unwrap();
        assert!((fit.gamma - 1.0).abs() < 1e-12 && (fit.prefactor - 3.0).abs() < 1e-10);
        assert!(fit.gamma_high.unwrap() - fit.gamma_low.unwrap() < 1e-10);
    }

    #[test]
    fn the_interval_matches_a_hand_computation() {
        // ln α = −γ ln N + noise ±0.01 alternating: with three points, dof = 1, t = 12.706.
        let sizes = [10.0f64, 20.0, 40.0];
        let noise = [0.01, -0.02, 0.01];
        let alphas: Vec<f64> = sizes
            .iter()
            .zip(noise)
            .map(|(n, e)| (-(n.ln()) + e).exp())
            .collect();
        let fit = power_law_fit(&sizes, &alphas).unwrap();
        // Residuals are the noise itself (it has zero mean and zero covariance with ln N here):
        // s² = Σe²/1 = 6e-4, Σ(ln N − mean)² = 2 ln²2, se = sqrt(6e-4 / (2 ln²2)).
        let se = (6e-4 / (2.0 * 2f64.ln().powi(2))).sqrt();
        assert!((fit.gamma - 1.0).abs() < 1e-12);
        assert!((fit.gamma_high.unwrap() - 1.0 - 12.706204736 * se).abs() < 1e-6);
        assert!(power_law_fit(&[10.0, 20.0], &[0.1, 0.05])
            .unwrap()
            .gamma_low
            .is_none());
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(power_law_fit(&[10.0], &[0.1]).is_err());
        assert!(power_law_fit(&[10.0, 20.0], &[0.1, -0.05]).is_err());
        assert!(power_law_fit(&[10.0, 10.0], &[0.1, 0.05]).is_err());
        assert!(richardson_limit(&[10.0, 10.0], &[1.0, 1.0], &[]).is_err());
        assert!(richardson_limit(&[10.0, 20.0], &[1.0, 1.0], &[0.1]).is_err());
        assert!(richardson_limit(&[10.0, 20.0], &[1.0, 1.0], &[0.1, -0.1]).is_err());
    }

    #[test]
    fn richardson_is_exact_on_a_polynomial_in_one_over_n() {
        let g = |n: f64| 2.0 + 3.0 / n - 5.0 / (n * n);
        let sizes = [10.0, 20.0, 40.0];
        let values: Vec<f64> = sizes.iter().map(|&n| g(n)).collect();
        let result = richardson_limit(&sizes, &values, &[]).unwrap();
        assert!((result.limit - 2.0).abs() < 1e-12, "{}", result.limit);
        // Two points (linear in 1/N) miss the 1/N² term: the estimate shows it.
        let two = richardson_limit(&sizes[1..], &values[1..], &[]).unwrap();
        // The line through two points of 2 + 3h − 5h² meets h = 0 at 2 + 5 h₁h₂.
        let expected_two = 2.0 + 5.0 / (20.0 * 40.0);
        assert!((two.limit - expected_two).abs() < 1e-12);
        assert!((result.error.unwrap() - (result.limit - two.limit).abs()).abs() < 1e-12);
    }

    #[test]
    fn input_errors_are_carried_to_the_worst_case() {
        // The largest shift of the limit over every sign pattern of perturbations ±ε_i, each
        // extrapolated again, is the propagated part of the error.
        let sizes = [16.0, 32.0, 64.0, 128.0, 256.0];
        let values: Vec<f64> = sizes.iter().map(|&n: &f64| 0.3 + 0.7 / n).collect();
        let errors = [1e-9, 3e-9, 1e-8, 2e-8, 5e-8];
        let exact = richardson_limit(&sizes, &values, &[]).unwrap();
        let with_errors = richardson_limit(&sizes, &values, &errors).unwrap();
        let mut worst: f64 = 0.0;
        for pattern in 0..(1u32 << sizes.len()) {
            let shifted: Vec<f64> = (0..sizes.len())
                .map(|i| {
                    let sign = if pattern >> i & 1 == 1 { 1.0 } else { -1.0 };
                    values[i] + sign * errors[i]
                })
                .collect();
            let limit = richardson_limit(&sizes, &shifted, &[]).unwrap().limit;
            worst = worst.max((limit - exact.limit).abs());
        }
        let propagated = with_errors.error.unwrap() - exact.error.unwrap();
        assert!(
            (propagated - worst).abs() <= 1e-9 * worst,
            "{propagated} against {worst}"
        );
        // Five sizes amplify: the limit can move by far more than any single input error.
        assert!(worst > 4.0 * 5e-8, "{worst}");
    }
}
