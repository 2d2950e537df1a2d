"""Every number in a scenario's title, description and theory is accounted for.

Each number found in the prose (decimals, percentages, decades; not years of citations or
data) must be declared in the scenario file's ``[prose]`` table as one of:

- an **input**: a value the scenario sets or inherits (a parameter, its registry default,
  an initial value, the time span), or the ratio or product of two of them (a burden
  g/alpha); checked against the scenario's values;
- a **result**: read from a run as the file says (``{ read = "share.Riser", at = "max" }``,
  :func:`dynamics.scenarios.loader.prose_value`), or, marked ``"code"`` there, computed by
  ``CODED`` below (a closed form of its inputs, a study), and compared at the precision
  printed;
- **given**: a point at which the text evaluates something (D* - 0.001), or a number cited
  from the literature (Richardson's 0.73/yr), stated as such.

A number added to a text without a declaration, or a result that moves, fails the test.
0 and 1 are the constants of formulas (1 - D) and always allowed.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dynamics.analysis.metrics import (
    burden_size_correlation,
    mean_cohesion,
    peak_share,
    transition_time,
)
from dynamics.model.values import resolve_initial, resolve_parameters
from dynamics.scenarios import list_scenarios, load_scenario
from dynamics.scenarios.declared import CODED as CODE
from dynamics.scenarios.loader import prose_value

NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e-?\d+)?(?:\s*%|s\b)?")
YEAR = re.compile(r"[-+]?(1[6-9]|20)\d\d")


@functools.cache
def run(name: str, without: str = "", **values):
    scenario = load_scenario(name)
    if without:
        scenario = scenario.with_values(mechanisms=[m for m in scenario.mechanisms
                                                    if m != without])
    if values:
        scenario = scenario.with_values(dict(values))
    result = scenario.run()
    assert result.ok, result.message
    return result


def _use_of_ceiling(distinguishability: float) -> float:
    """security-dilemma: final burden over the ceiling after 150 years at D."""
    scenario = load_scenario("security-dilemma")
    res = scenario.with_values({"distinguishability": distinguishability},
                               t_span=(0.0, 150.0)).run()
    return float((res.burden[-1] / scenario.parameters["ceiling"]).max())


def _d_star() -> float:
    p = load_scenario("security-dilemma").parameters
    return 1 - (p["fatigue"] / p["reaction"] - p["offence"]) / (1 - p["offence"])


def _onset(below: float) -> float:
    """u* = 1 - alpha / (k h) of the ceiling at D = D* - below (g = 0)."""
    p = load_scenario("security-dilemma").parameters
    d = _d_star() - below
    h = p["offence"] + (1 - d) * (1 - p["offence"])
    return 1 - p["fatigue"] / (p["reaction"] * h)


def _excess(name: str, without: str = "") -> float:
    res = run(name, without)
    return float(res["share", "Unipole"][-1] - 0.5)


def _final(name: str, variable: str, state: str, without: str = "") -> float:
    return float(run(name, without)[variable, state][-1])


@functools.cache
def _china_burdens() -> np.ndarray:
    """China's military burden 2005-2016: COW milex (thousands of current US$) over World
    Bank GDP (current US$), read from the shipped files here."""
    import csv
    from importlib import resources

    cow = (resources.files("dynamics.data") / "cow-nmc-v6.0.csv").read_text()
    milex = {int(r["year"]): float(r["milex"]) * 1e3 for r in csv.DictReader(cow.splitlines())
             if r["stateabb"] == "CHN"}
    bank = (resources.files("dynamics.data") / "world-bank-gdp.csv").read_text()
    gdp = {int(r["Year"]): float(r["Value"]) for r in csv.DictReader(bank.splitlines())
           if r["Country Code"] == "CHN"}
    return np.array([milex[year] / gdp[year] for year in range(2005, 2017)])


def _transition_year() -> float:
    found = transition_time(run("power-transition"))
    return math.nan if found is None else found[0]


ALLIES = ["Leader", "Ally1", "Ally2", "Ally3"]


def _world(name: str, variable: str, state: str) -> float:
    """four-worlds: a state's final use of its ceiling ("use"), output over its start
    ("output") or perceived intentions ("pi")."""
    res = run(f"four-worlds-{name}")
    i = res.states.index(state)
    if variable == "use":
        return float(res.burden[-1, i] / load_scenario("security-dilemma").parameters["ceiling"])
    if variable == "output":
        return float(res["e"][-1, i] / res["e"][0, i])
    return float(res[variable][-1, i])


def _burden(state: str) -> float:
    """free-riding: a state's time-mean burden from year 5, in per cent."""
    res = run("free-riding")
    keep = res.t >= 5.0
    return float((res["m"][keep] / res["e"][keep])[:, res.states.index(state)].mean() * 100)


