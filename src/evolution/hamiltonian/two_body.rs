//! An interval proven to contain spec(H) from the two-body problems of H (2.8).
//!
//! In first quantisation H is a sum over pairs of particles. Give each particle's one-body
//! energy to its pairs — a share p of h₁ to the N₁ − 1 pairs with the other A particles, the
//! rest to the N₂ pairs with the B particles (q likewise for h₂) — and
//!
//!   H = Σ_{i<j ∈ A} P_AA(p) + Σ_{i ∈ A, r ∈ B} P_AB(p, q) + Σ_{r<s ∈ B} P_BB(q),
//!   P_AA(p) = p (h₁ ⊗ 1 + 1 ⊗ h₁)/(N₁ − 1) + V₁(x − y)/N₁,
//!   P_AB(p, q) = (1 − p) h₁ ⊗ 1/N₂ + (1 − q) 1 ⊗ h₂/N₁ + V₁₂(x − y)/(N₁ + N₂),
//!
//! P_BB(q) as P_AA with h₂, V₂, N₂. On bosonic states the two-particle density matrix of a pair
//! of the same species lives on the symmetric square, so by Weyl's inequality
//!
//!   spec(H) ⊂ [C(N₁,2) λ_min(P_AA|sym) + N₁N₂ λ_min(P_AB) + C(N₂,2) λ_min(P_BB|sym), the same
//!              with λ_max],
//!
//! for every p, q ∈ [0, 1] (p = 0 when N₁ = 1, q = 0 when N₂ = 1); the interval kept is the
//! best over a grid of them. Unlike the bound from the parts (the one-body spectra plus the
//! range of the interactions), it sees that the states of largest kinetic energy spread the
//! particles out and so cannot also have the largest repulsion: on the default model at
//! N₁ = N₂ = 40 the upper end is 350.2 against 369.0, the half-width 5.5% smaller.

use faer::Mat;

use crate::linalg::hermitian_eigenvalues;
use crate::model::one_body::PairPotential;
use crate::model::Model;
use crate::{Result, C64};

/// The largest lattice for which the two-body problems are solved: their matrices are M² × M²
/// and a grid of (p, q) of them is diagonalised.
pub const MAX_SITES: usize = 12;

/// The shares p (and q) tried: tenths, and the share that gives every pair of a particle the
/// same part of its one-body energy.
const GRID: usize = 10;

/// An interval proven to contain spec(H) for `model` from its two-body problems (module doc),
/// or `None` when the lattice has more than [`MAX_SITES`] sites.
pub fn two_body_bounds(model: &Model) -> Result<Option<(f64, f64)>> {
    let m = model.sites();
    let (a, b) = (model.species_a(), model.species_b());
    let (n1, n2) = (a.particles, b.particles);
    if m > MAX_SITES || n1 == 0 || n2 == 0 {
        return Ok(None);
    }
    let (h1, h2) = (a.hamiltonian.matrix(), b.hamiltonian.matrix());
    let shares = |own: usize, other: usize| -> Vec<f64> {
        if own < 2 {
            return vec![0.0];
        }
        let even = (own - 1) as f64 / (own - 1 + other) as f64;
        (0..=GRID)
            .map(|k| k as f64 / GRID as f64)
            .chain([even])
            .collect()
    };
    let (shares_a, shares_b) = (shares(n1, n2), shares(n2, n1));
    // (λ_min, λ_max) of the same-species pairs, times their number, for each share.
    let same = |h: &Mat<C64>, v: &PairPotential, n: usize, shares: &[f64]| {
        shares
            .iter()
            .map(|&p| {
                if n < 2 {
                    return Ok((0.0, 0.0));
                }
                let pairs = (n * (n - 1) / 2) as f64;
                let operator = pair_operator(
                    (p / (n - 1) as f64, h),
                    (p / (n - 1) as f64, h),
                    (1.0 / n as f64, v),
                );
                let (lo, hi) = extremes(&symmetric_part(&operator, m))?;
                Ok((pairs * lo, pairs * hi))
            })
            .collect::<Result<Vec<_>>>()
    };
    let range_a = same(h1, &a.potential, n1, &shares_a)?;
    let range_b = same(h2, &b.potential, n2, &shares_b)?;
    let inter = model.inter_potential();
    let pairs_ab = (n1 * n2) as f64;
    let (mut lower, mut upper) = (f64::NEG_INFINITY, f64::INFINITY);
    for (&p, &(lo_a, hi_a)) in shares_a.iter().zip(&range_a) {
        for (&q, &(lo_b, hi_b)) in shares_b.iter().zip(&range_b) {
            let operator = pair_operator(
                ((1.0 - p) / n2 as f64, h1),
                ((1.0 - q) / n1 as f64, h2),
                (1.0 / (n1 + n2) as f64, inter),
            );
            let (lo, hi) = extremes(&operator)?;
            lower = lower.max(lo_a + lo_b + pairs_ab * lo);
            upper = upper.min(hi_a + hi_b + pairs_ab * hi);
        }
    }
    Ok(Some((lower, upper)))
}

/// s₁ h ⊗ 1 + s₂ 1 ⊗ k + w V(x − y) on C^M ⊗ C^M, the pair |x, y⟩ at index x·M + y.
fn pair_operator(
    (s1, h): (f64, &Mat<C64>),
    (s2, k): (f64, &Mat<C64>),
    (w, v): (f64, &PairPotential),
) -> Mat<C64> {
    let m = h.nrows();
    Mat::from_fn(m * m, m * m, |i, j| {
        let (x, y, x2, y2) = (i / m, i % m, j / m, j % m);
        let mut value = C64::new(0.0, 0.0);
        if y == y2 {
            value += s1 * h[(x, x2)];
        }
        if x == x2 {
            value += s2 * k[(y, y2)];
        }
        if i == j {
            value += w * v.row(x)[y];
        }
        value
    })
}

/// The operator on C^M ⊗ C^M restricted to the symmetric square, in the orthonormal basis
/// |x, x⟩ and (|x, y⟩ + |y, x⟩)/√2 (x < y).
fn symmetric_part(operator: &Mat<C64>, m: usize) -> Mat<C64> {
    let pairs: Vec<(usize, usize)> = (0..m).flat_map(|x| (x..m).map(move |y| (x, y))).collect();
    // Column s of the basis: its (index, weight) entries in C^M ⊗ C^M.
    let basis = |&(x, y): &(usize, usize)| -> Vec<(usize, f64)> {
        if x == y {
            vec![(x * m + x, 1.0)]
        } else {
            let w = std::f64::consts::FRAC_1_SQRT_2;
            vec![(x * m + y, w), (y * m + x, w)]
        }
    };
    Mat::from_fn(pairs.len(), pairs.len(), |s, t| {
        let (left, right) = (basis(&pairs[s]), basis(&pairs[t]));
        left.iter()
            .flat_map(|&(i, u)| right.iter().map(move |&(j, w)| (i, j, u * w)))
            .map(|(i, j, uw)| uw * operator[(i, j)])
            .sum()
    })
}

/// (λ_min, λ_max) of a Hermitian matrix.
fn extremes(matrix: &Mat<C64>) -> Result<(f64, f64)> {
    let values = hermitian_eigenvalues(matrix)?;
    Ok((values[0], values[values.len() - 1]))
}
