//! The explicit Runge–Kutta method DOP853 of Dormand and Prince (order 8, with the embedded
//! 5th- and 3rd-order error estimators), with adaptive step size, for autonomous systems
//! y′ = f(y) in Cⁿ.
//!
//! ## Reference
//! E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
//! Springer (1993), §II.10 (the coefficients of DOP853 and its error estimator
//! err = h‖e₅‖² / √(‖e₅‖² + 0.01‖e₃‖²)).

use crate::{Error, Result, C64};

const STAGES: usize = 12;

/// Nodes c_i (the system is autonomous, so they only serve to check the tableau).
#[cfg(test)]
const C: [f64; STAGES] = [
    0.0,
    0.05260015195876773,
    0.0789002279381516,
    0.1183503419072274,
    0.2816496580927726,
    0.3333333333333333,
    0.25,
    0.3076923076923077,
    0.6512820512820513,
    0.6,
    0.8571428571428571,
    1.0,
];

/// Lower-triangular Runge–Kutta matrix, row i holds a_{i,0..i}.
const A: [[f64; STAGES]; STAGES] = [
    [0.0; STAGES],
    [
        0.05260015195876773,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.0197250569845379,
        0.0591751709536137,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.02958758547680685,
        0.0,
        0.08876275643042054,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.2413651341592667,
        0.0,
        -0.8845494793282861,
        0.924834003261792,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.037037037037037035,
        0.0,
        0.0,
        0.17082860872947386,
        0.12546768756682242,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.037109375,
        0.0,
        0.0,
        0.17025221101954405,
        0.06021653898045596,
        -0.017578125,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.03709200011850479,
        0.0,
        0.0,
        0.17038392571223998,
        0.10726203044637328,
        -0.015319437748624402,
        0.008273789163814023,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.6241109587160757,
        0.0,
        0.0,
        -3.3608926294469414,
        -0.868219346841726,
        27.59209969944671,
        20.154067550477894,
        -43.48988418106996,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        0.47766253643826434,
        0.0,
        0.0,
        -2.4881146199716677,
        -0.590290826836843,
        21.230051448181193,
        15.279233632882423,
        -33.28821096898486,
        -0.020331201708508627,
        0.0,
        0.0,
        0.0,
    ],
    [
        -0.9371424300859873,
        0.0,
        0.0,
        5.186372428844064,
        1.0914373489967295,
        -8.149787010746927,
        -18.52006565999696,
        22.739487099350505,
        2.4936055526796523,
        -3.0467644718982196,
        0.0,
        0.0,
    ],
    [
        2.273310147516538,
        0.0,
        0.0,
        -10.53449546673725,
        -2.0008720582248625,
        -17.9589318631188,
        27.94888452941996,
        -2.8589982771350235,
        -8.87285693353063,
        12.360567175794303,
        0.6433927460157636,
        0.0,
    ],
];

/// Weights of the 8th-order solution.
const B: [f64; STAGES] = [
    0.054293734116568765,
    0.0,
    0.0,
    0.0,
    0.0,
    4.450312892752409,
    1.8915178993145003,
    -5.801203960010585,
    0.3111643669578199,
    -0.1521609496625161,
    0.20136540080403034,
    0.04471061572777259,
];

/// Weights of the 3rd-order error estimator.
const E3: [f64; STAGES] = [
    -0.18980075407240762,
    0.0,
    0.0,
    0.0,
    0.0,
    4.450312892752409,
    1.8915178993145003,
    -5.801203960010585,
    -0.4226823213237919,
    -0.1521609496625161,
    0.20136540080403034,
    0.02265179219836082,
];

/// Weights of the 5th-order error estimator.
const E5: [f64; STAGES] = [
    0.01312004499419488,
    0.0,
    0.0,
    0.0,
    0.0,
    -1.2251564463762044,
    -0.4957589496572502,
    1.6643771824549864,
    -0.35032884874997366,
    0.3341791187130175,
    0.08192320648511571,
    -0.022355307863886294,
];

/// Work done by an integration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntegrationStats {
    /// Accepted steps.
    pub steps: usize,
    /// Rejected steps.
    pub rejected: usize,
    /// Evaluations of the right-hand side.
    pub evaluations: usize,
}

/// Adaptive DOP853 with a mixed error test |err_i| ≤ tol (1 + max(|y_i|, |y_new,i|)).
#[derive(Clone, Copy, Debug)]
pub struct Dop853 {
    tolerance: f64,
    max_steps: usize,
}

