//! Each pair of C_V1, C_V2 and C_V12, and each part of T(pp,qq), against its definition evaluated
//! with dense first-quantised operators on (C^M)^{⊗N₁} ⊗ (C^M)^{⊗N₂}: p_i, q_i, m̂ = Σ_k (k/N) P_k with
//! P_k from (A.2), and the interactions written particle by particle. Independent of the engine's
//! condensate frame and second-quantised few-body operators.

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use faer::Mat;
use pickl::measure::lemmas::Component;
use pickl::proof::{inter_species_pairs, intra_species_pairs, pp_qq_split, Projection};
use pickl::C64;

/// The full first-quantised space: A-particles are digits 0..N₁ of the index, B-particles the next
/// N₂ digits (index a + M^{N₁} b, as in `first_quantised_state`).
struct Space {
    m: usize,
    n1: usize,
    n2: usize,
}

impl Space {
    fn dim(&self) -> usize {
        self.m.pow((self.n1 + self.n2) as u32)
    }

    /// A diagonal operator given by a function of the configuration (x₁..x_{N₁}; y₁..y_{N₂}).
    fn diagonal(&self, f: impl Fn(&[usize], &[usize]) -> f64) -> Mat<C64> {
        let d = self.dim();
        Mat::from_fn(d, d, |r, c| {
            if r != c {
                return c0();
            }
            let all = configuration(r, self.m, self.n1 + self.n2);
            C64::new(f(&all[..self.n1], &all[self.n1..]), 0.0)
        })
    }

    /// A one-particle operator on particle `slot` (0..N₁ for A, N₁.. for B).
    fn one(&self, op: &Mat<C64>, slot: usize) -> Mat<C64> {
        let (m, d) = (self.m, self.dim());
        let stride = m.pow(slot as u32);
        Mat::from_fn(d, d, |r, c| {
            let (xr, xc) = ((r / stride) % m, (c / stride) % m);
            if r - xr * stride == c - xc * stride {
                op[(xr, xc)]
            } else {
                c0()
            }
        })
    }

    /// Σ_k w(k) P_k of one species (P_k from its definition (A.2)), lifted to the full space.
    fn weight(&self, orbital: &[C64], species_a: bool, w: impl Fn(usize) -> f64) -> Mat<C64> {
        let n = if species_a { self.n1 } else { self.n2 };
        let single = {
            let dim = self.m.pow(n as u32);
            let mut out = Mat::zeros(dim, dim);
            for k in 0..=n {
                let pk = counting_projection(orbital, n, k);
                for i in 0..dim {
                    for j in 0..dim {
                        out[(i, j)] += w(k) * pk[(i, j)];
                    }
                }
            }
            out
        };
        let (da, db) = (self.m.pow(self.n1 as u32), self.m.pow(self.n2 as u32));
        Mat::from_fn(da * db, da * db, |r, c| {
            let (ra, rb, ca, cb) = (r % da, r / da, c % da, c / da);
            if species_a {
                if rb == cb {
                    single[(ra, ca)]
                } else {
                    c0()
                }
            } else if ra == ca {
                single[(rb, cb)]
            } else {
                c0()
            }
        })
    }
}

fn c0() -> C64 {
    C64::new(0.0, 0.0)
}

fn projections(orbital: &[C64]) -> (Mat<C64>, Mat<C64>) {
    let m = orbital.len();
    let p = Mat::from_fn(m, m, |x, y| orbital[x] * orbital[y].conj());
    let q = Mat::from_fn(m, m, |x, y| if x == y { c(1.0) } else { c0() } - p[(x, y)]);
    (p, q)
}

fn expectation(psi: &[C64], op: &Mat<C64>) -> C64 {
    let n = psi.len();
    let mut value = c0();
    for i in 0..n {
        let mut row = c0();
        for j in 0..n {
            row += op[(i, j)] * psi[j];
        }
        value += psi[i].conj() * row;
    }
    value
}

#[test]
fn pairs_of_c_v1_and_c_v2_equal_their_first_quantised_definitions() {
    for (m, n1, n2, seed) in [
        (2usize, 3usize, 2usize, 161u64),
        (3, 2, 2, 162),
        (2, 2, 3, 163),
    ] {
        let case = random_case(
            m,
            (n1, n2),
            ("gauss:1.3,0.9", "gauss:-0.7,1.2", "gauss:0.8,0.9"),
            seed,
        );
        let context = case.context();
        let RandomCase {
            model,
            basis_a,
            basis_b,
            state,
            u,
            v,
            ..
        } = &case;
        let space = Space { m, n1, n2 };
        let psi = first_quantised_state(basis_a, basis_b, state);
        for component in [Component::A, Component::B] {
            let species_a = component == Component::A;
            let (species, orbital, other, n, first, second, spectator) = if species_a {
                (model.species_a(), &u, &v, n1, 0, 1, n1)
            } else {
                (model.species_b(), &v, &u, n2, n1, n1 + 1, 0)
            };
            if n < 2 {
                continue;
            }
            let field = species.potential.convolve_density(orbital);
            let nf = n as f64;
            // X = (N−1) V(x_1 − x_2) − N (V*|φ|²)(x_1) − N (V*|φ|²)(x_2) on particles 1, 2 of the species.
            let x_op = space.diagonal(|xs, ys| {
                let (a, b) = if species_a {
                    (xs[0], xs[1])
                } else {
                    (ys[0], ys[1])
                };
                (nf - 1.0) * species.potential.value(a, b) - nf * field[a] - nf * field[b]
            });
            let m_hat = space.weight(orbital, species_a, |k| k as f64 / nf);
            let (p, q) = projections(orbital);
            let (p_other, _) = projections(other);
            let p1_other = space.one(&p_other, spectator);
            let pi = |first_q: bool, second_q: bool| {
                &space.one(if first_q { &q } else { &p }, first)
                    * &space.one(if second_q { &q } else { &p }, second)
            };
            let pis = [
                pi(false, false),
                pi(false, true),
                pi(true, false),
                pi(true, true),
            ];
            let commutator = &x_op * &m_hat - &m_hat * &x_op;
            let engine = intra_species_pairs(&context, component).unwrap();
            for l in 0..4 {
                for r in 0..4 {
                    let op = &(&(&pis[l] * &commutator) * &pis[r]) * &p1_other;
                    let reference = C64::new(0.0, 0.5) * expectation(&psi, &op);
                    let difference = (reference - engine.values[l][r]).norm();
                    assert!(
                        difference < 1e-10,
                        "M={m} N=({n1},{n2}) {component:?} ({}, {}): engine {} vs definition {reference}",
                        Projection::ALL[l],
                        Projection::ALL[r],
                        engine.values[l][r]
                    );
                }
            }
        }
    }
}

