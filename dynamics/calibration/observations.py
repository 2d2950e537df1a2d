"""Observed series of the states: the Correlates of War record (:func:`cow_observations`) or
a CSV file of one's own (:func:`read_observations`), as a fit reads them.

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dynamics.calibration.history import DEFAULTS, record
from dynamics.data import COW_CITATION, COW_FILE, COW_UNITS, SeriesError, read_series
from dynamics.errors import UnknownNameError
from dynamics.scenarios import Scenario

__all__ = ['COW_SERIES', 'Observations', 'SERIES', 'cow_observations', 'read_observations']

#: the series a problem can fit: the model quantity, whether it is compared as shares
#: (each state's part of the states' total) and what it is
SERIES: dict[str, tuple[str, bool, str]] = {
    "spending_share": ("m", True, "share of military spending, m_i / sum_j m_j"),
    "power_share": ("share", True, "power share (the model's CINC-style composite; COW's "
                                   "cinc, normalised over the scenario's states)"),
    "spending": ("m", False, "military spending, in the scenario's unit"),
}
#: the COW variables that give a series, and which
COW_SERIES = {"milex": "spending_share", "cinc": "power_share"}
@dataclass(frozen=True)
class Observations:
    """Observed yearly series of a scenario's states.

    Attributes
    ----------
    years : ndarray
        The years (Y,).
    values : mapping
        Per series (a key of :data:`SERIES`), an array (Y, states), NaN where a value is not
        observed (a state not yet in the system).
    states : tuple of str
        The states, in the scenario's order.
    source : str
        Where the values come from.
    """

    years: np.ndarray
    values: Mapping[str, np.ndarray]
    states: tuple[str, ...]
    source: str = ""

    def window(self, first: int, last: int) -> Observations:
        """The years ``first`` to ``last`` (inclusive)."""
        kept = (self.years >= first) & (self.years <= last)
        if not kept.any():
            raise SeriesError(f"no observed year in {first}-{last} (the data cover "
                              f"{self.years[0]}-{self.years[-1]})")
        return replace(self, years=self.years[kept],
                       values={k: v[kept] for k, v in self.values.items()})


def _shares(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return values / np.nansum(values, axis=1, keepdims=True)


def cow_observations(scenario: Scenario, variables: Sequence[str] = ("milex",),
                     years: tuple[int, int] | None = None, *, levels: bool = False
                     ) -> Observations:
    """The scenario's states' series from the shipped Correlates of War file.

    Parameters
    ----------
    scenario : Scenario
        Its states are COW abbreviations, or mapped to them in its ``[history]`` table.
    variables : sequence of str
        COW columns of :data:`COW_SERIES`: ``milex`` (shares of military spending),
        ``cinc`` (power shares), each compared as shares of the states' total (unit-free).
    years : (int, int), optional
        First and last year (default: the scenario's span).
    levels : bool
        Spending levels (``spending``, in the scenario's unit) instead of shares: only for a
        scenario whose output is GDP in current US$ (``[history] output = "gdp"``), over
        years of current dollars (from 1914), where spending and output are in the same
        current prices; otherwise refused, because the package ships no deflator.

    Returns
    -------
    Observations
        Per series, (years, states) with NaN where a state is not yet in the system.

    Raises
    ------
    SeriesError
        For a value missing in the file (-9) inside the window, naming its line and column.
    """
    first, last = (int(round(x)) for x in scenario.t_span) if years is None else years
    if first > last:
        raise SeriesError(f"years {first}:{last} are inverted")
    span = np.arange(first, last + 1)
    out: dict[str, np.ndarray] = {}
    for variable in variables:
        if variable not in COW_SERIES:
            raise UnknownNameError("COW series", variable, COW_SERIES)
        values, present, lines, codes = record(scenario, variable, span)
        nominal = levels and variable == "milex" and (
            scenario.history.get("output") == "gdp" and first >= 1914)
        if levels and variable == "milex" and not nominal:
            unit = COW_UNITS["milex"]
            change = [k for k in range(1, span.size) if unit(span[k]) != unit(span[k - 1])]
            where = (f"years {first}-{last} cross the change of currency at line "
                     f"{_line_of(lines, change[0])} ({span[change[0]]}), column 'milex' "
                     f"({unit(first)} to {unit(last)}); " if change else "")
            raise SeriesError(f"{COW_FILE}: {where}spending levels need a deflator and the "
                              "package ships none: fit shares (cow:milex), give levels "
                              "in constant prices in a CSV file, or compare with output in "
                              "current dollars ([history] output = \"gdp\")")
        missing = np.argwhere(present & np.isnan(values))
        if missing.size:
            k, i = missing[0]
            raise SeriesError(f"{COW_FILE}, line {lines[k, i]} ({codes[k, i]} {span[k]}), "
                              f"column {variable!r}: missing (-9) inside the window "
                              f"{first}-{last}; choose years the record covers")
        values[~present] = np.nan
        if nominal:  # current dollars, as the scenario's output
            out["spending"] = values * float({**DEFAULTS, **scenario.history}["scale"])
            continue
        out[COW_SERIES[variable]] = _shares(values)
    return Observations(span, out, scenario.states, COW_CITATION)


def _line_of(lines: np.ndarray, k: int) -> int:
    row = lines[k][lines[k] > 0]
    return int(row[0]) if row.size else 0


def read_observations(path: str | Path, scenario: Scenario, *, levels: bool = False
                      ) -> Observations:
    """Observations from a CSV file with a ``year`` column and one column per state.

    Parameters
    ----------
    path : str or Path
        The file.
    scenario : Scenario
        The scenario whose states the columns are.
    levels : bool
        Compare the values themselves, in the scenario's unit (a ``unit`` column, if any,
        must name it), instead of shares of spending.

    Returns
    -------
    Observations
        The series.

    Raises
    ------
    SeriesError
        For a missing year, an empty or non-numeric cell, a change of unit inside the file,
        a negative value or a missing state column, naming the file, row and column.
    """
    series = read_series(path)
    columns = set(series.blocs)
    missing = [s for s in scenario.states if s not in columns]
    if missing:
        raise SeriesError(f"{path}, row 1: no column for {', '.join(missing)} (the "
                          f"scenario's states are {', '.join(scenario.states)})")
    values = np.column_stack([series.values[s] for s in scenario.states])
    negative = np.argwhere(values < 0)
    if negative.size:
        k, i = negative[0]
        raise SeriesError(f"{path}, row {k + 2}, column {scenario.states[i]!r}: "
                          f"{values[k, i]:g} is negative; spending is 0 or more")
    if levels:
        if series.unit and scenario.unit and series.unit != scenario.unit:
            raise SeriesError(f"{path}, row 2, column 'unit': {series.unit!r} is not the "
                              f"scenario's unit {scenario.unit!r}")
        return Observations(series.years, {"spending": np.where(values > 0, values, np.nan)},
                            scenario.states, str(path))
    return Observations(series.years, {"spending_share": _shares(values)}, scenario.states,
                        str(path))


