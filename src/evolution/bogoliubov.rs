//! The N → ∞ side: Bogoliubov fluctuations of the mixture around the Hartree pair (u_t, v_t) of
//! (2.10), and from them the exact limit curves lim N₁α^(1,0), lim N₂α^(0,1) and
//! lim (N₁+N₂)α^(1,1).
//!
//! # Derivation
//!
//! Write H of (2.8) in second quantisation (SPEC §2, N = N₁ + N₂):
//!
//! H = Σ (h₁)_{xy} a†_x a_y + (1/2N₁) Σ V₁(x−y) a†_x a†_y a_y a_x + (the same for B with b, h₂,
//! V₂, N₂) + (1/N) Σ V₁₂(x−y) a†_x a_x b†_y b_y.
//!
//! Put a_x = √N₁ u_x + α_x and b_y = √N₂ v_y + β_y, with the fluctuation fields α in {u_t}^⊥ and β
//! in {v_t}^⊥, and keep the terms of order N⁰. Of the six ways to give two of the four operators
//! of a†_x a†_y a_y a_x to the fluctuation, with the factor N₁/(2N₁) = 1/2 in front:
//!
//! * α†_x α_x |u_y|² and α†_y α_y |u_x|² give the direct term Σ (V₁*|u|²)(x) α†_x α_x;
//! * α†_x α_y ū_y u_x and its mirror give the exchange term Σ V₁(x−y) u_x ū_y α†_x α_y;
//! * α†_x α†_y u_x u_y and α_y α_x ū_x ū_y give the pairing ½ Σ V₁(x−y)(u_x u_y α†_x α†_y + h.c.).
//!
//! The inter-species term carries 1/N: with both fluctuations in a†_x a_x the factor is
//! N₂/N = c₂, the direct term c₂(V₁₂*|v|²)(x) α†_x α_x (and c₁(V₁₂*|u|²)(y) β†_y β_y for B); with
//! one fluctuation in each species the factor is √(N₁N₂)/N = √(c₁c₂) and the term is
//! √(c₁c₂) Σ V₁₂(x−y)(u_x α†_x + ū_x α_x)(v_y β†_y + v̄_y β_y): an inter-species hopping
//! √(c₁c₂)V₁₂(x−y) u_x v̄_y α†_x β_y + h.c. and an inter-species pairing
//! √(c₁c₂)V₁₂(x−y) u_x v_y α†_x β†_y + h.c. The terms linear in the fluctuations are
//! ⟨f, (i∂_t − h_H)u⟩-type and vanish because (u_t, v_t) solves (2.10).
//!
//! With ξ = (α, β) on the 2M modes (A sites, then B sites), the quadratic generator is
//!
//! H_Bog(t) = Σ A_{ij} ξ†_i ξ_j + ½ Σ (B_{ij} ξ†_i ξ†_j + h.c.),
//!
//! A = diag(h_H₁, h_H₂) + Q K₁ Q,   B = Q K₂ Qᵀ,   Q = diag(1 − |u⟩⟨u|, 1 − |v⟩⟨v|),
//!
//! where h_H₁ = h₁ + V₁*|u|² + c₂V₁₂*|v|² and h_H₂ = h₂ + V₂*|v|² + c₁V₁₂*|u|² are the Hartree
//! operators of (2.10), and
//!
//! K₁ = [[V₁(x−y)u_x ū_y, √(c₁c₂)V₁₂(x−y)u_x v̄_y], [h.c., V₂(x−y)v_x v̄_y]],
//! K₂ = [[V₁(x−y)u_x u_y, √(c₁c₂)V₁₂(x−y)u_x v_y], [transpose, V₂(x−y)v_x v_y]].
//!
//! The Hartree operators are left unprojected: i∂_t u = h_H₁ u, so the one-body part carries the
//! complement {u_t}^⊥ along with u_t, and the projected K₁, K₂ never leave it (the same form as
//! Lewin–Nam–Schlein's Bogoliubov equation for one species, with the phase convention of (2.10),
//! which has no chemical potential, on both sides).
//!
//! # The Bogoliubov transformation
//!
//! In the Heisenberg picture ξ_t = U_t ξ + W_t ξ̄ (ξ̄ the column of ξ†), and i∂_tξ_t = [ξ_t, H_Bog]
//! = Aξ_t + Bξ̄_t gives the linear ODE of size 2M × 2M
//!
//! i∂_t U = A U + B W̄,   i∂_t W = A W + B Ū,   U₀ = 1, W₀ = 0,
//!
//! (the double condensate u₀^{⊗N₁} ⊗ v₀^{⊗N₂} is the fluctuation vacuum). In the vacuum,
//! ⟨ξ†_{t,k} ξ_{t,k}⟩ = (W W*)_{kk}, so the numbers of excitations are
//! N_A(t) = Σ_{k ∈ A} (W W*)_{kk} and N_B(t) = Σ_{k ∈ B} (W W*)_{kk}, and
//!
//! lim N₁α^(1,0) = N_A,   lim N₂α^(0,1) = N_B,   lim (N₁+N₂)α^(1,1) = N_A/c₁ + N_B/c₂,
//!
//! the last from α^(1,1) = E\[k_A\]/N₁ + E\[k_B\]/N₂ − E\[k_A k_B\]/(N₁N₂), whose third term is
//! O(1/N²).
//!
//! # Invariants, reported along the run
//!
//! * U U* − W W* = 1 and U Wᵀ = W Uᵀ (the canonical commutation relations of ξ_t);
//! * the condensate modes stay empty: u_t* W_A = 0 and v_t* W_B = 0 (W_A the A rows of W). It
//!   holds exactly because i∂_t(u* W_A) = u*(A W + B Ū)_A − (h_H₁u)* W_A = 0, the projections
//!   removing u from the range of K₁ and K₂.
//!
//! The whole state (u, v, U, W) is integrated by [`Dop853`], so the one tolerance controls the
//! Hartree pair and the transformation together. Each right-hand side costs two complex
//! (2M) × (2M) × (4M) matrix products.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::evolution::hartree::{Dop853, HartreeSystem, IntegrationStats};
use crate::model::one_body::PairPotential;
use crate::model::Model;
use crate::{Error, Result, C64};

