//! A study as it runs: the sizes still to do, one after the other, each added to the table as
//! soon as it is finished and (for a study with a directory) written out at once — the table,
//! the fits, the figures and `scaling.meta.toml` with a record of the size — so that a study
//! stopped at any point keeps every finished size and a rerun continues after them.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::figures::write_figures;
use super::plan::{SizeRecord, StudyPlan, FIT_FILE, META_FILE, TABLE_FILE};
use super::study::{run_size, ScalingRow, SizeResume, ROW_NUMBERS};
use super::table::{FitRow, ScalingTable};
use crate::app::config::Options;
use crate::app::report::{utc_timestamp, write_atomically, Provenance};
use crate::evolution::bogoliubov::BogoliubovSystem;
use crate::evolution::checkpoint::{fingerprint, Checkpoint, Checkpointer};
use crate::studies::dynamics::{DynamicsProblem, Resume};
use crate::studies::memory::available_memory;
use crate::studies::scaling::plan::Settings;
use crate::{Error, Result};

/// What a running study reports, for progress and logs.
#[derive(Debug)]
pub enum StudyEvent<'a> {
    /// A size starts: its place among the pending sizes, N₁, N₂ and the dimension D.
    SizeStarted {
        /// 1-based position among the sizes this run computes.
        position: usize,
        /// How many sizes this run computes.
        pending: usize,
        /// N₁.
        n1: usize,
        /// N₂.
        n2: usize,
        /// D = D_A D_B.
        dimension: usize,
        /// The time of the checkpoint the size continues from, if it was interrupted.
        resumed_at: Option<f64>,
    },
    /// A row is known; `done` is the fraction of the run's work done so far (work of a size
    /// ∝ D (N₁+N₂): the matvecs grow with ‖H‖ ∝ N, and each costs ∝ D).
    Row {
        /// The row.
        row: &'a ScalingRow,
        /// Fraction of the run's work done, in [0, 1].
        done: f64,
    },
    /// A size is finished (and written, for a study with a directory).
    SizeFinished(&'a SizeRecord),
}

/// What `scaling.meta.toml` records: the model, the settings, and how the study went.
#[derive(Serialize)]
struct Meta<'a> {
    #[serde(flatten)]
    model: &'a Options,
    scaling: &'a Settings,
    provenance: &'a StudyProvenance,
}

/// What a size's checkpoint must have been made by: its model and the study's settings.
#[derive(Serialize)]
struct SizeDescription {
    #[serde(flatten)]
    model: Options,
    scaling: Settings,
}

/// The study's provenance: the run's, and each finished size.
#[derive(Serialize, Clone, Debug)]
struct StudyProvenance {
    #[serde(flatten)]
    run: Provenance,
    sizes: Vec<SizeRecord>,
}

/// A study ready to run: its plan, the table so far (resumed from its directory), the sizes
/// still to compute and the Bogoliubov limit of its model.
pub struct Study {
    plan: StudyPlan,
    table: ScalingTable,
    pending: Vec<usize>,
    provenance: StudyProvenance,
    bogoliubov: Vec<(f64, f64)>,
    notes: Vec<String>,
    title: String,
    start: Instant,
}

impl Study {
    /// Opens a planned study: reads back what its directory holds (refusing another study's
    /// directory), refuses up front the sizes that cannot fit in memory, records the run in
    /// `scaling.meta.toml` and computes the N → ∞ limit of the model (Bogoliubov, for the fits).
    /// `program` names the run in the provenance.
    pub fn open(plan: StudyPlan, program: &str) -> Result<Self> {
        let (table, records) = plan.resume()?;
        let steps = plan.sizes[0].problem.times.len();
        let pending: Vec<usize> = (0..plan.sizes.len())
            .filter(|&i| !table.has(plan.sizes[i].n1, plan.sizes[i].n2, steps))
            .collect();
        if let Some(available) = available_memory() {
            plan.check_memory(&pending, available)?;
        }
        let mut notes = Vec::new();
        if let Some(path) = plan.file(TABLE_FILE) {
            for (n1, n2) in table.sizes() {
                if plan.sizes.iter().any(|p| (p.n1, p.n2) == (n1, n2)) {
                    notes.push(format!(
                        "N = {} ({n1}+{n2}) is already in {}, skipped",
                        n1 + n2,
                        path.display()
                    ));
                }
            }
        }
        // The N → ∞ limit of the model (only the ratio enters). It is an addition to the study:
        // where it fails (an unstable model whose fluctuations overflow), the study runs on
        // with those columns empty.
        let first = &plan.sizes[0].problem;
        let mut bogoliubov = Vec::new();
        if let Err(e) = BogoliubovSystem::new(&first.model).evolve(
            &first.u0,
            &first.v0,
            &first.times,
            first.hartree_tolerance,
            |row| {
                bogoliubov.push((row.t, row.n_alpha11_limit));
                Ok(())
            },
        ) {
            notes.push(format!(
                "the Bogoliubov limit stops there ({e}); its columns stay empty after"
            ));
        }
        let title = format!(
            "{} M = {}, N1:N2 = {}{}",
            plan.model.geometry.as_deref().unwrap_or("ring"),
            first.model.sites(),
            plan.ratio,
            match plan.model.prefactors.as_deref() {
                Some("paper") | None => String::new(),
                Some(other) => format!(", {other} prefactors"),
            }
        );
        let study = Study {
            table,
            pending,
            provenance: StudyProvenance {
                run: Provenance::start(program),
                sizes: records,
            },
            bogoliubov,
            notes,
            title,
            start: Instant::now(),
            plan,
        };
        study.write_meta()?;
        Ok(study)
    }

