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
use std::time::Instant;

use clap::Parser;
use serde::Serialize;

use pickl::bogoliubov::BogoliubovSystem;
use pickl::config::Options;
use pickl::dynamics::DynamicsProblem;
use pickl::experiment::exit_with;
use pickl::report::{
    available_memory, progress_bar, utc_timestamp, write_atomically, Provenance as RunProvenance,
};
use pickl::scaling::figures::write_figures;
use pickl::scaling::plan::{Settings, SizeRecord, StudyPlan};
use pickl::scaling::{run_size, ScalingTable};

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
    /// TOML file with the model keys of `dynamics` and a [scaling] table (ratio, n-total, r-s,
    /// out-dir); flags given here take precedence. A study's scaling.meta.toml is such a file.
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    #[command(flatten)]
    options: Options,
}

/// What `scaling.meta.toml` records: the model, the settings, and how the study went.
#[derive(Serialize)]
struct Meta<'a> {
    #[serde(flatten)]
    model: &'a Options,
    scaling: &'a Settings,
    provenance: &'a Provenance,
}

/// The study's provenance: the run's, and each finished size.
#[derive(Serialize, Clone, Debug)]
struct Provenance {
    #[serde(flatten)]
    run: RunProvenance,
    sizes: Vec<SizeRecord>,
}

fn main() -> ExitCode {
    exit_with(run(Cli::parse()))
}

