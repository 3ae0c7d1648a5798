//! The condensate frame and the counting distribution against independent computations:
//! the product state goes to the single occupation (N, 0, …, 0), the change is unitary and
//! round-trips, π equals ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩ with P_k built in first quantisation from
//! products of p_i and q_i (A.2), and α's from π equal the engine's.

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::measure::counting::{CondensateFrame, CountingDistribution};
use pickl::measure::observables::IndicatorWorkspace;
use pickl::model::lattice::Lattice;
use pickl::space::fock::FockBasis;
use pickl::space::state::TwoSpeciesState;
use pickl::C64;

fn condensate_rank(basis: &FockBasis) -> usize {
    let mut occ = vec![0u32; basis.modes()];
    occ[0] = basis.particles() as u32;
    basis.rank(&occ)
}

#[test]
fn the_double_condensate_becomes_a_single_occupation() {
    for (m, n1, n2) in [(2, 500, 300), (3, 40, 25), (4, 12, 9), (5, 4, 6)] {
        let lattice = Lattice::ring(m).unwrap();
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let u = orbital(&lattice, "gauss:0.3,1.1,0.7");
        let v = random_state(m, 11);
        let state = TwoSpeciesState::product(&basis_a, &u, &basis_b, &v).unwrap();
        let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
        let transformed = frame.to_frame(state.as_slice(), &u, &v).unwrap();
        let target = condensate_rank(&basis_a) * basis_b.dim() + condensate_rank(&basis_b);
        let worst = transformed
            .iter()
            .enumerate()
            .map(|(i, z)| (z - if i == target { c(1.0) } else { c(0.0) }).norm())
            .fold(0.0, f64::max);
        eprintln!("M={m} N1={n1} N2={n2}: largest deviation from |N,0..> x |N,0..> {worst:.1e}");
        assert!(worst < 1e-11, "M={m}: {worst:e}");
    }
}

#[test]
fn the_frame_change_is_unitary_and_round_trips() {
    for (m, n1, n2, seed) in [(2, 30, 20, 1u64), (3, 8, 6, 2), (4, 5, 5, 3), (6, 3, 2, 4)] {
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let (u, v) = (random_state(m, seed + 10), random_state(m, seed + 20));
        let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
        let there = frame.to_frame(&state, &u, &v).unwrap();
        let norm: f64 = there.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-13, "M={m}: norm {norm}");
        let back = frame.from_frame(&there, &u, &v).unwrap();
        assert!(
            distance(&back, &state) < 1e-12,
            "M={m}: round trip {:e}",
            distance(&back, &state)
        );
        // ⟨N_u^A⟩ before = ⟨n_0^A⟩ after, and the α's from π equal the engine's.
        let pi = CountingDistribution::from_frame_state(&basis_a, &basis_b, &there).unwrap();
        let engine = IndicatorWorkspace::new(&basis_a, &basis_b)
            .indicators(&state, &u, &v)
            .unwrap();
        let total: f64 = (0..=n1)
            .flat_map(|a| (0..=n2).map(move |b| (a, b)))
            .map(|(a, b)| pi.probability(a, b))
            .sum();
        assert!((total - 1.0).abs() < 1e-13);
        assert!((pi.alpha(1, 0).unwrap() - engine.alpha10).abs() < 1e-12);
        assert!((pi.alpha(0, 1).unwrap() - engine.alpha01).abs() < 1e-12);
        assert!(
            (pi.alpha(1, 1).unwrap() - engine.alpha11).abs() < 1e-12,
            "M={m}"
        );
        let (mean_a, _) = pi.moments_a();
        assert!((mean_a / n1 as f64 - engine.alpha10).abs() < 1e-12);
    }
}

#[test]
fn counting_distribution_equals_first_quantised_projections() {
    for (m, n1, n2, seed) in [(3, 2, 2, 5u64), (3, 3, 2, 6), (2, 3, 3, 7), (4, 2, 3, 8)] {
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let (u, v) = (random_state(m, seed + 100), random_state(m, seed + 200));
        let pi = counting_distribution(&basis_a, &basis_b, &state, &u, &v);
        let psi = first_quantised_state(&basis_a, &basis_b, &state);
        let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
        for ka in 0..=n1 {
            let pa = counting_projection(&u, n1, ka);
            for kb in 0..=n2 {
                let pb = counting_projection(&v, n2, kb);
                // ⟨Ψ, (P^A ⊗ P^B) Ψ⟩ with index a + da·b.
                let mut value = c(0.0);
                for b in 0..db {
                    for a in 0..da {
                        let mut image = c(0.0);
                        for b2 in 0..db {
                            if pb[(b, b2)] == c(0.0) {
                                continue;
                            }
                            for a2 in 0..da {
                                image += pa[(a, a2)] * pb[(b, b2)] * psi[a2 + da * b2];
                            }
                        }
                        value += psi[a + da * b].conj() * image;
                    }
                }
                let difference = (value.re - pi.probability(ka, kb)).abs();
                assert!(
                    difference < 1e-12,
                    "M={m} N1={n1} N2={n2} k=({ka},{kb}): {difference:e}"
                );
            }
        }
    }
}

