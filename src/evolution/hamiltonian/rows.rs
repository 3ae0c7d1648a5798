//! The row operations of the kernel on interleaved reals: a complex row (z₀, z₁, …) is read as
//! (Re z₀, Im z₀, Re z₁, …), so that a real factor per entry (stored twice, once for each
//! part) or a real coefficient makes every operation an element-wise product on one array of
//! f64 — no shuffles, full vector width. Complex coefficients keep a general path. Each
//! operation is the same sequence of roundings on every vector width (no fused multiply-add
//! contraction in Rust), so results do not depend on the processor; the dot product adds in
//! eight fixed lanes, so it too is the same on every run.

use std::sync::OnceLock;

use crate::C64;

/// The vector instructions that code compiled per unit runs with: the widest the processor has
/// (AVX-512 with FMA, AVX2 with FMA, or the baseline), narrowed by the environment variable
/// `PICKL_VECTOR_UNIT=baseline|avx2`; decided once per process. Every unit gives the same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VectorUnit {
    Avx512,
    Avx2,
    Baseline,
}

impl VectorUnit {
    /// The unit of this process (see the type).
    pub(crate) fn current() -> Self {
        static UNIT: OnceLock<VectorUnit> = OnceLock::new();
        *UNIT.get_or_init(|| {
            let widest = Self::detect();
            match std::env::var("PICKL_VECTOR_UNIT").as_deref() {
                Ok("baseline") => VectorUnit::Baseline,
                Ok("avx2") if widest != VectorUnit::Baseline => VectorUnit::Avx2,
                _ => widest,
            }
        })
    }

    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return VectorUnit::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return VectorUnit::Avx2;
            }
        }
        VectorUnit::Baseline
    }
}

/// A complex slice as its interleaved real and imaginary parts.
#[inline(always)]
pub(crate) fn reals(x: &[C64]) -> &[f64] {
    // SAFETY: Complex<f64> is #[repr(C)] { re: f64, im: f64 }: two f64 without padding, so
    // `len` complex numbers are 2·len f64 at the same address and alignment.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f64>(), 2 * x.len()) }
}

/// [`reals`] for a mutable slice.
#[inline(always)]
pub(crate) fn reals_mut(x: &mut [C64]) -> &mut [f64] {
    // SAFETY: as in `reals`; the borrow of `x` is handed on.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f64>(), 2 * x.len()) }
}

/// out ← out + c·x for a complex number c (real c: one product per part).
#[inline(always)]
pub(crate) fn add_scaled(out: &mut [f64], c: C64, x: &[f64]) {
    let (cr, ci) = (c.re, c.im);
    if ci == 0.0 {
        out.iter_mut().zip(x).for_each(|(o, &x)| *o += cr * x);
    } else if cr == 0.0 {
        // i·ci·(a + ib) = −ci·b + i·ci·a
        out.chunks_exact_mut(2)
            .zip(x.chunks_exact(2))
            .for_each(|(o, x)| {
                o[0] -= ci * x[1];
                o[1] += ci * x[0];
            });
    } else {
        out.chunks_exact_mut(2)
            .zip(x.chunks_exact(2))
            .for_each(|(o, x)| {
                o[0] += cr * x[0] - ci * x[1];
                o[1] += cr * x[1] + ci * x[0];
            });
    }
}

/// out ← (out + c₁·x₁) + c₂·x₂: [`add_scaled`] twice, a few cache lines at a time, so that
/// `out` is read and written once (the same roundings as the two calls one after the other).
#[inline(always)]
pub(crate) fn add_two_scaled(out: &mut [f64], (c1, x1): (C64, &[f64]), (c2, x2): (C64, &[f64])) {
    const PIECE: usize = 256;
    for ((out, x1), x2) in out
        .chunks_mut(PIECE)
        .zip(x1.chunks(PIECE))
        .zip(x2.chunks(PIECE))
    {
        add_scaled(out, c1, x1);
        add_scaled(out, c2, x2);
    }
}

/// ⟨x, y⟩ = Σ conj(x_i) y_i of two interleaved rows, in eight fixed lanes: lane k adds
/// x_k y_k (the real part) and x_k y_{k^1} (the imaginary part: Re x · Im y on even lanes minus
/// Im x · Re y on odd ones), element-wise products that vectorise, added up in a fixed tree.
#[inline(always)]
pub(crate) fn dot(x: &[f64], y: &[f64]) -> C64 {
    let whole = x.len().min(y.len()) / 8 * 8;
    let mut lanes = DotLanes::default();
    lanes.add(&x[..whole], &y[..whole]);
    lanes.finish(&x[whole..], &y[whole..])
}

