//! The condensate frame: Ψ written in one-body frames whose orbital 0 is u (species A) and v
//! (species B).
//!
//! With a one-body unitary W such that W u = e₀ (its first row is u†), the new modes are
//! b_k = Σ_x W_kx a_x, so b₀ = a(u), and the coefficients of Ψ in the occupation basis of the b's
//! are Γ(W)Ψ, where Γ(W) is the many-body representation, Γ(W)|x⟩^{⊗} = (W|x⟩)^{⊗}. For two
//! species the frame is Γ(W_A) ⊗ Γ(W_B): Ψ′ = Γ(W_A) Ψ Γ(W_B)ᵀ on the D_A × D_B matrix.
//!
//! **Givens rotations.** W = g_1 ⋯ g_{M−1}, where g acting on modes (x−1, x) is
//! R(θ) diag(e^{−iα}, e^{−iβ}) with R(θ) = [[cos θ, sin θ], [−sin θ, cos θ]], chosen to move
//! the weight of component x onto x−1 and leave it real and positive; sweeping x = M−1, …, 1
//! brings u to e₀ exactly (up to round-off). Only W's first row matters for p, q and P_k.
//!
//! **One rotation on the Fock space.** Γ(g) keeps n_i + n_j = s and the other occupations, so
//! it acts block by block on the sectors {|n_i = k, n_j = s − k⟩ : k = 0..s}. There
//! Γ(diag(e^{−iα}, e^{−iβ})) = e^{−i(αk + β(s−k))} and Γ(R(θ)) = e^{θ G_s} with
//! G_s = dΓ([[0,1],[−1,0]]) = a_i†a_j − a_j†a_i = B − Bᵀ, B_{k+1,k} = √((k+1)(s−k)).
//! With D = diag(i^k), D G_s D⁻¹ = i S, S = B + Bᵀ real symmetric with the exact eigenvalues
//! σ_l = −s + 2l (S = 2J_x in Schwinger's representation), so
//!
//!   e^{θ G_s} = D⁻¹ V diag(e^{iθσ}) Vᵀ D,     S = V diag(σ) Vᵀ,
//!
//! the Wigner-d block of spin s/2, computed stably for any s from the eigenvectors V of S (faer),
//! which depend on s only and are cached. Per factor, the whole sector action
//! M_s = diag(post) V e^{iθσ} Vᵀ diag(pre) is formed once per sector size; it then acts on the rows
//! of species A (contiguous row combinations, or one faer product for large sectors) and on the
//! columns of species B in place (row by row), with no transposes. The cost per factor is
//! Σ over sectors of (s+1)² × (row length), at most O(D · N) per species and factor,
//! O(D (N₁+N₂) M) in all; the extra memory is one sector's rows per thread.

use std::collections::BTreeMap;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;

use crate::fock::FockBasis;
use crate::linalg::symmetric_eigen;
use crate::state::check_state_len;
use crate::{Error, Result, C64};

/// One Givens factor g = R(θ) diag(e^{−iα}, e^{−iβ}) on modes (x−1, x).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Givens {
    /// The pair is (mode − 1, mode).
    mode: usize,
    angle: f64,
    phase_low: f64,
    phase_high: f64,
}

/// The Givens factors of a unitary W with W u = e₀, in the order they act.
fn givens_sequence(orbital: &[C64]) -> Vec<Givens> {
    let mut w = orbital.to_vec();
    let mut sequence = Vec::new();
    for x in (1..w.len()).rev() {
        let (low, high) = (w[x - 1], w[x]);
        let r = low.norm().hypot(high.norm());
        let angle = high.norm().atan2(low.norm());
        sequence.push(Givens {
            mode: x,
            angle,
            phase_low: low.arg(),
            phase_high: high.arg(),
        });
        w[x - 1] = C64::new(r, 0.0);
        w[x] = C64::new(0.0, 0.0);
    }
    sequence
}

