"""Interactive exploration and the notebook (HTML) views of models, scenarios, results."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from closed_forms import security_dilemma

from dynamics import Model, UnknownNameError, explore
from dynamics.scenarios import load_scenario
from dynamics.views.interactive import WIDGETS_MISSING


def test_moving_a_slider_recomputes_the_result():
    """security-dilemma: D from 0.2 to 0.95 lowers the final burden from the saturated
    race's equilibrium at 0.2 to that at 0.95 (closed form; after 60 years each run is
    within 1e-4 of it)."""
    explorer = explore("security-dilemma", ["distinguishability", "reaction.North"])
    before, runs = explorer.result, explorer.runs
    assert before.burden[-1, 0] == pytest.approx(security_dilemma(0.2), abs=1e-4)
    explorer.sliders["distinguishability"].value = 0.95
    assert explorer.runs == runs + 1
    assert explorer.result is not before
    assert explorer.result.burden[-1, 0] == pytest.approx(security_dilemma(0.95), abs=1e-4)
    assert explorer.values() == {"distinguishability": 0.95, "reaction": {"North": 0.9}}


def test_default_sliders_are_the_scenarios_key_parameters():
    explorer = explore("hegemonic-rise")
    assert list(explorer.sliders) == ["fatigue", "distinguishability", "power_weight",
                                      "ceiling", "arms_cost", "coercion"]
    for name, slider in explorer.sliders.items():
        assert slider.min <= slider.value <= slider.max, name


def test_unknown_slider_name_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'distinguishability'"):
        explore("security-dilemma", ["distinguishabilty"])


def test_without_ipywidgets_explore_says_so_and_shows_the_static_run(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails as if not installed
    result = explore("security-dilemma")
    assert WIDGETS_MISSING in capsys.readouterr().out
    assert result.ok and np.isclose(result.burden[-1, 0], security_dilemma(0.2), atol=1e-4)


def test_html_views_show_units_bounds_and_sources():
    model = Model(["A", "B"], ["ceiling"])
    html = model._repr_html_()
    assert "<table>" in html and "1/yr" in html and "[0, inf]" in html and "Richardson 1960" in html
    scenario = load_scenario("security-dilemma")
    html = scenario._repr_html_()
    assert "distinguishability" in html and "Jervis 1978" in html and ">0.2<" in html
    result = scenario.run()
    html = result._repr_html_()
    assert "success" in html and "North" in html and "<table>" in html


def test_a_parameter_set_shows_values_by_state_with_units_and_sources():
    from dynamics.views.display import ParameterSet

    model = Model(["USA", "CHN"], ["ceiling"])
    values = ParameterSet(model, {"reaction": {"CHN": 0.4}})
    np.testing.assert_array_equal(values["reaction"], [0.15, 0.4])
    html = values._repr_html_()
    assert "USA=0.15, CHN=0.4" in html and "1/yr" in html and "Richardson 1960" in html
    assert set(values) == set(model.parameter_names)
