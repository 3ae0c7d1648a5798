//! The matrix-free Hamiltonian (2.8) equals, in every matrix element, the first-quantised
//! Hamiltonian with explicit sums over particle labels, restricted to the symmetric subspace:
//! H_Fock = S† H_fq S with S the symmetriser of each species.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::linalg::LinearOperator;
use pickl::model::lattice::{Geometry, Lattice};
use pickl::model::one_body::Kinetic;
use pickl::model::Prefactors;
use pickl::space::fock::FockBasis;

fn check(model: &pickl::model::Model) {
    check_against(model, &first_quantised_hamiltonian(model));
}

/// The engine's H on `model` against a first-quantised Hamiltonian of the same particles.
fn check_against(model: &pickl::model::Model, h_fq: &faer::Mat<pickl::C64>) {
    let m = model.sites();
    let basis_a = FockBasis::new(m, model.species_a().particles).unwrap();
    let basis_b = FockBasis::new(m, model.species_b().particles).unwrap();
    let engine = ManyBodyHamiltonian::new(model, &basis_a, &basis_b).unwrap();
    let dense = dense_of(&engine);
    let (sa, sb) = (symmetriser(&basis_a), symmetriser(&basis_b));
    let (ca, cb) = (sa.nrows(), sb.nrows());
    // Columns of S = S_A ⊗ S_B as explicit vectors; H_Fock[i, j] = ⟨S e_i, H_fq S e_j⟩.
    let embed = |k: usize| -> Vec<pickl::C64> {
        let (ka, kb) = (k / basis_b.dim(), k % basis_b.dim());
        let mut v = vec![c(0.0); ca * cb];
        for b in 0..cb {
            for a in 0..ca {
                v[a + ca * b] = sa[(a, ka)] * sb[(b, kb)];
            }
        }
        v
    };
    let d = engine.dim();
    let columns: Vec<Vec<pickl::C64>> = (0..d).map(embed).collect();
    let mut worst = 0.0f64;
    for j in 0..d {
        let hv: Vec<pickl::C64> = (0..ca * cb)
            .map(|r| (0..ca * cb).map(|s| h_fq[(r, s)] * columns[j][s]).sum())
            .collect();
        for i in 0..d {
            let element: pickl::C64 = columns[i].iter().zip(&hv).map(|(a, b)| a.conj() * b).sum();
            worst = worst.max((element - dense[(i, j)]).norm());
        }
    }
    assert!(worst < 1e-12, "largest matrix-element difference {worst:e}");
}

#[test]
fn ring_with_peierls_phase_and_gauss_potentials() {
    let lattice = Lattice::ring(3).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 2),
        (1.0, 0.7),
        (0.4, -0.25),
        (&[0.2, 0.0, 0.5], &[]),
        ("gauss:1.3,0.8", "gauss:-0.6,1.1", "gauss:0.9,0.7"),
    );
    check(&model);
}

#[test]
fn chain_with_contact_and_list_potentials() {
    let lattice = Lattice::new(Geometry::Chain(3)).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (2, 3),
        (0.8, 1.2),
        (0.3, 0.0),
        (&[], &[1.0, 0.0, 0.3]),
        ("contact:2.0", "list:0.5,-0.3,0.1", "contact:-0.7"),
    );
    check(&model);
}

#[test]
fn two_site_ring_relativistic_three_and_three() {
    let lattice = Lattice::ring(2).unwrap();
    let model = model(
        lattice,
        Kinetic::Relativistic,
        (3, 3),
        (1.0, 0.5),
        (0.6, 0.1),
        (&[0.0, 0.4], &[0.3, 0.0]),
        ("gauss:1,1", "contact:0.5", "list:0.4,0.2"),
    );
    check(&model);
}

#[test]
fn one_particle_each_has_no_intra_species_interaction() {
    let lattice = Lattice::ring(3).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (1, 1),
        (1.0, 1.0),
        (0.2, 0.0),
        (&[], &[]),
        ("contact:5", "contact:5", "gauss:1,1"),
    );
    check(&model);
}

/// §4: with `--prefactors common` the engine runs (2.8) on V_j = c_j 𝒱_j; that must be H with
/// 1/(N₁+N₂) written in front of every potential 𝒱_α, particle label by particle label.
#[test]
fn common_prefactors_put_one_over_n_in_front_of_every_potential() {
    let lattice = Lattice::ring(3).unwrap();
    let potentials = model(
        lattice,
        Kinetic::Schroedinger,
        (3, 2),
        (1.0, 0.7),
        (0.4, -0.25),
        (&[0.2, 0.0, 0.5], &[]),
        ("gauss:1.3,0.8", "gauss:-0.6,1.1", "gauss:0.9,0.7"),
    );
    let common = 1.0 / 5.0;
    let reference = first_quantised_hamiltonian_with(&potentials, [common; 3]);
    check_against(&Prefactors::Common.model(&potentials), &reference);
    // and the paper's choice leaves the model as it is.
    check_against(
        &Prefactors::Paper.model(&potentials),
        &first_quantised_hamiltonian_with(&potentials, [1.0 / 3.0, 1.0 / 2.0, common]),
    );
}
