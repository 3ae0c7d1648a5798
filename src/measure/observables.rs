//! Indicators of condensation and conserved quantities of a two-species state (SPEC §4).
//!
//! With N_u = a†(u)a(u), a(u) = Σ_x conj(u_x) a_x:
//!
//! * α^(1,1) = 1 − ⟨N_u^A N_v^B⟩/(N₁N₂)   (2.18)
//! * α^(1,0) = 1 − ⟨N_u^A⟩/N₁,  α^(0,1) = 1 − ⟨N_v^B⟩/N₂   (3.3)
//!
//! computed as squared norms of states of a particle fewer: ⟨N_u^A N_v^B⟩ = ‖(a(u) ⊗ b(v))Ψ‖²
//! (the species' operators commute), ⟨N_u^A⟩ = ‖(a(u) ⊗ 1)Ψ‖² and ⟨N_v^B⟩ = ‖(1 ⊗ b(v))Ψ‖².
//! Z = (a(u) ⊗ 1)Ψ is formed a tile of four rows at a time, each row (of N₁ − 1 particles) from
//! the M rows of Ψ that a(u) lowers into it; 1 ⊗ b(v) acts on a tile's rows laid side by side
//! (see `evolution::hamiltonian::tiles`), M terms per entry. Nothing state-sized is stored.

use rayon::prelude::*;

use crate::evolution::hamiltonian::rows::{per_vector_unit, reals, reals_mut, VectorUnit};
use crate::evolution::hamiltonian::tiles::{
    gather_complex, lay_back, side_by_side, Lanes, TILE_ROWS,
};
use crate::linalg::{norm, LinearOperator};
use crate::model::one_body::check_normalised;
use crate::space::fock::{FockBasis, SpeciesOperator};
use crate::space::state::checked_norm_sqr;
use crate::{Error, Result, C64};

/// The indicators α^(1,1), α^(1,0), α^(0,1) of one state relative to orbitals (u, v).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Indicators {
    /// α^(1,1) (2.18).
    pub alpha11: f64,
    /// α^(1,0) (3.3).
    pub alpha10: f64,
    /// α^(0,1) (3.3).
    pub alpha01: f64,
}

/// Computes indicators of states on one pair of bases.
#[derive(Debug)]
pub struct IndicatorWorkspace<'a> {
    basis_a: &'a FockBasis,
    basis_b: &'a FockBasis,
}

impl<'a> IndicatorWorkspace<'a> {
    /// A workspace for states on `basis_a` ⊗ `basis_b`.
    pub fn new(basis_a: &'a FockBasis, basis_b: &'a FockBasis) -> Self {
        IndicatorWorkspace { basis_a, basis_b }
    }

