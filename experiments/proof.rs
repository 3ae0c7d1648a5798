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

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use pickl::counting::CondensateFrame;
use pickl::dynamics::Stage;
use pickl::experiment::{exit_with, Experiment, ModelArgs};
use pickl::proof::bounds::ProofConstants;
use pickl::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use pickl::proof::ledger::ledger;
use pickl::proof::ledger_figures::write_ledger_figures;
use pickl::proof::snapshot::{bound_ratio, ExponentChoice, ProofSnapshot, TermRow};
use pickl::report::{format_number, CsvTable};
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
    exit_with(run(Cli::parse()))
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("proof");
    out.with_file_name(format!("{stem}_{suffix}.csv"))
}

/// One row of the long table.
fn write_term(table: &mut CsvTable, t: f64, row: &TermRow) -> Result<()> {
    let number = |x: Option<f64>| x.map(format_number);
    let abs = row.value.norm();
    let ratio = |bound: Option<f64>| bound.and_then(|b| bound_ratio(abs, b));
    table.write_text_row(&[
        Some(t.to_string()),
        Some(row.group.to_string()),
        Some(row.term.clone()),
        Some(format_number(row.value.re)),
        Some(format_number(row.value.im)),
        Some(format_number(abs)),
        number(row.bound),
        number(ratio(row.bound)),
        number(row.bound_tight),
        number(ratio(row.bound_tight)),
    ])
}

