//! The first equation of the BBGKY hierarchy at finite N (4.13), and its limit form (4.14),
//! evaluated on a state.
//!
//! For Ψ evolving by H (2.8), (4.13) is an exact identity at every N₁, N₂:
//!
//!   i∂_t γ^(1,1) = [(h₁)^A_1 + (h₂)^B_1, γ^(1,1)]
//!                + (N₁−1)/N₁ Tr_{x₂}[V₁(x₁−x₂), γ^(2,1)] + (N₂−1)/N₂ Tr_{y₂}[V₂(y₁−y₂), γ^(1,2)]
//!                + 1/(N₁+N₂) Tr_{x₂,y₂}[(N₂−1)V₁₂(x₁−y₂) + (N₁−1)V₁₂(y₁−x₂) + V₁₂(x₁−y₁), γ^(2,2)],
//!
//! with the unscaled potentials of (2.8) and the marginals of SPEC §4. Both sides are computed
//! here by different routes, so that their difference (the *residual*) tests the identity:
//!
//! * **the left side** from the Hamiltonian itself: i∂_t⟨O⟩ = ⟨Ψ, O HΨ⟩ − ⟨HΨ, OΨ⟩ for
//!   O = a†_{x′} a_x b†_{y′} b_y, with HΨ from the engine's kernel. With χ_{xy} = a_x b_y Ψ and
//!   ξ_{xy} = a_x b_y HΨ, LHS((x,y),(x′,y′)) = (⟨χ_{x′y′}, ξ_{xy}⟩ − ⟨ξ_{x′y′}, χ_{xy}⟩)/(N₁N₂);
//! * **the right side** term by term from the marginals. The partial traces of γ^(2,1), γ^(1,2)
//!   and γ^(2,2) against a potential are, in second quantisation, the potential of the particles
//!   that remain after a_x b_y: Σ_z V₁(x−z) a†_{x′} a†_z a_z a_x = a†_{x′} W₁(x) a_x with the
//!   diagonal W₁(x) = Σ_z V₁(x−z) n_z on N₁−1 particles. With the normalisations (N)_k of the
//!   marginals the interaction terms become (B − B†)/(N₁N₂), B((x,y),(x′,y′)) =
//!   ⟨χ_{x′y′}, S_{xy} χ_{xy}⟩, where S_{xy} = S^A_{xy} + S^B_{xy} is diagonal on the
//!   (N₁−1, N₂−1) space:
//!   S^A_{xy} = W₁(x)/N₁ + U_A(y)/(N₁+N₂) (the remaining A-particles: the V₁ term and the
//!   (N₁−1)V₁₂(y₁−x₂) term), S^B_{xy} = W₂(y)/N₂ + U_B(x)/(N₁+N₂) (the remaining B-particles),
//!   U_A(y) = Σ_z V₁₂(y−z) n^A_z, U_B(x) = Σ_w V₁₂(x−w) n^B_w; the term V₁₂(x₁−y₁) is
//!   (V₁₂(x−y) − V₁₂(x′−y′)) γ^(1,1)/(N₁+N₂).
//!
//! (4.14) is the same right side with the prefactors of the limit: Tr_{x₂}[V₁, γ^(2,1)] without
//! (N₁−1)/N₁, c₂ and c₁ in place of (N₂−1)/(N₁+N₂) and (N₁−1)/(N₁+N₂), and no V₁₂(x₁−y₁) term.
//! Evaluated on the exact marginals, the A-terms carry N₁/(N₁−1) and the B-terms N₂/(N₂−1)
//! times their finite-N value, so (4.13) − (4.14) = V₁₂(x₁−y₁) term − (A-terms)/(N₁−1) −
//! (B-terms)/(N₂−1): the terms that vanish as N → ∞, reported by their trace norm.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use crate::evolution::hamiltonian::ManyBodyHamiltonian;
use crate::linalg::{dot, hermitian_eigenvalues, LinearOperator};
use crate::measure::reduced::MAX_REDUCED_DIMENSION;
use crate::model::Model;
use crate::space::fock::{index_of_site, lowering, FockBasis};
use crate::{Error, Result, C64};

/// Both sides of (4.13) and the right side of (4.14) on one state, as M² × M² kernels indexed
/// x + M y (row (x, y), column (x′, y′)).
#[derive(Clone, Debug)]
pub struct FirstEquation {
    /// i∂_t γ^(1,1), from HΨ.
    pub lhs: Mat<C64>,
    /// The right side of (4.13), from the marginals.
    pub rhs: Mat<C64>,
    /// The right side of (4.14) on the same marginals (None unless N₁, N₂ ≥ 2: with one
    /// particle of a species γ^(2,1) or γ^(1,2) does not exist).
    pub limit_rhs: Option<Mat<C64>>,
}

