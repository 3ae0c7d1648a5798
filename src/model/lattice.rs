//! The finite lattice Λ of M sites that replaces ℝ³ (SPEC §1).
//!
//! Three geometries: `ring` (periodic, the default), `chain` (open) and `torus` L₁×L₂(×L₃)
//! (periodic in every direction). On the torus, site x = x₁ + L₁(x₂ + L₂x₃).
//! Displacements d = x − y are wrapped on periodic directions.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The shape of the lattice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Geometry {
    /// M sites on a circle, bonds x → x+1 mod M.
    Ring(usize),
    /// M sites on a segment, bonds x → x+1 for x < M−1.
    Chain(usize),
    /// L₁ × L₂ (× L₃) sites, periodic in every direction.
    Torus(Vec<usize>),
}

impl FromStr for Geometry {
    type Err = Error;

    /// Parses `ring`, `chain` (their size is given separately, see [`Geometry::with_sites`])
    /// or `torus:L1xL2[xL3]`.
    fn from_str(text: &str) -> Result<Self> {
        let bad = |reason: String| Error::invalid("--geometry", reason);
        let (kind, size) = match text.split_once(':') {
            Some((k, s)) => (k.trim(), Some(s.trim())),
            None => (text.trim(), None),
        };
        let parse_count = |s: &str| -> Result<usize> {
            s.parse::<usize>()
                .map_err(|_| bad(format!("'{s}' is not a whole number of sites")))
        };
        match (kind, size) {
            ("ring", None) => Ok(Geometry::Ring(0)),
            ("chain", None) => Ok(Geometry::Chain(0)),
            ("ring" | "chain", Some(_)) => Err(bad(format!(
                "'{text}': give the number of sites of a {kind} with --sites, and the geometry as '{kind}'"
            ))),
            ("torus", Some(s)) => {
                let extents = s
                    .split(['x', 'X'])
                    .map(parse_count)
                    .collect::<Result<Vec<_>>>()?;
                if !(2..=3).contains(&extents.len()) {
                    return Err(bad(format!(
                        "torus needs 2 or 3 extents (torus:L1xL2 or torus:L1xL2xL3), got '{s}'"
                    )));
                }
                Ok(Geometry::Torus(extents))
            }
            ("torus", None) => Err(bad("torus needs its extents, e.g. torus:3x3".into())),
            _ => Err(bad(format!(
                "'{text}' is not one of ring, chain, torus:L1xL2[xL3]"
            ))),
        }
    }
}

impl fmt::Display for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Geometry::Ring(_) => write!(f, "ring"),
            Geometry::Chain(_) => write!(f, "chain"),
            Geometry::Torus(l) => {
                let parts: Vec<String> = l.iter().map(|x| x.to_string()).collect();
                write!(f, "torus:{}", parts.join("x"))
            }
        }
    }
}

impl Geometry {
    /// Sets the number of sites of a ring or chain (a torus's size comes from its extents).
    pub fn with_sites(self, sites: usize) -> Self {
        match self {
            Geometry::Ring(_) => Geometry::Ring(sites),
            Geometry::Chain(_) => Geometry::Chain(sites),
            torus => torus,
        }
    }

    /// Number of sites, M (0 when a ring or chain has not been given its size).
    pub fn sites(&self) -> usize {
        match self {
            Geometry::Ring(m) | Geometry::Chain(m) => *m,
            Geometry::Torus(l) => l.iter().product(),
        }
    }
}

/// A directed bond x → x + e_d, carrying the Peierls phase e^{iφ} (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bond {
    /// Starting site x.
    pub from: usize,
    /// End site x + e_d.
    pub to: usize,
}

/// A validated lattice: the sites, their coordinates and bonds.
#[derive(Clone, Debug, PartialEq)]
pub struct Lattice {
    geometry: Geometry,
    extents: Vec<usize>,
    periodic: bool,
}

impl Lattice {
    /// Validates a geometry. Rings and tori need at least 2 sites per direction (a periodic
    /// direction of one site would bond a site to itself); a chain needs at least one site.
    pub fn new(geometry: Geometry) -> Result<Self> {
        let bad = |reason: String| Error::invalid("lattice", reason);
        let (extents, periodic) = match &geometry {
            Geometry::Ring(m) => {
                if *m < 2 {
                    return Err(bad(format!("a ring needs at least 2 sites, got {m}")));
                }
                (vec![*m], true)
            }
            Geometry::Chain(m) => {
                if *m < 1 {
                    return Err(bad("a chain needs at least 1 site".into()));
                }
                (vec![*m], false)
            }
            Geometry::Torus(l) => {
                if let Some(bad_l) = l.iter().find(|&&l| l < 2) {
                    return Err(bad(format!(
                        "every torus extent must be at least 2, got {bad_l} (use a ring or a smaller torus)"
                    )));
                }
                (l.clone(), true)
            }
        };
        Ok(Lattice {
            geometry,
            extents,
            periodic,
        })
    }

    /// A ring of M sites.
    pub fn ring(sites: usize) -> Result<Self> {
        Lattice::new(Geometry::Ring(sites))
    }

    /// The geometry this lattice was built from.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Number of sites M.
    pub fn sites(&self) -> usize {
        self.extents.iter().product()
    }

    /// Extent L_d of each direction (one entry for rings and chains).
    pub fn extents(&self) -> &[usize] {
        &self.extents
    }

