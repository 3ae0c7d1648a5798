//! The three terms of dα^(1,1)/dt (5.20)–(5.22), in second quantisation (SPEC §5):
//!
//!   C_V1  = ⟨Ψ, [W₁ − dΓ_A(V₁*|u|²), 1 − O] Ψ⟩,
//!   C_V2  = ⟨Ψ, [W₂ − dΓ_B(V₂*|v|²), 1 − O] Ψ⟩,
//!   C_V12 = ⟨Ψ, [W_AB − c₂ dΓ_A(V₁₂*|v|²) − c₁ dΓ_B(V₁₂*|u|²), 1 − O] Ψ⟩,
//!
//! with O = N_u^A N_v^B/(N₁N₂), and (5.19) dα^(1,1)/dt = i(C_V1 + C_V2 + C_V12), exact at finite N
//! with c_j = N_j/(N₁+N₂): along i∂_tΨ = HΨ and i∂_t u = h^u u (2.10), ∂_t O = −i[dΓ(h^u) + dΓ(h^v), O],
//! so d⟨O⟩/dt = i⟨[H − dΓ_A(h^u) − dΓ_B(h^v), O]⟩ and the one-body parts h₁, h₂ cancel.
//!
//! Every X_j is diagonal in the site basis, so with Y = (1 − O)Ψ,
//! C_j = ⟨X_jΨ, Y⟩ − ⟨Y, X_jΨ⟩ = 2i Σ_{a,b} X_j[a,b] Im(conj Ψ[a,b] · Y[a,b]).

use rayon::prelude::*;

use crate::evolution::hamiltonian::rows::per_vector_unit;
use crate::evolution::hamiltonian::tiles::TILE_ROWS;
use crate::evolution::hamiltonian::{interaction_energy, PairDiagonal};
use crate::measure::observables::NumberTile;
use crate::model::Model;
use crate::proof::PairTerms;
use crate::space::fock::SpeciesOperator;
use crate::space::state::StateView;
use crate::{Result, C64};

/// C_V1, C_V2, C_V12 at one time; each is purely imaginary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DerivativeTerms {
    /// C_V1 (5.20).
    pub c_v1: C64,
    /// C_V2 (5.21).
    pub c_v2: C64,
    /// C_V12 (5.22).
    pub c_v12: C64,
}

impl DerivativeTerms {
    /// The three terms as the sums of their pairs (Propositions 5.1–5.2 split each term into
    /// them exactly): Σ pairs of C_V1 = i C_V1, of C_V2 = i C_V2, and Σ T = −C_V12. Each term is
    /// purely imaginary, and is taken as i times the real number these identities give (the
    /// other part of each sum is round-off). Needs N₁, N₂ ≥ 2 (the pairs of a species with one
    /// particle are not defined); [`derivative_terms`] computes the same from the definitions
    /// (5.20)–(5.22) in the site basis, without the pairs.
    pub fn from_pairs(v1: &PairTerms, v2: &PairTerms, v12: &PairTerms) -> Self {
        let (s1, s2, s12) = (v1.total(), v2.total(), v12.total());
        DerivativeTerms {
            c_v1: C64::new(0.0, -s1.re),
            c_v2: C64::new(0.0, -s2.re),
            c_v12: C64::new(0.0, -s12.im),
        }
    }

    /// i(C_V1 + C_V2 + C_V12), which equals dα^(1,1)/dt by (5.19).
    pub fn alpha11_derivative(&self) -> f64 {
        (C64::i() * (self.c_v1 + self.c_v2 + self.c_v12)).re
    }
}

/// Σ_x f(x) n_x of an occupation.
fn one_body_diagonal(field: &[f64], occupation: &[u32]) -> f64 {
    field
        .iter()
        .zip(occupation)
        .map(|(f, &n)| f * n as f64)
        .sum()
}

