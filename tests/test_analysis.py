"""Equilibria, stability, continuation and the security-dilemma threshold."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from dynamics import Model, ParameterValueError, Solver, Status, UnknownNameError, simulate
from dynamics.analysis.continuation import continuation, continue_branch
from dynamics.analysis.equilibria import RESIDUAL_TOLERANCE, FixedSystem, classify, find_equilibria
from dynamics.analysis.richardson import classify_case, stability_minors
from dynamics.analysis.security import dilemma_threshold, dilemma_threshold_numeric
from dynamics.run.prepared import prepare
from dynamics.scenarios import load_scenario

RICHARDSON_LIMIT = {"distinguishability": 0.0, "power_weight": 0.0}


def test_classification_of_textbook_spectra():
    assert classify([-1, -2]) == "stable node"
    assert classify([-1 + 2j, -1 - 2j]) == "stable focus"
    assert classify([1, -2]) == "saddle"
    assert classify([1 + 1j, 1 - 1j]) == "unstable focus"
    assert classify([2, 3]) == "unstable node"
    assert classify([0, -1]) == "non-hyperbolic"


def test_richardson_cases_agree_with_stability_and_with_simulation(richardson2):
    """200 random 2-state systems: the case follows the sign of alpha beta - k l, and the
    simulation converges to x* (stable, disarmament) or grows without bound (runaway,
    ambiguous) in every one."""
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(200):
        k, l = rng.uniform(0.05, 0.9, 2)
        alpha, beta = rng.uniform(0.05, 0.9, 2)
        sign = rng.choice([-1.0, 1.0])
        g, h = sign * rng.uniform(0.01, 0.2, 2)
        case = classify_case((k, l), (alpha, beta), (g, h))
        seen.add(case)
        assert (case in ("stable", "disarmament")) == (alpha * beta > k * l)
        star = np.linalg.solve([[-alpha, k], [l, -beta]], [-g, -h])
        params = {"reaction": [k, l], "fatigue": [alpha, beta], "grievance": [g, h],
                  **RICHARDSON_LIMIT}
        start = star + rng.uniform(0.05, 0.5, 2) * rng.choice([-1, 1], 2)
        # long enough for the slowest mode to shrink (or grow) by e^40
        rate = np.max(np.linalg.eigvals([[-alpha, k], [l, -beta]]).real)
        res = simulate(richardson2, params, (0.0, 40.0 / abs(rate)), initial={"m": start},
                       output=None, solver=Solver(rtol=1e-10, atol=1e-12))
        if case in ("stable", "disarmament"):
            assert res.status is Status.SUCCESS
            np.testing.assert_allclose(res["m"][-1], star, rtol=1e-6, atol=1e-9)
        else:
            assert res.status is Status.DIVERGED, (case, res.message)
    assert seen == {"stable", "runaway", "disarmament", "ambiguous"}


@pytest.mark.parametrize("n", [2, 3, pytest.param(5, marks=pytest.mark.slow)])
def test_the_models_stability_minors_agree_with_its_jacobians_eigenvalues(n):
    """For 100 random N-state Richardson systems (random reaction, fatigue and proximity):
    the package's symbolic criterion (every leading principal minor of A - K positive,
    ``stability_minors``) says stable exactly when the compiled model's Jacobian at the
    same values has only eigenvalues with negative real part (Metzler matrices: Berman
    and Plemmons 1994). Two independent paths through the package: sympy determinants of
    the linear system, and the generated Jacobian code."""
    states = [f"S{i}" for i in range(n)]
    model = Model(states, "richardson")
    minors = stability_minors(model)
    rng = np.random.default_rng(n)
    seen = set()
    for _ in range(100):
        k, alpha = rng.uniform(0.05, 0.6, n), rng.uniform(0.05, 1.5, n)
        w = rng.uniform(0, 1, (n, n))
        np.fill_diagonal(w, 0)
        params = {"reaction": k, "fatigue": alpha, "proximity": w, "distinguishability": 0.0,
                  "power_weight": 0.0}
        run = prepare(model, params, None)
        compiled, values, y0, p = run.compiled, run.values, run.y0, run.p
        symbols = {s.symbol: float(values[s.name][s.index]) for s in model.parameters}
        by_minors = all(float(m.xreplace(symbols)) > 0 for m in minors)
        eigenvalues = np.linalg.eigvals(compiled.jacobian(0.0, y0, p))
        seen.add(by_minors)
        assert by_minors == bool(np.all(eigenvalues.real < 0))
    assert seen == {True, False}  # both cases were drawn


def test_symbolic_minors_are_the_metzler_criterion_of_the_model():
    """The model's own minors for N = 3 evaluate to those of the numeric A - K."""
    model = Model(["A", "B", "C"], "richardson")
    minors = stability_minors(model)
    rng = np.random.default_rng(1)
    values = {}
    k, alpha = rng.uniform(0.1, 0.5, 3), rng.uniform(0.2, 0.9, 3)
    W = rng.uniform(0.2, 1, (3, 3))
    np.fill_diagonal(W, 0)
    for i in range(3):
        values[model.parameter_symbols("reaction")[i]] = k[i]
        values[model.parameter_symbols("fatigue")[i]] = alpha[i]
        for j in range(3):
            if i != j:
                values[model.parameter_symbols("proximity")[i, j]] = W[i, j]
    numeric = np.diag(alpha) - k[:, None] * W
    for size, minor in enumerate(minors, start=1):
        assert float(minor.xreplace(values)) == pytest.approx(
            np.linalg.det(numeric[:size, :size]), rel=1e-12)


