//! Closed-form solutions derived independently of the engine, and conservation laws.
//!
//! * V ≡ 0: Ψ(t) = (e^{−ih₁t}u₀)^{⊗N₁} ⊗ (e^{−ih₂t}v₀)^{⊗N₂}, α ≡ 0, u_t = e^{−ih₁t}u₀.
//! * V constant (V₁ ≡ g₁, V₂ ≡ g₂, V₁₂ ≡ g₁₂): every pair costs its constant, so
//!   H = H_free + g₁(N₁−1)/2 + g₂(N₂−1)/2 + g₁₂N₁N₂/(N₁+N₂), a pure phase on the free evolution;
//!   in (2.10) V*|u|² ≡ g, so u_t = e^{−i(g₁ + c₂g₁₂)t} e^{−ih₁t}u₀.
//! * no hopping: H is diagonal in the site basis, Ψ(t)[a,b] = e^{−iE(a,b)t}Ψ(0)[a,b] with E
//!   counted pair by pair; (2.10) keeps |u_x| fixed, u_x(t) = u_x(0)e^{−iω_x t},
//!   ω = U₁ + V₁*|u₀|² + c₂V₁₂*|v₀|².

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::evolution::hartree::HartreeSystem;
use pickl::evolution::propagation::{KrylovSettings, Lanczos, Propagator};
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::model::Model;
use pickl::space::fock::FockBasis;
use pickl::space::state::TwoSpeciesState;
use pickl::studies::dynamics::{output_times, DynamicsProblem};
use pickl::C64;

const T: f64 = 2.5;

fn bases(model: &Model) -> (FockBasis, FockBasis) {
    let m = model.sites();
    (
        FockBasis::new(m, model.species_a().particles).unwrap(),
        FockBasis::new(m, model.species_b().particles).unwrap(),
    )
}

/// Propagates the product state and compares it at each time with `expected(t)`.
fn check_state(model: &Model, u0: &[C64], v0: &[C64], expected: impl Fn(f64) -> Vec<C64>) {
    let (basis_a, basis_b) = bases(model);
    let h = ManyBodyHamiltonian::new(model, &basis_a, &basis_b).unwrap();
    let mut state = TwoSpeciesState::product(&basis_a, u0, &basis_b, v0)
        .unwrap()
        .as_slice()
        .to_vec();
    let times = output_times(T, 10).unwrap();
    Lanczos::new(KrylovSettings::new(1e-11, 30).unwrap())
        .propagate(&h, &mut state, &times, |snap| {
            let error = distance(snap.state, &expected(snap.time));
            assert!(error < 1e-10, "t = {}: {error:e}", snap.time);
            Ok(())
        })
        .unwrap();
}

fn free_orbital(model: &Model, species_a: bool, initial: &[C64], t: f64) -> Vec<C64> {
    let s = if species_a {
        model.species_a()
    } else {
        model.species_b()
    };
    dense_propagate(s.hamiltonian.matrix(), initial, t)
}

fn product(model: &Model, u: &[C64], v: &[C64]) -> Vec<C64> {
    let (basis_a, basis_b) = bases(model);
    TwoSpeciesState::product(&basis_a, u, &basis_b, v)
        .unwrap()
        .as_slice()
        .to_vec()
}

fn hartree_matches(
    model: &Model,
    u0: &[C64],
    v0: &[C64],
    expected: impl Fn(f64) -> (Vec<C64>, Vec<C64>),
) {
    let times = output_times(T, 10).unwrap();
    let (trajectory, _) = HartreeSystem::new(model)
        .solve(u0, v0, &times, 1e-12)
        .unwrap();
    for pair in trajectory {
        let (u, v) = expected(pair.time);
        assert!(
            distance(&pair.u, &u) < 1e-10,
            "u at t = {}: {:e}",
            pair.time,
            distance(&pair.u, &u)
        );
        assert!(
            distance(&pair.v, &v) < 1e-10,
            "v at t = {}: {:e}",
            pair.time,
            distance(&pair.v, &v)
        );
    }
}

