#!/bin/sh
# Every test of the project: the Rust tests, then the Python module's, built into a fresh
# virtual environment under target/ (pip, maturin and pytest from the package registry). The
# Rust tests run in release so that the Python build reuses their compiled library.
set -eu
cd "$(dirname "$0")/.."
cargo test --release
venv=target/python-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "./python[test]"
PICKL_BIN_DIR=target/release "$venv/bin/python" -m pytest -q python/tests
