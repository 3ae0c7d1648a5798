//! One species' frame change Γ(W) on the rows (species A) or the columns (species B) of Ψ,
//! factor by factor and sector by sector (the doc of `counting::frame`).

use std::collections::BTreeMap;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use super::givens::{givens_sequence, Givens};
use super::sectors::{Sector, SectorEigen};
use crate::evolution::hamiltonian::rows::{per_vector_unit, reals, reals_mut};
use crate::space::fock::FockBasis;
use crate::{Result, C64};

/// Everything about one species' Fock space that the frame change needs and that does not
/// depend on the orbital: the sectors of each mode pair and the cached sector eigenvectors.
#[derive(Clone, Debug)]
pub struct SpeciesFrame {
    dim: usize,
    pub(super) modes: usize,
    particles: usize,
    /// sectors[x] for the pair (x−1, x), x = 1..M−1 (index 0 unused).
    sectors: Vec<Vec<Sector>>,
    eigen: BTreeMap<usize, SectorEigen>,
}

impl SpeciesFrame {
    /// Precomputes the sectors of every neighbouring mode pair and their eigenvectors.
    pub fn new(basis: &FockBasis) -> Result<Self> {
        let m = basis.modes();
        let mut sectors = vec![Vec::new(); m];
        let mut sizes = std::collections::BTreeSet::new();
        for (x, list) in sectors.iter_mut().enumerate().skip(1) {
            let mut occupation = vec![0u32; m];
            for rank in 0..basis.dim() {
                let occ = basis.occupation(rank);
                if occ[x - 1] != 0 {
                    continue;
                }
                let s = occ[x] as usize;
                occupation.copy_from_slice(occ);
                let ranks = (0..=s)
                    .map(|k| {
                        occupation[x - 1] = k as u32;
                        occupation[x] = (s - k) as u32;
                        basis.rank(&occupation) as u32
                    })
                    .collect();
                sizes.insert(s);
                list.push(Sector { ranks });
            }
        }
        let eigen = sizes
            .into_iter()
            .filter(|&s| s > 0)
            .map(|s| SectorEigen::new(s).map(|e| (s, e)))
            .collect::<Result<_>>()?;
        Ok(SpeciesFrame {
            dim: basis.dim(),
            modes: m,
            particles: basis.particles(),
            sectors,
            eigen,
        })
    }

    /// Dimension of the species' Fock space.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The Givens factors of W (or of W⁻¹, reversed, when `inverse`).
    fn factors(&self, orbital: &[C64], inverse: bool) -> Vec<Givens> {
        let mut sequence = givens_sequence(orbital);
        if inverse {
            sequence.reverse();
        }
        sequence
    }

    /// For one factor, the sector matrices M_s = diag(post) V diag(e^{±iθσ}) Vᵀ diag(pre) for
    /// every sector size s of its mode pair:
    /// forward Γ(g) = D⁻¹ V e^{iθσ} Vᵀ D · e^{−i(αk + β(s−k))},
    /// inverse Γ(g)⁻¹ = e^{+i(αk + β(s−k))} · D⁻¹ V e^{−iθσ} Vᵀ D, with D = diag(i^k).
    fn sector_matrices(&self, g: Givens, inverse: bool) -> BTreeMap<usize, Mat<C64>> {
        let sign = if inverse { -1.0 } else { 1.0 };
        let i_power = |k: usize| {
            [
                C64::new(1.0, 0.0),
                C64::new(0.0, 1.0),
                C64::new(-1.0, 0.0),
                C64::new(0.0, -1.0),
            ][k % 4]
        };
        let mut sizes: Vec<usize> = self.sectors[g.mode]
            .iter()
            .map(|sector| sector.ranks.len() - 1)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
            .into_iter()
            .map(|s| {
                let diagonal_phase = |k: usize| {
                    C64::from_polar(
                        1.0,
                        -sign * (g.phase_low * k as f64 + g.phase_high * (s - k) as f64),
                    )
                };
                let (pre, post): (Vec<C64>, Vec<C64>) = (0..=s)
                    .map(|k| {
                        if inverse {
                            (i_power(k), i_power(k).conj() * diagonal_phase(k))
                        } else {
                            (i_power(k) * diagonal_phase(k), i_power(k).conj())
                        }
                    })
                    .unzip();
                if s == 0 {
                    return (s, Mat::from_fn(1, 1, |_, _| pre[0] * post[0]));
                }
                let eigen = &self.eigen[&s];
                let phases: Vec<C64> = eigen
                    .values
                    .iter()
                    .map(|&sigma| C64::from_polar(1.0, sign * g.angle * sigma))
                    .collect();
                // V diag(phase) Vᵀ (one product for large sectors), then the diagonal factors.
                let v = &eigen.vectors;
                let inner = if s + 1 > LARGE_SECTOR {
                    let scaled = Mat::<C64>::from_fn(s + 1, s + 1, |k, j| phases[j] * v[(k, j)]);
                    let transposed =
                        Mat::<C64>::from_fn(s + 1, s + 1, |j, l| C64::new(v[(l, j)], 0.0));
                    let mut inner = Mat::<C64>::zeros(s + 1, s + 1);
                    matmul(
                        &mut inner,
                        Accum::Replace,
                        &scaled,
                        &transposed,
                        C64::new(1.0, 0.0),
                        Par::rayon(0),
                    );
                    inner
                } else {
                    Mat::from_fn(s + 1, s + 1, |k, l| {
                        (0..=s).map(|j| v[(k, j)] * phases[j] * v[(l, j)]).sum()
                    })
                };
                (
                    s,
                    Mat::from_fn(s + 1, s + 1, |k, l| post[k] * inner[(k, l)] * pre[l]),
                )
            })
            .collect()
    }

