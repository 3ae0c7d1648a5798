//! One time of the proof, built once: the model, Ψ(t) with its bases, the Hartree pair
//! (u_t, v_t), and what every term of §5 is evaluated from — Ψ written in the condensate frame
//! of (u_t, v_t) (orbital 0 of each species is the condensate, so p and q are diagonal there,
//! [`crate::measure::counting::CondensateFrame`]) and the condensate counts n₀ of both bases. The pairs of
//! Propositions 5.1–5.2, the split of T(pp,qq), the ledger and the snapshot all take it.

use crate::measure::counting::CondensateFrame;
use crate::model::{Component, Model};
use crate::space::state::StateView;
use crate::{Result, C64};

use super::frame_operators::condensate_counts;

/// What the proof needs at one time (module doc).
pub struct ProofContext<'a> {
    /// The model.
    pub model: &'a Model,
    /// Ψ(t) with its bases.
    pub state: StateView<'a>,
    /// u_t.
    pub u: &'a [C64],
    /// v_t.
    pub v: &'a [C64],
    /// Ψ(t) in the condensate frame of (u_t, v_t), on the same bases.
    pub frame_state: Vec<C64>,
    /// n₀ of every Fock state of species A (its occupation of orbital 0, the condensate in the
    /// frame), then of species B.
    pub condensed: [Vec<f64>; 2],
}

impl<'a> ProofContext<'a> {
    /// The context of Ψ(t) = `state` and (u, v), with the frame state from `frame` (one per
    /// pair of bases, reused across times).
    pub fn new(
        model: &'a Model,
        state: StateView<'a>,
        (u, v): (&'a [C64], &'a [C64]),
        frame: &CondensateFrame,
    ) -> Result<Self> {
        let frame_state = frame.to_frame(state.values(), u, v)?;
        Self::with_frame_state(model, state, (u, v), frame_state)
    }

    /// The same with the frame state already computed (checked for its length).
    pub fn with_frame_state(
        model: &'a Model,
        state: StateView<'a>,
        (u, v): (&'a [C64], &'a [C64]),
        frame_state: Vec<C64>,
    ) -> Result<Self> {
        state.with_values(&frame_state)?;
        let m = model.sites();
        for (name, orbital) in [("u", u), ("v", v)] {
            if orbital.len() != m {
                return Err(crate::Error::invalid(
                    name,
                    format!("{} values for {m} sites", orbital.len()),
                ));
            }
        }
        let condensed = [
            condensate_counts(state.basis_a),
            condensate_counts(state.basis_b),
        ];
        Ok(ProofContext {
            model,
            state,
            u,
            v,
            frame_state,
            condensed,
        })
    }

    /// The frame state viewed with its bases.
    pub fn frame_view(&self) -> StateView<'_> {
        StateView::new(self.state.basis_a, self.state.basis_b, &self.frame_state)
            .expect("checked when the context was made")
    }

    /// The condensate orbital of a species (u for A, v for B).
    pub fn orbital(&self, species: Component) -> &'a [C64] {
        match species {
            Component::A => self.u,
            Component::B => self.v,
        }
    }

    /// n₀ per Fock state of a species.
    pub fn condensed(&self, species: Component) -> &[f64] {
        match species {
            Component::A => &self.condensed[0],
            Component::B => &self.condensed[1],
        }
    }
}
