//! The studies layer: the runs of the experiments as library types that hand out rows — the
//! exact dynamics beside the Hartree system ([`dynamics`]), Pickl's counting along it
//! ([`counting`]), the proof along it ([`proof`], with the ledger's figures in
//! [`ledger_figures`]), the Bogoliubov limit curves ([`bogoliubov`]) and scaling studies in
//! N₁ + N₂ with their fits and figures ([`scaling`]); and the memory the machine has for
//! them ([`memory`]).

pub mod bogoliubov;
pub mod counting;
pub mod dynamics;
pub mod ledger_figures;
pub mod memory;
pub(crate) mod plot;
pub mod proof;
pub mod scaling;
