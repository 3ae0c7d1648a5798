//! §4 of the paper with generic mean-field prefactors m_α (4.7), k_α = (N₁+N₂) m_α (4.9):
//! (4.8) the energy per particle of a product state against 𝓔[u, v] with its exact O(1/N)
//! difference, (4.10) the Hartree system the dynamics follows, (4.11) its conserved energy, and
//! α^(1,1) against the (4.10) pair and against the (2.10) pair — all written out here from the
//! formulas (the Hartree systems by a fixed-step RK4, α from first-quantised partial traces).

// The references index explicitly, as the formulas they transcribe do.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use pickl::app::config::Options;
use pickl::model::Model;
use pickl::C64;

/// ⟨f, (V * |g|²) f⟩.
fn mean_field(v: &pickl::model::one_body::PairPotential, f: &[C64], g: &[C64]) -> f64 {
    let m = f.len();
    (0..m)
        .map(|x| {
            let field: f64 = (0..m).map(|y| v.value(x, y) * g[y].norm_sqr()).sum();
            field * f[x].norm_sqr()
        })
        .sum()
}

fn one_body(h: &faer::Mat<C64>, f: &[C64]) -> f64 {
    let m = f.len();
    let mut value = C64::new(0.0, 0.0);
    for x in 0..m {
        for y in 0..m {
            value += f[x].conj() * h[(x, y)] * f[y];
        }
    }
    value.re
}

/// 𝓔[u, v] of (4.8) with the potentials 𝒱_α of `potentials` and the constants k_α.
fn energy_4_8(potentials: &Model, [k1, k2, k12]: [f64; 3], u: &[C64], v: &[C64]) -> f64 {
    let (sa, sb) = (potentials.species_a(), potentials.species_b());
    let (c1, c2) = (potentials.c1(), potentials.c2());
    c1 * one_body(sa.hamiltonian.matrix(), u)
        + c2 * one_body(sb.hamiltonian.matrix(), v)
        + c1 * c1 * k1 / 2.0 * mean_field(&sa.potential, u, u)
        + c2 * c2 * k2 / 2.0 * mean_field(&sb.potential, v, v)
        + c1 * c2 * k12 * mean_field(potentials.inter_potential(), u, v)
}

/// (4.10) with constants k_α, integrated by RK4 with `steps` fixed steps to time t.
fn hartree_4_10(
    potentials: &Model,
    [k1, k2, k12]: [f64; 3],
    (u0, v0): (&[C64], &[C64]),
    t: f64,
    steps: usize,
) -> (Vec<C64>, Vec<C64>) {
    let m = u0.len();
    let (sa, sb) = (potentials.species_a(), potentials.species_b());
    let (c1, c2) = (potentials.c1(), potentials.c2());
    let i = C64::new(0.0, 1.0);
    let derivative = |u: &[C64], v: &[C64]| -> (Vec<C64>, Vec<C64>) {
        let field = |p: &pickl::model::one_body::PairPotential, g: &[C64], x: usize| -> f64 {
            (0..m).map(|y| p.value(x, y) * g[y].norm_sqr()).sum()
        };
        let du = (0..m)
            .map(|x| {
                let h: C64 = (0..m).map(|y| sa.hamiltonian.matrix()[(x, y)] * u[y]).sum();
                let w = c1 * k1 * field(&sa.potential, u, x)
                    + c2 * k12 * field(potentials.inter_potential(), v, x);
                -i * (h + u[x] * w)
            })
            .collect();
        let dv = (0..m)
            .map(|x| {
                let h: C64 = (0..m).map(|y| sb.hamiltonian.matrix()[(x, y)] * v[y]).sum();
                let w = c2 * k2 * field(&sb.potential, v, x)
                    + c1 * k12 * field(potentials.inter_potential(), u, x);
                -i * (h + v[x] * w)
            })
            .collect();
        (du, dv)
    };
    let (mut u, mut v) = (u0.to_vec(), v0.to_vec());
    let dt = t / steps as f64;
    let shift = |a: &[C64], b: &[C64], s: f64| -> Vec<C64> {
        a.iter().zip(b).map(|(a, b)| a + b * s).collect()
    };
    for _ in 0..steps {
        let (ku1, kv1) = derivative(&u, &v);
        let (ku2, kv2) = derivative(&shift(&u, &ku1, dt / 2.0), &shift(&v, &kv1, dt / 2.0));
        let (ku3, kv3) = derivative(&shift(&u, &ku2, dt / 2.0), &shift(&v, &kv2, dt / 2.0));
        let (ku4, kv4) = derivative(&shift(&u, &ku3, dt), &shift(&v, &kv3, dt));
        for x in 0..m {
            u[x] += (ku1[x] + ku2[x] * 2.0 + ku3[x] * 2.0 + ku4[x]) * (dt / 6.0);
            v[x] += (kv1[x] + kv2[x] * 2.0 + kv3[x] * 2.0 + kv4[x]) * (dt / 6.0);
        }
    }
    (u, v)
}