fn run(cli: Cli) -> Result<(), String> {
    let exponents: ExponentChoice = cli.r_s.parse().map_err(|e: pickl::Error| e.to_string())?;
    let mut experiment = Experiment::from_args("proof", cli.model, "results/proof_default.csv")
        .map_err(|e| e.to_string())?;
    let outputs = experiment.problem.times.clone();
    let spacing = if outputs.len() > 1 {
        outputs[1] - outputs[0]
    } else {
        1.0
    };
    let step = (0.01f64).min(spacing / 4.0);
    // Evaluation times: every output time, and t ± h, t ± h/2 around it for the finite difference.
    let mut times = Vec::new();
    for (k, &t) in outputs.iter().enumerate() {
        for offset in [-step, -step / 2.0, 0.0, step / 2.0, step] {
            if k == 0 && offset < 0.0 {
                continue;
            }
            times.push(t + offset);
        }
    }
    let mut problem = experiment.problem.clone();
    problem.times = times;
    // f(t) = ∫ (A₁ + A₂ + A^u + A^v) on a Hartree grid finer than the output grid.
    let model = problem.model.clone();
    let f_at_output = mean_field_integral(
        &model,
        &problem.u0,
        &problem.v0,
        &outputs,
        problem.hartree_tolerance,
        &exponents,
    )
    .map_err(|e| e.to_string())?;

    let wide_path = sibling(&experiment.out, "wide");
    let steps_path = sibling(&experiment.out, "steps");
    let out = experiment.out.clone();
    let mut tables = experiment
        .tables(&[
            (
                &out,
                &[
                    "t",
                    "group",
                    "term",
                    "re",
                    "im",
                    "abs",
                    "bound",
                    "ratio",
                    "bound_tight",
                    "ratio_tight",
                ],
            ),
            (
                &steps_path,
                &[
                    "t", "group", "term", "step", "equation", "left", "right", "ratio",
                ],
            ),
            (
                &wide_path,
                &[
                    "t",
                    "alpha11",
                    "dalpha_terms",
                    "dalpha_fd",
                    "c_v1_im",
                    "c_v2_im",
                    "c_v12_im",
                    "b_t",
                    "f_t",
                    "gronwall_bound",
                    "kappa_eff",
                    "r11",
                    "trace_bound",
                    "kappa",
                    "kappa_tight",
                    "b_t_tight",
                    "gronwall_bound_tight",
                    "log10_gronwall_bound",
                    "log10_gronwall_bound_tight",
                    "degenerate_bounds",
                    "log10_bound_over_alpha",
                    "log10_bound_tight_over_alpha",
                ],
            ),
        ])
        .map_err(|e| e.to_string())?;
    let [long, steps, wide] = &mut tables[..] else {
        unreachable!("three tables were asked for")
    };
    // Running values kept in a checkpoint: α(0) and the output times done.
    let resume = experiment.resume().map_err(|e| e.to_string())?;
    let (mut alpha_zero, mut output_index) = match &resume {
        Some((_, running)) if running.len() == 2 => (
            Some(running[0]).filter(|a| !a.is_nan()),
            running[1] as usize,
        ),
        Some(_) => return Err(
            "the checkpoint does not hold the proof's running values; delete it to start afresh"
                .into(),
        ),
        None => (None, 0),
    };
    experiment.skip(output_index);
    let total_particles = model.total_particles() as f64;
    let covered = proof_covers(&model);
    let mut frame: Option<CondensateFrame> = None;
    let mut window: Vec<f64> = Vec::new();
    let mut pending: Option<(usize, ProofSnapshot, f64, f64)> = None;
    let summary = problem
        .evolve_from(resume.map(|(r, _)| r), |stage| -> Result<()> {
            let moment = match stage {
                Stage::Moment(moment) => moment,
                // A checkpoint only between output rows, when no row is half made.
                Stage::Pause(progress, propagator, state) => {
                    if pending.is_some() || !window.is_empty() {
                        return Ok(());
                    }
                    let running = [alpha_zero.unwrap_or(f64::NAN), output_index as f64];
                    return experiment.pause(
                        progress,
                        propagator,
                        state,
                        &[&*long, &*steps, &*wide],
                        &running,
                    );
                }
            };
            let t = moment.row.t;
            window.push(moment.row.alpha11);
            let is_output =
                output_index < outputs.len() && (t - outputs[output_index]).abs() < 1e-12;
            if is_output {
                let frame = match &frame {
                    Some(f) => f,
                    None => frame.insert(CondensateFrame::new(moment.basis_a, moment.basis_b)?),
                };
                let (u, v) = (&moment.hartree.u, &moment.hartree.v);
                let alpha = moment.row.alpha11;
                alpha_zero.get_or_insert(alpha);
                let snapshot = ProofSnapshot::new(
                    &model,
                    moment.basis_a,
                    moment.basis_b,
                    frame,
                    moment.state,
                    u,
                    v,
                    alpha,
                    &exponents,
                )?;
                for row in snapshot.rows() {
                    write_term(long, t, &row)?;
                }
                let in_frame = frame.to_frame(moment.state, u, v)?;
                for step in ledger(
                    &model,
                    moment.basis_a,
                    moment.basis_b,
                    &in_frame,
                    u,
                    v,
                    &snapshot,
                )? {
                    steps.write_text_row(&[
                        Some(t.to_string()),
                        Some(step.group.to_string()),
                        Some(step.term.to_string()),
                        Some(step.step.to_string()),
                        Some(step.equation.to_string()),
                        Some(format_number(step.left)),
                        Some(format_number(step.right)),
                        step.ratio().map(format_number),
                    ])?;
                }
                let r11 = pickl::reduced::reduced_density(
                    moment.basis_a,
                    moment.basis_b,
                    moment.state,
                    1,
                    1,
                )?
                .trace_distance(u, v)?;
                pending = Some((output_index, snapshot, alpha, r11));
                if output_index == 0 {
                    window.clear();
                    window.push(alpha);
                }
                experiment.advance(t, alpha, moment.row.matvecs);
                output_index += 1;
            }
            // The wide row is complete once t_k + h has been seen (five α's: t_k − h … t_k + h;
            // three at t = 0: 0, h/2, h, with no centred difference).
            let needed = if matches!(pending, Some((0, _, _, _))) {
                3
            } else {
                5
            };
            if window.len() == needed {
                if let Some((k, snapshot, alpha, r11)) = pending.take() {
                    let finite_difference = (needed == 5).then(|| {
                        let coarse = (window[4] - window[0]) / (2.0 * step);
                        let fine = (window[3] - window[1]) / step;
                        (4.0 * fine - coarse) / 3.0
                    });
                    let derivative = snapshot.terms.alpha11_derivative();
                    let f_t = f_at_output[k];
                    let shifted = alpha + 1.0 / total_particles;
                    let a0 = alpha_zero.unwrap_or(alpha);
                    // ln of (5.5) with κ as printed and tight; nothing where the proof does not
                    // cover the model (a species of one particle).
                    let log_bound = |constants| {
                        covered.then(|| {
                            gronwall_log_bound(
                                a0,
                                model.total_particles(),
                                snapshot.bounds(constants).kappa,
                                f_t,
                            )
                        })
                    };
                    let (log_printed, log_tight) = (
                        log_bound(ProofConstants::AsPrinted),
                        log_bound(ProofConstants::Tight),
                    );
                    let degenerate = snapshot
                        .largest_ratios(ProofConstants::AsPrinted)
                        .degenerate
                        + snapshot.largest_ratios(ProofConstants::Tight).degenerate;
                    wide.write_cells(&[
                        Some(outputs[k]),
                        Some(alpha),
                        Some(derivative),
                        finite_difference,
                        Some(snapshot.terms.c_v1.im),
                        Some(snapshot.terms.c_v2.im),
                        Some(snapshot.terms.c_v12.im),
                        Some(snapshot.printed.rate),
                        Some(f_t),
                        log_printed.map(f64::exp),
                        Some(derivative.abs() / (shifted * snapshot.constant_sum)),
                        Some(r11),
                        // Corollary 2.1 (2.22) through (3.7): with K = N α(0),
                        // R^(1,1) ≤ 2√α ≤ 2√((K+1)/N) e^{κ f/2}.
                        log_printed.map(|l| 2.0 * (0.5 * l).exp()),
                        Some(snapshot.printed.kappa),
                        Some(snapshot.tight.kappa),
                        Some(snapshot.tight.rate),
                        log_tight.map(f64::exp),
                        log_printed.map(|l| l / std::f64::consts::LN_10),
                        log_tight.map(|l| l / std::f64::consts::LN_10),
                        Some(degenerate as f64),
                        // How loose the theorem is at this N: the bound over α itself (N times
                        // both is the theorem's constant over the best one this run allows).
                        log_printed
                            .filter(|_| alpha > 0.0)
                            .map(|l| (l - alpha.ln()) / std::f64::consts::LN_10),
                        log_tight
                            .filter(|_| alpha > 0.0)
                            .map(|l| (l - alpha.ln()) / std::f64::consts::LN_10),
                    ])?;
                }
                window.clear();
            }
            Ok(())
        })
        .map_err(|e| experiment.abandon(e))?;
    drop(tables);
    let title = format!(
        "M = {}, N1 = {}, N2 = {}",
        model.sites(),
        model.species_a().particles,
        model.species_b().particles
    );
    let mut also = vec![steps_path.clone(), wide_path];
    also.extend(write_ledger_figures(&steps_path, &title).map_err(|e| e.to_string())?);
    experiment
        .finish(&summary, &also)
        .map_err(|e| e.to_string())
}