#[test]
fn without_interaction_the_product_state_stays_a_product() {
    let lattice = Lattice::ring(5).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (4, 3),
        (1.0, 0.6),
        (0.5, -0.3),
        (&[0.2, 0.0, 0.0, 0.1, 0.0], &[]),
        ("contact:0", "contact:0", "contact:0"),
    );
    let (u0, v0) = (
        orbital(&lattice, "gauss:0,1,0.5"),
        orbital(&lattice, "gauss:2,1,-0.3"),
    );
    let free = |t: f64| {
        (
            free_orbital(&model, true, &u0, t),
            free_orbital(&model, false, &v0, t),
        )
    };
    check_state(&model, &u0, &v0, |t| {
        let (u, v) = free(t);
        product(&model, &u, &v)
    });
    hartree_matches(&model, &u0, &v0, free);
    // α ≡ 0 along the run.
    let problem = DynamicsProblem {
        model: model.clone(),
        u0: u0.clone(),
        v0: v0.clone(),
        times: output_times(T, 5).unwrap(),
        krylov: KrylovSettings::default(),
        propagator: Default::default(),
        hartree_tolerance: 1e-12,
        hartree_2_10: None,
        measurement: pickl::studies::memory::MeasurementMemory::NONE,
    };
    problem
        .run(|row| {
            assert!(
                row.alpha11.abs() < 1e-10 && row.alpha10.abs() < 1e-10,
                "{row:?}"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn constant_potentials_only_add_a_phase() {
    let lattice = Lattice::ring(4).unwrap();
    let (g1, g2, g12) = (0.7, -1.3, 2.1);
    let list = |g: f64| format!("list:{g},{g},{g},{g}");
    let (n1, n2) = (3usize, 4usize);
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 1.4),
        (0.2, 0.0),
        (&[], &[]),
        (&list(g1), &list(g2), &list(g12)),
    );
    let (u0, v0) = (
        orbital(&lattice, "gauss:0,1,0.5"),
        orbital(&lattice, "site:2"),
    );
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let shift = g1 * (n1f - 1.0) / 2.0 + g2 * (n2f - 1.0) / 2.0 + g12 * n1f * n2f / (n1f + n2f);
    check_state(&model, &u0, &v0, |t| {
        let phase = C64::from_polar(1.0, -shift * t);
        product(
            &model,
            &free_orbital(&model, true, &u0, t),
            &free_orbital(&model, false, &v0, t),
        )
        .into_iter()
        .map(|z| z * phase)
        .collect()
    });
    let (c1, c2) = (n1f / (n1f + n2f), n2f / (n1f + n2f));
    hartree_matches(&model, &u0, &v0, |t| {
        let pu = C64::from_polar(1.0, -(g1 + c2 * g12) * t);
        let pv = C64::from_polar(1.0, -(g2 + c1 * g12) * t);
        (
            free_orbital(&model, true, &u0, t)
                .into_iter()
                .map(|z| z * pu)
                .collect(),
            free_orbital(&model, false, &v0, t)
                .into_iter()
                .map(|z| z * pv)
                .collect(),
        )
    });
}

#[test]
fn without_hopping_every_occupation_keeps_its_own_phase() {
    let lattice = Lattice::ring(3).unwrap();
    let (trap1, trap2) = ([0.3, 0.0, 1.1], [0.0, 0.5, 0.2]);
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (4, 3),
        (0.0, 0.0),
        (0.0, 0.0),
        (&trap1, &trap2),
        ("gauss:1.2,1", "contact:2", "gauss:-0.8,0.6"),
    );
    let (u0, v0) = (
        orbital(&lattice, "gauss:0,1,0.5"),
        orbital(&lattice, "list:1,0.5i,-0.3"),
    );
    let (basis_a, basis_b) = bases(&model);
    let initial = product(&model, &u0, &v0);
    let potential_value =
        |v: &pickl::model::one_body::PairPotential, x: usize, y: usize| v.value(x, y);
    // E(a, b) counted pair by pair: Σ_{x<y} V n_x n_y + Σ_x V(0) n_x(n_x−1)/2 within a species.
    let species_energy =
        |occ: &[u32], trap: &[f64], v: &pickl::model::one_body::PairPotential, n: usize| {
            let mut pairs = 0.0;
            for x in 0..3 {
                let nx = occ[x] as f64;
                pairs += potential_value(v, x, x) * nx * (nx - 1.0) / 2.0;
                for y in x + 1..3 {
                    pairs += potential_value(v, x, y) * nx * occ[y] as f64;
                }
            }
            (0..3).map(|x| trap[x] * occ[x] as f64).sum::<f64>() + pairs / n as f64
        };
    let energies: Vec<f64> = (0..basis_a.dim())
        .flat_map(|a| (0..basis_b.dim()).map(move |b| (a, b)))
        .map(|(a, b)| {
            let (na, nb) = (basis_a.occupation(a), basis_b.occupation(b));
            let mut inter = 0.0;
            for x in 0..3 {
                for y in 0..3 {
                    inter += model.inter_potential().value(x, y) * na[x] as f64 * nb[y] as f64;
                }
            }
            species_energy(na, &trap1, &model.species_a().potential, 4)
                + species_energy(nb, &trap2, &model.species_b().potential, 3)
                + inter / 7.0
        })
        .collect();
    check_state(&model, &u0, &v0, |t| {
        initial
            .iter()
            .zip(&energies)
            .map(|(z, e)| z * C64::from_polar(1.0, -e * t))
            .collect()
    });
    let convolve = |v: &pickl::model::one_body::PairPotential, w: &[C64], x: usize| -> f64 {
        (0..3).map(|y| v.value(x, y) * w[y].norm_sqr()).sum()
    };
    let (c1, c2) = (4.0 / 7.0, 3.0 / 7.0);
    hartree_matches(&model, &u0, &v0, |t| {
        let u = (0..3)
            .map(|x| {
                let omega = trap1[x]
                    + convolve(&model.species_a().potential, &u0, x)
                    + c2 * convolve(model.inter_potential(), &v0, x);
                u0[x] * C64::from_polar(1.0, -omega * t)
            })
            .collect();
        let v = (0..3)
            .map(|x| {
                let omega = trap2[x]
                    + convolve(&model.species_b().potential, &v0, x)
                    + c1 * convolve(model.inter_potential(), &u0, x);
                v0[x] * C64::from_polar(1.0, -omega * t)
            })
            .collect();
        (u, v)
    });
}