    /// α^(1,1), α^(1,0), α^(0,1) of `state` (normalised or not: expectations are divided by
    /// ‖Ψ‖²) relative to the normalised orbitals u, v.
    pub fn indicators(&mut self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Indicators> {
        let (rows, columns) = (self.basis_a.dim(), self.basis_b.dim());
        crate::space::state::check_state_len(state, rows, columns)?;
        check_normalised("u", u, self.basis_a.modes())?;
        check_normalised("v", v, self.basis_b.modes())?;
        let lowering = |basis: &FockBasis, orbital: &[C64]| -> Result<SpeciesOperator> {
            let fewer = basis.particles().checked_sub(1).ok_or_else(|| {
                Error::invalid("indicators", "need at least one particle of each species")
            })?;
            let fewer = FockBasis::new(basis.modes(), fewer)?;
            SpeciesOperator::orbital_lowering(basis, &fewer, orbital)
        };
        let lowerings = (&lowering(self.basis_a, u)?, &lowering(self.basis_b, v)?);
        let lowered_rows = lowerings.0.dim();
        let min_tiles = (1 << 13) / (TILE_ROWS * columns.max(1)) + 1;
        // Tile t holds rows 4t.. of Ψ and (while there are any) of Z, which has fewer.
        let per_tile: Vec<TileNorms> = (0..rows.div_ceil(TILE_ROWS))
            .into_par_iter()
            .with_min_len(min_tiles)
            .map_init(
                || LoweringTile::new(columns, lowerings.1.dim()),
                |work, t| tile_norms(state, t * TILE_ROWS, lowerings, work),
            )
            .collect();
        // Each sum over its rows in row order.
        let mut sums = [0.0; 4];
        for [psi, lowered_b] in per_tile.iter().flat_map(|t| t.state).take(rows) {
            sums[0] += psi;
            sums[1] += lowered_b;
        }
        for [lowered_a, both] in per_tile.iter().flat_map(|t| t.lowered).take(lowered_rows) {
            sums[2] += lowered_a;
            sums[3] += both;
        }
        let [norm_sqr, mean_v, mean_u, joint] = sums;
        let norm_sqr = checked_norm_sqr(norm_sqr)?;
        let (n1, n2) = (
            self.basis_a.particles() as f64,
            self.basis_b.particles() as f64,
        );
        Ok(Indicators {
            alpha11: 1.0 - joint / (n1 * n2 * norm_sqr),
            alpha10: 1.0 - mean_u / (n1 * norm_sqr),
            alpha01: 1.0 - mean_v / (n2 * norm_sqr),
        })
    }
}

/// The shares of one tile's rows: [‖Ψ_a‖², ‖b(v)Ψ_a‖²] for its rows a of Ψ and
/// [‖Z_r‖², ‖b(v)Z_r‖²] for its rows r of Z = (a(u) ⊗ 1)Ψ (zero past the last row).
struct TileNorms {
    state: [[f64; 2]; TILE_ROWS],
    lowered: [[f64; 2]; TILE_ROWS],
}

/// Scratch of one task of the indicators: a tile's rows of Z, a tile laid side by side, and
/// b(v) of it.
struct LoweringTile {
    rows: Vec<C64>,
    tile: Vec<Lanes>,
    lowered: Vec<Lanes>,
}

impl LoweringTile {
    fn new(columns: usize, lowered_columns: usize) -> Self {
        LoweringTile {
            rows: vec![C64::new(0.0, 0.0); TILE_ROWS * columns],
            tile: vec![Lanes::default(); columns],
            lowered: vec![Lanes::default(); lowered_columns],
        }
    }

