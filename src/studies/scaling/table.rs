//! The study on disk: `scaling.csv` holds whole sizes only. It is rewritten after each size
//! (temporary file, then rename), so an interrupted study leaves a valid table of the sizes it
//! finished, and a rerun reads it back and skips them. Cells are kept as the text that was
//! written, so a resumed study reproduces the bytes of an uninterrupted one.

use std::collections::BTreeMap;
use std::path::Path;

use super::fit::{power_law_fit, richardson_limit};
use super::study::ScalingRow;
use crate::app::report::{format_number, write_atomically};
use crate::{Error, Result};

/// Columns of `scaling.csv` (the first twelve as SPEC §6 and the issue name them).
pub const SCALING_COLUMNS: [&str; 25] = [
    "n1",
    "n2",
    "t",
    "alpha11",
    "alpha10",
    "alpha01",
    "n_alpha11",
    "gronwall_bound",
    "max_ratio_v1",
    "max_ratio_v2",
    "max_ratio_v12",
    "kappa_eff",
    "log10_gronwall_bound",
    "dalpha",
    "kappa",
    "error_estimate",
    "kappa_tight",
    "gronwall_bound_tight",
    "log10_gronwall_bound_tight",
    "max_ratio_tight",
    "alpha11_vs_2_10",
    "n_alpha11_vs_2_10",
    "gronwall_bound_energy",
    "log10_gronwall_bound_energy",
    "log10_gronwall_bound_energy_tight",
];

/// Below this, α^(1,1) = 1 − ⟨N_u N_v⟩/(N₁N₂) is round-off, and the fits of its exponent at that
/// time are left empty.
pub const ROUND_OFF_ALPHA: f64 = 1e-12;

/// Columns of `fit.csv`.
pub const FIT_COLUMNS: [&str; 15] = [
    "t",
    "gamma",
    "gamma_lo",
    "gamma_hi",
    "limit",
    "limit_err",
    "sizes",
    "gamma_local",
    "bogoliubov_limit",
    "correction",
    "correction_err",
    "log10_theorem_over_limit",
    "best_constant",
    "log10_theorem_over_best",
    "log10_tight_theorem_over_limit",
];

/// The rows of a study, grouped by size (ordered by N₁ + N₂, then N₁).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScalingTable {
    sizes: BTreeMap<(usize, usize), Vec<Vec<String>>>,
}

/// One row read back as numbers (empty cells as `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct NumericRow {
    /// N₁, N₂.
    pub sizes: (usize, usize),
    /// The cells after n1, n2, in the order of [`SCALING_COLUMNS`].
    pub values: Vec<Option<f64>>,
}

impl NumericRow {
    /// The cells of the row, in the order of [`SCALING_COLUMNS`] (empty cells `None`).
    pub fn cells(&self) -> Vec<Option<f64>> {
        let sizes = [self.sizes.0, self.sizes.1].map(|n| Some(n as f64));
        sizes
            .into_iter()
            .chain(self.values.iter().copied())
            .collect()
    }

    /// The value of a column of [`SCALING_COLUMNS`] (after n1, n2).
    pub fn get(&self, column: &str) -> Option<f64> {
        let index = SCALING_COLUMNS.iter().position(|c| *c == column)?;
        self.values.get(index.checked_sub(2)?).copied().flatten()
    }

    /// N = N₁ + N₂.
    pub fn total(&self) -> usize {
        self.sizes.0 + self.sizes.1
    }
}

fn cells(row: &ScalingRow) -> Vec<String> {
    let optional = |x: Option<f64>| x.map(format_number).unwrap_or_default();
    vec![
        row.n1.to_string(),
        row.n2.to_string(),
        format_number(row.t),
        format_number(row.alpha11),
        format_number(row.alpha10),
        format_number(row.alpha01),
        format_number(row.n_alpha11),
        optional(row.gronwall_bound()),
        optional(row.max_ratio_v1),
        optional(row.max_ratio_v2),
        format_number(row.max_ratio_v12),
        format_number(row.kappa_eff),
        optional(row.log_gronwall_bound.map(|l| l / std::f64::consts::LN_10)),
        format_number(row.dalpha),
        format_number(row.kappa),
        format_number(row.error_estimate),
        format_number(row.kappa_tight),
        optional(row.log_gronwall_bound_tight.map(f64::exp)),
        optional(
            row.log_gronwall_bound_tight
                .map(|l| l / std::f64::consts::LN_10),
        ),
        format_number(row.max_ratio_tight),
        optional(row.alpha11_vs_2_10),
        optional(row.alpha11_vs_2_10.map(|a| (row.n1 + row.n2) as f64 * a)),
        optional(row.log_gronwall_bound_energy[0].map(f64::exp)),
        optional(row.log_gronwall_bound_energy[0].map(|l| l / std::f64::consts::LN_10)),
        optional(row.log_gronwall_bound_energy[1].map(|l| l / std::f64::consts::LN_10)),
    ]
}

