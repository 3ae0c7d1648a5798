//! `counting`: Pickl's counting along the exact dynamics. At every output time the state is
//! written in the condensate frame of the Hartree pair (u_t, v_t), giving the joint counting
//! distribution π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩, the indicators α^(k₁,k₂), R^(1,1) and
//! R^(2,2) from the reduced density matrices, the natural occupations, and the slack of
//! Lemmas 3.1, 3.2, A.1 and A.2; and (2.25), α^(k₁,k₂) for every k₁ ≤ N₁, k₂ ≤ N₂ against
//! max(k₁,k₂) times the Grönwall bound, in `FILE_alpha_k.csv` with the figure `FILE_alpha_k`.
//! Same flags and TOML keys as `dynamics`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use pickl::counting::fractions::{
    fraction_rows, log_fraction_bound, write_fraction_figure, FractionRow,
};
use pickl::counting::{CondensateFrame, CountingDistribution};
use pickl::experiment::{exit_with, Experiment, ModelArgs};
use pickl::lemmas::{
    lemma_3_1, lemma_3_2_higher, lemma_3_2_trace_norm, lemma_a_1, lemma_a_2_chain_13,
    lemma_a_2_chain_14, Component,
};
use pickl::proof::bounds::{kappa, ProofConstants};
use pickl::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use pickl::proof::snapshot::ExponentChoice;
use pickl::reduced::{natural_occupations, reduced_density};
use pickl::report::CsvTable;
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
    exit_with(run(Cli::parse()))
}

/// `dir/name.csv` → `dir/name_SUFFIX.csv`.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("counting");
    out.with_file_name(format!("{stem}_{suffix}.csv"))
}

