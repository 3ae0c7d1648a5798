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
//! γ^(1,1). The general γ^(k₁,k₂) ([`reduced_density`]) is formed in the symmetric occupation
//! basis as a Gram matrix, from which R^(k₁,k₂) follows.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use crate::evolution::hamiltonian::apply_two_species;
use crate::linalg::{dot, hermitian_eigen};
use crate::space::fock::{lowering, FockBasis, SpeciesOperator};
use crate::space::state::{checked_norm_sqr, condensate_coefficients};
use crate::{Error, Result, C64};

/// The operator a†_{to} a_{from} on one species.
fn hop(basis: &FockBasis, to: usize, from: usize) -> Result<SpeciesOperator> {
    let m = basis.modes();
    let mut t = Mat::zeros(m, m);
    t[(to, from)] = C64::new(1.0, 0.0);
    SpeciesOperator::from_one_body(basis, &t, |_| 0.0)
}

pub use crate::model::Component;

/// γ^(1,0) (species A) or γ^(0,1) (species B) of a normalised state.
pub fn one_body_density(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
    species: Component,
) -> Result<Mat<C64>> {
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let basis = match species {
        Component::A => basis_a,
        Component::B => basis_b,
    };
    let m = basis.modes();
    let n = basis.particles() as f64;
    let norm_sqr = dot(state, state).re;
    let mut scratch = crate::linalg::zeros(state.len());
    let mut gamma = Mat::zeros(m, m);
    for x in 0..m {
        for x2 in 0..m {
            let op = hop(basis, x2, x)?;
            let value = match species {
                Component::A => {
                    apply_two_species(Some(&op), None, None, rows, columns, state, &mut scratch)
                }
                Component::B => {
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
    let mut moved = crate::linalg::zeros(state.len());
    let mut scratch = crate::linalg::zeros(state.len());
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

/// γ^(k₁,k₂) in the orthonormal occupation basis of F_{k₁} ⊗ F_{k₂} (the symmetric subspace that
/// carries it), indexed m · dim F_{k₂} + l, with the bases of k₁ and k₂ particles.
#[derive(Clone, Debug)]
pub struct SymmetricReducedDensity {
    /// Occupation basis of k₁ A-particles.
    pub basis_a: FockBasis,
    /// Occupation basis of k₂ B-particles.
    pub basis_b: FockBasis,
    /// The matrix γ^(k₁,k₂).
    pub matrix: Mat<C64>,
}

/// Largest dim F_{k₁} · dim F_{k₂} for which γ^(k₁,k₂) is formed (a dense matrix and its
/// eigendecomposition of that size).
pub const MAX_REDUCED_DIMENSION: usize = 2048;

/// γ^(k₁,k₂) of a state (SPEC §4): γ_{(m,l),(m′,l′)} = k₁!k₂!/((N₁)_{k₁}(N₂)_{k₂}) ⟨φ_{m′l′}, φ_{ml}⟩
/// with φ_{ml} = (Π a_x^{m_x}/√(m_x!) ⊗ Π b_y^{l_y}/√(l_y!))Ψ, i.e. the kernel (3.2) written in the
/// orthonormal symmetric basis. The Gram matrix of the φ's is accumulated block by block of
/// the remaining A-occupations (faer matmul), so memory stays O(D). Refused, with the sizes, when
/// dim F_{k₁} · dim F_{k₂} exceeds [`MAX_REDUCED_DIMENSION`].
pub fn reduced_density(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
    k1: usize,
    k2: usize,
) -> Result<SymmetricReducedDensity> {
    let (n1, n2, m) = (basis_a.particles(), basis_b.particles(), basis_a.modes());
    if k1 > n1 || k2 > n2 || k1 + k2 == 0 {
        return Err(Error::invalid(
            "reduced density matrix",
            format!(
                "needs 0 <= k1 <= N1 = {n1}, 0 <= k2 <= N2 = {n2}, k1 + k2 >= 1; got ({k1}, {k2})"
            ),
        ));
    }
    let size = FockBasis::dimension(m, k1)?.saturating_mul(FockBasis::dimension(m, k2)?);
    if size > MAX_REDUCED_DIMENSION {
        return Err(Error::TooLarge(format!(
            "gamma^({k1},{k2}) on M = {m} sites is a {size} x {size} matrix (at most {MAX_REDUCED_DIMENSION})"
        )));
    }
    let (kept_a, kept_b) = (FockBasis::new(m, k1)?, FockBasis::new(m, k2)?);
    let (rest_a, rest_b) = (FockBasis::new(m, n1 - k1)?, FockBasis::new(m, n2 - k2)?);
    let (ranks_a, factors_a) = lowering(basis_a, &kept_a, &rest_a);
    let (ranks_b, factors_b) = lowering(basis_b, &kept_b, &rest_b);
    let columns = basis_b.dim();
    let (da, db) = (rest_a.dim(), rest_b.dim());
    let p = kept_a.dim() * kept_b.dim();
    let block_rows = ((1usize << 21) / (db * p).max(1)).clamp(1, da);
    let mut gram = Mat::<C64>::zeros(p, p);
    for start in (0..da).step_by(block_rows) {
        let rows = block_rows.min(da - start);
        // Φ: (rows · D_B″) × P, column (i, j) holding φ_{ij} on this block (columns filled in
        // parallel; each entry is one product, so the order does not matter).
        let height = rows * db;
        let mut phi_values = vec![C64::new(0.0, 0.0); height * p];
        phi_values
            .par_chunks_mut(height)
            .enumerate()
            .for_each(|(column, phi_column)| {
                let (i, j) = (column / kept_b.dim(), column % kept_b.dim());
                for r in 0..rows {
                    let a = start + r;
                    let (source_a, fa) = (ranks_a[i * da + a] as usize, factors_a[i * da + a]);
                    let source_row = &state[source_a * columns..(source_a + 1) * columns];
                    for b in 0..db {
                        let (source_b, fb) = (ranks_b[j * db + b] as usize, factors_b[j * db + b]);
                        phi_column[r * db + b] = fa * fb * source_row[source_b];
                    }
                }
            });
        let phi = faer::MatRef::from_column_major_slice(phi_values.as_slice(), height, p);
        matmul(
            &mut gram,
            Accum::Add,
            phi.adjoint(),
            phi,
            C64::new(1.0, 0.0),
            Par::rayon(0),
        );
    }
    let mut weight = 1.0 / checked_norm_sqr(dot(state, state).re)?;
    for i in 0..k1 {
        weight *= (i + 1) as f64 / (n1 - i) as f64;
    }
    for i in 0..k2 {
        weight *= (i + 1) as f64 / (n2 - i) as f64;
    }
    // γ_{ij} = w ⟨φ_j, φ_i⟩ = w conj(G_{ij}).
    let matrix = Mat::from_fn(p, p, |i, j| weight * gram[(i, j)].conj());
    Ok(SymmetricReducedDensity {
        basis_a: kept_a,
        basis_b: kept_b,
        matrix,
    })
}

impl SymmetricReducedDensity {
    /// u^{⊗k₁} ⊗ v^{⊗k₂} in the same basis.
    pub fn condensate_vector(&self, u: &[C64], v: &[C64]) -> Result<Vec<C64>> {
        let cu = condensate_coefficients(&self.basis_a, u)?;
        let cv = condensate_coefficients(&self.basis_b, v)?;
        Ok(cu
            .iter()
            .flat_map(|a| cv.iter().map(move |b| a * b))
            .collect())
    }

    /// α^(k₁,k₂) = 1 − ⟨u^{⊗k₁}⊗v^{⊗k₂}, γ u^{⊗k₁}⊗v^{⊗k₂}⟩ (3.3).
    pub fn alpha(&self, u: &[C64], v: &[C64]) -> Result<f64> {
        let w = self.condensate_vector(u, v)?;
        let n = w.len();
        let mut value = C64::new(0.0, 0.0);
        for i in 0..n {
            for j in 0..n {
                value += w[i].conj() * self.matrix[(i, j)] * w[j];
            }
        }
        Ok(1.0 - value.re)
    }

    /// R^(k₁,k₂) = Tr|γ − |u^{⊗k₁}⊗v^{⊗k₂}⟩⟨u^{⊗k₁}⊗v^{⊗k₂}|| (3.4).
    pub fn trace_distance(&self, u: &[C64], v: &[C64]) -> Result<f64> {
        trace_distance_to_pure(&self.matrix, &self.condensate_vector(u, v)?)
    }
}
