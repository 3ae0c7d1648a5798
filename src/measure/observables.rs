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
use crate::space::fock::{FockBasis, SpeciesOperator};
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
        let number_u = SpeciesOperator::orbital_number(self.basis_a, u)?;
        let number_v = SpeciesOperator::orbital_number(self.basis_b, v)?;
        let min_tiles = (1 << 13) / (TILE_ROWS * columns.max(1)) + 1;
        // Per row a: [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] (real parts), by tiles of
        // rows, added in row order.
        let per_tile: Vec<[[f64; 4]; TILE_ROWS]> = (0..rows.div_ceil(TILE_ROWS))
            .into_par_iter()
            .with_min_len(min_tiles)
            .map_init(
                || TileScratch::new(columns),
                |scratch, t| tile_sums(state, t * TILE_ROWS, (&number_u, &number_v), scratch),
            )
            .collect();
        let mut sums = [0.0; 4];
        for row in per_tile.iter().flatten().take(rows) {
            sums.iter_mut().zip(row).for_each(|(s, r)| *s += r);
        }
        let [joint, mean_u, mean_v, norm_sqr] = sums;
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

/// Scratch of one task: X and Y of a tile's rows, the rows side by side and Y side by side.
struct TileScratch {
    x_rows: Vec<C64>,
    y_rows: Vec<C64>,
    tile: Vec<Lanes>,
    gathered: Vec<Lanes>,
}

impl TileScratch {
    fn new(columns: usize) -> Self {
        let zero = C64::new(0.0, 0.0);
        TileScratch {
            x_rows: vec![zero; TILE_ROWS * columns],
            y_rows: vec![zero; TILE_ROWS * columns],
            tile: vec![Lanes::default(); columns],
            gathered: vec![Lanes::default(); columns],
        }
    }
}

/// The shares of the indicators of the rows of the tile from row `first`:
/// [⟨X_a, Y_a⟩, ⟨Ψ_a, X_a⟩, ⟨Ψ_a, Y_a⟩, ⟨Ψ_a, Ψ_a⟩] for each (real parts, each summed over the
/// columns in order), with X_a = (N_u^A Ψ)_a built row by row from the source rows and
/// Y_a = ((1 ⊗ N_v^B) Ψ)_a for the tile's rows at once, their entries side by side.
#[inline(always)]
fn tile_sums_body(
    state: &[C64],
    first: usize,
    (number_u, number_v): (&SpeciesOperator, &SpeciesOperator),
    scratch: &mut TileScratch,
) -> [[f64; 4]; TILE_ROWS] {
    let columns = scratch.tile.len();
    let rows = TILE_ROWS.min(state.len() / columns - first);
    let input = &state[first * columns..(first + rows) * columns];
    let unit = VectorUnit::current();
    side_by_side(reals(input), rows, &mut scratch.tile, unit);
    gather_complex(&mut scratch.gathered, &scratch.tile, number_v, unit);
    lay_back(
        &scratch.gathered,
        rows,
        reals_mut(&mut scratch.y_rows),
        unit,
    );
    let mut shares = [[0.0; 4]; TILE_ROWS];
    for (r, share) in shares.iter_mut().enumerate().take(rows) {
        let x_row = &mut scratch.x_rows[r * columns..(r + 1) * columns];
        x_row.iter_mut().for_each(|z| *z = C64::new(0.0, 0.0));
        let (sources, values) = number_u.row(first + r);
        for (&source, &w) in sources.iter().zip(values) {
            let source = source as usize;
            let row = &state[source * columns..(source + 1) * columns];
            x_row.iter_mut().zip(row).for_each(|(z, s)| *z += w * s);
        }
        let y_row = &scratch.y_rows[r * columns..(r + 1) * columns];
        let input = &input[r * columns..(r + 1) * columns];
        for ((p, x), y) in input.iter().zip(x_row.iter()).zip(y_row) {
            share[0] += (x.conj() * y).re;
            share[1] += (p.conj() * x).re;
            share[2] += (p.conj() * y).re;
            share[3] += p.norm_sqr();
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
        scratch: &mut TileScratch,
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
