//! Occupation basis of N bosons in M modes, ranked by the combinatorial number system.
//!
//! An occupation n = (n_0, …, n_{M−1}) is the set of M−1 "bar" positions
//! p_i = n_0 + … + n_i + i (i = 0..M−2), strictly increasing in {0, …, N+M−2}
//! ("stars and bars"). Its rank is the colexicographic rank of that set,
//!
//!   rank(n) = Σ_{i=0}^{M−2} C(p_i, i+1),
//!
//! a bijection onto {0, …, C(N+M−1, M−1) − 1} computed in O(M) from a binomial table.

use std::sync::OnceLock;

use super::HopTable;
use crate::{Error, Result};

/// All occupations of `particles` bosons in `modes` modes, in rank order.
#[derive(Clone, Debug)]
pub struct FockBasis {
    modes: usize,
    particles: usize,
    dim: usize,
    /// binomial[k * (rows) + n] = C(n, k) for k = 0..M−1, n = 0..N+M−1.
    binomial: Vec<usize>,
    rows: usize,
    /// Occupations, `modes` entries per state, in rank order.
    occupations: Vec<u32>,
    /// The hop table, built on first use.
    hops: OnceLock<HopTable>,
}

impl FockBasis {
    /// The basis of N bosons in M modes. Fails if its dimension does not fit in memory indices.
    pub fn new(modes: usize, particles: usize) -> Result<Self> {
        if modes == 0 {
            return Err(Error::invalid("Fock basis", "needs at least one mode"));
        }
        if particles > u32::MAX as usize {
            return Err(Error::TooLarge(format!("{particles} particles")));
        }
        let dim = Self::dimension(modes, particles)?;
        let rows = particles + modes;
        let mut binomial = vec![0usize; modes * rows];
        for k in 0..modes {
            for n in 0..rows {
                binomial[k * rows + n] = if k == 0 {
                    1
                } else if n == 0 {
                    0
                } else {
                    // C(n, k) = C(n−1, k−1) + C(n−1, k); entries above `dim` are never used
                    // in a valid rank, so saturate rather than overflow.
                    binomial[(k - 1) * rows + n - 1].saturating_add(binomial[k * rows + n - 1])
                };
            }
        }
        let entries = dim
            .checked_mul(modes)
            .ok_or_else(|| Error::TooLarge(format!("Fock basis of dimension {dim}")))?;
        let mut basis = FockBasis {
            modes,
            particles,
            dim,
            binomial,
            rows,
            occupations: Vec::new(),
            hops: OnceLock::new(),
        };
        let mut occupations = vec![0u32; entries];
        for (rank, occ) in occupations.chunks_mut(modes).enumerate() {
            basis.unrank_into(rank, occ);
        }
        basis.occupations = occupations;
        Ok(basis)
    }

    /// C(N+M−1, M−1), the number of occupations, or an error if it overflows.
    pub fn dimension(modes: usize, particles: usize) -> Result<usize> {
        let Some(k) = modes.checked_sub(1) else {
            return Err(Error::invalid(
                "modes",
                "a Fock space needs at least one mode",
            ));
        };
        let mut value: u128 = 1;
        for i in 1..=k as u128 {
            // value < 2^64 and N + i < 2^65 here, so the product fits in u128 unless N is near
            // the top of usize: checked all the same.
            value = value
                .checked_mul(particles as u128 + i)
                .map(|v| v / i)
                .unwrap_or(u128::MAX);
            if value > usize::MAX as u128 {
                return Err(Error::TooLarge(format!(
                    "the Fock space of {particles} bosons in {modes} modes"
                )));
            }
        }
        Ok(value as usize)
    }

    /// Number of modes M.
    pub fn modes(&self) -> usize {
        self.modes
    }

    /// Number of particles N.
    pub fn particles(&self) -> usize {
        self.particles
    }

    /// Dimension C(N+M−1, M−1).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The occupation of the state of rank r.
    #[inline]
    pub fn occupation(&self, rank: usize) -> &[u32] {
        &self.occupations[rank * self.modes..(rank + 1) * self.modes]
    }

    #[inline]
    fn choose(&self, n: usize, k: usize) -> usize {
        self.binomial[k * self.rows + n]
    }

    /// The hops E_{xx′} = a†_x a_{x′} of every state, built once and kept (M² entries per state).
    pub(crate) fn hops(&self) -> Result<&HopTable> {
        if self.dim > u32::MAX as usize {
            return Err(Error::TooLarge(format!(
                "a species basis of dimension {}",
                self.dim
            )));
        }
        Ok(self.hops.get_or_init(|| HopTable::new(self)))
    }

    /// Rank of an occupation (Σ n_x must be N), in O(M).
    #[inline]
    pub fn rank(&self, occupation: &[u32]) -> usize {
        debug_assert_eq!(occupation.len(), self.modes);
        let mut rank = 0;
        let mut bar = 0usize;
        for (i, &n) in occupation[..self.modes - 1].iter().enumerate() {
            bar += n as usize;
            rank += self.choose(bar + i, i + 1);
        }
        rank
    }

