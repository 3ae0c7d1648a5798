//! The streaming kernel of H (2.8): one pass over Ψ per application.
//!
//! Ψ is a D_A × D_B row-major matrix. Row a of HΨ is
//!
//!   (HΨ)[a, b] = d(a, b) Ψ[a, b] + Σ_{b′} (H_B)_{b b′} Ψ[a, b′] + Σ_{a′} (H_A)_{a a′} Ψ[a′, b],
//!
//! with the whole diagonal d(a, b) = d_A(a) + d_B(b) + Σ_x n^A_x(a) g_x(b) (the diagonals of H_A
//! and H_B, and W_AB with g(b) = V₁₂ * n^B(b)/(N₁+N₂)) rebuilt from per-row and per-column
//! factors (the factors g_x are stored site by site); the hops of H_B within a row, gathered by
//! target column (or, when a hop coefficient is complex, as the contiguous segments of
//! [`HopChannels`], channel by channel); the hops of H_A as whole-row updates from the source
//! rows.
//!
//! The diagonal and H_B are applied to tiles of four rows at once, laid side by side so that
//! column b of the tile is one 512-bit vector (the four rows' entries at b): a hop b′ → b of
//! H_B, the same for every row, then moves one vector with one weight. Row by row, the segments
//! of H_B are short (about N₂/3 entries on a ring of four sites, many of one or two), and their
//! ragged ends and bookkeeping cost more than their arithmetic.
//!
//! An application (or the fused update of the propagators, y ← h·HΨ + c_x·Ψ + c_y·y and,
//! for each sum asked for, sum ← ((sum + c″·y_old) + c′·Ψ) + c·y with its own weights:
//! [`Accumulate`]) makes one pass by tiles of
//! rows when the window of source rows is moderate (see `one_pass`): for each row, y_a ← c_y·y_a +
//! h·(H_A Ψ)_a from the source rows a′, which lie within a fixed distance δ of a (the largest
//! rank shift of a hop) and so were read from memory for the rows just before and are still
//! in the cache; then the rest as in pass 2 below. A tile's steps go [`TILE_BLOCK_COLUMNS`]
//! columns at a time (d ⊙ Ψ + H_B Ψ for the block's targets, gathered from the whole tile;
//! H_A's pieces; the update, the sum and the dot's lanes), so that they stay in the core's
//! cache between steps; when the window is large the tiles are visited by pencils
//! ([`ManyBodyHamiltonian::with_pencils`]).
//! Otherwise it makes two passes, so that each entry of Ψ comes from memory about twice and
//! not once per hop:
//! 1. **H_A by column blocks.** For a block of W columns the window of 2δ + 1 row pieces that
//!    the hops read stays in the core's cache while the rows are swept in order; W is chosen so
//!    that this window takes about 1 MiB. This pass writes y ← c_y·y + h·(H_A Ψ) block by
//!    block.
//! 2. **The rest by tiles of rows.** For each tile, the diagonal and H_B (which stays inside
//!    each row), y += h·(d ⊙ Ψ + H_B Ψ) + c_x·Ψ, the accumulation, and ⟨Ψ, HΨ⟩ when asked,
//!    while the rows are in cache.
//!
//! Every sum is taken in a fixed order (per entry: H_A source by source, then the diagonal,
//! H_B channel by channel; row dot products in fixed lanes, added in row order), so the result
//! is bitwise the same on every run, on any number of threads and vector width.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::rows::{add_scaled, add_two_scaled, reals, reals_mut, DotLanes, VectorUnit};
use super::tiles::{lay_back, side_by_side, transpose4, Lanes, TILE_ROWS};
use super::two_body::two_body_bounds;
use super::{interaction_energy, species_hamiltonian};
use crate::linalg::{Accumulate, LinearOperator, Update};
use crate::model::Model;
use crate::space::fock::{FockBasis, HopChannels, SpeciesOperator};
use crate::{Result, C64};

/// The Hamiltonian (2.8) of a model on given Fock bases: the off-diagonal parts of H_A (sparse
/// rows) and H_B (hop channels), and the factors of the diagonal.
#[derive(Clone, Debug)]
pub struct ManyBodyHamiltonian {
    modes: usize,
    rows: usize,
    columns: usize,
    hops_a: SpeciesOperator,
    hops_b: HopChannels,
    /// The same hops by target column, when their coefficients are real.
    hops_b_by_target: Option<TargetHops>,
    diagonal_a: Vec<f64>,
    diagonal_b: Vec<f64>,
    /// n^A_x(a), M entries per row a.
    occupations_a: Vec<f64>,
    /// g_x(b) = (V₁₂ * n^B(b))_x/(N₁+N₂), stored site by site: D_B entries per site x.
    field_b: Vec<f64>,
    /// The intra-species interaction energies of the rows and of the columns.
    interaction_a: Vec<f64>,
    interaction_b: Vec<f64>,
    /// [N₁ λ_min(h₁) + N₂ λ_min(h₂), N₁ λ_max(h₁) + N₂ λ_max(h₂)], the spectrum of
    /// dΓ(h₁) ⊗ 1 + 1 ⊗ dΓ(h₂).
    one_body_range: (f64, f64),
    /// The interval from the two-body problems ([`two_body_bounds`]), on small lattices.
    two_body_range: Option<(f64, f64)>,
    spectral_bounds: OnceLock<(f64, f64)>,
    vector_unit: VectorUnit,
    /// Width (in columns) of the column blocks of the H_A pass.
    block_width: usize,
    /// The largest rank shift |a − a′| of a hop of H_A.
    reach: usize,
    /// One pass by rows, H_A's source rows read from the cache (see [`one_pass`]).
    one_pass: bool,
    /// The sites x coupled by h₁ to the last one (h_{x,M−1} ≠ 0).
    coupled_a: Vec<usize>,
    /// The place of each tile in the fused pass's visiting order, when not row order
    /// ([`ManyBodyHamiltonian::with_pencils`]).
    tile_rank: Option<Vec<u32>>,
}

/// The sites x < M − 1 that the one-body Hamiltonian couples to the last site M − 1.
fn coupled_to_last(species: &crate::model::Species) -> Vec<usize> {
    let h = species.hamiltonian.matrix();
    let last = h.nrows().saturating_sub(1);
    (0..last)
        .filter(|&x| h[(x, last)] != C64::new(0.0, 0.0))
        .collect()
}

/// out_b ← d_b ⊙ x_b with d_b = (offset + c_b) + Σ n ⊙ g_b over the sites (n, the first column
/// of g) in order, lane by lane: a tile's diagonal entries d(a, b) = d_A(a) + d_B(b) +
/// Σ_x n^A_x(a) g_x(b) times its entries; then, with `hops`, out_b ← out_b + w_j x_{s_j} over
/// the hops (s_j, w_j) of target b in order, each a product then a sum (H_B, see
/// [`TargetHops`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn diagonal_and_hops(
    (out, first): (&mut [Lanes], usize),
    x: &[Lanes],
    offset: &Lanes,
    c: &[f64],
    sites: &[(usize, Lanes)],
    field: &[f64],
    hops: Option<&TargetHops>,
    unit: VectorUnit,
) {
    let end = first + out.len();
    assert!(end <= x.len() && c.len() == x.len());
    assert!(sites.iter().all(|&(base, _)| base + end <= field.len()));
    // Its indices were checked against its columns when it was made.
    assert!(hops.is_none_or(|h| h.columns == x.len()));
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 {
        // SAFETY: the processor has AVX-512F (detected when H was built); lengths and indices
        // checked.
        unsafe { diagonal_and_hops_avx512((out, first), x, offset, c, sites, field, hops) };
        return;
    }
    let _ = unit;
    for (b, out) in (first..end).zip(out.iter_mut()) {
        let mut d = Lanes(std::array::from_fn(|l| offset.0[l] + c[b]));
        for (base, n) in sites {
            let g = field[base + b];
            d.0.iter_mut().zip(&n.0).for_each(|(d, &n)| *d += n * g);
        }
        let xb = x[b].0;
        let mut acc: [f64; 2 * TILE_ROWS] = std::array::from_fn(|l| d.0[l] * xb[l]);
        if let Some(hops) = hops {
            for j in hops.start[b] as usize..hops.start[b + 1] as usize {
                let (w, source) = (hops.weights[j], x[hops.sources[j] as usize].0);
                acc = std::array::from_fn(|l| acc[l] + w * source[l]);
            }
        }
        out.0 = acc;
    }
}

