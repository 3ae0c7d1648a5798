//! The `scaling` binary end to end on tiny sizes: an interrupted study resumes to exactly the
//! files of an uninterrupted one, a directory holding another model is refused, and the fit
//! agrees with an independent least-squares computation on the written table.

mod common;

use common::ScratchDir;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A small ring study whose last sizes take long enough (a second or more) to be interrupted.
const STUDY: [&str; 8] = [
    "--sites",
    "3",
    "--n-total",
    "4,8,40,60",
    "--t-max",
    "1",
    "--steps",
    "4",
];

fn scaling(dir: &Path, extra: &[&str]) -> std::process::Output {
    scaling_with(&[&STUDY[..], extra].concat(), dir)
}

fn scaling_with(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaling"))
        .args(args)
        .arg("--out-dir")
        .arg(dir)
        .output()
        .unwrap()
}

/// The sizes (n1, n2) in a scaling.csv and the number of rows of each.
fn sizes(path: &Path) -> Vec<((u32, u32), usize)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut out: Vec<((u32, u32), usize)> = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let key = (record[0].parse().unwrap(), record[1].parse().unwrap());
        match out.last_mut() {
            Some((k, count)) if *k == key => *count += 1,
            _ => out.push((key, 1)),
        }
    }
    out
}

#[test]
fn an_interrupted_study_resumes_to_the_same_files() {
    let whole = ScratchDir::new("scaling", "whole");
    let result = scaling(&whole, &[]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let all_sizes = sizes(&whole.join("scaling.csv"));
    assert_eq!(
        all_sizes,
        vec![((2, 2), 5), ((4, 4), 5), ((20, 20), 5), ((30, 30), 5)]
    );

    // Start the same study elsewhere and kill it as soon as its first size is on disk.
    let broken = ScratchDir::new("scaling", "broken");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scaling"))
        .args(STUDY)
        .arg("--out-dir")
        .arg(&broken)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let table = broken.join("scaling.csv");
    let start = Instant::now();
    while !table.exists() || sizes(&table).is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "finished too early");
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no size written"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What it left is a valid table of whole sizes, fewer than asked for.
    let left = sizes(&table);
    assert!(!left.is_empty() && left.len() < all_sizes.len(), "{left:?}");
    assert!(left.iter().all(|(_, rows)| *rows == 5), "{left:?}");
    // fit.csv and the figures follow the table; a kill between the writes may leave them one
    // size behind, but never half-written.
    if broken.join("fit.csv").exists() {
        let mut fits = csv::Reader::from_path(broken.join("fit.csv")).unwrap();
        assert!(fits.records().all(|r| r.is_ok()));
    }

    // Rerun with the same arguments: it skips what is done and ends with the same bytes.
    let resumed = scaling(&broken, &[]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(stderr.contains("N = 4 (2+2) is already in"), "{stderr}");
    for file in ["scaling.csv", "fit.csv"] {
        let (a, b) = (
            std::fs::read(whole.join(file)).unwrap(),
            std::fs::read(broken.join(file)).unwrap(),
        );
        assert!(a == b, "{file} differs after resuming");
    }
    for figure in ["alpha", "collapse", "loglog", "ratios"] {
        for extension in ["svg", "png"] {
            assert!(broken.join(format!("{figure}.{extension}")).exists());
        }
    }

    // The choice of propagator is not part of the model: a finished study rerun with another
    // one, or recorded before the choice existed (no `propagator` key), is accepted as is.
    let before = std::fs::read(broken.join("scaling.csv")).unwrap();
    let meta_path = broken.join("scaling.meta.toml");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    assert!(meta.contains("propagator = \""), "{meta}");
    let without: String = meta
        .lines()
        .filter(|line| !line.starts_with("propagator = "))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&meta_path, without).unwrap();
    for propagator in ["chebyshev", "auto"] {
        let again = scaling(&broken, &["--propagator", propagator]);
        let stderr = String::from_utf8_lossy(&again.stderr);
        assert!(again.status.success(), "{propagator}: {stderr}");
        assert_eq!(before, std::fs::read(broken.join("scaling.csv")).unwrap());
    }

    // The same directory with another model is refused, and nothing is overwritten.
    let other = scaling(&broken, &["--v12", "gauss:-0.5,1"]);
    assert!(!other.status.success());
    let message = String::from_utf8_lossy(&other.stderr);
    assert!(
        message.contains("another model") && message.contains("v12"),
        "{message}"
    );
    assert_eq!(before, std::fs::read(broken.join("scaling.csv")).unwrap());
}

