//! Few-body operators written in the condensate frame, evaluated between count weights without
//! ever being built.
//!
//! In the frame of (u, v) the projections of the proof are masks: p = |0⟩⟨0| and q = Σ_{i≥1} |i⟩⟨i|
//! on each particle. So for a two-particle operator T (an M² × M² matrix in the frame, index
//! x + M y, first particle the lowest digit), Π_L T Π_R keeps the elements whose row (x, y) has
//! the pattern of Π_L and whose column (x′, y′) has the pattern of Π_R. One pass over the
//! elements of the second-quantised T, sorted into 4 × 4 bins by pattern, therefore gives all 16
//! pairs of a term at once.
//!
//! Second quantisation through the hops E_{xx′} = a†_x a_{x′} of one species (tabulated per state
//! by the basis, [`crate::space::fock::FockBasis::hops`]):
//!
//! * two particles of one species, dΓ₂(T) = Σ T_{(x,y),(x′,y′)} a†_x a†_y a_{y′} a_{x′}
//!   = Σ T_{(x,y),(x′,y′)} (E_{xx′} E_{yy′} − δ_{x′y} E_{xy′});
//! * one particle of each species, dΓ_AB(T) = Σ T_{(x,y),(x′,y′)} E^A_{xx′} E^B_{yy′}.
//!
//! For a state symmetric in each species, ⟨T₁₂⟩ = ⟨dΓ₂(T)⟩/(N(N−1)) and
//! ⟨T_{A1,B1}⟩ = ⟨dΓ_AB(T)⟩/(N₁N₂).

use faer::Mat;
use rayon::prelude::*;

use crate::space::fock::HopTable;
use crate::C64;

/// Sums over the 16 (row pattern, column pattern) bins, indexed in the order of
/// [`super::Projection::index`]: pp, pq, qp, qq.
pub(crate) type Bins = [[C64; 4]; 4];

const ZERO: C64 = C64::new(0.0, 0.0);

/// Pattern of a two-particle frame index (first, second), as [`super::Projection::index`]:
/// 0 pp, 1 pq, 2 qp, 3 qq.
#[inline]
fn pattern(first: usize, second: usize) -> usize {
    2 * usize::from(first != 0) + usize::from(second != 0)
}

/// For dΓ₂(T) acting on the species whose states index the rows of `rows` (a D_own × D_other
/// row-major matrix, the state in the frame), the binned sums
///
///   Σ_{elements (s → t)} ⟨t| dΓ₂(T_bin) |s⟩ · g(t, s) · (w(s) − w(t)),
///   g(t, s) = Σ_b conj(Ψ[t, b]) spectator(b) Ψ[s, b],
///
/// i.e. ⟨Ψ, dΓ₂(Π_L T Π_R) (w · spectator) Ψ⟩ − ⟨w Ψ, dΓ₂(Π_L T Π_R) spectator Ψ⟩ for weights
/// `w` (a function of the own state) and `spectator` (of the other species' state).
pub(crate) fn two_body_binned(
    hops: &HopTable,
    rows: &[C64],
    columns: usize,
    spectator: &[f64],
    weight: &[f64],
    t: &Mat<C64>,
) -> Bins {
    let m = hops.modes();
    let pair_overlap = |target: usize, source: usize| -> C64 {
        let (row_t, row_s) = (
            &rows[target * columns..(target + 1) * columns],
            &rows[source * columns..(source + 1) * columns],
        );
        row_t
            .iter()
            .zip(row_s)
            .zip(spectator)
            .map(|((a, b), w)| a.conj() * b * *w)
            .sum()
    };
    let per_source: Vec<Bins> = (0..weight.len())
        .into_par_iter()
        .map_init(Vec::new, |terms: &mut Vec<(usize, usize, C64)>, source| {
            let mut bins = [[ZERO; 4]; 4];
            terms.clear();
            let mut push = |target: usize, bin: usize, amplitude: C64| {
                let difference = weight[source] - weight[target];
                if difference != 0.0 && amplitude != ZERO {
                    terms.push((target, bin, amplitude * difference));
                }
            };
            for y in 0..m {
                for yp in 0..m {
                    // −δ_{x′y} E_{xy′}: the element T_{(x,y),(y,y′)}.
                    for x in 0..m {
                        let value = t[(x + m * y, y + m * yp)];
                        let (target, c) = hops.hop(source, x, yp);
                        push(target, 4 * pattern(x, y) + pattern(y, yp), -value * c);
                    }
                    let (middle, c1) = hops.hop(source, y, yp);
                    if c1 == 0.0 {
                        continue;
                    }
                    for x in 0..m {
                        for xp in 0..m {
                            let value = t[(x + m * y, xp + m * yp)];
                            if value == ZERO {
                                continue;
                            }
                            let (target, c2) = hops.hop(middle, x, xp);
                            push(
                                target,
                                4 * pattern(x, y) + pattern(xp, yp),
                                value * (c1 * c2),
                            );
                        }
                    }
                }
            }
            // One overlap g(t, s) per distinct target.
            terms.sort_unstable_by_key(|term| term.0);
            let mut start = 0;
            while start < terms.len() {
                let target = terms[start].0;
                let overlap = pair_overlap(target, source);
                while start < terms.len() && terms[start].0 == target {
                    let (_, bin, amplitude) = terms[start];
                    bins[bin / 4][bin % 4] += amplitude * overlap;
                    start += 1;
                }
            }
            bins
        })
        .collect();
    // Added in source order: the same figures on every run.
    per_source.into_iter().fold([[ZERO; 4]; 4], add_bins)
}

