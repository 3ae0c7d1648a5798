//! A ledger of what each inequality of Propositions 5.1–5.2 loses: every bound's proof written as
//! a chain of steps, each step's two sides evaluated on the state (issue "the proof, audited").
//!
//! A chain starts from the measured term |X| and ends at its bound as printed; each step replaces
//! the right side of the previous one by something larger. The left side of a step is the right
//! side of the one before, so the ratios left/right multiply to |X|/bound, and the step with the
//! smallest ratio is the one that loses the most. The tight bound of [`super::bounds`] is a
//! stage of every chain: the steps after it are those only the printed constants take.
//!
//! Notation as in [`super::bounds`]: S₁ = ‖V*|φ|²‖_∞, S₂ = ‖V²*|φ|²‖_∞^{1/2}, A from Lemma 5.1;
//! p, q on the particles named, ⟨·⟩ = ⟨Ψ, · Ψ⟩, α = α^(1,1), α^(1,0), α^(0,1) as in (3.3).
//! What the steps need of the state:
//!
//! * projections and count weights only, e.g. ⟨q₁p₂p₁^B⟩ = E[k_A(N₁−k_A)(N₂−k_B)]/(N₁(N₁−1)N₂),
//!   from the counting distribution π(k_A, k_B);
//! * a potential between condensate projections, e.g. p₁p₂(V²)₁₂p₁p₂ = ⟨u⊗u, V² u⊗u⟩ p₁p₂: a
//!   number times a count weight;
//! * a multiplication operator W between q's with a count weight, e.g.
//!   ‖(V₁₂)₁₁ p₁^A q₁^B Ψ‖² = ⟨q₁^B (V₁₂²*|u|²)₁^B q₁^B p₁^A⟩ (5.10)
//!   = ⟨dΓ^B(qWq) N_u^A⟩/(N₁N₂), a one-body expectation in the frame with a weight
//!   (`frame_operators::weighted_one_body`).
//!
//! α is used through α⁺ = max(α, 0) inside square roots (at t = 0 from a product state α is
//! ±1e-16).

use faer::Mat;

use super::frame_operators::weighted_one_body;
use super::pairs::Projection;
use super::snapshot::{bound_ratio, ProofSnapshot};
use crate::measure::context::TimeContext;
use crate::measure::counting::{frame_unitary, CountingDistribution};
use crate::model::one_body::PairPotential;
use crate::model::Model;
use crate::proof::bounds::{kappa_inter, kappa_intra, ProofConstants};
use crate::space::fock::FockBasis;
use crate::{Result, C64};

/// E[f(k_own, k_other)] over the counting distribution, from one species' view.
type Moment<'a> = &'a dyn Fn(&dyn Fn(f64, f64) -> f64) -> f64;

/// One step of a chain: `left ≤ right` by the inequality `step`, citing `equation`.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerStep {
    /// `C_V1`, `C_V2`, `C_V12` or `Gronwall`.
    pub group: &'static str,
    /// The term bounded: a pair such as `(pp,qp)`, `(pp,qq)_1`, `total`, `dalpha`, `kappa`.
    pub term: &'static str,
    /// What the step does.
    pub step: &'static str,
    /// The equation or lemma of the paper it uses.
    pub equation: &'static str,
    /// The left side on the state.
    pub left: f64,
    /// The right side on the state.
    pub right: f64,
}

impl LedgerStep {
    /// left / right (≤ 1 where the step holds); `None` where both sides are round-off.
    pub fn ratio(&self) -> Option<f64> {
        bound_ratio(self.left, self.right)
    }
}

/// A chain being written: each new stage is the right side of a step whose left side is the
/// stage before.
struct Chain<'a> {
    out: &'a mut Vec<LedgerStep>,
    group: &'static str,
    term: &'static str,
    current: f64,
}

impl Chain<'_> {
    fn step(&mut self, step: &'static str, equation: &'static str, right: f64) -> &mut Self {
        self.out.push(LedgerStep {
            group: self.group,
            term: self.term,
            step,
            equation,
            left: self.current,
            right,
        });
        self.current = right;
        self
    }
}

fn chain<'a>(
    out: &'a mut Vec<LedgerStep>,
    group: &'static str,
    term: &'static str,
    start: f64,
) -> Chain<'a> {
    Chain {
        out,
        group,
        term,
        current: start,
    }
}

