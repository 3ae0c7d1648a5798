//! The norms of assumption (A2) and Lemma 5.1 on the lattice (SPEC §5, "Norms").
//!
//! Exponents 2 ≤ r ≤ s ≤ ∞ with 1/r + 1/r̂ = 1/2, 1/s + 1/ŝ = 1/2 (2.16), and
//! ‖V‖_{L^r+L^s} = inf over splittings V = V_r + V_s of ‖V_r‖_r + ‖V_s‖_s.
//!
//! **The infimum on the lattice.** With the counting measure, lᵖ norms decrease in p:
//! ‖f‖_s ≤ ‖f‖_r for r ≤ s. So for every splitting ‖V_r‖_r + ‖V_s‖_s ≥ ‖V_r‖_s + ‖V_s‖_s ≥ ‖V‖_s
//! (triangle inequality), and V_r = 0 attains it: the convex problem is solved exactly by
//! ‖V‖_{L^r+L^s} = ‖V‖_s. (On ℝ³ the two spaces are not nested and the infimum is a genuine
//! trade-off; on a finite lattice with counting measure it is not.) The tests confirm this with a
//! brute-force search over splittings.
//!
//! Lemma 5.1: (5.11) ‖V*|φ|²‖_∞ ≤ ‖V‖_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ) and
//! (5.12) ‖V²*|φ|²‖_∞ ≤ 2‖V‖²_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ)².
//!
//! **Which values of V.** On the lattice the convolution is the matrix (V*f)(x) = Σ_{y∈Λ}
//! V(x−y) f(y), and every use of ‖V‖ in §5 goes through Lemma 5.1, a supremum over x of such a
//! sum. Its proof is Hölder's inequality in y at fixed x (Young's inequality with the output in
//! ℓ^∞), which needs the norm of the row V(x−·) on Λ, for every x. So ‖V‖_s here is the largest
//! row norm, max_x (Σ_{y∈Λ} |V(x−y)|^s)^{1/s}, and the infimum over splittings above is taken
//! row by row. On the ring and the torus every row is a permutation of every other, so this is
//! the norm of one row. On the chain it is not: row 0 holds the displacements 0, …, M−1 only,
//! while a middle row holds about −M/2, …, M/2, and the first row can be smaller by up to
//! 2^{1/s}. The largest row norm is never larger than the norm over all displacements Λ − Λ
//! (each row is a subset of them), and it is the smallest quantity for which the row-wise
//! Hölder step holds at every x, so it is the one used.

use std::fmt;
use std::str::FromStr;

use crate::measure::lemmas::Inequality;
use crate::model::one_body::{lp_norm, PairPotential};
use crate::{Error, Result, C64};

/// Exponents (r, s) with 2 ≤ r ≤ s ≤ ∞ (`f64::INFINITY` for ∞).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponents {
    r: f64,
    s: f64,
}

impl Exponents {
    /// Validated exponents.
    pub fn new(r: f64, s: f64) -> Result<Self> {
        if !(r >= 2.0 && s >= r) || r.is_nan() || s.is_nan() {
            return Err(Error::invalid(
                "exponents",
                format!("need 2 <= r <= s <= inf, got r = {r}, s = {s}"),
            ));
        }
        Ok(Exponents { r, s })
    }

    /// r.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// s.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// r̂ with 1/r + 1/r̂ = 1/2 (2.16).
    pub fn r_hat(&self) -> f64 {
        conjugate(self.r)
    }

    /// ŝ with 1/s + 1/ŝ = 1/2 (2.16).
    pub fn s_hat(&self) -> f64 {
        conjugate(self.s)
    }

    /// The pairs scanned by default: r, s ∈ {2, 3, 4, 6, ∞}, r ≤ s.
    pub fn default_scan() -> Vec<Exponents> {
        let values = [2.0, 3.0, 4.0, 6.0, f64::INFINITY];
        let mut out = Vec::new();
        for (i, &r) in values.iter().enumerate() {
            for &s in &values[i..] {
                out.push(Exponents { r, s });
            }
        }
        out
    }
}

impl fmt::Display for Exponents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |x: f64| {
            if x.is_infinite() {
                "inf".to_string()
            } else {
                format!("{x}")
            }
        };
        write!(f, "{}:{}", show(self.r), show(self.s))
    }
}

/// p̂ with 1/p + 1/p̂ = 1/2.
fn conjugate(p: f64) -> f64 {
    let inverse = 0.5 - 1.0 / p;
    if inverse <= 0.0 {
        f64::INFINITY
    } else {
        1.0 / inverse
    }
}

/// ‖f‖_p of real values.
fn real_norm(values: &[f64], p: f64) -> f64 {
    let as_complex: Vec<C64> = values.iter().map(|&x| C64::new(x, 0.0)).collect();
    lp_norm(&as_complex, p)
}

