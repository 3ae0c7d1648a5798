//! `scaling`: the approach to N → ∞ at a fixed ratio N₁ : N₂ (SPEC §6). For each total
//! N = N₁ + N₂ it runs the exact dynamics and, at every output time, the indicators, the proof's
//! terms against their bounds and Theorem 2.1; then it fits α^(1,1) ∝ N^{−γ} per time and
//! extrapolates N α^(1,1)(t) to N → ∞.
//!
//! Writes `DIR/scaling.csv` (one row per size and time), `DIR/fit.csv` (one row per time), the
//! figures `DIR/{alpha,collapse,loglog,ratios}.{svg,png}` and `DIR/scaling.meta.toml`. Each size
//! is added to the files as soon as it is finished (atomic rewrites); a rerun with the same
//! model resumes and skips the sizes already there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use pickl::app::config::Options;
use pickl::app::experiment::exit_with;
use pickl::app::report::progress_bar;
use pickl::studies::scaling::{Settings, Study, StudyEvent, StudyPlan};

/// The approach to the mean-field limit in N1+N2 at a fixed ratio N1:N2: rate, limit curve and
/// tightness of every bound. With no arguments, runs the default study into
/// results/scaling_default/.
#[derive(Parser, Debug)]
#[command(
    name = "scaling",
    version,
    mut_arg("n1", |a| a.hide(true)),
    mut_arg("n2", |a| a.hide(true)),
    mut_arg("out", |a| a.hide(true))
)]
struct Cli {
    /// N1 : N2, held exactly fixed so that c1, c2 are the same at every size [default: 1:1]
    #[arg(long, value_name = "A:B")]
    ratio: Option<String>,
    /// Totals N = N1 + N2: a list (10,20,40), a range (20..200:20) or a geometric range
    /// (16..2048:x2) [default: 8..40:8]
    #[arg(long = "n-total", value_name = "SIZES")]
    n_total: Option<String>,
    /// Directory for scaling.csv, fit.csv and the figures [default for the default study:
    /// results/scaling_default]
    #[arg(long = "out-dir", value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Exponents (r, s) of (A2), as for `proof`: scan | r:s | r1:s1,r2:s2,r12:s12 [default: scan]
    #[arg(long = "r-s", value_name = "CHOICE")]
    r_s: Option<String>,
    /// TOML file with the model keys of `dynamics` and a table named scaling (ratio, n-total, r-s,
    /// out-dir); flags given here take precedence. A study's scaling.meta.toml is such a file.
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
}

fn main() -> ExitCode {
    // Ctrl-C or SIGTERM: stop at the next pause with a checkpoint (again: at once).
    pickl::app::interrupt::install();
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> pickl::Result<()> {
    let settings = Settings {
        ratio: cli.ratio,
        n_total: cli.n_total,
        r_s: cli.r_s,
        out_dir: cli.out_dir,
    };
    let plan = StudyPlan::new(cli.options, settings, cli.config.as_deref())?;
    let mut study = Study::open(plan, "scaling")?;
    for note in study.notes() {
        eprintln!("scaling: {note}");
    }
    let progress = progress_bar(1_000_000, "{percent:>3}%");
    let mut label = String::new();
    let outcome = study.run(|event| {
        match event {
            StudyEvent::SizeStarted {
                position,
                pending,
                n1,
                n2,
                dimension,
                resumed_at,
            } => {
                label = format!(
                    "size {position}/{pending}: N = {} ({n1}+{n2}), D = {dimension}",
                    n1 + n2
                );
                progress.set_message(label.clone());
                if let Some(t) = resumed_at {
                    let line = format!(
                        "scaling: N = {} ({n1}+{n2}): continuing from its checkpoint at t = {t}",
                        n1 + n2
                    );
                    if progress.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        progress.println(line);
                    }
                }
            }
            StudyEvent::Row { row, done } => {
                progress.set_message(format!("{label}, t = {:.3}", row.t));
                progress.set_position((done * 1e6).round() as u64);
            }
            StudyEvent::SizeFinished(size) => {
                let line = format!(
                    "scaling: N = {} ({}+{}), D = {}: {:.1} s, {} matvecs, state error estimate {:.1e}",
                    size.n1 + size.n2,
                    size.n1,
                    size.n2,
                    size.dimension,
                    size.wall_seconds,
                    size.matvecs,
                    size.krylov_error_estimate
                );
                // Without a terminal the bar is hidden, and so is its println.
                if progress.is_hidden() {
                    eprintln!("{line}");
                } else {
                    progress.println(line);
                }
            }
        }
        Ok(())
    });
    match outcome {
        Ok(()) => progress.finish_and_clear(),
        Err(e) => {
            progress.abandon();
            return Err(e);
        }
    }
    for fit in study.fits() {
        if let Some(gamma) = fit.gamma {
            let interval = match (fit.gamma_low, fit.gamma_high) {
                (Some(lo), Some(hi)) => format!(" (95%: {lo:.4} .. {hi:.4})"),
                _ => String::new(),
            };
            let show = |x: Option<f64>| x.map_or("-".into(), |l| format!("{l:.5}"));
            eprintln!(
                "scaling: t = {}: gamma = {gamma:.4}{interval}, lim N alpha11 = {} (Bogoliubov {})",
                fit.t,
                show(fit.limit),
                show(fit.bogoliubov_limit)
            );
        }
    }
    if let Some([table, fits, meta]) = study.files() {
        eprintln!(
            "scaling: done in {:.1} s; wrote {}, {}, the figures and {}",
            study.elapsed_seconds(),
            table.display(),
            fits.display(),
            meta.display(),
        );
    }
    Ok(())
}
