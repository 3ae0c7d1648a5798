//! Time propagation Ψ(t) = e^{−iHt} Ψ(0) of the many-body state (2.17).
//!
//! One contract, [`Propagator`], reports the state at requested output times together with the
//! work done and an a-posteriori bound on the error accumulated so far. The implementation is
//! [`Lanczos`], a Krylov method with adaptive step size (see its module for the error bound).

mod lanczos;

pub use lanczos::{KrylovSettings, Lanczos};

use crate::linalg::LinearOperator;
use crate::{Result, C64};

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

/// Propagates a state under e^{−iHt} and hands out snapshots at the requested times.
pub trait Propagator {
    /// Evolves `state` from t = 0 through the non-decreasing `times` (≥ 0), calling `observe`
    /// at each of them; on return `state` holds Ψ(times.last()).
    fn propagate<O, F>(
        &self,
        operator: &O,
        state: &mut [C64],
        times: &[f64],
        observe: F,
    ) -> Result<PropagationStats>
    where
        O: LinearOperator,
        F: FnMut(&Snapshot<'_>) -> Result<()>;
}