/// [`diagonal_and_hops`] in AVX-512, one column per vector: the same products and sums.
///
/// # Safety
/// AVX-512F; the lengths and indices as checked by [`diagonal_and_hops`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn diagonal_and_hops_avx512(
    (out, first): (&mut [Lanes], usize),
    x: &[Lanes],
    offset: &Lanes,
    c: &[f64],
    sites: &[(usize, Lanes)],
    field: &[f64],
    hops: Option<&TargetHops>,
) {
    use std::arch::x86_64::*;
    // SAFETY: aligned lines (Lanes is 64-byte aligned), indices in bounds by the checks of the
    // caller.
    unsafe {
        let offset = _mm512_load_pd(offset.0.as_ptr());
        for (i, b) in (first..first + out.len()).enumerate() {
            let mut d = _mm512_add_pd(offset, _mm512_set1_pd(*c.get_unchecked(b)));
            for (base, n) in sites {
                let g = _mm512_set1_pd(*field.get_unchecked(base + b));
                d = _mm512_add_pd(d, _mm512_mul_pd(_mm512_load_pd(n.0.as_ptr()), g));
            }
            let xb = _mm512_load_pd(x.get_unchecked(b).0.as_ptr());
            let mut acc = _mm512_mul_pd(d, xb);
            if let Some(hops) = hops {
                let (from, to) = (
                    *hops.start.get_unchecked(b) as usize,
                    *hops.start.get_unchecked(b + 1) as usize,
                );
                for j in from..to {
                    let w = _mm512_set1_pd(*hops.weights.get_unchecked(j));
                    let source = *hops.sources.get_unchecked(j) as usize;
                    let xs = _mm512_load_pd(x.get_unchecked(source).0.as_ptr());
                    acc = _mm512_add_pd(acc, _mm512_mul_pd(w, xs));
                }
            }
            _mm512_store_pd(out.get_unchecked_mut(i).0.as_mut_ptr(), acc);
        }
    }
}

/// The hops of H_B gathered by target column, when every hop coefficient is real: for target
/// b, the sources b′ and weights T_{yx}·amplitude of its hops in channel order — the order in
/// which the segments of [`HopChannels`] add them — so that a column adds its hops in
/// registers, after its diagonal, and is written once.
#[derive(Clone, Debug)]
struct TargetHops {
    columns: usize,
    /// The hops of target b are [start[b], start[b + 1]).
    start: Vec<u32>,
    sources: Vec<u32>,
    weights: Vec<f64>,
}

impl TargetHops {
    /// The hops of `channels` by target; `None` when a coefficient is complex (then the
    /// segments are applied channel by channel) or the count does not fit the indices.
    fn new(channels: &HopChannels, columns: usize) -> Option<Self> {
        let mut count = vec![0usize; columns + 1];
        for (t, segment, _, _) in channels.segment_iter() {
            if t.im != 0.0 {
                return None;
            }
            for i in 0..segment.len as usize {
                count[segment.target as usize + i + 1] += 1;
            }
        }
        for b in 0..columns {
            count[b + 1] += count[b];
        }
        let total = count[columns];
        let start = count
            .iter()
            .map(|&c| u32::try_from(c).ok())
            .collect::<Option<Vec<u32>>>()?;
        let mut next = count;
        let (mut sources, mut weights) = (vec![0u32; total], vec![0.0; total]);
        for (_, segment, _, scaled) in channels.segment_iter() {
            for (i, &w) in scaled.iter().enumerate() {
                let slot = &mut next[segment.target as usize + i];
                sources[*slot] = segment.source + i as u32;
                weights[*slot] = w;
                *slot += 1;
            }
        }
        Self::checked(columns, start, sources, weights)
    }

    /// The table, if its indices hold for `columns` columns: `start` rises from 0 to the
    /// number of hops, with one entry per column and one more, and every source is a column.
    fn checked(
        columns: usize,
        start: Vec<u32>,
        sources: Vec<u32>,
        weights: Vec<f64>,
    ) -> Option<Self> {
        let valid = start.len() == columns + 1
            && start.first() == Some(&0)
            && start.windows(2).all(|w| w[0] <= w[1])
            && start.last().is_some_and(|&n| n as usize == sources.len())
            && sources.len() == weights.len()
            && sources.iter().all(|&s| (s as usize) < columns);
        valid.then_some(TargetHops {
            columns,
            start,
            sources,
            weights,
        })
    }

    fn memory_bytes(&self) -> usize {
        self.start.len() * 4 + self.sources.len() * 12
    }
}

/// out_i ← out_i + w_i·x_i (a product, then a sum, lane by lane) for the columns of a segment.
#[inline(always)]
fn add_products(out: &mut [Lanes], w: &[f64], x: &[Lanes], unit: VectorUnit) {
    assert!(w.len() >= out.len() && x.len() >= out.len());
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 {
        // SAFETY: the processor has AVX-512F (detected when H was built); lengths checked.
        unsafe { add_products_avx512(out, w, x) };
        return;
    }
    let _ = unit;
    for ((o, x), &w) in out.iter_mut().zip(x).zip(w) {
        let (p, x) = (o.0, x.0);
        o.0 = std::array::from_fn(|l| p[l] + w * x[l]);
    }
}

/// [`add_products`] in AVX-512, one column per vector.
///
/// # Safety
/// AVX-512F; `w` and `x` at least as long as `out`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn add_products_avx512(out: &mut [Lanes], w: &[f64], x: &[Lanes]) {
    use std::arch::x86_64::*;
    // SAFETY: aligned lines, indices below out.len() ≤ the others' lengths.
    unsafe {
        for i in 0..out.len() {
            let o = out.get_unchecked_mut(i).0.as_mut_ptr();
            let x = _mm512_load_pd(x.get_unchecked(i).0.as_ptr());
            let product = _mm512_mul_pd(_mm512_set1_pd(*w.get_unchecked(i)), x);
            _mm512_store_pd(o, _mm512_add_pd(_mm512_load_pd(o), product));
        }
    }
}

