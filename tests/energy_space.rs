//! §2.5, the energy-space form of Theorem 2.1 (`pickl::proof::energy`): the constants of (2.23)
//! against a closed form (contact potential on a ring) and against an independent algorithm
//! (power iteration on K⁻¹W_x with a dense solve), the inequality (2.23) itself on random
//! orbitals, and the derived κ_E on the derivative terms of random states.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::linalg::solvers::Solve;
use faer::Mat;
use pickl::model::lattice::{Geometry, Lattice};
use pickl::model::one_body::{Kinetic, PairPotential};
use pickl::model::Model;
use pickl::proof::bounds::ProofConstants;
use pickl::proof::energy::{kappa_energy_inter, kappa_energy_intra, EnergySpaceConstants};
use pickl::C64;

/// K = 1 + h − λ_min(h) as a dense matrix.
fn form_matrix(model: &Model, species: usize) -> Mat<C64> {
    let s = if species == 0 {
        model.species_a()
    } else {
        model.species_b()
    };
    let h = s.hamiltonian.matrix();
    let lowest = pickl::linalg::hermitian_eigenvalues(h).unwrap()[0];
    let m = h.nrows();
    Mat::from_fn(m, m, |i, j| {
        h[(i, j)] + if i == j { c(1.0 - lowest) } else { c(0.0) }
    })
}

fn quadratic(k: &Mat<C64>, phi: &[C64]) -> f64 {
    let m = phi.len();
    let mut value = c(0.0);
    for i in 0..m {
        for j in 0..m {
            value += phi[i].conj() * k[(i, j)] * phi[j];
        }
    }
    value.re
}

/// sup_φ max_x Σ_y V(x−y)²|φ_y|² / ⟨φ, Kφ⟩ by power iteration on K⁻¹W_x (a dense LU solve),
/// for each x.
fn constant_by_power_iteration(k: &Mat<C64>, potential: &PairPotential) -> f64 {
    let m = k.nrows();
    let lu = k.partial_piv_lu();
    let mut best: f64 = 0.0;
    for x in 0..m {
        let w: Vec<f64> = (0..m).map(|y| potential.value(x, y).powi(2)).collect();
        let mut phi = Mat::from_fn(m, 1, |i, _| c(1.0 + 0.1 * i as f64));
        let mut ratio = 0.0;
        for _ in 0..3000 {
            let weighted = Mat::from_fn(m, 1, |i, _| phi[(i, 0)] * w[i]);
            let next = lu.solve(&weighted);
            let norm = (0..m).map(|i| next[(i, 0)].norm_sqr()).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            phi = Mat::from_fn(m, 1, |i, _| next[(i, 0)] / norm);
            let v: Vec<C64> = (0..m).map(|i| phi[(i, 0)]).collect();
            let top: f64 = (0..m).map(|i| w[i] * v[i].norm_sqr()).sum();
            ratio = top / quadratic(k, &v);
        }
        best = best.max(ratio);
    }
    best
}

#[test]
fn contact_potential_on_a_ring_has_the_closed_form() {
    // V = g δ: ‖V²*|φ|²‖_∞ = g² max_x |φ_x|², so C = g² max_x (K⁻¹)_xx, and on a ring with
    // hopping J (h = J(2 − A), spectrum 2J(1 − cos 2πk/M), λ_min = 0) every (K⁻¹)_xx is
    // (1/M) Σ_k 1/(1 + 2J(1 − cos 2πk/M)).
    for (m, hop, g) in [(4usize, 1.0, 1.5), (7, 0.6, -2.0), (12, 2.0, 0.3)] {
        let model = model(
            Lattice::ring(m).unwrap(),
            Kinetic::Schroedinger,
            (3, 2),
            (hop, hop),
            (0.0, 0.0),
            (&[], &[]),
            (&format!("contact:{g}"), "gauss:1,1", "contact:0.5"),
        );
        let constants = EnergySpaceConstants::new(&model).unwrap();
        let diagonal: f64 = (0..m)
            .map(|k| {
                let e =
                    2.0 * hop * (1.0 - (2.0 * std::f64::consts::PI * k as f64 / m as f64).cos());
                1.0 / (1.0 + e)
            })
            .sum::<f64>()
            / m as f64;
        let expected = g * g * diagonal;
        let got = constants.intra[0];
        assert!(
            (got - expected).abs() <= 1e-10 * expected,
            "M = {m}: C1 = {got}, closed form {expected}"
        );
        let expected12 = 0.25 * diagonal;
        assert!((constants.inter[0] - expected12).abs() <= 1e-10 * expected12);
    }
}

