"""The public API: one front door for one run or many, one options object honoured by every
study, one reader of names, and one protocol that every result type follows."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import dynamics
from dynamics import (
    EnsembleResult,
    Model,
    Result,
    ShapeError,
    Solver,
    UnknownNameError,
    simulate,
    simulate_ensemble,
)
from dynamics.analysis.checks import CheckReport
from dynamics.analysis.continuation import continuation
from dynamics.analysis.equilibria import find_equilibria
from dynamics.calibration.calibrate import richardson_differences
from dynamics.data import Series
from dynamics.model.names import parse_name
from dynamics.results.labelled import jsonable
from dynamics.results.report import ResultProtocol
from dynamics.scenarios import load_scenario, parse_scenario
from dynamics.studies.design import Problem, grid, run_design
from dynamics.studies.sensitivity import local_sensitivities, morris_of, sobol_of
from dynamics.studies.sweep import sweep

RICHARDSON = {"distinguishability": 0.0, "power_weight": 0.0, "reaction": 0.1,
              "fatigue": 0.3, "grievance": 0.01}


def test_every_public_name_resolves():
    for name in dynamics.__all__:
        assert getattr(dynamics, name) is not None, name


def test_simulate_with_a_member_axis_runs_an_ensemble():
    """Three reaction coefficients: each member ends at x* = g / (alpha - k)."""
    model = Model(["A", "B"], "richardson")
    k = np.array([0.05, 0.1, 0.2])
    runs = simulate(model, {**RICHARDSON, "reaction": k[:, None]}, (0.0, 300.0), output=3)
    assert isinstance(runs, EnsembleResult) and runs.members == 3
    np.testing.assert_allclose(runs.values["m"][:, -1, 0], 0.01 / (0.3 - k), rtol=1e-6)
    same = simulate_ensemble(model, {**RICHARDSON, "reaction": k[:, None]}, (0.0, 300.0),
                             output=3)
    np.testing.assert_array_equal(same.values["m"], runs.values["m"])
    # a member with an invalid value fails alone, through the one front door too
    mixed = simulate(model, {**RICHARDSON, "reaction": np.array([[0.1], [-1.0]])},
                     (0.0, 10.0), output=3)
    assert [s.value for s in mixed.status] == ["success", "failed"]
    assert "outside its bounds" in mixed.messages[1]


def test_a_scenarios_solver_is_honoured_by_its_studies():
    scenario = parse_scenario(textwrap.dedent("""\
        [model]
        states = ["A", "B"]
        mechanisms = ["richardson"]
        [solver]
        method = "LSODA"
        rtol = 1e-9
        engine = "scipy"
        """))
    problem = Problem(("reaction",), ((0.05, 0.1),))
    ensemble = run_design(scenario, problem, grid(problem, 3))
    assert ensemble.engine == "scipy"
    assert ensemble.provenance["solver"]["method"] == "LSODA"
    assert ensemble.provenance["solver"]["rtol"] == 1e-9
    assert scenario.run().provenance["solver"]["rtol"] == 1e-9


def test_the_kernel_refuses_a_method_it_does_not_integrate():
    with pytest.raises(dynamics.DynamicsError, match="RK45 only"):
        simulate(Model(["A", "B"], "richardson"), {"reaction": np.array([[0.1], [0.2]])},
                 solver=Solver(method="LSODA", engine="kernel"))


@pytest.mark.parametrize(("text", "base", "states"), [
    ("reaction", "reaction", ()), ("growth.Riser", "growth", ("Riser",)),
    ("proximity.Riser.West", "proximity", ("Riser", "West"))])
def test_one_reader_of_names(text, base, states):
    parsed = parse_name(text, ("Riser", "West"))
    assert (parsed.base, parsed.states) == (base, states)


def test_the_reader_of_names_refuses_with_the_culprit():
    with pytest.raises(UnknownNameError, match="did you mean 'reaction'"):
        parse_name("reactoin")
    with pytest.raises(ShapeError, match="at most 1 state"):
        parse_name("reaction.A.B", ("A", "B"))
    with pytest.raises(UnknownNameError, match="unknown state 'C'"):
        parse_name("growth.C", ("A", "B"))
    assert parse_name("c.A.B", ("A", "B"), allow=("variable",)).kind == "variable"


def _results() -> list:
    """One small instance of every result type."""
    model = Model(["A", "B"], "richardson")
    one = simulate(model, RICHARDSON, (0.0, 10.0), output=5)
    many = simulate(model, {**RICHARDSON, "reaction": np.array([[0.1], [0.2]])}, (0.0, 10.0),
                    output=5)
    scenario = load_scenario("richardson-stable").with_values(t_span=(0.0, 20.0), output=5)
    problem = Problem(("reaction",), ((0.05, 0.1),))
    swept = sweep(scenario, problem, grid(problem, 2), ["escalation_rate"])
    unit = Problem(("x1", "x2"), ((0.0, 1.0), (0.0, 1.0)))
    indices = sobol_of(lambda x: x[0] + 2 * x[1], unit, 16, resamples=0)
    screening = morris_of(lambda x: x[:, 0] + 2 * x[:, 1], unit, trajectories=4)
    local = local_sensitivities(scenario, ["fatigue"], "escalation_rate")
    equilibrium = find_equilibria(model, RICHARDSON, starts=4)[0]
    branch = continuation(model, "fatigue", (0.3, 0.4), RICHARDSON)
    years = np.arange(1909, 1914)
    series = Series(years, {"A": 100 * 1.1 ** (years - 1909), "B": 90 * 1.1 ** (years - 1909)})
    fit = richardson_differences(series)
    return [one, many, swept, indices, screening, local, equilibrium, branch, fit,
            CheckReport("coercion", ["registered without clashes"])]


def test_every_result_type_follows_one_protocol():
    for result in _results():
        name = type(result).__name__
        assert isinstance(result, ResultProtocol), name
        json.dumps(jsonable(result.as_dict()))  # plain data
        summary = result.summary()
        assert summary.strip(), name
        rows = result.rows()
        assert rows and len(result.to_dataframe()) == len(rows), name
        assert "<table>" in result._repr_html_() or "<p>" in result._repr_html_(), name
    assert isinstance(_results()[0], Result)


def test_names_imported_on_first_use_are_listed_for_tab_completion():
    import dynamics

    listed = dir(dynamics)
    assert {"load_scenario", "explore", "sobol", "decompose", "Model"} <= set(listed)
    assert set(dynamics.__all__) <= set(listed)


def test_a_run_records_how_many_times_it_evaluated_the_rate():
    """``provenance["evaluations"]``: scipy's own count for the same integration, and the
    sum over the segments of a run that an intervention splits."""
    from scipy.integrate import solve_ivp

    from dynamics import Intervention
    from dynamics.run.prepared import prepare

    model = Model(["A", "B"], mechanisms="richardson")
    solver = Solver(method="RK45", rtol=1e-8, atol=1e-10)
    result = simulate(model, {}, (0.0, 20.0), output=21, solver=solver)
    run = prepare(model, {}, None)
    direct = solve_ivp(lambda t, y: run.compiled.rate(t, y, run.p), (0.0, 20.0), run.y0,
                       method="RK45", rtol=1e-8, atol=1e-10, t_eval=np.linspace(0, 20, 21))
    assert result.provenance["evaluations"] == direct.nfev > 0
    first = solve_ivp(lambda t, y: run.compiled.rate(t, y, run.p), (0.0, 10.0), run.y0,
                      method="RK45", rtol=1e-8, atol=1e-10, t_eval=np.linspace(0, 10, 11))
    after = prepare(model, {"reaction": 0.5 * run.values["reaction"]}, None)
    second = solve_ivp(lambda t, y: after.compiled.rate(t, y, after.p), (10.0, 20.0),
                       first.y[:, -1], method="RK45", rtol=1e-8, atol=1e-10,
                       t_eval=np.linspace(10, 20, 11))
    split = simulate(model, {}, (0.0, 20.0), output=21, solver=solver,
                     interventions=[Intervention("cut", at=10.0, scale={"reaction": 0.5})])
    assert split.provenance["evaluations"] == first.nfev + second.nfev
