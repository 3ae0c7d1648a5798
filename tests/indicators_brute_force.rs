//! α^(1,1), α^(1,0), α^(0,1) from the engine (as norms of a(u) ⊗ b(v), a(u) ⊗ 1 and 1 ⊗ b(v)
//! applied to Ψ) against the
//! brute-force partial trace (2.4) of the first-quantised state, for 2–3 particles per species.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::evolution::propagation::{Lanczos, Propagator};
use pickl::measure::observables::IndicatorWorkspace;
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::space::fock::FockBasis;
use pickl::space::state::TwoSpeciesState;
use pickl::C64;

/// α's by brute force: γ^(1,1) from the partial trace, then 1 − ⟨u⊗v, γ u⊗v⟩ and the
/// one-species marginals by tracing γ^(1,1) once more.
fn brute_force(
    psi: &[C64],
    m: usize,
    n1: usize,
    n2: usize,
    u: &[C64],
    v: &[C64],
) -> (f64, f64, f64) {
    let gamma = gamma11_brute_force(psi, m, n1, n2);
    let norm_sqr: f64 = psi.iter().map(|z| z.norm_sqr()).sum();
    let mut uv = 0.0;
    let (mut u_only, mut v_only) = (0.0, 0.0);
    for x in 0..m {
        for y in 0..m {
            for x2 in 0..m {
                for y2 in 0..m {
                    let g = gamma[(x + m * y, x2 + m * y2)];
                    uv += (u[x].conj() * v[y].conj() * g * u[x2] * v[y2]).re;
                    if y == y2 {
                        u_only += (u[x].conj() * g * u[x2]).re;
                    }
                    if x == x2 {
                        v_only += (v[y].conj() * g * v[y2]).re;
                    }
                }
            }
        }
    }
    (
        1.0 - uv / norm_sqr,
        1.0 - u_only / norm_sqr,
        1.0 - v_only / norm_sqr,
    )
}

fn check(n1: usize, n2: usize, m: usize) {
    let lattice = Lattice::ring(m).unwrap();
    let model = model(
        lattice.clone(),
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 0.9),
        (0.3, -0.2),
        (&[], &[]),
        ("gauss:3,1", "contact:2", "gauss:-1.5,1"),
    );
    let basis_a = FockBasis::new(m, n1).unwrap();
    let basis_b = FockBasis::new(m, n2).unwrap();
    let h = ManyBodyHamiltonian::new(&model, &basis_a, &basis_b).unwrap();
    let (u0, v0) = (
        orbital(&lattice, "gauss:0,1,0.5"),
        orbital(&lattice, "gauss:1,0.8,-0.3"),
    );
    let mut state = TwoSpeciesState::product(&basis_a, &u0, &basis_b, &v0)
        .unwrap()
        .as_slice()
        .to_vec();
    // Evolve so that the state is correlated, then measure against orbitals other than u0, v0.
    Lanczos::default()
        .propagate(&h, &mut state, &[0.0, 1.5], |_| Ok(()))
        .unwrap();
    let u = orbital(&lattice, "gauss:0.5,1.2,0.2");
    let v = orbital(
        &lattice,
        if m == 3 {
            "list:1,0.3i,-0.5"
        } else {
            "list:1,0.3i,-0.5,0.2-0.1i"
        },
    );
    let mut workspace = IndicatorWorkspace::new(&basis_a, &basis_b);
    let engine = workspace.indicators(&state, &u, &v).unwrap();
    let psi = first_quantised_state(&basis_a, &basis_b, &state);
    let (alpha11, alpha10, alpha01) = brute_force(&psi, m, n1, n2, &u, &v);
    eprintln!(
        "N1={n1} N2={n2} M={m}: alpha11 engine {:.15} brute force {alpha11:.15}",
        engine.alpha11
    );
    assert!(
        engine.alpha11 > 1e-3,
        "the test state should be far from u⊗v"
    );
    assert!((engine.alpha11 - alpha11).abs() < 1e-12);
    assert!((engine.alpha10 - alpha10).abs() < 1e-12);
    assert!((engine.alpha01 - alpha01).abs() < 1e-12);
}

