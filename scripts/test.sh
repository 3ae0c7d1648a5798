#!/bin/sh
# Every test of the project: the Rust tests, then the Python module's (built into a fresh
# virtual environment under target/, with pip from the package registry).
set -eu
cd "$(dirname "$0")/.."
cargo test
venv=target/python-test-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "./python[test]"
PICKL_BIN_DIR=target/debug "$venv/bin/python" -m pytest -q python/tests
