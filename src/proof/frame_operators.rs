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

use crate::evolution::hamiltonian::rows::{
    block_dots, per_vector_unit, reals, VectorUnit, Weighting,
};
use crate::space::fock::{FockBasis, HopChannels, HopTable};
use crate::{Result, C64};

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
/// `w` (a function of the own state) and `spectator` (of the other species' state), T hermitian.
///
/// **Half the pairs of states.** For T hermitian, ⟨s| dΓ₂(T_(R,L)) |t⟩ = conj⟨t| dΓ₂(T_(L,R)) |s⟩
/// (Π_R T Π_L is the adjoint of Π_L T Π_R), g(s, t) = conj g(t, s) (the spectator is real) and
/// the weight changes sign: the term of t → s in bin (R, L) is −conj of that of s → t in bin
/// (L, R). So only the targets t > s are summed (t = s has weight zero) and each bin (L, R)
/// gets −conj of bin (R, L) added at the end.
pub(crate) fn two_body_binned(
    hops: &HopTable,
    rows: &[C64],
    columns: usize,
    spectator: &[f64],
    weight: &[f64],
    t: &Mat<C64>,
) -> Bins {
    debug_assert!(is_hermitian(t), "the halves need a hermitian operator");
    let pass = TwoBodySource {
        hops,
        rows,
        columns,
        spectator,
        weight,
        t,
    };
    let per_source: Vec<Bins> = (0..weight.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), vec![ZERO; columns]),
            |(terms, weighted_source), source| {
                two_body_source(&pass, terms, weighted_source, source)
            },
        )
        .collect();
    // Added in source order: the same figures on every run.
    let half = per_source.into_iter().fold([[ZERO; 4]; 4], add_bins);
    std::array::from_fn(|l| std::array::from_fn(|r| half[l][r] - half[r][l].conj()))
}

/// The inputs of [`two_body_binned`] shared by its sources.
struct TwoBodySource<'p> {
    hops: &'p HopTable,
    rows: &'p [C64],
    columns: usize,
    spectator: &'p [f64],
    weight: &'p [f64],
    t: &'p Mat<C64>,
}

per_vector_unit! {
    /// The binned sums of [`two_body_binned`] from one source state, compiled for the processor's
    /// vector unit (the same operations in the same order on every unit: the same bits).
    fn two_body_source(
        pass: &TwoBodySource<'_>,
        terms: &mut Vec<(usize, usize, C64)>,
        weighted_source: &mut [C64],
        source: usize,
    ) -> Bins => two_body_source_body
}