/// y_r[b] ← y_r[b] + (h·tile[b]_r + c_x·x_r[b]) for the `rows` rows of `y` and `x` (each
/// `tile.len()` interleaved complex entries): the tile's lanes laid back into rows and added as
/// the update of the propagators adds d ⊙ Ψ + H_B Ψ.
#[inline(always)]
fn add_back(
    tile: &[Lanes],
    rows: usize,
    (y, x, stride): (&mut [f64], &[f64], usize),
    (h, cx): (f64, f64),
    unit: VectorUnit,
) {
    let columns = tile.len();
    let needed = if rows == 0 {
        0
    } else {
        2 * ((rows - 1) * stride + columns)
    };
    assert!(columns <= stride && y.len() >= needed && x.len() >= needed);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 && rows == TILE_ROWS {
        // SAFETY: the processor has AVX-512F (detected when H was built); lengths checked.
        done = unsafe { add_back_avx512(tile, (y, x, stride), (h, cx)) };
    }
    let _ = unit;
    for (b, t) in tile.iter().enumerate().skip(done) {
        for r in 0..rows {
            for part in 0..2 {
                let k = 2 * (r * stride + b) + part;
                y[k] += h * t.0[2 * r + part] + cx * x[k];
            }
        }
    }
}

/// [`add_back`] in AVX-512 for four rows, four columns at a time; returns the columns done.
///
/// # Safety
/// AVX-512F; `y` and `x` hold four rows of `tile.len()` complex entries, `stride` apart.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn add_back_avx512(
    tile: &[Lanes],
    (y, x, stride): (&mut [f64], &[f64], usize),
    (h, cx): (f64, f64),
) -> usize {
    use std::arch::x86_64::*;
    let columns = tile.len();
    let (hv, cxv) = (_mm512_set1_pd(h), _mm512_set1_pd(cx));
    let (t, yp, xp) = (tile.as_ptr().cast::<f64>(), y.as_mut_ptr(), x.as_ptr());
    for k in 0..columns / 4 {
        // SAFETY: block k is in bounds of the tile and of the four rows (the caller's guarantee).
        unsafe {
            let block = t.add(32 * k);
            let rows = transpose4([
                _mm512_load_pd(block),
                _mm512_load_pd(block.add(8)),
                _mm512_load_pd(block.add(16)),
                _mm512_load_pd(block.add(24)),
            ]);
            for (r, row) in rows.into_iter().enumerate() {
                let at = 2 * r * stride + 8 * k;
                let sum = _mm512_add_pd(
                    _mm512_mul_pd(hv, row),
                    _mm512_mul_pd(cxv, _mm512_loadu_pd(xp.add(at))),
                );
                _mm512_storeu_pd(yp.add(at), _mm512_add_pd(_mm512_loadu_pd(yp.add(at)), sum));
            }
        }
    }
    4 * (columns / 4)
}

/// A tile of the fused pass: its index, its rows of y and its pieces of the accumulated sums.
type TileWork<'a> = (usize, &'a mut [C64], Vec<Accumulate<'a>>);

/// Scratch of one task: the tile's rows side by side, their d ⊙ Ψ + H_B Ψ side by side, and the
/// occupied sites of the tile's rows (first column of g_x, lanes of n_x).
struct TileScratch {
    tile: Vec<Lanes>,
    local: Vec<Lanes>,
    sites: Vec<(usize, Lanes)>,
}

