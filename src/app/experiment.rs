//! The frame every experiment binary shares: merge flags, config file and defaults, check the
//! memory, write provenance before and after, show progress, and print a closing line with the
//! wall time, matvec count and error estimate; keep a checkpoint of a long run and continue
//! from it when the same command is run again ([`crate::evolution::checkpoint`]). Binaries stay thin:
//! parse → [`Experiment`] → their own table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::ProgressBar;
use serde::Serialize;

use crate::app::config::Options;
use crate::app::report::{provenance_path, stopped_run, write_provenance, CsvTable};
use crate::evolution::checkpoint::{checkpoint_path, fingerprint, Checkpointer};
use crate::evolution::propagation::{Progress, PropagatorChoice};
use crate::studies::dynamics::{DynamicsProblem, DynamicsSummary, Resume};
use crate::studies::memory::MeasurementMemory;
use crate::{Error, Result, C64};

/// The model arguments every experiment accepts: a TOML config file and the flags of SPEC §8.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// TOML file with the same keys as the flags (flags given here take precedence)
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub options: Options,
}

/// A binary's exit: success; a run stopped when asked ([`crate::app::interrupt`]), its message
/// on stderr and the code of a process ended by that signal (128 + signal); or the message on
/// stderr as `error: …` and a failure code.
pub fn exit_with(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.interrupted_by() {
            // Stopped when asked, with a checkpoint: the code of a process ended by the signal.
            Some(signal) => {
                eprintln!("{error}");
                ExitCode::from((128 + signal).clamp(0, 255) as u8)
            }
            None => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
    }
}

/// How a results table was made, written beside it (see [`crate::app::report::write_provenance`]).
#[derive(Serialize, Clone, Debug)]
pub struct Provenance {
    #[serde(flatten)]
    run: crate::app::report::Provenance,
    dimension_a: usize,
    dimension_b: usize,
    dimension: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    matvecs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    propagator: Option<String>,
    /// Whether the Chebyshev propagator summed two outputs from one series (absent for Lanczos).
    #[serde(skip_serializing_if = "Option::is_none")]
    paired_outputs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    propagation_steps: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    propagation_error_estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hartree_steps: Option<usize>,
    /// The time of the checkpoint this run continued from.
    #[serde(skip_serializing_if = "Option::is_none")]
    resumed_at: Option<f64>,
}

/// A prepared run: resolved options, the validated problem, the output path and the progress bar.
pub struct Experiment {
    program: &'static str,
    /// The options with every default filled in.
    pub options: Options,
    /// The problem they describe.
    pub problem: DynamicsProblem,
    /// The main output table.
    pub out: PathBuf,
    provenance: Provenance,
    progress: ProgressBar,
    /// t and α^(1,1) of the last output time shown and the output times done, which the
    /// progress message keeps while the matvecs after it run.
    shown: std::cell::Cell<(f64, f64, usize)>,
    /// Whether the bar counts matvecs (from the first [`Experiment::working`] on), not
    /// output times.
    by_matvecs: std::cell::Cell<bool>,
    start: Instant,
    checkpoint: Checkpointer,
}

impl Experiment {
    /// [`Experiment::prepare`] from the shared command-line arguments.
    pub fn from_args(
        program: &'static str,
        args: ModelArgs,
        default_out: &str,
        measurement: MeasurementMemory,
    ) -> Result<Self> {
        Self::prepare(
            program,
            args.options,
            args.config.as_deref(),
            default_out,
            measurement,
        )
    }

