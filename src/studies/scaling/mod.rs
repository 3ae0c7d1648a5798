//! Scaling studies in N = N₁ + N₂ (SPEC §6): at a fixed ratio N₁ : N₂, the exact dynamics and
//! the proof at each size ([`study`]), the study's plan ([`plan`]) and its run, size after size
//! ([`Study`]), the table that keeps finished sizes across interruptions
//! ([`table`]), the fits of the rate and the limit curve (`fit`), and the figures ([`figures`]).

pub mod figures;
mod fit;
pub mod plan;
mod run;
mod sizes;
pub mod study;
pub mod table;

pub use fit::{power_law_fit, richardson_limit, Extrapolation, PowerLawFit};
pub use plan::{Settings, StudyPlan};
pub use run::{Study, StudyEvent};
pub use sizes::parse_totals;
pub use study::{run_size, ScalingRow};
pub use table::{FitRow, ScalingTable};
