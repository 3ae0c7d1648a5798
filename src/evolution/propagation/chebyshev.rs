//! Chebyshev propagation with a proven spectral interval and a bounded truncation error, in
//! three state-sized vectors (four with paired outputs).
//!
//! If spec(H) ⊂ [E₋, E₊], write H = c + r H̃ with c = (E₊ + E₋)/2, r = (E₊ − E₋)/2, so that
//! spec(H̃) ⊂ [−1, 1]. The Jacobi–Anger expansion gives, for a step τ and z = τ r,
//!
//!   e^{−iτH} ψ = e^{−iτc} Σ_{k≥0} (2 − δ_{k0}) (−i)^k J_k(z) T_k(H̃) ψ,
//!
//! with T_k the Chebyshev polynomials, T_{k+1}(H̃)ψ = 2H̃ T_k(H̃)ψ − T_{k−1}(H̃)ψ. Since
//! ‖T_k(H̃)‖ ≤ 1 on [−1, 1] and |J_k(z)| ≤ (z/2)^k/k! for real z ≥ 0, truncating after K terms
//! leaves an error of at most
//!
//!   2‖ψ‖ Σ_{k>K} (z/2)^k/k! ≤ 2‖ψ‖ (z/2)^{K+1}/(K+1)! · 1/(1 − z/(2(K+2)))   (z < 2(K+2)),
//!
//! This bound is far above the true tail once z is large (it needs K ≈ e z/2 where the series
//! has converged at K ≈ z + O(z^{1/3})), so it is used only for the far tail: with K_far the
//! order where it falls under half the budget, the terms K < k ≤ K_far are bounded by their
//! computed |J_k(z)| (Miller's algorithm, accurate to a few ulps relative), and the order K is
//! the smallest with 2 Σ_{K<k≤K_far} |J_k(z)| + far tail ≤ tol · τ/T. The per-step bounds add
//! up to at most `tol` over [0, T] (the exact propagator is unitary), as for Lanczos. The
//! interval [E₋, E₊] must contain the spectrum — it is a bound proven from the operator's parts
//! ([`crate::linalg::LinearOperator::spectral_bounds`]), not an estimate — otherwise ‖T_k(H̃)‖
//! grows and the bound is void. The steps end on the output times, so every output is a sum of
//! the series itself; an interval longer than z = 400 is cut into equal steps, which costs a
//! few matvecs and gives the run a pause (a point to checkpoint) every few hundred matvecs.
//!
//! Memory: the state, one Chebyshev vector and the accumulated sum. T_{k+1} overwrites T_{k−1}
//! in the same pass that applies H to T_k ([`crate::linalg::LinearOperator::apply_update`]),
//! and every third pass adds three terms to the sum, c_{k−1} T_{k−1} (the vector it
//! overwrites), c_k T_k (its input) and c_{k+1} T_{k+1} (its output), so each order costs one
//! streaming pass and the sum is touched in a third of them.
//!
//! Paired outputs ([`Chebyshev::with_paired_outputs`]): the vectors T_k(H̃)ψ do not depend on
//! τ, so one series from Ψ(t₀) gives both Ψ(t₁) and Ψ(t₂) = e^{−i(t₂−t₀)H}Ψ(t₀), each with its
//! own coefficients, order and bound: Ψ(t₁) = e^{−iτ₁c} Σ_{k≤K₁} c_k(τ₁) T_k ψ goes into a
//! second sum (three terms every third pass, in the passes that make them, as the first) and is
//! handed out when its K₁ terms are in; the series goes on to K₂ for Ψ(t₂). The budgets are
//! tol·τ₁/T and tol·τ₂/T, so the bounds still add up to at most `tol` at every output. For
//! short steps the margin of the order above z dominates it (K = 25 at z = 6, K = 35 at z = 12
//! with tolerance 1e-12), and a pair costs about 0.7 of its two steps; for long steps the gain
//! is smaller (K = 123 at z = 85, 217 at z = 170: 0.88 of the matvecs), and where the second
//! sum would eat it (coarse tolerances, small margins) the planner leaves the outputs single
//! ([`Chebyshev::pairing_pays`]). A pair pauses once, after its second output.

