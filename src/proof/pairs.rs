//! The 16 pairs (Π_L, Π_R) of C_V1 and C_V2 (Proposition 5.1, (5.24)–(5.28), SPEC §5):
//!
//!   (Π_L, Π_R) := (i/2) ⟨Ψ, Π_L [X₁, m̂^A] Π_R p₁^B Ψ⟩,   i C_V1 = Σ over the 16 pairs,
//!
//! X₁ = (N₁−1)(V₁)₁₂ − N₁(V₁*|u|²)₁ − N₁(V₁*|u|²)₂ on A-particles 1, 2 and Π ∈ {pp, pq, qp, qq}
//! on the same particles; C_V2 likewise with A ↔ B. Then the 16 pairs T(Π_L, Π_R) of C_V12
//! (Proposition 5.2) and the split of T(pp,qq) (§5.5.2).
//!
//! **One mechanism.** m̂ commutes with p's and q's (A.6), so
//! ⟨Π_L[X₁, m̂]Π_R p₁^B⟩ = ⟨T m̂ p₁^B⟩ − ⟨m̂ T p₁^B⟩ with the two-body T = Π_L X₁ Π_R. For a state
//! symmetric in each species, ⟨F_L T₁₂ F_R⟩ = ⟨F_L dΓ₂(T) F_R⟩/(N(N−1)) for weights F that are
//! functions of the counts, and p₁^B becomes (N₂ − k_B)/N₂. In the condensate frame every weight
//! is diagonal and Π_L T Π_R is T masked by patterns, so the 16 pairs are one binned pass over
//! the elements of dΓ₂(T′), T′ = (W⊗W) X₁ (W⊗W)† (see [`super::frame_operators`]). C_V12 and the
//! split of T(pp,qq) are the same with one particle of each species.

use faer::Mat;

use super::frame_operators::{mixed_binned, two_body_binned, Bins, MixedElements};
use crate::measure::context::TimeContext;
use crate::measure::counting::frame_unitary;
use crate::model::{Component, Model};
use crate::{Error, Result, C64};

/// A projection Π on two particles (particles 1, 2 of one species for C_V1, C_V2; A-particle 1
/// and B-particle 1 for C_V12): p or q on the first, p or q on the second (the paper's
/// pp = p₁p₂, pq = p₁q₂, qp = q₁p₂, qq = q₁q₂).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Projection {
    /// p₁p₂.
    PP,
    /// p₁q₂.
    PQ,
    /// q₁p₂.
    QP,
    /// q₁q₂.
    QQ,
}

impl Projection {
    /// The four, in the order of [`PairTerms::values`]' indices.
    pub const ALL: [Projection; 4] = [
        Projection::PP,
        Projection::PQ,
        Projection::QP,
        Projection::QQ,
    ];

    /// Its index in [`Projection::ALL`]: 2·[q on the first] + [q on the second].
    pub fn index(self) -> usize {
        self as usize
    }