def test_equilibria_are_roots_reported_once():
    """Security dilemma with no grievance: the disarmed and the mobilised equilibrium (and
    nothing else) in the admissible domain, each with scaled residual below 1e-9."""
    model = Model(["North", "South"], ["perception", "ceiling"])
    params = {"reaction": 0.9, "fatigue": 0.2, "grievance": 0.0, "offence": 0.1,
              "distinguishability": 0.2, "power_weight": 0.0, "ceiling": 0.4}
    found = find_equilibria(model, params, starts=256)
    system = FixedSystem(model, params)
    for eq in found:
        assert system.residual(eq.state) < RESIDUAL_TOLERANCE and eq.residual < 1e-9
    h = 0.1 + 0.8 * 0.9
    high = 0.4 * (1 - 0.2 / (0.9 * h))  # u* = 1 - alpha/(k h)
    spending = sorted(round(float(eq["m[North]"]), 10) for eq in found
                      if np.isclose(eq["m[North]"], eq["m[South]"]))
    assert spending[0] == pytest.approx(0.0, abs=1e-12)
    assert spending[-1] == pytest.approx(high, rel=1e-9)
    kinds = {round(float(eq["m[North]"]), 6): eq.kind for eq in found}
    assert kinds[0.0] == "saddle" and kinds[round(high, 6)].startswith("stable")


def test_fold_of_the_saddle_node_normal_form_at_zero():
    """x' = mu - x^2: a fold at mu = 0, found to 1e-6."""
    branch = continue_branch(lambda x, mu: np.array([mu - x[0] ** 2]),
                             lambda x, mu: np.array([[-2 * x[0]]]), np.array([1.0]), 1.0, -1.0)
    folds = [p for p in branch.points if p.kind == "fold"]
    assert len(folds) == 1 and abs(folds[0].parameter) < 1e-6
    assert branch.stable[0] and not branch.stable[-1]  # upper branch stable, lower not


def test_hopf_of_the_normal_form_at_zero():
    """x' = mu x - y - x r^2, y' = x + mu y - y r^2: a Hopf point at mu = 0, to 1e-6."""
    def rate(z, mu):
        r2 = z[0] ** 2 + z[1] ** 2
        return np.array([mu * z[0] - z[1] - z[0] * r2, z[0] + mu * z[1] - z[1] * r2])

    def jacobian(z, mu):
        x, y = z
        return np.array([[mu - 3 * x ** 2 - y ** 2, -1 - 2 * x * y],
                         [1 - 2 * x * y, mu - x ** 2 - 3 * y ** 2]])

    branch = continue_branch(rate, jacobian, np.zeros(2), -1.0, 1.0)
    hopf = [p for p in branch.points if p.kind == "hopf"]
    assert len(hopf) == 1 and abs(hopf[0].parameter) < 1e-6


