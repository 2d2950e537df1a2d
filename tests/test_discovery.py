"""Exploratory modelling: PRIM and CART against a known box, Sobol indices (first, total,
second order) and their convergence against the Ishigami function's analytic values, the
given-data methods, and checkpoints that refuse another sweep naming what differs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynamics.cli import main
from dynamics.errors import DynamicsError, ParameterValueError
from dynamics.run.interventions import Intervention
from dynamics.run.solver import Solver
from dynamics.scenarios import load_scenario
from dynamics.studies.discovery import discover_of, parse_outcome
from dynamics.studies.sensitivity import (
    Problem,
    convergence,
    convergence_of,
    given_data,
    latin_hypercube,
    sobol,
    sobol_of,
    sweep_indices,
)
from dynamics.studies.sweep import sweep

# --- Ishigami (a = 7, b = 0.1) on [-pi, pi]^3, its indices derived analytically ---------
A, B = 7.0, 0.1
_V1 = 0.5 * (1 + B * np.pi ** 4 / 5) ** 2
_V2 = A ** 2 / 8
_V13 = 8 * B ** 2 * np.pi ** 8 / 225
_V = _V1 + _V2 + _V13
FIRST = np.array([_V1 / _V, _V2 / _V, 0.0])
TOTAL = np.array([(_V1 + _V13) / _V, _V2 / _V, _V13 / _V])
SECOND = {(0, 1): 0.0, (0, 2): _V13 / _V, (1, 2): 0.0}
ISHIGAMI = Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[0]) + A * np.sin(x[1]) ** 2 + B * x[2] ** 4 * np.sin(x[0])


def test_the_analytic_ishigami_indices_are_the_published_ones():
    """Ishigami and Homma (1990): S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)."""
    np.testing.assert_allclose(FIRST, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(TOTAL, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_second_order_sobol_indices_of_the_ishigami_function_within_0_02():
    indices = sobol_of(ishigami, ISHIGAMI, n=2 ** 13, seed=1, resamples=100,
                       second_order=True)
    assert indices.evaluations == 2 ** 13 * (2 * 3 + 2)
    np.testing.assert_allclose(indices.first, FIRST, atol=0.02)
    np.testing.assert_allclose(indices.total, TOTAL, atol=0.02)
    assert indices.second is not None
    for (i, j), value in SECOND.items():
        assert indices.second[i, j] == pytest.approx(value, abs=0.02), (i, j)
    rows = indices.second_rows()
    assert [(r["input"], r["with"]) for r in rows] == [("x1", "x2"), ("x1", "x3"),
                                                        ("x2", "x3")]
    assert all(r["second_low"] <= r["second"] <= r["second_high"] for r in rows)
    frame = indices.to_xarray()
    assert float(frame["second"].sel(input="x1", **{"with": "x3"})) == pytest.approx(
        indices.second[0, 2])


def test_convergence_of_the_ishigami_indices_from_nested_subsamples():
    """The indices at the largest size are the full design's, within 0.02 of the truth,
    and each smaller size is the leading part of the same design (no run repeated)."""
    found = convergence_of(ishigami, ISHIGAMI, n=2 ** 12, seed=2, resamples=0, smallest=64)
    assert list(found.sizes) == [64, 128, 256, 512, 1024, 2048, 4096]
    np.testing.assert_allclose(found.first[-1], FIRST, atol=0.02)
    np.testing.assert_allclose(found.total[-1], TOTAL, atol=0.02)
    whole = sobol_of(ishigami, ISHIGAMI, n=2 ** 12, seed=2, resamples=0)
    np.testing.assert_allclose(found.first[-1], whole.first, rtol=1e-12)
    half = convergence_of(ishigami, ISHIGAMI, n=2 ** 11, seed=2, resamples=0, smallest=64)
    np.testing.assert_allclose(found.first[:-1], half.first, rtol=1e-12)
    errors = np.abs(found.total - TOTAL).max(axis=1)
    assert errors[-1] < errors[0]  # more samples, closer to the truth
    assert len(found.to_dataframe()) == 7 * 3
    assert found.to_xarray()["total"].shape == (7, 3)
    with pytest.raises(ParameterValueError, match="power of two"):
        convergence_of(ishigami, ISHIGAMI, n=256, smallest=48)


@pytest.mark.parametrize("method, statistic, tolerance", [
    ("rbd-fast", "S1", 0.04), pytest.param("delta", "S1", 0.04, marks=pytest.mark.slow)])
def test_given_data_first_order_indices_of_the_ishigami_function(method, statistic,
                                                                  tolerance):
    design = latin_hypercube(ISHIGAMI, 4096, seed=5)
    found = given_data(ISHIGAMI, design, ishigami(design.T), method, seed=5)
    np.testing.assert_allclose(found.values[statistic], FIRST, atol=tolerance)
    assert found.evaluations == 4096 and len(found.to_dataframe()) == 3


def test_pawn_ranks_the_ishigami_inputs_and_refuses_failed_values():
    design = latin_hypercube(ISHIGAMI, 2048, seed=6)
    values = ishigami(design.T)
    found = given_data(ISHIGAMI, design, values, "pawn", seed=6)
    median = found.values["median"]
    assert median[1] > median[0] > median[2]  # x2 matters most on its own, x3 least
    values[3] = np.nan
    with pytest.raises(DynamicsError, match="1 of 2048 values are not finite"):
        given_data(ISHIGAMI, design, values, "pawn")
    with pytest.raises(DynamicsError, match="unknown given-data method"):
        given_data(ISHIGAMI, design, values, "fourier")


def test_prim_recovers_a_known_box_and_cart_agrees_on_the_first_split():
    """y = 1 in 0.3 < a < 0.8 and b > 0.5 (c irrelevant): each bound within 0.05, coverage
    and density within 0.05 of the truth (1 and 1), CART's first split on a bound."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, (3000, 3))
    y = (x[:, 0] > 0.3) & (x[:, 0] < 0.8) & (x[:, 1] > 0.5)
    problem = Problem(("a", "b", "c"), ((0.0, 1.0),) * 3)
    found = discover_of(problem, x, y)
    box = {r.input: (r.low, r.high) for r in found.restrictions}
    assert set(box) == {"a", "b"}
    assert box["a"] == pytest.approx((0.3, 0.8), abs=0.05)
    assert box["b"] == pytest.approx((0.5, 1.0), abs=0.05)
    # the box's coverage and density, recounted here from the members
    inside = np.all([(x[:, k] >= found.box[n][0]) & (x[:, k] <= found.box[n][1])
                     for k, n in enumerate(problem.names)], axis=0)
    assert inside[y].mean() == pytest.approx(found.coverage, abs=1e-12)
    assert y[inside].mean() == pytest.approx(found.density, abs=1e-12)
    assert found.coverage == pytest.approx(1.0, abs=0.05)
    assert found.density == pytest.approx(1.0, abs=0.05)
    assert all(r.p_low < 1e-6 or not np.isfinite(r.p_low) for r in found.restrictions)
    name, threshold = found.first_split
    assert name in box and min(abs(threshold - b) for b in box[name]) < 0.05
    wider = found.select(1)
    assert wider.chosen == 1 and wider.coverage >= found.coverage
    assert len(found.trajectory_frame()) == len(found.limits)


