//! Lanczos (Krylov) propagation with adaptive step size and an a-posteriori error bound.
//!
//! One step from t to t + τ builds the Krylov basis V_m = [v₁ … v_m] of (H, ψ), v₁ = ψ/β₀, and
//! the tridiagonal T_m with H V_m = V_m T_m + β_m v_{m+1} e_mᵀ. The approximation is
//! ψ̃(s) = β₀ V_m y(s), y(s) = e^{−isT_m} e₁, with e^{−isT_m} = Q e^{−isΛ} Qᵀ from the
//! symmetric eigendecomposition of T_m (faer).
//!
//! **Error bound** (the defect, or residual, estimate of Hochbruck–Lubich 1997 and Saad 1992).
//! ψ̃ solves i∂_s ψ̃ = Hψ̃ − β₀β_m y_m(s) v_{m+1} with ψ̃(0) = ψ, so by Duhamel and unitarity
//!
//!   ‖ψ̃(τ) − e^{−iτH}ψ‖ ≤ β₀ β_m ∫₀^τ |y_m(s)| ds,       y_m(s) = Σ_k Q_{mk} Q_{1k} e^{−iλ_k s}.
//!
//! The integral is evaluated on a fine grid (trapezoid rule, the grid resolving the fastest
//! frequency of T_m), which makes the bound cheap for every τ at once. The step τ is the
//! largest grid time with bound(s) ≤ tol · s / T for all s ≤ τ, so the per-step bounds add up to
//! at most `tol` over the whole run [0, T] (errors add because the exact propagator is
//! unitary). Output times inside a step are evaluated from the same basis. The relation above
//! holds without orthogonality of V_m, so the bound is not spoiled by the loss of orthogonality
//! of plain Lanczos in floating point.

use faer::Mat;

use super::{Event, Progress, PropagationStats, Propagator, Snapshot};
use crate::linalg::{
    linear_combination, norm, scale, symmetric_eigen, three_term_recurrence, LinearOperator,
};
use crate::{Error, Result, C64};

/// Accuracy and basis size of the Krylov propagator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KrylovSettings {
    tolerance: f64,
    krylov_dim: usize,
}

impl Default for KrylovSettings {
    /// Tolerance 1e-10 on ‖Ψ(T) − Ψ_exact(T)‖ over the whole run, Krylov dimension 30.
    fn default() -> Self {
        KrylovSettings {
            tolerance: 1e-10,
            krylov_dim: 30,
        }
    }
}

impl KrylovSettings {
    /// Validated settings: [`super::TOLERANCE_FLOOR`] ≤ tolerance < 1, 2 ≤ krylov_dim ≤ 500.
    pub fn new(tolerance: f64, krylov_dim: usize) -> Result<Self> {
        let tolerance = super::checked_tolerance(tolerance)?;
        if !(2..=500).contains(&krylov_dim) {
            return Err(Error::invalid(
                "--krylov-dim",
                format!("must lie in 2..=500, got {krylov_dim}"),
            ));
        }
        Ok(KrylovSettings {
            tolerance,
            krylov_dim,
        })
    }

    /// The tolerance on the state error over the whole run.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The Krylov dimension m.
    pub fn krylov_dim(&self) -> usize {
        self.krylov_dim
    }

    /// Bytes of the Krylov basis for a state of dimension `dim`.
    pub fn memory_bytes(&self, dim: usize) -> usize {
        (self.krylov_dim + 1) * dim * std::mem::size_of::<C64>()
    }
}

/// The Lanczos propagator.
#[derive(Clone, Debug, Default)]
pub struct Lanczos {
    settings: KrylovSettings,
}

impl Lanczos {
    /// A propagator with the given settings.
    pub fn new(settings: KrylovSettings) -> Self {
        Lanczos { settings }
    }

    /// The settings.
    pub fn settings(&self) -> &KrylovSettings {
        &self.settings
    }
}

/// What one Lanczos process leaves: T_m's spectral data and the residual weight β₀β_m.
struct KrylovStep {
    /// v_j = scales[j] · (stored vector j).
    scales: Vec<f64>,
    norm0: f64,
    residual: f64,
    eigenvalues: Vec<f64>,
    /// Q_{1k} (first row of the eigenvectors).
    first: Vec<f64>,
    /// Q_{1k} Q_{mk}.
    last: Vec<f64>,
    eigenvectors: Mat<f64>,
}