/// The one-body unitary W = g_{M−1} ⋯ g_1 of the frame, with W u = e₀ (its first row is u†),
/// as an M × M matrix: the new modes are b_k = Σ_x W_kx a_x.
pub fn frame_unitary(orbital: &[C64]) -> Mat<C64> {
    let m = orbital.len();
    let mut w = Mat::from_fn(m, m, |i, j| C64::new(if i == j { 1.0 } else { 0.0 }, 0.0));
    if m == 1 {
        w[(0, 0)] = C64::from_polar(1.0, -orbital[0].arg());
        return w;
    }
    for g in givens_sequence(orbital) {
        let (i, j) = (g.mode - 1, g.mode);
        let (c, s) = (g.angle.cos(), g.angle.sin());
        let (di, dj) = (
            C64::from_polar(1.0, -g.phase_low),
            C64::from_polar(1.0, -g.phase_high),
        );
        for col in 0..m {
            let (a, b) = (di * w[(i, col)], dj * w[(j, col)]);
            w[(i, col)] = c * a + s * b;
            w[(j, col)] = -s * a + c * b;
        }
    }
    w
}

/// The states of one sector: ranks of |…, n_{x−1} = k, n_x = s − k, …⟩ for k = 0..s.
#[derive(Clone, Debug)]
struct Sector {
    ranks: Vec<u32>,
}

/// Eigen-decomposition S = V diag(σ) Vᵀ of the sector generator of size s + 1.
#[derive(Clone, Debug)]
struct SectorEigen {
    vectors: Mat<f64>,
    values: Vec<f64>,
}

impl SectorEigen {
    fn new(s: usize) -> Result<Self> {
        let n = s + 1;
        let b = |k: usize| (((k + 1) * (s - k)) as f64).sqrt();
        let matrix = Mat::from_fn(n, n, |i, j| {
            if i == j + 1 {
                b(j)
            } else if j == i + 1 {
                b(i)
            } else {
                0.0
            }
        });
        let (computed, vectors) = symmetric_eigen(&matrix)?;
        // The spectrum is exactly {−s, −s+2, …, s}; use the exact values.
        let values: Vec<f64> = (0..n).map(|l| 2.0 * l as f64 - s as f64).collect();
        let worst = computed
            .iter()
            .zip(&values)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if worst > 1e-8 * (s as f64).max(1.0) {
            return Err(Error::Numerical(format!(
                "sector eigenvalues of size {n} off by {worst:e}"
            )));
        }
        Ok(SectorEigen { vectors, values })
    }
}

/// Everything about one species' Fock space that the frame change needs and that does not
/// depend on the orbital: the sectors of each mode pair and the cached sector eigenvectors.
#[derive(Clone, Debug)]
pub struct SpeciesFrame {
    dim: usize,
    modes: usize,
    particles: usize,
    /// sectors[x] for the pair (x−1, x), x = 1..M−1 (index 0 unused).
    sectors: Vec<Vec<Sector>>,
    eigen: BTreeMap<usize, SectorEigen>,
}

impl SpeciesFrame {
    /// Precomputes the sectors of every neighbouring mode pair and their eigenvectors.
    pub fn new(basis: &FockBasis) -> Result<Self> {
        let m = basis.modes();
        let mut sectors = vec![Vec::new(); m];
        let mut sizes = std::collections::BTreeSet::new();
        for (x, list) in sectors.iter_mut().enumerate().skip(1) {
            let mut occupation = vec![0u32; m];
            for rank in 0..basis.dim() {
                let occ = basis.occupation(rank);
                if occ[x - 1] != 0 {
                    continue;
                }
                let s = occ[x] as usize;
                occupation.copy_from_slice(occ);
                let ranks = (0..=s)
                    .map(|k| {
                        occupation[x - 1] = k as u32;
                        occupation[x] = (s - k) as u32;
                        basis.rank(&occupation) as u32
                    })
                    .collect();
                sizes.insert(s);
                list.push(Sector { ranks });
            }
        }
        let eigen = sizes
            .into_iter()
            .filter(|&s| s > 0)
            .map(|s| SectorEigen::new(s).map(|e| (s, e)))
            .collect::<Result<_>>()?;
        Ok(SpeciesFrame {
            dim: basis.dim(),
            modes: m,
            particles: basis.particles(),
            sectors,
            eigen,
        })
    }

    /// Dimension of the species' Fock space.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The Givens factors of W (or of W⁻¹, reversed, when `inverse`), after checking the orbital.
    fn factors(&self, orbital: &[C64], inverse: bool) -> Result<Vec<Givens>> {
        if orbital.len() != self.modes {
            return Err(Error::invalid(
                "orbital",
                format!("{} coefficients for {} modes", orbital.len(), self.modes),
            ));
        }
        let mut sequence = givens_sequence(orbital);
        if inverse {
            sequence.reverse();
        }
        Ok(sequence)
    }

