"""Labelled results of one run: access by variable and state, derived quantities, export.

A :class:`Result` is self-contained: it holds the trajectories of every variable (held
variables as constants), the power shares and actual threat computed from the model's own
symbolic definitions at simulation time, its run status and its provenance. It saves to
and loads from a single ``.npz`` file exactly, without rebuilding the model.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import platform
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import UnknownNameError, require
from dynamics.results.files import replacing, write_netcdf
from dynamics.results.html import escape, table
from dynamics.results.report import Report

__all__ = ["Status", "Result", "LazyValues", "environment", "load", "largest_difference",
           "member_differences"]

_FORMAT = "balancing-dynamics/result/1"


class Status(StrEnum):
    """How a run ended.

    Attributes
    ----------
    SUCCESS
        The run reached the end of its span.
    DIVERGED
        A variable exceeded the divergence bound (a runaway race).
    LEFT_DOMAIN
        A variable left its admissible domain.
    FAILED
        The solver could not continue (or the run's values were invalid).
    """

    SUCCESS = "success"
    DIVERGED = "diverged"  # a variable exceeded the divergence bound (runaway)
    LEFT_DOMAIN = "left_domain"  # a variable left its admissible domain
    FAILED = "failed"  # the solver could not continue


def environment() -> dict[str, str]:
    """The package and library versions and the time (UTC), for a result's provenance."""
    import scipy
    import sympy

    from dynamics._version import __version__

    return {"package": "balancing-dynamics", "version": __version__,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "sympy": sympy.__version__}


class LazyValues(Mapping):
    """A read-only mapping whose arrays are computed on first access, then kept.

    Ensembles use it so that a study that reads only spending and shares does not pay for
    building every other labelled array of every member.

    Parameters
    ----------
    builders : mapping
        Name -> a function that builds its array.
    """

    def __init__(self, builders: Mapping[str, Callable[[], np.ndarray]]):
        self._builders = dict(builders)
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._done:
            self._done[name] = self._builders[name]()  # KeyError for an unknown name
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def __repr__(self) -> str:
        return f"LazyValues({list(self._builders)}, computed={list(self._done)})"

    def __reduce__(self):
        # the builders are closures: a pickled copy (to another process) is computed
        return dict, (dict(self.items()),)


def largest_difference(values: Mapping[str, Any], reference: Mapping[str, Any],
                       names: Iterable[str], floor: float) -> float:
    """The largest difference between two runs of the same variables, relative to each
    variable's largest magnitude in the reference run (at least ``floor``): an estimate of
    the global error of ``values`` when ``reference`` is the same run solved at a tighter
    tolerance.

    Parameters
    ----------
    values, reference : mapping
        The runs' arrays by variable name (times first).
    names : iterable of str
        The variables compared (those of them that both runs have: a variant without a
        mechanism has no variable of it).
    floor : float
        The smallest magnitude a variable is measured against (the absolute tolerance: a
        variable that stays near zero is not measured against zero).

    Returns
    -------
    float
        The largest relative difference.
    """
    return float(_differences(values, reference, names, floor, members=False))


def member_differences(values: Mapping[str, Any], reference: Mapping[str, Any],
                       names: Iterable[str], floor: float) -> np.ndarray:
    """:func:`largest_difference` of each member of two ensembles.

    Parameters
    ----------
    values, reference : mapping
        The ensembles' arrays by variable name (members first, then times).
    names : iterable of str
        The variables compared (those of them that both have).
    floor : float
        The smallest magnitude a variable is measured against.

    Returns
    -------
    ndarray
        Each member's largest relative difference (NaN where a member has no values).
    """
    return np.asarray(_differences(values, reference, names, floor, members=True),
                      dtype=float)


def _differences(values: Mapping[str, Any], reference: Mapping[str, Any],
                 names: Iterable[str], floor: float, members: bool) -> Any:
    worst: Any = np.nan
    for name in names:
        if name not in values or name not in reference:
            continue
        a = np.asarray(values[name], dtype=float)
        b = np.asarray(reference[name], dtype=float)
        axes = tuple(range(1, a.ndim)) if members else None
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a member with no values
            scale = np.fmax(np.nanmax(np.abs(b), axis=axes), floor)
            gap = np.nanmax(np.abs(a - b), axis=axes) / scale
        worst = np.fmax(worst, gap)
    return worst


@dataclass
class Result(Report):
    """Trajectories of one run.

    Attributes
    ----------
    t : output times, shape (T,).
    values : variable name -> array of shape (T, N) (``c``: (T, N, N), symmetric, unit
        diagonal). Always ``m``, ``e``, ``c``, ``theta``, ``share`` and ``threat``; ``v``
        when soft balancing is on.
    states, mechanisms : as in the model.
    status, message : how the run ended and why.
    provenance : parameters, initial values, solver settings, versions and time of run.
    events : the interventions that fired, in order: ``{"time", "name", "change"}``.

    Examples
    --------
    >>> res["m", "USA"]            # doctest: +SKIP
    >>> res["c", "USA", "GBR"]     # doctest: +SKIP
    >>> res.share[-1], res.leader[-1]  # doctest: +SKIP
    """

    t: np.ndarray
    values: Mapping[str, np.ndarray]
    states: tuple[str, ...]
    mechanisms: tuple[str, ...]
    status: Status = Status.SUCCESS
    message: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    events: tuple[dict[str, Any], ...] = ()

    # --- access -------------------------------------------------------------------------
    def __getitem__(self, key: str | tuple[str, ...]) -> np.ndarray:
        """``res["m"]`` (T, N); ``res["m", "USA"]`` (T,); ``res["c", "USA", "CHN"]`` (T,)."""
        name, *states = (key,) if isinstance(key, str) else key
        data = self._array(name)
        index = tuple(self.state_index(s) for s in states)
        expected = data.ndim - 1
        if index and len(index) != expected:
            raise UnknownNameError(f"index for {name!r} (give {expected} state names, got "
                                   f"{len(index)})", ",".join(states), self.states)
        return data[(slice(None), *index)]  # type: ignore[arg-type]

    def _array(self, name: str) -> np.ndarray:
        if name in self.values:
            return self.values[name]
        if name in ("burden", "effective_poles", "leader"):
            return getattr(self, name)
        raise UnknownNameError("variable", name, [*self.values, "burden", "effective_poles",
                                                  "leader"])

    def state_index(self, state: str) -> int:
        """Position of ``state``; an unknown name raises with the closest match."""
        try:
            return self.states.index(state)
        except ValueError:
            raise UnknownNameError("state", state, self.states) from None

    @property
    def share(self) -> np.ndarray:
        """Power shares S_i(t), shape (T, N); rows sum to 1."""
        return self.values["share"]

    @property
    def burden(self) -> np.ndarray:
        """Burden beta_i = m_i / e_i, shape (T, N)."""
        return self.values["m"] / self.values["e"]

    @property
    def leader(self) -> np.ndarray:
        """Name of the state with the largest share at each time, shape (T,)."""
        return np.asarray(self.states, dtype=object)[np.argmax(self.share, axis=1)]

    @property
    def effective_poles(self) -> np.ndarray:
        """Effective number of poles 1 / sum_i S_i^2, shape (T,)."""
        return 1.0 / np.sum(self.share ** 2, axis=1)

    @property
    def global_error(self) -> float | None:
        """The run's estimated global error, when it was run with ``error_estimate``: its
        largest difference from the same run solved at tolerances 100 times tighter,
        relative to each variable's largest magnitude (:func:`largest_difference`); else
        None."""
        found = self.provenance.get("global_error")
        return None if found is None else float(found["estimate"])

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS

    def as_dict(self) -> dict[str, Any]:
        """Status, times, states, every stored series and the provenance, as plain data."""
        return {"status": self.status.value, "message": self.message, "t": self.t.tolist(),
                "states": list(self.states), "mechanisms": list(self.mechanisms),
                "values": {k: np.asarray(v).tolist() for k, v in self.values.items()},
                "events": jsonable(list(self.events)), "provenance": jsonable(self.provenance)}

    def rows(self) -> list[dict[str, Any]]:
        """The tidy table (time, variable, state, partner, value), one dict per value."""
        keys = ("time", "variable", "state", "partner", "value")
        return [dict(zip(keys, row, strict=True)) for row in self._rows()]

    @property
    def final(self) -> dict[str, np.ndarray]:
        """The last value of every stored variable."""
        return {name: data[-1] for name, data in self.values.items()}

    # --- export -------------------------------------------------------------------------
    def _rows(self):
        """Tidy rows (time, variable, state, partner, value)."""
        n = len(self.states)
        per_state = [name for name in self.values if name != "c"] + ["burden"]
        for k, time in enumerate(self.t):
            for name in per_state:
                data = self._array(name)
                for i in range(n):
                    yield float(time), name, self.states[i], "", float(data[k, i])
            for i in range(n):
                for j in range(i + 1, n):
                    yield (float(time), "c", self.states[i], self.states[j],
                           float(self.values["c"][k, i, j]))

    def to_dataframe(self, wide: bool = False):
        """A pandas DataFrame: tidy (time, variable, state, partner, value) by default.

        ``wide=True`` gives one row per time and one column per series (``m[USA]``,
        ``c[USA,CHN]``, ...). Requires pandas (``pip install balancing-dynamics[data]``).
        """
        require("data", "to_dataframe", "pandas")
        import pandas as pd
        frame = pd.DataFrame(list(self._rows()),
                             columns=["time", "variable", "state", "partner", "value"])
        if not wide:
            return frame
        label = frame["variable"] + "[" + frame["state"] + np.where(
            frame["partner"] == "", "", "," + frame["partner"]) + "]"
        return frame.assign(series=label).pivot(index="time", columns="series",
                                                values="value")

    def to_csv(self, path: str | Path) -> Path:
        """Write the tidy table to ``path`` (float values written exactly, as repr)."""
        path = Path(path)
        with replacing(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["time", "variable", "state", "partner", "value"])
            for time, name, state, partner, value in self._rows():
                writer.writerow([repr(time), name, state, partner, repr(value)])
        return path

    def to_xarray(self):
        """An ``xarray.Dataset`` over (time, state[, partner]): every stored series, the
        status and message, the mechanisms and the provenance (JSON) as attributes; needs
        xarray (``pip install 'balancing-dynamics[data]'``).

        Returns
        -------
        xarray.Dataset
            The run.
        """
        require("data", "to_xarray", "xarray")
        import xarray as xr

        data = {name: (("time", "state", "partner")[:np.ndim(array)],
                       np.asarray(array)) for name, array in self.values.items()}
        return xr.Dataset(data, coords={"time": self.t, "state": list(self.states),
                                        "partner": list(self.states)},
                          attrs={"title": "balancing-dynamics run",
                                 "status": self.status.value, "message": self.message,
                                 "mechanisms": " ".join(self.mechanisms),
                                 "events": json.dumps(jsonable(list(self.events))),
                                 "provenance": json.dumps(jsonable(self.provenance))})

    def to_netcdf(self, path: str | Path) -> Path:
        """Write :meth:`to_xarray` to a netCDF file (netCDF-3 by scipy, so no netCDF library
        is needed), whole or not at all.

        Parameters
        ----------
        path : str or Path
            The file.

        Returns
        -------
        Path
            The file written.
        """
        return write_netcdf(self.to_xarray(), path)

    def save(self, path: str | Path) -> Path:
        """Save to a ``.npz`` file that :func:`load` restores exactly."""
        path = Path(path)
        meta = {"format": _FORMAT, "states": list(self.states),
                "mechanisms": list(self.mechanisms), "status": self.status.value,
                "message": self.message, "provenance": self.provenance,
                "variables": list(self.values), "events": jsonable(list(self.events))}
        arrays = {f"value_{name}": data for name, data in self.values.items()}
        with replacing(path, "wb") as handle:
            np.savez_compressed(handle, t=self.t, meta=np.array(json.dumps(meta)),
                                **arrays)  # type: ignore[arg-type]
        return path

    def summary(self) -> str:
        """A few lines: status, span, final shares and leader."""
        shares = ", ".join(f"{s} {v:.3f}" for s, v in zip(self.states, self.share[-1],
                                                          strict=True))
        return (f"{self.status.value} over t = {self.t[0]:g}..{self.t[-1]:g} "
                f"({len(self.t)} times){': ' + self.message if self.message else ''}\n"
                + "".join(f"intervention {e['name']} at t = {e['time']:g}: {e['change']}\n"
                          for e in self.events) +
                f"final shares: {shares}; leader {self.leader[-1]}"
                + ("" if self.global_error is None else
                   f"\nestimated global error {self.global_error:.1e} (the largest "
                   "difference from a solve at tolerances 100 times tighter, relative to "
                   "each variable's largest magnitude)"))

    def _repr_html_(self) -> str:
        """Notebook view: status and the final value of each state."""
        header = ["state", "m", "e", "burden", "share"]
        rows = [[escape(s), f"{self['m'][-1, i]:.4g}", f"{self['e'][-1, i]:.4g}",
                 f"{self.burden[-1, i]:.3f}", f"{self.share[-1, i]:.3f}"]
                for i, s in enumerate(self.states)]
        return (f"<p><b>Result</b>: {escape(self.status.value)} over t = "
                f"{self.t[0]:g}..{self.t[-1]:g} {escape(self.message)}</p>" + table(header, rows))


def load(path: str | Path) -> Result:
    """Load a :class:`Result` saved by :meth:`Result.save`.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file written by :meth:`Result.save`.

    Returns
    -------
    Result
        The run, with its provenance and the interventions that fired.
    """
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a balancing-dynamics result (format "
                             f"{meta.get('format')!r}, expected {_FORMAT!r})")
        values = {name: data[f"value_{name}"] for name in meta["variables"]}
        return Result(t=data["t"], values=values, states=tuple(meta["states"]),
                      mechanisms=tuple(meta["mechanisms"]), status=Status(meta["status"]),
                      message=meta["message"], provenance=meta["provenance"],
                      events=tuple(meta.get("events", ())))


def jsonable(value: Any) -> Any:
    """Arrays and numpy scalars as plain lists and floats (exact through ``json``)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def finite_json(value: Any) -> Any:
    """:func:`jsonable`, with every NaN or infinite number written as None (``null``):
    strict JSON, which has no NaN."""
    value = jsonable(value)
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
