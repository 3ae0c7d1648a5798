//! Linear-algebra kernels shared by the engine: parallel vector operations on large
//! wave functions, the [`LinearOperator`] contract, and functions of small Hermitian matrices
//! through faer's self-adjoint eigendecomposition.

use faer::{Mat, Side};
use rayon::prelude::*;

use crate::{Error, Result, C64};

/// Entries per rayon task in vector kernels: large enough that scheduling costs nothing.
const CHUNK: usize = 1 << 14;

/// A Hermitian operator y = A x on Cᴰ, applied without forming A.
pub trait LinearOperator: Sync {
    /// The dimension D.
    fn dim(&self) -> usize;
    /// Writes A x into `y` (overwriting it). Both slices have length [`LinearOperator::dim`].
    fn apply(&self, x: &[C64], y: &mut [C64]);

    /// Writes A x into `y` and returns ⟨x, A x⟩; operators may fuse the two to save a pass
    /// over memory.
    fn apply_and_dot(&self, x: &[C64], y: &mut [C64]) -> C64 {
        self.apply(x, y);
        dot(x, y)
    }

    /// An interval [E₋, E₊] proven to contain the spectrum, if the operator can give one
    /// (needed by the Chebyshev propagator).
    fn spectral_bounds(&self) -> Option<(f64, f64)> {
        None
    }

    /// ⟨x, A x⟩ without keeping A x; operators that stream compute it row by row.
    fn expectation(&self, x: &[C64]) -> C64 {
        let mut ax = zeros(x.len());
        self.apply_and_dot(x, &mut ax)
    }

    /// The fused update of polynomial propagators: y ← h·(A x) + c_x·x + c_y·y (with
    /// [`Update`]'s weights), and each [`Accumulate`]d sum takes its terms in the old y, x and
    /// the new y. Operators that stream (like the Hamiltonian) do it in few passes over memory;
    /// this default uses a temporary vector.
    fn apply_update(
        &self,
        x: &[C64],
        y: &mut [C64],
        update: Update,
        accumulate: Vec<Accumulate<'_>>,
    ) {
        let mut ax = zeros(x.len());
        self.apply(x, &mut ax);
        let add = |sum: &mut [C64], c: C64, x: &[C64]| {
            sum.par_chunks_mut(CHUNK)
                .zip(x.par_chunks(CHUNK))
                .for_each(|(z, x)| z.iter_mut().zip(x).for_each(|(z, x)| *z += c * x));
        };
        let mut accumulate = accumulate;
        for Accumulate { sum, previous, .. } in &mut accumulate {
            if let Some(c) = previous.take() {
                add(sum, c, y);
            }
        }
        y.par_chunks_mut(CHUNK)
            .zip(ax.par_chunks(CHUNK).zip(x.par_chunks(CHUNK)))
            .for_each(|(y, (ax, x))| update.combine(y, ax, x));
        for Accumulate {
            sum, input, output, ..
        } in accumulate
        {
            if let Some(c) = input {
                add(sum, c, x);
            }
            add(sum, output, y);
        }
    }
}

/// A sum a fused update adds to ([`LinearOperator::apply_update`]):
/// sum ← ((sum + c_p·y_old) + c_x·x) + c_y·y, entry by entry in that order (y_old the y the
/// update overwrites), the terms of y_old and of x left out when their weights are `None`. A
/// polynomial propagator that keeps its terms in the two vectors of a three-term recurrence can
/// so add three terms every third pass, reading and writing the sum a third as often, with the
/// same roundings as one term per pass; it may keep several sums of the same terms (one per
/// output time), each with its own weights.
pub struct Accumulate<'a> {
    /// The sum, as long as x and y.
    pub sum: &'a mut [C64],
    /// c_p, the weight of y as it was before the update, if it is added.
    pub previous: Option<C64>,
    /// c_x, the weight of the input x, if it is added.
    pub input: Option<C64>,
    /// c_y, the weight of the new y.
    pub output: C64,
}

impl<'a> Accumulate<'a> {
    /// The same weights on consecutive pieces of `length` entries of the sum (the last one
    /// shorter), in order.
    pub fn pieces(self, length: usize) -> impl Iterator<Item = Accumulate<'a>> {
        let (previous, input, output) = (self.previous, self.input, self.output);
        self.sum
            .chunks_mut(length.max(1))
            .map(move |sum| Accumulate {
                sum,
                previous,
                input,
                output,
            })
    }
}

/// The weights of y ← h·(A x) + c_x·x + c_y·y in [`LinearOperator::apply_update`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Update {
    /// h, the weight of A x.
    pub operator: f64,
    /// c_x, the weight of x.
    pub input: f64,
    /// c_y, the weight of the old y (0: y is not read).
    pub previous: f64,
}

