//! Everything the proof says about one time, gathered for reporting: the three terms, all their
//! pairs, the split of T(pp,qq), the bounds with their constants, and B(t) of (5.3).
//!
//! **B(t) and κ.** dα/dt = i(C_V1 + C_V2 + C_V12) ≤ |C_V1| + |C_V2| + |C_V12|
//! ≤ [κ₁A₁ + κ₂A₂ + κ₁₂(A^u + A^v)](α + 1/N) by (5.26), (5.33). The paper's form (5.3) is
//! B(t) = κ (A₁ + A₂ + A^u + A^v) with κ = max(κ₁, κ₂, κ₁₂), the form reported, once with the
//! constants as printed and once with the tight ones of [`crate::proof::bounds`] (the sum
//! κ₁A₁ + κ₂A₂ + κ₁₂(A^u + A^v), tighter still, is not reported).
//! f(t) of (2.19) is ∫₀ᵗ (A₁ + A₂ + A^u + A^v) dτ, and Theorem 2.1 (5.5) reads
//! α(t) ≤ (α(0) + 1/N) e^{κ f(t)}.

use crate::measure::context::TimeContext;
use crate::model::{Component, Model};
use crate::proof::bounds::{kappa, InterSpeciesBounds, IntraSpeciesBounds, ProofConstants};
use crate::proof::norms::{sum_space_norm, ExponentChoice, Exponents, OrbitalNorms};
use crate::proof::pairs::{inter_species_pass, Wanted};
use crate::proof::{
    derivative_terms, intra_species_pairs, DerivativeTerms, PairTerms, PpQqSplit, Projection,
};
use crate::{Result, C64};

/// A₁ + A₂ + A^u + A^v at one time, the integrand of f(t) (2.19), with the exponents chosen as in
/// [`ProofSnapshot::new`].
pub fn constant_sum(model: &Model, u: &[C64], v: &[C64], exponents: &ExponentChoice) -> f64 {
    MeanFieldConstants::new(model, exponents).sum(u, v)
}

/// The integrand of f(t) for many times: the norms ‖V‖_{L^r+L^s} of the candidate exponents do
/// not change with time and are computed once.
#[derive(Clone, Debug)]
pub struct MeanFieldConstants {
    /// For V₁, V₂, V₁₂: the candidate exponents with the potential's norm.
    candidates: [Vec<(Exponents, f64)>; 3],
}

impl MeanFieldConstants {
    /// The norms of V₁, V₂, V₁₂ for every pair the choice can pick.
    pub fn new(model: &Model, exponents: &ExponentChoice) -> Self {
        let potentials = [
            &model.species_a().potential,
            &model.species_b().potential,
            model.inter_potential(),
        ];
        MeanFieldConstants {
            candidates: std::array::from_fn(|i| {
                exponents
                    .candidates(i)
                    .into_iter()
                    .map(|e| (e, sum_space_norm(potentials[i], e)))
                    .collect()
            }),
        }
    }

    /// (exponents, norm) of potential `index` with the smallest norm × Σ orbital weights (the
    /// first such in the candidates' order), each candidate's cost computed once.
    pub(crate) fn pick(&self, index: usize, orbitals: &mut [OrbitalNorms<'_>]) -> (Exponents, f64) {
        let mut best: Option<((Exponents, f64), f64)> = None;
        for &(e, norm) in &self.candidates[index] {
            let cost = norm * orbitals.iter_mut().map(|o| o.weight(e)).sum::<f64>();
            if best.is_none_or(|(_, least)| cost.total_cmp(&least).is_lt()) {
                best = Some(((e, norm), cost));
            }
        }
        best.expect("a choice has at least one candidate").0
    }

    /// The chosen exponents and norms of V₁, V₂, V₁₂ for (u, v): [`MeanFieldConstants::pick`]
    /// with the orbitals' norms shared between the picks.
    pub(crate) fn pick_all<'a>(
        &self,
        u: &'a [C64],
        v: &'a [C64],
    ) -> ([(Exponents, f64); 3], [OrbitalNorms<'a>; 2]) {
        let mut norms = [OrbitalNorms::new(u), OrbitalNorms::new(v)];
        let first = self.pick(0, &mut norms[..1]);
        let second = self.pick(1, &mut norms[1..]);
        let both = self.pick(2, &mut norms);
        ([first, second, both], norms)
    }

    /// A₁ + A₂ + A^u + A^v for (u, v).
    pub fn sum(&self, u: &[C64], v: &[C64]) -> f64 {
        let ([(e1, n1), (e2, n2), (e12, n12)], [mut u_norms, mut v_norms]) = self.pick_all(u, v);
        n1 * u_norms.weight(e1)
            + n2 * v_norms.weight(e2)
            + n12 * (u_norms.weight(e12) + v_norms.weight(e12))
    }
}

/// The bounds of one form ([`ProofConstants`]) at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProofBounds {
    /// Bounds for the pairs of C_V1 (absent when N₁ = 1: Proposition 5.1 needs N₁ ≥ 2).
    pub v1: Option<IntraSpeciesBounds>,
    /// Bounds for the pairs of C_V2 (absent when N₂ = 1).
    pub v2: Option<IntraSpeciesBounds>,
    /// Bounds for the pairs of C_V12.
    pub v12: InterSpeciesBounds,
    /// κ = max(κ₁, κ₂, κ₁₂).
    pub kappa: f64,
    /// B(t) = κ (A₁ + A₂ + A^u + A^v) (5.3).
    pub rate: f64,
}

