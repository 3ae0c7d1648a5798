//! Benchmarks of the engine's hot paths:
//! * one application of the matrix-free H (2.8) at D ≈ 10⁶ and 10⁷ (ring M = 4, N₁ = N₂ = 16
//!   and 25); throughput counts 32 bytes per entry, one read of Ψ and one write of HΨ
//!   (the sparse rows of H_A re-read Ψ from cache and are not counted);
//! * a Lanczos propagation of the default model to T = 1 at tolerance 1e-10;
//! * the change to the condensate frame Γ(W_A) ⊗ Γ(W_B) at D ≈ 10⁶, to compare with one H
//!   application on the same state.
//!
//! Run with `cargo bench --bench hamiltonian`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pickl::config::Options;
use pickl::fock::FockBasis;
use pickl::hamiltonian::ManyBodyHamiltonian;
use pickl::linalg::LinearOperator;
use pickl::propagation::{Lanczos, Propagator};
use pickl::state::TwoSpeciesState;
use pickl::C64;

fn default_problem(n: usize, t_max: f64) -> pickl::dynamics::DynamicsProblem {
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
    }
    group.finish();
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
    let frame = pickl::counting::CondensateFrame::new(&basis, &basis).unwrap();
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
    use pickl::proof::snapshot::{ExponentChoice, ProofSnapshot};
    let mut group = c.benchmark_group("proof_snapshot");
    group.sample_size(10);
    let problem = default_problem(16, 1.0);
    let basis = FockBasis::new(4, 16).unwrap();
    let frame = pickl::counting::CondensateFrame::new(&basis, &basis).unwrap();
    let h = ManyBodyHamiltonian::new(&problem.model, &basis, &basis).unwrap();
    // An evolved-looking state: the product state for (u0, v0), measured against (v0, u0).
    let state = TwoSpeciesState::product(&basis, &problem.u0, &basis, &problem.v0).unwrap();
    let (u, v) = (problem.v0.clone(), problem.u0.clone());
    let exponents = ExponentChoice::Scan;
    group.bench_function(format!("ring4/D={}", state.as_slice().len()), |b| {
        b.iter(|| {
            ProofSnapshot::new(
                &problem.model,
                &basis,
                &basis,
                &frame,
                state.as_slice(),
                &u,
                &v,
                0.5,
                &exponents,
            )
            .unwrap()
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
