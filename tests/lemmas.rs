//! Lemmas 3.1, 3.2 and A.1 hold (slack ≥ −1e-12) on evolved states of several models and on
//! random states and orbitals (proptest), with R^(1,1) and α's from independent routes.

mod common;

use common::*;
use pickl::evolution::propagation::KrylovSettings;
use pickl::measure::counting::{CondensateFrame, CountingDistribution};
use pickl::measure::lemmas::{
    lemma_3_1, lemma_3_2_higher, lemma_3_2_trace_norm, lemma_a_1, lemma_a_2_chain_13,
    lemma_a_2_chain_14, Component, Inequality,
};
use pickl::measure::reduced::{product_vector, trace_distance_to_pure, two_species_density};
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::space::fock::FockBasis;
use pickl::studies::dynamics::{output_times, DynamicsProblem};
use pickl::C64;
use proptest::prelude::*;

/// Every lemma check on one state; returns the smallest slack.
fn smallest_slack(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
    u: &[C64],
    v: &[C64],
) -> f64 {
    let frame = CondensateFrame::new(basis_a, basis_b).unwrap();
    let pi = CountingDistribution::from_frame_state(
        basis_a,
        basis_b,
        &frame.to_frame(state, u, v).unwrap(),
    )
    .unwrap();
    let (a11, a10, a01) = (
        pi.alpha(1, 1).unwrap(),
        pi.alpha(1, 0).unwrap(),
        pi.alpha(0, 1).unwrap(),
    );
    let r11 = trace_distance_to_pure(
        &two_species_density(basis_a, basis_b, state).unwrap(),
        &product_vector(u, v),
    )
    .unwrap();
    let mut checks: Vec<Inequality> = lemma_3_1(a11, a10, a01).to_vec();
    checks.extend(lemma_3_2_trace_norm(a11, r11));
    for k1 in 0..=basis_a.particles() {
        for k2 in 0..=basis_b.particles() {
            if k1 + k2 > 0 {
                checks.push(lemma_3_2_higher(pi.alpha(k1, k2).unwrap(), k1, k2, a11));
            }
        }
    }
    for component in [Component::A, Component::B] {
        checks.extend(lemma_a_1(&pi, component, |k| 1.0 / (1.0 + k as f64)));
        let n = if component == Component::A {
            basis_a.particles()
        } else {
            basis_b.particles()
        };
        if n >= 2 {
            checks.extend(lemma_a_2_chain_13(&pi, component));
            checks.extend(lemma_a_2_chain_14(&pi, component));
        }
    }
    // (A.10) and the first step of (A.13) are identities by construction (both sides are the
    // same sum over π); their slack is zero whatever the state and cannot show a failure.
    let identities = [
        "(A.10) <f q1> = <f m>",
        "(A.13) <n^-2 q1 q2 p1'> <= |n^-1 q1 q2 p1' Psi|^2",
    ];
    checks
        .iter()
        .filter(|c| !identities.contains(&c.label))
        .map(Inequality::slack)
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn lemmas_hold_along_evolved_states() {
    for (m, n1, n2, v12) in [
        (3, 6, 4, "gauss:0.5,1"),
        (4, 4, 4, "contact:-2"),
        (2, 20, 10, "gauss:3,1"),
    ] {
        let lattice = Lattice::ring(m).unwrap();
        let model = model(
            lattice.clone(),
            Kinetic::Schroedinger,
            (n1, n2),
            (1.0, 0.7),
            (0.2, 0.0),
            (&[], &[]),
            ("gauss:2,1", "contact:1.5", v12),
        );
        let problem = DynamicsProblem {
            model,
            u0: orbital(&lattice, "gauss:0,1,0.5"),
            v0: orbital(&lattice, "gauss:1,1,-0.3"),
            times: output_times(4.0, 8).unwrap(),
            krylov: KrylovSettings::default(),
            propagator: Default::default(),
            hartree_tolerance: 1e-12,
            hartree_2_10: None,
            measurement: pickl::studies::memory::MeasurementMemory::NONE,
        };
        let mut worst = f64::INFINITY;
        problem
            .evolve(|moment| {
                let s = smallest_slack(
                    moment.basis_a,
                    moment.basis_b,
                    moment.state,
                    &moment.hartree.u,
                    &moment.hartree.v,
                );
                worst = worst.min(s);
                Ok(())
            })
            .unwrap();
        eprintln!("M={m} N1={n1} N2={n2}: smallest slack {worst:e}");
        assert!(worst >= -1e-12, "M={m}: {worst:e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn lemmas_hold_on_random_states_and_orbitals(
        m in 2usize..=4,
        n1 in 1usize..=4,
        n2 in 1usize..=4,
        seed in any::<u64>(),
    ) {
        let (basis_a, basis_b) = (FockBasis::new(m, n1).unwrap(), FockBasis::new(m, n2).unwrap());
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let (u, v) = (random_state(m, seed ^ 0xA5A5), random_state(m, seed ^ 0x5A5A));
        let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
        let there = frame.to_frame(&state, &u, &v).unwrap();
        let norm: f64 = there.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        prop_assert!((norm - 1.0).abs() < 1e-13);
        prop_assert!(distance(&frame.from_frame(&there, &u, &v).unwrap(), &state) < 1e-12);
        let slack = smallest_slack(&basis_a, &basis_b, &state, &u, &v);
        prop_assert!(slack >= -1e-12, "smallest slack {}", slack);
    }
}
