//! Second-quantised operators of one species, O = Σ_{x,y} T_xy a†_x a_y + diag f(n), as sparse
//! matrices on a [`FockBasis`].
//!
//! Matrix elements through ranks: for n′ = n + e_x − e_y (x ≠ y),
//! ⟨n′| a†_x a_y |n⟩ = √(n′_x (n′_y + 1)), and a†_x a_x = n_x. Each row n′ is built on its own
//! (rows in parallel), visiting the pairs (x, y) with T_xy ≠ 0 and n′_x ≥ 1; the column is
//! rank(n′ − e_x + e_y), computed in O(M).

use faer::Mat;
use rayon::prelude::*;

use super::{index_of_site, lowering, FockBasis};
use crate::{Result, C64};

/// A sparse operator on one species' Fock space, stored by rows (CSR); or, for
/// [`SpeciesOperator::orbital_lowering`], from that space to the one of a particle fewer.
#[derive(Clone, Debug)]
pub struct SpeciesOperator {
    dim: usize,
    /// The dimension of the space it acts on (`dim` but for a lowering).
    source_dim: usize,
    row_start: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<C64>,
}

impl SpeciesOperator {
    /// Σ_{x,y} T_xy a†_x a_y + diag(f(n)), with T an M × M matrix and f a function of the
    /// occupation (for example the interaction energy of that occupation).
    pub fn from_one_body(
        basis: &FockBasis,
        one_body: &Mat<C64>,
        diagonal: impl Fn(&[u32]) -> f64 + Sync,
    ) -> Result<Self> {
        let m = basis.modes();
        assert_eq!(one_body.nrows(), m);
        assert_eq!(one_body.ncols(), m);
        if basis.dim() > u32::MAX as usize {
            return Err(crate::Error::TooLarge(format!(
                "a species basis of dimension {} (at most {} per species)",
                basis.dim(),
                u32::MAX
            )));
        }
        let pairs: Vec<(usize, usize, C64)> = (0..m)
            .flat_map(|x| (0..m).map(move |y| (x, y)))
            .filter(|&(x, y)| x != y)
            .map(|(x, y)| (x, y, one_body[(x, y)]))
            .filter(|&(_, _, t)| t != C64::new(0.0, 0.0))
            .collect();
        let rows: Vec<Vec<(u32, C64)>> = (0..basis.dim())
            .into_par_iter()
            .map_init(
                || vec![0u32; m],
                |scratch, row| {
                    let occ = basis.occupation(row);
                    let mut entries = Vec::with_capacity(pairs.len() + 1);
                    let diag: f64 = (0..m)
                        .map(|x| one_body[(x, x)].re * occ[x] as f64)
                        .sum::<f64>()
                        + diagonal(occ);
                    entries.push((row as u32, C64::new(diag, 0.0)));
                    for &(x, y, t) in &pairs {
                        if occ[x] == 0 {
                            continue;
                        }
                        scratch.copy_from_slice(occ);
                        scratch[x] -= 1;
                        scratch[y] += 1;
                        let column = basis.rank(scratch);
                        let amplitude = ((occ[x] as f64) * (occ[y] as f64 + 1.0)).sqrt();
                        entries.push((column as u32, t * amplitude));
                    }
                    entries.sort_unstable_by_key(|e| e.0);
                    entries
                },
            )
            .collect();
        Ok(Self::from_rows((basis.dim(), basis.dim()), rows))
    }

