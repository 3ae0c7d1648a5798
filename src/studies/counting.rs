//! Counting along a run (the `counting` experiment as a library): at every output time the
//! state in the condensate frame of (u_t, v_t), the counting distribution π(k_A, k_B), the
//! indicators α^(k₁,k₂), R^(1,1) and R^(2,2) from the reduced density matrices, the natural
//! occupations, the slack of Lemmas 3.1, 3.2, A.1 and A.2, the rows of (2.25)
//! ([`crate::measure::counting::fractions`]), and the first BBGKY equation (4.13) against (4.14)
//! ([`crate::measure::hierarchy`]).

use crate::app::report::free_disk_bytes;
use crate::evolution::hamiltonian::ManyBodyHamiltonian;
use crate::measure::context::TimeContext;
use crate::measure::counting::fractions::{fraction_rows, log_fraction_bound, FractionRow};
use crate::measure::counting::CondensateFrame;
use crate::measure::hierarchy::FirstEquation;
use crate::measure::lemmas::{
    lemma_3_1, lemma_3_2_higher, lemma_3_2_trace_norm, lemma_a_1, lemma_a_2_chain_13,
    lemma_a_2_chain_14, Component,
};
use crate::measure::reduced::{natural_occupations, reduced_density};
use crate::model::Model;
use crate::proof::bounds::{kappa, ProofConstants};
use crate::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use crate::proof::norms::ExponentChoice;
use crate::studies::dynamics::{DynamicsProblem, Moment, OutputCursor};
use crate::studies::memory::MeasurementMemory;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What the counting at an output time holds besides the propagator's vectors: the state in the
/// condensate frame and the images of it that the indicators, reduced densities and lemma
/// checks form, and the figures. Measured (peak resident memory, Chebyshev's three vectors
/// included): 5.4–5.6 vectors at D ≈ 10⁷ on rings of 4 to 6 sites, 5.5 at M = 3,
/// N₁ = N₂ = 100 (D = 2.7·10⁷), 6.5 at M = 4, N₁ = N₂ = 20 (D = 3.1·10⁶). The estimate takes
/// 2.75 vectors and 64 MiB: 8–14% above those runs. The rows of π and of (2.25) at a time, and
/// the sums behind them, grow with the pairs of counts: 148 bytes a pair at M = 2,
/// N₁ = N₂ = 1500 (2.25·10⁶ pairs, as many as states; peak 593 MiB against 276 MiB estimated
/// without them; 619 MiB in another run). At 176 bytes a pair the estimate (654 MiB) is 6–10%
/// above those peaks, and 2% above the peak at N₁ = N₂ = 700 (198 MiB; `counting --sites 2
/// --t-max 0.01 --steps 1`, whole processes).
pub const MEMORY: MeasurementMemory = MeasurementMemory {
    vectors: 2.75,
    per_count_pair: 176,
    fixed_bytes: 64 << 20,
};

/// Columns of the π table.
pub const DISTRIBUTION_COLUMNS: [&str; 4] = ["t", "k_a", "k_b", "probability"];

/// Columns of the (2.25) table.
pub const FRACTION_COLUMNS: [&str; 7] = [
    "t",
    "k1",
    "k2",
    "alpha",
    "alpha_over_max_k_alpha11",
    "log10_bound_2_25",
    "log10_bound_2_25_tight",
];

/// Columns of the main table for M sites.
pub fn counting_columns(sites: usize) -> Vec<String> {
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
            "bbgky_lhs",
            "bbgky_residual",
            "bbgky_limit_terms",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    columns
}

/// What one output time gives.
#[derive(Clone, Debug)]
pub struct CountingRows {
    /// t.
    pub t: f64,
    /// α^(1,1)(t).
    pub alpha11: f64,
    /// The main row, in the order of [`counting_columns`].
    pub cells: Vec<Option<f64>>,
    /// π(k_A, k_B) as rows of [`DISTRIBUTION_COLUMNS`].
    pub distribution: Vec<[f64; 4]>,
    /// The rows of (2.25) with the log₁₀ of its bound, κ as printed and tight (none where a
    /// species has one particle).
    pub fractions: Vec<(FractionRow, [Option<f64>; 2])>,
}

