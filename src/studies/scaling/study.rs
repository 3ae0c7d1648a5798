//! One size of a scaling study: the exact dynamics at (N₁, N₂) with, at every output time, the
//! indicators, the proof's terms against their bounds, and Theorem 2.1 (SPEC §6).

use crate::evolution::propagation::{Progress, PropagatorChoice};
use crate::measure::context::TimeContext;
use crate::measure::counting::CondensateFrame;
use crate::proof::bounds::ProofConstants;
use crate::proof::energy::{energy_integral, kappa_energy};
use crate::proof::gronwall::{gronwall_log_bound, mean_field_integral, proof_covers};
use crate::proof::{norms::ExponentChoice, snapshot::ProofSnapshot};
use crate::studies::dynamics::{DynamicsProblem, DynamicsSummary, Resume, Stage};
use crate::{Result, C64};

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

    /// The row as [`ROW_NUMBERS`] numbers, for a checkpoint (each optional value as a flag, 1
    /// present or 0 absent, and the value); [`ScalingRow::from_numbers`] reads them back bit
    /// for bit.
    pub fn to_numbers(&self) -> Vec<f64> {
        let mut out = vec![self.n1 as f64, self.n2 as f64];
        out.extend([
            self.t,
            self.alpha11,
            self.alpha10,
            self.alpha01,
            self.n_alpha11,
            self.max_ratio_v12,
            self.dalpha,
            self.kappa_eff,
            self.kappa,
            self.kappa_tight,
            self.max_ratio_tight,
            self.error_estimate,
        ]);
        for value in [
            self.log_gronwall_bound,
            self.log_gronwall_bound_tight,
            self.max_ratio_v1,
            self.max_ratio_v2,
            self.alpha11_vs_2_10,
            self.log_gronwall_bound_energy[0],
            self.log_gronwall_bound_energy[1],
        ] {
            out.extend([f64::from(u8::from(value.is_some())), value.unwrap_or(0.0)]);
        }
        out
    }

    /// The row of [`ScalingRow::to_numbers`]; `None` if `numbers` cannot be one.
    pub fn from_numbers(numbers: &[f64]) -> Option<Self> {
        let &[n1, n2, t, alpha11, alpha10, alpha01, n_alpha11, max_ratio_v12, dalpha, kappa_eff, kappa, kappa_tight, max_ratio_tight, error_estimate, ref optional @ ..] =
            numbers
        else {
            return None;
        };
        let count =
            |n: f64| (n >= 0.0 && n.fract() == 0.0 && n < 2f64.powi(53)).then_some(n as usize);
        let mut values = optional.chunks_exact(2).map(|pair| match pair[0] {
            1.0 => Some(Some(pair[1])),
            0.0 => Some(None),
            _ => None,
        });
        let mut next = || values.next().flatten();
        let row = ScalingRow {
            n1: count(n1)?,
            n2: count(n2)?,
            t,
            alpha11,
            alpha10,
            alpha01,
            n_alpha11,
            log_gronwall_bound: next()?,
            log_gronwall_bound_tight: next()?,
            max_ratio_v1: next()?,
            max_ratio_v2: next()?,
            max_ratio_v12,
            dalpha,
            kappa_eff,
            kappa,
            kappa_tight,
            max_ratio_tight,
            error_estimate,
            alpha11_vs_2_10: next()?,
            log_gronwall_bound_energy: [next()?, next()?],
        };
        (optional.len() == ROW_NUMBERS - 14).then_some(row)
    }
}

/// How many numbers [`ScalingRow::to_numbers`] gives: 14 values and 7 optional ones.
pub const ROW_NUMBERS: usize = 28;

/// Where an interrupted size stood: the point of the propagation to continue from and the rows
/// it had made (the running values, α(0) and κ_eff so far, are in them).
#[derive(Debug)]
pub struct SizeResume {
    /// The propagation's state and progress.
    pub resume: Resume,
    /// The rows made before the interruption.
    pub rows: Vec<ScalingRow>,
}

/// Runs one size: the dynamics of `problem` with the proof evaluated at every output time,
/// handing each row to `on_row` as soon as it is known (an error from it stops the run), and
/// the propagator's pauses, with the rows so far, to `on_pause` (for a checkpoint). From
/// `from`, a pause of an earlier run of the same size, it continues bit for bit.
pub fn run_size(
    problem: &DynamicsProblem,
    exponents: &ExponentChoice,
    from: Option<SizeResume>,
    mut on_row: impl FnMut(&ScalingRow) -> Result<()>,
    mut on_pause: impl FnMut(&Progress, PropagatorChoice, &[C64], &[ScalingRow]) -> Result<()>,
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
    let (resume, mut rows) = match from {
        Some(from) => (Some(from.resume), from.rows),
        None => (None, Vec::with_capacity(problem.times.len())),
    };
    // The running values: α(0) is the first row's, κ_eff the last row's (a running maximum).
    let mut alpha_zero = rows.first().map(|r: &ScalingRow| r.alpha11);
    let mut kappa_eff: f64 = rows.last().map_or(0.0, |r| r.kappa_eff);
    let summary = problem.evolve_from(resume, |stage| {
        let moment = match stage {
            Stage::Moment(moment) => moment,
            Stage::Pause(progress, propagator, state) => {
                return on_pause(progress, propagator, state, &rows)
            }
            Stage::Working { .. } => return Ok(()),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with every field distinct, some optional values absent.
    fn row(absent: bool) -> ScalingRow {
        let value = |k: u32| f64::from(k) * 0.1 + 1.0 / 3.0;
        ScalingRow {
            n1: 17,
            n2: 23,
            t: value(1),
            alpha11: value(2),
            alpha10: value(3),
            alpha01: value(4),
            n_alpha11: value(5),
            log_gronwall_bound: (!absent).then(|| value(6)),
            log_gronwall_bound_tight: Some(-value(7)),
            max_ratio_v1: (!absent).then(|| value(8)),
            max_ratio_v2: Some(0.0),
            max_ratio_v12: value(9),
            dalpha: -value(10),
            kappa_eff: value(11),
            kappa: value(12),
            kappa_tight: value(13),
            max_ratio_tight: value(14),
            error_estimate: 1e-300,
            alpha11_vs_2_10: (!absent).then(|| value(15)),
            log_gronwall_bound_energy: [Some(f64::MAX), (!absent).then(|| value(16))],
        }
    }

    #[test]
    fn a_row_reads_back_from_its_numbers_and_damaged_numbers_are_refused() {
        for absent in [false, true] {
            let numbers = row(absent).to_numbers();
            assert_eq!(numbers.len(), ROW_NUMBERS);
            assert_eq!(ScalingRow::from_numbers(&numbers), Some(row(absent)));
            assert_eq!(ScalingRow::from_numbers(&numbers[1..]), None);
            let mut flag = numbers.clone();
            flag[14] = 0.5;
            assert_eq!(ScalingRow::from_numbers(&flag), None);
            let mut count = numbers;
            count[0] = 2.5;
            assert_eq!(ScalingRow::from_numbers(&count), None);
        }
    }
}