    /// The two-body operator dΓ₂(T) = Σ T_{(x,y),(x′,y′)} a†_x a†_y a_{y′} a_{x′} for an M² × M² matrix T
    /// indexed x + M y (first particle the lowest digit). In first quantisation it is
    /// Σ_{i≠j} T_{ij} (T on particles i, j in that order), so for a symmetric state
    /// ⟨T₁₂⟩ = ⟨dΓ₂(T)⟩/(N(N−1)). Row n′ collects, for n′_x ≥ 1, n′_y − δ_xy ≥ 1 and every (x′, y′),
    /// the column n = n′ − e_x − e_y + e_{y′} + e_{x′} with amplitude √(n′_x · n₃_y · n₁_{y′} · n_{x′}),
    /// n₃ = n′ − e_x, n₁ = n₃ − e_y + e_{y′}.
    pub fn from_two_body(basis: &FockBasis, two_body: &Mat<C64>) -> Result<Self> {
        let m = basis.modes();
        assert_eq!(two_body.nrows(), m * m);
        assert_eq!(two_body.ncols(), m * m);
        if basis.dim() > u32::MAX as usize {
            return Err(crate::Error::TooLarge(format!(
                "a species basis of dimension {}",
                basis.dim()
            )));
        }
        let zero = C64::new(0.0, 0.0);
        let rows: Vec<Vec<(u32, C64)>> = (0..basis.dim())
            .into_par_iter()
            .map_init(
                || vec![0u32; m],
                |scratch, row| {
                    let out = basis.occupation(row);
                    let mut entries: Vec<(u32, C64)> = Vec::new();
                    for x in 0..m {
                        if out[x] == 0 {
                            continue;
                        }
                        for y in 0..m {
                            let n3_y = out[y] - u32::from(x == y);
                            if n3_y == 0 {
                                continue;
                            }
                            for xp in 0..m {
                                for yp in 0..m {
                                    let t = two_body[(x + m * y, xp + m * yp)];
                                    if t == zero {
                                        continue;
                                    }
                                    scratch.copy_from_slice(out);
                                    scratch[x] -= 1;
                                    scratch[y] -= 1;
                                    scratch[yp] += 1;
                                    let n1_yp = scratch[yp];
                                    scratch[xp] += 1;
                                    let n_xp = scratch[xp];
                                    let amplitude =
                                        (out[x] as f64 * n3_y as f64 * n1_yp as f64 * n_xp as f64)
                                            .sqrt();
                                    entries.push((basis.rank(scratch) as u32, t * amplitude));
                                }
                            }
                        }
                    }
                    entries.sort_unstable_by_key(|e| e.0);
                    let mut merged: Vec<(u32, C64)> = Vec::with_capacity(entries.len());
                    for (c, v) in entries {
                        match merged.last_mut() {
                            Some(last) if last.0 == c => last.1 += v,
                            _ => merged.push((c, v)),
                        }
                    }
                    merged
                },
            )
            .collect();
        Ok(Self::from_rows((basis.dim(), basis.dim()), rows))
    }

    /// The annihilation operator of an orbital, a(u) = Σ_x conj(u_x) a_x, from the space of
    /// `basis` (N particles) to that of `lowered` (N − 1 particles on the same sites): row r
    /// holds, for each site x with u_x ≠ 0 in order, the column rank(r + e_x) and the value
    /// conj(u_x) √(r_x + 1) (a_x|n⟩ = √n_x |n − e_x⟩). Then ⟨N_u⟩ = ‖a(u)Ψ‖², with
    /// N_u = a†(u)a(u).
    pub fn orbital_lowering(
        basis: &FockBasis,
        lowered: &FockBasis,
        orbital: &[C64],
    ) -> Result<Self> {
        let m = basis.modes();
        if lowered.modes() != m
            || lowered.particles() + 1 != basis.particles()
            || orbital.len() != m
        {
            return Err(crate::Error::invalid(
                "orbital lowering",
                format!(
                    "needs N and N - 1 particles on the same M sites and an orbital of M entries; got {} and {} particles on {} and {} sites, an orbital of {}",
                    basis.particles(),
                    lowered.particles(),
                    m,
                    lowered.modes(),
                    orbital.len()
                ),
            ));
        }
        if basis.dim() > u32::MAX as usize {
            return Err(crate::Error::TooLarge(format!(
                "a species basis of dimension {}",
                basis.dim()
            )));
        }
        // The lowerings by one particle at each site x (the kept occupation e_x): the rank of
        // r + e_x and √(r_x + 1) for each row r.
        let one = FockBasis::new(m, 1)?;
        let (ranks, factors) = lowering(basis, &one, lowered);
        let by_site = index_of_site(&one);
        let rows: Vec<Vec<(u32, C64)>> = (0..lowered.dim())
            .map(|row| {
                (0..m)
                    .filter(|&x| orbital[x] != C64::new(0.0, 0.0))
                    .map(|x| {
                        let k = by_site[x] * lowered.dim() + row;
                        (ranks[k], orbital[x].conj() * factors[k])
                    })
                    .collect()
            })
            .collect();
        Ok(Self::from_rows((lowered.dim(), basis.dim()), rows))
    }