def test_an_outcome_reads_metric_comparison_number():
    name, test, text = parse_outcome("peak_share > 0.5")
    assert name == "peak_share" and text == "peak_share > 0.5"
    assert list(test(np.array([0.4, 0.6]))) == [False, True]
    with pytest.raises(ParameterValueError, match="METRIC > NUMBER"):
        parse_outcome("peak_share >= 0.5 or so")
    with pytest.raises(DynamicsError, match="did you mean 'peak_share'"):
        parse_outcome("peak_shar > 0.5")


def test_discovery_on_a_shipped_scenario_from_the_command_line(tmp_path, capsys):
    """Where external balancing fails: the box restricts the Riser's grievance from below,
    and CART's first split is on it too."""
    code = main(["discover", "external-balancing", "--param", "grievance.Riser=0.006:0.018",
                 "--param", "alliance_formation=1:10", "--param", "coercion=0.02:0.06",
                 "--outcome", "peak_share > 0.5", "--n", "400", "--json",
                 "--plot", str(tmp_path / "box.png")])
    assert code == 0
    out = capsys.readouterr().out
    record = json.loads(out[:out.rindex("}") + 1])
    assert record["box"]["grievance.Riser"][0] > 0.006
    assert record["cart_first_split"][0] == "grievance.Riser"
    assert 0 < record["cases"] < record["members"] == 400
    assert (tmp_path / "box.png").stat().st_size > 10_000
    assert main(["discover", "external-balancing", "--param", "coercion=0.02:0.06",
                 "--outcome", "peak_share > 2", "--n", "16"]) == 2
    assert "holds in 0 of 16 members" in capsys.readouterr().err


