//! (5.19): dα^(1,1)/dt = i(C_V1 + C_V2 + C_V12) at finite N₁, N₂, against a centred finite
//! difference (Richardson-extrapolated) of α^(1,1)(t) computed from the propagated state and the
//! Hartree pair; and C_V1, C_V2, C_V12 are purely imaginary.

mod common;

use common::*;
use pickl::evolution::propagation::KrylovSettings;
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::model::Model;
use pickl::proof::{derivative_terms, DerivativeTerms};
use pickl::studies::dynamics::DynamicsProblem;

fn check(model: Model, u0: &str, v0: &str, t0: f64) {
    let lattice = model.lattice().clone();
    let h = 2e-3;
    let times = vec![t0 - h, t0 - h / 2.0, t0, t0 + h / 2.0, t0 + h];
    let problem = DynamicsProblem {
        model,
        u0: orbital(&lattice, u0),
        v0: orbital(&lattice, v0),
        times,
        krylov: KrylovSettings::new(1e-12, 30).unwrap(),
        propagator: Default::default(),
        hartree_tolerance: 1e-13,
        hartree_2_10: None,
        measurement: pickl::studies::memory::MeasurementMemory::NONE,
    };
    let mut alphas = Vec::new();
    let mut terms: Option<DerivativeTerms> = None;
    problem
        .evolve(|moment| {
            alphas.push(moment.row.alpha11);
            if alphas.len() == 3 {
                terms = Some(derivative_terms(
                    &problem.model,
                    moment.state_view(),
                    &moment.hartree.u,
                    &moment.hartree.v,
                )?);
            }
            Ok(())
        })
        .unwrap();
    let terms = terms.unwrap();
    for c in [terms.c_v1, terms.c_v2, terms.c_v12] {
        assert!(c.re.abs() < 1e-14, "C should be purely imaginary: {c}");
    }
    let coarse = (alphas[4] - alphas[0]) / (2.0 * h);
    let fine = (alphas[3] - alphas[1]) / h;
    let finite_difference = (4.0 * fine - coarse) / 3.0;
    let identity = terms.alpha11_derivative();
    let relative = (identity - finite_difference).abs() / identity.abs();
    eprintln!("t0 = {t0}: i(C_V1+C_V2+C_V12) = {identity:.12e}, finite difference {finite_difference:.12e}, relative {relative:.1e}");
    assert!(identity.abs() > 1e-4, "the test needs a visible derivative");
    assert!(relative < 1e-6, "relative difference {relative:e}");
}

#[test]
fn ring_with_gauss_potentials() {
    let lattice = Lattice::ring(4).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (6, 5),
        (1.0, 0.8),
        (0.3, 0.0),
        (&[], &[]),
        ("gauss:1,1", "gauss:1.5,0.8", "gauss:0.5,1"),
    );
    check(model, "gauss:0,1,0.5", "gauss:2,1,-0.3", 1.0);
}

#[test]
fn unequal_populations_with_contact_and_attractive_inter_species_potential() {
    let lattice = Lattice::ring(3).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (8, 4),
        (1.0, 1.0),
        (0.0, 0.5),
        (&[0.3, 0.0, 0.0], &[]),
        ("contact:2", "contact:1", "gauss:-1.5,1"),
    );
    check(model, "gauss:0,1,0.5", "site:1", 0.7);
}

#[test]
fn chain_with_relativistic_kinetic_energy() {
    let lattice = Lattice::new(pickl::model::lattice::Geometry::Chain(4)).unwrap();
    let model = model(
        lattice,
        Kinetic::Relativistic,
        (5, 5),
        (1.0, 0.6),
        (0.2, 0.0),
        (&[], &[0.0, 0.2, 0.4, 0.6]),
        ("gauss:2,1", "contact:1", "list:0.8,0.4,0.1,0.05"),
    );
    check(model, "gauss:1,1,0.3", "plane:1", 1.3);
}

#[test]
fn the_canonical_models_of_the_bound_tests() {
    for case in CANONICAL_MODELS {
        let model = canonical_problem(case, 1.0, 1).model;
        check(model, "gauss:0,1,0.5", "gauss:1,1,-0.3", 1.5);
    }
}