impl CountingRows {
    /// The (2.25) rows as cells of [`FRACTION_COLUMNS`].
    pub fn fraction_cells(&self) -> impl Iterator<Item = Vec<Option<f64>>> + '_ {
        self.fractions.iter().map(|(row, [printed, tight])| {
            vec![
                Some(row.t),
                Some(row.k1 as f64),
                Some(row.k2 as f64),
                Some(row.alpha),
                row.over_max_k_alpha11,
                *printed,
                *tight,
            ]
        })
    }
}

/// About how many bytes the π table and the (2.25) table of a run take on disk: each has a row
/// for every (k_A, k_B) at every output time (SPEC §10), (N₁ + 1)(N₂ + 1) rows a time, at about
/// 32 and 90 bytes a row (the default model's tables average 30 and 84).
pub fn table_bytes(problem: &DynamicsProblem) -> f64 {
    let (n1, n2) = (
        problem.model.species_a().particles as f64,
        problem.model.species_b().particles as f64,
    );
    (n1 + 1.0) * (n2 + 1.0) * problem.times.len() as f64 * (32.0 + 90.0)
}

/// Whether the π and (2.25) tables of `problem` fit on the disk that will hold `out`: an error
/// when their size ([`table_bytes`]) exceeds the space free there (the run would stop part-way
/// with a full disk), else a notice of their size when it passes 1 GiB, else nothing.
pub fn table_space(problem: &DynamicsProblem, out: &Path) -> Result<Option<String>> {
    table_space_verdict(table_bytes(problem), free_disk_bytes(out), out)
}

fn table_space_verdict(bytes: f64, free: Option<u64>, out: &Path) -> Result<Option<String>> {
    let gib = |b: f64| b / f64::from(1u32 << 30);
    let size = format!(
        "the pi and alpha_k tables hold a row for every (k_A, k_B) at every time: about {:.1} GiB",
        gib(bytes)
    );
    match free {
        Some(free) if bytes > free as f64 => Err(Error::TooLarge(format!(
            "{size}, but the disk that would hold {} has {:.1} GiB free (fewer --steps or \
             particles, or --out on a larger disk)",
            out.display(),
            gib(free as f64)
        ))),
        _ if bytes > f64::from(1u32 << 30) => Ok(Some(format!("{size} on disk"))),
        _ => Ok(None),
    }
}

/// Counting along one run.
#[derive(Debug)]
pub struct CountingRun {
    model: Model,
    f_values: Vec<f64>,
    covered: bool,
    frame: Option<CondensateFrame>,
    hamiltonian: Option<ManyBodyHamiltonian>,
    cursor: OutputCursor,
}

impl CountingRun {
    /// The run for `problem`; f(t) of Theorem 2.1 (for (2.25)) is integrated here, with the
    /// exponents of least constant.
    pub fn new(problem: &DynamicsProblem) -> Result<Self> {
        Ok(CountingRun {
            model: problem.model.clone(),
            f_values: mean_field_integral(
                &problem.model,
                &problem.u0,
                &problem.v0,
                &problem.times,
                problem.hartree_tolerance,
                &ExponentChoice::Scan,
            )?,
            covered: proof_covers(&problem.model),
            frame: None,
            hamiltonian: None,
            cursor: OutputCursor::default(),
        })
    }

    /// The values a checkpoint keeps ([`OutputCursor::running`]).
    pub fn running(&self) -> [f64; 2] {
        self.cursor.running()
    }

    /// Continues from a checkpoint's [`CountingRun::running`] values; returns the output times
    /// done.
    pub fn resume(&mut self, running: &[f64]) -> Result<usize> {
        self.cursor = OutputCursor::resume(running, self.f_values.len(), "counting")?;
        Ok(self.cursor.done)
    }