/// The body of [`two_body_source`].
#[inline(always)]
fn two_body_source_body(
    pass: &TwoBodySource<'_>,
    terms: &mut Vec<(usize, usize, C64)>,
    weighted_source: &mut [C64],
    source: usize,
) -> Bins {
    let TwoBodySource {
        hops,
        rows,
        columns,
        spectator,
        weight,
        t,
    } = *pass;
    let m = hops.modes();
    let mut bins = [[ZERO; 4]; 4];
    terms.clear();
    // spectator ⊙ Ψ[s, ·]: g(t, s) = ⟨Ψ[t, ·], spectator ⊙ Ψ[s, ·]⟩ for every target t.
    let row_s = &rows[source * columns..(source + 1) * columns];
    for ((w, &z), &n) in weighted_source.iter_mut().zip(row_s).zip(spectator) {
        *w = z * n;
    }
    let mut push = |target: usize, bin: usize, amplitude: C64| {
        let difference = weight[source] - weight[target];
        if target > source && difference != 0.0 && amplitude != ZERO {
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
    // One overlap g(t, s) per distinct target, four targets at a time.
    terms.sort_unstable_by_key(|term| term.0);
    let groups: Vec<&[(usize, usize, C64)]> = terms.chunk_by(|l, r| l.0 == r.0).collect();
    let row = |g: &[(usize, usize, C64)]| reals(&rows[g[0].0 * columns..][..columns]);
    for block in groups.chunks(4) {
        // A short block repeats its last row (the extra dots are not used).
        let targets = std::array::from_fn(|i| row(block[i.min(block.len() - 1)]));
        let (overlaps, _) = block_dots(
            block.len(),
            targets,
            reals(weighted_source),
            Weighting::Plain,
        );
        for (group, overlap) in block.iter().zip(overlaps) {
            add_terms(&mut bins, group, overlap);
        }
    }
    bins
}

/// The sums over the B states of one pair of rows (a, a′) and one B-hop (y, y′) (b′ and c_b from
/// E^B_{yy′}|b⟩ = c_b |b′⟩): with z_b = c_b conj(Ψ[a′, b′]) Ψ[a, b] and n(b) the column weight,
/// [Σ_b z_b, Σ_b z_b (n(b) − n(b′)), Σ_b z_b n(b′)] — for a factor 1, the change of the column
/// factor across the hop (zero for every hop that keeps n, such as the count of the condensate
/// when neither y nor y′ is its orbital), and a factor of the target column.
pub(crate) const COLUMN_SUMS: usize = 3;

/// The elements T_{(x,y),(x′,y′)} of one operator T on (A-particle, B-particle) in the frame that
/// count for one weight of [`mixed_binned`], indexed by (x, x′, y, y′): the nonzero ones whose hop
/// (x′ → x on the A particle, y′ → y on the B particle) does not make `vanishes(x, x′, y, y′)`
/// true (the weight is zero across it).
///
/// **Mirrored halves.** Where T is hermitian, T_{(x′,y′),(x,y)} = conj T_{(x,y),(x′,y′)}, and the
/// weight antisymmetric, w(a′, b′, a, b) = −w(a, b, a′, b′) (a commutator ⟨[T, S]⟩ with S
/// diagonal, as in the pairs of C_V12), the sum over the transposed element is −conj of the
/// element's own, in the transposed bin: relabelling (a, b) ↔ (a′, b′) (the hop amplitudes are
/// real and the same both ways),
///
///   Σ conj(Ψ[a, b]) conj(T) c Ψ[a′, b′] w(a′, b′, a, b) = −conj(Σ conj(Ψ[a′, b′]) T c Ψ[a, b] w(a, b, a′, b′)).
///
/// [`MixedElements::mirrored`] keeps one element of each transposed pair, y < y′ or y = y′ and
/// x ≤ x′ (half the B-hops, and half the A-hops of the diagonal ones), and the pass adds the other
/// from it: half the work.
pub(crate) struct MixedElements {
    values: Vec<Option<C64>>,
    /// Whether the kept elements also stand for their transposes (those that are not their own).
    mirrored: bool,
}

impl MixedElements {
    pub(crate) fn new(t: &Mat<C64>, vanishes: impl Fn(usize, usize, usize, usize) -> bool) -> Self {
        Self::kept(t, |x, xp, y, yp| !vanishes(x, xp, y, yp), false)
    }

    /// One element of each transposed pair, for a hermitian T and an antisymmetric weight (type
    /// doc; `vanishes` must be the same for an element and its transpose).
    pub(crate) fn mirrored(
        t: &Mat<C64>,
        vanishes: impl Fn(usize, usize, usize, usize) -> bool,
    ) -> Self {
        debug_assert!(is_hermitian(t), "mirrored halves need a hermitian operator");
        Self::kept(
            t,
            |x, xp, y, yp| !vanishes(x, xp, y, yp) && (y < yp || (y == yp && x <= xp)),
            true,
        )
    }

    fn kept(
        t: &Mat<C64>,
        keep: impl Fn(usize, usize, usize, usize) -> bool,
        mirrored: bool,
    ) -> Self {
        let m = (t.nrows() as f64).sqrt().round() as usize;
        let values = (0..m * m * m * m)
            .map(|i| {
                let (x, xp, y, yp) = (i / (m * m * m), i / (m * m) % m, i / m % m, i % m);
                let value = t[(x + m * y, xp + m * yp)];
                (value != ZERO && keep(x, xp, y, yp)).then_some(value)
            })
            .collect();
        MixedElements { values, mirrored }
    }

    /// No element: the weight is not wanted.
    pub(crate) fn none(m: usize) -> Self {
        MixedElements {
            values: vec![None; m * m * m * m],
            mirrored: false,
        }
    }

    /// Whether the element (x, x′, y, y′) also stands for its transpose.
    fn stands_for_transpose(&self, x: usize, xp: usize, y: usize, yp: usize) -> bool {
        self.mirrored && (x, y) != (xp, yp)
    }
}

/// T = T† to round-off (for the debug checks of the mirrored passes).
fn is_hermitian(t: &Mat<C64>) -> bool {
    let scale = (0..t.nrows())
        .flat_map(|r| (0..t.ncols()).map(move |c| (r, c)))
        .map(|(r, c)| t[(r, c)].norm())
        .fold(0.0, f64::max);
    (0..t.nrows()).all(|r| {
        (0..t.ncols()).all(|c| (t[(r, c)] - t[(c, r)].conj()).norm() <= 1e-12 * scale.max(1.0))
    })
}

/// For K operators T_k on (A-particle, B-particle) in the frame, each with its weight, the binned
/// sums
///
///   Σ_{elements (a, b) → (a′, b′)} conj(Ψ[a′, b′]) ⟨a′b′| dΓ_AB(T_k,bin) |ab⟩ Ψ[a, b] · w_k(a, b, a′, b′),
///
/// the elements of T_k those of `elements[k]` ([`MixedElements`]), each weight separable in the
/// rows and the columns:
///
///   w_k(a, b, a′, b′) = f_k0(a, a′) + f_k1(a, a′) (n(b) − n(b′)) + f_k2(a, a′) n(b′),
///
/// with `f = row_factors(a, a′)` and `n = column_weight`. The sum over b then depends on the
/// A-hop only through a′, and is a dot product of row a′ with row a hopped:
///
///   Σ_b z_b g(b, b′) = ⟨Ψ[a′, ·], h⟩,   h[b′] = g(b, b′) c_b Ψ[a, b]   (g = 1, n(b) − n(b′), n(b′)),
///
/// so for each row a the hopped rows h are built once per B-hop and dotted with every target row
/// a′ that needs them (all the M diagonal A-hops reach a′ = a): contiguous, vectorised passes
/// instead of one table lookup per element, shared by the K weights; the transposes of mirrored
/// elements ([`MixedElements::mirrored`]) are added from them at the end. Where n changes by the same
/// c = ±1 across every hop of E_{yy′} (the count of the condensate, when y or y′ is its orbital),
/// the sums for n(b) − n(b′) are c times those for 1, exactly, and are taken from them. A sum whose
/// factor is zero for every weight with an element there, or whose h is zero, is skipped (its
/// terms are exactly zero).
pub(crate) fn mixed_binned<const K: usize>(
    hops_a: &HopTable,
    basis_b: &FockBasis,
    state: &[C64],
    elements: [&MixedElements; K],
    column_weight: &[f64],
    row_factors: impl Fn(usize, usize) -> [[f64; COLUMN_SUMS]; K] + Sync,
) -> Result<[Bins; K]> {
    let m = hops_a.modes();
    let columns = basis_b.dim();
    let rows = hops_a.states();
    assert_eq!(column_weight.len(), columns);
    assert_eq!(state.len(), rows * columns);
    assert!(elements.iter().all(|e| e.values.len() == m * m * m * m));
    let channels = HopChannels::all_pairs(basis_b)?;
    // n_y(b), site by site: the amplitude of the diagonal hop E_yy.
    let occupations: Vec<f64> = (0..m)
        .flat_map(|y| (0..columns).map(move |b| basis_b.occupation(b)[y] as f64))
        .collect();
    // The A-hops (x, x′) with an element for some weight and B-hop: the others add nothing.
    let a_pairs: Vec<(usize, usize)> = (0..m * m)
        .filter(|&pair| {
            elements.iter().any(|e| {
                e.values[pair * m * m..(pair + 1) * m * m]
                    .iter()
                    .any(Option::is_some)
            })
        })
        .map(|pair| (pair / m, pair % m))
        .collect();
    // How the column weight changes across the hops of E_{yy′} (the same for every row).
    let change: Vec<ColumnChange> = (0..m * m)
        .map(|i| {
            let (y, yp) = (i / m, i % m);
            if y == yp {
                return ColumnChange::Constant(0.0);
            }
            let mut differences = channels
                .channel(y, yp)
                .expect("every channel x ≠ y is stored")
                .flat_map(|(segment, amplitudes)| {
                    let (to, from) = (segment.target as usize, segment.source as usize);
                    (0..amplitudes.len()).map(move |i| (from + i, to + i))
                })
                .map(|(from, to)| column_weight[from] - column_weight[to]);
            match differences.next() {
                None => ColumnChange::Constant(0.0),
                Some(first)
                    if [-1.0, 0.0, 1.0].contains(&first) && differences.all(|d| d == first) =>
                {
                    ColumnChange::Constant(first)
                }
                Some(_) => ColumnChange::Varying,
            }
        })
        .collect();
    let pass = MixedPass {
        m,
        columns,
        hops_a,
        change: &change,
        a_pairs: &a_pairs,
        elements,
        channels: &channels,
        occupations: &occupations,
        column_weight,
        state,
        row_factors,
    };
    let per_row: Vec<[[Bins; 2]; K]> = (0..rows)
        .into_par_iter()
        .map_init(
            || RowWork::new(columns),
            |work, a| pass.row_dispatch(work, a),
        )
        .collect();
    // Added in row order: the same figures on every run.
    let [own, mirrored] = per_row
        .into_iter()
        .fold([[[[ZERO; 4]; 4]; K]; 2], |mut total, row| {
            for (k, [own, mirrored]) in row.into_iter().enumerate() {
                total[0][k] = add_bins(total[0][k], own);
                total[1][k] = add_bins(total[1][k], mirrored);
            }
            total
        });
    // bin (L, R) += −conj(bin (R, L)) of the elements standing for their transposes.
    Ok(std::array::from_fn(|k| {
        std::array::from_fn(|l| {
            std::array::from_fn(|r| own[k][l][r] + mirrored[k][l][r] - mirrored[k][r][l].conj())
        })
    }))
}

/// How the column weight n changes across the hops of one E_{yy′}.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ColumnChange {
    /// n(b) − n(b′) = c for every hop, c ∈ {−1, 0, 1}: the sums for the change are c times those
    /// for 1 (exactly: c·z is z, −z or 0).
    Constant(f64),
    /// Some other change: its hopped row is formed.
    Varying,
}

/// The inputs of [`mixed_binned`], and its work on one row compiled for the processor's widest
/// vector unit (the same operations in the same order on every unit: the same bits).
struct MixedPass<'p, F, const K: usize> {
    m: usize,
    columns: usize,
    hops_a: &'p HopTable,
    /// The A-hops (x, x′), in order, that have an element for some weight and B-hop.
    a_pairs: &'p [(usize, usize)],
    /// The elements of each weight.
    elements: [&'p MixedElements; K],
    channels: &'p HopChannels,
    /// For each B-hop (y, y′) at y M + y′: how the column weight changes across it.
    change: &'p [ColumnChange],
    occupations: &'p [f64],
    column_weight: &'p [f64],
    state: &'p [C64],
    row_factors: F,
}

impl<F, const K: usize> MixedPass<'_, F, K>
where
    F: Fn(usize, usize) -> [[f64; COLUMN_SUMS]; K],
{
    fn row_dispatch(&self, work: &mut RowWork<K>, a: usize) -> [[Bins; 2]; K] {
        #[cfg(target_arch = "x86_64")]
        match VectorUnit::current() {
            // SAFETY: the processor has the unit's features (detected by VectorUnit).
            VectorUnit::Avx512 => return unsafe { self.row_avx512(work, a) },
            // SAFETY: as above.
            VectorUnit::Avx2 => return unsafe { self.row_avx2(work, a) },
            VectorUnit::Baseline => {}
        }
        self.row(work, a)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn row_avx512(&self, work: &mut RowWork<K>, a: usize) -> [[Bins; 2]; K] {
        self.row(work, a)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_avx2(&self, work: &mut RowWork<K>, a: usize) -> [[Bins; 2]; K] {
        self.row(work, a)
    }

    /// The binned sums of row a (see [`mixed_binned`]): of the elements that stand for themselves
    /// only, and of those that stand for their transposes too.
    #[inline(always)]
    fn row(&self, work: &mut RowWork<K>, a: usize) -> [[Bins; 2]; K] {
        let (m, columns, state) = (self.m, self.columns, self.state);
        let source_row = &state[a * columns..(a + 1) * columns];
        // The A-hops of row a by target row (stable: each group in (x, x′) order).
        work.a_hops.clear();
        for &(x, xp) in self.a_pairs {
            let (a_target, ca) = self.hops_a.hop(a, x, xp);
            if ca != 0.0 {
                work.a_hops.push((a_target, x, xp, ca));
            }
        }
        work.a_hops.sort_by_key(|hop| hop.0);
        let RowWork {
            a_hops,
            group_ends,
            factors,
            wanting,
            split,
            sums,
            hopped,
        } = work;
        group_ends.clear();
        group_ends.extend(
            (1..=a_hops.len()).filter(|&i| i == a_hops.len() || a_hops[i].0 != a_hops[i - 1].0),
        );
        let group = |g: usize| {
            let start = if g == 0 { 0 } else { group_ends[g - 1] };
            &a_hops[start..group_ends[g]]
        };
        let groups = group_ends.len();
        factors.clear();
        factors.extend((0..groups).map(|g| (self.row_factors)(a, group(g)[0].0)));
        let element = |k: usize, x: usize, xp: usize, y: usize, yp: usize| {
            self.elements[k].values[((x * m + xp) * m + y) * m + yp]
        };
        sums.clear();
        sums.resize(groups * m * m, [ZERO; COLUMN_SUMS]);
        for y in 0..m {
            for yp in 0..m {
                // The groups that want each sum: an element of some weight whose factor is not
                // zero.
                let change = self.change[y * m + yp];
                for list in wanting.iter_mut() {
                    list.clear();
                }
                for (g, group_factors) in factors.iter().enumerate() {
                    let mut want = [false; COLUMN_SUMS];
                    for &(_, x, xp, _) in group(g) {
                        for (k, f) in group_factors.iter().enumerate() {
                            if element(k, x, xp, y, yp).is_some() {
                                for (w, &fj) in want.iter_mut().zip(f) {
                                    *w |= fj != 0.0;
                                }
                            }
                        }
                    }
                    want[1] &= change != ColumnChange::Constant(0.0);
                    for (list, _) in wanting.iter_mut().zip(want).filter(|(_, w)| *w) {
                        list.push(g);
                    }
                }
                if wanting.iter().all(Vec::is_empty) {
                    continue;
                }
                // With a constant change, the groups that want the sums for 1 or for the change
                // share the dots with the plain row.
                let constant = match change {
                    ColumnChange::Constant(c) => {
                        let [plain, changed, _] = wanting;
                        plain.extend_from_slice(changed);
                        plain.sort_unstable();
                        plain.dedup();
                        Some(c)
                    }
                    ColumnChange::Varying => None,
                };
                let form = [
                    !wanting[0].is_empty(),
                    constant.is_none() && !wanting[1].is_empty(),
                    !wanting[2].is_empty(),
                ];
                hop_row(
                    hopped,
                    self.channels,
                    self.occupations,
                    self.column_weight,
                    source_row,
                    (y, yp),
                    form,
                );
                // The dots with the rows of the groups that want them, four groups at a time:
                // the plain and the target-weighted sums together where a group wants both
                // (the weighted row formed inside the dots), then those wanting one of them.
                let target = |g: usize| reals(&state[group(g)[0].0 * columns..][..columns]);
                let mut store = |j: usize, groups: &[usize], values: &[C64]| {
                    for (&g, &value) in groups.iter().zip(values) {
                        let sums = &mut sums[g * m * m + y * m + yp];
                        sums[j] = value;
                        if let (0, Some(c)) = (j, constant) {
                            sums[1] = value * c;
                        }
                    }
                };
                let rows = hopped.each_ref().map(|h| reals(h));
                let [both, plain_only, weighted_only] = split;
                split_wanting(&wanting[0], &wanting[2], both, plain_only, weighted_only);
                let change_wanted: &[usize] = if form[1] { &wanting[1] } else { &[] };
                for (list, wanted) in [
                    (&both[..], Wanted::Both),
                    (plain_only, Wanted::Plain),
                    (weighted_only, Wanted::Weighted),
                    (change_wanted, Wanted::Change),
                ] {
                    for block in list.chunks(4) {
                        // A short block repeats its last row (the extra dots are not stored).
                        let targets =
                            std::array::from_fn(|i| target(block[i.min(block.len() - 1)]));
                        let (first, second) = block_dots(
                            block.len(),
                            targets,
                            rows[usize::from(wanted == Wanted::Change)],
                            wanted.weighting(self.column_weight),
                        );
                        match wanted {
                            Wanted::Both => {
                                store(0, block, &first);
                                store(2, block, &second);
                            }
                            Wanted::Plain => store(0, block, &first),
                            Wanted::Change => store(1, block, &first),
                            Wanted::Weighted => store(2, block, &second),
                        }
                    }
                }
            }
        }
        let mut bins = [[[[ZERO; 4]; 4]; 2]; K];
        for g in 0..groups {
            for &(_, x, xp, ca) in group(g) {
                for y in 0..m {
                    for yp in 0..m {
                        let sums = &sums[g * m * m + y * m + yp];
                        for (k, f) in factors[g].iter().enumerate() {
                            let Some(value) = element(k, x, xp, y, yp) else {
                                continue;
                            };
                            let mirrored =
                                usize::from(self.elements[k].stands_for_transpose(x, xp, y, yp));
                            let weighted = (sums[0] * f[0] + sums[1] * f[1]) + sums[2] * f[2];
                            bins[k][mirrored][pattern(x, y)][pattern(xp, yp)] +=
                                value * ca * weighted;
                        }
                    }
                }
            }
        }
        bins
    }
}

/// The scratch of one task of [`mixed_binned`] (kept from row to row: nothing is allocated per
/// row once the buffers have grown).
struct RowWork<const K: usize> {
    /// (target row, x, x′, c_a) of the A-hops of the row.
    a_hops: Vec<(usize, usize, usize, f64)>,
    /// The end in `a_hops` of each group of hops with one target row.
    group_ends: Vec<usize>,
    /// The row factors of each group.
    factors: Vec<[[f64; COLUMN_SUMS]; K]>,
    /// For each of the [`COLUMN_SUMS`], the groups that want it for the B-hop at hand.
    wanting: [Vec<usize>; COLUMN_SUMS],
    /// The groups that want the sums for 1 and for n(b′) both, the first only, the second only.
    split: [Vec<usize>; 3],
    /// The [`COLUMN_SUMS`] of each (target group, B-hop).
    sums: Vec<[C64; COLUMN_SUMS]>,
    /// The hopped rows h of row a for the B-hop at hand, for 1 and for n(b) − n(b′) (see
    /// [`COLUMN_SUMS`]; the dots for n(b′) weight the first as they go).
    hopped: [Vec<C64>; 2],
}

impl<const K: usize> RowWork<K> {
    fn new(columns: usize) -> Self {
        RowWork {
            a_hops: Vec::new(),
            group_ends: Vec::new(),
            factors: Vec::new(),
            wanting: std::array::from_fn(|_| Vec::new()),
            split: std::array::from_fn(|_| Vec::new()),
            sums: Vec::new(),
            hopped: std::array::from_fn(|_| vec![ZERO; columns]),
        }
    }
}

/// The hopped rows h of `source` for the B-hop E_{yy′}, for the sums for 1 and for n(b) − n(b′)
/// (`want[0]`, `want[1]`; see [`COLUMN_SUMS`]: the sums for n(b′) dot the first, weighted as they
/// go, so `want[2]` needs it too; the caller leaves out h for n(b) − n(b′) where its sums follow
/// from those for 1).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn hop_row(
    hopped: &mut [Vec<C64>; 2],
    channels: &HopChannels,
    occupations: &[f64],
    weight: &[f64],
    source: &[C64],
    (y, yp): (usize, usize),
    want: [bool; COLUMN_SUMS],
) {
    let columns = source.len();
    let [plain, change] = hopped;
    let need_plain = want[0] || want[2];
    if y == yp {
        // E_yy |b⟩ = n_y(b) |b⟩: b′ = b, nothing changes.
        if need_plain {
            let n_y = &occupations[y * columns..(y + 1) * columns];
            for b in 0..columns {
                plain[b] = source[b] * n_y[b];
            }
        }
        return;
    }
    let segments = channels
        .channel(y, yp)
        .expect("every channel x ≠ y is stored");
    // The segments in rank order of their targets: zero between them, the products in them.
    // One loop per row wanted (z = c·Ψ[a, b] is the same product in both), so that each
    // vectorises.
    let mut filled = 0;
    for (segment, amplitudes) in segments {
        let (to, from) = (segment.target as usize, segment.source as usize);
        let len = amplitudes.len();
        let input = &source[from..from + len];
        if need_plain {
            plain[filled..to].fill(ZERO);
            for ((p, x), &c) in plain[to..to + len].iter_mut().zip(input).zip(amplitudes) {
                *p = x * c;
            }
        }
        if want[1] {
            change[filled..to].fill(ZERO);
            let (from_weight, to_weight) = (&weight[from..from + len], &weight[to..to + len]);
            for ((((d, x), &c), &wf), &wt) in change[to..to + len]
                .iter_mut()
                .zip(input)
                .zip(amplitudes)
                .zip(from_weight)
                .zip(to_weight)
            {
                *d = (x * c) * (wf - wt);
            }
        }
        filled = to + len;
    }
    if need_plain {
        plain[filled..].fill(ZERO);
    }
    if want[1] {
        change[filled..].fill(ZERO);
    }
}

/// The groups of `plain` (wanting the sums for 1) and of `weighted` (for n(b′)), both sorted:
/// into those in both, in the first only and in the second only, each sorted.
fn split_wanting(
    plain: &[usize],
    weighted: &[usize],
    both: &mut Vec<usize>,
    plain_only: &mut Vec<usize>,
    weighted_only: &mut Vec<usize>,
) {
    both.clear();
    plain_only.clear();
    weighted_only.clear();
    let (mut i, mut j) = (0, 0);
    while i < plain.len() || j < weighted.len() {
        match (plain.get(i), weighted.get(j)) {
            (Some(p), Some(w)) if p == w => {
                both.push(*p);
                i += 1;
                j += 1;
            }
            (Some(p), w) if w.is_none_or(|w| p < w) => {
                plain_only.push(*p);
                i += 1;
            }
            (_, Some(w)) => {
                weighted_only.push(*w);
                j += 1;
            }
            (_, None) => unreachable!("the loop runs while one list has groups left"),
        }
    }
}

/// Which dots a block of target rows takes with the hopped rows of a B-hop (see [`COLUMN_SUMS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wanted {
    /// With h for 1 and with it weighted by n(b′).
    Both,
    /// With h for 1.
    Plain,
    /// With h for n(b) − n(b′).
    Change,
    /// With h for 1 weighted by n(b′).
    Weighted,
}

impl Wanted {
    /// The dots with the hopped row (h for 1, or h for n(b) − n(b′) for [`Wanted::Change`]) that
    /// this asks for, n(b′) being `weight`.
    fn weighting(self, weight: &[f64]) -> Weighting<'_> {
        match self {
            Wanted::Both => Weighting::PlainAndWeighted(weight),
            Wanted::Weighted => Weighting::Weighted(weight),
            Wanted::Plain | Wanted::Change => Weighting::Plain,
        }
    }
}

