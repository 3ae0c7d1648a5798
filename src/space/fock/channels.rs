//! The off-diagonal part of a one-body operator, Σ_{x≠y} T_xy a†_x a_y, stored as hop
//! channels of contiguous segments, for kernels that stream through memory.
//!
//! One channel per pair (x, y) with T_xy ≠ 0. For a target state n′ with n′_x ≥ 1 the channel
//! adds T_xy √(n′_x (n′_y + 1)) ψ(n′ − e_x + e_y) to (Oψ)(n′). In rank order, consecutive targets
//! very often have consecutive sources (the hop leaves the lowest modes' pattern unchanged), so
//! the channel is stored as segments (target, source, length) with the real amplitudes in
//! order: applying it is a sum of contiguous, vectorisable runs
//! out[target + i] += T_xy · amplitude[i] · ψ[source + i] — no index per entry and no gather.

use faer::Mat;
use rayon::prelude::*;

use super::FockBasis;
use crate::{Error, Result, C64};

/// A run of consecutive targets fed by consecutive sources within one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First target rank.
    pub target: u32,
    /// First source rank.
    pub source: u32,
    /// Number of consecutive states.
    pub len: u32,
}

/// The channels of Σ_{x≠y} T_xy a†_x a_y on one basis.
#[derive(Clone, Debug)]
pub struct HopChannels {
    dim: usize,
    /// (x, y) of each channel, in lexicographic order.
    pairs: Vec<(usize, usize)>,
    /// T_xy of each channel.
    coefficients: Vec<C64>,
    /// `channel_start[k]..channel_start[k+1]` are the segments of channel k.
    channel_start: Vec<usize>,
    segments: Vec<Segment>,
    /// √(n′_x (n′_y + 1)) for the targets of every segment, in segment order.
    amplitudes: Vec<f64>,
    /// Offset of each segment's first amplitude.
    amplitude_start: Vec<usize>,
    /// Re T_xy · amplitude, one per amplitude: a real channel multiplies both parts of an entry
    /// by it (stored once, so that the tables of a row pass stay in the core's cache).
    scaled: Vec<f64>,
}

impl HopChannels {
    /// The channels of the off-diagonal part of T (an M × M matrix) on `basis`.
    pub fn new(basis: &FockBasis, one_body: &Mat<C64>) -> Result<Self> {
        let m = basis.modes();
        if one_body.nrows() != m || one_body.ncols() != m {
            return Err(Error::invalid(
                "one-body operator",
                format!(
                    "is {} x {}, the basis has {m} modes",
                    one_body.nrows(),
                    one_body.ncols()
                ),
            ));
        }
        if basis.dim() > u32::MAX as usize {
            return Err(Error::TooLarge(format!(
                "a species basis of dimension {} (at most {} per species)",
                basis.dim(),
                u32::MAX
            )));
        }
        let zero = C64::new(0.0, 0.0);
        let pairs: Vec<(usize, usize)> = (0..m)
            .flat_map(|x| (0..m).map(move |y| (x, y)))
            .filter(|&(x, y)| x != y && one_body[(x, y)] != zero)
            .collect();
        let per_channel: Vec<(Vec<Segment>, Vec<f64>)> = pairs
            .par_iter()
            .map(|&(x, y)| channel_segments(basis, x, y))
            .collect();
        let mut channels = HopChannels {
            dim: basis.dim(),
            pairs: pairs.clone(),
            coefficients: pairs.iter().map(|&(x, y)| one_body[(x, y)]).collect(),
            channel_start: vec![0],
            segments: Vec::new(),
            amplitudes: Vec::new(),
            amplitude_start: Vec::new(),
            scaled: Vec::new(),
        };
        for ((segments, amplitudes), &(x, y)) in per_channel.into_iter().zip(&pairs) {
            let t = one_body[(x, y)].re;
            channels.scaled.extend(amplitudes.iter().map(|&w| t * w));
            let mut offset = channels.amplitudes.len();
            for s in &segments {
                channels.amplitude_start.push(offset);
                offset += s.len as usize;
            }
            channels.segments.extend(segments);
            channels.amplitudes.extend(amplitudes);
            channels.channel_start.push(channels.segments.len());
        }
        Ok(channels)
    }

    /// The channels of every hop a†_x a_y, x ≠ y (T_xy = 1 for all of them).
    pub fn all_pairs(basis: &FockBasis) -> Result<Self> {
        let m = basis.modes();
        let ones = Mat::from_fn(m, m, |x, y| C64::new(if x == y { 0.0 } else { 1.0 }, 0.0));
        Self::new(basis, &ones)
    }

