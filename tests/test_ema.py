"""A scenario as a model of the EMA Workbench (dynamics/studies/ema.py): EMA's own
``perform_experiments`` runs it, and every outcome it reports is the metric of the
scenario run directly with that experiment's values."""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import pytest

from dynamics.analysis.metrics import METRICS
from dynamics.errors import MissingExtraError, ParameterValueError
from dynamics.scenarios import load_scenario
from dynamics.studies.ema import default_uncertainties, identifier, scenario_model

pytest.importorskip("ema_workbench")


def test_perform_experiments_runs_a_scenario_and_reports_its_metrics():
    from ema_workbench import perform_experiments

    scenario = load_scenario("hegemonic-rise")
    # coercion up to 0.2: every corner of this box runs to its end (beyond, the Riser's
    # extraction can collapse a neighbour's output, which the last lines check apart)
    model = scenario_model(scenario, uncertainties={"growth.Riser": (0.03, 0.07),
                                                    "reaction": (0.0, 0.3)},
                           levers={"coercion": (0.02, 0.2)})
    assert model.name == "HegemonicRise"
    assert [u.name for u in model.uncertainties] == ["growth_Riser", "reaction"]
    assert model.uncertainties[0].variable_name == ["growth.Riser"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = perform_experiments(model, scenarios=3, policies=2)
    assert len(experiments) == 6
    assert set(outcomes) == {*METRICS, *(f"final_share_{s}" for s in scenario.states)}
    checked = 0
    for row in range(len(experiments)):
        riser = float(experiments["growth_Riser"].iloc[row])
        reaction = float(experiments["reaction"].iloc[row])
        coercion = float(experiments["coercion"].iloc[row])
        growth = dict(zip(scenario.states, scenario.parameter("growth"), strict=True))
        growth["Riser"] = riser
        direct = scenario.with_values({"growth": [growth[s] for s in scenario.states],
                                       "reaction": reaction, "coercion": coercion}).run()
        if not direct.ok:  # a run that stops gives NaN for every outcome
            assert all(math.isnan(values[row]) for values in outcomes.values())
            continue
        checked += 1
        for name, metric in METRICS.items():
            expected = float(metric(direct))
            got = float(outcomes[name][row])
            assert (math.isnan(got) and math.isnan(expected)) or got == expected, name
        final = direct.share[-1]
        np.testing.assert_array_equal(
            [outcomes[f"final_share_{s}"][row] for s in scenario.states], final)
    assert checked
    # a run that stops (output collapsed: left the domain) gives NaN for every outcome
    stopped = model.function(**{"growth.Riser": 0.05, "reaction": 0.0, "coercion": 0.9})
    assert set(stopped) == set(outcomes) and all(math.isnan(v) for v in stopped.values())


def test_the_default_uncertainties_are_the_plausible_ranges():
    scenario = load_scenario("hegemonic-rise")
    ranges = default_uncertainties(scenario)
    from dynamics.model.registry import REGISTRY

    assert ranges and all(REGISTRY[n].kind != "pair" for n in ranges)
    assert all(ranges[n] == tuple(REGISTRY[n].design_range) for n in ranges)
    model = scenario_model(scenario, outcomes=["peak_share"])
    assert [u.name for u in model.uncertainties] == [identifier(n) for n in ranges]
    assert [o.name for o in model.outcomes] == ["peak_share"]


def test_bad_requests_are_refused_naming_the_culprit(monkeypatch):
    scenario = load_scenario("hegemonic-rise")
    with pytest.raises(ParameterValueError, match="'proximity': matrix parameters"):
        scenario_model(scenario, uncertainties=["proximity"])
    with pytest.raises(ParameterValueError, match="'reaction' is both"):
        scenario_model(scenario, uncertainties=["reaction"], levers=["reaction"])
    with pytest.raises(ParameterValueError, match="unknown outcome 'peak'"):
        scenario_model(scenario, outcomes=["peak"])
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    with pytest.raises(MissingExtraError, match=r"\[ema\]"):
        scenario_model(scenario)
