//! One-body orbitals u ∈ C^M, normalised in l² (SPEC §1).
//!
//! * `gauss:c,w,k` — u(x) ∝ exp(−δ²/(2w²) + i k δ) with δ = ((x − c + M/2) mod M) − M/2 on the
//!   ring, δ = x − c on the chain, and the product of the 1-D forms on the torus;
//! * `site:x0` — the unit vector at x0;
//! * `plane:k` — e^{2πi k x/M}/√M (the product of 1-D forms on the torus);
//! * `list:a0,a1,...` — explicit complex coefficients (`1.0+0.5i`), normalised on input.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use super::{lp_norm, parse_complex, parse_reals};
use crate::model::lattice::Lattice;
use crate::{Error, Result, C64};

/// An orbital as the user writes it, before it is placed on a lattice.
#[derive(Clone, Debug, PartialEq)]
pub enum OrbitalSpec {
    /// Gaussian wave packet centred at c with width w and momentum k.
    Gauss {
        /// Centre c (a real coordinate, the same in every direction of a torus).
        center: f64,
        /// Width w > 0.
        width: f64,
        /// Momentum k.
        momentum: f64,
    },
    /// The unit vector at one site.
    Site(usize),
    /// A plane wave of (real) wave number k.
    Plane(f64),
    /// Explicit coefficients.
    List(Vec<C64>),
}

impl FromStr for OrbitalSpec {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let what = "orbital";
        let (kind, args) = text.split_once(':').ok_or_else(|| {
            Error::invalid(
                what,
                format!("'{text}' should read gauss:c,w,k or site:x0 or plane:k or list:a0,a1,..."),
            )
        })?;
        match kind.trim() {
            "gauss" => match parse_reals(what, args)?.as_slice() {
                &[center, width, momentum] => {
                    if width <= 0.0 {
                        return Err(Error::invalid(
                            what,
                            format!("gauss width must be > 0, got {width}"),
                        ));
                    }
                    Ok(OrbitalSpec::Gauss {
                        center,
                        width,
                        momentum,
                    })
                }
                _ => Err(Error::invalid(
                    what,
                    "gauss takes three numbers: gauss:c,w,k",
                )),
            },
            "site" => args
                .trim()
                .parse::<usize>()
                .map(OrbitalSpec::Site)
                .map_err(|_| {
                    Error::invalid(what, format!("site takes a site index, got '{args}'"))
                }),
            "plane" => match parse_reals(what, args)?.as_slice() {
                &[k] => Ok(OrbitalSpec::Plane(k)),
                _ => Err(Error::invalid(what, "plane takes one number: plane:k")),
            },
            "list" => args
                .split(',')
                .map(|s| parse_complex(what, s))
                .collect::<Result<Vec<_>>>()
                .map(OrbitalSpec::List),
            other => Err(Error::invalid(
                what,
                format!("unknown kind '{other}' (gauss, site, plane, list)"),
            )),
        }
    }
}

impl fmt::Display for OrbitalSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrbitalSpec::Gauss {
                center,
                width,
                momentum,
            } => write!(f, "gauss:{center},{width},{momentum}"),
            OrbitalSpec::Site(x) => write!(f, "site:{x}"),
            OrbitalSpec::Plane(k) => write!(f, "plane:{k}"),
            OrbitalSpec::List(v) => {
                let parts: Vec<String> = v.iter().map(|z| format!("{}{:+}i", z.re, z.im)).collect();
                write!(f, "list:{}", parts.join(","))
            }
        }
    }
}