/// The proof evaluated at one time.
#[derive(Clone, Debug)]
pub struct ProofSnapshot {
    /// C_V1, C_V2, C_V12: the sums of their pairs ([`DerivativeTerms::from_pairs`]) when both
    /// species have two particles or more, else from the site basis ([`derivative_terms`]; a
    /// species with one particle has no pairs, but its mean-field term makes its C_V nonzero).
    pub terms: DerivativeTerms,
    /// The 16 pairs of C_V1.
    pub pairs_v1: PairTerms,
    /// The 16 pairs of C_V2.
    pub pairs_v2: PairTerms,
    /// The 16 pairs T of C_V12.
    pub pairs_v12: PairTerms,
    /// (pp,qq)₁, (pp,qq)₂, (pp,qq)₃ of C_V12.
    pub split: PpQqSplit,
    /// A₁ + A₂ + A^u + A^v, the integrand of f(t) (2.19).
    pub constant_sum: f64,
    /// α^(1,1), as given to [`ProofSnapshot::new`].
    pub alpha11: f64,
    /// The bounds with the constants as printed.
    pub printed: ProofBounds,
    /// The bounds with the tight constants.
    pub tight: ProofBounds,
}

/// One term of the proof at one time with its bounds: a row of the `proof` long table.
#[derive(Clone, Debug, PartialEq)]
pub struct TermRow {
    /// `C_V1`, `C_V2` or `C_V12`.
    pub group: &'static str,
    /// `total`, a pair such as `(pp,qq)`, or a part `(pp,qq)_1` of T(pp,qq).
    pub term: String,
    /// The measured value.
    pub value: C64,
    /// Its bound with the constants as printed (`None` where the paper states none).
    pub bound: Option<f64>,
    /// Its bound with the tight constants.
    pub bound_tight: Option<f64>,
}

/// Below this, a measured term is round-off (the terms are O(‖V‖) at most, and α^(1,1) itself
/// is known to about 1e-16).
pub const TERM_ROUND_OFF: f64 = 1e-13;

/// |value| / bound. Where both are round-off (below [`TERM_ROUND_OFF`]: α^(1,1) = 0 up to
/// round-off, at t = 0 from a product state, makes the bounds proportional to it zero or of
/// either sign) there is nothing to compare and the result is `None` (such rows are counted, see
/// [`LargestRatios`]); a bound ≤ 0 under a larger |value| gives +∞ (the bound fails).
pub fn bound_ratio(value: f64, bound: f64) -> Option<f64> {
    if value.abs() <= TERM_ROUND_OFF && bound <= TERM_ROUND_OFF {
        None
    } else if bound > 0.0 {
        Some(value.abs() / bound)
    } else {
        Some(f64::INFINITY)
    }
}