fn header(sites: usize) -> Vec<String> {
    let mut columns: Vec<String> = [
        "t", "alpha11", "alpha10", "alpha01", "mean_k_a", "mean_k_b", "var_k_a", "var_k_b",
        "alpha22", "r11", "r22",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    columns.extend((0..sites).map(|i| format!("nat_a_{i}")));
    columns.extend((0..sites).map(|i| format!("nat_b_{i}")));
    columns.extend(
        [
            "slack_3_5_a",
            "slack_3_5_b",
            "slack_3_6",
            "slack_3_7_lower",
            "slack_3_7_upper",
            "slack_3_7_22_lower",
            "slack_3_7_22_upper",
            "slack_3_8_22",
            "slack_A_11_a",
            "slack_A_11_b",
            "slack_A_13_a",
            "slack_A_13_b",
            "slack_A_14_a",
            "slack_A_14_b",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    columns
}

fn run(cli: Cli) -> Result<(), String> {
    let experiment = Experiment::from_args("counting", cli.model, "results/counting_default.csv")
        .map_err(|e| e.to_string())?;
    let sites = experiment.problem.model.sites();
    let columns = header(sites);
    let column_refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut table = CsvTable::create(&experiment.out, &column_refs).map_err(|e| e.to_string())?;
    let pi_path = sibling(&experiment.out, "pi");
    let mut pi_table = CsvTable::create(&pi_path, &["t", "k_a", "k_b", "probability"])
        .map_err(|e| e.to_string())?;
    let fractions_path = sibling(&experiment.out, "alpha_k");
    let mut fractions_table = CsvTable::create(
        &fractions_path,
        &[
            "t",
            "k1",
            "k2",
            "alpha",
            "alpha_over_max_k_alpha11",
            "log10_bound_2_25",
            "log10_bound_2_25_tight",
        ],
    )
    .map_err(|e| e.to_string())?;
    // (2.25) needs f(t) of Theorem 2.1 (an upper bound, with the exponents of least constant).
    let problem = &experiment.problem;
    let model = &problem.model;
    let f_values = mean_field_integral(
        model,
        &problem.u0,
        &problem.v0,
        &problem.times,
        problem.hartree_tolerance,
        &ExponentChoice::Scan,
    )
    .map_err(|e| e.to_string())?;
    let covered = proof_covers(model);
    let mut alpha_zero: Option<f64> = None;
    let mut all_fractions: Vec<FractionRow> = Vec::new();
    let mut output_index = 0;
    let mut frame: Option<CondensateFrame> = None;
    let summary = experiment
        .problem
        .evolve(|moment| -> Result<()> {
            let (u, v) = (&moment.hartree.u, &moment.hartree.v);
            let frame = match &frame {
                Some(f) => f,
                None => frame.insert(CondensateFrame::new(moment.basis_a, moment.basis_b)?),
            };
            let in_frame = frame.to_frame(moment.state, u, v)?;
            let pi =
                CountingDistribution::from_frame_state(moment.basis_a, moment.basis_b, &in_frame)?;
            let (n1, n2) = (pi.particles_a(), pi.particles_b());
            let t = moment.row.t;
            for ka in 0..=n1 {
                for kb in 0..=n2 {
                    pi_table.write_row(&[t, ka as f64, kb as f64, pi.probability(ka, kb)])?;
                }
            }
            let (alpha11, alpha10, alpha01) = (pi.alpha(1, 1)?, pi.alpha(1, 0)?, pi.alpha(0, 1)?);
            // (2.25) for every (k₁, k₂), with the explicit constant of (3.8) and (5.5).
            let a0 = *alpha_zero.get_or_insert(alpha11);
            let log_bound = |constants| {
                covered.then(|| {
                    gronwall_log_bound(
                        a0,
                        n1 + n2,
                        kappa(model.c1(), model.c2(), constants),
                        f_values[output_index],
                    )
                })
            };
            let (printed, tight) = (
                log_bound(ProofConstants::AsPrinted),
                log_bound(ProofConstants::Tight),
            );
            for row in fraction_rows(&pi, t)? {
                let log10 = |l: Option<f64>| {
                    l.map(|l| log_fraction_bound(row.k1, row.k2, l) / std::f64::consts::LN_10)
                };
                fractions_table.write_cells(&[
                    Some(row.t),
                    Some(row.k1 as f64),
                    Some(row.k2 as f64),
                    Some(row.alpha),
                    row.over_max_k_alpha11,
                    log10(printed),
                    log10(tight),
                ])?;
                all_fractions.push(row);
            }
            output_index += 1;
            let alpha22 = if n1 >= 2 && n2 >= 2 {
                Some(pi.alpha(2, 2)?)
            } else {
                None
            };
            let (mean_a, var_a) = pi.moments_a();
            let (mean_b, var_b) = pi.moments_b();
            let gamma =
                |k1, k2| reduced_density(moment.basis_a, moment.basis_b, moment.state, k1, k2);
            let r11 = gamma(1, 1)?.trace_distance(u, v)?;
            // R^(2,2) where both species have two particles and γ^(2,2) is small enough.
            let r22 = match alpha22 {
                Some(_) => match gamma(2, 2) {
                    Ok(g) => Some(g.trace_distance(u, v)?),
                    Err(pickl::Error::TooLarge(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let nat_a = natural_occupations(&gamma(1, 0)?.matrix)?;
            let nat_b = natural_occupations(&gamma(0, 1)?.matrix)?;
            let mut cells: Vec<Option<f64>> = vec![
                Some(t),
                Some(alpha11),
                Some(alpha10),
                Some(alpha01),
                Some(mean_a),
                Some(mean_b),
                Some(var_a),
                Some(var_b),
                alpha22,
                Some(r11),
                r22,
            ];
            cells.extend(nat_a.iter().chain(&nat_b).map(|&x| Some(x)));
            cells.extend(
                lemma_3_1(alpha11, alpha10, alpha01)
                    .iter()
                    .map(|l| Some(l.slack())),
            );
            cells.extend(
                lemma_3_2_trace_norm(alpha11, r11)
                    .iter()
                    .map(|l| Some(l.slack())),
            );
            match (alpha22, r22) {
                (Some(a), Some(r)) => {
                    cells.extend(lemma_3_2_trace_norm(a, r).iter().map(|l| Some(l.slack())))
                }
                _ => cells.extend([None, None]),
            }
            cells.push(alpha22.map(|a| lemma_3_2_higher(a, 2, 2, alpha11).slack()));
            cells.push(Some(lemma_a_1(&pi, Component::A, |_| 1.0)[1].slack()));
            cells.push(Some(lemma_a_1(&pi, Component::B, |_| 1.0)[1].slack()));
            // The step of the chains (A.13), (A.14) where Lemma A.2 (A.12) is applied, where N >= 2.
            for chain in [0, 1] {
                for (component, n) in [(Component::A, n1), (Component::B, n2)] {
                    cells.push((n >= 2).then(|| {
                        if chain == 0 {
                            lemma_a_2_chain_13(&pi, component)[1].slack()
                        } else {
                            lemma_a_2_chain_14(&pi, component)[0].slack()
                        }
                    }));
                }
            }
            table.write_cells(&cells)?;
            experiment.advance(t, alpha11, moment.row.matvecs);
            Ok(())
        })
        .map_err(|e| experiment.abandon(e))?;
    let times = &experiment.problem.times;
    let t_max = times.last().copied().unwrap_or(0.0);
    // The output times nearest T/3, 2T/3 and T.
    let mut chosen: Vec<f64> = (1..=3)
        .filter_map(|k| {
            let target = t_max * k as f64 / 3.0;
            times
                .iter()
                .copied()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        })
        .collect();
    chosen.dedup();
    let model = &experiment.problem.model;
    let title = format!(
        "M = {}, N1 = {}, N2 = {}: alpha^(k,k) / alpha^(1,1), Lemma 3.2 (3.8) allows up to k",
        model.sites(),
        model.species_a().particles,
        model.species_b().particles
    );
    let mut also = vec![pi_path, fractions_path.clone()];
    also.extend(
        write_fraction_figure(
            &all_fractions,
            &chosen,
            model.total_particles(),
            &title,
            &fractions_path.with_extension(""),
        )
        .map_err(|e| e.to_string())?,
    );
    experiment
        .finish(&summary, &also)
        .map_err(|e| e.to_string())
}
