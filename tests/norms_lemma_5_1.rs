//! The sum-space norm ‖V‖_{L^r+L^s} against a brute-force search over splittings, and Lemma 5.1
//! (5.11)–(5.12) on random orbitals and every default exponent pair.

mod common;

use common::*;
use pickl::model::lattice::{Geometry, Lattice};
use pickl::model::one_body::PairPotential;
use pickl::model::one_body::PotentialSpec;
use pickl::proof::norms::{
    lemma_5_1, row_sum_space_norm, splitting_cost, sum_space_norm, Exponents,
};

/// Deterministic pseudo-random reals in [−1, 1].
fn reals(len: usize, seed: u64) -> Vec<f64> {
    random_state(len, seed)
        .iter()
        .map(|z| 2.0 * z.re * (len as f64).sqrt())
        .collect()
}

#[test]
fn no_splitting_beats_the_computed_infimum() {
    for (m, seed) in [(3usize, 141u64), (4, 142), (6, 143)] {
        let values = reals(m, seed);
        for exponents in Exponents::default_scan() {
            let infimum = row_sum_space_norm(&values, exponents);
            // It is attained (V_r = 0) ...
            let zero = vec![0.0; m];
            assert!((splitting_cost(&values, &zero, exponents) - infimum).abs() < 1e-14);
            // ... and nothing on a grid of splittings t_x V_x, t ∈ {0, 0.25, …, 1}, or among random
            // splittings, does better.
            let steps = 5usize;
            let mut best = f64::INFINITY;
            for code in 0..steps.pow(m as u32) {
                let mut rest = code;
                let part: Vec<f64> = values
                    .iter()
                    .map(|v| {
                        let t = (rest % steps) as f64 / (steps - 1) as f64;
                        rest /= steps;
                        t * v
                    })
                    .collect();
                best = best.min(splitting_cost(&values, &part, exponents));
            }
            for k in 0..200 {
                let part = reals(m, seed * 1000 + k);
                best = best.min(splitting_cost(&values, &part, exponents));
            }
            assert!(
                best >= infimum - 1e-12,
                "({exponents}): a splitting reached {best} < {infimum}"
            );
        }
    }
}

#[test]
fn lemma_5_1_holds_for_every_default_exponent_pair() {
    let cases = [
        (Lattice::ring(5).unwrap(), "gauss:1.5,1.2"),
        (Lattice::ring(4).unwrap(), "contact:-2"),
        (
            Lattice::new(Geometry::Chain(4)).unwrap(),
            "list:0.5,-1,0.3,0.1",
        ),
        (
            Lattice::new("torus:3x3".parse().unwrap()).unwrap(),
            "gauss:-0.7,0.8",
        ),
    ];
    let mut smallest = f64::INFINITY;
    for (index, (lattice, spec)) in cases.iter().enumerate() {
        let potential = spec.parse::<PotentialSpec>().unwrap().on(lattice).unwrap();
        for seed in 0..5u64 {
            let phi = random_state(lattice.sites(), 150 + 10 * index as u64 + seed);
            for exponents in Exponents::default_scan() {
                for check in lemma_5_1(&potential, &phi, exponents) {
                    assert!(
                        check.slack() >= -1e-12,
                        "{spec} ({exponents}): {} {}",
                        check.label,
                        check.slack()
                    );
                    smallest = smallest.min(check.slack() / check.right.max(1e-300));
                }
            }
        }
    }
    eprintln!("smallest relative slack of (5.11)-(5.12): {smallest:.3e}");
}

/// A potential on the chain from its values at the distances 0..M−1, written as a list.
fn chain_potential(values: &[f64]) -> (Lattice, PairPotential) {
    let lattice = Lattice::new(Geometry::Chain(values.len())).unwrap();
    let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let spec: PotentialSpec = format!("list:{}", text.join(",")).parse().unwrap();
    let potential = spec.on(&lattice).unwrap();
    (lattice, potential)
}

#[test]
fn the_norm_on_the_chain_is_the_largest_row_norm() {
    // Against a direct sum over the sites: max_x (Σ_y |V(|x − y|)|^s)^{1/s}, from the list itself;
    // never below the first row's norm and never above the norm over all displacements Λ − Λ.
    let values = reals(9, 777);
    let (_, potential) = chain_potential(&values);
    let m = values.len();
    for exponents in Exponents::default_scan() {
        let s = exponents.s();
        let row_norm = |x: usize| -> f64 {
            let row: Vec<f64> = (0..m).map(|y| values[x.abs_diff(y)].abs()).collect();
            if s.is_infinite() {
                row.iter().cloned().fold(0.0, f64::max)
            } else {
                row.iter().map(|v| v.powf(s)).sum::<f64>().powf(1.0 / s)
            }
        };
        let direct = (0..m).map(row_norm).fold(0.0, f64::max);
        let computed = sum_space_norm(&potential, exponents);
        assert!(
            (computed - direct).abs() <= 1e-13 * direct,
            "({exponents}): {computed} against {direct}"
        );
        let all_displacements = if s.is_infinite() {
            values.iter().map(|v| v.abs()).fold(0.0, f64::max)
        } else {
            (values[0].abs().powf(s)
                + 2.0 * values[1..].iter().map(|v| v.abs().powf(s)).sum::<f64>())
            .powf(1.0 / s)
        };
        assert!(computed >= row_norm(0) - 1e-15 && computed <= all_displacements + 1e-13);
    }
}

#[test]
fn lemma_5_1_holds_on_a_long_chain_with_a_wide_potential() {
    // Chain M = 2001, V(d) = 1 for |d| ≤ 1000 and 0 beyond, φ uniform, (r, s) = (2, 4). The left
    // side of (5.11) is 1 (the middle site sees all 2001 sites). With ‖V‖_4 read from the first
    // row only (1001 values), the right side was (1001)^{1/4} (2001^{-1/2} + 2001^{-1/4}) ≈ 0.967,
    // below the left side. The largest row norm, 2001^{1/4}, gives 1 + 2001^{-1/4} ≈ 1.149.
    let m = 2001usize;
    let values: Vec<f64> = (0..m).map(|d| if d <= 1000 { 1.0 } else { 0.0 }).collect();
    let (_, potential) = chain_potential(&values);
    let phi = vec![pickl::C64::new(1.0 / (m as f64).sqrt(), 0.0); m];
    let exponents = Exponents::new(2.0, 4.0).unwrap();
    let [mean_field, squared] = lemma_5_1(&potential, &phi, exponents);
    let mf = m as f64;
    assert!((mean_field.left - 1.0).abs() < 1e-12, "{}", mean_field.left);
    let expected_right = 1.0 + mf.powf(-0.25);
    assert!(
        (mean_field.right - expected_right).abs() < 1e-12,
        "{} against {expected_right}",
        mean_field.right
    );
    let first_row_only = 1001f64.powf(0.25) * (mf.powf(-0.5) + mf.powf(-0.25));
    assert!(first_row_only < mean_field.left, "{first_row_only}");
    assert!(mean_field.slack() > 0.14 && squared.slack() > 0.0);
}
