//! Time propagation Ψ(t) = e^{−iHt} Ψ(0) of the many-body state (2.17).
//!
//! One contract, [`Propagator`], reports the state at requested output times together with the
//! work done and a bound on the error accumulated so far. Two implementations: [`Lanczos`], a
//! Krylov method with adaptive step size and an a-posteriori bound (m + 1 state-sized vectors),
//! and [`Chebyshev`], a polynomial expansion on a proven spectral interval with an a-priori
//! bound (three vectors in all, four when it pairs its outputs).

mod chebyshev;
mod lanczos;

pub use chebyshev::{bessel_j, Chebyshev};
pub use lanczos::{KrylovSettings, Lanczos};

use crate::linalg::LinearOperator;
use crate::{Error, Result, C64};

/// Which propagator a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PropagatorChoice {
    /// [`Lanczos`].
    Lanczos,
    /// [`Chebyshev`].
    Chebyshev,
    /// The cheaper of the two among those that fit in memory (decided by the run's planner).
    #[default]
    Auto,
}

impl std::str::FromStr for PropagatorChoice {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text.trim() {
            "lanczos" => Ok(PropagatorChoice::Lanczos),
            "chebyshev" => Ok(PropagatorChoice::Chebyshev),
            "auto" => Ok(PropagatorChoice::Auto),
            other => Err(Error::invalid(
                "--propagator",
                format!("'{other}' is not one of lanczos, chebyshev, auto"),
            )),
        }
    }
}

impl std::fmt::Display for PropagatorChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PropagatorChoice::Lanczos => "lanczos",
            PropagatorChoice::Chebyshev => "chebyshev",
            PropagatorChoice::Auto => "auto",
        })
    }
}

/// The smallest tolerance a run accepts on ‖Ψ(T) − Ψ_exact(T)‖. Both propagators bound the
/// error of their approximation in exact arithmetic; the rounding of the hundreds to thousands
/// of double-precision matvecs of a run is not in that bound. Asked for 1e-14 on a D = 400
/// model over t ∈ [0, 3], both ended about 1e-13 from the dense exponential (with a bound that
/// claimed 1e-14); at 1e-12 both stay within it.
pub const TOLERANCE_FLOOR: f64 = 1e-12;

/// A tolerance on the state error over the whole run: TOLERANCE_FLOOR ≤ tolerance < 1.
pub(crate) fn checked_tolerance(tolerance: f64) -> Result<f64> {
    if (TOLERANCE_FLOOR..1.0).contains(&tolerance) {
        Ok(tolerance)
    } else {
        Err(Error::invalid(
            "--tol",
            format!(
                "must lie in [{TOLERANCE_FLOOR:e}, 1) (below that, rounding in double precision \
                 outweighs the bounded truncation error), got {tolerance:e}"
            ),
        ))
    }
}

/// Output times must be finite, ≥ 0 and non-decreasing.
fn check_times(times: &[f64]) -> Result<()> {
    if times.iter().any(|t| !(t.is_finite() && *t >= 0.0)) || times.windows(2).any(|w| w[1] < w[0])
    {
        return Err(Error::invalid(
            "output times",
            "must be finite, >= 0 and non-decreasing",
        ));
    }
    Ok(())
}

/// Work done and accuracy reached so far by a propagation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PropagationStats {
    /// Applications of H.
    pub matvecs: usize,
    /// Krylov steps taken.
    pub steps: usize,
    /// Bound on ‖Ψ_computed(t) − Ψ_exact(t)‖ accumulated so far (sum of the per-step bounds;
    /// each holds up to round-off and quadrature error).
    pub error_estimate: f64,
}

impl PropagationStats {
    /// These figures after one more step of `matvecs` H applications with error bound `error`.
    pub(crate) fn after_step(self, matvecs: usize, error: f64) -> Self {
        PropagationStats {
            matvecs: self.matvecs + matvecs,
            steps: self.steps + 1,
            error_estimate: self.error_estimate + error,
        }
    }
}