    /// `pp`, `pq`, `qp` or `qq`.
    pub fn name(self) -> &'static str {
        ["pp", "pq", "qp", "qq"][self.index()]
    }

    /// The number of q's in it.
    pub fn q_count(self) -> usize {
        [0, 1, 1, 2][self.index()]
    }
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The 16 values (Π_L, Π_R), indexed `[left][right]` by [`Projection::index`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairTerms {
    /// `values[l][r]` = (Π_L, Π_R) with Π_L = `Projection::ALL[l]`, Π_R = `Projection::ALL[r]`.
    pub values: [[C64; 4]; 4],
}

impl PairTerms {
    /// Σ over the 16 pairs (= i C_V1 or i C_V2).
    pub fn total(&self) -> C64 {
        self.values.iter().flatten().sum()
    }

    /// The pair (left, right).
    pub fn get(&self, left: Projection, right: Projection) -> C64 {
        self.values[left.index()][right.index()]
    }
}

/// (W₁⊗W₂) T (W₁⊗W₂)†: a two-particle operator written in the frames of its two particles.
fn to_frame(t: &Mat<C64>, w1: &Mat<C64>, w2: &Mat<C64>) -> Mat<C64> {
    let m = w1.nrows();
    let ww = Mat::from_fn(m * m, m * m, |r, c| w1[(r % m, c % m)] * w2[(r / m, c / m)]);
    &ww * t * ww.adjoint()
}

/// The 16 pairs of C_V1 (`Component::A`) or C_V2 (`Component::B`) from the state in the condensate
/// frame of (u, v). Needs at least two particles in that species.
pub fn intra_species_pairs(context: &TimeContext, component: Component) -> Result<PairTerms> {
    let model = context.model;
    let (rows, columns) = (context.state.rows(), context.state.columns());
    let frame_state = &context.frame_state;
    let species = model.component(component);
    if species.particles < 2 {
        return Err(Error::invalid(
            "C_V pairs",
            "need at least two particles in the species",
        ));
    }
    let orbital = context.orbital(component);
    let n = species.particles as f64;
    let m = model.sites();
    // X₁ on two particles, diagonal in the site basis, then in the frame.
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
    let w = frame_unitary(orbital);
    let in_frame = to_frame(&x_two, &w, &w);
    // m̂ = k/N = (N − n₀)/N of the own species, p₁ = n₀/N of the other.
    let m_hat: Vec<f64> = context
        .condensed(component)
        .iter()
        .map(|n0| (n - n0) / n)
        .collect();
    let other_total = model.component(component.other()).particles as f64;
    let spectator: Vec<f64> = context
        .condensed(component.other())
        .iter()
        .map(|n0| n0 / other_total)
        .collect();
    let bins = match component {
        Component::A => two_body_binned(
            context.state.basis_a.hops()?,
            frame_state,
            columns,
            &spectator,
            &m_hat,
            &in_frame,
        ),
        Component::B => two_body_binned(
            context.state.basis_b.hops()?,
            context.frame_state_transposed(),
            rows,
            &spectator,
            &m_hat,
            &in_frame,
        ),
    };
    Ok(PairTerms::scaled(
        bins,
        C64::new(0.0, 0.5) / (n * (n - 1.0)),
    ))
}

impl PairTerms {
    fn scaled(bins: Bins, factor: C64) -> Self {
        PairTerms {
            values: bins.map(|row| row.map(|z| z * factor)),
        }
    }
}

/// Y on (A-particle x, B-particle y), index x + M y, diagonal in the site basis:
/// the potential V₁₂(x − y) minus the one-body fields `field_on_a`(x) and `field_on_b`(y).
fn inter_species_operator(model: &Model, field_on_a: &[f64], field_on_b: &[f64]) -> Mat<C64> {
    let m = model.sites();
    let v12 = model.inter_potential();
    Mat::from_fn(m * m, m * m, |r, c| {
        if r != c {
            return C64::new(0.0, 0.0);
        }
        let (x, y) = (r % m, r / m);
        C64::new(v12.value(x, y) - field_on_a[x] - field_on_b[y], 0.0)
    })
}

/// The 16 pairs T(Π_L, Π_R) of C_V12 (Proposition 5.2, (5.32)–(5.36), SPEC §5):
///
///   T(Π_L, Π_R) := (N₁N₂/(N₁+N₂)) ⟨Ψ, Π_L [Y, S] Π_R Ψ⟩,   C_V12 = −Σ over the 16 pairs,
///
/// Y = (V₁₂)₁₁ − (V₁₂*|v|²)₁^A − (V₁₂*|u|²)₁^B on (A-particle 1, B-particle 1),
/// S = N_u^A N_v^B/(N₁N₂) = (N₁−k_A)(N₂−k_B)/(N₁N₂) in the counting basis, and Π ∈ {pp, pq, qp, qq}
/// meaning (A-particle 1, B-particle 1). As for C_V1: S commutes with the p's and q's, so
/// ⟨Π_L [Y, S] Π_R⟩ = ⟨T S⟩ − ⟨S T⟩ with T = Π_L Y Π_R, evaluated as dΓ_AB(T′)/(N₁N₂) in the frame.
pub fn inter_species_pairs(context: &TimeContext) -> Result<PairTerms> {
    Ok(inter_species_pass(context, Wanted::Pairs)?.0)
}

/// The three parts of T(pp,qq) (§5.5.2, SPEC §5), with pp = p₁^A p₁^B and qq = q₁^A q₁^B:
/// (pp,qq)₁ = ((N₁−1)/(N₁+N₂)) ⟨Ψ, pp [(V₁₂)₁₁, p₂^A p₁^B] qq Ψ⟩,
/// (pp,qq)₂ = ((N₂−1)/(N₁+N₂)) ⟨Ψ, pp [(V₁₂)₁₁, p₁^A p₂^B] qq Ψ⟩,
/// (pp,qq)₃ = (1/(N₁+N₂)) ⟨Ψ, pp [(V₁₂)₁₁, p₁^A p₁^B] qq Ψ⟩.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PpQqSplit {
    /// (pp,qq)₁: the commutator involves a second A-particle.
    pub first: C64,
    /// (pp,qq)₂: the commutator involves a second B-particle.
    pub second: C64,
    /// (pp,qq)₃: only A-particle 1 and B-particle 1.
    pub third: C64,
}

impl PpQqSplit {
    /// (pp,qq)₁ + (pp,qq)₂ + (pp,qq)₃, which should equal T(pp,qq).
    pub fn total(&self) -> C64 {
        self.first + self.second + self.third
    }
}