/// The eight lanes of [`dot`] carried over a row taken piece by piece: pieces whose lengths are
/// multiples of eight, [`DotLanes::add`]ed in order and [`DotLanes::finish`]ed with the row's
/// ragged end, give the bits of [`dot`] on the whole row.
#[derive(Clone, Copy, Default)]
pub(crate) struct DotLanes {
    re: [f64; 8],
    im: [f64; 8],
}

impl DotLanes {
    /// The products of a piece of eight-entry blocks into the lanes.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: &[f64], y: &[f64]) {
        debug_assert!(x.len().is_multiple_of(8) && x.len() == y.len());
        let (re, im) = (&mut self.re, &mut self.im);
        for (x, y) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
            for k in 0..8 {
                re[k] += x[k] * y[k];
                im[k] += x[k] * y[k ^ 1];
            }
        }
    }

    /// ⟨x, y⟩: the ragged end (fewer than eight entries) into the lanes, the lanes added up.
    #[inline(always)]
    pub(crate) fn finish(mut self, x_tail: &[f64], y_tail: &[f64]) -> C64 {
        finish_dot(&mut self.re, &mut self.im, x_tail, y_tail)
    }
}

/// The end of [`dot`]: the entries after the last whole block of eight into their lanes, then
/// the lanes added in a fixed tree.
#[inline(always)]
fn finish_dot(re: &mut [f64; 8], im: &mut [f64; 8], x_tail: &[f64], y_tail: &[f64]) -> C64 {
    for k in 0..x_tail.len().min(y_tail.len()) {
        re[k] += x_tail[k] * y_tail[k];
        im[k] += x_tail[k] * y_tail[k ^ 1];
    }
    let re = ((re[0] + re[1]) + (re[2] + re[3])) + ((re[4] + re[5]) + (re[6] + re[7]));
    let im = ((im[0] - im[1]) + (im[2] - im[3])) + ((im[4] - im[5]) + (im[6] - im[7]));
    C64::new(re, im)
}

