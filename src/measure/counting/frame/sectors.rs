//! The sectors of one Givens factor on the Fock space and their Wigner-d blocks: Γ(g) keeps
//! n_{x−1} + n_x = s, and on each sector e^{θ G_s} = D⁻¹ V diag(e^{iθσ}) Vᵀ D (the doc of `counting::frame`).

use faer::Mat;

use crate::linalg::symmetric_eigen;
use crate::{Error, Result};

/// The states of one sector: ranks of |…, n_{x−1} = k, n_x = s − k, …⟩ for k = 0..s.
#[derive(Clone, Debug)]
pub(super) struct Sector {
    pub(super) ranks: Vec<u32>,
}

/// Eigen-decomposition S = V diag(σ) Vᵀ of the sector generator of size s + 1.
#[derive(Clone, Debug)]
pub(super) struct SectorEigen {
    pub(super) vectors: Mat<f64>,
    pub(super) values: Vec<f64>,
}

impl SectorEigen {
    pub(super) fn new(s: usize) -> Result<Self> {
        let n = s + 1;
        let b = |k: usize| (((k + 1) * (s - k)) as f64).sqrt();
        let matrix = Mat::from_fn(n, n, |i, j| {
            if i == j + 1 {
                b(j)
            } else if j == i + 1 {
                b(i)
            } else {
                0.0
            }
        });
        let (computed, vectors) = symmetric_eigen(&matrix)?;
        // The spectrum is exactly {−s, −s+2, …, s}; use the exact values.
        let values: Vec<f64> = (0..n).map(|l| 2.0 * l as f64 - s as f64).collect();
        let worst = computed
            .iter()
            .zip(&values)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if worst > 1e-8 * (s as f64).max(1.0) {
            return Err(Error::Numerical(format!(
                "sector eigenvalues of size {n} off by {worst:e}"
            )));
        }
        Ok(SectorEigen { vectors, values })
    }
}
