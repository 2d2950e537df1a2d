"""Forecast evaluation of the historical scenarios: the baselines recomputed by hand from the
Correlates of War file read here on its own, the scores' arithmetic on cases solved by
hand, and forecasts that read nothing after their origin."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np
import pytest

from dynamics.calibration import history
from dynamics.calibration.evaluation import BASELINES, baselines, evaluate, recalibrated
from dynamics.cli import main
from dynamics.errors import DynamicsError, ParameterValueError, ScenarioError
from dynamics.scenarios import load_scenario

COW = {(r["stateabb"], int(r["year"])): r for r in csv.DictReader(
    (resources.files("dynamics.data") / "cow-nmc-v6.0.csv").read_text().splitlines())}


def _shares(states, year: int) -> np.ndarray:
    """Observed shares of military spending among ``states`` in ``year``, from COW."""
    milex = np.array([float(COW[(s, year)]["milex"]) for s in states])
    return milex / milex.sum()


@pytest.fixture(scope="module")
def europe():
    return evaluate(load_scenario("europe-1870"), resamples=200)


def test_two_baselines_recomputed_by_hand_from_the_data(europe):
    """Holding the window's last shares (1874) and the random walk with drift over the
    window 1870-1874, each year from the file by hand, and their mean absolute errors over
    1875-1913."""
    scenario = load_scenario("europe-1870")
    states = scenario.states
    window = np.array([_shares(states, y) for y in range(1870, 1875)])
    last, drift = window[-1], (window[-1] - window[0]) / 4
    errors = {"last": [], "drift": []}
    for year in range(1875, 1914):
        k = year - 1870
        walked = np.clip(last + drift * (year - 1874), 0, None)
        walked /= walked.sum()
        np.testing.assert_allclose(europe.shipped["last"][k], last, rtol=1e-12)
        np.testing.assert_allclose(europe.shipped["drift"][k], walked, rtol=1e-12)
        truth = _shares(states, year)
        errors["last"].append(np.abs(last - truth).mean())
        errors["drift"].append(np.abs(walked - truth).mean())
    for name, values in errors.items():
        assert europe.as_shipped.errors[name] == pytest.approx(np.mean(values), rel=1e-12)
    np.testing.assert_allclose(europe.shipped["mean"][0], window.mean(axis=0), rtol=1e-12)


def test_baselines_on_series_solved_by_hand():
    """Shares that move on straight lines: the trend and the drift extend them exactly, the
    last and the mean hold their values; a line that would go negative is cut at zero and
    the shares rescaled."""
    years = np.arange(2000, 2005)
    a = 0.2 + 0.02 * (years - 2000)
    shares = np.column_stack([a, 1 - a])
    found = baselines(years, shares, [2006, 2010])
    expected = np.array([[0.32, 0.68], [0.40, 0.60]])
    np.testing.assert_allclose(found["trend"], expected, rtol=1e-12)
    np.testing.assert_allclose(found["drift"], expected, rtol=1e-12)
    np.testing.assert_allclose(found["last"], [[0.28, 0.72]] * 2, rtol=1e-12)
    np.testing.assert_allclose(found["mean"], [[0.24, 0.76]] * 2, rtol=1e-12)
    far = baselines(years, shares, [2050])["trend"]  # 0.2 + 0.02 * 50 = 1.2; 1 - 1.2 < 0
    np.testing.assert_allclose(far, [[1.0, 0.0]], atol=1e-15)
    with pytest.raises(DynamicsError, match="at least two observed years"):
        baselines(years[:1], shares[:1], [2006])


def test_every_baseline_and_the_skill_are_reported(europe):
    scores = europe.as_shipped
    assert scores.predictors == ("model", "model without events", *BASELINES)
    best = min(BASELINES, key=scores.errors.get)
    assert scores.best_baseline == best
    assert scores.skill == pytest.approx(1 - scores.errors["model"] / scores.errors[best])
    for name in scores.predictors:
        low, high = scores.intervals[name]
        assert low <= scores.errors[name] <= high
    assert scores.skill_interval[0] <= scores.skill <= scores.skill_interval[1]
    assert europe.rolling is not None and europe.origins[0] == 1874
    assert europe.rolling.predictions == sum(
        min(10, 1913 - o) for o in europe.origins)


def test_a_forecast_reads_nothing_after_its_origin(monkeypatch):
    """Spending and capabilities after 1890 trebled in the record: the scenario recalibrated
    at 1890 is the same to the last bit."""
    scenario = load_scenario("europe-1870")
    before = recalibrated(scenario, 1890)
    table = history._cow()
    changed = {key: ({**row, **{v: str(3 * float(row[v])) for v in
                                ("milex", *history.CAPABILITY) if float(row[v]) >= 0}}
                     if key[1] > 1890 else row) for key, row in table.items()}
    monkeypatch.setattr(history, "_cow", lambda: changed)
    after = recalibrated(scenario, 1890)
    assert after.parameters == before.parameters and after.initial == before.initial
    assert [e.name for e in after.events] == ["Dual Alliance", "Triple Alliance"]


def test_a_late_entrant_is_forecast_only_once_it_is_known():
    """West Germany enters the Cold War scenario in 1955: the default origins begin once
    its own calibration window has closed; an origin before its entry is refused."""
    scenario = load_scenario("cold-war-1949")
    found = evaluate(scenario, until=1990, resamples=100)
    assert found.origins[0] >= 1959 and found.as_shipped.years[-1] == 1990
    with pytest.raises(DynamicsError, match="first armed in 1955"):
        evaluate(scenario, origins=[1953], resamples=100)


def test_bad_input_is_named_before_the_work():
    with pytest.raises(ScenarioError, match="no \\[history\\] table"):
        evaluate(load_scenario("hegemonic-rise"))
    scenario = load_scenario("europe-1870")
    with pytest.raises(ParameterValueError, match="until must lie after"):
        evaluate(scenario, until=1872)
    with pytest.raises(ParameterValueError, match="horizon must be a whole number"):
        evaluate(scenario, horizon=0)
    with pytest.raises(ParameterValueError, match="origin 1860"):
        evaluate(scenario, origins=[1860])


def test_the_command_line_prints_every_baseline(capsys, tmp_path):
    assert main(["evaluate", "europe-1870", "--resamples", "100", "--json",
                 "--csv", str(tmp_path / "scores.csv")]) == 0
    out = capsys.readouterr().out
    record = json.loads(out[:out.rindex("}") + 1])
    assert set(record["as_shipped"]["errors"]) == {"model", "model without events",
                                                  *BASELINES}
    assert set(record["rolling"]["errors"]) == {"model", *BASELINES}
    rows = list(csv.DictReader((tmp_path / "scores.csv").open()))
    assert {r["evaluation"] for r in rows} == {"as shipped", "rolling origin"}
    assert main(["evaluate", "europe-1870", "--origins", "18x0"]) == 2
    assert "--origins expects years" in capsys.readouterr().err


def test_the_readme_and_the_docs_page_carry_the_evaluation_computed_now():
    """Every error, skill and verdict in the README and docs/forecast-evaluation.md, and the
    sentence that no scenario claims skill where none is found, are the evaluation's now."""
    from pathlib import Path

    from dynamics.docgen.reference import evaluation_markdown, history_markdown

    root = Path(__file__).resolve().parent.parent
    block = evaluation_markdown()
    assert block in (root / "README.md").read_text()
    assert block in (root / "docs" / "forecast-evaluation.md").read_text()
    assert history_markdown() in (root / "README.md").read_text()


