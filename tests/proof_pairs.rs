//! The 16 pairs of C_V1 and C_V2 (Proposition 5.1): they add up to i C_V1 (resp. i C_V2) as
//! computed directly from (5.20) in second quantisation; the pairs with equal numbers of q on
//! both sides vanish (Lemma A.3 remark); and i C_V1 = 2(pp,qp) + 2(qp,qq) + (pp,qq) + c.c. (5.28).

#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::evolution::propagation::KrylovSettings;
use pickl::measure::context::TimeContext;
use pickl::measure::counting::CondensateFrame;
use pickl::measure::lemmas::Component;
use pickl::model::lattice::Lattice;
use pickl::model::one_body::Kinetic;
use pickl::proof::{derivative_terms, intra_species_pairs, PairTerms, Projection};
use pickl::studies::dynamics::{output_times, DynamicsProblem};
use pickl::C64;

fn check_pairs(pairs: &PairTerms, i_c: C64, label: &str) {
    let total = pairs.total();
    let scale = i_c.norm().max(1e-300);
    assert!(
        (total - i_c).norm() <= 1e-10 * scale.max(1e-6),
        "{label}: sum {total} vs i C {i_c}"
    );
    let mut largest = 0.0f64;
    for l in 0..4 {
        for r in 0..4 {
            largest = largest.max(pairs.values[l][r].norm());
        }
    }
    for l in 0..4 {
        for r in 0..4 {
            if Projection::ALL[l].q_count() == Projection::ALL[r].q_count() {
                assert!(
                    pairs.values[l][r].norm() < 1e-12 * largest.max(1.0),
                    "{label}: ({}, {}) = {} should vanish",
                    Projection::ALL[l],
                    Projection::ALL[r],
                    pairs.values[l][r]
                );
            }
        }
    }
    // (5.28): Σ = 2(pp,qp) + 2(qp,qq) + (pp,qq) + c.c., with (pp,qp) ≡ (pp,pq) by symmetry.
    let (pp, pq, qp, qq) = (0, 1, 2, 3);
    let v = &pairs.values;
    let grouped = v[pp][qp] + v[pp][pq] + v[qp][qq] + v[pq][qq] + v[pp][qq];
    let grouped = grouped + grouped.conj();
    assert!(
        (grouped - total).norm() <= 1e-10 * scale.max(1e-6),
        "{label}: (5.28) grouping {grouped} vs {total}"
    );
    assert!(
        (v[pp][qp] - v[pp][pq]).norm() <= 1e-12 * largest.max(1e-6),
        "{label}: (pp,qp) != (pp,pq)"
    );
}

#[test]
fn pairs_add_up_to_the_terms_along_evolved_states() {
    for (m, n1, n2, v12) in [
        (3usize, 5usize, 4usize, "gauss:0.5,1"),
        (4, 4, 3, "contact:-1.5"),
        (2, 12, 6, "gauss:2,1"),
    ] {
        let lattice = Lattice::ring(m).unwrap();
        let model = model(
            lattice.clone(),
            Kinetic::Schroedinger,
            (n1, n2),
            (1.0, 0.8),
            (0.3, 0.0),
            (&[], &[]),
            ("gauss:2,1", "contact:1.5", v12),
        );
        let problem = DynamicsProblem {
            model: model.clone(),
            u0: orbital(&lattice, "gauss:0,1,0.5"),
            v0: orbital(&lattice, "gauss:1,1,-0.3"),
            times: output_times(2.0, 4).unwrap(),
            krylov: KrylovSettings::default(),
            propagator: Default::default(),
            hartree_tolerance: 1e-12,
            hartree_2_10: None,
            measurement: pickl::studies::memory::MeasurementMemory::NONE,
        };
        let mut frame = None;
        let mut largest_term = 0.0f64;
        problem
            .evolve(|moment| {
                let frame = frame.get_or_insert_with(|| {
                    CondensateFrame::new(moment.basis_a, moment.basis_b).unwrap()
                });
                let (u, v) = (&moment.hartree.u, &moment.hartree.v);
                let context = TimeContext::new(&model, moment.state_view(), (u, v), frame)?;
                let terms = derivative_terms(&model, moment.state_view(), u, v)?;
                for (component, c_v, label) in [
                    (Component::A, terms.c_v1, "C_V1"),
                    (Component::B, terms.c_v2, "C_V2"),
                ] {
                    let pairs = intra_species_pairs(&context, component)?;
                    check_pairs(&pairs, C64::i() * c_v, label);
                    largest_term = largest_term.max(c_v.norm());
                }
                Ok(())
            })
            .unwrap();
        assert!(
            largest_term > 1e-4,
            "M={m}: the run should have visible terms"
        );
    }
}

