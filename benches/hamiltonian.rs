//! Benchmarks of the engine's hot paths:
//! * one application of the matrix-free H (2.8) at D ≈ 10⁶ and 10⁷ (ring M = 4, N₁ = N₂ = 16
//!   and 25); throughput counts 32 bytes per entry, one read of Ψ and one write of HΨ
//!   (the sparse rows of H_A re-read Ψ from cache and are not counted); the same in the
//!   kernel's two-pass schedule (`ring4_two_passes`), which large windows fall back to;
//! * in the same group and on vectors of the same length, the memory-bandwidth reference: a
//!   STREAM triad a ← b + s·c on complex vectors (48 bytes per entry, as STREAM counts), and the
//!   Chebyshev propagator's fused pass y ← 2(H x)/r + c·x − y, z ← z + c_k y (80 bytes per
//!   entry: x, y read, y written, z read and written). The ratio of the H throughput to the
//!   triad's is the fraction of the machine's bandwidth the kernel uses;
//! * a Lanczos propagation of the default model to T = 1 at tolerance 1e-10;
//! * the change to the condensate frame Γ(W_A) ⊗ Γ(W_B) at D ≈ 10⁶, to compare with one H
//!   application on the same state.
//!
//! Run with `cargo bench --bench hamiltonian`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pickl::app::config::Options;
use pickl::evolution::hamiltonian::ManyBodyHamiltonian;
use pickl::evolution::propagation::{Lanczos, Propagator};
use pickl::linalg::{Accumulate, LinearOperator, Update};
use pickl::space::fock::FockBasis;
use pickl::space::state::TwoSpeciesState;
use pickl::C64;
use rayon::prelude::*;

fn default_problem(n: usize, t_max: f64) -> pickl::studies::dynamics::DynamicsProblem {
    Options {
        n1: Some(n),
        n2: Some(n),
        t_max: Some(t_max),
        steps: Some(1),
        out: Some("unused.csv".into()),
        ..Options::default()
    }
    .resolved("unused.csv")
    .unwrap()
    .problem()
    .unwrap()
}

fn hamiltonian_application(c: &mut Criterion) {
    let mut group = c.benchmark_group("H_apply");
    group.sample_size(10);
    for n in [16usize, 25] {
        let problem = default_problem(n, 1.0);
        let basis = FockBasis::new(4, n).unwrap();
        let h = ManyBodyHamiltonian::new(&problem.model, &basis, &basis).unwrap();
        let state = TwoSpeciesState::product(&basis, &problem.u0, &basis, &problem.v0).unwrap();
        let mut out = vec![C64::new(0.0, 0.0); h.dim()];
        group.throughput(Throughput::Bytes(32 * h.dim() as u64));
        group.bench_with_input(
            BenchmarkId::new("ring4", format!("D={}", h.dim())),
            &n,
            |b, _| b.iter(|| h.apply(state.as_slice(), &mut out)),
        );
        // The same application in the two-pass schedule, for the ratio of the one pass to it.
        let two_passes = h.clone().with_one_pass(false);
        group.bench_with_input(
            BenchmarkId::new("ring4_two_passes", format!("D={}", h.dim())),
            &n,
            |b, _| b.iter(|| two_passes.apply(state.as_slice(), &mut out)),
        );
        let update = Update {
            operator: 0.1,
            input: 0.3,
            previous: -1.0,
        };
        let mut previous = state.as_slice().to_vec();
        let mut sum = vec![C64::new(0.0, 0.0); h.dim()];
        // One pass in three of the Chebyshev propagator adds three terms to the sum (x, y and
        // the sum read, y and the sum written), the other two none (x and y read, y written).
        group.throughput(Throughput::Bytes(80 * h.dim() as u64));
        group.bench_with_input(
            BenchmarkId::new("ring4_fused_chebyshev_pass", format!("D={}", h.dim())),
            &n,
            |b, _| {
                b.iter(|| {
                    h.apply_update(
                        state.as_slice(),
                        &mut previous,
                        update,
                        vec![Accumulate {
                            sum: &mut sum,
                            previous: Some(C64::new(-1e-3, 0.0)),
                            input: Some(C64::new(0.0, 1e-3)),
                            output: C64::new(1e-3, 0.0),
                        }],
                    )
                })
            },
        );
        group.throughput(Throughput::Bytes(48 * h.dim() as u64));
        group.bench_with_input(
            BenchmarkId::new("ring4_chebyshev_pass_without_sum", format!("D={}", h.dim())),
            &n,
            |b, _| b.iter(|| h.apply_update(state.as_slice(), &mut previous, update, Vec::new())),
        );
        let (x, y) = (state.as_slice(), out.clone());
        group.throughput(Throughput::Bytes(48 * h.dim() as u64));
        group.bench_with_input(
            BenchmarkId::new("stream_triad", format!("D={}", h.dim())),
            &n,
            |b, _| b.iter(|| triad(&mut sum, x, &y, 0.5)),
        );
    }
    group.finish();
}

