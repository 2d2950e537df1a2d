"""Ensembles: the compiled kernel against independent per-member integration, and the
path without numba (scipy per member)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from dynamics import Model, Status, simulate
from dynamics.model.parts import EPSILON, GUARD
from dynamics.model.values import resolve_initial, resolve_parameters
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.kernel import build as kernel
from dynamics.run.solver import Solver

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="the kernel needs numba")

T = np.linspace(0.0, 40.0, 41)


@functools.cache
def _symbolic_rate(model):
    """The model's symbolic rates as one numpy function of (y, inputs), by sympy."""
    y = [s.symbol for s in model.variables]
    inputs = [s.symbol for s in model.parameters] + [s.symbol for s in model.held]
    rates = [r.subs(EPSILON, GUARD) for r in model.rates]
    return sp.lambdify([y, inputs], rates, modules="numpy", cse=True)


def reference(model, params, member, initial=None):
    """Member ``member`` integrated on its own by LSODA at rtol 1e-11, from the model's
    symbolic rates (sympy's lambdify), not the generated code the ensemble runs."""
    one = {k: (np.asarray(v)[member] if np.ndim(v) == 2 or np.size(v) == MEMBERS else v)
           for k, v in params.items()}
    values = resolve_parameters(model, one)
    start = resolve_initial(model, initial)
    inputs = [float(values[s.name][s.index]) for s in model.parameters] + [
        float(start[s.name][s.index]) for s in model.held]
    # perceived intentions start at their reading, perceived threat at the actual threat
    # (which reads the intentions): each from the model's own symbolic expressions
    symbols = [[s.symbol for s in model.variables], [s.symbol for s in model.parameters]
               + [s.symbol for s in model.held]]
    for name, quantity in (("pi", "reading"), ("theta", "total_threat")):
        if model.is_dynamic(name) and name not in start:
            exprs = [model.expression(quantity, i).subs(EPSILON, GUARD)
                     for i in range(model.N)]
            known = [float(start[s.name][s.index]) if s.name in start else 0.0
                     for s in model.variables]
            start[name] = np.asarray(sp.lambdify(symbols, exprs)(known, inputs), dtype=float)
    y0 = [float(start[s.name][s.index]) for s in model.variables]
    function = _symbolic_rate(model)
    sol = solve_ivp(lambda t, yy: np.asarray(function(yy, inputs), dtype=float),
                    (T[0], T[-1]), y0, method="LSODA", t_eval=T, rtol=1e-11, atol=1e-14)
    return sol.y.T


MEMBERS = 24


def scaled_deviation(a, b):
    """max |a - b| relative to each variable's largest magnitude over the trajectory."""
    return float(np.max(np.abs(a - b) / (np.max(np.abs(b), axis=0) + 1e-12)))


@needs_numba
def test_kernel_matches_independent_integration_including_stiff_members():
    """All mechanisms, N = 3, 24 members (two stiff: perception delay 1e-3 yr): every
    member's trajectory within 1e-6 of LSODA at rtol 1e-11, stiff ones via Radau."""
    model = Model(["A", "B", "C"])
    rng = np.random.default_rng(3)
    params = {"reaction": rng.uniform(0.05, 0.6, (MEMBERS, 3)),
              "fatigue": rng.uniform(0.1, 0.4, (MEMBERS, 3)),
              "perception_delay": np.where(np.arange(MEMBERS) % 12 == 5, 1e-3, 1.0)}
    result = simulate_ensemble(model, params, (0.0, 40.0), output=T,
                               solver=Solver(rtol=1e-9, atol=1e-12, max_steps=5_000))
    assert result.engine == "kernel" and all(s is Status.SUCCESS for s in result.status)
    stiff = [i for i, m in enumerate(result.messages) if "stiff" in m]
    assert stiff == [5, 17]
    for i in range(MEMBERS):
        ours = np.column_stack([result.values[s.name][(i, slice(None), *s.index)]
                                for s in model.variables])
        assert scaled_deviation(ours, reference(model, params, i)) < 1e-6, i


