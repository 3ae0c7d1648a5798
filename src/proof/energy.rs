//! §2.5, "Controls in the energy space": Theorem 2.1 under (A2′), with the constants of (2.23)
//! computed exactly and κ derived from the proof's steps.
//!
//! **The form norm.** (A1) takes h_j positive and (2.12) gives the form domain the norm
//! ‖φ‖²_{D\[h\]} = ⟨φ, (1 + h)φ⟩. On the lattice h_j is made positive by its smallest shift,
//! h̃_j = h_j − λ_min(h_j) (a constant shift of h_j changes no α), so K_j = 1 + h̃_j ≥ 1 and
//! ‖φ‖_{D\[h_j\]} = ⟨φ, K_j φ⟩^{1/2} ≥ ‖φ‖₂.
//!
//! **The constants of (2.23)**, C = sup_φ ‖V² * |φ|²‖_∞ / ‖φ‖²_{D\[h\]}, are generalised eigenvalue
//! problems: for each site x, ‖V² * |φ|²‖ at x is ⟨φ, W_x φ⟩ with W_x = diag_y V(x − y)², so
//! sup_φ ⟨φ, W_x φ⟩/⟨φ, K φ⟩ = λ_max(K^{−1/2} W_x K^{−1/2}), and C = max_x of it. K^{−1/2} comes from
//! the eigendecomposition of h; each x is one M × M Hermitian eigenvalue problem. C₁ (V₁, h₁),
//! C₂ (V₂, h₂), and for V₁₂ one constant against each species, C₁₂ᵘ (h₁) and C₁₂ᵛ (h₂).
//!
//! **What replaces Lemma 5.1.** The proof uses S₁ = ‖V * |φ|²‖_∞ and S₂ = ‖V² * |φ|²‖_∞^{1/2}
//! ([`super::bounds`]). (2.23) gives S₂ ≤ E := √C ‖φ‖_{D\[h\]}, and Cauchy–Schwarz with ‖φ‖₂ = 1
//! gives S₁ ≤ S₂ ≤ E: both suprema are bounded by the same E, where Lemma 5.1 gave S₁ ≤ A,
//! S₂ ≤ √2 A. Write E₁ = √C₁‖u‖_{D\[h₁\]}, E₂ = √C₂‖v‖_{D\[h₂\]}, Eᵘ = √C₁₂ᵘ‖u‖_{D\[h₁\]},
//! Eᵛ = √C₁₂ᵛ‖v‖_{D\[h₂\]}.
//!
//! **κ for this form**, the chains of [`super::bounds`] with S₁, S₂ ≤ E:
//! * C_V1 (C_V2 likewise). Tight: 4|(pp,qp)| ≤ (2/c₁)E₁/N, 4|(qp,qq)| ≤ 2(S₁ + S₂)α ≤ 4E₁α,
//!   2|(pp,qq)| ≤ 2√((N₁−1)/N₁)S₂(α + 1/N₁) ≤ 2E₁α + (2/c₁)E₁/N; so a = 6, b = 4/c₁ and
//!   κ₁,E,tight = max(6, 4/c₁) (8 at c₁ = ½). As printed (each term's coefficient of (α + 1/N)
//!   added, the printed 2 for √(N₁/(N₁−1)) and 2/c₁ for N/N₁ kept): 2/c₁ + 4 + 8/c₁, so
//!   κ₁,E = 10/c₁ + 4 (24 at c₁ = ½).
//! * C_V12. Tight: 2(|T(pq,qp)| + |T(qp,qq)| + |T(pq,qq)| + |T(pp,qq)|) is at most twice
//!   (c₁Eᵘ + c₂Eᵛ)α (5.40)–(5.41), c₁(Eᵘ + Eᵛ)α and c₂(Eᵘ + Eᵛ)α (5.42), and
//!   Eᵛ(c₁α + 1/(2N)), Eᵘ(c₂α + 1/(2N)), Eᵘ/N (the three parts of (pp,qq)), which sum to
//!   4Eᵘα + 4Eᵛα + 3Eᵘ/N + Eᵛ/N: κ₁₂,E,tight = 4. As printed (√2A → E in every printed step):
//!   6(Eᵘ + Eᵛ)α, (8/c₁)Eᵛ(α + 1/N), (4/c₂)Eᵘ(α + 1/N) and 2Eᵘ/N, so
//!   κ₁₂,E = max(8 + 4/c₂, 6 + 8/c₁) (22 at c = ½).
//!
//! Then dα/dt ≤ κ_E (E₁ + E₂ + Eᵘ + Eᵛ)(α + 1/N) with κ_E = max(κ₁,E, κ₂,E, κ₁₂,E), and Grönwall
//! gives α(t) ≤ (α(0) + 1/N) e^{κ_E f_E(t)} with f_E(t) = ∫₀ᵗ (E₁ + E₂ + Eᵘ + Eᵛ) dτ. The paper
//! writes f(t) = ∫ (‖u‖²_{D\[h₁\]} + ‖v‖²_{D\[h₂\]}) with the constants in κ; since ‖φ‖_{D\[h\]} ≥ 1, that
//! f is larger, and f_E is what the steps give.

