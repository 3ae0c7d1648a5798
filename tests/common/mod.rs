//! Independent references for the engine's tests: first-quantised brute force on
//! M^{N₁} × M^{N₂} configurations, dense matrices and dense exponentials.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use faer::{Mat, Side};
use pickl::linalg::LinearOperator;
use pickl::model::lattice::Lattice;
use pickl::model::one_body::{Kinetic, OneBodyHamiltonian, OrbitalSpec, PotentialSpec};
use pickl::model::{Model, Species};
use pickl::space::fock::FockBasis;
use pickl::C64;

/// A directory of its own for one test, under the system's temporary directory
/// (`pickl-<test>-<process>-<name>`, emptied first): removed when the test passes, kept when it
/// fails (a panic is unwinding), so that its files can be looked at.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(test: &str, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pickl-{test}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir)
    }
}

impl std::ops::Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for ScratchDir {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn c(re: f64) -> C64 {
    C64::new(re, 0.0)
}

/// A model on a lattice from specification strings.
#[allow(clippy::too_many_arguments)]
pub fn model(
    lattice: Lattice,
    kinetic: Kinetic,
    (n1, n2): (usize, usize),
    (hop1, hop2): (f64, f64),
    (phase1, phase2): (f64, f64),
    (trap1, trap2): (&[f64], &[f64]),
    (v1, v2, v12): (&str, &str, &str),
) -> Model {
    let pot = |s: &str| s.parse::<PotentialSpec>().unwrap().on(&lattice).unwrap();
    let a = Species {
        particles: n1,
        hamiltonian: OneBodyHamiltonian::on_lattice(&lattice, kinetic, hop1, phase1, trap1)
            .unwrap(),
        potential: pot(v1),
    };
    let b = Species {
        particles: n2,
        hamiltonian: OneBodyHamiltonian::on_lattice(&lattice, kinetic, hop2, phase2, trap2)
            .unwrap(),
        potential: pot(v2),
    };
    let v12 = pot(v12);
    Model::new(lattice, a, b, v12).unwrap()
}

pub fn orbital(lattice: &Lattice, spec: &str) -> Vec<C64> {
    spec.parse::<OrbitalSpec>().unwrap().on(lattice).unwrap()
}

/// Dense matrix of a linear operator, column by column.
pub fn dense_of<O: LinearOperator>(op: &O) -> Mat<C64> {
    let d = op.dim();
    let mut out = Mat::zeros(d, d);
    let mut e = vec![c(0.0); d];
    let mut col = vec![c(0.0); d];
    for j in 0..d {
        e[j] = c(1.0);
        op.apply(&e, &mut col);
        e[j] = c(0.0);
        for i in 0..d {
            out[(i, j)] = col[i];
        }
    }
    out
}

/// e^{−iHt} x for a dense Hermitian H, by its eigendecomposition.
pub fn dense_propagate(h: &Mat<C64>, x: &[C64], t: f64) -> Vec<C64> {
    let evd = h.self_adjoint_eigen(Side::Lower).unwrap();
    let (u, s) = (evd.U(), evd.S());
    let d = h.nrows();
    let coefficients: Vec<C64> = (0..d)
        .map(|k| {
            let overlap: C64 = (0..d).map(|i| u[(i, k)].conj() * x[i]).sum();
            overlap * C64::from_polar(1.0, -s[k].re * t)
        })
        .collect();
    (0..d)
        .map(|i| (0..d).map(|k| u[(i, k)] * coefficients[k]).sum())
        .collect()
}

pub fn distance(x: &[C64], y: &[C64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - b).norm_sqr())
        .sum::<f64>()
        .sqrt()
}

/// First-quantised configurations of N particles on M sites: index = Σ_i x_i M^i.
pub fn configuration(index: usize, m: usize, n: usize) -> Vec<usize> {
    let mut rest = index;
    (0..n)
        .map(|_| {
            let x = rest % m;
            rest /= m;
            x
        })
        .collect()
}

/// The first-quantised Hamiltonian (2.8) on (C^M)^{⊗N₁} ⊗ (C^M)^{⊗N₂}, written with explicit sums
/// over particle labels: Σ_i (h₁)_i + (1/N₁) Σ_{i<j} V₁(x_i − x_j) + (same for B)
/// + (1/(N₁+N₂)) Σ_{i,r} V₁₂(x_i − y_r). Index = a + M^{N₁} b.
pub fn first_quantised_hamiltonian(model: &Model) -> Mat<C64> {
    let (n1, n2) = (model.species_a().particles, model.species_b().particles);
    let paper = [1.0 / n1 as f64, 1.0 / n2 as f64, 1.0 / (n1 + n2) as f64];
    first_quantised_hamiltonian_with(model, paper)
}

