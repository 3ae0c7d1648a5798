//! The proof along a run (the `proof` experiment as a library): at every output time the
//! terms of §5 with their bounds ([`ProofSnapshot`]), the ledger of their chains
//! ([`crate::proof::ledger`]), and, once α is known at t ± h and t ± h/2, the wide row: the derivative
//! identity (5.19) against a Richardson-extrapolated centred difference, B(t), f(t), the
//! Grönwall bound (5.5) with κ as printed and tight, κ_eff, R^(1,1) and Corollary 2.1 (2.22).
//!
//! [`ProofRun::evaluation_times`] adds the finite-difference times around every output time;
//! the run is fed each [`Moment`] of the dynamics at those times and hands back what is ready.
//! Its running values (α(0), the output times done) go into a checkpoint between rows.

use crate::app::report::format_number;
use crate::measure::context::TimeContext;
use crate::measure::counting::CondensateFrame;
use crate::model::Model;
use crate::proof::bounds::ProofConstants;
use crate::proof::energy::{energy_integral, kappa_energy};
use crate::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use crate::proof::ledger::{ledger, LedgerStep};
use crate::proof::norms::ExponentChoice;
use crate::proof::snapshot::{bound_ratio, ProofSnapshot, TermRow};
use crate::studies::dynamics::{DynamicsProblem, Moment, OutputCursor};
use crate::studies::memory::MeasurementMemory;
use crate::{Error, Result};

/// What the proof's evaluation holds besides the propagator's vectors: the state in the frame,
/// then its transpose (for the pairs of C_V2 and the ledger), and the figures; the derivative
/// terms form their number-operator images a tile of rows at a time. Measured (peak resident
/// memory of the measurements along a run, Chebyshev's three vectors included): 5.42 vectors
/// at M = 3, N₁ = N₂ = 80 (D = 11,029,041; `tests/memory_estimate.rs`), against 6.36 when the
/// derivative terms held two state-sized images. The estimate takes 2.5 and 48 MiB: 8–17% above the resident peaks of whole
/// runs (the memory table of docs/performance.md).
pub const MEMORY: MeasurementMemory = MeasurementMemory {
    vectors: 2.5,
    per_count_pair: 0,
    fixed_bytes: 48 << 20,
};

/// Columns of the long table, one row per time and term.
pub const TERM_COLUMNS: [&str; 10] = [
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
];

/// Columns of the ledger, one row per time and step.
pub const STEP_COLUMNS: [&str; 8] = [
    "t", "group", "term", "step", "equation", "left", "right", "ratio",
];

/// Columns of the wide table, one row per output time ([`WideRow::cells`]).
pub const WIDE_COLUMNS: [&str; 28] = [
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
    "f_energy",
    "kappa_energy",
    "kappa_energy_tight",
    "gronwall_bound_energy",
    "log10_gronwall_bound_energy",
    "log10_gronwall_bound_energy_tight",
];

impl TermRow {
    /// The cells of the long table at time `t`, in the order of [`TERM_COLUMNS`].
    pub fn cells(&self, t: f64) -> Vec<Option<String>> {
        let number = |x: Option<f64>| x.map(format_number);
        let abs = self.value.norm();
        let ratio = |bound: Option<f64>| bound.and_then(|b| bound_ratio(abs, b));
        vec![
            Some(t.to_string()),
            Some(self.group.to_string()),
            Some(self.term.clone()),
            Some(format_number(self.value.re)),
            Some(format_number(self.value.im)),
            Some(format_number(abs)),
            number(self.bound),
            number(ratio(self.bound)),
            number(self.bound_tight),
            number(ratio(self.bound_tight)),
        ]
    }
}

impl LedgerStep {
    /// The cells of the ledger at time `t`, in the order of [`STEP_COLUMNS`].
    pub fn cells(&self, t: f64) -> Vec<Option<String>> {
        vec![
            Some(t.to_string()),
            Some(self.group.to_string()),
            Some(self.term.to_string()),
            Some(self.step.to_string()),
            Some(self.equation.to_string()),
            Some(format_number(self.left)),
            Some(format_number(self.right)),
            self.ratio().map(format_number),
        ]
    }
}