use super::bounds::ProofConstants;
use super::gronwall::{hartree_speeds, upper_integral};
use crate::linalg::hermitian_eigen;
use crate::model::one_body::PairPotential;
use crate::model::{Model, Species};
use crate::{Result, C64};

/// K = 1 + h − λ_min(h) of one species, with K^{−1/2}, ‖K‖ and the matrix itself.
#[derive(Clone, Debug)]
struct FormNorm {
    /// K as a dense M × M matrix (row-major).
    matrix: Vec<C64>,
    /// K^{−1/2}, row-major.
    inverse_root: Vec<C64>,
    /// ‖K‖ = 1 + λ_max(h) − λ_min(h).
    norm: f64,
}

impl FormNorm {
    fn new(species: &Species) -> Result<Self> {
        let h = species.hamiltonian.matrix();
        let m = h.nrows();
        let (values, vectors) = hermitian_eigen(h)?;
        let lowest = values[0];
        let shifted: Vec<f64> = values.iter().map(|l| 1.0 + (l - lowest)).collect();
        let build = |f: &dyn Fn(f64) -> f64| -> Vec<C64> {
            let mut out = vec![C64::new(0.0, 0.0); m * m];
            for i in 0..m {
                for j in 0..m {
                    out[i * m + j] = (0..m)
                        .map(|k| vectors[(i, k)] * f(shifted[k]) * vectors[(j, k)].conj())
                        .sum();
                }
            }
            out
        };
        Ok(FormNorm {
            matrix: build(&|l| l),
            inverse_root: build(&|l| 1.0 / l.sqrt()),
            norm: shifted[m - 1],
        })
    }

    /// ‖φ‖_{D\[h\]} = ⟨φ, K φ⟩^{1/2}.
    fn of(&self, phi: &[C64]) -> f64 {
        let m = phi.len();
        let mut value = C64::new(0.0, 0.0);
        for i in 0..m {
            let row: C64 = (0..m).map(|j| self.matrix[i * m + j] * phi[j]).sum();
            value += phi[i].conj() * row;
        }
        value.re.max(0.0).sqrt()
    }

    /// C = max_x λ_max(K^{−1/2} W_x K^{−1/2}), W_x = diag V(x − ·)² (module docs), with a
    /// relative margin of 1e-12 for the rounding of the eigenvalues.
    fn constant(&self, potential: &PairPotential) -> Result<f64> {
        let m = potential.sites();
        let r = &self.inverse_root;
        let mut largest: f64 = 0.0;
        for x in 0..m {
            let weights: Vec<f64> = potential.row(x).iter().map(|v| v * v).collect();
            if weights.iter().all(|&w| w == 0.0) {
                continue;
            }
            // (K^{−1/2} W K^{−1/2})_{ij} = Σ_y R_{iy} w_y R_{yj}.
            let b = faer::Mat::from_fn(m, m, |i, j| {
                (0..m)
                    .map(|y| r[i * m + y] * weights[y] * r[y * m + j])
                    .sum::<C64>()
            });
            let values = crate::linalg::hermitian_eigenvalues(&b)?;
            largest = largest.max(values[m - 1]);
        }
        Ok(largest * (1.0 + 1e-12))
    }
}