    /// Merges `flags` over the optional config file over the defaults, builds the problem
    /// (whose measurements hold `measurement`), checks that it
    /// fits in memory, and records that the run has started.
    pub fn prepare(
        program: &'static str,
        flags: Options,
        config: Option<&Path>,
        default_out: &str,
        measurement: MeasurementMemory,
    ) -> Result<Self> {
        let from_file = match config {
            // A scaling study's file gives its model; its [scaling] table is not read here.
            Some(path) => Options::from_toml_file_without(path, &["scaling"])?,
            None => Options::default(),
        };
        let options = flags.or(from_file).resolved(default_out)?;
        let mut problem = options.problem()?;
        problem.measurement = measurement;
        let fresh_plan = problem.decided_propagator()?;
        let out = options
            .out
            .clone()
            .expect("resolved options name the output file");
        let dimensions = problem.dimensions()?;
        let provenance = Provenance {
            run: crate::app::report::Provenance::start(program),
            dimension_a: dimensions.species_a,
            dimension_b: dimensions.species_b,
            dimension: dimensions.total(),
            matvecs: None,
            propagator: None,
            paired_outputs: None,
            propagation_steps: None,
            propagation_error_estimate: None,
            hartree_steps: None,
            resumed_at: None,
        };
        let checkpoint = open_checkpoint(program, &options, &out, dimensions.total())?;
        // `auto` is decided once, here; the run and its provenance use the decision.
        let planned = match checkpoint.found() {
            Some(found) => found.header.propagator()?,
            None => fresh_plan,
        };
        problem.propagator = planned;
        let mut provenance = provenance;
        provenance.resumed_at = checkpoint.found().map(|c| c.header.time);
        write_provenance(&out, &options, &provenance)?;
        eprintln!(
            "{program}: M = {}, N1 = {}, N2 = {}, D = {} x {} = {}, {} propagator, about {:.2} GiB, writing {}",
            problem.model.sites(),
            problem.model.species_a().particles,
            problem.model.species_b().particles,
            dimensions.species_a,
            dimensions.species_b,
            dimensions.total(),
            planned,
            problem.memory_estimate_for(planned)? as f64 / (1u64 << 30) as f64,
            out.display()
        );
        let progress =
            crate::app::report::progress_bar(problem.times.len() as u64, "{pos}/{len} times");
        if let Some(found) = checkpoint.found() {
            eprintln!(
                "{program}: continuing from the checkpoint at t = {} ({} matvecs done) in {}",
                found.header.time,
                found.header.matvecs,
                checkpoint.path().display()
            );
        }
        Ok(Experiment {
            program,
            options,
            problem,
            out,
            provenance,
            progress,
            shown: std::cell::Cell::new((0.0, f64::NAN, 0)),
            by_matvecs: std::cell::Cell::new(false),
            start: Instant::now(),
            checkpoint,
        })
    }