/// Σ_x |φ_x|² f_x.
fn weighted_sum(orbital: &[C64], f: &[f64]) -> f64 {
    orbital.iter().zip(f).map(|(z, w)| z.norm_sqr() * w).sum()
}

/// sup |f|.
fn sup(f: &[f64]) -> f64 {
    f.iter().map(|x| x.abs()).fold(0.0, f64::max)
}

/// q W q in the frame of `orbital`, for the multiplication operator W = diag(w).
fn q_sandwich(orbital: &[C64], w: &[f64]) -> Mat<C64> {
    let u = frame_unitary(orbital);
    let m = w.len();
    Mat::from_fn(m, m, |i, j| {
        if i == 0 || j == 0 {
            return C64::new(0.0, 0.0);
        }
        (0..m).map(|x| u[(i, x)] * w[x] * u[(j, x)].conj()).sum()
    })
}

/// The state seen from one species: its basis, the other's, the frame state with this species
/// indexing the rows, the counts, and the orbitals.
struct Side<'a> {
    basis: &'a FockBasis,
    rows: std::borrow::Cow<'a, [C64]>,
    columns: usize,
    /// n₀ of every own state (condensate count in the frame).
    own_n0: &'a [f64],
    /// n₀ of every other state.
    other_n0: &'a [f64],
    orbital: &'a [C64],
}

impl Side<'_> {
    /// ⟨dΓ(q W q) ŵ⟩ with ŵ = f(n₀ own, n₀ other).
    fn one_body(&self, w: &[f64], f: impl Fn(f64, f64) -> f64 + Sync) -> Result<f64> {
        let o = q_sandwich(self.orbital, w);
        Ok(
            weighted_one_body(self.basis.hops()?, &self.rows, self.columns, &o, |s, b| {
                f(self.own_n0[s], self.other_n0[b])
            })
            .re,
        )
    }
}

/// Everything the chains read about one species j (own) and the other.
struct Species<'a> {
    side: Side<'a>,
    /// N_j, N_other.
    n: f64,
    n_other: f64,
    /// c_j.
    c: f64,
    /// V_j.
    potential: &'a PairPotential,
    /// The own orbital (u for A).
    orbital: &'a [C64],
}

/// The chains of every bound at one time: Proposition 5.1 for C_V1 and C_V2 (absent when that
/// species has one particle), Proposition 5.2 for C_V12, the assembly of (5.26) and (5.33), and
/// the Grönwall step (5.2)–(5.3).
pub fn ledger(context: &TimeContext, snapshot: &ProofSnapshot) -> Result<Vec<LedgerStep>> {
    let (model, u, v) = (context.model, context.u, context.v);
    let (basis_a, basis_b) = (context.state.basis_a, context.state.basis_b);
    let frame_state = &context.frame_state[..];
    let pi = context.counting_distribution()?;
    let (rows, columns) = (basis_a.dim(), basis_b.dim());
    let [n0_a, n0_b] = &context.condensed;
    let (n1, n2) = (
        model.species_a().particles as f64,
        model.species_b().particles as f64,
    );
    let species_a = Species {
        side: Side {
            basis: basis_a,
            rows: std::borrow::Cow::Borrowed(frame_state),
            columns,
            own_n0: n0_a,
            other_n0: n0_b,
            orbital: u,
        },
        n: n1,
        n_other: n2,
        c: model.c1(),
        potential: &model.species_a().potential,
        orbital: u,
    };
    let species_b = Species {
        side: Side {
            basis: basis_b,
            rows: std::borrow::Cow::Borrowed(context.frame_state_transposed()),
            columns: rows,
            own_n0: n0_b,
            other_n0: n0_a,
            orbital: v,
        },
        n: n2,
        n_other: n1,
        c: model.c2(),
        potential: &model.species_b().potential,
        orbital: v,
    };
    // E[f(k_own, k_other)] for each species' view.
    let moment_a = |f: &dyn Fn(f64, f64) -> f64| pi.expectation(|a, b| f(a as f64, b as f64));
    let moment_b = |f: &dyn Fn(f64, f64) -> f64| pi.expectation(|a, b| f(b as f64, a as f64));
    let alpha = indicators(&pi, snapshot.alpha11);
    let mut out = Vec::new();
    let printed = &snapshot.printed;
    for (species, moment, group, pairs, bounds) in [
        (
            &species_a,
            &moment_a as Moment,
            "C_V1",
            &snapshot.pairs_v1,
            (printed.v1, snapshot.tight.v1),
        ),
        (
            &species_b,
            &moment_b,
            "C_V2",
            &snapshot.pairs_v2,
            (printed.v2, snapshot.tight.v2),
        ),
    ] {
        if let (Some(printed), Some(tight)) = bounds {
            let value = if group == "C_V1" {
                snapshot.terms.c_v1.norm()
            } else {
                snapshot.terms.c_v2.norm()
            };
            intra_chains(
                &mut out,
                species,
                moment,
                (group, value, pairs),
                alpha,
                model,
                (printed.mean_field_constant, tight),
            )?;
        }
    }
    inter_chains(
        &mut out,
        [&species_a, &species_b],
        &moment_a,
        snapshot,
        alpha,
        model,
    )?;
    if printed.v1.is_some() && printed.v2.is_some() {
        gronwall_chain(&mut out, snapshot, alpha, model);
    }
    Ok(out)
}

