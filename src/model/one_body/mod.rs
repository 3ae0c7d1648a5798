//! One-body objects on the lattice (SPEC §1): the Hamiltonians h₁, h₂ (assumption (A1)), the
//! pair potentials V₁, V₂, V₁₂ with their convolutions V * f, the orbitals u, v and lᵖ norms.

mod hamiltonian;
mod norms;
mod orbital;
mod potential;

pub use hamiltonian::{Kinetic, OneBodyHamiltonian};
pub use norms::lp_norm;
pub(crate) use orbital::check_normalised;
pub use orbital::{OrbitalSpec, NORMALISATION_TOLERANCE};
pub use potential::{PairPotential, PotentialSpec};

use crate::{Error, Result, C64};

/// Parses a comma-separated list of real numbers for the input named `what`.
pub(crate) fn parse_reals(what: &str, text: &str) -> Result<Vec<f64>> {
    text.split(',')
        .map(|s| {
            let s = s.trim();
            let v: f64 = s
                .parse()
                .map_err(|_| Error::invalid(what, format!("'{s}' is not a number")))?;
            if !v.is_finite() {
                return Err(Error::invalid(what, format!("'{s}' is not finite")));
            }
            Ok(v)
        })
        .collect()
}

/// Parses a complex number written `a`, `bi`, `a+bi` or `a-bi` (exponents allowed: `1e-3-2e-1i`).
pub(crate) fn parse_complex(what: &str, text: &str) -> Result<C64> {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bad = || {
        Error::invalid(
            what,
            format!("'{text}' is not a complex number (use 1.0+0.5i)"),
        )
    };
    let number = |t: &str| -> Result<f64> {
        match t {
            "" | "+" => Ok(1.0),
            "-" => Ok(-1.0),
            _ => t.parse::<f64>().map_err(|_| bad()),
        }
    };
    let value = if let Some(body) = s.strip_suffix(['i', 'j']) {
        // Split at the last sign that is not the leading one and not an exponent's.
        let bytes = body.as_bytes();
        let split = (1..bytes.len()).rev().find(|&k| {
            (bytes[k] == b'+' || bytes[k] == b'-') && !matches!(bytes[k - 1], b'e' | b'E')
        });
        match split {
            Some(k) => C64::new(
                number(&body[..k]).and_then(|re| {
                    if body[..k].is_empty() {
                        Err(bad())
                    } else {
                        Ok(re)
                    }
                })?,
                number(&body[k..])?,
            ),
            None => C64::new(0.0, number(body)?),
        }
    } else {
        C64::new(s.parse::<f64>().map_err(|_| bad())?, 0.0)
    };
    if !(value.re.is_finite() && value.im.is_finite()) {
        return Err(bad());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complex_numbers_in_every_written_form() {
        let cases = [
            ("1.0+0.5i", C64::new(1.0, 0.5)),
            ("-2", C64::new(-2.0, 0.0)),
            ("0.5i", C64::new(0.0, 0.5)),
            ("-i", C64::new(0.0, -1.0)),
            ("1e-3-2e-1i", C64::new(1e-3, -0.2)),
            ("-1.5e+2+3i", C64::new(-150.0, 3.0)),
        ];
        for (text, value) in cases {
            assert_eq!(parse_complex("x", text).unwrap(), value, "{text}");
        }
        for text in ["", "1+", "abc", "1+2", "nan"] {
            assert!(parse_complex("x", text).is_err(), "{text}");
        }
    }
}
