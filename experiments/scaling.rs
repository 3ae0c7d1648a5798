//! `scaling`: the approach to N → ∞ at a fixed ratio N₁ : N₂ (SPEC §6). For each total
//! N = N₁ + N₂ it runs the exact dynamics and, at every output time, the indicators, the proof's
//! terms against their bounds and Theorem 2.1; then it fits α^(1,1) ∝ N^{−γ} per time and
//! extrapolates N α^(1,1)(t) to N → ∞.
//!
//! Writes `DIR/scaling.csv` (one row per size and time), `DIR/fit.csv` (one row per time), the
//! figures `DIR/{alpha,collapse,loglog,ratios}.{svg,png}` and `DIR/scaling.meta.toml`. Each size
//! is added to the files as soon as it is finished (atomic rewrites); a rerun with the same
//! model resumes and skips the sizes already there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use pickl::bogoliubov::BogoliubovSystem;
use pickl::config::Options;
use pickl::dynamics::DynamicsProblem;
use pickl::experiment::exit_with;
use pickl::proof::snapshot::ExponentChoice;
use pickl::report::write_atomically;
use pickl::report::{available_memory, utc_timestamp};
use pickl::scaling::figures::write_figures;
use pickl::scaling::study::PROOF_WORK_VECTORS;
use pickl::scaling::{parse_totals, run_size, Ratio, ScalingTable};

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

/// The study's own settings, as flags or as the `[scaling]` table of a config file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    ratio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    r_s: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_dir: Option<PathBuf>,
}

impl Settings {
    fn defaults() -> Self {
        Settings {
            ratio: Some("1:1".into()),
            n_total: Some("8..40:8".into()),
            r_s: Some("scan".into()),
            out_dir: None,
        }
    }

    fn or(self, lower: Settings) -> Settings {
        Settings {
            ratio: self.ratio.or(lower.ratio),
            n_total: self.n_total.or(lower.n_total),
            r_s: self.r_s.or(lower.r_s),
            out_dir: self.out_dir.or(lower.out_dir),
        }
    }
}

/// What `scaling.meta.toml` records: the model, the settings, and how the study went.
#[derive(Serialize)]
struct Meta<'a> {
    #[serde(flatten)]
    model: &'a Options,
    scaling: &'a Settings,
    provenance: &'a Provenance,
}

#[derive(Serialize, Clone, Debug)]
struct Provenance {
    program: String,
    version: String,
    command: String,
    started: String,
    status: String,
    threads: usize,
    sizes: Vec<SizeRecord>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct SizeRecord {
    n1: usize,
    n2: usize,
    dimension: usize,
    wall_seconds: f64,
    matvecs: usize,
    krylov_error_estimate: f64,
    /// The propagator that ran this size (absent in studies made before there was a choice,
    /// which all ran Lanczos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    propagator: Option<String>,
    finished: String,
}

/// Reads a config file: model keys into [`Options`], the `[scaling]` table into [`Settings`],
/// the `[provenance]` table ignored.
fn read_config(path: &Path) -> Result<(Options, Settings, Vec<SizeRecord>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))?;
    let settings = match table.remove("scaling") {
        Some(value) => value
            .try_into()
            .map_err(|e| format!("config file {}, [scaling]: {e}", path.display()))?,
        None => Settings::default(),
    };
    let sizes = table
        .get("provenance")
        .and_then(|p| p.get("sizes"))
        .cloned()
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default();
    let options: Options = toml::Value::Table(table)
        .try_into()
        .map_err(|e| format!("config file {}: {e}", path.display()))?;
    Ok((options, settings, sizes))
}

fn main() -> ExitCode {
    exit_with(run(Cli::parse()))
}

/// The model options without anything that varies with the size or the output place, nor the
/// choice of propagator: both propagators meet the same tolerance, so a study may be resumed
/// with another one (studies made before the choice existed record none).
fn model_only(options: &Options) -> Options {
    Options {
        n1: None,
        n2: None,
        out: None,
        provenance: None,
        checkpoint_every: None,
        propagator: None,
        ..options.clone()
    }
}