use statrs::function::gamma::ln_gamma;

use super::{Event, Progress, PropagationStats, Propagator, Snapshot};
use crate::linalg::{norm, scale, scale_into, zeros, Accumulate, LinearOperator, Update};
use crate::{Error, Result, C64};

/// The Chebyshev propagator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chebyshev {
    tolerance: f64,
    paired: bool,
}

impl Chebyshev {
    /// A propagator with the given tolerance on ‖Ψ(T) − Ψ_exact(T)‖ over the whole run,
    /// [`super::TOLERANCE_FLOOR`] ≤ tolerance < 1.
    pub fn new(tolerance: f64) -> Result<Self> {
        Ok(Chebyshev {
            tolerance: super::checked_tolerance(tolerance)?,
            paired: false,
        })
    }

    /// With `true`, two consecutive output intervals [t₀, t₁], [t₁, t₂] whose union is short
    /// enough for one step (z = (t₂ − t₀) r ≤ 400) are taken as one series from Ψ(t₀): its
    /// vectors T_k(H̃)Ψ(t₀) serve both outputs, Ψ(t₁) summed with the coefficients of τ₁ = t₁ − t₀
    /// into a second sum (module doc). For a short step most of a series' order is its margin
    /// above z (order 25 at z = 6 and tolerance 1e-12 on the default model at N = 14, 35 for
    /// the pair at z = 12), so a pair costs far fewer H applications than its two steps, at the
    /// price of one more state-sized vector. The vector is held for the whole run.
    pub fn with_paired_outputs(mut self, paired: bool) -> Self {
        self.paired = paired;
        self
    }

    /// Whether outputs are paired ([`Chebyshev::with_paired_outputs`]).
    pub fn paired_outputs(&self) -> bool {
        self.paired
    }

    /// The tolerance.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// State-sized vectors held besides the state: one Chebyshev vector and the sum, and the
    /// second sum of paired outputs when they are paired and the run has two outputs or more.
    pub fn work_vectors(&self, outputs: usize) -> usize {
        2 + usize::from(self.paired && outputs >= 2)
    }

    /// The number of H applications for a step of length τ on an operator whose spectrum lies
    /// in an interval of half-width r, when the step may lose at most `budget` (relative to ‖ψ‖).
    pub fn order(tau: f64, half_width: f64, budget: f64) -> usize {
        truncation(tau * half_width, budget).0
    }

    /// The H applications of a whole run through `times` on an operator with spectrum in an
    /// interval of half-width r (what the planner compares with Lanczos).
    pub fn planned_matvecs(&self, times: &[f64], half_width: f64) -> usize {
        self.planned_work(times, half_width).0
    }

    /// Whether pairing outputs ([`Chebyshev::with_paired_outputs`]) makes a run through `times`
    /// cheaper with half-width r: fewer H applications, counting each term added to the second
    /// sum as 0.15 of one (the measured cost of the passes that add it, a little rounded up).
    pub fn pairing_pays(&self, times: &[f64], half_width: f64) -> bool {
        let cost = |paired: bool| {
            let (matvecs, terms) = self
                .with_paired_outputs(paired)
                .planned_work(times, half_width);
            matvecs as f64 + SECOND_SUM_TERM_COST * terms as f64
        };
        cost(true) < cost(false)
    }

    /// The H applications of a run and the terms its paired outputs add to the second sum.
    fn planned_work(&self, times: &[f64], half_width: f64) -> (usize, usize) {
        let end = times.last().copied().unwrap_or(0.0);
        let argument = end * half_width;
        if argument.is_nan() || argument > MAX_RUN_ARGUMENT {
            return (usize::MAX, 0);
        }
        let (mut total, mut second_sum) = (0usize, 0usize);
        let mut index = 0;
        while index < times.len() {
            let start = if index == 0 { 0.0 } else { times[index - 1] };
            let stop = times[index];
            if self.pairs(times, index, half_width) {
                let next = times[index + 1];
                let order = |tau: f64| truncation(tau * half_width, self.tolerance * tau / end).0;
                total = total.saturating_add(order(next - start));
                second_sum += order(stop - start);
                index += 2;
                continue;
            }
            // Equal steps: one order for all of them.
            let steps = steps_in(start, stop, half_width);
            let tau = (stop - start) / steps as f64;
            if tau > 0.0 {
                let order = truncation(tau * half_width, self.tolerance * tau / end).0;
                total = steps.saturating_mul(order).saturating_add(total);
            }
            index += 1;
        }
        (total, second_sum)
    }

