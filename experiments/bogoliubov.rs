//! `bogoliubov`: the N → ∞ limit curves lim N₁α^(1,0), lim N₂α^(0,1) and lim (N₁+N₂)α^(1,1)
//! from the Bogoliubov fluctuations of the mixture around its Hartree pair (see the library's
//! `bogoliubov` module for the derivation), with the invariants of the transformation.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use serde::Serialize;

use pickl::app::config::Options;
use pickl::app::experiment::{exit_with, ModelArgs};
use pickl::app::report::{
    progress_bar, provenance_path, stopped_run, write_provenance, CsvTable,
    Provenance as RunProvenance,
};
use pickl::evolution::bogoliubov::BOGOLIUBOV_COLUMNS;
use pickl::studies::bogoliubov::{write_limit_figure, BogoliubovProblem};
use pickl::studies::memory::available_memory;

/// The Bogoliubov limit of the mixture: the exact N → ∞ curves of N·α beside the Hartree energy.
/// Takes the model flags and keys of `dynamics`; only the ratio N1 : N2 enters (--ratio a:b, or
/// --n1 --n2). With no arguments, runs the default model of `dynamics` into
/// results/bogoliubov_default.csv. --tol is the integrator's relative tolerance. A scaling
/// study's file (studies/*.toml) may be given with --config: its model is used.
#[derive(Parser, Debug)]
#[command(name = "bogoliubov", version)]
struct Cli {
    #[command(flatten)]
    model: ModelArgs,
    /// N1 : N2, the ratio that fixes c1 and c2 (instead of --n1 --n2) [default: 1:1]
    #[arg(long, value_name = "a:b")]
    ratio: Option<String>,
}

/// The run's provenance with the integrator's figures.
#[derive(Serialize, Clone)]
struct Provenance {
    #[serde(flatten)]
    run: RunProvenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrator_steps: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integrator_rejected: Option<usize>,
}

fn main() -> ExitCode {
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> pickl::Result<()> {
    let resolved = BogoliubovProblem::resolve_options(
        cli.model.options,
        cli.ratio.as_deref(),
        cli.model.config.as_deref(),
    )?;
    let problem = BogoliubovProblem::from_options(&resolved)?;
    // What is written beside the table: without the keys only the exact engine reads.
    let options = Options {
        krylov_dim: None,
        propagator: None,
        checkpoint_every: None,
        hartree_tol: None,
        ..resolved
    };
    if let Some(available) = available_memory() {
        problem.check_memory(available)?;
    }
    let out = options.out.clone().expect("resolved options name the file");
    let mut provenance = Provenance {
        run: RunProvenance::start("bogoliubov"),
        integrator_steps: None,
        integrator_rejected: None,
    };
    let mut table = CsvTable::create(&out, &BOGOLIUBOV_COLUMNS)?;
    write_provenance(&out, &options, &provenance)?;
    eprintln!(
        "bogoliubov: M = {}, c1 = {:.6}, c2 = {:.6}, {} output times to T = {}, tolerance {:e}",
        problem.model.sites(),
        problem.model.c1(),
        problem.model.c2(),
        problem.times.len(),
        problem.times.last().copied().unwrap_or(0.0),
        problem.tolerance
    );
    let start = Instant::now();
    let progress = progress_bar(problem.times.len() as u64, "{pos}/{len} times");
    let mut rows = Vec::with_capacity(problem.times.len());
    let stats = problem
        .run(|row| {
            rows.push(row.clone());
            table.write_row(&row.cells())?;
            progress.set_message(format!(
                "t = {:.3}, lim N alpha11 = {:.5}",
                row.t, row.n_alpha11_limit
            ));
            progress.inc(1);
            Ok(())
        })
        .map_err(|e| {
            progress.abandon();
            let mut provenance = provenance.clone();
            provenance.run.fail(start.elapsed().as_secs_f64(), &e);
            stopped_run(&out, &options, &provenance, e)
        })?;
    progress.finish_and_clear();
    let wall = start.elapsed().as_secs_f64();
    provenance.run.complete(wall);
    provenance.integrator_steps = Some(stats.steps);
    provenance.integrator_rejected = Some(stats.rejected);
    write_provenance(&out, &options, &provenance)?;
    let title = format!(
        "M = {}, c1 = {:.4}: the Bogoliubov limit curves",
        problem.model.sites(),
        problem.model.c1()
    );
    let figures = write_limit_figure(&rows, &title, &out.with_extension(""))?;
    eprintln!(
        "bogoliubov: done in {wall:.2} s wall, {} steps ({} rejected); wrote {}, {}, {}",
        stats.steps,
        stats.rejected,
        out.display(),
        figures
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        provenance_path(&out).display()
    );
    Ok(())
}