fn csv_text(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(&row)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Numerical(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Numerical(format!("writing CSV: {e}")))
}

impl ScalingTable {
    /// Reads `scaling.csv` back; `None` if it does not exist. A file with other columns, or with
    /// cells that are not numbers, is refused (it is not a table this program wrote).
    pub fn load(path: &Path) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let bad = |why: String| Error::invalid(format!("{}", path.display()), why);
        let mut reader = csv::Reader::from_path(path)?;
        let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        if header.len() < SCALING_COLUMNS.len()
            && header.iter().zip(SCALING_COLUMNS).all(|(h, c)| h == c)
        {
            let why = if header.len() < 20 {
                "its Grönwall bounds integrate f(t) with the trapezoid rule (not an upper bound) and it has no tight constants"
            } else {
                "it has no columns for α^(1,1) against the (2.10) pair (--prefactors) or for the energy-space bound (§2.5)"
            };
            return Err(bad(format!(
                "was written by an earlier pickl: {why}; move it away (or use another --out-dir) to run the study afresh"
            )));
        }
        if header != SCALING_COLUMNS {
            return Err(bad(format!(
                "has columns {}, not those of a scaling table; use another --out-dir",
                header.join(",")
            )));
        }
        let mut table = ScalingTable::default();
        for record in reader.records() {
            let record = record?;
            let row: Vec<String> = record.iter().map(str::to_owned).collect();
            let number = |cell: &str| {
                cell.parse::<usize>()
                    .map_err(|_| bad(format!("'{cell}' is not a particle number")))
            };
            let key = (number(&row[0])?, number(&row[1])?);
            if let Some(cell) = row[2..]
                .iter()
                .find(|c| !c.is_empty() && c.parse::<f64>().is_err())
            {
                return Err(bad(format!("'{cell}' is not a number")));
            }
            table.sizes.entry(key).or_default().push(row);
        }
        Ok(Some(table))
    }

    /// Whether the size (N₁, N₂) is there with `rows` rows.
    pub fn has(&self, n1: usize, n2: usize, rows: usize) -> bool {
        self.sizes.get(&(n1, n2)).is_some_and(|r| r.len() == rows)
    }

    /// Adds (or replaces) the rows of one size.
    pub fn insert(&mut self, rows: &[ScalingRow]) {
        if let Some(first) = rows.first() {
            self.sizes
                .insert((first.n1, first.n2), rows.iter().map(cells).collect());
        }
    }

    /// Removes a size (for example one with fewer rows than the time grid asks for).
    pub fn remove(&mut self, n1: usize, n2: usize) {
        self.sizes.remove(&(n1, n2));
    }

    /// The sizes present, ordered by N.
    pub fn sizes(&self) -> Vec<(usize, usize)> {
        let mut keys: Vec<_> = self.sizes.keys().copied().collect();
        keys.sort_by_key(|&(a, b)| (a + b, a));
        keys
    }

    /// Every row as numbers, ordered by N then t.
    pub fn numeric(&self) -> Vec<NumericRow> {
        self.sizes()
            .into_iter()
            .flat_map(|key| {
                self.sizes[&key].iter().map(move |row| NumericRow {
                    sizes: key,
                    values: row[2..].iter().map(|c| c.parse::<f64>().ok()).collect(),
                })
            })
            .collect()
    }

    /// Writes the table atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let rows = self
            .sizes()
            .into_iter()
            .flat_map(|key| self.sizes[&key].iter().cloned());
        write_atomically(path, &csv_text(&SCALING_COLUMNS, rows)?)
    }

    /// The fits per output time (see [`FitRow`]).
    pub fn fits(&self) -> Vec<FitRow> {
        self.fits_against(&[])
    }

    /// [`ScalingTable::fits`] with the Bogoliubov limit L(t) of the study's model, given as
    /// (t, L(t)) pairs: each row gains L(t) and the 1/N correction
    /// b(t) = lim N (N α^(1,1)(t) − L(t)), extrapolated in 1/N like the limit.
    pub fn fits_against(&self, bogoliubov: &[(f64, f64)]) -> Vec<FitRow> {
        let rows = self.numeric();
        let mut times: Vec<f64> = rows.iter().filter_map(|r| r.get("t")).collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        times
            .into_iter()
            .map(|t| {
                let at_t: Vec<_> = rows.iter().filter(|r| r.get("t") == Some(t)).collect();
                let (sizes, alphas): (Vec<f64>, Vec<f64>) = at_t
                    .iter()
                    .filter_map(|r| Some((r.total() as f64, r.get("alpha11")?)))
                    .unzip();
                // |α(Ψ̃) − α(Ψ)| ≤ 2‖Ψ̃ − Ψ‖ (α is ⟨Ψ, AΨ⟩ with 0 ≤ A ≤ 1), so N α carries at
                // most 2N times the propagator's bound (none in tables written before it).
                let errors: Vec<f64> = at_t
                    .iter()
                    .filter(|r| r.get("alpha11").is_some())
                    .map(|r| r.get("error_estimate").map_or(0.0, |e| 2.0 * e))
                    .collect();
                // α at round-off level (t = 0 for product initial data) has no slope to fit.
                let resolved = alphas.iter().all(|a| *a > ROUND_OFF_ALPHA);
                let power = resolved
                    .then(|| power_law_fit(&sizes, &alphas).ok())
                    .flatten();
                let scaled: Vec<f64> = sizes.iter().zip(&alphas).map(|(n, a)| n * a).collect();
                let scaled_errors: Vec<f64> =
                    sizes.iter().zip(&errors).map(|(n, e)| n * e).collect();
                let limit = richardson_limit(&sizes, &scaled, &scaled_errors).ok();
                // The slope between the two largest sizes (rows come ordered by N).
                let local = (resolved && sizes.len() >= 2)
                    .then(|| {
                        let k = sizes.len();
                        power_law_fit(&sizes[k - 2..], &alphas[k - 2..]).ok()
                    })
                    .flatten();
                let bogoliubov_limit = bogoliubov
                    .iter()
                    .find(|(time, _)| (time - t).abs() <= 1e-12 * t.abs().max(1.0))
                    .map(|&(_, l)| l);
                let correction = bogoliubov_limit.and_then(|l| {
                    let scaled: Vec<f64> = sizes
                        .iter()
                        .zip(&scaled)
                        .map(|(n, g)| n * (g - l))
                        .collect();
                    let correction_errors: Vec<f64> = sizes
                        .iter()
                        .zip(&scaled_errors)
                        .map(|(n, e)| n * e)
                        .collect();
                    richardson_limit(&sizes, &scaled, &correction_errors).ok()
                });
                // log₁₀ of Theorem 2.1's constant (α(0)N + 1) e^{κ f(t)} = N × the Grönwall
                // bound (it does not depend on N at a fixed ratio), from the largest size.
                let log_theorem = |column: &str| {
                    at_t.iter()
                        .filter_map(|r| Some((r.total() as f64, r.get(column)?)))
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(n, log_bound)| n.log10() + log_bound)
                };
                let log_limit = bogoliubov_limit.filter(|l| *l > 0.0).map(f64::log10);
                let over_limit = |column: &str| {
                    log_theorem(column)
                        .zip(log_limit)
                        .map(|(theorem, limit)| theorem - limit)
                };
                // The best constant the exact runs allow: the smallest C with α(t) ≤ C/N at
                // every size run, max over the sizes of N α(t).
                let best_constant = resolved
                    .then(|| scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                    .filter(|c| *c > 0.0);
                let theorem_over_best = log_theorem("log10_gronwall_bound")
                    .zip(best_constant)
                    .map(|(theorem, best)| theorem - best.log10());
                FitRow {
                    t,
                    theorem_over_limit: over_limit("log10_gronwall_bound"),
                    best_constant,
                    theorem_over_best,
                    tight_theorem_over_limit: over_limit("log10_gronwall_bound_tight"),
                    bogoliubov_limit,
                    correction: correction.map(|c| c.limit),
                    correction_error: correction.and_then(|c| c.error),
                    gamma: power.map(|p| p.gamma),
                    gamma_low: power.and_then(|p| p.gamma_low),
                    gamma_high: power.and_then(|p| p.gamma_high),
                    limit: limit.map(|l| l.limit),
                    limit_error: limit.and_then(|l| l.error),
                    sizes: sizes.len(),
                    local_gamma: local.map(|p| p.gamma),
                }
            })
            .collect()
    }

    /// Writes fits (those of [`ScalingTable::fits`]) to `path` atomically.
    pub fn write_fits(fits: &[FitRow], path: &Path) -> Result<()> {
        let optional = |x: Option<f64>| x.map(format_number).unwrap_or_default();
        let rows = fits.iter().map(|f| f.cells().map(optional).to_vec());
        write_atomically(path, &csv_text(&FIT_COLUMNS, rows)?)
    }
}

