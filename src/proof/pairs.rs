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

/// Π = ♯₁♯₂ on two particles (index x + M y) with p = |first⟩⟨first| on particle 1 and
/// p = |second⟩⟨second| on particle 2, in the order pp, pq, qp, qq.
fn two_particle_projections(first: &[C64], second: &[C64]) -> [Mat<C64>; 4] {
    let m = first.len();
    let projection = |w: &[C64], is_q: bool, x: usize, y: usize| {
        let p = w[x] * w[y].conj();
        if is_q {
            C64::new(if x == y { 1.0 } else { 0.0 }, 0.0) - p
        } else {
            p
        }
    };
    let pick = |first_q: bool, second_q: bool| {
        Mat::from_fn(m * m, m * m, |r, c| {
            let (x, y, x2, y2) = (r % m, r / m, c % m, c / m);
            projection(first, first_q, x, x2) * projection(second, second_q, y, y2)
        })
    };
    [
        pick(false, false),
        pick(false, true),
        pick(true, false),
        pick(true, true),
    ]
}

/// (W₁⊗W₂) T (W₁⊗W₂)†: a two-particle operator written in the frames of its two particles.
fn to_frame(t: &Mat<C64>, w1: &Mat<C64>, w2: &Mat<C64>) -> Mat<C64> {
    let m = w1.nrows();
    let ww = Mat::from_fn(m * m, m * m, |r, c| w1[(r % m, c % m)] * w2[(r / m, c / m)]);
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
    let projections = two_particle_projections(orbital, orbital);
    let mut image = vec![C64::new(0.0, 0.0); frame_state.len()];
    let prefactor = C64::new(0.0, 0.5) / (n * (n - 1.0));
    let mut values = [[C64::new(0.0, 0.0); 4]; 4];
    for (l, left) in projections.iter().enumerate() {
        for (r, right) in projections.iter().enumerate() {
            let t = to_frame(&(left * &x_two * right), &w, &w);
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

/// Σ_{s,s′} (a†_s a_{s′} on the hopping species) ⊗ B_{ss′} (on the other species) applied to
/// `input`, with `block(s, s′)` giving B_{ss′} (`None` where it vanishes). The one mechanism behind
/// the mixed A–B operators and the three-particle operators below: the two factors act on
/// different species and commute.
fn apply_hop_sum(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    hop_on_a: bool,
    block: impl Fn(usize, usize) -> Result<Option<SpeciesOperator>>,
    input: &[C64],
    out: &mut [C64],
) -> Result<()> {
    let m = basis_a.modes();
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let zero = C64::new(0.0, 0.0);
    out.iter_mut().for_each(|z| *z = zero);
    let mut moved = vec![zero; input.len()];
    let mut both = vec![zero; input.len()];
    for s in 0..m {
        for s2 in 0..m {
            let Some(other) = block(s, s2)? else { continue };
            let mut single = Mat::zeros(m, m);
            single[(s, s2)] = C64::new(1.0, 0.0);
            let hop = SpeciesOperator::from_one_body(
                if hop_on_a { basis_a } else { basis_b },
                &single,
                |_| 0.0,
            )?;
            let (on_a, on_b) = if hop_on_a {
                (&hop, &other)
            } else {
                (&other, &hop)
            };
            apply_two_species(Some(on_a), None, None, rows, columns, input, &mut moved);
            apply_two_species(None, Some(on_b), None, rows, columns, &moved, &mut both);
            out.iter_mut().zip(&both).for_each(|(o, z)| *o += z);
        }
    }
    Ok(())
}

/// Whether every entry of a matrix is zero.
fn vanishes(matrix: &Mat<C64>) -> bool {
    (0..matrix.ncols()).all(|c| (0..matrix.nrows()).all(|r| matrix[(r, c)] == C64::new(0.0, 0.0)))
}

/// y = dΓ_AB(T) x = Σ T_{(x,y),(x′,y′)} a†_x a_{x′} b†_y b_{y′} x for an operator T on
/// (A-particle, B-particle), index x + M y: for a state symmetric in each species,
/// ⟨T_{A1,B1}⟩ = ⟨dΓ_AB(T)⟩/(N₁N₂). Built as Σ_{x,x′} (a†_x a_{x′}) ⊗ (Σ_{y,y′} T… b†_y b_{y′}).
fn apply_mixed(
    t: &Mat<C64>,
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    input: &[C64],
    out: &mut [C64],
) -> Result<()> {
    let m = basis_a.modes();
    let block = |x: usize, x2: usize| {
        let block = Mat::from_fn(m, m, |y, y2| t[(x + m * y, x2 + m * y2)]);
        (!vanishes(&block))
            .then(|| SpeciesOperator::from_one_body(basis_b, &block, |_| 0.0))
            .transpose()
    };
    apply_hop_sum(basis_a, basis_b, true, block, input, out)
}

/// The 16 pairs T(Π_L, Π_R) of C_V12 (Proposition 5.2, (5.32)–(5.36), SPEC §5):
///
///   T(Π_L, Π_R) := (N₁N₂/(N₁+N₂)) ⟨Ψ, Π_L [Y, S] Π_R Ψ⟩,   C_V12 = −Σ over the 16 pairs,
///
/// Y = (V₁₂)₁₁ − (V₁₂*|v|²)₁^A − (V₁₂*|u|²)₁^B on (A-particle 1, B-particle 1),
/// S = N_u^A N_v^B/(N₁N₂) = (N₁−k_A)(N₂−k_B)/(N₁N₂) in the counting basis, and Π ∈ {pp, pq, qp, qq}
/// meaning (A-particle 1, B-particle 1). As for C_V1: S commutes with the p's and q's, so
/// ⟨Π_L[Y,S]Π_R⟩ = ⟨T S⟩ − ⟨S T⟩ with T = Π_L Y Π_R, evaluated as dΓ_AB(T′)/(N₁N₂) in the frame.
pub fn inter_species_pairs(
    model: &Model,
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    frame_state: &[C64],
    u: &[C64],
    v: &[C64],
) -> Result<PairTerms> {
    let m = model.sites();
    let columns = basis_b.dim();
    let v12 = model.inter_potential();
    let (field_u, field_v) = (v12.convolve_density(u), v12.convolve_density(v));
    // Y on (x = A-particle, y = B-particle), diagonal in the site basis.
    let y_two = Mat::from_fn(m * m, m * m, |r, c| {
        if r != c {
            return C64::new(0.0, 0.0);
        }
        let (x, y) = (r % m, r / m);
        C64::new(v12.value(x, y) - field_v[x] - field_u[y], 0.0)
    });
    let (n1, n2) = (basis_a.particles() as f64, basis_b.particles() as f64);
    let s_state: Vec<C64> = frame_state
        .iter()
        .enumerate()
        .map(|(index, z)| {
            let (a, b) = (index / columns, index % columns);
            let (na, nb) = (
                basis_a.occupation(a)[0] as f64,
                basis_b.occupation(b)[0] as f64,
            );
            z * (na * nb / (n1 * n2))
        })
        .collect();
    let (wa, wb) = (frame_unitary(u), frame_unitary(v));
    let projections = two_particle_projections(u, v);
    let mut image = vec![C64::new(0.0, 0.0); frame_state.len()];
    let prefactor = 1.0 / (n1 + n2);
    let mut values = [[C64::new(0.0, 0.0); 4]; 4];
    for (l, left) in projections.iter().enumerate() {
        for (r, right) in projections.iter().enumerate() {
            let t = to_frame(&(left * &y_two * right), &wa, &wb);
            apply_mixed(&t, basis_a, basis_b, &s_state, &mut image)?;
            let first = dot(frame_state, &image);
            apply_mixed(&t, basis_a, basis_b, frame_state, &mut image)?;
            let second = dot(&s_state, &image);
            values[l][r] = prefactor * (first - second);
        }
    }
    Ok(PairTerms { values })
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

/// Applies a three-particle operator on (A₁, A₂, B₁) (`two_on_a`) or (A₁, B₁, B₂), given as an
/// M³ × M³ matrix indexed x₁ + M x₂ + M² y (resp. x + M y₁ + M² y₂), in second quantisation:
/// Σ over the single particle's hops of dΓ₂(block) ⊗ hop. For a state symmetric in each species,
/// ⟨O⟩ = ⟨dΓ(O)⟩ / (N₁(N₁−1)N₂) (resp. N₁N₂(N₂−1)).
fn apply_three_body(
    t: &Mat<C64>,
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    two_on_a: bool,
    input: &[C64],
    out: &mut [C64],
) -> Result<()> {
    let m = basis_a.modes();
    // The two-particle block for the single particle's hop s′ → s.
    let block = |s: usize, s2: usize| {
        let block = if two_on_a {
            Mat::from_fn(m * m, m * m, |r, c| t[(r + m * m * s, c + m * m * s2)])
        } else {
            Mat::from_fn(m * m, m * m, |r, c| t[(s + m * r, s2 + m * c)])
        };
        let pair_basis = if two_on_a { basis_a } else { basis_b };
        (!vanishes(&block))
            .then(|| SpeciesOperator::from_two_body(pair_basis, &block))
            .transpose()
    };
    apply_hop_sum(basis_a, basis_b, !two_on_a, block, input, out)
}

/// The split of T(pp,qq) into (pp,qq)₁, (pp,qq)₂, (pp,qq)₃ (§5.5.2), each from its definition.
pub fn pp_qq_split(
    model: &Model,
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    frame_state: &[C64],
    u: &[C64],
    v: &[C64],
) -> Result<PpQqSplit> {
    let m = model.sites();
    let v12 = model.inter_potential();
    let (n1, n2) = (basis_a.particles() as f64, basis_b.particles() as f64);
    let (wa, wb) = (frame_unitary(u), frame_unitary(v));
    let one = |x: usize, y: usize| C64::new(if x == y { 1.0 } else { 0.0 }, 0.0);
    let p = |w: &[C64], x: usize, y: usize| w[x] * w[y].conj();
    let q = |w: &[C64], x: usize, y: usize| one(x, y) - p(w, x, y);
    let size = m * m * m;
    // Three particles (a, b, c) with orbitals (oa, ob, oc): index i_a + M i_b + M² i_c.
    let digits = |index: usize| (index % m, (index / m) % m, index / (m * m));
    let three = |f: &dyn Fn(usize, usize, usize, usize, usize, usize) -> C64| {
        Mat::from_fn(size, size, |r, c| {
            let (r0, r1, r2) = digits(r);
            let (c0, c1, c2) = digits(c);
            f(r0, r1, r2, c0, c1, c2)
        })
    };
    // Parts one and two: particles (A1, A2, B1), resp. (A1, B1, B2); V₁₂ between A1 and B1;
    // pp = p^A on A1, p^B on B1; inside the commutator p on the extra particle and on the other
    // species' particle 1.
    let part = |two_on_a: bool| -> Result<C64> {
        // Orbitals of the three particles and which pair V₁₂ couples.
        let (o0, o1, o2): (&[C64], &[C64], &[C64]) = if two_on_a { (u, u, v) } else { (u, v, v) };
        // V₁₂ acts on A1 and B1: slots (0, 2) for (A1, A2, B1), (0, 1) for (A1, B1, B2).
        let potential = three(&|r0, r1, r2, c0, c1, c2| {
            if (r0, r1, r2) != (c0, c1, c2) {
                return C64::new(0.0, 0.0);
            }
            C64::new(
                if two_on_a {
                    v12.value(r0, r2)
                } else {
                    v12.value(r0, r1)
                },
                0.0,
            )
        });
        let (a1, b1) = if two_on_a { (0, 2) } else { (0, 1) };
        let extra = if two_on_a { 1 } else { 2 };
        let slot_orbital = |slot: usize| match slot {
            0 => o0,
            1 => o1,
            _ => o2,
        };
        let projector = |kinds: [u8; 3]| {
            // kinds: 0 identity, 1 p, 2 q, per slot.
            three(&|r0, r1, r2, c0, c1, c2| {
                let rs = [r0, r1, r2];
                let cs = [c0, c1, c2];
                (0..3)
                    .map(|slot| {
                        let w = slot_orbital(slot);
                        match kinds[slot] {
                            0 => one(rs[slot], cs[slot]),
                            1 => p(w, rs[slot], cs[slot]),
                            _ => q(w, rs[slot], cs[slot]),
                        }
                    })
                    .product()
            })
        };
        let mut kinds_pp = [0u8; 3];
        kinds_pp[a1] = 1;
        kinds_pp[b1] = 1;
        let mut kinds_qq = [0u8; 3];
        kinds_qq[a1] = 2;
        kinds_qq[b1] = 2;
        let mut kinds_inner = [0u8; 3];
        kinds_inner[extra] = 1;
        kinds_inner[if two_on_a { b1 } else { a1 }] = 1;
        let (pp, qq, inner) = (
            projector(kinds_pp),
            projector(kinds_qq),
            projector(kinds_inner),
        );
        let commutator = &potential * &inner - &inner * &potential;
        let operator = &pp * commutator * &qq;
        // To the frames of the three particles.
        let (w0, w1, w2) = if two_on_a {
            (&wa, &wa, &wb)
        } else {
            (&wa, &wb, &wb)
        };
        let big = three(&|r0, r1, r2, c0, c1, c2| w0[(r0, c0)] * w1[(r1, c1)] * w2[(r2, c2)]);
        let in_frame = &big * operator * big.adjoint();
        let mut image = vec![C64::new(0.0, 0.0); frame_state.len()];
        apply_three_body(
            &in_frame,
            basis_a,
            basis_b,
            two_on_a,
            frame_state,
            &mut image,
        )?;
        let pairs = if two_on_a {
            n1 * (n1 - 1.0) * n2
        } else {
            n1 * n2 * (n2 - 1.0)
        };
        Ok(dot(frame_state, &image) / pairs)
    };
    let total = n1 + n2;
    let first = if basis_a.particles() >= 2 {
        (n1 - 1.0) / total * part(true)?
    } else {
        C64::new(0.0, 0.0)
    };
    let second = if basis_b.particles() >= 2 {
        (n2 - 1.0) / total * part(false)?
    } else {
        C64::new(0.0, 0.0)
    };
    // Part three lives on (A1, B1) only: pp[(V₁₂)₁₁, p₁^A p₁^B]qq through the mixed A–B operator.
    let [pp, _, _, qq] = two_particle_projections(u, v);
    let potential = Mat::from_fn(m * m, m * m, |r, c| {
        C64::new(if r == c { v12.value(r % m, r / m) } else { 0.0 }, 0.0)
    });
    let operator = &pp * (&potential * &pp - &pp * &potential) * &qq;
    let mut image = vec![C64::new(0.0, 0.0); frame_state.len()];
    apply_mixed(
        &to_frame(&operator, &wa, &wb),
        basis_a,
        basis_b,
        frame_state,
        &mut image,
    )?;
    let third = dot(frame_state, &image) / (n1 * n2 * total);
    Ok(PpQqSplit {
        first,
        second,
        third,
    })
}
