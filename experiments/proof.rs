//! `proof`: the paper's §5 at finite N₁, N₂ along the exact dynamics. At every output time it
//! evaluates C_V1, C_V2, C_V12, their 16 pairs each and the split of T(pp,qq), against the bounds of
//! Propositions 5.1–5.2 with the constants derived from the proof (see `pickl::proof::bounds`), and
//! the Grönwall bound of Theorem 2.1. Same flags and TOML keys as `dynamics`, plus `--r-s`.
//!
//! Writes `FILE.csv` (long: `t,group,term,re,im,abs,bound,ratio,bound_tight,ratio_tight`) and
//! `FILE_wide.csv` (`t,alpha11,dalpha_terms,dalpha_fd,c_v1_im,c_v2_im,c_v12_im,b_t,f_t,
//! gronwall_bound,kappa_eff`, then `r11,trace_bound`: R^(1,1) and the bound of Corollary 2.1
//! (2.22), then `kappa,kappa_tight,b_t_tight,gronwall_bound_tight,log10_gronwall_bound,
//! log10_gronwall_bound_tight,degenerate_bounds,log10_bound_over_alpha,
//! log10_bound_tight_over_alpha`). The Grönwall and trace bounds are left empty
//! when a species has one particle (the proof needs N₁, N₂ ≥ 2).

use std::process::ExitCode;

use clap::Parser;

use pickl::app::experiment::{exit_with, Experiment, ModelArgs};
use pickl::app::report::sibling_table;
use pickl::proof::norms::ExponentChoice;
use pickl::studies::dynamics::Stage;
use pickl::studies::ledger_figures::write_ledger_figures;
use pickl::studies::proof::{ProofRun, STEP_COLUMNS, TERM_COLUMNS, WIDE_COLUMNS};
use pickl::Result;

/// Every term of the proof of Theorem 2.1 against its bound, along the exact dynamics. With no
/// arguments, runs the default model into results/proof_default.csv (and _wide.csv).
#[derive(Parser, Debug)]
#[command(name = "proof", version)]
struct Cli {
    /// Exponents (r, s) of (A2): `scan` (smallest constant per potential), `r:s` for all
    /// potentials, or `r1:s1,r2:s2,r12:s12`; `inf` for infinity
    #[arg(long = "r-s", value_name = "CHOICE", default_value = "scan")]
    r_s: String,
    #[command(flatten)]
    model: ModelArgs,
}

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: stop at the next pause with a checkpoint (again: at once).
    pickl::app::interrupt::install();
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> Result<()> {
    let exponents: ExponentChoice = cli.r_s.parse()?;
    let mut experiment = Experiment::from_args(
        "proof",
        cli.model,
        "results/proof_default.csv",
        pickl::studies::proof::MEMORY,
    )?;
    let mut proof = ProofRun::new(&experiment.problem, exponents)?;
    let mut problem = experiment.problem.clone();
    problem.times = proof.evaluation_times();
    let (out, steps_path, wide_path) = (
        experiment.out.clone(),
        sibling_table(&experiment.out, "steps"),
        sibling_table(&experiment.out, "wide"),
    );
    let mut tables = experiment.tables([
        (&out, &TERM_COLUMNS),
        (&steps_path, &STEP_COLUMNS),
        (&wide_path, &WIDE_COLUMNS),
    ])?;
    let [terms, steps, wide] = &mut tables;
    let resume = experiment.resume()?;
    if let Some((_, running)) = &resume {
        let done = proof.resume(running)?;
        experiment.skip(done);
    }
    let summary = problem
        .evolve_from(resume.map(|(r, _)| r), |stage| -> Result<()> {
            match stage {
                Stage::Moment(moment) => {
                    let observed = proof.observe(moment)?;
                    if let Some(output) = observed.output {
                        for row in &output.terms {
                            terms.write_text_row(&row.cells(output.t))?;
                        }
                        for step in &output.steps {
                            steps.write_text_row(&step.cells(output.t))?;
                        }
                        experiment.advance(output.t, output.alpha11, moment.row.matvecs);
                    }
                    if let Some(row) = observed.wide {
                        wide.write_cells(&row.cells())?;
                    }
                    Ok(())
                }
                // A checkpoint only between output rows, when no row is half made.
                Stage::Pause(progress, propagator, state) if proof.between_rows() => experiment
                    .pause(
                        progress,
                        propagator,
                        state,
                        &[&*terms, &*steps, &*wide],
                        &proof.running(),
                    ),
                Stage::Pause(..) => Ok(()),
                Stage::Working { matvecs, planned } => {
                    experiment.working(matvecs, planned);
                    Ok(())
                }
            }
        })
        .map_err(|e| experiment.abandon(e))?;
    drop(tables);
    let model = &problem.model;
    let title = format!(
        "M = {}, N1 = {}, N2 = {}",
        model.sites(),
        model.species_a().particles,
        model.species_b().particles
    );
    let mut also = vec![steps_path.clone(), wide_path];
    also.extend(write_ledger_figures(&steps_path, &title)?);
    experiment.finish(&summary, &also)
}