impl Dop853 {
    /// An integrator with relative and absolute tolerance `tolerance` (validated: 0 < tol < 1).
    pub fn new(tolerance: f64) -> Result<Self> {
        if !(tolerance > 0.0 && tolerance < 1.0) {
            return Err(Error::invalid(
                "--hartree-tol",
                format!("must lie in (0, 1), got {tolerance}"),
            ));
        }
        Ok(Dop853 {
            tolerance,
            max_steps: 10_000_000,
        })
    }

    /// Integrates y′ = f(y) from t = 0 through the non-decreasing `times`, calling `observe` at
    /// each; on return `y` holds y(times.last()).
    #[allow(clippy::needless_range_loop)] // stage sums index the tableau and the stages together
    pub fn integrate(
        &self,
        mut f: impl FnMut(&[C64], &mut [C64]),
        y: &mut [C64],
        times: &[f64],
        mut observe: impl FnMut(usize, f64, &[C64]) -> Result<()>,
    ) -> Result<IntegrationStats> {
        if times.iter().any(|t| !(t.is_finite() && *t >= 0.0))
            || times.windows(2).any(|w| w[1] < w[0])
        {
            return Err(Error::invalid(
                "output times",
                "must be finite, >= 0 and non-decreasing",
            ));
        }
        let n = y.len();
        let tol = self.tolerance;
        let zero = C64::new(0.0, 0.0);
        let mut stats = IntegrationStats::default();
        let mut k = vec![vec![zero; n]; STAGES];
        let mut stage = vec![zero; n];
        let mut y_new = vec![zero; n];
        let mut f_new = vec![zero; n];
        f(y, &mut k[0]);
        stats.evaluations += 1;
        let mut h = self.initial_step(&mut f, y, &k[0], &mut stats);
        // A run that would need far more steps than the limit at its first step size is refused
        // now rather than after the limit's worth of work (T = 1e300 would run for minutes).
        let last = times.last().copied().unwrap_or(0.0);
        if k[0].iter().any(|z| !z.is_finite()) || h.is_nan() || h <= 0.0 {
            return Err(Error::Numerical(
                "the right-hand side of the Hartree equations at t = 0 is too large for double \
                 precision: are the potentials and hoppings of a sensible size?"
                    .into(),
            ));
        }
        if last / h > 1e3 * self.max_steps as f64 {
            return Err(Error::invalid(
                "--t-max",
                format!(
                    "integrating the Hartree equations to t = {last:e} at a first step of {h:.1e} \
                     would take about {:.0e} steps, beyond the limit of {} (lower --t-max, or the \
                     strength of the potentials, which sets the step)",
                    last / h,
                    self.max_steps
                ),
            ));
        }
        let mut t = 0.0;
        for (index, &target) in times.iter().enumerate() {
            while target - t > 1e-14 * target.max(1.0) {
                if stats.steps + stats.rejected >= self.max_steps {
                    return Err(Error::Numerical(format!(
                        "Hartree integration took more than {} steps before t = {target}",
                        self.max_steps
                    )));
                }
                let step = h.min(target - t);
                for i in 1..STAGES {
                    for j in 0..n {
                        let mut acc = zero;
                        for (l, kl) in k.iter().enumerate().take(i) {
                            acc += A[i][l] * kl[j];
                        }
                        stage[j] = y[j] + step * acc;
                    }
                    let (_, later) = k.split_at_mut(i);
                    f(&stage, &mut later[0]);
                }
                stats.evaluations += STAGES - 1;
                let mut err5 = 0.0;
                let mut err3 = 0.0;
                for j in 0..n {
                    let mut increment = zero;
                    let mut e5 = zero;
                    let mut e3 = zero;
                    for l in 0..STAGES {
                        increment += B[l] * k[l][j];
                        e5 += E5[l] * k[l][j];
                        e3 += E3[l] * k[l][j];
                    }
                    y_new[j] = y[j] + step * increment;
                    let scale = tol * (1.0 + y[j].norm().max(y_new[j].norm()));
                    err5 += (e5 / scale).norm_sqr();
                    err3 += (e3 / scale).norm_sqr();
                }
                let error = if err5 == 0.0 && err3 == 0.0 {
                    0.0
                } else {
                    step * err5 / ((err5 + 0.01 * err3) * n as f64).sqrt()
                };
                if !error.is_finite() {
                    return Err(Error::Numerical(format!(
                        "Hartree integration produced a non-finite value near t = {t}"
                    )));
                }
                if error <= 1.0 {
                    t += step;
                    y.copy_from_slice(&y_new);
                    f(y, &mut f_new);
                    stats.evaluations += 1;
                    k[0].copy_from_slice(&f_new);
                    stats.steps += 1;
                    let factor = if error == 0.0 {
                        10.0
                    } else {
                        (0.9 * error.powf(-1.0 / 8.0)).min(10.0)
                    };
                    // A step clamped to an output time does not shrink the natural step.
                    h = (step * factor).max(if step < h { h } else { 0.0 });
                } else {
                    stats.rejected += 1;
                    h = step * (0.9 * error.powf(-1.0 / 8.0)).max(0.2);
                    if h < 1e-15 * t.max(1.0) {
                        return Err(Error::Numerical(format!(
                            "Hartree step size underflow at t = {t}"
                        )));
                    }
                }
            }
            t = target;
            observe(index, target, y)?;
        }
        Ok(stats)
    }