    /// The segments of channel (x, y), a†_x a_y, each with its amplitudes √(n′_x (n′_y + 1)), in
    /// rank order of the targets; None when the channel is not stored (T_xy = 0 or x = y).
    pub fn channel(&self, x: usize, y: usize) -> Option<impl Iterator<Item = (Segment, &[f64])>> {
        // The pairs are stored in lexicographic order (built x by x, then y by y).
        let k = self.pairs.binary_search(&(x, y)).ok()?;
        Some(
            (self.channel_start[k]..self.channel_start[k + 1]).map(move |s| {
                let segment = self.segments[s];
                let start = self.amplitude_start[s];
                (
                    segment,
                    &self.amplitudes[start..start + segment.len as usize],
                )
            }),
        )
    }

    /// Dimension of the basis.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of channels (pairs x ≠ y with T_xy ≠ 0).
    pub fn channels(&self) -> usize {
        self.coefficients.len()
    }

    /// Number of segments over all channels.
    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// Number of stored amplitudes (the nonzero off-diagonal matrix elements).
    pub fn nonzeros(&self) -> usize {
        self.amplitudes.len()
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.amplitudes.len() * 16
            + self.segments.len() * (std::mem::size_of::<Segment>() + 8)
            + self.coefficients.len() * 24
    }

    /// Every segment with its coefficient T_xy, its amplitudes and Re T_xy · amplitudes (each
    /// twice), channel by channel in the order (x, y) lexicographic: the order in which kernels
    /// add them up.
    #[inline(always)]
    pub fn for_each_segment(&self, mut f: impl FnMut(C64, Segment, &[f64], &[f64])) {
        for (t, segment, amplitudes, scaled) in self.segment_iter() {
            f(t, segment, amplitudes, scaled);
        }
    }

    /// The segments of [`Self::for_each_segment`] as an iterator (whose loop body is compiled
    /// where it is written, e.g. inside a function with wider vector instructions).
    #[inline(always)]
    pub fn segment_iter(&self) -> impl Iterator<Item = (C64, Segment, &[f64], &[f64])> + '_ {
        self.coefficients
            .iter()
            .enumerate()
            .flat_map(move |(k, &t)| {
                (self.channel_start[k]..self.channel_start[k + 1]).map(move |s| {
                    let segment = self.segments[s];
                    let start = self.amplitude_start[s];
                    let end = start + segment.len as usize;
                    (
                        t,
                        segment,
                        &self.amplitudes[start..end],
                        &self.scaled[start..end],
                    )
                })
            })
    }

    /// out += O_offdiagonal · x, with x and out vectors on the basis (for tests and small uses).
    pub fn apply_add(&self, x: &[C64], out: &mut [C64]) {
        assert_eq!(x.len(), self.dim);
        assert_eq!(out.len(), self.dim);
        self.for_each_segment(|t, s, amplitudes, _| {
            let (target, source, len) = (s.target as usize, s.source as usize, s.len as usize);
            add_segment(
                &mut out[target..target + len],
                t,
                amplitudes,
                &x[source..source + len],
            );
        });
    }
}

/// out[i] += t · amplitude[i] · x[i], written on real and imaginary parts so that it vectorises.
#[inline(always)]
fn add_segment(out: &mut [C64], t: C64, amplitudes: &[f64], x: &[C64]) {
    let (tr, ti) = (t.re, t.im);
    for ((o, &w), s) in out.iter_mut().zip(amplitudes).zip(x) {
        let (ar, ai) = (tr * w, ti * w);
        o.re += ar * s.re - ai * s.im;
        o.im += ar * s.im + ai * s.re;
    }
}