    /// Whether output `index` is summed in one series with the next (both of positive length,
    /// the two together one step: z ≤ [`MAX_ARGUMENT`]). The pairs are taken in order from the
    /// first output, so a run resumed after a pair pairs the rest as the run that paused.
    fn pairs(&self, times: &[f64], index: usize, half_width: f64) -> bool {
        if !self.paired || index + 1 >= times.len() {
            return false;
        }
        let start = if index == 0 { 0.0 } else { times[index - 1] };
        let (stop, next) = (times[index], times[index + 1]);
        let end = times[times.len() - 1];
        let order = |tau: f64| truncation(tau * half_width, self.tolerance * tau / end).0;
        stop > start
            && next > stop
            && (next - start) * half_width <= MAX_ARGUMENT
            && order(stop - start) <= order(next - start)
    }
}

/// The cost of adding one term to the second sum of paired outputs, in H applications: the
/// terms go three at a time in the passes that make them, which then read and write the sum
/// besides (32 bytes per entry, against the pass's Ψ read and y read and written, and H's
/// hops). Measured: 0.13 on the default model at N₁ = N₂ = 24 (whole runs, 6 outputs to
/// T = 3, paired and not, alternated); taken a little above, so that a pair is formed only
/// where it clearly pays.
const SECOND_SUM_TERM_COST: f64 = 0.15;

/// The terms a pass adds to the sum, at most: those in the vectors it reads (T_{k−2}, the y it
/// overwrites, and T_{k−1}, its input) and writes (T_k).
const TERMS_PER_SUM: usize = 3;

/// The largest z = τ r of one step.
const MAX_ARGUMENT: f64 = 400.0;

/// The largest r·T of a run (about that many H applications): beyond it a run is refused as
/// never ending, not started.
const MAX_RUN_ARGUMENT: f64 = 1e9;

/// Steps in the interval [start, stop]: enough that none has z above [`MAX_ARGUMENT`].
fn steps_in(start: f64, stop: f64, half_width: f64) -> usize {
    ((stop - start) * half_width / MAX_ARGUMENT).ceil().max(1.0) as usize
}

/// The end of step j of `steps` equal steps from `start` to `stop` (exactly `stop` for the last).
fn step_time(start: f64, stop: f64, j: usize, steps: usize) -> f64 {
    if j == steps {
        stop
    } else {
        start + (stop - start) * (j as f64 / steps as f64)
    }
}

/// The smallest K with 2 Σ_{k>K} (z/2)^k/k! ≤ budget (the crude bound of the module doc).
fn far_order(z: f64, budget: f64) -> usize {
    if z == 0.0 {
        return 0;
    }
    let log_budget = budget.max(f64::MIN_POSITIVE).ln();
    let half = z / 2.0;
    let mut order = 0usize;
    loop {
        let next = (order + 1) as f64;
        if half < order as f64 + 2.0 {
            let log_tail = std::f64::consts::LN_2 + next * half.ln()
                - ln_gamma(next + 1.0)
                - (1.0 - half / (order as f64 + 2.0)).ln();
            if log_tail <= log_budget {
                return order;
            }
        }
        order += 1;
    }
}

/// The order K of a step with argument z and the proven bound on its truncation error
/// (relative to ‖ψ‖), at most `budget`: the computed 2|J_k(z)| for K < k ≤ K_far and the crude
/// bound beyond (module doc).
fn truncation(z: f64, budget: f64) -> (usize, f64) {
    if z == 0.0 {
        return (0, 0.0);
    }
    let far = far_order(z, budget / 2.0);
    let bessel = bessel_j(far, z);
    // A relative allowance for the rounding of the computed J_k.
    let computed = |k: usize| 2.0 * bessel[k].abs() * (1.0 + 1e-12);
    let mut tail = tail_bound(z, far);
    let mut order = far;
    while order > 0 && tail + computed(order) <= budget {
        tail += computed(order);
        order -= 1;
    }
    (order, tail)
}

