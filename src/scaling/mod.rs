//! Scaling studies in N = N₁ + N₂ (SPEC §6): the statistics that turn runs at several N into the
//! rate and the limit curve. (The sweep itself comes with the `scaling` experiment.)

mod fit;

pub use fit::{power_law_fit, richardson_limit, Extrapolation, PowerLawFit};