def test_diverging_members_are_recorded_and_match_until_they_stop():
    """Richardson's model, 24 members of which those with k > alpha run away."""
    model = Model(["A", "B"], "richardson")
    rng = np.random.default_rng(8)
    k = rng.uniform(0.05, 0.9, MEMBERS)
    params = {"reaction": k[:, None], "fatigue": 0.3, "grievance": 0.01, "distinguishability": 0.0,
              "power_weight": 0.0}
    result = simulate_ensemble(model, params, (0.0, 40.0), output=T,
                               solver=Solver(rtol=1e-9, atol=1e-12))
    diverged = np.array([s is Status.DIVERGED for s in result.status])
    assert diverged.any() and not diverged.all()
    for i in range(MEMBERS):
        ours = result.values["m"][i]
        ok = np.isfinite(ours).all(axis=1)
        ref = reference(model, params, i)[: ok.sum()]
        assert scaled_deviation(ours[ok], ref) < 1e-6
        # only a race with k > alpha can run away; a fast one (e^(40 (k - alpha)) >> 1e6) must
        growth = k[i] - 0.3
        assert (not diverged[i] or growth > 0) and (diverged[i] or growth < 0.4)


def test_invalid_member_fails_alone():
    model = Model(["A", "B"], ["ceiling"])
    fatigue = np.full((10, 1), 0.2)
    fatigue[4] = np.nan
    result = simulate_ensemble(model, {"fatigue": fatigue}, (0.0, 10.0), output=11)
    assert result.status[4] is Status.FAILED and "fatigue" in result.messages[4]
    assert np.isnan(result.values["m"][4]).all()
    assert all(result.status[i] is Status.SUCCESS for i in range(10) if i != 4)


@needs_numba
def test_member_equals_a_single_simulation_and_loop_equals_kernel():
    model = Model(["A", "B", "C"], ["ceiling", "economy"])
    growth = np.linspace(0.01, 0.06, 6)
    kernel = simulate_ensemble(model, {"growth": growth[:, None]}, (0.0, 40.0), output=T,
                               solver=Solver(rtol=1e-9, atol=1e-12))
    loop = simulate_ensemble(model, {"growth": growth[:, None]}, (0.0, 40.0), output=T,
                             solver=Solver(rtol=1e-9, atol=1e-12, engine="scipy"))
    for i in range(6):
        single = simulate(model, {"growth": growth[i]}, (0.0, 40.0), output=T,
                          solver="LSODA")
        member = kernel.member(i)
        assert scaled_deviation(member["m"], single["m"]) < 1e-6
        assert scaled_deviation(loop.values["e"][i], kernel.values["e"][i]) < 1e-6


def test_without_numba_ensembles_run_on_scipy_and_agree(monkeypatch):
    """With numba absent, engine "auto" runs each member with scipy and gives the same
    trajectories (to 1e-6 of scale) as a single run; asking for the kernel says what to
    install."""
    model = Model(["A", "B", "C"], ["ceiling", "economy"])
    growth = np.linspace(0.01, 0.06, 4)
    monkeypatch.setattr(kernel, "AVAILABLE", False)
    runs = simulate_ensemble(model, {"growth": growth[:, None]}, (0.0, 40.0), output=T,
                             solver=Solver(rtol=1e-9, atol=1e-12))
    assert runs.engine == "scipy"
    for i in range(4):
        single = simulate(model, {"growth": growth[i]}, (0.0, 40.0), output=T,
                          solver=Solver(rtol=1e-9, atol=1e-12))
        assert scaled_deviation(runs.member(i)["e"], single["e"]) < 1e-6
    with pytest.raises(ImportError, match="pip install 'balancing-dynamics\\[fast\\]'"):
        simulate_ensemble(model, {"growth": growth[:, None]}, (0.0, 40.0), output=T,
                          solver=Solver(engine="kernel"))


