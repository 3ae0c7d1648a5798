//! Tiles of rows laid side by side: column b of a tile of four rows of Ψ is one 512-bit vector
//! ([`Lanes`]: the four rows' complex entries at b), so that an operator acting within each row
//! the same way for every row (H_B in the kernel, N_v^B in the indicators) moves one vector per
//! term, with one weight, and no gathers. The steps here run in AVX-512 intrinsics when the
//! process has it and as plain loops otherwise: the same products and sums in the same order,
//! so the same bits.

use super::rows::VectorUnit;
use crate::space::fock::SpeciesOperator;
use crate::C64;

/// Rows of Ψ whose diagonal and H_B are applied together (the kernel's diagonal and H_B; the indicators' Y).
pub(crate) const TILE_ROWS: usize = 4;

/// Column b of a tile: the entries (real, imaginary) of its rows at b, side by side, on one
/// cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub(crate) struct Lanes(pub(crate) [f64; 2 * TILE_ROWS]);

/// tile[b] ← (x_0[b], …, x_{rows−1}[b], 0, …): the `rows` rows of `x` (each `tile.len()`
/// interleaved complex entries) side by side.
#[inline(always)]
pub(crate) fn side_by_side(x: &[f64], rows: usize, tile: &mut [Lanes], unit: VectorUnit) {
    let columns = tile.len();
    assert!(x.len() >= 2 * rows * columns);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 && rows == TILE_ROWS {
        // SAFETY: the processor has AVX-512F (detected when H was built); lengths checked.
        done = unsafe {
            transpose_tile_avx512(
                (x.as_ptr(), 2 * columns, 8),
                (tile.as_mut_ptr().cast(), 8, 32),
                columns,
            )
        };
    }
    let _ = unit;
    for (b, t) in tile.iter_mut().enumerate().skip(done) {
        *t = Lanes::default();
        for r in 0..rows {
            t.0[2 * r] = x[2 * (r * columns + b)];
            t.0[2 * r + 1] = x[2 * (r * columns + b) + 1];
        }
    }
}

/// The inverse of [`side_by_side`]: out's `rows` rows ← the tile's lanes, the rows `stride`
/// complex entries apart in `out` (`tile.len()` for rows laid end to end; more for a block of
/// columns of longer rows).
#[inline(always)]
pub(crate) fn lay_back(
    tile: &[Lanes],
    rows: usize,
    (out, stride): (&mut [f64], usize),
    unit: VectorUnit,
) {
    let columns = tile.len();
    assert!(columns <= stride && (rows == 0 || out.len() >= 2 * ((rows - 1) * stride + columns)));
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 && rows == TILE_ROWS {
        // SAFETY: the processor has AVX-512F (detected when H was built); lengths checked.
        done = unsafe {
            transpose_tile_avx512(
                (tile.as_ptr().cast(), 8, 32),
                (out.as_mut_ptr(), 2 * stride, 8),
                columns,
            )
        };
    }
    let _ = unit;
    for (b, t) in tile.iter().enumerate().skip(done) {
        for r in 0..rows {
            out[2 * (r * stride + b)] = t.0[2 * r];
            out[2 * (r * stride + b) + 1] = t.0[2 * r + 1];
        }
    }
}

/// Transposes blocks of 4 × 4 complex numbers: block k (of `columns`/4) is the four 512-bit
/// vectors at from + k·from_step + r·from_stride (r < 4), and its transpose (complex entry j of
/// vector r to entry r of vector j, by two rounds of 128-bit shuffles) goes to
/// to + k·to_step + j·to_stride; returns the columns done (all but the last `columns` mod 4).
/// Rows to tile: strides (2·columns, 8) and steps (8, 32); tile to rows the other way round.
///
/// # Safety
/// AVX-512F; `from` and `to` valid for the strided reads and writes of all the blocks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) unsafe fn transpose_tile_avx512(
    (from, from_stride, from_step): (*const f64, usize, usize),
    (to, to_stride, to_step): (*mut f64, usize, usize),
    columns: usize,
) -> usize {
    use std::arch::x86_64::*;
    let blocks = columns / 4;
    for k in 0..blocks {
        // SAFETY: in bounds by the caller's guarantee.
        unsafe {
            let f = from.add(k * from_step);
            let rows = transpose4([
                _mm512_loadu_pd(f),
                _mm512_loadu_pd(f.add(from_stride)),
                _mm512_loadu_pd(f.add(2 * from_stride)),
                _mm512_loadu_pd(f.add(3 * from_stride)),
            ]);
            let t = to.add(k * to_step);
            for (j, row) in rows.into_iter().enumerate() {
                _mm512_storeu_pd(t.add(j * to_stride), row);
            }
        }
    }
    4 * blocks
}

/// The 4 × 4 complex transpose of four 512-bit vectors (complex entry j of vector r to entry r
/// of vector j), by two rounds of 128-bit shuffles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn transpose4(
    [r0, r1, r2, r3]: [std::arch::x86_64::__m512d; 4],
) -> [std::arch::x86_64::__m512d; 4] {
    use std::arch::x86_64::*;
    let t0 = _mm512_shuffle_f64x2::<0x44>(r0, r1);
    let t1 = _mm512_shuffle_f64x2::<0xEE>(r0, r1);
    let t2 = _mm512_shuffle_f64x2::<0x44>(r2, r3);
    let t3 = _mm512_shuffle_f64x2::<0xEE>(r2, r3);
    [
        _mm512_shuffle_f64x2::<0x88>(t0, t2),
        _mm512_shuffle_f64x2::<0xDD>(t0, t2),
        _mm512_shuffle_f64x2::<0x88>(t1, t3),
        _mm512_shuffle_f64x2::<0xDD>(t1, t3),
    ]
}