impl Update {
    /// y ← A x.
    pub const APPLY: Update = Update {
        operator: 1.0,
        input: 0.0,
        previous: 0.0,
    };

    /// y ← h·ax + c_x·x + c_y·y on one block, ax = (A x) on the same block.
    #[inline(always)]
    pub fn combine(&self, y: &mut [C64], ax: &[C64], x: &[C64]) {
        let (h, cx, cy) = (self.operator, self.input, self.previous);
        if cy == 0.0 {
            y.iter_mut()
                .zip(ax.iter().zip(x))
                .for_each(|(y, (a, x))| *y = h * a + cx * x);
        } else {
            y.iter_mut()
                .zip(ax.iter().zip(x))
                .for_each(|(y, (a, x))| *y = h * a + cx * x + cy * *y);
        }
    }
}

/// The sum of a parallel iterator's items in index order. The partial results (one per chunk or
/// row, each computed sequentially) are collected and added one after the other, so the sum, and
/// every figure computed from it, is bitwise the same on every run whatever the scheduling
/// (rayon's own `sum` combines along a tree whose shape depends on work stealing).
pub fn ordered_sum<T, I>(items: I) -> T
where
    I: IndexedParallelIterator<Item = T>,
    T: Send + std::iter::Sum<T>,
{
    items.collect::<Vec<T>>().into_iter().sum()
}

/// ⟨x, y⟩ = Σ conj(x_i) y_i, in parallel.
pub fn dot(x: &[C64], y: &[C64]) -> C64 {
    assert_eq!(x.len(), y.len());
    ordered_sum(
        x.par_chunks(CHUNK)
            .zip(y.par_chunks(CHUNK))
            .map(|(a, b)| a.iter().zip(b).map(|(a, b)| a.conj() * b).sum::<C64>()),
    )
}

/// ‖x‖₂, in parallel.
pub fn norm(x: &[C64]) -> f64 {
    ordered_sum(
        x.par_chunks(CHUNK)
            .map(|a| a.iter().map(|z| z.norm_sqr()).sum::<f64>()),
    )
    .sqrt()
}

/// x ← s·x, in parallel.
pub fn scale(x: &mut [C64], s: C64) {
    x.par_chunks_mut(CHUNK)
        .for_each(|a| a.iter_mut().for_each(|z| *z *= s));
}

/// out ← s·x, in parallel.
pub fn scale_into(out: &mut [C64], s: C64, x: &[C64]) {
    assert_eq!(out.len(), x.len());
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(out, x)| out.iter_mut().zip(x).for_each(|(z, x)| *z = s * x));
}

/// A vector of `len` zeros, its pages made present by both threads before it is returned.
///
/// A large vector comes from the system as pages it zeroes when each is first touched; here
/// one entry per page is written (zero over zero) by the threads in parallel, so the pages are
/// there before the vector is used (`vec![0; len]` of complex numbers writes every entry on one
/// thread, about a second for a state of 2.4 GB). Left to the first pass that fills the vector,
/// the same faults can cost that pass several times as much: on a virtual machine whose memory
/// had just been in use, runs at D = 1.5·10⁸ took 19.5 s instead of 22–24.7 s; when its memory
/// had lain idle, first touches cost more either way (23.3 s instead of 24.0 s).
pub fn zeros(len: usize) -> Vec<C64> {
    keep_freed_vectors();
    let layout = match std::alloc::Layout::array::<C64>(len) {
        Ok(layout) if layout.size() > 0 => layout,
        _ => return vec![C64::new(0.0, 0.0); len],
    };
    // SAFETY: the layout has a non-zero size; the allocation is zeroed, and all-zero bytes are
    // the complex number 0 (C64 is #[repr(C)] { re: f64, im: f64 }); it was made by the global
    // allocator with the layout of `len` C64, which is what `Vec::from_raw_parts` requires of
    // a vector of length and capacity `len`.
    unsafe {
        let start = std::alloc::alloc_zeroed(layout).cast::<C64>();
        if start.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let mut zeros = Vec::from_raw_parts(start, len, len);
        if layout.size() >= FAULT_IN_PARALLEL_BYTES {
            zeros.par_chunks_mut(CHUNK).for_each(|chunk| {
                for z in chunk.iter_mut().step_by(ENTRIES_PER_PAGE) {
                    *z = C64::new(0.0, 0.0);
                }
            });
        }
        zeros
    }
}

/// Vectors from [`zeros`] at least this large have their pages made present in parallel.
const FAULT_IN_PARALLEL_BYTES: usize = 1 << 20;

/// Complex numbers in a page of 4 KiB (a larger page is touched more often than needed; a
/// smaller one would be left to the first pass).
const ENTRIES_PER_PAGE: usize = 4096 / std::mem::size_of::<C64>();

