//! One species' frame change Γ(W) on the rows (species A) or the columns (species B) of Ψ,
//! factor by factor and sector by sector (the doc of `counting::frame`).

use std::collections::BTreeMap;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use super::givens::{givens_sequence, Givens};
use super::sectors::{Sector, SectorEigen};
use crate::evolution::hamiltonian::rows::{per_vector_unit, reals, reals_mut, VectorUnit};
use crate::evolution::hamiltonian::tiles::{lay_back, side_by_side, Lanes, TILE_ROWS as LANE_ROWS};
use crate::space::fock::FockBasis;
use crate::{Result, C64};

/// Everything about one species' Fock space that the frame change needs and that does not
/// depend on the orbital: the sectors of each mode pair and the cached sector eigenvectors.
#[derive(Clone, Debug)]
pub struct SpeciesFrame {
    dim: usize,
    pub(super) modes: usize,
    /// sectors[x] for the pair (x−1, x), x = 1..M−1 (index 0 unused).
    sectors: Vec<Vec<Sector>>,
    eigen: BTreeMap<usize, SectorEigen>,
    /// The occupations of every state, M per state.
    occupations: Vec<u32>,
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
            sectors,
            eigen,
            occupations: (0..basis.dim())
                .flat_map(|state| basis.occupation(state).to_vec())
                .collect(),
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