    /// What the opening found worth telling (sizes skipped because they are done, a
    /// Bogoliubov limit that could not be computed).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The table so far.
    pub fn table(&self) -> &ScalingTable {
        &self.table
    }

    /// The fits of the table so far, with the Bogoliubov limit of the model.
    pub fn fits(&self) -> Vec<FitRow> {
        self.table.fits_against(&self.bogoliubov)
    }

    /// Seconds since the study was opened.
    pub fn elapsed_seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// The files the study writes, when it has a directory: the table, the fits, the meta file.
    pub fn files(&self) -> Option<[PathBuf; 3]> {
        Some([
            self.plan.file(TABLE_FILE)?,
            self.plan.file(FIT_FILE)?,
            self.plan.file(META_FILE)?,
        ])
    }

    /// Computes the pending sizes in order, reporting to `on_event` (whose error stops the
    /// study, as Ctrl-C from Python does). Each size is in the table, and on disk, when it
    /// finishes; the run is then marked complete in `scaling.meta.toml`, or, if it stops,
    /// failed with the error (rerunning the same command continues it).
    pub fn run(&mut self, on_event: impl FnMut(StudyEvent<'_>) -> Result<()>) -> Result<()> {
        let outcome = self.run_pending(on_event);
        if let Err(error) = &outcome {
            self.provenance
                .run
                .fail(self.start.elapsed().as_secs_f64(), error);
            // The study's own error is the one to report; the record is a courtesy.
            let _ = self.write_meta();
        }
        outcome
    }

    fn run_pending(
        &mut self,
        mut on_event: impl FnMut(StudyEvent<'_>) -> Result<()>,
    ) -> Result<()> {
        let cost = |p: &DynamicsProblem| {
            p.dimensions().map(|d| d.total()).unwrap_or(1) as f64 * p.model.total_particles() as f64
        };
        let sizes = &self.plan.sizes;
        let total_cost: f64 = self.pending.iter().map(|&i| cost(&sizes[i].problem)).sum();
        let steps = sizes[0].problem.times.len();
        let mut done = 0.0;
        let pending = std::mem::take(&mut self.pending);
        for (position, &i) in pending.iter().enumerate() {
            let size = &self.plan.sizes[i];
            let (n1, n2) = (size.n1, size.n2);
            // Pointing at the table only when it holds something.
            let stopped = |error: Error| match self.plan.file(TABLE_FILE).filter(|t| t.exists()) {
                Some(table) => Error::Stopped {
                    at: format!("N = {} ({n1}+{n2}): ", n1 + n2),
                    error: Box::new(error),
                    table,
                },
                None => error,
            };
            // The memory available may have changed since the start.
            if let Some(available) = available_memory() {
                self.plan.check_memory(&[i], available).map_err(stopped)?;
            }
            let dimension = size.problem.dimensions()?.total();
            let mut checkpoint = self.size_checkpoint(i, dimension).map_err(stopped)?;
            let (from, wall_before) = match checkpoint.as_mut().and_then(|c| c.take()) {
                Some(found) => {
                    let (resumed, wall) = size_resume(found).map_err(stopped)?;
                    (Some(resumed), wall)
                }
                None => (None, 0.0),
            };
            on_event(StudyEvent::SizeStarted {
                position: position + 1,
                pending: pending.len(),
                n1,
                n2,
                dimension,
                resumed_at: from.as_ref().map(|f| f.resume.progress.time),
            })?;
            let size_start = Instant::now();
            let per_row = cost(&size.problem) / total_cost.max(1.0) / steps as f64;
            done += per_row * from.as_ref().map_or(0, |f| f.rows.len()) as f64;
            let (rows, summary) = run_size(
                &size.problem,
                &self.plan.exponents,
                from,
                |row| {
                    done += per_row;
                    on_event(StudyEvent::Row {
                        row,
                        done: done.min(1.0),
                    })
                },
                |progress, propagator, state, rows| {
                    let Some(checkpoint) = &checkpoint else {
                        return Ok(());
                    };
                    let wall = wall_before + size_start.elapsed().as_secs_f64();
                    let mut running = vec![wall];
                    running.extend(rows.iter().flat_map(ScalingRow::to_numbers));
                    checkpoint.pause(progress, propagator, state, || Ok(Vec::new()), &running)
                },
            )
            .map_err(stopped)?;
            self.table.insert(&rows);
            let record = SizeRecord {
                n1,
                n2,
                dimension,
                wall_seconds: wall_before + size_start.elapsed().as_secs_f64(),
                matvecs: summary.propagation.matvecs,
                krylov_error_estimate: summary.propagation.error_estimate,
                propagator: Some(summary.propagator.to_string()),
                paired_outputs: summary.paired_outputs,
                finished: utc_timestamp(),
            };
            let sizes = &mut self.provenance.sizes;
            sizes.retain(|r| (r.n1, r.n2) != (n1, n2));
            sizes.push(record.clone());
            sizes.sort_by_key(|r| (r.n1 + r.n2, r.n1));
            self.write_outputs()?;
            self.write_meta()?;
            if let Some(checkpoint) = &checkpoint {
                checkpoint.remove()?;
            }
            on_event(StudyEvent::SizeFinished(&record))?;
        }
        if pending.is_empty() {
            self.write_outputs()?;
        }
        self.provenance
            .run
            .complete(self.start.elapsed().as_secs_f64());
        self.write_meta()
    }

    /// The checkpoint of size `i` in the study's directory (none for a study kept in memory):
    /// `size_N1_N2.checkpoint`, written every `checkpoint-every` seconds while the size runs
    /// and removed when it is in the table. Its fingerprint is the size's whole description.
    fn size_checkpoint(&self, i: usize, dimension: usize) -> Result<Option<Checkpointer>> {
        let size = &self.plan.sizes[i];
        let Some(path) = self
            .plan
            .file(&format!("size_{}_{}.checkpoint", size.n1, size.n2))
        else {
            return Ok(None);
        };
        // The size's model and settings (the propagator is the checkpoint's own, whatever is
        // asked now; the directory is where the checkpoint is).
        let described = SizeDescription {
            model: Options {
                checkpoint_every: None,
                provenance: None,
                propagator: None,
                ..size.options.clone()
            },
            scaling: Settings {
                out_dir: None,
                ..self.plan.settings.clone()
            },
        };
        let fingerprint = fingerprint("scaling", &described)?;
        Checkpointer::open(path, fingerprint, size.options.checkpoint_every, dimension).map(Some)
    }

    /// The table, the fits and the figures, for a study with a directory.
    fn write_outputs(&self) -> Result<()> {
        let (Some(dir), Some([table, fits, _])) = (&self.plan.dir, self.files()) else {
            return Ok(());
        };
        self.table.write(&table)?;
        let fit_rows = self.fits();
        ScalingTable::write_fits(&fit_rows, &fits)?;
        write_figures(&self.table, &fit_rows, &self.title, dir)?;
        Ok(())
    }

    /// `scaling.meta.toml`, for a study with a directory.
    fn write_meta(&self) -> Result<()> {
        let Some(path) = self.plan.file(META_FILE) else {
            return Ok(());
        };
        let text = toml::to_string(&Meta {
            model: &self.plan.model,
            scaling: &self.plan.settings,
            provenance: &self.provenance,
        })
        .map_err(|e| Error::Numerical(format!("writing {}: {e}", path.display())))?;
        write_atomically(
            &path,
            &format!(
                "# How the scaling study in this directory was made. Rerun or resume with: scaling --config <this file>\n{text}"
            ),
        )
    }
}

/// The point an interrupted size continues from, and the wall time it had taken, from its
/// checkpoint (running values: the wall seconds, then the rows' numbers).
fn size_resume(found: Checkpoint) -> Result<(SizeResume, f64)> {
    let header = found.header;
    let damaged = || {
        Error::invalid(
            "size checkpoint",
            "its rows cannot be read back; delete it to run the size afresh",
        )
    };
    let (&wall, numbers) = header.running.split_first().ok_or_else(damaged)?;
    if numbers.len() % ROW_NUMBERS != 0 {
        return Err(damaged());
    }
    let rows = numbers
        .chunks_exact(ROW_NUMBERS)
        .map(ScalingRow::from_numbers)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(damaged)?;
    let resume = Resume {
        progress: header.progress(),
        propagator: header.propagator()?,
        state: found.state,
    };
    Ok((SizeResume { resume, rows }, wall))
}