/// The constants of (2.23) for a model and the form norms they go with.
#[derive(Clone, Debug)]
pub struct EnergySpaceConstants {
    forms: [FormNorm; 2],
    /// C₁ (V₁ against h₁) and C₂ (V₂ against h₂).
    pub intra: [f64; 2],
    /// C₁₂ᵘ (V₁₂ against h₁) and C₁₂ᵛ (V₁₂ against h₂).
    pub inter: [f64; 2],
    /// A Lipschitz constant of [`EnergySpaceConstants::sum`] along any solution of (2.10).
    pub lipschitz: f64,
}

impl EnergySpaceConstants {
    /// The constants of `model` (module docs).
    pub fn new(model: &Model) -> Result<Self> {
        let (a, b) = (model.species_a(), model.species_b());
        let forms = [FormNorm::new(a)?, FormNorm::new(b)?];
        let v12 = model.inter_potential();
        let intra = [
            forms[0].constant(&a.potential)?,
            forms[1].constant(&b.potential)?,
        ];
        let inter = [forms[0].constant(v12)?, forms[1].constant(v12)?];
        // |d/dt ‖u‖_D| = |Re⟨∂_t u, K u⟩|/‖u‖_D ≤ ‖∂_t u‖₂ ‖K‖^{1/2}, with ‖∂_t u‖₂ ≤ D_u.
        let [d_u, d_v] = hartree_speeds(model);
        let lipschitz = (intra[0].sqrt() + inter[0].sqrt()) * d_u * forms[0].norm.sqrt()
            + (intra[1].sqrt() + inter[1].sqrt()) * d_v * forms[1].norm.sqrt();
        Ok(EnergySpaceConstants {
            forms,
            intra,
            inter,
            lipschitz,
        })
    }

    /// ‖u‖_{D\[h₁\]} and ‖v‖_{D\[h₂\]}.
    pub fn form_norms(&self, u: &[C64], v: &[C64]) -> [f64; 2] {
        [self.forms[0].of(u), self.forms[1].of(v)]
    }

    /// [E₁, E₂, Eᵘ, Eᵛ] at (u, v).
    pub fn suprema_bounds(&self, u: &[C64], v: &[C64]) -> [f64; 4] {
        let [nu, nv] = self.form_norms(u, v);
        [
            self.intra[0].sqrt() * nu,
            self.intra[1].sqrt() * nv,
            self.inter[0].sqrt() * nu,
            self.inter[1].sqrt() * nv,
        ]
    }

    /// E₁ + E₂ + Eᵘ + Eᵛ, the integrand of f_E.
    pub fn sum(&self, u: &[C64], v: &[C64]) -> f64 {
        self.suprema_bounds(u, v).iter().sum()
    }
}

/// κ_j,E(c_j) for C_V1 or C_V2: as printed 10/c_j + 4, tight max(6, 4/c_j) (module docs).
pub fn kappa_energy_intra(c: f64, constants: ProofConstants) -> f64 {
    match constants {
        ProofConstants::AsPrinted => 10.0 / c + 4.0,
        ProofConstants::Tight => 6f64.max(4.0 / c),
    }
}

/// κ₁₂,E(c₁, c₂) for C_V12: as printed max(8 + 4/c₂, 6 + 8/c₁), tight 4 (module docs).
pub fn kappa_energy_inter(c1: f64, c2: f64, constants: ProofConstants) -> f64 {
    match constants {
        ProofConstants::AsPrinted => (8.0 + 4.0 / c2).max(6.0 + 8.0 / c1),
        ProofConstants::Tight => 4.0,
    }
}

/// κ_E = max(κ₁,E, κ₂,E, κ₁₂,E).
pub fn kappa_energy(c1: f64, c2: f64, constants: ProofConstants) -> f64 {
    kappa_energy_intra(c1, constants)
        .max(kappa_energy_intra(c2, constants))
        .max(kappa_energy_inter(c1, c2, constants))
}

/// Upper bounds on f_E(t_k) = ∫₀^{t_k} (E₁ + E₂ + Eᵘ + Eᵛ) dτ along the Hartree solution from
/// (u₀, v₀), by the tent rule of [`super::gronwall`].
pub fn energy_integral(
    model: &Model,
    u0: &[C64],
    v0: &[C64],
    outputs: &[f64],
    tolerance: f64,
) -> Result<Vec<f64>> {
    let constants = EnergySpaceConstants::new(model)?;
    upper_integral(
        model,
        u0,
        v0,
        outputs,
        tolerance,
        |u, v| constants.sum(u, v),
        constants.lipschitz,
    )
}
