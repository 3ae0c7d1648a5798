//! The streaming kernel of H (2.8): one pass over Ψ per application.
//!
//! Ψ is a D_A × D_B row-major matrix. Row a of HΨ is
//!
//!   (HΨ)[a, b] = d(a, b) Ψ[a, b] + Σ_{b′} (H_B)_{b b′} Ψ[a, b′] + Σ_{a′} (H_A)_{a a′} Ψ[a′, b],
//!
//! with the whole diagonal d(a, b) = d_A(a) + d_B(b) + Σ_x n^A_x(a) g_x(b) (the diagonals of H_A
//! and H_B, and W_AB with g(b) = V₁₂ * n^B(b)/(N₁+N₂)) rebuilt per row from per-row and
//! per-column factors (the factors g_x are stored site by site); the hops of H_B as the
//! contiguous segments of [`HopChannels`] within the row; the hops of H_A as whole-row updates
//! from the source rows.
//!
//! An application (or the fused update of the propagators, y ← h·HΨ + c_x·Ψ + c_y·y and
//! accumulated += c·y) makes one pass by rows when the window of source rows is moderate (see
//! `one_pass`): for each row, y_a ← c_y·y_a + h·(H_A Ψ)_a from the source rows a′, which lie
//! within a fixed distance δ of a (the largest rank shift of a hop) and so were read from memory
//! for the rows just before and are still in the cache; then the rest as in pass 2 below.
//! Otherwise it makes two passes, so that each entry of Ψ comes from memory about twice and
//! not once per hop:
//! 1. **H_A by column blocks.** For a block of W columns the window of 2δ + 1 row pieces that
//!    the hops read stays in the core's cache while the rows are swept in order; W is chosen so
//!    that this window takes about 1 MiB. This pass writes y ← c_y·y + h·(H_A Ψ) block by
//!    block.
//! 2. **The rest by rows.** For each row, the diagonal and H_B (which stays inside the row),
//!    y += h·(d ⊙ Ψ + H_B Ψ) + c_x·Ψ, the accumulation, and ⟨Ψ, HΨ⟩ when asked, while the row
//!    is in cache.
//!
//! Every sum is taken in a fixed order (per entry: H_A source by source, then the diagonal,
//! H_B channel by channel; row dot products in fixed lanes, added in row order), so the result
//! is bitwise the same on every run, on any number of threads and vector width.

use std::sync::OnceLock;

use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
use super::rows::add_pair_product_avx512;
use super::rows::{
    add_pair_product, add_scaled, add_weighted, dot, reals, reals_mut, set_pair_product, VectorUnit,
};
use super::{interaction_energy, species_hamiltonian};
use crate::linalg::{hermitian_eigenvalues, ordered_sum, LinearOperator, Update};
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
    spectral_bounds: OnceLock<(f64, f64)>,
    vector_unit: VectorUnit,
    /// Width (in columns) of the column blocks of the H_A pass.
    block_width: usize,
    /// The largest rank shift |a − a′| of a hop of H_A.
    reach: usize,
    /// One pass by rows, H_A's source rows read from the cache (see [`one_pass`]).
    one_pass: bool,
}

/// Row scratch of one task: the diagonal of the row and, when the update reads the old y, the
/// row of HΨ.
struct RowScratch {
    diagonal: Vec<f64>,
    applied: Vec<C64>,
}

