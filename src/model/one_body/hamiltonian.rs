//! One-body Hamiltonians h on l²(Λ) (SPEC §1, (2.7), assumption (A1)).
//!
//! * Schrödinger with magnetic field and trap: h = J(deg·I − A_φ) + diag(U), where A_φ is
//!   the adjacency matrix with Peierls phases, (A_φ)_{x+e,x} = e^{iφ}, (A_φ)_{x,x+e} = e^{−iφ},
//!   summed over the bond list (so the two bonds of a two-site ring add up to 2 cos φ);
//! * pseudo-relativistic: h = √(1 + K) + diag(U) with K = J(deg·I − A_φ), the square root taken by
//!   Hermitian eigendecomposition;
//! * any Hermitian M × M matrix given explicitly.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use faer::Mat;

use crate::linalg::{
    hermitian_eigen, hermitian_eigenvalues, hermitian_function, hermiticity_defect,
};
use crate::model::lattice::Lattice;
use crate::{Error, Result, C64};

/// Which kinetic energy the lattice Hamiltonian uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Kinetic {
    /// K = J(deg·I − A_φ), the lattice magnetic Laplacian.
    #[default]
    Schroedinger,
    /// √(1 + K).
    Relativistic,
}

impl FromStr for Kinetic {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text.trim() {
            "schroedinger" | "schrodinger" => Ok(Kinetic::Schroedinger),
            "relativistic" => Ok(Kinetic::Relativistic),
            other => Err(Error::invalid(
                "--kinetic",
                format!("'{other}' is not one of schroedinger, relativistic"),
            )),
        }
    }
}

impl fmt::Display for Kinetic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kinetic::Schroedinger => "schroedinger",
            Kinetic::Relativistic => "relativistic",
        })
    }
}

/// A Hermitian one-body Hamiltonian, an M × M matrix.
#[derive(Clone, Debug)]
pub struct OneBodyHamiltonian {
    matrix: Mat<C64>,
    /// Its least and largest eigenvalues, once asked for ([`OneBodyHamiltonian::eigenvalue_range`]).
    range: OnceLock<(f64, f64)>,
}

impl OneBodyHamiltonian {
    /// h built on a lattice from the hopping J, the Peierls phase φ and the trap U (one value
    /// per site; empty means U ≡ 0).
    pub fn on_lattice(
        lattice: &Lattice,
        kinetic: Kinetic,
        hop: f64,
        phase: f64,
        trap: &[f64],
    ) -> Result<Self> {
        let m = lattice.sites();
        if !hop.is_finite() || !phase.is_finite() {
            return Err(Error::invalid(
                "hopping",
                "hop and phase must be finite numbers",
            ));
        }
        if !trap.is_empty() && trap.len() != m {
            return Err(Error::invalid(
                "trap",
                format!(
                    "the trap has {} values, the lattice has M = {m} sites",
                    trap.len()
                ),
            ));
        }
        if trap.iter().any(|u| !u.is_finite()) {
            return Err(Error::invalid("trap", "every trap value must be finite"));
        }
        let deg = lattice.coordination() as f64;
        let mut laplacian = Mat::from_fn(m, m, |i, j| {
            C64::new(if i == j { hop * deg } else { 0.0 }, 0.0)
        });
        for bond in lattice.bonds() {
            let forward = C64::from_polar(hop, phase);
            laplacian[(bond.to, bond.from)] -= forward;
            laplacian[(bond.from, bond.to)] -= forward.conj();
        }
        let mut matrix = match kinetic {
            Kinetic::Schroedinger => laplacian,
            Kinetic::Relativistic => {
                let (values, _) = hermitian_eigen(&laplacian)?;
                if values[0] < -1.0 - 1e-12 {
                    return Err(Error::invalid(
                        "--kinetic relativistic",
                        format!(
                            "needs 1 + K >= 0, but K has eigenvalue {} (is the hopping negative?)",
                            values[0]
                        ),
                    ));
                }
                hermitian_function(&laplacian, |l| C64::new((1.0 + l).max(0.0).sqrt(), 0.0))?
            }
        };
        for (x, &u) in trap.iter().enumerate() {
            matrix[(x, x)] += u;
        }
        Ok(OneBodyHamiltonian {
            matrix,
            range: OnceLock::new(),
        })
    }

    /// An explicitly given matrix; refused unless square, finite and Hermitian
    /// (to 1e-12 relative to its largest entry).
    pub fn explicit(matrix: Mat<C64>) -> Result<Self> {
        if matrix.nrows() != matrix.ncols() {
            return Err(Error::invalid(
                "one-body Hamiltonian",
                "the matrix must be square",
            ));
        }
        let mut largest = 0.0f64;
        for j in 0..matrix.ncols() {
            for i in 0..matrix.nrows() {
                let z = matrix[(i, j)];
                if !(z.re.is_finite() && z.im.is_finite()) {
                    return Err(Error::invalid(
                        "one-body Hamiltonian",
                        "entries must be finite",
                    ));
                }
                largest = largest.max(z.norm());
            }
        }
        let defect = hermiticity_defect(&matrix);
        if defect > 1e-12 * largest.max(1.0) {
            return Err(Error::invalid(
                "one-body Hamiltonian",
                format!("the matrix is not Hermitian (|h_xy - conj(h_yx)| up to {defect:e})"),
            ));
        }
        Ok(OneBodyHamiltonian {
            matrix,
            range: OnceLock::new(),
        })
    }

