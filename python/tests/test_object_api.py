"""The object API (Model, evolve, indicators) against a first-quantised computation done here in
NumPy: the Fock state written out as a symmetric function of the particles' sites, γ^(1,1) by
partial trace, and the product state u^{⊗N₁} ⊗ v^{⊗N₂} built from its definition."""

import itertools
import math

import numpy as np
import pytest

import pickl

MODEL = dict(sites=3, n1=3, n2=2, t_max=1.0, steps=4, v12="gauss:-0.4,1", trap1="0.2,0,0.1")


def first_quantised(psi, occupations_a, occupations_b, m):
    """Ψ(x₁..x_{N₁}; y₁..y_{N₂}) of a Fock state: a configuration with occupation n carries the
    coefficient of |n⟩ divided by √(N!/Π n_x!)."""
    n1, n2 = int(occupations_a[0].sum()), int(occupations_b[0].sum())
    index_a = {tuple(o): i for i, o in enumerate(occupations_a)}
    index_b = {tuple(o): i for i, o in enumerate(occupations_b)}

    def locate(configuration, index, n):
        occupation = tuple(np.bincount(configuration, minlength=m))
        weight = math.factorial(n) / np.prod([math.factorial(k) for k in occupation])
        return index[occupation], 1.0 / math.sqrt(weight)

    full = np.zeros((m,) * (n1 + n2), dtype=complex)
    for xs in itertools.product(range(m), repeat=n1):
        a, wa = locate(xs, index_a, n1)
        for ys in itertools.product(range(m), repeat=n2):
            b, wb = locate(ys, index_b, n2)
            full[xs + ys] = psi[a, b] * wa * wb
    return full


def gamma11(full, n1):
    """γ^(1,1)((x,y),(x′,y′)) = Σ_rest Ψ(x, rest_A; y, rest_B) conj Ψ(x′, rest_A; y′, rest_B)."""
    m = full.shape[0]
    moved = np.moveaxis(full, n1, 1)  # axes: x₁, y₁, the rest
    flat = moved.reshape(m * m, -1)
    return flat @ flat.conj().T  # index x₁ M + y₁


def test_evolve_yields_states_whose_marginals_give_the_run_alpha():
    model = pickl.Model(**MODEL)
    occupations_a, occupations_b = model.occupations()
    assert model.shape == (len(occupations_a), len(occupations_b))
    u0, v0 = model.initial_orbitals
    n1, n2 = model.particles
    m = model.sites
    table = pickl.dynamics(**MODEL)
    steps = list(pickl.evolve(model))
    assert [s["t"] for s in steps] == list(model.times)
    for k, step in enumerate(steps):
        psi = step["psi"]
        assert psi.shape == model.shape and psi.dtype == np.complex128
        full = first_quantised(psi, occupations_a, occupations_b, m)
        # ‖Ψ‖ as the run reports it (within the propagator's tolerance of 1).
        assert abs(math.sqrt(np.vdot(full, full).real) - table["norm"][k]) < 1e-13
        g = gamma11(full, n1) / np.vdot(full, full).real  # γ of the normalised state (SPEC §4)
        w = np.kron(step["u"], step["v"])  # index x M + y, as gamma11's
        alpha = 1.0 - np.vdot(w, g @ w).real
        assert abs(alpha - step["alpha11"]) < 1e-12
        assert abs(alpha - table["alpha11"][k]) < 1e-12
        assert abs(pickl.indicators(model, psi, step["u"], step["v"])[0] - alpha) < 1e-12
    # At t = 0 the state is the double condensate: coefficient √(N!/Π n!) Π u_x^{n_x} per species.
    def coefficients(occupations, orbital, n):
        return np.array(
            [
                math.sqrt(math.factorial(n) / np.prod([math.factorial(k) for k in o]))
                * np.prod(orbital ** o)
                for o in occupations
            ]
        )

    product = np.outer(coefficients(occupations_a, u0, n1), coefficients(occupations_b, v0, n2))
    assert np.max(np.abs(steps[0]["psi"] - product)) < 1e-13


