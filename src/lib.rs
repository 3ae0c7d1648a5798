//! # pickl
//!
//! Finite-particle-number tests of the mean-field theorem for a mixture of two Bose–Einstein
//! condensates (A. Michelangeli, A. Olgiati, *Mean-field quantum dynamics for a mixture of
//! Bose–Einstein condensates*), by exact two-species Fock-space dynamics on a small lattice and
//! the coupled Hartree equations (2.10) beside it.
//!
//! Data flow one way through the module tree, layer by layer (every module is listed):
//!
//! **Model.** [`lattice`] — the M sites, their geometry and bonds; [`one_body`] — one-body
//! Hamiltonians h₁, h₂, pair potentials V and their convolutions, orbitals and lᵖ norms;
//! [`model`] — a validated two-species model (h₁, h₂, V₁, V₂, V₁₂, N₁, N₂).
//!
//! **Space.** [`fock`] — the occupation basis of one species and second-quantised operators
//! on it; [`state`] — the two-species state Ψ as a D_A × D_B matrix; [`linalg`] — the dense
//! linear algebra and the operator trait the propagators use.
//!
//! **Evolution.** [`hamiltonian`] — the matrix-free mean-field Hamiltonian (2.8);
//! [`propagation`] — exp(−iHt)Ψ by Lanczos or Chebyshev with a-posteriori error bounds;
//! [`hartree`] — the Hartree system (2.10), its energy and an adaptive DOP853 integrator;
//! [`checkpoint`] — a run's state on disk, to continue after an interruption; [`dynamics`] —
//! one run: many-body and Hartree dynamics side by side, one moment per output time.
//!
//! **Measurement.** [`observables`] — α^(1,1), α^(1,0), α^(0,1), ⟨H⟩ and ‖Ψ‖; [`counting`] —
//! the condensate frame, the counting distribution π(k_A, k_B), α^(k₁,k₂) and (2.25);
//! [`reduced`] — reduced density matrices γ^(k₁,k₂), R^(k₁,k₂), natural occupations;
//! [`hierarchy`] — the first BBGKY equation (4.13) at finite N against its limit (4.14).
//!
//! **Proof.** [`lemmas`] — Lemmas 3.1, 3.2, A.1, A.2 as checks reporting both sides;
//! [`proof`] — §5 at finite N: C_V1, C_V2, C_V12, their pairs, every bound (as printed and
//! tight), the ledger of each chain, Theorem 2.1's Grönwall bound; [`bogoliubov`] — the
//! N → ∞ side: Bogoliubov fluctuations around (u_t, v_t) and the exact limit curves of N·α.
//!
//! **Studies.** [`scaling`] — scaling studies in N₁ + N₂ at a fixed ratio, fits, the
//! Richardson and Bogoliubov limits, figures.
//!
//! **Application.** [`config`], [`experiment`] and [`report`] — the experiments' shared
//! command line and TOML keys, the run frame (provenance, progress, checkpoints), CSV written
//! row by row and atomically; [`error`] — the typed errors every layer returns.

//! Conventions follow the project's specification (SPEC.md): counting measure on the lattice,
//! kernel convention γ(x, x′) = ⟨a†_{x′} a_x⟩/N, and the exact ratios c_j = N_j/(N₁+N₂).

pub mod bogoliubov;
pub mod checkpoint;
pub mod config;
pub mod counting;
pub mod dynamics;
pub mod error;
pub mod experiment;
pub mod fock;
pub mod hamiltonian;
pub mod hartree;
pub mod hierarchy;
pub mod lattice;
pub mod lemmas;
pub mod linalg;
pub mod model;
pub mod observables;
pub mod one_body;
pub(crate) mod plot;
pub mod proof;
pub mod propagation;
pub mod reduced;
pub mod report;
pub mod scaling;
pub mod state;

pub use error::{Error, Result};
pub use num_complex;
/// Complex double, the scalar of every wave function in pickl.
pub type C64 = num_complex::Complex<f64>;
