"""pickl from Python against the command line on the same model: the functions call the same
library, so every column must equal the CSV the binary writes (to round-off), and bad input must
raise the exception of its kind with the binaries' message."""

import csv
import math
import os
import pathlib
import subprocess

import numpy as np
import pytest

import pickl

ROOT = pathlib.Path(__file__).resolve().parents[2]

MODEL = dict(sites=3, n1=3, n2=2, t_max=1.0, steps=4, v12="gauss:-0.4,1", trap1="0.2,0,0.1")


def binary(name):
    """The experiment binary of this checkout: from $PICKL_BIN_DIR (scripts/test.sh points it at
    the binaries `cargo test --release` has just built), or built here in release."""
    directory = os.environ.get("PICKL_BIN_DIR")
    if directory:
        return ROOT / directory / name
    subprocess.run(["cargo", "build", "--release", "--bin", name], cwd=ROOT, check=True)
    return ROOT / "target" / "release" / name


def flags(model):
    out = []
    for key, value in model.items():
        out += ["--" + key.replace("_", "-"), str(value)]
    return out


def run_cli(name, model, tmp_path):
    out = tmp_path / f"{name}.csv"
    subprocess.run(
        [str(binary(name)), *flags(model), "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = list(rows[0].keys())
    return {c: np.array([float(r[c]) if r[c] != "" else math.nan for r in rows]) for c in columns}


def assert_same_table(python, cli):
    assert list(python.keys()) == list(cli.keys())
    for name, expected in cli.items():
        got = python[name]
        assert isinstance(got, np.ndarray) and got.dtype == np.float64, name
        assert got.shape == expected.shape, name
        both_nan = np.isnan(got) & np.isnan(expected)
        assert np.all(both_nan | (np.abs(got - expected) <= 1e-13 * (1 + np.abs(expected)))), name


def test_dynamics_equals_the_cli(tmp_path):
    python = pickl.dynamics(**MODEL)
    assert_same_table(python, read_csv(run_cli("dynamics", MODEL, tmp_path)))
    assert python["t"][-1] == 1.0 and len(python["t"]) == 5


def test_dynamics_with_common_prefactors_has_the_2_10_column(tmp_path):
    model = dict(MODEL, prefactors="common")
    python = pickl.dynamics(**model)
    assert "alpha11_vs_2_10" in python
    assert_same_table(python, read_csv(run_cli("dynamics", model, tmp_path)))


def test_counting_equals_the_cli(tmp_path):
    table, pi, alpha_k = pickl.counting(**MODEL)
    out = run_cli("counting", MODEL, tmp_path)
    assert_same_table(table, read_csv(out))
    assert_same_table(pi, read_csv(out.with_name("counting_pi.csv")))
    assert_same_table(alpha_k, read_csv(out.with_name("counting_alpha_k.csv")))


def test_defaults_are_the_default_model():
    result = pickl.dynamics(steps=2, t_max=0.2)
    assert len(result["t"]) == 3
    # The default model: N1 = N2 = 10 on a ring of 4 sites, α^(1,1)(0) = 0 up to round-off.
    assert abs(result["alpha11"][0]) < 1e-12


def test_bad_input_raises_value_error_with_the_message():
    with pytest.raises(ValueError, match="n1"):
        pickl.dynamics(n1=0)
    with pytest.raises(ValueError, match="no_such_flag|no-such-flag"):
        pickl.dynamics(no_such_flag=1)
    with pytest.raises(ValueError, match="paper or common"):
        pickl.dynamics(prefactors="half")
    with pytest.raises(ValueError):
        pickl.dynamics(out="x.csv")
    with pytest.raises(ValueError):
        pickl.dynamics(sites=[1, 2])
    with pytest.raises(ValueError, match="n1"):
        pickl.dynamics(n1=2**63)
    with pytest.raises(ValueError, match="t-max"):
        pickl.dynamics(t_max=float("nan"))


def test_a_size_that_cannot_fit_raises_memory_error():
    with pytest.raises(MemoryError, match="GiB"):
        pickl.dynamics(sites=4, n1=400, n2=400)


def test_ctrl_c_stops_a_run_inside_a_step():
    import signal
    import sys
    import time

    # One output interval of t = 100: some 6,000 matvecs, half a minute, with no output time
    # between; Ctrl-C is honoured after the matvec under way.
    code = "import pickl; pickl.dynamics(n1=16, n2=16, t_max=100, steps=1)"
    # The child starts as from a terminal: SIGINT at its default disposition, so that Python
    # installs its KeyboardInterrupt handler. A test runner started in the background of a
    # non-interactive shell has SIGINT ignored, the child would inherit that, Python would then
    # install no handler and the interrupt would be lost whatever pickl does.
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        time.sleep(3.0)
        assert process.poll() is None, "the run ended before it could be interrupted"
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert "KeyboardInterrupt" in stderr
        assert time.monotonic() - started < 5
    finally:
        # A run that did not stop must not outlive the test (it would slow every later one).
        process.kill()
        process.wait()


def test_proof_equals_the_cli(tmp_path):
    terms, steps, wide = pickl.proof(**MODEL)
    out = run_cli("proof", MODEL, tmp_path)
    assert_same_table(wide, read_csv(out.with_name("proof_wide.csv")))
    for python, path in ((terms, out), (steps, out.with_name("proof_steps.csv"))):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert list(python.keys()) == list(rows[0].keys())
        for name in python:
            got = python[name]
            assert len(got) == len(rows), name
            if got.dtype.kind == "U":
                assert list(got) == [r[name] for r in rows], name
            else:
                expected = np.array([float(r[name]) if r[name] != "" else math.nan for r in rows])
                same = (np.isnan(got) & np.isnan(expected)) | (got == expected)
                assert np.all(same), name
    with pytest.raises(ValueError):
        pickl.proof(r_s="1:2:3", **MODEL)


def test_bogoliubov_equals_the_cli(tmp_path):
    model = dict(sites=3, t_max=1.0, steps=4, v12="gauss:-0.4,1", trap1="0.2,0,0.1")
    python = pickl.bogoliubov(ratio="2:1", **model)
    out = tmp_path / "bog.csv"
    subprocess.run(
        [str(binary("bogoliubov")), *flags(model), "--ratio", "2:1", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert_same_table(python, read_csv(out))
    with pytest.raises(ValueError, match="ratio"):
        pickl.bogoliubov(ratio="2:1", n1=4)


def test_scaling_equals_the_cli(tmp_path, monkeypatch):
    model = dict(sites=3, t_max=1.0, steps=4, v12="gauss:-0.4,1", trap1="0.2,0,0.1")
    study = dict(ratio="2:1", n_total="6..24:x2")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    table, fits = pickl.scaling(**study, **model)
    # Kept in memory: nothing written where it ran.
    assert list(here.iterdir()) == []
    monkeypatch.chdir(ROOT)
    directory = tmp_path / "study"
    subprocess.run(
        [str(binary("scaling")), *flags(dict(model, **study)), "--out-dir", str(directory)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert_same_table(table, read_csv(directory / "scaling.csv"))
    assert_same_table(fits, read_csv(directory / "fit.csv"))
    assert list(np.unique(table["n1"] + table["n2"])) == [6, 12, 24]
    with pytest.raises(ValueError, match="n1"):
        pickl.scaling(n1=4, **study)
    with pytest.raises(MemoryError, match="cannot fit"):
        pickl.scaling(n_total="2..18446744073709551615:x2")


def test_scaling_settings_as_numbers_or_text():
    model = dict(sites=2, t_max=0.5, steps=2)
    as_text, _ = pickl.scaling(ratio="2:1", n_total="6,12", **model)
    as_numbers, _ = pickl.scaling(ratio=(2, 1), n_total=[6, 12], **model)
    assert_same_table(as_numbers, as_text)
    single, _ = pickl.scaling(n_total=12, **model)
    assert list(np.unique(single["n1"] + single["n2"])) == [12]
    for name, value in [("ratio", 2), ("ratio", 2.5), ("n_total", True), ("n_total", [6, "x"]),
                        ("n_total", 6.0), ("n_total", []), ("r_s", 2)]:
        with pytest.raises(ValueError, match=name):
            pickl.scaling(**{name: value}, **model)
