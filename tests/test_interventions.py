"""Interventions against closed forms: dated steps, ramps and state changes in Richardson's
linear system, triggered ones at the analytic crossing time; the kernel against single
runs; the null intervention; bad interventions as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import closed_form, richardson_parameters
from scipy.linalg import expm

from dynamics import Model, Solver, Status, simulate
from dynamics.cli import main
from dynamics.errors import DynamicsError, ScenarioError
from dynamics.results.labelled import load
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.interventions import Intervention, InterventionError, parse_event
from dynamics.run.kernel import build as kernel
from dynamics.scenarios import load_scenario, parse_scenario
from dynamics.studies.counterfactual import compare
from dynamics.studies.design import Problem, run_design
from dynamics.studies.sensitivity import morris, sobol

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="the kernel needs numba")

TIGHT = Solver(method="LSODA", rtol=1e-12, atol=1e-14)
T = np.linspace(0.0, 30.0, 61)
#: Richardson's symmetric pair: x' = -a x + g with a = fatigue - reaction = 0.2, x* = 0.05
PAIR = {"reaction": 0.1, "fatigue": 0.3, "grievance": 0.01, "distinguishability": 0.0,
        "power_weight": 0.0}


def _system(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """M = K - A and the constant input b = g e (e = 1) of Richardson's system."""
    n = len(params["reaction"])
    matrix = params["reaction"][:, None] * params["proximity"] - np.diag(params["fatigue"])
    return matrix, params["grievance"] * np.ones(n)


def _relative(ours: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(ours - exact) / np.max(np.abs(exact), axis=1, keepdims=True)))


@pytest.mark.parametrize("seed", range(3))
def test_dated_step_reproduces_the_piecewise_closed_form_to_1e_7(seed):
    """A grievance step for one state at t_s and a cut of another's spending at t_c: the
    solution is the closed form from x0, then from x(t_s) with the new inputs, then from
    the cut state (relative error 1e-7 over every output time)."""
    rng = np.random.default_rng(seed)
    n = 3
    params = richardson_parameters(rng, n, stable=True)
    model = Model([f"S{i}" for i in range(n)], "richardson")
    m0 = rng.uniform(0.1, 1.0, n)
    step, cut = 8.0, 17.0
    events = [Intervention("step", at=step, set={"grievance.S1": 0.3}),
              Intervention("cut", at=cut, scale={"m.S2": 0.5})]
    result = simulate(model, params, (0.0, 30.0), initial={"m": m0}, output=T,
                      solver=TIGHT, interventions=events)
    assert result.ok and [e["name"] for e in result.events] == ["step", "cut"]
    changed = dict(params, grievance=params["grievance"].copy())
    changed["grievance"][1] = 0.3
    exact = np.empty((T.size, n))
    first = T < step
    exact[first] = closed_form(params, m0, T[first], np.ones(n))
    at_step = closed_form(params, m0, np.array([step]), np.ones(n))[0]
    second = (T >= step) & (T < cut)
    exact[second] = closed_form(changed, at_step, T[second] - step, np.ones(n))
    at_cut = closed_form(changed, at_step, np.array([cut - step]), np.ones(n))[0]
    at_cut[2] *= 0.5
    exact[T >= cut] = closed_form(changed, at_cut, T[T >= cut] - cut, np.ones(n))
    assert _relative(result["m"], exact) < 1e-7


def test_ramp_reproduces_the_closed_form_of_a_linear_input_to_1e_7():
    """Every grievance ramped linearly from g to 3 g over 6 years from t = 5:
    x' = M x + b0 + b1 tau on the ramp, whose solution is x_p(tau) + exp(M tau)(x(0) -
    x_p(0)) with x_p = -M^-1 (b0 + b1 tau) - M^-2 b1; constant after."""
    rng = np.random.default_rng(7)
    n = 3
    params = richardson_parameters(rng, n, stable=True)
    params["grievance"] = np.abs(params["grievance"]) + 0.01
    model = Model([f"S{i}" for i in range(n)], "richardson")
    m0 = rng.uniform(0.1, 1.0, n)
    start, duration = 5.0, 6.0
    result = simulate(model, params, (0.0, 30.0), initial={"m": m0}, output=T, solver=TIGHT,
                      interventions=[Intervention("ramp", at=start, scale={"grievance": 3.0},
                                                  ramp=duration)])
    matrix, b0 = _system(params)
    b1 = 2 * b0 / duration
    inverse = np.linalg.inv(matrix)

    def particular(tau):
        return -inverse @ (b0 + b1 * tau) - inverse @ inverse @ b1

    at_start = closed_form(params, m0, np.array([start]), np.ones(n))[0]
    exact = []
    for t in T:
        if t < start:
            exact.append(closed_form(params, m0, np.array([t]), np.ones(n))[0])
            continue
        tau = min(t - start, duration)
        x = particular(tau) + expm(matrix * tau) @ (at_start - particular(0.0))
        if t > start + duration:
            tripled = dict(params, grievance=3 * params["grievance"])
            x = closed_form(tripled, x, np.array([t - start - duration]), np.ones(n))[0]
        exact.append(x)
    assert _relative(result["m"], np.array(exact)) < 1e-7
    # the ramped input is reported along the run: threat is unchanged, grievance is not
    assert result.provenance["interventions"][0]["ramp"] == duration