    /// [‖x_r‖², ‖b(v)x_r‖²] for the `rows` rows x_r laid side by side in `tile`: each the sum over
    /// the columns in order of re² + im², the rows' sums side by side.
    #[inline(always)]
    fn norms(&mut self, lower_v: &SpeciesOperator, unit: VectorUnit) -> [[f64; 2]; TILE_ROWS] {
        gather_complex(&mut self.lowered, &self.tile, lower_v, unit);
        let mut norms = [[0.0; 2]; TILE_ROWS];
        for (k, lanes) in [&self.tile, &self.lowered].into_iter().enumerate() {
            for column in lanes {
                for (r, norm) in norms.iter_mut().enumerate() {
                    let (re, im) = (column.0[2 * r], column.0[2 * r + 1]);
                    norm[k] += re * re + im * im;
                }
            }
        }
        norms
    }
}

/// The norms of the tile of rows from `first`: of Ψ's rows and, when Z has rows there, of Z's.
#[inline(always)]
fn tile_norms_body(
    state: &[C64],
    first: usize,
    (lower_u, lower_v): (&SpeciesOperator, &SpeciesOperator),
    work: &mut LoweringTile,
) -> TileNorms {
    let unit = VectorUnit::current();
    let columns = work.tile.len();
    let rows = TILE_ROWS.min(state.len() / columns - first);
    let psi = &state[first * columns..(first + rows) * columns];
    side_by_side(reals(psi), rows, &mut work.tile, unit);
    let mut norms = TileNorms {
        state: work.norms(lower_v, unit),
        lowered: [[0.0; 2]; TILE_ROWS],
    };
    if first < lower_u.dim() {
        let rows = TILE_ROWS.min(lower_u.dim() - first);
        combine_rows(&mut work.rows, state, first, rows, lower_u);
        side_by_side(reals(&work.rows), rows, &mut work.tile, unit);
        norms.lowered = work.norms(lower_v, unit);
    }
    norms
}

per_vector_unit! {
    /// [`tile_norms_body`] compiled for the process's vector unit (the same operations, the same
    /// bits on every unit).
    fn tile_norms(
        state: &[C64],
        first: usize,
        lowerings: (&SpeciesOperator, &SpeciesOperator),
        work: &mut LoweringTile,
    ) -> TileNorms => tile_norms_body
}

/// Row r of `out` ([`TILE_ROWS`] rows of D_B entries) ← (O ⊗ 1)Ψ's row first + r, for the
/// `rows` rows r: zero, then w·Ψ[a′] added for the entries (a′, w) of row first + r of the
/// species-A operator O in order.
#[inline(always)]
fn combine_rows(
    out: &mut [C64],
    state: &[C64],
    first: usize,
    rows: usize,
    operator: &SpeciesOperator,
) {
    let columns = out.len() / TILE_ROWS;
    for (r, out_row) in out.chunks_exact_mut(columns).take(rows).enumerate() {
        let (sources, values) = operator.row(first + r);
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if VectorUnit::current() == VectorUnit::Avx512 {
            // SAFETY: the processor has AVX-512F; the sources are rows of `state` (checked).
            done = unsafe { count_row_avx512(out_row, state, sources, values) };
        }
        let out_row = &mut out_row[done..];
        out_row.iter_mut().for_each(|z| *z = C64::new(0.0, 0.0));
        for (&source, &w) in sources.iter().zip(values) {
            let source = source as usize;
            let row = &state[source * columns + done..(source + 1) * columns];
            out_row.iter_mut().zip(row).for_each(|(z, s)| *z += w * s);
        }
    }
}

/// (N_u^A ⊗ N_v^B)Ψ formed a tile of [`TILE_ROWS`] rows at a time, with no state-sized vector:
/// the scratch of one task of the proof's derivative terms (which weigh it entry by entry, so
/// that it is not a norm of a lowered state as in the indicators).
pub(crate) struct NumberTile {
    /// (N_u^A Ψ)_a for the tile's rows a, after [`NumberTile::count_rows`].
    pub(crate) x_rows: Vec<C64>,
    /// (1 ⊗ N_v^B) of `x_rows`, after [`NumberTile::count_columns`].
    pub(crate) y_rows: Vec<C64>,
    tile: Vec<Lanes>,
    gathered: Vec<Lanes>,
}

impl NumberTile {
    /// Scratch for rows of `columns` entries.
    pub(crate) fn new(columns: usize) -> Self {
        let zero = C64::new(0.0, 0.0);
        NumberTile {
            x_rows: vec![zero; TILE_ROWS * columns],
            y_rows: vec![zero; TILE_ROWS * columns],
            tile: vec![Lanes::default(); columns],
            gathered: vec![Lanes::default(); columns],
        }
    }

    /// The number of rows of the tile from row `first` of a state of `len` entries (the last
    /// tile may have fewer than [`TILE_ROWS`]).
    pub(crate) fn rows_from(&self, len: usize, first: usize) -> usize {
        TILE_ROWS.min(len / self.tile.len() - first)
    }

    /// `x_rows` ← (N_u^A Ψ)_a for the `rows` rows a from `first`: zero, then w·Ψ[a′] added for
    /// the entries (a′, w) of row a of N_u^A in order.
    #[inline(always)]
    pub(crate) fn count_rows(
        &mut self,
        state: &[C64],
        first: usize,
        rows: usize,
        number_u: &SpeciesOperator,
    ) {
        combine_rows(&mut self.x_rows, state, first, rows, number_u);
    }