/// The figures of one output time that need α around it.
#[derive(Clone, Debug, PartialEq)]
pub struct WideRow {
    /// t.
    pub t: f64,
    /// α^(1,1)(t).
    pub alpha11: f64,
    /// i(C_V1 + C_V2 + C_V12) (5.19).
    pub dalpha_terms: f64,
    /// The Richardson-extrapolated centred difference of α (none at t = 0).
    pub dalpha_fd: Option<f64>,
    /// Im C_V1, Im C_V2, Im C_V12.
    pub c_im: [f64; 3],
    /// B(t) (5.3), κ as printed and tight.
    pub b_t: [f64; 2],
    /// f(t) (2.19), an upper bound.
    pub f_t: f64,
    /// ln of the Grönwall bound (5.5), κ as printed and tight; none where the proof does not
    /// cover the model (a species of one particle).
    pub log_gronwall_bound: [Option<f64>; 2],
    /// |dα/dt| / ((α + 1/N)(A₁ + A₂ + A^u + A^v)).
    pub kappa_eff: f64,
    /// R^(1,1)(t).
    pub r11: f64,
    /// κ as printed and tight.
    pub kappa: [f64; 2],
    /// Bounded terms with both sides round-off, over both forms.
    pub degenerate_bounds: usize,
    /// f_E(t) of the energy-space form (§2.5, [`crate::proof::energy`]), an upper bound.
    pub f_energy: f64,
    /// κ_E as printed and tight.
    pub kappa_energy: [f64; 2],
    /// ln of the energy-space Grönwall bound (α(0) + 1/N)e^{κ_E f_E(t)}, κ_E as printed and tight.
    pub log_gronwall_bound_energy: [Option<f64>; 2],
}

impl WideRow {
    /// The cells in the order of [`WIDE_COLUMNS`].
    pub fn cells(&self) -> Vec<Option<f64>> {
        let ln10 = std::f64::consts::LN_10;
        let [printed, tight] = self.log_gronwall_bound;
        // How loose the theorem is at this N: the bound over α itself (N times both is the
        // theorem's constant over the best one this run allows).
        let over_alpha = |l: Option<f64>| {
            l.filter(|_| self.alpha11 > 0.0)
                .map(|l| (l - self.alpha11.ln()) / ln10)
        };
        vec![
            Some(self.t),
            Some(self.alpha11),
            Some(self.dalpha_terms),
            self.dalpha_fd,
            Some(self.c_im[0]),
            Some(self.c_im[1]),
            Some(self.c_im[2]),
            Some(self.b_t[0]),
            Some(self.f_t),
            printed.map(f64::exp),
            Some(self.kappa_eff),
            Some(self.r11),
            // Corollary 2.1 (2.22) through (3.7): with K = N α(0),
            // R^(1,1) ≤ 2√α ≤ 2√((K+1)/N) e^{κ f/2}.
            printed.map(|l| 2.0 * (0.5 * l).exp()),
            Some(self.kappa[0]),
            Some(self.kappa[1]),
            Some(self.b_t[1]),
            tight.map(f64::exp),
            printed.map(|l| l / ln10),
            tight.map(|l| l / ln10),
            Some(self.degenerate_bounds as f64),
            over_alpha(printed),
            over_alpha(tight),
            Some(self.f_energy),
            Some(self.kappa_energy[0]),
            Some(self.kappa_energy[1]),
            self.log_gronwall_bound_energy[0].map(f64::exp),
            self.log_gronwall_bound_energy[0].map(|l| l / ln10),
            self.log_gronwall_bound_energy[1].map(|l| l / ln10),
        ]
    }
}