/// A copy of `x`, written by both threads into memory that is not zeroed first (`to_vec`
/// copies, and faults the pages of a state-sized vector, on one thread).
pub fn parallel_copy(x: &[C64]) -> Vec<C64> {
    filled_in_parallel(x.len(), CHUNK, |start, out| {
        for (o, &z) in out.iter_mut().zip(&x[start..]) {
            o.write(z);
        }
    })
}

/// A vector of `len` entries, written by both threads: `fill(start, chunk)` must write every
/// entry of `chunk`, which holds entries start..start + chunk.len() (chunks of `chunk` entries,
/// the last shorter). Nothing is written before: a vector that is overwritten anyway is not
/// zeroed first ([`zeros`] zeroes, and its pages are cleared once more by the system).
pub(crate) fn filled_in_parallel(
    len: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [std::mem::MaybeUninit<C64>]) + Sync,
) -> Vec<C64> {
    keep_freed_vectors();
    let mut out: Vec<std::mem::MaybeUninit<C64>> = Vec::with_capacity(len);
    // SAFETY: MaybeUninit needs no initialisation; the capacity is `len`.
    unsafe { out.set_len(len) };
    out.par_chunks_mut(chunk.max(1))
        .enumerate()
        .for_each(|(k, part)| fill(k * chunk.max(1), part));
    let mut out = std::mem::ManuallyDrop::new(out);
    // SAFETY: every entry was written by `fill` (its contract); MaybeUninit<C64> has the layout
    // of C64, and the pointer, length and capacity are those of the vector just made.
    unsafe { Vec::from_raw_parts(out.as_mut_ptr().cast::<C64>(), len, out.capacity()) }
}

/// Vectors below this size come from the C library's heap, not from fresh pages of the system.
const HEAP_VECTOR_BYTES: i32 = 32 << 20;

/// Freed memory the C library's heap keeps for the next vectors before it returns any.
const KEPT_HEAP_BYTES: i32 = 128 << 20;

/// With glibc, keeps vectors below [`HEAP_VECTOR_BYTES`] on the heap, and up to
/// [`KEPT_HEAP_BYTES`] of them once freed, so that the state-sized vectors that every output
/// time allocates and frees (the frame state, its transpose) reuse memory instead of asking the
/// system for pages that it must clear, fault in and unmap each time — at D ≈ 10⁶ a tenth of
/// the proof's time at one output time. Larger vectors still come from and go back to the
/// system (memory that a long run frees is returned).
fn keep_freed_vectors() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only sets the allocator's thresholds (it fails harmlessly).
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, HEAP_VECTOR_BYTES);
            libc::mallopt(libc::M_TRIM_THRESHOLD, KEPT_HEAP_BYTES);
        });
    }
}

/// out = Σ_k `coefficients[k]` · `vectors[k]`, term by term from zero, in parallel (one pass
/// over memory).
pub fn linear_combination(out: &mut [C64], coefficients: &[C64], vectors: &[&[C64]]) {
    assert_eq!(coefficients.len(), vectors.len());
    assert!(vectors.iter().all(|v| v.len() == out.len()));
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, block)| {
            let start = chunk * CHUNK;
            block.iter_mut().for_each(|z| *z = C64::new(0.0, 0.0));
            for (c, v) in coefficients.iter().zip(vectors) {
                let v = &v[start..start + block.len()];
                block.iter_mut().zip(v).for_each(|(z, x)| *z += c * x);
            }
        });
}

/// The Lanczos three-term recurrence w ← w − α x − β y, returning ‖w‖ (one parallel pass).
pub fn three_term_recurrence(
    w: &mut [C64],
    current: (f64, &[C64]),
    previous: Option<(f64, &[C64])>,
) -> f64 {
    let (alpha, x) = current;
    ordered_sum(w.par_chunks_mut(CHUNK).enumerate().map(|(chunk, block)| {
        let start = chunk * CHUNK;
        let x = &x[start..start + block.len()];
        match previous {
            Some((beta, y)) => {
                let y = &y[start..start + block.len()];
                block
                    .iter_mut()
                    .zip(x.iter().zip(y))
                    .map(|(w, (x, y))| {
                        *w -= alpha * x + beta * y;
                        w.norm_sqr()
                    })
                    .sum::<f64>()
            }
            None => block
                .iter_mut()
                .zip(x)
                .map(|(w, x)| {
                    *w -= alpha * x;
                    w.norm_sqr()
                })
                .sum::<f64>(),
        }
    }))
    .sqrt()
}

/// Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix, reading its
/// lower triangle.
pub fn hermitian_eigen(matrix: &Mat<C64>) -> Result<(Vec<f64>, Mat<C64>)> {
    let evd = matrix
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Numerical(format!("Hermitian eigendecomposition: {e:?}")))?;
    let n = matrix.nrows();
    let values = (0..n).map(|i| evd.S()[i].re).collect();
    Ok((values, evd.U().to_owned()))
}