@functools.cache
def _decomposition() -> dict[str, float]:
    from dynamics.studies.counterfactual import decompose

    return decompose(load_scenario("unipolar-decay")).values


def _settled_share() -> float:
    scenario = load_scenario("unipolar-decay")
    off = scenario.switched_off("secondary powers below their settled spending")
    return float(off.run()["share", "Unipole"][0])


@functools.cache
def _post_cold_war(variant: str = ""):
    scenario = load_scenario("post-cold-war")
    if variant == "no war":
        scenario = scenario.with_values(events=())
    elif variant:
        scenario = scenario.with_values(mechanisms=[m for m in scenario.mechanisms
                                                    if m != variant])
    return scenario.run()


def _gains(variant: str = "") -> float:
    res = _post_cold_war(variant)
    keep = res.t >= 2003
    return float(np.trapezoid(res["taken"][keep, 0], res.t[keep]))


def _effort(variant: str = "") -> float:
    res = _post_cold_war(variant)
    keep = (res.t >= 2003) & (res.t <= 2009)
    return float(res["v"][keep][:, 1:].sum(axis=1).mean())


def _soft_effort(aggressive: bool) -> float:
    scenario = load_scenario("soft-balancing")
    if aggressive:
        scenario = scenario.with_values({"offence": {"Unipole": 0.8}})
    return float(scenario.run()["v"][:, 1:].sum(axis=1).mean())

#: the results of the prose that only code computes (declared "code" in each scenario's
#: [prose] table): scenario -> the number as printed -> its value
CODED: dict[str, dict[str, Callable[[], float]]] = {
    "richardson-runaway": {
        "0.7": lambda: 0.9 - 0.2,
    },
    "security-dilemma": {
        "0.74": lambda: 0.9 * (0.1 + 0.8 * 0.9),
        "73 %": lambda: _use_of_ceiling(0.2),
        "29 %": lambda: _use_of_ceiling(0.2) * 0.4,
        "0.864": _d_star,
        "0.4 %": lambda: _onset(0.001),
        "3.9 %": lambda: _onset(0.01),
        "15 %": lambda: _use_of_ceiling(_d_star()),
        "6 %": lambda: _use_of_ceiling(0.95),
    },
    "four-worlds-doubly-dangerous": {
        "92 %": lambda: _world("doubly-dangerous", "use", "North"),
        "59 %": lambda: _world("doubly-dangerous", "use", "South"),
        "1.53": lambda: _world("doubly-dangerous", "output", "South"),
        "0.47": lambda: _world("doubly-dangerous", "output", "North"),
    },
    "four-worlds-dilemma-defence": {
        "42 %": lambda: _world("dilemma-defence", "use", "North"),
        "92 %": lambda: _world("doubly-dangerous", "use", "North"),
    },
    "four-worlds-offence-distinguishable": {
        "0.54": lambda: _world("offence-distinguishable", "pi", "South"),
        "0.18": lambda: _world("offence-distinguishable", "pi", "North"),
        "56 %": lambda: _world("offence-distinguishable", "use", "North"),
        "92 %": lambda: _world("doubly-dangerous", "use", "North"),
        "1.18": lambda: _world("offence-distinguishable", "output", "North"),
        "0.82": lambda: _world("offence-distinguishable", "output", "South"),
    },
    "four-worlds-doubly-stable": {
        "7 %": lambda: _world("doubly-stable", "use", "North"),
    },
    "free-riding": {
        "+1": lambda: min(burden_size_correlation(run("free-riding"), ALLIES, start=5.0),
                          burden_size_correlation(run("free-riding"), ALLIES[1:], start=5.0)),
        "1.93": lambda: _burden("Leader"),
        "1.27": lambda: _burden("Ally1"),
        "0.48": lambda: _burden("Ally2"),
        "0.09 %": lambda: _burden("Ally3") / 100,
        "0.91": lambda: float(mean_cohesion(run("free-riding"), ALLIES).max()),
        "0.61": lambda: float(mean_cohesion(run("free-riding"), ALLIES)[-1]),
        "0.18": lambda: float(run("free-riding")["c"][:, 1:4, 4].max()),
    },
    "unipolar-decay": {
        "10.0": lambda: _decomposition()["as shipped"],
        "19.2": lambda: _decomposition()["without headroom of the secondary powers"],
        "14.2": lambda: _decomposition()["without catch-up growth"],
        "13.2": lambda: _decomposition()["without overstretch of the unipole"],
        "10.4": lambda: _decomposition()["without soft balancing"],
        "9.7": lambda: _decomposition()[
            "without secondary powers below their settled spending"],
        "57 %": _settled_share,
    },
    "soft-balancing": {
        "0.016": lambda: _excess("soft-balancing"),
        "0.023": lambda: _excess("soft-balancing", "soft_balancing"),
        "0.294": lambda: _soft_effort(True),
        "0.222": lambda: _soft_effort(False),
        "0.008": lambda: float(load_scenario("soft-balancing").with_values(
            {"offence": {"Unipole": 0.8}}).run()["share", "Unipole"][-1] - 0.5),
    },
    "post-cold-war": {
        "1.01": _effort,
        "0.74": lambda: _effort("no war"),
        "179": _gains,
        "249": lambda: _gains("soft_balancing"),
        "28 %": lambda: 1 - _gains() / _gains("soft_balancing"),
        "4 %": lambda: 1 - (_post_cold_war().share[-1, 0]
                            / _post_cold_war("soft_balancing").share[-1, 0]),
    },
    "power-transition": {
        "2030s": lambda: _transition_year(),
        "1.17 %": lambda: float(_china_burdens().min()),
        "1.38 %": lambda: float(_china_burdens().max()),
    },
    "europe-1908": {
        "19": lambda: len(load_scenario("europe-1908").states),
    },
}