#[test]
fn norm_energy_and_hartree_energy_are_conserved() {
    let lattice = Lattice::ring(4).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (8, 6),
        (1.0, 1.0),
        (0.3, 0.0),
        (&[], &[]),
        ("gauss:1,1", "gauss:1,1", "gauss:0.5,1"),
    );
    let problem = DynamicsProblem {
        model,
        u0: orbital(&lattice, "gauss:0,1,0.5"),
        v0: orbital(&lattice, "gauss:2,1,-0.3"),
        times: output_times(5.0, 20).unwrap(),
        krylov: KrylovSettings::default(),
        propagator: Default::default(),
        hartree_tolerance: 1e-12,
        hartree_2_10: None,
        measurement: pickl::studies::memory::MeasurementMemory::NONE,
    };
    let mut first = None;
    let mut last = None;
    problem
        .run(|row| {
            let (e_mb, e_h) = *first.get_or_insert((row.energy_mb, row.energy_hartree));
            assert!((row.norm - 1.0).abs() < 1e-10, "norm {}", row.norm);
            assert!(
                (row.energy_mb - e_mb).abs() < 1e-10,
                "many-body energy drift {:e}",
                row.energy_mb - e_mb
            );
            assert!(
                (row.energy_hartree - e_h).abs() < 1e-10,
                "Hartree energy drift {:e}",
                row.energy_hartree - e_h
            );
            last = Some(*row);
            Ok(())
        })
        .unwrap();
    assert!(
        last.unwrap().alpha11 > 1e-3,
        "the interacting run should deplete the condensate"
    );
}

#[test]
fn hartree_solution_is_converged_at_the_default_tolerance() {
    let lattice = Lattice::ring(4).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (10, 10),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        ("gauss:1,1", "gauss:1,1", "gauss:0.5,1"),
    );
    let (u0, v0) = (
        orbital(&lattice, "gauss:0,1,0.5"),
        orbital(&lattice, "gauss:2,1,-0.3"),
    );
    let times = output_times(3.0, 3).unwrap();
    let hartree = HartreeSystem::new(&model);
    let (coarse, _) = hartree.solve(&u0, &v0, &times, 1e-12).unwrap();
    let (fine, _) = hartree.solve(&u0, &v0, &times, 1e-14).unwrap();
    for (a, b) in coarse.iter().zip(&fine) {
        let error = distance(&a.u, &b.u) + distance(&a.v, &b.v);
        assert!(error < 1e-10, "t = {}: {error:e}", a.time);
    }
}
