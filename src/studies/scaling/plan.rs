//! A study before it runs: its settings (flags over the `[scaling]` table of a config file over
//! the defaults), the sizes it visits with each size's validated problem, the check that a
//! directory holding an earlier study holds this one (so that it can be resumed), and the
//! refusal of sizes that cannot fit in memory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::parse_totals;
use super::table::ScalingTable;
use crate::app::config::Options;
use crate::evolution::propagation::PropagatorChoice;
use crate::model::Ratio;
use crate::proof::norms::ExponentChoice;
use crate::studies::dynamics::DynamicsProblem;
use crate::{Error, Result};

/// The study's own settings, as flags or as the `[scaling]` table of a config file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    /// N₁ : N₂.
    pub ratio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The totals N.
    pub n_total: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The exponents (r, s).
    pub r_s: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The study's directory.
    pub out_dir: Option<PathBuf>,
}

impl Settings {
    /// The default study's settings.
    pub fn defaults() -> Self {
        Settings {
            ratio: Some("1:1".into()),
            n_total: Some("8..40:8".into()),
            r_s: Some("scan".into()),
            out_dir: None,
        }
    }

    /// These settings, with `lower`'s where these have none.
    pub fn or(self, lower: Settings) -> Settings {
        Settings {
            ratio: self.ratio.or(lower.ratio),
            n_total: self.n_total.or(lower.n_total),
            r_s: self.r_s.or(lower.r_s),
            out_dir: self.out_dir.or(lower.out_dir),
        }
    }
}

/// One finished size, as `scaling.meta.toml` records it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SizeRecord {
    /// n1.
    pub n1: usize,
    /// n2.
    pub n2: usize,
    /// dimension.
    pub dimension: usize,
    /// wall seconds.
    pub wall_seconds: f64,
    /// matvecs.
    pub matvecs: usize,
    /// krylov error estimate.
    pub krylov_error_estimate: f64,
    /// The propagator that ran this size (absent in studies made before there was a choice,
    /// which all ran Lanczos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagator: Option<String>,
    /// Whether the Chebyshev propagator paired this size's outputs (absent for Lanczos and in
    /// records written before outputs could pair).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_outputs: Option<bool>,
    /// finished.
    pub finished: String,
}

