//! The first BBGKY equation (4.13) and its limit form (4.14) against first-quantised brute
//! force: the left side as the partial trace of [H, |ψ⟩⟨ψ|] with the dense first-quantised H
//! (2.8), the right sides assembled literally from the marginals γ^(1,1), γ^(2,1), γ^(1,2) and
//! γ^(2,2) obtained by partial traces, with the commutators and partial traces of the paper.

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::Mat;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::measure::hierarchy::FirstEquation;
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::model::Model;
use pickl::space::fock::FockBasis;
use pickl::C64;

/// The right sides of (4.13) and (4.14) written out from the marginals (None for (4.14) and for
/// the γ^(2,·) terms when a species has one particle).
fn right_sides(model: &Model, psi: &[C64]) -> (Mat<C64>, Option<Mat<C64>>) {
    let m = model.sites();
    let (sa, sb) = (model.species_a(), model.species_b());
    let (n1, n2) = (sa.particles, sb.particles);
    let (v1, v2, v12) = (&sa.potential, &sb.potential, model.inter_potential());
    let (h1, h2) = (sa.hamiltonian.matrix(), sb.hamiltonian.matrix());
    let total = (n1 + n2) as f64;
    let g11 = cross_marginal(psi, psi, m, (n1, n2), (1, 1));
    let g21 = (n1 >= 2).then(|| cross_marginal(psi, psi, m, (n1, n2), (2, 1)));
    let g12 = (n2 >= 2).then(|| cross_marginal(psi, psi, m, (n1, n2), (1, 2)));
    let g22 = (n1 >= 2 && n2 >= 2).then(|| cross_marginal(psi, psi, m, (n1, n2), (2, 2)));
    let p = m * m;
    let mut commutator = Mat::<C64>::zeros(p, p);
    let mut a_terms = Mat::<C64>::zeros(p, p);
    let mut b_terms = Mat::<C64>::zeros(p, p);
    let mut direct = Mat::<C64>::zeros(p, p);
    for k in 0..p {
        let (x, y) = (k % m, k / m);
        for l in 0..p {
            let (xp, yp) = (l % m, l / m);
            // [(h₁)_1 + (h₂)_1, γ^(1,1)] = (h ⊗ 1 + 1 ⊗ h)γ − γ(h ⊗ 1 + 1 ⊗ h).
            let mut value = c(0.0);
            for z in 0..m {
                value += h1[(x, z)] * g11[(z + m * y, l)] - g11[(k, z + m * yp)] * h1[(z, xp)];
                value += h2[(y, z)] * g11[(x + m * z, l)] - g11[(k, xp + m * z)] * h2[(z, yp)];
            }
            commutator[(k, l)] = value;
            // (N₁−1)/N₁ Tr_{x₂}[V₁(x₁−x₂), γ^(2,1)], indexed (x₁ + M x₂) + M² y₁.
            if let Some(g21) = &g21 {
                for z in 0..m {
                    let g = g21[((x + m * z) + p * y, (xp + m * z) + p * yp)];
                    a_terms[(k, l)] +=
                        g * ((v1.value(x, z) - v1.value(xp, z)) * (n1 - 1) as f64 / n1 as f64);
                }
            }
            // (N₂−1)/N₂ Tr_{y₂}[V₂(y₁−y₂), γ^(1,2)], indexed x₁ + M (y₁ + M y₂).
            if let Some(g12) = &g12 {
                for w in 0..m {
                    let g = g12[(x + m * (y + m * w), xp + m * (yp + m * w))];
                    b_terms[(k, l)] +=
                        g * ((v2.value(y, w) - v2.value(yp, w)) * (n2 - 1) as f64 / n2 as f64);
                }
            }
            // 1/(N₁+N₂) Tr_{x₂,y₂}[(N₂−1)V₁₂(x₁−y₂) + (N₁−1)V₁₂(y₁−x₂) + V₁₂(x₁−y₁), γ^(2,2)].
            if let Some(g22) = &g22 {
                for z in 0..m {
                    for w in 0..m {
                        let g = g22[(
                            (x + m * z) + p * (y + m * w),
                            (xp + m * z) + p * (yp + m * w),
                        )];
                        b_terms[(k, l)] +=
                            g * ((n2 - 1) as f64 * (v12.value(x, w) - v12.value(xp, w)) / total);
                        a_terms[(k, l)] +=
                            g * ((n1 - 1) as f64 * (v12.value(y, z) - v12.value(yp, z)) / total);
                        direct[(k, l)] += g * ((v12.value(x, y) - v12.value(xp, yp)) / total);
                    }
                }
            } else {
                // With one particle of a species the (N−1) terms of that species vanish and
                // the others act on the marginal that exists.
                if let Some(g12) = &g12 {
                    for w in 0..m {
                        let g = g12[(x + m * (y + m * w), xp + m * (yp + m * w))];
                        b_terms[(k, l)] +=
                            g * ((n2 - 1) as f64 * (v12.value(x, w) - v12.value(xp, w)) / total);
                    }
                }
                if let Some(g21) = &g21 {
                    for z in 0..m {
                        let g = g21[((x + m * z) + p * y, (xp + m * z) + p * yp)];
                        a_terms[(k, l)] +=
                            g * ((n1 - 1) as f64 * (v12.value(y, z) - v12.value(yp, z)) / total);
                    }
                }
                direct[(k, l)] = g11[(k, l)] * ((v12.value(x, y) - v12.value(xp, yp)) / total);
            }
        }
    }
    let rhs = Mat::from_fn(p, p, |k, l| {
        commutator[(k, l)] + a_terms[(k, l)] + b_terms[(k, l)] + direct[(k, l)]
    });
    // (4.14): Tr_{x₂}[V₁, γ^(2,1)] + Tr_{y₂}[V₂, γ^(1,2)] + Tr_{x₂,y₂}[c₂V₁₂(x₁−y₂) + c₁V₁₂(y₁−x₂), γ^(2,2)].
    let limit = g22.as_ref().map(|g22| {
        let (g21, g12) = (g21.as_ref().unwrap(), g12.as_ref().unwrap());
        let (c1, c2) = (model.c1(), model.c2());
        Mat::from_fn(p, p, |k, l| {
            let (x, y, xp, yp) = (k % m, k / m, l % m, l / m);
            let mut value = commutator[(k, l)];
            for z in 0..m {
                value += g21[((x + m * z) + p * y, (xp + m * z) + p * yp)]
                    * (v1.value(x, z) - v1.value(xp, z));
                value += g12[(x + m * (y + m * z), xp + m * (yp + m * z))]
                    * (v2.value(y, z) - v2.value(yp, z));
                for w in 0..m {
                    let g = g22[(
                        (x + m * z) + p * (y + m * w),
                        (xp + m * z) + p * (yp + m * w),
                    )];
                    value += g
                        * (c2 * (v12.value(x, w) - v12.value(xp, w))
                            + c1 * (v12.value(y, z) - v12.value(yp, z)));
                }
            }
            value
        })
    });
    (rhs, limit)
}