    /// The output tables, each `(path, header)`: created afresh, or, when continuing from a
    /// checkpoint, cut back to the rows it records.
    pub fn tables<const N: usize>(&self, tables: [(&Path, &[&str]); N]) -> Result<[CsvTable; N]> {
        let lengths = self.checkpoint.found().map(|c| &c.header.tables);
        if let Some(lengths) = lengths.filter(|l| l.len() != tables.len()) {
            return Err(Error::invalid(
                format!("checkpoint {}", self.checkpoint.path().display()),
                format!(
                    "records {} tables where this run writes {}; delete it to start afresh",
                    lengths.len(),
                    tables.len()
                ),
            ));
        }
        let opened = tables
            .iter()
            .enumerate()
            .map(|(i, (path, header))| match lengths {
                Some(lengths) => CsvTable::reopen(path, header, lengths[i]),
                None => CsvTable::create(path, header),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(opened
            .try_into()
            .ok()
            .expect("one table opened for each asked for"))
    }

    /// The point to continue from, if a checkpoint of this run was found (taken once), with
    /// the experiment's running values saved with it.
    pub fn resume(&mut self) -> Result<Option<(Resume, Vec<f64>)>> {
        let Some(found) = self.checkpoint.take() else {
            return Ok(None);
        };
        let header = found.header;
        Ok(Some((
            Resume {
                progress: header.progress(),
                propagator: header.propagator()?,
                state: found.state,
            },
            header.running,
        )))
    }

    /// At a pause of the propagator: writes a checkpoint if the interval has passed since the
    /// last one (the state, the progress, the lengths of `tables`, and `running`, the
    /// experiment's own values to continue with). The tables must hold every row up to the
    /// pause and no more.
    pub fn pause(
        &self,
        progress: &Progress,
        propagator: PropagatorChoice,
        state: &[C64],
        tables: &[&CsvTable],
        running: &[f64],
    ) -> Result<()> {
        let lengths = || tables.iter().map(|t| t.bytes()).collect::<Result<Vec<_>>>();
        self.checkpoint
            .pause(progress, propagator, state, lengths, running)
    }

    /// Marks the output times done before a checkpoint the run continues from.
    pub fn skip(&self, done: usize) {
        let (t, alpha11, _) = self.shown.get();
        self.shown.set((t, alpha11, done));
        self.progress.set_position(done as u64);
    }

    /// Marks one output time done.
    pub fn advance(&self, t: f64, alpha11: f64, matvecs: usize) {
        let done = self.shown.get().2 + 1;
        self.shown.set((t, alpha11, done));
        if self.by_matvecs.get() {
            self.show_times();
        } else {
            self.progress.set_message(format!(
                "t = {t:.3}, alpha11 = {alpha11:.3e}, {matvecs} matvecs"
            ));
            self.progress.inc(1);
        }
    }

    /// Shows the run's matvecs so far of those planned, between two output times: from the
    /// first call on, the bar counts matvecs (its time left then follows the work, where output
    /// times can be minutes apart) and the message the output times done.
    pub fn working(&self, matvecs: usize, planned: usize) {
        if !self.by_matvecs.replace(true) {
            self.progress
                .set_style(crate::app::report::progress_style("{pos}/{len} matvecs"));
            self.progress.reset_eta();
            self.show_times();
        }
        self.progress.set_length(planned.max(matvecs) as u64);
        self.progress.set_position(matvecs as u64);
    }

    /// The message of a bar that counts matvecs: the last output time's t and α^(1,1), and the
    /// output times done.
    fn show_times(&self) {
        let (t, alpha11, done) = self.shown.get();
        self.progress.set_message(format!(
            "t = {t:.3}, alpha11 = {alpha11:.3e}, {done}/{} times",
            self.problem.times.len()
        ));
    }

    /// Stops the progress bar after a failure, records it (`status = "failed"` and the error) in
    /// the provenance file, and points at the rows already written.
    pub fn abandon(&self, error: crate::Error) -> crate::Error {
        stopped_run(&self.out, &self.options, &self.failed(&error), error)
    }

    /// Gives the run up before its first row (`error` says why): the provenance file records
    /// the failure and the error is returned as it is.
    pub fn refuse(&self, error: crate::Error) -> crate::Error {
        // As in `stopped_run`: the refusal is what to report, the record a courtesy.
        let _ = write_provenance(&self.out, &self.options, &self.failed(&error));
        error
    }

    /// The progress bar stopped and the provenance of a run that failed with `error`.
    fn failed(&self, error: &crate::Error) -> Provenance {
        self.progress.abandon();
        let mut provenance = self.provenance.clone();
        provenance
            .run
            .fail(self.start.elapsed().as_secs_f64(), error);
        provenance
    }

    /// Records the finished run in the provenance file and prints the closing line.
    pub fn finish(mut self, summary: &DynamicsSummary, also_wrote: &[PathBuf]) -> Result<()> {
        self.progress.finish_and_clear();
        let wall = self.start.elapsed().as_secs_f64();
        let p = &mut self.provenance;
        p.run.complete(wall);
        p.matvecs = Some(summary.propagation.matvecs);
        p.propagator = Some(summary.propagator.to_string());
        p.paired_outputs = summary.paired_outputs;
        p.propagation_steps = Some(summary.propagation.steps);
        p.propagation_error_estimate = Some(summary.propagation.error_estimate);
        p.hartree_steps = Some(summary.hartree.steps);
        write_provenance(&self.out, &self.options, &self.provenance)?;
        self.checkpoint.remove()?;
        let mut files = vec![self.out.display().to_string()];
        files.extend(also_wrote.iter().map(|f| f.display().to_string()));
        files.push(provenance_path(&self.out).display().to_string());
        eprintln!(
            "{}: done in {wall:.2} s wall, {} matvecs in {} {} steps, state error estimate {:.2e} \
             (tolerance {:e}); Hartree {} steps; wrote {}",
            self.program,
            summary.propagation.matvecs,
            summary.propagation.steps,
            summary.propagator,
            summary.propagation.error_estimate,
            self.problem.krylov.tolerance(),
            summary.hartree.steps,
            files.join(", ")
        );
        Ok(())
    }
}

/// The checkpoint beside `out` of the run of `program` with `options` (see [`Checkpointer`]).
fn open_checkpoint(
    program: &str,
    options: &Options,
    out: &Path,
    dimension: usize,
) -> Result<Checkpointer> {
    let described = Options {
        checkpoint_every: None,
        provenance: None,
        ..options.clone()
    };
    Checkpointer::open(
        checkpoint_path(out),
        fingerprint(program, &described)?,
        options.checkpoint_every,
        dimension,
    )
}
