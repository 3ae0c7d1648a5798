//! The space layer: the occupation basis of one species and second-quantised operators on it
//! ([`fock`]), the two-species state Ψ as a D_A × D_B matrix and its borrowed view ([`state`]),
//! and the dense linear algebra and operator trait the propagators use ([`linalg`]).

pub mod fock;
pub mod linalg;
pub mod state;
