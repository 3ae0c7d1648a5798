#!/bin/sh
# pickl against QuSpin on the default model (ring M = 4, N1 = N2 = N, T = 3, K = 30): wall time
# and peak memory of each, one after the other on this machine, and the check that alpha11
# agrees to 1e-10. QuSpin goes into a virtual environment under target/ on the first run.
#
#     sh benches/vs_quspin.sh              # N = 14 (D = 462,400) and N = 20 (D = 3,136,441)
#     REPEAT=3 sh benches/vs_quspin.sh 14  # medians of three runs each, alternating
#     PROPAGATOR=chebyshev sh benches/vs_quspin.sh   # pickl's few-vector propagator
set -eu
cd "$(dirname "$0")/.."
venv=target/quspin-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import quspin" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "quspin==1.0.1"
fi
cargo build --release --quiet --bin dynamics
if [ "$#" -eq 0 ]; then
    set -- 14 20
fi
exec "$venv/bin/python" benches/vs_quspin.py compare target/release/dynamics "$@"