impl ProofSnapshot {
    /// Evaluates every term, pair and bound at one time ([`TimeContext`]: Ψ(t), (u_t, v_t) and
    /// the frame state), α^(1,1)(t) given.
    pub fn new(context: &TimeContext, alpha11: f64, exponents: &ExponentChoice) -> Result<Self> {
        let (model, u, v) = (context.model, context.u, context.v);
        let (n1, n2) = (model.species_a().particles, model.species_b().particles);
        let zero_pairs = PairTerms {
            values: [[C64::new(0.0, 0.0); 4]; 4],
        };
        let pairs_v1 = if n1 >= 2 {
            intra_species_pairs(context, Component::A)?
        } else {
            zero_pairs
        };
        let pairs_v2 = if n2 >= 2 {
            intra_species_pairs(context, Component::B)?
        } else {
            zero_pairs
        };
        let (pairs_v12, split) = inter_species_pass(context, Wanted::Both)?;
        let terms = if n1 >= 2 && n2 >= 2 {
            DerivativeTerms::from_pairs(&pairs_v1, &pairs_v2, &pairs_v12)
        } else {
            derivative_terms(model, context.state, u, v)?
        };
        let constants = MeanFieldConstants::new(model, exponents);
        let ([(e1, norm1), (e2, norm2), (e12, norm12)], [mut u_norms, mut v_norms]) =
            constants.pick_all(u, v);
        let (a1, a2) = (norm1 * u_norms.weight(e1), norm2 * v_norms.weight(e2));
        let constant_sum = a1 + a2 + norm12 * u_norms.weight(e12) + norm12 * v_norms.weight(e12);
        let bounds = |constants: ProofConstants| {
            let kappa = kappa(model.c1(), model.c2(), constants);
            ProofBounds {
                v1: (n1 >= 2).then(|| {
                    IntraSpeciesBounds::new(model, Component::A, u, alpha11, e1, constants)
                }),
                v2: (n2 >= 2).then(|| {
                    IntraSpeciesBounds::new(model, Component::B, v, alpha11, e2, constants)
                }),
                v12: InterSpeciesBounds::new(model, u, v, alpha11, e12, constants),
                kappa,
                rate: kappa * constant_sum,
            }
        };
        Ok(ProofSnapshot {
            terms,
            pairs_v1,
            pairs_v2,
            pairs_v12,
            split,
            constant_sum,
            alpha11,
            printed: bounds(ProofConstants::AsPrinted),
            tight: bounds(ProofConstants::Tight),
        })
    }

    /// The bounds of one form.
    pub fn bounds(&self, constants: ProofConstants) -> &ProofBounds {
        match constants {
            ProofConstants::AsPrinted => &self.printed,
            ProofConstants::Tight => &self.tight,
        }
    }

    /// Every term with its two bounds, in the order of the `proof` long table: for C_V1, C_V2
    /// and C_V12 the total then the 16 pairs, then the three parts of T(pp,qq).
    pub fn rows(&self) -> Vec<TermRow> {
        let (p, t) = (&self.printed, &self.tight);
        let mut rows = Vec::with_capacity(54);
        let mut group =
            |name: &'static str,
             total: C64,
             totals: (Option<f64>, Option<f64>),
             pairs: &PairTerms,
             bound: &dyn Fn(&ProofBounds, Projection, Projection) -> Option<f64>| {
                rows.push(TermRow {
                    group: name,
                    term: "total".into(),
                    value: total,
                    bound: totals.0,
                    bound_tight: totals.1,
                });
                for left in Projection::ALL {
                    for right in Projection::ALL {
                        rows.push(TermRow {
                            group: name,
                            term: format!("({left},{right})"),
                            value: pairs.get(left, right),
                            bound: bound(p, left, right),
                            bound_tight: bound(t, left, right),
                        });
                    }
                }
            };
        group(
            "C_V1",
            self.terms.c_v1,
            (p.v1.map(|b| b.total), t.v1.map(|b| b.total)),
            &self.pairs_v1,
            &|b, l, r| b.v1.and_then(|b| b.pair(l, r)),
        );
        group(
            "C_V2",
            self.terms.c_v2,
            (p.v2.map(|b| b.total), t.v2.map(|b| b.total)),
            &self.pairs_v2,
            &|b, l, r| b.v2.and_then(|b| b.pair(l, r)),
        );
        group(
            "C_V12",
            self.terms.c_v12,
            (Some(p.v12.total), Some(t.v12.total)),
            &self.pairs_v12,
            &|b, l, r| b.v12.pair(l, r),
        );
        let parts = [
            ("(pp,qq)_1", self.split.first, p.v12.pp_qq_1, t.v12.pp_qq_1),
            ("(pp,qq)_2", self.split.second, p.v12.pp_qq_2, t.v12.pp_qq_2),
            ("(pp,qq)_3", self.split.third, p.v12.pp_qq_3, t.v12.pp_qq_3),
        ];
        for (name, value, bound, bound_tight) in parts {
            rows.push(TermRow {
                group: "C_V12",
                term: name.into(),
                value,
                bound: Some(bound),
                bound_tight: Some(bound_tight),
            });
        }
        rows
    }