#[test]
fn two_and_two_on_three_sites() {
    check(2, 2, 3);
}

#[test]
fn two_and_three_on_three_sites() {
    check(2, 3, 3);
}

#[test]
fn three_and_three_on_three_sites() {
    check(3, 3, 3);
}

#[test]
fn three_and_two_on_four_sites() {
    check(3, 2, 4);
}

/// One particle of a species: a(u) lowers it to the vacuum, a space of one state.
#[test]
fn one_and_three_then_three_and_one() {
    check(1, 3, 3);
    check(3, 1, 4);
}

#[test]
fn reduced_density_matrices_equal_the_partial_traces() {
    use pickl::measure::reduced::{one_body_density, two_species_density, Component};
    for (m, n1, n2, seed) in [(3, 2, 3, 31u64), (2, 3, 3, 32), (4, 2, 2, 33)] {
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let psi = first_quantised_state(&basis_a, &basis_b, &state);
        let reference = gamma11_brute_force(&psi, m, n1, n2);
        let gamma11 = two_species_density(&basis_a, &basis_b, &state).unwrap();
        let gamma10 = one_body_density(&basis_a, &basis_b, &state, Component::A).unwrap();
        let gamma01 = one_body_density(&basis_a, &basis_b, &state, Component::B).unwrap();
        let mut worst = 0.0f64;
        for i in 0..m * m {
            for j in 0..m * m {
                worst = worst.max((gamma11[(i, j)] - reference[(i, j)]).norm());
            }
        }
        // γ^(1,0)(x,x′) = Σ_y γ^(1,1)((x,y),(x′,y)), and likewise for γ^(0,1).
        for x in 0..m {
            for x2 in 0..m {
                let traced_a: C64 = (0..m).map(|y| reference[(x + m * y, x2 + m * y)]).sum();
                let traced_b: C64 = (0..m).map(|z| reference[(z + m * x, z + m * x2)]).sum();
                worst = worst.max((gamma10[(x, x2)] - traced_a).norm());
                worst = worst.max((gamma01[(x, x2)] - traced_b).norm());
            }
        }
        assert!(worst < 1e-13, "M={m} N1={n1} N2={n2}: {worst:e}");
    }
}

#[test]
fn higher_reduced_density_matrices_equal_the_partial_traces() {
    use pickl::measure::reduced::{
        product_vector, reduced_density, trace_distance_to_pure, two_species_density,
    };
    for (m, n1, n2, seed) in [(2, 3, 3, 41u64), (3, 3, 2, 42), (3, 2, 3, 43)] {
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let (u, v) = (random_state(m, seed + 1), random_state(m, seed + 2));
        let psi = first_quantised_state(&basis_a, &basis_b, &state);
        let pi = counting_distribution(&basis_a, &basis_b, &state, &u, &v);
        for (k1, k2) in [(1, 0), (0, 2), (1, 1), (2, 1), (1, 2), (2, 2)] {
            if k1 > n1 || k2 > n2 {
                continue;
            }
            let engine = reduced_density(&basis_a, &basis_b, &state, k1, k2).unwrap();
            let reference = gamma_brute_force(&psi, m, (n1, n2), (k1, k2));
            // Project the first-quantised kernel on the symmetric basis: (S_k1 ⊗ S_k2)† γ (S_k1 ⊗ S_k2).
            let (sa, sb) = (symmetriser(&engine.basis_a), symmetriser(&engine.basis_b));
            let (ka, kb) = (sa.nrows(), sb.nrows());
            let p = engine.matrix.nrows();
            let column = |index: usize| -> Vec<C64> {
                let (i, j) = (index / engine.basis_b.dim(), index % engine.basis_b.dim());
                (0..ka * kb)
                    .map(|r| sa[(r % ka, i)] * sb[(r / ka, j)])
                    .collect()
            };
            let columns: Vec<Vec<C64>> = (0..p).map(column).collect();
            let mut worst = 0.0f64;
            for i in 0..p {
                for j in 0..p {
                    let mut value = c(0.0);
                    for r in 0..ka * kb {
                        for s in 0..ka * kb {
                            value += columns[i][r].conj() * reference[(r, s)] * columns[j][s];
                        }
                    }
                    worst = worst.max((value - engine.matrix[(i, j)]).norm());
                }
            }
            assert!(
                worst < 1e-13,
                "M={m} N=({n1},{n2}) k=({k1},{k2}): {worst:e}"
            );
            // α^(k1,k2) through γ equals α^(k1,k2) through the counting distribution.
            let through_gamma = engine.alpha(&u, &v).unwrap();
            let through_pi = pi.alpha(k1, k2).unwrap();
            assert!(
                (through_gamma - through_pi).abs() < 1e-12,
                "k=({k1},{k2}): {through_gamma} vs {through_pi}"
            );
        }
        // R^(1,1) by both routes.
        let r_gram = reduced_density(&basis_a, &basis_b, &state, 1, 1)
            .unwrap()
            .trace_distance(&u, &v)
            .unwrap();
        let r_direct = trace_distance_to_pure(
            &two_species_density(&basis_a, &basis_b, &state).unwrap(),
            &product_vector(&u, &v),
        )
        .unwrap();
        assert!((r_gram - r_direct).abs() < 1e-12, "{r_gram} vs {r_direct}");
    }
}