fn largest_difference(a: &Mat<C64>, b: &Mat<C64>) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            worst = worst.max((a[(i, j)] - b[(i, j)]).norm());
        }
    }
    worst
}

fn largest(a: &Mat<C64>) -> f64 {
    largest_difference(a, &Mat::zeros(a.nrows(), a.ncols()))
}

fn check(m: usize, (n1, n2): (usize, usize), seed: u64) {
    let lattice = Lattice::ring(m).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 0.7),
        (0.3, -0.2),
        (&[0.5, 0.1, 0.0, 0.3][..m], &[0.0, 0.2, 0.4, 0.1][..m]),
        ("gauss:1.3,1", "contact:2", "gauss:-0.6,1.2"),
    );
    let (basis_a, basis_b) = (
        FockBasis::new(m, n1).unwrap(),
        FockBasis::new(m, n2).unwrap(),
    );
    let state = random_state(basis_a.dim() * basis_b.dim(), seed);
    let h = ManyBodyHamiltonian::new(&model, &basis_a, &basis_b).unwrap();
    let equation = FirstEquation::evaluate(&model, &h, &basis_a, &basis_b, &state).unwrap();

    let psi = first_quantised_state(&basis_a, &basis_b, &state);
    let norm: f64 = psi.iter().map(|z| z.norm_sqr()).sum();
    assert!((norm - 1.0).abs() < 1e-12, "first-quantised norm {norm}");
    let h_fq = first_quantised_hamiltonian(&model);
    let phi: Vec<C64> = (0..psi.len())
        .map(|i| (0..psi.len()).map(|j| h_fq[(i, j)] * psi[j]).sum())
        .collect();
    // i∂_t γ^(1,1) = Tr_rest [H, |ψ⟩⟨ψ|].
    let lhs = &cross_marginal(&phi, &psi, m, (n1, n2), (1, 1))
        - &cross_marginal(&psi, &phi, m, (n1, n2), (1, 1));
    let (rhs, limit) = right_sides(&model, &psi);

    let scale = largest(&lhs);
    assert!(scale > 1e-2, "a left side of size {scale} tests nothing");
    let tolerance = 1e-12 * (1.0 + scale);
    let gap = largest_difference(&equation.lhs, &lhs);
    assert!(gap < tolerance, "left side off by {gap:e}");
    let gap = largest_difference(&equation.rhs, &rhs);
    assert!(gap < tolerance, "right side of (4.13) off by {gap:e}");
    // The identity (4.13) itself, in the brute-force world.
    let gap = largest_difference(&lhs, &rhs);
    assert!(
        gap < tolerance,
        "(4.13) fails by {gap:e} at N = ({n1}, {n2})"
    );
    assert!(equation.residual().unwrap() < 1e-11 * (1.0 + scale));
    match (&equation.limit_rhs, &limit) {
        (Some(ours), Some(reference)) => {
            let gap = largest_difference(ours, reference);
            assert!(gap < tolerance, "right side of (4.14) off by {gap:e}");
            // At finite N the limit form does not hold: the vanishing terms are of order 1/N.
            let terms = equation.limit_terms().unwrap().unwrap();
            assert!(terms > 1e-6, "limit terms {terms:e}");
            assert!(largest_difference(&lhs, reference) > 1e-6);
        }
        (None, None) => assert!(equation.limit_terms().unwrap().is_none()),
        _ => panic!("(4.14) present on one side only"),
    }
}

#[test]
fn first_equation_matches_the_marginals_of_the_first_quantised_state() {
    check(3, (2, 2), 11);
    check(3, (3, 2), 12);
    check(2, (2, 3), 13);
    check(4, (2, 2), 14);
}

#[test]
fn first_equation_with_one_particle_of_a_species() {
    check(3, (1, 2), 21);
    check(3, (2, 1), 22);
    check(3, (1, 1), 23);
}
