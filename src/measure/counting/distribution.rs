//! The joint counting distribution π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩ (SPEC §4, (A.2)).
//!
//! P_k, the projection on "exactly k particles outside u", is the spectral projection of N_u on
//! N − k; in the condensate frame it keeps the occupations with n₀ = N − k. So
//! π(k_A, k_B) = Σ |Ψ′[a, b]|² over n₀^A(a) = N₁ − k_A, n₀^B(b) = N₂ − k_B, and for every f,
//! ⟨Ψ, f̂ Ψ⟩ = Σ_k f(k) π(k) (A.5).

use rayon::prelude::*;

use crate::space::fock::FockBasis;
use crate::space::state::check_state_len;
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
        let total: f64 = probabilities.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::invalid("state", "has no normalisable weight"));
        }
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
    /// N_u^A = N₁ − k_A on the range of P_{k_A}. The falling-factorial ratios are formed factor by
    /// factor, so nothing overflows at large N.
    pub fn alpha(&self, k1: usize, k2: usize) -> Result<f64> {
        let (n1, n2) = (self.particles_a, self.particles_b);
        if k1 > n1 || k2 > n2 {
            return Err(Error::invalid(
                "alpha",
                format!("needs k1 <= N1 = {n1} and k2 <= N2 = {n2}, got ({k1}, {k2})"),
            ));
        }
        let ratio = |count: usize, n: usize, k: usize| -> f64 {
            (0..k)
                .map(|i| (count.saturating_sub(i)) as f64 / (n - i) as f64)
                .product()
        };
        // The ratios of each species once per count (not once per pair of counts): O(N₁N₂) per
        // α rather than O(N₁N₂(k₁ + k₂)), the same values.
        let ratios = |n: usize, k: usize| -> Vec<f64> {
            (0..=n).map(|excited| ratio(n - excited, n, k)).collect()
        };
        let (ratios_a, ratios_b) = (ratios(n1, k1), ratios(n2, k2));
        Ok(1.0 - self.expectation(|ka, kb| ratios_a[ka] * ratios_b[kb]))
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
