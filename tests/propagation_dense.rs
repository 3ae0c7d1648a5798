//! Both propagators (Lanczos and Chebyshev) against the dense exponential
//! e^{−iHt} = U e^{−iΛt} U† for D ≤ 500, on models covering every kind of one-body operator and
//! potential; the proven spectral interval of H against the dense eigenvalues; the fused update
//! against a separate application and combination.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::Mat;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::evolution::propagation::{
    Chebyshev, Event, KrylovSettings, Lanczos, Progress, Propagator, Snapshot, TOLERANCE_FLOOR,
};
use pickl::linalg::{Accumulate, LinearOperator, Update};
use pickl::model::lattice::{Geometry, Lattice};
use pickl::model::one_body::{Kinetic, OneBodyHamiltonian, PotentialSpec};
use pickl::model::{Model, Species};
use pickl::space::fock::FockBasis;
use pickl::space::state::TwoSpeciesState;
use pickl::C64;

/// A model's bases, its Hamiltonian and a dense copy of it.
struct Small {
    basis_a: FockBasis,
    basis_b: FockBasis,
    h: ManyBodyHamiltonian,
    dense: Mat<C64>,
}

fn small(model: &Model) -> Small {
    let m = model.sites();
    let basis_a = FockBasis::new(m, model.species_a().particles).unwrap();
    let basis_b = FockBasis::new(m, model.species_b().particles).unwrap();
    let h = ManyBodyHamiltonian::new(model, &basis_a, &basis_b).unwrap();
    let dense = dense_of(&h);
    Small {
        basis_a,
        basis_b,
        h,
        dense,
    }
}

/// Propagates u0^{⊗N1} ⊗ v0^{⊗N2} to several times with Lanczos (Krylov dimension
/// `krylov_dim`), with Chebyshev and densely; returns the largest difference of either.
fn compare(model: &Model, u0: &str, v0: &str, t_max: f64, krylov_dim: usize) -> f64 {
    let small = small(model);
    assert!(small.dense.nrows() <= 500);
    let lattice = model.lattice();
    let initial = TwoSpeciesState::product(
        &small.basis_a,
        &orbital(lattice, u0),
        &small.basis_b,
        &orbital(lattice, v0),
    )
    .unwrap();
    let lanczos = Lanczos::new(KrylovSettings::new(1e-11, krylov_dim).unwrap());
    let chebyshev = Chebyshev::new(1e-11).unwrap();
    let paired = chebyshev.with_paired_outputs(true);
    let by_lanczos = compare_with("Lanczos", &lanczos, &small, initial.as_slice(), t_max);
    let by_chebyshev = compare_with("Chebyshev", &chebyshev, &small, initial.as_slice(), t_max);
    let by_pairs = compare_with(
        "Chebyshev, paired outputs",
        &paired,
        &small,
        initial.as_slice(),
        t_max,
    );
    by_lanczos.max(by_chebyshev).max(by_pairs)
}

fn compare_with<P: Propagator>(
    name: &str,
    propagator: &P,
    small: &Small,
    initial: &[C64],
    t_max: f64,
) -> f64 {
    let Small { h, dense, .. } = small;
    let times: Vec<f64> = (0..=8).map(|k| t_max * k as f64 / 8.0).collect();
    let mut state = initial.to_vec();
    let mut worst = 0.0f64;
    let stats = propagator
        .propagate(h, &mut state, &times, |snap| {
            worst = worst.max(bounded_error(dense, initial, snap));
            Ok(())
        })
        .unwrap();
    assert!(stats.error_estimate <= 1e-11 * (1.0 + 1e-9));
    eprintln!(
        "{}, D = {}: largest difference to dense {worst:.2e}, bound {:.2e}, {} matvecs",
        name,
        dense.nrows(),
        stats.error_estimate,
        stats.matvecs
    );
    worst
}

