//! One output time of a run, built once: the model, Ψ(t) with its bases, the Hartree pair
//! (u_t, v_t), and what counting and every term of §5 are evaluated from — Ψ written in the
//! condensate frame of (u_t, v_t) (orbital 0 of each species is the condensate, so p and q are
//! diagonal there, [`crate::measure::counting::CondensateFrame`]) and the condensate counts n₀
//! of both bases. The counting distribution, the pairs of Propositions 5.1–5.2, the split of
//! T(pp,qq), the ledger and the proof snapshot all take it.

#[cfg(target_arch = "x86_64")]
use crate::evolution::hamiltonian::{rows::VectorUnit, tiles::transpose_tile_avx512};
use crate::measure::counting::{CondensateFrame, CountingDistribution};
use crate::model::{Component, Model};
use crate::space::fock::FockBasis;
use crate::space::state::{check_state_len, StateView};
use crate::{Error, Result, C64};

/// What counting and the proof need at one time (module doc).
pub struct TimeContext<'a> {
    /// The model.
    pub model: &'a Model,
    /// Ψ(t) with its bases.
    pub state: StateView<'a>,
    /// u_t.
    pub u: &'a [C64],
    /// v_t.
    pub v: &'a [C64],
    /// Ψ(t) in the condensate frame of (u_t, v_t), on the same bases.
    pub frame_state: Vec<C64>,
    /// n₀ of every Fock state of species A (its occupation of orbital 0, the condensate in the
    /// frame), then of species B.
    pub condensed: [Vec<f64>; 2],
    /// The frame state transposed (species B indexing the rows), made when first asked for.
    transposed: std::sync::OnceLock<Vec<C64>>,
}

impl<'a> TimeContext<'a> {
    /// The context of Ψ(t) = `state` and (u, v), with the frame state from `frame` (one per
    /// pair of bases, reused across times).
    pub fn new(
        model: &'a Model,
        state: StateView<'a>,
        (u, v): (&'a [C64], &'a [C64]),
        frame: &CondensateFrame,
    ) -> Result<Self> {
        let frame_state = frame.to_frame(state.values(), u, v)?;
        Self::with_frame_state(model, state, (u, v), frame_state)
    }

    /// The same with the frame state already computed (checked for its length).
    pub fn with_frame_state(
        model: &'a Model,
        state: StateView<'a>,
        (u, v): (&'a [C64], &'a [C64]),
        frame_state: Vec<C64>,
    ) -> Result<Self> {
        check_state_len(&frame_state, state.rows(), state.columns())?;
        let m = model.sites();
        for (name, orbital) in [("u", u), ("v", v)] {
            if orbital.len() != m {
                return Err(Error::invalid(
                    name,
                    format!("{} values for {m} sites", orbital.len()),
                ));
            }
        }
        for (name, basis, species) in [
            ("species A's basis", state.basis_a, Component::A),
            ("species B's basis", state.basis_b, Component::B),
        ] {
            let particles = model.component(species).particles;
            if basis.modes() != m || basis.particles() != particles {
                return Err(Error::invalid(
                    name,
                    format!(
                        "{} bosons in {} modes, but the model has {particles} on {m} sites",
                        basis.particles(),
                        basis.modes()
                    ),
                ));
            }
        }
        let condensed = [
            condensate_counts(state.basis_a),
            condensate_counts(state.basis_b),
        ];
        Ok(TimeContext {
            model,
            state,
            u,
            v,
            frame_state,
            condensed,
            transposed: std::sync::OnceLock::new(),
        })
    }

    /// The frame state as a D_B × D_A row-major matrix (species B indexing the rows), for the
    /// passes over species B's hops: transposed once, when first asked for, and kept with the
    /// context (the pairs of C_V2 and the ledger both read it).
    pub fn frame_state_transposed(&self) -> &[C64] {
        self.transposed
            .get_or_init(|| transpose(&self.frame_state, self.state.rows(), self.state.columns()))
    }

    /// π(k_A, k_B) of Ψ(t) relative to (u_t, v_t), read off the frame state.
    pub fn counting_distribution(&self) -> Result<CountingDistribution> {
        CountingDistribution::from_frame_state(
            self.state.basis_a,
            self.state.basis_b,
            &self.frame_state,
        )
    }

    /// The condensate orbital of a species (u for A, v for B).
    pub fn orbital(&self, species: Component) -> &'a [C64] {
        match species {
            Component::A => self.u,
            Component::B => self.v,
        }
    }

    /// n₀ per Fock state of a species.
    pub fn condensed(&self, species: Component) -> &[f64] {
        match species {
            Component::A => &self.condensed[0],
            Component::B => &self.condensed[1],
        }
    }
}

