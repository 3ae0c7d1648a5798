//! Indicators of condensation and conserved quantities of a two-species state (SPEC §4).
//!
//! With N_u = a†(u)a(u) = Σ_{x,y} u_x conj(u_y) a†_x a_y:
//!
//! * α^(1,1) = 1 − ⟨N_u^A N_v^B⟩/(N₁N₂)   (2.18)
//! * α^(1,0) = 1 − ⟨N_u^A⟩/N₁,  α^(0,1) = 1 − ⟨N_v^B⟩/N₂   (3.3)
//!
//! computed from X = (N_u^A ⊗ 1)Ψ and Y = (1 ⊗ N_v^B)Ψ: since the two commute and are
//! Hermitian, ⟨Ψ, N_u^A N_v^B Ψ⟩ = ⟨X, Y⟩, ⟨N_u^A⟩ = ⟨Ψ, X⟩ and ⟨N_v^B⟩ = ⟨Ψ, Y⟩. X and Y are
//! formed a tile of four rows at a time (Y with the rows side by side, see
//! `evolution::hamiltonian::tiles`) and never stored whole, so measuring needs no state-sized
//! vector.

use rayon::prelude::*;

use crate::evolution::hamiltonian::rows::{per_vector_unit, reals, reals_mut, VectorUnit};
use crate::evolution::hamiltonian::tiles::{
    gather_complex, lay_back, side_by_side, Lanes, TILE_ROWS,
};
use crate::linalg::{norm, LinearOperator};
use crate::model::one_body::check_normalised;
use crate::space::fock::{FockBasis, SpeciesOperator};
use crate::space::state::checked_norm_sqr;
use crate::{Result, C64};

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
        let number_u = SpeciesOperator::orbital_number(self.basis_a, u)?;
        let number_v = SpeciesOperator::orbital_number(self.basis_b, v)?;
        let min_tiles = (1 << 13) / (TILE_ROWS * columns.max(1)) + 1;
        // Per row a: [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] (real parts), by tiles of
        // rows, added in row order.
        let per_tile: Vec<[[f64; 4]; TILE_ROWS]> = (0..rows.div_ceil(TILE_ROWS))
            .into_par_iter()
            .with_min_len(min_tiles)
            .map_init(
                || NumberTile::new(columns),
                |work, t| tile_sums(state, t * TILE_ROWS, (&number_u, &number_v), work),
            )
            .collect();
        let mut sums = [0.0; 4];
        for row in per_tile.iter().flatten().take(rows) {
            sums.iter_mut().zip(row).for_each(|(s, r)| *s += r);
        }
        let [joint, mean_u, mean_v, norm_sqr] = sums;
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

/// N_u^A ⊗ 1 and 1 ⊗ N_v^B applied to a tile of [`TILE_ROWS`] rows of Ψ at a time, with the
/// arithmetic of [`crate::evolution::hamiltonian::apply_two_species`] (the same products and
/// sums in the same order, so the same bits) and no state-sized vector: the scratch of one task
/// of the indicators and of the proof's derivative terms.
pub(crate) struct NumberTile {
    /// (N_u^A Ψ)_a for the tile's rows a, after [`NumberTile::count_rows`].
    pub(crate) x_rows: Vec<C64>,
    /// (1 ⊗ N_v^B) of the rows given to [`NumberTile::count_columns`].
    pub(crate) y_rows: Vec<C64>,
    tile: Vec<Lanes>,
    gathered: Vec<Lanes>,
}

/// The rows that [`NumberTile::count_columns`] acts on.
pub(crate) enum ColumnsOf<'s> {
    /// These rows (of Ψ).
    Rows(&'s [C64]),
    /// The rows counted by [`NumberTile::count_rows`]: then Y = (N_u^A ⊗ N_v^B)Ψ.
    CountedRows,
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
        let columns = self.tile.len();
        for (r, x_row) in self.x_rows.chunks_exact_mut(columns).take(rows).enumerate() {
            let (sources, values) = number_u.row(first + r);
            let mut done = 0;
            #[cfg(target_arch = "x86_64")]
            if VectorUnit::current() == VectorUnit::Avx512 {
                // SAFETY: the processor has AVX-512F; the sources are rows of `state` (checked).
                done = unsafe { count_row_avx512(x_row, state, sources, values) };
            }
            let x_row = &mut x_row[done..];
            x_row.iter_mut().for_each(|z| *z = C64::new(0.0, 0.0));
            for (&source, &w) in sources.iter().zip(values) {
                let source = source as usize;
                let row = &state[source * columns + done..(source + 1) * columns];
                x_row.iter_mut().zip(row).for_each(|(z, s)| *z += w * s);
            }
        }
    }

    /// `y_rows` ← (1 ⊗ N_v^B) of `rows` rows: for each column b, Σ w·row[b′] over the entries
    /// (b′, w) of row b of N_v^B in order, from zero — for the rows' entries side by side.
    #[inline(always)]
    pub(crate) fn count_columns(
        &mut self,
        input: ColumnsOf<'_>,
        rows: usize,
        number_v: &SpeciesOperator,
    ) {
        let unit = VectorUnit::current();
        let input = match input {
            ColumnsOf::Rows(input) => input,
            ColumnsOf::CountedRows => &self.x_rows,
        };
        side_by_side(reals(input), rows, &mut self.tile, unit);
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

/// The whole blocks of 16 columns of [`NumberTile::count_rows`] for one row (returns the columns
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

/// The shares of the indicators of the rows of the tile from row `first`:
/// [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] for each (real parts, each summed over the
/// columns in order), with X = (N_u^A ⊗ 1)Ψ and Y = (1 ⊗ N_v^B)Ψ.
#[inline(always)]
fn tile_sums_body(
    state: &[C64],
    first: usize,
    (number_u, number_v): (&SpeciesOperator, &SpeciesOperator),
    work: &mut NumberTile,
) -> [[f64; 4]; TILE_ROWS] {
    let columns = work.tile.len();
    let rows = work.rows_from(state.len(), first);
    let input = &state[first * columns..(first + rows) * columns];
    work.count_rows(state, first, rows, number_u);
    work.count_columns(ColumnsOf::Rows(input), rows, number_v);
    let mut shares = [[0.0; 4]; TILE_ROWS];
    let add = |share: &mut [f64; 4], (p, x, y): (C64, C64, C64)| {
        share[0] += (x.conj() * y).re;
        share[1] += (p.conj() * x).re;
        share[2] += (p.conj() * y).re;
        share[3] += p.norm_sqr();
    };
    let entry = |k: usize| (input[k], work.x_rows[k], work.y_rows[k]);
    if rows == TILE_ROWS {
        // The four rows' sums side by side: sixteen chains of additions in flight instead of
        // four (each waits on its last addition), each in the order of its own row.
        for b in 0..columns {
            for (r, share) in shares.iter_mut().enumerate() {
                add(share, entry(r * columns + b));
            }
        }
    } else {
        for (r, share) in shares.iter_mut().enumerate().take(rows) {
            (r * columns..(r + 1) * columns).for_each(|k| add(share, entry(k)));
        }
    }
    shares
}

per_vector_unit! {
    /// [`tile_sums_body`] compiled for the process's vector unit (the same operations, the same
    /// bits on every unit).
    fn tile_sums(
        state: &[C64],
        first: usize,
        numbers: (&SpeciesOperator, &SpeciesOperator),
        work: &mut NumberTile,
    ) -> [[f64; 4]; TILE_ROWS] => tile_sums_body
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
        work.count_columns(ColumnsOf::CountedRows, count, &number_v);
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
