//! The hops E_{xx′} = a†_x a_{x′} of one species, tabulated for every state of a basis: the
//! few-body operators of the proof are evaluated element by element from this table, so each
//! rank is computed once per basis rather than once per operator.

use rayon::prelude::*;

use super::FockBasis;

/// E_{xx′}|n⟩ = c |n′⟩ for every state n of a basis and every (x, x′): the target rank and c
/// (c = √(n_{x′}(n_x + 1)) for x ≠ x′, n_x for x = x′, 0 where n_{x′} = 0).
#[derive(Clone, Debug)]
pub(crate) struct HopTable {
    modes: usize,
    targets: Vec<u32>,
    amplitudes: Vec<f64>,
}

impl HopTable {
    /// The table of a basis whose dimension fits in a u32 (checked by [`FockBasis::hops`]).
    pub(super) fn new(basis: &FockBasis) -> Self {
        let m = basis.modes();
        let per_state: Vec<(Vec<u32>, Vec<f64>)> = (0..basis.dim())
            .into_par_iter()
            .map_init(
                || vec![0u32; m],
                |scratch, state| {
                    let occupation = basis.occupation(state);
                    let mut targets = vec![state as u32; m * m];
                    let mut amplitudes = vec![0.0; m * m];
                    for x in 0..m {
                        for from in 0..m {
                            let slot = x * m + from;
                            if x == from {
                                amplitudes[slot] = occupation[x] as f64;
                            } else if occupation[from] > 0 {
                                scratch.copy_from_slice(occupation);
                                scratch[from] -= 1;
                                scratch[x] += 1;
                                targets[slot] = basis.rank(scratch) as u32;
                                amplitudes[slot] =
                                    (occupation[from] as f64 * scratch[x] as f64).sqrt();
                            }
                        }
                    }
                    (targets, amplitudes)
                },
            )
            .collect();
        let (targets, amplitudes): (Vec<Vec<u32>>, Vec<Vec<f64>>) = per_state.into_iter().unzip();
        HopTable {
            modes: m,
            targets: targets.concat(),
            amplitudes: amplitudes.concat(),
        }
    }

    /// M.
    pub(crate) fn modes(&self) -> usize {
        self.modes
    }

    /// The number of states of the basis.
    pub(crate) fn states(&self) -> usize {
        self.targets.len() / (self.modes * self.modes)
    }

    /// E_{x,from}|state⟩ = amplitude |target⟩.
    #[inline]
    pub(crate) fn hop(&self, state: usize, x: usize, from: usize) -> (usize, f64) {
        let slot = (state * self.modes + x) * self.modes + from;
        (self.targets[slot] as usize, self.amplitudes[slot])
    }
}