def numbers(text: str, years: bool = False) -> list[str]:
    """The numbers of a text, normalised ("73 %"), without years unless asked for."""
    found = [re.sub(r"\s+", " ", n) for n in NUMBER.findall(text)]
    return [n for n in found if (years or not YEAR.fullmatch(n)) and n not in ("0", "1")]


def _inputs(name: str) -> set[float]:
    """Every value the scenario sets or inherits, and the ratios and products of two."""
    scenario = load_scenario(name)
    model = scenario.model()
    parameters = resolve_parameters(model, scenario.values(model))
    initial = resolve_initial(model, scenario.initial)
    values: list[float] = list(scenario.t_span)
    changes = [v for event in scenario.events for v in [*event.set.values(),
                                                        *event.scale.values()]]
    history = [v for v in scenario.history.values() if isinstance(v, int | float)]
    for value in [*parameters.values(), *initial.values(), *changes, *history]:
        values += np.ravel(np.asarray(value, dtype=float)).tolist()
    base = {v for v in values if v != 0}
    return base | {a / b for a, b in itertools.product(base, repeat=2)} | {
        a * b for a, b in itertools.product(base, repeat=2)}


def _value(number: str) -> float:
    return float(number.rstrip("%s ").strip()) / (100 if number.endswith("%") else 1)


def _printed(number: str) -> int:
    digits = number.rstrip("%s ").strip()
    return len(digits.split(".")[1]) if "." in digits else 0


def _prose(name: str) -> tuple[list[str], dict[str, object], list[str]]:
    """A scenario's declared numbers (its file's [prose] table): inputs, results, given."""
    prose = load_scenario(name).prose
    return prose.get("inputs", []), prose.get("results", {}), prose.get("given", [])


@functools.cache
def _result(name: str, number: str) -> float:
    """A result of the prose: read from a run as its file says, or computed by CODED."""
    spec = _prose(name)[1][number]
    if spec == CODE:
        return CODED[name][number]()
    return prose_value(load_scenario(name), spec)


def _of(name: str, number: str) -> Callable[[], float]:
    """The result ``number`` of scenario ``name``'s prose, computed when called."""
    return functools.partial(_result, name, number)


