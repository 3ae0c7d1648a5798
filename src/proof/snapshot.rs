//! Everything the proof says about one time, gathered for reporting: the three terms, all their
//! pairs, the split of T(pp,qq), the bounds with their constants, and B(t) of (5.3).
//!
//! **B(t) and κ.** dα/dt = i(C_V1 + C_V2 + C_V12) ≤ |C_V1| + |C_V2| + |C_V12|
//! ≤ [κ₁A₁ + κ₂A₂ + κ₁₂(A^u + A^v)](α + 1/N) by (5.26), (5.33). The paper's form (5.3) is
//! B(t) = κ (A₁ + A₂ + A^u + A^v) with κ = max(κ₁, κ₂, κ₁₂), the form reported (the tighter
//! sum above is not reported yet).
//! f(t) of (2.19) is ∫₀ᵗ (A₁ + A₂ + A^u + A^v) dτ, and Theorem 2.1 (5.5) reads
//! α(t) ≤ (α(0) + 1/N) e^{κ f(t)}.

use std::str::FromStr;

use crate::counting::CondensateFrame;
use crate::fock::FockBasis;
use crate::lemmas::Component;
use crate::model::Model;
use crate::one_body::PairPotential;
use crate::proof::bounds::{kappa_inter, kappa_intra, InterSpeciesBounds, IntraSpeciesBounds};
use crate::proof::norms::{mean_field_constant, orbital_weight, sum_space_norm, Exponents};
use crate::proof::{
    derivative_terms, inter_species_pairs, intra_species_pairs, pp_qq_split, DerivativeTerms,
    PairTerms, PpQqSplit,
};
use crate::{Error, Result, C64};

/// How the exponents (r, s) of each potential are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum ExponentChoice {
    /// For each potential, the pair of [`Exponents::default_scan`] with the smallest constant.
    Scan,
    /// The same pair for V₁, V₂ and V₁₂.
    Same(Exponents),
    /// One pair each for V₁, V₂, V₁₂.
    Each([Exponents; 3]),
}

impl FromStr for ExponentChoice {
    type Err = Error;

    /// `scan`, `r:s` (for all potentials) or `r1:s1,r2:s2,r12:s12`; `inf` for ∞.
    fn from_str(text: &str) -> Result<Self> {
        let parse_pair = |t: &str| -> Result<Exponents> {
            let (r, s) = t.split_once(':').ok_or_else(|| {
                Error::invalid("--r-s", format!("'{t}' should read r:s, e.g. 2:inf"))
            })?;
            let number = |x: &str| -> Result<f64> {
                match x.trim() {
                    "inf" | "infinity" => Ok(f64::INFINITY),
                    other => other
                        .parse()
                        .map_err(|_| Error::invalid("--r-s", format!("'{other}' is not a number"))),
                }
            };
            Exponents::new(number(r)?, number(s)?)
        };
        match text.trim() {
            "scan" => Ok(ExponentChoice::Scan),
            t if t.contains(',') => {
                let pairs = t.split(',').map(parse_pair).collect::<Result<Vec<_>>>()?;
                let pairs: [Exponents; 3] = pairs.try_into().map_err(|_| {
                    Error::invalid("--r-s", "give one pair, or three (for V1, V2, V12)")
                })?;
                Ok(ExponentChoice::Each(pairs))
            }
            t => Ok(ExponentChoice::Same(parse_pair(t)?)),
        }
    }
}

impl ExponentChoice {
    /// The exponents for a potential (index 0: V₁, 1: V₂, 2: V₁₂) given the orbitals it is paired with.
    fn pick(&self, index: usize, potential: &PairPotential, orbitals: &[&[C64]]) -> Exponents {
        match self {
            ExponentChoice::Same(e) => *e,
            ExponentChoice::Each(list) => list[index],
            ExponentChoice::Scan => {
                // The potential's norm once per pair, the orbitals' weights per orbital.
                let cost = |e: &Exponents| {
                    sum_space_norm(potential, *e)
                        * orbitals.iter().map(|o| orbital_weight(o, *e)).sum::<f64>()
                };
                Exponents::default_scan()
                    .into_iter()
                    .min_by(|a, b| cost(a).total_cmp(&cost(b)))
                    .expect("the scan is not empty")
            }
        }
    }
}

/// A₁ + A₂ + A^u + A^v at one time, the integrand of f(t) (2.19), with the exponents chosen as in
/// [`ProofSnapshot::new`].
pub fn constant_sum(model: &Model, u: &[C64], v: &[C64], exponents: &ExponentChoice) -> f64 {
    let e1 = exponents.pick(0, &model.species_a().potential, &[u]);
    let e2 = exponents.pick(1, &model.species_b().potential, &[v]);
    let e12 = exponents.pick(2, model.inter_potential(), &[u, v]);
    let v12 = model.inter_potential();
    mean_field_constant(&model.species_a().potential, u, e1)
        + mean_field_constant(&model.species_b().potential, v, e2)
        + sum_space_norm(v12, e12) * (orbital_weight(u, e12) + orbital_weight(v, e12))
}

