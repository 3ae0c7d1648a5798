//! Which particle numbers a study visits: the ratio N₁ : N₂ held exactly fixed (so that
//! c₁ = N₁/(N₁+N₂) and c₂ are the same for every N), and the totals N = N₁ + N₂.

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
        if total == 0 || total % parts != 0 {
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

/// The most sizes one study may list (each is a whole exact run).
pub const MAX_SIZES: usize = 10_000;

/// The totals N of `--n-total`: a list `10,20,40`, an arithmetic range `20..200:20` (both ends
/// included) or a geometric one `16..2048:x2`. Returned sorted, without repeats; at most
/// [`MAX_SIZES`] of them.
pub fn parse_totals(text: &str) -> Result<Vec<usize>> {
    let bad = |why: String| Error::invalid("--n-total", why);
    let number = |t: &str| {
        t.trim()
            .parse::<usize>()
            .map_err(|_| bad(format!("'{t}' is not a whole number")))
    };
    let mut totals = match text.split_once("..") {
        None => text.split(',').map(number).collect::<Result<Vec<_>>>()?,
        Some((from, rest)) => {
            let (to, step) = rest.split_once(':').ok_or_else(|| {
                bad(format!(
                    "'{text}': a range reads FROM..TO:STEP or FROM..TO:xFACTOR"
                ))
            })?;
            let (from, to) = (number(from)?, number(to)?);
            if from == 0 || to < from {
                return Err(bad(format!("'{text}': need 1 <= FROM <= TO")));
            }
            let mut list = Vec::new();
            if let Some(factor) = step.trim().strip_prefix('x') {
                let factor = number(factor)?;
                if factor < 2 {
                    return Err(bad(format!("'{text}': the factor must be at least 2")));
                }
                // The last step may overflow a machine integer: that ends the range.
                let mut n = Some(from);
                while let Some(value) = n.filter(|v| *v <= to) {
                    list.push(value);
                    n = value.checked_mul(factor);
                }
            } else {
                let step = number(step)?;
                if step == 0 {
                    return Err(bad(format!("'{text}': the step must be at least 1")));
                }
                let count = (to - from) / step + 1;
                if count > MAX_SIZES {
                    return Err(bad(format!(
                        "'{text}' lists {count} sizes, more than the {MAX_SIZES} a study may have"
                    )));
                }
                list.extend((from..=to).step_by(step));
            }
            list
        }
    };
    if totals.is_empty() {
        return Err(bad("no sizes given".into()));
    }
    if totals.len() > MAX_SIZES {
        return Err(bad(format!(
            "{} sizes, more than the {MAX_SIZES} a study may have",
            totals.len()
        )));
    }
    if totals.contains(&0) {
        return Err(bad("N = 0 has no particles".into()));
    }
    totals.sort_unstable();
    totals.dedup();
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_split_exactly_or_refuse() {
        let r: Ratio = "2:4".parse().unwrap();
        assert_eq!(r.to_string(), "1:2");
        assert_eq!(r.split(30).unwrap(), (10, 20));
        let message = r.split(31).unwrap_err().to_string();
        assert!(message.contains("30 or 33"), "{message}");
        assert!("0:1".parse::<Ratio>().is_err());
        assert!("1-1".parse::<Ratio>().is_err());
    }

    #[test]
    fn totals_from_lists_and_ranges() {
        assert_eq!(parse_totals("40,10,20,10").unwrap(), vec![10, 20, 40]);
        assert_eq!(
            parse_totals("20..100:20").unwrap(),
            vec![20, 40, 60, 80, 100]
        );
        assert_eq!(parse_totals("16..2048:x2").unwrap().len(), 8);
        assert_eq!(*parse_totals("16..2048:x2").unwrap().last().unwrap(), 2048);
        for bad in ["", "10,,20", "10..5:1", "1..9", "0", "2..8:x1", "2..8:0"] {
            assert!(parse_totals(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_to_the_largest_integer_end() {
        // A geometric range whose next term overflows stops at the last representable one
        // (it used to wrap around and loop for ever).
        let totals = parse_totals("2..18446744073709551615:x2").unwrap();
        assert_eq!(totals.len(), 63);
        assert_eq!(*totals.last().unwrap(), 1usize << 63);
        // An arithmetic range with more sizes than a study may have is refused, not built.
        assert!(parse_totals("1..18446744073709551615:1").is_err());
        // a + b of a ratio overflowing is refused.
        let huge = Ratio::new(usize::MAX, 1).unwrap();
        assert!(huge.split(10).is_err());
    }
}
