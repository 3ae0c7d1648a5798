//! Second-quantised operators of one species, O = Σ_{x,y} T_xy a†_x a_y + diag f(n), as sparse
//! matrices on a [`FockBasis`].
//!
//! Matrix elements through ranks: for n′ = n + e_x − e_y (x ≠ y),
//! ⟨n′| a†_x a_y |n⟩ = √(n′_x (n′_y + 1)), and a†_x a_x = n_x. Each row n′ is built on its own
//! (rows in parallel), visiting the pairs (x, y) with T_xy ≠ 0 and n′_x ≥ 1; the column is
//! rank(n′ − e_x + e_y), computed in O(M).

use faer::Mat;
use rayon::prelude::*;

use super::FockBasis;
use crate::{Result, C64};

/// A sparse operator on one species' Fock space, stored by rows (CSR).
#[derive(Clone, Debug)]
pub struct SpeciesOperator {
    dim: usize,
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
        Ok(Self::from_rows(basis.dim(), rows))
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
        Ok(Self::from_rows(basis.dim(), rows))
    }

    fn from_rows(dim: usize, rows: Vec<Vec<(u32, C64)>>) -> Self {
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

    /// Dimension of the species' Fock space.
    pub fn dim(&self) -> usize {
        self.dim
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

    /// Splits off the diagonal: the same operator without its diagonal entries, and the
    /// (real) diagonal. Used to fold every diagonal term of H into one factor per entry.
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
            row_start,
            columns,
            values,
        };
        (off_diagonal, diagonal)
    }

    /// The dense matrix (for tests and small spaces).
    pub fn to_dense(&self) -> Mat<C64> {
        let mut dense = Mat::zeros(self.dim, self.dim);
        for r in 0..self.dim {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                dense[(r, c as usize)] += v;
            }
        }
        dense
    }
}