/// The proof evaluated at one time.
#[derive(Clone, Debug)]
pub struct ProofSnapshot {
    /// C_V1, C_V2, C_V12.
    pub terms: DerivativeTerms,
    /// The 16 pairs of C_V1.
    pub pairs_v1: PairTerms,
    /// The 16 pairs of C_V2.
    pub pairs_v2: PairTerms,
    /// The 16 pairs T of C_V12.
    pub pairs_v12: PairTerms,
    /// (pp,qq)₁, (pp,qq)₂, (pp,qq)₃ of C_V12.
    pub split: PpQqSplit,
    /// Bounds for the pairs of C_V1 (absent when N₁ = 1).
    pub bounds_v1: Option<IntraSpeciesBounds>,
    /// Bounds for the pairs of C_V2 (absent when N₂ = 1).
    pub bounds_v2: Option<IntraSpeciesBounds>,
    /// Bounds for the pairs of C_V12.
    pub bounds_v12: InterSpeciesBounds,
    /// A₁ + A₂ + A^u + A^v, the integrand of f(t) (2.19).
    pub constant_sum: f64,
    /// κ = max(κ₁, κ₂, κ₁₂).
    pub kappa: f64,
    /// B(t) = κ (A₁ + A₂ + A^u + A^v) (5.3).
    pub rate: f64,
}

impl ProofSnapshot {
    /// Evaluates every term, pair and bound for the state Ψ(t) and the Hartree pair (u_t, v_t).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: &Model,
        basis_a: &FockBasis,
        basis_b: &FockBasis,
        frame: &CondensateFrame,
        state: &[C64],
        u: &[C64],
        v: &[C64],
        alpha11: f64,
        exponents: &ExponentChoice,
    ) -> Result<Self> {
        let in_frame = frame.to_frame(state, u, v)?;
        let terms = derivative_terms(model, basis_a, basis_b, state, u, v)?;
        let (n1, n2) = (model.species_a().particles, model.species_b().particles);
        let zero_pairs = PairTerms {
            values: [[C64::new(0.0, 0.0); 4]; 4],
        };
        let pairs_v1 = if n1 >= 2 {
            intra_species_pairs(model, basis_a, basis_b, &in_frame, u, v, Component::A)?
        } else {
            zero_pairs
        };
        let pairs_v2 = if n2 >= 2 {
            intra_species_pairs(model, basis_a, basis_b, &in_frame, u, v, Component::B)?
        } else {
            zero_pairs
        };
        let pairs_v12 = inter_species_pairs(model, basis_a, basis_b, &in_frame, u, v)?;
        let split = pp_qq_split(model, basis_a, basis_b, &in_frame, u, v)?;
        let e1 = exponents.pick(0, &model.species_a().potential, &[u]);
        let e2 = exponents.pick(1, &model.species_b().potential, &[v]);
        let e12 = exponents.pick(2, model.inter_potential(), &[u, v]);
        let bounds_v1 =
            (n1 >= 2).then(|| IntraSpeciesBounds::new(model, Component::A, u, alpha11, e1));
        let bounds_v2 =
            (n2 >= 2).then(|| IntraSpeciesBounds::new(model, Component::B, v, alpha11, e2));
        let bounds_v12 = InterSpeciesBounds::new(model, u, v, alpha11, e12);
        let a1 = mean_field_constant(&model.species_a().potential, u, e1);
        let a2 = mean_field_constant(&model.species_b().potential, v, e2);
        let constant_sum = a1 + a2 + bounds_v12.constant_u + bounds_v12.constant_v;
        let kappa = kappa_intra(model.c1())
            .max(kappa_intra(model.c2()))
            .max(kappa_inter(model.c1(), model.c2()));
        Ok(ProofSnapshot {
            terms,
            pairs_v1,
            pairs_v2,
            pairs_v12,
            split,
            bounds_v1,
            bounds_v2,
            bounds_v12,
            constant_sum,
            kappa,
            rate: kappa * constant_sum,
        })
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
}

fn largest_ratio(measured_and_bounds: impl Iterator<Item = (C64, Option<f64>)>) -> f64 {
    measured_and_bounds
        .filter_map(|(value, bound)| bound.filter(|b| *b > 0.0).map(|b| value.norm() / b))
        .fold(0.0, f64::max)
}

impl ProofSnapshot {
    /// The largest measured/bound ratio per group.
    pub fn largest_ratios(&self) -> LargestRatios {
        let pairs = |terms: &PairTerms, bound: &dyn Fn(usize, usize) -> Option<f64>| {
            (0..4)
                .flat_map(move |l| (0..4).map(move |r| (l, r)))
                .map(|(l, r)| (terms.values[l][r], bound(l, r)))
                .collect::<Vec<_>>()
        };
        let intra = |total: C64, terms: &PairTerms, bounds: &Option<IntraSpeciesBounds>| {
            bounds.map(|b| {
                let mut all = pairs(terms, &|l, r| b.pair(l, r));
                all.push((total, Some(b.total)));
                largest_ratio(all.into_iter())
            })
        };
        let b12 = &self.bounds_v12;
        let mut inter = pairs(&self.pairs_v12, &|l, r| b12.pair(l, r));
        inter.extend([
            (self.terms.c_v12, Some(b12.total)),
            (self.split.first, Some(b12.pp_qq_1)),
            (self.split.second, Some(b12.pp_qq_2)),
            (self.split.third, Some(b12.pp_qq_3)),
        ]);
        LargestRatios {
            v1: intra(self.terms.c_v1, &self.pairs_v1, &self.bounds_v1),
            v2: intra(self.terms.c_v2, &self.pairs_v2, &self.bounds_v2),
            v12: largest_ratio(inter.into_iter()),
        }
    }
}
