//! The model layer. A two-species model: the lattice ([`lattice`]: the M sites, their geometry
//! and bonds), the one-body parts ([`one_body`]: h₁, h₂, pair potentials V and their
//! convolutions, orbitals and lᵖ norms), and here the validated whole — h₁, h₂, V₁, V₂, V₁₂ and
//! the particle numbers N₁, N₂ of the mean-field Hamiltonian (2.8) (SPEC §2) with the choice of
//! its mean-field prefactors (§4).

pub mod lattice;
pub mod one_body;
mod ratio;

pub use ratio::Ratio;

use crate::model::lattice::Lattice;
use crate::model::one_body::{OneBodyHamiltonian, PairPotential};
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

/// One component of the mixture: species A (N₁ bosons, the rows of Ψ) or species B (N₂ bosons,
/// the columns of Ψ). The one name for "which species" everywhere (reduced densities, lemmas,
/// proof terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// Species A.
    A,
    /// Species B.
    B,
}

impl Component {
    /// The other species.
    pub fn other(self) -> Component {
        match self {
            Component::A => Component::B,
            Component::B => Component::A,
        }
    }
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

    /// One species by its label.
    pub fn component(&self, which: Component) -> &Species {
        match which {
            Component::A => &self.species_a,
            Component::B => &self.species_b,
        }
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

/// The mean-field prefactors m_α of (4.7) in front of the potentials 𝒱_α of H.
///
/// * `Paper`, (4.12): m₁ = 1/N₁, m₂ = 1/N₂, m₁₂ = 1/(N₁+N₂) — the Hamiltonian (2.8), whose
///   dynamics follows the Hartree system (2.10).
/// * `Common`: m_α = 1/(N₁+N₂) in front of every potential. Then k_α = lim (N₁+N₂) m_α = 1
///   (4.9), and the dynamics follows (4.10), i∂_t u = h₁u + c₁(𝒱₁ * |u|²)u + c₂(𝒱₁₂ * |v|²)u
///   (and the same for v), not (2.10).
///
/// Since 𝒱_j/(N₁+N₂) = (c_j 𝒱_j)/N_j, H with common prefactors *is* (2.8) with the potentials
/// V_j = c_j 𝒱_j, and (4.10) is (2.10) with those potentials: [`Prefactors::model`] makes that
/// model, on which the whole engine (and the proof) runs unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefactors {
    /// (4.12), the paper's choice (2.8).
    #[default]
    Paper,
    /// 1/(N₁+N₂) in front of every potential.
    Common,
}

impl std::str::FromStr for Prefactors {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "paper" => Ok(Prefactors::Paper),
            "common" => Ok(Prefactors::Common),
            other => Err(Error::invalid(
                "--prefactors",
                format!("expected paper or common, got '{other}'"),
            )),
        }
    }
}

impl std::fmt::Display for Prefactors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Prefactors::Paper => "paper",
            Prefactors::Common => "common",
        })
    }
}

impl Prefactors {
    /// The model (2.8) whose Hamiltonian equals H with these prefactors in front of the
    /// potentials 𝒱_α of `potentials` (a model read with the paper's prefactors): V_j = N_j m_j 𝒱_j,
    /// V₁₂ = (N₁+N₂) m₁₂ 𝒱₁₂.
    pub fn model(self, potentials: &Model) -> Model {
        match self {
            Prefactors::Paper => potentials.clone(),
            Prefactors::Common => {
                let mut model = potentials.clone();
                let (c1, c2) = (model.c1(), model.c2());
                model.species_a.potential = model.species_a.potential.scaled(c1);
                model.species_b.potential = model.species_b.potential.scaled(c2);
                model
            }
        }
    }
}