    /// For one factor, the real sector matrices R_s = e^{θ G_s} (or R_sᵀ = e^{−θ G_s} when
    /// `inverse`) for every sector size s of its mode pair, formed as D⁻¹ V e^{±iθσ} Vᵀ D with
    /// D = diag(i^k) (real up to round-off; the real part is kept). The factor's phases are not
    /// here: they are one diagonal phase for all the factors together ([`SpeciesFrame::phases`]).
    fn sector_matrices(&self, g: Givens, inverse: bool) -> BTreeMap<usize, Mat<f64>> {
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
                if s == 0 {
                    return (s, Mat::from_fn(1, 1, |_, _| 1.0));
                }
                let eigen = &self.eigen[&s];
                let phases: Vec<C64> = eigen
                    .values
                    .iter()
                    .map(|&sigma| C64::from_polar(1.0, sign * g.angle * sigma))
                    .collect();
                // V diag(phase) Vᵀ (one product for large sectors), then D⁻¹ · D.
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
                    Mat::from_fn(s + 1, s + 1, |k, l| {
                        (i_power(k).conj() * inner[(k, l)] * i_power(l)).re
                    }),
                )
            })
            .collect()
    }

    /// e^{−i Σ_x arg(u_x) n_x} of every state: Γ(P) for P = diag(e^{−i arg u_x}), the phases of
    /// all the Givens factors at once (W = R_1 ⋯ R_{M−1} P: a factor's phases act on modes the
    /// rotations before it have not touched, and after a rotation the mode it filled is real).
    pub(super) fn phases(&self, orbital: &[C64]) -> Vec<C64> {
        let args: Vec<f64> = orbital.iter().map(|z| z.arg()).collect();
        self.occupations
            .chunks_exact(self.modes)
            .map(|occupation| {
                let angle: f64 = occupation
                    .iter()
                    .zip(&args)
                    .map(|(&n, a)| n as f64 * a)
                    .sum();
                C64::from_polar(1.0, -angle)
            })
            .collect()
    }

    /// Applies one factor to the rows of a row-major `dim × length` matrix (this species on the
    /// rows). Sectors in parallel; small sectors by contiguous row combinations, large ones by
    /// one faer product.
    fn rotate_rows(
        &self,
        g: Givens,
        matrices: &BTreeMap<usize, Mat<f64>>,
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
                    // R_0 = 1.
                    return;
                }
                if n > LARGE_SECTOR {
                    let matrix = Mat::<C64>::from_fn(n, n, |k, l| C64::new(matrix[(k, l)], 0.0));
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
                        &matrix,
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

    /// Applies the factors, in order, to the columns of a row-major `rows × dim` matrix (this
    /// species on the columns), without transposing the matrix: tiles of [`TILE_ROWS`] rows are
    /// laid side by side (one vector lane per row) once, every factor's small sectors are
    /// combined there, and the tile is laid back; sectors larger than [`LARGE_SECTOR`] are one
    /// gathered block (rows × sector) times M_sᵀ each, after their factor's small ones (a run of
    /// factors shares a tile's sweep up to the first factor with a large sector).
    fn rotate_columns(&self, factors: &[(Givens, BTreeMap<usize, Mat<f64>>)], data: &mut [C64]) {
        let mut first = 0;
        while first < factors.len() {
            // The run: factors up to and including the first with a large sector.
            let mut last = first;
            while last + 1 < factors.len() && !self.has_large_sector(factors[last].0) {
                last += 1;
            }
            let run = &factors[first..=last];
            // Each sector size's M row-major, once per factor.
            let flat: Vec<BTreeMap<usize, Vec<f64>>> = run
                .iter()
                .map(|(_, matrices)| {
                    matrices
                        .iter()
                        .map(|(&s, matrix)| {
                            let values = (0..=s)
                                .flat_map(|k| (0..=s).map(move |l| matrix[(k, l)]))
                                .collect();
                            (s, values)
                        })
                        .collect()
                })
                .collect();
            let small: Vec<(&[u32], &[f64])> = run
                .iter()
                .zip(&flat)
                .flat_map(|((g, _), flat)| {
                    self.sectors[g.mode]
                        .iter()
                        .filter(|sector| (2..=LARGE_SECTOR).contains(&sector.ranks.len()))
                        .map(move |sector| {
                            let ranks = sector.ranks.as_slice();
                            (ranks, flat[&(ranks.len() - 1)].as_slice())
                        })
                })
                .collect();
            let largest = small
                .iter()
                .map(|(ranks, _)| ranks.len())
                .max()
                .unwrap_or(0);
            let dim = self.dim;
            data.par_chunks_mut(TILE_ROWS * dim).for_each_init(
                || ColumnTile {
                    lanes: [vec![Lanes::default(); dim], vec![Lanes::default(); dim]],
                    gathered: [
                        vec![Lanes::default(); largest],
                        vec![Lanes::default(); largest],
                    ],
                },
                |work, tile| combine_columns(tile, dim, &small, work),
            );
            let (g, matrices) = &factors[last];
            let rows = data.len() / dim;
            for sector in self.sectors[g.mode]
                .iter()
                .filter(|sector| sector.ranks.len() > LARGE_SECTOR)
            {
                let n = sector.ranks.len();
                let matrix = &matrices[&(n - 1)];
                let matrix = Mat::<C64>::from_fn(n, n, |k, l| C64::new(matrix[(k, l)], 0.0));
                let block =
                    Mat::<C64>::from_fn(rows, n, |a, k| data[a * dim + sector.ranks[k] as usize]);
                let mut output = Mat::<C64>::zeros(rows, n);
                matmul(
                    &mut output,
                    Accum::Replace,
                    &block,
                    matrix.transpose(),
                    C64::new(1.0, 0.0),
                    Par::rayon(0),
                );
                for a in 0..rows {
                    for (k, &r) in sector.ranks.iter().enumerate() {
                        data[a * dim + r as usize] = output[(a, k)];
                    }
                }
            }
            first = last + 1;
        }
    }

    /// Whether a factor's mode pair has a sector larger than [`LARGE_SECTOR`].
    fn has_large_sector(&self, g: Givens) -> bool {
        self.sectors[g.mode]
            .iter()
            .any(|sector| sector.ranks.len() > LARGE_SECTOR)
    }

    /// Γ(R) = Γ(R_1 ⋯ R_{M−1}) (or its inverse) on the rows (`on_rows`) or the columns of
    /// `data`, where the other dimension is `other`: Γ(W) without the phases of
    /// [`SpeciesFrame::phases`], which the caller applies (first, or last for the inverse).
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
        let factors: Vec<_> = self
            .factors(orbital, inverse)
            .into_iter()
            .map(|g| (g, self.sector_matrices(g, inverse)))
            .collect();
        if on_rows {
            for (g, matrices) in &factors {
                self.rotate_rows(*g, matrices, data, other);
            }
        } else {
            self.rotate_columns(&factors, data);
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

/// Rows whose columns are combined together: two halves laid side by side.
const TILE_ROWS: usize = 2 * LANE_ROWS;

per_vector_unit! {
    /// rows ← R rows for a small sector, piece by piece along the rows: out_k = Σ_l R_kl row_l
    /// in l order (exact zeros of R skipped), R real, so each product scales the real and the
    /// imaginary part alike — in the widest vector unit, the same bits on every unit. Each piece
    /// of the sources is copied out once, so that the outputs are written in place.
    fn combine_rows(matrix: &Mat<f64>, rows: &mut [&mut [C64]], scratch: &mut Vec<f64>) => combine_rows_body
}

#[inline(always)]
fn combine_rows_body(matrix: &Mat<f64>, rows: &mut [&mut [C64]], scratch: &mut Vec<f64>) {
    const WIDTH: usize = 2 * PIECE_COLUMNS;
    let n = rows.len();
    let length = rows[0].len();
    scratch.clear();
    scratch.resize(n * WIDTH, 0.0);
    let mut start = 0;
    while start < length {
        let len = 2 * PIECE_COLUMNS.min(length - start);
        for (row, piece) in rows.iter().zip(scratch.chunks_exact_mut(WIDTH)) {
            let source = &reals(row)[2 * start..2 * start + len];
            let piece: &mut [f64; WIDTH] = piece.try_into().unwrap();
            match <&[f64; WIDTH]>::try_from(source) {
                // A whole piece: fixed-length chunks, which the compiler vectorises.
                Ok(source) => {
                    for (p, z) in piece.chunks_exact_mut(8).zip(source.chunks_exact(8)) {
                        let z: [f64; 8] = z.try_into().unwrap();
                        p.copy_from_slice(&z);
                    }
                }
                Err(_) => {
                    piece[..len].copy_from_slice(source);
                    piece[len..].fill(0.0);
                }
            }
        }
        for (k, row) in rows.iter_mut().enumerate() {
            // Sums of REGISTER reals held in registers across the sources.
            for part in (0..len).step_by(REGISTER) {
                let mut acc = [0.0f64; REGISTER];
                for (l, piece) in scratch.chunks_exact(WIDTH).enumerate() {
                    let r = matrix[(k, l)];
                    if r == 0.0 {
                        continue;
                    }
                    let z: &[f64; REGISTER] = piece[part..part + REGISTER].try_into().unwrap();
                    for i in 0..REGISTER {
                        acc[i] += r * z[i];
                    }
                }
                let width = REGISTER.min(len - part);
                reals_mut(row)[2 * start + part..2 * start + part + width]
                    .copy_from_slice(&acc[..width]);
            }
        }
        start += len / 2;
    }
}

/// A tile of [`TILE_ROWS`] rows laid side by side, in two halves of four rows (column c of
/// rows 0–3 in `lanes[0][c]`, of rows 4–7 in `lanes[1][c]`), and one sector's columns copied
/// out of it.
struct ColumnTile {
    lanes: [Vec<Lanes>; 2],
    gathered: [Vec<Lanes>; 2],
}

per_vector_unit! {
    /// The small sectors' R on the columns of a tile of up to [`TILE_ROWS`] rows (row length
    /// `dim`): the tile laid side by side once, then for each sector in order its columns copied
    /// out and c_k = Σ_l R_kl g_l formed from zero in l order (R real: each product scales the
    /// real and imaginary parts alike), in the widest vector unit with the same bits; then the
    /// tile laid back.
    fn combine_columns(
        tile: &mut [C64],
        dim: usize,
        sectors: &[(&[u32], &[f64])],
        work: &mut ColumnTile,
    ) => combine_columns_body
}

#[inline(always)]
fn combine_columns_body(
    tile: &mut [C64],
    dim: usize,
    sectors: &[(&[u32], &[f64])],
    work: &mut ColumnTile,
) {
    let unit = VectorUnit::current();
    let rows = tile.len() / dim;
    let halves = [rows.min(LANE_ROWS), rows.saturating_sub(LANE_ROWS)];
    // A half without rows keeps what an earlier tile left; it is not laid back.
    for (h, (lanes, &count)) in work.lanes.iter_mut().zip(&halves).enumerate() {
        if count > 0 {
            side_by_side(&reals(tile)[2 * h * LANE_ROWS * dim..], count, lanes, unit);
        }
    }
    for &(ranks, matrix) in sectors {
        #[cfg(target_arch = "x86_64")]
        if unit == VectorUnit::Avx512 {
            // SAFETY: the processor has AVX-512F (detected by VectorUnit).
            unsafe { combine_sector_avx512(work, ranks, matrix) };
            continue;
        }
        let n = ranks.len();
        for (lanes, gathered) in work.lanes.iter_mut().zip(work.gathered.iter_mut()) {
            for (&r, g) in ranks.iter().zip(gathered.iter_mut()) {
                *g = lanes[r as usize];
            }
            for (row, &r) in matrix.chunks_exact(n).zip(ranks) {
                let mut acc = [0.0f64; 2 * LANE_ROWS];
                for (&m, g) in row.iter().zip(gathered.iter()) {
                    for (a, &z) in acc.iter_mut().zip(&g.0) {
                        *a += m * z;
                    }
                }
                lanes[r as usize].0 = acc;
            }
        }
    }
    for (h, (lanes, &count)) in work.lanes.iter().zip(&halves).enumerate() {
        if count > 0 {
            let out = &mut reals_mut(tile)[2 * h * LANE_ROWS * dim..];
            lay_back(lanes, count, (out, dim), unit);
        }
    }
}

/// One sector of [`combine_columns`] in AVX-512: both halves of a column in two vectors, each
/// term R_kl g added in l order.
///
/// # Safety
/// AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn combine_sector_avx512(work: &mut ColumnTile, ranks: &[u32], matrix: &[f64]) {
    use std::arch::x86_64::*;
    let n = ranks.len();
    let [low, high] = &mut work.lanes;
    let [g_low, g_high] = &mut work.gathered;
    for (k, &r) in ranks.iter().enumerate() {
        g_low[k] = low[r as usize];
        g_high[k] = high[r as usize];
    }
    for (row, &r) in matrix.chunks_exact(n).zip(ranks) {
        let (mut acc_low, mut acc_high) = (_mm512_setzero_pd(), _mm512_setzero_pd());
        for ((&m, gl), gh) in row.iter().zip(&g_low[..n]).zip(&g_high[..n]) {
            // SAFETY: Lanes is 64-byte aligned.
            unsafe {
                let m = _mm512_set1_pd(m);
                acc_low = _mm512_add_pd(acc_low, _mm512_mul_pd(m, _mm512_load_pd(gl.0.as_ptr())));
                acc_high = _mm512_add_pd(acc_high, _mm512_mul_pd(m, _mm512_load_pd(gh.0.as_ptr())));
            }
        }
        // SAFETY: as above.
        unsafe {
            _mm512_store_pd(low[r as usize].0.as_mut_ptr(), acc_low);
            _mm512_store_pd(high[r as usize].0.as_mut_ptr(), acc_high);
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