impl KrylovStep {
    /// Coefficients of ψ̃(s) = β₀ V_m y(s), y(s) = Q e^{−isΛ} Qᵀ e₁, on the stored vectors.
    fn coefficients(&self, s: f64) -> Vec<C64> {
        let m = self.eigenvalues.len();
        let phases: Vec<C64> = self
            .eigenvalues
            .iter()
            .zip(&self.first)
            .map(|(&l, &q)| C64::from_polar(q, -l * s))
            .collect();
        (0..m)
            .map(|i| {
                self.norm0
                    * self.scales[i]
                    * (0..m)
                        .map(|k| self.eigenvectors[(i, k)] * phases[k])
                        .sum::<C64>()
            })
            .collect()
    }

    /// The largest step τ ≤ `window` on the grid with β₀β_m ∫₀^s|y_m| ≤ rate·s for all s ≤ τ,
    /// and the bound at τ; `None` if even the first grid point fails.
    fn admissible_step(&self, window: f64, rate: f64) -> Option<(f64, f64)> {
        if self.residual == 0.0 {
            return Some((window, 0.0));
        }
        let spread = self.eigenvalues.last().unwrap() - self.eigenvalues[0];
        let points = ((window * spread * 8.0).ceil() as usize).clamp(64, 1 << 20);
        let h = window / points as f64;
        // Rotate e^{−iλ_k s} by e^{−iλ_k h} per grid point.
        let rotation: Vec<C64> = self
            .eigenvalues
            .iter()
            .map(|&l| C64::from_polar(1.0, -l * h))
            .collect();
        let mut terms: Vec<C64> = self.last.iter().map(|&w| C64::new(w, 0.0)).collect();
        let mut previous = terms.iter().sum::<C64>().norm();
        let mut integral = 0.0;
        let mut accepted: Option<(f64, f64)> = None;
        for i in 1..=points {
            if i % 256 == 0 {
                // Re-seed the rotation to keep round-off from accumulating.
                let s = i as f64 * h;
                for (t, (&w, &l)) in terms
                    .iter_mut()
                    .zip(self.last.iter().zip(&self.eigenvalues))
                {
                    *t = C64::from_polar(w, -l * s);
                }
            } else {
                terms.iter_mut().zip(&rotation).for_each(|(t, r)| *t *= r);
            }
            let current = terms.iter().sum::<C64>().norm();
            integral += 0.5 * h * (previous + current);
            previous = current;
            let s = i as f64 * h;
            let bound = self.residual * integral;
            if bound > rate * s {
                return accepted;
            }
            accepted = Some((s, bound));
        }
        accepted.map(|(_, bound)| (window, bound))
    }
}

impl Lanczos {
    /// Builds the Krylov basis of `state` into `basis` (reusing its allocations).
    fn krylov_step<O: LinearOperator>(
        &self,
        operator: &O,
        state: &[C64],
        basis: &mut Vec<Vec<C64>>,
        matvecs: &mut usize,
    ) -> Result<KrylovStep> {
        let dim = state.len();
        let m_max = self.settings.krylov_dim.min(dim);
        let norm0 = norm(state);
        while basis.len() < m_max + 1 {
            basis.push(crate::linalg::zeros(dim));
        }
        // The basis is stored unnormalised, v_j = scales[j] · basis[j], which saves the
        // normalisation pass; the recurrence is written for the stored vectors.
        basis[0].copy_from_slice(state);
        let mut scales: Vec<f64> = vec![1.0 / norm0];
        let mut alphas = Vec::with_capacity(m_max);
        let mut betas: Vec<f64> = Vec::with_capacity(m_max);
        let mut scale_estimate = 0.0f64;
        for j in 0..m_max {
            let (done, rest) = basis.split_at_mut(j + 1);
            let next = &mut rest[0];
            let s = scales[j];
            // α_j = ⟨v_j, H v_j⟩ = s_j² ⟨b_j, H b_j⟩.
            let alpha = s * s * operator.apply_and_dot(&done[j], next).re;
            *matvecs += 1;
            let previous_beta = if j > 0 { betas[j - 1] } else { 0.0 };
            // w = H v_j − α v_j − β_{j−1} v_{j−1} = s_j (H b_j − α b_j − β_{j−1} (s_{j−1}/s_j) b_{j−1}).
            let before = if j > 0 {
                Some((previous_beta * scales[j - 1] / s, done[j - 1].as_slice()))
            } else {
                None
            };
            let beta = s * three_term_recurrence(next, (alpha, &done[j]), before);
            if !(alpha.is_finite() && beta.is_finite()) {
                return Err(Error::Numerical(
                    "the Lanczos process produced a non-finite number (is the Hamiltonian finite?)"
                        .into(),
                ));
            }
            alphas.push(alpha);
            betas.push(beta);
            scale_estimate = scale_estimate.max(alpha.abs() + beta + previous_beta);
            if beta <= 1e-13 * scale_estimate.max(f64::MIN_POSITIVE) {
                // Happy breakdown: the Krylov space is invariant, the step is exact.
                *betas.last_mut().unwrap() = 0.0;
                break;
            }
            // v_{j+1} = w/β_j = (s_j/β_j) b_{j+1}; renormalise the stored vector if its scale
            // drifts far from 1.
            let mut next_scale = s / beta;
            if !(1e-100..1e100).contains(&next_scale) {
                scale(next, C64::new(next_scale, 0.0));
                next_scale = 1.0;
            }
            scales.push(next_scale);
        }
        let m = alphas.len();
        let tridiagonal = Mat::from_fn(m, m, |i, j| {
            if i == j {
                alphas[i]
            } else if i == j + 1 {
                betas[j]
            } else if j == i + 1 {
                betas[i]
            } else {
                0.0
            }
        });
        let (eigenvalues, eigenvectors) = symmetric_eigen(&tridiagonal)?;
        let first: Vec<f64> = (0..m).map(|k| eigenvectors[(0, k)]).collect();
        let last = (0..m)
            .map(|k| eigenvectors[(0, k)] * eigenvectors[(m - 1, k)])
            .collect();
        Ok(KrylovStep {
            scales: scales[..m].to_vec(),
            norm0,
            residual: norm0 * betas[m - 1],
            eigenvalues,
            first,
            last,
            eigenvectors,
        })
    }
}

