//! The 16 pairs (Π_L, Π_R) of C_V1 and C_V2 (Proposition 5.1, (5.24)–(5.28), SPEC §5):
//!
//!   (Π_L, Π_R) := (i/2) ⟨Ψ, Π_L [X₁, m̂^A] Π_R p₁^B Ψ⟩,   i C_V1 = Σ over the 16 pairs,
//!
//! X₁ = (N₁−1)(V₁)₁₂ − N₁(V₁*|u|²)₁ − N₁(V₁*|u|²)₂ on A-particles 1, 2 and Π ∈ {pp, pq, qp, qq}
//! on the same particles; C_V2 likewise with A ↔ B.
//!
//! **One mechanism.** m̂ commutes with p's and q's (A.6), so
//! ⟨Π_L[X₁, m̂]Π_R p₁^B⟩ = ⟨T m̂ p₁^B⟩ − ⟨m̂ T p₁^B⟩ with the two-body T = Π_L X₁ Π_R. For a state
//! symmetric in each species, ⟨F_L T₁₂ F_R⟩ = ⟨F_L dΓ₂(T) F_R⟩/(N(N−1)) for weights F that are
//! functions of the counts, and p₁^B becomes (N₂ − k_B)/N₂. In the condensate frame
//! T′ = (W⊗W) T (W⊗W)† and every weight is diagonal, so each pair is two applications of
//! dΓ₂(T′) to the frame state.

use faer::Mat;

use crate::counting::frame_unitary;
use crate::fock::{FockBasis, SpeciesOperator};
use crate::hamiltonian::apply_two_species;
use crate::lemmas::Component;
use crate::linalg::dot;
use crate::model::Model;
use crate::{Error, Result, C64};

/// Names of the projections on particles 1, 2, in the order used by [`PairTerms`].
pub const PROJECTIONS: [&str; 4] = ["pp", "pq", "qp", "qq"];

/// The 16 values (Π_L, Π_R), indexed [left][right] in the order of [`PROJECTIONS`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairTerms {
    /// values[l][r] = (PROJECTIONS[l], PROJECTIONS[r]).
    pub values: [[C64; 4]; 4],
}

impl PairTerms {
    /// Σ over the 16 pairs (= i C_V1 or i C_V2).
    pub fn total(&self) -> C64 {
        self.values.iter().flatten().sum()
    }

    /// Number of q's in projection `index` of [`PROJECTIONS`].
    pub fn q_count(index: usize) -> usize {
        [0, 1, 1, 2][index]
    }
}

/// The one-particle projections p = |u⟩⟨u| and q = 1 − p, then Π on two particles (index x + M y).
fn two_particle_projections(u: &[C64]) -> [Mat<C64>; 4] {
    let m = u.len();
    let p = |x: usize, y: usize| u[x] * u[y].conj();
    let q = |x: usize, y: usize| C64::new(if x == y { 1.0 } else { 0.0 }, 0.0) - p(x, y);
    let pick = |first_q: bool, second_q: bool| {
        Mat::from_fn(m * m, m * m, |r, c| {
            let (x, y, x2, y2) = (r % m, r / m, c % m, c / m);
            let a = if first_q { q(x, x2) } else { p(x, x2) };
            let b = if second_q { q(y, y2) } else { p(y, y2) };
            a * b
        })
    };
    [
        pick(false, false),
        pick(false, true),
        pick(true, false),
        pick(true, true),
    ]
}

/// (W⊗W) T (W⊗W)†: a two-body operator written in the frame whose orbital 0 is u.
fn to_frame(t: &Mat<C64>, w: &Mat<C64>) -> Mat<C64> {
    let m = w.nrows();
    let ww = Mat::from_fn(m * m, m * m, |r, c| w[(r % m, c % m)] * w[(r / m, c / m)]);
    &ww * t * ww.adjoint()
}

/// The 16 pairs of C_V1 (`Component::A`) or C_V2 (`Component::B`) from the state in the condensate
/// frame of (u, v). Needs at least two particles in that species.
pub fn intra_species_pairs(
    model: &Model,
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    frame_state: &[C64],
    u: &[C64],
    v: &[C64],
    component: Component,
) -> Result<PairTerms> {
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let (species, own_basis, orbital) = match component {
        Component::A => (model.species_a(), basis_a, u),
        Component::B => (model.species_b(), basis_b, v),
    };
    let n = species.particles as f64;
    if species.particles < 2 {
        return Err(Error::invalid(
            "C_V pairs",
            "need at least two particles in the species",
        ));
    }
    let m = model.sites();
    // X on two particles, diagonal in the site basis.
    let field = species.potential.convolve_density(orbital);
    let x_two = Mat::from_fn(m * m, m * m, |r, c| {
        if r != c {
            return C64::new(0.0, 0.0);
        }
        let (x, y) = (r % m, r / m);
        C64::new(
            (n - 1.0) * species.potential.value(x, y) - n * field[x] - n * field[y],
            0.0,
        )
    });
    // Weights in the frame: m̂ of the species, p₁ of the other species.
    let (n1, n2) = (basis_a.particles() as f64, basis_b.particles() as f64);
    let counts =
        |index: usize, basis: &FockBasis, total: f64| total - basis.occupation(index)[0] as f64;
    let weight = |a: usize, b: usize| -> (f64, f64) {
        let (ka, kb) = (counts(a, basis_a, n1), counts(b, basis_b, n2));
        match component {
            Component::A => (ka / n1, (n2 - kb) / n2),
            Component::B => (kb / n2, (n1 - ka) / n1),
        }
    };
    let mut with_m = vec![C64::new(0.0, 0.0); frame_state.len()];
    let mut without_m = vec![C64::new(0.0, 0.0); frame_state.len()];
    let mut m_state = vec![C64::new(0.0, 0.0); frame_state.len()];
    for a in 0..rows {
        for b in 0..columns {
            let (m_hat, spectator) = weight(a, b);
            let z = frame_state[a * columns + b];
            with_m[a * columns + b] = z * (m_hat * spectator);
            without_m[a * columns + b] = z * spectator;
            m_state[a * columns + b] = z * m_hat;
        }
    }
    let w = frame_unitary(orbital);
    let projections = two_particle_projections(orbital);
    let mut image = vec![C64::new(0.0, 0.0); frame_state.len()];
    let prefactor = C64::new(0.0, 0.5) / (n * (n - 1.0));
    let mut values = [[C64::new(0.0, 0.0); 4]; 4];
    for (l, left) in projections.iter().enumerate() {
        for (r, right) in projections.iter().enumerate() {
            let t = to_frame(&(left * &x_two * right), &w);
            let op = SpeciesOperator::from_two_body(own_basis, &t)?;
            let apply = |input: &[C64], out: &mut [C64]| match component {
                Component::A => apply_two_species(Some(&op), None, None, rows, columns, input, out),
                Component::B => apply_two_species(None, Some(&op), None, rows, columns, input, out),
            };
            apply(&with_m, &mut image);
            let first = dot(frame_state, &image);
            apply(&without_m, &mut image);
            let second = dot(&m_state, &image);
            values[l][r] = prefactor * (first - second);
        }
    }
    Ok(PairTerms { values })
}