/// (α^(1,1), α^(1,0), α^(0,1)): the first as the snapshot has it (so that the chains end on
/// its bounds exactly), the others from π.
fn indicators(pi: &CountingDistribution, alpha11: f64) -> [f64; 3] {
    let (n1, n2) = (pi.particles_a() as f64, pi.particles_b() as f64);
    let a10 = pi.expectation(|a, _| a as f64) / n1;
    let a01 = pi.expectation(|_, b| b as f64) / n2;
    [alpha11, a10, a01]
}

/// The chains of (5.29), (5.30), (5.31) and the assembly (5.26) for one species.
fn intra_chains(
    out: &mut Vec<LedgerStep>,
    s: &Species,
    moment: Moment,
    (group, value, pairs): (&'static str, f64, &crate::proof::PairTerms),
    [alpha, a10_a, a01_a]: [f64; 3],
    model: &Model,
    (a, tight): (f64, crate::proof::bounds::IntraSpeciesBounds),
) -> Result<()> {
    let (n, no, c) = (s.n, s.n_other, s.c);
    let total_n = model.total_particles() as f64;
    let own_alpha10 = if group == "C_V1" { a10_a } else { a01_a };
    let (alpha_p, a10_p) = (alpha.max(0.0), own_alpha10.max(0.0));
    let field = s.potential.convolve_density(s.orbital);
    let field2 = s.potential.squared().convolve_density(s.orbital);
    let (s1, s2) = (sup(&field), sup(&field2).sqrt());
    // ⟨u,(V*|u|²)² u⟩ and ⟨u⊗u, V² u⊗u⟩.
    let mf2 = weighted_sum(s.orbital, &field.iter().map(|f| f * f).collect::<Vec<_>>());
    let vv = weighted_sum(s.orbital, &field2);
    let p_pp = moment(&|k, _| (n - k) * (n - k - 1.0)) / (n * (n - 1.0));
    let q1p2pb = moment(&|k, ko| k * (n - k) * (no - ko)) / (n * (n - 1.0) * no);
    let q1q2pb = moment(&|k, ko| k * (k - 1.0) * (no - ko)) / (n * (n - 1.0) * no);
    let q1p2 = moment(&|k, _| k * (n - k)) / (n * (n - 1.0));
    let n_inv2_q1q2pb = moment(&|k, ko| (k - 1.0).max(0.0) * (no - ko)) / ((n - 1.0) * no);
    let tau2_pp = moment(&|k, _| (k + 2.0) / n * (n - k) * (n - k - 1.0)) / (n * (n - 1.0));
    let q2pb = moment(&|k, ko| k * (no - ko)) / (n * no);
    // ⟨q₁ (V²*|u|²)₁ q₁ p₂⟩ = ⟨dΓ(qWq) n₀⟩/(N(N−1)).
    let e_v2 = s.side.one_body(&field2, |own, _| own)? / (n * (n - 1.0));
    let pair = |l: Projection, r: Projection| pairs.get(l, r).norm();
    let (pp, qp, qq) = (Projection::PP, Projection::QP, Projection::QQ);
    let shifted = alpha + 1.0 / total_n;

    chain(out, group, "(pp,qp)", pair(pp, qp))
        .step(
            "Cauchy-Schwarz: |<ppPsi, V^u_1 q1p2pB Psi>| <= |V^u_1 p1p2 Psi| |q1p2pB Psi|",
            "(5.29)",
            (mf2 * p_pp).sqrt() * q1p2pb.sqrt() / (2.0 * n),
        )
        .step(
            "sup of V*|u|^2",
            "(5.29)",
            s1 * p_pp.sqrt() * q1p2pb.sqrt() / (2.0 * n),
        )
        .step(
            "p, q <= 1 [tight bound] [printed bound]",
            "(5.29)",
            s1 / (2.0 * n),
        );

    let ratio_n = (n - 1.0) / n;
    chain(out, group, "(qp,qq)", pair(qp, qq))
        .step(
            "split the difference, Cauchy-Schwarz on both parts",
            "(5.30)",
            0.5 * (ratio_n * e_v2.max(0.0).sqrt() + (mf2 * q1p2).sqrt()) * q1q2pb.sqrt(),
        )
        .step(
            "sup of V^2*|u|^2 and of V*|u|^2",
            "(5.9), (5.30)",
            0.5 * (ratio_n * s2 + s1) * q1p2.sqrt() * q1q2pb.sqrt(),
        )
        .step(
            "p <= 1: |q1p2 Psi| |q1q2pB Psi| <= |q1 Psi| |q2 Psi|",
            "(5.30)",
            0.5 * (ratio_n * s2 + s1) * a10_p,
        )
        .step(
            "alpha^(1,0) <= alpha^(1,1) [tight bound]",
            "(3.5)",
            0.5 * (ratio_n * s2 + s1) * alpha,
        )
        .step(
            "(N_j-1)/N_j <= 1 [printed bound]",
            "(5.30)",
            0.5 * (s2 + s1) * alpha,
        );

    let after_cs = ratio_n * (vv * tau2_pp).sqrt();
    chain(out, group, "(pp,qq)", pair(pp, qq))
        .step(
            "Cauchy-Schwarz with n and n^-1",
            "(5.31)",
            after_cs * n_inv2_q1q2pb.sqrt(),
        )
        .step(
            "Lemma A.2: <n^-2 q1q2pB> <= N_j/(N_j-1) <q2 pB>",
            "(A.13)",
            after_cs * (q2pb / ratio_n).sqrt(),
        )
        .step(
            "pB <= 1, alpha^(1,0) <= alpha^(1,1)",
            "(3.5)",
            after_cs * (alpha_p / ratio_n).sqrt(),
        )
        .step(
            "(5.9), sup of V^2*|u|^2, pp <= 1: |tau_2 n Psi|^2 = alpha^(1,0) + 2/N_j",
            "(5.9), (A.15)",
            ratio_n.sqrt() * s2 * (a10_p + 2.0 / n).sqrt() * alpha_p.sqrt(),
        )
        .step(
            "alpha^(1,0) <= alpha^(1,1)",
            "(3.5)",
            ratio_n.sqrt() * s2 * (alpha_p + 2.0 / n).sqrt() * alpha_p.sqrt(),
        )
        .step(
            "sqrt(a + 2/N_j) sqrt(a) <= a + 1/N_j [tight bound]",
            "(5.31)",
            ratio_n.sqrt() * s2 * (alpha + 1.0 / n),
        )
        .step(
            "drop (N_j-1)/N_j, 2 for sqrt(N_j/(N_j-1))",
            "(A.13)",
            2.0 * s2 * (alpha + 1.0 / n),
        )
        .step(
            "a + 1/N_j <= (2/c_j)(a + 1/N), 'for N large'",
            "(5.31)",
            4.0 / c * s2 * shifted,
        )
        .step(
            "Lemma 5.1 [printed bound]",
            "(5.12)",
            4.0 * 2f64.sqrt() / c * a * shifted,
        );

    // (5.26): the assembly, through the tight pair bounds and the A form.
    let r2 = 2f64.sqrt();
    chain(out, group, "total", value)
        .step(
            "|C| <= 4|(pp,qp)| + 4|(qp,qq)| + 2|(pp,qq)|",
            "(5.28)",
            4.0 * pair(pp, qp) + 4.0 * pair(qp, qq) + 2.0 * pair(pp, qq),
        )
        .step(
            "each pair by its tight bound",
            "(5.29)-(5.31)",
            4.0 * tight.pp_qp + 4.0 * tight.qp_qq + 2.0 * tight.pp_qq,
        )
        .step(
            "Lemma 5.1 and (N_j-1)/N_j <= 1: (2/c_j)A/N + (2+2sqrt2)A a + 2sqrt2 A (a + 1/(c_j N))",
            "(5.11), (5.12)",
            (2.0 / c) * a / total_n
                + (2.0 + 2.0 * r2) * a * alpha
                + 2.0 * r2 * a * (alpha + 1.0 / (c * total_n)),
        )
        .step(
            "the larger coefficient: kappa_j,tight A (a + 1/N) [tight bound]",
            "(5.26)",
            kappa_intra(c, ProofConstants::Tight) * a * shifted,
        )
        .step(
            "kappa_j as printed [printed bound]",
            "(5.26)",
            kappa_intra(c, ProofConstants::AsPrinted) * a * shifted,
        );
    Ok(())
}

/// The chains of (5.40)–(5.42), the three parts of T(pp,qq) and the assembly (5.33).
fn inter_chains(
    out: &mut Vec<LedgerStep>,
    [sa, sb]: [&Species; 2],
    moment_a: Moment,
    snapshot: &ProofSnapshot,
    [alpha, a10, a01]: [f64; 3],
    model: &Model,
) -> Result<()> {
    let group = "C_V12";
    let v12 = model.inter_potential();
    let (n1, n2) = (sa.n, sb.n);
    let n = n1 + n2;
    let (c1, c2) = (model.c1(), model.c2());
    let (u, v) = (sa.orbital, sb.orbital);
    let (alpha_p, a10_p, a01_p) = (alpha.max(0.0), a10.max(0.0), a01.max(0.0));
    let shifted = alpha + 1.0 / n;
    let r2 = 2f64.sqrt();
    let field_u = v12.convolve_density(u);
    let field_v = v12.convolve_density(v);
    let squared = v12.squared();
    let field2_u = squared.convolve_density(u);
    let field2_v = squared.convolve_density(v);
    let (su1, su2, sv1, sv2) = (
        sup(&field_u),
        sup(&field2_u).sqrt(),
        sup(&field_v),
        sup(&field2_v).sqrt(),
    );
    let (a_u, a_v) = (
        snapshot.printed.v12.constant_u,
        snapshot.printed.v12.constant_v,
    );
    // E[f(k_A, k_B)].
    let m = |f: &dyn Fn(f64, f64) -> f64| moment_a(f);
    let pair_norm = |k: f64, nn: f64| {
        // ⟨q₁p₂⟩ of a species given k: k(N − k)/(N(N − 1)); 0 for a species of one particle.
        if nn < 2.0 {
            0.0
        } else {
            k * (nn - k) / (nn * (nn - 1.0))
        }
    };
    // ‖(V₁₂)₁₁ p^A q^B Ψ‖² = ⟨dΓ^B(q(V₁₂²*|u|²)q) N_u^A⟩/(N₁N₂), and A ↔ B.
    let e_u_b = sb.side.one_body(&field2_u, |_, other| other)? / (n1 * n2);
    let e_v_a = sa.side.one_body(&field2_v, |_, other| other)? / (n1 * n2);
    // ⟨v,(V₁₂*|u|²)² v⟩ and ⟨u,(V₁₂*|v|²)² u⟩.
    let mf_b = weighted_sum(v, &field_u.iter().map(|f| f * f).collect::<Vec<_>>());
    let mf_a = weighted_sum(u, &field_v.iter().map(|f| f * f).collect::<Vec<_>>());
    let q1p2_a_pb = m(&|ka, kb| pair_norm(ka, n1) * (n2 - kb) / n2);
    let pa_q1p2_b = m(&|ka, kb| (n1 - ka) / n1 * pair_norm(kb, n2));
    let qa_pb = m(&|ka, kb| ka * (n2 - kb)) / (n1 * n2);
    let pa_qb = m(&|ka, kb| (n1 - ka) * kb) / (n1 * n2);
    let q1p2_a_qb = m(&|ka, kb| pair_norm(ka, n1) * kb / n2);
    let qa_p1p2_b = m(&|ka, kb| ka / n1 * pair_norm(kb, n2));
    let pa_pb = m(&|ka, kb| (n1 - ka) * (n2 - kb)) / (n1 * n2);
    let qa_qb = m(&|ka, kb| ka * kb) / (n1 * n2);
    let value = |l: Projection, r: Projection| snapshot.pairs_v12.get(l, r).norm();
    let (pq, qp, qq) = (Projection::PQ, Projection::QP, Projection::QQ);
    let (f1, f2) = ((n1 - 1.0) / n, (n2 - 1.0) / n);

    chain(out, group, "(pq,qp)", value(pq, qp))
        .step(
            "triangle, Cauchy-Schwarz on both summands",
            "(5.40), (5.41)",
            f1 * e_u_b.max(0.0).sqrt() * q1p2_a_pb.sqrt()
                + f2 * e_v_a.max(0.0).sqrt() * pa_q1p2_b.sqrt(),
        )
        .step(
            "(5.10), sup of V12^2*|u|^2 (|v|^2), p <= 1",
            "(5.10)",
            f1 * su2 * a01_p.sqrt() * q1p2_a_pb.sqrt() + f2 * sv2 * a10_p.sqrt() * pa_q1p2_b.sqrt(),
        )
        .step(
            "p <= 1: |q1p2pB Psi| <= |qA Psi|",
            "(5.41)",
            (f1 * su2 + f2 * sv2) * (a10_p * a01_p).sqrt(),
        )
        .step(
            "alpha^(1,0), alpha^(0,1) <= alpha^(1,1) [tight bound]",
            "(3.5)",
            (f1 * su2 + f2 * sv2) * alpha,
        )
        .step("(N_j-1)/N <= c_j <= 1", "(5.40)", (su2 + sv2) * alpha)
        .step(
            "Lemma 5.1 [printed bound]",
            "(5.12)",
            r2 * (a_u + a_v) * alpha,
        );

    // (qp,qq): the V₁₂ part through ‖(V₁₂)₁₁ q^A p^B Ψ‖, the mean-field part (V₁₂*|u|²)^B.
    for (term, f, e_v, mf, q_own_p_other, q1p2_q, s_v, s_mf, a_v_part, a_mf_part, k_own, k_other) in [
        (
            "(qp,qq)", f1, e_v_a, mf_b, qa_pb, q1p2_a_qb, sv2, su1, a_v, a_u, a10_p, a01_p,
        ),
        (
            "(pq,qq)", f2, e_u_b, mf_a, pa_qb, qa_p1p2_b, su2, sv1, a_u, a_v, a01_p, a10_p,
        ),
    ] {
        let (l, r) = if term == "(qp,qq)" {
            (qp, qq)
        } else {
            (pq, qq)
        };
        chain(out, group, term, value(l, r))
            .step(
                "split the difference, Cauchy-Schwarz on both parts",
                "(5.42)",
                f * (e_v.max(0.0).sqrt() + (mf * q_own_p_other).sqrt()) * q1p2_q.sqrt(),
            )
            .step(
                "(5.10), sup of V12^2*|.|^2 and of V12*|.|^2",
                "(5.10), (5.42)",
                f * (s_v + s_mf) * q_own_p_other.sqrt() * q1p2_q.sqrt(),
            )
            .step(
                "p <= 1",
                "(5.42)",
                f * (s_v + s_mf) * (k_own * k_other).sqrt(),
            )
            .step(
                "alpha^(1,0), alpha^(0,1) <= alpha^(1,1) [tight bound]",
                "(3.5)",
                f * (s_v + s_mf) * alpha,
            )
            .step("(N_j-1)/N <= c_j <= 1", "(5.42)", (s_v + s_mf) * alpha)
            .step(
                "Lemma 5.1, (5.12) also for the mean-field part [printed bound]",
                "(5.12)",
                r2 * (a_v_part + a_mf_part) * alpha,
            );
    }

    // (pp,qq)₁ and (pp,qq)₂.
    let uvv = weighted_sum(u, &field2_v); // ⟨u⊗v, V₁₂² u⊗v⟩
    let parts = [
        (
            "(pp,qq)_1",
            snapshot.split.first.norm(),
            n1,
            sv2,
            a_v,
            a10_p,
            // E[τ₁n² p^A p^B], ⟨n⁻² p₂q₁ q^B⟩, ⟨1_{k≥1} p₂ q^B⟩ of (A.14)
            m(&|ka, kb| (ka + 1.0) / n1 * (n1 - ka) / n1 * (n2 - kb) / n2),
            if n1 >= 2.0 {
                m(&|ka, kb| if ka >= 1.0 { (n1 - ka) * kb } else { 0.0 }) / ((n1 - 1.0) * n2)
            } else {
                0.0
            },
            m(&|ka, kb| {
                if ka >= 1.0 {
                    (n1 - ka) / n1 * kb / n2
                } else {
                    0.0
                }
            }),
            2.0 / c1,
        ),
        (
            "(pp,qq)_2",
            snapshot.split.second.norm(),
            n2,
            su2,
            a_u,
            a01_p,
            m(&|ka, kb| (kb + 1.0) / n2 * (n2 - kb) / n2 * (n1 - ka) / n1),
            if n2 >= 2.0 {
                m(&|ka, kb| if kb >= 1.0 { (n2 - kb) * ka } else { 0.0 }) / ((n2 - 1.0) * n1)
            } else {
                0.0
            },
            m(&|ka, kb| {
                if kb >= 1.0 {
                    (n2 - kb) / n2 * ka / n1
                } else {
                    0.0
                }
            }),
            // (pp,qq)₂ as printed: 2√2/c₂, the exact N/N₂ = 1/c₂ (no "for N large").
            1.0 / c2,
        ),
    ];
    for (term, measured, nj, s2, a_part, k_own, tau_pp, n_inv2, indicator, last) in parts {
        let prefactor = (nj - 1.0) / n;
        let cs = prefactor * (uvv * tau_pp).sqrt();
        let ratio_n = if nj >= 2.0 { nj / (nj - 1.0) } else { 0.0 };
        chain(out, group, term, measured)
            .step(
                "Cauchy-Schwarz with n and n^-1",
                "(5.43)",
                cs * n_inv2.sqrt(),
            )
            .step(
                "Lemma A.2: <n^-2 p2 q1 qB> <= N_j/(N_j-1) |n^-1 n p2 qB Psi|^2",
                "(A.14)",
                cs * (ratio_n * indicator).sqrt(),
            )
            .step(
                "p <= 1, alpha^(0,1) <= alpha^(1,1)",
                "(3.5)",
                cs * (ratio_n * alpha_p).sqrt(),
            )
            .step(
                "(5.10), sup of V12^2*|.|^2, pp <= 1: |tau_1 n Psi|^2 = alpha^(1,0) + 1/N_j",
                "(5.10), (A.8)",
                prefactor * ratio_n.sqrt() * s2 * (k_own + 1.0 / nj).sqrt() * alpha_p.sqrt(),
            )
            .step(
                "alpha^(1,0) <= alpha^(1,1)",
                "(3.5)",
                prefactor * ratio_n.sqrt() * s2 * (alpha_p + 1.0 / nj).sqrt() * alpha_p.sqrt(),
            )
            .step(
                "sqrt(a + 1/N_j) sqrt(a) <= a + 1/(2N_j) [tight bound]",
                "(5.43)",
                prefactor * ratio_n.sqrt() * s2 * (alpha + 0.5 / nj),
            )
            .step(
                "(N_j-1)/N <= c_j dropped to 1, 2 for sqrt(N_j/(N_j-1))",
                "(A.14)",
                2.0 * s2 * (alpha + 0.5 / nj),
            )
            .step(
                if term == "(pp,qq)_1" {
                    "a + 1/(2N_1) <= (2/c_1)(a + 1/N), 'for N large'"
                } else {
                    "a + 1/(2N_2) <= (1/c_2)(a + 1/N)"
                },
                "(5.43)",
                2.0 * last * s2 * shifted,
            )
            .step(
                "Lemma 5.1 [printed bound]",
                "(5.12)",
                2.0 * r2 * last * a_part * shifted,
            );
    }
    chain(out, group, "(pp,qq)_3", snapshot.split.third.norm())
        .step(
            "pq = 0, Cauchy-Schwarz",
            "(5.43)",
            (uvv * pa_pb).sqrt() * qa_qb.sqrt() / n,
        )
        .step("q <= 1", "(5.43)", (uvv * pa_pb).sqrt() / n)
        .step(
            "(5.10), sup of V12^2*|u|^2, p <= 1 [tight bound]",
            "(5.10)",
            su2 / n,
        )
        .step("Lemma 5.1 [printed bound]", "(5.12)", r2 * a_u / n);

    // (5.33): the assembly.
    let t = &snapshot.tight.v12;
    let parts_measured = value(pq, qp)
        + value(qp, qq)
        + value(pq, qq)
        + snapshot.split.first.norm()
        + snapshot.split.second.norm()
        + snapshot.split.third.norm();
    chain(out, group, "total", snapshot.terms.c_v12.norm())
        .step(
            "|C_V12| <= 2 (|T(pq,qp)| + |T(qp,qq)| + |T(pq,qq)| + |(pp,qq)_1| + |(pp,qq)_2| + |(pp,qq)_3|)",
            "(5.35), (5.36)",
            2.0 * parts_measured,
        )
        .step(
            "each by its tight bound",
            "(5.41)-(5.43)",
            2.0 * (t.pq_qp + t.qp_qq + t.pq_qq + t.pp_qq_1 + t.pp_qq_2 + t.pp_qq_3),
        )
        .step(
            "Lemma 5.1 and (N_j-1)/N <= c_j: the A form",
            "(5.11), (5.12)",
            2.0 * (r2 * (c1 * a_u + c2 * a_v) * alpha
                + c1 * (r2 * a_v + a_u) * alpha
                + c2 * (r2 * a_u + a_v) * alpha
                + r2 * a_v * (c1 * alpha + 0.5 / n)
                + r2 * a_u * (c2 * alpha + 0.5 / n)
                + r2 * a_u / n),
        )
        .step(
            "the largest coefficient: kappa_12,tight (A^u + A^v)(a + 1/N) [tight bound]",
            "(5.33)",
            kappa_inter(c1, c2, ProofConstants::Tight) * (a_u + a_v) * shifted,
        )
        .step(
            "kappa_12 as printed [printed bound]",
            "(5.33)",
            kappa_inter(c1, c2, ProofConstants::AsPrinted) * (a_u + a_v) * shifted,
        );
    Ok(())
}

/// (5.2)–(5.3): |dα/dt| against the sum of the three terms, their bounds, and B(t)(α + 1/N);
/// and κ_eff(t) = |dα/dt|/((α + 1/N)(A₁ + A₂ + A^u + A^v)) against κ_tight and κ.
fn gronwall_chain(
    out: &mut Vec<LedgerStep>,
    snapshot: &ProofSnapshot,
    [alpha, ..]: [f64; 3],
    model: &Model,
) {
    let total_n = model.total_particles() as f64;
    let shifted = alpha + 1.0 / total_n;
    let (p, t) = (&snapshot.printed, &snapshot.tight);
    let derivative = snapshot.terms.alpha11_derivative().abs();
    let terms =
        snapshot.terms.c_v1.norm() + snapshot.terms.c_v2.norm() + snapshot.terms.c_v12.norm();
    let total = |b: &super::snapshot::ProofBounds| {
        b.v1.map_or(0.0, |x| x.total) + b.v2.map_or(0.0, |x| x.total) + b.v12.total
    };
    chain(out, "Gronwall", "dalpha", derivative)
        .step("|dalpha/dt| <= |C_V1| + |C_V2| + |C_V12|", "(5.19)", terms)
        .step(
            "Propositions 5.1, 5.2 with kappa_j,tight",
            "(5.26), (5.33)",
            total(t),
        )
        .step(
            "kappa_tight = max(kappa_j): B_tight(t)(a + 1/N) [tight bound]",
            "(5.3)",
            t.rate * shifted,
        )
        .step(
            "kappa as printed: B(t)(a + 1/N) [printed bound]",
            "(5.2), (5.3)",
            p.rate * shifted,
        );
    let kappa_eff = derivative / (shifted * snapshot.constant_sum);
    chain(out, "Gronwall", "kappa", kappa_eff)
        .step("kappa_eff(t) against kappa_tight", "(5.2)", t.kappa)
        .step("kappa_tight against kappa as printed", "(5.3)", p.kappa);
}