#[test]
fn constants_match_power_iteration_and_bound_every_orbital() {
    for seed in 0..4u64 {
        let case = near_condensate(5, (2, 2), 700 + seed, 0.3);
        // A chain with a trap and a phase, so that h is neither translation invariant nor real.
        let lattice = Lattice::new(Geometry::Chain(5)).unwrap();
        let model = model(
            lattice,
            Kinetic::Schroedinger,
            (2, 2),
            (1.0, 0.7),
            (0.3, -0.4),
            (&[0.5, 0.0, -0.2, 0.3, 1.0], &[0.0, 0.1, 0.2, 0.1, 0.0]),
            ("gauss:1.3,1", "contact:2", "gauss:-0.7,1.5"),
        );
        for model in [&case.model, &model] {
            let constants = EnergySpaceConstants::new(model).unwrap();
            let potentials = [
                &model.species_a().potential,
                &model.species_b().potential,
                model.inter_potential(),
                model.inter_potential(),
            ];
            let values = [
                constants.intra[0],
                constants.intra[1],
                constants.inter[0],
                constants.inter[1],
            ];
            for (index, (potential, value)) in potentials.iter().zip(values).enumerate() {
                let species = if index % 2 == 0 { 0 } else { 1 };
                let k = form_matrix(model, species);
                let reference = constant_by_power_iteration(&k, potential);
                assert!(
                    (value - reference).abs() <= 1e-9 * reference.max(1e-12),
                    "seed {seed} constant {index}: {value} against {reference}"
                );
                // (2.23) on random orbitals: ‖V²*|φ|²‖_∞ ≤ C ‖φ‖²_D.
                for trial in 0..50u64 {
                    let phi = random_state(5, seed * 1000 + trial);
                    let sup = (0..5)
                        .map(|x| {
                            (0..5)
                                .map(|y| potential.value(x, y).powi(2) * phi[y].norm_sqr())
                                .sum::<f64>()
                        })
                        .fold(0.0, f64::max);
                    assert!(sup <= value * quadratic(&k, &phi) * (1.0 + 1e-12));
                }
            }
            // The form norms are ⟨φ, Kφ⟩^{1/2}.
            let (u, v) = (random_state(5, seed + 90), random_state(5, seed + 91));
            let [nu, nv] = constants.form_norms(&u, &v);
            assert!((nu * nu - quadratic(&form_matrix(model, 0), &u)).abs() < 1e-12);
            assert!((nv * nv - quadratic(&form_matrix(model, 1), &v)).abs() < 1e-12);
        }
    }
}

/// The derived κ_E: |C_V1| ≤ κ₁,E E₁ (α + 1/N), |C_V2| ≤ κ₂,E E₂ (α + 1/N),
/// |C_V12| ≤ κ₁₂,E (Eᵘ + Eᵛ)(α + 1/N), on states far from the dynamics.
#[test]
fn kappa_energy_bounds_the_derivative_terms() {
    let mut largest: f64 = 0.0;
    for (m, (n1, n2)) in [(2, (2, 2)), (3, (2, 3)), (3, (3, 3)), (4, (2, 2))] {
        for seed in 0..4u64 {
            for angle in [1e-3, 0.1, 0.7, std::f64::consts::FRAC_PI_2] {
                let case = near_condensate(m, (n1, n2), 31 * seed + m as u64, angle);
                let snapshot = case.snapshot();
                let model = &case.model;
                let constants = EnergySpaceConstants::new(model).unwrap();
                let [e1, e2, eu, ev] = constants.suprema_bounds(&case.u, &case.v);
                let shifted = snapshot.alpha11 + 1.0 / (n1 + n2) as f64;
                let (c1, c2) = (model.c1(), model.c2());
                for form in [ProofConstants::Tight, ProofConstants::AsPrinted] {
                    for (value, bound) in [
                        (
                            snapshot.terms.c_v1.norm(),
                            kappa_energy_intra(c1, form) * e1 * shifted,
                        ),
                        (
                            snapshot.terms.c_v2.norm(),
                            kappa_energy_intra(c2, form) * e2 * shifted,
                        ),
                        (
                            snapshot.terms.c_v12.norm(),
                            kappa_energy_inter(c1, c2, form) * (eu + ev) * shifted,
                        ),
                    ] {
                        assert!(
                            value <= bound * (1.0 + 1e-12) + 1e-14,
                            "M={m} N=({n1},{n2}) seed {seed} angle {angle} {form:?}: {value:e} > {bound:e}"
                        );
                        if form == ProofConstants::Tight && bound > 0.0 {
                            largest = largest.max(value / bound);
                        }
                    }
                }
            }
        }
    }
    println!("largest |C|/bound with the tight energy-space constants: {largest:.3}");
    assert!(
        largest > 1e-3,
        "the bounds were never approached ({largest:e})"
    );
}
