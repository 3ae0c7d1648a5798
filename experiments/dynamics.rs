//! `dynamics`: the exact many-body dynamics of a two-species mixture beside its Hartree
//! equations (2.10), with α^(1,1), α^(1,0), α^(0,1), the many-body and Hartree energies and
//! ‖Ψ‖ at every output time. See `dynamics --help` and SPEC §8.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use pickl::config::Options;
use pickl::report::{available_memory, provenance_path, utc_timestamp, write_provenance, CsvTable};

const DEFAULT_OUT: &str = "results/dynamics_default.csv";

/// Exact two-species dynamics and the Hartree system side by side. With no arguments, runs the
/// default model (ring M=4, N1=N2=10, T=3, K=30) into results/dynamics_default.csv.
#[derive(Parser, Debug)]
#[command(name = "dynamics", version)]
struct Cli {
    /// TOML file with the same keys as the flags (flags given here take precedence)
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
}

const COLUMNS: [&str; 9] = [
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

#[derive(Serialize)]
struct Provenance {
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let from_file = match &cli.config {
        Some(path) => Options::from_toml_file(path).map_err(|e| e.to_string())?,
        None => Options::default(),
    };
    let options = cli
        .options
        .or(from_file)
        .resolved(DEFAULT_OUT)
        .map_err(|e| e.to_string())?;
    let problem = options.problem().map_err(|e| e.to_string())?;
    if let Some(available) = available_memory() {
        problem.check_memory(available).map_err(|e| e.to_string())?;
    }
    let out = options
        .out
        .clone()
        .expect("resolved options name the output file");
    let dimensions = problem.dimensions().map_err(|e| e.to_string())?;
    let mut provenance = Provenance {
        program: "dynamics".into(),
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
    write_provenance(&out, &options, &provenance).map_err(|e| e.to_string())?;
    let mut table = CsvTable::create(&out, &COLUMNS).map_err(|e| e.to_string())?;
    eprintln!(
        "dynamics: M = {}, N1 = {}, N2 = {}, D = {} x {} = {}, writing {}",
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
    let start = Instant::now();
    let summary = problem
        .run(|row| {
            table.write_row(&[
                row.t,
                row.alpha11,
                row.alpha10,
                row.alpha01,
                row.energy_mb,
                row.energy_hartree,
                row.norm,
                row.error_estimate,
                row.matvecs as f64,
            ])?;
            progress.set_message(format!(
                "t = {:.3}, alpha11 = {:.3e}, {} matvecs",
                row.t, row.alpha11, row.matvecs
            ));
            progress.inc(1);
            Ok(())
        })
        .map_err(|e| {
            progress.abandon();
            format!("{e} (the rows computed so far are in {})", out.display())
        })?;
    progress.finish_and_clear();
    let wall = start.elapsed().as_secs_f64();
    provenance.status = "complete".into();
    provenance.finished = Some(utc_timestamp());
    provenance.wall_seconds = Some(wall);
    provenance.matvecs = Some(summary.propagation.matvecs);
    provenance.krylov_steps = Some(summary.propagation.steps);
    provenance.krylov_error_estimate = Some(summary.propagation.error_estimate);
    provenance.hartree_steps = Some(summary.hartree.steps);
    write_provenance(&out, &options, &provenance).map_err(|e| e.to_string())?;
    eprintln!(
        "dynamics: done in {wall:.2} s wall, {} matvecs in {} Krylov steps, state error estimate {:.2e} \
         (tolerance {:e}); Hartree {} steps; wrote {} and {}",
        summary.propagation.matvecs,
        summary.propagation.steps,
        summary.propagation.error_estimate,
        problem.krylov.tolerance(),
        summary.hartree.steps,
        out.display(),
        provenance_path(&out).display()
    );
    Ok(())
}
