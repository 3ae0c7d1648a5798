//! The Bogoliubov limit against independent references: no interaction gives no excitations;
//! with V₁₂ = 0 around a stationary two-site condensate each species is the two-mode problem
//! H = ε b†b + (g/2)(b†² + b²), whose N_exc(t) is g² sin²(ωt)/ω² (ω² = ε² − g², stable) or
//! g² sinh²(λt)/λ² (λ² = g² − ε², unstable); and the exact engine converges to the limit curve
//! at the rate 1/N: N·(N α^(1,1)_N(t) − limit(t)) tends to a constant.

mod common;

use common::*;
use pickl::evolution::bogoliubov::{BogoliubovRow, BogoliubovSystem};
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::model::Model;
use pickl::C64;

fn run(model: &Model, u0: &[C64], v0: &[C64], times: &[f64]) -> Vec<BogoliubovRow> {
    let mut rows = Vec::new();
    BogoliubovSystem::new(model)
        .evolve(u0, v0, times, 1e-12, |row| {
            rows.push(row.clone());
            Ok(())
        })
        .unwrap();
    rows
}

fn check_invariants(rows: &[BogoliubovRow]) {
    for row in rows {
        let scale = 1.0 + row.n_alpha10_limit + row.n_alpha01_limit;
        assert!(
            row.symplectic_defect < 1e-9 * scale
                && row.pairing_defect < 1e-9 * scale
                && row.condensate_defect < 1e-18 * scale * scale,
            "{row:?}"
        );
    }
}

#[test]
fn no_interaction_gives_no_excitations() {
    let lattice = Lattice::ring(5).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (3, 7),
        (1.0, 0.7),
        (0.2, 0.0),
        (&[], &[]),
        ("contact:0", "contact:0", "contact:0"),
    );
    let rows = run(
        &model,
        &orbital(&lattice, "gauss:0,1,0.5"),
        &orbital(&lattice, "gauss:2,1,-0.3"),
        &[0.0, 0.5, 1.0, 2.0],
    );
    for row in &rows {
        assert!(row.n_alpha11_limit.abs() < 1e-28, "{row:?}");
    }
    check_invariants(&rows);
}

/// N_exc(t) of H = ε b†b + (g/2)(b†² + b²) from the vacuum.
fn two_mode(epsilon: f64, g: f64, t: f64) -> f64 {
    let w2 = epsilon * epsilon - g * g;
    if w2 > 0.0 {
        let w = w2.sqrt();
        g * g * (w * t).sin().powi(2) / w2
    } else {
        let l = (-w2).sqrt();
        g * g * (l * t).sinh().powi(2) / (-w2)
    }
}

#[test]
fn two_sites_without_coupling_are_two_closed_form_two_mode_problems() {
    // Ring M = 2 with hopping J: h = [[2J, −2J], [−2J, 2J]], the uniform orbital is stationary
    // and its complement w = (1, −1)/√2 has h w = 4J w. With V(0) = a, V(1) = b the exchange and
    // pairing on w are both g = (a − b)/2, so ε = 4J + g.
    // Species A: J = 1, V = (1.5, 0.3): stable. Species B: J = 0.5, V = (−6, 0): g = −3,
    // ε = −1, unstable with λ = √8.
    let lattice = Lattice::ring(2).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (4, 6),
        (1.0, 0.5),
        (0.0, 0.0),
        (&[], &[]),
        ("list:1.5,0.3", "list:-6,0", "contact:0"),
    );
    let uniform = orbital(&lattice, "plane:0");
    let times: Vec<f64> = (0..=20).map(|k| 0.1 * k as f64).collect();
    let rows = run(&model, &uniform, &uniform, &times);
    let (c1, c2) = (0.4, 0.6);
    for row in &rows {
        let n_a = two_mode(4.0 * 1.0 + 0.6, 0.6, row.t);
        let n_b = two_mode(4.0 * 0.5 - 3.0, -3.0, row.t);
        assert!(
            (row.n_alpha10_limit - n_a).abs() <= 1e-9 * (1.0 + n_a),
            "t = {}: N_A {} against {n_a}",
            row.t,
            row.n_alpha10_limit
        );
        assert!(
            (row.n_alpha01_limit - n_b).abs() <= 1e-9 * (1.0 + n_b),
            "t = {}: N_B {} against {n_b}",
            row.t,
            row.n_alpha01_limit
        );
        let limit = n_a / c1 + n_b / c2;
        assert!((row.n_alpha11_limit - limit).abs() <= 1e-9 * (1.0 + limit));
    }
    // The unstable species has grown by orders of magnitude by t = 2.
    assert!(rows.last().unwrap().n_alpha01_limit > 1e4);
    check_invariants(&rows);
}