/// `$name` runs `$body` (an `#[inline(always)]` method) compiled for the widest vector unit the
/// processor has (detected when H was built), through one wrapper per unit. The same
/// operations run in the same order on every path — Rust does not contract a·b + c into one
/// rounding — so every path gives the same bits.
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
            let values = hermitian_eigenvalues(species.hamiltonian.matrix())?;
            let n = species.particles as f64;
            one_body_range.0 += n * values[0];
            one_body_range.1 += n * values[values.len() - 1];
        }
        let reach = reach(&hops_a);
        let block_width = block_width(reach, basis_b.dim());
        Ok(ManyBodyHamiltonian {
            modes: m,
            rows: basis_a.dim(),
            columns: basis_b.dim(),
            hops_a,
            hops_b,
            diagonal_a,
            diagonal_b,
            occupations_a,
            field_b,
            interaction_a,
            interaction_b,
            one_body_range,
            spectral_bounds: OnceLock::new(),
            block_width,
            reach,
            one_pass: one_pass(reach, basis_b.dim()),
            vector_unit: VectorUnit::current(),
        })
    }

    /// An interval proven to contain spec(H), by Weyl's inequality on
    /// H = dΓ(h₁) ⊗ 1 + 1 ⊗ dΓ(h₂) + Δ: spec dΓ(h) on N bosons lies in
    /// [N λ_min(h), N λ_max(h)] (sums of N one-body eigenvalues), and Δ, the interactions, is
    /// diagonal, with range min/max over (a, b) of I_A(a) + I_B(b) + Σ_x n^A_x(a) g_x(b),
    /// evaluated exactly (one pass over the D entries, done once).
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
            let (e_lo, e_hi) = (self.one_body_range.0 + lo, self.one_body_range.1 + hi);
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
            + (self.diagonal_a.len() + self.diagonal_b.len()) * 8
            + (self.occupations_a.len() + self.field_b.len()) * 8
            + (self.interaction_a.len() + self.interaction_b.len()) * 8
    }

    /// out ← d(a, ·) ⊙ Ψ_a with d(a, ·) = d_A(a) + d_B(·) + Σ_x n^A_x(a) g_x(·) (the sum in this
    /// order, skipping empty sites), built in registers chunk by chunk; on the way it asks the
    /// cache for the lines of the rows in `ahead` at the same offsets.
    #[inline(always)]
    fn diagonal_product(
        &self,
        a: usize,
        input: &[f64],
        out: &mut [f64],
        ahead: &[*const f64],
        scratch: &mut [f64],
    ) {
        let offset = self.diagonal_a[a];
        let occupation = &self.occupations_a[a * self.modes..(a + 1) * self.modes];
        let columns = self.columns;
        let mut sites = [(0.0f64, 0usize); MAX_REGISTER_SITES];
        let mut count = 0;
        for (x, &n) in occupation.iter().enumerate() {
            if n != 0.0 {
                if count == MAX_REGISTER_SITES {
                    // More occupied sites than registers: build d in the scratch row.
                    let diagonal = &mut scratch[..columns];
                    self.row_diagonal(a, diagonal);
                    set_pair_product(out, diagonal, input);
                    return;
                }
                sites[count] = (n, x * columns);
                count += 1;
            }
        }
        let field = &self.field_b;
        let mut start = 0;
        while start < columns {
            let len = (CHUNK / 2).min(columns - start);
            let mut d = [0.0f64; CHUNK / 2];
            let d = &mut d[..len];
            d.iter_mut()
                .zip(&self.diagonal_b[start..start + len])
                .for_each(|(d, &c)| *d = offset + c);
            for &(n, base) in &sites[..count] {
                d.iter_mut()
                    .zip(&field[base + start..base + start + len])
                    .for_each(|(d, &g)| *d += n * g);
            }
            set_pair_product(
                &mut out[2 * start..2 * (start + len)],
                d,
                &input[2 * start..2 * (start + len)],
            );
            for &row in ahead {
                prefetch_lines(row.wrapping_add(2 * start), 2 * len);
            }
            start += len;
        }
    }

    /// d(a, ·) = d_A(a) + d_B(·) + Σ_x n^A_x(a) g_x(·).
    #[inline(always)]
    fn row_diagonal(&self, a: usize, diagonal: &mut [f64]) {
        let offset = self.diagonal_a[a];
        diagonal
            .iter_mut()
            .zip(&self.diagonal_b)
            .for_each(|(d, &c)| *d = offset + c);
        let occupation = &self.occupations_a[a * self.modes..(a + 1) * self.modes];
        let columns = self.columns;
        for (x, &n) in occupation.iter().enumerate() {
            if n != 0.0 {
                let g = &self.field_b[x * columns..(x + 1) * columns];
                diagonal.iter_mut().zip(g).for_each(|(d, &g)| *d += n * g);
            }
        }
    }

    /// Pass 2 for row a: y_a += h·(d ⊙ Ψ_a + H_B Ψ_a) + c_x·Ψ_a (y_a already holding
    /// c_y·y_a + h·(H_A Ψ)_a; with `whole`, H_A is added here too and y_a is overwritten as in
    /// Update::APPLY), then accumulated_a += c·y_a; returns ⟨Ψ_a, y_a⟩ when `dot`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn row_pass_body(
        &self,
        a: usize,
        x: &[C64],
        y: &mut [C64],
        accumulate: Option<(&mut [C64], C64)>,
        update: Update,
        whole: bool,
        dot_wanted: bool,
        scratch: &mut RowScratch,
    ) -> C64 {
        let input = reals(&x[a * self.columns..(a + 1) * self.columns]);
        let applied = &mut scratch.applied;
        // While the diagonal is built, the cache is asked for this row of y and of the sum
        // (read below) and for the next row of Ψ.
        let next = reals(x).as_ptr().wrapping_add(2 * (a + 1) * self.columns);
        let y_row = reals(y).as_ptr();
        let ahead = match &accumulate {
            Some((z, _)) => [next, y_row, reals(z).as_ptr()],
            None => [next, y_row, y_row],
        };
        let ahead = if whole { &ahead[..1] } else { &ahead[..] };
        self.row_local(a, input, reals_mut(applied), ahead, &mut scratch.diagonal);
        let (h, cx) = (update.operator, update.input);
        let (y, applied) = (reals_mut(y), reals(applied));
        if whole {
            y.copy_from_slice(applied);
            let (sources, values) = self.hops_a.row(a);
            hops_into(y, 1.0, reals(x), y.len(), 0, sources, values, 1.0);
        } else {
            if self.one_pass {
                // Pass 1's work on this row, the source rows coming from the cache.
                let (sources, values) = self.hops_a.row(a);
                let width = y.len();
                hops_into(y, update.previous, reals(x), width, 0, sources, values, h);
            }
            y.iter_mut()
                .zip(applied.iter().zip(input))
                .for_each(|(y, (&a, &x))| *y += h * a + cx * x);
        }
        if let Some((accumulated, c)) = accumulate {
            add_scaled(reals_mut(accumulated), c, y);
        }
        if dot_wanted {
            dot(input, y)
        } else {
            C64::new(0.0, 0.0)
        }
    }

    /// The diagonal and H_B on one row: out = d ⊙ Ψ_a + H_B Ψ_a (interleaved parts).
    #[inline(always)]
    fn row_local(
        &self,
        a: usize,
        input: &[f64],
        out: &mut [f64],
        ahead: &[*const f64],
        scratch: &mut [f64],
    ) {
        self.diagonal_product(a, input, out, ahead, scratch);
        self.hops_b
            .for_each_segment(|t, segment, amplitudes, scaled| {
                let (target, source) = (2 * segment.target as usize, 2 * segment.source as usize);
                let len = 2 * segment.len as usize;
                let (out, input) = (&mut out[target..target + len], &input[source..source + len]);
                if t.im == 0.0 {
                    #[cfg(target_arch = "x86_64")]
                    if self.vector_unit == VectorUnit::Avx512 {
                        // SAFETY: the processor has AVX-512F (detected when H was built); the
                        // slices are the segment's.
                        unsafe { add_pair_product_avx512(out, scaled, input) };
                        return;
                    }
                    add_pair_product(out, scaled, input);
                } else {
                    add_weighted(out, t, amplitudes, input);
                }
            });
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
        accumulate: Option<(&mut [C64], C64)>,
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
        if !self.one_pass {
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
        // Pass 2 (or the one pass), by rows (c_y was applied in pass 1, or is in the row's).
        let min_rows = (1 << 13) / columns.max(1) + 1;
        let rows = y.par_chunks_mut(columns).enumerate();
        match accumulate {
            Some((accumulated, c)) => {
                assert_eq!(accumulated.len(), self.dim());
                ordered_sum(
                    rows.zip(accumulated.par_chunks_mut(columns))
                        .with_min_len(min_rows)
                        .map_init(
                            || self.scratch(),
                            |scratch, ((a, y), z)| {
                                self.row_pass(
                                    a,
                                    x,
                                    y,
                                    Some((z, c)),
                                    update,
                                    false,
                                    dot_wanted,
                                    scratch,
                                )
                            },
                        ),
                )
            }
            None => ordered_sum(rows.with_min_len(min_rows).map_init(
                || self.scratch(),
                |scratch, (a, y)| self.row_pass(a, x, y, None, update, false, dot_wanted, scratch),
            )),
        }
    }

    vectorised!(row_pass, row_pass_avx512, row_pass_avx2, row_pass_body,
        (a: usize, x: &[C64], y: &mut [C64], accumulate: Option<(&mut [C64], C64)>,
         update: Update, whole: bool, dot_wanted: bool, scratch: &mut RowScratch) -> C64);

    vectorised!(block_pass, block_pass_avx512, block_pass_avx2, block_pass_body,
        (x: &[f64], y: &SharedRows, rows: std::ops::Range<usize>,
         parts: std::ops::Range<usize>, update: Update) -> ());

    fn scratch(&self) -> RowScratch {
        RowScratch {
            diagonal: vec![0.0; 2 * self.columns],
            applied: vec![C64::new(0.0, 0.0); self.columns],
        }
    }
}