    /// Writes the occupation of rank r into `out` (binary search per bar: O(M log N)).
    pub fn unrank_into(&self, rank: usize, out: &mut [u32]) {
        let m = self.modes;
        let mut rest = rank;
        let mut upper = self.particles + m - 1; // bars lie in 0..upper
        let mut next_bar = self.particles + m - 1; // position of the bar after the current one
        for i in (0..m - 1).rev() {
            // Largest p < upper with C(p, i+1) <= rest.
            let (mut lo, mut hi) = (i, upper - 1);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                if self.choose(mid, i + 1) <= rest {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            rest -= self.choose(lo, i + 1);
            out[i + 1] = (next_bar - lo - 1) as u32;
            next_bar = lo;
            upper = lo;
        }
        out[0] = next_bar as u32;
    }
}

/// For the basis of one particle on M sites, the index of the occupation e_x for each site x
/// (the kept index of [`lowering`]'s one-particle tables).
pub(crate) fn index_of_site(one: &FockBasis) -> Vec<usize> {
    let mut index = vec![0; one.modes()];
    for i in 0..one.dim() {
        let site = one.occupation(i).iter().position(|&n| n == 1).unwrap_or(0);
        index[site] = i;
    }
    index
}

/// Lowering tables of one species: for each occupation m of k particles and each occupation n″
/// of N − k particles, the rank of n″ + m and the factor Π_x √((n″_x + m_x)!/n″_x!)/√(m_x!),
/// so that (Π_x a_x^{m_x}/√(m_x!) Ψ)[n″] = factor · Ψ[n″ + m].
pub(crate) fn lowering(
    full: &FockBasis,
    kept: &FockBasis,
    rest: &FockBasis,
) -> (Vec<u32>, Vec<f64>) {
    let m = full.modes();
    let mut ranks = Vec::with_capacity(kept.dim() * rest.dim());
    let mut factors = Vec::with_capacity(kept.dim() * rest.dim());
    let mut occupation = vec![0u32; m];
    for i in 0..kept.dim() {
        let lowered = kept.occupation(i);
        for r in 0..rest.dim() {
            let remaining = rest.occupation(r);
            let mut factor = 1.0;
            for x in 0..m {
                occupation[x] = remaining[x] + lowered[x];
                for j in 1..=lowered[x] {
                    factor *= ((remaining[x] + j) as f64 / j as f64).sqrt();
                }
            }
            ranks.push(full.rank(&occupation) as u32);
            factors.push(factor);
        }
    }
    (ranks, factors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_dimensions_are_typed_errors() {
        // Zero modes used to underflow M − 1 (a panic in debug, a wrapped loop in release).
        assert!(matches!(
            FockBasis::dimension(0, 3),
            Err(Error::InvalidInput { .. })
        ));
        assert!(FockBasis::new(0, 3).is_err());
        assert_eq!(FockBasis::dimension(1, usize::MAX).unwrap(), 1);
        assert!(matches!(
            FockBasis::dimension(3, usize::MAX),
            Err(Error::TooLarge(_))
        ));
        assert_eq!(FockBasis::dimension(3, 4).unwrap(), 15);
    }

    #[test]
    fn ranks_are_a_bijection_onto_the_dimension() {
        for (m, n) in [(1, 5), (2, 7), (3, 4), (4, 6), (5, 3)] {
            let basis = FockBasis::new(m, n).unwrap();
            let expected = FockBasis::dimension(m, n).unwrap();
            assert_eq!(basis.dim(), expected);
            let mut seen = std::collections::HashSet::new();
            for r in 0..basis.dim() {
                let occ = basis.occupation(r);
                assert_eq!(occ.iter().map(|&x| x as usize).sum::<usize>(), n);
                assert_eq!(basis.rank(occ), r);
                assert!(seen.insert(occ.to_vec()));
            }
        }
    }

    #[test]
    fn every_occupation_is_listed() {
        // Brute force: all occupations of 3 bosons in 4 modes.
        let basis = FockBasis::new(4, 3).unwrap();
        let mut count = 0;
        for a in 0..=3u32 {
            for b in 0..=3 - a {
                for c in 0..=3 - a - b {
                    let occ = [a, b, c, 3 - a - b - c];
                    assert_eq!(basis.occupation(basis.rank(&occ)), &occ);
                    count += 1;
                }
            }
        }
        assert_eq!(count, basis.dim());
    }

    #[test]
    fn dimension_of_large_spaces() {
        assert_eq!(FockBasis::dimension(4, 20).unwrap(), 1771);
        assert_eq!(FockBasis::dimension(2, 10_000).unwrap(), 10_001);
        assert!(FockBasis::dimension(200, 10_000).is_err());
    }
}
