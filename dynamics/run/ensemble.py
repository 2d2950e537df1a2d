"""Ensembles: many parameter sets (members) of one model integrated together.

``simulate_ensemble(model, params, t_span, ...)`` takes parameter and initial values with
a leading member axis (shape ``(M,)``, ``(M, N)`` or ``(M, N, N)``; values without it are
shared by every member) and returns an :class:`EnsembleResult` over (member, time,
variable, state). Members are integrated by the compiled Dormand-Prince kernel of
:mod:`dynamics.run.kernel.build` when numba is installed, otherwise one ``solve_ivp`` call each with
the same method (RK45) and tolerances. Nothing is dropped or returned wrong:

- a member whose values are invalid (NaN, out of bounds) is recorded as FAILED with the
  error message, and the others run;
- a member that the explicit method cannot finish (suspected stiff) is integrated again
  inside the kernel by its implicit Rosenbrock method, or, with interventions or where
  that fails too, re-run by scipy's Radau with the analytic Jacobian (and the kernel's
  rate compiled by numba);
- a member that diverges is recorded as DIVERGED with its trajectory up to there (NaN
  after).
"""

from __future__ import annotations

import csv
import functools
import json
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError, ShapeError, TimeSpanError, UnknownNameError, require
from dynamics.model.model import Model
from dynamics.model.registry import REGISTRY, VARIABLES
from dynamics.model.values import (
    expected_shape,
    kind_of,
    trailing_dims,
)
from dynamics.results.files import replacing, write_netcdf
from dynamics.results.labelled import (
    LazyValues,
    Result,
    Status,
    environment,
    jsonable,
    member_differences,
)
from dynamics.results.report import Report
from dynamics.run.engines import Members, choose_engine
from dynamics.run.interventions import Intervention, Plan, plan
from dynamics.run.prepared import (
    PreparedRun,
    check_arguments,
    has_member_axis,
    has_members,
    members_of,
    prepare,
    resolve_values,
    select,
    time_grid,
)
from dynamics.run.solver import (
    Events,
    Solver,
    fired_records,
    labelled,
)

__all__ = ["EnsembleResult", "simulate_ensemble", "has_members"]



