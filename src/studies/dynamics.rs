//! One run of the mean-field dynamics: the exact many-body state Ψ(t) = e^{−iHt} u₀^{⊗N₁} ⊗ v₀^{⊗N₂}
//! and the Hartree pair (u_t, v_t) of (2.10) side by side, with the indicators of condensation
//! and conserved quantities at every output time t_k = k T/K.

use crate::evolution::hamiltonian::ManyBodyHamiltonian;
use crate::evolution::hartree::{HartreeState, HartreeSystem, IntegrationStats};
use crate::evolution::propagation::{
    Chebyshev, Event, KrylovSettings, Lanczos, Progress, PropagationStats, Propagator,
    PropagatorChoice,
};
use crate::measure::observables::{energy_expectation, state_norm, IndicatorWorkspace};
use crate::model::Model;
use crate::space::fock::FockBasis;
use crate::space::state::{StateView, TwoSpeciesState};
use crate::studies::memory::{scratch_bytes, MeasurementMemory, PROCESS_BYTES};
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
    /// Krylov accuracy and basis size (the tolerance is also Chebyshev's).
    pub krylov: KrylovSettings,
    /// Which propagator to use; `Auto` is decided by [`DynamicsProblem::plan`].
    pub propagator: PropagatorChoice,
    /// Tolerance of the Hartree integrator.
    pub hartree_tolerance: f64,
    /// With prefactors other than the paper's (4.12) ([`crate::model::Prefactors`]): the model
    /// of the Hartree system (2.10) written with the unscaled potentials 𝒱_α, i.e. the pair one
    /// would predict by ignoring the prefactors. The run then also reports α^(1,1) against that
    /// pair, beside α^(1,1) against the model's own pair (4.10).
    pub hartree_2_10: Option<Model>,
    /// What the measurements at an output time hold besides the propagator's vectors:
    /// [`MeasurementMemory::NONE`] for the dynamics, [`crate::studies::counting::MEMORY`] for
    /// counting, [`crate::studies::proof::MEMORY`] for the proof. Counted in the memory estimate.
    pub measurement: MeasurementMemory,
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
    /// α^(1,1)(t) against the pair of [`DynamicsProblem::hartree_2_10`], when the problem has one.
    pub alpha11_vs_2_10: Option<f64>,
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

/// Columns of the `dynamics` table (SPEC §8, then the propagator's figures).
pub const DYNAMICS_COLUMNS: [&str; 9] = [
    "t",
    "alpha11",
    "alpha10",
    "alpha01",
    "energy_mb",
    "energy_hartree",
    "norm",
    "error_estimate",
    "matvecs",
];

impl DynamicsProblem {
    /// The columns of this problem's `dynamics` table: [`DYNAMICS_COLUMNS`], and
    /// `alpha11_vs_2_10` when the prefactors are not the paper's.
    pub fn columns(&self) -> Vec<&'static str> {
        let mut columns = DYNAMICS_COLUMNS.to_vec();
        if self.hartree_2_10.is_some() {
            columns.push("alpha11_vs_2_10");
        }
        columns
    }
}

impl DynamicsRow {
    /// The cells of the row, in the order of [`DynamicsProblem::columns`].
    pub fn cells(&self) -> Vec<Option<f64>> {
        let mut cells = vec![
            Some(self.t),
            Some(self.alpha11),
            Some(self.alpha10),
            Some(self.alpha01),
            Some(self.energy_mb),
            Some(self.energy_hartree),
            Some(self.norm),
            Some(self.error_estimate),
            Some(self.matvecs as f64),
        ];
        if let Some(alpha) = self.alpha11_vs_2_10 {
            cells.push(Some(alpha));
        }
        cells
    }
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

impl<'a> Moment<'a> {
    /// Ψ(t) with its bases.
    pub fn state_view(&self) -> StateView<'a> {
        StateView::new(self.basis_a, self.basis_b, self.state)
            .expect("a run's state has the shape of its bases")
    }
}