/// bins[bin] += amplitude · overlap for the terms (target, bin, amplitude) of one target, in order.
fn add_terms(bins: &mut Bins, terms: &[(usize, usize, C64)], overlap: C64) {
    for &(_, bin, amplitude) in terms {
        bins[bin / 4][bin % 4] += amplitude * overlap;
    }
}

fn add_bins(mut left: Bins, right: Bins) -> Bins {
    for (l, r) in left.iter_mut().flatten().zip(right.iter().flatten()) {
        *l += r;
    }
    left
}

/// Σ_b conj(t_k[b]) s[b] w[b] for each row t_k, each summed over b in order from zero (the N
/// sums interleaved, so that N chains of additions are in flight instead of one).
#[inline(always)]
fn weighted_overlaps<const N: usize>(targets: [&[C64]; N], source: &[C64], w: &[f64]) -> [C64; N] {
    let columns = source.len();
    assert!(w.len() == columns && targets.iter().all(|t| t.len() == columns));
    let mut sums = [ZERO; N];
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if N == 4 && VectorUnit::current() == VectorUnit::Avx512 {
        let targets: [&[C64]; 4] = std::array::from_fn(|k| targets[k]);
        // SAFETY: the processor has AVX-512F; the rows' lengths are checked above.
        let (four, columns_done) = unsafe { weighted_overlaps4_avx512(targets, source, w) };
        sums.copy_from_slice(&four);
        done = columns_done;
    }
    for b in done..columns {
        let (s, w) = (source[b], w[b]);
        for (sum, t) in sums.iter_mut().zip(&targets) {
            *sum += t[b].conj() * s * w;
        }
    }
    sums
}

