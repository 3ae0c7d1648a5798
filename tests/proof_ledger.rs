//! The ledger of `pickl::proof::ledger`: every chain of inequalities evaluated on the state.
//!
//! * In first quantisation on small spaces, with dense p, q, n̂, V built from their definitions:
//!   the right side of each chain's first step (the Cauchy–Schwarz products of vector norms) and
//!   of the Lemma A.2 steps (A.13)/(A.14).
//! * On random states and along the dynamics: every step holds (left ≤ right), each chain starts
//!   at the measured term, passes through the tight bound and ends at the printed bound, so the
//!   product of its step ratios is the bound's overall ratio.

mod common;

use common::*;
use faer::Mat;
use pickl::measure::context::TimeContext;
use pickl::measure::counting::CondensateFrame;
use pickl::proof::ledger::{ledger, LedgerStep};
use pickl::proof::{norms::ExponentChoice, snapshot::ProofSnapshot};
use pickl::C64;

fn steps_of(case: &NearCondensate) -> (ProofSnapshot, Vec<LedgerStep>) {
    let snapshot = case.snapshot();
    let frame = CondensateFrame::new(&case.basis_a, &case.basis_b).unwrap();
    let steps = ledger(&case.context(&frame), &snapshot).unwrap();
    (snapshot, steps)
}

fn chain<'a>(steps: &'a [LedgerStep], group: &str, term: &str) -> Vec<&'a LedgerStep> {
    steps
        .iter()
        .filter(|s| s.group == group && s.term == term)
        .collect()
}

fn norm(v: &Mat<C64>) -> f64 {
    (0..v.nrows())
        .map(|i| v[(i, 0)].norm_sqr())
        .sum::<f64>()
        .sqrt()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-10 * a.abs().max(b.abs()) + 1e-14,
        "{what}: ledger {a:e}, first quantisation {b:e}"
    );
}