/// Reads a config file: model keys into [`Options`], the `[scaling]` table into [`Settings`],
/// the `[provenance]` table ignored.
pub fn read_config(path: &Path) -> Result<(Options, Settings, Vec<SizeRecord>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |e: String| Error::invalid(format!("config file {}", path.display()), e);
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let settings = match table.remove("scaling") {
        Some(value) => value
            .try_into()
            .map_err(|e| bad(format!("[scaling]: {e}")))?,
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
        .map_err(|e| bad(e.to_string()))?;
    Ok((options, settings, sizes))
}

/// The model options without anything that varies with the size or the output place, nor the
/// choice of propagator: both propagators meet the same tolerance, so a study may be resumed
/// with another one (studies made before the choice existed record none).
pub fn model_only(options: &Options) -> Options {
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
pub fn differences(a: &Options, b: &Options) -> Vec<String> {
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

/// The study's table, in its directory.
pub const TABLE_FILE: &str = "scaling.csv";
/// The fits per time.
pub const FIT_FILE: &str = "fit.csv";
/// The model, the settings and the provenance (a config file to resume with).
pub const META_FILE: &str = "scaling.meta.toml";

fn gib(bytes: f64) -> f64 {
    bytes / (1u64 << 30) as f64
}

/// One size of the study: N₁, N₂, its resolved options and its problem.
#[derive(Clone, Debug)]
pub struct PlannedSize {
    /// N₁.
    pub n1: usize,
    /// N₂.
    pub n2: usize,
    /// The resolved options of this size.
    pub options: Options,
    /// Its problem, validated.
    pub problem: DynamicsProblem,
}

/// A study with its settings resolved and every size validated.
#[derive(Clone, Debug)]
pub struct StudyPlan {
    /// The settings, with the directory filled in.
    pub settings: Settings,
    /// The study's directory (`None` for a study kept in memory, [`StudyPlan::in_memory`]).
    pub dir: Option<PathBuf>,
    /// N₁ : N₂.
    pub ratio: Ratio,
    /// The exponents of the proof's bounds.
    pub exponents: ExponentChoice,
    /// The model's options without what varies with the size ([`model_only`]).
    pub model: Options,
    /// The sizes, by N.
    pub sizes: Vec<PlannedSize>,
}

impl StudyPlan {
    /// Merges the flags (`options`, `settings`) over the config file over the defaults and
    /// validates every size. The study lives in `settings.out_dir` (required unless it is the
    /// default study, whose directory is `results/scaling_default`).
    pub fn new(options: Options, settings: Settings, config: Option<&Path>) -> Result<Self> {
        Self::plan(options, settings, config, true)
    }

    /// The same study kept in memory: no directory, nothing read or written.
    pub fn in_memory(options: Options, settings: Settings) -> Result<Self> {
        if settings.out_dir.is_some() {
            return Err(Error::invalid(
                "out-dir",
                "a study kept in memory writes no file; drop out-dir",
            ));
        }
        Self::plan(options, settings, None, false)
    }

    fn plan(
        options: Options,
        settings: Settings,
        config: Option<&Path>,
        on_disk: bool,
    ) -> Result<Self> {
        if options.n1.is_some() || options.n2.is_some() {
            return Err(Error::invalid(
                "--n1/--n2",
                "scaling chooses N1 and N2 itself from --n-total and --ratio; drop --n1/--n2",
            ));
        }
        if options.out.is_some() {
            return Err(Error::invalid(
                "--out",
                "scaling writes into a directory: use --out-dir DIR instead of --out",
            ));
        }
        let (file_options, file_settings) = match config {
            Some(path) => {
                let (options, settings, _) = read_config(path)?;
                if options.n1.is_some() || options.n2.is_some() {
                    return Err(Error::invalid(
                        format!("{}", path.display()),
                        "it sets n1/n2; a scaling study chooses them from n-total and ratio",
                    ));
                }
                (options, settings)
            }
            None => (Options::default(), Settings::default()),
        };
        let model_options = options.or(file_options);
        let given = settings.or(file_settings);
        let is_default_study = model_options.is_default_model()
            && given.ratio.is_none()
            && given.n_total.is_none()
            && given.r_s.is_none();
        let settings = given.or(Settings::defaults());
        let dir = match (&settings.out_dir, is_default_study, on_disk) {
            (_, _, false) => None,
            (Some(dir), _, true) => Some(dir.clone()),
            (None, true, true) => Some(PathBuf::from("results/scaling_default")),
            (None, false, true) => return Err(Error::invalid(
                "--out-dir",
                "give the output directory (--out-dir DIR) when the study is not the default one",
            )),
        };
        let settings = Settings {
            out_dir: dir.clone(),
            ..settings
        };
        let ratio: Ratio = settings.ratio.as_deref().unwrap_or("1:1").parse()?;
        let totals = parse_totals(settings.n_total.as_deref().unwrap_or(""))?;
        let exponents: ExponentChoice = settings.r_s.as_deref().unwrap_or("scan").parse()?;
        let csv_path = dir.as_ref().map(|d| d.join(TABLE_FILE));
        let mut sizes = Vec::with_capacity(totals.len());
        for &total in &totals {
            let (n1, n2) = ratio.split(total)?;
            let options = Options {
                n1: Some(n1),
                n2: Some(n2),
                out: csv_path.clone(),
                ..model_options.clone()
            }
            .completed()?;
            let mut problem = options.problem()?;
            // Every size is measured by the proof (what it holds counts in the estimate).
            problem.measurement = crate::studies::proof::MEMORY;
            sizes.push(PlannedSize {
                n1,
                n2,
                options,
                problem,
            });
        }
        let model = model_only(&sizes[0].options);
        Ok(StudyPlan {
            settings,
            dir,
            ratio,
            exponents,
            model,
            sizes,
        })
    }

    /// `DIR/NAME`, when the study has a directory.
    pub fn file(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(name))
    }

    /// The table and size records already in the directory (empty for a new study or one kept
    /// in memory), refused when they belong to another study (model, ratio or exponents differ)
    /// or cannot be resumed safely; sizes with fewer rows than the time grid are dropped.
    pub fn resume(&self) -> Result<(ScalingTable, Vec<SizeRecord>)> {
        let (Some(csv_path), Some(meta_path), Some(dir)) = (
            self.file(TABLE_FILE),
            self.file(META_FILE),
            self.dir.as_ref(),
        ) else {
            return Ok(Default::default());
        };
        let mut table = ScalingTable::load(&csv_path)?.unwrap_or_default();
        let mut records: Vec<SizeRecord> = Vec::new();
        if meta_path.exists() {
            let (options, old, sizes) = read_config(&meta_path)?;
            let mut changed = differences(&options, &self.model);
            for (name, before, now) in [
                ("ratio", &old.ratio, &self.settings.ratio),
                ("r-s", &old.r_s, &self.settings.r_s),
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
                return Err(Error::invalid(
                    format!("{}", dir.display()),
                    format!(
                        "it holds a study of another model ({}); use another --out-dir, or remove the directory to start over",
                        changed.join("; ")
                    ),
                ));
            }
            records = sizes;
        } else if !table.sizes().is_empty() {
            return Err(Error::invalid(
                format!("{}", csv_path.display()),
                "it exists without its scaling.meta.toml, so it cannot be resumed safely; use another --out-dir",
            ));
        }
        let steps = self.sizes[0].problem.times.len();
        for (n1, n2) in table.sizes() {
            if !table.has(n1, n2, steps) {
                table.remove(n1, n2);
            }
        }
        Ok((table, records))
    }

    /// Refuses, with their figures, the sizes of `pending` (indices into [`StudyPlan::sizes`])
    /// that need more than `available` bytes with the propagator they would run with (the
    /// problem's estimate, the proof's work vectors included: `auto` takes Chebyshev where the
    /// Lanczos basis does not fit), or whose size does not even fit a machine integer.
    pub fn check_memory(&self, pending: &[usize], available: usize) -> Result<()> {
        let needed = |problem: &DynamicsProblem| -> Result<f64> {
            let propagator = problem.plan(Some(available))?;
            Ok(problem.memory_estimate_for(propagator)? as f64)
        };
        let mut refused = Vec::new();
        for &i in pending {
            let PlannedSize {
                n1, n2, problem, ..
            } = &self.sizes[i];
            match needed(problem) {
                Ok(need) if need <= available as f64 => {}
                Ok(need) => {
                    let d = problem.dimensions()?;
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
        if refused.is_empty() {
            return Ok(());
        }
        let lanczos = self.sizes[0].problem.propagator == PropagatorChoice::Lanczos;
        Err(Error::TooLarge(format!(
            "these sizes cannot fit in the {:.1} GiB available: {}. Drop them from --n-total{}",
            gib(available as f64),
            refused.join("; "),
            if lanczos {
                format!(
                    ", lower krylov-dim (now {}) or use --propagator chebyshev",
                    self.sizes[0].problem.krylov.krylov_dim()
                )
            } else {
                String::new()
            }
        )))
    }
}

#[cfg(test)]
mod memory {
    use super::*;

    /// A size whose Lanczos basis does not fit but which fits with Chebyshev is accepted with
    /// `auto` (it will run with Chebyshev) and refused with `--propagator lanczos`.
    #[test]
    fn a_size_is_refused_only_when_its_propagator_cannot_fit() {
        let plan = |propagator: &str| {
            let options = Options {
                propagator: Some(propagator.into()),
                ..Default::default()
            };
            let settings = Settings {
                n_total: Some("40".into()),
                ..Default::default()
            };
            StudyPlan::in_memory(options, settings).unwrap()
        };
        let auto = plan("auto");
        let problem = &auto.sizes[0].problem;
        let lanczos = problem
            .memory_estimate_for(PropagatorChoice::Lanczos)
            .unwrap();
        let chebyshev = problem
            .memory_estimate_for(PropagatorChoice::Chebyshev)
            .unwrap();
        let available = (lanczos + chebyshev) / 2;
        assert!(chebyshev < available && available < lanczos);
        auto.check_memory(&[0], available).unwrap();
        let message = plan("lanczos")
            .check_memory(&[0], available)
            .unwrap_err()
            .to_string();
        assert!(message.contains("cannot fit"), "{message}");
        assert!(plan("chebyshev").check_memory(&[0], chebyshev / 2).is_err());
    }
}
