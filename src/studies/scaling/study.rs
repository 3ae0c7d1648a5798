//! One size of a scaling study: the exact dynamics at (N₁, N₂) with, at every output time, the
//! indicators, the proof's terms against their bounds, and Theorem 2.1 (SPEC §6).

use crate::measure::context::TimeContext;
use crate::measure::counting::CondensateFrame;
use crate::proof::bounds::ProofConstants;
use crate::proof::energy::{energy_integral, kappa_energy};
use crate::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use crate::proof::{norms::ExponentChoice, snapshot::ProofSnapshot};
use crate::studies::dynamics::{DynamicsProblem, DynamicsSummary};
use crate::Result;

/// The figures of one row of `scaling.csv`: one size, one output time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingRow {
    /// N₁.
    pub n1: usize,
    /// N₂.
    pub n2: usize,
    /// t.
    pub t: f64,
    /// α^(1,1)(t).
    pub alpha11: f64,
    /// α^(1,0)(t).
    pub alpha10: f64,
    /// α^(0,1)(t).
    pub alpha01: f64,
    /// (N₁+N₂) α^(1,1)(t), whose limit curve (2.21) the study extrapolates.
    pub n_alpha11: f64,
    /// ln of the Grönwall bound (5.5), (α(0) + 1/N) e^{κ f(t)} (finite where the bound overflows);
    /// `None` where the proof does not cover the size (a species of one particle).
    pub log_gronwall_bound: Option<f64>,
    /// The same with κ_tight.
    pub log_gronwall_bound_tight: Option<f64>,
    /// The largest |measured|/bound over the terms of C_V1 (absent when N₁ = 1).
    pub max_ratio_v1: Option<f64>,
    /// Over C_V2 (absent when N₂ = 1).
    pub max_ratio_v2: Option<f64>,
    /// Over C_V12.
    pub max_ratio_v12: f64,
    /// dα^(1,1)/dt = i(C_V1 + C_V2 + C_V12) (5.19).
    pub dalpha: f64,
    /// sup over the output times s ≤ t of |dα/ds| / ((α + 1/N)(A₁ + A₂ + A^u + A^v)) (SPEC §6),
    /// the constant that would make the Grönwall argument exact so far.
    pub kappa_eff: f64,
    /// κ derived from the proof (the constant of (5.3)) as printed.
    pub kappa: f64,
    /// κ from the same steps with every exact factor kept ([`crate::proof::bounds`]).
    pub kappa_tight: f64,
    /// The largest |measured|/bound over all terms with the tight bounds.
    pub max_ratio_tight: f64,
    /// Bound on ‖Ψ(t) − Ψ_exact(t)‖ of the propagation so far.
    pub error_estimate: f64,
    /// α^(1,1)(t) against the pair of (2.10) with the unscaled potentials, when the prefactors
    /// are not the paper's ([`DynamicsProblem::hartree_2_10`]).
    pub alpha11_vs_2_10: Option<f64>,
    /// ln of the energy-space Grönwall bound (§2.5), κ_E as printed and tight
    /// ([`crate::proof::energy`]); `None` where the proof does not cover the size.
    pub log_gronwall_bound_energy: [Option<f64>; 2],
}

impl ScalingRow {
    /// The Grönwall bound itself (+∞ where it overflows a double).
    pub fn gronwall_bound(&self) -> Option<f64> {
        self.log_gronwall_bound.map(f64::exp)
    }
}

/// Runs one size: the dynamics of `problem` with the proof evaluated at every output time,
/// handing each row to `on_row` as soon as it is known (an error from it stops the run).
pub fn run_size(
    problem: &DynamicsProblem,
    exponents: &ExponentChoice,
    mut on_row: impl FnMut(&ScalingRow) -> Result<()>,
) -> Result<(Vec<ScalingRow>, DynamicsSummary)> {
    let model = &problem.model;
    let (n1, n2) = (model.species_a().particles, model.species_b().particles);
    let total = model.total_particles();
    let f_values = mean_field_integral(
        model,
        &problem.u0,
        &problem.v0,
        &problem.times,
        problem.hartree_tolerance,
        exponents,
    )?;
    let f_energy = energy_integral(
        model,
        &problem.u0,
        &problem.v0,
        &problem.times,
        problem.hartree_tolerance,
    )?;
    let kappa_energy = [ProofConstants::AsPrinted, ProofConstants::Tight]
        .map(|constants| kappa_energy(model.c1(), model.c2(), constants));
    let covered = proof_covers(model);
    let mut frame: Option<CondensateFrame> = None;
    let mut rows = Vec::with_capacity(problem.times.len());
    let mut alpha_zero = None;
    let mut kappa_eff: f64 = 0.0;
    let summary = problem.evolve(|moment| {
        let frame = match &frame {
            Some(f) => f,
            None => frame.insert(CondensateFrame::new(moment.basis_a, moment.basis_b)?),
        };
        let (u, v) = (&moment.hartree.u, &moment.hartree.v);
        let alpha = moment.row.alpha11;
        let alpha_zero = *alpha_zero.get_or_insert(alpha);
        let context = TimeContext::new(model, moment.state_view(), (u, v), frame)?;
        let snapshot = ProofSnapshot::new(&context, alpha, exponents)?;
        let dalpha = snapshot.terms.alpha11_derivative();
        let shifted = alpha + 1.0 / total as f64;
        kappa_eff = kappa_eff.max(dalpha.abs() / (shifted * snapshot.constant_sum));
        let ratios = snapshot.largest_ratios(ProofConstants::AsPrinted);
        let log_bound = |constants| {
            covered.then(|| {
                gronwall_log_bound(
                    alpha_zero,
                    total,
                    snapshot.bounds(constants).kappa,
                    f_values[rows.len()],
                )
            })
        };
        let row = ScalingRow {
            n1,
            n2,
            t: moment.row.t,
            alpha11: alpha,
            alpha10: moment.row.alpha10,
            alpha01: moment.row.alpha01,
            n_alpha11: total as f64 * alpha,
            log_gronwall_bound: log_bound(ProofConstants::AsPrinted),
            log_gronwall_bound_tight: log_bound(ProofConstants::Tight),
            max_ratio_v1: ratios.v1,
            max_ratio_v2: ratios.v2,
            max_ratio_v12: ratios.v12,
            dalpha,
            kappa_eff,
            kappa: snapshot.printed.kappa,
            kappa_tight: snapshot.tight.kappa,
            max_ratio_tight: snapshot.largest_ratios(ProofConstants::Tight).overall(),
            error_estimate: moment.row.error_estimate,
            alpha11_vs_2_10: moment.row.alpha11_vs_2_10,
            log_gronwall_bound_energy: kappa_energy.map(|kappa| {
                covered.then(|| gronwall_log_bound(alpha_zero, total, kappa, f_energy[rows.len()]))
            }),
        };
        on_row(&row)?;
        rows.push(row);
        Ok(())
    })?;
    Ok((rows, summary))
}