#[test]
fn first_steps_equal_first_quantised_norms() {
    for (m, n1, n2, seed) in [(2, 3, 2, 11u64), (3, 2, 2, 12), (2, 2, 3, 13)] {
        let case = near_condensate(m, (n1, n2), seed, 0.4);
        let (_, steps) = steps_of(&case);
        let (u, v) = (&case.u, &case.v);
        let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
        let psi_vec = first_quantised_state(&case.basis_a, &case.basis_b, &case.state);
        let psi = Mat::from_fn(psi_vec.len(), 1, |i, _| psi_vec[i]);
        let (pa, qa) = projector(u);
        let (pb, qb) = projector(v);
        let on_a = |op: &Mat<C64>, i: usize| lift(&on_particle(op, i, n1), true, da, db);
        let on_b = |op: &Mat<C64>, i: usize| lift(&on_particle(op, i, n2), false, da, db);
        let diag = |f: &[f64]| Mat::from_fn(m, m, |x, y| if x == y { c(f[x]) } else { c(0.0) });
        let (p_a1, p_a2, q_a1, q_a2) = (on_a(&pa, 0), on_a(&pa, 1), on_a(&qa, 0), on_a(&qa, 1));
        let (p_b1, q_b1) = (on_b(&pb, 0), on_b(&qb, 0));
        let p_b2 = if n2 >= 2 {
            on_b(&pb, 1)
        } else {
            Mat::zeros(1, 1)
        };
        let count_a = |f: &dyn Fn(usize) -> f64| lift(&weighted(u, n1, f), true, da, db);
        let (nf1, nf2, ntot) = (n1 as f64, n2 as f64, (n1 + n2) as f64);
        let model = &case.model;
        let (v1, v12) = (&model.species_a().potential, model.inter_potential());
        // (V₁)₁₂ on A-particles 1, 2 and (V₁₂)₁₁ on (A1, B1), diagonal in positions.
        let v1_pair = Mat::from_fn(da * db, da * db, |r, col| {
            if r != col {
                return c(0.0);
            }
            let xs = configuration(r % da, m, n1);
            c(v1.value(xs[0], xs[1]))
        });
        let v12_pair = Mat::from_fn(da * db, da * db, |r, col| {
            if r != col {
                return c(0.0);
            }
            let (xs, ys) = (configuration(r % da, m, n1), configuration(r / da, m, n2));
            c(v12.value(xs[0], ys[0]))
        });
        let mf_a = on_a(&diag(&v1.convolve_density(u)), 0);
        let v12u_b = on_b(&diag(&v12.convolve_density(u)), 0);
        let apply = |ops: &[&Mat<C64>]| {
            let mut out = psi.clone();
            for op in ops.iter().rev() {
                out = *op * &out;
            }
            out
        };
        let first = |group: &str, term: &str| chain(&steps, group, term)[0].right;
        let second = |group: &str, term: &str| chain(&steps, group, term)[1].right;
        let label = format!("M={m} N=({n1},{n2})");

        // (5.29): ‖V^u₁ p₁p₂Ψ‖ ‖q₁p₂p^BΨ‖ / (2N₁).
        let right = norm(&apply(&[&mf_a, &p_a1, &p_a2])) * norm(&apply(&[&q_a1, &p_a2, &p_b1]))
            / (2.0 * nf1);
        close(first("C_V1", "(pp,qp)"), right, &format!("{label} (5.29)"));
        // (5.30): ½((N₁−1)/N₁)‖V₁₂ p₂q₁Ψ‖‖q₁q₂p^BΨ‖ + ½‖V^u₂ p₂q₁Ψ‖‖q₁q₂p^BΨ‖.
        let mf_a2 = on_a(&diag(&v1.convolve_density(u)), 1);
        let qq_pb = norm(&apply(&[&q_a1, &q_a2, &p_b1]));
        let right = 0.5 * (nf1 - 1.0) / nf1 * norm(&apply(&[&v1_pair, &p_a2, &q_a1])) * qq_pb
            + 0.5 * norm(&apply(&[&mf_a2, &p_a2, &q_a1])) * qq_pb;
        close(first("C_V1", "(qp,qq)"), right, &format!("{label} (5.30)"));
        // (5.31): ((N₁−1)/N₁)‖V₁₂ τ₂n̂ p₁p₂Ψ‖ ‖n̂⁻¹q₁q₂p^BΨ‖, then (A.13) with ‖n̂⁻¹n̂ q₂p^BΨ‖.
        let tau2 = count_a(&|k| ((k as f64 + 2.0) / nf1).sqrt());
        let n_inv = count_a(&|k| if k == 0 { 0.0 } else { (nf1 / k as f64).sqrt() });
        let on_range = count_a(&|k| if k == 0 { 0.0 } else { 1.0 });
        let right = (nf1 - 1.0) / nf1
            * norm(&apply(&[&v1_pair, &tau2, &p_a1, &p_a2]))
            * norm(&apply(&[&n_inv, &q_a1, &q_a2, &p_b1]));
        close(first("C_V1", "(pp,qq)"), right, &format!("{label} (5.31)"));
        let right = (nf1 - 1.0) / nf1
            * norm(&apply(&[&v1_pair, &tau2, &p_a1, &p_a2]))
            * (nf1 / (nf1 - 1.0)).sqrt()
            * norm(&apply(&[&on_range, &q_a2, &p_b1]));
        close(second("C_V1", "(pp,qq)"), right, &format!("{label} (A.13)"));

        // (5.40)–(5.41).
        let (f1, f2) = ((nf1 - 1.0) / ntot, (nf2 - 1.0) / ntot);
        let mut right =
            f1 * norm(&apply(&[&v12_pair, &p_a1, &q_b1])) * norm(&apply(&[&q_a1, &p_a2, &p_b1]));
        if n2 >= 2 {
            right += f2
                * norm(&apply(&[&v12_pair, &q_a1, &p_b1]))
                * norm(&apply(&[&p_a1, &q_b1, &p_b2]));
        }
        close(first("C_V12", "(pq,qp)"), right, &format!("{label} (5.41)"));
        // (5.42), (qp,qq): (N₁−1)/N (‖V₁₂ q^A p^BΨ‖ + ‖V^u_B p^B q^AΨ‖) ‖q^A p₂^A q^BΨ‖.
        let right = f1
            * (norm(&apply(&[&v12_pair, &q_a1, &p_b1])) + norm(&apply(&[&v12u_b, &p_b1, &q_a1])))
            * norm(&apply(&[&q_a1, &p_a2, &q_b1]));
        close(first("C_V12", "(qp,qq)"), right, &format!("{label} (5.42)"));
        // (pp,qq)₁: (N₁−1)/N ‖V₁₂ τ₁n̂ p^A p^BΨ‖ ‖n̂⁻¹ p₂ q₁ q^BΨ‖, then (A.14).
        let tau1 = count_a(&|k| ((k as f64 + 1.0) / nf1).sqrt());
        let cs = f1 * norm(&apply(&[&v12_pair, &tau1, &p_a1, &p_b1]));
        close(
            first("C_V12", "(pp,qq)_1"),
            cs * norm(&apply(&[&n_inv, &p_a2, &q_a1, &q_b1])),
            &format!("{label} (pp,qq)_1"),
        );
        close(
            second("C_V12", "(pp,qq)_1"),
            cs * (nf1 / (nf1 - 1.0)).sqrt() * norm(&apply(&[&on_range, &p_a2, &q_b1])),
            &format!("{label} (A.14)"),
        );
        // (pp,qq)₃: ‖V₁₂ p^A p^BΨ‖ ‖q^A q^BΨ‖ / N.
        close(
            first("C_V12", "(pp,qq)_3"),
            norm(&apply(&[&v12_pair, &p_a1, &p_b1])) * norm(&apply(&[&q_a1, &q_b1])) / ntot,
            &format!("{label} (pp,qq)_3"),
        );
    }
}

