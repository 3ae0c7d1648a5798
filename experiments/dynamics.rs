//! `dynamics`: the exact many-body dynamics of a two-species mixture beside its Hartree
//! equations (2.10), with α^(1,1), α^(1,0), α^(0,1), the many-body and Hartree energies and
//! ‖Ψ‖ at every output time (with `--prefactors common`, also α^(1,1) against the pair of
//! (2.10) written with the unscaled potentials). See `dynamics --help` and SPEC §8.

use std::process::ExitCode;

use clap::Parser;

use pickl::app::experiment::{exit_with, Experiment, ModelArgs};
use pickl::studies::dynamics::Stage;

/// Exact two-species dynamics and the Hartree system side by side. With no arguments, runs the
/// default model (ring M=4, N1=N2=10, T=3, K=30) into results/dynamics_default.csv.
#[derive(Parser, Debug)]
#[command(name = "dynamics", version)]
struct Cli {
    #[command(flatten)]
    model: ModelArgs,
}

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: stop at the next pause with a checkpoint (again: at once).
    pickl::app::interrupt::install();
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> pickl::Result<()> {
    let mut experiment = Experiment::from_args(
        "dynamics",
        cli.model,
        "results/dynamics_default.csv",
        pickl::studies::memory::MeasurementMemory::NONE,
    )?;
    let out = experiment.out.clone();
    let columns = experiment.problem.columns();
    let [mut table] = experiment.tables([(&out, &columns)])?;
    let resume = experiment.resume()?;
    if let Some((resume, _)) = &resume {
        experiment.skip(resume.progress.next);
    }
    let summary = experiment
        .problem
        .evolve_from(resume.map(|(r, _)| r), |stage| match stage {
            Stage::Moment(moment) => {
                let row = &moment.row;
                table.write_cells(&row.cells())?;
                experiment.advance(row.t, row.alpha11, row.matvecs);
                Ok(())
            }
            Stage::Pause(progress, propagator, state) => {
                experiment.pause(progress, propagator, state, &[&table], &[])
            }
            Stage::Working { matvecs, planned } => {
                experiment.working(matvecs, planned);
                Ok(())
            }
        })
        .map_err(|e| experiment.abandon(e))?;
    experiment.finish(&summary, &[])
}