/// `$name` runs `$body` (an `#[inline(always)]` method) compiled for the widest vector unit the
/// processor has (detected when H was built), through one wrapper per unit. The same
/// operations run in the same order on every path — Rust does not contract a·b + c into one
/// rounding — so every path gives the same bits. Keep closures out of the hot loops of
/// `$body` (and of what it inlines): a closure is a function of its own, compiled without the
/// wrapper's vector unit unless the compiler happens to inline it (`perf` shows it as
/// `…::{{closure}}`); iterators, methods and `#[inline(always)]` functions are compiled in.
macro_rules! vectorised {
    ($name:ident, $avx512:ident, $avx2:ident, $body:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[allow(clippy::too_many_arguments)]
        fn $name(&self, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            match self.vector_unit {
                // SAFETY: the processor has the features (checked when H was built).
                VectorUnit::Avx512 => return unsafe { self.$avx512($($arg),*) },
                VectorUnit::Avx2 => return unsafe { self.$avx2($($arg),*) },
                VectorUnit::Baseline => {}
            }
            self.$body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        fn $avx512(&self, $($arg: $ty),*) -> $ret {
            self.$body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        fn $avx2(&self, $($arg: $ty),*) -> $ret {
            self.$body($($arg),*)
        }
    };
}

impl ManyBodyHamiltonian {
    /// Builds H_A, H_B and the factors of the diagonal for a model on its bases.
    pub fn new(model: &Model, basis_a: &FockBasis, basis_b: &FockBasis) -> Result<Self> {
        let m = model.sites();
        let (hops_a, diagonal_a) =
            species_hamiltonian(basis_a, model.species_a())?.split_diagonal();
        let (_, diagonal_b) = species_hamiltonian(basis_b, model.species_b())?.split_diagonal();
        let hops_b = HopChannels::new(basis_b, model.species_b().hamiltonian.matrix())?;
        let total = model.total_particles() as f64;
        let occupations_a = (0..basis_a.dim())
            .flat_map(|a| basis_a.occupation(a).iter().map(|&n| n as f64))
            .collect();
        // g_x(b) = Σ_y V₁₂(x − y) n^B_y(b)/(N₁+N₂) over the (at most N₂) occupied sites y of b:
        // O(M·min(M, N₂)) per column, not a dense convolution.
        let mut field_b = vec![0.0; m * basis_b.dim()];
        let v12 = model.inter_potential();
        for b in 0..basis_b.dim() {
            for (y, &n) in basis_b.occupation(b).iter().enumerate() {
                if n == 0 {
                    continue;
                }
                for (x, &v) in v12.row(y).iter().enumerate() {
                    field_b[x * basis_b.dim() + b] += v * n as f64;
                }
            }
            for x in 0..m {
                field_b[x * basis_b.dim() + b] /= total;
            }
        }
        let interactions = |basis: &FockBasis, species: &crate::model::Species| -> Vec<f64> {
            (0..basis.dim())
                .into_par_iter()
                .map(|i| {
                    interaction_energy(&species.potential, species.particles, basis.occupation(i))
                })
                .collect()
        };
        let interaction_a = interactions(basis_a, model.species_a());
        let interaction_b = interactions(basis_b, model.species_b());
        let mut one_body_range = (0.0, 0.0);
        for species in [model.species_a(), model.species_b()] {
            let (least, largest) = species.hamiltonian.eigenvalue_range()?;
            let n = species.particles as f64;
            one_body_range.0 += n * least;
            one_body_range.1 += n * largest;
        }
        let reach = reach(&hops_a);
        let block_width = block_width(reach, basis_b.dim());
        let h = ManyBodyHamiltonian {
            modes: m,
            rows: basis_a.dim(),
            columns: basis_b.dim(),
            hops_a,
            hops_b_by_target: TargetHops::new(&hops_b, basis_b.dim()),
            hops_b,
            diagonal_a,
            diagonal_b,
            occupations_a,
            field_b,
            interaction_a,
            interaction_b,
            one_body_range,
            two_body_range: two_body_bounds(model)?,
            spectral_bounds: OnceLock::new(),
            block_width,
            reach,
            one_pass: one_pass(reach, basis_b.dim()),
            coupled_a: coupled_to_last(model.species_a()),
            tile_rank: None,
            vector_unit: VectorUnit::current(),
        };
        let width = h.pencil_width();
        Ok(h.with_pencils(width))
    }

    /// An interval proven to contain spec(H), by Weyl's inequality on
    /// H = dΓ(h₁) ⊗ 1 + 1 ⊗ dΓ(h₂) + Δ: spec dΓ(h) on N bosons lies in
    /// [N λ_min(h), N λ_max(h)] (sums of N one-body eigenvalues), and Δ, the interactions, is
    /// diagonal, with range min/max over (a, b) of I_A(a) + I_B(b) + Σ_x n^A_x(a) g_x(b),
    /// evaluated exactly (one pass over the D entries, done once); intersected, on lattices of
    /// up to [`super::two_body::MAX_SITES`] sites, with the interval from the two-body problems
    /// ([`two_body_bounds`]), whose upper end is the lower one on repulsive models (the parts'
    /// bound adds the largest kinetic energy to the largest repulsion, which no state has
    /// together).
    fn proven_spectral_bounds(&self) -> (f64, f64) {
        *self.spectral_bounds.get_or_init(|| {
            let per_row: Vec<(f64, f64)> = (0..self.rows)
                .into_par_iter()
                .map(|a| {
                    let occupied: Vec<(usize, f64)> = self.occupations_a
                        [a * self.modes..(a + 1) * self.modes]
                        .iter()
                        .copied()
                        .enumerate()
                        .filter(|&(_, n)| n != 0.0)
                        .collect();
                    (0..self.columns).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
                        let coupling: f64 = occupied
                            .iter()
                            .map(|&(x, n)| n * self.field_b[x * self.columns + b])
                            .sum();
                        let d = self.interaction_a[a] + self.interaction_b[b] + coupling;
                        (lo.min(d), hi.max(d))
                    })
                })
                .collect();
            let (lo, hi) = per_row
                .into_iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (l, h)| {
                    (lo.min(l), hi.max(h))
                });
            // A relative margin of a few ulps covers the rounding of the parts.
            let (mut e_lo, mut e_hi) = (self.one_body_range.0 + lo, self.one_body_range.1 + hi);
            if let Some((pair_lo, pair_hi)) = self.two_body_range {
                (e_lo, e_hi) = (e_lo.max(pair_lo), e_hi.min(pair_hi));
            }
            let margin = 1e-12 * (e_lo.abs() + e_hi.abs() + 1.0);
            (e_lo - margin, e_hi + margin)
        })
    }

    /// The same operator with column blocks of `columns` columns in its H_A pass (the default
    /// is chosen for the cache; other widths give the same result up to nothing — the sums are
    /// the same — and exist to test and tune the blocking).
    pub fn with_block_width(mut self, columns: usize) -> Self {
        self.block_width = columns.max(1);
        self
    }

    /// The same operator with its fused pass going by pencils of width `w` (`Some(w)`, w ≥ 1)
    /// or in row order (`None`), whatever the sizes (the default is chosen by the size of
    /// H_A's window; every order gives the same bits, and this exists to test and tune).
    ///
    /// The occupation of the last site, n_{M−1}, varies slowest with the rank, so a hop of H_A
    /// that moves a particle between site M−1 and a site x coupled to it reaches a row a whole
    /// slab (fixed n_{M−1}) away, and in row order its source rows have left the cache by the
    /// time the next slab needs them again. By pencils — the rows with the same ⌊n_x/w⌋ for
    /// every coupled site x — the pass runs pencil by pencil and slab by slab within one (row
    /// order inside a pencil), so that the slabs before and after in the same pencil, a few
    /// rows each, hold most of the far hops' sources.
    pub fn with_pencils(mut self, width: Option<u32>) -> Self {
        self.tile_rank = width.filter(|_| !self.coupled_a.is_empty()).map(|w| {
            let w = w.max(1);
            let modes = self.modes;
            let tiles = self.rows.div_ceil(TILE_ROWS);
            let mut keyed: Vec<(Vec<u32>, usize)> = (0..tiles)
                .map(|t| {
                    let n = &self.occupations_a[t * TILE_ROWS * modes..][..modes];
                    let key = self.coupled_a.iter().map(|&x| n[x] as u32 / w).collect();
                    (key, t)
                })
                .collect();
            keyed.sort();
            let mut rank = vec![0; tiles];
            for (place, (_, t)) in keyed.into_iter().enumerate() {
                rank[t] = place as u32;
            }
            rank
        });
        self
    }

    /// The default pencil width ([`Self::with_pencils`]): none while H_A's window of source
    /// rows takes at most [`PENCIL_WINDOW`] bytes (or the pass is not one pass); otherwise the
    /// widest of 16, 8, 4, 2 for which three of a pencil's largest slabs take at most
    /// [`PENCIL_LAYERS`] bytes.
    fn pencil_width(&self) -> Option<u32> {
        let row_bytes = self.columns * std::mem::size_of::<C64>();
        if !self.one_pass || (2 * self.reach + 1) * row_bytes <= PENCIL_WINDOW {
            return None;
        }
        let modes = self.modes;
        [16u32, 8, 4, 2].into_iter().find(|&w| {
            let mut layers = std::collections::HashMap::new();
            for n in self.occupations_a.chunks_exact(modes) {
                let mut key: Vec<u32> = self.coupled_a.iter().map(|&x| n[x] as u32 / w).collect();
                key.push(n[modes - 1] as u32);
                *layers.entry(key).or_insert(0usize) += 1;
            }
            let largest = layers.values().copied().max().unwrap_or(0);
            3 * largest * row_bytes <= PENCIL_LAYERS
        })
    }

    /// The same operator with one pass by rows (`true`) or the two passes (`false`), whatever
    /// the sizes (the default is chosen by `one_pass`; both give the same bits, and exist to
    /// test and tune).
    pub fn with_one_pass(mut self, one_pass: bool) -> Self {
        self.one_pass = one_pass;
        self
    }

    /// D_A, the number of rows of Ψ.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// D_B, the number of columns of Ψ.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Bytes held by the operator (its tables, not the vectors it acts on).
    pub fn memory_bytes(&self) -> usize {
        self.hops_a.nonzeros() * 20
            + (self.rows + 1) * 8
            + self.hops_b.memory_bytes()
            + self
                .hops_b_by_target
                .as_ref()
                .map_or(0, TargetHops::memory_bytes)
            + (self.diagonal_a.len() + self.diagonal_b.len()) * 8
            + (self.occupations_a.len() + self.field_b.len()) * 8
            + (self.interaction_a.len() + self.interaction_b.len()) * 8
    }

    /// A tile of [`TILE_ROWS`] rows from `first` (`rows` of them real, the others zero), laid
    /// side by side into `scratch.tile` (column b of the tile is one [`Lanes`]: the rows' entries
    /// at b), so that each hop of H_B moves a whole vector — one weight for all the rows; and
    /// the occupied sites of its rows into `scratch.sites`. Returns the rows' d_A, one per lane
    /// pair. (A site empty in a row adds n·g = ±0 to its diagonal, which leaves d as it was but
    /// for the sign of an exactly zero d.)
    #[inline(always)]
    fn tile_setup(&self, first: usize, rows: usize, x: &[f64], scratch: &mut TileScratch) -> Lanes {
        let columns = self.columns;
        let TileScratch { tile, sites, .. } = scratch;
        // Lay the rows side by side.
        let x = &x[2 * first * columns..2 * (first + rows) * columns];
        side_by_side(x, rows, tile, self.vector_unit);
        // The diagonal: per lane pair the row's d_A and occupations.
        let mut offset = Lanes::default();
        for r in 0..rows {
            offset.0[2 * r] = self.diagonal_a[first + r];
            offset.0[2 * r + 1] = self.diagonal_a[first + r];
        }
        sites.clear();
        for site in 0..self.modes {
            let mut n = Lanes::default();
            for r in 0..rows {
                let count = self.occupations_a[(first + r) * self.modes + site];
                n.0[2 * r] = count;
                n.0[2 * r + 1] = count;
            }
            if n.0.iter().any(|&n| n != 0.0) {
                sites.push((site * columns, n));
            }
        }
        offset
    }

    /// (d ⊙ Ψ + H_B Ψ) of the tile laid by [`Self::tile_setup`], for the target columns
    /// `targets`, into the first entries of the scratch's `local`: per column b the diagonal
    /// d_b = (d_A + d_B(b)) + Σ_x n^A_x g_x(b) over the occupied sites x in order, times Ψ_b;
    /// then the hops of H_B in channel order, each a product then a sum — gathered by target
    /// column ([`TargetHops`]), or, when a hop coefficient is complex, channel by channel over
    /// the segments (then `targets` must be all the columns).
    #[inline(always)]
    fn tile_local(
        &self,
        targets: std::ops::Range<usize>,
        offset: &Lanes,
        scratch: &mut TileScratch,
    ) {
        let TileScratch { tile, local, sites } = scratch;
        let by_target = self.hops_b_by_target.as_ref();
        diagonal_and_hops(
            (&mut local[..targets.len()], targets.start),
            tile,
            offset,
            &self.diagonal_b,
            sites,
            &self.field_b,
            by_target,
            self.vector_unit,
        );
        if by_target.is_some() {
            return;
        }
        assert_eq!(
            targets,
            0..self.columns,
            "complex hops are applied on whole rows"
        );
        // H_B, channel by channel, when its hops are not gathered by target.
        for (t, segment, amplitudes, scaled) in self.hops_b.segment_iter() {
            let (target, source) = (segment.target as usize, segment.source as usize);
            let len = segment.len as usize;
            let out = &mut local[target..target + len];
            let input = &tile[source..source + len];
            if t.im == 0.0 {
                add_products(out, scaled, input, self.vector_unit);
            } else {
                for ((o, i), &w) in out.iter_mut().zip(input).zip(amplitudes) {
                    let (ar, ai) = (t.re * w, t.im * w);
                    for r in 0..TILE_ROWS {
                        let (re, im) = (i.0[2 * r], i.0[2 * r + 1]);
                        o.0[2 * r] += ar * re - ai * im;
                        o.0[2 * r + 1] += ar * im + ai * re;
                    }
                }
            }
        }
    }

    /// Pass 2 for the rows of the tile from `first` (`y` and the accumulated sum: their rows):
    /// for each, y_a += h·(d ⊙ Ψ_a + H_B Ψ_a) + c_x·Ψ_a (y_a already holding
    /// c_y·y_a + h·(H_A Ψ)_a; with `whole`, H_A is added here too and y_a is overwritten as in
    /// Update::APPLY), then accumulated_a += c·y_a; returns ⟨Ψ_a, y_a⟩ per row when `dot`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn tile_pass_body(
        &self,
        first: usize,
        x: &[C64],
        y: &mut [C64],
        accumulate: &mut [Accumulate<'_>],
        update: Update,
        whole: bool,
        dot_wanted: bool,
        scratch: &mut TileScratch,
    ) -> [C64; TILE_ROWS] {
        let columns = self.columns;
        let rows = y.len() / columns;
        let xr = reals(x);
        let width = 2 * columns;
        let offset = self.tile_setup(first, rows, xr, scratch);
        let (h, cx) = (update.operator, update.input);
        let tile_x = &xr[first * width..(first + rows) * width];
        let y = reals_mut(y);
        // Column blocks small enough that the block's pieces of the rows, of H_A's source rows
        // and of d ⊙ Ψ + H_B Ψ stay in the core's cache from one step to the next (whole rows
        // for complex hops of H_B). Each entry sees the same operations in the
        // same order whatever the blocks; the dot's lanes are carried from block to block.
        let block = if self.hops_b_by_target.is_none() {
            columns.max(1)
        } else {
            TILE_BLOCK_COLUMNS
        };
        let mut lanes = [DotLanes::default(); TILE_ROWS];
        let mut dots = [C64::new(0.0, 0.0); TILE_ROWS];
        for start in (0..columns).step_by(block) {
            let end = (start + block).min(columns);
            self.tile_local(start..end, &offset, scratch);
            let local = &scratch.local[..end - start];
            if whole {
                lay_back(
                    local,
                    rows,
                    (&mut y[2 * start..], columns),
                    self.vector_unit,
                );
                self.hops_a_rows(first, y, xr, start..end, (1.0, 1.0));
            } else {
                for Accumulate { sum, previous, .. } in accumulate.iter_mut() {
                    // The old y's term, before the update overwrites it (only in the one pass:
                    // with two, the caller added it before pass 1).
                    let Some(c) = previous else { continue };
                    for r in 0..rows {
                        let row = &mut sum[r * columns + start..r * columns + end];
                        let old = &y[r * width + 2 * start..r * width + 2 * end];
                        add_scaled(reals_mut(row), *c, old);
                    }
                }
                if self.one_pass {
                    // Pass 1's work on these rows, the source rows coming from the cache.
                    self.hops_a_rows(first, y, xr, start..end, (update.previous, h));
                }
                let pieces = (&mut y[2 * start..], &tile_x[2 * start..], columns);
                add_back(local, rows, pieces, (h, cx), self.vector_unit);
            }
            for r in 0..rows {
                let piece = r * width + 2 * start..r * width + 2 * end;
                let (y, input) = (&y[piece.clone()], &tile_x[piece]);
                for Accumulate {
                    sum,
                    input: c_x,
                    output,
                    ..
                } in accumulate.iter_mut()
                {
                    let row = &mut sum[r * columns + start..r * columns + end];
                    match c_x {
                        Some(c_x) => add_two_scaled(reals_mut(row), (*c_x, input), (*output, y)),
                        None => add_scaled(reals_mut(row), *output, y),
                    }
                }
                if dot_wanted {
                    // Whole blocks of eight reals but at the end of the row.
                    let whole_blocks = y.len() / 8 * 8;
                    lanes[r].add(&input[..whole_blocks], &y[..whole_blocks]);
                    if end == columns {
                        let tails = (&input[whole_blocks..], &y[whole_blocks..]);
                        dots[r] = lanes[r].finish(tails.0, tails.1);
                    }
                }
            }
        }
        dots
    }

    /// y_a ← c_y·y_a + h·(H_A Ψ)_a for the rows of `y` from row `first` on (a method, not a
    /// closure: a closure would be compiled apart, without the caller's vector unit).
    #[inline(always)]
    fn hops_a_rows(
        &self,
        first: usize,
        y: &mut [f64],
        x: &[f64],
        columns: std::ops::Range<usize>,
        (cy, h): (f64, f64),
    ) {
        let width = 2 * self.columns;
        for (r, row) in y.chunks_exact_mut(width).enumerate() {
            let (sources, values) = self.hops_a.row(first + r);
            let piece = &mut row[2 * columns.start..2 * columns.end];
            hops_into(piece, cy, x, width, 2 * columns.start, sources, values, h);
        }
    }

    /// Pass 1 on the rows `rows` and the interleaved columns `parts`:
    /// y ← c_y·y + h·(H_A Ψ) there.
    #[inline(always)]
    fn block_pass_body(
        &self,
        x: &[f64],
        y: &SharedRows,
        rows: std::ops::Range<usize>,
        parts: std::ops::Range<usize>,
        update: Update,
    ) {
        let width = 2 * self.columns;
        let end = rows.end;
        for a in rows {
            // Ask for the pieces the next rows will read (the newest row of the window, and
            // the row of y) before they are needed: each piece lies on its own pages, which
            // the hardware prefetchers do not cross.
            let newest = a + self.reach + PREFETCH_ROWS;
            if newest < self.rows {
                prefetch(&x[newest * width + parts.start..newest * width + parts.end]);
            }
            if a + PREFETCH_ROWS < end {
                y.prefetch((a + PREFETCH_ROWS) * width + parts.start, parts.len());
            }
            // SAFETY: the tasks of pass 1 cover disjoint (row, column) blocks of y, and
            // nothing else touches y during the pass.
            let out = unsafe { y.piece(a * width + parts.start, parts.len()) };
            let (sources, values) = self.hops_a.row(a);
            hops_into(
                out,
                update.previous,
                x,
                width,
                parts.start,
                sources,
                values,
                update.operator,
            );
        }
    }

    /// The two passes (module doc); returns ⟨Ψ, HΨ⟩ when `dot_wanted` (then `update` must be
    /// [`Update::APPLY`]).
    fn update_all(
        &self,
        x: &[C64],
        y: &mut [C64],
        update: Update,
        accumulate: Vec<Accumulate<'_>>,
        dot_wanted: bool,
    ) -> C64 {
        let columns = self.columns;
        assert_eq!(
            x.len(),
            self.dim(),
            "state and Hamiltonian dimensions differ"
        );
        assert_eq!(
            y.len(),
            self.dim(),
            "state and Hamiltonian dimensions differ"
        );
        debug_assert!(!dot_wanted || update == Update::APPLY);
        let width = 2 * columns;
        let mut accumulate = accumulate;
        if !self.one_pass {
            // Pass 1 overwrites y before pass 2 sees it: the old y's term goes in first.
            for Accumulate { sum, previous, .. } in &mut accumulate {
                if let Some(c) = previous.take() {
                    assert_eq!(sum.len(), self.dim());
                    sum.par_chunks_mut(columns.max(1))
                        .zip(y.par_chunks(columns.max(1)))
                        .for_each(|(sum, y)| add_scaled(reals_mut(sum), c, reals(y)));
                }
            }
            // Pass 1, by (row range, column block) tasks.
            let blocks = columns.div_ceil(self.block_width);
            let threads = rayon::current_num_threads();
            let row_ranges = (4 * threads).div_ceil(blocks).min(self.rows).max(1);
            let shared = SharedRows::new(reals_mut(y));
            let xr = reals(x);
            (0..blocks * row_ranges).into_par_iter().for_each(|task| {
                let (block, range) = (task / row_ranges, task % row_ranges);
                let rows = range * self.rows / row_ranges..(range + 1) * self.rows / row_ranges;
                let parts =
                    2 * block * self.block_width..(2 * (block + 1) * self.block_width).min(width);
                self.block_pass(xr, &shared, rows, parts, update);
            });
        }
        // Pass 2 (or the one pass), by tiles of rows (c_y was applied in pass 1, or is in the
        // row's).
        let min_tiles = (1 << 13) / (TILE_ROWS * columns.max(1)) + 1;
        let tile = TILE_ROWS * columns;
        // Each sum cut into the tiles' pieces: sums[t] holds tile t's piece of every sum.
        let mut sums: Vec<Vec<Accumulate<'_>>> = (0..self.rows.div_ceil(TILE_ROWS))
            .map(|_| Vec::with_capacity(accumulate.len()))
            .collect();
        for whole_sum in accumulate {
            assert_eq!(whole_sum.sum.len(), self.dim());
            for (t, piece) in whole_sum.pieces(tile).enumerate() {
                sums[t].push(piece);
            }
        }
        let mut work: Vec<TileWork<'_>> = y
            .chunks_mut(tile)
            .zip(sums)
            .enumerate()
            .map(|(t, (y, z))| (t, y, z))
            .collect();
        if let Some(rank) = self.visiting_rank() {
            work.sort_unstable_by_key(|&(t, ..)| rank[t]);
        }
        let done: Vec<(usize, [C64; TILE_ROWS])> = work
            .into_par_iter()
            .with_min_len(min_tiles)
            .map_init(
                || self.scratch(),
                |scratch, (t, y, mut accumulate)| {
                    let dots = self.tile_pass(
                        t * TILE_ROWS,
                        x,
                        y,
                        &mut accumulate,
                        update,
                        false,
                        dot_wanted,
                        scratch,
                    );
                    (t, dots)
                },
            )
            .collect();
        if !dot_wanted {
            return C64::new(0.0, 0.0);
        }
        self.row_order_sum(done)
    }

    /// The sum of the rows' figures in row order, whatever the order the tiles were visited in
    /// (each tile's figures with its index; laid end to end by index, the padding of the last
    /// tile left out).
    fn row_order_sum(&self, done: Vec<(usize, [C64; TILE_ROWS])>) -> C64 {
        let mut tiles = vec![[C64::new(0.0, 0.0); TILE_ROWS]; done.len()];
        for (t, figures) in done {
            tiles[t] = figures;
        }
        tiles.into_iter().flatten().take(self.rows).sum()
    }

    /// Each tile's place in the order the one pass visits them, when it goes by pencils (else
    /// the tiles go in row order).
    fn visiting_rank(&self) -> Option<&[u32]> {
        self.tile_rank.as_deref().filter(|_| self.one_pass)
    }

    /// The tiles' indices in the order the one pass visits them.
    fn visiting_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.div_ceil(TILE_ROWS)).collect();
        if let Some(rank) = self.visiting_rank() {
            order.sort_unstable_by_key(|&t| rank[t]);
        }
        order
    }

    vectorised!(tile_pass, tile_pass_avx512, tile_pass_avx2, tile_pass_body,
        (first: usize, x: &[C64], y: &mut [C64], accumulate: &mut [Accumulate<'_>],
         update: Update, whole: bool, dot_wanted: bool, scratch: &mut TileScratch)
         -> [C64; TILE_ROWS]);

    vectorised!(block_pass, block_pass_avx512, block_pass_avx2, block_pass_body,
        (x: &[f64], y: &SharedRows, rows: std::ops::Range<usize>,
         parts: std::ops::Range<usize>, update: Update) -> ());

    fn scratch(&self) -> TileScratch {
        TileScratch {
            tile: vec![Lanes::default(); self.columns],
            local: vec![Lanes::default(); self.columns],
            sites: Vec::with_capacity(self.modes),
        }
    }
}