#[test]
fn one_particle_frames_are_the_one_body_unitary() {
    use pickl::measure::counting::frame_unitary;
    for m in [2usize, 3, 5] {
        let u = random_state(m, 90 + m as u64);
        let w = frame_unitary(&u);
        for i in 0..m {
            let wu: C64 = (0..m).map(|x| w[(i, x)] * u[x]).sum();
            assert!((wu - if i == 0 { c(1.0) } else { c(0.0) }).norm() < 1e-14);
            for j in 0..m {
                let ww: C64 = (0..m).map(|x| w[(i, x)] * w[(j, x)].conj()).sum();
                assert!((ww - if i == j { c(1.0) } else { c(0.0) }).norm() < 1e-14);
            }
        }
        // With one particle per species the frame change is W ⊗ W_B on the site amplitudes.
        let (basis_a, basis_b) = (FockBasis::new(m, 1).unwrap(), FockBasis::new(m, 1).unwrap());
        let state = random_state(m * m, 95);
        let v = random_state(m, 96);
        let wv = frame_unitary(&v);
        let there = CondensateFrame::new(&basis_a, &basis_b)
            .unwrap()
            .to_frame(&state, &u, &v)
            .unwrap();
        let site = |basis: &FockBasis, x: usize| {
            let mut occ = vec![0u32; m];
            occ[x] = 1;
            basis.rank(&occ)
        };
        for k in 0..m {
            for l in 0..m {
                let mut expected = c(0.0);
                for x in 0..m {
                    for y in 0..m {
                        expected += w[(k, x)]
                            * wv[(l, y)]
                            * state[site(&basis_a, x) * m + site(&basis_b, y)];
                    }
                }
                let got = there[site(&basis_a, k) * m + site(&basis_b, l)];
                assert!(
                    (got - expected).norm() < 1e-13,
                    "M={m}: {got} vs {expected}"
                );
            }
        }
    }
}

#[test]
fn two_body_operators_equal_their_first_quantised_sums() {
    use pickl::space::fock::SpeciesOperator;
    for (m, n, seed) in [(3usize, 3usize, 101u64), (2, 4, 102), (4, 2, 103)] {
        let basis = FockBasis::new(m, n).unwrap();
        let entries = random_state(m.pow(4), seed);
        let t = faer::Mat::from_fn(m * m, m * m, |i, j| entries[i * m * m + j]);
        let engine = SpeciesOperator::from_two_body(&basis, &t)
            .unwrap()
            .to_dense();
        // Σ_{i≠j} T_ij on (C^M)^{⊗N}, then S† · S.
        let dim = m.pow(n as u32);
        let mut first = faer::Mat::<C64>::zeros(dim, dim);
        for row in 0..dim {
            let xs = configuration(row, m, n);
            for col in 0..dim {
                let ys = configuration(col, m, n);
                for i in 0..n {
                    for j in 0..n {
                        if i == j || (0..n).any(|k| k != i && k != j && xs[k] != ys[k]) {
                            continue;
                        }
                        first[(row, col)] += t[(xs[i] + m * xs[j], ys[i] + m * ys[j])];
                    }
                }
            }
        }
        let s = symmetriser(&basis);
        let mut worst = 0.0f64;
        for a in 0..basis.dim() {
            for b in 0..basis.dim() {
                let mut value = c(0.0);
                for r in 0..dim {
                    if s[(r, a)] == c(0.0) {
                        continue;
                    }
                    for q in 0..dim {
                        value += s[(r, a)] * first[(r, q)] * s[(q, b)];
                    }
                }
                worst = worst.max((value - engine[(a, b)]).norm());
            }
        }
        assert!(worst < 1e-12, "M={m} N={n}: {worst:e}");
    }
}
