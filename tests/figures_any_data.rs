//! Drawing a figure must finish and must not panic, whatever the data: zeros, negatives, 1e-300,
//! 1e300, ±inf, NaN, a single point, a flat line. (A study whose Grönwall bound reached 3.7e305
//! used to spin for ever inside plotters' logarithmic axis, and a point far outside a linear
//! axis overflowed its integer pixel arithmetic, a panic where overflow checks are on, as in
//! `cargo test`.) Each case is drawn in a thread with a deadline.

mod common;

use common::ScratchDir;
use std::sync::mpsc;
use std::time::Duration;

use pickl::studies::ledger_figures::write_ledger_figures;
use pickl::studies::scaling::figures::write_figures;
use pickl::studies::scaling::{FitRow, ScalingRow, ScalingTable};

fn row(n1: usize, n2: usize, t: f64, value: f64) -> ScalingRow {
    ScalingRow {
        n1,
        n2,
        t,
        alpha11: value,
        alpha10: value,
        alpha01: value,
        n_alpha11: value * (n1 + n2) as f64,
        log_gronwall_bound: Some(value.abs().ln() * 300.0),
        log_gronwall_bound_tight: None,
        max_ratio_v1: Some(value),
        max_ratio_v2: None,
        max_ratio_v12: value,
        dalpha: value,
        kappa_eff: value,
        kappa: 31.0,
        kappa_tight: 9.0,
        max_ratio_tight: value,
        error_estimate: value,
        alpha11_vs_2_10: Some(value),
        log_gronwall_bound_energy: [Some(value.abs().ln() * 100.0), None],
    }
}

fn fit(t: f64, value: f64) -> FitRow {
    FitRow {
        t,
        gamma: Some(value),
        gamma_low: Some(value),
        gamma_high: Some(value),
        limit: Some(value),
        limit_error: Some(value),
        sizes: 2,
        local_gamma: Some(value),
        bogoliubov_limit: Some(value),
        correction: Some(value),
        correction_error: Some(value),
        theorem_over_limit: Some(value),
        best_constant: Some(value),
        theorem_over_best: Some(value),
        tight_theorem_over_limit: Some(value),
    }
}

fn within_deadline(label: &str, work: impl FnOnce() + Send + 'static) {
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        work();
        let _ = done.send(());
    });
    assert!(
        wait.recv_timeout(Duration::from_secs(60)).is_ok(),
        "{label}: drawing did not finish within a minute (or panicked)"
    );
}

const VALUES: [f64; 10] = [
    0.0,
    -1.0,
    1e-300,
    1e300,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MAX,
    f64::MIN_POSITIVE,
    1e307,
];

#[test]
fn scaling_figures_finish_on_any_data() {
    let dir = ScratchDir::new("figures", "scaling");
    let mut cases: Vec<(String, Vec<Vec<ScalingRow>>, Vec<FitRow>)> = Vec::new();
    for value in VALUES {
        // Two sizes, every time of both at this value.
        let sizes = [(4, 2), (8, 4)]
            .iter()
            .map(|&(a, b)| (0..5).map(|k| row(a, b, k as f64 * 0.5, value)).collect())
            .collect();
        let fits = (0..5).map(|k| fit(k as f64 * 0.5, value)).collect();
        cases.push((format!("flat at {value:e}"), sizes, fits));
        // One size, one point.
        cases.push((
            format!("one point at {value:e}"),
            vec![vec![row(2, 1, 1.0, value)]],
            vec![],
        ));
    }
    // Spans from 1e-300 to 1e300 and a Grönwall bound near the largest double.
    let spread: Vec<ScalingRow> = (0..7)
        .map(|k| {
            let mut r = row(6, 3, k as f64 * 0.5, 10f64.powi(-300 + 100 * k));
            r.log_gronwall_bound = Some(703.0 * k as f64 / 6.0);
            r
        })
        .collect();
    cases.push(("spread over 600 decades".into(), vec![spread], vec![]));
    for (i, (label, sizes, fits)) in cases.into_iter().enumerate() {
        let mut table = ScalingTable::default();
        for rows in &sizes {
            table.insert(rows);
        }
        let out = dir.join(format!("case{i}"));
        std::fs::create_dir_all(&out).unwrap();
        let name = label.clone();
        within_deadline(&label, move || {
            // An error is allowed (nothing to draw); a hang or a panic is not.
            let _ = write_figures(&table, &fits, &name, &out);
        });
    }
}

#[test]
fn ledger_figures_finish_on_any_data() {
    let dir = ScratchDir::new("figures", "ledger");
    for (i, value) in VALUES.iter().enumerate() {
        let path = dir.join(format!("case{i}_steps.csv"));
        let mut text = String::from("t,group,term,step,equation,left,right,ratio\n");
        for k in 0..4 {
            text += &format!("{},C_V1,total,a step,(5.26),1,1,{value}\n", k as f64 * 0.5);
        }
        std::fs::write(&path, text).unwrap();
        within_deadline(&format!("ledger at {value:e}"), move || {
            let _ = write_ledger_figures(&path, "test");
        });
    }
}

#[test]
fn limit_figures_finish_on_any_data() {
    let dir = ScratchDir::new("figures", "limit");
    for (i, value) in VALUES.iter().enumerate() {
        for count in [1, 4] {
            let rows: Vec<pickl::evolution::bogoliubov::BogoliubovRow> = (0..count)
                .map(|k| pickl::evolution::bogoliubov::BogoliubovRow {
                    t: k as f64,
                    n_alpha10_limit: *value,
                    n_alpha01_limit: value * k as f64,
                    n_alpha11_limit: -value,
                    symplectic_defect: 0.0,
                    pairing_defect: 0.0,
                    condensate_defect: 0.0,
                    energy_hartree: 0.0,
                })
                .collect();
            let stem = dir.join(format!("case{i}_{count}"));
            within_deadline(&format!("limits at {value:e}"), move || {
                let _ = pickl::studies::bogoliubov::write_limit_figure(&rows, "test", &stem);
            });
        }
    }
}