fn run(cli: Cli) -> pickl::Result<()> {
    let flags = Settings {
        ratio: cli.ratio.clone(),
        n_total: cli.n_total.clone(),
        r_s: cli.r_s.clone(),
        out_dir: cli.out_dir.clone(),
    };
    let study = StudyPlan::new(cli.options.clone(), flags, cli.config.as_deref())?;
    let (settings, dir, ratio, exponents) = (
        &study.settings,
        &study.dir,
        study.ratio,
        study.exponents.clone(),
    );
    let (csv_path, fit_path, meta_path) = (study.table_path(), study.fit_path(), study.meta_path());
    let plan: Vec<(usize, usize, Options, DynamicsProblem)> = study
        .sizes
        .iter()
        .map(|s| (s.n1, s.n2, s.options.clone(), s.problem.clone()))
        .collect();
    let resolved_model = study.model.clone();
    let (mut table, records) = study.resume()?;
    let steps = plan[0].3.times.len();
    let pending: Vec<usize> = (0..plan.len())
        .filter(|&i| !table.has(plan[i].0, plan[i].1, steps))
        .collect();
    // Memory: refuse up front what cannot fit, with the figures.
    if let Some(available) = available_memory() {
        study.check_memory(&pending, available)?;
    }

    let mut provenance = Provenance {
        run: RunProvenance::start("scaling"),
        sizes: records,
    };
    let write_meta = |provenance: &Provenance| -> pickl::Result<()> {
        let text = toml::to_string(&Meta {
            model: &resolved_model,
            scaling: settings,
            provenance,
        })
        .map_err(|e| pickl::Error::Numerical(format!("writing {}: {e}", meta_path.display())))?;
        write_atomically(
            &meta_path,
            &format!(
                "# How the scaling study in this directory was made. Rerun or resume with: scaling --config <this file>\n{text}"
            ),
        )
    };
    write_meta(&provenance)?;
    let title = format!(
        "{} M = {}, N1:N2 = {ratio}{}",
        resolved_model.geometry.as_deref().unwrap_or("ring"),
        plan[0].3.model.sites(),
        match resolved_model.prefactors.as_deref() {
            Some("paper") | None => String::new(),
            Some(other) => format!(", {other} prefactors"),
        }
    );
    // The N → ∞ limit of the study's model (only the ratio enters), for fit.csv.
    let first = &plan[0].3;
    // It is an addition to the study: where it fails (an unstable model whose fluctuations
    // overflow), the study runs on with those columns empty.
    let mut bogoliubov: Vec<(f64, f64)> = Vec::new();
    if let Err(e) = BogoliubovSystem::new(&first.model).evolve(
        &first.u0,
        &first.v0,
        &first.times,
        first.hartree_tolerance,
        |row| {
            bogoliubov.push((row.t, row.n_alpha11_limit));
            Ok(())
        },
    ) {
        eprintln!("scaling: the Bogoliubov limit stops there ({e}); its columns stay empty after");
    }
    let write_outputs = |table: &ScalingTable| -> pickl::Result<()> {
        table.write(&csv_path)?;
        let fits = table.fits_against(&bogoliubov);
        ScalingTable::write_fits(&fits, &fit_path)?;
        write_figures(table, &fits, &title, dir)?;
        Ok(())
    };

    for (n1, n2) in table.sizes() {
        if plan.iter().any(|p| (p.0, p.1) == (n1, n2)) {
            eprintln!(
                "scaling: N = {} ({n1}+{n2}) is already in {}, skipped",
                n1 + n2,
                csv_path.display()
            );
        }
    }
    // Work of a size ∝ D (N1+N2): matvecs grow with ‖H‖ ∝ N, each costs ∝ D.
    let cost = |p: &DynamicsProblem| {
        p.dimensions().map(|d| d.total()).unwrap_or(1) as f64 * p.model.total_particles() as f64
    };
    let total_cost: f64 = pending.iter().map(|&i| cost(&plan[i].3)).sum();
    let unit = 1e6 / total_cost.max(1.0);
    let progress = progress_bar(1_000_000, "{percent:>3}%");
    let start = Instant::now();
    for (done, &i) in pending.iter().enumerate() {
        let (n1, n2, _, problem) = &plan[i];
        let d = problem.dimensions()?;
        // The memory available may have changed since the start.
        if let Some(available) = available_memory() {
            if let Err(e) = study.check_memory(&[i], available) {
                progress.abandon();
                return Err(pickl::Error::Stopped {
                    at: String::new(),
                    error: Box::new(e),
                    table: csv_path.clone(),
                });
            }
        }
        let size_start = Instant::now();
        let per_time = cost(problem) * unit / steps as f64;
        let label = format!(
            "size {}/{}: N = {} ({n1}+{n2}), D = {}",
            done + 1,
            pending.len(),
            n1 + n2,
            d.total()
        );
        progress.set_message(label.clone());
        let (rows, summary) = run_size(problem, &exponents, |row| {
            progress.set_message(format!("{label}, t = {:.3}", row.t));
            progress.inc(per_time.round() as u64);
        })
        .map_err(|e| {
            progress.abandon();
            pickl::Error::Stopped {
                at: format!("N = {} ({n1}+{n2}): ", n1 + n2),
                error: Box::new(e),
                table: csv_path.clone(),
            }
        })?;
        table.insert(&rows);
        write_outputs(&table)?;
        provenance.sizes.retain(|r| (r.n1, r.n2) != (*n1, *n2));
        provenance.sizes.push(SizeRecord {
            n1: *n1,
            n2: *n2,
            dimension: d.total(),
            wall_seconds: size_start.elapsed().as_secs_f64(),
            matvecs: summary.propagation.matvecs,
            krylov_error_estimate: summary.propagation.error_estimate,
            propagator: Some(summary.propagator.to_string()),
            finished: utc_timestamp(),
        });
        provenance.sizes.sort_by_key(|r| (r.n1 + r.n2, r.n1));
        write_meta(&provenance)?;
        let line = format!(
            "scaling: N = {} ({n1}+{n2}), D = {}: {:.1} s, {} matvecs, state error estimate {:.1e}",
            n1 + n2,
            d.total(),
            size_start.elapsed().as_secs_f64(),
            summary.propagation.matvecs,
            summary.propagation.error_estimate
        );
        // Without a terminal the bar is hidden, and so is its println.
        if progress.is_hidden() {
            eprintln!("{line}");
        } else {
            progress.println(line);
        }
    }
    progress.finish_and_clear();
    if pending.is_empty() {
        write_outputs(&table)?;
    }
    provenance.run.complete(start.elapsed().as_secs_f64());
    write_meta(&provenance)?;
    for fit in table.fits_against(&bogoliubov) {
        if let Some(gamma) = fit.gamma {
            let interval = match (fit.gamma_low, fit.gamma_high) {
                (Some(lo), Some(hi)) => format!(" (95%: {lo:.4} .. {hi:.4})"),
                _ => String::new(),
            };
            eprintln!(
                "scaling: t = {}: gamma = {gamma:.4}{interval}, lim N alpha11 = {} (Bogoliubov {})",
                fit.t,
                fit.limit.map_or("-".into(), |l| format!("{l:.5}")),
                fit.bogoliubov_limit
                    .map_or("-".into(), |l| format!("{l:.5}"))
            );
        }
    }
    eprintln!(
        "scaling: done in {:.1} s; wrote {}, {}, the figures and {} in {}",
        start.elapsed().as_secs_f64(),
        csv_path.display(),
        fit_path.display(),
        meta_path.display(),
        dir.display()
    );
    Ok(())
}