#[test]
fn pairs_add_up_on_random_states() {
    for (m, n1, n2, seed) in [
        (3usize, 3usize, 2usize, 111u64),
        (4, 2, 3, 112),
        (2, 5, 4, 113),
    ] {
        let case = random_case(
            m,
            (n1, n2),
            ("gauss:1.3,0.9", "gauss:-0.7,1.2", "gauss:0.5,1"),
            seed,
        );
        let context = case.context();
        let RandomCase { model, u, v, .. } = &case;
        let terms = derivative_terms(model, case.view(), u, v).unwrap();
        for (component, c_v, label) in [
            (Component::A, terms.c_v1, "C_V1"),
            (Component::B, terms.c_v2, "C_V2"),
        ] {
            let pairs = intra_species_pairs(&context, component).unwrap();
            check_pairs(&pairs, C64::i() * c_v, label);
        }
    }
}

/// Largest |T(Π_L,Π_R)| among the pairs the paper says vanish (§5.5.1–5.5.2), relative to the
/// largest pair, for the record.
fn claimed_zero_ratio(pairs: &PairTerms) -> (f64, f64) {
    let (pp, pq, qp, qq) = (0, 1, 2, 3);
    let v = &pairs.values;
    let largest = v.iter().flatten().map(|z| z.norm()).fold(0.0, f64::max);
    let diagonal = [v[pp][pp], v[pq][pq], v[qp][qp], v[qq][qq]]
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max);
    let one_q = [v[pp][qp], v[pp][pq]]
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max);
    (diagonal / largest, one_q / largest)
}

#[test]
fn inter_species_pairs_add_up_to_minus_c_v12() {
    use pickl::proof::inter_species_pairs;
    let mut worst_claims = (0.0f64, 0.0f64);
    for (m, n1, n2, seed) in [
        (3usize, 3usize, 2usize, 121u64),
        (4, 2, 3, 122),
        (2, 5, 4, 123),
    ] {
        let case = random_case(
            m,
            (n1, n2),
            ("gauss:1,1", "gauss:1,1", "gauss:0.8,0.9"),
            seed,
        );
        let context = case.context();
        let RandomCase { model, u, v, .. } = &case;
        let terms = derivative_terms(model, case.view(), u, v).unwrap();
        let pairs = inter_species_pairs(&context).unwrap();
        let total = pairs.total();
        assert!(
            (total + terms.c_v12).norm() <= 1e-10 * terms.c_v12.norm().max(1e-6),
            "sum {total} vs -C_V12 {}",
            -terms.c_v12
        );
        // T(Π_R, Π_L) = −conj T(Π_L, Π_R).
        let largest = pairs
            .values
            .iter()
            .flatten()
            .map(|z| z.norm())
            .fold(0.0, f64::max);
        for l in 0..4 {
            for r in 0..4 {
                let defect = (pairs.values[r][l] + pairs.values[l][r].conj()).norm();
                assert!(
                    defect <= 1e-12 * largest.max(1e-6),
                    "({}, {}): {defect:e}",
                    Projection::ALL[l],
                    Projection::ALL[r]
                );
            }
        }
        let (diagonal, one_q) = claimed_zero_ratio(&pairs);
        eprintln!("M={m} N=({n1},{n2}) random state: max|T(equal,equal)|/max|T| = {diagonal:.2e}, max(|T(pp,qp)|,|T(pp,pq)|)/max|T| = {one_q:.2e}");
        worst_claims = (worst_claims.0.max(diagonal), worst_claims.1.max(one_q));
        // The paper's claims (§5.5.1: T(pp,pp) = T(pq,pq) = T(qp,qp) = T(qq,qq) = 0; §5.5.2:
        // T(pp,qp) = T(pp,pq) = 0), measured to hold at round-off.
        assert!(
            diagonal < 1e-12 && one_q < 1e-12,
            "a pair the paper says vanishes does not"
        );
    }
    eprintln!("largest relative size of the pairs claimed to vanish: equal projections {:.2e}, (pp,qp)/(pp,pq) {:.2e}", worst_claims.0, worst_claims.1);
}