/// Keys whose values differ between two model descriptions.
fn differences(a: &Options, b: &Options) -> Vec<String> {
    let (a, b) = (
        toml::Value::try_from(model_only(a)).unwrap_or(toml::Value::Boolean(false)),
        toml::Value::try_from(model_only(b)).unwrap_or(toml::Value::Boolean(false)),
    );
    let (Some(a), Some(b)) = (a.as_table(), b.as_table()) else {
        return vec!["(unreadable)".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&toml::Value>| v.map_or("(unset)".to_string(), |v| v.to_string());
            format!(
                "{k}: {} here, {} in the study",
                show(b.get(k)),
                show(a.get(k))
            )
        })
        .collect()
}

fn gib(bytes: f64) -> f64 {
    bytes / (1u64 << 30) as f64
}

fn run(cli: Cli) -> Result<(), String> {
    if cli.options.n1.is_some() || cli.options.n2.is_some() {
        return Err(
            "scaling chooses N1 and N2 itself from --n-total and --ratio; drop --n1/--n2".into(),
        );
    }
    if cli.options.out.is_some() {
        return Err("scaling writes into a directory: use --out-dir DIR instead of --out".into());
    }
    let flags_settings = Settings {
        ratio: cli.ratio.clone(),
        n_total: cli.n_total.clone(),
        r_s: cli.r_s.clone(),
        out_dir: cli.out_dir.clone(),
    };
    let (file_options, file_settings) = match &cli.config {
        Some(path) => {
            let (options, settings, _) = read_config(path)?;
            if options.n1.is_some() || options.n2.is_some() {
                return Err(format!(
                    "{} sets n1/n2; a scaling study chooses them from n-total and ratio",
                    path.display()
                ));
            }
            (options, settings)
        }
        None => (Options::default(), Settings::default()),
    };
    let model_options = cli.options.clone().or(file_options);
    let given = flags_settings.or(file_settings);
    let is_default_study = model_options.is_default_model()
        && given.ratio.is_none()
        && given.n_total.is_none()
        && given.r_s.is_none();
    let settings = given.or(Settings::defaults());
    let dir =
        match (&settings.out_dir, is_default_study) {
            (Some(dir), _) => dir.clone(),
            (None, true) => PathBuf::from("results/scaling_default"),
            (None, false) => return Err(
                "give the output directory (--out-dir DIR) when the study is not the default one"
                    .into(),
            ),
        };
    let settings = Settings {
        out_dir: Some(dir.clone()),
        ..settings
    };
    let ratio: Ratio = settings
        .ratio
        .as_deref()
        .unwrap_or("1:1")
        .parse()
        .map_err(|e: pickl::Error| e.to_string())?;
    let totals =
        parse_totals(settings.n_total.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
    let exponents: ExponentChoice = settings
        .r_s
        .as_deref()
        .unwrap_or("scan")
        .parse()
        .map_err(|e: pickl::Error| e.to_string())?;
    let csv_path = dir.join("scaling.csv");
    let fit_path = dir.join("fit.csv");
    let meta_path = dir.join("scaling.meta.toml");

    // The problem at each size, validated before anything runs.
    let resolve = |n1: usize, n2: usize| -> Result<(Options, DynamicsProblem), String> {
        let options = Options {
            n1: Some(n1),
            n2: Some(n2),
            out: Some(csv_path.clone()),
            ..model_options.clone()
        }
        .resolved("")
        .map_err(|e| e.to_string())?;
        let problem = options.problem().map_err(|e| e.to_string())?;
        Ok((options, problem))
    };
    let mut plan = Vec::new();
    for &total in &totals {
        let (n1, n2) = ratio.split(total).map_err(|e| e.to_string())?;
        let (options, problem) = resolve(n1, n2)?;
        plan.push((n1, n2, options, problem));
    }
    let resolved_model = model_only(&plan[0].2);

    // Resume: the directory must hold the same study (model, ratio, exponents).
    let mut table = ScalingTable::load(&csv_path)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let mut records: Vec<SizeRecord> = Vec::new();
    if meta_path.exists() {
        let (options, old, sizes) = read_config(&meta_path)?;
        let mut changed = differences(&options, &resolved_model);
        for (name, before, now) in [
            ("ratio", &old.ratio, &settings.ratio),
            ("r-s", &old.r_s, &settings.r_s),
        ] {
            let normal = |v: &Option<String>| v.clone().unwrap_or_default().replace(' ', "");
            if normal(before) != normal(now) {
                changed.push(format!(
                    "{name}: {} here, {} in the study",
                    normal(now),
                    normal(before)
                ));
            }
        }
        if !changed.is_empty() {
            return Err(format!(
                "{} holds a study of another model ({}); use another --out-dir, or remove the directory to start over",
                dir.display(),
                changed.join("; ")
            ));
        }
        records = sizes;
    } else if !table.sizes().is_empty() {
        return Err(format!(
            "{} exists without its scaling.meta.toml, so it cannot be resumed safely; use another --out-dir",
            csv_path.display()
        ));
    }
    let steps = plan[0].3.times.len();
    for (n1, n2) in table.sizes() {
        if !table.has(n1, n2, steps) {
            table.remove(n1, n2);
        }
    }

    // Memory: refuse up front what cannot fit, with the figures.
    let needed = |problem: &DynamicsProblem| -> Result<f64, String> {
        let d = problem.dimensions().map_err(|e| e.to_string())?;
        Ok(problem.memory_estimate().map_err(|e| e.to_string())? as f64
            + (PROOF_WORK_VECTORS * 16) as f64 * d.total() as f64)
    };
    let pending: Vec<usize> = (0..plan.len())
        .filter(|&i| !table.has(plan[i].0, plan[i].1, steps))
        .collect();
    if let Some(available) = available_memory() {
        let mut refused = Vec::new();
        for &i in &pending {
            let (n1, n2, _, problem) = &plan[i];
            // A size whose dimension or memory does not even fit a machine integer is refused
            // with the others.
            match needed(problem) {
                Ok(need) if need <= available as f64 => {}
                Ok(need) => {
                    let d = problem.dimensions().map_err(|e| e.to_string())?;
                    refused.push(format!(
                        "N = {} ({n1}+{n2}): D = {} needs about {:.1} GiB",
                        n1 + n2,
                        d.total(),
                        gib(need)
                    ));
                }
                Err(e) => refused.push(format!("N = {} ({n1}+{n2}): {e}", n1 + n2)),
            }
        }
        if refused.len() > 6 {
            let more = refused.len() - 5;
            refused.truncate(5);
            refused.push(format!("and {more} more"));
        }
        if !refused.is_empty() {
            return Err(format!(
                "these sizes cannot fit in the {:.1} GiB available: {}. Drop them from --n-total, or lower krylov-dim (now {})",
                gib(available as f64),
                refused.join("; "),
                plan[0].3.krylov.krylov_dim()
            ));
        }
    }

    let mut provenance = Provenance {
        program: "scaling".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        started: utc_timestamp(),
        status: "running".into(),
        threads: rayon::current_num_threads(),
        sizes: records,
    };
    let write_meta = |provenance: &Provenance| -> Result<(), String> {
        let text = toml::to_string(&Meta {
            model: &resolved_model,
            scaling: &settings,
            provenance,
        })
        .map_err(|e| format!("writing {}: {e}", meta_path.display()))?;
        write_atomically(
            &meta_path,
            &format!(
                "# How the scaling study in this directory was made. Rerun or resume with: scaling --config <this file>\n{text}"
            ),
        )
        .map_err(|e| e.to_string())
    };
    write_meta(&provenance)?;
    let title = format!(
        "{} M = {}, N1:N2 = {ratio}",
        resolved_model.geometry.as_deref().unwrap_or("ring"),
        plan[0].3.model.sites()
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
    let write_outputs = |table: &ScalingTable| -> Result<(), String> {
        table.write(&csv_path).map_err(|e| e.to_string())?;
        let fits = table.fits_against(&bogoliubov);
        ScalingTable::write_fits(&fits, &fit_path).map_err(|e| e.to_string())?;
        write_figures(table, &fits, &title, &dir).map_err(|e| e.to_string())?;
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
    let progress = ProgressBar::new(1_000_000);
    progress.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {percent:>3}%  {msg}  (eta {eta})",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    let start = Instant::now();
    for (done, &i) in pending.iter().enumerate() {
        let (n1, n2, _, problem) = &plan[i];
        let d = problem.dimensions().map_err(|e| e.to_string())?;
        if let Some(available) = available_memory() {
            let need = needed(problem)?;
            if need > available as f64 {
                progress.abandon();
                return Err(format!(
                    "N = {} ({n1}+{n2}) needs about {:.1} GiB but only {:.1} GiB are available now; the finished sizes are in {}",
                    n1 + n2,
                    gib(need),
                    gib(available as f64),
                    csv_path.display()
                ));
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
            format!(
                "N = {} ({n1}+{n2}): {e} (the finished sizes are in {})",
                n1 + n2,
                csv_path.display()
            )
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
    provenance.status = "complete".into();
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