    /// Applies one factor to the rows of a row-major `dim × length` matrix (this species on the
    /// rows). Sectors in parallel; small sectors by contiguous row combinations, large ones by
    /// one faer product.
    fn rotate_rows(
        &self,
        g: Givens,
        matrices: &BTreeMap<usize, Mat<C64>>,
        data: &mut [C64],
        length: usize,
    ) {
        let sectors = &self.sectors[g.mode];
        let shared = SharedRows(data.as_mut_ptr(), data.len());
        sectors.par_iter().for_each_init(
            || (Vec::new(), Vec::new()),
            |(scratch, pieces): &mut (Vec<C64>, Vec<f64>), sector| {
                let n = sector.ranks.len();
                let matrix = &matrices[&(n - 1)];
                // SAFETY: every rank belongs to exactly one sector of this mode pair, so the rows
                // touched here are touched by no other task.
                let mut rows: Vec<&mut [C64]> = sector
                    .ranks
                    .iter()
                    .map(|&r| unsafe { shared.row(r as usize, length) })
                    .collect();
                if n == 1 {
                    let f = matrix[(0, 0)];
                    rows[0].iter_mut().for_each(|z| *z *= f);
                    return;
                }
                if n > LARGE_SECTOR {
                    scratch.clear();
                    scratch.resize(n * length, C64::new(0.0, 0.0));
                    for (k, row) in rows.iter().enumerate() {
                        scratch[k * length..(k + 1) * length].copy_from_slice(row);
                    }
                    let input = faer::MatRef::from_row_major_slice(scratch.as_slice(), n, length);
                    let mut output = Mat::<C64>::zeros(n, length);
                    matmul(
                        &mut output,
                        Accum::Replace,
                        matrix,
                        input,
                        C64::new(1.0, 0.0),
                        Par::rayon(0),
                    );
                    for (k, row) in rows.iter_mut().enumerate() {
                        row.iter_mut()
                            .enumerate()
                            .for_each(|(c, z)| *z = output[(k, c)]);
                    }
                    return;
                }
                combine_rows(matrix, &mut rows, pieces);
            },
        );
    }