/// What a run hands out as it goes.
#[derive(Debug)]
pub enum Stage<'a> {
    /// An output time.
    Moment(&'a Moment<'a>),
    /// A pause of the propagator: where it stands, which propagator runs, and Ψ at that
    /// time — what [`DynamicsProblem::evolve_from`] continues from.
    Pause(&'a Progress, PropagatorChoice, &'a [C64]),
    /// Work under way between two output times: the run's matvecs so far, of those planned
    /// ([`Event::Working`]; for progress displays).
    Working {
        /// Matvecs so far.
        matvecs: usize,
        /// The run's matvecs as planned.
        planned: usize,
    },
}

/// A point to continue a run from: a pause's progress, propagator and state.
#[derive(Clone, Debug)]
pub struct Resume {
    /// Where the propagation stood.
    pub progress: Progress,
    /// The propagator that ran.
    pub propagator: PropagatorChoice,
    /// Ψ(progress.time).
    pub state: Vec<C64>,
}

/// What a measurement along a run (counting, the proof) carries from one output time to the
/// next, and keeps in a checkpoint to continue with: α^(1,1)(0), where the bound (2.25)
/// starts, and the number of output times done.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OutputCursor {
    /// α^(1,1)(0), once the first output time is seen.
    pub alpha_zero: Option<f64>,
    /// Output times done.
    pub done: usize,
}

impl OutputCursor {
    /// The values a checkpoint keeps: α^(1,1)(0) (NaN before it is known) and the output times
    /// done.
    pub fn running(&self) -> [f64; 2] {
        [self.alpha_zero.unwrap_or(f64::NAN), self.done as f64]
    }

    /// The cursor from a checkpoint's [`OutputCursor::running`] values, of a run with
    /// `outputs` output times (`what`: the measurement, for the message when they are not its
    /// values).
    pub fn resume(running: &[f64], outputs: usize, what: &str) -> Result<Self> {
        match *running {
            [alpha_zero, done] if done >= 0.0 && done.fract() == 0.0 && done <= outputs as f64 => {
                Ok(OutputCursor {
                    alpha_zero: Some(alpha_zero).filter(|a| !a.is_nan()),
                    done: done as usize,
                })
            }
            _ => Err(Error::invalid(
                "checkpoint",
                format!("it does not hold {what}'s running values; delete it to start afresh"),
            )),
        }
    }
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
    /// The propagator that ran.
    pub propagator: PropagatorChoice,
    /// Whether Chebyshev paired its outputs ([`DynamicsProblem::chebyshev`]); None for Lanczos.
    pub paired_outputs: Option<bool>,
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

    /// Estimated peak memory in bytes of a run with the given propagator (`Auto` counts the
    /// one [`DynamicsProblem::plan`] would pick with unlimited memory): its state-sized
    /// vectors — the state plus m + 1 Krylov vectors and one for the propagated state
    /// (Lanczos), or two (Chebyshev; three when it pairs its outputs,
    /// [`DynamicsProblem::chebyshev`]) —, what the measurements hold
    /// ([`DynamicsProblem::measurement`]), the tables of the bases and of H, counted from the
    /// nonzeros of h₁ and h₂, the tasks' scratch ([`scratch_bytes`]) and the program itself
    /// ([`PROCESS_BYTES`]). Against the peak
    /// resident memory of whole runs from D ≈ 3·10⁶ to 1.5·10⁸ (M = 3 to 6), it is 0–19% above.
    pub fn memory_estimate_for(&self, propagator: PropagatorChoice) -> Result<usize> {
        let d = self.dimensions()?;
        let m = self.model.sites();
        let vectors = match propagator {
            PropagatorChoice::Chebyshev => 1 + self.chebyshev()?.work_vectors(self.times.len()),
            PropagatorChoice::Lanczos | PropagatorChoice::Auto => self.krylov.krylov_dim() + 3,
        };
        let vector_bytes = vectors as f64 * d.total() as f64 * 16.0;
        let per_species = |dim: usize, species: &crate::model::Species| {
            let h = species.hamiltonian.matrix();
            let mut hops = 0usize;
            let mut widest = 0usize;
            for x in 0..m {
                let row = (0..m)
                    .filter(|&y| y != x && h[(x, y)] != C64::new(0.0, 0.0))
                    .count();
                hops += row;
                widest = widest.max(row);
            }
            // At most min(N, M) occupied sites, each the start of at most `widest` hops.
            let per_state = hops.min(species.particles.min(m) * widest) as f64;
            // occupations (u32 + f64), the hop entries (CSR: 20 bytes; channels: 8), the
            // diagonals, the interaction energies, the coupling field.
            dim as f64 * (m as f64 * 20.0 + per_state * 20.0 + 40.0)
        };
        // M × M tables: three potentials (8 bytes per entry), the two one-body matrices and the
        // work of the eigenvalue routines on them (complex, about three more; measured at
        // M = 3000 with N₁ = N₂ = 1: estimate 1.6 GiB, peak 1.43 GiB).
        let dense_tables = (m * m) as f64 * (3.0 * 8.0 + 5.0 * 16.0);
        let count_pairs = (self.model.species_a().particles + 1)
            .saturating_mul(self.model.species_b().particles + 1);
        let bytes = vector_bytes
            + self.measurement.bytes(d.total(), count_pairs)
            + PROCESS_BYTES as f64
            + scratch_bytes(d.species_b)
            + dense_tables
            + per_species(d.species_a, self.model.species_a())
            + per_species(d.species_b, self.model.species_b());
        if bytes > usize::MAX as f64 {
            return Err(Error::TooLarge(format!("about {bytes:e} bytes")));
        }
        Ok(bytes as usize)
    }