/// The same with generic mean-field prefactors [m₁, m₂, m₁₂] (4.7) in front of the potentials.
pub fn first_quantised_hamiltonian_with(model: &Model, [m1, m2, m12]: [f64; 3]) -> Mat<C64> {
    let m = model.sites();
    let (sa, sb) = (model.species_a(), model.species_b());
    let (n1, n2) = (sa.particles, sb.particles);
    let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
    let mut h = Mat::zeros(da * db, da * db);
    for b in 0..db {
        let ys = configuration(b, m, n2);
        for a in 0..da {
            let xs = configuration(a, m, n1);
            let row = a + da * b;
            // Diagonal: interactions.
            let mut diag = 0.0;
            for i in 0..n1 {
                for j in i + 1..n1 {
                    diag += m1 * sa.potential.value(xs[i], xs[j]);
                }
            }
            for r in 0..n2 {
                for s in r + 1..n2 {
                    diag += m2 * sb.potential.value(ys[r], ys[s]);
                }
            }
            for &x in &xs {
                for &y in &ys {
                    diag += m12 * model.inter_potential().value(x, y);
                }
            }
            h[(row, row)] += c(diag);
            // One-body terms: particle i of A moves from xs[i] to x'.
            for i in 0..n1 {
                for x2 in 0..m {
                    let element = sa.hamiltonian.element(x2, xs[i]);
                    let mut moved = xs.clone();
                    moved[i] = x2;
                    let a2: usize = moved.iter().rev().fold(0, |acc, &x| acc * m + x);
                    h[(a2 + da * b, row)] += element;
                }
            }
            for r in 0..n2 {
                for y2 in 0..m {
                    let element = sb.hamiltonian.element(y2, ys[r]);
                    let mut moved = ys.clone();
                    moved[r] = y2;
                    let b2: usize = moved.iter().rev().fold(0, |acc, &y| acc * m + y);
                    h[(a + da * b2, row)] += element;
                }
            }
        }
    }
    h
}

/// The symmetriser of one species: column k (Fock state of rank k with occupation n) is
/// √(Π n_x!/N!) Σ over the configurations with that occupation.
pub fn symmetriser(basis: &FockBasis) -> Mat<C64> {
    let (m, n) = (basis.modes(), basis.particles());
    let configurations = m.pow(n as u32);
    let mut s = Mat::zeros(configurations, basis.dim());
    let factorial = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
    for index in 0..configurations {
        let xs = configuration(index, m, n);
        let mut occupation = vec![0u32; m];
        for &x in &xs {
            occupation[x] += 1;
        }
        let rank = basis.rank(&occupation);
        let weight = occupation
            .iter()
            .map(|&k| factorial(k as usize))
            .product::<f64>()
            / factorial(n);
        s[(index, rank)] = c(weight.sqrt());
    }
    s
}

/// First-quantised Ψ(x₁..x_{N₁}; y₁..y_{N₂}) of a Fock state Ψ[a, b] (index a + M^{N₁} b).
pub fn first_quantised_state(basis_a: &FockBasis, basis_b: &FockBasis, state: &[C64]) -> Vec<C64> {
    let (sa, sb) = (symmetriser(basis_a), symmetriser(basis_b));
    let (da, db) = (sa.nrows(), sb.nrows());
    let mut out = vec![c(0.0); da * db];
    for b in 0..db {
        for a in 0..da {
            let mut sum = c(0.0);
            for ka in 0..basis_a.dim() {
                if sa[(a, ka)] == c(0.0) {
                    continue;
                }
                for kb in 0..basis_b.dim() {
                    sum += sa[(a, ka)] * sb[(b, kb)] * state[ka * basis_b.dim() + kb];
                }
            }
            out[a + da * b] = sum;
        }
    }
    out
}

/// γ^(1,1)((x,y),(x′,y′)) by partial trace over particles 2..N₁ and 2..N₂ of a first-quantised
/// state (kernel (2.4)), as an M² × M² matrix indexed x + M y.
pub fn gamma11_brute_force(psi: &[C64], m: usize, n1: usize, n2: usize) -> Mat<C64> {
    let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
    let mut gamma = Mat::zeros(m * m, m * m);
    let (rest_a, rest_b) = (da / m, db / m);
    for ra in 0..rest_a {
        for rb in 0..rest_b {
            for x in 0..m {
                for y in 0..m {
                    let left = psi[(x + m * ra) + da * (y + m * rb)];
                    for x2 in 0..m {
                        for y2 in 0..m {
                            let right = psi[(x2 + m * ra) + da * (y2 + m * rb)];
                            gamma[(x + m * y, x2 + m * y2)] += left * right.conj();
                        }
                    }
                }
            }
        }
    }
    gamma
}

