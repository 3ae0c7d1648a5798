//! A run killed without warning (SIGKILL) and started again with the same command continues
//! from its checkpoint and writes the same bytes as a run that was never interrupted; a
//! checkpoint of another model is refused.

mod common;

use common::ScratchDir;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The model of these tests: the default ring at N₁ = N₂ = 10 with many output times, so that
/// there are many pauses to be killed at.
fn model_args(binary: &str, out: &Path, propagator: &str, extra: &[&str]) -> Vec<String> {
    let steps = if binary == "proof" { "12" } else { "60" };
    let mut args: Vec<String> = [
        "--n1",
        "10",
        "--n2",
        "10",
        "--t-max",
        "3",
        "--steps",
        steps,
        "--propagator",
        propagator,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--out={}", out.display()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn binary(name: &str) -> &'static str {
    match name {
        "dynamics" => env!("CARGO_BIN_EXE_dynamics"),
        "proof" => env!("CARGO_BIN_EXE_proof"),
        "counting" => env!("CARGO_BIN_EXE_counting"),
        _ => unreachable!(),
    }
}

fn run_to_end(name: &str, args: &[String]) {
    let output = Command::new(binary(name)).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Starts the run, kills it with SIGKILL once a checkpoint exists and at least `rows` rows are
/// on disk, and returns how many rows were there.
fn kill_half_way(name: &str, args: &[String], out: &Path, rows: usize) -> usize {
    let checkpoint = out.with_extension("checkpoint");
    let mut child = Command::new(binary(name))
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{name} ended ({status}) before it could be killed; make the test model longer");
        }
        if checkpoint.exists() && lines(out) > rows {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up.
    child.wait().unwrap();
    lines(out) - 1
}

/// `files`: the endings of the files to compare after `reference` and `run` (the tables, and
/// figures drawn from them).
fn killed_and_resumed_equals_uninterrupted(name: &str, propagator: &str, files: &[&str]) {
    let dir = ScratchDir::new("resume", &format!("{name}-{propagator}"));
    let reference = dir.join("reference.csv");
    run_to_end(
        name,
        &model_args(name, &reference, propagator, &["--checkpoint-every", "inf"]),
    );
    let out = dir.join("run.csv");
    let args = model_args(name, &out, propagator, &["--checkpoint-every", "0"]);
    let rows_at_kill = kill_half_way(name, &args, &out, 3);
    let checkpoint = out.with_extension("checkpoint");
    assert!(checkpoint.exists());
    // Another model with the same output is refused while the checkpoint is there.
    let mut other = args.clone();
    other[1] = "9".into();
    let refused = Command::new(binary(name)).args(&other).output().unwrap();
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(message.contains("another model"), "{message}");
    // The same command continues and ends where the uninterrupted run ended, byte for byte.
    let resumed = Command::new(binary(name)).args(&args).output().unwrap();
    let message = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{message}");
    assert!(
        message.contains("continuing from the checkpoint"),
        "{message}"
    );
    for ending in files {
        let (expected, actual) = (
            std::fs::read(dir.join(format!("reference{ending}"))).unwrap(),
            std::fs::read(dir.join(format!("run{ending}"))).unwrap(),
        );
        assert!(
            expected == actual,
            "{name} ({propagator}), run{ending}: killed after {rows_at_kill} rows, \
             resumed bytes differ from the uninterrupted run"
        );
    }
    assert!(
        !checkpoint.exists(),
        "a finished run removes its checkpoint"
    );
    eprintln!("{name} ({propagator}): killed after {rows_at_kill} rows, resumed to the same bytes");
}

#[test]
fn dynamics_with_lanczos_killed_and_resumed() {
    killed_and_resumed_equals_uninterrupted("dynamics", "lanczos", &[".csv"]);
}

#[test]
fn dynamics_with_chebyshev_killed_and_resumed() {
    killed_and_resumed_equals_uninterrupted("dynamics", "chebyshev", &[".csv"]);
}

#[test]
fn proof_killed_and_resumed() {
    let files = [".csv", "_steps.csv", "_wide.csv"];
    killed_and_resumed_equals_uninterrupted("proof", "chebyshev", &files);
}

/// Counting's three tables, and its figure (drawn from the table of α^(k₁,k₂), read back).
#[test]
fn counting_killed_and_resumed() {
    let files = [".csv", "_pi.csv", "_alpha_k.csv", "_alpha_k.svg"];
    killed_and_resumed_equals_uninterrupted("counting", "chebyshev", &files);
}

/// Starts the run, sends it SIGTERM once more than `rows` rows are on disk, and waits (at most
/// a minute) for it to end; returns its exit status and stderr.
#[cfg(unix)]
fn stop_half_way(args: &[String], out: &Path, rows: usize) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(binary("dynamics"))
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while lines(out) <= rows {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("dynamics ended ({status}) before it could be stopped; make the model longer");
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no rows appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: a signal to our own child, which has not been waited for yet.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let asked = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            asked.elapsed() < Duration::from_secs(60),
            "dynamics did not stop within a minute of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// SIGTERM (as Ctrl-C) with checkpoints on but none due (every 300 s): the run stops at its
/// next pause with a checkpoint, says so, exits with 128 + 15 and records `interrupted`; the
/// same command continues to the bytes of a run that was never stopped.
#[cfg(unix)]
#[test]
fn a_run_asked_to_stop_writes_a_checkpoint_and_continues_to_the_same_bytes() {
    let dir = ScratchDir::new("resume", "stopped");
    let reference = dir.join("reference.csv");
    let quiet = ["--checkpoint-every", "inf"];
    run_to_end(
        "dynamics",
        &model_args("dynamics", &reference, "chebyshev", &quiet),
    );
    let out = dir.join("run.csv");
    let args = model_args("dynamics", &out, "chebyshev", &[]);
    let (status, message) = stop_half_way(&args, &out, 3);
    assert_eq!(status.code(), Some(128 + 15), "{message}");
    assert!(message.contains("stopped at t = "), "{message}");
    let checkpoint = out.with_extension("checkpoint");
    assert!(checkpoint.exists(), "{message}");
    let meta = std::fs::read_to_string(out.with_extension("meta.toml")).unwrap();
    assert!(meta.contains("status = \"interrupted\""), "{meta}");
    let full = lines(&reference);
    assert!(
        lines(&out) < full,
        "the run had finished before it was stopped"
    );
    let resumed = Command::new(binary("dynamics"))
        .args(&args)
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{message}");
    assert!(
        message.contains("continuing from the checkpoint"),
        "{message}"
    );
    assert!(std::fs::read(&reference).unwrap() == std::fs::read(&out).unwrap());
    assert!(!checkpoint.exists());
}

/// With checkpoints off there is nothing to stop with: SIGTERM ends the run at once, by the
/// signal, and leaves no checkpoint.
#[cfg(unix)]
#[test]
fn with_checkpoints_off_a_signal_ends_the_run_at_once() {
    use std::os::unix::process::ExitStatusExt;
    let dir = ScratchDir::new("resume", "signal-off");
    let out = dir.join("run.csv");
    let args = model_args(
        "dynamics",
        &out,
        "chebyshev",
        &["--checkpoint-every", "inf"],
    );
    let (status, message) = stop_half_way(&args, &out, 3);
    assert_eq!(status.signal(), Some(15), "{status} {message}");
    assert!(!out.with_extension("checkpoint").exists());
}