    /// For one factor, the sector matrices M_s = diag(post) V diag(e^{±iθσ}) Vᵀ diag(pre) for
    /// every sector size s of its mode pair:
    /// forward Γ(g) = D⁻¹ V e^{iθσ} Vᵀ D · e^{−i(αk + β(s−k))},
    /// inverse Γ(g)⁻¹ = e^{+i(αk + β(s−k))} · D⁻¹ V e^{−iθσ} Vᵀ D, with D = diag(i^k).
    fn sector_matrices(&self, g: Givens, inverse: bool) -> BTreeMap<usize, Mat<C64>> {
        let sign = if inverse { -1.0 } else { 1.0 };
        let i_power = |k: usize| {
            [
                C64::new(1.0, 0.0),
                C64::new(0.0, 1.0),
                C64::new(-1.0, 0.0),
                C64::new(0.0, -1.0),
            ][k % 4]
        };
        let mut sizes: Vec<usize> = self.sectors[g.mode]
            .iter()
            .map(|sector| sector.ranks.len() - 1)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
            .into_iter()
            .map(|s| {
                let diagonal_phase = |k: usize| {
                    C64::from_polar(
                        1.0,
                        -sign * (g.phase_low * k as f64 + g.phase_high * (s - k) as f64),
                    )
                };
                let (pre, post): (Vec<C64>, Vec<C64>) = (0..=s)
                    .map(|k| {
                        if inverse {
                            (i_power(k), i_power(k).conj() * diagonal_phase(k))
                        } else {
                            (i_power(k) * diagonal_phase(k), i_power(k).conj())
                        }
                    })
                    .unzip();
                if s == 0 {
                    return (s, Mat::from_fn(1, 1, |_, _| pre[0] * post[0]));
                }
                let eigen = &self.eigen[&s];
                let phases: Vec<C64> = eigen
                    .values
                    .iter()
                    .map(|&sigma| C64::from_polar(1.0, sign * g.angle * sigma))
                    .collect();
                // V diag(phase) Vᵀ (one product for large sectors), then the diagonal factors.
                let v = &eigen.vectors;
                let inner = if s + 1 > LARGE_SECTOR {
                    let scaled = Mat::<C64>::from_fn(s + 1, s + 1, |k, j| phases[j] * v[(k, j)]);
                    let transposed =
                        Mat::<C64>::from_fn(s + 1, s + 1, |j, l| C64::new(v[(l, j)], 0.0));
                    let mut inner = Mat::<C64>::zeros(s + 1, s + 1);
                    matmul(
                        &mut inner,
                        Accum::Replace,
                        &scaled,
                        &transposed,
                        C64::new(1.0, 0.0),
                        Par::rayon(0),
                    );
                    inner
                } else {
                    Mat::from_fn(s + 1, s + 1, |k, l| {
                        (0..=s).map(|j| v[(k, j)] * phases[j] * v[(l, j)]).sum()
                    })
                };
                (
                    s,
                    Mat::from_fn(s + 1, s + 1, |k, l| post[k] * inner[(k, l)] * pre[l]),
                )
            })
            .collect()
    }