def test_sobol_takes_its_resamples_and_second_order_from_the_api_and_the_cli(tmp_path):
    scenario = load_scenario("hegemonic-rise")
    problem = Problem(("coercion", "growth.Riser"), ((0.02, 0.06), (0.03, 0.07)))
    none = sobol(scenario, problem, "peak_share", n=16, resamples=0)
    assert np.isnan(none.first_interval).all()
    some = sobol(scenario, problem, "peak_share", n=16, resamples=50)
    assert np.isfinite(some.first_interval).all()
    out = tmp_path / "second.json"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0.02:0.06",
                 "--param", "growth.Riser=0.03:0.07", "--metric", "peak_share", "--n", "16",
                 "--second-order", "--resamples", "20", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["evaluations"] == 16 * 6 and len(record["second"]) == 2


def test_convergence_and_given_data_of_a_scenario_from_the_cli(tmp_path):
    scenario = load_scenario("hegemonic-rise")
    problem = Problem(("coercion", "growth.Riser"), ((0.02, 0.06), (0.03, 0.07)))
    found = convergence(scenario, problem, "peak_share", n=64, resamples=0, smallest=16)
    assert list(found.sizes) == [16, 32, 64] and np.isfinite(found.total).all()
    figure = tmp_path / "convergence.png"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0.02:0.06",
                 "--param", "growth.Riser=0.03:0.07", "--metric", "peak_share", "--n", "32",
                 "--convergence", "--resamples", "0", "--plot", str(figure)]) == 0
    assert figure.stat().st_size > 10_000
    swept = tmp_path / "sweep.csv"
    assert main(["sweep", "hegemonic-rise", "--param", "coercion=0.02:0.06:8",
                 "--param", "growth.Riser=0.03:0.07:8", "--metric", "peak_share",
                 "--out", str(swept)]) == 0
    delta = tmp_path / "delta.json"
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0.02:0.06",
                 "--metric", "peak_share", "--method", "delta", "--from", str(swept),
                 "--out", str(delta)]) == 0
    assert json.loads(delta.read_text())["names"] == ["coercion", "growth.Riser"]
    assert main(["sensitivity", "hegemonic-rise", "--param", "coercion=0.02:0.06",
                 "--param", "growth.Riser=0.03:0.07", "--metric", "peak_share", "--n", "64",
                 "--method", "rbd-fast"]) == 0
    result = sweep(scenario, problem, latin_hypercube(problem, 64), ["peak_share"])
    assert sweep_indices(result, "peak_share", "rbd-fast").names == problem.names


# --- checkpoints: everything that determines results is in the fingerprint -------------
SCENARIO = load_scenario("richardson-stable")
PROBLEM = Problem(("reaction",), ((0.05, 0.2),))
DESIGN = np.linspace(0.05, 0.2, 4)[:, None]
VARIANTS = {
    "parameters": lambda s: (s.with_values({"fatigue": 0.31}), {}),
    "mechanisms": lambda s: (s.with_values(mechanisms=["richardson", "perception"]), {}),
    "initial values": lambda s: (s.with_values(initial={"m": [0.011, 0.02]}), {}),
    "time span": lambda s: (s.with_values(t_span=(0.0, 41.0)), {}),
    "output times": lambda s: (s.with_values(output=41), {}),
    "solver settings": lambda s: (s.with_values(solver=Solver(rtol=1e-7)), {}),
    "interventions": lambda s: (s.with_values(events=(Intervention("x", at=5.0,
                                                                   scale={"fatigue": 1.1}),)),
                                {}),
    "design": lambda s: (s, {"design": DESIGN * 1.01}),
    "metrics": lambda s: (s, {"metrics": ["escalation_rate"]}),
    "chunk size": lambda s: (s, {"chunk": 1}),
    "options": lambda s: (s, {"options": {"output": 11}}),
}


@pytest.mark.parametrize("field", sorted(VARIANTS))
def test_a_checkpoint_of_another_sweep_is_refused_naming_what_differs(field, tmp_path):
    path = tmp_path / "sweep.npz"
    sweep(SCENARIO, PROBLEM, DESIGN, ["peak_share"], chunk=2, checkpoint=path)
    scenario, changes = VARIANTS[field](SCENARIO)
    with pytest.raises(DynamicsError) as error:
        sweep(scenario, PROBLEM, changes.get("design", DESIGN),
              changes.get("metrics", ["peak_share"]), chunk=changes.get("chunk", 2),
              checkpoint=path, **changes.get("options", {}))
    message = str(error.value)
    assert f"its {field} differ" in message and "\n" not in message
    # the same sweep resumes (nothing to do: every chunk is done)
    again = sweep(SCENARIO, PROBLEM, DESIGN, ["peak_share"], chunk=2, checkpoint=path)
    assert np.isfinite(again.metrics["peak_share"]).all()
