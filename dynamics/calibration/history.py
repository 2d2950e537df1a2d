"""Historical scenarios against the Correlates of War record.

A historical scenario runs in calendar years (``span = [1870, 1913]``) over states named
by their Correlates of War abbreviations, or mapped to them in its ``[history]`` table::

    [history]
    codes = {GMY = ["GMY", "GFR"]}   # per state, COW abbreviations in order of preference
    members = {EUR = ["UKG", "FRN", "GMY"]}   # a bloc: the sum of these states' values
    variable = "milex"               # the compared series
    scale = 1e-3                     # from COW units (thousands) to the scenario's unit
    calibration = 5                  # years of each state's spending it is calibrated to
    burden = 0.03                    # the mean burden that fixes the unit of output
    threat_share = 0.5               # the part of spending at rest that answers threat
    output = "capability"            # or "gdp": output is World Bank GDP in current US$
    economies = {EUR = ["GBR", "FRA", "DEU"]}   # with "gdp": each state's ISO codes
    breaks = {RUS = 1991}            # a state whose economy changes course that year

What the file takes from the data, :func:`derive` recomputes (and a test checks the file
against it):

- output (``output = "capability"``, the default): each state's economic capability index
  (the mean, over COW's iron and steel
  production, energy consumption, total and urban population, of its value relative to
  the states' total in the first year: the economic and demographic half of CINC) has a
  log-linear trend; output follows that trend exactly (``growth`` is its slope, the
  initial output its value at the start, with no capacity limit and no cost of arms: the
  observed trend already nets out what arms cost). Its unit is fixed by ``burden``: the
  states' initial spending is that share of their initial output. Spending shares do not
  depend on it, because every equation is then homogeneous of degree one in spending and
  output together.
- output (``output = "gdp"``, for years from 1960): each state's GDP in current US$ from
  the World Bank file (the sum of its ``economies``; by default the ISO code that is its
  name), in the scenario's unit (millions where spending is COW's thousands times
  ``scale`` 1e-3), with a log-linear trend as above and ``burden`` unused: spending and
  output are then both in current dollars, so that levels of spending, not only shares,
  can be fitted without a deflator.
- a break (``breaks = {RUS = 1991}``): that state's trend of output is fitted on the years
  before the break year only, and again on the years from it; the scenario's intervention
  at the break sets its output to the second line's value then and its growth to the
  second line's slope (:attr:`Derivation.breaks`): the collapse as a change of the
  economy's level and course, with spending left to answer it through the model.
- spending: each state's observed spending in the first year (0 for a state not yet in
  the system, such as West Germany before 1955).
- reaction and grievance: each state's spending stands still at the mean of its first
  ``calibration`` years of observed spending (the others' at their own means over the
  same years, the dated interventions of those years in force), ``threat_share`` of it
  (an assumption) answering the net threat it faces then (its reaction ``k``), the rest
  driven by its own output (its grievance ``g``). A state that enters later takes both
  from the intervention that brings it in.

:func:`fit_history` compares the simulated shares of spending ``m_i / sum_j m_j`` with COW's
observed ones year by year. Shares are unit-free, so the pre-1914 pounds and the
post-1914 current dollars need no deflator. The error is reported beside two baselines:
persistence (the first year's observed shares held) and the same model without any
intervention.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from dynamics.data import COW_FILE
from dynamics.errors import DynamicsError, ScenarioError
from dynamics.results.labelled import Result
from dynamics.results.report import Report
from dynamics.run.interventions import plan
from dynamics.run.prepared import prepare
from dynamics.scenarios import Scenario

__all__ = ["HistoryFit", "Derivation", "observed", "record", "capability_index", "gdp", "derive",
           "fit_history", "CAPABILITY", "DEFAULTS", "collapse_ratio", "spending_shares"]

#: COW's economic and demographic capabilities (the half of CINC that is not military)
CAPABILITY = ("irst", "pec", "tpop", "upop")
#: what a [history] table may say, with its defaults
DEFAULTS: dict[str, Any] = {"codes": {}, "members": {}, "variable": "milex", "scale": 1e-3,
                            "calibration": 5, "burden": 0.03, "threat_share": 0.5,
                            "output": "capability", "economies": {}, "breaks": {}}
#: the output a historical scenario may take
OUTPUTS = ("capability", "gdp")


@lru_cache(maxsize=1)
def _cow() -> dict[tuple[str, int], dict[str, str]]:
    text = (resources.files("dynamics.data") / COW_FILE).read_text()
    # each row keeps its line in the file (the header is line 1) for error messages
    return {(r["stateabb"], int(r["year"])): {**r, "line": str(n)}
            for n, r in enumerate(csv.DictReader(text.splitlines()), start=2)}


def _settings(scenario: Scenario) -> dict[str, Any]:
    if not scenario.history:
        raise ScenarioError(f"scenario {scenario.name!r} has no [history] table: it is not "
                            "compared with the record")
    return {**DEFAULTS, **scenario.history}


def _years(scenario: Scenario) -> np.ndarray:
    first, last = (int(round(x)) for x in scenario.t_span)
    return np.arange(first, last + 1)


def _series(scenario: Scenario, variable: str, years: np.ndarray) -> np.ndarray:
    """COW ``variable`` per year and state (Y, N): the first of the state's codes with a
    row that year; NaN where none has one or the value is missing (-9)."""
    return record(scenario, variable, years)[0]


def record(scenario: Scenario, variable: str, years: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A COW variable per year and state as the file has it. A scenario without a [history]
    table names its states by their COW abbreviations; a bloc of its ``members`` table is
    the sum of its members' values (missing where any member present is missing; in the
    system where any member is).

    Parameters
    ----------
    scenario : Scenario
        The scenario (its states' ``codes``).
    variable : str
        The COW variable (``milex``, ``milper``, ``tpop``, ...).
    years : ndarray
        The years.

    Returns
    -------
    (ndarray, ndarray, ndarray, ndarray)
        The values (Y, N; NaN where missing, -9); whether the state is in the system that
        year; the line of the file each value is on (header = 1; 0 where the state is not in
        the system; for a bloc, its first member's line that year); and the abbreviation
        used (the first of the state's codes with a row that year; for a bloc, its members
        joined by "+"; "" where none).
    """
    settings = {**DEFAULTS, **scenario.history}
    codes, blocs = settings["codes"], settings["members"]
    table = _cow()
    shape = (years.size, len(scenario.states))
    values, lines = np.full(shape, np.nan), np.zeros(shape, dtype=int)
    used = np.full(shape, "", dtype=object)
    for i, state in enumerate(scenario.states):
        for k, year in enumerate(years):
            rows = ([(code, table.get((code, int(year)))) for code in blocs[state]]
                    if state in blocs else
                    [next(((code, table[(code, int(year))]) for code in
                           codes.get(state, [state]) if (code, int(year)) in table),
                          (state, None))])
            found = [(code, row) for code, row in rows if row is not None]
            if not found:
                continue
            parts = [float(row[variable]) for _, row in found]
            values[k, i] = sum(parts) if min(parts) >= 0 else np.nan
            lines[k, i] = int(found[0][1]["line"])
            used[k, i] = "+".join(code for code, _ in found)
    return values, lines > 0, lines, used