    /// The operator of `rows`, a list of (column, value) per row, from a space of dimension
    /// `source_dim` to one of `dim`.
    fn from_rows((dim, source_dim): (usize, usize), rows: Vec<Vec<(u32, C64)>>) -> Self {
        let mut row_start = Vec::with_capacity(dim + 1);
        row_start.push(0);
        let nnz: usize = rows.iter().map(Vec::len).sum();
        let mut columns = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        for row in rows {
            for (c, v) in row {
                columns.push(c);
                values.push(v);
            }
            row_start.push(columns.len());
        }
        SpeciesOperator {
            dim,
            source_dim,
            row_start,
            columns,
            values,
        }
    }

    /// The number operator of an orbital, N_u = a†(u) a(u) = Σ_{x,y} u_x conj(u_y) a†_x a_y
    /// (SPEC §4).
    pub fn orbital_number(basis: &FockBasis, orbital: &[C64]) -> Result<Self> {
        let m = basis.modes();
        let projector = Mat::from_fn(m, m, |x, y| orbital[x] * orbital[y].conj());
        Self::from_one_body(basis, &projector, |_| 0.0)
    }

    /// Dimension of the species' Fock space (of the space it maps to, for a lowering).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Dimension of the space it acts on: [`Self::dim`] but for a lowering.
    pub fn source_dim(&self) -> usize {
        self.source_dim
    }

    /// Number of stored entries.
    pub fn nonzeros(&self) -> usize {
        self.values.len()
    }

    /// The entries (column, value) of one row.
    #[inline]
    pub fn row(&self, row: usize) -> (&[u32], &[C64]) {
        let range = self.row_start[row]..self.row_start[row + 1];
        (&self.columns[range.clone()], &self.values[range])
    }

    /// Splits off the diagonal of an operator on one space: the same operator without its
    /// diagonal entries, and the (real) diagonal. Used to fold every diagonal term of H into one
    /// factor per entry.
    pub fn split_diagonal(&self) -> (SpeciesOperator, Vec<f64>) {
        let mut diagonal = vec![0.0; self.dim];
        let mut row_start = Vec::with_capacity(self.dim + 1);
        let mut columns = Vec::with_capacity(self.columns.len());
        let mut values = Vec::with_capacity(self.values.len());
        row_start.push(0);
        for (r, d) in diagonal.iter_mut().enumerate() {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                if c as usize == r {
                    *d += v.re;
                } else {
                    columns.push(c);
                    values.push(v);
                }
            }
            row_start.push(columns.len());
        }
        let off_diagonal = SpeciesOperator {
            dim: self.dim,
            source_dim: self.source_dim,
            row_start,
            columns,
            values,
        };
        (off_diagonal, diagonal)
    }

    /// The dense matrix (for tests and small spaces).
    pub fn to_dense(&self) -> Mat<C64> {
        let mut dense = Mat::zeros(self.dim, self.source_dim);
        for r in 0..self.dim {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                dense[(r, c as usize)] += v;
            }
        }
        dense
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// a(u) from three particles to two, on four sites with u_2 = 0: a(u)†a(u) equals N_u built
    /// from its own matrix elements Σ u_x conj(u_y) a†_x a_y, and each row has one entry per
    /// site where u is non-zero.
    #[test]
    fn the_orbital_lowering_squares_to_the_orbital_number() {
        let (basis, lowered) = (FockBasis::new(4, 3).unwrap(), FockBasis::new(4, 2).unwrap());
        let u = [
            C64::new(0.5, 0.1),
            C64::new(-0.3, 0.6),
            C64::new(0.0, 0.0),
            C64::new(0.2, -0.49),
        ];
        let lowering = SpeciesOperator::orbital_lowering(&basis, &lowered, &u).unwrap();
        assert_eq!((lowering.dim(), lowering.source_dim()), (10, 20));
        assert!((0..10).all(|r| lowering.row(r).0.len() == 3));
        let a = lowering.to_dense();
        let squared = a.adjoint() * &a;
        let number = SpeciesOperator::orbital_number(&basis, &u)
            .unwrap()
            .to_dense();
        for i in 0..20 {
            for j in 0..20 {
                assert!((squared[(i, j)] - number[(i, j)]).norm() < 1e-14, "{i} {j}");
            }
        }
        let wrong = FockBasis::new(4, 1).unwrap();
        assert!(SpeciesOperator::orbital_lowering(&basis, &wrong, &u).is_err());
        assert!(SpeciesOperator::orbital_lowering(&basis, &lowered, &u[..3]).is_err());
    }
}