def test_unknown_name_is_reported_with_a_suggestion():
    from dynamics import UnknownNameError

    with pytest.raises(UnknownNameError, match="did you mean 'growth'"):
        simulate_ensemble(Model(["A", "B"], ["economy"]), {"growht": np.ones((3, 1))})


def test_ensemble_writes_netcdf_that_xarray_reads_back(tmp_path):
    """Every variable, status and message survive a netCDF round trip exactly; the
    provenance travels as an attribute."""
    xr = pytest.importorskip("xarray")
    import json

    from dynamics.scenarios import load_scenario
    from dynamics.studies.sensitivity import Problem, run_design

    scenario = load_scenario("security-dilemma").with_values(output=11)
    problem = Problem(("distinguishability", "reaction"), ((0.0, 1.0), (-1.0, 9.0)))
    design = np.array([[0.2, 0.5], [0.9, 0.8], [0.5, -0.5]])  # the last: reaction < 0
    ensemble = run_design(scenario, problem, design)
    path = ensemble.to_netcdf(tmp_path / "ensemble.nc")
    with xr.open_dataset(path) as data:
        for name, array in ensemble.values.items():
            np.testing.assert_array_equal(data[name].values, array)
        assert list(data["status"].values) == ["success", "success", "failed"]
        assert "outside its bounds" in str(data["message"].values[2])
        assert list(data["state"].values) == list(scenario.states)
        provenance = json.loads(data.attrs["provenance"])
        assert provenance["members"] == 3 and provenance["parameters"]["fatigue"]
        np.testing.assert_array_equal(data["parameter_distinguishability"], design[:, 0])
        assert data["parameter_reaction"].dims == ("member", "state")
    assert ensemble.member(1).provenance["parameters"]["distinguishability"] == 0.9


def test_ensemble_tidy_dataframe_has_one_row_per_member_time_and_series():
    pytest.importorskip("pandas")
    model = Model(["A", "B", "C"])
    runs = simulate_ensemble(model, {"growth": np.array([[0.01], [0.03]])}, (0.0, 10.0),
                             output=6)
    frame = runs.to_dataframe(["m", "c"])
    assert len(frame) == 2 * 6 * 3 + 2 * 6 * 3  # m per state, c per pair (3 pairs)
    row = frame[(frame.member == 1) & (frame.variable == "m") & (frame.state == "B")]
    np.testing.assert_array_equal(row["value"], runs.values["m"][1, :, 1])
    pairs = frame[frame.variable == "c"]
    assert set(zip(pairs.state, pairs.partner, strict=True)) == {("A", "B"), ("A", "C"),
                                                                 ("B", "C")}


def test_an_ensemble_and_its_members_pickle_with_their_values():
    """Values are built lazily by closures; a pickled copy (sent to or from a worker
    process) carries them computed."""
    import pickle

    runs = simulate_ensemble(Model(["A", "B"]), {"growth": np.array([[0.01], [0.02]])},
                             (0.0, 5.0), output=3)
    copy = pickle.loads(pickle.dumps(runs))
    for name in runs.values:
        np.testing.assert_array_equal(copy.values[name], runs.values[name])
    member = pickle.loads(pickle.dumps(runs.member(1)))
    np.testing.assert_array_equal(member["m", "A"], runs.values["m"][1, :, 0])