/// Below this argument [`bessel_j`] takes the first term of the power series.
const SMALL_ARGUMENT: f64 = 1e-8;

/// J_0(z), …, J_K(z) for real z ≥ 0, by Miller's backward recurrence
/// J_{k−1} = (2k/z) J_k − J_{k+1}, started far above both K and z and normalised by
/// J_0 + 2 Σ_{k≥1} J_{2k} = 1. For z < 10⁻⁸ (where the recurrence's factor 2k/z would overflow
/// as z → 0), J_k(z) = (z/2)^k/k! · (1 − (z/2)²/(k + 1) + …), whose first term is exact to a
/// relative 2.5·10⁻¹⁷, below the rounding of a double.
pub fn bessel_j(order: usize, z: f64) -> Vec<f64> {
    if z < SMALL_ARGUMENT {
        let mut values = vec![1.0; order + 1];
        for k in 1..=order {
            values[k] = values[k - 1] * (z / 2.0) / k as f64;
        }
        return values;
    }
    let start = order.max(z.ceil() as usize) + 40 + (10.0 * z.cbrt()).ceil() as usize;
    let start = start + start % 2;
    let mut values = vec![0.0; order + 1];
    let (mut above, mut current) = (0.0f64, 1e-300f64);
    let mut normalisation = 0.0;
    for k in (0..=start).rev() {
        if k <= order {
            values[k] = current;
        }
        if k == 0 {
            normalisation += current;
        } else if k % 2 == 0 {
            normalisation += 2.0 * current;
        }
        if k == 0 {
            break;
        }
        let below = 2.0 * k as f64 / z * current - above;
        above = current;
        current = below;
        if current.abs() > 1e250 {
            // Rescale everything computed so far.
            let s = 1e-250;
            current *= s;
            above *= s;
            normalisation *= s;
            values.iter_mut().for_each(|v| *v *= s);
        }
    }
    values.iter_mut().for_each(|v| *v /= normalisation);
    values
}

/// c_k = (2 − δ_k0)(−i)^k J_k(z) from J_0(z), …, J_K(z).
fn coefficient(bessel: &[f64], k: usize) -> C64 {
    let weight = if k == 0 { 1.0 } else { 2.0 } * bessel[k];
    match k % 4 {
        0 => C64::new(weight, 0.0),
        1 => C64::new(0.0, -weight),
        2 => C64::new(-weight, 0.0),
        _ => C64::new(0.0, weight),
    }
}

/// The earlier output of a paired step: its τ₁ < τ and the second sum.
type EarlyOutput<'a> = (f64, &'a mut [C64]);

/// What a step tells as it goes: the state e^{−iτ₁H}ψ of its earlier output when it is summed
/// (with the step's matvecs so far and its error bound), and each matvec done.
enum StepReport<'s> {
    Early {
        state: &'s [C64],
        matvecs: usize,
        error: f64,
    },
    Working {
        matvecs: usize,
    },
}

/// What takes a step's reports.
type Report<'a> = dyn FnMut(StepReport<'_>) -> Result<()> + 'a;

/// The series of an earlier output under way: τ₁, its order K₁ and bound, J_k(τ₁ r), the
/// second sum and its terms not yet added.
struct EarlySeries<'a> {
    tau: f64,
    order: usize,
    tail: f64,
    bessel: Vec<f64>,
    sum: &'a mut [C64],
    pending: Pending,
}

/// The terms of a sum of order K that the passes before left out: the weights of T_{k−2} and
/// T_{k−1} when the pass that makes T_k begins. That pass adds them, with c_k T_k, when K − k
/// is a multiple of three (so the last pass, k = K, always adds), and otherwise leaves c_k for
/// later: the sum is read and written every third pass.
#[derive(Default)]
struct Pending([Option<C64>; 2]);

