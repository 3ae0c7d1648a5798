//! The streaming kernel of H (2.8): one pass over Ψ per application.
//!
//! Ψ is a D_A × D_B row-major matrix. Row a of HΨ is
//!
//!   (HΨ)[a, b] = d(a, b) Ψ[a, b] + Σ_{b′} (H_B)_{b b′} Ψ[a, b′] + Σ_{a′} (H_A)_{a a′} Ψ[a′, b],
//!
//! with the whole diagonal d(a, b) = d_A(a) + d_B(b) + Σ_x n^A_x(a) g_x(b) (the diagonals of H_A
//! and H_B, and W_AB with g(b) = V₁₂ * n^B(b)/(N₁+N₂)) rebuilt per row from per-row and
//! per-column factors, vectorised over b (the factors g_x are stored site by site); the hops of
//! H_B as the contiguous segments of [`HopChannels`] within the row; the hops of H_A as
//! whole-row updates from the source rows. Each row is computed by one task, and the fused
//! update of the propagators (y ← h·HΨ + c_x·Ψ + c_y·y, accumulated += c·y, and ⟨Ψ, HΨ⟩) is
//! applied while the row is still in cache. Every sum is taken in a fixed order (diagonal, H_B
//! channel by channel, H_A source by source; row dot products added in row order), so the
//! result is bitwise the same on every run.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::{interaction_energy, species_hamiltonian};
use crate::fock::{add_segment, FockBasis, HopChannels, SpeciesOperator};
use crate::linalg::{hermitian_eigen, ordered_sum, LinearOperator, Update};
use crate::model::Model;
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
}

/// Row scratch of one task: the diagonal of the row and, when the update reads the old y, the
/// row of HΨ.
struct RowScratch {
    diagonal: Vec<f64>,
    applied: Vec<C64>,
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
        let mut field_b = vec![0.0; m * basis_b.dim()];
        let mut density = vec![0.0; m];
        for b in 0..basis_b.dim() {
            density
                .iter_mut()
                .zip(basis_b.occupation(b))
                .for_each(|(d, &n)| *d = n as f64);
            for (x, g) in model
                .inter_potential()
                .convolve(&density)
                .iter()
                .enumerate()
            {
                field_b[x * basis_b.dim() + b] = g / total;
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
            let (values, _) = hermitian_eigen(species.hamiltonian.matrix())?;
            let n = species.particles as f64;
            one_body_range.0 += n * values[0];
            one_body_range.1 += n * values[values.len() - 1];
        }
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
                    let occupation = &self.occupations_a[a * self.modes..(a + 1) * self.modes];
                    (0..self.columns).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
                        let coupling: f64 = occupation
                            .iter()
                            .enumerate()
                            .map(|(x, &n)| n * self.field_b[x * self.columns + b])
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

    /// d(a, ·) = d_A(a) + d_B(·) + Σ_x n^A_x(a) g_x(·).
    #[inline(always)]
    fn row_diagonal(&self, a: usize, diagonal: &mut [f64]) {
        let offset = self.diagonal_a[a];
        diagonal
            .iter_mut()
            .zip(&self.diagonal_b)
            .for_each(|(d, &c)| *d = offset + c);
        let occupation = &self.occupations_a[a * self.modes..(a + 1) * self.modes];
        for (x, &n) in occupation.iter().enumerate() {
            if n != 0.0 {
                let g = &self.field_b[x * self.columns..(x + 1) * self.columns];
                diagonal.iter_mut().zip(g).for_each(|(d, &g)| *d += n * g);
            }
        }
    }

    /// Row a of HΨ into `out`.
    #[inline(always)]
    fn row(&self, a: usize, x: &[C64], out: &mut [C64], diagonal: &mut [f64]) {
        let columns = self.columns;
        let input = &x[a * columns..(a + 1) * columns];
        self.row_diagonal(a, diagonal);
        out.iter_mut()
            .zip(diagonal.iter().zip(input))
            .for_each(|(o, (&d, s))| *o = C64::new(d * s.re, d * s.im));
        self.hops_b.for_each_segment(|t, segment, amplitudes| {
            let (target, source) = (segment.target as usize, segment.source as usize);
            let len = segment.len as usize;
            add_segment(
                &mut out[target..target + len],
                t,
                amplitudes,
                &input[source..source + len],
            );
        });
        let (sources, values) = self.hops_a.row(a);
        for (&source, &v) in sources.iter().zip(values) {
            let source = source as usize;
            let row = &x[source * columns..(source + 1) * columns];
            let (vr, vi) = (v.re, v.im);
            out.iter_mut().zip(row).for_each(|(o, s)| {
                o.re += vr * s.re - vi * s.im;
                o.im += vr * s.im + vi * s.re;
            });
        }
    }

    /// One row of the fused update; returns ⟨Ψ[a, ·], (HΨ)[a, ·]⟩.
    fn row_update(
        &self,
        a: usize,
        x: &[C64],
        y: &mut [C64],
        accumulate: Option<(&mut [C64], C64)>,
        update: Update,
        scratch: &mut RowScratch,
    ) -> C64 {
        let input = &x[a * self.columns..(a + 1) * self.columns];
        let plain = update == Update::APPLY;
        let expectation = if plain {
            self.row(a, x, y, &mut scratch.diagonal);
            row_dot(input, y)
        } else {
            let applied = &mut scratch.applied;
            self.row(a, x, applied, &mut scratch.diagonal);
            update.combine(y, applied, input);
            row_dot(input, applied)
        };
        if let Some((accumulated, c)) = accumulate {
            let (cr, ci) = (c.re, c.im);
            accumulated.iter_mut().zip(y.iter()).for_each(|(z, y)| {
                z.re += cr * y.re - ci * y.im;
                z.im += cr * y.im + ci * y.re;
            });
        }
        expectation
    }

    fn scratch(&self) -> RowScratch {
        RowScratch {
            diagonal: vec![0.0; self.columns],
            applied: vec![C64::new(0.0, 0.0); self.columns],
        }
    }
}

/// ⟨x, y⟩ of one row, in index order.
#[inline(always)]
fn row_dot(x: &[C64], y: &[C64]) -> C64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (x, y) in x.iter().zip(y) {
        re += x.re * y.re + x.im * y.im;
        im += x.re * y.im - x.im * y.re;
    }
    C64::new(re, im)
}

impl LinearOperator for ManyBodyHamiltonian {
    fn dim(&self) -> usize {
        self.rows * self.columns
    }

    fn apply(&self, x: &[C64], y: &mut [C64]) {
        self.apply_update(x, y, Update::APPLY, None);
    }

    fn apply_and_dot(&self, x: &[C64], y: &mut [C64]) -> C64 {
        self.apply_update(x, y, Update::APPLY, None)
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
                    || self.scratch(),
                    |scratch, a| {
                        let input = &x[a * self.columns..(a + 1) * self.columns];
                        self.row(a, x, &mut scratch.applied, &mut scratch.diagonal);
                        row_dot(input, &scratch.applied)
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
                                self.row_update(a, x, y, Some((z, c)), update, scratch)
                            },
                        ),
                )
            }
            None => ordered_sum(rows.with_min_len(min_rows).map_init(
                || self.scratch(),
                |scratch, (a, y)| self.row_update(a, x, y, None, update, scratch),
            )),
        }
    }
}