impl LinearOperator for ManyBodyHamiltonian {
    fn dim(&self) -> usize {
        self.rows * self.columns
    }

    fn apply(&self, x: &[C64], y: &mut [C64]) {
        self.update_all(x, y, Update::APPLY, None, false);
    }

    fn apply_and_dot(&self, x: &[C64], y: &mut [C64]) -> C64 {
        self.update_all(x, y, Update::APPLY, None, true)
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
        let min_rows = (1 << 13) / self.columns.max(1) + 1;
        ordered_sum(
            (0..self.rows)
                .into_par_iter()
                .with_min_len(min_rows)
                .map_init(
                    || (self.scratch(), vec![C64::new(0.0, 0.0); self.columns]),
                    |(scratch, row), a| {
                        self.row_pass(a, x, row, None, Update::APPLY, true, true, scratch)
                    },
                ),
        )
    }

    fn apply_update(
        &self,
        x: &[C64],
        y: &mut [C64],
        update: Update,
        accumulate: Option<(&mut [C64], C64)>,
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

/// The most occupied sites of a row whose fields the diagonal adds up in registers.
const MAX_REGISTER_SITES: usize = 8;

/// Entries (f64) accumulated in registers at a time by [`hops_into`] and the diagonal.
const CHUNK: usize = 32;

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