impl Pending {
    /// What the pass that makes T_k (weight c) adds to `sum`, a series of order K, if anything.
    fn pass<'s>(
        &mut self,
        sum: &'s mut [C64],
        k: usize,
        order: usize,
        c: C64,
    ) -> Option<Accumulate<'s>> {
        if !(order - k).is_multiple_of(TERMS_PER_SUM) {
            self.0 = [self.0[1], Some(c)];
            return None;
        }
        let [previous, input] = std::mem::take(&mut self.0);
        Some(Accumulate {
            sum,
            previous,
            input,
            output: c,
        })
    }
}

impl EarlySeries<'_> {
    /// Hands out e^{−iτ₁c} times the second sum, now complete after `matvecs` H applications.
    fn finish(
        self,
        centre: f64,
        matvecs: usize,
        norm0: f64,
        report: &mut Report<'_>,
    ) -> Result<()> {
        scale(self.sum, C64::from_polar(1.0, -self.tau * centre));
        report(StepReport::Early {
            state: self.sum,
            matvecs,
            error: norm0 * self.tail,
        })
    }
}

impl Chebyshev {
    /// One step of length τ: `state` ← e^{−iτH} state through the truncated series, using
    /// `chebyshev` and `sum` as work vectors; `norm0` is ‖state‖. With an `early` output at
    /// τ₁ < τ, e^{−iτ₁H} state is summed from the same T_k into the second sum, in the same
    /// passes as the first (three terms every third pass, [`Pending`]), and handed out as soon
    /// as its K₁ terms are in, through `report`, which also hears of each matvec. Returns
    /// (matvecs, error bound, ‖state‖ after the step).
    #[allow(clippy::too_many_arguments)]
    fn step<O: LinearOperator>(
        &self,
        operator: &O,
        (centre, half_width): (f64, f64),
        tau: f64,
        end: f64,
        state: &mut [C64],
        chebyshev: &mut [C64],
        sum: &mut [C64],
        norm0: f64,
        early: Option<EarlyOutput<'_>>,
        report: &mut Report<'_>,
    ) -> Result<(usize, f64, f64)> {
        let z = tau * half_width;
        let (order, tail) = truncation(z, self.tolerance * tau / end);
        let bessel = bessel_j(order, z);
        let coefficient = |k: usize| coefficient(&bessel, k);
        let mut early = early.map(|(tau, sum)| {
            let z = tau * half_width;
            let (order, tail) = truncation(z, self.tolerance * tau / end);
            EarlySeries {
                tau,
                order,
                tail,
                bessel: bessel_j(order, z),
                sum,
                pending: Pending::default(),
            }
        });
        if let Some(series) = &mut early {
            // T_0 ψ = ψ, before the recurrence overwrites it.
            scale_into(series.sum, self::coefficient(&series.bessel, 0), state);
            if series.order == 0 {
                early
                    .take()
                    .expect("present")
                    .finish(centre, 0, norm0, report)?;
            }
        }
        scale_into(sum, coefficient(0), state);
        let mut matvecs = 0;
        if order >= 1 && half_width > 0.0 {
            // T_1 = H̃ψ into `chebyshev`; then alternate: T_{k+1} = 2H̃T_k − T_{k−1}
            // overwrites T_{k−1}, which lives in `state` or `chebyshev` in turn. Each sum takes
            // its terms three at a time in the passes that make them ([`Pending`]).
            let first = Update {
                operator: 1.0 / half_width,
                input: -centre / half_width,
                previous: 0.0,
            };
            let recurrence = Update {
                operator: 2.0 / half_width,
                input: -2.0 * centre / half_width,
                previous: -1.0,
            };
            let mut pending = Pending::default();
            for k in 1..=order {
                let mut accumulate: Vec<Accumulate<'_>> = pending
                    .pass(&mut *sum, k, order, coefficient(k))
                    .into_iter()
                    .collect();
                if let Some(series) = early.as_mut().filter(|series| k <= series.order) {
                    let c = self::coefficient(&series.bessel, k);
                    accumulate.extend(series.pending.pass(&mut *series.sum, k, series.order, c));
                }
                match k {
                    1 => operator.apply_update(state, chebyshev, first, accumulate),
                    _ if k % 2 == 0 => {
                        operator.apply_update(chebyshev, state, recurrence, accumulate)
                    }
                    _ => operator.apply_update(state, chebyshev, recurrence, accumulate),
                }
                report(StepReport::Working { matvecs: k })?;
                if early.as_ref().is_some_and(|series| series.order == k) {
                    early
                        .take()
                        .expect("present")
                        .finish(centre, k, norm0, report)?;
                }
            }
            matvecs = order;
        }
        assert!(
            early.is_none(),
            "the earlier output's order exceeds the step's"
        );
        scale_into(state, C64::from_polar(1.0, -tau * centre), sum);
        let norm1 = norm(state);
        if !norm1.is_finite() {
            return Err(Error::Numerical(
                "the Chebyshev series produced a non-finite number (is the Hamiltonian finite?)"
                    .into(),
            ));
        }
        Ok((matvecs, norm0 * tail, norm1))
    }
}

