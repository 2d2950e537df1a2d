"""The analytic (sympy) Jacobian equals a finite-difference Jacobian at random points."""

from __future__ import annotations

import numpy as np
import pytest

from dynamics import Model, compile_model
from dynamics.model.values import pack_inputs, resolve_initial, resolve_parameters

MECHANISM_SETS = ["richardson", ("perception", "ceiling", "economy"),
                  ("economy", "coercion", "alliances", "bandwagoning"), "all"]


def _random_point(model: Model, rng: np.random.Generator):
    params = {"reaction": rng.uniform(0.05, 1, model.N), "fatigue": rng.uniform(0.05, 1, model.N),
              "grievance": rng.uniform(-0.05, 0.1, model.N), "offence": rng.uniform(0, 1, model.N),
              "distinguishability": rng.uniform(), "power_weight": rng.uniform(0, 2),
              "support": rng.uniform(), "coercion": rng.uniform(0, 0.5),
              "hegemony_share": rng.uniform(0.2, 0.4), "bandwagon_share": rng.uniform(0.2, 0.6),
              "soft_cost": rng.uniform(0, 3)}
    params = {k: v for k, v in params.items() if k in model.parameter_names}
    e = rng.uniform(0.5, 3, model.N)
    c = rng.uniform(0, 1, (model.N, model.N))
    initial = {"e": e, "m": rng.uniform(0.05, 0.4, model.N) * e, "c": (c + c.T) / 2,
               "v": rng.uniform(0, 1, model.N), "theta": rng.uniform(0, 1, model.N),
               "pi": rng.uniform(0, 1, model.N)}
    values = resolve_parameters(model, params)
    start = resolve_initial(model, initial)
    return pack_inputs(model, values, start)


@pytest.mark.parametrize("mechanisms", MECHANISM_SETS)
@pytest.mark.parametrize("n", [2, 3])
def test_jacobian_equals_central_differences(n, mechanisms):
    """Entry by entry, |J_ik - J_fd,ik| <= 1e-5 |J_ik| + 1e-9 max |J| at 5 random points per
    model: a small entry is checked against its own size, the floor being the central
    difference's rounding error (about 1e-10 of the largest rate derivative)."""
    model = Model([f"S{i}" for i in range(n)], mechanisms)
    compiled = compile_model(model)
    rng = np.random.default_rng(n)
    for _ in range(5):
        y, p = _random_point(model, rng)
        analytic = compiled.jacobian(0.0, y, p)
        numeric = np.empty_like(analytic)
        for k in range(y.size):
            h = 1e-6 * max(abs(y[k]), 1e-3)
            up, down = y.copy(), y.copy()
            up[k] += h
            down[k] -= h
            numeric[:, k] = (compiled.rate(0.0, up, p) - compiled.rate(0.0, down, p)) / (2 * h)
        allowed = 1e-5 * np.abs(analytic) + 1e-9 * np.max(np.abs(analytic))
        bad = np.argwhere(np.abs(analytic - numeric) > allowed)
        assert bad.size == 0, [(model.variables[i].label(model.states),
                                model.variables[k].label(model.states),
                                analytic[i, k], numeric[i, k]) for i, k in bad[:5]]


def test_batched_evaluation_equals_member_by_member():
    """The compiled functions broadcast over a leading ensemble axis."""
    model = Model(["A", "B", "C"])
    compiled = compile_model(model)
    rng = np.random.default_rng(7)
    points = [_random_point(model, rng) for _ in range(6)]
    ys = np.stack([y for y, _ in points])
    ps = np.stack([p for _, p in points])
    batched = compiled.rate(0.0, ys, ps)
    jac = compiled.jacobian(0.0, ys, ps)
    for k, (y, p) in enumerate(points):
        # equal up to the last bit that numpy's vectorised and scalar paths may round apart
        np.testing.assert_allclose(batched[k], compiled.rate(0.0, y, p), rtol=1e-13, atol=0)
        np.testing.assert_allclose(jac[k], compiled.jacobian(0.0, y, p), rtol=1e-13, atol=0)
