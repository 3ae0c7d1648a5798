//! The `dynamics` binary: the canonical command line of SPEC §8, TOML configs and clear errors.

mod common;

use common::ScratchDir;

use std::path::PathBuf;
use std::process::Command;

fn dynamics(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dynamics"))
        .args(args)
        .output()
        .unwrap()
}

fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|x| x.parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn canonical_flags_in_both_spellings_with_negative_values() {
    let dir = ScratchDir::new("cli", "flags");
    let out = dir.join("run.csv");
    let out_arg = format!("--out={}", out.display());
    let result = dynamics(&[
        "--sites",
        "3",
        "--n1=3",
        "--n2",
        "2",
        "--hop1",
        "1",
        "--hop2=0.5",
        "--phase1",
        "0.3",
        "--phase2",
        "-0.25",
        "--v1",
        "gauss:1.0,1.0",
        "--v2=contact:-0.5",
        "--v12",
        "list:0.5,-0.2,-0.2",
        "--u0",
        "gauss:0,1,0.5",
        "--v0=list:1,0.5i,-0.3",
        "--t-max",
        "1.5",
        "--steps=5",
        "--tol",
        "1e-10",
        "--trap1",
        "-0.1,0,0.2",
        "--kinetic",
        "relativistic",
        &out_arg,
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (header, rows) = read_csv(&out);
    for column in [
        "t",
        "alpha11",
        "alpha10",
        "alpha01",
        "energy_mb",
        "energy_hartree",
        "norm",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "missing column {column}"
        );
    }
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[5][0], 1.5);
    let meta = std::fs::read_to_string(dir.join("run.meta.toml")).unwrap();
    assert!(meta.contains("status = \"complete\"") && meta.contains("phase2 = -0.25"));
}