impl OrbitalSpec {
    /// The orbital's coefficients on the lattice, normalised in l².
    pub fn on(&self, lattice: &Lattice) -> Result<Vec<C64>> {
        let m = lattice.sites();
        let raw: Vec<C64> = match self {
            OrbitalSpec::Gauss {
                center,
                width,
                momentum,
            } => (0..m)
                .map(|x| {
                    product_over_directions(lattice, x, |coordinate, extent| {
                        let delta = if lattice.is_periodic() {
                            let half = extent as f64 / 2.0;
                            (coordinate as f64 - center + half).rem_euclid(extent as f64) - half
                        } else {
                            coordinate as f64 - center
                        };
                        C64::new(-delta * delta / (2.0 * width * width), momentum * delta).exp()
                    })
                })
                .collect(),
            OrbitalSpec::Site(x0) => {
                if *x0 >= m {
                    return Err(Error::invalid(
                        "orbital",
                        format!("site:{x0} is outside the lattice of M = {m} sites"),
                    ));
                }
                (0..m)
                    .map(|x| C64::new(if x == *x0 { 1.0 } else { 0.0 }, 0.0))
                    .collect()
            }
            OrbitalSpec::Plane(k) => (0..m)
                .map(|x| {
                    product_over_directions(lattice, x, |coordinate, extent| {
                        C64::from_polar(1.0, 2.0 * PI * k * coordinate as f64 / extent as f64)
                    })
                })
                .collect(),
            OrbitalSpec::List(values) => {
                if values.len() != m {
                    return Err(Error::invalid(
                        "orbital",
                        format!(
                            "list has {} coefficients, the lattice has M = {m} sites",
                            values.len()
                        ),
                    ));
                }
                values.clone()
            }
        };
        let norm = lp_norm(&raw, 2.0);
        if !(norm > 0.0 && norm.is_finite()) {
            return Err(Error::invalid(
                "orbital",
                format!("{self} has no normalisable coefficients"),
            ));
        }
        Ok(raw.into_iter().map(|z| z / norm).collect())
    }
}

/// How far from 1 the norm of an orbital handed to a measurement may be: the Hartree pair keeps
/// ‖u_t‖ = 1 to the integrator's tolerance, a vector that is not normalised misses it by far more.
pub const NORMALISATION_TOLERANCE: f64 = 1e-6;

/// Checks an orbital handed to a measurement (the condensate u or v against which α, π or the
/// frame are taken): M finite coefficients with ‖u‖ = 1 (to [`NORMALISATION_TOLERANCE`]); the
/// formulas of (2.15) and (A.2) assume it, and an orbital of zeros would give α = 1 silently.
pub(crate) fn check_normalised(what: &str, orbital: &[C64], modes: usize) -> Result<()> {
    if orbital.len() != modes {
        return Err(Error::invalid(
            what,
            format!("{} coefficients for {modes} modes", orbital.len()),
        ));
    }
    if let Some(x) = orbital.iter().position(|z| !z.is_finite()) {
        return Err(Error::invalid(
            what,
            format!("coefficient {x} is not a finite number ({})", orbital[x]),
        ));
    }
    let norm = lp_norm(orbital, 2.0);
    if (norm - 1.0).abs() > NORMALISATION_TOLERANCE {
        return Err(Error::invalid(
            what,
            format!("must be a normalised orbital, its norm is {norm}"),
        ));
    }
    Ok(())
}

/// Π_d f(x_d, L_d) over the directions of the lattice.
fn product_over_directions(lattice: &Lattice, site: usize, f: impl Fn(usize, usize) -> C64) -> C64 {
    lattice
        .coordinates(site)
        .iter()
        .zip(lattice.extents())
        .map(|(&c, &l)| f(c, l))
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_on_the_ring_is_centred_by_wrapping() {
        let lattice = Lattice::ring(4).unwrap();
        let u = "gauss:0,1,0"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        // δ = 0, 1, −2, −1 for x = 0..3.
        let raw = [1.0, (-0.5f64).exp(), (-2.0f64).exp(), (-0.5f64).exp()];
        let n = raw.iter().map(|r| r * r).sum::<f64>().sqrt();
        for x in 0..4 {
            assert!((u[x].re - raw[x] / n).abs() < 1e-15 && u[x].im.abs() < 1e-15);
        }
    }

    #[test]
    fn momentum_gives_the_phase_k_delta() {
        let lattice = Lattice::ring(4).unwrap();
        let u = "gauss:2,1,-0.3"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        // x = 1: δ = ((1 − 2 + 2) mod 4) − 2 = −1, so the phase is +0.3.
        assert!((u[1].arg() - 0.3).abs() < 1e-14);
        assert!((lp_norm(&u, 2.0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn list_plane_and_site() {
        let lattice = Lattice::ring(2).unwrap();
        let u = "list:1,1i"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        assert!((u[1] - C64::new(0.0, 0.5f64.sqrt())).norm() < 1e-15);
        let p = "plane:1"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .unwrap();
        assert!((p[1] + C64::new(0.5f64.sqrt(), 0.0)).norm() < 1e-15);
        assert!("site:2"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .is_err());
        assert!("list:0,0"
            .parse::<OrbitalSpec>()
            .unwrap()
            .on(&lattice)
            .is_err());
    }
}