/// The distance of a snapshot to the dense exponential, checked against the snapshot's error
/// bound (which must hold up to round-off).
fn bounded_error(dense: &Mat<C64>, initial: &[C64], snap: &Snapshot<'_>) -> f64 {
    let exact = dense_propagate(dense, initial, snap.time);
    let error = distance(snap.state, &exact);
    assert!(
        error <= snap.stats.error_estimate + 1e-12,
        "t = {}: error {error:e} above the bound {:e}",
        snap.time,
        snap.stats.error_estimate
    );
    error
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

/// A ring of four sites with N₁ = N₂ = 3 (D = 400), Gaussian potentials, no phases.
fn ring_of_four_with_three_and_three() -> Model {
    default_model_with(3, 3)
}

/// The experiments' default model (ring of four sites, J = 1, Gaussian potentials) with N₁ and
/// N₂ bosons.
fn default_model_with(n1: usize, n2: usize) -> Model {
    model(
        Lattice::ring(4).unwrap(),
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        ("gauss:1,1", "gauss:1,1", "gauss:0.5,1"),
    )
}

/// [`ring_of_four_with_three_and_three`] with its dense copy, and the product state
/// u₀^{⊗3} ⊗ v₀^{⊗3} of the default orbitals on it.
fn ring_of_four_and_its_start() -> (Small, TwoSpeciesState) {
    let model = ring_of_four_with_three_and_three();
    let small = small(&model);
    let lattice = model.lattice();
    let initial = TwoSpeciesState::product(
        &small.basis_a,
        &orbital(lattice, "gauss:0,1,0.5"),
        &small.basis_b,
        &orbital(lattice, "gauss:2,1,-0.3"),
    )
    .unwrap();
    (small, initial)
}

#[test]
fn a_small_krylov_space_still_meets_the_tolerance_with_more_steps() {
    let model = ring_of_four_with_three_and_three();
    let worst = compare(&model, "gauss:0,1,0.5", "gauss:2,1,-0.3", 3.0, 6);
    assert!(worst < 1e-10, "{worst:e}");
}

fn models_for_the_kernel() -> Vec<Model> {
    vec![
        model(
            Lattice::ring(4).unwrap(),
            Kinetic::Schroedinger,
            (3, 4),
            (1.0, 0.8),
            (0.7, -0.4),
            (&[], &[]),
            ("gauss:1,1", "gauss:1.5,0.8", "gauss:0.5,1"),
        ),
        model(
            Lattice::new(Geometry::Chain(5)).unwrap(),
            Kinetic::Schroedinger,
            (2, 3),
            (1.0, 1.3),
            (0.0, 0.2),
            (&[0.5, 0.0, 0.0, 0.5, 1.0], &[0.0, 0.1, 0.2, 0.3, 0.4]),
            ("contact:3", "contact:-1", "contact:-2"),
        ),
        model(
            Lattice::ring(3).unwrap(),
            Kinetic::Relativistic,
            (4, 2),
            (1.0, 2.0),
            (0.25, 0.0),
            (&[0.0, 1.0, 0.0], &[]),
            ("list:1,0.3,0.3", "gauss:-0.5,2", "list:-0.5,0.2,0.2"),
        ),
    ]
}

#[test]
fn the_proven_spectral_interval_contains_every_eigenvalue_and_is_not_loose() {
    let default_model = default_model_with(4, 4);
    // One A particle: no A–A pairs, all of h₁ on the A–B pairs.
    let lone = model(
        Lattice::new(Geometry::Chain(5)).unwrap(),
        Kinetic::Schroedinger,
        (1, 4),
        (1.0, 0.6),
        (0.0, 0.3),
        (&[0.0, 0.2, 0.0, 0.0, 0.9], &[]),
        ("gauss:2,1", "contact:1.5", "gauss:-1,0.7"),
    );
    let mut models = models_for_the_kernel();
    models.extend([lone, default_model]);
    let default_index = models.len() - 1;
    for (k, model) in models.into_iter().enumerate() {
        let Small { h, dense, .. } = small(&model);
        let (lower, upper) = h.spectral_bounds().expect("the Hamiltonian gives bounds");
        let eigenvalues = dense.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
        let (min, max) = (eigenvalues[0], eigenvalues[eigenvalues.len() - 1]);
        eprintln!("spectrum [{min:.6}, {max:.6}] within [{lower:.6}, {upper:.6}]");
        assert!(
            lower <= min && max <= upper,
            "[{min}, {max}] not in [{lower}, {upper}]"
        );
        // Weyl's bound from the parts is crude but of the same scale as the spectrum.
        assert!(
            upper - lower < 4.0 * (max - min),
            "[{lower}, {upper}] vs [{min}, {max}]"
        );
        if k == default_index {
            // The default model at N₁ = N₂ = 4: the parts alone give [1.935, 36.0] (N λ_max(h)
            // = 16 a species, all on one site 3 + 1), 6% wider than the spectrum; the
            // two-body problems see that no state has the largest kinetic energy and the
            // largest repulsion together.
            assert!(
                upper - lower < 1.01 * (max - min),
                "[{lower}, {upper}] vs [{min}, {max}]"
            );
        }
    }
}

#[test]
fn the_fused_update_equals_a_separate_application_and_combination() {
    for (model, block_width) in models_for_the_kernel().into_iter().zip([3, 1, 1000]) {
        // Narrow column blocks, so that the blocked H_A pass crosses block edges.
        let Small { h, dense, .. } = small(&model);
        let h = h.with_block_width(block_width).with_one_pass(false);
        let d = dense.nrows();
        let x: Vec<C64> = (0..d)
            .map(|i| C64::new((0.3 * i as f64).sin(), (0.7 * i as f64).cos()))
            .collect();
        let y0: Vec<C64> = (0..d)
            .map(|i| C64::new((1.1 * i as f64).cos(), 0.2 - (0.5 * i as f64).sin()))
            .collect();
        let z0: Vec<C64> = (0..d).map(|i| C64::new(0.01 * i as f64, 1.0)).collect();
        let hx: Vec<C64> = (0..d)
            .map(|i| (0..d).map(|j| dense[(i, j)] * x[j]).sum())
            .collect();
        let expected_dot: C64 = (0..d).map(|i| x[i].conj() * hx[i]).sum();
        for update in [
            Update::APPLY,
            Update {
                operator: -2.0 / 3.0,
                input: 0.25,
                previous: -1.0,
            },
        ] {
            let weight = C64::new(0.3, -1.7);
            let input_weight = C64::new(0.0, 0.8);
            // A second sum, with weights of its own (the old y's term too).
            let (weight2, previous_weight2) = (C64::new(-0.6, 0.0), C64::new(0.5, 0.25));
            let mut y = y0.clone();
            let mut z = z0.clone();
            let mut z2 = y0.clone();
            h.apply_update(
                &x,
                &mut y,
                update,
                vec![
                    Accumulate {
                        sum: &mut z,
                        previous: None,
                        input: Some(input_weight),
                        output: weight,
                    },
                    Accumulate {
                        sum: &mut z2,
                        previous: Some(previous_weight2),
                        input: None,
                        output: weight2,
                    },
                ],
            );
            let mut hx_again = vec![C64::new(0.0, 0.0); d];
            let dot = h.apply_and_dot(&x, &mut hx_again);
            let applied = (0..d)
                .map(|i| (hx_again[i] - hx[i]).norm())
                .fold(0.0, f64::max);
            // Round-off relative to the size of the numbers added: ⟨x, Hx⟩ sums D terms, an
            // entry of Hx a row of H.
            let dot_scale = expected_dot.norm().max(1.0);
            assert!((dot - expected_dot).norm() < 1e-14 * dot_scale);
            let entry_scale = hx.iter().map(|v| v.norm()).fold(1.0, f64::max);
            let mut worst = 0.0f64;
            for i in 0..d {
                let y_expected =
                    update.operator * hx[i] + update.input * x[i] + update.previous * y0[i];
                worst = worst.max((y[i] - y_expected).norm());
                let z_expected = z0[i] + input_weight * x[i] + weight * y_expected;
                worst = worst.max((z[i] - z_expected).norm());
                let z2_expected = y0[i] + previous_weight2 * y0[i] + weight2 * y_expected;
                worst = worst.max((z2[i] - z2_expected).norm());
            }
            assert!(worst < 1e-14 * entry_scale, "{update:?}: {worst:e}");
            assert!(applied < 1e-14 * entry_scale, "H x: {applied:e}");
            let expectation = h.expectation(&x);
            assert!((expectation - expected_dot).norm() < 1e-14 * dot_scale);
        }
    }
}

/// Models too large for a dense copy, on which the streaming kernel takes each of its paths:
/// register chunks with ragged ends (ring 4, D_B = 120), complex hops (a Peierls phase), rows
/// with more occupied sites than the diagonal keeps in registers (chain of 10, N₁ = 10), and
/// rows cut into column blocks, the last one ragged (ring 4, D_B = 969).
fn models_for_the_paths() -> Vec<Model> {
    vec![
        model(
            Lattice::ring(4).unwrap(),
            Kinetic::Schroedinger,
            (5, 16),
            (1.0, 0.7),
            (0.0, 0.0),
            (&[0.2, 0.0, 0.0, 0.1], &[]),
            ("gauss:1,1", "contact:0.5", "gauss:0.8,1"),
        ),
        model(
            Lattice::ring(4).unwrap(),
            Kinetic::Schroedinger,
            (6, 7),
            (1.0, 0.8),
            (0.0, 0.0),
            (&[], &[0.3, 0.0, 0.1, 0.0]),
            ("gauss:1,1", "gauss:1.5,0.8", "gauss:0.5,1"),
        ),
        model(
            Lattice::ring(4).unwrap(),
            Kinetic::Schroedinger,
            (5, 8),
            (1.0, 1.2),
            (0.4, -0.3),
            (&[], &[]),
            ("contact:2", "gauss:1,1", "contact:-1"),
        ),
        model(
            Lattice::new(Geometry::Chain(10)).unwrap(),
            Kinetic::Schroedinger,
            (10, 1),
            (1.0, 0.5),
            (0.0, 0.0),
            (&[0.1; 10], &[]),
            ("gauss:1,2", "contact:1", "gauss:0.5,1"),
        ),
    ]
}

/// The streaming kernel (one pass by rows, or two with column blocks of several widths;
/// register chunks; the fused update)
/// against the general two-species kernel built from the same parts (sparse rows for both
/// species, the pair diagonal entry by entry, no blocking): an independent evaluation of H.
#[test]
fn the_streaming_kernel_equals_the_general_kernel_on_every_path() {
    use pickl::evolution::hamiltonian::{apply_two_species, species_hamiltonian, PairDiagonal};
    for model in models_for_the_paths() {
        let m = model.sites();
        let basis_a = FockBasis::new(m, model.species_a().particles).unwrap();
        let basis_b = FockBasis::new(m, model.species_b().particles).unwrap();
        let op_a = species_hamiltonian(&basis_a, model.species_a()).unwrap();
        let op_b = species_hamiltonian(&basis_b, model.species_b()).unwrap();
        let pair = PairDiagonal::inter_species(&basis_a, &basis_b, model.inter_potential());
        let (rows, columns) = (basis_a.dim(), basis_b.dim());
        let d = rows * columns;
        let x: Vec<C64> = (0..d)
            .map(|i| C64::new((0.37 * i as f64).sin(), (0.71 * i as f64).cos()))
            .collect();
        let y0: Vec<C64> = (0..d)
            .map(|i| C64::new((1.3 * i as f64).cos(), 0.1 - (0.5 * i as f64).sin()))
            .collect();
        let z0: Vec<C64> = (0..d).map(|i| C64::new(1.0, 0.02 * i as f64)).collect();
        let mut hx = vec![C64::new(0.0, 0.0); d];
        apply_two_species(
            Some(&op_a),
            Some(&op_b),
            Some(&pair),
            rows,
            columns,
            &x,
            &mut hx,
        );
        let scale = hx.iter().map(|v| v.norm()).fold(1.0, f64::max);
        let h = ManyBodyHamiltonian::new(&model, &basis_a, &basis_b).unwrap();
        // Any order of the tiles gives the bits of row order: y, the sum and ⟨x, Hx⟩.
        let fused = |h: &ManyBodyHamiltonian| {
            let update = Update {
                operator: 0.7,
                input: -0.2,
                previous: -1.0,
            };
            let (mut y, mut z) = (y0.clone(), z0.clone());
            let accumulate = Accumulate {
                sum: &mut z,
                previous: Some(C64::new(0.3, -0.2)),
                input: Some(C64::new(0.0, 0.4)),
                output: C64::new(-0.4, 0.0),
            };
            h.apply_update(&x, &mut y, update, vec![accumulate]);
            let mut hx = vec![C64::new(0.0, 0.0); d];
            let dot = h.apply_and_dot(&x, &mut hx);
            let bits = |v: &[C64]| -> Vec<u64> {
                v.iter()
                    .flat_map(|z| [z.re.to_bits(), z.im.to_bits()])
                    .collect()
            };
            let energy = h.expectation(&x);
            (
                bits(&y),
                bits(&z),
                bits(&hx),
                [dot.re, dot.im, energy.re, energy.im].map(f64::to_bits),
            )
        };
        // ⟨x, Hx⟩ by the streamed expectation (its tiles by blocks of columns, D_B = 969 of
        // them) against the general kernel's Hx.
        let reference: C64 = x.iter().zip(&hx).map(|(x, y)| x.conj() * y).sum();
        let norm_sqr: f64 = x.iter().map(|x| x.norm_sqr()).sum();
        let energy = h.clone().with_one_pass(true).expectation(&x);
        assert!((energy - reference).norm() < 1e-13 * scale * norm_sqr);
        let rows_in_order = fused(&h.clone().with_one_pass(true).with_pencils(None));
        for w in [1, 2, 3] {
            let by_pencils = h.clone().with_one_pass(true).with_pencils(Some(w));
            assert!(fused(&by_pencils) == rows_in_order, "pencils of width {w}");
        }
        let passes = [None, Some(1), Some(5), Some(16), Some(17), Some(1000)]
            .map(|width| (Some(false), width, None))
            .into_iter()
            .chain([(None, None, None), (Some(true), None, None)])
            .chain([1, 2, 3].map(|w| (Some(true), None, Some(w))));
        for (one_pass, width, pencils) in passes {
            let mut h = h.clone();
            if let Some(w) = width {
                h = h.with_block_width(w);
            }
            if let Some(one) = one_pass {
                h = h.with_one_pass(one);
            }
            if pencils.is_some() {
                h = h.with_pencils(pencils);
            }
            let width = (one_pass, width, pencils);
            let mut y = vec![C64::new(0.0, 0.0); d];
            h.apply(&x, &mut y);
            let worst = (0..d).map(|i| (y[i] - hx[i]).norm()).fold(0.0, f64::max);
            assert!(worst < 1e-13 * scale, "{width:?}: H x off by {worst:e}");
            for update in [
                Update {
                    operator: 0.7,
                    input: -0.2,
                    previous: -1.0,
                },
                Update {
                    operator: 2.0,
                    input: 0.5,
                    previous: 0.3,
                },
            ] {
                let weights = [None, Some(C64::new(1.3, 0.0)), Some(C64::new(0.2, -0.6))];
                let pairs = weights
                    .iter()
                    .flat_map(|&p| weights.iter().map(move |&i| (p, i)));
                for (previous, input) in pairs {
                    // Two sums at once, the second with the first's weights swapped.
                    let (weight, weight2) = (C64::new(-0.4, 0.9), C64::new(0.0, -1.1));
                    let (mut y, mut z, mut z2) = (y0.clone(), z0.clone(), x.clone());
                    let accumulate = vec![
                        Accumulate {
                            sum: &mut z,
                            previous,
                            input,
                            output: weight,
                        },
                        Accumulate {
                            sum: &mut z2,
                            previous: input,
                            input: previous,
                            output: weight2,
                        },
                    ];
                    h.apply_update(&x, &mut y, update, accumulate);
                    let mut worst = 0.0f64;
                    for i in 0..d {
                        let expected =
                            update.operator * hx[i] + update.input * x[i] + update.previous * y0[i];
                        let sum = z0[i]
                            + previous.unwrap_or_default() * y0[i]
                            + input.unwrap_or_default() * x[i]
                            + weight * expected;
                        let sum2 = x[i]
                            + input.unwrap_or_default() * y0[i]
                            + previous.unwrap_or_default() * x[i]
                            + weight2 * expected;
                        worst = worst.max((y[i] - expected).norm());
                        worst = worst.max((z[i] - sum).norm());
                        worst = worst.max((z2[i] - sum2).norm());
                    }
                    assert!(
                        worst < 1e-13 * scale,
                        "{width:?} {update:?} {previous:?} {input:?}: {worst:e}"
                    );
                }
            }
        }
    }
}

/// The smallest tolerance accepted is one the arithmetic can keep: at TOLERANCE_FLOOR both
/// propagators stay within it of the dense exponential; below it the settings are refused
/// rather than promising an accuracy rounding cannot give.
#[test]
fn the_tolerance_floor_is_met_and_nothing_below_it_is_accepted() {
    let (small, initial) = ring_of_four_and_its_start();
    let floor = TOLERANCE_FLOOR;
    let times: Vec<f64> = (0..=8).map(|k| 3.0 * k as f64 / 8.0).collect();
    let lanczos = Lanczos::new(KrylovSettings::new(floor, 30).unwrap());
    let chebyshev = Chebyshev::new(floor).unwrap();
    let paired = chebyshev.with_paired_outputs(true);
    for (name, worst) in [
        (
            "Lanczos",
            floor_error(&lanczos, &small, initial.as_slice(), &times),
        ),
        (
            "Chebyshev",
            floor_error(&chebyshev, &small, initial.as_slice(), &times),
        ),
        (
            "Chebyshev, paired outputs",
            floor_error(&paired, &small, initial.as_slice(), &times),
        ),
    ] {
        assert!(worst < floor, "{name}: {worst:e} at tolerance {floor:e}");
    }
    for below in [floor / 2.0, 1e-300, 0.0, -1e-10, f64::NAN] {
        assert!(Chebyshev::new(below).is_err(), "{below:e}");
        assert!(KrylovSettings::new(below, 30).is_err(), "{below:e}");
    }
}

fn floor_error<P: Propagator>(
    propagator: &P,
    small: &Small,
    initial: &[C64],
    times: &[f64],
) -> f64 {
    let mut state = initial.to_vec();
    let mut worst = 0.0f64;
    propagator
        .propagate(&small.h, &mut state, times, |snap| {
            let exact = dense_propagate(&small.dense, initial, snap.time);
            worst = worst.max(distance(snap.state, &exact));
            Ok(())
        })
        .unwrap();
    worst
}

/// Paired outputs on irregular output times — repeated times, a time 0, intervals of every
/// length and an odd one out at the end — against the dense exponential, each output within
/// its error bound; fewer matvecs than one series per output; the work under way told matvec
/// by matvec, each output's count the last one told before it, with the planned count the
/// run's; and a run continued from each of its pauses ends on the same bits as the run that
/// never paused.
#[test]
fn paired_outputs_follow_the_dense_exponential_and_resume_to_the_same_bits() {
    let (small, initial) = ring_of_four_and_its_start();
    let initial = initial.as_slice();
    let times = [
        0.0, 0.0, 0.13, 0.5, 0.5, 0.61, 1.4, 2.0, 2.05, 2.3, 2.3, 3.0,
    ];
    let single = Chebyshev::new(1e-11).unwrap();
    let paired = single.with_paired_outputs(true);
    // Every output against the dense exponential, within its own bound.
    let mut outputs = Vec::new();
    let mut pauses = Vec::new();
    let (mut told, mut planned_told) = (0, Vec::new());
    let mut state = initial.to_vec();
    let stats = paired
        .propagate_from(&small.h, &mut state, &times, Progress::default(), |event| {
            match event {
                Event::Output(snap) => {
                    let error = bounded_error(&small.dense, initial, snap);
                    assert!(error < 1e-10, "t = {}: {error:e}", snap.time);
                    assert_eq!(snap.stats.matvecs, told, "t = {}", snap.time);
                    outputs.push((snap.index, snap.time, snap.stats.matvecs));
                }
                Event::Pause(progress, state) => pauses.push((*progress, state.to_vec())),
                Event::Working { matvecs, planned } => {
                    assert_eq!(matvecs, told + 1, "one matvec at a time");
                    told = matvecs;
                    planned_told.push(planned);
                }
            }
            Ok(())
        })
        .unwrap();
    let expected: Vec<usize> = (0..times.len()).collect();
    assert_eq!(
        outputs.iter().map(|o| o.0).collect::<Vec<_>>(),
        expected,
        "every output once, in order"
    );
    assert!(outputs.iter().zip(&times).all(|(o, &t)| o.1 == t));
    assert!(outputs.windows(2).all(|w| w[0].2 <= w[1].2), "{outputs:?}");
    assert!(stats.error_estimate <= 1e-11 * (1.0 + 1e-9));
    assert_eq!(told, stats.matvecs, "every matvec told");
    assert!(
        planned_told.iter().all(|&p| p == stats.matvecs),
        "planned as run"
    );
    let mut alone = initial.to_vec();
    let unpaired = single
        .propagate(&small.h, &mut alone, &times, |_| Ok(()))
        .unwrap();
    assert!(
        stats.matvecs < unpaired.matvecs,
        "paired {} against {} matvecs",
        stats.matvecs,
        unpaired.matvecs
    );
    // The plan counts what the run did, from the same interval.
    let (lower, upper) = small.h.spectral_bounds().unwrap();
    let half_width = 0.5 * (upper - lower);
    assert_eq!(paired.planned_matvecs(&times, half_width), stats.matvecs);
    assert_eq!(single.planned_matvecs(&times, half_width), unpaired.matvecs);
    // Fewer pauses than outputs: a pair pauses once, after its second output.
    assert!(pauses.len() < times.len(), "{} pauses", pauses.len());
    for (progress, paused) in &pauses {
        let mut resumed = paused.clone();
        let end = paired
            .propagate_from(&small.h, &mut resumed, &times, *progress, |_| Ok(()))
            .unwrap();
        assert!(resumed == state, "resumed from t = {}", progress.time);
        assert_eq!(end, stats, "resumed from t = {}", progress.time);
    }
    eprintln!(
        "paired outputs: {} matvecs against {} unpaired, {} pauses for {} outputs",
        stats.matvecs,
        unpaired.matvecs,
        pauses.len(),
        times.len()
    );
}