    /// Applies one factor to the rows of a row-major `dim × length` matrix (this species on the
    /// rows). Sectors in parallel; small sectors by contiguous row combinations, large ones by
    /// one faer product.
    fn rotate_rows(
        &self,
        g: Givens,
        matrices: &BTreeMap<usize, Mat<C64>>,
        data: &mut [C64],
        length: usize,
    ) {
        let sectors = &self.sectors[g.mode];
        let shared = SharedRows(data.as_mut_ptr(), data.len());
        sectors
            .par_iter()
            .for_each_init(Vec::new, |scratch: &mut Vec<C64>, sector| {
                let n = sector.ranks.len();
                let matrix = &matrices[&(n - 1)];
                // SAFETY: every rank belongs to exactly one sector of this mode pair, so the rows
                // touched here are touched by no other task.
                let mut rows: Vec<&mut [C64]> = sector
                    .ranks
                    .iter()
                    .map(|&r| unsafe { shared.row(r as usize, length) })
                    .collect();
                if n == 1 {
                    let f = matrix[(0, 0)];
                    rows[0].iter_mut().for_each(|z| *z *= f);
                    return;
                }
                scratch.clear();
                scratch.resize(n * length, C64::new(0.0, 0.0));
                if n > LARGE_SECTOR {
                    for (k, row) in rows.iter().enumerate() {
                        scratch[k * length..(k + 1) * length].copy_from_slice(row);
                    }
                    let input = faer::MatRef::from_row_major_slice(scratch.as_slice(), n, length);
                    let mut output = Mat::<C64>::zeros(n, length);
                    matmul(
                        &mut output,
                        Accum::Replace,
                        matrix,
                        input,
                        C64::new(1.0, 0.0),
                        Par::rayon(0),
                    );
                    for (k, row) in rows.iter_mut().enumerate() {
                        row.iter_mut()
                            .enumerate()
                            .for_each(|(c, z)| *z = output[(k, c)]);
                    }
                    return;
                }
                for k in 0..n {
                    let out = &mut scratch[k * length..(k + 1) * length];
                    for (l, row) in rows.iter().enumerate() {
                        let m = matrix[(k, l)];
                        if m != C64::new(0.0, 0.0) {
                            out.iter_mut()
                                .zip(row.iter())
                                .for_each(|(o, z)| *o += m * z);
                        }
                    }
                }
                for (k, row) in rows.iter_mut().enumerate() {
                    row.copy_from_slice(&scratch[k * length..(k + 1) * length]);
                }
            });
    }

    /// Applies one factor to the columns of a row-major `rows × dim` matrix (this species on the
    /// columns), without transposing: small sectors row by row in parallel, large ones as one
    /// gathered block (rows × sector) times M_sᵀ.
    fn rotate_columns(&self, g: Givens, matrices: &BTreeMap<usize, Mat<C64>>, data: &mut [C64]) {
        let (large, small): (Vec<&Sector>, Vec<&Sector>) = self.sectors[g.mode]
            .iter()
            .partition(|sector| sector.ranks.len() > LARGE_SECTOR);
        data.par_chunks_mut(self.dim).for_each_init(
            || (Vec::new(), Vec::new()),
            |(gathered, combined): &mut (Vec<C64>, Vec<C64>), row| {
                for sector in &small {
                    let n = sector.ranks.len();
                    let matrix = &matrices[&(n - 1)];
                    gathered.clear();
                    gathered.extend(sector.ranks.iter().map(|&r| row[r as usize]));
                    combined.clear();
                    combined.extend(
                        (0..n).map(|k| (0..n).map(|l| matrix[(k, l)] * gathered[l]).sum::<C64>()),
                    );
                    for (&r, &z) in sector.ranks.iter().zip(combined.iter()) {
                        row[r as usize] = z;
                    }
                }
            },
        );
        let rows = data.len() / self.dim;
        for sector in large {
            let n = sector.ranks.len();
            let block = Mat::<C64>::from_fn(rows, n, |a, k| {
                data[a * self.dim + sector.ranks[k] as usize]
            });
            let mut output = Mat::<C64>::zeros(rows, n);
            matmul(
                &mut output,
                Accum::Replace,
                &block,
                matrices[&(n - 1)].transpose(),
                C64::new(1.0, 0.0),
                Par::rayon(0),
            );
            for a in 0..rows {
                for (k, &r) in sector.ranks.iter().enumerate() {
                    data[a * self.dim + r as usize] = output[(a, k)];
                }
            }
        }
    }

    /// Γ(W) (or Γ(W)⁻¹) on the rows (`on_rows`) or the columns of `data`, where the other
    /// dimension is `other`.
    fn transform(
        &self,
        orbital: &[C64],
        data: &mut [C64],
        other: usize,
        on_rows: bool,
        inverse: bool,
    ) -> Result<()> {
        assert_eq!(data.len(), self.dim * other);
        if orbital.len() != self.modes {
            return Err(Error::invalid(
                "orbital",
                format!("{} coefficients for {} modes", orbital.len(), self.modes),
            ));
        }
        if self.modes == 1 {
            // W = e^{−iα} on one mode: Γ(W) = e^{−iαN} on the single state.
            let angle = orbital[0].arg() * self.particles as f64;
            let phase = C64::from_polar(1.0, if inverse { angle } else { -angle });
            data.iter_mut().for_each(|z| *z *= phase);
            return Ok(());
        }
        for g in self.factors(orbital, inverse)? {
            let matrices = self.sector_matrices(g, inverse);
            if on_rows {
                self.rotate_rows(g, &matrices, data, other);
            } else {
                self.rotate_columns(g, &matrices, data);
            }
        }
        Ok(())
    }
}