impl Propagator for Chebyshev {
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
        let (lower, upper) = operator.spectral_bounds().ok_or_else(|| {
            Error::invalid(
                "--propagator chebyshev",
                "needs proven spectral bounds of the operator",
            )
        })?;
        if !(lower.is_finite() && upper.is_finite() && lower <= upper) {
            return Err(Error::Numerical(format!(
                "the spectral bounds [{lower}, {upper}] of H are not a finite interval"
            )));
        }
        let interval = (0.5 * (upper + lower), 0.5 * (upper - lower));
        if end * interval.1 > MAX_RUN_ARGUMENT {
            return Err(Error::TooLarge(format!(
                "a Chebyshev run over r·T = {:e} (spectral half-width r = {:e}, T = {end}): \
                 about as many H applications; is the model's energy scale meant to be this large?",
                end * interval.1,
                interval.1
            )));
        }
        // What the run takes from t = 0, for progress displays ([`Event::Working`]).
        let planned = self.planned_matvecs(times, interval.1);
        let mut chebyshev = zeros(state.len());
        let mut sum = zeros(state.len());
        // Held for the whole run when outputs may pair (as the memory estimate counts it).
        let mut second_sum = (self.work_vectors(times.len()) > 2).then(|| zeros(state.len()));
        // ‖Ψ‖ at the start of each step (the end of the step before).
        let mut state_norm = norm(state);
        let mut index = from.next;
        while index < times.len() {
            let stop = times[index];
            let start = if index == 0 { 0.0 } else { times[index - 1] };
            // The output the steps below end on: this one, or the next when the two pair.
            let last = if self.pairs(times, index, interval.1) {
                // One series from Ψ(start) for this output and the next.
                let before = stats;
                let mut report = |report: StepReport<'_>| match report {
                    StepReport::Early {
                        state,
                        matvecs,
                        error,
                    } => observe(Event::Output(&Snapshot {
                        index,
                        time: stop,
                        state,
                        stats: before.after_step(matvecs, error),
                    })),
                    StepReport::Working { matvecs } => observe(Event::Working {
                        matvecs: before.matvecs + matvecs,
                        planned,
                    }),
                };
                let second_sum = second_sum.as_deref_mut().expect("held when outputs pair");
                let (matvecs, error, norm1) = self.step(
                    operator,
                    interval,
                    times[index + 1] - start,
                    end,
                    state,
                    &mut chebyshev,
                    &mut sum,
                    state_norm,
                    Some((stop - start, second_sum)),
                    &mut report,
                )?;
                state_norm = norm1;
                stats = stats.after_step(matvecs, error);
                index + 1
            } else {
                let steps = steps_in(start, stop, interval.1);
                // Resuming inside this interval: continue after the step that ended at from.time.
                let first = if index == from.next && from.time > start {
                    (1..steps)
                        .find(|&j| step_time(start, stop, j, steps) == from.time)
                        .ok_or_else(|| {
                            Error::invalid(
                                "resume point",
                                format!("t = {} is not the end of a Chebyshev step", from.time),
                            )
                        })?
                        + 1
                } else {
                    1
                };
                for j in first..=steps {
                    let (t0, t1) = (
                        step_time(start, stop, j - 1, steps),
                        step_time(start, stop, j, steps),
                    );
                    if t1 > t0 {
                        let before = stats.matvecs;
                        let mut report = |report: StepReport<'_>| match report {
                            StepReport::Working { matvecs } => observe(Event::Working {
                                matvecs: before + matvecs,
                                planned,
                            }),
                            StepReport::Early { .. } => Ok(()),
                        };
                        let (matvecs, error, norm1) = self.step(
                            operator,
                            interval,
                            t1 - t0,
                            end,
                            state,
                            &mut chebyshev,
                            &mut sum,
                            state_norm,
                            None,
                            &mut report,
                        )?;
                        state_norm = norm1;
                        stats = stats.after_step(matvecs, error);
                    }
                    if j < steps {
                        observe(Event::Pause(
                            &Progress {
                                time: t1,
                                next: index,
                                stats,
                            },
                            state,
                        ))?;
                    }
                }
                index
            };
            observe(Event::Output(&Snapshot {
                index: last,
                time: times[last],
                state,
                stats,
            }))?;
            observe(Event::Pause(
                &Progress {
                    time: times[last],
                    next: last + 1,
                    stats,
                },
                state,
            ))?;
            index = last + 1;
        }
        Ok(stats)
    }
}

