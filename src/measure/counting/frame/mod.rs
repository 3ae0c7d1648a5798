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
//! **Phases first.** W = R_1 ⋯ R_{M−1} P with P = diag(e^{−i arg u_x}): a factor's phases act
//! on modes the rotations before it have not touched, and after a rotation the mode it filled is
//! real, so all the phases are one diagonal Γ(P) = e^{−i Σ_x arg(u_x) n_x}, applied with the copy
//! of Ψ; each factor is then a real rotation.
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
//! which depend on s only and are cached. Per factor, the real block R_s = D⁻¹ V e^{iθσ} Vᵀ D
//! (its real part) is formed once per sector size; it then acts on the rows
//! of species A (row combinations piece by piece, the sums in registers, or one faer product for
//! large sectors) and on the columns of species B in place (tiles of eight rows laid side by side
//! once for all the factors, a column in two vectors), with no transpose of the state, in the
//! widest vector unit and with the bits of plain complex arithmetic on every unit. The cost per factor is
//! Σ over sectors of (s+1)² × (row length), at most O(D · N) per species and factor,
//! O(D (N₁+N₂) M) in all; the extra memory is one sector's rows per thread.

mod givens;
mod sectors;
mod species;

pub use givens::frame_unitary;
pub use species::SpeciesFrame;

use crate::model::one_body::check_normalised;
use crate::space::fock::FockBasis;
use crate::space::state::check_state_len;
use crate::{Result, C64};

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
        check_normalised("u", u, self.species_a.modes)?;
        check_normalised("v", v, self.species_b.modes)?;
        // Γ(W) = Γ(R) Γ(P): the phases of both species first (with the copy), then the real
        // rotations; the inverse the other way round.
        let (mut phase_a, mut phase_b) = (self.species_a.phases(u), self.species_b.phases(v));
        if inverse {
            phase_a.iter_mut().for_each(|p| *p = p.conj());
            phase_b.iter_mut().for_each(|p| *p = p.conj());
        }
        let width = columns.max(1);
        let mut data = if inverse {
            crate::linalg::parallel_copy(state)
        } else {
            crate::linalg::filled_in_parallel(state.len(), width, |start, row| {
                let pa = phase_a[start / width];
                for ((out, &z), &pb) in row.iter_mut().zip(&state[start..]).zip(&phase_b) {
                    out.write(z * (pa * pb));
                }
            })
        };
        self.species_a
            .transform(u, &mut data, columns, true, inverse);
        self.species_b.transform(v, &mut data, rows, false, inverse);
        if inverse {
            use rayon::prelude::*;
            data.par_chunks_mut(columns.max(1))
                .enumerate()
                .for_each(|(a, row)| {
                    for (z, &pb) in row.iter_mut().zip(&phase_b) {
                        *z *= phase_a[a] * pb;
                    }
                });
        }
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

    /// At M = 1 (no rotation left) the frame is the phase of the condensate's one coefficient
    /// per particle: Γ(W) = e^{−i N₁ arg u₀} ⊗ e^{−i N₂ arg v₀} on the one state, and back.
    #[test]
    fn one_mode_frame_is_the_closed_form_phase() {
        let (a, b) = (FockBasis::new(1, 3).unwrap(), FockBasis::new(1, 2).unwrap());
        let frame = CondensateFrame::new(&a, &b).unwrap();
        let (u, v) = ([C64::from_polar(1.0, 0.7)], [C64::from_polar(1.0, -1.9)]);
        let state = [C64::new(0.3, -0.4)];
        let expected = state[0] * C64::from_polar(1.0, -(3.0 * 0.7 + 2.0 * -1.9));
        let there = frame.to_frame(&state, &u, &v).unwrap();
        assert!(
            (there[0] - expected).norm() < 1e-15,
            "{} against {expected}",
            there[0]
        );
        let back = frame.from_frame(&there, &u, &v).unwrap();
        assert!(
            (back[0] - state[0]).norm() < 1e-15,
            "{} against {}",
            back[0],
            state[0]
        );
    }
}
