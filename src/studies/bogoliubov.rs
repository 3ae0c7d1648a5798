//! A Bogoliubov run (the `bogoliubov` experiment): a model's N → ∞ limit curves of N·α along
//! its Hartree pair, from the flags or a config file, with its memory check and figure. The
//! generator and its integration are [`crate::evolution::bogoliubov`].

use crate::app::config::Options;
use crate::evolution::bogoliubov::{BogoliubovRow, BogoliubovSystem};
use crate::evolution::hartree::IntegrationStats;
use crate::model::{Model, Ratio};
use crate::{Error, Result, C64};

/// One Bogoliubov run: a model (only c₁, c₂ of its particle numbers enter), the initial pair,
/// the output times and the integrator's tolerance.
#[derive(Clone, Debug)]
pub struct BogoliubovProblem {
    /// The model.
    pub model: Model,
    /// u₀.
    pub u0: Vec<C64>,
    /// v₀.
    pub v0: Vec<C64>,
    /// Output times, from 0.
    pub times: Vec<f64>,
    /// Relative tolerance of [`crate::evolution::hartree::Dop853`] on (u, v, U, W).
    pub tolerance: f64,
}

impl BogoliubovProblem {
    /// The problem of resolved options (see [`Options::resolved`]): their model, orbitals and
    /// times, with `tol` as the integrator's tolerance.
    pub fn from_options(options: &Options) -> Result<Self> {
        let problem = options.problem()?;
        Ok(BogoliubovProblem {
            tolerance: problem.krylov.tolerance(),
            model: problem.model,
            u0: problem.u0,
            v0: problem.v0,
            times: problem.times,
        })
    }

    /// Bytes the run holds at its peak: the integrator's 12 stages and 4 more copies of the
    /// state (u, v, U, W), and the matrices A, B and [W̄ Ū] of a right-hand side.
    pub fn memory_estimate(&self) -> f64 {
        let n = 2.0 * self.model.sites() as f64;
        let state = 2.0 * self.model.sites() as f64 + 2.0 * n * n;
        16.0 * (16.0 * state + 4.0 * n * n)
    }

    /// The flags with N₁, N₂ set from `ratio` (a:b) when it is given; refused together with
    /// N₁ or N₂.
    pub fn with_ratio(flags: Options, ratio: Option<&str>) -> Result<Options> {
        let mut flags = flags;
        if let Some(text) = ratio {
            if flags.n1.is_some() || flags.n2.is_some() {
                return Err(Error::invalid(
                    "--ratio",
                    "give either --ratio or --n1 --n2, not both",
                ));
            }
            let (a, b) = text.parse::<Ratio>()?.parts();
            (flags.n1, flags.n2) = (Some(a), Some(b));
        }
        Ok(flags)
    }

    /// The options of a run: `flags` over the config file (a scaling study's file gives its
    /// model; its `[scaling]` table is not read) over the defaults, with `ratio` (a:b) giving
    /// N₁, N₂ in lowest terms (only c₁, c₂ enter). The default model of `dynamics` at any 1:1
    /// ratio writes `results/bogoliubov_default.csv`; any other model must name its `--out`.
    pub fn resolve_options(
        flags: Options,
        ratio: Option<&str>,
        config: Option<&std::path::Path>,
    ) -> Result<Options> {
        let from_file = match config {
            Some(path) => Options::from_toml_file_without(path, &["scaling"])?,
            None => Options::default(),
        };
        let merged = Self::with_ratio(flags, ratio)?.or(from_file);
        // The default model of `dynamics` is N1 = N2 = 10: any 1:1 ratio is the same limit.
        let one_to_one = matches!((merged.n1, merged.n2), (Some(a), Some(b)) if a == b)
            || (merged.n1.is_none() && merged.n2.is_none());
        let default_model = Options {
            n1: None,
            n2: None,
            ..merged.clone()
        }
        .is_default_model()
            && one_to_one;
        let merged = if default_model && merged.out.is_none() {
            Options {
                out: Some("results/bogoliubov_default.csv".into()),
                ..merged
            }
        } else {
            merged
        };
        merged.resolved("")
    }

    /// Refuses, with the figures, a run that needs more than `available` bytes.
    pub fn check_memory(&self, available: usize) -> Result<()> {
        let need = self.memory_estimate();
        if need > available as f64 {
            return Err(Error::TooLarge(format!(
                "M = {} needs about {:.1} GiB for the 2M x 2M transformation but only {:.1} GiB are available",
                self.model.sites(),
                need / (1u64 << 30) as f64,
                available as f64 / (1u64 << 30) as f64
            )));
        }
        Ok(())
    }

    /// Runs it, calling `on_row` at each output time.
    pub fn run(
        &self,
        on_row: impl FnMut(&BogoliubovRow) -> Result<()>,
    ) -> Result<IntegrationStats> {
        BogoliubovSystem::new(&self.model).evolve(
            &self.u0,
            &self.v0,
            &self.times,
            self.tolerance,
            on_row,
        )
    }
}

/// Draws the limit curves lim N₁α^(1,0), lim N₂α^(0,1), lim (N₁+N₂)α^(1,1) of `rows` against t
/// into `stem`.svg and `stem`.png (a logarithmic axis where they span more than two decades, as
/// in an unstable case), with `title` naming the model. Returns the files written.
pub fn write_limit_figure(
    rows: &[BogoliubovRow],
    title: &str,
    stem: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>> {
    super::plot::register_font();
    let curve = |f: fn(&BogoliubovRow) -> f64| rows.iter().map(|r| (r.t, f(r))).collect();
    let figure = super::plot::Curves {
        title,
        x_desc: "t (units of ħ/J)",
        y_desc: "N → ∞ limit",
        series: vec![
            ("lim N1 α^(1,0)".into(), curve(|r| r.n_alpha10_limit)),
            ("lim N2 α^(0,1)".into(), curve(|r| r.n_alpha01_limit)),
            ("lim (N1+N2) α^(1,1)".into(), curve(|r| r.n_alpha11_limit)),
        ],
    };
    super::plot::write_both(&figure, stem, super::plot::SIZE)
}
