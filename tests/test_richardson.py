"""With every mechanism beyond Richardson off, the model is Richardson's, exactly."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from conftest import closed_form, richardson_parameters

from dynamics import Model, Solver, simulate
from dynamics.analysis.richardson import (
    equilibrium,
    linear_system,
    richardson_limit,
    stability_minors,
)


@pytest.mark.parametrize("n", [2, 4])
def test_equations_minus_richardson_simplify_to_zero(n):
    model = Model([f"S{i}" for i in range(n)], mechanisms="richardson")
    subs = richardson_limit(model)
    for i, rate in enumerate(model.rates):
        k, alpha, g, level = (model.parameter_symbols(p)[i] for p in (
            "reaction", "fatigue", "grievance", "grievance_level"))
        W = model.parameter_symbols("proximity")
        m = [slot.symbol for slot in model.variables]
        e = model.held[i].symbol  # output, held constant without the economy
        assert model.held[i].name == "e"
        richardson = (k * sum(W[i, j] * m[j] for j in range(n)) - alpha * m[i] + g * e
                      + level)
        assert sp.simplify(rate.xreplace(subs) - richardson) == 0


@pytest.mark.parametrize("method", ["LSODA", "Radau", "DOP853"])
@pytest.mark.parametrize("n", [2, 5])
@pytest.mark.parametrize("stable", [True, False])
def test_trajectories_match_closed_form_to_1e_7(n, stable, method):
    """Relative error max_t |x_sim(t) - x(t)| / |x(t)| below 1e-7 on 5 random systems per case."""
    rng = np.random.default_rng(1000 * n + stable)
    model = Model([f"S{i}" for i in range(n)], mechanisms="richardson")
    worst = 0.0
    for _ in range(5):
        params = richardson_parameters(rng, n, stable)
        m0 = rng.uniform(0.05, 1.0, n)
        e = rng.uniform(0.5, 2.0, n)
        t = np.linspace(0.0, 25.0, 51)
        res = simulate(model, params, (0.0, 25.0), initial={"m": m0, "e": e}, output=t,
                       solver=Solver(method, rtol=1e-12, atol=1e-14))
        assert res.ok, res.message
        exact = closed_form(params, m0, t, e)
        error = np.max(np.abs(res["m"] - exact), axis=1) / np.max(np.abs(exact), axis=1)
        worst = max(worst, float(error.max()))
    assert worst < 1e-7


def test_classic_two_state_equilibrium_and_stability_are_derived(richardson2):
    """x* = (beta g + k h)/(alpha beta - k l), y* = (alpha h + l g)/(alpha beta - k l),
    stable exactly when alpha beta > k l (Richardson 1960), with W = 1 and Richardson's
    grievances g = g_X e_X, h = g_Y e_Y (output held constant)."""
    model = richardson2
    x, y = (slot.symbol for slot in model.variables)
    alpha, beta = model.parameter_symbols("fatigue")
    k, l = model.parameter_symbols("reaction")
    # Richardson's constant grievance: per unit of (held) output plus the constant level
    g, h = (gi * slot.symbol + level for gi, slot, level in zip(
        model.parameter_symbols("grievance"), model.held[:2],
        model.parameter_symbols("grievance_level"), strict=True))
    unit = {model.symbol("proximity", "Entente", "Central"): 1,
            model.symbol("proximity", "Central", "Entente"): 1}
    star = {s: e.xreplace(unit) for s, e in equilibrium(model).items()}
    assert sp.simplify(star[x] - (beta * g + k * h) / (alpha * beta - k * l)) == 0
    assert sp.simplify(star[y] - (alpha * h + l * g) / (alpha * beta - k * l)) == 0
    minors = [sp.expand(mi.xreplace(unit)) for mi in stability_minors(model)]
    assert minors == [alpha, sp.expand(alpha * beta - k * l)]
    # Routh-Hurwitz for 2 x 2: stable iff trace < 0 and det > 0; the trace is -(alpha+beta)
    matrix, _ = linear_system(model)
    assert sp.simplify(matrix.xreplace(unit).trace() + alpha + beta) == 0
    assert sp.simplify(matrix.xreplace(unit).det() - (alpha * beta - k * l)) == 0


def test_runaway_race_ends_with_status_diverged(richardson2):
    res = simulate(richardson2, {"reaction": 0.9, "fatigue": 0.2, "grievance": 0.1,
                                 "distinguishability": 0.0, "power_weight": 0.0},
                   (0.0, 200.0))
    assert res.status.value == "diverged"
    assert "exceeded 1e+06 times the initial scale" in res.message
    assert "(m[Central] = " in res.message or "(m[Entente] = " in res.message
    assert res.t[-1] < 200.0
    assert np.max(res["m"][-1]) == pytest.approx(1e6 * 0.03, rel=1e-6)


def test_published_estimates_and_constant_grievance_are_accepted():
    """Taagepera et al. (1975) report a US reaction coefficient of 8.2/yr: a bound must never
    refuse it. With Richardson's constant grievances G (spending units per year) the race
    dx/dt = k y - alpha x + G1, dy/dt = l x - beta y + G2 settles at the solution of the
    2 x 2 linear system, derived here with numpy."""
    model = Model(["USA", "USSR"], mechanisms="richardson")
    k, l, alpha, beta = 8.2, 0.5, 9.0, 1.0  # stable: alpha beta = 9 > k l = 4.1
    level = np.array([2.0, -0.3])           # grievance of one, goodwill of the other
    star = np.linalg.solve(np.array([[-alpha, k], [l, -beta]]), -level)
    res = simulate(model, {"reaction": [k, l], "fatigue": [alpha, beta],
                           "grievance_level": level, "distinguishability": 0.0,
                           "power_weight": 0.0}, (0.0, 60.0), output=2,
                   solver=Solver(rtol=1e-11, atol=1e-13))
    assert res.ok
    np.testing.assert_allclose(res["m"][-1], star, rtol=1e-7)