    /// Estimated peak memory in bytes with the propagator the problem asks for.
    pub fn memory_estimate(&self) -> Result<usize> {
        self.memory_estimate_for(self.propagator)
    }

    /// The propagator the run will use when `available` bytes are free (None: unknown). An
    /// explicit choice is kept. `Auto` takes Lanczos when its Krylov basis fits and its
    /// estimated cost is clearly lower (below `LANCZOS_MARGIN` = 0.8 times Chebyshev's), Chebyshev
    /// otherwise: Chebyshev needs ⌈planned⌉ fused passes, its count known in advance from the
    /// spectral half-width r; Lanczos needs about as many matvecs as r·T (its steps have
    /// τ r ≈ m), each followed by a recurrence pass, and forms the state from its basis at
    /// every output time (`LANCZOS_OUTPUT_COST`); with the tiled kernel it is the cheaper in no
    /// measured case of the default model but the smallest. A near tie goes to Chebyshev,
    /// which holds three or four state vectors where Lanczos holds m + 3 (besides the measurements').
    pub fn plan(&self, available: Option<usize>) -> Result<PropagatorChoice> {
        if self.propagator != PropagatorChoice::Auto {
            return Ok(self.propagator);
        }
        let lanczos_fits = match available {
            Some(bytes) => self.memory_estimate_for(PropagatorChoice::Lanczos)? <= bytes,
            None => true,
        };
        if !lanczos_fits {
            return Ok(PropagatorChoice::Chebyshev);
        }
        let half_width = self.planning_half_width()?;
        let end = self.times.last().copied().unwrap_or(0.0);
        let chebyshev = self.chebyshev()?.planned_matvecs(&self.times, half_width);
        let lanczos =
            LANCZOS_MATVECS_PER_WIDTH * half_width * end + self.krylov.krylov_dim() as f64;
        let outputs = self.times.len() as f64;
        Ok(
            if lanczos * LANCZOS_PASS_COST + outputs * LANCZOS_OUTPUT_COST
                < LANCZOS_MARGIN * (chebyshev as f64) * CHEBYSHEV_PASS_COST
            {
                PropagatorChoice::Lanczos
            } else {
                PropagatorChoice::Chebyshev
            },
        )
    }

    /// The Chebyshev propagator of this run: its outputs paired
    /// ([`Chebyshev::with_paired_outputs`]) when that makes the run cheaper by the planning
    /// half-width — a decision made before H is built, so that the memory estimate and the run
    /// hold the same vectors.
    pub fn chebyshev(&self) -> Result<Chebyshev> {
        let propagator = Chebyshev::new(self.krylov.tolerance())?;
        let half_width = self.planning_half_width()?;
        Ok(propagator.with_paired_outputs(propagator.pairing_pays(&self.times, half_width)))
    }