    /// Everything counting says at one output time.
    pub fn observe(&mut self, moment: &Moment) -> Result<CountingRows> {
        let (u, v) = (&moment.hartree.u, &moment.hartree.v);
        let frame = match &self.frame {
            Some(f) => f,
            None => self
                .frame
                .insert(CondensateFrame::new(moment.basis_a, moment.basis_b)?),
        };
        let context = TimeContext::new(&self.model, moment.state_view(), (u, v), frame)?;
        let pi = context.counting_distribution()?;
        let (n1, n2) = (pi.particles_a(), pi.particles_b());
        let t = moment.row.t;
        let mut distribution = Vec::with_capacity((n1 + 1) * (n2 + 1));
        for ka in 0..=n1 {
            for kb in 0..=n2 {
                distribution.push([t, ka as f64, kb as f64, pi.probability(ka, kb)]);
            }
        }
        let (alpha11, alpha10, alpha01) = (pi.alpha(1, 1)?, pi.alpha(1, 0)?, pi.alpha(0, 1)?);
        // (2.25) for every (k₁, k₂), with the explicit constant of (3.8) and (5.5).
        let a0 = *self.cursor.alpha_zero.get_or_insert(alpha11);
        let model = &self.model;
        let f_t = self.f_values[self.cursor.done];
        let log_bound = |constants| {
            self.covered.then(|| {
                gronwall_log_bound(a0, n1 + n2, kappa(model.c1(), model.c2(), constants), f_t)
            })
        };
        let (printed, tight) = (
            log_bound(ProofConstants::AsPrinted),
            log_bound(ProofConstants::Tight),
        );
        let fractions = fraction_rows(&pi, t)?
            .into_iter()
            .map(|row| {
                let log10 = |l: Option<f64>| {
                    l.map(|l| log_fraction_bound(row.k1, row.k2, l) / std::f64::consts::LN_10)
                };
                (row, [log10(printed), log10(tight)])
            })
            .collect();
        self.cursor.done += 1;
        let alpha22 = if n1 >= 2 && n2 >= 2 {
            Some(pi.alpha(2, 2)?)
        } else {
            None
        };
        let (mean_a, var_a) = pi.moments_a();
        let (mean_b, var_b) = pi.moments_b();
        let gamma = |k1, k2| reduced_density(moment.basis_a, moment.basis_b, moment.state, k1, k2);
        let r11 = gamma(1, 1)?.trace_distance(u, v)?;
        // R^(2,2) where both species have two particles and γ^(2,2) is small enough.
        let r22 = match alpha22 {
            Some(_) => match gamma(2, 2) {
                Ok(g) => Some(g.trace_distance(u, v)?),
                Err(crate::Error::TooLarge(_)) => None,
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
        // (4.13) at this N: |i∂_t γ^(1,1)|₁, the residual of the identity, and the terms that
        // vanish in the limit (4.14).
        let hamiltonian = match &self.hamiltonian {
            Some(h) => h,
            None => self.hamiltonian.insert(ManyBodyHamiltonian::new(
                &self.model,
                moment.basis_a,
                moment.basis_b,
            )?),
        };
        let equation = FirstEquation::evaluate(
            &self.model,
            hamiltonian,
            moment.basis_a,
            moment.basis_b,
            moment.state,
        )?;
        cells.push(Some(equation.lhs_norm()?));
        cells.push(Some(equation.residual()?));
        cells.push(equation.limit_terms()?);
        Ok(CountingRows {
            t,
            alpha11,
            cells,
            distribution,
            fractions,
        })
    }
}

/// The rows with k₁ = k₂ of a table of [`FRACTION_COLUMNS`] — what [`write_fraction_figure`]
/// draws — read back from the file, so that the figure of a run continued from a checkpoint
/// has the rows written before it stopped.
pub fn read_diagonal_fractions(path: &Path) -> Result<Vec<FractionRow>> {
    let mut reader = csv::Reader::from_path(path)?;
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    if header != FRACTION_COLUMNS {
        return Err(Error::invalid(
            path.display().to_string(),
            format!("its columns are not {}", FRACTION_COLUMNS.join(",")),
        ));
    }
    let number = |text: &str| -> Result<Option<f64>> {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<f64>().map(Some).map_err(|_| {
            Error::invalid(
                path.display().to_string(),
                format!("{text:?} is not a number"),
            )
        })
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let cell = |i: usize| number(record.get(i).unwrap_or(""));
        let (Some(t), Some(k1), Some(k2), Some(alpha)) = (cell(0)?, cell(1)?, cell(2)?, cell(3)?)
        else {
            return Err(Error::invalid(
                path.display().to_string(),
                "a row lacks t, k1, k2 or alpha",
            ));
        };
        if k1 == k2 {
            rows.push(FractionRow {
                t,
                k1: k1 as usize,
                k2: k2 as usize,
                alpha,
                over_max_k_alpha11: cell(4)?,
            });
        }
    }
    Ok(rows)
}

/// The figure α^(k,k)/α^(1,1) against k/(N₁+N₂) at the output times (of `times`) nearest
/// T/3, 2T/3 and T (the rows with k₁ = k₂ = k; others are not read), into `stem`.svg and
/// `.png`. Returns the files written.
pub fn write_fraction_figure(
    rows: &[FractionRow],
    times: &[f64],
    total_particles: usize,
    title: &str,
    stem: &Path,
) -> Result<Vec<PathBuf>> {
    super::plot::register_font();
    let t_max = times.last().copied().unwrap_or(0.0);
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
    let alpha11 = |t: f64| {
        rows.iter()
            .find(|r| r.t == t && r.k1 == 1 && r.k2 == 1)
            .map(|r| r.alpha)
    };
    let series = chosen
        .iter()
        .filter_map(|&t| {
            let a11 = alpha11(t).filter(|a| *a > crate::measure::counting::fractions::ROUND_OFF)?;
            let points = rows
                .iter()
                .filter(|r| r.t == t && r.k1 == r.k2)
                .map(|r| (r.k1 as f64 / total_particles as f64, r.alpha / a11))
                .collect();
            Some((format!("t = {t}"), points))
        })
        .collect();
    let figure = super::plot::Curves {
        title,
        x_desc: "k / (N1 + N2)",
        y_desc: "α^(k,k) / α^(1,1)",
        series,
    };
    super::plot::write_both(&figure, stem, super::plot::SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables larger than the free space are refused, naming both sizes; below it they pass,
    /// with a notice past 1 GiB; where the free space is unknown only the notice remains.
    #[test]
    fn tables_that_do_not_fit_on_the_disk_are_refused() {
        let out = Path::new("results/big.csv");
        let gib = f64::from(1u32 << 30);
        let refused = table_space_verdict(40.0 * gib, Some(30 << 30), out).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("40.0 GiB") && message.contains("30.0 GiB free"),
            "{message}"
        );
        let notice = table_space_verdict(2.0 * gib, Some(30 << 30), out).unwrap();
        assert!(notice.is_some_and(|n| n.contains("2.0 GiB")));
        assert_eq!(table_space_verdict(1e6, Some(30 << 30), out).unwrap(), None);
        assert!(table_space_verdict(40.0 * gib, None, out)
            .unwrap()
            .is_some());
    }

    /// The free space is asked of the nearest existing directory: a file in directories not
    /// made yet gets that of the working directory, and both are some bytes.
    #[cfg(unix)]
    #[test]
    fn free_space_is_asked_of_the_nearest_existing_directory() {
        let here = free_disk_bytes(Path::new(".")).expect("the system can say");
        let deep = free_disk_bytes(Path::new("not/made/yet/table.csv")).expect("the same disk");
        assert!(here > 0);
        // Other processes write meanwhile: the two answers agree to well within a GiB.
        assert!(here.abs_diff(deep) < 1 << 30, "{here} against {deep}");
    }
}