/// A deterministic pseudo-random complex vector (xorshift), normalised.
pub fn random_state(len: usize, seed: u64) -> Vec<C64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let v: Vec<C64> = (0..len).map(|_| C64::new(next(), next())).collect();
    let n = v.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    v.into_iter().map(|z| z / n).collect()
}

/// P_k on (C^M)^{⊗N} built from its definition (A.2): the sum over a ∈ {0,1}^N with Σa = k of
/// Π_i p_i^{1−a_i} q_i^{a_i}, p = |u⟩⟨u|, as a dense matrix (index Σ_i x_i M^i).
pub fn counting_projection(u: &[C64], n: usize, k: usize) -> Mat<C64> {
    let m = u.len();
    let p = |x: usize, y: usize| u[x] * u[y].conj();
    let q = |x: usize, y: usize| if x == y { c(1.0) } else { c(0.0) } - p(x, y);
    let dim = m.pow(n as u32);
    let mut out = Mat::zeros(dim, dim);
    for pattern in 0..(1usize << n) {
        if pattern.count_ones() as usize != k {
            continue;
        }
        for row in 0..dim {
            let xs = configuration(row, m, n);
            for col in 0..dim {
                let ys = configuration(col, m, n);
                let mut product = c(1.0);
                for i in 0..n {
                    product *= if pattern >> i & 1 == 1 {
                        q(xs[i], ys[i])
                    } else {
                        p(xs[i], ys[i])
                    };
                }
                out[(row, col)] += product;
            }
        }
    }
    out
}

/// γ^(k₁,k₂) by partial trace of a first-quantised state over the last N₁−k₁ A-particles and
/// N₂−k₂ B-particles (kernel (3.2)), indexed X + M^{k₁} Y with X = Σ_i x_i M^i.
pub fn gamma_brute_force(
    psi: &[C64],
    m: usize,
    (n1, n2): (usize, usize),
    (k1, k2): (usize, usize),
) -> Mat<C64> {
    cross_marginal(psi, psi, m, (n1, n2), (k1, k2))
}

/// Σ_rest f(X, Y; rest) conj(g(X′, Y′; rest)) over the last N₁−k₁ A- and N₂−k₂ B-particles of two
/// first-quantised vectors, indexed X + M^{k₁} Y: the partial trace of |f⟩⟨g|.
pub fn cross_marginal(
    f: &[C64],
    g: &[C64],
    m: usize,
    (n1, n2): (usize, usize),
    (k1, k2): (usize, usize),
) -> Mat<C64> {
    let (da, db) = (m.pow(n1 as u32), m.pow(n2 as u32));
    let (ka, kb) = (m.pow(k1 as u32), m.pow(k2 as u32));
    let mut out = Mat::zeros(ka * kb, ka * kb);
    for ra in 0..da / ka {
        for rb in 0..db / kb {
            for i in 0..ka * kb {
                let left = f[(i % ka + ka * ra) + da * (i / ka + kb * rb)];
                if left == c(0.0) {
                    continue;
                }
                for j in 0..ka * kb {
                    let right = g[(j % ka + ka * ra) + da * (j / ka + kb * rb)];
                    out[(i, j)] += left * right.conj();
                }
            }
        }
    }
    out
}

/// The fixed set of canonical models of the proof's regression tests: ring M = 3 and 4, gauss and
/// contact potentials, N₁ = N₂ and N₁ = 2N₂ (sites, (N₁, N₂), V₁ = V₂, V₁₂).
pub const CANONICAL_MODELS: [(usize, (usize, usize), &str, &str); 4] = [
    (3, (12, 12), "gauss:1,1", "gauss:0.5,1"),
    (3, (16, 8), "contact:2", "contact:1"),
    (4, (8, 8), "gauss:1,1", "gauss:0.5,1"),
    (4, (10, 5), "contact:1.5", "gauss:-0.8,1"),
];

