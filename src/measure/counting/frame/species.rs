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

    /// Applies the factors, in order, to the columns of a row-major `rows × dim` matrix (this
    /// species on the columns), without transposing the matrix: tiles of [`TILE_ROWS`] rows are
    /// laid side by side (one vector lane per row) once, every factor's small sectors are
    /// combined there, and the tile is laid back; sectors larger than [`LARGE_SECTOR`] are one
    /// gathered block (rows × sector) times M_sᵀ each, after their factor's small ones (a run of
    /// factors shares a tile's sweep up to the first factor with a large sector).
    fn rotate_columns(&self, factors: &[(Givens, BTreeMap<usize, Mat<C64>>)], data: &mut [C64]) {
        let mut first = 0;
        while first < factors.len() {
            // The run: factors up to and including the first with a large sector.
            let mut last = first;
            while last + 1 < factors.len() && !self.has_large_sector(factors[last].0) {
                last += 1;
            }
            let run = &factors[first..=last];
            // Each sector size's M row-major, once per factor.
            let flat: Vec<BTreeMap<usize, Vec<SignedEntry>>> = run
                .iter()
                .map(|(_, matrices)| {
                    matrices
                        .iter()
                        .map(|(&s, matrix)| {
                            let values = (0..=s)
                                .flat_map(|k| {
                                    (0..=s).map(move |l| SignedEntry::new(matrix[(k, l)]))
                                })
                                .collect();
                            (s, values)
                        })
                        .collect()
                })
                .collect();
            let small: Vec<(&[u32], &[SignedEntry])> = run
                .iter()
                .zip(&flat)
                .flat_map(|((g, _), flat)| {
                    self.sectors[g.mode]
                        .iter()
                        .filter(|sector| sector.ranks.len() <= LARGE_SECTOR)
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
                    swapped: [
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
                let block =
                    Mat::<C64>::from_fn(rows, n, |a, k| data[a * dim + sector.ranks[k] as usize]);
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
    /// rows ← M rows for a small sector, piece by piece along the rows: out_k = Σ_l M_kl row_l
    /// in l order (exact zeros of M skipped), each product (m_r z_r − m_i z_i, m_r z_i + m_i z_r)
    /// added to the sum so far, as `out += m * z` on complex numbers would — the same bits, in
    /// the widest vector unit. Each piece of the sources is copied out once, with a copy whose
    /// real and imaginary parts are swapped, so that the outputs are written in place.
    fn combine_rows(matrix: &Mat<C64>, rows: &mut [&mut [C64]], scratch: &mut Vec<f64>) => combine_rows_body
}

#[inline(always)]
fn combine_rows_body(matrix: &Mat<C64>, rows: &mut [&mut [C64]], scratch: &mut Vec<f64>) {
    const WIDTH: usize = 2 * PIECE_COLUMNS;
    let n = rows.len();
    let length = rows[0].len();
    scratch.clear();
    scratch.resize(2 * n * WIDTH, 0.0);
    // The sources' pieces (zero-padded at the rows' end) and the same with the real and
    // imaginary part of each entry swapped, each formed once per piece.
    let (pieces, swapped) = scratch.split_at_mut(n * WIDTH);
    let mut start = 0;
    while start < length {
        let len = 2 * PIECE_COLUMNS.min(length - start);
        for ((row, piece), swap) in rows
            .iter()
            .zip(pieces.chunks_exact_mut(WIDTH))
            .zip(swapped.chunks_exact_mut(WIDTH))
        {
            let source = &reals(row)[2 * start..2 * start + len];
            match <&[f64; WIDTH]>::try_from(source) {
                // A whole piece: fixed-length chunks, which the compiler vectorises (a copy of
                // a slice goes through a call).
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
            for (s, z) in swap.chunks_exact_mut(8).zip(piece.chunks_exact(8)) {
                s.copy_from_slice(&[z[1], z[0], z[3], z[2], z[5], z[4], z[7], z[6]]);
            }
        }
        for (k, row) in rows.iter_mut().enumerate() {
            // Sums of REGISTER reals held in registers across the sources; m z lane by lane as
            // (m_r z_r + (−m_i) z_i, m_r z_i + m_i z_r), which is m_r z_r − m_i z_i exactly.
            for part in (0..len).step_by(REGISTER) {
                let mut acc = [0.0f64; REGISTER];
                for (l, (piece, swap)) in pieces
                    .chunks_exact(WIDTH)
                    .zip(swapped.chunks_exact(WIDTH))
                    .enumerate()
                {
                    let m = matrix[(k, l)];
                    if m == C64::new(0.0, 0.0) {
                        continue;
                    }
                    let z: &[f64; REGISTER] = piece[part..part + REGISTER].try_into().unwrap();
                    let zs: &[f64; REGISTER] = swap[part..part + REGISTER].try_into().unwrap();
                    let mut signed = [0.0f64; REGISTER];
                    for i in (0..REGISTER).step_by(2) {
                        signed[i] = -m.im;
                        signed[i + 1] = m.im;
                    }
                    for i in 0..REGISTER {
                        acc[i] += m.re * z[i] + signed[i] * zs[i];
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
    /// The sector's columns with the real and imaginary part of each entry swapped.
    swapped: [Vec<Lanes>; 2],
}

/// An entry m of a sector matrix as the vector unit multiplies by it: m_r, and (−m_i, m_i) for
/// the swapped entries, so that m·g = m_r g + (−m_i g_i, m_i g_r) with the bits of
/// (m_r g_r − m_i g_i, m_r g_i + m_i g_r) (a negation is exact).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct SignedEntry([f64; 4]);

impl SignedEntry {
    fn new(m: C64) -> Self {
        SignedEntry([m.re, -m.im, m.im, 0.0])
    }

    fn value(self) -> C64 {
        C64::new(self.0[0], self.0[2])
    }
}

per_vector_unit! {
    /// The small sectors' M on the columns of a tile of up to [`TILE_ROWS`] rows (row length
    /// `dim`): the tile laid side by side once, then for each sector in order its columns copied
    /// out and c_k = Σ_l M_kl g_l formed from zero in l order, each product
    /// m·g = (m_r g_r − m_i g_i, m_r g_i + m_i g_r) — the bits of the complex sum row by row —
    /// in the widest vector unit; then the tile laid back.
    fn combine_columns(
        tile: &mut [C64],
        dim: usize,
        sectors: &[(&[u32], &[SignedEntry])],
        work: &mut ColumnTile,
    ) => combine_columns_body
}

#[inline(always)]
fn combine_columns_body(
    tile: &mut [C64],
    dim: usize,
    sectors: &[(&[u32], &[SignedEntry])],
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
                for (m, g) in row.iter().zip(gathered.iter()) {
                    let m = m.value();
                    for i in 0..LANE_ROWS {
                        let (re, im) = (g.0[2 * i], g.0[2 * i + 1]);
                        acc[2 * i] += m.re * re - m.im * im;
                        acc[2 * i + 1] += m.re * im + m.im * re;
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
/// term m_r g + (−m_i, m_i) ⊙ swap(g) (the bits of the complex product, [`SignedEntry`]) added
/// in l order, the swapped columns formed once per sector.
///
/// # Safety
/// AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn combine_sector_avx512(work: &mut ColumnTile, ranks: &[u32], matrix: &[SignedEntry]) {
    use std::arch::x86_64::*;
    let n = ranks.len();
    let [low, high] = &mut work.lanes;
    let [g_low, g_high] = &mut work.gathered;
    let [s_low, s_high] = &mut work.swapped;
    for (k, &r) in ranks.iter().enumerate() {
        // SAFETY: Lanes is 64-byte aligned.
        unsafe {
            for (lanes, g, s) in [
                (&*low, &mut *g_low, &mut *s_low),
                (&*high, &mut *g_high, &mut *s_high),
            ] {
                let x = _mm512_load_pd(lanes[r as usize].0.as_ptr());
                _mm512_store_pd(g[k].0.as_mut_ptr(), x);
                _mm512_store_pd(s[k].0.as_mut_ptr(), _mm512_permute_pd::<0x55>(x));
            }
        }
    }
    for (row, &r) in matrix.chunks_exact(n).zip(ranks) {
        let (mut acc_low, mut acc_high) = (_mm512_setzero_pd(), _mm512_setzero_pd());
        for (l, m) in row.iter().enumerate() {
            // SAFETY: Lanes is 64-byte aligned; an entry holds four reals.
            unsafe {
                let real = _mm512_set1_pd(m.0[0]);
                let signed = _mm512_castps_pd(_mm512_broadcast_f32x4(_mm_castpd_ps(_mm_loadu_pd(
                    m.0.as_ptr().add(1),
                ))));
                let product = |g: &Lanes, s: &Lanes| {
                    _mm512_add_pd(
                        _mm512_mul_pd(real, _mm512_load_pd(g.0.as_ptr())),
                        _mm512_mul_pd(signed, _mm512_load_pd(s.0.as_ptr())),
                    )
                };
                acc_low = _mm512_add_pd(acc_low, product(&g_low[l], &s_low[l]));
                acc_high = _mm512_add_pd(acc_high, product(&g_high[l], &s_high[l]));
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
