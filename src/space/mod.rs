//! The space layer: the occupation basis of one species and second-quantised operators on it
//! ([`fock`]), and the two-species state Ψ as a D_A × D_B matrix with its borrowed view
//! ([`state`]).

pub mod fock;
pub mod state;