impl LinearOperator for ManyBodyHamiltonian {
    fn dim(&self) -> usize {
        self.rows * self.columns
    }

    fn apply(&self, x: &[C64], y: &mut [C64]) {
        self.update_all(x, y, Update::APPLY, Vec::new(), false);
    }

    fn apply_and_dot(&self, x: &[C64], y: &mut [C64]) -> C64 {
        self.update_all(x, y, Update::APPLY, Vec::new(), true)
    }

    fn spectral_bounds(&self) -> Option<(f64, f64)> {
        Some(self.proven_spectral_bounds())
    }

    fn expectation(&self, x: &[C64]) -> C64 {
        assert_eq!(
            x.len(),
            self.dim(),
            "state and Hamiltonian dimensions differ"
        );
        let min_tiles = (1 << 13) / (TILE_ROWS * self.columns.max(1)) + 1;
        let done = self
            .visiting_order()
            .into_par_iter()
            .with_min_len(min_tiles)
            .map_init(
                || {
                    let rows = vec![C64::new(0.0, 0.0); TILE_ROWS * self.columns];
                    (self.scratch(), rows)
                },
                |(scratch, rows), t| {
                    let first = t * TILE_ROWS;
                    let count = TILE_ROWS.min(self.rows - first);
                    let rows = &mut rows[..count * self.columns];
                    let dots =
                        self.tile_pass(first, x, rows, &mut [], Update::APPLY, true, true, scratch);
                    (t, dots)
                },
            )
            .collect();
        self.row_order_sum(done)
    }

