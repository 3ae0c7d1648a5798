//! The proof of Theorem 2.1 evaluated at finite N₁, N₂ (SPEC §5): the time derivative of
//! α^(1,1) split into C_V1, C_V2, C_V12 (5.19)–(5.22), the 16 pairs of C_V1 and C_V2 of
//! Proposition 5.1, the 16 pairs of C_V12 of Proposition 5.2 with the split of T(pp,qq), the
//! norms of Lemma 5.1, the bounds with their derived constants, everything at one time
//! gathered in a [`snapshot::ProofSnapshot`], and the energy-space form of the theorem (§2.5,
//! [`energy`]).

pub mod bounds;
mod derivative;
pub mod energy;
mod frame_operators;
pub mod gronwall;
pub mod ledger;
pub mod norms;
mod pairs;
pub mod snapshot;

pub use derivative::{derivative_terms, DerivativeTerms};
pub use pairs::{
    inter_species_pairs, intra_species_pairs, pp_qq_split, PairTerms, PpQqSplit, Projection,
};