/// A canonical model (unit hopping, no phase or trap) and its dynamics from u₀ = gauss:0,1,0.5,
/// v₀ = gauss:1,1,−0.3 to `t_max` with `steps` output intervals, default accuracies.
pub fn canonical_problem(
    (m, (n1, n2), v_intra, v12): (usize, (usize, usize), &str, &str),
    t_max: f64,
    steps: usize,
) -> pickl::studies::dynamics::DynamicsProblem {
    let lattice = Lattice::ring(m).unwrap();
    pickl::studies::dynamics::DynamicsProblem {
        model: model(
            lattice.clone(),
            Kinetic::Schroedinger,
            (n1, n2),
            (1.0, 1.0),
            (0.0, 0.0),
            (&[], &[]),
            (v_intra, v_intra, v12),
        ),
        u0: orbital(&lattice, "gauss:0,1,0.5"),
        v0: orbital(&lattice, "gauss:1,1,-0.3"),
        times: pickl::studies::dynamics::output_times(t_max, steps).unwrap(),
        krylov: pickl::evolution::propagation::KrylovSettings::default(),
        propagator: Default::default(),
        hartree_tolerance: 1e-12,
        hartree_2_10: None,
        measurement: pickl::studies::memory::MeasurementMemory::NONE,
    }
}

/// A random test case: a ring model with the given potentials (V₁, V₂, V₁₂), unit hopping, a
/// random normalised state, random orbitals u, v (seeds seed + 1, seed + 2), and the state in the
/// condensate frame of (u, v).
pub struct RandomCase {
    pub model: Model,
    pub basis_a: FockBasis,
    pub basis_b: FockBasis,
    pub state: Vec<C64>,
    pub u: Vec<C64>,
    pub v: Vec<C64>,
    pub in_frame: Vec<C64>,
}

pub fn random_case(
    m: usize,
    (n1, n2): (usize, usize),
    potentials: (&str, &str, &str),
    seed: u64,
) -> RandomCase {
    let lattice = Lattice::ring(m).unwrap();
    let model = model(
        lattice,
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        potentials,
    );
    let (basis_a, basis_b) = (
        FockBasis::new(m, n1).unwrap(),
        FockBasis::new(m, n2).unwrap(),
    );
    let state = random_state(basis_a.dim() * basis_b.dim(), seed);
    let (u, v) = (random_state(m, seed + 1), random_state(m, seed + 2));
    let in_frame = pickl::measure::counting::CondensateFrame::new(&basis_a, &basis_b)
        .unwrap()
        .to_frame(&state, &u, &v)
        .unwrap();
    RandomCase {
        model,
        basis_a,
        basis_b,
        state,
        u,
        v,
        in_frame,
    }
}

impl RandomCase {
    /// The state with its bases.
    pub fn view(&self) -> pickl::space::state::StateView<'_> {
        pickl::space::state::StateView::new(&self.basis_a, &self.basis_b, &self.state).unwrap()
    }

    /// The proof's context at this state.
    pub fn context(&self) -> pickl::measure::context::TimeContext<'_> {
        pickl::measure::context::TimeContext::with_frame_state(
            &self.model,
            self.view(),
            (&self.u, &self.v),
            self.in_frame.clone(),
        )
        .unwrap()
    }
}

/// One-body operator `single` on particle `which` of `n` particles, M sites: dense on (C^M)^{⊗n}.
pub fn on_particle(single: &Mat<C64>, which: usize, n: usize) -> Mat<C64> {
    let m = single.nrows();
    let dim = m.pow(n as u32);
    let stride = m.pow(which as u32);
    Mat::from_fn(dim, dim, |row, col| {
        let (xr, xc) = ((row / stride) % m, (col / stride) % m);
        if row - xr * stride == col - xc * stride {
            single[(xr, xc)]
        } else {
            c(0.0)
        }
    })
}

pub fn projector(u: &[C64]) -> (Mat<C64>, Mat<C64>) {
    let m = u.len();
    let p = Mat::from_fn(m, m, |x, y| u[x] * u[y].conj());
    let q = Mat::from_fn(
        m,
        m,
        |x, y| if x == y { c(1.0) } else { c(0.0) } - p[(x, y)],
    );
    (p, q)
}

pub fn weighted(u: &[C64], n: usize, f: impl Fn(usize) -> f64) -> Mat<C64> {
    let dim = u.len().pow(n as u32);
    let mut out = Mat::zeros(dim, dim);
    for k in 0..=n {
        let pk = counting_projection(u, n, k);
        for i in 0..dim {
            for j in 0..dim {
                out[(i, j)] += f(k) * pk[(i, j)];
            }
        }
    }
    out
}

pub fn product(a: &Mat<C64>, b: &Mat<C64>) -> Mat<C64> {
    a * b
}