@dataclass
class EnsembleResult(Report):
    """Trajectories of M members.

    ``values`` is computed per variable on first access (a study that reads only shares
    does not build the alliance matrices of every member).

    Parameters
    ----------
    t : ndarray
        The output times (T,).
    values : mapping
        ``values[name]`` has shape (M, T, N) (``c``: (M, T, N, N)).
    states, mechanisms : tuple of str
        The model's states and mechanisms.
    status : ndarray
        Each member's :class:`~dynamics.results.Status` (M,).
    messages : list of str
        Why a member did not succeed ("" where it did).
    engine : str
        Which integrator ran (``"kernel"`` or ``"scipy"``).
    provenance : dict
        Versions, solver, span, interventions: what reproduces the run.
    parameters : dict
        The model's parameter values, with a leading member axis where they vary.
    events : list
        Per member, the interventions that fired (as :attr:`Result.events
        <dynamics.results.Result.events>`).

    Notes
    -----
    :meth:`member` gives one member as a :class:`~dynamics.results.Result` whose
    provenance holds its own parameter values, as a single simulation's does.
    """

    t: np.ndarray
    values: Mapping[str, np.ndarray]
    states: tuple[str, ...]
    mechanisms: tuple[str, ...]
    status: np.ndarray
    messages: list[str]
    engine: str
    provenance: dict[str, Any] = field(default_factory=dict)
    #: the model's parameter values, with a leading member axis where they vary
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    #: per member, the interventions that fired (as :attr:`Result.events
    #: <dynamics.results.Result.events>`)
    events: list[tuple[dict[str, Any], ...]] = field(default_factory=list)

    @property
    def members(self) -> int:
        return len(self.status)

    @property
    def global_error(self) -> np.ndarray | None:
        """Each member's estimated global error (NaN where it did not succeed), when the
        ensemble was run with ``error_estimate``: its largest difference from the same
        member solved at tolerances 100 times tighter, relative to each variable's largest
        magnitude (:func:`~dynamics.results.labelled.largest_difference`); else None."""
        found = self.provenance.get("global_error")
        return None if found is None else np.array(
            [np.nan if v is None else v for v in found["members"]], dtype=float)

    def as_dict(self) -> dict[str, Any]:
        return {"members": self.members, "engine": self.engine, "states": list(self.states),
                "mechanisms": list(self.mechanisms), "t": self.t.tolist(),
                "status": [s.value for s in self.status], "messages": list(self.messages),
                "events": [list(e) for e in self.events],
                "provenance": jsonable(self.provenance)}

    def summary(self) -> str:
        counts = Counter(s.value for s in self.status)
        lines = [f"{self.members} members over t = {self.t[0]:g}..{self.t[-1]:g} "
                 f"({self.engine}): " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))]
        stopped = [i for i, s in enumerate(self.status) if s is not Status.SUCCESS]
        if stopped:
            lines.append(f"  first that did not succeed: member {stopped[0]}, "
                         f"{self.messages[stopped[0]]}")
        return "\n".join(lines)

    def rows(self) -> list[dict[str, Any]]:
        """The tidy table of :meth:`to_dataframe` as dicts (one per value)."""
        return self.to_dataframe().to_dict("records")

    @property
    def ok(self) -> np.ndarray:
        return np.array([s is Status.SUCCESS for s in self.status])

    def member(self, i: int) -> Result:
        """Member ``i`` as a single-run :class:`~dynamics.results.Result` (up to its stop)."""
        valid = np.isfinite(self.values["m"][i]).all(axis=1)
        own = {name: value[i] if has_member_axis(name, value, self.members) else value
               for name, value in self.parameters.items()}
        return Result(t=self.t[valid],
                      values=LazyValues({k: functools.partial(self._rows, k, i, valid)
                                         for k in self.values}),
                      states=self.states, mechanisms=self.mechanisms, status=self.status[i],
                      message=self.messages[i],
                      provenance={**self.provenance, "member": i,
                                  "parameters": jsonable(own)},
                      events=self.events[i] if self.events else ())

    def _rows(self, name: str, i: int, valid: np.ndarray) -> np.ndarray:
        return self.values[name][i][valid]

    def to_xarray(self):
        """An ``xarray.Dataset`` over (member, time, state[, partner]) with each member's
        status, message and varied parameters (``parameter_<name>``), and the provenance
        with the shared parameters (JSON) as an attribute; needs xarray
        (``pip install 'balancing-dynamics[data]'``)."""
        require("data", "to_xarray", "xarray")
        import xarray as xr

        data = {}
        for name, array in self.values.items():
            dims = ("member", "time", "state") + (("partner",) if array.ndim == 4 else ())
            data[name] = (dims, array)
        data["status"] = ("member", np.array([s.value for s in self.status]))
        data["message"] = ("member", np.array(self.messages, dtype=str))
        shared = {}
        for name, value in self.parameters.items():  # varied ones as variables
            if has_member_axis(name, value, self.members):
                dims = ("member", "state", "partner")[:np.ndim(value)]
                data[f"parameter_{name}"] = (dims, np.asarray(value))
            else:
                shared[name] = value
        provenance = {**self.provenance, "parameters": shared}
        return xr.Dataset(data, coords={"member": np.arange(self.members), "time": self.t,
                                        "state": list(self.states),
                                        "partner": list(self.states)},
                          attrs={"title": "balancing-dynamics ensemble",
                                 "mechanisms": " ".join(self.mechanisms),
                                 "engine": self.engine,
                                 "provenance": json.dumps(jsonable(provenance))})

    def to_dataframe(self, variables: Sequence[str] | None = None):
        """A tidy pandas DataFrame (member, time, variable, state, partner, value), as
        :meth:`Result.to_dataframe <dynamics.results.Result.to_dataframe>` with a member
        column; cohesion once per pair (i < j). Needs pandas (``[data]``)."""
        require("data", "to_dataframe", "pandas")
        import pandas as pd

        frames = []
        states = np.array(self.states)
        upper = np.triu_indices(len(self.states), 1)
        for name in variables or list(self.values):
            array = self.values[name]
            if array.ndim == 4:  # pairs: (M, T, N, N) -> (M, T, P)
                array = array[:, :, upper[0], upper[1]]
                first, second = states[upper[0]], states[upper[1]]
            else:
                first, second = states, np.full(len(states), "")
            member, time, column = np.indices(array.shape).reshape(3, -1)
            frames.append(pd.DataFrame({"member": member, "time": self.t[time],
                                        "variable": name, "state": first[column],
                                        "partner": second[column], "value": array.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def to_csv(self, path: str | Path) -> Path:
        """Write the tidy table of :meth:`to_dataframe` (member, time, variable, state,
        partner, value; cohesion once per pair), floats exactly (as repr), ``nan`` after a
        member's stop, whole or not at all; no pandas needed. Each member's status and
        message are in :meth:`as_dict`.

        Parameters
        ----------
        path : str or Path
            The file.

        Returns
        -------
        Path
            The file written.
        """
        path = Path(path)
        states = self.states
        upper = list(zip(*np.triu_indices(len(states), 1), strict=True))
        with replacing(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["member", "time", "variable", "state", "partner", "value"])
            for member in range(self.members):
                for name, array in self.values.items():
                    data = np.asarray(array[member])
                    for k, time in enumerate(self.t):
                        if data.ndim == 3:
                            writer.writerows([member, repr(float(time)), name, states[i],
                                              states[j], repr(float(data[k, i, j]))]
                                             for i, j in upper)
                        else:
                            writer.writerows([member, repr(float(time)), name, state, "",
                                              repr(float(data[k, i]))]
                                             for i, state in enumerate(states))
        return path

    def to_netcdf(self, path: str | Path) -> Path:
        """Write :meth:`to_xarray` to a netCDF file (netCDF-3 by scipy, so no netCDF
        library is needed); ``xarray.open_dataset(path)`` reads it back."""
        return write_netcdf(self.to_xarray(), path)


def simulate_ensemble(model: Model, params: Mapping[str, Any] | None = None,
                      t_span: Sequence[float] = (0.0, 50.0), *,
                      initial: Mapping[str, Any] | None = None,
                      output: int | Sequence[float] = 401, solver: Solver = Solver(),
                      events: Events = Events(),
                      interventions: Sequence[Intervention] = (),
                      error_estimate: bool = False) -> EnsembleResult:
    """Integrate every member of an ensemble; see the module docstring.

    Parameters
    ----------
    model : Model
        The assembled model.
    params : mapping, optional
        Parameter values by registry name; a leading member axis (``(M,)`` scalar,
        ``(M, N)`` per state, ``(M, N, N)`` per pair) gives each member its own value.
    t_span : (float, float)
        Start and end, in years.
    initial : mapping, optional
        Initial values by variable, with or without a member axis.
    output : int or sequence of float
        The number of evenly spaced output times, or the times themselves.
    solver : Solver
        Method, tolerances, divergence bound and engine: the compiled kernel runs RK45
        (members that look stiff are integrated again by its implicit method, or re-run
        with Radau); another method runs one
        ``solve_ivp`` per member.
    events : Events
        Terminal events; ``events.domain`` applies to the scipy engine, the kernel records
        divergence and non-finite values.
    interventions : sequence of Intervention
        Run in every member, each with its own date and size where these are given per
        member (a member whose own date or value is inadmissible fails alone).
    error_estimate : bool
        Solve every member again at tolerances 100 times tighter and store each member's
        largest difference from that reference (:attr:`EnsembleResult.global_error`), an
        estimate of its global error; the run then costs about three times as much.

    Returns
    -------
    EnsembleResult
        Every member's trajectory and status (SUCCESS, DIVERGED, LEFT_DOMAIN or FAILED); a
        failed member does not stop the others.
    """
    if error_estimate:
        options: dict[str, Any] = {"initial": initial, "output": output, "events": events,
                   "interventions": interventions}
        result = simulate_ensemble(model, params, t_span, solver=solver, **options)
        reference = simulate_ensemble(model, params, t_span, solver=solver.tightened(),
                                      **options)
        return with_error(result, reference, model, solver)
    check_arguments(model, params, initial)
    params, initial = dict(params or {}), dict(initial or {})
    t0, t1, t_out = time_grid(t_span, output)
    if t_out is None:
        raise TimeSpanError("an ensemble needs output times (a number or the times)")
    for names, known, kind in ((params, REGISTRY, "parameter"), (initial, VARIABLES,
                                                                  "variable")):
        for name, value in names.items():  # structural errors concern every member:
            if name not in known:              # raise them at once
                raise UnknownNameError(kind, name, known)
            if not isinstance(value, Mapping) and np.ndim(value) > trailing_dims(name) + 1:
                # one leading axis at most, the members'
                raise ShapeError(f"{kind} {name!r} has shape {np.shape(value)}; expected "
                                 f"{expected_shape(kind_of(name), model.N)}")
    schedule = plan(model, interventions, (t0, t1)) if interventions else None
    members = members_of({**params, **initial})
    if schedule is not None and schedule.members > 1:
        if members not in (1, schedule.members):
            raise ShapeError(f"values have {members} members but interventions "
                             f"{schedule.members}")
        members = schedule.members
    # per-member bookkeeping is visited only where a member is not an ordinary success: at
    # many threads the integration of a member takes a few microseconds of the call
    # (benchmarks/threads.py), and a Python loop over every member would be a part of it
    messages = [""] * members
    status = [Status.SUCCESS] * members
    for i, why in (schedule.problems.items() if schedule is not None else ()):
        status[i], messages[i] = Status.FAILED, f"invalid intervention: {why}"
    engine = choose_engine(solver)
    code = engine.code(solver)
    requested = params
    try:
        run: PreparedRun | None = prepare(model, params, initial, code)
    except DynamicsError:
        run = None  # a member's values are invalid: found member by member below
    good = (_validate(model, params, initial, np.arange(members), members, status, messages)
            if run is None else [i for i, s in enumerate(status) if s is Status.SUCCESS])
    if not good:
        raise DynamicsError(f"every one of the {members} members is invalid; the first: "
                            f"{messages[0]}")
    # replace invalid members by a valid one for the run; their outputs are discarded
    invalid = [i for i, s in enumerate(status) if s is not Status.SUCCESS]
    index = np.arange(members)
    index[invalid] = good[0]
    if schedule is not None:
        schedule = schedule.select(index)
    if run is None:  # (a copy of every value with a member axis: only where it is needed)
        params, initial = select(params, index, members), select(initial, index, members)
        run = prepare(model, params, initial, code)
    compiled, values, start, y0, p = run.compiled, run.values, run.start, run.y0, run.p
    recorded = _recorded(model, values, requested, invalid, members)
    # (broadcast only where a value lacks the member axis: a broadcast view is read-only,
    # and the kernel would copy it)
    y0, p = (a if a.shape[:-1] == (members,) else np.broadcast_to(a, (members, a.shape[-1]))
             for a in (y0, p))
    ys, fired = engine.integrate(Members(run, y0, p, (t0, t1), t_out, solver, events,
                                         schedule, status, messages, invalid))
    inputs: np.ndarray | Callable[[], np.ndarray] = p
    timed = schedule is not None and schedule.changes_inputs and any(fired)
    if timed:
        assert schedule is not None
        inputs = functools.partial(_inputs_along, schedule, p, fired, t_out)
    return EnsembleResult(t_out, labelled(model, compiled, ys, inputs, start, timed),
                          model.states, tuple(sorted(model.mechanisms)),
                          np.array(status, dtype=object), messages,
                          engine.name, {**environment(), "states": list(model.states),
                                   "mechanisms": sorted(model.mechanisms),
                                   "solver": asdict(solver), "t_span": [t0, t1],
                                   "members": members, "engine": engine.name,
                                   "interventions": [i.as_dict() for i in
                                                     (schedule.interventions if schedule
                                                      else ())]},
                          recorded, [fired_records(schedule, fired[i], i)
                                     if status[i] is not Status.FAILED else ()
                                     for i in range(members)] if schedule is not None
                          else [()] * members)


def with_error(result: EnsembleResult, reference: EnsembleResult, model: Model,
               solver: Solver) -> EnsembleResult:
    """``result`` with each member's estimated global error in its provenance: the largest
    difference from ``reference`` (the same members at tighter tolerances), NaN for a
    member that did not succeed in either."""
    names = model.variable_names
    error = member_differences(result.values, reference.values, names, solver.atol)
    done = np.array([a is Status.SUCCESS and b is Status.SUCCESS
                     for a, b in zip(result.status, reference.status, strict=True)])
    error[~done] = np.nan
    tight = solver.tightened()
    result.provenance["global_error"] = {
        "members": [None if np.isnan(v) else float(v) for v in error],
        "reference": {"rtol": tight.rtol, "atol": tight.atol}}
    return result


def _inputs_along(schedule: Plan, p: np.ndarray, fired: list, t_out: np.ndarray
                  ) -> np.ndarray:
    """Every member's inputs at the output times (M, T, n_inputs), as its interventions
    changed them: built only when a result reads a quantity that depends on them."""
    inputs = np.repeat(p[:, None, :], t_out.size, axis=1)
    for i, changes in enumerate(fired):
        if changes:
            inputs[i] = schedule.inputs_along(p[i], changes, t_out, i)
    return inputs


def _recorded(model, values, requested, invalid, members) -> dict[str, np.ndarray]:
    """The parameter values to record: those run, except that an invalid member keeps the
    values it was given (it was run with a valid member's values, then discarded)."""
    out = {}
    for name in model.parameter_names:
        value = values[name]
        given = requested.get(name)
        if invalid and given is not None and has_member_axis(name, given, members):
            value = np.array(value, dtype=float)
            given = np.asarray(given, dtype=float)[invalid]
            value[invalid] = np.broadcast_to(given, value[invalid].shape)
        out[name] = value
    return out


def _validate(model, params, initial, rows, members, status, messages) -> list[int]:
    """The valid members among ``rows``; each invalid one is marked FAILED with its error.

    A block of members is checked in one vectorised call; a block with an invalid member
    is halved, so that one bad member among M costs about 2 log2(M) calls, not M.
    """
    # one member is selected without its member axis, so that the error names no index
    chosen = rows[0] if rows.size == 1 else rows
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # idle parameters are reported once, later
            resolve_values(model, select(params, chosen, members),
                           select(initial, chosen, members))
        return rows.tolist()
    except DynamicsError as error:
        if rows.size == 1:
            status[chosen], messages[chosen] = Status.FAILED, f"invalid values: {error}"
            return []
    half = rows.size // 2
    return (_validate(model, params, initial, rows[:half], members, status, messages)
            + _validate(model, params, initial, rows[half:], members, status, messages))