#[test]
fn pairs_of_c_v12_and_the_split_equal_their_first_quantised_definitions() {
    for (m, n1, n2, seed) in [
        (2usize, 3usize, 2usize, 171u64),
        (3, 2, 2, 172),
        (2, 2, 3, 173),
    ] {
        let case = random_case(
            m,
            (n1, n2),
            ("gauss:1.3,0.9", "gauss:-0.7,1.2", "gauss:0.8,0.9"),
            seed,
        );
        let context = case.context();
        let RandomCase {
            model,
            basis_a,
            basis_b,
            state,
            u,
            v,
            ..
        } = &case;
        let space = Space { m, n1, n2 };
        let psi = first_quantised_state(basis_a, basis_b, state);
        let v12 = model.inter_potential();
        let (field_u, field_v) = (v12.convolve_density(u), v12.convolve_density(v));
        let (nf1, nf2, total) = (n1 as f64, n2 as f64, (n1 + n2) as f64);
        // Y on (A-particle 1, B-particle 1); S = Σ_{k,l} p_k^A p_l^B / (N₁N₂).
        let y_op =
            space.diagonal(|xs, ys| v12.value(xs[0], ys[0]) - field_v[xs[0]] - field_u[ys[0]]);
        let (pa, qa) = projections(u);
        let (pb, qb) = projections(v);
        let sum_pa = (0..n1).fold(Mat::<C64>::zeros(space.dim(), space.dim()), |acc, k| {
            acc + space.one(&pa, k)
        });
        let sum_pb = (0..n2).fold(Mat::<C64>::zeros(space.dim(), space.dim()), |acc, l| {
            acc + space.one(&pb, n1 + l)
        });
        let s_op = &(&sum_pa * &sum_pb) * faer::Scale(c(1.0 / (nf1 * nf2)));
        let commutator = &y_op * &s_op - &s_op * &y_op;
        let pi = |a_q: bool, b_q: bool| {
            &space.one(if a_q { &qa } else { &pa }, 0) * &space.one(if b_q { &qb } else { &pb }, n1)
        };
        let pis = [
            pi(false, false),
            pi(false, true),
            pi(true, false),
            pi(true, true),
        ];
        let engine = inter_species_pairs(&context).unwrap();
        for l in 0..4 {
            for r in 0..4 {
                let op = &(&pis[l] * &commutator) * &pis[r];
                let reference = expectation(&psi, &op) * (nf1 * nf2 / total);
                let difference = (reference - engine.values[l][r]).norm();
                assert!(
                    difference < 1e-10,
                    "M={m} N=({n1},{n2}) T({}, {}): engine {} vs definition {reference}",
                    Projection::ALL[l],
                    Projection::ALL[r],
                    engine.values[l][r]
                );
            }
        }
        // The split of §5.5.2 from its three definitions.
        let potential = space.diagonal(|xs, ys| v12.value(xs[0], ys[0]));
        let (pp, qq) = (&pis[0], &pis[3]);
        let part = |inner: Mat<C64>, weight: f64| -> C64 {
            let op = pp * &(&potential * &inner - &inner * &potential) * qq;
            expectation(&psi, &op) * weight
        };
        let split = pp_qq_split(&context).unwrap();
        let p1a = space.one(&pa, 0);
        let p1b = space.one(&pb, n1);
        let checks = [
            (
                split.first,
                (n1 >= 2).then(|| part(&space.one(&pa, 1) * &p1b, (nf1 - 1.0) / total)),
            ),
            (
                split.second,
                (n2 >= 2).then(|| part(&p1a * &space.one(&pb, n1 + 1), (nf2 - 1.0) / total)),
            ),
            (split.third, Some(part(&p1a * &p1b, 1.0 / total))),
        ];
        for (index, (engine_part, reference)) in checks.into_iter().enumerate() {
            let reference = reference.unwrap_or(c0());
            assert!(
                (engine_part - reference).norm() < 1e-10,
                "M={m} N=({n1},{n2}) (pp,qq)_{}: {engine_part} vs {reference}",
                index + 1
            );
        }
    }
}
