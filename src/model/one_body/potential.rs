//! Pair potentials V(x − y) on the lattice and their convolutions (SPEC §1, assumption (A2)).
//!
//! * `gauss:g,σ` — V(d) = g exp(−|d|²/(2σ²)), |d| the wrapped lattice distance;
//! * `contact:g` — V(d) = g δ_{d,0} (the Bose–Hubbard on-site interaction);
//! * `list:V0,V1,...` — explicit V(d) for the displacement indices d = 0..M−1 of
//!   [`Lattice::displacement_index`]; it must be even, V(d) = V(−d).

use std::fmt;
use std::str::FromStr;

use super::parse_reals;
use crate::model::lattice::Lattice;
use crate::{Error, Result, C64};

/// A potential as the user writes it, before it is placed on a lattice.
#[derive(Clone, Debug, PartialEq)]
pub enum PotentialSpec {
    /// g exp(−|d|²/(2σ²)).
    Gauss {
        /// Strength g.
        strength: f64,
        /// Width σ > 0.
        width: f64,
    },
    /// g δ_{d,0}.
    Contact {
        /// Strength g.
        strength: f64,
    },
    /// Explicit values V(d), d = 0..M−1.
    List(Vec<f64>),
}

impl FromStr for PotentialSpec {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let what = "potential";
        let (kind, args) = text.split_once(':').ok_or_else(|| {
            Error::invalid(
                what,
                format!("'{text}' should read gauss:g,sigma or contact:g or list:V0,V1,..."),
            )
        })?;
        let values = parse_reals(what, args)?;
        match (kind.trim(), values.as_slice()) {
            ("gauss", &[strength, width]) => {
                if width <= 0.0 {
                    return Err(Error::invalid(
                        what,
                        format!("gauss width must be > 0, got {width}"),
                    ));
                }
                Ok(PotentialSpec::Gauss { strength, width })
            }
            ("gauss", _) => Err(Error::invalid(
                what,
                "gauss takes two numbers: gauss:g,sigma",
            )),
            ("contact", &[strength]) => Ok(PotentialSpec::Contact { strength }),
            ("contact", _) => Err(Error::invalid(what, "contact takes one number: contact:g")),
            ("list", _) => Ok(PotentialSpec::List(values)),
            (other, _) => Err(Error::invalid(
                what,
                format!("unknown kind '{other}' (gauss, contact, list)"),
            )),
        }
    }
}

impl fmt::Display for PotentialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PotentialSpec::Gauss { strength, width } => write!(f, "gauss:{strength},{width}"),
            PotentialSpec::Contact { strength } => write!(f, "contact:{strength}"),
            PotentialSpec::List(v) => {
                let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
                write!(f, "list:{}", parts.join(","))
            }
        }
    }
}

impl PotentialSpec {
    /// Places the potential on a lattice, checking that a `list` has M entries and is even.
    pub fn on(&self, lattice: &Lattice) -> Result<PairPotential> {
        let m = lattice.sites();
        if let PotentialSpec::List(values) = self {
            if values.len() != m {
                return Err(Error::invalid(
                    "potential",
                    format!(
                        "list has {} values, the lattice has M = {m} sites",
                        values.len()
                    ),
                ));
            }
            for (d, &v) in values.iter().enumerate() {
                let opposite = values[lattice.opposite_displacement(d)];
                if v != opposite {
                    return Err(Error::invalid(
                        "potential",
                        format!("list must be even, V(d) = V(-d): V({d}) = {v} but V(-{d}) = {opposite}"),
                    ));
                }
            }
        }
        let value_at = |x: usize, y: usize| match self {
            PotentialSpec::Gauss { strength, width } => {
                let r = lattice.distance(x, y);
                strength * (-r * r / (2.0 * width * width)).exp()
            }
            PotentialSpec::Contact { strength } => {
                if x == y {
                    *strength
                } else {
                    0.0
                }
            }
            PotentialSpec::List(values) => values[lattice.displacement_index(x, y)],
        };
        let values = (0..m * m).map(|k| value_at(k / m, k % m)).collect();
        Ok(PairPotential { sites: m, values })
    }
}

/// A real, even pair potential on M sites, stored as the symmetric matrix V(x − y).
#[derive(Clone, Debug, PartialEq)]
pub struct PairPotential {
    sites: usize,
    values: Vec<f64>,
}

impl PairPotential {
    /// The potential that vanishes identically.
    pub fn zero(sites: usize) -> Self {
        PairPotential {
            sites,
            values: vec![0.0; sites * sites],
        }
    }

    /// Number of sites M.
    pub fn sites(&self) -> usize {
        self.sites
    }

    /// V(x − y).
    #[inline]
    pub fn value(&self, x: usize, y: usize) -> f64 {
        self.values[x * self.sites + y]
    }

    /// Row x of the matrix, V(x − ·).
    #[inline]
    pub fn row(&self, x: usize) -> &[f64] {
        &self.values[x * self.sites..(x + 1) * self.sites]
    }

    /// s·V.
    pub fn scaled(&self, s: f64) -> PairPotential {
        PairPotential {
            sites: self.sites,
            values: self.values.iter().map(|v| s * v).collect(),
        }
    }

    /// V² pointwise, the potential of Lemma 5.1 (5.12).
    pub fn squared(&self) -> PairPotential {
        PairPotential {
            sites: self.sites,
            values: self.values.iter().map(|v| v * v).collect(),
        }
    }

    /// (V * f)(x) = Σ_y V(x − y) f(y).
    pub fn convolve(&self, f: &[f64]) -> Vec<f64> {
        assert_eq!(f.len(), self.sites);
        (0..self.sites)
            .map(|x| self.row(x).iter().zip(f).map(|(v, f)| v * f).sum())
            .collect()
    }

    /// V * |u|², the mean-field potential of an orbital u.
    pub fn convolve_density(&self, u: &[C64]) -> Vec<f64> {
        let density: Vec<f64> = u.iter().map(|z| z.norm_sqr()).collect();
        self.convolve(&density)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lattice::Geometry;

    #[test]
    fn gauss_on_the_ring_uses_the_wrapped_distance() {
        let lattice = Lattice::ring(4).unwrap();
        let v = "gauss:2,1"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        assert!((v.value(0, 3) - 2.0 * (-0.5f64).exp()).abs() < 1e-15);
        assert!((v.value(0, 2) - 2.0 * (-2.0f64).exp()).abs() < 1e-15);
        assert_eq!(v.value(1, 2), v.value(2, 1));
    }

    #[test]
    fn list_must_match_the_lattice_and_be_even() {
        let ring = Lattice::ring(4).unwrap();
        assert!("list:1,0.5,0.2,0.5"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&ring)
            .is_ok());
        assert!("list:1,0.5,0.2,0.4"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&ring)
            .is_err());
        assert!("list:1,0.5"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&ring)
            .is_err());
        let chain = Lattice::new(Geometry::Chain(3)).unwrap();
        let v = "list:1,0.5,0.2"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&chain)
            .unwrap();
        assert_eq!(v.value(2, 0), 0.2);
    }

    #[test]
    fn convolution_of_a_contact_potential_is_pointwise() {
        let lattice = Lattice::ring(3).unwrap();
        let v = "contact:3"
            .parse::<PotentialSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        assert_eq!(v.convolve(&[1.0, 2.0, 0.5]), vec![3.0, 6.0, 1.5]);
        assert!("contact:1,2".parse::<PotentialSpec>().is_err());
        assert!("gauss:1,0".parse::<PotentialSpec>().is_err());
        assert!("yukawa:1".parse::<PotentialSpec>().is_err());
    }
}