/// Eigenvalues (ascending) of a Hermitian matrix, reading its lower triangle; no eigenvectors
/// (several times cheaper than [`hermitian_eigen`] at large M).
pub fn hermitian_eigenvalues(matrix: &Mat<C64>) -> Result<Vec<f64>> {
    matrix
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| Error::Numerical(format!("Hermitian eigenvalues: {e:?}")))
}

/// Eigenvalues (ascending) and eigenvectors of a real symmetric matrix.
pub fn symmetric_eigen(matrix: &Mat<f64>) -> Result<(Vec<f64>, Mat<f64>)> {
    let evd = matrix
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigendecomposition: {e:?}")))?;
    let n = matrix.nrows();
    let values = (0..n).map(|i| evd.S()[i]).collect();
    Ok((values, evd.U().to_owned()))
}

/// f(A) = U f(Λ) U† for a Hermitian matrix A.
pub fn hermitian_function(matrix: &Mat<C64>, f: impl Fn(f64) -> C64) -> Result<Mat<C64>> {
    let (values, vectors) = hermitian_eigen(matrix)?;
    let n = matrix.nrows();
    let fv: Vec<C64> = values.iter().map(|&l| f(l)).collect();
    Ok(Mat::from_fn(n, n, |i, j| {
        (0..n)
            .map(|k| vectors[(i, k)] * fv[k] * vectors[(j, k)].conj())
            .sum()
    }))
}

/// Largest |A_ij − conj(A_ji)|: zero for a Hermitian matrix.
pub fn hermiticity_defect(matrix: &Mat<C64>) -> f64 {
    let n = matrix.nrows();
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            worst = worst.max((matrix[(i, j)] - matrix[(j, i)].conj()).norm());
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lazily zeroed vectors are zeros of the asked length (empty ones too), usable as any
    /// vector (grown, dropped), and a parallel copy (chunks whole and ragged) has the bits of its
    /// source and grows like any vector.
    #[test]
    fn zeros_are_zeros_and_a_parallel_copy_is_the_source() {
        for len in [0, 1, 5, CHUNK + 3, 3 << 17] {
            let mut z = zeros(len);
            assert_eq!(z.len(), len);
            assert!(z.iter().all(|v| v.re.to_bits() == 0 && v.im.to_bits() == 0));
            z.push(C64::new(1.0, 2.0));
            assert_eq!(z[len], C64::new(1.0, 2.0));
            let x: Vec<C64> = (0..len)
                .map(|i| C64::new((0.3 * i as f64).sin(), -(i as f64)))
                .collect();
            let mut copy = parallel_copy(&x);
            assert_eq!(copy.len(), len);
            copy.push(C64::new(3.0, 4.0));
            assert_eq!(copy.pop(), Some(C64::new(3.0, 4.0)));
            assert!(
                copy.iter()
                    .zip(&x)
                    .all(|(a, b)| a.re.to_bits() == b.re.to_bits()
                        && a.im.to_bits() == b.im.to_bits())
            );
        }
    }

    #[test]
    fn hermitian_function_reconstructs_the_matrix_and_its_square() {
        let a = Mat::from_fn(3, 3, |i, j| {
            let re = (i + j) as f64 * 0.3 + if i == j { 1.0 } else { 0.0 };
            let im = i as f64 - j as f64;
            C64::new(re, 0.2 * im)
        });
        let same = hermitian_function(&a, |l| C64::new(l, 0.0)).unwrap();
        let square = hermitian_function(&a, |l| C64::new(l * l, 0.0)).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                assert!((same[(i, j)] - a[(i, j)]).norm() < 1e-13);
                let direct: C64 = (0..3).map(|k| a[(i, k)] * a[(k, j)]).sum();
                assert!((square[(i, j)] - direct).norm() < 1e-12);
            }
        }
    }

    #[test]
    fn vector_kernels_agree_with_serial_sums() {
        let n = 3 * CHUNK + 17;
        let x: Vec<C64> = (0..n).map(|i| C64::new((i as f64).sin(), 0.5)).collect();
        let y: Vec<C64> = (0..n).map(|i| C64::new(1.0, (i as f64).cos())).collect();
        let serial: C64 = x.iter().zip(&y).map(|(a, b)| a.conj() * b).sum();
        assert!((dot(&x, &y) - serial).norm() < 1e-9);
        let mut out = vec![C64::new(0.0, 0.0); n];
        linear_combination(
            &mut out,
            &[C64::new(2.0, 0.0), C64::new(0.0, -1.0)],
            &[&x, &y],
        );
        for i in [0, CHUNK, n - 1] {
            assert!((out[i] - (2.0 * x[i] - C64::i() * y[i])).norm() < 1e-15);
        }
    }
}
