"""Global error estimates (issue 33, class 12): a second solve at tolerances 100 times
tighter estimates each run's global error, and the studies count the members whose
verdict the solver's error decides.

The estimate is checked against the truth: the Richardson closed form (tests/conftest.py)
of random stable and unstable systems. At rtol 1e-4 and 1e-6 the reference run's own
error is about 1 % of the coarse run's, so the estimate must lie within 10 % of the true
error (measured: within 2 %)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import closed_form, richardson_parameters

from dynamics import Model, Solver, simulate
from dynamics.scenarios import load_scenario
from dynamics.studies.claims import Claim

MODEL = Model(["A", "B", "C"], mechanisms="richardson")


def _true_error(params, m0, t, m) -> float:
    exact = closed_form(params, m0, t, np.ones(3))
    return float(np.max(np.abs(m - exact)) / np.max(np.abs(exact)))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rtol", [1e-4, 1e-6])
def test_the_estimate_of_one_run_is_its_true_error(seed, rtol):
    rng = np.random.default_rng(seed)
    params = richardson_parameters(rng, 3, stable=bool(seed % 2))
    m0 = rng.uniform(0.1, 1.0, 3)
    res = simulate(MODEL, params, (0, 30), initial={"m": m0, "e": 1.0}, output=61,
                   solver=Solver(method="RK45", rtol=rtol, atol=rtol * 1e-2),
                   error_estimate=True)
    true = _true_error(params, m0, res.t, res["m"])
    assert res.global_error == pytest.approx(true, rel=0.1)
    assert res.provenance["global_error"]["reference"] == pytest.approx(
        {"rtol": rtol / 100, "atol": rtol * 1e-4}, rel=1e-12)


def test_each_member_of_an_ensemble_has_its_own_estimate():
    rng = np.random.default_rng(7)
    params = richardson_parameters(rng, 3, stable=True)
    scale = np.array([0.6, 1.0, 1.4])  # three members: reaction times 0.6, 1 and 1.4
    members = {**params, "reaction": scale[:, None] * params["reaction"]}
    m0 = rng.uniform(0.1, 1.0, 3)
    solver = Solver(rtol=1e-5, atol=1e-7)
    ensemble = simulate(MODEL, members, (0, 30), initial={"m": m0, "e": 1.0}, output=61,
                        solver=solver, error_estimate=True)
    for k in range(3):
        one = {**params, "reaction": scale[k] * params["reaction"]}
        true = _true_error(one, m0, ensemble.t, ensemble.values["m"][k])
        assert ensemble.global_error[k] == pytest.approx(true, rel=0.1)


def test_without_the_option_no_estimate_is_claimed():
    res = simulate(MODEL, {}, (0, 10))
    assert res.global_error is None and "global_error" not in res.provenance


def _tolerance_decides():
    """A claim that the solver's tolerance alone decides: it holds when the runs were
    solved at rtol above 1e-9 (every member flips at tolerances 100 times tighter)."""
    return lambda runs: np.full(runs["base"].members,
                                runs["base"].provenance["solver"]["rtol"] > 1e-9)


def test_robustness_counts_the_members_the_solver_decides():
    scenario = load_scenario("richardson-stable")
    claim = Claim("fragile", "holds at the default tolerance only", _tolerance_decides(),
                  kind="uncertain")
    result = robustness_of(scenario, [claim])
    assert result.claims[0].share == 1.0 and result.claims[0].unsure == 16
    median, largest = result.solver_error
    assert 0 < median <= largest < 1e-6
    assert "16 members decided within the solver's error" in result.summary()
    shipped = robustness_of(scenario, None)
    assert all(c.unsure == 0 for c in shipped.claims)
    unchecked = robustness_of(scenario, None, solver_check=False)
    assert unchecked.solver_error is None and unchecked.claims[0].unsure is None


def robustness_of(scenario, claims, **options):
    from dynamics.studies.robustness import robustness

    return robustness(scenario, claims, members=16, **options)


def test_discovery_counts_the_outcomes_the_solver_decides():
    """A loose tolerance (rtol 1e-3) on a design within 2e-4 of the Riser's grievance at
    which its peak share crosses s* = 0.5 (0.0114218, found by bisection): the members whose
    outcome changes at rtol 1e-5 are counted, and the count is recomputed here from two
    ensembles run directly, the peak share taken from their trajectories."""
    pytest.importorskip("ema_workbench")
    from dynamics.studies.design import Problem, latin_hypercube, run_design
    from dynamics.studies.discovery import discover

    scenario = load_scenario("external-balancing")
    problem = Problem(("grievance.Riser",), ((0.011420, 0.011424),))
    loose = Solver(rtol=1e-3, atol=1e-6)
    found = discover(scenario, problem, "peak_share > 0.5", n=200, solver=loose)
    design = latin_hypercube(problem, 200)
    peaks = [run_design(scenario, problem, design, solver=s).values["share"][:, :, 0].max(axis=1)
             for s in (loose, loose.tightened())]
    flipped = int(np.sum((peaks[0] > 0.5) != (peaks[1] > 0.5)))
    assert found.unsure == flipped > 0
    assert found.solver_error == pytest.approx(np.max(np.abs(peaks[0] - peaks[1])), rel=1e-9)


def test_the_command_line_reports_the_estimate(capsys):
    from dynamics.cli import main

    assert main(["run", "richardson-stable", "--error-estimate"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    value = float(line.split()[3])
    assert line.startswith("estimated global error") and 0 < value < 1e-6