/// (2.25): α^(k₁,k₂) for every k₁ ≤ N₁, k₂ ≤ N₂ (the table `counting` writes) equals
/// 1 − ⟨u^{⊗k₁}⊗v^{⊗k₂}, γ^(k₁,k₂) u^{⊗k₁}⊗v^{⊗k₂}⟩ with γ^(k₁,k₂) the first-quantised partial
/// trace, up to k = N.
#[test]
fn every_fraction_indicator_equals_the_first_quantised_one() {
    use pickl::measure::counting::fractions::fraction_rows;
    let mut checked = 0;
    for (m, n1, n2, seed) in [(2, 3, 3, 61u64), (3, 3, 2, 62), (2, 4, 1, 63)] {
        // A state near the double condensate, so that α^(k₁,k₂) spans a range of values.
        let NearCondensate {
            basis_a,
            basis_b,
            state,
            u,
            v,
            ..
        } = near_condensate(m, (n1, n2), seed, 0.45);
        let psi = first_quantised_state(&basis_a, &basis_b, &state);
        let pi = counting_distribution(&basis_a, &basis_b, &state, &u, &v);
        for row in fraction_rows(&pi, 0.0).unwrap() {
            let (k1, k2) = (row.k1, row.k2);
            let gamma = gamma_brute_force(&psi, m, (n1, n2), (k1, k2));
            let ka = m.pow(k1 as u32);
            // u^{⊗k₁} ⊗ v^{⊗k₂} at index X + M^{k₁} Y.
            let product = |index: usize| -> C64 {
                let (x, y) = (index % ka, index / ka);
                configuration(x, m, k1)
                    .iter()
                    .map(|&s| u[s])
                    .product::<C64>()
                    * configuration(y, m, k2)
                        .iter()
                        .map(|&s| v[s])
                        .product::<C64>()
            };
            let dim = gamma.nrows();
            let mut overlap = c(0.0);
            for i in 0..dim {
                for j in 0..dim {
                    overlap += product(i).conj() * gamma[(i, j)] * product(j);
                }
            }
            let reference = 1.0 - overlap.re;
            assert!(
                (row.alpha - reference).abs() < 1e-12,
                "M={m} N=({n1},{n2}) k=({k1},{k2}): {} vs first quantisation {reference}",
                row.alpha
            );
            // Lemma 3.2 (3.8) on these states.
            if let Some(ratio) = row.over_max_k_alpha11 {
                assert!(
                    ratio <= 1.0 + 1e-12,
                    "(3.8) fails at k=({k1},{k2}): {ratio}"
                );
            }
            checked += 1;
        }
    }
    eprintln!("{checked} indicators alpha^(k1,k2) checked up to k = N");
}