/// Columns of the `bogoliubov` table, in the order of [`BogoliubovRow::cells`].
pub const BOGOLIUBOV_COLUMNS: [&str; 8] = [
    "t",
    "n_alpha10_limit",
    "n_alpha01_limit",
    "n_alpha11_limit",
    "symplectic_defect",
    "pairing_defect",
    "condensate_defect",
    "energy_hartree",
];

/// The Bogoliubov quantities at one output time.
#[derive(Clone, Debug, PartialEq)]
pub struct BogoliubovRow {
    /// The time t.
    pub t: f64,
    /// lim N₁α^(1,0)(t) = N_A(t), the number of A excitations.
    pub n_alpha10_limit: f64,
    /// lim N₂α^(0,1)(t) = N_B(t), the number of B excitations.
    pub n_alpha01_limit: f64,
    /// lim (N₁+N₂)α^(1,1)(t) = N_A/c₁ + N_B/c₂.
    pub n_alpha11_limit: f64,
    /// max |U U* − W W* − 1|, entrywise.
    pub symplectic_defect: f64,
    /// max |U Wᵀ − W Uᵀ|, entrywise.
    pub pairing_defect: f64,
    /// ‖u_t* W_A‖² + ‖v_t* W_B‖², the number of excitations in the condensate modes.
    pub condensate_defect: f64,
    /// E[u_t, v_t] (4.8), conserved by (2.10).
    pub energy_hartree: f64,
}

impl BogoliubovRow {
    /// The row in the order of [`BOGOLIUBOV_COLUMNS`].
    pub fn cells(&self) -> [f64; 8] {
        [
            self.t,
            self.n_alpha10_limit,
            self.n_alpha01_limit,
            self.n_alpha11_limit,
            self.symplectic_defect,
            self.pairing_defect,
            self.condensate_defect,
            self.energy_hartree,
        ]
    }
}

/// The Bogoliubov generator of a model: the coefficient matrices A, B of H_Bog(t) at a Hartree
/// pair, and the right-hand side of the combined ODE for (u, v, U, W).
#[derive(Clone, Debug)]
pub struct BogoliubovSystem<'a> {
    model: &'a Model,
    hartree: HartreeSystem<'a>,
}

impl<'a> BogoliubovSystem<'a> {
    /// The Bogoliubov system of a model (only c₁, c₂ of its particle numbers enter).
    pub fn new(model: &'a Model) -> Self {
        BogoliubovSystem {
            model,
            hartree: HartreeSystem::new(model),
        }
    }