/// α^(1,1) = 1 − ⟨u⊗v, γ^(1,1) u⊗v⟩ from the first-quantised partial trace.
fn alpha11(psi: &[C64], m: usize, (n1, n2): (usize, usize), u: &[C64], v: &[C64]) -> f64 {
    let gamma = gamma11_brute_force(psi, m, n1, n2);
    let w: Vec<C64> = (0..m * m).map(|k| u[k % m] * v[k / m]).collect();
    let mut value = C64::new(0.0, 0.0);
    for k in 0..m * m {
        for l in 0..m * m {
            value += w[k].conj() * gamma[(k, l)] * w[l];
        }
    }
    1.0 - value.re
}

fn options(prefactors: &str) -> Options {
    Options {
        sites: Some(3),
        n1: Some(4),
        n2: Some(2),
        v1: Some("gauss:1.2,1".into()),
        v2: Some("contact:2".into()),
        v12: Some("gauss:0.8,1".into()),
        trap1: Some("0.3,0,0.1".into()),
        t_max: Some(1.0),
        steps: Some(4),
        tol: Some(1e-12),
        prefactors: Some(prefactors.into()),
        out: Some("unused.csv".into()),
        ..Options::default()
    }
    .resolved("unused.csv")
    .unwrap()
}

fn check(prefactors: &str, m_alpha: [f64; 3]) {
    let problem = options(prefactors).problem().unwrap();
    // The potentials 𝒱_α as read (the paper's prefactors leave them as they are).
    let potentials = options("paper").problem().unwrap().model;
    let (n1, n2, m) = (4usize, 2usize, 3usize);
    let total = (n1 + n2) as f64;
    let k = m_alpha.map(|m| total * m);
    let (u0, v0) = (problem.u0.clone(), problem.v0.clone());
    let (sa, sb) = (potentials.species_a(), potentials.species_b());
    let mut rows = Vec::new();
    problem
        .evolve(|moment| {
            let (u, v) = (&moment.hartree.u, &moment.hartree.v);
            let t = moment.row.t;
            // (4.10) with the matching k_α is the pair the run carries.
            let (ru, rv) = hartree_4_10(&potentials, k, (&u0, &v0), t, 2000);
            assert!(
                distance(u, &ru) < 1e-9 && distance(v, &rv) < 1e-9,
                "(4.10) at t = {t}"
            );
            // (4.11): 𝓔 of (4.8) with the same k_α is conserved, and it is the run's
            // Hartree energy.
            let energy = energy_4_8(&potentials, k, u, v);
            assert!((energy - energy_4_8(&potentials, k, &u0, &v0)).abs() < 1e-9);
            assert!((energy - moment.row.energy_hartree).abs() < 1e-12);
            // α^(1,1) against the (4.10) pair, and against the (2.10) pair when they differ.
            let basis = |n| pickl::space::fock::FockBasis::new(m, n).unwrap();
            let psi = first_quantised_state(&basis(n1), &basis(n2), moment.state);
            let ours = alpha11(&psi, m, (n1, n2), u, v);
            assert!((ours - moment.row.alpha11).abs() < 1e-11, "t = {t}");
            let (pu, pv) = hartree_4_10(
                &potentials,
                [1.0 / potentials.c1(), 1.0 / potentials.c2(), 1.0],
                (&u0, &v0),
                t,
                2000,
            );
            let against_2_10 = alpha11(&psi, m, (n1, n2), &pu, &pv);
            match moment.row.alpha11_vs_2_10 {
                Some(a) => assert!(
                    (a - against_2_10).abs() < 1e-9,
                    "t = {t}: {a} {against_2_10}"
                ),
                None => assert!(prefactors == "paper"),
            }
            rows.push(moment.row);
            Ok(())
        })
        .unwrap();
    // (4.8) at t = 0, where Ψ = u₀^{⊗N₁} ⊗ v₀^{⊗N₂}: the intra-species pairs are N_j(N_j − 1)/2,
    // not N_j²/2, so ⟨H⟩/(N₁+N₂) − 𝓔 = −(m₁N₁⟨𝒱₁⟩ + m₂N₂⟨𝒱₂⟩)/(2(N₁+N₂)) exactly.
    let difference = -(m_alpha[0] * n1 as f64 * mean_field(&sa.potential, &u0, &u0)
        + m_alpha[1] * n2 as f64 * mean_field(&sb.potential, &v0, &v0))
        / (2.0 * total);
    let measured = rows[0].energy_mb - energy_4_8(&potentials, k, &u0, &v0);
    assert!(
        (measured - difference).abs() < 1e-12,
        "{measured} against {difference}"
    );
    assert!(difference.abs() > 1e-3);
    if prefactors == "common" {
        // The two pairs part: α against (2.10) is far larger than against (4.10) at t = T.
        let last = rows.last().unwrap();
        assert!(last.alpha11_vs_2_10.unwrap() > 3.0 * last.alpha11);
    }
}

#[test]
fn the_paper_prefactors_follow_2_10() {
    check("paper", [1.0 / 4.0, 1.0 / 2.0, 1.0 / 6.0]);
}

#[test]
fn common_prefactors_follow_4_10_not_2_10() {
    check("common", [1.0 / 6.0; 3]);
}

#[test]
fn unknown_prefactors_are_refused() {
    let options = Options {
        prefactors: Some("half".into()),
        out: Some("unused.csv".into()),
        ..Options::default()
    }
    .resolved("unused.csv")
    .unwrap();
    let message = options.problem().unwrap_err().to_string();
    assert!(message.contains("paper or common"), "{message}");
}