/// N α^(1,1) of the exact engine at each output time of the canonical problem.
fn exact_n_alpha(m: usize, (n1, n2): (usize, usize), t_max: f64, steps: usize) -> Vec<f64> {
    let problem = canonical_problem((m, (n1, n2), "gauss:1,1", "gauss:0.5,1"), t_max, steps);
    let mut out = Vec::new();
    problem
        .evolve(|moment| {
            out.push((n1 + n2) as f64 * moment.row.alpha11);
            Ok(())
        })
        .unwrap();
    out
}

/// The Bogoliubov limit of the same problem at the ratio n1 : n2.
fn limit(m: usize, (n1, n2): (usize, usize), t_max: f64, steps: usize) -> Vec<BogoliubovRow> {
    let problem = canonical_problem((m, (n1, n2), "gauss:1,1", "gauss:0.5,1"), t_max, steps);
    run(&problem.model, &problem.u0, &problem.v0, &problem.times)
}

/// For sizes N, 2N, 4N, …: the largest |N α − limit| over t, and the spread over t of
/// N (N α − limit) between the two largest sizes relative to its size.
fn convergence(m: usize, sizes: &[(usize, usize)], t_max: f64, steps: usize) -> (Vec<f64>, f64) {
    let limits = limit(m, sizes[0], t_max, steps);
    check_invariants(&limits);
    let mut deviations = Vec::new();
    let mut scaled: Vec<Vec<f64>> = Vec::new();
    for &(n1, n2) in sizes {
        let n = (n1 + n2) as f64;
        let exact = exact_n_alpha(m, (n1, n2), t_max, steps);
        let difference: Vec<f64> = exact
            .iter()
            .zip(&limits)
            .map(|(e, l)| e - l.n_alpha11_limit)
            .collect();
        deviations.push(difference.iter().fold(0.0f64, |a, d| a.max(d.abs())));
        scaled.push(difference.iter().map(|d| n * d).collect());
    }
    let (a, b) = (&scaled[scaled.len() - 2], &scaled[scaled.len() - 1]);
    let size = b.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    let change = a
        .iter()
        .zip(b)
        .fold(0.0f64, |s, (x, y)| s.max((x - y).abs()));
    eprintln!("M = {m}: max |N alpha - limit| = {deviations:?}; N(N alpha - limit) changes by {change:.3e} of {size:.3e}");
    (deviations, change / size)
}

#[test]
fn the_exact_engine_converges_to_the_limit_at_rate_one_over_n_on_two_sites() {
    let sizes = [(50, 50), (100, 100), (200, 200), (400, 400)];
    let (deviations, relative_change) = convergence(2, &sizes, 3.0, 12);
    // Each doubling of N halves the deviation (rate 1/N) ...
    for pair in deviations.windows(2) {
        let ratio = pair[0] / pair[1];
        assert!((1.8..2.2).contains(&ratio), "{deviations:?}");
    }
    // ... and N (N α − limit) settles on a curve b(t).
    assert!(relative_change < 0.02, "{relative_change}");
}

#[test]
fn the_exact_engine_converges_to_the_limit_at_rate_one_over_n_on_three_sites() {
    let sizes = [(10, 10), (20, 20), (40, 40)];
    let (deviations, _) = convergence(3, &sizes, 1.0, 4);
    for pair in deviations.windows(2) {
        let ratio = pair[0] / pair[1];
        assert!((1.6..2.4).contains(&ratio), "{deviations:?}");
    }
}

#[test]
#[ignore = "long: M = 2 up to N = 3200 and M = 3 up to N = 160 (cargo test --release --test bogoliubov -- --ignored)"]
fn the_exact_engine_converges_to_the_limit_long() {
    let sizes: Vec<(usize, usize)> = (0..6).map(|k| (50 << k, 50 << k)).collect();
    let (_, relative_change) = convergence(2, &sizes, 3.0, 12);
    assert!(relative_change < 0.005, "{relative_change}");
    let sizes: Vec<(usize, usize)> = (0..4).map(|k| (10 << k, 10 << k)).collect();
    let (_, relative_change) = convergence(3, &sizes, 3.0, 12);
    assert!(relative_change < 0.05, "{relative_change}");
}