/// C_V1, C_V2, C_V12 of a normalised state Ψ(t) with the Hartree pair (u_t, v_t).
pub fn derivative_terms(
    model: &Model,
    state: StateView,
    u: &[C64],
    v: &[C64],
) -> Result<DerivativeTerms> {
    let (basis_a, basis_b) = (state.basis_a, state.basis_b);
    let (rows, columns) = (state.rows(), state.columns());
    let state = state.values();
    let (sa, sb, v12) = (
        model.species_a(),
        model.species_b(),
        model.inter_potential(),
    );
    let (n1, n2) = (sa.particles as f64, sb.particles as f64);
    // Y = (1 − O)Ψ = Ψ − (N_u ⊗ N_v)Ψ/(N₁N₂), formed a tile of rows at a time.
    let number_u = SpeciesOperator::orbital_number(basis_a, u)?;
    let number_v = SpeciesOperator::orbital_number(basis_b, v)?;
    // Diagonals of X₁ (rows), X₂ (columns) and the one-body parts of X₁₂.
    let field_a = sa.potential.convolve_density(u);
    let field_b = sb.potential.convolve_density(v);
    let field_ab = v12.convolve_density(v); // acts on A, weight c₂
    let field_ba = v12.convolve_density(u); // acts on B, weight c₁
    let (c1, c2) = (model.c1(), model.c2());
    let x1: Vec<f64> = (0..rows)
        .map(|a| {
            let occ = basis_a.occupation(a);
            interaction_energy(&sa.potential, sa.particles, occ) - one_body_diagonal(&field_a, occ)
        })
        .collect();
    let x2: Vec<f64> = (0..columns)
        .map(|b| {
            let occ = basis_b.occupation(b);
            interaction_energy(&sb.potential, sb.particles, occ) - one_body_diagonal(&field_b, occ)
        })
        .collect();
    let mean_a: Vec<f64> = (0..rows)
        .map(|a| c2 * one_body_diagonal(&field_ab, basis_a.occupation(a)))
        .collect();
    let mean_b: Vec<f64> = (0..columns)
        .map(|b| c1 * one_body_diagonal(&field_ba, basis_b.occupation(b)))
        .collect();
    let coupling = PairDiagonal::inter_species(basis_a, basis_b, v12);
    let diagonals = Diagonals {
        x1: &x1,
        x2: &x2,
        mean_a: &mean_a,
        mean_b: &mean_b,
        coupling: &coupling,
        weight: 1.0 / (n1 * n2),
    };
    let min_tiles = (1 << 13) / (TILE_ROWS * columns.max(1)) + 1;
    let per_tile: Vec<[(f64, f64, f64); TILE_ROWS]> = (0..rows.div_ceil(TILE_ROWS))
        .into_par_iter()
        .with_min_len(min_tiles)
        .map_init(
            || NumberTile::new(columns),
            |work, t| {
                tile_sums(
                    state,
                    t * TILE_ROWS,
                    (&number_u, &number_v),
                    &diagonals,
                    work,
                )
            },
        )
        .collect();
    let per_row = per_tile.iter().flatten().take(rows);
    // Added in row order, so that the figures are the same on every run.
    let (s1, s2, s12) = per_row.fold((0.0, 0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2));
    let twice_i = C64::new(0.0, 2.0);
    Ok(DerivativeTerms {
        c_v1: twice_i * s1,
        c_v2: twice_i * s2,
        c_v12: twice_i * s12,
    })
}

/// The diagonals X₁(a), X₂(b) and X₁₂(a, b) = W_AB(a, b) − mean_a(a) − mean_b(b), and the weight
/// 1/(N₁N₂) of O.
struct Diagonals<'d> {
    x1: &'d [f64],
    x2: &'d [f64],
    mean_a: &'d [f64],
    mean_b: &'d [f64],
    coupling: &'d PairDiagonal,
    weight: f64,
}

/// Σ_b X_j[a, b] Im(conj Ψ[a, b] · Y[a, b]) for j = 1, 2, 12 and each row a of the tile from row
/// `first`, each summed over the columns in order, with Y = Ψ − weight·(N_u ⊗ N_v)Ψ.
#[inline(always)]
fn tile_sums_body(
    state: &[C64],
    first: usize,
    (number_u, number_v): (&SpeciesOperator, &SpeciesOperator),
    diagonals: &Diagonals<'_>,
    work: &mut NumberTile,
) -> [(f64, f64, f64); TILE_ROWS] {
    let columns = diagonals.x2.len();
    let rows = work.rows_from(state.len(), first);
    work.count_rows(state, first, rows, number_u);
    work.count_columns(rows, number_v);
    let Diagonals {
        x1,
        x2,
        mean_a,
        mean_b,
        coupling,
        weight,
    } = *diagonals;
    let mut shares = [(0.0, 0.0, 0.0); TILE_ROWS];
    for (r, sums) in shares.iter_mut().enumerate().take(rows) {
        let a = first + r;
        let psi = &state[a * columns..(a + 1) * columns];
        let count = &work.y_rows[r * columns..(r + 1) * columns];
        for b in 0..columns {
            let y = psi[b] - weight * count[b];
            let im = (psi[b].conj() * y).im;
            sums.0 += x1[a] * im;
            sums.1 += x2[b] * im;
            sums.2 += (coupling.value(a, b) - mean_a[a] - mean_b[b]) * im;
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
        diagonals: &Diagonals<'_>,
        work: &mut NumberTile,
    ) -> [(f64, f64, f64); TILE_ROWS] => tile_sums_body
}