/// [`weighted_overlaps`] of four rows in AVX-512, over the whole blocks of four columns (returns
/// the sums so far and the columns done): four columns of the four rows loaded and transposed so
/// that a vector holds the four rows' entries at one column; per column, conj(t)·s as
/// (t_r s_r + t_i s_i, t_i s_r subtracted from t_r s_i) — what the complex product gives, the
/// negated parts being exact — times w, added to the sums: the operations of the scalar loop,
/// lane by lane.
///
/// # Safety
/// AVX-512F; every row as long as `source` and `w`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn weighted_overlaps4_avx512(
    targets: [&[C64]; 4],
    source: &[C64],
    w: &[f64],
) -> ([C64; 4], usize) {
    use crate::evolution::hamiltonian::tiles::transpose4;
    use std::arch::x86_64::*;
    let blocks = source.len() / 4;
    let mut acc = _mm512_setzero_pd();
    for k in 0..blocks {
        // SAFETY: columns 4k..4k + 4 lie in every row (the caller's guarantee).
        let columns = unsafe {
            let load = |r: usize| targets[r].as_ptr().add(4 * k).cast::<f64>();
            transpose4([
                _mm512_loadu_pd(load(0)),
                _mm512_loadu_pd(load(1)),
                _mm512_loadu_pd(load(2)),
                _mm512_loadu_pd(load(3)),
            ])
        };
        for (j, t) in columns.into_iter().enumerate() {
            let b = 4 * k + j;
            // SAFETY: b < source.len() = w.len().
            let (s, weight) = unsafe { (*source.get_unchecked(b), *w.get_unchecked(b)) };
            let by_real = _mm512_mul_pd(t, _mm512_set1_pd(s.re));
            let by_imaginary = _mm512_permute_pd::<0x55>(_mm512_mul_pd(t, _mm512_set1_pd(s.im)));
            let sum = _mm512_add_pd(by_real, by_imaginary);
            let product = _mm512_mask_sub_pd(sum, 0xAA, by_imaginary, by_real);
            acc = _mm512_add_pd(acc, _mm512_mul_pd(product, _mm512_set1_pd(weight)));
        }
    }
    let mut lanes = [0.0; 8];
    // SAFETY: eight reals.
    unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), acc) };
    (
        std::array::from_fn(|k| C64::new(lanes[2 * k], lanes[2 * k + 1])),
        4 * blocks,
    )
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
        .map_init(
            || (Vec::new(), Vec::new()),
            |(weights, pairs): &mut (Vec<f64>, Vec<(usize, C64, f64)>), source| {
                let row_s = &rows[source * columns..(source + 1) * columns];
                weights.clear();
                weights.extend((0..columns).map(|b| weight(source, b)));
                // (target, O_{xx′}, c) of the hops, in (x, x′) order.
                pairs.clear();
                for x in 0..m {
                    for xp in 0..m {
                        let value = o[(x, xp)];
                        if value == ZERO {
                            continue;
                        }
                        let (target, c) = hops.hop(source, x, xp);
                        if c != 0.0 {
                            pairs.push((target, value, c));
                        }
                    }
                }
                let row = |target: usize| &rows[target * columns..(target + 1) * columns];
                let mut total = ZERO;
                let mut blocks = pairs.chunks_exact(4);
                for block in &mut blocks {
                    let overlaps = weighted_overlaps(
                        [
                            row(block[0].0),
                            row(block[1].0),
                            row(block[2].0),
                            row(block[3].0),
                        ],
                        row_s,
                        weights,
                    );
                    for (&(_, value, c), overlap) in block.iter().zip(overlaps) {
                        total += value * c * overlap;
                    }
                }
                for &(target, value, c) in blocks.remainder() {
                    let [overlap] = weighted_overlaps([row(target)], row_s, weights);
                    total += value * c * overlap;
                }
                total
            },
        )
        .collect();
    // Added in source order: the same figures on every run.
    per_source.into_iter().fold(ZERO, |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pass of [`mixed_binned`] (hopped rows, dots shared by the weights, the change's sums
    /// taken from the plain ones where the change is ±1) against the sum over every element,
    /// basis state and hop written out: two weights with different elements, the count of the
    /// condensate as column weight (constant changes) and its square (varying ones); and the
    /// mirrored halves of a hermitian T with a commutator's weight against all its elements.
    #[test]
    fn mixed_pass_is_the_sum_over_elements() {
        let (m, n_a, n_b) = (3, 3, 4);
        let (basis_a, basis_b) = (
            FockBasis::new(m, n_a).unwrap(),
            FockBasis::new(m, n_b).unwrap(),
        );
        let (rows, columns) = (basis_a.dim(), basis_b.dim());
        let state: Vec<C64> = (0..rows * columns)
            .map(|i| C64::new((0.37 * i as f64).sin(), (1.1 + 0.53 * i as f64).cos()))
            .collect();
        let t = Mat::from_fn(m * m, m * m, |r, c| {
            C64::new(
                (1.3 * r as f64 + 0.2 * c as f64).cos(),
                (0.7 * c as f64 - r as f64).sin(),
            )
        });
        let hermitian = Mat::from_fn(m * m, m * m, |r, c| (t[(r, c)] + t[(c, r)].conj()) * 0.5);
        let row_weight = |a: usize| 1.0 + basis_a.occupation(a)[0] as f64;
        let factors = |a: usize, at: usize| {
            [
                [0.0, row_weight(a), row_weight(a) - row_weight(at)],
                [row_weight(at), 0.5, 2.0],
                // A commutator's: w = n^A(a) n(b) − n^A(a′) n(b′), antisymmetric.
                [0.0, row_weight(a), row_weight(a) - row_weight(at)],
            ]
        };
        let keeps_counts = |x: usize, xp: usize, y: usize, yp: usize| {
            (x == 0) == (xp == 0) && (y == 0) == (yp == 0)
        };
        let elements = [
            MixedElements::new(&t, |x, xp, y, yp| x == xp && y == yp),
            MixedElements::new(&t, |x, xp, y, _| x != 0 || y != 0 || xp == 0),
            MixedElements::mirrored(&hermitian, keeps_counts),
        ];
        // Every element of each weight (the mirrored one's transposes included).
        let all_elements = [
            (&t, &elements[0].values),
            (&t, &elements[1].values),
            (
                &hermitian,
                &MixedElements::new(&hermitian, keeps_counts).values,
            ),
        ];
        // E_{xx′}|s⟩ = c |t⟩ from the occupations.
        let hop = |basis: &FockBasis, s: usize, x: usize, xp: usize| -> Option<(usize, f64)> {
            let mut n = basis.occupation(s).to_vec();
            if n[xp] == 0 {
                return None;
            }
            let c = (n[xp] as f64).sqrt();
            n[xp] -= 1;
            let c = c * ((n[x] + 1) as f64).sqrt();
            n[x] += 1;
            Some((basis.rank(&n), c))
        };
        for square in [false, true] {
            let column_weight: Vec<f64> = (0..columns)
                .map(|b| {
                    let n0 = basis_b.occupation(b)[0] as f64;
                    if square {
                        n0 * n0
                    } else {
                        n0
                    }
                })
                .collect();
            let engine = mixed_binned(
                basis_a.hops().unwrap(),
                &basis_b,
                &state,
                [&elements[0], &elements[1], &elements[2]],
                &column_weight,
                factors,
            )
            .unwrap();
            let mut direct = [[[ZERO; 4]; 4]; 3];
            for (k, (matrix, kept)) in all_elements.into_iter().enumerate() {
                for (i, _) in kept.iter().enumerate().filter(|(_, e)| e.is_some()) {
                    let (x, xp, y, yp) = (i / (m * m * m), i / (m * m) % m, i / m % m, i % m);
                    let value = matrix[(x + m * y, xp + m * yp)];
                    let bin = &mut direct[k][pattern(x, y)][pattern(xp, yp)];
                    for a in 0..rows {
                        let Some((at, ca)) = hop(&basis_a, a, x, xp) else {
                            continue;
                        };
                        let f = factors(a, at)[k];
                        for b in 0..columns {
                            let Some((bt, cb)) = hop(&basis_b, b, y, yp) else {
                                continue;
                            };
                            let w = f[0]
                                + f[1] * (column_weight[b] - column_weight[bt])
                                + f[2] * column_weight[bt];
                            *bin += state[at * columns + bt].conj()
                                * value
                                * (ca * cb * w)
                                * state[a * columns + b];
                        }
                    }
                }
            }
            for k in 0..3 {
                for l in 0..4 {
                    for r in 0..4 {
                        let (e, d) = (engine[k][l][r], direct[k][l][r]);
                        assert!(
                            (e - d).norm() <= 1e-12 * (1.0 + d.norm()),
                            "weight {k}, bin ({l}, {r}), square {square}: {e} against {d}"
                        );
                    }
                }
            }
        }
    }

    /// Four weighted overlaps at once (AVX-512 when the processor has it) are, bit for bit, the
    /// plain sums Σ_b conj(t[b]) s[b] w[b] from zero, for lengths with and without a ragged end.
    #[test]
    fn four_weighted_overlaps_are_the_plain_sums() {
        let row = |n: usize, seed: f64| -> Vec<C64> {
            (0..n)
                .map(|i| C64::new((seed * (i + 1) as f64).sin(), (seed + 0.7 * i as f64).cos()))
                .collect()
        };
        for n in [0, 1, 3, 4, 5, 9, 16, 19] {
            let source = row(n, 0.3);
            let w: Vec<f64> = (0..n).map(|i| 0.5 + (1.3 * i as f64).sin()).collect();
            let targets: Vec<Vec<C64>> = (0..4).map(|k| row(n, 1.1 + k as f64)).collect();
            let overlaps = weighted_overlaps(
                [&targets[0], &targets[1], &targets[2], &targets[3]],
                &source,
                &w,
            );
            for (t, overlap) in targets.iter().zip(overlaps) {
                let plain: C64 = (0..n).map(|b| t[b].conj() * source[b] * w[b]).sum();
                assert_eq!(overlap.re.to_bits(), plain.re.to_bits(), "n = {n}");
                assert_eq!(overlap.im.to_bits(), plain.im.to_bits(), "n = {n}");
            }
        }
    }
}
