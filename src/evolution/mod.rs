//! The evolution layer: the matrix-free mean-field Hamiltonian (2.8) ([`hamiltonian`]),
//! exp(−iHt)Ψ by Lanczos or Chebyshev with a-posteriori error bounds ([`propagation`]), the
//! Hartree system (2.10) with an adaptive DOP853 integrator ([`hartree`]), the N → ∞ side —
//! Bogoliubov fluctuations around (u_t, v_t) and the exact limit curves of N·α
//! ([`bogoliubov`]) — and a run's state on disk to continue after an interruption
//! ([`checkpoint`]). One run with both dynamics side by side is [`crate::studies::dynamics`].

pub mod bogoliubov;
pub mod checkpoint;
pub mod hamiltonian;
pub mod hartree;
pub mod propagation;