/// Sectors with more states than this are rotated with one faer product instead of row
/// combinations.
const LARGE_SECTOR: usize = 64;

/// Raw access to disjoint rows of one matrix from several rayon tasks.
struct SharedRows(*mut C64, usize);
unsafe impl Sync for SharedRows {}
unsafe impl Send for SharedRows {}

impl SharedRows {
    /// # Safety
    /// No two live references may cover the same row.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize, length: usize) -> &mut [C64] {
        assert!((row + 1) * length <= self.1);
        std::slice::from_raw_parts_mut(self.0.add(row * length), length)
    }
}

/// The condensate frame of a two-species state space.
#[derive(Clone, Debug)]
pub struct CondensateFrame {
    species_a: SpeciesFrame,
    species_b: SpeciesFrame,
}

impl CondensateFrame {
    /// Precomputes both species' sectors (independent of the orbitals, reusable at every time).
    pub fn new(basis_a: &FockBasis, basis_b: &FockBasis) -> Result<Self> {
        Ok(CondensateFrame {
            species_a: SpeciesFrame::new(basis_a)?,
            species_b: SpeciesFrame::new(basis_b)?,
        })
    }

    /// Ψ′ = Γ(W_A) Ψ Γ(W_B)ᵀ with W_A u = e₀, W_B v = e₀: the state in the condensate frame.
    pub fn to_frame(&self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Vec<C64>> {
        self.transform(state, u, v, false)
    }

    /// The inverse change: from the condensate frame of (u, v) back to the site basis.
    pub fn from_frame(&self, state: &[C64], u: &[C64], v: &[C64]) -> Result<Vec<C64>> {
        self.transform(state, u, v, true)
    }

    fn transform(&self, state: &[C64], u: &[C64], v: &[C64], inverse: bool) -> Result<Vec<C64>> {
        let (rows, columns) = (self.species_a.dim(), self.species_b.dim());
        check_state_len(state, rows, columns)?;
        let mut data = state.to_vec();
        self.species_a
            .transform(u, &mut data, columns, true, inverse)?;
        self.species_b
            .transform(v, &mut data, rows, false, inverse)?;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orbitals_of_the_wrong_length_are_refused_at_every_m() {
        // At M = 1 the frame is a phase and the length check used to be skipped.
        for m in [1, 2, 3] {
            let (a, b) = (FockBasis::new(m, 2).unwrap(), FockBasis::new(m, 1).unwrap());
            let frame = CondensateFrame::new(&a, &b).unwrap();
            let state = vec![C64::new(1.0, 0.0); a.dim() * b.dim()];
            let good = vec![C64::new(1.0, 0.0); m];
            for bad in [vec![], vec![C64::new(1.0, 0.0); m + 1]] {
                assert!(frame.to_frame(&state, &bad, &good).is_err(), "M = {m}");
                assert!(frame.to_frame(&state, &good, &bad).is_err(), "M = {m}");
            }
        }
    }

    #[test]
    fn givens_sequence_maps_the_orbital_to_the_first_unit_vector() {
        let u = [
            C64::new(0.3, 0.1),
            C64::new(-0.2, 0.5),
            C64::new(0.0, -0.4),
            C64::new(0.6, 0.2),
        ];
        let n = u.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        let mut w: Vec<C64> = u.iter().map(|z| z / n).collect();
        for g in givens_sequence(&w.clone()) {
            let (i, j) = (g.mode - 1, g.mode);
            let (a, b) = (
                w[i] * C64::from_polar(1.0, -g.phase_low),
                w[j] * C64::from_polar(1.0, -g.phase_high),
            );
            let (c, s) = (g.angle.cos(), g.angle.sin());
            w[i] = c * a + s * b;
            w[j] = -s * a + c * b;
        }
        assert!((w[0] - C64::new(1.0, 0.0)).norm() < 1e-15);
        assert!(w[1..].iter().all(|z| z.norm() < 1e-15));
    }
}
