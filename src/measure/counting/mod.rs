//! Pickl's counting (SPEC §4, Appendix A): the condensate frame, in which p = |u⟩⟨u| and
//! q = 1 − p become "orbital 0" and "orbitals ≥ 1", and the joint counting distribution
//! π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩ of the numbers of particles outside the condensates.

mod distribution;
pub mod fractions;
mod frame;
pub mod weights;

pub use distribution::CountingDistribution;
pub use frame::{frame_unitary, CondensateFrame, SpeciesFrame};