/// For dΓ_AB(T) (T on (A-particle, B-particle) in the frame), the binned sums
///
///   Σ_{elements (a, b) → (a′, b′)} conj(Ψ[a′, b′]) ⟨a′b′| dΓ_AB(T_bin) |ab⟩ Ψ[a, b] · w_k(a, b, a′, b′)
///
/// for K weights at once. Elements whose hop (x′ → x on the A particle, y′ → y on the B
/// particle) makes `vanishes(x, x′, y, y′)` true are skipped: the caller knows their weights to
/// be exactly zero there (adding the zeros would not change a bit of the sums).
pub(crate) fn mixed_binned<const K: usize>(
    hops_a: &HopTable,
    hops_b: &HopTable,
    state: &[C64],
    t: &Mat<C64>,
    vanishes: impl Fn(usize, usize, usize, usize) -> bool + Sync,
    weight: impl Fn(usize, usize, usize, usize) -> [f64; K] + Sync,
) -> [Bins; K] {
    let m = hops_a.modes();
    let columns = hops_b.states();
    let rows = hops_a.states();
    let per_row: Vec<[Bins; K]> = (0..rows)
        .into_par_iter()
        .map(|a| {
            let mut bins = [[[ZERO; 4]; 4]; K];
            let source_row = &state[a * columns..(a + 1) * columns];
            for x in 0..m {
                for xp in 0..m {
                    let (a_target, ca) = hops_a.hop(a, x, xp);
                    if ca == 0.0 {
                        continue;
                    }
                    // The block T_{(x,·),(x′,·)} acting on the B particle.
                    let block: Vec<(usize, usize, usize, C64)> = (0..m)
                        .flat_map(|y| (0..m).map(move |yp| (y, yp)))
                        .map(|(y, yp)| {
                            let bin = 4 * pattern(x, y) + pattern(xp, yp);
                            (y, yp, bin, t[(x + m * y, xp + m * yp)] * ca)
                        })
                        .filter(|&(y, yp, _, value)| value != ZERO && !vanishes(x, xp, y, yp))
                        .collect();
                    if block.is_empty() {
                        continue;
                    }
                    let target_row = &state[a_target * columns..(a_target + 1) * columns];
                    for (b, &psi) in source_row.iter().enumerate() {
                        if psi == ZERO {
                            continue;
                        }
                        for &(y, yp, bin, value) in &block {
                            let (b_target, cb) = hops_b.hop(b, y, yp);
                            if cb == 0.0 {
                                continue;
                            }
                            let z = target_row[b_target].conj() * psi * (value * cb);
                            let w = weight(a, b, a_target, b_target);
                            for k in 0..K {
                                bins[k][bin / 4][bin % 4] += z * w[k];
                            }
                        }
                    }
                }
            }
            bins
        })
        .collect();
    // Added in row order: the same figures on every run.
    per_row
        .into_iter()
        .fold([[[ZERO; 4]; 4]; K], |mut total, row| {
            for (t, r) in total.iter_mut().zip(row) {
                *t = add_bins(*t, r);
            }
            total
        })
}

fn add_bins(mut left: Bins, right: Bins) -> Bins {
    for (l, r) in left.iter_mut().flatten().zip(right.iter().flatten()) {
        *l += r;
    }
    left
}

/// The D_A × D_B row-major matrix transposed (D_B × D_A), so that species B indexes rows.
pub(crate) fn transpose(state: &[C64], rows: usize, columns: usize) -> Vec<C64> {
    let mut out = vec![ZERO; state.len()];
    out.par_chunks_mut(rows).enumerate().for_each(|(b, chunk)| {
        for (a, z) in chunk.iter_mut().enumerate() {
            *z = state[a * columns + b];
        }
    });
    out
}

/// ⟨Ψ, dΓ(O) ŵ Ψ⟩ for a one-body O (an M × M matrix in the frame) acting on the species whose
/// states index the rows of `rows` (D_own × D_other, row-major, the state in the frame), and a
/// weight ŵ diagonal in the occupation basis, `weight(own state, other state)`:
///
///   Σ_s Σ_{x,x′} O_{xx′} c(s; x, x′) Σ_b conj(Ψ[t, b]) w(s, b) Ψ[s, b],   E_{xx′}|s⟩ = c |t⟩.
pub(crate) fn weighted_one_body(
    hops: &HopTable,
    rows: &[C64],
    columns: usize,
    o: &Mat<C64>,
    weight: impl Fn(usize, usize) -> f64 + Sync,
) -> C64 {
    let m = hops.modes();
    let per_source: Vec<C64> = (0..hops.states())
        .into_par_iter()
        .map(|source| {
            let row_s = &rows[source * columns..(source + 1) * columns];
            let mut total = ZERO;
            for x in 0..m {
                for xp in 0..m {
                    let value = o[(x, xp)];
                    if value == ZERO {
                        continue;
                    }
                    let (target, c) = hops.hop(source, x, xp);
                    if c == 0.0 {
                        continue;
                    }
                    let row_t = &rows[target * columns..(target + 1) * columns];
                    let overlap: C64 = row_t
                        .iter()
                        .zip(row_s)
                        .enumerate()
                        .map(|(b, (t, s))| t.conj() * s * weight(source, b))
                        .sum();
                    total += value * c * overlap;
                }
            }
            total
        })
        .collect();
    // Added in source order: the same figures on every run.
    per_source.into_iter().fold(ZERO, |a, b| a + b)
}