    /// A half-width of spec(H) for planning (not a proof): the one-body ranges N_j(λ_max − λ_min)
    /// of h_j and the largest interaction energies, N_j max|V_j|/2 and N₁N₂ max|V₁₂|/(N₁+N₂).
    fn planning_half_width(&self) -> Result<f64> {
        let model = &self.model;
        let mut width = 0.0;
        for species in [model.species_a(), model.species_b()] {
            let (least, largest) = species.hamiltonian.eigenvalue_range()?;
            let n = species.particles as f64;
            width += n * (largest - least);
            width += n * max_abs(&species.potential) / 2.0;
        }
        let (n1, n2) = (
            model.species_a().particles as f64,
            model.species_b().particles as f64,
        );
        width += n1 * n2 / (n1 + n2) * max_abs(model.inter_potential());
        Ok(width / 2.0)
    }

    /// The propagator a run on this machine uses: [`DynamicsProblem::check_memory`] against
    /// the available memory (refusing a problem that cannot fit), or the plan with unlimited
    /// memory where the available memory is unknown.
    pub fn decided_propagator(&self) -> Result<PropagatorChoice> {
        match crate::studies::memory::available_memory() {
            Some(available) => self.check_memory(available),
            None => self.plan(None),
        }
    }

    /// Refuses, with the figures, a problem whose estimated memory exceeds `available` bytes
    /// with every propagator it may use; otherwise returns the propagator the run will use.
    pub fn check_memory(&self, available: usize) -> Result<PropagatorChoice> {
        let propagator = self.plan(Some(available))?;
        let need = self.memory_estimate_for(propagator)?;
        if need > available {
            let d = self.dimensions()?;
            let lean = self.memory_estimate_for(PropagatorChoice::Chebyshev)?;
            return Err(Error::TooLarge(format!(
                "D = {} x {} = {} needs about {:.1} GiB with the {propagator} propagator (Chebyshev: {:.1} GiB), \
                 but only {:.1} GiB are available; lower N1, N2 or M{}",
                d.species_a,
                d.species_b,
                d.total(),
                need as f64 / (1u64 << 30) as f64,
                lean as f64 / (1u64 << 30) as f64,
                available as f64 / (1u64 << 30) as f64,
                if propagator == PropagatorChoice::Lanczos {
                    ", or --krylov-dim, or use --propagator chebyshev"
                } else {
                    ""
                }
            )));
        }
        Ok(propagator)
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
        self.evolve_from(None, |stage| match stage {
            Stage::Moment(moment) => observe(moment),
            Stage::Pause(..) | Stage::Working { .. } => Ok(()),
        })
    }