    /// The largest measured/bound ratio per group, for the bounds of one form.
    pub fn largest_ratios(&self, constants: ProofConstants) -> LargestRatios {
        let mut largest = LargestRatios {
            v1: self.bounds(constants).v1.map(|_| 0.0),
            v2: self.bounds(constants).v2.map(|_| 0.0),
            v12: 0.0,
            degenerate: 0,
        };
        for row in self.rows() {
            let bound = match constants {
                ProofConstants::AsPrinted => row.bound,
                ProofConstants::Tight => row.bound_tight,
            };
            let Some(bound) = bound else { continue };
            let Some(ratio) = bound_ratio(row.value.norm(), bound) else {
                largest.degenerate += 1;
                continue;
            };
            let slot = match row.group {
                "C_V1" => largest.v1.as_mut(),
                "C_V2" => largest.v2.as_mut(),
                _ => Some(&mut largest.v12),
            };
            if let Some(slot) = slot {
                *slot = slot.max(ratio);
            }
        }
        largest
    }
}

/// The largest ratio |measured| / bound over the terms of each group that carry a bound
/// (the total and the bounded pairs; for C_V12 also the three parts of T(pp,qq)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LargestRatios {
    /// Over C_V1 (absent when N₁ = 1: Proposition 5.1 needs two A-particles).
    pub v1: Option<f64>,
    /// Over C_V2 (absent when N₂ = 1).
    pub v2: Option<f64>,
    /// Over C_V12.
    pub v12: f64,
    /// Bounded terms left out because the term and its bound are both round-off (α^(1,1) = 0
    /// up to round-off, at t = 0 from a product state); see [`bound_ratio`].
    pub degenerate: usize,
}

impl LargestRatios {
    /// The largest of the three groups.
    pub fn overall(&self) -> f64 {
        self.v12
            .max(self.v1.unwrap_or(0.0))
            .max(self.v2.unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::one_body::lp_norm;
    use crate::proof::norms::orbital_weight;

    /// The shared norms give orbital_weight's numbers bit for bit, and the pick is the first
    /// candidate of least cost, as a plain minimum over recomputed weights finds it.
    #[test]
    fn shared_norms_and_the_pick_match_the_plain_formulas() {
        let orbital = |seed: f64| -> Vec<C64> {
            (0..5)
                .map(|i| C64::new((seed * (i + 1) as f64).sin(), (seed + i as f64).cos() / 3.0))
                .collect()
        };
        let (u, v) = (orbital(0.7), orbital(1.9));
        let mut norms = OrbitalNorms::new(&u);
        for e in Exponents::default_scan() {
            let expected = lp_norm(&u, e.r_hat()) + lp_norm(&u, e.s_hat());
            for _ in 0..2 {
                assert_eq!(norms.weight(e).to_bits(), expected.to_bits());
            }
        }
        // Candidate norms chosen so that costs differ and one tie (the first must win).
        let candidates: Vec<(Exponents, f64)> = Exponents::default_scan()
            .into_iter()
            .enumerate()
            .map(|(k, e)| (e, 1.0 + ((k * 7) % 5) as f64 / 4.0))
            .collect();
        let constants = MeanFieldConstants {
            candidates: [candidates.clone(), candidates.clone(), candidates.clone()],
        };
        let cost =
            |&(e, norm): &(Exponents, f64)| norm * (orbital_weight(&u, e) + orbital_weight(&v, e));
        let plain = *candidates
            .iter()
            .min_by(|a, b| cost(a).total_cmp(&cost(b)))
            .unwrap();
        let mut both = [OrbitalNorms::new(&u), OrbitalNorms::new(&v)];
        let picked = constants.pick(2, &mut both);
        assert_eq!(picked.0, plain.0);
        assert_eq!(picked.1.to_bits(), plain.1.to_bits());
    }
}