@needs_numba
def test_stiff_members_are_integrated_inside_the_kernel_and_agree_with_radau():
    """Fast perception (delays 1e-4 to 1e-2 yr) makes RK45 exhaust its budget; the kernel's
    implicit Rosenbrock method then integrates the member, within 1e-6 of scipy's Radau at
    rtol 1e-10 (scaled by each variable's largest magnitude)."""
    from scipy.integrate import solve_ivp

    from dynamics.run.prepared import prepare

    model = Model(["A", "B", "C"])
    members = 6
    rng = np.random.default_rng(11)
    params = {"reaction": rng.uniform(0.05, 0.6, (members, 3)),
              "fatigue": rng.uniform(0.1, 0.4, (members, 3)),
              "perception_delay": np.geomspace(1e-4, 1e-2, members)}
    t_out = np.linspace(0.0, 20.0, 21)
    result = simulate_ensemble(model, params, (0.0, 20.0), output=t_out,
                               solver=Solver(rtol=1e-8, atol=1e-11, max_steps=2_000))
    implicit = [i for i, m in enumerate(result.messages) if "implicit Rosenbrock" in m]
    assert len(implicit) >= 4 and all(s is Status.SUCCESS for s in result.status)
    run = prepare(model, params, None)
    compiled, y0, p = run.compiled, run.y0, run.p
    y0 = np.broadcast_to(y0, (members, y0.shape[-1]))
    for i in implicit:
        sol = solve_ivp(lambda t, y, i=i: compiled.rate(t, y, p[i]), (0.0, 20.0), y0[i],
                        method="Radau", jac=lambda t, y, i=i: compiled.jacobian(t, y, p[i]),
                        rtol=1e-10, atol=1e-13, t_eval=t_out)
        ours = np.column_stack([result.values[s.name][(i, slice(None), *s.index)]
                                for s in model.variables])
        assert scaled_deviation(ours, sol.y.T) < 1e-6, i


@needs_numba
def test_the_compiled_rate_for_scipys_reruns_is_the_models_rate():
    """``kernel.with_compiled_rate``, with which scipy's Radau re-runs the members the kernel
    leaves to it, evaluates the same rate as the model's numpy code (to rounding), at
    random states of every variable."""
    from dynamics.run.kernel import build as kernel
    from dynamics.run.prepared import prepare

    model = Model(["A", "B", "C"])
    run = prepare(model, {}, None)
    compiled, y0, p = run.compiled, run.y0, run.p
    y0, p = np.atleast_2d(y0)[0], np.atleast_2d(p)[0]
    fast = kernel.with_compiled_rate(compiled)
    rng = np.random.default_rng(4)
    for _ in range(5):
        y = y0 * rng.uniform(0.5, 1.5, y0.size)
        expected = compiled.rate(0.0, y, p)
        np.testing.assert_allclose(fast.rate(0.0, y, p), expected, rtol=1e-12,
                                   atol=1e-12 * np.max(np.abs(expected)))
    assert fast.jacobian is compiled.jacobian and fast.source == compiled.source


def test_ensemble_csv_is_the_tidy_table_exactly_without_pandas(tmp_path):
    """The CSV holds every member's every value once (cohesion once per pair), floats
    exact, NaN after a member's stop, in the rows of to_dataframe."""
    import csv

    model = Model(["A", "B", "C"])
    runs = simulate_ensemble(model, {"growth": np.array([[0.01], [0.03]])}, (0.0, 10.0),
                             output=6)
    path = runs.to_csv(tmp_path / "ensemble.csv")
    rows = list(csv.DictReader(path.open()))
    per_state = [name for name, array in runs.values.items() if array.ndim == 3]
    assert len(rows) == 2 * 6 * (3 * len(per_state) + 3)
    for row in rows:
        member, k = int(row["member"]), list(runs.t).index(float(row["time"]))
        array = runs.values[row["variable"]][member, k]
        i = runs.states.index(row["state"])
        value = array[i, runs.states.index(row["partner"])] if row["partner"] else array[i]
        assert float(row["value"]) == value or (np.isnan(value) and row["value"] == "nan")
    pd = pytest.importorskip("pandas")
    frame = runs.to_dataframe()
    assert len(frame) == len(rows)
    assert pd.read_csv(path)["value"].sum() == pytest.approx(frame["value"].sum(), rel=1e-15)
