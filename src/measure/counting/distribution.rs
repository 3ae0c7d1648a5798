//! The joint counting distribution π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩ (SPEC §4, (A.2)).
//!
//! P_k, the projection on "exactly k particles outside u", is the spectral projection of N_u on
//! N − k; in the condensate frame it keeps the occupations with n₀ = N − k. So
//! π(k_A, k_B) = Σ |Ψ′[a, b]|² over n₀^A(a) = N₁ − k_A, n₀^B(b) = N₂ − k_B, and for every f,
//! ⟨Ψ, f̂ Ψ⟩ = Σ_k f(k) π(k) (A.5).

use rayon::prelude::*;

use crate::space::fock::FockBasis;
use crate::space::state::{check_state_len, checked_norm_sqr};
use crate::{Error, Result, C64};

/// π(k_A, k_B) for k_A = 0..N₁, k_B = 0..N₂, normalised by ‖Ψ‖².
#[derive(Clone, Debug, PartialEq)]
pub struct CountingDistribution {
    particles_a: usize,
    particles_b: usize,
    probabilities: Vec<f64>,
}

impl CountingDistribution {
    /// π from a state already written in the condensate frame (see
    /// [`crate::measure::counting::CondensateFrame::to_frame`]).
    pub fn from_frame_state(
        basis_a: &FockBasis,
        basis_b: &FockBasis,
        frame_state: &[C64],
    ) -> Result<Self> {
        let columns = basis_b.dim();
        check_state_len(frame_state, basis_a.dim(), columns)?;
        let (n1, n2) = (basis_a.particles(), basis_b.particles());
        let outside_b: Vec<usize> = (0..columns)
            .map(|b| n2 - basis_b.occupation(b)[0] as usize)
            .collect();
        let width = n2 + 1;
        // One histogram over k_B per row, added in row order (the same figures on every run).
        let per_row: Vec<Vec<f64>> = frame_state
            .par_chunks(columns)
            .map(|row| {
                let mut histogram = vec![0.0; width];
                for (z, &kb) in row.iter().zip(&outside_b) {
                    histogram[kb] += z.norm_sqr();
                }
                histogram
            })
            .collect();
        let mut probabilities = vec![0.0; (n1 + 1) * width];
        for (a, histogram) in per_row.iter().enumerate() {
            let ka = n1 - basis_a.occupation(a)[0] as usize;
            probabilities[ka * width..(ka + 1) * width]
                .iter_mut()
                .zip(histogram)
                .for_each(|(p, h)| *p += h);
        }
        let total = checked_norm_sqr(probabilities.iter().sum())?;
        probabilities.iter_mut().for_each(|p| *p /= total);
        Ok(CountingDistribution {
            particles_a: n1,
            particles_b: n2,
            probabilities,
        })
    }

    /// N₁.
    pub fn particles_a(&self) -> usize {
        self.particles_a
    }

    /// N₂.
    pub fn particles_b(&self) -> usize {
        self.particles_b
    }

    /// π(k_A, k_B).
    pub fn probability(&self, k_a: usize, k_b: usize) -> f64 {
        self.probabilities[k_a * (self.particles_b + 1) + k_b]
    }

    /// ⟨Ψ, f̂ Ψ⟩ = Σ f(k_A, k_B) π(k_A, k_B) for a weight of both counts (products of an A-weight
    /// and a B-weight included).
    pub fn expectation(&self, f: impl Fn(usize, usize) -> f64) -> f64 {
        let width = self.particles_b + 1;
        self.probabilities
            .iter()
            .enumerate()
            .filter(|(_, &p)| p != 0.0)
            .map(|(index, &p)| f(index / width, index % width) * p)
            .sum()
    }

    /// α^(k₁,k₂) = 1 − ⟨(N_u^A)_{k₁} (N_v^B)_{k₂}⟩ / ((N₁)_{k₁} (N₂)_{k₂}) (SPEC §4, (3.3)), with
    /// N_u^A = N₁ − k_A on the range of P_{k_A}. With r_k(c) = (c)_k/(N)_k and Σπ = 1,
    /// 1 − r_{k₁}r_{k₂} = (1 − r_{k₁}) + r_{k₁}(1 − r_{k₂}) gives a sum of terms ≥ 0,
    ///
    ///   α^(k₁,k₂) = Σ_{k_A} (1 − r_{k₁}(N₁ − k_A)) Σ_{k_B} π(k_A, k_B)
    ///             + Σ_{k_A} r_{k₁}(N₁ − k_A) Σ_{k_B} (1 − r_{k₂}(N₂ − k_B)) π(k_A, k_B),
    ///
    /// accurate relative to α itself (1 − ⟨…⟩ would lose about 10⁻¹⁶ absolute to the
    /// cancellation, all of a small α's digits near a product state), and never negative. The
    /// ratios and their complements are formed factor by factor, so nothing overflows at large
    /// N; the sums in the order written (the same bits as [`CountingDistribution::alpha_table`]).
    pub fn alpha(&self, k1: usize, k2: usize) -> Result<f64> {
        let (n1, n2) = (self.particles_a, self.particles_b);
        if k1 > n1 || k2 > n2 {
            return Err(Error::invalid(
                "alpha",
                format!("needs k1 <= N1 = {n1} and k2 <= N2 = {n2}, got ({k1}, {k2})"),
            ));
        }
        let (ratios_a, ratios_b) = (falling_ratios(n1, k1), falling_ratios(n2, k2));
        let sums = self.inner_sums(&ratios_b[k2..]);
        Ok(sums.alpha(&ratios_a[k1], 0))
    }