/// The split of T(pp,qq) into (pp,qq)₁, (pp,qq)₂, (pp,qq)₃ (§5.5.2).
///
/// In each part the projection inside the commutator meets pp or qq on a shared particle:
/// P qq = 0 (P contains p₁^B, resp. p₁^A), so only −pp P V qq survives, with pp P = p₁^A p₂^A p₁^B
/// (part 1), p₁^A p₁^B p₂^B (part 2), pp (part 3). In second quantisation (orbital 0 = the
/// condensate of the frame), the extra p₂ on the left only, on a particle that V₁₂ does not touch,
/// turns the three-particle operator into the A–B one with a weight: a†₀a†₀a₀a_{x′} = n₀ a†₀a_{x′}
/// for x′ ≠ 0, n₀ counted before the hop. With N₁(N₁−1)N₂ (resp. N₁N₂(N₂−1), N₁N₂) particle tuples:
///
///   (pp,qq)_j = −⟨Ψ, dΓ_AB(pp V₁₂ qq) w_j Ψ⟩ / ((N₁+N₂) N₁ N₂),   w₁ = n₀^A, w₂ = n₀^B, w₃ = 1.
///
/// Their sum has weight n₀^A + n₀^B + 1 = N₁N₂(S − S′) across each pp ← qq element, which is
/// T(pp,qq): the split closes exactly.
pub fn pp_qq_split(context: &TimeContext) -> Result<PpQqSplit> {
    Ok(inter_species_pass(context, Wanted::Split)?.1)
}

/// Which of the inter-species terms [`inter_species_pass`] evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// The 16 pairs of C_V12.
    Pairs,
    /// The split of T(pp,qq).
    Split,
    /// Both, sharing the pass's dot products (the pairs' elements include those of the split).
    Both,
}

/// The 16 pairs of C_V12 ([`inter_species_pairs`]) and the split of T(pp,qq) ([`pp_qq_split`])
/// as one pass over the state with four weights ([`mixed_binned`]): the pairs', then the split's
/// three. What is not wanted is returned as zeros and costs nothing.
pub(crate) fn inter_species_pass(
    context: &TimeContext,
    wanted: Wanted,
) -> Result<(PairTerms, PpQqSplit)> {
    let (model, u, v) = (context.model, context.u, context.v);
    let (basis_a, basis_b) = (context.state.basis_a, context.state.basis_b);
    let m = model.sites();
    let v12 = model.inter_potential();
    let (w_a, w_b) = (frame_unitary(u), frame_unitary(v));
    let pairs = if wanted != Wanted::Split {
        let y_two =
            inter_species_operator(model, &v12.convolve_density(v), &v12.convolve_density(u));
        // S′ − S vanishes exactly where neither hop moves a particle into or out of the
        // condensate (orbital 0 of the frame): both counts n₀ are then unchanged.
        let keeps_count = |x: usize, xp: usize| (x == 0) == (xp == 0);
        // Y is hermitian and the weight S − S′ antisymmetric: half the elements stand for all.
        MixedElements::mirrored(&to_frame(&y_two, &w_a, &w_b), |x, xp, y, yp| {
            keeps_count(x, xp) && keeps_count(y, yp)
        })
    } else {
        MixedElements::none(m)
    };
    let split = if wanted != Wanted::Pairs {
        let zero_field = vec![0.0; m];
        let potential = inter_species_operator(model, &zero_field, &zero_field);
        // Only the block pp ← qq: row (0, 0), columns with x′ ≥ 1 and y′ ≥ 1.
        MixedElements::new(&to_frame(&potential, &w_a, &w_b), |x, xp, y, yp| {
            x != 0 || y != 0 || xp == 0 || yp == 0
        })
    } else {
        MixedElements::none(m)
    };
    let (n1, n2) = (basis_a.particles() as f64, basis_b.particles() as f64);
    let [condensed_a, condensed_b] = &context.condensed;
    let [pair_bins, first, second, third] = mixed_binned(
        basis_a.hops()?,
        basis_b,
        &context.frame_state,
        [&pairs, &split, &split, &split],
        condensed_b,
        |a, a_target| {
            [
                // S − S′ = (n₀^A(a) n₀^B(b) − n₀^A(a′) n₀^B(b′))/(N₁N₂)
                //   = [n₀^A(a) (n₀^B(b) − n₀^B(b′)) + (n₀^A(a) − n₀^A(a′)) n₀^B(b′)]/(N₁N₂):
                // the second factor is exactly zero when the A-hop keeps the count, the first sum
                // when the B-hop does.
                [
                    0.0,
                    condensed_a[a] / (n1 * n2),
                    (condensed_a[a] - condensed_a[a_target]) / (n1 * n2),
                ],
                // The split's w₁ = n₀^A(a), w₂ = n₀^B(b) = (n₀^B(b) − n₀^B(b′)) + n₀^B(b′), w₃ = 1.
                [condensed_a[a], 0.0, 0.0],
                [0.0, 1.0, 1.0],
                [1.0, 0.0, 0.0],
            ]
        },
    )?;
    let scale = -1.0 / ((n1 + n2) * n1 * n2);
    Ok((
        PairTerms::scaled(pair_bins, C64::new(1.0 / (n1 + n2), 0.0)),
        PpQqSplit {
            first: first[0][3] * scale,
            second: second[0][3] * scale,
            third: third[0][3] * scale,
        },
    ))
}