def test_an_abandoned_evolution_stops_and_bad_shapes_are_refused():
    model = pickl.Model(**MODEL)
    evolution = pickl.evolve(model)
    first = next(evolution)
    assert first["t"] == 0.0
    del evolution
    u, v = model.initial_orbitals
    with pytest.raises(ValueError, match="shape"):
        pickl.indicators(model, np.zeros((2, 2), dtype=complex), u, v)
    with pytest.raises(ValueError):
        pickl.Model(sites=0)


def test_states_and_orbitals_without_a_meaning_are_refused_not_nan():
    model = pickl.Model(**MODEL)
    u, v = model.initial_orbitals
    psi = next(pickl.evolve(model))["psi"]
    shape = psi.shape
    for bad in [np.zeros(shape, dtype=complex), np.full(shape, np.nan, dtype=complex)]:
        with pytest.raises(ValueError, match="normalisable"):
            pickl.indicators(model, bad, u, v)
        with pytest.raises(ValueError, match="normalisable"):
            pickl.counting_distribution(model, bad, u, v)
        with pytest.raises(ValueError, match="normalisable"):
            pickl.reduced_density(model, bad, 1, 1)
    for bad_u in [np.zeros_like(u), 2 * u, np.full_like(u, np.nan)]:
        with pytest.raises(ValueError, match="invalid u"):
            pickl.indicators(model, psi, bad_u, v)
        with pytest.raises(ValueError, match="invalid u"):
            pickl.counting_distribution(model, psi, bad_u, v)
    # A normalised orbital other than the state's is fine.
    assert 0.0 <= pickl.indicators(model, psi, v, u)[0] <= 1.0


def projections(orbital):
    p = np.outer(orbital, orbital.conj())
    return p, np.eye(len(orbital)) - p


def apply_on_axis(tensor, matrix, axis):
    return np.moveaxis(np.tensordot(matrix, tensor, axes=([1], [axis])), 0, axis)


def test_counting_distribution_and_reduced_density_against_first_quantisation():
    model = pickl.Model(**MODEL)
    occupations_a, occupations_b = model.occupations()
    n1, n2 = model.particles
    m = model.sites
    steps = list(pickl.evolve(model))
    step = steps[-1]
    psi, u, v = step["psi"], step["u"], step["v"]
    full = first_quantised(psi, occupations_a, occupations_b, m)
    norm2 = np.vdot(full, full).real
    # π(k_A, k_B) from (A.2): the sum over particle patterns of products of p and q.
    pu, qu = projections(u)
    pv, qv = projections(v)
    expected = np.zeros((n1 + 1, n2 + 1))
    for pattern in itertools.product((0, 1), repeat=n1 + n2):
        projected = full
        for axis, outside in enumerate(pattern):
            if axis < n1:
                projected = apply_on_axis(projected, qu if outside else pu, axis)
            else:
                projected = apply_on_axis(projected, qv if outside else pv, axis)
        expected[sum(pattern[:n1]), sum(pattern[n1:])] += np.vdot(full, projected).real / norm2
    pi = pickl.counting_distribution(model, psi, u, v)
    assert pi.shape == (n1 + 1, n2 + 1)
    assert np.max(np.abs(pi - expected)) < 1e-12
    assert abs(expected.sum() - 1.0) < 1e-12
    # γ^(1,1) in the one-particle occupation bases: row i of each table is e_x for one site x.
    gamma, kept_a, kept_b = pickl.reduced_density(model, psi, 1, 1)
    site_a, site_b = kept_a.argmax(axis=1), kept_b.argmax(axis=1)
    reference = gamma11(full, n1) / norm2  # index x M + y
    for i in range(m):
        for j in range(m):
            for i2 in range(m):
                for j2 in range(m):
                    ours = gamma[i * m + j, i2 * m + j2]
                    theirs = reference[site_a[i] * m + site_b[j], site_a[i2] * m + site_b[j2]]
                    assert abs(ours - theirs) < 1e-12
    with pytest.raises(ValueError):
        pickl.reduced_density(model, psi, n1 + 1, 0)
