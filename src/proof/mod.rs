//! The proof of Theorem 2.1 evaluated at finite N₁, N₂ (SPEC §5): the time derivative of
//! α^(1,1) split into C_V1, C_V2, C_V12 (5.19)–(5.22). (The sub-terms and the bounds of
//! Propositions 5.1–5.2 come next.)

mod derivative;

pub use derivative::{derivative_terms, DerivativeTerms};