/// ‖V‖_{L^r+L^s} of the values of one row V(x−·): ‖V(x−·)‖_s (see the module documentation for
/// why the infimum over splittings is the ℓ^s norm).
pub fn row_sum_space_norm(row: &[f64], exponents: Exponents) -> f64 {
    real_norm(row, exponents.s)
}

/// ‖V‖_{L^r+L^s} on the lattice: the largest row norm max_x ‖V(x−·)‖_{ℓ^s(Λ)}, what Lemma 5.1's
/// row-wise Hölder step needs (see the module documentation).
pub fn sum_space_norm(potential: &PairPotential, exponents: Exponents) -> f64 {
    (0..potential.sites())
        .map(|x| row_sum_space_norm(potential.row(x), exponents))
        .fold(0.0, f64::max)
}

/// ‖V_r‖_r + ‖V − V_r‖_s for one splitting: the objective whose infimum is [`sum_space_norm`].
pub fn splitting_cost(values: &[f64], part_r: &[f64], exponents: Exponents) -> f64 {
    let rest: Vec<f64> = values.iter().zip(part_r).map(|(v, p)| v - p).collect();
    real_norm(part_r, exponents.r) + real_norm(&rest, exponents.s)
}

/// A = ‖V‖_{L^r+L^s}(‖φ‖_r̂ + ‖φ‖_ŝ), the quantity the bounds of §5 are written in.
pub fn mean_field_constant(
    potential: &PairPotential,
    orbital: &[C64],
    exponents: Exponents,
) -> f64 {
    sum_space_norm(potential, exponents) * orbital_weight(orbital, exponents)
}

/// ‖φ‖_r̂ + ‖φ‖_ŝ, the orbital's factor in A.
pub fn orbital_weight(orbital: &[C64], exponents: Exponents) -> f64 {
    OrbitalNorms::new(orbital).weight(exponents)
}

/// The ℓ^p norms of one orbital, each exponent's computed once (the exponent scan asks for the
/// same few p many times); `weight(e)` is the orbital's part of A, as [`orbital_weight`].
pub struct OrbitalNorms<'a> {
    orbital: &'a [C64],
    known: Vec<(u64, f64)>,
}

impl<'a> OrbitalNorms<'a> {
    pub fn new(orbital: &'a [C64]) -> Self {
        OrbitalNorms {
            orbital,
            known: Vec::new(),
        }
    }

    fn norm(&mut self, p: f64) -> f64 {
        if let Some(&(_, norm)) = self.known.iter().find(|(bits, _)| *bits == p.to_bits()) {
            return norm;
        }
        let norm = lp_norm(self.orbital, p);
        self.known.push((p.to_bits(), norm));
        norm
    }

    /// ‖orbital‖_{r̂} + ‖orbital‖_{ŝ}.
    pub fn weight(&mut self, e: Exponents) -> f64 {
        self.norm(e.r_hat()) + self.norm(e.s_hat())
    }
}

/// The exponents of `candidates` with the smallest A for this potential and orbital.
pub fn best_exponents(
    potential: &PairPotential,
    orbital: &[C64],
    candidates: &[Exponents],
) -> Result<(Exponents, f64)> {
    candidates
        .iter()
        .map(|&e| (e, mean_field_constant(potential, orbital, e)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| Error::invalid("exponents", "no candidate pair (r, s)"))
}

/// Lemma 5.1 for one potential, orbital and exponents: (5.11) and (5.12), both sides.
pub fn lemma_5_1(
    potential: &PairPotential,
    orbital: &[C64],
    exponents: Exponents,
) -> [Inequality; 2] {
    let norm = sum_space_norm(potential, exponents);
    let weight = orbital_weight(orbital, exponents);
    let sup = |f: Vec<f64>| f.into_iter().map(f64::abs).fold(0.0, f64::max);
    [
        Inequality {
            label: "(5.11) |V*|phi|^2|_inf <= |V|_{r+s} (|phi|_rhat + |phi|_shat)",
            left: sup(potential.convolve_density(orbital)),
            right: norm * weight,
        },
        Inequality {
            label: "(5.12) |V^2*|phi|^2|_inf <= 2 |V|^2_{r+s} (|phi|_rhat + |phi|_shat)^2",
            left: sup(potential.squared().convolve_density(orbital)),
            right: 2.0 * (norm * weight).powi(2),
        },
    ]
}

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
    /// The pairs this choice can pick for a potential (index 0: V₁, 1: V₂, 2: V₁₂).
    pub fn candidates(&self, index: usize) -> Vec<Exponents> {
        match self {
            ExponentChoice::Same(e) => vec![*e],
            ExponentChoice::Each(list) => vec![list[index]],
            ExponentChoice::Scan => Exponents::default_scan(),
        }
    }
}
