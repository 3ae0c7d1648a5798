"""pickl against QuSpin on the default model (SPEC §8: ring M = 4, N1 = N2 = N, T = 3, K = 30).

`run N1 N2 T K OUT.csv`: the model in QuSpin, independently of pickl — the exact dynamics of
the two-species mixture (tensor_basis of two boson_basis_1d, the mean-field Hamiltonian (2.8)
from its operator strings, expm_multiply_parallel from one output time to the next) and the
Hartree pair (2.10) by SciPy's DOP853 — writing t and alpha11 = 1 - <N_u N_v>/(N1 N2).

`compare PICKL_DYNAMICS N [N ...]`: for each N, runs pickl's `dynamics` and then QuSpin one
after the other on the same machine (each REPEAT times, default 1, alternating; PROPAGATOR picks pickl's, default auto), checks that
alpha11 agrees to 1e-10 at every output time, and prints the wall times and peak memories
(medians, from the kernel's accounting of each child process) and their ratios.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

# The driver (`compare`) imports nothing heavy: a child's peak memory counts what it inherits.
if __name__ == "__main__" and sys.argv[1:2] == ["run"]:
    import numpy as np
    from scipy.integrate import solve_ivp
    from scipy.special import gammaln

    from quspin.basis import boson_basis_1d, tensor_basis
    from quspin.operators import hamiltonian
    from quspin.tools.evolution import expm_multiply_parallel

M = 4
HOP = 1.0
NO_CHECKS = dict(check_herm=False, check_pcon=False, check_symm=False)


def distance(x, y):
    d = abs(x - y) % M
    return min(d, M - d)


def gauss_potential(g, sigma):
    return np.array([[g * np.exp(-distance(x, y) ** 2 / (2 * sigma**2)) for y in range(M)] for x in range(M)])


def gauss_orbital(c, w, k):
    delta = np.array([((x - c + M / 2) % M) - M / 2 for x in range(M)])
    u = np.exp(-(delta**2) / (2 * w**2) + 1j * k * delta)
    return u / np.linalg.norm(u)


def define_model():
    """The default model's potentials, orbitals and h (SPEC §1, §8)."""
    global V1, V2, V12, U0, W0, H1
    V1 = gauss_potential(1.0, 1.0)
    V2 = gauss_potential(1.0, 1.0)
    V12 = gauss_potential(0.5, 1.0)
    U0 = gauss_orbital(0.0, 1.0, 0.5)
    W0 = gauss_orbital(2.0, 1.0, -0.3)
    H1 = np.zeros((M, M))
    for x in range(M):
        H1[x, x] += 2 * HOP
        H1[(x + 1) % M, x] -= HOP
        H1[x, (x + 1) % M] -= HOP