    /// [`DynamicsProblem::evolve`] from the start or from a pause of an earlier run of the same
    /// problem (which it continues bit for bit), handing out the pauses too.
    pub fn evolve_from(
        &self,
        resume: Option<Resume>,
        mut observe: impl FnMut(Stage<'_>) -> Result<()>,
    ) -> Result<DynamicsSummary> {
        let model = &self.model;
        let m = model.sites();
        let dimensions = self.dimensions()?;
        let hartree = HartreeSystem::new(model);
        let (trajectory, hartree_stats) =
            hartree.solve(&self.u0, &self.v0, &self.times, self.hartree_tolerance)?;
        let trajectory_2_10 = match &self.hartree_2_10 {
            Some(potentials) => Some(
                HartreeSystem::new(potentials)
                    .solve(&self.u0, &self.v0, &self.times, self.hartree_tolerance)?
                    .0,
            ),
            None => None,
        };

        let basis_a = FockBasis::new(m, model.species_a().particles)?;
        let basis_b = FockBasis::new(m, model.species_b().particles)?;
        let hamiltonian = ManyBodyHamiltonian::new(model, &basis_a, &basis_b)?;
        let (mut state, from, propagator) = match resume {
            Some(resume) => {
                if resume.state.len() != dimensions.total() {
                    return Err(Error::invalid(
                        "resume point",
                        format!(
                            "a state of length {} for D = {}",
                            resume.state.len(),
                            dimensions.total()
                        ),
                    ));
                }
                (resume.state, resume.progress, resume.propagator)
            }
            None => (
                TwoSpeciesState::product(&basis_a, &self.u0, &basis_b, &self.v0)?.into_vec(),
                Progress::default(),
                self.plan(crate::studies::memory::available_memory())?,
            ),
        };
        let mut workspace = IndicatorWorkspace::new(&basis_a, &basis_b);
        let total = model.total_particles() as f64;
        let observer = |event: Event<'_>| {
            let snapshot = match event {
                Event::Output(snapshot) => snapshot,
                Event::Pause(progress, state) => {
                    return observe(Stage::Pause(progress, propagator, state))
                }
                Event::Working { matvecs, planned } => {
                    return observe(Stage::Working { matvecs, planned })
                }
            };
            let pair = &trajectory[snapshot.index];
            let indicators = workspace.indicators(snapshot.state, &pair.u, &pair.v)?;
            let alpha11_vs_2_10 = match &trajectory_2_10 {
                Some(trajectory) => {
                    let other = &trajectory[snapshot.index];
                    Some(
                        workspace
                            .indicators(snapshot.state, &other.u, &other.v)?
                            .alpha11,
                    )
                }
                None => None,
            };
            let row = DynamicsRow {
                t: snapshot.time,
                alpha11: indicators.alpha11,
                alpha10: indicators.alpha10,
                alpha01: indicators.alpha01,
                alpha11_vs_2_10,
                energy_mb: energy_expectation(&hamiltonian, snapshot.state) / total,
                energy_hartree: hartree.energy(&pair.u, &pair.v),
                norm: state_norm(snapshot.state),
                error_estimate: snapshot.stats.error_estimate,
                matvecs: snapshot.stats.matvecs,
            };
            observe(Stage::Moment(&Moment {
                row,
                state: snapshot.state,
                hartree: pair,
                basis_a: &basis_a,
                basis_b: &basis_b,
            }))
        };
        let chebyshev = self.chebyshev()?;
        let paired_outputs = (propagator == PropagatorChoice::Chebyshev)
            .then_some(chebyshev.work_vectors(self.times.len()) > 2);
        let propagation = match propagator {
            PropagatorChoice::Chebyshev => {
                chebyshev.propagate_from(&hamiltonian, &mut state, &self.times, from, observer)?
            }
            _ => Lanczos::new(self.krylov).propagate_from(
                &hamiltonian,
                &mut state,
                &self.times,
                from,
                observer,
            )?,
        };
        Ok(DynamicsSummary {
            dimensions,
            propagation,
            hartree: hartree_stats,
            propagator,
            paired_outputs,
        })
    }
}

/// Calibration of the planner, measured on the default model at N₁ = N₂ = 10, 14 and 20, T = 3
/// (docs/performance.md): Lanczos took 1.39–1.41 matvecs per unit of r·T (r the planning
/// half-width) plus one Krylov basis, and each of its matvecs (with the orthogonalisation)
/// cost 1.5–2.8 times a fused Chebyshev pass, the most at the smallest sizes (measured before
/// the tiled kernel; whole runs, Lanczos against Chebyshev: N = 10, K = 30: 0.44 s for 240
/// matvecs against 0.38 s for 570 passes; N = 14, K = 30: 2.20 s for 300 against 2.18 s for
/// 690, and 2.90 s for 330 against 2.37 s for 750 at tolerance 1e-12; N = 20, K = 6: 13.9 s
/// for 420 against 9.3 s for 432; K = 30: 18.4 s for 420 against 19.0 s for 810).
const LANCZOS_MATVECS_PER_WIDTH: f64 = 1.4;
const LANCZOS_PASS_COST: f64 = 2.3;
/// Fused Chebyshev passes per output time that Lanczos spends besides its matvecs, forming
/// Ψ(t) from its Krylov basis (m combinations of state vectors): with the tiled kernel, at
/// N₁ = N₂ = 14 and 20 (K = 30 to 600, the time per output time beyond the measurements shared
/// with Chebyshev) 9–10 passes, at N₁ = N₂ = 10 about 3. Without this term the planner took
/// Lanczos at N = 14, K = 150, which then ran 9% slower than Chebyshev (4.14 s against 3.80 s)
/// with 8.6 times the memory.
const LANCZOS_OUTPUT_COST: f64 = 8.0;
/// Lanczos is taken only when its estimated cost is below this fraction of Chebyshev's: in the
/// measured near ties the run times agreed within 3% while Lanczos held 9–10 times the memory.
const LANCZOS_MARGIN: f64 = 0.8;
const CHEBYSHEV_PASS_COST: f64 = 1.0;