impl Propagator for Lanczos {
    fn propagate_from<O, F>(
        &self,
        operator: &O,
        state: &mut [C64],
        times: &[f64],
        from: Progress,
        mut observe: F,
    ) -> Result<PropagationStats>
    where
        O: LinearOperator,
        F: FnMut(Event<'_>) -> Result<()>,
    {
        let (mut stats, end) = super::begin(operator, state, times, &from)?;
        let Some(end) = end else {
            return Ok(stats);
        };
        let rate = self.settings.tolerance / end.max(f64::MIN_POSITIVE);
        let slack = 1e-13 * end.max(1.0);
        let mut basis: Vec<Vec<C64>> = Vec::new();
        let mut scratch: Vec<C64> = Vec::new();
        let mut t = from.time;
        let mut next = from.next;
        while next < times.len() {
            if times[next] <= t + slack {
                observe(Event::Output(&Snapshot {
                    index: next,
                    time: times[next],
                    state,
                    stats,
                }))?;
                next += 1;
                continue;
            }
            if norm(state) == 0.0 {
                // e^{−iHt} 0 = 0 for every t.
                t = times[next];
                continue;
            }
            let step = self.krylov_step(operator, state, &mut basis, &mut stats.matvecs)?;
            let mut window = end - t;
            let (tau, bound) = loop {
                if let Some(found) = step.admissible_step(window, rate) {
                    break found;
                }
                window /= 8.0;
                if window < 1e-14 * end.max(1.0) {
                    return Err(Error::Numerical(format!(
                        "the Krylov step shrank below {window:e} at t = {t}: raise --krylov-dim or --tol"
                    )));
                }
            };
            let m = step.eigenvalues.len();
            let vectors: Vec<&[C64]> = basis[..m].iter().map(Vec::as_slice).collect();
            stats.steps += 1;
            let within = stats.error_estimate + bound;
            while next < times.len() && times[next] < t + tau - slack {
                scratch.resize(state.len(), C64::new(0.0, 0.0));
                linear_combination(&mut scratch, &step.coefficients(times[next] - t), &vectors);
                let snapshot_stats = PropagationStats {
                    error_estimate: within,
                    ..stats
                };
                observe(Event::Output(&Snapshot {
                    index: next,
                    time: times[next],
                    state: &scratch,
                    stats: snapshot_stats,
                }))?;
                next += 1;
            }
            linear_combination(state, &step.coefficients(tau), &vectors);
            stats.error_estimate = within;
            t += tau;
            observe(Event::Pause(
                &Progress {
                    time: t,
                    next,
                    stats,
                },
                state,
            ))?;
        }
        Ok(stats)
    }
}
