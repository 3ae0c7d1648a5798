//! The bosonic Fock space of one species: N bosons in M modes (SPEC §2).
//!
//! [`FockBasis`] enumerates the occupations n ∈ ℕ^M with Σ n_x = N, of dimension
//! C(N+M−1, M−1), and ranks and unranks them in O(M) through the combinatorial number system.
//! [`SpeciesOperator`] is a second-quantised operator Σ T_xy a†_x a_y + diag f(n) on that space,
//! stored row by row as a sparse matrix; [`HopChannels`] stores its off-diagonal part as
//! contiguous segments for the streaming kernel of H.

mod basis;
mod channels;
mod hops;
mod operator;

pub use basis::FockBasis;
pub(crate) use basis::{index_of_site, lowering};
pub use channels::{HopChannels, Segment};
pub(crate) use hops::HopTable;
pub use operator::SpeciesOperator;