/// One size long enough to be killed while it runs, with a checkpoint at every pause.
const ONE_SIZE: [&str; 10] = [
    "--sites",
    "3",
    "--n-total",
    "80",
    "--t-max",
    "2",
    "--steps",
    "8",
    "--checkpoint-every",
    "0",
];

#[test]
fn a_size_killed_while_it_runs_continues_from_its_checkpoint_to_the_same_files() {
    let whole = ScratchDir::new("scaling", "size-whole");
    let start = Instant::now();
    let result = scaling_with(&ONE_SIZE, &whole);
    let full = start.elapsed();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let checkpoint_name = "size_40_40.checkpoint";
    assert!(
        !whole.join(checkpoint_name).exists(),
        "a finished size removes its checkpoint"
    );

    // The same study, killed (SIGKILL) half-way through its only size.
    let broken = ScratchDir::new("scaling", "size-broken");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scaling"))
        .args(ONE_SIZE)
        .arg("--out-dir")
        .arg(&broken)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = broken.join(checkpoint_name);
    let start = Instant::now();
    while !checkpoint.exists() || start.elapsed() < full / 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before it could be killed"
        );
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(checkpoint.exists() && !broken.join("scaling.csv").exists());

    // The same command continues the size from its checkpoint and ends with the same bytes.
    let resumed = scaling_with(&ONE_SIZE, &broken);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(
        stderr.contains("continuing from its checkpoint"),
        "{stderr}"
    );
    for file in ["scaling.csv", "fit.csv"] {
        let (a, b) = (
            std::fs::read(whole.join(file)).unwrap(),
            std::fs::read(broken.join(file)).unwrap(),
        );
        assert!(a == b, "{file} differs after continuing the size");
    }
    assert!(!checkpoint.exists());
}

#[test]
fn the_fit_matches_an_independent_least_squares_on_the_table() {
    let dir = ScratchDir::new("scaling", "fit");
    let result = Command::new(env!("CARGO_BIN_EXE_scaling"))
        .args([
            "--sites",
            "2",
            "--n-total",
            "8..64:x2",
            "--t-max",
            "1",
            "--steps",
            "2",
        ])
        .arg("--out-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let mut reader = csv::Reader::from_path(dir.join("scaling.csv")).unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let mut fits = csv::Reader::from_path(dir.join("fit.csv")).unwrap();
    let fit_rows: Vec<Vec<String>> = fits
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(fit_rows.len(), 3);
    // At t = 1: slope of ln α against ln N by the normal equations, and N α at the largest N.
    let points: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r[2] == "1")
        .map(|r| {
            let n = r[0].parse::<f64>().unwrap() + r[1].parse::<f64>().unwrap();
            (n.ln(), r[3].parse::<f64>().unwrap().ln())
        })
        .collect();
    assert_eq!(points.len(), 4);
    let k = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let sxx: f64 = points.iter().map(|(x, _)| x * x).sum();
    let sxy: f64 = points.iter().map(|(x, y)| x * y).sum();
    let slope = (k * sxy - sx * sy) / (k * sxx - sx * sx);
    let last = &fit_rows[2];
    assert_eq!(last[0], "1");
    let gamma: f64 = last[1].parse().unwrap();
    assert!((gamma + slope).abs() < 1e-10, "{gamma} vs {}", -slope);
    let (lo, hi): (f64, f64) = (last[2].parse().unwrap(), last[3].parse().unwrap());
    assert!(lo < gamma && gamma < hi);
    // gamma_local: the slope between the two largest sizes.
    let (a, b) = (points[2], points[3]);
    let local: f64 = last[7].parse().unwrap();
    assert!((local + (b.1 - a.1) / (b.0 - a.0)).abs() < 1e-10, "{local}");
    // Every row carries the columns the issue names, in that order.
    let header: Vec<String> = csv::Reader::from_path(dir.join("scaling.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(
        header[..12],
        [
            "n1",
            "n2",
            "t",
            "alpha11",
            "alpha10",
            "alpha01",
            "n_alpha11",
            "gronwall_bound",
            "max_ratio_v1",
            "max_ratio_v2",
            "max_ratio_v12",
            "kappa_eff"
        ]
    );
}