def test_triggered_event_fires_at_the_analytic_crossing_time_to_1e_8():
    """x(t) = x* + (x0 - x*) e^(-a t) reaches 0.04 from 0.02 at t = ln 3 / a."""
    model = Model(["A", "B"], "richardson")
    crossing = np.log(3.0) / 0.2
    result = simulate(model, PAIR, (0.0, 30.0), initial={"m": [0.02, 0.02]}, output=T,
                      solver=TIGHT, interventions=[Intervention(
                          "alarm", when="m.A > 0.04", set={"grievance": 0.03})])
    assert len(result.events) == 1
    assert abs(result.events[0]["time"] - crossing) < 1e-8
    after = T >= crossing  # then x* = 0.15 from 0.04
    exact = 0.15 + (0.04 - 0.15) * np.exp(-0.2 * (T[after] - crossing))
    assert np.max(np.abs(result["m", "A"][after] - exact)) < 1e-9


def test_a_repeating_trigger_fires_each_time_its_condition_turns_true():
    """Spending reset to 0.02 whenever it passes 0.04: every ln 3 / a years."""
    model = Model(["A", "B"], "richardson")
    result = simulate(model, PAIR, (0.0, 30.0), initial={"m": [0.02, 0.02]}, output=T,
                      solver=TIGHT, interventions=[Intervention(
                          "reset", when="m.A > 0.04", set={"m": 0.02}, repeat=True)])
    period = np.log(3.0) / 0.2
    times = np.array([e["time"] for e in result.events])
    assert times.size == int(30.0 // period)
    assert np.max(np.abs(times - period * np.arange(1, times.size + 1))) < 1e-7


def test_a_trigger_fires_thousands_of_times_between_two_output_times():
    """Output only at the span's ends, so that every firing falls between two output times
    (it crashed scipy's path with a TypeError): 2,002 resets, each one period ln 3 / a
    after the last, to 1e-9 years."""
    model = Model(["A", "B"], "richardson")
    period, end = np.log(3.0) / 0.2, 11_000.0
    result = simulate(model, PAIR, (0.0, end), initial={"m": [0.02, 0.02]},
                      output=np.array([0.0, end]), solver=Solver(rtol=1e-10, atol=1e-13),
                      interventions=[Intervention("reset", when="m.A > 0.04",
                                                  set={"m": 0.02}, repeat=True)])
    times = np.array([e["time"] for e in result.events])
    assert result.ok and times.size == int(end // period) == 2002
    # each period to 1e-9 years; their sum drifts by at most 2002 such errors
    assert np.max(np.abs(np.diff(times, prepend=0.0) - period)) < 1e-9
    assert np.max(np.abs(times - period * np.arange(1, times.size + 1))) < 2002e-9
    assert np.array_equal(result.t, [0.0, end])


def test_two_opposite_triggers_on_one_parameter_alternate_at_the_analytic_times():
    """Grievance off above 0.04, on again below 0.03: m' = g - 0.2 m (A and B alike) rises
    toward g/0.2 = 0.05 and falls toward 0; from 0.035 it reaches 0.04 after ln 1.5 / 0.2,
    falls to 0.03 in ln(4/3) / 0.2 and rises again in ln 2 / 0.2."""
    model = Model(["A", "B"], "richardson")
    rate = 0.2
    first, fall, rise = np.log(1.5) / rate, np.log(4 / 3) / rate, np.log(2.0) / rate
    end = 2_000.0
    result = simulate(model, PAIR, (0.0, end), initial={"m": [0.035, 0.035]},
                      output=np.array([0.0, end]), solver=Solver(rtol=1e-10, atol=1e-13),
                      interventions=[
                          Intervention("off", when="m.A > 0.04", set={"grievance": 0.0},
                                       repeat=True),
                          Intervention("on", when="m.A < 0.03", set={"grievance": 0.01},
                                       repeat=True)])
    names = [e["name"] for e in result.events]
    times = np.array([e["time"] for e in result.events])
    k = np.arange(times.size) // 2
    expected = first + k * (fall + rise) + np.where(np.arange(times.size) % 2, fall, 0.0)
    assert result.ok and times.size > 700
    assert names == ["off", "on"] * (times.size // 2) + ["off"] * (times.size % 2)
    assert np.max(np.abs(times - expected)) < 1e-6


def test_null_intervention_equals_the_baseline_exactly():
    scenario = load_scenario("hegemonic-rise")
    base = scenario.run()
    for null in ([], [Intervention("nothing", at=20.0, scale={"reaction": 1.0})]):
        assert np.array_equal(scenario.run(interventions=null)["m"], base["m"])
        comparison = compare(scenario, null)
        assert all(row["difference"] == 0 or np.isnan(row["difference"])
                   for row in comparison.rows())


@needs_numba
def test_kernel_agrees_with_single_runs_with_dated_ramped_and_triggered_events():
    """Per-member dates, a ramp and a trigger: each kernel member within 1e-6 (scaled, as
    without interventions) of its own single LSODA run, and the trigger at the same time
    to 1e-6."""
    model = Model(["A", "B", "C"], ["ceiling", "economy", "alliances"])
    dates = np.array([4.0, 9.5, 15.0, 21.0])
    events = [Intervention("pact", at=dates, set={"c.A.B": 0.8}),
              Intervention("thaw", at=12.0, scale={"reaction": 0.5}, ramp=4.0),
              Intervention("alarm", when="share.C > 0.36", scale={"reaction.C": 2.0})]
    params = {"growth": [0.05, 0.02, 0.03]}
    solver = Solver(rtol=1e-9, atol=1e-12)
    ensemble = simulate(model, params, (0.0, 30.0), output=T, solver=solver,
                        interventions=events)
    assert ensemble.engine == "kernel" and ensemble.ok.all()
    for i, date in enumerate(dates):
        own = [Intervention("pact", at=float(date), set={"c.A.B": 0.8}), *events[1:]]
        single = simulate(model, params, (0.0, 30.0), output=T, interventions=own,
                          solver=Solver(method="LSODA", rtol=1e-11, atol=1e-13))
        member = ensemble.member(i)
        for name in ("m", "e", "c", "share", "threat"):
            scale = np.max(np.abs(single[name])) + 1e-12
            assert np.max(np.abs(member[name] - single[name])) / scale < 1e-6, (i, name)
        assert [e["name"] for e in member.events] == [e["name"] for e in single.events]
        for ours, theirs in zip(member.events, single.events, strict=True):
            assert abs(ours["time"] - theirs["time"]) < 1e-6


@needs_numba
def test_kernel_repeating_trigger_matches_the_analytic_period():
    model = Model(["A", "B"], "richardson")
    result = simulate_ensemble(model, {**PAIR, "reaction": np.full((3, 1), 0.1)}, (0.0, 30.0),
                               initial={"m": [0.02, 0.02]}, output=T,
                               solver=Solver(rtol=1e-10, atol=1e-13),
                               interventions=[Intervention("reset", when="m.A > 0.04",
                                                           set={"m": 0.02}, repeat=True)])
    assert result.engine == "kernel"
    period = np.log(3.0) / 0.2
    times = np.array([e["time"] for e in result.member(1).events])
    assert np.max(np.abs(times - period * np.arange(1, times.size + 1))) < 1e-7


@needs_numba
def test_a_member_that_fires_more_than_the_kernel_logs_keeps_its_whole_record():
    # m' = 0.1 m_B - 0.3 m_A + 0.01 from 0.02 reaches 0.04 at ln 3 / 0.2: 72 resets in 400
    # years, past the kernel's log of LOGGED; the ensemble re-runs those members (scipy)
    from dynamics.run.kernel import build as kernel

    model = Model(["A", "B"], "richardson")
    period = np.log(3.0) / 0.2
    result = simulate_ensemble(model, {**PAIR, "reaction": np.full((2, 1), 0.1)},
                               (0.0, 400.0), initial={"m": [0.02, 0.02]},
                               output=np.linspace(0.0, 400.0, 81),
                               solver=Solver(rtol=1e-10, atol=1e-13),
                               interventions=[Intervention("reset", when="m.A > 0.04",
                                                           set={"m": 0.02}, repeat=True)])
    assert int(400.0 / period) == 72 > kernel.LOGGED
    for i in range(2):
        times = np.array([e["time"] for e in result.member(i).events])
        assert times.size == 72
        assert np.max(np.abs(times - period * np.arange(1, 73))) < 1e-6


def test_a_member_with_an_inadmissible_date_fails_alone():
    model = Model(["A", "B"], "richardson")
    result = simulate(model, PAIR, (0.0, 30.0), output=T,
                      interventions=[Intervention("x", at=np.array([5.0, 45.0, 10.0]),
                                                  set={"grievance": 0.02})])
    assert [s for s in result.status] == [Status.SUCCESS, Status.FAILED, Status.SUCCESS]
    assert "date 45 is outside the span" in result.messages[1]
    assert [e["time"] for e in result.member(2).events] == [10.0]


def test_an_intervention_date_is_a_study_input():
    """A sweep over the date of an alliance: each member equals the single run with its
    own date."""
    scenario = load_scenario("external-balancing")
    event = Intervention("pact", at=10.0, set={"c.West.Centre": 0.9})
    scenario = scenario.with_values(events=(event,))
    problem = Problem(("events.pact.at",), ((5.0, 25.0),))
    design = np.array([[5.0], [15.0], [25.0]])
    ensemble = run_design(scenario, problem, design, output=41)
    for i, date in enumerate(design[:, 0]):
        own = scenario.with_values(events=(Intervention("pact", at=float(date),
                                                        set={"c.West.Centre": 0.9}),))
        single = own.run(output=41)
        assert ensemble.member(i).events[0]["time"] == date
        assert np.allclose(ensemble.member(i).share, single.share, atol=1e-5)
    with pytest.raises(DynamicsError, match="unknown intervention 'pakt'"):
        run_design(scenario, Problem(("events.pakt.at",), ((5.0, 25.0),)), design)


@pytest.mark.parametrize("event, match", [
    (Intervention("x", at=5, set={"reactoin": 0.1}), "did you mean 'reaction'"),
    (Intervention("x", at=5, set={"reaction.USA": 0.1}), "unknown state 'USA'"),
    (Intervention("x", at=55, set={"reaction": 0.1}), "date 55 is outside the span"),
    (Intervention("x", at=5, set={"reaction": -1.0}), "outside its domain"),
    (Intervention("x", at=5, set={"m.A": 0.1}, ramp=2), "only parameter changes can ramp"),
    (Intervention("x", when="share.A > 2 ** m.B", set={"reaction": 0.2}), "neither a number"),
    (Intervention("x", when="share.A > 1", set={"reaction": 0.2}), "can never turn true"),
    (Intervention("x", when="share.A", set={"reaction": 0.2}), "one of < or >"),
    (Intervention("x", when="share > 0.4", set={"reaction": 0.2}), "needs 1 state name"),
    (Intervention("x", at=5, set={"coercion": 0.1}), "not in the equations of this model"),
])
def test_bad_interventions_are_one_line_errors(event, match):
    model = Model(["A", "B"], "richardson")
    with pytest.raises(DynamicsError, match=match) as error:
        simulate(model, PAIR, (0.0, 50.0), interventions=[event])
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("fields, match", [
    ({}, "give a date \\(at\\) or a condition"),
    ({"at": 5, "when": "m.A > 1"}, "exactly one"),
    ({"at": 5}, "nothing to change"),
    ({"at": 5, "set": {"reaction": 0.1}, "scale": {"reaction": 2}}, "both set and scaled"),
    ({"at": float("nan"), "set": {"reaction": 0.1}}, "finite number of years"),
    ({"at": 5, "scale": {"reaction": -2}}, "factor of 0 or more"),
    ({"at": 5, "set": {"reaction": 0.1}, "repeat": True}, "only a triggered"),
])
def test_malformed_interventions_are_refused_when_made(fields, match):
    with pytest.raises(InterventionError, match=match):
        Intervention("x", **fields)


SCENARIO = """\
[model]
states = ["A", "B"]
mechanisms = "richardson"

[time]
span = [0, 40]

[[events]]
name = "first"
at = 10
set = {{grievance = 0.02}}

[[events]]
name = "second"
{line}
set = {{"reaction.A" = 0.2}}
"""


@pytest.mark.parametrize("line, key, number", [
    ("at = 50", "events[1].at", 15),
    ("when = 'share.C > 0.4'", "events[1].when", 15),
    ("at = 5\nrepeet = true", "events[1].repeet", 16),
])
def test_bad_events_in_a_file_name_the_file_line_and_key(line, key, number):
    with pytest.raises(ScenarioError) as error:
        parse_scenario(SCENARIO.format(line=line), "mine.toml")
    assert error.value.key == key and error.value.line == number, str(error.value)
    assert str(error.value).startswith("mine.toml, line")


def test_a_scenario_file_runs_its_events_and_an_extension_drops_one(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(SCENARIO.format(line="at = 20"))
    scenario = load_scenario(base)
    assert [e["name"] for e in scenario.run().events] == ["first", "second"]
    other = tmp_path / "without.toml"
    other.write_text('[scenario]\nextends = "base.toml"\nwithout = ["first"]\n')
    assert [e["name"] for e in load_scenario(other).run().events] == ["second"]
    result = scenario.run()
    saved = load(result.save(tmp_path / "run.npz"))
    assert saved.events == result.events


def test_parse_event_reads_the_command_line_form():
    event = parse_event("NATO@1949:c.USA.GBR=0.8,reaction*0.5/3")
    assert (event.at, event.set, event.scale, event.ramp) == (
        1949.0, {"c.USA.GBR": 0.8}, {"reaction": 0.5}, 3.0)
    event = parse_event("alarm@share.A>0.4:reaction.B*2!")
    assert event.when == "share.A>0.4" and event.repeat
    with pytest.raises(InterventionError, match="NAME@WHEN"):
        parse_event("no date")


def test_compare_cli_writes_json_csv_and_a_figure(tmp_path, capsys):
    code = main(["compare", "hegemonic-rise", "--event", "balancing@10:reaction=0.1",
                 "--json", "--csv", str(tmp_path / "diff.csv"),
                 "--plot", str(tmp_path / "diff.png")])
    assert code == 0
    report = json.loads(capsys.readouterr().out.split("\nwrote")[0])
    rows = {row["metric"]: row for row in report["rows"]}
    # every status-quo power balancing from year 10 lowers the Riser's peak share
    assert rows["peak_share.Riser"]["difference"] < 0
    assert report["events"][0]["time"] == 10.0
    assert (tmp_path / "diff.csv").read_text().startswith("metric,base,counterfactual")
    assert (tmp_path / "diff.png").stat().st_size > 10_000
    assert main(["compare", "hegemonic-rise", "--event", "x@99:reaction=0.1"]) == 2
    assert "outside the span" in capsys.readouterr().err


def test_ensemble_comparison_reports_bands_over_paired_members():
    scenario = load_scenario("hegemonic-rise")
    comparison = compare(scenario, [Intervention("balancing", at=10.0,
                                                 set={"reaction": 0.1})], members=16)
    row = next(r for r in comparison.rows() if r["metric"] == "peak_share.Riser")
    assert row["difference_low"] <= row["difference"] <= row["difference_high"] < 0
    assert comparison.base_share.shape[0] == 16 - comparison.failed


def test_run_cli_adds_interventions(capsys):
    assert main(["run", "hegemonic-rise", "--event", "treaty@30:reaction*0.5/5"]) == 0
    assert "intervention treaty at t = 30: reaction x 0.5" in capsys.readouterr().out
    assert main(["run", "hegemonic-rise", "--event", "treaty@30:reactoin*0.5"]) == 2
    assert "did you mean 'reaction'" in capsys.readouterr().err


def test_sobol_and_morris_take_an_intervention_date_and_size_as_inputs():
    """A status-quo power that starts balancing at an uncertain date and strength: both
    move the Riser's peak share (each member runs its own date inside the kernel)."""
    scenario = load_scenario("hegemonic-rise").with_values(
        events=(Intervention("balancing", at=20.0, set={"reaction.West": 0.1}),),
        t_span=(0.0, 60.0))
    problem = Problem(("events.balancing.at", "events.balancing.set.reaction.West"),
                      ((5.0, 40.0), (0.05, 0.3)))
    indices = sobol(scenario, problem, "peak_share", n=32, output=61)
    assert indices.evaluations == 32 * 4 and np.all(indices.total > 0.01)
    screening = morris(scenario, problem, "peak_share", trajectories=8, output=61)
    assert np.all(np.asarray(screening.mu_star) > 0)
