//! Krylov propagation against the dense exponential e^{−iHt} = U e^{−iΛt} U† for D ≤ 500, on
//! models covering every kind of one-body operator and potential.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::Mat;
use pickl::fock::FockBasis;
use pickl::hamiltonian::ManyBodyHamiltonian;
use pickl::lattice::{Geometry, Lattice};
use pickl::model::{Model, Species};
use pickl::one_body::{Kinetic, OneBodyHamiltonian, PotentialSpec};
use pickl::propagation::{KrylovSettings, Lanczos, Propagator};
use pickl::state::TwoSpeciesState;

/// Propagates u0^{⊗N1} ⊗ v0^{⊗N2} to several times both ways; returns the largest difference.
fn compare(model: &Model, u0: &str, v0: &str, t_max: f64, krylov_dim: usize) -> f64 {
    let m = model.sites();
    let basis_a = FockBasis::new(m, model.species_a().particles).unwrap();
    let basis_b = FockBasis::new(m, model.species_b().particles).unwrap();
    let h = ManyBodyHamiltonian::new(model, &basis_a, &basis_b).unwrap();
    let dense = dense_of(&h);
    assert!(dense.nrows() <= 500);
    let lattice = model.lattice();
    let initial = TwoSpeciesState::product(
        &basis_a,
        &orbital(lattice, u0),
        &basis_b,
        &orbital(lattice, v0),
    )
    .unwrap();
    let times: Vec<f64> = (0..=8).map(|k| t_max * k as f64 / 8.0).collect();
    let mut state = initial.as_slice().to_vec();
    let mut worst = 0.0f64;
    let settings = KrylovSettings::new(1e-11, krylov_dim).unwrap();
    let stats = Lanczos::new(settings)
        .propagate(&h, &mut state, &times, |snap| {
            let exact = dense_propagate(&dense, initial.as_slice(), snap.time);
            let error = distance(snap.state, &exact);
            // The a-posteriori bound must hold (up to round-off).
            assert!(
                error <= snap.stats.error_estimate + 1e-12,
                "t = {}: error {error:e} above the bound {:e}",
                snap.time,
                snap.stats.error_estimate
            );
            worst = worst.max(error);
            Ok(())
        })
        .unwrap();
    assert!(stats.error_estimate <= 1e-11 * (1.0 + 1e-9));
    eprintln!(
        "D = {}: largest Krylov-vs-dense difference {worst:.2e}, bound {:.2e}, {} matvecs",
        dense.nrows(),
        stats.error_estimate,
        stats.matvecs
    );
    worst
}

#[test]
fn ring_with_complex_peierls_phase() {
    let lattice = Lattice::ring(4).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 3),
        (1.0, 0.8),
        (0.7, -0.4),
        (&[], &[]),
        ("gauss:1,1", "gauss:1.5,0.8", "gauss:0.5,1"),
    );
    let worst = compare(&model, "gauss:0,1,0.5", "gauss:2,1,-0.3", 2.0, 30);
    assert!(worst < 1e-10, "{worst:e}");
}

#[test]
fn chain_with_contact_potentials_and_trap() {
    let lattice = Lattice::new(Geometry::Chain(4)).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 3),
        (1.0, 1.3),
        (0.0, 0.2),
        (&[0.5, 0.0, 0.0, 0.5], &[0.0, 0.1, 0.2, 0.3]),
        ("contact:3", "contact:1", "contact:-2"),
    );
    let worst = compare(&model, "site:0", "plane:1", 3.0, 20);
    assert!(worst < 1e-10, "{worst:e}");
}

#[test]
fn torus_two_by_two() {
    let lattice = Lattice::new("torus:2x2".parse().unwrap()).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 3),
        (1.0, 1.0),
        (0.3, 0.3),
        (&[], &[]),
        ("gauss:2,1", "gauss:1,1", "gauss:1,0.7"),
    );
    let worst = compare(&model, "gauss:0,1,0.5", "plane:1", 2.5, 30);
    assert!(worst < 1e-10, "{worst:e}");
}

#[test]
fn pseudo_relativistic_with_trap_and_list_potentials() {
    let lattice = Lattice::ring(3).unwrap();
    let model = model(
        lattice,
        Kinetic::Relativistic,
        (4, 5),
        (1.0, 2.0),
        (0.25, 0.0),
        (&[0.0, 1.0, 0.0], &[]),
        ("list:1,0.3,0.3", "gauss:0.5,2", "list:-0.5,0.2,0.2"),
    );
    let worst = compare(&model, "gauss:1,0.7,1.0", "list:1,0.5i,-0.2", 4.0, 25);
    assert!(worst < 1e-10, "{worst:e}");
}

#[test]
fn explicit_hermitian_one_body_matrices() {
    let lattice = Lattice::ring(3).unwrap();
    let h1 = Mat::from_fn(3, 3, |i, j| {
        let (i, j) = (i as f64, j as f64);
        if i == j {
            c(0.3 * i)
        } else {
            pickl::C64::new(0.4 * (i + j), 0.3 * (i - j))
        }
    });
    let pot = |s: &str| s.parse::<PotentialSpec>().unwrap().on(&lattice).unwrap();
    let model = Model::new(
        lattice.clone(),
        Species {
            particles: 4,
            hamiltonian: OneBodyHamiltonian::explicit(h1).unwrap(),
            potential: pot("gauss:1,1"),
        },
        Species {
            particles: 4,
            hamiltonian: OneBodyHamiltonian::on_lattice(
                &lattice,
                Kinetic::Schroedinger,
                1.0,
                0.0,
                &[],
            )
            .unwrap(),
            potential: pot("contact:2"),
        },
        pot("gauss:1,1"),
    )
    .unwrap();
    let worst = compare(&model, "gauss:0,1,0", "site:2", 2.0, 12);
    assert!(worst < 1e-10, "{worst:e}");
}

#[test]
fn a_small_krylov_space_still_meets_the_tolerance_with_more_steps() {
    let lattice = Lattice::ring(4).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 3),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        ("gauss:1,1", "gauss:1,1", "gauss:0.5,1"),
    );
    let worst = compare(&model, "gauss:0,1,0.5", "gauss:2,1,-0.3", 3.0, 6);
    assert!(worst < 1e-10, "{worst:e}");
}