    /// `y_rows` ← (1 ⊗ N_v^B) of the `rows` rows of `x_rows`: for each column b, Σ w·row[b′]
    /// over the entries (b′, w) of row b of N_v^B in order, from zero — for the rows' entries
    /// side by side.
    #[inline(always)]
    pub(crate) fn count_columns(&mut self, rows: usize, number_v: &SpeciesOperator) {
        let unit = VectorUnit::current();
        side_by_side(reals(&self.x_rows), rows, &mut self.tile, unit);
        gather_complex(&mut self.gathered, &self.tile, number_v, unit);
        let columns = self.gathered.len();
        lay_back(
            &self.gathered,
            rows,
            (reals_mut(&mut self.y_rows), columns),
            unit,
        );
    }
}

/// The whole blocks of 16 columns of [`combine_rows`] for one row (returns the columns
/// done): each block summed in four registers over the sources in order, from zero, each term
/// w·s by [`complex_products_avx512`]: the operations of `*z += w * s`, lane by lane, without
/// storing the row between sources.
///
/// # Safety
/// AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn count_row_avx512(
    x_row: &mut [C64],
    state: &[C64],
    sources: &[u32],
    values: &[C64],
) -> usize {
    use crate::evolution::hamiltonian::tiles::complex_products_avx512;
    use std::arch::x86_64::*;
    let columns = x_row.len();
    assert!(sources
        .iter()
        .all(|&s| (s as usize + 1) * columns <= state.len()));
    let blocks = columns / 16;
    let out = x_row.as_mut_ptr().cast::<f64>();
    for k in 0..blocks {
        let mut acc = [_mm512_setzero_pd(); 4];
        for (&source, &w) in sources.iter().zip(values) {
            // SAFETY: columns 16k..16k + 16 of a row of `state` (checked above).
            let from = unsafe { state.as_ptr().add(source as usize * columns + 16 * k) };
            for (v, acc) in acc.iter_mut().enumerate() {
                // SAFETY: as above, four complex entries at a time.
                let s = unsafe { _mm512_loadu_pd(from.add(4 * v).cast::<f64>()) };
                *acc = _mm512_add_pd(*acc, complex_products_avx512(w, s));
            }
        }
        for (v, acc) in acc.into_iter().enumerate() {
            // SAFETY: 16k + 4v + 4 ≤ columns.
            unsafe { _mm512_storeu_pd(out.add(2 * (16 * k + 4 * v)), acc) };
        }
    }
    16 * blocks
}