/// The segments of channel (x, y): targets n′ with n′_x ≥ 1 in rank order, sources
/// rank(n′ − e_x + e_y), amplitudes √(n′_x (n′_y + 1)).
fn channel_segments(basis: &FockBasis, x: usize, y: usize) -> (Vec<Segment>, Vec<f64>) {
    let mut scratch = vec![0u32; basis.modes()];
    let mut segments: Vec<Segment> = Vec::new();
    let mut amplitudes = Vec::new();
    for target in 0..basis.dim() {
        let occupation = basis.occupation(target);
        if occupation[x] == 0 {
            continue;
        }
        scratch.copy_from_slice(occupation);
        scratch[x] -= 1;
        scratch[y] += 1;
        let source = basis.rank(&scratch) as u32;
        let target = target as u32;
        amplitudes.push((occupation[x] as f64 * (occupation[y] as f64 + 1.0)).sqrt());
        match segments.last_mut() {
            Some(last) if last.target + last.len == target && last.source + last.len == source => {
                last.len += 1
            }
            _ => segments.push(Segment {
                target,
                source,
                len: 1,
            }),
        }
    }
    (segments, amplitudes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::fock::SpeciesOperator;

    #[test]
    fn a_channel_is_found_exactly_where_its_hop_is_nonzero() {
        // A chain of 5 sites with one long-range hop (0, 3): each stored channel (x, y) acts as
        // a†_x a_y, checked entry by entry against the dense matrix of that hop alone.
        let (m, n) = (5, 3);
        let basis = FockBasis::new(m, n).unwrap();
        let hops = |x: usize, y: usize| x.abs_diff(y) == 1 || (x, y) == (0, 3) || (x, y) == (3, 0);
        let t = Mat::from_fn(m, m, |x, y| {
            C64::new(if hops(x, y) { 1.0 } else { 0.0 }, 0.0)
        });
        let channels = HopChannels::new(&basis, &t).unwrap();
        for x in 0..m {
            for y in 0..m {
                let Some(segments) = channels.channel(x, y) else {
                    assert!(!hops(x, y), "({x}, {y}) missing");
                    continue;
                };
                assert!(hops(x, y), "({x}, {y}) should not be stored");
                let single = Mat::from_fn(m, m, |i, j| {
                    C64::new(if (i, j) == (x, y) { 1.0 } else { 0.0 }, 0.0)
                });
                let dense = SpeciesOperator::from_one_body(&basis, &single, |_| 0.0)
                    .unwrap()
                    .to_dense();
                let mut found = vec![vec![0.0; basis.dim()]; basis.dim()];
                for (segment, amplitudes) in segments {
                    for (j, &c) in amplitudes.iter().enumerate() {
                        found[segment.target as usize + j][segment.source as usize + j] = c;
                    }
                }
                for (r, row) in found.iter().enumerate() {
                    for (c, &value) in row.iter().enumerate() {
                        let expected = dense[(r, c)].re;
                        assert!(
                            (value - expected).abs() < 1e-12,
                            "({x}, {y}) entry ({r}, {c})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn channels_apply_the_same_operator_as_the_sparse_rows() {
        // An operator with complex off-diagonal entries everywhere: against the CSR matrix
        // built entry by entry from the matrix elements.
        for (m, n) in [(2, 5), (3, 4), (4, 6), (5, 2), (1, 3)] {
            let basis = FockBasis::new(m, n).unwrap();
            let t = Mat::from_fn(m, m, |x, y| {
                if x == y {
                    C64::new(0.0, 0.0)
                } else {
                    C64::new(0.3 + x as f64 - 0.7 * y as f64, 0.2 * (x * y) as f64 - 0.1)
                }
            });
            let channels = HopChannels::new(&basis, &t).unwrap();
            let dense = SpeciesOperator::from_one_body(&basis, &t, |_| 0.0)
                .unwrap()
                .to_dense();
            let x: Vec<C64> = (0..basis.dim())
                .map(|i| C64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
                .collect();
            let mut out = vec![C64::new(0.0, 0.0); basis.dim()];
            channels.apply_add(&x, &mut out);
            for r in 0..basis.dim() {
                let expected: C64 = (0..basis.dim()).map(|c| dense[(r, c)] * x[c]).sum();
                assert!((out[r] - expected).norm() < 1e-12, "m={m} n={n} row {r}");
            }
            assert_eq!(channels.nonzeros(), {
                let mut count = 0;
                for r in 0..basis.dim() {
                    for c in 0..basis.dim() {
                        if r != c && dense[(r, c)] != C64::new(0.0, 0.0) {
                            count += 1;
                        }
                    }
                }
                count
            });
        }
    }

    #[test]
    fn segments_are_long_on_a_ring() {
        // Ring of 4 sites, 20 bosons: the average segment is several states long.
        let basis = FockBasis::new(4, 20).unwrap();
        let t = Mat::from_fn(4, 4, |x, y| {
            if (x + 1) % 4 == y || (y + 1) % 4 == x {
                C64::new(-1.0, 0.0)
            } else {
                C64::new(0.0, 0.0)
            }
        });
        let channels = HopChannels::new(&basis, &t).unwrap();
        assert_eq!(channels.channels(), 8);
        assert!(channels.nonzeros() as f64 / channels.segments() as f64 > 5.0);
    }
}