    fn apply_update(
        &self,
        x: &[C64],
        y: &mut [C64],
        update: Update,
        accumulate: Vec<Accumulate<'_>>,
    ) {
        self.update_all(x, y, update, accumulate, false);
    }
}

/// The largest rank shift |a − a′| over the hops of H_A.
fn reach(hops_a: &SpeciesOperator) -> usize {
    (0..hops_a.dim())
        .flat_map(|a| {
            hops_a
                .row(a)
                .0
                .iter()
                .map(move |&s| (s as usize).abs_diff(a))
        })
        .max()
        .unwrap_or(0)
}

/// The column-block width of pass 1: the window of 2δ + 1 row pieces (δ the reach of H_A)
/// takes about 1 MiB; a multiple of [`CHUNK`]/2 columns (whole register chunks, whole cache
/// lines), and at least [`MIN_BLOCK_COLUMNS`].
fn block_width(reach: usize, columns: usize) -> usize {
    let window = (2 * reach + 1) * 16;
    let step = CHUNK / 2;
    ((1usize << 20) / window / step * step)
        .max(MIN_BLOCK_COLUMNS)
        .min(columns.max(step))
}

/// The narrowest column block of pass 1: pieces of 1 KiB at least, since each lies on pages of
/// its own (at large N₁ this wins over keeping the window in the core's cache).
const MIN_BLOCK_COLUMNS: usize = 64;

