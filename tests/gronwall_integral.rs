//! f(t) = ∫₀ᵗ (A₁ + A₂ + A^u + A^v) dτ of (2.19) is reported as an upper bound (the tent rule of
//! `pickl::proof::gronwall`), so that e^{κ f(t)} stays a bound. Checked against an independent
//! quadrature: composite Simpson on a fine grid, converged by halving the step, on canonical
//! models and on a model whose integrand varies fast.

mod common;

use common::*;
use pickl::evolution::hartree::HartreeSystem;
use pickl::proof::gronwall::{integrand_lipschitz, mean_field_integral, RELATIVE_EXCESS};
use pickl::proof::norms::ExponentChoice;
use pickl::proof::snapshot::constant_sum;

/// ∫₀^{t_k} g by composite Simpson with `pieces` (even) intervals per output interval.
fn simpson(
    problem: &pickl::studies::dynamics::DynamicsProblem,
    choice: &ExponentChoice,
    pieces: usize,
) -> Vec<f64> {
    let model = &problem.model;
    let times = &problem.times;
    let mut grid = vec![0.0];
    for w in times.windows(2) {
        let h = (w[1] - w[0]) / pieces as f64;
        grid.extend((1..=pieces).map(|j| {
            if j == pieces {
                w[1]
            } else {
                w[0] + j as f64 * h
            }
        }));
    }
    let (trajectory, _) = HartreeSystem::new(model)
        .solve(&problem.u0, &problem.v0, &grid, 1e-13)
        .unwrap();
    let g: Vec<f64> = trajectory
        .iter()
        .map(|p| constant_sum(model, &p.u, &p.v, choice))
        .collect();
    let mut out = vec![0.0];
    for k in 0..times.len() - 1 {
        let h = (times[k + 1] - times[k]) / pieces as f64;
        let base = k * pieces;
        let mut sum = g[base] + g[base + pieces];
        for j in 1..pieces {
            sum += if j % 2 == 1 { 4.0 } else { 2.0 } * g[base + j];
        }
        out.push(out[k] + sum * h / 3.0);
    }
    out
}

fn trapezoid_20(
    problem: &pickl::studies::dynamics::DynamicsProblem,
    choice: &ExponentChoice,
) -> f64 {
    let t = *problem.times.last().unwrap();
    let n = 20 * (problem.times.len() - 1);
    let grid: Vec<f64> = (0..=n).map(|j| t * j as f64 / n as f64).collect();
    let (trajectory, _) = HartreeSystem::new(&problem.model)
        .solve(&problem.u0, &problem.v0, &grid, 1e-13)
        .unwrap();
    let g: Vec<f64> = trajectory
        .iter()
        .map(|p| constant_sum(&problem.model, &p.u, &p.v, choice))
        .collect();
    g.windows(2)
        .map(|w| 0.5 * (w[0] + w[1]) * t / n as f64)
        .sum()
}

#[test]
fn the_reported_integral_is_an_upper_bound_within_its_excess() {
    // Exponents with finite r̂ = 4, ŝ = 3, so the integrand is smooth and Simpson converges
    // fast (r = 2 gives ‖u‖_∞, and a scanned choice switches exponents where two costs cross:
    // both make the integrand only Lipschitz).
    let choice: ExponentChoice = "4:6".parse().unwrap();
    for case in CANONICAL_MODELS {
        let problem = canonical_problem(case, 3.0, 6);
        let bound = mean_field_integral(
            &problem.model,
            &problem.u0,
            &problem.v0,
            &problem.times,
            1e-13,
            &choice,
        )
        .unwrap();
        let (coarse, fine) = (
            simpson(&problem, &choice, 400),
            simpson(&problem, &choice, 800),
        );
        let lipschitz = integrand_lipschitz(&problem.model, &choice);
        for k in 1..bound.len() {
            let reference = fine[k];
            let quadrature_error = (fine[k] - coarse[k]).abs();
            assert!(
                quadrature_error < 1e-9 * reference,
                "reference not converged"
            );
            assert!(
                bound[k] >= reference - 1e-9 * reference,
                "{case:?} t = {}: reported f = {} below the integral {reference}",
                problem.times[k],
                bound[k]
            );
            let excess = (bound[k] - reference) / reference;
            assert!(
                excess <= 2.0 * RELATIVE_EXCESS,
                "{case:?}: excess {excess:e} of the reported f over the integral"
            );
            if k + 1 == bound.len() {
                // For comparison: the trapezoid rule with 20 pieces per output interval, the
                // rule used before (not a bound: it can fall below the integral).
                let trapezoid = trapezoid_20(&problem, &choice);
                eprintln!(
                    "  trapezoid with 20 pieces: {:+.3e} relative to the integral",
                    trapezoid / reference - 1.0
                );
                eprintln!(
                    "{case:?}: f({}) = {reference:.10} (Simpson), reported {:.10} (excess {excess:.2e}), L = {lipschitz:.3}",
                    problem.times[k], bound[k]
                );
            }
        }
    }
}

#[test]
fn repeated_output_times_and_vanishing_potentials_are_handled() {
    // t-max = 0 gives output times that repeat: f stays 0 there (this used to be refused). With
    // every potential zero the integrand is 0 and the rule must not cut anything finely.
    let mut problem = canonical_problem(CANONICAL_MODELS[0], 1.0, 2);
    let choice = ExponentChoice::Scan;
    let at_zero = mean_field_integral(
        &problem.model,
        &problem.u0,
        &problem.v0,
        &[0.0, 0.0, 0.0],
        1e-12,
        &choice,
    )
    .unwrap();
    assert_eq!(at_zero, vec![0.0, 0.0, 0.0]);
    assert!(mean_field_integral(
        &problem.model,
        &problem.u0,
        &problem.v0,
        &[0.0, 1.0, 0.5],
        1e-12,
        &choice
    )
    .is_err());
    let m = problem.model.sites();
    problem.model = model(
        pickl::model::lattice::Lattice::ring(m).unwrap(),
        pickl::model::one_body::Kinetic::Schroedinger,
        (4, 4),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        ("contact:0", "contact:0", "contact:0"),
    );
    assert_eq!(integrand_lipschitz(&problem.model, &choice), 0.0);
    let f = mean_field_integral(
        &problem.model,
        &problem.u0,
        &problem.v0,
        &problem.times,
        1e-12,
        &choice,
    )
    .unwrap();
    assert!(f.iter().all(|x| *x == 0.0), "{f:?}");
}