/// `per_vector_unit!(fn name(args) -> ret => body);` defines `name`, which runs `body(args)`
/// (an `#[inline(always)]` function) compiled for the [`VectorUnit`] of the process: one copy
/// per unit, chosen at run time. The body's operations are the same on every unit, so are its
/// bits. As for the kernel's `vectorised!`, closures in the body's hot loops escape the unit.
macro_rules! per_vector_unit {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:path) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                use $crate::evolution::hamiltonian::rows::VectorUnit;
                #[target_feature(enable = "avx512f,avx2,fma")]
                fn avx512($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                match VectorUnit::current() {
                    // SAFETY: the processor has the unit's features (detected by VectorUnit).
                    VectorUnit::Avx512 => return unsafe { avx512($($arg),*) },
                    // SAFETY: as above.
                    VectorUnit::Avx2 => return unsafe { avx2($($arg),*) },
                    VectorUnit::Baseline => {}
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use per_vector_unit;

/// [`dot`] of each row of `xs` with one row y: for each, the same lanes, products and sums as
/// [`dot`] (so the same bits as N calls). With AVX-512, y is read once and 2N independent sums
/// are in flight (one dot alone waits on its two chains of additions).
#[inline(always)]
pub(crate) fn dots<const N: usize>(xs: [&[f64]; N], y: &[f64]) -> [C64; N] {
    let len = y.len();
    assert!(xs.iter().all(|x| x.len() == len));
    #[cfg(target_arch = "x86_64")]
    if VectorUnit::current() == VectorUnit::Avx512 {
        let full = len - len % 8;
        let mut re = [[0.0f64; 8]; N];
        let mut im = [[0.0f64; 8]; N];
        // SAFETY: the processor has AVX-512F; every row holds `full` entries.
        unsafe { dots_avx512(&xs, y, full, &mut re, &mut im) };
        let mut out = [C64::new(0.0, 0.0); N];
        for n in 0..N {
            out[n] = finish_dot(&mut re[n], &mut im[n], &xs[n][full..], &y[full..]);
        }
        return out;
    }
    // Narrower units: one dot at a time (the portable loops over several rows vectorise worse).
    let mut out = [C64::new(0.0, 0.0); N];
    for n in 0..N {
        out[n] = dot(xs[n], y);
    }
    out
}

/// The eight-entry blocks of [`dots`] before `full`, in AVX-512: lane k of a block adds
/// x_k y_k to `re` and x_k y_{k^1} to `im`, a product then a sum, as [`dot`] does.
///
/// # Safety
/// AVX-512F; every row of `xs` and `y` holds at least `full` entries.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn dots_avx512<const N: usize>(
    xs: &[&[f64]; N],
    y: &[f64],
    full: usize,
    re: &mut [[f64; 8]; N],
    im: &mut [[f64; 8]; N],
) {
    use std::arch::x86_64::*;
    let mut sums_re = [_mm512_setzero_pd(); N];
    let mut sums_im = [_mm512_setzero_pd(); N];
    for start in (0..full).step_by(8) {
        // SAFETY: start + 8 ≤ full ≤ every row's length (the caller's guarantee).
        unsafe {
            let yv = _mm512_loadu_pd(y.as_ptr().add(start));
            let swapped = _mm512_permute_pd::<0x55>(yv);
            for n in 0..N {
                let xv = _mm512_loadu_pd(xs[n].as_ptr().add(start));
                sums_re[n] = _mm512_add_pd(sums_re[n], _mm512_mul_pd(xv, yv));
                sums_im[n] = _mm512_add_pd(sums_im[n], _mm512_mul_pd(xv, swapped));
            }
        }
    }
    for n in 0..N {
        // SAFETY: eight entries each.
        unsafe {
            _mm512_storeu_pd(re[n].as_mut_ptr(), sums_re[n]);
            _mm512_storeu_pd(im[n].as_mut_ptr(), sums_im[n]);
        }
    }
}

/// Which dots of a block of rows with a row y [`block_dots`] takes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Weighting<'w> {
    /// With y: [`dots`].
    Plain,
    /// With y ⊙ w only: [`dots_weighted`] without its plain dots.
    Weighted(&'w [f64]),
    /// With y and with y ⊙ w: [`dots_weighted`].
    PlainAndWeighted(&'w [f64]),
}

/// The dots of the first `count` (1 to 4) rows of `xs` with y as `weighting` asks, in one block:
/// (with y, with y ⊙ w), each with the bits of [`dot`] row by row; the entries not asked for,
/// and those past `count`, come back zero.
#[inline(always)]
pub(crate) fn block_dots(
    count: usize,
    xs: [&[f64]; 4],
    y: &[f64],
    weighting: Weighting,
) -> ([C64; 4], [C64; 4]) {
    #[inline(always)]
    fn first<const N: usize>(
        xs: [&[f64]; 4],
        y: &[f64],
        weighting: Weighting,
    ) -> ([C64; 4], [C64; 4]) {
        let xs: [&[f64]; N] = std::array::from_fn(|i| xs[i]);
        let zero = [C64::new(0.0, 0.0); N];
        let (plain, weighted) = match weighting {
            Weighting::Plain => (dots(xs, y), zero),
            Weighting::Weighted(w) => dots_weighted::<N, false>(xs, y, w),
            Weighting::PlainAndWeighted(w) => dots_weighted::<N, true>(xs, y, w),
        };
        let widen = |v: [C64; N]| std::array::from_fn(|i| v.get(i).copied().unwrap_or_default());
        (widen(plain), widen(weighted))
    }
    match count {
        1 => first::<1>(xs, y, weighting),
        2 => first::<2>(xs, y, weighting),
        3 => first::<3>(xs, y, weighting),
        _ => first::<4>(xs, y, weighting),
    }
}

/// [`dots`] of each row of `xs` with y ⊙ w, the row y weighted entry by entry (w holds one real
/// per complex entry of y), and with y itself when `PLAIN` (else those come back zero): the
/// weighted row formed as y_b w_b would be and dotted as [`dots`] dots it (so the same bits as
/// [`dot`] with the weighted row stored), but never stored — it is formed block by block where the
/// rows are read, and y is read once for both kinds of dot.
#[inline(always)]
pub(crate) fn dots_weighted<const N: usize, const PLAIN: bool>(
    xs: [&[f64]; N],
    y: &[f64],
    w: &[f64],
) -> ([C64; N], [C64; N]) {
    let len = y.len();
    assert!(xs.iter().all(|x| x.len() == len) && 2 * w.len() == len);
    let weighted = |piece: &[f64], start: usize, out: &mut [f64]| {
        for (k, (o, &v)) in out.iter_mut().zip(piece).enumerate() {
            *o = v * w[(start + k) / 2];
        }
    };
    let zero = C64::new(0.0, 0.0);
    let (mut plain, mut with_weight) = ([zero; N], [zero; N]);
    #[cfg(target_arch = "x86_64")]
    if VectorUnit::current() == VectorUnit::Avx512 {
        let full = len - len % 8;
        let mut lanes = [[[0.0f64; 8]; 2]; N];
        let mut weighted_lanes = [[[0.0f64; 8]; 2]; N];
        // SAFETY: the processor has AVX-512F; every row holds `full` entries, w half as many.
        unsafe {
            dots_weighted_avx512::<N, PLAIN>(&xs, y, w, full, &mut lanes, &mut weighted_lanes)
        };
        let mut tail = [0.0; 8];
        weighted(&y[full..], full, &mut tail);
        let tail = &tail[..len - full];
        for n in 0..N {
            let x_tail = &xs[n][full..];
            let [re, im] = &mut weighted_lanes[n];
            with_weight[n] = finish_dot(re, im, x_tail, tail);
            if PLAIN {
                let [re, im] = &mut lanes[n];
                plain[n] = finish_dot(re, im, x_tail, &y[full..]);
            }
        }
        return (plain, with_weight);
    }
    // Narrower units: the lanes of [`dot`] carried over pieces of the row, the weighted piece
    // formed on the stack.
    const PIECE: usize = 64;
    let whole = len / 8 * 8;
    let (mut lanes, mut weighted_lanes) = ([DotLanes::default(); N], [DotLanes::default(); N]);
    let mut piece = [0.0; PIECE];
    for start in (0..whole).step_by(PIECE) {
        let end = (start + PIECE).min(whole);
        let formed = &mut piece[..end - start];
        weighted(&y[start..end], start, formed);
        for n in 0..N {
            weighted_lanes[n].add(&xs[n][start..end], formed);
            if PLAIN {
                lanes[n].add(&xs[n][start..end], &y[start..end]);
            }
        }
    }
    let formed = &mut piece[..len - whole];
    weighted(&y[whole..], whole, formed);
    for n in 0..N {
        with_weight[n] = weighted_lanes[n].finish(&xs[n][whole..], formed);
        if PLAIN {
            plain[n] = lanes[n].finish(&xs[n][whole..], &y[whole..]);
        }
    }
    (plain, with_weight)
}

/// The eight-entry blocks of [`dots_weighted`] before `full`, in AVX-512: the block of y times
/// its four weights (each spread over its entry's two parts), then the products and sums of
/// [`dots_avx512`] with it, and with y itself when `PLAIN`.
///
/// # Safety
/// AVX-512F; every row of `xs` and `y` holds at least `full` entries, `w` at least `full / 2`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn dots_weighted_avx512<const N: usize, const PLAIN: bool>(
    xs: &[&[f64]; N],
    y: &[f64],
    w: &[f64],
    full: usize,
    lanes: &mut [[[f64; 8]; 2]; N],
    weighted_lanes: &mut [[[f64; 8]; 2]; N],
) {
    use std::arch::x86_64::*;
    let spread = _mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0);
    let mut sums = [[_mm512_setzero_pd(); 2]; N];
    let mut weighted_sums = [[_mm512_setzero_pd(); 2]; N];
    for start in (0..full).step_by(8) {
        // SAFETY: start + 8 ≤ full ≤ every row's length, start / 2 + 4 ≤ w's (the caller's
        // guarantee).
        unsafe {
            let yv = _mm512_loadu_pd(y.as_ptr().add(start));
            let four = _mm256_loadu_pd(w.as_ptr().add(start / 2));
            let weights = _mm512_permutexvar_pd(spread, _mm512_castpd256_pd512(four));
            let yw = _mm512_mul_pd(yv, weights);
            let yw_swapped = _mm512_permute_pd::<0x55>(yw);
            let swapped = _mm512_permute_pd::<0x55>(yv);
            for n in 0..N {
                let xv = _mm512_loadu_pd(xs[n].as_ptr().add(start));
                let [re, im] = &mut weighted_sums[n];
                *re = _mm512_add_pd(*re, _mm512_mul_pd(xv, yw));
                *im = _mm512_add_pd(*im, _mm512_mul_pd(xv, yw_swapped));
                if PLAIN {
                    let [re, im] = &mut sums[n];
                    *re = _mm512_add_pd(*re, _mm512_mul_pd(xv, yv));
                    *im = _mm512_add_pd(*im, _mm512_mul_pd(xv, swapped));
                }
            }
        }
    }
    for n in 0..N {
        for part in 0..2 {
            // SAFETY: eight entries each.
            unsafe {
                _mm512_storeu_pd(lanes[n][part].as_mut_ptr(), sums[n][part]);
                _mm512_storeu_pd(weighted_lanes[n][part].as_mut_ptr(), weighted_sums[n][part]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, seed: f64) -> Vec<C64> {
        (0..n)
            .map(|i| C64::new((seed * i as f64).sin(), (seed + 0.3 * i as f64).cos()))
            .collect()
    }

    /// Several dots at once are, bit for bit, the dots one at a time (on the process's unit; the
    /// others call `dot` itself), for lengths with and without a ragged end.
    #[test]
    fn several_dots_at_once_are_the_single_dots() {
        for n in [0, 1, 3, 4, 5, 17, 40] {
            let y = row(n, 0.3);
            let xs: Vec<Vec<C64>> = (0..4).map(|k| row(n, 1.1 + k as f64)).collect();
            let xs = [0, 1, 2, 3].map(|k| reals(&xs[k]));
            let together = dots(xs, reals(&y));
            for (x, value) in xs.iter().zip(together) {
                let alone = dot(x, reals(&y));
                assert_eq!(value.re.to_bits(), alone.re.to_bits());
                assert_eq!(value.im.to_bits(), alone.im.to_bits());
            }
        }
    }

    /// Dots with the weighted row formed on the fly are, bit for bit, [`dot`] with the weighted
    /// row stored (each entry times its weight, as a complex times a real), and the plain dots
    /// [`dot`] itself, for lengths with and without a ragged end and across the pieces.
    #[test]
    fn weighted_dots_are_the_dots_of_the_stored_weighted_row() {
        for n in [0, 1, 3, 4, 5, 17, 40, 100] {
            let y = row(n, 0.3);
            let w: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 - 1.5).collect();
            let stored: Vec<C64> = y.iter().zip(&w).map(|(&z, &v)| z * v).collect();
            let xs: Vec<Vec<C64>> = (0..3).map(|k| row(n, 1.1 + k as f64)).collect();
            let xs = [0, 1, 2].map(|k| reals(&xs[k]));
            let (plain, weighted) = dots_weighted::<3, true>(xs, reals(&y), &w);
            let (none, only) = dots_weighted::<3, false>(xs, reals(&y), &w);
            for k in 0..3 {
                let pairs = [
                    (plain[k], dot(xs[k], reals(&y))),
                    (weighted[k], dot(xs[k], reals(&stored))),
                    (only[k], dot(xs[k], reals(&stored))),
                    (none[k], C64::new(0.0, 0.0)),
                ];
                for (value, alone) in pairs {
                    assert_eq!(value.re.to_bits(), alone.re.to_bits(), "n = {n}");
                    assert_eq!(value.im.to_bits(), alone.im.to_bits(), "n = {n}");
                }
            }
        }
    }

    /// Two terms added in one sweep are, bit for bit, the two terms added one after the other
    /// (the order of the roundings kept), for real, imaginary and complex weights and lengths
    /// across the sweep's pieces.
    #[test]
    fn two_terms_in_one_sweep_are_the_terms_one_after_the_other() {
        let weights = [C64::new(0.7, 0.0), C64::new(0.0, -1.3), C64::new(0.4, 2.1)];
        for n in [0, 1, 5, 127, 128, 129, 300] {
            let (x1, x2, start) = (row(n, 0.9), row(n, 2.3), row(n, 0.1));
            for (c1, c2) in weights.iter().flat_map(|&a| weights.map(|b| (a, b))) {
                let mut once = start.clone();
                add_two_scaled(reals_mut(&mut once), (c1, reals(&x1)), (c2, reals(&x2)));
                let mut twice = start.clone();
                add_scaled(reals_mut(&mut twice), c1, reals(&x1));
                add_scaled(reals_mut(&mut twice), c2, reals(&x2));
                for (a, b) in once.iter().zip(&twice) {
                    assert_eq!(a.re.to_bits(), b.re.to_bits(), "n = {n}, {c1}, {c2}");
                    assert_eq!(a.im.to_bits(), b.im.to_bits(), "n = {n}, {c1}, {c2}");
                }
            }
        }
    }

    #[test]
    fn operations_match_complex_arithmetic() {
        for n in [0, 1, 3, 4, 5, 17] {
            let (x, y) = (row(n, 0.7), row(n, 1.9));
            let expected: C64 = x.iter().zip(&y).map(|(a, b)| a.conj() * b).sum();
            assert!((dot(reals(&x), reals(&y)) - expected).norm() < 1e-13);
            for c in [C64::new(0.3, 0.0), C64::new(0.0, -1.2), C64::new(0.4, 0.9)] {
                let mut out = y.clone();
                add_scaled(reals_mut(&mut out), c, reals(&x));
                for i in 0..n {
                    assert!((out[i] - (y[i] + c * x[i])).norm() < 1e-15);
                }
            }
        }
    }
}