    /// Hairer's starting step: h₀ from the sizes of y and f, refined by one Euler step.
    fn initial_step(
        &self,
        f: &mut impl FnMut(&[C64], &mut [C64]),
        y: &[C64],
        f0: &[C64],
        stats: &mut IntegrationStats,
    ) -> f64 {
        let n = y.len() as f64;
        let scale: Vec<f64> = y
            .iter()
            .map(|z| self.tolerance * (1.0 + z.norm()))
            .collect();
        let rms = |v: &[C64]| {
            (v.iter()
                .zip(&scale)
                .map(|(z, s)| (z / s).norm_sqr())
                .sum::<f64>()
                / n)
                .sqrt()
        };
        let (d0, d1) = (rms(y), rms(f0));
        let h0 = if d0 < 1e-5 || d1 < 1e-5 {
            1e-6
        } else {
            0.01 * d0 / d1
        };
        let y1: Vec<C64> = y.iter().zip(f0).map(|(y, f)| y + h0 * f).collect();
        let mut f1 = vec![C64::new(0.0, 0.0); y.len()];
        f(&y1, &mut f1);
        stats.evaluations += 1;
        let diff: Vec<C64> = f1.iter().zip(f0).map(|(a, b)| a - b).collect();
        let d2 = rms(&diff) / h0;
        let h1 = if d1.max(d2) <= 1e-15 {
            (h0 * 1e-3).max(1e-6)
        } else {
            (0.01 / d1.max(d2)).powf(1.0 / 8.0)
        };
        (100.0 * h0).min(h1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_row_sums_of_the_matrix() {
        for i in 0..STAGES {
            let sum: f64 = A[i].iter().sum();
            assert!((sum - C[i]).abs() < 1e-13, "row {i}: {sum} vs {}", C[i]);
        }
        assert!((B.iter().sum::<f64>() - 1.0).abs() < 1e-13);
    }

    #[test]
    fn harmonic_oscillator_to_high_accuracy() {
        // y = (x, p) as complex entries, x' = p, p' = -x: rotation by t.
        let integrator = Dop853::new(1e-12).unwrap();
        let mut y = vec![C64::new(1.0, 0.0), C64::new(0.0, 0.0)];
        let times: Vec<f64> = (0..=10).map(|k| k as f64).collect();
        let stats = integrator
            .integrate(
                |y, dy| {
                    dy[0] = y[1];
                    dy[1] = -y[0];
                },
                &mut y,
                &times,
                |_, t, y| {
                    assert!((y[0].re - t.cos()).abs() < 1e-10, "t = {t}");
                    assert!((y[1].re + t.sin()).abs() < 1e-10, "t = {t}");
                    Ok(())
                },
            )
            .unwrap();
        assert!(stats.steps > 10);
    }

    #[test]
    fn eighth_order_convergence() {
        // y' = i y to t = 40: the steps come out nearly uniform, so the global error scales as
        // h^8 ∝ steps^-8. The order observed between two tolerances must be near 8 (a
        // lower-order method, or a wrong tableau entry, gives 5 or less).
        let run = |tol: f64| {
            let mut y = vec![C64::new(1.0, 0.0)];
            let stats = Dop853::new(tol)
                .unwrap()
                .integrate(
                    |y, dy| dy[0] = C64::i() * y[0],
                    &mut y,
                    &[40.0],
                    |_, _, _| Ok(()),
                )
                .unwrap();
            (
                (y[0] - C64::from_polar(1.0, 40.0)).norm(),
                stats.steps as f64,
            )
        };
        let ((coarse, steps_coarse), (fine, steps_fine)) = (run(1e-8), run(1e-12));
        let order = (coarse / fine).ln() / (steps_fine / steps_coarse).ln();
        eprintln!("observed order {order:.2} ({steps_coarse} and {steps_fine} steps)");
        assert!(
            (7.5..=10.0).contains(&order),
            "observed order {order:.2}: errors {coarse:e} in {steps_coarse} steps, {fine:e} in {steps_fine}"
        );
    }
}