def test_dilemma_threshold_in_closed_form():
    """D* = 1 - (alpha/(k omega) - o)/(1 - o), derived from the model's own linear system
    (k omega h = alpha with h = o + (1 - D)(1 - o), solved for D by hand)."""
    expr, symbols = dilemma_threshold()
    k, alpha, o = symbols["reaction"], symbols["fatigue"], symbols["offence"]
    omega = symbols["offence_defence"]
    assert sp.simplify(expr - (1 - (alpha / (k * omega) - o) / (1 - o))) == 0


def test_continuation_finds_the_analytic_threshold_on_the_full_model():
    """Continuation in D of the disarmed equilibrium of the security-dilemma model (delayed
    perception and the ceiling on) finds the branch point at D* to relative 1e-4."""
    params = {"reaction": 0.9, "fatigue": 0.2, "offence": 0.1}
    analytic = 1 - (0.2 / 0.9 - 0.1) / 0.9
    numeric = dilemma_threshold_numeric(params)
    assert numeric == pytest.approx(analytic, rel=1e-4)


def test_continuation_bad_input():
    model = Model(["North", "South"], ["perception", "ceiling"])
    with pytest.raises(UnknownNameError, match="did you mean 'distinguishability'"):
        continuation(model, "distinguishabilty", (0.0, 1.0))
    with pytest.raises(ParameterValueError, match=r"leaves its bounds \[0, 1\]"):
        continuation(model, "distinguishability", (0.5, 1.5))
    with pytest.raises(ParameterValueError, match="has no effect"):
        continuation(model, "growth", (0.01, 0.05))


def test_phase_portrait_of_a_stable_race(richardson2):
    """One stable node at Richardson's x* = (beta g + k h)/(alpha beta - k l); the field
    vanishes on the nullclines through it; trajectories end at it."""
    from dynamics.analysis.phase import phase_portrait

    params = {"reaction": [0.3, 0.2], "fatigue": [0.4, 0.5], "grievance": [0.05, 0.02],
              **RICHARDSON_LIMIT}
    star = np.array([(0.5 * 0.05 + 0.3 * 0.02) / (0.2 - 0.06),
                     (0.4 * 0.02 + 0.2 * 0.05) / (0.2 - 0.06)])
    portrait = phase_portrait(richardson2, params, ["m[Entente]", "m[Central]"],
                              ((0.0, 1.0), (0.0, 1.0)), starts=[(0.9, 0.1), (0.05, 0.95)],
                              duration=200.0)
    assert len(portrait.equilibria) == 1 and portrait.equilibria[0].kind == "stable node"
    np.testing.assert_allclose(portrait.equilibria[0].state, star, rtol=1e-12)
    # u = 0.3 y - 0.4 x + 0.05 on the grid, exactly
    gx, gy = np.meshgrid(portrait.x, portrait.y)
    np.testing.assert_allclose(portrait.u, 0.3 * gy - 0.4 * gx + 0.05, atol=1e-15)
    for path in portrait.trajectories:
        np.testing.assert_allclose(path[-1], star, rtol=1e-6)


K, ALPHA, O, B = 0.9, 0.2, 0.1, 0.4  # the security-dilemma scenario's values
D_STAR = 1 - (ALPHA / K - O) / (1 - O)


def _settled(distinguishability: float, grievance: float) -> float:
    """North's spending at the stable equilibrium of the scenario's model, as a share of its
    ceiling (found by root finding: near D* the approach is too slow to simulate)."""
    scenario = load_scenario("security-dilemma").with_values(
        {"distinguishability": distinguishability, "grievance": grievance})
    model = scenario.model()
    # the disarmed equilibrium m = 0 sits on the ceiling's kink (its linearisation depends
    # on the side), so the escalated one is picked by its spending, not by its eigenvalues
    found = [eq["m[North]"] for eq in find_equilibria(model, scenario.values(model), starts=32)
             if eq["m[North]"] > 1e-9]
    assert len(found) <= 1, found
    return found[0] / B if found else 0.0