fn max_abs(potential: &crate::model::one_body::PairPotential) -> f64 {
    let m = potential.sites();
    (0..m)
        .flat_map(|x| potential.row(x).iter().copied())
        .fold(0.0f64, |a, v| a.max(v.abs()))
}

/// The most output times a run takes: each is a row of every table and a measurement of the
/// state, and a million of them is far finer than any figure (4·10⁹ had ended in an abort
/// allocating their times).
pub const MAX_STEPS: usize = 1_000_000;

/// Output times t_k = k T/K, k = 0..K, 1 ≤ K ≤ [`MAX_STEPS`].
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
    if steps > MAX_STEPS {
        return Err(Error::invalid(
            "--steps",
            format!("{steps} output times asked, at most {MAX_STEPS}"),
        ));
    }
    Ok((0..=steps)
        .map(|k| t_max * k as f64 / steps as f64)
        .collect())
}
#[cfg(test)]
mod planner {
    use crate::app::config::Options;
    use crate::evolution::propagation::PropagatorChoice;

    /// The runs the constants were calibrated on (docs/performance.md), with the tiled kernel:
    /// Chebyshev was faster in each (and held a tenth of the memory), even with many close
    /// output times (K = 150, 600), where Lanczos forms the state from its basis at every one.
    /// (The one measured case where Lanczos was faster, N = 10, K = 300 by 12%, is too small
    /// to matter and not asked here.)
    #[test]
    fn the_planner_picks_the_measured_faster_propagator() {
        for (n, steps, tol, faster) in [
            (10, 30, 1e-10, PropagatorChoice::Chebyshev),
            (14, 150, 1e-10, PropagatorChoice::Chebyshev),
            (14, 600, 1e-10, PropagatorChoice::Chebyshev),
            (14, 30, 1e-10, PropagatorChoice::Chebyshev),
            (14, 30, 1e-12, PropagatorChoice::Chebyshev),
            (20, 6, 1e-10, PropagatorChoice::Chebyshev),
            (20, 30, 1e-10, PropagatorChoice::Chebyshev),
        ] {
            let options = Options {
                n1: Some(n),
                n2: Some(n),
                steps: Some(steps),
                tol: Some(tol),
                out: Some("unused.csv".into()),
                ..Default::default()
            };
            let problem = options.resolved("unused.csv").unwrap().problem().unwrap();
            assert_eq!(problem.plan(None).unwrap(), faster, "N = {n}, K = {steps}");
            // Without room for the Krylov basis, Chebyshev.
            assert_eq!(
                problem.plan(Some(1 << 20)).unwrap(),
                PropagatorChoice::Chebyshev
            );
        }
    }
}

#[cfg(test)]
mod cursor {
    use super::OutputCursor;

    /// A checkpoint's running values are taken back only when they can be this run's: two of
    /// them, the output times done a whole number no larger than the run's.
    #[test]
    fn running_values_come_back_and_foreign_ones_are_refused() {
        let cursor = OutputCursor {
            alpha_zero: Some(1e-16),
            done: 4,
        };
        assert_eq!(
            OutputCursor::resume(&cursor.running(), 7, "x").unwrap(),
            cursor
        );
        let unknown = OutputCursor::default();
        assert_eq!(
            OutputCursor::resume(&unknown.running(), 7, "x").unwrap(),
            unknown
        );
        for running in [
            &[0.0, 8.0][..],
            &[0.0, 2.5],
            &[0.0, -1.0],
            &[0.0, f64::NAN],
            &[0.0, 1e300],
            &[0.0],
            &[],
        ] {
            assert!(
                OutputCursor::resume(running, 7, "x").is_err(),
                "{running:?}"
            );
        }
    }
}
