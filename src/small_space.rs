//! Dense first-quantised operators on (C^M)^{⊗N} for small N and M, for the lemmas that are
//! operator identities rather than statements about one state (Lemma A.3).
//!
//! Index of a configuration (x₁, …, x_N): Σ_i x_i M^{i−1}. p = |u⟩⟨u|, q = 1 − p (A.1); P_k is the
//! sum over a ∈ {0,1}^N with Σa = k of Π_i p_i^{1−a_i} q_i^{a_i} (A.2); f̂ = Σ_k f(k) P_k (A.5).

use faer::Mat;

use crate::{Error, Result, C64};

/// Largest M^N handled (dense matrices of that size).
pub const MAX_DIMENSION: usize = 729;

/// The projections p = |u⟩⟨u| and q = 1 − p on one particle.
pub fn projections(orbital: &[C64]) -> (Mat<C64>, Mat<C64>) {
    let m = orbital.len();
    let p = Mat::from_fn(m, m, |x, y| orbital[x] * orbital[y].conj());
    let q = Mat::from_fn(m, m, |x, y| {
        C64::new(if x == y { 1.0 } else { 0.0 }, 0.0) - p[(x, y)]
    });
    (p, q)
}

/// Kronecker product of one-particle operators, factor i acting on particle i.
fn tensor(factors: &[&Mat<C64>]) -> Mat<C64> {
    let mut out = Mat::from_fn(1, 1, |_, _| C64::new(1.0, 0.0));
    for factor in factors {
        let (d, m) = (out.nrows(), factor.nrows());
        // New index = old + d · x for the next particle.
        out = Mat::from_fn(d * m, d * m, |r, c| {
            out[(r % d, c % d)] * factor[(r / d, c / d)]
        });
    }
    out
}

fn check_size(m: usize, n: usize) -> Result<usize> {
    let dim = (m as u128).pow(n as u32);
    if dim > MAX_DIMENSION as u128 {
        return Err(Error::TooLarge(format!(
            "(C^{m})^(x{n}) has dimension {dim}; small-space checks stop at {MAX_DIMENSION}"
        )));
    }
    Ok(dim as usize)
}

/// f̂ = Σ_k f(k) P_k on N particles (A.5), with P_k from its definition (A.2).
pub fn counting_weight(
    orbital: &[C64],
    particles: usize,
    f: impl Fn(usize) -> f64,
) -> Result<Mat<C64>> {
    let dim = check_size(orbital.len(), particles)?;
    let (p, q) = projections(orbital);
    let mut out = Mat::zeros(dim, dim);
    for pattern in 0..(1usize << particles) {
        let factors: Vec<&Mat<C64>> = (0..particles)
            .map(|i| if pattern >> i & 1 == 1 { &q } else { &p })
            .collect();
        let weight = f(pattern.count_ones() as usize);
        if weight != 0.0 {
            out += tensor(&factors) * faer::Scale(C64::new(weight, 0.0));
        }
    }
    Ok(out)
}

/// A one- or two-body operator on particles 1..r (an M^r × M^r matrix, particle 1 the lowest
/// digit), extended by the identity on the other particles.
pub fn on_first_particles(operator: &Mat<C64>, m: usize, particles: usize) -> Result<Mat<C64>> {
    let dim = check_size(m, particles)?;
    let block = operator.nrows();
    if block == 0 || dim % block != 0 || operator.ncols() != block {
        return Err(Error::invalid(
            "operator",
            "must be square of size M^r with r <= N",
        ));
    }
    Ok(Mat::from_fn(dim, dim, |r, c| {
        if r / block == c / block {
            operator[(r % block, c % block)]
        } else {
            C64::new(0.0, 0.0)
        }
    }))
}

/// The monomial Q = ♯₁♯₂ on particles 1, 2 (♯ = p or q) as an M² × M² matrix, and its number of q's.
pub fn two_particle_monomial(orbital: &[C64], first_q: bool, second_q: bool) -> (Mat<C64>, usize) {
    let (p, q) = projections(orbital);
    let pick = |is_q: bool| if is_q { &q } else { &p };
    (
        tensor(&[pick(first_q), pick(second_q)]),
        first_q as usize + second_q as usize,
    )
}