/// The state at one output time.
#[derive(Debug)]
pub struct Snapshot<'a> {
    /// Index of the output time in the requested list.
    pub index: usize,
    /// The time t.
    pub time: f64,
    /// Ψ(t).
    pub state: &'a [C64],
    /// Work and error so far.
    pub stats: PropagationStats,
}

/// Where a propagation stands between two of its steps: the time reached, the index of the
/// first output time not yet handed out, and the work and error so far. With the state at
/// `time`, it is everything [`Propagator::propagate_from`] needs to continue to the same bits
/// as a run that never stopped (a checkpoint).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// The time t reached.
    pub time: f64,
    /// Index of the next output time to hand out.
    pub next: usize,
    /// Work and error so far.
    pub stats: PropagationStats,
}

/// What a propagation hands out.
#[derive(Debug)]
pub enum Event<'a> {
    /// The state at an output time.
    Output(&'a Snapshot<'a>),
    /// The end of a step: a point to continue from, with the state Ψ(progress.time).
    Pause(&'a Progress, &'a [C64]),
    /// Work under way inside a step: the matvecs of the run so far, of those planned (the
    /// Chebyshev propagator tells each one; for progress displays).
    Working {
        /// Matvecs so far.
        matvecs: usize,
        /// The run's matvecs as planned from t = 0 (for Chebyshev, what the run takes).
        planned: usize,
    },
}

/// Propagates a state under e^{−iHt} and hands out snapshots at the requested times.
pub trait Propagator {
    /// Evolves `state` from t = 0 through the non-decreasing `times` (≥ 0), calling `observe`
    /// at each of them; on return `state` holds Ψ(times.last()).
    fn propagate<O, F>(
        &self,
        operator: &O,
        state: &mut [C64],
        times: &[f64],
        mut observe: F,
    ) -> Result<PropagationStats>
    where
        O: LinearOperator,
        F: FnMut(&Snapshot<'_>) -> Result<()>,
    {
        self.propagate_from(
            operator,
            state,
            times,
            Progress::default(),
            |event| match event {
                Event::Output(snapshot) => observe(snapshot),
                Event::Pause(..) | Event::Working { .. } => Ok(()),
            },
        )
    }

    /// Continues from `from` with `state` = Ψ(from.time) (from t = 0: `Progress::default()`),
    /// handing out every output time from `from.next` on and a pause after every step. Given a
    /// pause's progress and state, it continues exactly as the run that paused: the same
    /// steps, bit for bit.
    fn propagate_from<O, F>(
        &self,
        operator: &O,
        state: &mut [C64],
        times: &[f64],
        from: Progress,
        observe: F,
    ) -> Result<PropagationStats>
    where
        O: LinearOperator,
        F: FnMut(Event<'_>) -> Result<()>;
}

/// The checks every propagation starts with (dimensions, output times, resume point); returns
/// the work and error to start from and the last output time (None: nothing to do).
fn begin<O: LinearOperator>(
    operator: &O,
    state: &[C64],
    times: &[f64],
    from: &Progress,
) -> Result<(PropagationStats, Option<f64>)> {
    assert_eq!(
        operator.dim(),
        state.len(),
        "state and operator dimensions differ"
    );
    check_times(times)?;
    check_progress(times, from)?;
    Ok((from.stats, times.last().copied()))
}

/// Checks a resume point against the output times.
fn check_progress(times: &[f64], from: &Progress) -> Result<()> {
    let valid = from.time.is_finite()
        && from.time >= 0.0
        && from.next <= times.len()
        && times.last().is_none_or(|&end| from.time <= end);
    if !valid {
        return Err(Error::invalid(
            "resume point",
            format!(
                "t = {} with {} of {} output times done does not lie on this run",
                from.time,
                from.next,
                times.len()
            ),
        ));
    }
    Ok(())
}