def observed(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The record a historical scenario is compared with.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario (its ``[history]`` table).

    Returns
    -------
    (ndarray, ndarray, ndarray)
        The years; the observed spending (Y, N) in the scenario's unit (0 where a state is
        not in the system, NaN where COW has no value); and the observed shares (Y, N; NaN in
        a year where any state's value is missing).
    """
    settings = _settings(scenario)
    years = _years(scenario)
    values, present, _, _ = record(scenario, settings["variable"], years)
    values = values * settings["scale"]
    values[~present] = 0.0  # not in the system: no forces of its own
    with np.errstate(invalid="ignore"):
        shares = values / values.sum(axis=1, keepdims=True)
    shares[np.isnan(values).any(axis=1)] = np.nan
    return years, values, shares


def capability_index(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Each state's economic capability index: the mean over :data:`CAPABILITY` of its value
    relative to the states' total in the first year.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario.

    Returns
    -------
    (ndarray, ndarray)
        The years and the index (Y, N; NaN where the state is not in the system).
    """
    years = _years(scenario)
    parts = []
    for variable in CAPABILITY:
        values = _series(scenario, variable, years)
        total = np.nansum(values[0])
        if not total > 0:
            raise DynamicsError(f"no COW {variable} for the states in {years[0]}")
        parts.append(values / total)
    return years, np.mean(parts, axis=0)


def gdp(scenario: Scenario, years: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each state's GDP in current US$ from the shipped World Bank file, in the scenario's
    unit (US$ million where ``scale`` is 1e-3: COW's thousands times ``scale``).

    Parameters
    ----------
    scenario : Scenario
        A historical scenario (its ``economies``: each state's ISO codes, summed).
    years : ndarray, optional
        The years (default: the span).

    Returns
    -------
    (ndarray, ndarray)
        The years and the GDP (Y, N).
    """
    from dynamics.data import world_bank_gdp

    settings = _settings(scenario)
    years = _years(scenario) if years is None else years
    economies = {state: list(settings["economies"].get(state, [state]))
                 for state in scenario.states}
    codes = [code for state in scenario.states for code in economies[state]]
    # US$ billion to the scenario's unit: COW's thousands of dollars times scale
    unit = 1e6 * settings["scale"]
    table = np.array([[sum(levels[code] for code in economies[state]) * unit
                       for state in scenario.states]
                      for levels in (world_bank_gdp(codes, int(year)) for year in years)])
    return years, table


def _trend(years: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per state, the slope (1/yr) and the start value of the least-squares line through
    the logarithm of its index (the years it is in the system)."""
    slopes, starts = [], []
    for column in index.T:
        kept = np.isfinite(column) & (column > 0)
        slope, intercept = np.polyfit(years[kept] - years[0], np.log(column[kept]), 1)
        slopes.append(slope)
        starts.append(math.exp(intercept))
    return np.array(slopes), np.array(starts)


@dataclass(frozen=True)
class Derivation:
    """What a historical scenario takes from the data (see the module docstring).

    Attributes
    ----------
    growth : dict
        Each state's trend growth of output, per year.
    output : dict
        Each state's initial output, in the scenario's unit.
    spending : dict
        Each state's observed spending in the first year.
    grievance, reaction : dict
        Each state's grievance g and reaction k.
    windows : dict
        The years each state's reaction and grievance are calibrated on.
    breaks : dict
        For a state whose economy breaks (``[history] breaks``): the year, its output then
        on the trend fitted from that year (in the scenario's unit), and that trend's slope.
    """

    growth: dict[str, float]
    output: dict[str, float]
    spending: dict[str, float]
    grievance: dict[str, float]
    reaction: dict[str, float]
    windows: dict[str, tuple[int, int]]
    breaks: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def derive(scenario: Scenario, through: int | None = None) -> Derivation:
    """What the scenario's file takes from COW (module docstring), recomputed.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario.
    through : int, optional
        The last year of the record that the derivation may read (a forecast made in that
        year): the trend of output is fitted on the years up to it, and each calibration
        window ends by it. Default: every year of the span, as the shipped files do.

    Returns
    -------
    Derivation
        Growth, initial output and spending, reaction and grievance of every state.
    """
    settings = _settings(scenario)
    if settings["output"] not in OUTPUTS:
        raise ScenarioError(f"[history] output must be one of {', '.join(OUTPUTS)}, got "
                            f"{settings['output']!r}")
    years, spending, _ = observed(scenario)
    _, index = (gdp(scenario) if settings["output"] == "gdp" else capability_index(scenario))
    states = scenario.states
    windows: dict[str, tuple[int, int]] = {}
    for i, state in enumerate(states):
        armed = np.flatnonzero(spending[:, i] > 0)
        if armed.size == 0:
            raise DynamicsError(f"{state} has no {settings['variable']} in "
                                f"{years[0]}-{years[-1]}")
        first = int(armed[0])
        windows[state] = (int(years[first]), int(years[min(first + settings["calibration"],
                                                           years.size) - 1]))
        if through is not None:  # a window ends by the last year that may be read
            if windows[state][0] > through:
                raise DynamicsError(f"{state} is first armed in {windows[state][0]}, after "
                                    f"{through}, the last year the derivation may read")
            windows[state] = (windows[state][0], min(windows[state][1], int(through)))
    known = years <= (years[-1] if through is None else through)
    unknown = {state: year for state, year in settings["breaks"].items() if state not in states}
    if unknown:
        raise ScenarioError(f"[history] breaks names {', '.join(unknown)}, not a state of "
                            f"{scenario.name}")
    before = np.ones(index.shape, dtype=bool)
    for state, year in settings["breaks"].items():
        before[years >= year, states.index(state)] = False  # the trend up to the break
    slopes, starts = _trend(years[known], np.where(before, index, np.nan)[known])
    after: dict[str, tuple[int, float, float]] = {}
    for state, year in settings["breaks"].items():
        column, kept = states.index(state), known & (years >= year)
        if kept.sum() < 2:
            continue  # (a forecast made before the break: nothing after it to fit)
        late_slope, late_start = _trend(years[kept], index[kept][:, [column]])
        # the second line's value at the break year, from its value at its first year
        after[state] = (int(year), float(late_start[0] * math.exp(
            late_slope[0] * (year - years[kept][0]))), float(late_slope[0]))
    first_window = slice(0, settings["calibration"])
    # the unit of output: the states' spending in the first window is ``burden`` of it
    # (GDP comes in the scenario's unit already)
    scale = 1.0 if settings["output"] == "gdp" else np.nansum(
        np.nanmean(spending[first_window], axis=0)) / (settings["burden"] * starts.sum())
    output = starts * scale
    grievance: dict[str, float] = {}
    reaction: dict[str, float] = {}
    model = scenario.model()
    values = {k: v for k, v in scenario.parameters.items() if k in model.parameter_names}
    alpha = np.asarray(scenario.parameter("fatigue"), dtype=float)
    for i, state in enumerate(states):
        start, end = windows[state]
        rows = (years >= start) & (years <= end)
        mean = np.nan_to_num(np.nanmean(spending[rows], axis=0))
        e = output * np.exp(slopes * (0.5 * (start + end) - years[0]))
        own = (f"grievance.{state}", f"reaction.{state}")
        schedule = plan(model, [replace(event, set={k: v for k, v in event.set.items()
                                                    if k not in own})
                                for event in scenario.events
                                if event.at is not None and any(
                                    k not in own for k in [*event.set, *event.scale])],
                        scenario.t_span)
        due = sorted((float(schedule.times[0, d]), d) for d in range(schedule.dated)
                     if schedule.times[0, d] <= start)

        window = (model, values, mean, e, schedule, due, float(start))
        # theta_i - A_i at the window: the rate with reaction 1 less that with reaction 0
        net_threat = (_rate(scenario, window, i, 1.0) - _rate(scenario, window, i, 0.0))
        answer = settings["threat_share"] * alpha[i] * mean[i]
        reaction[state] = answer / net_threat if net_threat > 0 else 0.0
        grievance[state] = (alpha[i] * mean[i] - reaction[state] * net_threat) / float(e[i])
    m0 = np.nan_to_num(spending[0])
    return Derivation(dict(zip(states, slopes.tolist(), strict=True)),
                   dict(zip(states, output.tolist(), strict=True)),
                   dict(zip(states, m0.tolist(), strict=True)), grievance, reaction, windows,
                   {state: (year, level * scale, slope)
                    for state, (year, level, slope) in after.items()})


def _rate(scenario: Scenario, window: tuple, i: int, reaction: float) -> float:
    """State i's rate of spending at a window's means, with this reaction and no
    grievance, the dated interventions of the window in force."""
    model, values, mean, e, schedule, due, start = window
    state = scenario.states[i]
    chosen = dict(values, grievance={**_per_state(scenario, "grievance"), state: 0.0},
                  reaction={**_per_state(scenario, "reaction"), state: reaction})
    run = prepare(model, chosen, {"m": mean, "e": e})
    compiled, y, p = run.compiled, run.y0, run.p
    inputs = schedule.inputs_along(p, due, np.array([start]))[0] if due else p
    slot = next(n for n, s in enumerate(model.variables) if s.name == "m" and s.index == (i,))
    return float(compiled.rate(0.0, y, inputs)[slot])


def collapse_ratio(scenario: Scenario, state: str, year: int) -> float:
    """The part of a collapsing state that its successor keeps: COW's total population of
    ``state`` in ``year`` over that in the year before (Russia's share of the Soviet
    population: COW lists the Soviet Union until 1990 and Russia from 1991).

    Parameters
    ----------
    scenario : Scenario
        The scenario (its states' codes).
    state : str
        The successor state.
    year : int
        Its first year.

    Returns
    -------
    float
        The ratio.
    """
    years = np.array([year - 1, year])
    population = _series(scenario, "tpop", years)[:, scenario.states.index(state)]
    if not np.all(np.isfinite(population)):
        raise DynamicsError(f"COW has no population of {state} in {year - 1} and {year}")
    return float(population[1] / population[0])


def _per_state(scenario: Scenario, name: str) -> dict[str, float]:
    return dict(zip(scenario.states, np.asarray(scenario.parameter(name)).tolist(),
                    strict=True))


@dataclass
class HistoryFit(Report):
    """Simulated against observed shares of spending, year by year.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    years : ndarray
        The years compared.
    observed, simulated : ndarray
        The shares of spending (years, N), observed (NaN where COW has no value) and
        simulated.
    states : tuple of str
        The states.
    error : float
        The mean absolute error of the shares (mean over states, then over the years with
        data).
    persistence : float
        That of holding the first year's observed shares.
    without_interventions : float
        That of the same model with none of its interventions.
    by_state : dict
        Each state's mean absolute error.
    result : Result, optional
        The run.
    """

    scenario: str
    years: np.ndarray
    observed: np.ndarray
    simulated: np.ndarray
    states: tuple[str, ...]
    error: float
    persistence: float
    without_interventions: float
    by_state: dict[str, float] = field(default_factory=dict)
    result: Result | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "years": self.years.tolist(),
                "states": list(self.states), "error": self.error,
                "persistence": self.persistence,
                "without_interventions": self.without_interventions,
                "by_state": self.by_state}

    def rows(self) -> list[dict[str, Any]]:
        return [{"year": int(year), "state": state, "observed": float(self.observed[k, i]),
                 "simulated": float(self.simulated[k, i])}
                for k, year in enumerate(self.years) for i, state in enumerate(self.states)]

    def summary(self) -> str:
        states = ", ".join(f"{s} {e:.3f}" for s, e in self.by_state.items())
        return (f"{self.scenario}: mean absolute error of the shares of spending "
                f"{self.error:.3f} over {int(np.isfinite(self.observed).all(axis=1).sum())} "
                f"years (persistence of the first year {self.persistence:.3f}; without "
                f"interventions {self.without_interventions:.3f}); by state: {states}")


def _error(simulated: np.ndarray, observed_shares: np.ndarray) -> tuple[float, np.ndarray]:
    kept = np.isfinite(observed_shares).all(axis=1)
    gap = np.abs(simulated[kept] - observed_shares[kept])
    return float(gap.mean()), gap.mean(axis=0)


def spending_shares(t: np.ndarray, m: np.ndarray, years: np.ndarray | Sequence[float]
                    ) -> np.ndarray:
    """Shares of spending ``m_i / sum_j m_j`` at ``years``, interpolated between the output
    times.

    Parameters
    ----------
    t : ndarray
        The output times (T,).
    m : ndarray
        Spending (..., T, N): a run, or every member of an ensemble at once.
    years : sequence of float
        The years.

    Returns
    -------
    ndarray
        The shares (..., years, N).
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = m / m.sum(axis=-1, keepdims=True)
    flat = shares.reshape(-1, *shares.shape[-2:])
    out = np.stack([np.column_stack([np.interp(years, t, member[:, i])
                                     for i in range(member.shape[1])]) for member in flat])
    return out.reshape(*shares.shape[:-2], len(years), shares.shape[-1])


def fit_history(scenario: Scenario, **options: Any) -> HistoryFit:
    """Run a historical scenario and compare its shares of spending with the record.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario.
    **options
        Those of :meth:`~dynamics.scenarios.Scenario.run`.

    Returns
    -------
    HistoryFit
        The simulated against the observed shares, with two baselines.
    """
    years, _, shares = observed(scenario)
    result = scenario.run(**options)
    if not result.ok:
        raise DynamicsError(f"{scenario.name} did not run to the end: {result.message}")
    simulated = spending_shares(result.t, result["m"], years)
    error, by_state = _error(simulated, shares)
    bare = scenario.run(**{**options, "interventions": ()})
    persistence = np.broadcast_to(shares[0], shares.shape)
    return HistoryFit(scenario.name, years, shares, simulated, scenario.states, error,
                      _error(persistence, shares)[0],
                      _error(spending_shares(bare.t, bare["m"], years), shares)[0],
                      dict(zip(scenario.states, by_state.tolist(), strict=True)), result)


def mapping_of(scenario: Scenario) -> Mapping[str, Sequence[str]]:
    """Each state's COW abbreviations (its own name unless ``codes`` says otherwise; a
    bloc's members)."""
    settings = _settings(scenario)
    return {state: list(settings["members"].get(state, settings["codes"].get(state, [state])))
            for state in scenario.states}


def __getattr__(name: str) -> Any:
    """``fit``, this module's former name of :func:`fit_history`, for one release."""
    if name == "fit":
        import warnings

        warnings.warn("dynamics.calibration.history.fit is now fit_history", DeprecationWarning,
                      stacklevel=2)
        return fit_history
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
