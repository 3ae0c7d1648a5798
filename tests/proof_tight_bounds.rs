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
use pickl::counting::CondensateFrame;
use pickl::fock::FockBasis;
use pickl::lattice::{Geometry, Lattice};
use pickl::observables::IndicatorWorkspace;
use pickl::one_body::Kinetic;
use pickl::proof::snapshot::{bound_ratio, ExponentChoice, ProofSnapshot};
use pickl::state::TwoSpeciesState;
use pickl::C64;

/// Random potential values V(d), d = 0..M−1, in [−2, 2), as a `list:` specification.
fn random_potential(m: usize, seed: u64) -> String {
    let values: Vec<String> = random_state(m, seed)
        .iter()
        .map(|z| format!("{}", 4.0 * z.re * (m as f64).sqrt()))
        .collect();
    format!("list:{}", values.join(","))
}

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
            let lattice = Lattice::new(Geometry::Chain(m)).unwrap();
            let (v1, v2, v12) = (
                random_potential(m, seed + 1),
                random_potential(m, seed + 2),
                random_potential(m, seed + 3),
            );
            let model = model(
                lattice,
                Kinetic::Schroedinger,
                (n1, n2),
                (1.0, 1.0),
                (0.0, 0.0),
                (&[], &[]),
                (&v1, &v2, &v12),
            );
            let (basis_a, basis_b) = (
                FockBasis::new(m, n1).unwrap(),
                FockBasis::new(m, n2).unwrap(),
            );
            let (u, v) = (random_state(m, seed + 4), random_state(m, seed + 5));
            let condensate = TwoSpeciesState::product(&basis_a, &u, &basis_b, &v).unwrap();
            let noise = random_state(basis_a.dim() * basis_b.dim(), seed + 6);
            let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
            for angle in [1e-3, 1e-2, 0.1, 0.5, 1.2, std::f64::consts::FRAC_PI_2] {
                let state: Vec<C64> = condensate
                    .as_slice()
                    .iter()
                    .zip(&noise)
                    .map(|(c, r)| c * angle.cos() + r * angle.sin())
                    .collect();
                let norm = state.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
                let state: Vec<C64> = state.into_iter().map(|z| z / norm).collect();
                let alpha11 = IndicatorWorkspace::new(&basis_a, &basis_b)
                    .indicators(&state, &u, &v)
                    .unwrap()
                    .alpha11;
                let snapshot = ProofSnapshot::new(
                    &model,
                    &basis_a,
                    &basis_b,
                    &frame,
                    &state,
                    &u,
                    &v,
                    alpha11,
                    &ExponentChoice::Scan,
                )
                .unwrap();
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
                }
                // The tight form is never looser than the printed one, term by term.
                for row in snapshot.rows() {
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
fn worst_tight(
    model: &pickl::model::Model,
    bases: (&FockBasis, &FockBasis),
    frame: &CondensateFrame,
    state: &[C64],
    (u, v): (&[C64], &[C64]),
) -> (f64, String) {
    let alpha11 = IndicatorWorkspace::new(bases.0, bases.1)
        .indicators(state, u, v)
        .unwrap()
        .alpha11;
    let snapshot = ProofSnapshot::new(
        model,
        bases.0,
        bases.1,
        frame,
        state,
        u,
        v,
        alpha11,
        &ExponentChoice::Scan,
    )
    .unwrap();
    snapshot
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
        let lattice = Lattice::new(Geometry::Chain(m)).unwrap();
        let (v1, v2, v12) = (
            random_potential(m, seed + 1),
            random_potential(m, seed + 2),
            random_potential(m, seed + 3),
        );
        let model = model(
            lattice,
            Kinetic::Schroedinger,
            (n1, n2),
            (1.0, 1.0),
            (0.0, 0.0),
            (&[], &[]),
            (&v1, &v2, &v12),
        );
        let (basis_a, basis_b) = (
            FockBasis::new(m, n1).unwrap(),
            FockBasis::new(m, n2).unwrap(),
        );
        let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
        let (u, v) = (random_state(m, seed + 4), random_state(m, seed + 5));
        let dim = basis_a.dim() * basis_b.dim();
        let normalised = |x: Vec<C64>| {
            let norm = x.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
            x.into_iter().map(|z| z / norm).collect::<Vec<C64>>()
        };
        let mut state = TwoSpeciesState::product(&basis_a, &u, &basis_b, &v)
            .unwrap()
            .as_slice()
            .to_vec();
        let evaluate = |s: &[C64]| worst_tight(&model, (&basis_a, &basis_b), &frame, s, (&u, &v));
        let mut best = evaluate(&state);
        let mut step = 0.3;
        for iteration in 0..600u64 {
            let kick = random_state(dim, 7919 * seed + iteration);
            let trial = normalised(state.iter().zip(&kick).map(|(s, k)| s + k * step).collect());
            let value = evaluate(&trial);
            assert!(
                value.0 <= 1.0 + 1e-12,
                "M={m} N=({n1},{n2}): {} at ratio {} above its tight bound",
                value.1,
                value.0
            );
            if value.0 > best.0 {
                best = value;
                state = trial;
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
