//! A two-species model: the lattice, h₁, h₂, V₁, V₂, V₁₂ and the particle numbers N₁, N₂ of the
//! mean-field Hamiltonian (2.8) (SPEC §2).

use crate::lattice::Lattice;
use crate::one_body::{OneBodyHamiltonian, PairPotential};
use crate::{Error, Result};

/// One species: its particle number, one-body Hamiltonian and intra-species potential.
#[derive(Clone, Debug)]
pub struct Species {
    /// Number of bosons N_j ≥ 1.
    pub particles: usize,
    /// One-body Hamiltonian h_j.
    pub hamiltonian: OneBodyHamiltonian,
    /// Intra-species pair potential V_j.
    pub potential: PairPotential,
}

/// A validated two-species model.
#[derive(Clone, Debug)]
pub struct Model {
    lattice: Lattice,
    species_a: Species,
    species_b: Species,
    inter_potential: PairPotential,
}

impl Model {
    /// Checks that every operator lives on the lattice's M sites and that N₁, N₂ ≥ 1.
    pub fn new(
        lattice: Lattice,
        species_a: Species,
        species_b: Species,
        inter_potential: PairPotential,
    ) -> Result<Self> {
        let m = lattice.sites();
        for (name, s) in [("species A", &species_a), ("species B", &species_b)] {
            if s.particles == 0 {
                return Err(Error::invalid(name, "needs at least one particle"));
            }
            if s.hamiltonian.sites() != m || s.potential.sites() != m {
                return Err(Error::invalid(
                    name,
                    format!("operators must act on the M = {m} sites"),
                ));
            }
        }
        if inter_potential.sites() != m {
            return Err(Error::invalid(
                "V12",
                format!("must act on the M = {m} sites"),
            ));
        }
        Ok(Model {
            lattice,
            species_a,
            species_b,
            inter_potential,
        })
    }

    /// The lattice.
    pub fn lattice(&self) -> &Lattice {
        &self.lattice
    }

    /// Number of sites M.
    pub fn sites(&self) -> usize {
        self.lattice.sites()
    }

    /// Species A (N₁ bosons).
    pub fn species_a(&self) -> &Species {
        &self.species_a
    }

    /// Species B (N₂ bosons).
    pub fn species_b(&self) -> &Species {
        &self.species_b
    }

    /// The inter-species potential V₁₂.
    pub fn inter_potential(&self) -> &PairPotential {
        &self.inter_potential
    }

    /// N₁ + N₂.
    pub fn total_particles(&self) -> usize {
        self.species_a.particles + self.species_b.particles
    }

    /// c₁ = N₁/(N₁+N₂), exactly (SPEC §3).
    pub fn c1(&self) -> f64 {
        self.species_a.particles as f64 / self.total_particles() as f64
    }

    /// c₂ = N₂/(N₁+N₂), exactly (SPEC §3).
    pub fn c2(&self) -> f64 {
        self.species_b.particles as f64 / self.total_particles() as f64
    }
}