/// ⟨Ψ, HΨ⟩/‖Ψ‖², streamed row by row (no state-sized work vector).
pub fn energy_expectation<O: LinearOperator>(hamiltonian: &O, state: &[C64]) -> f64 {
    hamiltonian.expectation(state).re / norm(state).powi(2)
}
/// ‖Ψ‖.
pub fn state_norm(state: &[C64]) -> f64 {
    norm(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indicators as norms of lowered states against ⟨Ψ, (N_u ⊗ N_v)Ψ⟩, ⟨Ψ, (N_u ⊗ 1)Ψ⟩ and
    /// ⟨Ψ, (1 ⊗ N_v)Ψ⟩ summed entry by entry from the dense matrices of N_u and N_v (built from
    /// their own matrix elements), on rows long enough for the AVX-512 blocks (D_B = 28) and a
    /// ragged last tile (D_A = 15; Z has 10 rows).
    #[test]
    fn the_indicators_are_the_expectations_of_the_number_operators() {
        let (basis_a, basis_b) = (FockBasis::new(3, 4).unwrap(), FockBasis::new(3, 6).unwrap());
        let (rows, columns) = (basis_a.dim(), basis_b.dim());
        let normalised = |z: [C64; 3]| {
            let n = z.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
            z.map(|z| z / n)
        };
        let u = normalised([C64::new(0.6, 0.2), C64::new(-0.3, 0.5), C64::new(0.1, -0.4)]);
        let v = normalised([C64::new(0.2, -0.7), C64::new(0.5, 0.1), C64::new(-0.4, 0.2)]);
        let state: Vec<C64> = (0..rows * columns)
            .map(|i| C64::new((0.37 * i as f64).sin(), (0.11 * i as f64 + 0.5).cos()))
            .collect();
        let number_u = SpeciesOperator::orbital_number(&basis_a, &u)
            .unwrap()
            .to_dense();
        let number_v = SpeciesOperator::orbital_number(&basis_b, &v)
            .unwrap()
            .to_dense();
        let (mut joint, mut mean_u, mut mean_v, mut norm_sqr) = (0.0, 0.0, 0.0, 0.0);
        for a in 0..rows {
            for b in 0..columns {
                let psi = state[a * columns + b].conj();
                norm_sqr += psi.norm_sqr();
                for a2 in 0..rows {
                    let x = number_u[(a, a2)] * state[a2 * columns + b];
                    mean_u += (psi * x).re;
                    for b2 in 0..columns {
                        let both = number_u[(a, a2)] * number_v[(b, b2)];
                        joint += (psi * both * state[a2 * columns + b2]).re;
                    }
                }
                for b2 in 0..columns {
                    mean_v += (psi * number_v[(b, b2)] * state[a * columns + b2]).re;
                }
            }
        }
        let found = IndicatorWorkspace::new(&basis_a, &basis_b)
            .indicators(&state, &u, &v)
            .unwrap();
        let expected = [
            1.0 - joint / (24.0 * norm_sqr),
            1.0 - mean_u / (4.0 * norm_sqr),
            1.0 - mean_v / (6.0 * norm_sqr),
        ];
        let got = [found.alpha11, found.alpha10, found.alpha01];
        for (got, expected) in got.into_iter().zip(expected) {
            assert!((got - expected).abs() < 1e-13, "{got} against {expected}");
        }
    }

    /// N_u^A ⊗ 1 on a tile's rows (AVX-512 blocks of 16 columns when the processor has them,
    /// then the ragged end) is, bit for bit, zero plus w·Ψ[a′] over the entries in order, entry
    /// by entry; and 1 ⊗ N_v^B of those rows is the plain sum of complex products.
    #[test]
    fn the_tile_counts_are_the_plain_sums_bit_for_bit() {
        let (basis_a, basis_b) = (FockBasis::new(3, 3).unwrap(), FockBasis::new(3, 6).unwrap());
        let (rows, columns) = (basis_a.dim(), basis_b.dim());
        let u = [
            C64::new(0.6, 0.2),
            C64::new(-0.3, 0.5),
            C64::new(0.1, -0.499),
        ];
        let v = [C64::new(0.2, -0.7), C64::new(0.5, 0.1), C64::new(-0.4, 0.2)];
        let number_u = SpeciesOperator::orbital_number(&basis_a, &u).unwrap();
        let number_v = SpeciesOperator::orbital_number(&basis_b, &v).unwrap();
        let state: Vec<C64> = (0..rows * columns)
            .map(|i| C64::new((0.37 * i as f64).sin(), (0.11 * i as f64 + 0.5).cos()))
            .collect();
        let mut work = NumberTile::new(columns);
        let first = 4;
        let count = work.rows_from(state.len(), first);
        work.count_rows(&state, first, count, &number_u);
        work.count_columns(count, &number_v);
        for r in 0..count {
            let (sources, values) = number_u.row(first + r);
            let x: Vec<C64> = (0..columns)
                .map(|b| {
                    let mut z = C64::new(0.0, 0.0);
                    for (&s, &w) in sources.iter().zip(values) {
                        z += w * state[s as usize * columns + b];
                    }
                    z
                })
                .collect();
            for b in 0..columns {
                let got = work.x_rows[r * columns + b];
                assert_eq!(got.re.to_bits(), x[b].re.to_bits(), "row {r}, column {b}");
                assert_eq!(got.im.to_bits(), x[b].im.to_bits(), "row {r}, column {b}");
                let (cols, vals) = number_v.row(b);
                let y: C64 = cols
                    .iter()
                    .zip(vals)
                    .map(|(&c, &w)| w * x[c as usize])
                    .sum();
                let got = work.y_rows[r * columns + b];
                assert_eq!(got.re.to_bits(), y.re.to_bits(), "row {r}, column {b}");
                assert_eq!(got.im.to_bits(), y.im.to_bits(), "row {r}, column {b}");
            }
        }
    }
}