/// A ⊗ 1_B or 1_A ⊗ B on the two-species first-quantised space (index a + d_A b).
pub fn lift(op: &Mat<C64>, species_a: bool, da: usize, db: usize) -> Mat<C64> {
    Mat::from_fn(da * db, da * db, |row, col| {
        let (ra, rb, ca, cb) = (row % da, row / da, col % da, col / da);
        if species_a {
            if rb == cb {
                op[(ra, ca)]
            } else {
                c(0.0)
            }
        } else if ra == ca {
            op[(rb, cb)]
        } else {
            c(0.0)
        }
    })
}

pub fn expectation(psi: &[C64], op: &Mat<C64>) -> f64 {
    let n = psi.len();
    let mut value = c(0.0);
    for i in 0..n {
        for j in 0..n {
            value += psi[i].conj() * op[(i, j)] * psi[j];
        }
    }
    value.re
}

/// A random test case off the dynamics: a chain of M sites with random potentials
/// (`list:` values in [−2√M, 2√M)), random orbitals u, v, and the double condensate
/// u^{⊗N₁}⊗v^{⊗N₂} turned by `angle` towards a random state (α^(1,1) ≈ sin² angle).
pub struct NearCondensate {
    pub model: Model,
    pub basis_a: FockBasis,
    pub basis_b: FockBasis,
    pub state: Vec<C64>,
    pub u: Vec<C64>,
    pub v: Vec<C64>,
}

pub fn near_condensate(
    m: usize,
    (n1, n2): (usize, usize),
    seed: u64,
    angle: f64,
) -> NearCondensate {
    let list = |seed: u64| {
        let values: Vec<String> = random_state(m, seed)
            .iter()
            .map(|z| format!("{}", 4.0 * z.re * (m as f64).sqrt()))
            .collect();
        format!("list:{}", values.join(","))
    };
    let model = model(
        Lattice::new(pickl::model::lattice::Geometry::Chain(m)).unwrap(),
        Kinetic::Schroedinger,
        (n1, n2),
        (1.0, 1.0),
        (0.0, 0.0),
        (&[], &[]),
        (&list(seed + 1), &list(seed + 2), &list(seed + 3)),
    );
    let (basis_a, basis_b) = (
        FockBasis::new(m, n1).unwrap(),
        FockBasis::new(m, n2).unwrap(),
    );
    let (u, v) = (random_state(m, seed + 4), random_state(m, seed + 5));
    let condensate =
        pickl::space::state::TwoSpeciesState::product(&basis_a, &u, &basis_b, &v).unwrap();
    let noise = random_state(basis_a.dim() * basis_b.dim(), seed + 6);
    let state: Vec<C64> = condensate
        .as_slice()
        .iter()
        .zip(&noise)
        .map(|(c, r)| c * angle.cos() + r * angle.sin())
        .collect();
    let norm = state.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
    NearCondensate {
        model,
        basis_a,
        basis_b,
        state: state.into_iter().map(|z| z / norm).collect(),
        u,
        v,
    }
}

impl NearCondensate {
    /// The proof at this state, with α^(1,1) from the number operators and scanned exponents.
    pub fn snapshot(&self) -> pickl::proof::snapshot::ProofSnapshot {
        let frame =
            pickl::measure::counting::CondensateFrame::new(&self.basis_a, &self.basis_b).unwrap();
        let alpha11 =
            pickl::measure::observables::IndicatorWorkspace::new(&self.basis_a, &self.basis_b)
                .indicators(&self.state, &self.u, &self.v)
                .unwrap()
                .alpha11;
        pickl::proof::snapshot::ProofSnapshot::new(
            &self.context(&frame),
            alpha11,
            &pickl::proof::norms::ExponentChoice::Scan,
        )
        .unwrap()
    }

    /// The proof's context at this state.
    pub fn context<'a>(
        &'a self,
        frame: &pickl::measure::counting::CondensateFrame,
    ) -> pickl::measure::context::TimeContext<'a> {
        let view =
            pickl::space::state::StateView::new(&self.basis_a, &self.basis_b, &self.state).unwrap();
        pickl::measure::context::TimeContext::new(&self.model, view, (&self.u, &self.v), frame)
            .unwrap()
    }
}

/// π(k_A, k_B) of `state` relative to (u, v), through the condensate frame.
pub fn counting_distribution(
    basis_a: &FockBasis,
    basis_b: &FockBasis,
    state: &[C64],
    u: &[C64],
    v: &[C64],
) -> pickl::measure::counting::CountingDistribution {
    let frame = pickl::measure::counting::CondensateFrame::new(basis_a, basis_b).unwrap();
    pickl::measure::counting::CountingDistribution::from_frame_state(
        basis_a,
        basis_b,
        &frame.to_frame(state, u, v).unwrap(),
    )
    .unwrap()
}