    /// α^(k₁,k₂) for every k₁ ≤ N₁, k₂ ≤ N₂, at index `k1 * (N₂ + 1) + k2` (each the value of
    /// [`CountingDistribution::alpha`]): O(N₁N₂(N₁ + N₂)) in all, where one α at a time would
    /// take O(N₁²N₂²).
    pub fn alpha_table(&self) -> Vec<f64> {
        let (n1, n2) = (self.particles_a, self.particles_b);
        let (ratios_a, ratios_b) = (falling_ratios(n1, n1), falling_ratios(n2, n2));
        let sums = self.inner_sums(&ratios_b);
        let width = n2 + 1;
        (0..(n1 + 1) * width)
            .into_par_iter()
            .map(|index| sums.alpha(&ratios_a[index / width], index % width))
            .collect()
    }

    /// The sums over k_B of [`CountingDistribution::alpha`] for the B-ratios given.
    fn inner_sums(&self, ratios: &[FallingRatios]) -> InnerSums {
        let width = self.particles_b + 1;
        let rows = self.probabilities.chunks(width);
        InnerSums {
            marginal: rows.clone().map(|row| row.iter().sum()).collect(),
            complements: rows
                .flat_map(|row| {
                    ratios.iter().map(move |r| {
                        r.complement
                            .iter()
                            .zip(row)
                            .map(|(&q, &p)| q * p)
                            .sum::<f64>()
                    })
                })
                .collect(),
            stride: ratios.len(),
        }
    }

    /// E\[k_A\] and Var\[k_A\].
    pub fn moments_a(&self) -> (f64, f64) {
        let mean = self.expectation(|ka, _| ka as f64);
        (mean, self.expectation(|ka, _| (ka as f64 - mean).powi(2)))
    }

    /// E\[k_B\] and Var\[k_B\].
    pub fn moments_b(&self) -> (f64, f64) {
        let mean = self.expectation(|_, kb| kb as f64);
        (mean, self.expectation(|_, kb| (kb as f64 - mean).powi(2)))
    }
}

/// r_k(N − e) = (N − e)_k/(N)_k and 1 − r_k(N − e) for the excited counts e = 0..=N, at one k.
#[derive(Clone, Debug)]
struct FallingRatios {
    ratio: Vec<f64>,
    complement: Vec<f64>,
}

/// [`FallingRatios`] for every k ≤ k_max: r_{k+1} = r_k · (N − e − k)/(N − k) (zero once
/// N − e ≤ k), each product taken factor by factor in order, and the complement by its own
/// recurrence 1 − r_{k+1} = (1 − r_k) + r_k · e/(N − k) (or + r_k once the factor is zero): sums
/// of terms ≥ 0, so 1 − r is accurate relative to itself where it is small.
fn falling_ratios(n: usize, k_max: usize) -> Vec<FallingRatios> {
    let mut rows = vec![FallingRatios {
        ratio: vec![1.0; n + 1],
        complement: vec![0.0; n + 1],
    }];
    for k in 0..k_max {
        let previous = &rows[k];
        let below = (n - k) as f64;
        let (ratio, complement) = (0..=n)
            .map(|excited| {
                let (r, q) = (previous.ratio[excited], previous.complement[excited]);
                if n - excited > k {
                    let factor = (n - excited - k) as f64 / below;
                    (r * factor, q + r * (excited as f64 / below))
                } else {
                    (0.0, q + r)
                }
            })
            .unzip();
        rows.push(FallingRatios { ratio, complement });
    }
    rows
}

/// The inner sums of [`CountingDistribution::alpha`]: for each k_A, Σ_{k_B} π(k_A, k_B) and, for
/// each B-ratio j, Σ_{k_B} (1 − r_j(N₂ − k_B)) π(k_A, k_B) at `k_A * stride + j`.
struct InnerSums {
    marginal: Vec<f64>,
    complements: Vec<f64>,
    stride: usize,
}

