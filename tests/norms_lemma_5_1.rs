//! The sum-space norm ‖V‖_{L^r+L^s} against a brute-force search over splittings, and Lemma 5.1
//! (5.11)–(5.12) on random orbitals and every default exponent pair.

mod common;

use common::*;
use pickl::lattice::{Geometry, Lattice};
use pickl::one_body::PotentialSpec;
use pickl::proof::norms::{lemma_5_1, potential_values, splitting_cost, sum_space_norm, Exponents};

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
            let infimum = sum_space_norm(&values, exponents);
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
        assert_eq!(potential_values(&potential).len(), lattice.sites());
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