def test_every_scenario_declares_its_numbers():
    assert all(load_scenario(name).prose for name in list_scenarios())


def test_the_results_only_code_computes_are_those_declared_code():
    declared = {(name, number) for name in list_scenarios()
                for number, spec in _prose(name)[1].items() if spec == CODE}
    assert declared == {(name, number) for name, results in CODED.items()
                        for number in results}


@pytest.mark.parametrize("name", list_scenarios())
def test_every_number_in_the_prose_is_declared(name):
    scenario = load_scenario(name)
    text = " ".join([scenario.title, scenario.description, scenario.theory])
    inputs, results, given = _prose(name)
    assert set(numbers(text)) == {*inputs, *results, *given}


def _join(words: str) -> list[str]:
    return re.findall(r"[-+]?\d+(?:\.\d+)?(?:e-?\d+)?(?: %)?", words)


@pytest.mark.parametrize("name", list_scenarios())
def test_every_input_number_is_one_of_the_scenarios_values(name):
    known = _inputs(name)
    for number in _prose(name)[0]:
        value = _value(number)
        tolerance = 0.5 * 10.0 ** -(_printed(number) + (2 if number.endswith("%") else 0))
        assert any(abs(value - k) <= tolerance + 1e-12 for k in known), number


@pytest.mark.parametrize(("name", "number"), [(name, number) for name in list_scenarios()
                                              for number in load_scenario(name).prose.get(
                                                  "results", {})])
def test_every_result_number_is_what_the_model_gives(name, number):
    """At the precision printed: 0.52 means a value in [0.515, 0.525); 73 % in [72.5, 73.5)
    %; a decade "2040s" means a year in [2040, 2050)."""
    value = _result(name, number)
    assert value is not None and math.isfinite(value), (name, number, value)
    if number.endswith("s"):
        start = float(number[:-1])
        assert start <= value < start + 10, (name, number, value)
        return
    scale = 100.0 if number.endswith("%") else 1.0
    assert round(value * scale, _printed(number)) == pytest.approx(
        _value(number) * scale, abs=1e-9), (name, number, value)


def _use(name: str) -> float:
    scenario = load_scenario(name)
    return float((run(name).burden[-1] / scenario.parameters["ceiling"]).max())


@functools.cache
def _history(name: str):
    from dynamics.calibration.history import fit_history

    return fit_history(load_scenario(name))


def _unipolar_moment() -> float:
    found = _history("cold-war-1949")
    return float(found.simulated[list(found.years).index(1992), found.states.index("USA")])


#: the README's scenario table: its "measured" column, row by row (same three kinds)
README_ROWS: dict[str, tuple[str, dict[str, Callable[[], float]], str]] = {
    "richardson-stable": ("", {"0.04": _of("richardson-stable", "0.04")}, "1e-6"),
    "richardson-runaway": ("", {"0.700": lambda: 0.9 - 0.2}, ""),
    "hegemonic-rise": ("0.5", {"0.77": _of("external-balancing", "0.77")}, ""),
    "internal-balancing": ("", {
        "0.45": lambda: peak_share(run("internal-balancing"), "Riser").share}, ""),
    "external-balancing": ("", {"0.52": _of("external-balancing", "0.52")}, ""),
    "combined-balancing": ("", {
        "0.37": lambda: peak_share(run("combined-balancing"), "Riser").share}, ""),
    "security-dilemma": ("0.2", {k: _of("security-dilemma", k) for k in
                                 ("0.864", "73 %", "15 %", "6 %")}, "0.95"),
    "four-worlds-*": ("", {
        "92 %": _of("four-worlds-doubly-dangerous", "92 %"),
        "42 %": _of("four-worlds-dilemma-defence", "42 %"),
        "56 %": _of("four-worlds-offence-distinguishable", "56 %"),
        "7 %": _of("four-worlds-doubly-stable", "7 %"),
        "1.53": _of("four-worlds-doubly-dangerous", "1.53"),
        "0.82": _of("four-worlds-offence-distinguishable", "0.82")}, "2"),  # Jervis's 2x2
    "bandwagoning": ("", {"0.48": _of("bandwagoning", "0.48"),
                          "0.40": _of("bandwagoning", "0.40")}, ""),
    "bandwagoning-for-profit": ("", {k: _of("bandwagoning-for-profit", k)
                                     for k in ("0.471", "0.450", "0.740", "0.791")}, ""),
    "free-riding": ("", {k: _of("free-riding", k) for k in ("+1", "0.91", "0.61")}, ""),
    "unipolar-decay": ("", {k: _of("unipolar-decay", k) for k in ("10.0", "19.2", "10.4")},
                       ""),
    "soft-balancing": ("", {k: _of("soft-balancing", k)
                            for k in ("0.016", "0.023", "0.008")}, ""),
    "post-cold-war": ("", {k: _of("post-cold-war", k) for k in ("28 %", "4 %")},
                      "2000 2016 2003"),
    "power-transition": ("", {"2038": _transition_year}, "2016"),  # the data's year
    "europe-1870": ("", {"0.050": lambda: _history("europe-1870").error,
                         "0.081": lambda: _history("europe-1870").persistence}, "1870 1913"),
    "cold-war-1949": ("", {"0.053": lambda: _history("cold-war-1949").error,
                           "0.068": lambda: _history("cold-war-1949").persistence,
                           "0.58": lambda: _unipolar_moment()}, "1949 2016 1992"),
}