/// 2 Σ_{k>K} (z/2)^k/k!, bounded as in the module doc (relative to ‖ψ‖).
fn tail_bound(z: f64, order: usize) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    let half = z / 2.0;
    let next = (order + 1) as f64;
    let ratio = half / (order as f64 + 2.0);
    if ratio >= 1.0 {
        return f64::INFINITY;
    }
    (std::f64::consts::LN_2 + next * half.ln() - ln_gamma(next + 1.0) - (1.0 - ratio).ln()).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_pays_for_short_steps_and_not_for_long_ones() {
        let times = |outputs: usize, end: f64| -> Vec<f64> {
            (1..=outputs)
                .map(|k| end * k as f64 / outputs as f64)
                .collect()
        };
        // The default model at N = 14 (r ≈ 60): 30 outputs to T = 3, z = 6 a step.
        let short = Chebyshev::new(1e-12).unwrap();
        assert!(short.pairing_pays(&times(30, 3.0), 59.78));
        let (single, paired) = (
            short.planned_matvecs(&times(30, 3.0), 59.78),
            short
                .with_paired_outputs(true)
                .planned_matvecs(&times(30, 3.0), 59.78),
        );
        // 30 series of τ = 0.1 against 15 of τ = 0.2, each with its share of the budget.
        let order = |tau: f64| Chebyshev::order(tau, 59.78, 1e-12 * tau / 3.0);
        assert_eq!((single, paired), (30 * order(0.1), 15 * order(0.2)));
        assert!(paired < single);
        // At N = 40 (r ≈ 171): 6 outputs to T = 3, z = 85 a step; the pair's order 217 against
        // 2 · 123 pays for the 123 terms of the second sum.
        let long = Chebyshev::new(1e-10).unwrap();
        assert!(long.pairing_pays(&times(6, 3.0), 170.81));
        // At a coarse tolerance the margin of the order above z is small: at z = 90.5 the pair
        // saves 5 of 2 · 111 H applications, not worth the 111 terms of the second sum.
        let coarse = Chebyshev::new(1e-4).unwrap();
        let orders = |tau: f64| Chebyshev::order(tau, 181.0, 1e-4 * tau / 3.0);
        assert!(orders(1.0) < 2 * orders(0.5));
        assert!(!coarse.pairing_pays(&times(6, 3.0), 181.0));
        // One output, or intervals too long to pair: nothing to pair, no second sum.
        assert!(!short.pairing_pays(&times(1, 3.0), 59.78));
        let paired = short.with_paired_outputs(true);
        assert_eq!(paired.work_vectors(1), 2);
        assert_eq!(paired.work_vectors(2), 3);
        assert_eq!(
            paired.planned_matvecs(&times(4, 1000.0), 1.0),
            short.planned_matvecs(&times(4, 1000.0), 1.0)
        );
    }

    #[test]
    fn bessel_values_against_tabulated_ones() {
        // Abramowitz & Stegun Table 9.1 and standard tables.
        let j = bessel_j(5, 1.0);
        assert!((j[0] - 0.765_197_686_557_966_6).abs() < 1e-15);
        assert!((j[1] - 0.440_050_585_744_933_5).abs() < 1e-15);
        let j = bessel_j(1, 10.0);
        assert!((j[0] + 0.245_935_764_451_348_3).abs() < 1e-15);
        assert!((j[1] - 0.043_472_746_168_861_44).abs() < 1e-15);
        let j = bessel_j(0, 100.0);
        assert!((j[0] - 0.019_985_850_304_223_12).abs() < 1e-14);
    }

    #[test]
    fn bessel_values_at_small_arguments_are_finite_and_follow_the_power_series() {
        // Two terms of the series, (z/2)^k/k! (1 − (z/2)²/(k + 1)), against the recurrence just
        // above the switch and against the first term below it, down to z where (z/2)^k
        // underflows.
        let series = |k: usize, z: f64| {
            let half: f64 = z / 2.0;
            let first = (1..=k).fold(1.0, |p, j| p * half / j as f64);
            first * (1.0 - half * half / (k as f64 + 1.0))
        };
        for z in [2e-8, 1e-6, 1e-5, 5e-9, 1e-30, 1e-200, 1e-300, 5e-324] {
            let j = bessel_j(4, z);
            for (k, &value) in j.iter().enumerate() {
                let expected = series(k, z);
                assert!(value.is_finite(), "z = {z:e}, k = {k}");
                let scale = expected.abs().max(f64::MIN_POSITIVE);
                assert!(
                    (value - expected).abs() <= 1e-15 * scale,
                    "z = {z:e}, k = {k}: {value:e} against {expected:e}"
                );
            }
        }
    }

    #[test]
    fn bessel_squares_sum_to_one() {
        // J_0² + 2 Σ J_k² = 1 (Neumann), independent of the normalisation J_0 + 2 Σ J_2k = 1.
        for z in [0.3, 7.0, 80.0, 600.0] {
            let j = bessel_j(z as usize + 200, z);
            let sum: f64 = j[0] * j[0] + 2.0 * j[1..].iter().map(|v| v * v).sum::<f64>();
            assert!((sum - 1.0).abs() < 1e-13, "z = {z}: {sum}");
        }
    }

    #[test]
    fn the_crude_order_meets_its_budget_and_is_minimal() {
        for (z, budget) in [(1.0, 1e-10), (50.0, 1e-12), (300.0, 1e-8)] {
            let k = far_order(z, budget);
            assert!(tail_bound(z, k) <= budget);
            assert!(k == 0 || tail_bound(z, k - 1) > budget);
            // The bound is above the true tail 2 Σ_{k>K} |J_k(z)|.
            let j = bessel_j(k + 100, z);
            let tail: f64 = 2.0 * j[k + 1..].iter().map(|v| v.abs()).sum::<f64>();
            assert!(tail <= tail_bound(z, k));
        }
    }

    #[test]
    fn the_order_bounds_the_true_tail_and_is_near_z() {
        for (z, budget) in [(0.5, 1e-13), (1.0, 1e-10), (50.0, 1e-12), (400.0, 1e-12)] {
            let (k, bound) = truncation(z, budget);
            assert!(bound <= budget);
            // The true tail 2 Σ_{k>K} |J_k(z)|, from an independent long recurrence.
            let j = bessel_j(k + 400, z);
            let tail: f64 = 2.0 * j[k + 1..].iter().map(|v| v.abs()).sum::<f64>();
            assert!(
                tail <= bound,
                "z = {z}: tail {tail:e} above the bound {bound:e}"
            );
            // One order less would not meet the budget: the order is the true one.
            let shorter: f64 = 2.0 * j[k..].iter().map(|v| v.abs()).sum::<f64>();
            assert!(
                k == 0 || shorter > budget * 0.5,
                "z = {z}, K = {k}: {shorter:e}"
            );
            // Far below the crude order e z/2 at large z.
            if z >= 50.0 {
                assert!((k as f64) < z + 6.0 * z.cbrt() + 30.0, "z = {z}: K = {k}");
            }
        }
    }
}