/// n₀ of every state: in the condensate frame, the number of particles in the condensate,
/// N − k with k the count of the counting operators.
pub(crate) fn condensate_counts(basis: &FockBasis) -> Vec<f64> {
    (0..basis.dim())
        .map(|state| basis.occupation(state)[0] as f64)
        .collect()
}

/// The D_A × D_B row-major matrix transposed (D_B × D_A), so that species B indexes rows: by
/// blocks of [`TRANSPOSE_BLOCK`] columns, each read row by row in contiguous pieces while the
/// block's output rows stay in the cache. With AVX-512, four input rows at a time by 4 × 4
/// blocks of entries (whole cache lines read and written); what is left (the last rows and
/// columns short of four) entry by entry.
fn transpose(state: &[C64], rows: usize, columns: usize) -> Vec<C64> {
    use std::mem::MaybeUninit;
    assert_eq!(state.len(), rows * columns);
    if rows == 0 {
        return Vec::new();
    }
    crate::linalg::filled_in_parallel(state.len(), TRANSPOSE_BLOCK * rows, |start, block| {
        let first = start / rows;
        let width = block.len() / rows;
        // The rows and the block's columns done in whole 4 × 4 blocks.
        #[allow(unused_mut)]
        let (mut rows_done, mut columns_done) = (0, 0);
        #[cfg(target_arch = "x86_64")]
        if VectorUnit::current() == VectorUnit::Avx512 {
            rows_done = rows / 4 * 4;
            columns_done = width / 4 * 4;
            for a in (0..rows_done).step_by(4) {
                // SAFETY: the processor has AVX-512F; the reads are rows a..a + 4, columns
                // first..first + columns_done of the state, the writes entries a..a + 4 of the
                // block's first columns_done output rows.
                unsafe {
                    transpose_tile_avx512(
                        (
                            state.as_ptr().add(a * columns + first).cast(),
                            2 * columns,
                            8,
                        ),
                        (block.as_mut_ptr().add(a).cast(), 2 * rows, 8 * rows),
                        columns_done,
                    )
                };
            }
        }
        let piece = |a: usize| &state[a * columns + first..][..width];
        // Entry by entry: the rows left for the columns done, then every row for the columns
        // left. TRANSPOSE_ROWS input rows at a time, so that each output row gets that many
        // neighbouring entries (whole cache lines) per write.
        for (row_range, column_range) in [
            (rows_done..rows, 0..columns_done),
            (0..rows, columns_done..width),
        ] {
            for group in row_range.clone().step_by(TRANSPOSE_ROWS) {
                let end = (group + TRANSPOSE_ROWS).min(row_range.end);
                // The last group repeats its last row's piece where it has fewer rows (unused).
                let pieces: [&[C64]; TRANSPOSE_ROWS] =
                    std::array::from_fn(|i| piece((group + i).min(end - 1)));
                for j in column_range.clone() {
                    let out = &mut block[j * rows..(j + 1) * rows];
                    let put = |(o, p): (&mut MaybeUninit<C64>, &&[C64])| {
                        o.write(p[j]);
                    };
                    // A whole group as a fixed-length array, which the compiler unrolls.
                    let out = &mut out[group..end];
                    if let Ok(whole) = <&mut [_; TRANSPOSE_ROWS]>::try_from(&mut *out) {
                        whole.iter_mut().zip(&pieces).for_each(put);
                    } else {
                        out.iter_mut().zip(&pieces).for_each(put);
                    }
                }
            }
        }
    })
}

/// Input rows that [`transpose`] takes at a time (eight entries: two cache lines per write).
const TRANSPOSE_ROWS: usize = 8;

/// Columns per block of [`transpose`].
const TRANSPOSE_BLOCK: usize = 64;

#[cfg(test)]
mod transpose_tests {
    use super::*;

    /// Entry (a, b) goes to (b, a), for shapes with whole and ragged blocks of columns.
    #[test]
    fn the_transpose_moves_every_entry_to_its_place() {
        for (rows, columns) in [
            (1, 1),
            (3, 5),
            (4, 4),
            (7, 64),
            (5, 130),
            (130, 3),
            (8, 67),
            (12, 200),
        ] {
            let state: Vec<C64> = (0..rows * columns)
                .map(|i| C64::new(i as f64, -(i as f64)))
                .collect();
            let out = transpose(&state, rows, columns);
            for a in 0..rows {
                for b in 0..columns {
                    assert_eq!(
                        out[b * rows + a],
                        state[a * columns + b],
                        "{rows} × {columns}"
                    );
                }
            }
        }
    }
}
