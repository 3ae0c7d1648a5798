//! `counting`: Pickl's counting along the exact dynamics. At every output time the state is
//! written in the condensate frame of the Hartree pair (u_t, v_t), giving the joint counting
//! distribution π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩, the indicators α^(k₁,k₂), R^(1,1) and
//! R^(2,2) from the reduced density matrices, the natural occupations, the slack of
//! Lemmas 3.1, 3.2, A.1 and A.2, and the first BBGKY equation (4.13) against (4.14); and (2.25), α^(k₁,k₂) for every k₁ ≤ N₁, k₂ ≤ N₂ against
//! max(k₁,k₂) times the Grönwall bound, in `FILE_alpha_k.csv` with the figure `FILE_alpha_k`.
//! Same flags and TOML keys as `dynamics`.

use std::process::ExitCode;

use clap::Parser;

use pickl::app::experiment::{exit_with, Experiment, ModelArgs};
use pickl::app::report::sibling_table;
use pickl::studies::counting::{
    counting_columns, read_diagonal_fractions, table_space, write_fraction_figure, CountingRun,
    DISTRIBUTION_COLUMNS, FRACTION_COLUMNS,
};
use pickl::studies::dynamics::Stage;
use pickl::Result;

/// Counting distribution, indicators and lemma checks along the exact dynamics. With no
/// arguments, runs the default model into results/counting_default.csv (and _pi.csv).
#[derive(Parser, Debug)]
#[command(name = "counting", version)]
struct Cli {
    #[command(flatten)]
    model: ModelArgs,
}

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: stop at the next pause with a checkpoint (again: at once).
    pickl::app::interrupt::install();
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> Result<()> {
    let mut experiment = Experiment::from_args(
        "counting",
        cli.model,
        "results/counting_default.csv",
        pickl::studies::counting::MEMORY,
    )?;
    let space = table_space(&experiment.problem, &experiment.out);
    if let Some(notice) = space.map_err(|e| experiment.refuse(e))? {
        eprintln!("counting: {notice}");
    }
    let columns = counting_columns(experiment.problem.model.sites());
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let (out, pi_path, fractions_path) = (
        experiment.out.clone(),
        sibling_table(&experiment.out, "pi"),
        sibling_table(&experiment.out, "alpha_k"),
    );
    let mut tables = experiment.tables([
        (&out, &column_refs),
        (&pi_path, &DISTRIBUTION_COLUMNS),
        (&fractions_path, &FRACTION_COLUMNS),
    ])?;
    let [table, pi_table, fractions_table] = &mut tables;
    let mut counting = CountingRun::new(&experiment.problem)?;
    let resume = experiment.resume()?;
    if let Some((_, running)) = &resume {
        let done = counting.resume(running)?;
        experiment.skip(done);
    }
    let summary = experiment
        .problem
        .evolve_from(resume.map(|(r, _)| r), |stage| -> Result<()> {
            match stage {
                Stage::Moment(moment) => {
                    let rows = counting.observe(moment)?;
                    for row in &rows.distribution {
                        pi_table.write_row(row)?;
                    }
                    for cells in rows.fraction_cells() {
                        fractions_table.write_cells(&cells)?;
                    }
                    table.write_cells(&rows.cells)?;
                    experiment.advance(rows.t, rows.alpha11, moment.row.matvecs);
                    Ok(())
                }
                Stage::Pause(progress, propagator, state) => experiment.pause(
                    progress,
                    propagator,
                    state,
                    &[&*table, &*pi_table, &*fractions_table],
                    &counting.running(),
                ),
                Stage::Working { matvecs, planned } => {
                    experiment.working(matvecs, planned);
                    Ok(())
                }
            }
        })
        .map_err(|e| experiment.abandon(e))?;
    drop(tables);
    // The figure draws the diagonal k₁ = k₂ only, read back from the table (the rows of a run
    // continued from a checkpoint are partly from before it stopped).
    let fractions = read_diagonal_fractions(&fractions_path)?;
    let model = &experiment.problem.model;
    let title = format!(
        "M = {}, N1 = {}, N2 = {}: alpha^(k,k) / alpha^(1,1), Lemma 3.2 (3.8) allows up to k",
        model.sites(),
        model.species_a().particles,
        model.species_b().particles
    );
    let mut also = vec![pi_path, fractions_path.clone()];
    also.extend(write_fraction_figure(
        &fractions,
        &experiment.problem.times,
        model.total_particles(),
        &title,
        &fractions_path.with_extension(""),
    )?);
    experiment.finish(&summary, &also)
}
