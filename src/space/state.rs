//! The two-species state Ψ ∈ F_A ⊗ F_B, stored as a D_A × D_B matrix Ψ[a, b] in row-major
//! order (SPEC §2), and the double condensate u₀^{⊗N₁} ⊗ v₀^{⊗N₂}.

use rayon::prelude::*;
use statrs::function::factorial::ln_factorial;

use crate::space::fock::FockBasis;
use crate::{Error, Result, C64};

/// Ψ[a, b] with a the rank in species A's basis and b in species B's.
#[derive(Clone, Debug, PartialEq)]
pub struct TwoSpeciesState {
    rows: usize,
    columns: usize,
    data: Vec<C64>,
}

impl TwoSpeciesState {
    /// Wraps coefficients in row-major order; `data.len()` must be `rows * columns`.
    pub fn from_vec(rows: usize, columns: usize, data: Vec<C64>) -> Result<Self> {
        check_state_len(&data, rows, columns)?;
        Ok(TwoSpeciesState {
            rows,
            columns,
            data,
        })
    }

    /// The double condensate u^{⊗N₁} ⊗ v^{⊗N₂}: Ψ[a, b] = c_u(n^A_a) c_v(n^B_b), with the
    /// coefficients of [`condensate_coefficients`].
    pub fn product(basis_a: &FockBasis, u: &[C64], basis_b: &FockBasis, v: &[C64]) -> Result<Self> {
        let ca = condensate_coefficients(basis_a, u)?;
        let cb = condensate_coefficients(basis_b, v)?;
        let columns = cb.len();
        let mut data = crate::linalg::zeros(ca.len() * columns);
        data.par_chunks_mut(columns)
            .zip(ca.par_iter())
            .for_each(|(row, &a)| row.iter_mut().zip(&cb).for_each(|(z, &b)| *z = a * b));
        Ok(TwoSpeciesState {
            rows: ca.len(),
            columns,
            data,
        })
    }

    /// D_A, the number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// D_B, the number of columns.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// The coefficients, row-major.
    pub fn as_slice(&self) -> &[C64] {
        &self.data
    }

    /// The coefficients, row-major, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [C64] {
        &mut self.data
    }

    /// The amplitudes, row-major (Ψ[a, b] at a·D_B + b), handed over without a copy.
    pub fn into_vec(self) -> Vec<C64> {
        self.data
    }

    /// ‖Ψ‖.
    pub fn norm(&self) -> f64 {
        crate::linalg::norm(&self.data)
    }
}

/// Fock coefficients of u^{⊗N}: c(n) = √(N!/Π_x n_x!) Π_x u_x^{n_x} (SPEC §2), computed in log
/// space, log|c| = ½(ln N! − Σ ln n_x!) + Σ n_x ln|u_x| and arg c = Σ n_x arg u_x, so that
/// nothing overflows at N = 10⁴ and beyond.
pub fn condensate_coefficients(basis: &FockBasis, orbital: &[C64]) -> Result<Vec<C64>> {
    if orbital.len() != basis.modes() {
        return Err(Error::invalid(
            "orbital",
            format!("{} coefficients for {} modes", orbital.len(), basis.modes()),
        ));
    }
    let ln_n_factorial = ln_factorial(basis.particles() as u64);
    let ln_abs: Vec<f64> = orbital.iter().map(|z| z.norm().ln()).collect();
    let phase: Vec<f64> = orbital.iter().map(|z| z.arg()).collect();
    Ok((0..basis.dim())
        .into_par_iter()
        .map(|rank| {
            let occ = basis.occupation(rank);
            let mut log_modulus = 0.5 * ln_n_factorial;
            let mut angle = 0.0;
            for (x, &n) in occ.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                if orbital[x] == C64::new(0.0, 0.0) {
                    return C64::new(0.0, 0.0);
                }
                log_modulus += n as f64 * ln_abs[x] - 0.5 * ln_factorial(n as u64);
                angle += n as f64 * phase[x];
            }
            C64::from_polar(log_modulus.exp(), angle)
        })
        .collect())
}

/// A borrowed two-species state with its bases: Ψ[a, b] in row-major order, a the rank in
/// species A's basis, b in species B's (the shape is checked once, when the view is made).
#[derive(Clone, Copy, Debug)]
pub struct StateView<'a> {
    /// Species A's basis (the rows).
    pub basis_a: &'a FockBasis,
    /// Species B's basis (the columns).
    pub basis_b: &'a FockBasis,
    values: &'a [C64],
}

impl<'a> StateView<'a> {
    /// Views `values` as a D_A × D_B state; refused when the length is not D_A D_B.
    pub fn new(basis_a: &'a FockBasis, basis_b: &'a FockBasis, values: &'a [C64]) -> Result<Self> {
        check_state_len(values, basis_a.dim(), basis_b.dim())?;
        Ok(StateView {
            basis_a,
            basis_b,
            values,
        })
    }

    /// The coefficients, row-major.
    pub fn values(&self) -> &'a [C64] {
        self.values
    }

    /// D_A.
    pub fn rows(&self) -> usize {
        self.basis_a.dim()
    }

    /// D_B.
    pub fn columns(&self) -> usize {
        self.basis_b.dim()
    }
}

/// Refuses a D_A × D_B (`rows` × `columns`) state of another length, with both figures.
pub(crate) fn check_state_len(state: &[C64], rows: usize, columns: usize) -> Result<()> {
    if state.len() != rows * columns {
        return Err(Error::invalid(
            "state",
            format!(
                "{} coefficients for a {rows} x {columns} state",
                state.len()
            ),
        ));
    }
    Ok(())
}

/// ‖Ψ‖², refused unless finite and positive: a state of zeros, or one holding a NaN or an
/// infinity, has no normalised expectations (they would come out NaN).
pub(crate) fn checked_norm_sqr(norm_sqr: f64) -> Result<f64> {
    if norm_sqr > 0.0 && norm_sqr.is_finite() {
        Ok(norm_sqr)
    } else {
        Err(Error::invalid(
            "state",
            format!("has no normalisable weight (its squared norm is {norm_sqr})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condensate_is_normalised_even_for_ten_thousand_particles() {
        let basis = FockBasis::new(2, 10_000).unwrap();
        let u = [C64::new(0.6, 0.0), C64::from_polar(0.8, 0.3)];
        let c = condensate_coefficients(&basis, &u).unwrap();
        let norm: f64 = c.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-10, "norm {norm}");
        assert!(c.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
    }

    #[test]
    fn two_particles_in_two_modes_by_hand() {
        // u⊗u symmetrised: |2,0⟩ u0², |1,1⟩ √2 u0 u1, |0,2⟩ u1².
        let basis = FockBasis::new(2, 2).unwrap();
        let u = [C64::new(0.6, 0.0), C64::new(0.0, 0.8)];
        let c = condensate_coefficients(&basis, &u).unwrap();
        for (rank, coefficient) in c.iter().enumerate() {
            let occ = basis.occupation(rank);
            let expected = match occ {
                [2, 0] => u[0] * u[0],
                [1, 1] => 2f64.sqrt() * u[0] * u[1],
                [0, 2] => u[1] * u[1],
                _ => unreachable!(),
            };
            assert!((coefficient - expected).norm() < 1e-15);
        }
    }
}