/// What one output time gives at once: its terms and the ledger.
#[derive(Clone, Debug)]
pub struct OutputRows {
    /// t.
    pub t: f64,
    /// α^(1,1)(t).
    pub alpha11: f64,
    /// The terms with their bounds.
    pub terms: Vec<TermRow>,
    /// The ledger of their chains.
    pub steps: Vec<LedgerStep>,
}

/// What [`ProofRun::observe`] hands back for one moment.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// The rows of an output time, when the moment is one.
    pub output: Option<OutputRows>,
    /// A wide row completed by this moment.
    pub wide: Option<WideRow>,
}

/// A wide row waiting for α after its time.
#[derive(Clone, Debug)]
struct Pending {
    index: usize,
    snapshot: ProofSnapshot,
    alpha: f64,
    r11: f64,
}

/// The proof along one run.
#[derive(Debug)]
pub struct ProofRun {
    model: Model,
    exponents: ExponentChoice,
    outputs: Vec<f64>,
    step: f64,
    f_at_output: Vec<f64>,
    f_energy_at_output: Vec<f64>,
    covered: bool,
    frame: Option<CondensateFrame>,
    window: Vec<f64>,
    pending: Option<Pending>,
    cursor: OutputCursor,
}

impl ProofRun {
    /// The run for `problem`'s model and output times; f(t) is integrated here, on the Hartree
    /// solution from its initial pair.
    pub fn new(problem: &DynamicsProblem, exponents: ExponentChoice) -> Result<Self> {
        let outputs = problem.times.clone();
        let spacing = if outputs.len() > 1 {
            outputs[1] - outputs[0]
        } else {
            1.0
        };
        if spacing.is_nan() || spacing <= 0.0 {
            return Err(Error::invalid(
                "--t-max",
                "the proof's finite difference of α needs output times apart: give t-max > 0",
            ));
        }
        let f_at_output = mean_field_integral(
            &problem.model,
            &problem.u0,
            &problem.v0,
            &outputs,
            problem.hartree_tolerance,
            &exponents,
        )?;
        let f_energy_at_output = energy_integral(
            &problem.model,
            &problem.u0,
            &problem.v0,
            &outputs,
            problem.hartree_tolerance,
        )?;
        Ok(ProofRun {
            model: problem.model.clone(),
            exponents,
            step: (0.01f64).min(spacing / 4.0),
            f_at_output,
            f_energy_at_output,
            covered: proof_covers(&problem.model),
            outputs,
            frame: None,
            window: Vec::new(),
            pending: None,
            cursor: OutputCursor::default(),
        })
    }

    /// The times the dynamics must visit: every output time t and t ± h, t ± h/2 around it
    /// (h = min(0.01, spacing/4); nothing before t = 0).
    pub fn evaluation_times(&self) -> Vec<f64> {
        let h = self.step;
        let mut times = Vec::new();
        for (k, &t) in self.outputs.iter().enumerate() {
            for offset in [-h, -h / 2.0, 0.0, h / 2.0, h] {
                if k == 0 && offset < 0.0 {
                    continue;
                }
                times.push(t + offset);
            }
        }
        times
    }

    /// Whether no row is half made (a checkpoint may be taken).
    pub fn between_rows(&self) -> bool {
        self.pending.is_none() && self.window.is_empty()
    }

    /// The values a checkpoint keeps ([`OutputCursor::running`]).
    pub fn running(&self) -> [f64; 2] {
        self.cursor.running()
    }

    /// Continues from a checkpoint's [`ProofRun::running`] values; returns the output times done.
    pub fn resume(&mut self, running: &[f64]) -> Result<usize> {
        self.cursor = OutputCursor::resume(running, self.outputs.len(), "the proof")?;
        Ok(self.cursor.done)
    }

