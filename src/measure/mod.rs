//! The measurement layer: one time of a run built once ([`context`]: Ψ(t), (u_t, v_t), Ψ in the
//! condensate frame and the counts n₀); α^(1,1), α^(1,0), α^(0,1), ⟨H⟩ and ‖Ψ‖ ([`observables`]); the
//! condensate frame, the counting distribution π(k_A, k_B), α^(k₁,k₂) and (2.25)
//! ([`counting`]); reduced density matrices γ^(k₁,k₂), R^(k₁,k₂) and natural occupations
//! ([`reduced`]); the first BBGKY equation (4.13) at finite N against its limit (4.14)
//! ([`hierarchy`]); Lemmas 3.1, 3.2, A.1, A.2 as checks reporting both sides ([`lemmas`]).

pub mod context;
pub mod counting;
pub mod hierarchy;
pub mod lemmas;
pub mod observables;
pub mod reduced;
