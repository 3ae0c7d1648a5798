//! The Hartree system (2.10) and its energy (4.8) (SPEC §3):
//!
//! i∂_t u = h₁u + (V₁ * |u|²)u + c₂(V₁₂ * |v|²)u,
//! i∂_t v = h₂v + (V₂ * |v|²)v + c₁(V₁₂ * |u|²)v,
//!
//! with the exact ratios c₁ = N₁/(N₁+N₂), c₂ = N₂/(N₁+N₂), integrated by [`Dop853`].

mod dop853;

pub use dop853::{Dop853, IntegrationStats};

use crate::model::Model;
use crate::{Error, Result, C64};

/// The condensate pair (u_t, v_t) at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct HartreeState {
    /// The time t.
    pub time: f64,
    /// u_t (species A).
    pub u: Vec<C64>,
    /// v_t (species B).
    pub v: Vec<C64>,
}

/// The right-hand side and energy of (2.10) for one model.
#[derive(Clone, Debug)]
pub struct HartreeSystem<'a> {
    model: &'a Model,
}

impl<'a> HartreeSystem<'a> {
    /// The Hartree system of a model (c₁, c₂ from its exact particle numbers).
    pub fn new(model: &'a Model) -> Self {
        HartreeSystem { model }
    }

    /// ∂_t(u, v) = −i(h₁u + (V₁*|u|²)u + c₂(V₁₂*|v|²)u, h₂v + (V₂*|v|²)v + c₁(V₁₂*|u|²)v),
    /// with `state` = (u, v) concatenated.
    pub fn derivative(&self, state: &[C64], out: &mut [C64]) {
        let model = self.model;
        let m = model.sites();
        let (u, v) = state.split_at(m);
        let (field_u, field_v) = self.fields(u, v);
        let hu = model.species_a().hamiltonian.apply(u);
        let hv = model.species_b().hamiltonian.apply(v);
        let minus_i = C64::new(0.0, -1.0);
        for x in 0..m {
            out[x] = minus_i * (hu[x] + field_u[x] * u[x]);
            out[m + x] = minus_i * (hv[x] + field_v[x] * v[x]);
        }
    }

    /// The mean fields of (2.10): (V₁*|u|² + c₂V₁₂*|v|², V₂*|v|² + c₁V₁₂*|u|²), so that the
    /// Hartree operators are h₁ + the first and h₂ + the second.
    pub fn fields(&self, u: &[C64], v: &[C64]) -> (Vec<f64>, Vec<f64>) {
        let model = self.model;
        let v12 = model.inter_potential();
        (
            add(
                &model.species_a().potential.convolve_density(u),
                model.c2(),
                &v12.convolve_density(v),
            ),
            add(
                &model.species_b().potential.convolve_density(v),
                model.c1(),
                &v12.convolve_density(u),
            ),
        )
    }

    /// E[u, v] = c₁⟨u,h₁u⟩ + c₂⟨v,h₂v⟩ + (c₁/2)⟨u,(V₁*|u|²)u⟩ + (c₂/2)⟨v,(V₂*|v|²)v⟩
    /// + c₁c₂⟨u,(V₁₂*|v|²)u⟩, the energy per particle (4.8), conserved by (2.10) (4.11).
    pub fn energy(&self, u: &[C64], v: &[C64]) -> f64 {
        let model = self.model;
        let (c1, c2) = (model.c1(), model.c2());
        let (a, b, v12) = (
            model.species_a(),
            model.species_b(),
            model.inter_potential(),
        );
        let weighted = |field: &[f64], w: &[C64]| -> f64 {
            field.iter().zip(w).map(|(f, z)| f * z.norm_sqr()).sum()
        };
        c1 * a.hamiltonian.expectation(u)
            + c2 * b.hamiltonian.expectation(v)
            + 0.5 * c1 * weighted(&a.potential.convolve_density(u), u)
            + 0.5 * c2 * weighted(&b.potential.convolve_density(v), v)
            + c1 * c2 * weighted(&v12.convolve_density(v), u)
    }

    /// Solves (2.10) from (u₀, v₀) at t = 0 and returns (u_t, v_t) at each of `times`.
    pub fn solve(
        &self,
        u0: &[C64],
        v0: &[C64],
        times: &[f64],
        tolerance: f64,
    ) -> Result<(Vec<HartreeState>, IntegrationStats)> {
        let mut trajectory = Vec::with_capacity(times.len());
        let stats = self.solve_with(u0, v0, times, tolerance, |time, u, v| {
            trajectory.push(HartreeState {
                time,
                u: u.to_vec(),
                v: v.to_vec(),
            });
            Ok(())
        })?;
        Ok((trajectory, stats))
    }

    /// Solves (2.10) from (u₀, v₀) at t = 0, handing (t, u_t, v_t) at each of `times` to
    /// `observe` without keeping them.
    pub fn solve_with(
        &self,
        u0: &[C64],
        v0: &[C64],
        times: &[f64],
        tolerance: f64,
        mut observe: impl FnMut(f64, &[C64], &[C64]) -> Result<()>,
    ) -> Result<IntegrationStats> {
        let m = self.model.sites();
        if u0.len() != m || v0.len() != m {
            return Err(Error::invalid(
                "Hartree initial data",
                format!("orbitals must have M = {m} entries"),
            ));
        }
        let mut state: Vec<C64> = u0.iter().chain(v0).copied().collect();
        Dop853::new(tolerance)?.integrate(
            |y, dy| self.derivative(y, dy),
            &mut state,
            times,
            |_, time, y| observe(time, &y[..m], &y[m..]),
        )
    }
}

fn add(a: &[f64], weight: f64, b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| a + weight * b).collect()
}
