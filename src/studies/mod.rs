//! The studies layer: runs repeated over sizes — scaling studies in N₁ + N₂ at a fixed ratio,
//! their fits, the Richardson and Bogoliubov limits, and figures ([`scaling`]).

pub mod scaling;