/// out_b ← Σ_j w_j x_{s_j} over the entries (s_j, w_j) of row b of `operator` (which may map
/// to a space of a particle fewer: [`SpeciesOperator::orbital_lowering`]) in order, lane by
/// lane: each term the complex product w·x (real part w_re x_re − w_im x_im, imaginary part
/// w_re x_im + w_im x_re) added to a sum started at zero — what `Σ w * x` over `C64` computes
/// for each row of the tile.
#[inline(always)]
pub(crate) fn gather_complex(
    out: &mut [Lanes],
    x: &[Lanes],
    operator: &SpeciesOperator,
    unit: VectorUnit,
) {
    assert!(operator.dim() == out.len() && x.len() == operator.source_dim());
    #[cfg(target_arch = "x86_64")]
    if unit == VectorUnit::Avx512 {
        // SAFETY: the processor has AVX-512F (detected by VectorUnit); indices are checked.
        unsafe { gather_complex_avx512(out, x, operator) };
        return;
    }
    let _ = unit;
    for (b, o) in out.iter_mut().enumerate() {
        let (sources, weights) = operator.row(b);
        let mut acc = [0.0; 2 * TILE_ROWS];
        for (&s, w) in sources.iter().zip(weights) {
            let v = x[s as usize].0;
            for r in 0..TILE_ROWS {
                let (re, im) = (v[2 * r], v[2 * r + 1]);
                acc[2 * r] += w.re * re - w.im * im;
                acc[2 * r + 1] += w.re * im + w.im * re;
            }
        }
        o.0 = acc;
    }
}

/// w·x for the four complex numbers x of a vector, as `w * x` over C64 computes each:
/// w_re·x and w_im·(x with real and imaginary parts swapped), subtracted in the real lanes and
/// added in the imaginary ones (a fused multiply by exactly 1, so one rounding, as the
/// subtraction and the addition): (w_re x_re − w_im x_im, w_re x_im + w_im x_re).
///
/// # Safety
/// AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn complex_products_avx512(
    w: C64,
    x: std::arch::x86_64::__m512d,
) -> std::arch::x86_64::__m512d {
    use std::arch::x86_64::*;
    let real = _mm512_mul_pd(_mm512_set1_pd(w.re), x);
    let imaginary = _mm512_mul_pd(_mm512_set1_pd(w.im), _mm512_permute_pd::<0x55>(x));
    _mm512_fmaddsub_pd(real, _mm512_set1_pd(1.0), imaginary)
}

/// [`gather_complex`] in AVX-512, one column per vector, each term by
/// [`complex_products_avx512`].
///
/// # Safety
/// AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn gather_complex_avx512(out: &mut [Lanes], x: &[Lanes], operator: &SpeciesOperator) {
    use std::arch::x86_64::*;
    for (b, o) in out.iter_mut().enumerate() {
        let (sources, weights) = operator.row(b);
        let mut acc = _mm512_setzero_pd();
        for (&s, w) in sources.iter().zip(weights) {
            // SAFETY: Lanes is 64-byte aligned; the index is checked.
            let v = unsafe { _mm512_load_pd(x[s as usize].0.as_ptr()) };
            acc = _mm512_add_pd(acc, complex_products_avx512(*w, v));
        }
        // SAFETY: as above.
        unsafe { _mm512_store_pd(o.0.as_mut_ptr(), acc) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::fock::FockBasis;
    use crate::C64;

    /// N_v on three sites, two particles (complex weights), applied to a tile of four rows on
    /// every vector unit the processor has, bit for bit against Σ w * x over C64 row by row.
    #[test]
    fn the_complex_gather_is_the_sum_of_complex_products_on_every_unit() {
        let basis = FockBasis::new(3, 2).unwrap();
        let orbital = [
            C64::new(0.6, 0.2),
            C64::new(-0.3, 0.5),
            C64::new(0.1, -0.499),
        ];
        let operator = SpeciesOperator::orbital_number(&basis, &orbital).unwrap();
        let columns = basis.dim();
        let x: Vec<Lanes> = (0..columns)
            .map(|b| {
                Lanes(std::array::from_fn(|l| {
                    (0.37 * (8 * b + l + 1) as f64).sin()
                }))
            })
            .collect();
        let units: &[VectorUnit] = if VectorUnit::current() == VectorUnit::Avx512 {
            &[VectorUnit::Avx512, VectorUnit::Baseline]
        } else {
            &[VectorUnit::Baseline]
        };
        for &unit in units {
            let mut out = vec![Lanes([f64::NAN; 2 * TILE_ROWS]); columns];
            gather_complex(&mut out, &x, &operator, unit);
            for (b, o) in out.iter().enumerate() {
                let (sources, weights) = operator.row(b);
                for r in 0..TILE_ROWS {
                    let expected: C64 = sources
                        .iter()
                        .zip(weights)
                        .map(|(&s, &w)| {
                            let v = x[s as usize].0;
                            w * C64::new(v[2 * r], v[2 * r + 1])
                        })
                        .sum();
                    assert_eq!(o.0[2 * r].to_bits(), expected.re.to_bits(), "{unit:?}");
                    assert_eq!(o.0[2 * r + 1].to_bits(), expected.im.to_bits(), "{unit:?}");
                }
            }
        }
    }
}