/// The trace norm of an anti-Hermitian (or Hermitian) kernel X: Σ |λ| over the eigenvalues of
/// the Hermitian part of iX (or X).
fn trace_norm(x: &Mat<C64>, anti_hermitian: bool) -> Result<f64> {
    let i = C64::new(0.0, 1.0);
    let n = x.nrows();
    let hermitian = Mat::from_fn(n, n, |r, c| {
        let (a, b) = if anti_hermitian {
            (i * x[(r, c)], i * x[(c, r)])
        } else {
            (x[(r, c)], x[(c, r)])
        };
        (a + b.conj()) * 0.5
    });
    Ok(hermitian_eigenvalues(&hermitian)?
        .iter()
        .map(|l| l.abs())
        .sum())
}

impl FirstEquation {
    /// The three kernels on the state Ψ (a D_A × D_B matrix on the model's bases), with H the
    /// model's Hamiltonian on those bases. Refused when M² exceeds the reduced-density limit or
    /// a species has no particle.
    pub fn evaluate(
        model: &Model,
        hamiltonian: &ManyBodyHamiltonian,
        basis_a: &FockBasis,
        basis_b: &FockBasis,
        state: &[C64],
    ) -> Result<Self> {
        let m = model.sites();
        let (n1, n2) = (basis_a.particles(), basis_b.particles());
        if n1 == 0 || n2 == 0 {
            return Err(Error::invalid(
                "BBGKY equation (4.13)",
                format!("needs a particle of each species; N1 = {n1}, N2 = {n2}"),
            ));
        }
        let p = m * m;
        if p > MAX_REDUCED_DIMENSION {
            return Err(Error::TooLarge(format!(
                "gamma^(1,1) on M = {m} sites is a {p} x {p} matrix (at most {MAX_REDUCED_DIMENSION})"
            )));
        }
        if state.len() != hamiltonian.dim() || state.len() != basis_a.dim() * basis_b.dim() {
            return Err(Error::invalid(
                "BBGKY equation (4.13)",
                "state, bases and Hamiltonian have different dimensions",
            ));
        }
        let mut applied = crate::linalg::zeros(state.len());
        hamiltonian.apply(state, &mut applied);

        let (one_a, one_b) = (FockBasis::new(m, 1)?, FockBasis::new(m, 1)?);
        let (rest_a, rest_b) = (FockBasis::new(m, n1 - 1)?, FockBasis::new(m, n2 - 1)?);
        let (ranks_a, factors_a) = lowering(basis_a, &one_a, &rest_a);
        let (ranks_b, factors_b) = lowering(basis_b, &one_b, &rest_b);
        let (kept_a, kept_b) = (index_of_site(&one_a), index_of_site(&one_b));
        // Diagonal potentials of the remaining particles, per site and remaining occupation.
        let remaining =
            |basis: &FockBasis, potential: &crate::model::one_body::PairPotential, scale| {
                let mut field = vec![0.0; m * basis.dim()];
                for r in 0..basis.dim() {
                    for (z, &n) in basis.occupation(r).iter().enumerate() {
                        if n != 0 {
                            for x in 0..m {
                                field[x * basis.dim() + r] += potential.value(x, z) * n as f64;
                            }
                        }
                    }
                }
                field.iter_mut().for_each(|f| *f *= scale);
                field
            };
        let (sa, sb, v12) = (
            model.species_a(),
            model.species_b(),
            model.inter_potential(),
        );
        let total = (n1 + n2) as f64;
        let w1 = remaining(&rest_a, &sa.potential, 1.0 / n1 as f64);
        let ua = remaining(&rest_a, v12, 1.0 / total);
        let w2 = remaining(&rest_b, &sb.potential, 1.0 / n2 as f64);
        let ub = remaining(&rest_b, v12, 1.0 / total);

        let (da, db, columns) = (rest_a.dim(), rest_b.dim(), basis_b.dim());
        let block_rows = ((1usize << 20) / (db * p).max(1)).clamp(1, da.max(1));
        let zero = C64::new(0.0, 0.0);
        // ⟨χ_l, χ_k⟩, ⟨χ_l, ξ_k⟩, ⟨χ_l, S^A_k χ_k⟩, ⟨χ_l, S^B_k χ_k⟩, each at (l, k).
        let mut gram = [
            Mat::<C64>::zeros(p, p),
            Mat::<C64>::zeros(p, p),
            Mat::<C64>::zeros(p, p),
            Mat::<C64>::zeros(p, p),
        ];
        for start in (0..da).step_by(block_rows) {
            let rows = block_rows.min(da - start);
            let mut blocks: [Mat<C64>; 4] =
                std::array::from_fn(|_| Mat::<C64>::zeros(rows * db, p));
            for y in 0..m {
                let jb = kept_b[y];
                for x in 0..m {
                    let (ia, k) = (kept_a[x], x + m * y);
                    for r in 0..rows {
                        let a = start + r;
                        let (source_a, fa) =
                            (ranks_a[ia * da + a] as usize, factors_a[ia * da + a]);
                        let on_a = w1[x * da + a] + ua[y * da + a];
                        for b in 0..db {
                            let (source_b, fb) =
                                (ranks_b[jb * db + b] as usize, factors_b[jb * db + b]);
                            let at = source_a * columns + source_b;
                            let chi = fa * fb * state[at];
                            let row = r * db + b;
                            blocks[0][(row, k)] = chi;
                            blocks[1][(row, k)] = fa * fb * applied[at];
                            blocks[2][(row, k)] = chi * on_a;
                            blocks[3][(row, k)] = chi * (w2[y * db + b] + ub[x * db + b]);
                        }
                    }
                }
            }
            for (g, block) in gram.iter_mut().zip(&blocks) {
                matmul(
                    g,
                    Accum::Add,
                    blocks[0].adjoint(),
                    block,
                    C64::new(1.0, 0.0),
                    Par::rayon(0),
                );
            }
        }
        let weight = 1.0 / (dot(state, state).re * (n1 * n2) as f64);
        // Kernel (k, l) of a matrix stored at (l, k), and X − X† for the commutator forms.
        let kernel = |g: &Mat<C64>| Mat::from_fn(p, p, |k, l| weight * g[(l, k)]);
        let gamma = kernel(&gram[0]);
        let anti = |g: &Mat<C64>| {
            let x = kernel(g);
            Mat::from_fn(p, p, |k, l| x[(k, l)] - x[(l, k)].conj())
        };
        let lhs = anti(&gram[1]);
        let (terms_a, terms_b) = (anti(&gram[2]), anti(&gram[3]));
        // [(h₁)^A_1 + (h₂)^B_1, γ^(1,1)] with (h₁ ⊗ 1 + 1 ⊗ h₂)_{(x,y),(x′,y′)}.
        let (h1, h2) = (sa.hamiltonian.matrix(), sb.hamiltonian.matrix());
        let one_body = Mat::from_fn(p, p, |k, l| {
            let (x, y, xp, yp) = (k % m, k / m, l % m, l / m);
            let mut value = zero;
            if y == yp {
                value += h1[(x, xp)];
            }
            if x == xp {
                value += h2[(y, yp)];
            }
            value
        });
        let commutator = &one_body * &gamma - &gamma * &one_body;
        let direct = Mat::from_fn(p, p, |k, l| {
            let (x, y, xp, yp) = (k % m, k / m, l % m, l / m);
            gamma[(k, l)] * ((v12.value(x, y) - v12.value(xp, yp)) / total)
        });
        let rhs = &commutator + &terms_a + &terms_b + &direct;
        let limit_rhs = (n1 >= 2 && n2 >= 2).then(|| {
            let (ga, gb) = (n1 as f64 / (n1 - 1) as f64, n2 as f64 / (n2 - 1) as f64);
            Mat::from_fn(p, p, |k, l| {
                commutator[(k, l)] + terms_a[(k, l)] * ga + terms_b[(k, l)] * gb
            })
        });
        Ok(FirstEquation {
            lhs,
            rhs,
            limit_rhs,
        })
    }

    /// ‖i∂_t γ^(1,1)‖₁, the size of the left side.
    pub fn lhs_norm(&self) -> Result<f64> {
        trace_norm(&self.lhs, true)
    }

    /// ‖LHS − RHS(4.13)‖₁: zero up to round-off if (4.13) holds.
    pub fn residual(&self) -> Result<f64> {
        trace_norm(&(&self.lhs - &self.rhs), true)
    }

    /// ‖RHS(4.13) − RHS(4.14)‖₁ on the exact marginals: the terms that vanish in the limit.
    pub fn limit_terms(&self) -> Result<Option<f64>> {
        self.limit_rhs
            .as_ref()
            .map(|limit| trace_norm(&(&self.rhs - limit), true))
            .transpose()
    }
}
