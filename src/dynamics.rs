//! One run of the mean-field dynamics: the exact many-body state Ψ(t) = e^{−iHt} u₀^{⊗N₁} ⊗ v₀^{⊗N₂}
//! and the Hartree pair (u_t, v_t) of (2.10) side by side, with the indicators of condensation
//! and conserved quantities at every output time t_k = k T/K.

use crate::fock::FockBasis;
use crate::hamiltonian::ManyBodyHamiltonian;
use crate::hartree::{HartreeState, HartreeSystem, IntegrationStats};
use crate::model::Model;
use crate::observables::{energy_expectation, state_norm, IndicatorWorkspace};
use crate::propagation::{KrylovSettings, Lanczos, PropagationStats, Propagator};
use crate::state::TwoSpeciesState;
use crate::{Error, Result, C64};

/// Everything a dynamics run needs: model, initial orbitals, output times and accuracies.
#[derive(Clone, Debug)]
pub struct DynamicsProblem {
    /// The model (2.8).
    pub model: Model,
    /// u₀ (normalised).
    pub u0: Vec<C64>,
    /// v₀ (normalised).
    pub v0: Vec<C64>,
    /// Output times, starting at 0.
    pub times: Vec<f64>,
    /// Krylov accuracy and basis size.
    pub krylov: KrylovSettings,
    /// Tolerance of the Hartree integrator.
    pub hartree_tolerance: f64,
}

/// The figures recorded at one output time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicsRow {
    /// t.
    pub t: f64,
    /// α^(1,1)(t) relative to (u_t, v_t).
    pub alpha11: f64,
    /// α^(1,0)(t).
    pub alpha10: f64,
    /// α^(0,1)(t).
    pub alpha01: f64,
    /// ⟨Ψ(t), HΨ(t)⟩/(N₁+N₂).
    pub energy_mb: f64,
    /// E[u_t, v_t].
    pub energy_hartree: f64,
    /// ‖Ψ(t)‖.
    pub norm: f64,
    /// Bound on ‖Ψ(t) − Ψ_exact(t)‖ accumulated so far.
    pub error_estimate: f64,
    /// Applications of H so far.
    pub matvecs: usize,
}

/// Everything known at one output time.
#[derive(Debug)]
pub struct Moment<'a> {
    /// The figures of the `dynamics` table.
    pub row: DynamicsRow,
    /// Ψ(t) as a D_A × D_B row-major matrix.
    pub state: &'a [C64],
    /// (u_t, v_t).
    pub hartree: &'a HartreeState,
    /// Species A's basis.
    pub basis_a: &'a FockBasis,
    /// Species B's basis.
    pub basis_b: &'a FockBasis,
}

/// Sizes of the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dimensions {
    /// D_A = C(N₁+M−1, M−1).
    pub species_a: usize,
    /// D_B = C(N₂+M−1, M−1).
    pub species_b: usize,
}

impl Dimensions {
    /// D = D_A · D_B.
    pub fn total(&self) -> usize {
        self.species_a * self.species_b
    }
}

/// What a finished run reports besides its rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicsSummary {
    /// Sizes of the Fock spaces.
    pub dimensions: Dimensions,
    /// Work and error of the Krylov propagation.
    pub propagation: PropagationStats,
    /// Work of the Hartree integration.
    pub hartree: IntegrationStats,
}

impl DynamicsProblem {
    /// Fock-space dimensions of the problem (without building anything).
    pub fn dimensions(&self) -> Result<Dimensions> {
        let m = self.model.sites();
        let d = Dimensions {
            species_a: FockBasis::dimension(m, self.model.species_a().particles)?,
            species_b: FockBasis::dimension(m, self.model.species_b().particles)?,
        };
        d.species_a
            .checked_mul(d.species_b)
            .ok_or_else(|| Error::TooLarge(format!("D = {} x {}", d.species_a, d.species_b)))?;
        Ok(d)
    }