/// Whether to apply H in one pass by rows: each row of HΨ adds its H_A hops from the source rows
/// a′ (|a − a′| ≤ δ) while they are still in the cache from the rows before, so that Ψ and y
/// stream through memory once instead of twice. The window of 2δ + 1 rows need not fit the
/// cache entirely: most hops shift the rank by far less than δ. Measured on a 2-core machine
/// whose cache holds about 100 MB (ring M = 4; `cargo bench --bench hamiltonian -- H_apply`
/// times both schedules): one pass was faster at every size tried, up to N₁ = N₂ = 40 where the
/// window is 340 MB. Beyond [`ONE_PASS_WINDOW`] the two passes of the module doc are used.
fn one_pass(reach: usize, columns: usize) -> bool {
    ((2 * reach + 1) as f64) * (columns as f64) * 16.0 <= ONE_PASS_WINDOW as f64
}

/// The window of H_A's source rows (bytes) above which the pass goes by pencils
/// ([`ManyBodyHamiltonian::with_pencils`]).
const PENCIL_WINDOW: usize = 64 << 20;

/// The bytes that three slabs of a pencil may take ([`ManyBodyHamiltonian::with_pencils`]).
const PENCIL_LAYERS: usize = 16 << 20;

/// The largest window of source rows (bytes) for which H is applied in one pass.
const ONE_PASS_WINDOW: usize = 512 << 20;

/// Rows ahead of the current one whose pieces pass 1 asks the cache for.
const PREFETCH_ROWS: usize = 12;

/// Asks the cache for every line of `values` (a hint: no effect on results).
#[inline(always)]
fn prefetch(values: &[f64]) {
    prefetch_lines(values.as_ptr(), values.len());
}

/// Asks the cache for the lines of the `len` f64 from `start` (a hint that reads nothing and
/// cannot fault, so `start` may point into memory another thread writes).
#[inline(always)]
fn prefetch_lines(start: *const f64, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..len).step_by(8) {
        // SAFETY: a prefetch is a hint: it neither faults nor reads into the program.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                start.wrapping_add(line).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

/// values ← c·values (0 without reading them, nothing for c = 1).
#[inline(always)]
fn scale(values: &mut [f64], c: f64) {
    if c == 0.0 {
        values.fill(0.0);
    } else if c != 1.0 {
        values.iter_mut().for_each(|v| *v *= c);
    }
}

/// Columns of a tile taken at a time by the fused pass (a multiple of four, so that the
/// pieces of a row are whole blocks of [`DotLanes`]).
const TILE_BLOCK_COLUMNS: usize = 256;

/// Entries (f64) accumulated in registers at a time by [`hops_into`] and the diagonal.
const CHUNK: usize = 32;

/// How far ahead (reals) in each source row [`hops_into`] asks the cache for lines: 16 chunks,
/// 4 KiB (at D ≈ 10⁷ on ring M = 4 it saves 5%; 4 to 32 chunks are the same).
const HOP_PREFETCH: usize = 16 * CHUNK;

/// The most hops of a row that [`hops_into`] accumulates in registers.
const MAX_REGISTER_HOPS: usize = 16;

/// out ← c_y·out + h·Σ_{a′} (H_A)_{a a′} x[a′, parts] (sources and values of row a; `offset`
/// the first interleaved column of the piece), with the sum taken source by source as in
/// [`add_scaled`]: for real hops, chunks of [`CHUNK`] entries stay in registers over all the
/// sources, so that out is read and written once, not once per source.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn hops_into(
    out: &mut [f64],
    cy: f64,
    x: &[f64],
    width: usize,
    offset: usize,
    sources: &[u32],
    values: &[C64],
    h: f64,
) {
    let len = out.len();
    if sources.len() > MAX_REGISTER_HOPS || values.iter().any(|v| v.im != 0.0) {
        scale(out, cy);
        for (&source, &v) in sources.iter().zip(values) {
            let start = source as usize * width + offset;
            add_scaled(out, h * v, &x[start..start + len]);
        }
        return;
    }
    let count = sources.len();
    let mut starts = [0usize; MAX_REGISTER_HOPS];
    let mut weights = [0.0f64; MAX_REGISTER_HOPS];
    for (k, (&source, &v)) in sources.iter().zip(values).enumerate() {
        starts[k] = source as usize * width + offset;
        weights[k] = (h * v).re;
    }
    let mut chunks = out.chunks_exact_mut(CHUNK);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut acc = [0.0f64; CHUNK];
        if cy == 1.0 {
            acc.copy_from_slice(chunk);
        } else if cy != 0.0 {
            acc.iter_mut()
                .zip(chunk.iter())
                .for_each(|(a, &v)| *a = v * cy);
        }
        for k in 0..count {
            let (w, s) = (weights[k], starts[k] + at);
            // The same source row further on, for the chunks ahead: eight and more rows are
            // read at once, more streams than the hardware prefetchers follow.
            prefetch_lines(x.as_ptr().wrapping_add(s + HOP_PREFETCH), CHUNK);
            let source: &[f64; CHUNK] = x[s..s + CHUNK].try_into().unwrap();
            acc.iter_mut().zip(source).for_each(|(a, &x)| *a += w * x);
        }
        chunk.copy_from_slice(&acc);
        at += CHUNK;
    }
    let tail = chunks.into_remainder();
    scale(tail, cy);
    for k in 0..count {
        let s = starts[k] + at;
        let (w, source) = (weights[k], &x[s..s + tail.len()]);
        tail.iter_mut().zip(source).for_each(|(a, &x)| *a += w * x);
    }
}

