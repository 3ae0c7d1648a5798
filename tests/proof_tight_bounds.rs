//! The bounds of Propositions 5.1–5.2 in both forms (as printed and tight, see
//! `pickl::proof::bounds`) hold as inequalities for any state symmetric in each species and any
//! normalised orbitals u, v — not only along the dynamics, where the state stays close to the
//! condensate and the slack is large. Here: random potentials and orbitals, states from the
//! double condensate u^{⊗N₁}⊗v^{⊗N₂} mixed with a random state at angles from 10⁻³ to π/2 (α^(1,1)
//! from 10⁻⁶ to about 1), and the smallest particle numbers (N_j = 2, where the factors
//! (N_j − 1)/N_j kept by the tight form are smallest). A step of the tight chains taken too far
//! would show as a term above its bound.

mod common;

use common::*;
use pickl::proof::snapshot::bound_ratio;
use pickl::C64;

#[test]
fn every_bound_holds_for_states_far_from_the_dynamics() {
    let mut largest = [0.0f64; 2];
    let mut per_term: std::collections::BTreeMap<String, f64> = Default::default();
    let mut cases = 0;
    for (m, (n1, n2)) in [
        (2, (2, 2)),
        (3, (2, 3)),
        (3, (3, 3)),
        (2, (5, 2)),
        (4, (2, 2)),
        (3, (4, 2)),
    ] {
        for seed in 0..6u64 {
            let seed = 1000 * m as u64 + 100 * n1 as u64 + 10 * n2 as u64 + seed;
            for angle in [1e-3, 1e-2, 0.1, 0.5, 1.2, std::f64::consts::FRAC_PI_2] {
                let snapshot = near_condensate(m, (n1, n2), seed, angle).snapshot();
                let alpha11 = snapshot.alpha11;
                for row in snapshot.rows() {
                    for (form, bound) in [row.bound, row.bound_tight].into_iter().enumerate() {
                        let Some(bound) = bound else { continue };
                        let ratio = bound_ratio(row.value.norm(), bound).unwrap_or(0.0);
                        assert!(
                            ratio <= 1.0 + 1e-12,
                            "M={m} N=({n1},{n2}) seed {seed} angle {angle} α={alpha11:e} form {form}: {} {} = {:e} above its bound {bound:e}",
                            row.group,
                            row.term,
                            row.value.norm()
                        );
                        largest[form] = largest[form].max(ratio);
                        if form == 1 {
                            let slot = per_term
                                .entry(format!("{} {}", row.group, row.term))
                                .or_default();
                            *slot = slot.max(ratio);
                        }
                    }
                    // The tight form is never looser than the printed one, term by term.
                    if let (Some(b), Some(t)) = (row.bound, row.bound_tight) {
                        assert!(
                            t <= b * (1.0 + 1e-12) + 1e-15,
                            "{} {}: tight {t} > printed {b}",
                            row.group,
                            row.term
                        );
                    }
                }
                assert!(
                    snapshot.tight.kappa <= snapshot.printed.kappa,
                    "κ_tight above κ"
                );
                cases += 1;
            }
        }
    }
    eprintln!(
        "{cases} states: largest measured/bound {:.3e} as printed, {:.3e} tight",
        largest[0], largest[1]
    );
    for (term, ratio) in &per_term {
        eprintln!("  tight {term}: largest ratio {ratio:.3e}");
    }
    // The tight chains must come closer to the terms than the printed ones somewhere.
    assert!(largest[1] > largest[0]);
}

/// The largest tight ratio over all bounded terms (and the term), for one state.
fn worst_tight(case: &NearCondensate) -> (f64, String) {
    case.snapshot()
        .rows()
        .into_iter()
        .filter_map(|row| {
            let ratio = bound_ratio(row.value.norm(), row.bound_tight?)?;
            Some((ratio, format!("{} {}", row.group, row.term)))
        })
        .fold((0.0, String::new()), |a, b| if b.0 > a.0 { b } else { a })
}

/// A search for states that come as close to the tight bounds as possible: a hill climb over
/// random perturbations of the state, maximising the largest measured/bound ratio. The tight
/// chains are valid for every state, so the climb must stay at or below 1; how close it gets
/// says how sharp they are on these small systems.
#[test]
fn a_search_for_the_worst_state_stays_below_the_tight_bounds() {
    for (m, (n1, n2), seed) in [(2, (2, 2), 7u64), (3, (2, 2), 8), (2, (3, 2), 9)] {
        // Start from the double condensate itself.
        let mut case = near_condensate(m, (n1, n2), seed, 0.0);
        let dim = case.state.len();
        let mut best = worst_tight(&case);
        let mut state = case.state.clone();
        let mut step = 0.3;
        for iteration in 0..600u64 {
            let kick = random_state(dim, 7919 * seed + iteration);
            let trial: Vec<C64> = state.iter().zip(&kick).map(|(s, k)| s + k * step).collect();
            let norm = trial.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
            case.state = trial.into_iter().map(|z| z / norm).collect();
            let value = worst_tight(&case);
            assert!(
                value.0 <= 1.0 + 1e-12,
                "M={m} N=({n1},{n2}): {} at ratio {} above its tight bound",
                value.1,
                value.0
            );
            if value.0 > best.0 {
                best = value;
                state = case.state.clone();
            } else if iteration % 50 == 49 {
                step *= 0.7;
            }
        }
        eprintln!(
            "M={m} N=({n1},{n2}): the climb reached {:.3} of the tight bound of {}",
            best.0, best.1
        );
    }
}