    /// Whether displacements wrap around (ring, torus).
    pub fn is_periodic(&self) -> bool {
        self.periodic
    }

    /// Coordination number of the lattice, 2·(number of directions): the `deg` of
    /// h = J(deg·I − A_φ) (SPEC §1). It is a scalar multiple of the identity on every geometry
    /// (on the chain this is the Dirichlet lattice Laplacian).
    pub fn coordination(&self) -> usize {
        2 * self.extents.len()
    }

    /// Coordinates (x₁, x₂, x₃) of site x, x = x₁ + L₁(x₂ + L₂x₃).
    pub fn coordinates(&self, site: usize) -> Vec<usize> {
        let mut rest = site;
        self.extents
            .iter()
            .map(|&l| {
                let c = rest % l;
                rest /= l;
                c
            })
            .collect()
    }

    /// Site index of coordinates.
    pub fn site(&self, coordinates: &[usize]) -> usize {
        coordinates
            .iter()
            .zip(&self.extents)
            .rev()
            .fold(0, |acc, (&c, &l)| acc * l + c)
    }

    /// Every directed bond x → x + e_d (wrapped on periodic directions). On a ring of two sites
    /// the two bonds 0 → 1 and 1 → 0 join the same pair and their hoppings add up.
    pub fn bonds(&self) -> Vec<Bond> {
        let mut bonds = Vec::new();
        for from in 0..self.sites() {
            let coords = self.coordinates(from);
            for (d, &l) in self.extents.iter().enumerate() {
                if !self.periodic && coords[d] + 1 >= l {
                    continue;
                }
                let mut next = coords.clone();
                next[d] = (coords[d] + 1) % l;
                bonds.push(Bond {
                    from,
                    to: self.site(&next),
                });
            }
        }
        bonds
    }

    /// Components of the displacement x − y, each wrapped to its representative of least
    /// magnitude on periodic directions (in [−L/2, L/2)).
    pub fn displacement(&self, x: usize, y: usize) -> Vec<i64> {
        let (cx, cy) = (self.coordinates(x), self.coordinates(y));
        cx.iter()
            .zip(&cy)
            .zip(&self.extents)
            .map(|((&a, &b), &l)| {
                let d = a as i64 - b as i64;
                if self.periodic {
                    let l = l as i64;
                    let w = d.rem_euclid(l);
                    if 2 * w >= l {
                        w - l
                    } else {
                        w
                    }
                } else {
                    d
                }
            })
            .collect()
    }

    /// Euclidean length |x − y| of the wrapped displacement.
    pub fn distance(&self, x: usize, y: usize) -> f64 {
        self.displacement(x, y)
            .iter()
            .map(|&d| (d * d) as f64)
            .sum::<f64>()
            .sqrt()
    }

    /// Index of the displacement x − y in a `list:` potential: (x − y) mod M on the ring,
    /// |x − y| on the chain, and on the torus the site whose coordinates are the components
    /// (x_d − y_d) mod L_d.
    pub fn displacement_index(&self, x: usize, y: usize) -> usize {
        if !self.periodic {
            return x.abs_diff(y);
        }
        let (cx, cy) = (self.coordinates(x), self.coordinates(y));
        let comps: Vec<usize> = cx
            .iter()
            .zip(&cy)
            .zip(&self.extents)
            .map(|((&a, &b), &l)| (a + l - b) % l)
            .collect();
        self.site(&comps)
    }

    /// The displacement index of −d for displacement index d (identity on the chain).
    pub fn opposite_displacement(&self, index: usize) -> usize {
        if !self.periodic {
            return index;
        }
        let comps: Vec<usize> = self
            .coordinates(index)
            .iter()
            .zip(&self.extents)
            .map(|(&c, &l)| (l - c) % l)
            .collect();
        self.site(&comps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_of_two_has_two_bonds_between_the_same_sites() {
        let lattice = Lattice::ring(2).unwrap();
        assert_eq!(
            lattice.bonds(),
            vec![Bond { from: 0, to: 1 }, Bond { from: 1, to: 0 }]
        );
    }

    #[test]
    fn torus_coordinates_round_trip_and_bond_count() {
        let lattice = Lattice::new("torus:3x4".parse().unwrap()).unwrap();
        assert_eq!(lattice.sites(), 12);
        for x in 0..12 {
            assert_eq!(lattice.site(&lattice.coordinates(x)), x);
        }
        assert_eq!(lattice.bonds().len(), 24);
        assert_eq!(lattice.coordination(), 4);
    }

    #[test]
    fn displacements_wrap_on_the_ring_only() {
        let ring = Lattice::ring(5).unwrap();
        assert_eq!(ring.displacement(0, 4), vec![1]);
        assert_eq!(ring.distance(0, 3), 2.0);
        assert_eq!(ring.displacement_index(0, 4), 1);
        let chain = Lattice::new(Geometry::Chain(5)).unwrap();
        assert_eq!(chain.distance(0, 4), 4.0);
        assert_eq!(chain.bonds().len(), 4);
    }

    #[test]
    fn bad_geometries_are_refused() {
        assert!(Lattice::ring(1).is_err());
        assert!("torus:4".parse::<Geometry>().is_err());
        assert!(Lattice::new("torus:4x1".parse().unwrap()).is_err());
        assert!("sphere".parse::<Geometry>().is_err());
        assert!("ring:6".parse::<Geometry>().is_err());
    }
}
