"""Yearly series for calibration: users' CSV files and the Correlates of War NMC file.

A :class:`Series` is a set of yearly values per state or bloc, with its unit and source.
:func:`read_series` reads a CSV with a ``year`` column and one column per bloc (and an
optional ``unit`` column); :func:`cow_series` sums Correlates of War members into blocs.
Both refuse what cannot be fitted honestly: a missing year, a non-numeric cell, fewer
than three years, or a change of unit inside the range (the milex currency changes from
pounds to dollars between 1913 and 1914), unless the change is explicitly allowed.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from dynamics.errors import DynamicsError, UnknownNameError

__all__ = ["Series", "SeriesError", "read_series", "cow_series", "COW_UNITS", "cow_path",
           "world_bank_gdp", "WORLD_BANK_CITATION"]

COW_FILE = "cow-nmc-v6.0.csv"
WORLD_BANK_FILE = "world-bank-gdp.csv"
WORLD_BANK_CITATION = ("World Bank, World Development Indicators, GDP (current US$), "
                       "NY.GDP.MKTP.CD; abridged in dynamics/data/world-bank-gdp.csv")
COW_CITATION = ("Correlates of War National Material Capabilities v6.0 (Singer, Bremer and "
                "Stuckey 1972; Singer 1987)")
#: the unit of COW milex by year: pounds until 1913, current dollars from 1914
COW_UNITS = {"milex": lambda year: "thousands of GBP" if year <= 1913
             else "thousands of current USD"}
MINIMUM_YEARS = 3


class SeriesError(DynamicsError, ValueError):
    """A yearly series that cannot be used; the message names the row and column."""


@dataclass(frozen=True)
class Series:
    """Yearly values per bloc.

    Attributes
    ----------
    years : ndarray
        The years (consecutive unless gaps were skipped).
    values : dict
        Bloc -> its values.
    unit : str
        The values' unit.
    source : str
        Where they come from.
    notes : tuple of str
        What was skipped or assumed.
    """

    years: np.ndarray
    values: dict[str, np.ndarray]
    unit: str = ""
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def blocs(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def total(self) -> np.ndarray:
        return np.sum([v for v in self.values.values()], axis=0)

    def matrix(self) -> np.ndarray:
        """Values as an array (years, blocs)."""
        return np.column_stack([self.values[b] for b in self.blocs])


#: the missing-value codes of the Correlates of War files (and their longer variants)
MISSING_CODES = (-9.0, -99.0, -999.0, -9999.0)
#: the largest change of one bloc's value from one year to the next that is read as data:
#: beyond it (a hundredfold rise or fall) a unit change is the likelier cause (thousands
#: against millions); war mobilisation, the largest real change, stays within it, as
#: the United States' tenfold rise of 1941-1943 does
JUMP_FACTOR = 100.0


def read_series(path: str | Path, *, allow_unit_change: bool = False) -> Series:
    """Read a CSV with a ``year`` column and one numeric column per bloc.

    An optional ``unit`` column gives each row's unit. Errors name the file, row (1-based,
    header = 1) and column.

    Parameters
    ----------
    path : str or Path
        The file (UTF-8, with or without a byte-order mark).
    allow_unit_change : bool
        Accept a change of unit inside the file, declared in a ``unit`` column or shown by
        a bloc's value changing more than :data:`JUMP_FACTOR` times from one year to the
        next (refused otherwise, naming the row).

    Returns
    -------
    Series
        The values per bloc.
    """
    path = Path(path)
    try:
        # (utf-8-sig: a byte-order mark, as spreadsheet programs write, is read, not kept)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SeriesError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SeriesError(f"{path}: is a folder, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise SeriesError(f"{path}: not a text (UTF-8) file (byte {error.start})") from None
    if not rows:
        raise SeriesError(f"{path}: the file is empty")
    header = [h.strip() for h in rows[0]]
    if "year" not in header:
        raise SeriesError(f"{path}, row 1: no 'year' column (columns: {header})")
    blocs = [h for h in header if h not in ("year", "unit")]
    if not blocs:
        raise SeriesError(f"{path}, row 1: no bloc columns beside 'year'")
    years: list[int] = []
    units: list[str] = []
    data: dict[str, list[float]] = {b: [] for b in blocs}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SeriesError(f"{path}, row {number}: {len(row)} cells, expected "
                              f"{len(header)} ({', '.join(header)})")
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        year = _number(path, number, "year", cells["year"])
        if year != int(year):
            raise SeriesError(f"{path}, row {number}, column 'year': {cells['year']!r} is not "
                              "a whole year")
        if years and int(year) != years[-1] + 1:
            raise SeriesError(f"{path}, row {number}, column 'year': {int(year)} follows "
                              f"{years[-1]}; expected {years[-1] + 1} (a missing or "
                              "unordered year)")
        years.append(int(year))
        for bloc in blocs:
            value = _number(path, number, bloc, cells[bloc])
            if value < 0:
                # spending and output are never negative: a negative cell is a code
                code = (" (the Correlates of War's code for a missing value)"
                        if value in MISSING_CODES else "")
                raise SeriesError(f"{path}, row {number}, column {bloc!r}: {cells[bloc]} is "
                                  f"negative{code}; fill it from another source or end the "
                                  "series before it")
            before = data[bloc][-1] if data[bloc] else None
            if (before is not None and before > 0 and value > 0 and not allow_unit_change
                    and max(value / before, before / value) > JUMP_FACTOR):
                raise SeriesError(f"{path}, row {number}, column {bloc!r}: {cells[bloc]} is "
                                  f"{max(value / before, before / value):.0f} times the year "
                                  f"before's {before:g}, more than {JUMP_FACTOR:g}: a change "
                                  "of unit? Fix the file, or accept it explicitly "
                                  "(allow_unit_change, --allow-unit-change)")
            data[bloc].append(value)
        if "unit" in cells:
            if units and cells["unit"] != units[-1] and not allow_unit_change:
                raise SeriesError(f"{path}, row {number}, column 'unit': the unit changes from "
                                  f"{units[-1]!r} to {cells['unit']!r} inside the range; "
                                  "fit each side separately or allow the change explicitly")
            units.append(cells["unit"])
    if len(years) < MINIMUM_YEARS:
        raise SeriesError(f"{path}: {len(years)} years of data; at least {MINIMUM_YEARS} "
                          "are needed")
    return Series(np.array(years), {b: np.array(v) for b, v in data.items()},
                  unit=units[0] if units else "", source=str(path))


def _number(path: Path, row: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SeriesError(f"{path}, row {row}, column {column!r}: {text!r} is not a "
                          "number") from None
    if not np.isfinite(value):
        raise SeriesError(f"{path}, row {row}, column {column!r}: {text!r} is not finite")
    return value


def cow_path() -> Path:
    """The path of the Correlates of War file shipped in the package."""
    return Path(str(resources.files("dynamics.data") / COW_FILE))


def world_bank_gdp(codes: Sequence[str], year: int) -> dict[str, float]:
    """GDP in current US$ billion from the shipped World Bank file.

    Parameters
    ----------
    codes : sequence of str
        ISO codes of the economies.
    year : int
        The year.

    Returns
    -------
    dict
        Code -> GDP; an economy or year not in the file raises :class:`SeriesError` naming
        it.
    """
    found = _world_bank().get(int(year), {})
    missing = [code for code in codes if code not in found]
    if missing:
        raise SeriesError(f"{WORLD_BANK_FILE}: no GDP for {', '.join(missing)} in {year}; "
                          f"the file holds {', '.join(sorted(found)) or 'nothing'} then")
    return {code: found[code] for code in codes}


@functools.cache
def _world_bank() -> dict[int, dict[str, float]]:
    """The shipped World Bank file as year -> code -> GDP in US$ billion, read once per
    process (callers ask year by year)."""
    text = (resources.files("dynamics.data") / WORLD_BANK_FILE).read_text()
    table: dict[int, dict[str, float]] = {}
    for row in csv.DictReader(text.splitlines()):
        table.setdefault(int(row["Year"]), {})[row["Country Code"]] = float(row["Value"]) / 1e9
    return table


def _cow_rows() -> list[dict[str, str]]:
    text = (resources.files("dynamics.data") / COW_FILE).read_text()
    return list(csv.DictReader(text.splitlines()))


def cow_series(blocs: Mapping[str, Sequence[str]], years: tuple[int, int], *,
               variable: str = "milex", allow_unit_change: bool = False) -> Series:
    """Bloc totals of a COW variable for ``years`` (inclusive).

    A year in which any member's value is missing (-9) or the member is not in the system is
    skipped for every bloc (noted in ``Series.notes``); the remaining years need not be
    consecutive, and the differences method uses only consecutive pairs.

    Parameters
    ----------
    blocs : mapping
        Bloc -> the COW abbreviations of its members.
    years : (int, int)
        The first and last year.
    variable : str
        The COW variable (default ``milex``).
    allow_unit_change : bool
        Accept a change of unit (COW's milex changes from pounds to dollars in 1914).

    Returns
    -------
    Series
        The bloc totals.
    """
    rows = _cow_rows()
    if variable not in rows[0]:
        raise UnknownNameError("COW variable", variable,
                               [c for c in rows[0] if c not in ("stateabb", "ccode", "year")])
    first, last = years
    if first > last:
        raise SeriesError(f"years {first}:{last} are inverted")
    known = {r["stateabb"] for r in rows}
    for members in blocs.values():
        for code in members:
            if code not in known:
                raise UnknownNameError("COW state abbreviation", code, sorted(known))
    unit_of = COW_UNITS.get(variable)
    if unit_of and unit_of(first) != unit_of(last) and not allow_unit_change:
        raise SeriesError(f"years {first}:{last} cross a change of unit of COW {variable} "
                          f"({unit_of(first)} to {unit_of(last)} between 1913 and 1914, also "
                          "the year of war mobilisation); fit each side separately or allow "
                          "the change explicitly")
    table = {(r["stateabb"], int(r["year"])): float(r[variable]) for r in rows
             if first <= int(r["year"]) <= last}
    kept: list[int] = []
    notes: list[str] = []
    values: dict[str, list[float]] = {b: [] for b in blocs}
    for year in range(first, last + 1):
        entries = {b: [table.get((c, year), -9.0) for c in m] for b, m in blocs.items()}
        missing = [c for b, m in blocs.items() for c, v in zip(m, entries[b], strict=True)
                   if v < 0]
        if missing:
            notes.append(f"{year} skipped: no {variable} for {', '.join(missing)}")
            continue
        kept.append(year)
        for b in blocs:
            values[b].append(sum(entries[b]))
    if len(kept) < MINIMUM_YEARS:
        raise SeriesError(f"{len(kept)} usable years of {variable} in {first}:{last}; at least "
                          f"{MINIMUM_YEARS} are needed" + (f" ({'; '.join(notes)})" if notes
                                                            else ""))
    unit = unit_of(first) if unit_of else ""
    return Series(np.array(kept), {b: np.array(v) for b, v in values.items()}, unit=unit,
                  source=COW_CITATION, notes=tuple(notes))
