//! The ratio N₁ : N₂ of a mixture, in lowest terms: what fixes c₁ = N₁/(N₁+N₂) and c₂ while N
//! grows (a scaling study) or in the limit (the Bogoliubov curves depend on nothing else).

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The ratio N₁ : N₂, in lowest terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    first: usize,
    second: usize,
}

impl Ratio {
    /// a : b with a, b ≥ 1, reduced to lowest terms.
    pub fn new(first: usize, second: usize) -> Result<Self> {
        if first == 0 || second == 0 {
            return Err(Error::invalid(
                "--ratio",
                "both species need particles: give a:b with a, b >= 1",
            ));
        }
        let g = gcd(first, second);
        Ok(Ratio {
            first: first / g,
            second: second / g,
        })
    }

    /// (a, b) in lowest terms.
    pub fn parts(&self) -> (usize, usize) {
        (self.first, self.second)
    }

    /// (N₁, N₂) for the total N, refused when N is not a multiple of a + b (the ratio would not
    /// hold exactly), with the nearest totals that work.
    pub fn split(&self, total: usize) -> Result<(usize, usize)> {
        let parts = self.first.checked_add(self.second).ok_or_else(|| {
            Error::invalid(
                "--ratio",
                format!("{self}: a + b overflows a machine integer"),
            )
        })?;
        if total == 0 || !total.is_multiple_of(parts) {
            let below = total / parts * parts;
            let hint = match (below > 0, below.checked_add(parts)) {
                (true, Some(above)) => format!("{below} or {above}"),
                (true, None) => below.to_string(),
                (false, Some(above)) => above.to_string(),
                (false, None) => "a smaller ratio".into(),
            };
            return Err(Error::invalid(
                "--n-total",
                format!(
                    "N = {total} cannot be split exactly as {self}: N must be a multiple of {parts} (try {hint})"
                ),
            ));
        }
        let unit = total / parts;
        Ok((unit * self.first, unit * self.second))
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.first, self.second)
    }
}

impl FromStr for Ratio {
    type Err = Error;

    /// `a:b`, e.g. `1:1` or `2:1`.
    fn from_str(text: &str) -> Result<Self> {
        let (a, b) = text.split_once(':').ok_or_else(|| {
            Error::invalid("--ratio", format!("'{text}' should read a:b, e.g. 1:1"))
        })?;
        let number = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| Error::invalid("--ratio", format!("'{t}' is not a whole number")))
        };
        Ratio::new(number(a)?, number(b)?)
    }
}