    /// Number of sites M.
    pub fn sites(&self) -> usize {
        self.matrix.nrows()
    }

    /// (λ_min, λ_max) of h, computed the first time they are asked for and kept: an M × M
    /// eigenvalue problem, seconds at M = 2000, which the planner, the memory estimate and the
    /// proven spectral interval of H all need.
    pub fn eigenvalue_range(&self) -> Result<(f64, f64)> {
        if let Some(&range) = self.range.get() {
            return Ok(range);
        }
        let values = hermitian_eigenvalues(&self.matrix)?;
        Ok(*self
            .range
            .get_or_init(|| (values[0], values[values.len() - 1])))
    }

    /// The matrix h.
    pub fn matrix(&self) -> &Mat<C64> {
        &self.matrix
    }

    /// h_{xy}.
    #[inline]
    pub fn element(&self, x: usize, y: usize) -> C64 {
        self.matrix[(x, y)]
    }

    /// h u.
    pub fn apply(&self, u: &[C64]) -> Vec<C64> {
        let m = self.sites();
        (0..m)
            .map(|x| (0..m).map(|y| self.matrix[(x, y)] * u[y]).sum())
            .collect()
    }

    /// ⟨u, h u⟩ (real for Hermitian h).
    pub fn expectation(&self, u: &[C64]) -> f64 {
        let hu = self.apply(u);
        u.iter().zip(&hu).map(|(a, b)| (a.conj() * b).re).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a ring of M sites the plane waves diagonalise h: eigenvalues 2J − 2J cos(2πk/M − φ).
    #[test]
    fn the_eigenvalue_range_of_a_ring_is_that_of_its_plane_waves() {
        let (m, hop, phase) = (5, 1.5, 0.3);
        let lattice = Lattice::ring(m).unwrap();
        let h = OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Schroedinger, hop, phase, &[])
            .unwrap();
        let values: Vec<f64> = (0..m)
            .map(|k| {
                2.0 * hop
                    - 2.0 * hop * (2.0 * std::f64::consts::PI * k as f64 / m as f64 - phase).cos()
            })
            .collect();
        let least = values.iter().copied().fold(f64::INFINITY, f64::min);
        let largest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for _ in 0..2 {
            let (a, b) = h.eigenvalue_range().unwrap();
            assert!(
                (a - least).abs() < 1e-13 && (b - largest).abs() < 1e-13,
                "{a}, {b}"
            );
        }
    }

    #[test]
    fn ring_hopping_carries_the_peierls_phase() {
        let lattice = Lattice::ring(4).unwrap();
        let h =
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Schroedinger, 1.5, 0.3, &[]).unwrap();
        assert!((h.element(1, 0) - C64::from_polar(-1.5, 0.3)).norm() < 1e-15);
        assert!((h.element(0, 1) - C64::from_polar(-1.5, -0.3)).norm() < 1e-15);
        assert!((h.element(0, 3) - C64::from_polar(-1.5, 0.3)).norm() < 1e-15);
        assert!((h.element(2, 2) - C64::new(3.0, 0.0)).norm() < 1e-15);
        assert_eq!(h.element(0, 2), C64::new(0.0, 0.0));
    }

    #[test]
    fn two_site_ring_adds_both_bonds() {
        let lattice = Lattice::ring(2).unwrap();
        let h =
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Schroedinger, 1.0, 0.4, &[0.5, 0.0])
                .unwrap();
        let expected = -2.0 * 0.4f64.cos();
        assert!((h.element(0, 1) - C64::new(expected, 0.0)).norm() < 1e-15);
        assert!((h.element(0, 0) - C64::new(2.5, 0.0)).norm() < 1e-15);
    }

    #[test]
    fn relativistic_squares_back_to_one_plus_k() {
        let lattice = Lattice::ring(5).unwrap();
        let k =
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Schroedinger, 0.7, 0.2, &[]).unwrap();
        let r =
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Relativistic, 0.7, 0.2, &[]).unwrap();
        for i in 0..5 {
            for j in 0..5 {
                let square: C64 = (0..5).map(|l| r.element(i, l) * r.element(l, j)).sum();
                let target = k.element(i, j) + if i == j { 1.0 } else { 0.0 };
                assert!((square - target).norm() < 1e-12);
            }
        }
    }

    #[test]
    fn non_hermitian_and_mismatched_inputs_are_refused() {
        let m = Mat::from_fn(2, 2, |i, j| C64::new(0.0, (i as f64) - 2.0 * (j as f64)));
        assert!(OneBodyHamiltonian::explicit(m).is_err());
        let lattice = Lattice::ring(3).unwrap();
        assert!(
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Schroedinger, 1.0, 0.0, &[1.0])
                .is_err()
        );
        assert!(
            OneBodyHamiltonian::on_lattice(&lattice, Kinetic::Relativistic, -1.0, 0.0, &[])
                .is_err()
        );
    }
}