def occupations(basis, n):
    """n_x of every basis state, site 0 the leading digit of QuSpin's integer in base n + 1."""
    sps = n + 1
    states = np.asarray(basis.states)
    return np.stack([(states // sps ** (M - 1 - x)) % sps for x in range(M)], axis=1)


def condensate(basis, n, u):
    """sqrt(N!/prod n!) prod u^n in log space, as SPEC §2."""
    occ = occupations(basis, n)
    log_abs = 0.5 * (gammaln(n + 1) - gammaln(occ + 1).sum(axis=1)) + (occ * np.log(np.abs(u))).sum(axis=1)
    phase = (occ * np.angle(u)).sum(axis=1)
    return np.exp(log_abs + 1j * phase)


def species_terms(n, potential, side):
    """h, the (1/(2N)) V interaction of one species, as QuSpin static terms on side 0 (A) or 1 (B)."""
    hop = [[H1[x, y], x, y] for x in range(M) for y in range(M) if x != y and H1[x, y] != 0]
    diag = [[H1[x, x] - potential[x, x] / (2 * n), x] for x in range(M)]
    pair = [[potential[x, y] / (2 * n), x, y] for x in range(M) for y in range(M)]
    if side == 0:
        return [["+-|", hop], ["n|", diag], ["nn|", pair]]
    return [["|+-", hop], ["|n", diag], ["|nn", pair]]


def number_operator(basis, u):
    """N_u = sum_xy u_x conj(u_y) a+_x a_y on one species, as a dense matrix."""
    hop = [[u[x] * np.conj(u[y]), x, y] for x in range(M) for y in range(M) if x != y]
    diag = [[abs(u[x]) ** 2, x] for x in range(M)]
    op = hamiltonian([["+-", hop], ["n", diag]], [], basis=basis, dtype=np.complex128, **NO_CHECKS)
    return op.toarray()


def hartree(t_out, c1, c2):
    def rhs(_, y):
        u, v = y[:M], y[M:]
        du = H1 @ u + (V1 @ np.abs(u) ** 2) * u + c2 * (V12 @ np.abs(v) ** 2) * u
        dv = H1 @ v + (V2 @ np.abs(v) ** 2) * v + c1 * (V12 @ np.abs(u) ** 2) * v
        return -1j * np.concatenate([du, dv])

    solution = solve_ivp(rhs, (0, t_out[-1]), np.concatenate([U0, W0]), method="DOP853",
                         t_eval=t_out, rtol=1e-13, atol=1e-15)
    return solution.y.T


def main():
    define_model()
    n1, n2, t_max, steps, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    basis_a = boson_basis_1d(L=M, Nb=n1, sps=n1 + 1)
    basis_b = boson_basis_1d(L=M, Nb=n2, sps=n2 + 1)
    basis = tensor_basis(basis_a, basis_b)
    static = species_terms(n1, V1, 0) + species_terms(n2, V2, 1)
    static.append(["n|n", [[V12[x, y] / (n1 + n2), x, y] for x in range(M) for y in range(M)]])
    h = hamiltonian(static, [], basis=basis, dtype=np.complex128, **NO_CHECKS).tocsr()
    psi = np.kron(condensate(basis_a, n1, U0), condensate(basis_b, n2, W0))
    times = np.linspace(0.0, t_max, steps + 1)
    pairs = hartree(times, n1 / (n1 + n2), n2 / (n1 + n2))
    step = expm_multiply_parallel(h, a=-1j * (times[1] - times[0]), dtype=np.complex128)
    work = np.zeros(2 * psi.size, dtype=np.complex128)
    da, db = basis_a.Ns, basis_b.Ns
    with open(out, "w") as f:
        f.write("t,alpha11\n")
        for k, t in enumerate(times):
            if k > 0:
                step.dot(psi, work_array=work, overwrite_v=True)
            u, v = pairs[k, :M], pairs[k, M:]
            matrix = psi.reshape(da, db)
            counted = number_operator(basis_a, u) @ matrix @ number_operator(basis_b, v).T
            alpha = 1.0 - np.vdot(matrix, counted).real / (n1 * n2)
            f.write(f"{float(t)!r},{float(alpha)!r}\n")


def measured(command):
    """(wall seconds, peak resident MiB) of one child process."""
    # stderr into a file, not a pipe: a child that writes more than a pipe holds would block.
    with tempfile.TemporaryFile() as log:
        start = time.monotonic()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        log.seek(0)
        stderr = log.read().decode(errors="replace")
    if status != 0:
        sys.exit(f"failed: {' '.join(command)}\n{stderr}")
    return wall, usage.ru_maxrss / 1024


def alphas(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
        column = header.index("alpha11")
        return [float(line.split(",")[column]) for line in f if line.strip()]


def compare(pickl, sizes):
    repeat = int(os.environ.get("REPEAT", "1"))
    propagator = os.environ.get("PROPAGATOR", "auto")
    t_max, steps = 3.0, 30
    print(f"Default model, ring M = 4, T = 3, K = 30; pickl (tolerance 1e-12, --propagator {propagator}) "
          "then QuSpin 1.0.1, one after the other")
    print(f"{'N1=N2':>6} {'D':>10} {'pickl s':>9} {'QuSpin s':>9} {'time x':>7} "
          f"{'pickl MiB':>10} {'QuSpin MiB':>11} {'memory x':>9} {'max |d alpha|':>14}")
    with tempfile.TemporaryDirectory() as scratch:
        for n in sizes:
            ours, theirs = os.path.join(scratch, "pickl.csv"), os.path.join(scratch, "quspin.csv")
            runs = {"pickl": [], "quspin": []}
            for _ in range(repeat):
                runs["pickl"].append(measured([pickl, "--n1", str(n), "--n2", str(n), "--t-max", str(t_max),
                                               "--steps", str(steps), "--tol", "1e-12", "--propagator",
                                               propagator, "--out", ours]))
                runs["quspin"].append(measured([sys.executable, __file__, "run", str(n), str(n), str(t_max),
                                                str(steps), theirs]))
            a, b = alphas(ours), alphas(theirs)
            if len(a) != len(b):
                sys.exit(f"N = {n}: {len(a)} rows from pickl, {len(b)} from QuSpin")
            worst = max(abs(x - y) for x, y in zip(a, b))
            (pw, pm), (qw, qm) = ([statistics.median(r[i] for r in runs[k]) for i in (0, 1)]
                                  for k in ("pickl", "quspin"))
            d = ((n + 1) * (n + 2) * (n + 3) // 6) ** 2
            print(f"{n:>6} {d:>10} {pw:>9.2f} {qw:>9.2f} {qw / pw:>7.2f} {pm:>10.0f} {qm:>11.0f} "
                  f"{qm / pm:>9.2f} {worst:>14.1e}")
            if worst > 1e-10:
                sys.exit(f"N = {n}: alpha11 differs by {worst:.1e} > 1e-10")


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        sys.argv.pop(1)
        main()
    elif sys.argv[1:2] == ["compare"]:
        compare(sys.argv[2], [int(n) for n in sys.argv[3:]])
    else:
        sys.exit(__doc__)
