//! Appendix A in first quantisation on small spaces, with dense p_i, q_i and P_k built from their
//! definitions (A.1)–(A.2):
//! * the library's second-quantised sides of (A.10), (A.11), (A.13), (A.14) equal the same
//!   expectations evaluated with the dense operators;
//! * Lemma A.2 (A.12) holds for Φ symmetric in particles 2..N only;
//! * Lemma A.3 (A.16)/(A.17) holds as an operator identity for r = 2: Q₁ A₁₂ f̂ Q₂ = Q₁ τ_n f̂ A₁₂ Q₂
//!   (with the dense p, q and P_k of `tests/common`, the one home of the first-quantised oracle).

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::Mat;
use pickl::measure::counting::weights::{n_inverse, shifted};
use pickl::measure::lemmas::{lemma_a_1, lemma_a_2_chain_13, lemma_a_2_chain_14, Component};
use pickl::space::fock::FockBasis;
use pickl::C64;

#[test]
fn second_quantised_sides_equal_first_quantised_expectations() {
    for (m, n1, n2, seed) in [(3, 3, 2, 51u64), (2, 3, 3, 52), (3, 2, 2, 53)] {
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let state = random_state(basis_a.dim() * basis_b.dim(), seed);
        let (u, v) = (random_state(m, seed + 7), random_state(m, seed + 8));
        let pi = counting_distribution(&basis_a, &basis_b, &state, &u, &v);
        let psi = first_quantised_state(&basis_a, &basis_b, &state);
        let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
        let (pa, qa) = projector(&u);
        let (pb, qb) = projector(&v);
        let f = |k: usize| 0.3 + (k as f64).sqrt();
        let fa = lift(&weighted(&u, n1, f), true, da, db);
        let q1a = lift(&on_particle(&qa, 0, n1), true, da, db);
        let q2a = lift(&on_particle(&qa, 1, n1), true, da, db);
        let p2a = lift(&on_particle(&pa, 1, n1), true, da, db);
        let p1b = lift(&on_particle(&pb, 0, n2), false, da, db);
        let q1b = lift(&on_particle(&qb, 0, n2), false, da, db);
        let [a10, a11] = lemma_a_1(&pi, Component::A, f);
        assert!((a10.left - expectation(&psi, &product(&fa, &q1a))).abs() < 1e-12);
        assert!((a11.left - expectation(&psi, &product(&fa, &product(&q1a, &q2a)))).abs() < 1e-12);
        // (A.13): ⟨n̂⁻² q₁q₂ p₁^B⟩, N/(N−1)‖n̂⁻¹n̂ q₂ p₁^B Ψ‖², 2‖q₂Ψ‖².
        let n_inv = n_inverse(n1);
        let inverse_squared = lift(&weighted(&u, n1, |k| n_inv(k).powi(2)), true, da, db);
        let identity_on_q = lift(
            &weighted(&u, n1, |k| if k == 0 { 0.0 } else { 1.0 }),
            true,
            da,
            db,
        );
        let chain13 = lemma_a_2_chain_13(&pi, Component::A);
        let left13 = expectation(
            &psi,
            &product(&inverse_squared, &product(&q1a, &product(&q2a, &p1b))),
        );
        assert!(
            (chain13[0].left - left13).abs() < 1e-12,
            "{} vs {left13}",
            chain13[0].left
        );
        let lifted13 = n1 as f64 / (n1 as f64 - 1.0)
            * expectation(&psi, &product(&identity_on_q, &product(&q2a, &p1b)));
        assert!((chain13[1].right - lifted13).abs() < 1e-12);
        assert!((chain13[2].right - 2.0 * expectation(&psi, &q2a)).abs() < 1e-12);
        // (A.14): ⟨n̂⁻² p₂ q₁ q₁^B⟩ and N/(N−1)‖n̂⁻¹n̂ p₂ q₁^B Ψ‖².
        let chain14 = lemma_a_2_chain_14(&pi, Component::A);
        let left14 = expectation(
            &psi,
            &product(&inverse_squared, &product(&p2a, &product(&q1a, &q1b))),
        );
        assert!(
            (chain14[0].left - left14).abs() < 1e-12,
            "{} vs {left14}",
            chain14[0].left
        );
        let lifted14 = n1 as f64 / (n1 as f64 - 1.0)
            * expectation(&psi, &product(&identity_on_q, &product(&p2a, &q1b)));
        assert!((chain14[0].right - lifted14).abs() < 1e-12);
        for check in chain13.iter().chain(&chain14).chain([&a10, &a11]) {
            assert!(
                check.slack() >= -1e-12,
                "{}: {}",
                check.label,
                check.slack()
            );
        }
    }
}