#[test]
fn the_split_of_t_pp_qq_adds_up() {
    use pickl::proof::{inter_species_pairs, pp_qq_split};
    for (m, n1, n2, seed) in [
        (3usize, 3usize, 2usize, 131u64),
        (2, 4, 3, 132),
        (3, 2, 1, 133),
        (2, 1, 3, 134),
    ] {
        let case = random_case(
            m,
            (n1, n2),
            ("gauss:1,1", "gauss:1,1", "gauss:0.8,0.9"),
            seed,
        );
        let context = case.context();
        let RandomCase { .. } = &case;
        let pairs = inter_species_pairs(&context).unwrap();
        let split = pp_qq_split(&context).unwrap();
        let t_pp_qq = pairs.values[0][3];
        let difference = (split.total() - t_pp_qq).norm();
        eprintln!(
            "M={m} N=({n1},{n2}): T(pp,qq) = {t_pp_qq:.6e}, parts {:.3e} + {:.3e} + {:.3e}, |difference| {difference:.1e}",
            split.first, split.second, split.third
        );
        assert!(t_pp_qq.norm() > 1e-6, "the test needs a visible T(pp,qq)");
        assert!(
            difference <= 1e-12 * t_pp_qq.norm().max(1.0),
            "split does not add up: {difference:e}"
        );
    }
}

#[test]
fn a_context_of_bases_or_vectors_that_do_not_fit_the_model_is_refused() {
    use pickl::space::fock::FockBasis;
    use pickl::space::state::StateView;
    let case = random_case(3, (2, 2), ("gauss:1,1", "gauss:1,1", "gauss:0.5,1"), 171);
    let pair = (&case.u[..], &case.v[..]);
    // Species A's basis with three bosons where the model has two.
    let wrong = FockBasis::new(3, 3).unwrap();
    let state = vec![C64::new(0.0, 0.0); wrong.dim() * case.basis_b.dim()];
    let view = StateView::new(&wrong, &case.basis_b, &state).unwrap();
    let refused = TimeContext::with_frame_state(&case.model, view, pair, state.clone());
    assert!(refused.is_err_and(|e| e.to_string().contains("species A's basis")));
    // A frame state of another length, and orbitals on other lattices.
    let view = case.view();
    assert!(
        TimeContext::with_frame_state(&case.model, view, pair, vec![C64::new(0.0, 0.0); 3])
            .is_err()
    );
    let short = &case.u[..2];
    assert!(TimeContext::with_frame_state(
        &case.model,
        view,
        (short, &case.v),
        case.in_frame.clone()
    )
    .is_err());
    assert!(TimeContext::with_frame_state(&case.model, view, pair, case.in_frame.clone()).is_ok());
}

/// The proof snapshot's C_V1, C_V2, C_V12 (the sums of their pairs when both species have two
/// particles or more) against the definitions (5.20)–(5.22) evaluated in the site basis, away
/// from the condensate; with one particle in a species the snapshot takes the site basis's.
#[test]
fn the_snapshot_terms_are_the_definitions_in_the_site_basis() {
    use pickl::space::state::StateView;
    for (m, (n1, n2), seed) in [
        (3usize, (3usize, 2usize), 181u64),
        (4, (2, 3), 182),
        (3, (1, 3), 183),
    ] {
        let case = near_condensate(m, (n1, n2), seed, 0.4);
        let snapshot = case.snapshot();
        let view = StateView::new(&case.basis_a, &case.basis_b, &case.state).unwrap();
        let defined = derivative_terms(&case.model, view, &case.u, &case.v).unwrap();
        for (got, want, name) in [
            (snapshot.terms.c_v1, defined.c_v1, "C_V1"),
            (snapshot.terms.c_v2, defined.c_v2, "C_V2"),
            (snapshot.terms.c_v12, defined.c_v12, "C_V12"),
        ] {
            assert_eq!(got.re, 0.0, "{name} is imaginary");
            assert!(
                want.norm() > 1e-6,
                "M={m} N={n1},{n2}: {name} = {want} is a test"
            );
            let defect = (got - want).norm();
            if n1 == 1 || n2 == 1 {
                assert_eq!(got, want, "M={m} N={n1},{n2}: {name}");
            } else {
                assert!(
                    defect <= 1e-12 * want.norm(),
                    "M={m} N={n1},{n2}: {name} {got} vs {want}"
                );
            }
        }
    }
}