def test_no_historical_scenario_claims_the_fit_the_evaluation_does_not_support():
    """The weak claim (closer to the record than the first year held) is gone from every
    file; a historical scenario claims only what its runs show."""
    from dynamics.scenarios import list_scenarios

    for name in list_scenarios():
        scenario = load_scenario(name)
        assert all(claim.test != "beats_persistence" for claim in scenario.claims), name


def test_a_break_is_fitted_only_on_the_years_the_origin_knows():
    """Out of sample, the output and growth the collapse sets come from the years 1991 to
    the origin (recomputed here by a line through Russia's capability index), never from
    the later record; with one year after the break known, the change of output waits."""
    from dynamics.calibration.evaluation import recalibrated
    from dynamics.calibration.history import capability_index

    scenario = load_scenario("cold-war-1949-economic-collapse")
    found = recalibrated(scenario, 1996)
    collapse = next(e for e in found.events if e.name == "Soviet collapse")
    years, index = capability_index(scenario)
    kept = (years >= 1991) & (years <= 1996)
    slope = np.polyfit(years[kept], np.log(index[kept, scenario.states.index("RUS")]), 1)[0]
    assert collapse.set["growth.RUS"] == pytest.approx(slope, rel=1e-9)
    assert collapse.set["growth.RUS"] != pytest.approx(
        next(e for e in scenario.events if e.name == "Soviet collapse").set["growth.RUS"])
    early = next(e for e in recalibrated(scenario, 1991).events if e.name == "Soviet collapse")
    assert "e.RUS" not in early.set and "growth.RUS" not in early.set
    assert "proximity.GMY.RUS" in early.set  # the withdrawal still happens