def _readme_rows() -> dict[str, str]:
    """The README scenario table's rows: scenario -> its "what it shows" and "measured"."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = text.split("| scenario | what it shows | measured |")[1].split("\n\n")[0]
    rows = re.findall(r"^\| `([\w*-]+)` \| (.*) \| (.*) \|$", table, flags=re.MULTILINE)
    return {name: f"{shows} {measured}" for name, shows, measured in rows}


def test_the_readme_table_has_a_row_per_declared_scenario():
    assert set(_readme_rows()) == set(README_ROWS)


@pytest.mark.parametrize("name", sorted(README_ROWS))
def test_every_number_in_the_readme_table_is_declared(name):
    text = _readme_rows()[name].replace("−", "-")
    inputs, results, given = README_ROWS[name]
    assert set(numbers(text, years=True)) == {*_join(inputs), *results, *_join(given)}


@pytest.mark.parametrize(("name", "number"), [(name, number) for name, (_, results, _)
                                              in sorted(README_ROWS.items())
                                              for number in results])
def test_every_number_in_the_readme_table_is_what_the_model_gives(name, number):
    value = README_ROWS[name][1][number]()
    if len(number) == 4 and number.isdigit():  # a year, printed to the year
        assert math.floor(value) == int(number), (name, number, value)
        return
    scale = 100.0 if number.endswith("%") else 1.0
    assert round(value * scale, _printed(number)) == pytest.approx(
        _value(number) * scale, abs=1e-9), (name, number, value)


def _calibration():
    from dynamics.calibration.calibrate import richardson_differences
    from dynamics.data import cow_series

    series = cow_series({"Entente": ["FRN", "RUS"], "Central": ["GMY", "AUH"]}, (1909, 1913))
    return richardson_differences(series)


#: numbers in the README's code comments: a pattern whose groups are printed numbers, and
#: the values they must be at the printed precision
README_COMMENTS: dict[str, Callable[[], tuple[float, ...]]] = {
    r"branch point at D\* = (\d\.\d+)": lambda: (1 - (0.2 / 0.9 - 0.1) / 0.9,),
    r"k_minus_alpha +# (\d\.\d+) \+- (\d\.\d+)": lambda: (
        _calibration().k_minus_alpha.value, _calibration().k_minus_alpha.stderr),
    r"equilibrium_total +# ([\d,]+) \+- ([\d,]+)": lambda: (
        _calibration().equilibrium_total.value, _calibration().equilibrium_total.stderr),
}


@pytest.mark.parametrize("pattern", sorted(README_COMMENTS))
def test_numbers_in_the_readmes_code_comments_are_what_the_code_gives(pattern):
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    found = re.search(pattern, text)
    assert found is not None, pattern
    for printed, value in zip(found.groups(), README_COMMENTS[pattern](), strict=True):
        number = printed.replace(",", "")
        assert round(value, _printed(number)) == pytest.approx(float(number), abs=1e-9), (
            printed, value)