def test_without_grievance_the_threshold_is_a_transcritical_bifurcation():
    """g = 0: continuation finds the branch point at D* to 1e-6, and below it the escalated
    equilibrium u* = 1 - alpha/(k h) of the ceiling (from (k h m)(1 - m/b) = alpha m, e = 1)
    grows continuously from 0: 0.4 % at D* - 0.001, 3.9 % at D* - 0.01 (to 1e-6)."""
    numeric = dilemma_threshold_numeric({"reaction": K, "fatigue": ALPHA, "offence": O},
                                        ceiling=B)
    assert numeric == pytest.approx(D_STAR, abs=1e-6)
    for below, expected in ((0.001, 0.004033663662), (0.01, 0.038923594426)):
        h = O + (1 - (D_STAR - below)) * (1 - O)
        assert 1 - ALPHA / (K * h) == pytest.approx(expected, rel=1e-9)
        assert _settled(D_STAR - below, 0.0) == pytest.approx(expected, abs=1e-6)
    assert _settled(D_STAR + 0.01, 0.0) == pytest.approx(0.0, abs=1e-6)


def test_a_positive_grievance_unfolds_the_threshold():
    """g = 0.002: the equilibrium (root of (k h m + g)(1 - m/b) = alpha m) falls smoothly
    with D, 73 % of the ceiling at D = 0.2, 15 % at D*, 6 % at D = 0.95, and continuation
    over D in [0, 1] meets no branch point and no fold."""
    for distinguishability, quoted in ((0.2, 0.73), (D_STAR, 0.15), (0.95, 0.06)):
        h = O + (1 - distinguishability) * (1 - O)
        roots = np.roots([-K * h / B, K * h - 0.002 / B - ALPHA, 0.002])
        star = roots[(roots > 0) & (roots < B)].max() / B
        assert _settled(distinguishability, 0.002) == pytest.approx(star, rel=1e-6)
        assert round(star, 2) == quoted  # the numbers the scenario's text quotes
    model = Model(["North", "South"], ["perception", "ceiling"])
    params = {"reaction": K, "fatigue": ALPHA, "offence": O, "power_weight": 0.0,
              "ceiling": B, "grievance": 0.002}
    start = _settled(0.0, 0.002) * B
    h0 = O + (1 - O)
    branch = continuation(model, "distinguishability", (0.0, 1.0), params,
                          start=np.array([start, start, h0 * start, h0 * start]))
    assert branch.parameter[-1] > 0.95  # the last step past D = 1 is dropped
    assert not [p for p in branch.points if p.kind in ("branch point", "fold")]
    assert np.all(np.diff(branch.states[:, 0]) < 0)  # falls smoothly with D


def test_continuation_settles_before_it_follows(richardson2):
    """With ``settle`` the branch starts from where a run at the first value ends: from a
    start far off, the stable node x* = g/(alpha - k) of the symmetric race (by hand), and
    the branch follows x*(k) across the range."""
    params = {"reaction": 0.1, "fatigue": 0.4, "grievance": 0.05, **RICHARDSON_LIMIT}
    far = np.array([0.9, 0.02])
    branch = continuation(richardson2, "reaction", (0.1, 0.3), params, start=far,
                          settle=300.0)
    for k, state in zip(branch.parameter, branch.states, strict=True):
        np.testing.assert_allclose(state, 0.05 / (0.4 - k), rtol=1e-6)
    assert branch.parameter[0] == pytest.approx(0.1) and branch.parameter[-1] > 0.29
    with pytest.raises(ParameterValueError, match="settle must be a positive"):
        continuation(richardson2, "reaction", (0.1, 0.3), params, settle=-1.0)