/// A mutable row-major matrix of reals that the tasks of pass 1 write in disjoint blocks.
struct SharedRows {
    start: *mut f64,
    len: usize,
}

// SAFETY: tasks only write disjoint pieces (see `piece`).
unsafe impl Sync for SharedRows {}

impl SharedRows {
    fn new(values: &mut [f64]) -> Self {
        SharedRows {
            start: values.as_mut_ptr(),
            len: values.len(),
        }
    }

    /// Asks the cache for the piece [offset, offset + len) (a hint).
    fn prefetch(&self, offset: usize, len: usize) {
        if offset + len <= self.len {
            prefetch_lines(self.start.wrapping_add(offset), len);
        }
    }

    /// The piece [offset, offset + len).
    ///
    /// # Safety
    /// No two live pieces may overlap, and the matrix must outlive them.
    #[allow(clippy::mut_from_ref)]
    unsafe fn piece(&self, offset: usize, len: usize) -> &mut [f64] {
        assert!(offset + len <= self.len);
        // SAFETY: in bounds (checked); exclusive by the caller's guarantee.
        unsafe { std::slice::from_raw_parts_mut(self.start.add(offset), len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: f64) -> Vec<f64> {
        (0..n).map(|i| (seed * (i + 1) as f64).sin()).collect()
    }

    /// The steps of a tile on every vector unit the processor has, bit for bit against the
    /// formulas written out entry by entry (AVX-512 runs the intrinsics, the other units the
    /// portable loops), with column counts that leave ragged blocks of four.
    #[test]
    fn tile_steps_follow_their_formulas_on_every_unit() {
        let units: &[VectorUnit] = if VectorUnit::current() == VectorUnit::Avx512 {
            &[VectorUnit::Avx512, VectorUnit::Baseline]
        } else {
            &[VectorUnit::Baseline]
        };
        for &unit in units {
            for columns in [1, 3, 4, 5, 8, 13] {
                for rows in [TILE_ROWS, 3, 1] {
                    let x = values(2 * rows * columns, 0.37);
                    let mut tile = vec![Lanes([f64::NAN; 2 * TILE_ROWS]); columns];
                    side_by_side(&x, rows, &mut tile, unit);
                    for (b, t) in tile.iter().enumerate() {
                        for l in 0..2 * TILE_ROWS {
                            let (r, part) = (l / 2, l % 2);
                            let expected = if r < rows {
                                x[2 * (r * columns + b) + part]
                            } else {
                                0.0
                            };
                            assert_eq!(t.0[l].to_bits(), expected.to_bits(), "{unit:?} {b} {l}");
                        }
                    }
                    let mut back = vec![f64::NAN; x.len()];
                    lay_back(&tile, rows, (&mut back, columns), unit);
                    assert!(back.iter().zip(&x).all(|(a, b)| a.to_bits() == b.to_bits()));
                    // Added back into rows y: y + (h·tile + c_x·z).
                    let (y, z) = (values(x.len(), 1.7), values(x.len(), 2.9));
                    let mut sum = y.clone();
                    add_back(&tile, rows, (&mut sum, &z, columns), (0.3, -1.1), unit);
                    for k in 0..x.len() {
                        let expected = y[k] + (0.3 * x[k] + -1.1 * z[k]);
                        assert_eq!(sum[k].to_bits(), expected.to_bits(), "{unit:?} {k}");
                    }
                    // A block of columns (c0..c1) of the rows, the rows `columns` apart.
                    let (c0, c1) = (columns / 3, columns - columns / 4);
                    let mut block = y.clone();
                    let (into, from) = (&mut block[2 * c0..], &z[2 * c0..]);
                    add_back(
                        &tile[c0..c1],
                        rows,
                        (into, from, columns),
                        (0.3, -1.1),
                        unit,
                    );
                    for k in 0..x.len() {
                        let b = k / 2 % columns;
                        let expected = if (c0..c1).contains(&b) { sum[k] } else { y[k] };
                        assert_eq!(block[k].to_bits(), expected.to_bits(), "{unit:?} {k}");
                    }
                }
                let x = values(2 * TILE_ROWS * columns, 0.91);
                let mut tile = vec![Lanes::default(); columns];
                side_by_side(&x, TILE_ROWS, &mut tile, unit);
                let offset = Lanes(std::array::from_fn(|l| 0.3 + (l / 2) as f64));
                let c = values(columns, 1.3);
                let field = values(3 * columns, 2.1);
                let sites = [
                    (0, Lanes(std::array::from_fn(|l| (l / 2) as f64))),
                    (2 * columns, Lanes([2.0; 2 * TILE_ROWS])),
                ];
                // Target b has hops from (b + k) mod columns for k < b mod 3.
                let (mut start, mut sources, mut weights) = (vec![0], Vec::new(), Vec::new());
                for b in 0..columns {
                    for k in 0..b % 3 {
                        sources.push(((b + k) % columns) as u32);
                        weights.push(0.7 - 0.2 * (b + k) as f64);
                    }
                    start.push(sources.len() as u32);
                }
                let hops = TargetHops::checked(columns, start, sources, weights).unwrap();
                let mut out = vec![Lanes::default(); columns];
                let whole = (&mut out[..], 0);
                diagonal_and_hops(whole, &tile, &offset, &c, &sites, &field, None, unit);
                let mut hopped = vec![Lanes::default(); columns];
                let hops = Some(&hops);
                let whole = (&mut hopped[..], 0);
                diagonal_and_hops(whole, &tile, &offset, &c, &sites, &field, hops, unit);
                // A block of targets (c0..c1): the same entries as in the whole.
                let (c0, c1) = (columns / 3, columns - columns / 4);
                let mut block = vec![Lanes::default(); c1 - c0];
                let part = (&mut block[..], c0);
                diagonal_and_hops(part, &tile, &offset, &c, &sites, &field, hops, unit);
                for (b, lanes) in (c0..c1).zip(&block) {
                    for l in 0..2 * TILE_ROWS {
                        assert_eq!(lanes.0[l].to_bits(), hopped[b].0[l].to_bits(), "{unit:?}");
                    }
                }
                let w = values(columns, 0.53);
                let before = out.clone();
                add_products(&mut out, &w, &tile, unit);
                for b in 0..columns {
                    for l in 0..2 * TILE_ROWS {
                        let mut d = offset.0[l] + c[b];
                        for (base, n) in &sites {
                            d += n.0[l] * field[base + b];
                        }
                        let product = d * tile[b].0[l];
                        assert_eq!(before[b].0[l].to_bits(), product.to_bits(), "{unit:?}");
                        let sum = product + w[b] * tile[b].0[l];
                        assert_eq!(out[b].0[l].to_bits(), sum.to_bits(), "{unit:?}");
                        let mut with_hops = product;
                        for k in 0..b % 3 {
                            let source = (b + k) % columns;
                            with_hops += (0.7 - 0.2 * (b + k) as f64) * tile[source].0[l];
                        }
                        assert_eq!(hopped[b].0[l].to_bits(), with_hops.to_bits(), "{unit:?}");
                    }
                }
            }
        }
    }
}