    /// Applies one factor to the columns of a row-major `rows × dim` matrix (this species on the
    /// columns), without transposing: small sectors row by row in parallel, large ones as one
    /// gathered block (rows × sector) times M_sᵀ.
    fn rotate_columns(&self, g: Givens, matrices: &BTreeMap<usize, Mat<C64>>, data: &mut [C64]) {
        let (large, small): (Vec<&Sector>, Vec<&Sector>) = self.sectors[g.mode]
            .iter()
            .partition(|sector| sector.ranks.len() > LARGE_SECTOR);
        // Each sector size's M row-major, once.
        let flat: BTreeMap<usize, Vec<C64>> = matrices
            .iter()
            .map(|(&s, matrix)| {
                let values = (0..=s)
                    .flat_map(|k| (0..=s).map(move |l| matrix[(k, l)]))
                    .collect();
                (s, values)
            })
            .collect();
        let small: Vec<(&[u32], &[C64])> = small
            .into_iter()
            .map(|sector| {
                let ranks = sector.ranks.as_slice();
                (ranks, flat[&(ranks.len() - 1)].as_slice())
            })
            .collect();
        let largest = small
            .iter()
            .map(|(ranks, _)| ranks.len())
            .max()
            .unwrap_or(0);
        data.par_chunks_mut(TILE_ROWS * self.dim).for_each_init(
            || vec![0.0; 4 * largest * TILE_ROWS],
            |work, tile| combine_columns(tile, self.dim, &small, work),
        );
        let rows = data.len() / self.dim;
        for sector in large {
            let n = sector.ranks.len();
            let block = Mat::<C64>::from_fn(rows, n, |a, k| {
                data[a * self.dim + sector.ranks[k] as usize]
            });
            let mut output = Mat::<C64>::zeros(rows, n);
            matmul(
                &mut output,
                Accum::Replace,
                &block,
                matrices[&(n - 1)].transpose(),
                C64::new(1.0, 0.0),
                Par::rayon(0),
            );
            for a in 0..rows {
                for (k, &r) in sector.ranks.iter().enumerate() {
                    data[a * self.dim + r as usize] = output[(a, k)];
                }
            }
        }
    }

    /// Γ(W) (or Γ(W)⁻¹) on the rows (`on_rows`) or the columns of `data`, where the other
    /// dimension is `other`.
    pub(super) fn transform(
        &self,
        orbital: &[C64],
        data: &mut [C64],
        other: usize,
        on_rows: bool,
        inverse: bool,
    ) {
        assert_eq!(data.len(), self.dim * other);
        // The orbital was checked (M finite coefficients, normalised) by the frame's transform.
        debug_assert_eq!(orbital.len(), self.modes);
        if self.modes == 1 {
            // W = e^{−iα} on one mode: Γ(W) = e^{−iαN} on the single state.
            let angle = orbital[0].arg() * self.particles as f64;
            let phase = C64::from_polar(1.0, if inverse { angle } else { -angle });
            data.iter_mut().for_each(|z| *z *= phase);
            return;
        }
        for g in self.factors(orbital, inverse) {
            let matrices = self.sector_matrices(g, inverse);
            if on_rows {
                self.rotate_rows(g, &matrices, data, other);
            } else {
                self.rotate_columns(g, &matrices, data);
            }
        }
    }
}

/// Sectors with more states than this are rotated with one faer product instead of row
/// combinations.
const LARGE_SECTOR: usize = 64;

/// Columns per piece of the row combinations: a sector's pieces stay in the L1 cache.
const PIECE_COLUMNS: usize = 64;

/// Reals of a row combination's sum held in registers (four AVX-512 registers).
const REGISTER: usize = 32;

/// Rows whose columns are combined together (one vector lane per row).
const TILE_ROWS: usize = 8;

per_vector_unit! {
    /// rows ← M rows for a small sector, piece by piece along the rows: out_k = Σ_l M_kl row_l
    /// in l order (exact zeros of M skipped), each product (m_r z_r − m_i z_i, m_r z_i + m_i z_r)
    /// added to the sum so far, as `out += m * z` on complex numbers would — the same bits, in
    /// the widest vector unit.
    fn combine_rows(matrix: &Mat<C64>, rows: &mut [&mut [C64]], sums: &mut Vec<f64>) => combine_rows_body
}