    /// The coefficients (A, B) of H_Bog at the Hartree pair (u, v), each 2M × 2M (see the module
    /// documentation): A Hermitian, B symmetric.
    pub fn generator(&self, u: &[C64], v: &[C64]) -> (Mat<C64>, Mat<C64>) {
        let model = self.model;
        let m = model.sites();
        let (a, b, v12) = (
            model.species_a(),
            model.species_b(),
            model.inter_potential(),
        );
        let (c1, c2) = (model.c1(), model.c2());
        let mixed = (c1 * c2).sqrt();
        let mut big_a = Mat::<C64>::zeros(2 * m, 2 * m);
        let mut big_b = Mat::<C64>::zeros(2 * m, 2 * m);
        let conj = |w: &[C64]| -> Vec<C64> { w.iter().map(|z| z.conj()).collect() };

        // The Hartree operators, unprojected.
        let (field_u, field_v) = self.hartree.fields(u, v);
        for (offset, h, field) in [
            (0, a.hamiltonian.matrix(), &field_u),
            (m, b.hamiltonian.matrix(), &field_v),
        ] {
            for x in 0..m {
                for y in 0..m {
                    big_a[(offset + x, offset + y)] = h[(x, y)];
                }
                big_a[(offset + x, offset + x)] += field[x];
            }
        }
        // Q K₁ Q and Q K₂ Qᵀ, block by block: (left orbital, right orbital, potential, weight).
        let orbitals: [(&[C64], &[C64]); 3] = [(u, u), (v, v), (u, v)];
        let placed = [
            (0, 0, &a.potential, 1.0),
            (m, m, &b.potential, 1.0),
            (0, m, v12, mixed),
        ];
        for ((left, right), (row0, col0, potential, weight)) in orbitals.into_iter().zip(placed) {
            if weight == 0.0 {
                continue;
            }
            // K₁ block: weight V(x−y) left_x conj(right_y); projected (1 − ll*) K (1 − rr*).
            let exchange = kernel(potential, weight, left, &conj(right));
            let exchange = project(&exchange, left, right);
            // K₂ block: weight V(x−y) left_x right_y; projected (1 − ll*) K (1 − r̄ r̄*).
            let pairing = kernel(potential, weight, left, right);
            let pairing = project(&pairing, left, &conj(right));
            for x in 0..m {
                for y in 0..m {
                    big_a[(row0 + x, col0 + y)] += exchange[x * m + y];
                    big_b[(row0 + x, col0 + y)] += pairing[x * m + y];
                    if row0 != col0 {
                        big_a[(col0 + y, row0 + x)] += exchange[x * m + y].conj();
                        big_b[(col0 + y, row0 + x)] += pairing[x * m + y];
                    }
                }
            }
        }
        (big_a, big_b)
    }

    /// ∂_t of the combined state (u, v, U, W): (2.10) for (u, v) and
    /// ∂_t[U W] = −i(A[U W] + B[W̄ Ū]); U and W are stored column-major, one after the other.
    pub fn derivative(&self, state: &[C64], out: &mut [C64]) {
        let m = self.model.sites();
        let n = 2 * m;
        let (pair, transformation) = state.split_at(2 * m);
        let (pair_out, transformation_out) = out.split_at_mut(2 * m);
        self.hartree.derivative(pair, pair_out);
        let (u, v) = pair.split_at(m);
        let (big_a, big_b) = self.generator(u, v);
        // [W̄ Ū]: the conjugates of the two halves, swapped.
        let (big_u, big_w) = transformation.split_at(n * n);
        let swapped: Vec<C64> = big_w.iter().chain(big_u).map(|z| z.conj()).collect();
        let current = MatRef::from_column_major_slice(transformation, n, 2 * n);
        let swapped = MatRef::from_column_major_slice(&swapped, n, 2 * n);
        let mut result = faer::MatMut::from_column_major_slice_mut(transformation_out, n, 2 * n);
        let minus_i = C64::new(0.0, -1.0);
        matmul(
            result.as_mut(),
            Accum::Replace,
            big_a.as_ref(),
            current,
            minus_i,
            Par::rayon(0),
        );
        matmul(
            result.as_mut(),
            Accum::Add,
            big_b.as_ref(),
            swapped,
            minus_i,
            Par::rayon(0),
        );
    }