/// One row of `fit.csv`: at time t, α^(1,1) ∝ N^{−γ} fitted over the sizes (least squares in
/// log–log, 95% Student-t interval; empty where some α is at round-off level, ≤ 1e-12, as at
/// t = 0 for product initial data, or with fewer than three sizes for the interval), and the limit of N α^(1,1) by Richardson
/// extrapolation in 1/N with its error (the difference of the last two orders plus the
/// propagator's error bounds carried through the extrapolation); and the local
/// exponent from the two largest sizes alone, which shows where a single power law over all
/// sizes is biased by 1/N² corrections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitRow {
    /// t.
    pub t: f64,
    /// γ.
    pub gamma: Option<f64>,
    /// Lower end of the 95% interval.
    pub gamma_low: Option<f64>,
    /// Upper end.
    pub gamma_high: Option<f64>,
    /// lim N α^(1,1)(t).
    pub limit: Option<f64>,
    /// Its error estimate.
    pub limit_error: Option<f64>,
    /// Number of sizes used.
    pub sizes: usize,
    /// −ln(α(N_k)/α(N_{k−1})) / ln(N_k/N_{k−1}) for the two largest sizes.
    pub local_gamma: Option<f64>,
    /// lim N α^(1,1)(t) from the Bogoliubov dynamics ([`crate::evolution::bogoliubov`]).
    pub bogoliubov_limit: Option<f64>,
    /// b(t) = lim N (N α^(1,1)(t) − L(t)), the 1/N correction, by Richardson extrapolation.
    pub correction: Option<f64>,
    /// Its error estimate, formed like the limit's.
    pub correction_error: Option<f64>,
    /// log₁₀ of Theorem 2.1's constant (α(0)N + 1)e^{κ f(t)} over L(t): how loose the theorem
    /// is independently of N, since α^(1,1)(t) ≈ L(t)/N.
    pub theorem_over_limit: Option<f64>,
    /// max over the sizes of N α^(1,1)(t): the best constant C with α ≤ C/N that the exact runs
    /// allow (empty where α is at round-off level).
    pub best_constant: Option<f64>,
    /// log₁₀ of Theorem 2.1's constant over [`FitRow::best_constant`].
    pub theorem_over_best: Option<f64>,
    /// [`FitRow::theorem_over_limit`] with the tight κ of [`crate::proof::bounds`].
    pub tight_theorem_over_limit: Option<f64>,
}

impl FitRow {
    /// The cells of the row, in the order of [`FIT_COLUMNS`] (empty cells `None`).
    pub fn cells(&self) -> [Option<f64>; FIT_COLUMNS.len()] {
        [
            Some(self.t),
            self.gamma,
            self.gamma_low,
            self.gamma_high,
            self.limit,
            self.limit_error,
            Some(self.sizes as f64),
            self.local_gamma,
            self.bogoliubov_limit,
            self.correction,
            self.correction_error,
            self.theorem_over_limit,
            self.best_constant,
            self.theorem_over_best,
            self.tight_theorem_over_limit,
        ]
    }
}