#[inline(always)]
fn combine_rows_body(matrix: &Mat<C64>, rows: &mut [&mut [C64]], sums: &mut Vec<f64>) {
    const WIDTH: usize = 2 * PIECE_COLUMNS;
    let n = rows.len();
    let length = rows[0].len();
    sums.clear();
    sums.resize(n * WIDTH, 0.0);
    let mut start = 0;
    while start < length {
        let len = 2 * PIECE_COLUMNS.min(length - start);
        for (k, sum) in sums.chunks_exact_mut(WIDTH).enumerate() {
            // Sums of REGISTER reals held in registers across the sources; m z lane by lane as
            // (m_r z_r + (−m_i) z_i, m_r z_i + m_i z_r), which is m_r z_r − m_i z_i exactly.
            for part in (0..len).step_by(REGISTER) {
                let mut acc = [0.0f64; REGISTER];
                let width = REGISTER.min(len - part);
                for (l, row) in rows.iter().enumerate() {
                    let m = matrix[(k, l)];
                    if m == C64::new(0.0, 0.0) {
                        continue;
                    }
                    let at = 2 * start + part;
                    // The piece; at the row's end zero-padded (lanes that are not copied out).
                    let piece = &reals(row)[at..at + width];
                    let mut padded = [0.0f64; REGISTER];
                    let z: &[f64; REGISTER] = match piece.try_into() {
                        Ok(z) => z,
                        Err(_) => {
                            padded[..width].copy_from_slice(piece);
                            &padded
                        }
                    };
                    // The swap within each complex number and the signed m_i: one in-lane
                    // permutation and a product per register.
                    let mut swapped = [0.0f64; REGISTER];
                    let mut signed = [0.0f64; REGISTER];
                    for i in (0..REGISTER).step_by(2) {
                        swapped[i] = z[i + 1];
                        swapped[i + 1] = z[i];
                        signed[i] = -m.im;
                        signed[i + 1] = m.im;
                    }
                    for i in 0..REGISTER {
                        acc[i] += m.re * z[i] + signed[i] * swapped[i];
                    }
                }
                sum[part..part + width].copy_from_slice(&acc[..width]);
            }
        }
        for (row, sum) in rows.iter_mut().zip(sums.chunks_exact(WIDTH)) {
            reals_mut(row)[2 * start..2 * start + len].copy_from_slice(&sum[..len]);
        }
        start += len / 2;
    }
}

per_vector_unit! {
    /// The small sectors' M on the columns of a tile of up to [`TILE_ROWS`] rows (row length
    /// `dim`): for each sector, its columns gathered row-lane by row-lane, then
    /// c_k = Σ_l M_kl g_l from zero in l order, each product m·g = (m_r g_r − m_i g_i,
    /// m_r g_i + m_i g_r) — the bits of the complex sum row by row — in the widest vector unit.
    fn combine_columns(
        tile: &mut [C64],
        dim: usize,
        sectors: &[(&[u32], &[C64])],
        work: &mut [f64],
    ) => combine_columns_body
}

#[inline(always)]
fn combine_columns_body(
    tile: &mut [C64],
    dim: usize,
    sectors: &[(&[u32], &[C64])],
    work: &mut [f64],
) {
    const R: usize = TILE_ROWS;
    let rows = tile.len() / dim;
    // `work` holds 4 R reals per state of the largest sector.
    for (ranks, matrix) in sectors {
        let n = ranks.len();
        let (gathered, combined) = work[..4 * n * R].split_at_mut(2 * n * R);
        // Lanes beyond the tile's rows hold what an earlier sector left and are not written
        // back.
        for (&r, g) in ranks.iter().zip(gathered.chunks_exact_mut(2 * R)) {
            for i in 0..rows {
                let z = tile[i * dim + r as usize];
                g[i] = z.re;
                g[R + i] = z.im;
            }
        }
        for (row, c) in matrix.chunks_exact(n).zip(combined.chunks_exact_mut(2 * R)) {
            let (mut re, mut im) = ([0.0f64; R], [0.0f64; R]);
            for (&m, g) in row.iter().zip(gathered.chunks_exact(2 * R)) {
                let (gr, gi) = g.split_at(R);
                for i in 0..R {
                    re[i] += m.re * gr[i] - m.im * gi[i];
                    im[i] += m.re * gi[i] + m.im * gr[i];
                }
            }
            c[..R].copy_from_slice(&re);
            c[R..].copy_from_slice(&im);
        }
        for (&r, c) in ranks.iter().zip(combined.chunks_exact(2 * R)) {
            for i in 0..rows {
                tile[i * dim + r as usize] = C64::new(c[i], c[R + i]);
            }
        }
    }
}

/// Raw access to disjoint rows of one matrix from several rayon tasks.
struct SharedRows(*mut C64, usize);
unsafe impl Sync for SharedRows {}
unsafe impl Send for SharedRows {}

impl SharedRows {
    /// # Safety
    /// No two live references may cover the same row.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize, length: usize) -> &mut [C64] {
        assert!((row + 1) * length <= self.1);
        std::slice::from_raw_parts_mut(self.0.add(row * length), length)
    }
}