    /// Estimated peak memory in bytes: the Krylov basis, the state and four work vectors
    /// (16 bytes per entry each), the occupation tables and the sparse species operators.
    pub fn memory_estimate(&self) -> Result<usize> {
        let d = self.dimensions()?;
        let m = self.model.sites();
        let vectors = (self.krylov.krylov_dim() + 6) as f64 * d.total() as f64 * 16.0;
        let per_species =
            |dim: usize| dim as f64 * (m as f64 * 12.0 + (2.0 * m as f64 * m as f64 + 1.0) * 20.0);
        let bytes = vectors + per_species(d.species_a) + per_species(d.species_b);
        if bytes > usize::MAX as f64 {
            return Err(Error::TooLarge(format!("about {bytes:e} bytes")));
        }
        Ok(bytes as usize)
    }

    /// Refuses, with the figures, a problem whose estimated memory exceeds `available` bytes.
    pub fn check_memory(&self, available: usize) -> Result<()> {
        let need = self.memory_estimate()?;
        if need > available {
            let d = self.dimensions()?;
            return Err(Error::TooLarge(format!(
                "D = {} x {} = {} needs about {:.1} GiB with Krylov dimension {}, but only {:.1} GiB are available; \
                 lower N1, N2 or M, or --krylov-dim",
                d.species_a,
                d.species_b,
                d.total(),
                need as f64 / (1u64 << 30) as f64,
                self.krylov.krylov_dim(),
                available as f64 / (1u64 << 30) as f64
            )));
        }
        Ok(())
    }

    /// Runs the dynamics, handing each output row to `on_row` as soon as it is computed.
    pub fn run(
        &self,
        mut on_row: impl FnMut(&DynamicsRow) -> Result<()>,
    ) -> Result<DynamicsSummary> {
        self.evolve(|moment| on_row(&moment.row))
    }

    /// Runs the dynamics and hands out, at each output time, the row together with the state
    /// Ψ(t), the Hartree pair (u_t, v_t) and the bases, for experiments that measure more.
    pub fn evolve(
        &self,
        mut observe: impl FnMut(&Moment<'_>) -> Result<()>,
    ) -> Result<DynamicsSummary> {
        let model = &self.model;
        let m = model.sites();
        let dimensions = self.dimensions()?;
        let hartree = HartreeSystem::new(model);
        let (trajectory, hartree_stats) =
            hartree.solve(&self.u0, &self.v0, &self.times, self.hartree_tolerance)?;

        let basis_a = FockBasis::new(m, model.species_a().particles)?;
        let basis_b = FockBasis::new(m, model.species_b().particles)?;
        let hamiltonian = ManyBodyHamiltonian::new(model, &basis_a, &basis_b)?;
        let mut state = TwoSpeciesState::product(&basis_a, &self.u0, &basis_b, &self.v0)?;
        let mut workspace = IndicatorWorkspace::new(&basis_a, &basis_b);
        let mut scratch = Vec::new();
        let total = model.total_particles() as f64;
        let propagation = Lanczos::new(self.krylov).propagate(
            &hamiltonian,
            state.as_mut_slice(),
            &self.times,
            |snapshot| {
                let pair = &trajectory[snapshot.index];
                let indicators = workspace.indicators(snapshot.state, &pair.u, &pair.v)?;
                let row = DynamicsRow {
                    t: snapshot.time,
                    alpha11: indicators.alpha11,
                    alpha10: indicators.alpha10,
                    alpha01: indicators.alpha01,
                    energy_mb: energy_expectation(&hamiltonian, snapshot.state, &mut scratch)
                        / total,
                    energy_hartree: hartree.energy(&pair.u, &pair.v),
                    norm: state_norm(snapshot.state),
                    error_estimate: snapshot.stats.error_estimate,
                    matvecs: snapshot.stats.matvecs,
                };
                observe(&Moment {
                    row,
                    state: snapshot.state,
                    hartree: pair,
                    basis_a: &basis_a,
                    basis_b: &basis_b,
                })
            },
        )?;
        Ok(DynamicsSummary {
            dimensions,
            propagation,
            hartree: hartree_stats,
        })
    }
}

/// Output times t_k = k T/K, k = 0..K.
pub fn output_times(t_max: f64, steps: usize) -> Result<Vec<f64>> {
    if !(t_max.is_finite() && t_max >= 0.0) {
        return Err(Error::invalid(
            "--t-max",
            format!("must be a finite time >= 0, got {t_max}"),
        ));
    }
    if steps == 0 {
        return Err(Error::invalid("--steps", "must be at least 1"));
    }
    Ok((0..=steps)
        .map(|k| t_max * k as f64 / steps as f64)
        .collect())
}