impl InnerSums {
    /// α for the A-ratios `a` and the B-ratio `column`: Σ_{k_A} (1 − r_A) marginal, then
    /// Σ_{k_A} r_A complement, each in order, added.
    fn alpha(&self, a: &FallingRatios, column: usize) -> f64 {
        let first: f64 = a
            .complement
            .iter()
            .zip(&self.marginal)
            .map(|(&q, &m)| q * m)
            .sum();
        let second: f64 = a
            .ratio
            .iter()
            .enumerate()
            .map(|(ka, &r)| r * self.complements[ka * self.stride + column])
            .sum();
        first + second
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distribution(
        n1: usize,
        n2: usize,
        weights: &[((usize, usize), f64)],
    ) -> CountingDistribution {
        let mut probabilities = vec![0.0; (n1 + 1) * (n2 + 1)];
        for &((ka, kb), w) in weights {
            probabilities[ka * (n2 + 1) + kb] = w;
        }
        CountingDistribution {
            particles_a: n1,
            particles_b: n2,
            probabilities,
        }
    }

    #[test]
    fn the_ratios_and_complements_are_the_falling_factorials() {
        // Exact rationals: (c)_k/(n)_k with integer products (n ≤ 12, k ≤ n fit in u64).
        let n = 12;
        let falling = |c: u64, k: u64| (0..k).map(|i| c.saturating_sub(i)).product::<u64>();
        for (k, row) in falling_ratios(n, n).iter().enumerate() {
            for e in 0..=n {
                let (top, bottom) = (
                    falling((n - e) as u64, k as u64),
                    falling(n as u64, k as u64),
                );
                let exact = top as f64 / bottom as f64;
                let complement = (bottom - top) as f64 / bottom as f64;
                assert!(
                    (row.ratio[e] - exact).abs() <= 1e-15 * exact,
                    "k {k}, e {e}"
                );
                assert!(
                    (row.complement[e] - complement).abs() <= 1e-15 * complement,
                    "k {k}, e {e}: {} against {complement}",
                    row.complement[e]
                );
            }
        }
    }

    #[test]
    fn a_small_alpha_keeps_its_digits_and_a_product_state_gives_zero() {
        // Weight 1e-20 with one A-particle excited: α^(1,1) = 1e-20 (1 − (N₁ − 1)/N₁) = 1e-20/N₁,
        // which 1 − ⟨…⟩ would round to zero.
        let (n1, n2) = (7, 5);
        let pi = distribution(n1, n2, &[((0, 0), 1.0 - 1e-20), ((1, 0), 1e-20)]);
        let alpha = pi.alpha(1, 1).unwrap();
        assert!((alpha - 1e-20 / 7.0).abs() <= 1e-15 * alpha, "{alpha:e}");
        // α^(k₁,k₂) = 1e-20 · k₁/N₁ there (one excited: (N₁ − 1)_k/(N₁)_k = 1 − k/N₁).
        let table = pi.alpha_table();
        for k1 in 0..=n1 {
            for k2 in 0..=n2 {
                let expected = 1e-20 * k1 as f64 / n1 as f64;
                let value = table[k1 * (n2 + 1) + k2];
                assert!(
                    (value - expected).abs() <= 1e-15 * expected,
                    "({k1}, {k2}): {value:e}"
                );
                assert_eq!(value.to_bits(), pi.alpha(k1, k2).unwrap().to_bits());
            }
        }
        let product = distribution(n1, n2, &[((0, 0), 1.0)]);
        assert!(product.alpha_table().iter().all(|&a| a == 0.0));
    }

    #[test]
    fn alpha_is_one_minus_the_expectation_of_the_ratios() {
        // A spread-out distribution against 1 − E[r_{k1} r_{k2}] formed by `expectation`.
        let (n1, n2) = (6, 9);
        let weights: Vec<((usize, usize), f64)> = (0..=n1)
            .flat_map(|ka| (0..=n2).map(move |kb| ((ka, kb), 1.0 / (1.0 + (ka * 3 + kb) as f64))))
            .collect();
        let total: f64 = weights.iter().map(|w| w.1).sum();
        let weights: Vec<_> = weights.into_iter().map(|(k, w)| (k, w / total)).collect();
        let pi = distribution(n1, n2, &weights);
        let falling = |c: usize, n: usize, k: usize| {
            (0..k)
                .map(|i| c.saturating_sub(i) as f64 / (n - i) as f64)
                .product::<f64>()
        };
        for k1 in 0..=n1 {
            for k2 in 0..=n2 {
                let expected = 1.0
                    - pi.expectation(|ka, kb| falling(n1 - ka, n1, k1) * falling(n2 - kb, n2, k2));
                let value = pi.alpha(k1, k2).unwrap();
                assert!(
                    (value - expected).abs() < 1e-14,
                    "({k1}, {k2}): {value} against {expected}"
                );
            }
        }
    }
}
