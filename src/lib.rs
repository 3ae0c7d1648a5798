//! # pickl
//!
//! Finite-particle-number tests of the mean-field theorem for a mixture of two Bose–Einstein
//! condensates (A. Michelangeli, A. Olgiati, *Mean-field quantum dynamics for a mixture of
//! Bose–Einstein condensates*), by exact two-species Fock-space dynamics on a small lattice and
//! the coupled Hartree equations (2.10) beside it.
//!
//! Data flow one way through the module tree, one layer per module, each using only those
//! before it:
//!
//! 1. [`model`] — the lattice, the one-body parts and the validated two-species model of (2.8).
//! 2. [`space`] — Fock bases, second-quantised operators, the state Ψ as a D_A × D_B matrix.
//! 3. [`evolution`] — HΨ, the propagators with their error bounds, the Hartree system (2.10),
//!    the Bogoliubov generator of the fluctuations, checkpoints.
//! 4. [`measure`] — the α's, the counting frame and distribution, reduced density matrices,
//!    the BBGKY hierarchy, the lemmas of §3 and Appendix A.
//! 5. [`proof`] — §5 at finite N: C_V1, C_V2, C_V12, their pairs, every bound (as printed and
//!    tight), the ledger of each chain, Theorem 2.1's Grönwall bound and its energy-space form.
//! 6. [`studies`] — the runs: the dynamics of Ψ and (u, v) side by side, counting and the
//!    proof along it, the Bogoliubov limit curves, scaling studies in N₁ + N₂; each hands out
//!    rows.
//! 7. [`app`] — what the binaries and the Python module share: flags and TOML
//!    ([`app::config`]), the run frame ([`app::experiment`]), CSV and provenance
//!    ([`app::report`]). The one place where a layer reaches forward: studies read their
//!    settings as [`app::config::Options`] and write through [`app::report`].
//!
//! Beneath them all: [`error`], the typed errors every layer returns, and [`linalg`], the dense
//! linear algebra and the operator trait the propagators use.

//! Conventions follow the project's specification (SPEC.md): counting measure on the lattice,
//! kernel convention γ(x, x′) = ⟨a†_{x′} a_x⟩/N, and the exact ratios c_j = N_j/(N₁+N₂).

pub mod app;
pub mod error;
pub mod evolution;
pub mod linalg;
pub mod measure;
pub mod model;
pub mod proof;
pub mod space;
pub mod studies;

pub use error::{Error, Result};
pub use num_complex;
/// Complex double, the scalar of every wave function in pickl.
pub type C64 = num_complex::Complex<f64>;
