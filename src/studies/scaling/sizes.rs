//! Which particle numbers a study visits: the ratio N₁ : N₂ held exactly fixed (so that
//! c₁ = N₁/(N₁+N₂) and c₂ are the same for every N), and the totals N = N₁ + N₂.

use crate::{Error, Result};

/// The most sizes one study may list (each is a whole exact run).
pub const MAX_SIZES: usize = 10_000;

/// The totals N of `--n-total`: a list `10,20,40`, an arithmetic range `20..200:20` (both ends
/// included) or a geometric one `16..2048:x2`. Returned sorted, without repeats; at most
/// `MAX_SIZES` of them.
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
    use crate::model::Ratio;

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
