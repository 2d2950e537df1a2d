"""Every kind of bad input raises its documented error, naming the culprit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynamics import (
    DynamicsError,
    MechanismError,
    Model,
    ParameterValueError,
    ShapeError,
    Solver,
    TimeSpanError,
    UnknownNameError,
    simulate,
    simulate_ensemble,
)


@pytest.fixture(scope="module")
def model():
    return Model(["USA", "CHN"], ["ceiling", "economy"])


def test_unknown_parameter_suggests_the_closest(model):
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'reacton'; did you mean "
                                               r"'reaction'\?"):
        simulate(model, {"reacton": 0.3})


def test_unknown_mechanism_suggests_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'alliances'"):
        Model(["A", "B"], ["aliances"])


def test_mechanism_without_its_prerequisite():
    with pytest.raises(MechanismError, match="'bandwagoning' requires 'alliances'"):
        Model(["A", "B"], ["bandwagoning"])
    with pytest.raises(MechanismError, match="'coercion' requires 'economy'"):
        Model(["A", "B"], ["coercion"])


def test_unknown_state_in_a_mapping(model):
    with pytest.raises(UnknownNameError, match="unknown state 'CHA'; did you mean 'CHN'"):
        simulate(model, {"reaction": {"CHA": 0.3}})


@pytest.mark.parametrize("bad", [True, "0.3"])
def test_a_value_by_state_name_must_be_a_number(model, bad):
    """A mapping by state is checked value by value, as a sequence is (True ran as 1.0)."""
    with pytest.raises(ParameterValueError, match="of CHN must be a number"):
        simulate(model, {"reaction": {"CHN": bad}})
    with pytest.raises(ParameterValueError, match="of CHN must be a number"):
        simulate(model, None, initial={"m": {"CHN": bad}})


def test_wrong_shape_says_what_was_expected(model):
    with pytest.raises(ShapeError, match=r"parameter 'fatigue' has shape \(3,\); expected a "
                                         r"number or shape \(2,\)"):
        simulate(model, {"fatigue": [0.1, 0.2, 0.3]})
    with pytest.raises(ShapeError, match=r"'proximity' has shape \(3, 3\)"):
        simulate(model, {"proximity": np.zeros((3, 3))})


@pytest.mark.parametrize(("name", "shape", "expected"), [
    ("distinguishability", (4, 1), r"\(members,\)"),
    ("distinguishability", (4, 2, 1), r"\(members,\)"),
    ("fatigue", (4, 3, 2), r"\(2,\) \(one per state\) or \(members, 2\)"),
])
def test_more_than_one_member_axis_is_refused(name, shape, expected):
    """A scalar drawn as (members, 1) once ran as members x members runs and failed deep
    in the ensemble; one leading (member) axis at most."""
    model = Model(["A", "B"], ["richardson", "perception"])
    with pytest.raises(ShapeError, match=rf"parameter '{name}' has shape "
                                         rf"\({', '.join(map(str, shape))}\); expected a "
                                         rf"number or shape {expected}"):
        simulate_ensemble(model, {name: np.full(shape, 0.5)}, (0.0, 1.0))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_values(model, bad):
    with pytest.raises(ParameterValueError, match=r"parameter 'fatigue' for state 'CHN' is "
                                                  r"-?(nan|inf); expected a finite number"):
        simulate(model, {"fatigue": [0.2, bad]})


def test_value_outside_bounds_names_state_value_and_bounds(model):
    with pytest.raises(ParameterValueError, match=r"parameter 'ceiling' for state 'USA' is 1.5, "
                                                  r"outside its bounds \[1e-06, 1\] \(1\)"):
        simulate(model, {"ceiling": {"USA": 1.5}})
    with pytest.raises(ParameterValueError, match=r"'distinguishability' is -0.1, outside its "
                                                  r"bounds \[0, 1\]"):
        simulate(model, {"distinguishability": -0.1})


def test_nonzero_proximity_diagonal(model):
    with pytest.raises(ParameterValueError, match="'proximity' must have a zero diagonal"):
        simulate(model, {"proximity": np.ones((2, 2))})


def test_bad_initial_values(model):
    with pytest.raises(ParameterValueError, match=r"initial 'e' .* for state 'CHN' is -1"):
        simulate(model, initial={"e": [1.0, -1.0]})
    with pytest.raises(ParameterValueError, match=r"initial 'm' .* for state 'USA' is -0.1"):
        simulate(model, initial={"m": [-0.1, 0.1]})
    with pytest.raises(UnknownNameError, match="did you mean 'theta'"):
        simulate(model, initial={"tehta": 1.0})
    with pytest.raises(ParameterValueError, match="must be symmetric"):
        simulate(Model(["A", "B", "C"], ["alliances"]),
                 initial={"c": [[1, 0.2, 0], [0.3, 1, 0], [0, 0, 1]]})


@pytest.mark.parametrize(("span", "message"), [
    ((5.0, 5.0), "t_span is empty"),
    ((10.0, 0.0), "t_span is inverted: end 0.0 is before start 10.0"),
    ((0.0, math.inf), "t_span must be finite"),
    ((0.0,), "t_span must be two numbers"),
])
def test_bad_time_span(model, span, message):
    with pytest.raises(TimeSpanError, match=message):
        simulate(model, {}, span)


def test_output_times_outside_the_span(model):
    with pytest.raises(TimeSpanError, match="leave t_span"):
        simulate(model, {}, (0, 10), output=[0.0, 5.0, 11.0])


@pytest.mark.parametrize(("options", "message"), [
    ({"rtol": math.inf}, r"rtol must be in \[2.22e-14, 0.1\], got inf"),
    ({"rtol": 10}, r"rtol must be in \[2.22e-14, 0.1\], got 10"),
    ({"rtol": 1e-16}, r"rtol must be in \[2.22e-14, 0.1\], got 1e-16"),
    ({"atol": math.inf}, "atol must be finite, got inf"),
    ({"divergence": math.inf}, "divergence must be a finite number above 1, got inf"),
    ({"divergence": True}, "divergence must be a positive number, got True"),
    ({"max_steps": True}, "max_steps must be a positive integer, got True"),
])
def test_solver_options_that_would_run_wrong_are_refused(options, message):
    """An infinite or loose tolerance ran and reported success with a wrong answer; an
    infinite divergence bound crashed a runaway run; True passed for a step budget. The
    scenario's [solver] table and the command line's options build the same Solver."""
    with pytest.raises(ParameterValueError, match=f"solver {message}"):
        Solver(**options)


def test_bad_solver_and_state_names():
    with pytest.raises(UnknownNameError, match="did you mean 'Radau'"):
        Solver("radau")
    with pytest.raises(ParameterValueError, match="rtol must be a positive number"):
        Solver(rtol=-1.0)
    with pytest.raises(ShapeError, match="at least 2 states"):
        Model(["A"])
    with pytest.raises(ShapeError, match="must be unique"):
        Model(["A", "A"])
    with pytest.raises(ShapeError, match=r"letters \(A-Z, a-z\) and digits"):
        Model(["United States", "China"])
    # a name in another script is refused saying what is accepted (it said only "letters")
    with pytest.raises(ShapeError, match=r"'Россия' must be ASCII letters .* transliteration"):
        Model(["Россия", "China"])


def test_every_error_is_a_dynamics_error_and_a_builtin():
    assert issubclass(UnknownNameError, KeyError) and issubclass(UnknownNameError, DynamicsError)
    assert issubclass(ParameterValueError, ValueError)


def test_a_parameter_of_a_switched_off_mechanism_is_refused(model):
    """A value that would silently do nothing is an error naming the mechanism."""
    with pytest.raises(ParameterValueError, match="parameter 'coercion' has no effect: its "
                                                  "mechanism 'coercion' is off"):
        simulate(model, {"coercion": 0.1}, (0, 1))


def _two_states(span=(1, 5), states=("A", "B")):
    from dynamics.scenarios import Scenario

    return Scenario("fit", states, mechanisms=(), t_span=span, parameters={
        "distinguishability": 0.0, "power_weight": 0.0})


@pytest.mark.parametrize("text, message", [
    ("year,A,B\n1,1,2\n2,1,2\n4,1,2\n", r"row 4, column 'year': 4 follows 2; expected 3"),
    ("year,A,B\n1,1,2\n2,1,n/a\n3,1,2\n", r"row 3, column 'B': 'n/a' is not a number"),
    ("year,A,B\n1,1,2\n2,,2\n3,1,2\n", r"row 3, column 'A': '' is not a number"),
    ("year,A,B,unit\n1,1,2,GBP\n2,1,2,GBP\n3,1,2,USD\n",
     r"row 4, column 'unit': the unit changes from 'GBP' to 'USD'"),
    ("year,A\n1,1\n2,1\n3,1\n", r"row 1: no column for B"),
    ("year,A,B\n1,-1,2\n2,1,2\n3,1,2\n", r"row 2, column 'A': -1 is negative"),
    ("year,A,B\n1,1,2\n2,1,2\n3,1,2\n", r"6 observations \(3 years of spending_share\) for 5 "
                                        r"unknowns"),
], ids=["gap", "non-numeric", "empty", "unit-change", "missing-state", "negative",
        "too-few-years"])
def test_bad_observations_name_the_row_and_column(tmp_path, text, message):
    from dynamics.calibration.fitting import FitProblem, read_observations
    from dynamics.data import SeriesError

    path = tmp_path / "spending.csv"
    path.write_text(text)
    with pytest.raises(SeriesError, match=message):
        observations = read_observations(path, _two_states())
        FitProblem(_two_states(), observations, ["reaction", "fatigue", "grievance", "m0.A"])


def _cow_line(code: str, year: int) -> int:
    """The line of the shipped COW file holding ``code`` in ``year`` (header = 1)."""
    import csv

    from dynamics.data import cow_path

    with cow_path().open() as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row["stateabb"] == code and int(row["year"]) == year:
                return line
    raise AssertionError(f"{code} {year} not in the file")


def test_a_value_cow_lacks_inside_the_window_names_its_line_and_column():
    from dynamics.calibration.fitting import cow_observations
    from dynamics.data import SeriesError

    with pytest.raises(SeriesError, match=rf"line {_cow_line('CUB', 1902)} \(CUB 1902\), "
                                          r"column 'milex': missing \(-9\)"):
        cow_observations(_two_states((1900, 1905), ("UKG", "CUB")))


def test_spending_levels_across_the_change_of_currency_are_refused():
    from dynamics.calibration.fitting import cow_observations
    from dynamics.data import SeriesError

    scenario = _two_states((1910, 1916), ("UKG", "FRN"))
    with pytest.raises(SeriesError, match=rf"change of currency at line "
                                          rf"{_cow_line('UKG', 1914)} \(1914\), column 'milex'"):
        cow_observations(scenario, levels=True)


def _one_input():
    from dynamics import Problem

    return Problem(("coercion",), ((0.0, 0.1),))


def _two_inputs():
    from dynamics import Problem

    return Problem(("coercion", "growth.Riser"), ((0.0, 0.1), (0.03, 0.07)))


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: __import__("dynamics").latin_hypercube(_one_input(), 0),
     "a Latin hypercube's number of points must be an integer of at least 1, got 0"),
    (lambda s: __import__("dynamics").sobol_design(_one_input(), -4),
     "a Sobol sequence's number of points must be an integer of at least 1, got -4"),
    (lambda s: __import__("dynamics").grid(_one_input(), 0),
     "the grid's levels of 'coercion' must be an integer of at least 1, got 0"),
    (lambda s: __import__("dynamics").sobol(s, _one_input(), "peak_share", n=8),
     r"Sobol indices need at least 2 inputs \(or groups\), got \['coercion'\]"),
    (lambda s: __import__("dynamics").sobol(s, _two_inputs(), "peak_share", n=8,
                                            resamples=-1),
     "the bootstrap's resamples must be an integer of at least 0, got -1"),
    (lambda s: __import__("dynamics").morris(s, _two_inputs(), "peak_share", trajectories=1),
     "Morris's trajectories must be an integer of at least 2, got 1"),
    (lambda s: __import__("dynamics").find_equilibria(s.model(), s.parameters, starts=0),
     "starts must be an integer of at least 1, got 0"),
])
def test_a_degenerate_study_design_is_refused_before_any_run(monkeypatch, call, message):
    """Designs too small to give an answer (they raised a scipy or SALib traceback, or ran
    and returned NaN or nothing) are refused naming the smallest size that works, before
    any run (a run would fail this test)."""
    from dynamics.scenarios import load_scenario

    scenario = load_scenario("hegemonic-rise")

    def never(*args, **kwargs):
        raise AssertionError("a run started before the design was checked")
    monkeypatch.setattr("dynamics.studies.design.simulate_ensemble", never)
    with pytest.raises(ParameterValueError, match=message):
        call(scenario)


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"parameters": {"reactoin": 0.1}}, UnknownNameError,
     "unknown parameter 'reactoin'; did you mean 'reaction'"),
    ({"parameters": {"soft_drag": 0.1}}, ParameterValueError,
     "parameter 'soft_drag' has no effect: its mechanism 'soft_balancing' is off"),
    ({"parameters": {"fatigue": {"Riser": -1.0}}}, ParameterValueError,
     r"parameter 'fatigue' for state 'Riser' is -1, outside its bounds"),
    ({"initial": {"mm": 0.1}}, UnknownNameError, "unknown variable 'mm'; did you mean 'm'"),
])
def test_a_scenarios_with_values_refuses_what_simulate_refuses(change, error, message):
    """A misspelt or idle name was silently ignored by the API while the command line's
    --set refused it; now both refuse it with the same words, before any run."""
    from dynamics.scenarios import load_scenario

    with pytest.raises(error, match=message):
        load_scenario("hegemonic-rise").with_values(**change)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda model: simulate(None, {}), ShapeError, "the model must be a Model, got NoneType"),
    (lambda model: simulate("hegemonic-rise"), ShapeError,
     r"got str 'hegemonic-rise'; a scenario by name runs as load_scenario\(name\).run\(\)"),
    (lambda model: simulate(model, "reaction"), ShapeError,
     r"params must be a mapping of names to values \(a dict\), got str 'reaction'"),
    (lambda model: simulate_ensemble(model, None, (0.0, 1.0), initial=[0.1], output=3),
     ShapeError, "initial must be a mapping of names to values"),
    (lambda model: Model(None), ShapeError, "states must be a list of names, got NoneType"),
    (lambda model: simulate(model, {}, interventions=__import__("dynamics").Intervention(
        "x", at=5.0, scale={"reaction": 2.0})), DynamicsError,
     r"interventions must be a list of Intervention, got Intervention .*; write "
     r"\[intervention\] for one"),
    (lambda model: simulate(model, {}, interventions=["x"]), DynamicsError,
     r"got an item 'x' \(str\)"),
])
def test_the_front_doors_name_an_argument_of_the_wrong_kind(model, call, error, message):
    """None, a scenario's name or a string where a model or a mapping belongs, and one
    Intervention where a list belongs, gave AttributeError or TypeError deep inside."""
    with pytest.raises(error, match=message):
        call(model)


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path):
    """Spreadsheet programs write UTF-8 with a byte-order mark; the file was refused as
    having "no 'year' column" (the header read as '\\ufeffyear')."""
    from dynamics.data import read_series

    path = tmp_path / "series.csv"
    path.write_bytes(b"\xef\xbb\xbfyear,A,B\n1900,1,2\n1901,2,3\n1902,3,5\n")
    series = read_series(path)
    assert list(series.years) == [1900, 1901, 1902] and list(series.values) == ["A", "B"]
    assert list(series.values["B"]) == [2.0, 3.0, 5.0]


def test_a_scenario_file_with_a_byte_order_mark_loads(tmp_path):
    from dynamics.scenarios import load_scenario

    path = tmp_path / "marked.toml"
    path.write_bytes(b'\xef\xbb\xbf[scenario]\nname = "marked"\nextends = "hegemonic-rise"\n')
    assert load_scenario(path).name == "marked"


def test_a_nan_cohesion_is_named_as_nan_not_as_asymmetric():
    """NaN != NaN, so a NaN cohesion was reported as "must be symmetric"."""
    model = Model(["A", "B"], ["richardson", "alliances"])
    with pytest.raises(ParameterValueError, match=r"initial 'c' \(.*\) is nan; expected a "
                                                  "finite number in every pair"):
        simulate(model, {}, initial={"c": np.array([[1.0, np.nan], [np.nan, 1.0]])})


@pytest.mark.parametrize(("cell", "message"), [
    ("-9", r"-9 is negative \(the Correlates of War's code for a missing value\)"),
    ("-999", r"-999 is negative \(the Correlates of War's code for a missing value\)"),
    ("-0.5", "-0.5 is negative; fill it from another source"),
])
def test_a_missing_value_code_in_a_series_is_refused_by_name(tmp_path, cell, message):
    """COW's -9 (missing) was fitted as spending; any negative cell is refused, a known
    missing-value code by name, with the file, row and column."""
    from dynamics.data import SeriesError, read_series

    path = tmp_path / "series.csv"
    path.write_text(f"year,A,B\n1900,1,2\n1901,{cell},3\n1902,3,5\n")
    with pytest.raises(SeriesError, match=rf"series.csv, row 3, column 'A': {message}"):
        read_series(path)