/// The chains' structure on one set of steps: each starts at the measured term, holds step by
/// step, passes through the tight bound and ends at the printed bound.
fn check_chains(snapshot: &ProofSnapshot, steps: &[LedgerStep], label: &str) -> f64 {
    let mut smallest: f64 = 1.0;
    for row in snapshot.rows() {
        let group = row.group;
        let chain: Vec<&LedgerStep> = steps
            .iter()
            .filter(|s| s.group == group && s.term == row.term)
            .collect();
        let Some(bound) = row.bound else { continue };
        if chain.is_empty() {
            // The pairs of T(pp,qq) are chained part by part; the vanishing pairs have none.
            continue;
        }
        close(
            chain[0].left,
            row.value.norm(),
            &format!("{label} {group} {} start", row.term),
        );
        close(
            chain.last().unwrap().right,
            bound,
            &format!("{label} {group} {} end", row.term),
        );
        let tight: Vec<_> = chain
            .iter()
            .filter(|s| s.step.contains("[tight bound]"))
            .collect();
        assert_eq!(tight.len(), 1, "{label} {group} {}", row.term);
        close(
            tight[0].right,
            row.bound_tight.unwrap(),
            &format!("{label} {group} {} tight", row.term),
        );
        let mut product = 1.0;
        for (i, s) in chain.iter().enumerate() {
            if i > 0 {
                assert_eq!(s.left, chain[i - 1].right, "chains are continuous");
            }
            assert!(
                s.left <= s.right * (1.0 + 1e-12) + 1e-13,
                "{label} {group} {} step '{}': {:e} > {:e}",
                row.term,
                s.step,
                s.left,
                s.right
            );
            if let Some(r) = s.ratio() {
                product *= r;
                smallest = smallest.min(r);
            }
        }
        if let Some(overall) = pickl::proof::snapshot::bound_ratio(row.value.norm(), bound) {
            if chain.iter().all(|s| s.ratio().is_some()) {
                assert!(
                    (product - overall).abs() <= 1e-9 * overall,
                    "{label} {group} {}: product of steps {product:e}, overall {overall:e}",
                    row.term
                );
            }
        }
    }
    smallest
}

#[test]
fn chains_hold_and_multiply_to_the_overall_ratio_on_random_states() {
    let mut cases = 0;
    for (m, n) in [
        (2, (2, 2)),
        (3, (2, 3)),
        (3, (3, 3)),
        (2, (5, 2)),
        (3, (4, 1)),
    ] {
        for seed in 0..3u64 {
            for angle in [1e-2, 0.3, 1.2] {
                let case = near_condensate(m, n, 100 * seed + 7 * m as u64 + n.0 as u64, angle);
                let (snapshot, steps) = steps_of(&case);
                check_chains(&snapshot, &steps, &format!("M={m} N={n:?} angle {angle}"));
                cases += 1;
            }
        }
    }
    eprintln!("{cases} states: every chain holds and ends on its bounds");
}

#[test]
fn chains_hold_along_the_dynamics() {
    for case in CANONICAL_MODELS {
        let problem = canonical_problem(case, 3.0, 6);
        let frame_slot = std::cell::RefCell::new(None);
        let mut smallest: f64 = 1.0;
        problem
            .evolve(|moment| {
                let mut slot = frame_slot.borrow_mut();
                let frame = slot.get_or_insert_with(|| {
                    CondensateFrame::new(moment.basis_a, moment.basis_b).unwrap()
                });
                let (u, v) = (&moment.hartree.u, &moment.hartree.v);
                let context = TimeContext::new(&problem.model, moment.state_view(), (u, v), frame)?;
                let snapshot =
                    ProofSnapshot::new(&context, moment.row.alpha11, &ExponentChoice::Scan)?;
                let steps = ledger(&context, &snapshot)?;
                if moment.row.t > 0.0 {
                    smallest = smallest.min(check_chains(
                        &snapshot,
                        &steps,
                        &format!("{case:?} t={}", moment.row.t),
                    ));
                }
                Ok(())
            })
            .unwrap();
        eprintln!("{case:?}: the step that loses most keeps {smallest:.2e} of its right side");
    }
}
