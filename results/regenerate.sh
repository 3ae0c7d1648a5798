#!/bin/sh
# Regenerates every table and figure in results/ from scratch (54 minutes on 2 cores, the last
# time; all but the last two scaling studies take about 6 minutes).
# Run from anywhere: sh results/regenerate.sh
set -e
cd "$(dirname "$0")/.."
cargo build --release --bins
./target/release/dynamics
./target/release/dynamics --n1 20 --n2 20 --out results/dynamics_ring4_n20.csv
./target/release/counting
./target/release/proof
# The proof's ledger on the three studies' models, at one size each.
./target/release/proof --config studies/two_site.toml --n1 64 --n2 64 --out results/proof_two_site.csv
./target/release/proof --config studies/attractive.toml --n1 16 --n2 8 --out results/proof_attractive.csv
./target/release/proof --config studies/ring3_stable.toml --n1 40 --n2 40 --out results/proof_ring3.csv
./target/release/bogoliubov
./target/release/bogoliubov --sites 128 --out results/bogoliubov_ring128.csv
./target/release/bogoliubov --sites 2 --v1 contact:0 --v2 contact:0 --v12 contact:-12 --u0 plane:0 --v0 plane:0 --t-max 3 --steps 6 --out results/bogoliubov_unstable_two_site.csv
# The scaling studies start from scratch here; rerunning one of these commands alone resumes it.
# The last two hold the largest sizes (M = 4 to N = 80: about 16 minutes; M = 3 to N = 300:
# about 34 minutes).
rm -rf results/scaling_default results/scaling_two_site results/scaling_attractive results/scaling_ring3 results/scaling_common results/scaling_ring4_n80
for study in two_site attractive common_prefactors; do
    ./target/release/scaling --config "studies/$study.toml"
done
./target/release/scaling
./target/release/scaling --config studies/ring4_to_80.toml
./target/release/scaling --config studies/ring3_stable.toml
