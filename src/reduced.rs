//! Reduced density matrices of a two-species state (SPEC §4, (2.3)–(2.4), (3.1)), in the kernel
//! convention γ(x, x′):
//!
//! * γ^(1,0)(x, x′) = ⟨a†_{x′} a_x⟩/N₁, γ^(0,1)(y, y′) = ⟨b†_{y′} b_y⟩/N₂;
//! * γ^(1,1)((x,y), (x′,y′)) = ⟨a†_{x′} a_x b†_{y′} b_y⟩/(N₁N₂), an M² × M² matrix indexed x + M y;
//!
//! with R^(1,1) = Tr|γ^(1,1) − |u⊗v⟩⟨u⊗v|| (3.4) from the Hermitian eigenvalues, and the natural
//! occupations, the eigenvalues of γ^(1,0) and γ^(0,1).
//!
//! Each entry is an expectation of a†_{x′}a_x built as a [`SpeciesOperator`] with one non-zero
//! one-body entry and applied with the engine's kernel: M² passes over Ψ for γ^(1,0), M⁴ for
//! γ^(1,1).

use faer::Mat;

use crate::fock::{FockBasis, SpeciesOperator};
use crate::hamiltonian::apply_two_species;
use crate::linalg::{dot, hermitian_eigen};
use crate::{Error, Result, C64};

/// The operator a†_{to} a_{from} on one species.
fn hop(basis: &FockBasis, to: usize, from: usize) -> Result<SpeciesOperator> {
    let m = basis.modes();
    let mut t = Mat::zeros(m, m);
    t[(to, from)] = C64::new(1.0, 0.0);
    SpeciesOperator::from_one_body(basis, &t, |_| 0.0)
}

/// Which species a one-body reduced density matrix belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Species {
    /// Species A (rows of Ψ).
    A,
    /// Species B (columns of Ψ).
    B,
}

/// γ^(1,0) (species A) or γ^(0,1) (species B) of a normalised state.
pub fn one_body_density(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
    species: Species,
) -> Result<Mat<C64>> {
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let basis = match species {
        Species::A => basis_a,
        Species::B => basis_b,
    };
    let m = basis.modes();
    let n = basis.particles() as f64;
    let norm_sqr = dot(state, state).re;
    let mut scratch = vec![C64::new(0.0, 0.0); state.len()];
    let mut gamma = Mat::zeros(m, m);
    for x in 0..m {
        for x2 in 0..m {
            let op = hop(basis, x2, x)?;
            let value = match species {
                Species::A => {
                    apply_two_species(Some(&op), None, None, rows, columns, state, &mut scratch)
                }
                Species::B => {
                    apply_two_species(None, Some(&op), None, rows, columns, state, &mut scratch)
                }
            };
            gamma[(x, x2)] = value / (n * norm_sqr);
        }
    }
    Ok(gamma)
}

/// γ^(1,1) of a normalised state, indexed x + M y. Refused above M = 16 (M⁴ passes over Ψ).
pub fn two_species_density(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
) -> Result<Mat<C64>> {
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let m = basis_a.modes();
    if m > 16 {
        return Err(Error::TooLarge(format!(
            "gamma^(1,1) on M = {m} sites (M^4 passes over the state)"
        )));
    }
    let (n1, n2) = (basis_a.particles() as f64, basis_b.particles() as f64);
    let norm_sqr = dot(state, state).re;
    let hops_b: Vec<SpeciesOperator> = (0..m * m)
        .map(|k| hop(basis_b, k / m, k % m))
        .collect::<Result<_>>()?;
    let mut moved = vec![C64::new(0.0, 0.0); state.len()];
    let mut scratch = vec![C64::new(0.0, 0.0); state.len()];
    let mut gamma = Mat::zeros(m * m, m * m);
    for x in 0..m {
        for x2 in 0..m {
            // X = (a†_{x′} a_x ⊗ 1)Ψ.
            apply_two_species(
                Some(&hop(basis_a, x2, x)?),
                None,
                None,
                rows,
                columns,
                state,
                &mut moved,
            );
            for y in 0..m {
                for y2 in 0..m {
                    // ⟨Ψ, (1 ⊗ b†_{y′} b_y) X⟩; hops_b[y′ M + y] = b†_{y′} b_y.
                    apply_two_species(
                        None,
                        Some(&hops_b[y2 * m + y]),
                        None,
                        rows,
                        columns,
                        &moved,
                        &mut scratch,
                    );
                    gamma[(x + m * y, x2 + m * y2)] = dot(state, &scratch) / (n1 * n2 * norm_sqr);
                }
            }
        }
    }
    Ok(gamma)
}

/// Tr|γ − |w⟩⟨w|| for a Hermitian γ and a normalised w: the indicator R of (3.4).
pub fn trace_distance_to_pure(gamma: &Mat<C64>, w: &[C64]) -> Result<f64> {
    let n = gamma.nrows();
    assert_eq!(w.len(), n);
    let difference = Mat::from_fn(n, n, |i, j| gamma[(i, j)] - w[i] * w[j].conj());
    let (values, _) = hermitian_eigen(&difference)?;
    Ok(values.iter().map(|l| l.abs()).sum())
}

/// Eigenvalues of a one-body density matrix, largest first (the natural occupations).
pub fn natural_occupations(gamma: &Mat<C64>) -> Result<Vec<f64>> {
    let (mut values, _) = hermitian_eigen(gamma)?;
    values.reverse();
    Ok(values)
}

/// u ⊗ v indexed x + M y.
pub fn product_vector(u: &[C64], v: &[C64]) -> Vec<C64> {
    let m = u.len();
    (0..m * m).map(|k| u[k % m] * v[k / m]).collect()
}