/// The provenance says whether the Chebyshev propagator paired its outputs, and the table's
/// matvecs agree: a pair's second output costs fewer H applications than its first (the two
/// share one series), one series per output costs the same for equal intervals.
#[test]
fn the_provenance_says_whether_outputs_were_paired() {
    let dir = ScratchDir::new("cli", "paired");
    for (steps, propagator, expected) in [
        ("30", "chebyshev", Some(true)),
        ("1", "chebyshev", Some(false)),
        ("30", "lanczos", None),
    ] {
        let out = dir.join(format!("run-{steps}-{propagator}.csv"));
        let out_arg = format!("--out={}", out.display());
        let result = dynamics(&[
            "--n1",
            "4",
            "--n2",
            "4",
            "--steps",
            steps,
            "--propagator",
            propagator,
            &out_arg,
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let meta = std::fs::read_to_string(out.with_extension("meta.toml")).unwrap();
        let recorded = ["true", "false"]
            .into_iter()
            .find(|v| meta.contains(&format!("paired_outputs = {v}")))
            .map(|v| v == "true");
        assert_eq!(recorded, expected, "{steps} steps, {propagator}");
        if propagator == "chebyshev" && steps == "30" {
            let (header, rows) = read_csv(&out);
            let matvecs = header.iter().position(|h| h == "matvecs").unwrap();
            let (first, second) = (rows[1][matvecs], rows[2][matvecs]);
            assert!(second < 2.0 * first, "{first} then {second} matvecs");
        }
    }
}

#[test]
fn a_config_file_sets_the_same_keys_and_reproduces_a_run() {
    let dir = ScratchDir::new("cli", "config");
    let first = dir.join("first.csv");
    let config = dir.join("model.toml");
    std::fs::write(
        &config,
        format!(
            "sites = 3\nn1 = 2\nn2 = 2\nhop1 = 1\nhop2 = 1\nv1 = \"contact:1\"\nv2 = \"contact:1\"\n\
             v12 = \"contact:0.5\"\nu0 = \"site:0\"\nv0 = \"plane:1\"\nt-max = 1\nsteps = 4\n\
             geometry = \"chain\"\nout = \"{}\"\n",
            first.display()
        ),
    )
    .unwrap();
    let result = dynamics(&["--config", config.to_str().unwrap()]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // The provenance file reruns the same model; a flag overrides the file.
    let second = dir.join("second.csv");
    let meta = dir.join("first.meta.toml");
    let out_arg = format!("--out={}", second.display());
    let result = dynamics(&["--config", meta.to_str().unwrap(), &out_arg]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (_, a) = read_csv(&first);
    let (_, b) = read_csv(&second);
    assert_eq!(a.len(), 5);
    for (ra, rb) in a.iter().zip(&b) {
        for column in 0..7 {
            assert_eq!(ra[column], rb[column]);
        }
    }
}

#[test]
fn bad_input_gives_a_message_not_a_panic() {
    let dir = ScratchDir::new("cli", "errors");
    let config = dir.join("bad.toml");
    std::fs::write(&config, "sites = 3\ntmax = 2\n").unwrap();
    let out = format!("--out={}", dir.join("x.csv").display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--config", config.to_str().unwrap()], "tmax"),
        (vec!["--n1", "3"], "--out"),
        (vec!["--v1", "gauss:1", &out], "gauss"),
        (vec!["--u0", "site:9", &out], "site:9"),
        (
            vec!["--geometry", "torus:3x3", "--sites", "4", &out],
            "torus",
        ),
        (vec!["--v12", "list:1,2,3,4", &out], "even"),
        (vec!["--tol", "0", &out], "--tol"),
        (vec!["--n1", "0", &out], "--n1"),
        // Refused, not an abort allocating four billion output times.
        (vec!["--steps", "4000000000", &out], "at most 1000000"),
        // Finite, but its square is not: the Hartree right-hand side overflows.
        (vec!["--v12", "gauss:1e200,1", &out], "too large for double"),
        (vec!["--tol", "1e-13", &out], "rounding"),
        (
            vec!["--hop1", "-1", "--kinetic", "relativistic", &out],
            "1 + K",
        ),
    ];
    for (args, needle) in cases {
        let result = dynamics(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{args:?} should fail");
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?} should mention {needle}: {stderr}"
        );
    }
}

/// A run that stops after its table was started says so in its provenance file: failed, why,
/// when, from which build; no longer `running`.
#[test]
fn a_run_that_stops_records_why_in_its_provenance() {
    let dir = ScratchDir::new("cli", "stopped");
    let out = dir.join("stopped.csv");
    // The Hartree integrator refuses this end time once the run has begun.
    let result = dynamics(&["--t-max", "1e300", "--out", out.to_str().unwrap()]);
    assert!(!result.status.success());
    let meta = std::fs::read_to_string(dir.join("stopped.meta.toml")).unwrap();
    assert!(meta.contains("status = \"failed\""), "{meta}");
    assert!(
        meta.contains("beyond the limit") && meta.contains("wall_seconds"),
        "{meta}"
    );
    // Which build made it: a commit hash (40 hex digits, `-modified` for a changed tree) or
    // `unknown` outside a git checkout.
    let commit = meta
        .lines()
        .find_map(|line| line.strip_prefix("commit = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a commit entry");
    let hash = commit.strip_suffix("-modified").unwrap_or(commit);
    assert!(
        commit == "unknown" || (hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_it_starts() {
    let dir = ScratchDir::new("cli", "huge");
    let out = format!("--out={}", dir.join("x.csv").display());
    let result = dynamics(&[
        "--sites",
        "6",
        "--n1",
        "200",
        "--n2",
        "200",
        "--v1",
        "contact:1",
        "--v2",
        "contact:1",
        "--v12",
        "contact:1",
        "--u0",
        "site:0",
        "--v0",
        "site:1",
        &out,
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(
        stderr.contains("GiB") || stderr.contains("too large"),
        "{stderr}"
    );
}

#[test]
fn a_lattice_whose_dense_tables_cannot_fit_is_refused_not_a_panic() {
    // One particle per species on 200,000 sites: the dense M x M tables alone are 640 GB each.
    let dir = ScratchDir::new("cli", "many_sites");
    let out = format!("--out={}", dir.join("x.csv").display());
    let result = dynamics(&["--sites", "200000", "--n1", "1", "--n2", "1", &out]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("--sites") && stderr.contains("GiB"),
        "{stderr}"
    );
}

#[test]
fn counting_writes_its_table_and_the_distribution() {
    let dir = ScratchDir::new("cli", "counting");
    let out = dir.join("count.csv");
    let out_arg = format!("--out={}", out.display());
    let result = Command::new(env!("CARGO_BIN_EXE_counting"))
        .args([
            "--sites", "3", "--n1", "3", "--n2", "2", "--t-max", "1", "--steps", "2", &out_arg,
        ])
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for column in [
        "t",
        "alpha11",
        "alpha10",
        "alpha01",
        "mean_k_a",
        "mean_k_b",
        "var_k_a",
        "var_k_b",
        "alpha22",
        "r11",
        "r22",
        "nat_a_0",
        "nat_b_2",
        "slack_3_6",
        "bbgky_lhs",
        "bbgky_residual",
        "bbgky_limit_terms",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "missing column {column}"
        );
    }
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (lhs, residual, limit) = (
        column("bbgky_lhs"),
        column("bbgky_residual"),
        column("bbgky_limit_terms"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    // (4.13) holds along the run (both sides by different routes); its limit form does not.
    for row in &rows {
        let value = |i: usize| row[i].parse::<f64>().unwrap();
        assert!(value(lhs) > 1e-3, "{row:?}");
        assert!(value(residual) < 1e-12 * (1.0 + value(lhs)), "{row:?}");
        assert!(value(limit) > 1e-3, "{row:?}");
    }
    // (2.25): every (k₁, k₂) ≠ (0, 0) at every time, α^(k₁,k₂) within Lemma 3.2 (3.8).
    let mut fractions = csv::Reader::from_path(dir.join("count_alpha_k.csv")).unwrap();
    assert_eq!(
        fractions.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "t",
            "k1",
            "k2",
            "alpha",
            "alpha_over_max_k_alpha11",
            "log10_bound_2_25",
            "log10_bound_2_25_tight"
        ]
    );
    let fraction_rows: Vec<csv::StringRecord> = fractions.records().map(|r| r.unwrap()).collect();
    assert_eq!(fraction_rows.len(), 3 * (4 * 3 - 1));
    // The size announced for large runs, against the tables just written.
    let problem = common::canonical_problem((3, (3, 2), "gauss:1,1", "gauss:0.5,1"), 1.0, 2);
    let written: u64 = ["count_pi.csv", "count_alpha_k.csv"]
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    let estimate = pickl::studies::counting::table_bytes(&problem);
    assert!(
        (0.67..1.5).contains(&(estimate / written as f64)),
        "estimate {estimate} for {written} bytes"
    );
    for row in &fraction_rows {
        if !row[4].is_empty() {
            assert!(row[4].parse::<f64>().unwrap() <= 1.0 + 1e-12, "{row:?}");
        }
    }
    // π is normalised by its own sum, so Σπ = 1 says nothing. Its first moments, E[k_A]/N₁ and
    // E[k_B]/N₂, must equal α^(1,0) and α^(0,1) as `dynamics` computes them from the number
    // operators N_u, N_v on the state in the site basis, without the condensate frame.
    let reference = dir.join("dyn.csv");
    let dynamics = Command::new(env!("CARGO_BIN_EXE_dynamics"))
        .args([
            "--sites",
            "3",
            "--n1",
            "3",
            "--n2",
            "2",
            "--t-max",
            "1",
            "--steps",
            "2",
            &format!("--out={}", reference.display()),
        ])
        .output()
        .unwrap();
    assert!(dynamics.status.success());
    let mut indicators = std::collections::BTreeMap::new();
    let mut dyn_reader = csv::Reader::from_path(&reference).unwrap();
    let dyn_header: Vec<String> = dyn_reader
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| dyn_header.iter().position(|h| h == name).unwrap();
    let (t_col, a10_col, a01_col) = (col("t"), col("alpha10"), col("alpha01"));
    for record in dyn_reader.records() {
        let record = record.unwrap();
        let number = |i: usize| record[i].parse::<f64>().unwrap();
        indicators.insert(
            record[t_col].to_string(),
            (number(a10_col), number(a01_col)),
        );
    }
    let mut pi = csv::Reader::from_path(dir.join("count_pi.csv")).unwrap();
    let mut moments = std::collections::BTreeMap::new();
    for record in pi.records() {
        let record = record.unwrap();
        let (ka, kb, p): (f64, f64, f64) = (
            record[1].parse().unwrap(),
            record[2].parse().unwrap(),
            record[3].parse().unwrap(),
        );
        let entry = moments.entry(record[0].to_string()).or_insert((0.0, 0.0));
        entry.0 += ka * p / 3.0;
        entry.1 += kb * p / 2.0;
    }
    assert_eq!(moments.len(), 3);
    for (t, (a10, a01)) in &moments {
        let (r10, r01) = indicators[t];
        assert!(
            (a10 - r10).abs() < 1e-12 && (a01 - r01).abs() < 1e-12,
            "t = {t}: from π ({a10}, {a01}), from the number operators ({r10}, {r01})"
        );
    }
}

#[test]
fn proof_writes_the_long_and_wide_tables() {
    let dir = ScratchDir::new("cli", "proof");
    let out = dir.join("proof.csv");
    let out_arg = format!("--out={}", out.display());
    let result = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args([
            "--sites", "3", "--n1", "3", "--n2", "2", "--t-max", "0.5", "--steps", "2", "--r-s",
            "2:inf", &out_arg,
        ])
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let mut long = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        long.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "t",
            "group",
            "term",
            "re",
            "im",
            "abs",
            "bound",
            "ratio",
            "bound_tight",
            "ratio_tight"
        ]
    );
    let rows: Vec<csv::StringRecord> = long.records().map(|r| r.unwrap()).collect();
    // Per time: 3 totals, 3 × 16 pairs, 3 parts of T(pp,qq).
    assert_eq!(rows.len(), 3 * (3 + 48 + 3));
    for row in &rows {
        for column in [7, 9] {
            if !row[column].is_empty() {
                assert!(
                    row[column].parse::<f64>().unwrap() <= 1.0,
                    "bound violated: {row:?}"
                );
            }
        }
        // Where one form has a bound, so has the other, and the tight one is not larger.
        assert_eq!(row[6].is_empty(), row[8].is_empty());
        if !row[6].is_empty() {
            let (printed, tight): (f64, f64) = (row[6].parse().unwrap(), row[8].parse().unwrap());
            assert!(tight <= printed + 1e-15, "{row:?}");
        }
    }
    let mut wide = csv::Reader::from_path(dir.join("proof_wide.csv")).unwrap();
    assert_eq!(
        wide.headers().unwrap().iter().take(4).collect::<Vec<_>>(),
        ["t", "alpha11", "dalpha_terms", "dalpha_fd"]
    );
    let wide: Vec<csv::StringRecord> = wide.records().map(|r| r.unwrap()).collect();
    assert_eq!(wide.len(), 3);
    // No centred difference at t = 0; afterwards it matches the identity (5.19).
    assert!(wide[0][3].is_empty());
    for row in &wide[1..] {
        let (terms, fd): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!(
            (terms - fd).abs() <= 1e-5 * terms.abs().max(1e-8),
            "{terms} vs {fd}"
        );
    }
    // A species of one particle: Proposition 5.1 needs N_j ≥ 2, so no Grönwall bound is written.
    let single = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args([
            "--sites", "3", "--n1", "3", "--n2", "1", "--t-max", "0.5", "--steps", "1", &out_arg,
        ])
        .output()
        .unwrap();
    assert!(single.status.success());
    let mut wide = csv::Reader::from_path(dir.join("proof_wide.csv")).unwrap();
    let header: Vec<String> = wide.headers().unwrap().iter().map(str::to_owned).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in wide.records().map(|r| r.unwrap()) {
        for name in ["gronwall_bound", "gronwall_bound_tight", "trace_bound"] {
            assert!(row[column(name)].is_empty(), "{name} written at N2 = 1");
        }
        assert!(!row[column("kappa_tight")].is_empty());
    }
    // t-max = 0 leaves no room for the finite difference: a clear error, not NaN.
    let flat = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["--t-max", "0", &out_arg])
        .output()
        .unwrap();
    assert!(!flat.status.success() && String::from_utf8_lossy(&flat.stderr).contains("t-max > 0"));
    let bad = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["--r-s", "1:2", &out_arg])
        .output()
        .unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("r <= s"));
}

fn bogoliubov(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bogoliubov"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bogoliubov_takes_a_ratio_or_the_particle_numbers() {
    let dir = ScratchDir::new("cli", "bogoliubov");
    let by_ratio = dir.join("ratio.csv");
    let by_numbers = dir.join("numbers.csv");
    let common = ["--sites", "5", "--t-max", "1", "--steps", "4"];
    for (extra, out) in [
        (["--ratio", "2:1"], &by_ratio),
        (["--n1=40", "--n2=20"], &by_numbers),
    ] {
        let result =
            bogoliubov(&[&common[..], &extra[..], &["--out", out.to_str().unwrap()]].concat());
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    // Only c1 = 2/3, c2 = 1/3 enter: the same table either way.
    let (header, rows) = read_csv(&by_ratio);
    assert_eq!(
        header[..4],
        ["t", "n_alpha10_limit", "n_alpha01_limit", "n_alpha11_limit"]
    );
    assert_eq!(rows.len(), 5);
    assert_eq!(read_csv(&by_numbers).1, rows);
    for row in &rows {
        // lim N alpha11 = N_A/c1 + N_B/c2.
        assert!((row[3] - (1.5 * row[1] + 3.0 * row[2])).abs() <= 1e-12 * (1.0 + row[3]));
    }
    // A scaling study's file gives its model (its [scaling] table is not read).
    let study = dir.join("study.csv");
    let result = bogoliubov(&[
        "--config",
        "studies/two_site.toml",
        "--out",
        study.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(read_csv(&study).1.len(), 13);
    // Bad input: a message, no panic, no table.
    let scratch = dir.join("refused.csv");
    let scratch = scratch.to_str().unwrap();
    for (args, expect) in [
        // Refused before the M x M tables are allocated, and before hopeless integration.
        (vec!["--sites", "1000000", "--out", scratch], "--sites"),
        (
            vec!["--t-max", "1e300", "--out", scratch],
            "beyond the limit",
        ),
        (vec!["--ratio", "2:0"], "--ratio"),
        (vec!["--ratio", "1:1", "--n1", "3"], "either --ratio"),
        (vec!["--sites", "5"], "--out"),
        (
            vec!["--ratio", "1:1", "--tol", "2", "--out", "x.csv"],
            "--tol",
        ),
    ] {
        let result = bogoliubov(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            !result.status.success() && stderr.contains(expect),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Runs a command and fails the test if it has not ended within `seconds`.
fn output_within(command: &mut Command, seconds: u64) -> std::process::Output {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed().as_secs() >= seconds {
            child.kill().unwrap();
            panic!("{command:?} did not end within {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_study_up_to_the_largest_integer_is_refused_at_once() {
    // The geometric range used to overflow and wrap, looping for ever.
    let dir = ScratchDir::new("cli", "huge-range");
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_scaling")).args([
            "--n-total",
            "2..18446744073709551615:x2",
            &format!("--out-dir={}", dir.display()),
        ]),
        60,
    );
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(message.contains("cannot fit"), "{message}");
}