    /// The row of Bogoliubov quantities of the combined state at time t.
    pub fn row(&self, t: f64, state: &[C64]) -> BogoliubovRow {
        let model = self.model;
        let m = model.sites();
        let n = 2 * m;
        let (u, rest) = state.split_at(m);
        let (v, transformation) = rest.split_at(m);
        let (big_u, big_w) = transformation.split_at(n * n);
        let big_u = MatRef::from_column_major_slice(big_u, n, n);
        let big_w = MatRef::from_column_major_slice(big_w, n, n);
        // Numbers of excitations: the squared Frobenius norms of the A and B rows of W.
        let rows_norm = |first: usize| -> f64 {
            let mut sum = 0.0;
            for j in 0..n {
                for i in first..first + m {
                    sum += big_w[(i, j)].norm_sqr();
                }
            }
            sum
        };
        let (n_a, n_b) = (rows_norm(0), rows_norm(m));
        // Invariants.
        let one = C64::new(1.0, 0.0);
        let mut gram = Mat::<C64>::zeros(n, n);
        matmul(
            gram.as_mut(),
            Accum::Replace,
            big_u,
            big_u.adjoint(),
            one,
            Par::rayon(0),
        );
        matmul(
            gram.as_mut(),
            Accum::Add,
            big_w,
            big_w.adjoint(),
            -one,
            Par::rayon(0),
        );
        let mut pairing = Mat::<C64>::zeros(n, n);
        matmul(
            pairing.as_mut(),
            Accum::Replace,
            big_u,
            big_w.transpose(),
            one,
            Par::rayon(0),
        );
        matmul(
            pairing.as_mut(),
            Accum::Add,
            big_w,
            big_u.transpose(),
            -one,
            Par::rayon(0),
        );
        let mut symplectic_defect: f64 = 0.0;
        let mut pairing_defect: f64 = 0.0;
        for j in 0..n {
            for i in 0..n {
                let identity = if i == j { one } else { C64::new(0.0, 0.0) };
                symplectic_defect = symplectic_defect.max((gram[(i, j)] - identity).norm());
                pairing_defect = pairing_defect.max(pairing[(i, j)].norm());
            }
        }
        let mut condensate_defect = 0.0;
        for j in 0..n {
            let (mut in_u, mut in_v) = (C64::new(0.0, 0.0), C64::new(0.0, 0.0));
            for x in 0..m {
                in_u += u[x].conj() * big_w[(x, j)];
                in_v += v[x].conj() * big_w[(m + x, j)];
            }
            condensate_defect += in_u.norm_sqr() + in_v.norm_sqr();
        }
        BogoliubovRow {
            t,
            n_alpha10_limit: n_a,
            n_alpha01_limit: n_b,
            n_alpha11_limit: n_a / model.c1() + n_b / model.c2(),
            symplectic_defect,
            pairing_defect,
            condensate_defect,
            energy_hartree: self.hartree.energy(u, v),
        }
    }

    /// Integrates the Hartree pair and the Bogoliubov transformation from (u₀, v₀, 1, 0) through
    /// `times` (starting at 0, increasing) with the relative tolerance `tolerance` of
    /// [`Dop853`], calling `on_row` at each.
    pub fn evolve(
        &self,
        u0: &[C64],
        v0: &[C64],
        times: &[f64],
        tolerance: f64,
        mut on_row: impl FnMut(&BogoliubovRow) -> Result<()>,
    ) -> Result<IntegrationStats> {
        let m = self.model.sites();
        if u0.len() != m || v0.len() != m {
            return Err(Error::invalid(
                "Bogoliubov initial data",
                format!("orbitals must have M = {m} entries"),
            ));
        }
        if times.first() != Some(&0.0) {
            return Err(Error::invalid("output times", "must start at 0"));
        }
        let n = 2 * m;
        let mut state = vec![C64::new(0.0, 0.0); 2 * m + 2 * n * n];
        state[..m].copy_from_slice(u0);
        state[m..2 * m].copy_from_slice(v0);
        for k in 0..n {
            state[2 * m + k * n + k] = C64::new(1.0, 0.0);
        }
        Dop853::new(tolerance)?.integrate(
            |y, dy| self.derivative(y, dy),
            &mut state,
            times,
            |_, t, y| {
                let row = self.row(t, y);
                let values = [
                    row.n_alpha10_limit,
                    row.n_alpha01_limit,
                    row.symplectic_defect,
                    row.energy_hartree,
                ];
                if values.iter().any(|x| !x.is_finite()) {
                    return Err(Error::Numerical(format!(
                        "the Bogoliubov transformation is no longer finite at t = {t}"
                    )));
                }
                on_row(&row)
            },
        )
    }
}

/// The row-major M × M kernel weight·V(x−y)·left_x·right_y.
fn kernel(potential: &PairPotential, weight: f64, left: &[C64], right: &[C64]) -> Vec<C64> {
    let mut out = Vec::with_capacity(left.len() * right.len());
    for (x, l) in left.iter().enumerate() {
        for (y, r) in right.iter().enumerate() {
            out.push(l * r * (weight * potential.value(x, y)));
        }
    }
    out
}

/// (1 − |l⟩⟨l|) K (1 − |r⟩⟨r|) of a row-major M × M kernel, in O(M²):
/// K − l (l*K) − (K r) r* + l (l*K r) r*.
fn project(k: &[C64], l: &[C64], r: &[C64]) -> Vec<C64> {
    let m = l.len();
    let mut l_k = vec![C64::new(0.0, 0.0); m]; // (l* K)_y
    let mut k_r = vec![C64::new(0.0, 0.0); m]; // (K r)_x
    for x in 0..m {
        for y in 0..m {
            l_k[y] += l[x].conj() * k[x * m + y];
            k_r[x] += k[x * m + y] * r[y];
        }
    }
    let l_k_r: C64 = l_k.iter().zip(r).map(|(a, b)| a * b).sum();
    let mut out = Vec::with_capacity(m * m);
    for x in 0..m {
        for y in 0..m {
            out.push(
                k[x * m + y] - l[x] * l_k[y] - k_r[x] * r[y].conj() + l[x] * l_k_r * r[y].conj(),
            );
        }
    }
    out
}