#[test]
fn lemma_a_2_holds_for_states_symmetric_in_all_but_the_first_particle() {
    // Φ ∈ h ⊗ H_{N−1,sym}: a product of an arbitrary one-particle vector and a symmetric rest,
    // plus a second such term, so that Φ is not symmetric in particle 1.
    let (m, n) = (3usize, 3usize);
    let u = random_state(m, 61);
    let rest = FockBasis::new(m, n - 1).unwrap();
    let sym = symmetriser(&rest);
    let mut phi = vec![c(0.0); m.pow(n as u32)];
    for (term, seed) in [(0usize, 62u64), (1, 63)] {
        let first = random_state(m, seed);
        let coefficients = random_state(rest.dim(), seed + 10 + term as u64);
        let rest_state: Vec<C64> = (0..sym.nrows())
            .map(|r| (0..rest.dim()).map(|k| sym[(r, k)] * coefficients[k]).sum())
            .collect();
        for x in 0..m {
            for r in 0..rest_state.len() {
                phi[x + m * r] += first[x] * rest_state[r];
            }
        }
    }
    let (_, q) = projector(&u);
    let q1 = on_particle(&q, 0, n);
    let n_hat = weighted(&u, n, |k| (k as f64 / n as f64).sqrt());
    for f in [
        |k: usize| 1.0 + k as f64,
        |k: usize| if k == 0 { 0.0 } else { 1.0 / k as f64 },
    ] {
        let fh = weighted(&u, n, f);
        let norm_sqr = |op: &Mat<C64>| -> f64 {
            let image: Vec<C64> = (0..phi.len())
                .map(|i| (0..phi.len()).map(|j| op[(i, j)] * phi[j]).sum())
                .collect();
            image.iter().map(|z| z.norm_sqr()).sum()
        };
        let left = norm_sqr(&(&fh * &q1));
        let right = n as f64 / (n as f64 - 1.0) * norm_sqr(&(&fh * &n_hat));
        assert!(left <= right + 1e-12, "(A.12): {left} > {right}");
    }
}

#[test]
fn lemma_a_3_is_an_operator_identity_for_two_body_operators() {
    let (m, n) = (2usize, 4usize);
    let u = random_state(m, 71);
    let (p, q) = projector(&u);
    // A random two-body operator A₁₂ on particles 1, 2, embedded in (C^M)^{⊗N}.
    let entries = random_state(m.pow(4), 72);
    let dim = m.pow(n as u32);
    let a12 = Mat::from_fn(dim, dim, |row, col| {
        let (r12, c12) = (row % (m * m), col % (m * m));
        if row / (m * m) == col / (m * m) {
            entries[r12 * m * m + c12]
        } else {
            c(0.0)
        }
    });
    let f = |k: usize| (1.0 + k as f64).ln() + 0.5 * k as f64;
    let monomials = |a: bool, b: bool| -> (Mat<C64>, usize) {
        let first = on_particle(if a { &q } else { &p }, 0, n);
        let second = on_particle(if b { &q } else { &p }, 1, n);
        (&first * &second, a as usize + b as usize)
    };
    let mut worst = 0.0f64;
    for (a1, b1) in [(false, false), (false, true), (true, false), (true, true)] {
        for (a2, b2) in [(false, false), (false, true), (true, false), (true, true)] {
            let (q1, n1) = monomials(a1, b1);
            let (q2, n2) = monomials(a2, b2);
            let shift = n2 as i64 - n1 as i64;
            let left = &(&(&q1 * &a12) * &weighted(&u, n, f)) * &q2;
            let right = &(&(&q1 * &weighted(&u, n, shifted(f, shift, n))) * &a12) * &q2;
            for i in 0..dim {
                for j in 0..dim {
                    worst = worst.max((left[(i, j)] - right[(i, j)]).norm());
                }
            }
        }
    }
    assert!(worst < 1e-12, "(A.16) violated by {worst:e}");
}