/// The STREAM triad a ← b + s·c, on both cores in chunks.
fn triad(a: &mut [C64], b: &[C64], c: &[C64], s: f64) {
    a.par_chunks_mut(1 << 14)
        .zip(b.par_chunks(1 << 14).zip(c.par_chunks(1 << 14)))
        .for_each(|(a, (b, c))| {
            a.iter_mut()
                .zip(b.iter().zip(c))
                .for_each(|(a, (b, c))| *a = b + s * c)
        });
}

fn propagation(c: &mut Criterion) {
    let mut group = c.benchmark_group("propagate");
    group.sample_size(10);
    let problem = default_problem(10, 1.0);
    let basis = FockBasis::new(4, 10).unwrap();
    let h = ManyBodyHamiltonian::new(&problem.model, &basis, &basis).unwrap();
    let initial = TwoSpeciesState::product(&basis, &problem.u0, &basis, &problem.v0).unwrap();
    group.bench_function("default_model_T1_D=81796", |b| {
        b.iter(|| {
            let mut state = initial.as_slice().to_vec();
            Lanczos::new(problem.krylov)
                .propagate(&h, &mut state, &problem.times, |_| Ok(()))
                .unwrap()
        })
    });
    group.finish();
}

fn condensate_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("condensate_frame");
    group.sample_size(10);
    let problem = default_problem(16, 1.0);
    let basis = FockBasis::new(4, 16).unwrap();
    let frame = pickl::measure::counting::CondensateFrame::new(&basis, &basis).unwrap();
    let state = TwoSpeciesState::product(&basis, &problem.u0, &basis, &problem.v0).unwrap();
    // Orbitals other than the state's own, so that the transformed state is spread out.
    let (u, v) = (problem.v0.clone(), problem.u0.clone());
    group.throughput(Throughput::Bytes(32 * state.as_slice().len() as u64));
    group.bench_function(format!("ring4/D={}", state.as_slice().len()), |b| {
        b.iter(|| frame.to_frame(state.as_slice(), &u, &v).unwrap())
    });
    group.finish();
}

/// Everything the proof evaluates at one time (frame change, C_V1, C_V2, C_V12, 48 pairs, the
/// split of T(pp,qq), the bounds), beside one H application on the same state for the ratio.
fn proof_snapshot(c: &mut Criterion) {
    use pickl::measure::context::TimeContext;
    use pickl::proof::{norms::ExponentChoice, snapshot::ProofSnapshot};
    use pickl::space::state::StateView;
    let mut group = c.benchmark_group("proof_snapshot");
    group.sample_size(10);
    let problem = default_problem(16, 1.0);
    let basis = FockBasis::new(4, 16).unwrap();
    let frame = pickl::measure::counting::CondensateFrame::new(&basis, &basis).unwrap();
    let h = ManyBodyHamiltonian::new(&problem.model, &basis, &basis).unwrap();
    // An evolved-looking state: the product state for (u0, v0), measured against (v0, u0).
    let state = TwoSpeciesState::product(&basis, &problem.u0, &basis, &problem.v0).unwrap();
    let (u, v) = (problem.v0.clone(), problem.u0.clone());
    let exponents = ExponentChoice::Scan;
    group.bench_function(format!("ring4/D={}", state.as_slice().len()), |b| {
        b.iter(|| {
            let view = StateView::new(&basis, &basis, state.as_slice()).unwrap();
            let context = TimeContext::new(&problem.model, view, (&u, &v), &frame).unwrap();
            ProofSnapshot::new(&context, 0.5, &exponents).unwrap()
        })
    });
    let mut out = vec![C64::new(0.0, 0.0); h.dim()];
    group.bench_function(format!("H_apply_same_state/D={}", h.dim()), |b| {
        b.iter(|| h.apply(state.as_slice(), &mut out))
    });
    group.finish();
}

criterion_group!(
    benches,
    hamiltonian_application,
    propagation,
    condensate_frame,
    proof_snapshot
);
criterion_main!(benches);