    /// Takes the moment at one of [`ProofRun::evaluation_times`].
    pub fn observe(&mut self, moment: &Moment) -> Result<Observation> {
        let t = moment.row.t;
        self.window.push(moment.row.alpha11);
        let mut observation = Observation::default();
        let k = self.cursor.done;
        if k < self.outputs.len() && (t - self.outputs[k]).abs() < 1e-12 {
            let frame = match &self.frame {
                Some(f) => f,
                None => self
                    .frame
                    .insert(CondensateFrame::new(moment.basis_a, moment.basis_b)?),
            };
            let (u, v) = (&moment.hartree.u, &moment.hartree.v);
            let alpha = moment.row.alpha11;
            self.cursor.alpha_zero.get_or_insert(alpha);
            // The frame state once, for the terms and for the ledger.
            let context = TimeContext::new(&self.model, moment.state_view(), (u, v), frame)?;
            let snapshot = ProofSnapshot::new(&context, alpha, &self.exponents)?;
            let steps = ledger(&context, &snapshot)?;
            let r11 = crate::measure::reduced::reduced_density(
                moment.basis_a,
                moment.basis_b,
                moment.state,
                1,
                1,
            )?
            .trace_distance(u, v)?;
            observation.output = Some(OutputRows {
                t,
                alpha11: alpha,
                terms: snapshot.rows(),
                steps,
            });
            self.pending = Some(Pending {
                index: k,
                snapshot,
                alpha,
                r11,
            });
            if k == 0 {
                self.window.clear();
                self.window.push(alpha);
            }
            self.cursor.done += 1;
        }
        // The wide row is complete once t_k + h has been seen (five α's: t_k − h … t_k + h;
        // three at t = 0: 0, h/2, h, with no centred difference).
        let needed = if matches!(self.pending, Some(Pending { index: 0, .. })) {
            3
        } else {
            5
        };
        if self.window.len() == needed {
            if let Some(pending) = self.pending.take() {
                observation.wide = Some(self.wide_row(pending, needed == 5));
            }
            self.window.clear();
        }
        Ok(observation)
    }

    fn wide_row(&self, p: Pending, centred: bool) -> WideRow {
        let (w, h) = (&self.window, self.step);
        let dalpha_fd = centred.then(|| {
            let coarse = (w[4] - w[0]) / (2.0 * h);
            let fine = (w[3] - w[1]) / h;
            (4.0 * fine - coarse) / 3.0
        });
        let s = &p.snapshot;
        let derivative = s.terms.alpha11_derivative();
        let f_t = self.f_at_output[p.index];
        let total = self.model.total_particles();
        let shifted = p.alpha + 1.0 / total as f64;
        let a0 = self.cursor.alpha_zero.unwrap_or(p.alpha);
        let log_bound = |constants| {
            self.covered
                .then(|| gronwall_log_bound(a0, total, s.bounds(constants).kappa, f_t))
        };
        let f_energy = self.f_energy_at_output[p.index];
        let (c1, c2) = (self.model.c1(), self.model.c2());
        let kappa_energy = [
            kappa_energy(c1, c2, ProofConstants::AsPrinted),
            kappa_energy(c1, c2, ProofConstants::Tight),
        ];
        let log_bound_energy = |kappa| {
            self.covered
                .then(|| gronwall_log_bound(a0, total, kappa, f_energy))
        };
        WideRow {
            t: self.outputs[p.index],
            alpha11: p.alpha,
            dalpha_terms: derivative,
            dalpha_fd,
            c_im: [s.terms.c_v1.im, s.terms.c_v2.im, s.terms.c_v12.im],
            b_t: [s.printed.rate, s.tight.rate],
            f_t,
            log_gronwall_bound: [
                log_bound(ProofConstants::AsPrinted),
                log_bound(ProofConstants::Tight),
            ],
            kappa_eff: derivative.abs() / (shifted * s.constant_sum),
            r11: p.r11,
            kappa: [s.printed.kappa, s.tight.kappa],
            degenerate_bounds: s.largest_ratios(ProofConstants::AsPrinted).degenerate
                + s.largest_ratios(ProofConstants::Tight).degenerate,
            f_energy,
            kappa_energy,
            log_gronwall_bound_energy: kappa_energy.map(log_bound_energy),
        }
    }
}
