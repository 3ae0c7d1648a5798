//! The frame every experiment binary shares: merge flags, config file and defaults, check the
//! memory, write provenance before and after, show progress, and print a closing line with the
//! wall time, matvec count and error estimate. Binaries stay thin: parse → [`Experiment`] →
//! their own table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::config::Options;
use crate::dynamics::{DynamicsProblem, DynamicsSummary};
use crate::report::{available_memory, provenance_path, utc_timestamp, write_provenance};
use crate::Result;

/// The model arguments every experiment accepts: a TOML config file and the flags of SPEC §8.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// TOML file with the same keys as the flags (flags given here take precedence)
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub options: Options,
}

/// A binary's exit: success, or the message on stderr as `error: …` and a failure code.
pub fn exit_with(result: std::result::Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// How a results table was made, written beside it (see [`crate::report::write_provenance`]).
#[derive(Serialize, Clone, Debug)]
pub struct Provenance {
    program: String,
    version: String,
    command: String,
    started: String,
    status: String,
    threads: usize,
    dimension_a: usize,
    dimension_b: usize,
    dimension: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wall_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matvecs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    krylov_steps: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    krylov_error_estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hartree_steps: Option<usize>,
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
    start: Instant,
}

impl Experiment {
    /// [`Experiment::prepare`] from the shared command-line arguments.
    pub fn from_args(program: &'static str, args: ModelArgs, default_out: &str) -> Result<Self> {
        Self::prepare(program, args.options, args.config.as_deref(), default_out)
    }

    /// Merges `flags` over the optional config file over the defaults, builds and checks the
    /// problem, and records that the run has started.
    pub fn prepare(
        program: &'static str,
        flags: Options,
        config: Option<&Path>,
        default_out: &str,
    ) -> Result<Self> {
        let from_file = match config {
            Some(path) => Options::from_toml_file(path)?,
            None => Options::default(),
        };
        let options = flags.or(from_file).resolved(default_out)?;
        let problem = options.problem()?;
        if let Some(available) = available_memory() {
            problem.check_memory(available)?;
        }
        let out = options
            .out
            .clone()
            .expect("resolved options name the output file");
        let dimensions = problem.dimensions()?;
        let provenance = Provenance {
            program: program.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            started: utc_timestamp(),
            status: "running".into(),
            threads: rayon::current_num_threads(),
            dimension_a: dimensions.species_a,
            dimension_b: dimensions.species_b,
            dimension: dimensions.total(),
            finished: None,
            wall_seconds: None,
            matvecs: None,
            krylov_steps: None,
            krylov_error_estimate: None,
            hartree_steps: None,
        };
        write_provenance(&out, &options, &provenance)?;
        eprintln!(
            "{program}: M = {}, N1 = {}, N2 = {}, D = {} x {} = {}, writing {}",
            problem.model.sites(),
            problem.model.species_a().particles,
            problem.model.species_b().particles,
            dimensions.species_a,
            dimensions.species_b,
            dimensions.total(),
            out.display()
        );
        let progress = ProgressBar::new(problem.times.len() as u64);
        progress.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} times  {msg}  (eta {eta})",
            )
            .expect("valid progress template")
            .progress_chars("=> "),
        );
        Ok(Experiment {
            program,
            options,
            problem,
            out,
            provenance,
            progress,
            start: Instant::now(),
        })
    }

    /// Marks one output time done.
    pub fn advance(&self, t: f64, alpha11: f64, matvecs: usize) {
        self.progress.set_message(format!(
            "t = {t:.3}, alpha11 = {alpha11:.3e}, {matvecs} matvecs"
        ));
        self.progress.inc(1);
    }

    /// Stops the progress bar after a failure, pointing at the rows already written.
    pub fn abandon(&self, error: crate::Error) -> String {
        self.progress.abandon();
        format!(
            "{error} (the rows computed so far are in {})",
            self.out.display()
        )
    }

    /// Records the finished run in the provenance file and prints the closing line.
    pub fn finish(mut self, summary: &DynamicsSummary, also_wrote: &[PathBuf]) -> Result<()> {
        self.progress.finish_and_clear();
        let wall = self.start.elapsed().as_secs_f64();
        let p = &mut self.provenance;
        p.status = "complete".into();
        p.finished = Some(utc_timestamp());
        p.wall_seconds = Some(wall);
        p.matvecs = Some(summary.propagation.matvecs);
        p.krylov_steps = Some(summary.propagation.steps);
        p.krylov_error_estimate = Some(summary.propagation.error_estimate);
        p.hartree_steps = Some(summary.hartree.steps);
        write_provenance(&self.out, &self.options, &self.provenance)?;
        let mut files = vec![self.out.display().to_string()];
        files.extend(also_wrote.iter().map(|f| f.display().to_string()));
        files.push(provenance_path(&self.out).display().to_string());
        eprintln!(
            "{}: done in {wall:.2} s wall, {} matvecs in {} Krylov steps, state error estimate {:.2e} \
             (tolerance {:e}); Hartree {} steps; wrote {}",
            self.program,
            summary.propagation.matvecs,
            summary.propagation.steps,
            summary.propagation.error_estimate,
            self.problem.krylov.tolerance(),
            summary.hartree.steps,
            files.join(", ")
        );
        Ok(())
    }
}
