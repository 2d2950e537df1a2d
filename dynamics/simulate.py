"""Integration of one run of a model with scipy's ``solve_ivp``: solver choice and events.

``simulate(model, params, t_span, *, initial=..., output=..., solver=..., events=...)`` is
the one entry point. The solver and the events are small immutable objects
(:class:`Solver`, :class:`Events`); a run always returns a :class:`~dynamics.results.Result`
whose status says whether it finished, diverged, left the admissible domain or failed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from dynamics.compile import CompiledModel, compile_model
from dynamics.errors import ParameterValueError, ShapeError, TimeSpanError, UnknownNameError
from dynamics.model.model import Model
from dynamics.model.units import DIMENSIONLESS, parse_unit, same_dimension
from dynamics.model.values import pack_inputs, resolve_initial, resolve_parameters
from dynamics.results import LazyValues, Result, Status, environment, jsonable

__all__ = ["Solver", "Events", "simulate", "prepare", "METHODS"]

#: solve_ivp methods; the implicit ones receive the analytic Jacobian
METHODS = ("LSODA", "Radau", "BDF", "RK45", "DOP853", "RK23")
_IMPLICIT = {"LSODA", "Radau", "BDF"}


@dataclass(frozen=True)
class Solver:
    """Integration method and tolerances.

    The default, LSODA with the analytic Jacobian, switches between a non-stiff Adams
    method and a stiff BDF method as the problem requires, so fast cohesion and slow
    economies do not force tiny steps. ``rtol`` and ``atol`` are solve_ivp's tolerances.
    """

    method: str = "LSODA"
    rtol: float = 1e-8
    atol: float = 1e-10
    max_step: float = math.inf

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UnknownNameError("solver method", self.method, METHODS)
        for name in ("rtol", "atol", "max_step"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0 and not math.isnan(value)):
                raise ParameterValueError(f"solver {name} must be a positive number, got "
                                          f"{value!r}")


@dataclass(frozen=True)
class Events:
    """Terminal events that end a run with a recorded status.

    divergence : a run is DIVERGED when any variable's magnitude exceeds ``divergence``
        times the largest initial magnitude (a runaway arms race without a ceiling).
    domain : stop with LEFT_DOMAIN when spending (with the ceiling on), output, cohesion or
        soft-balancing effort leaves its domain by more than ``tolerance`` times the
        variable's initial scale (a bug or an inadmissible parameter set, never a result).
    """

    divergence: float = 1e6
    domain: bool = True
    tolerance: float = 1e-6

    def __post_init__(self) -> None:
        if not self.divergence > 1:
            raise ParameterValueError(f"events divergence must exceed 1, got "
                                      f"{self.divergence!r}")
        if not 0 < self.tolerance < 1:
            raise ParameterValueError(f"events tolerance must be in (0, 1), got "
                                      f"{self.tolerance!r}")


def _time_grid(t_span: Sequence[float], output: int | Sequence[float] | None) -> tuple[
        float, float, np.ndarray | None]:
    try:
        t0, t1 = (float(x) for x in t_span)
    except (TypeError, ValueError):
        raise TimeSpanError(f"t_span must be two numbers (start, end), got {t_span!r}") from None
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise TimeSpanError(f"t_span must be finite, got ({t0}, {t1})")
    if t1 == t0:
        raise TimeSpanError(f"t_span is empty: start and end are both {t0}")
    if t1 < t0:
        raise TimeSpanError(f"t_span is inverted: end {t1} is before start {t0}")
    if output is None:
        return t0, t1, None
    if isinstance(output, int | np.integer):
        if output < 2:
            raise TimeSpanError(f"output must ask for at least 2 times, got {output}")
        return t0, t1, np.linspace(t0, t1, int(output))
    times = np.asarray(output, dtype=float)
    if times.ndim != 1 or times.size == 0:
        raise TimeSpanError(f"output times must be a non-empty 1-d sequence, got shape "
                            f"{times.shape}")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise TimeSpanError("output times must be finite and strictly increasing")
    if times[0] < t0 or times[-1] > t1:
        raise TimeSpanError(f"output times {times[0]:g}..{times[-1]:g} leave t_span "
                            f"({t0:g}, {t1:g})")
    return t0, t1, times


@dataclass(frozen=True)
class _Event:
    """A terminal event: its function, the status it records, what it means, and the
    variables it watches with the extreme (min or max) that names the culprit."""

    function: Callable
    status: Status
    text: str
    watched: np.ndarray
    extreme: Callable = np.argmin


def _event_functions(model: Model, y0: np.ndarray, events: Events) -> list[_Event]:
    """Every terminal event of this model: the divergence bound, and leaving the domain
    of each dynamic variable with a finite bound (by more than the tolerance, relative to
    the variable's initial scale when it has a unit; an open bound, such as output's 0,
    exactly)."""
    watched = np.array([k for k, s in enumerate(model.variables)
                        if model.variable(s.name).watched])
    scale = float(np.max(np.abs(y0))) or 1.0
    bound = events.divergence * scale
    found = [_Event(lambda t, y: bound - np.max(np.abs(y[watched])), Status.DIVERGED,
                    f"a variable exceeded {events.divergence:g} times the initial scale",
                    watched, lambda values: np.argmax(np.abs(values)))]
    if not events.domain:
        return _terminal(found)
    for variable in model.dynamic:
        idx = np.array([k for k, s in enumerate(model.variables) if s.name == variable.name])
        low, high = model.domain(variable)
        size = 1.0
        if not same_dimension(parse_unit(variable.unit), DIMENSIONLESS):
            size = float(np.max(np.abs(y0[idx]))) or 1.0
        slack = events.tolerance * size
        if math.isfinite(low):
            floor = low if variable.open_low else low - slack
            verb = "reached" if variable.open_low else "fell below"
            found.append(_Event(lambda t, y, idx=idx, floor=floor: np.min(y[idx]) - floor,
                                Status.LEFT_DOMAIN, f"{variable.meaning} {verb} {low:g}", idx))
        if math.isfinite(high):
            found.append(_Event(lambda t, y, idx=idx, ceiling=high + slack:
                                ceiling - np.max(y[idx]), Status.LEFT_DOMAIN,
                                f"{variable.meaning} rose above {high:g}", idx, np.argmax))
    return _terminal(found)


def _terminal(found: list[_Event]) -> list[_Event]:
    for event in found:
        event.function.terminal = True
    return found


def simulate(model: Model, params: Mapping[str, Any] | None = None,
             t_span: Sequence[float] = (0.0, 50.0), *,
             initial: Mapping[str, Any] | None = None,
             output: int | Sequence[float] | None = 401,
             solver: Solver | str = Solver(),
             events: Events = Events()) -> Result:
    """Integrate ``model`` over ``t_span`` (years) and return labelled results.

    Parameters
    ----------
    model : the assembled :class:`~dynamics.Model`.
    params : parameter values by registry name (see ``dynamics.REGISTRY``); the others
        take their defaults. Scalars apply to every state; per-state values may be a
        sequence of length N or a mapping from state name.
    t_span : (start, end) in years.
    initial : initial values by variable (``m``, ``e``, ``theta``, ``c``, ``v``); default
        output 1, spending 3 % of output, cohesion 0, effort 0, perceived threat equal
        to the actual threat at the start.
    output : number of evenly spaced output times, or the times themselves, or None for
        the solver's own steps.
    solver : a :class:`Solver` or a method name.
    events : the terminal :class:`Events`.

    Returns
    -------
    Result
        Status SUCCESS, DIVERGED, LEFT_DOMAIN or FAILED, with the trajectory up to the end.

    Examples
    --------
    >>> from dynamics import Model, simulate
    >>> model = Model(["A", "B"], mechanisms="richardson")
    >>> res = simulate(model, {"reaction": 0.1, "fatigue": 0.3, "grievance": 0.01,
    ...                        "distinguishability": 0.0, "power_weight": 0.0}, (0, 100))
    >>> round(float(res["m", "A"][-1]), 4)   # x* = g / (alpha - k) = 0.01 / 0.2
    0.05
    """
    if isinstance(solver, str):
        solver = Solver(method=solver)
    t0, t1, t_eval = _time_grid(t_span, output)
    compiled, values, start, y0, p = prepare(model, params, initial)
    if y0.ndim != 1:
        raise ShapeError(f"simulate runs one member, but the values give an ensemble of shape "
                         f"{y0.shape[:-1]}; use dynamics.ensemble for many members")
    found = _event_functions(model, y0, events)
    sol = _integrate(compiled, p, y0, (t0, t1), t_eval, solver, found)
    status, message = _status(sol, found, model)
    if status is Status.FAILED and solver.method == "LSODA":
        # LSODA's automatic stiffness switch can fail on abrupt transients; Radau is the
        # slower, more robust implicit method. The fallback is recorded, never silent.
        solver = Solver("Radau", solver.rtol, solver.atol, solver.max_step)
        sol = _integrate(compiled, p, y0, (t0, t1), t_eval, solver, found)
        status, retried = _status(sol, found, model)
        message = f"LSODA failed ({message}); retried with Radau" + (
            f": {retried}" if retried else "")
    times, ys = sol.t, sol.y.T
    if t_eval is not None and status is not Status.SUCCESS and sol.t_events is not None:
        # keep the state where the run ended, after the requested times before it
        ends = [(te[0], ye[0]) for te, ye in zip(sol.t_events, sol.y_events, strict=True)
                if len(te)]
        if ends and (times.size == 0 or ends[0][0] > times[-1]):
            times = np.append(times, ends[0][0])
            ys = np.vstack([ys, ends[0][1]])
    provenance = _provenance(model, values, start, (t0, t1), solver, events)
    return Result(t=times, values=dict(labelled(model, compiled, ys, p, start)),
                  states=model.states, mechanisms=tuple(sorted(model.mechanisms)),
                  status=status, message=message, provenance=provenance)


def prepare(model: Model, params: Mapping[str, Any] | None,
            initial: Mapping[str, Any] | None) -> tuple[CompiledModel, dict, dict, np.ndarray,
                                                        np.ndarray]:
    """Validated values, initial state (perceived threat filled in) and packed inputs.

    Returns ``(compiled, values, start, y0, p)``, where ``y0`` and ``p`` keep any leading
    ensemble axes of the values.
    """
    values = resolve_parameters(model, params)
    start = resolve_initial(model, initial)
    compiled = compile_model(model)
    _start_from_derived(model, compiled, values, start)
    y0, p = pack_inputs(model, values, start)
    return compiled, values, start, y0, p


def _integrate(compiled: CompiledModel, p: np.ndarray, y0: np.ndarray,
               span: tuple[float, float], t_eval: np.ndarray | None, solver: Solver,
               found: list) -> Any:
    kwargs = {"jac": lambda t, y: compiled.jacobian(t, y, p)} if solver.method in _IMPLICIT \
        else {}
    with np.errstate(all="ignore"):
        return solve_ivp(lambda t, y: compiled.rate(t, y, p), span, y0,
                         method=solver.method, t_eval=t_eval, rtol=solver.rtol,
                         atol=solver.atol, max_step=solver.max_step,
                         events=[event.function for event in found], **kwargs)


def _start_from_derived(model: Model, compiled: CompiledModel, values, start) -> None:
    """Fill in variables that start at a derived quantity (perceived threat starts at the
    actual threat: no initial misperception), evaluated at the start with them at 0."""
    missing = [v for v in model.dynamic if v.initial_from is not None and v.name not in start]
    if not missing:
        return
    trailing = lambda v: (model.N, model.N) if v.pair else (model.N,)  # noqa: E731
    provisional = dict(start, **{v.name: np.zeros(trailing(v)) for v in missing})
    y0, p = pack_inputs(model, values, provisional)
    key = {derived: name for name, (derived, _) in model.outputs.items()}
    for variable in missing:
        start[variable.name] = compiled.outputs[key[variable.initial_from]](0.0, y0, p)


def _status(sol, found: list[_Event], model: Model) -> tuple[Status, str]:
    if sol.status == -1:
        return Status.FAILED, f"solver failed at t = {sol.t[-1] if sol.t.size else 0:g}: " \
                              f"{sol.message}"
    if sol.status == 1:
        for event, times, states in zip(found, sol.t_events, sol.y_events, strict=True):
            if len(times):
                state = states[0]
                k = int(event.watched[event.extreme(state[event.watched])])
                culprit = f"{model.variables[k].label(model.states)} = {state[k]:.6g}"
                return event.status, f"{event.text} at t = {times[0]:g} ({culprit})"
    if not np.all(np.isfinite(sol.y)):
        return Status.FAILED, "non-finite values in the trajectory"
    return Status.SUCCESS, ""


def labelled(model: Model, compiled: CompiledModel, ys: np.ndarray, p: np.ndarray,
             start: Mapping[str, np.ndarray]) -> LazyValues:
    """Labelled arrays of integrated trajectories, each built when first read.

    ``ys`` has shape ``(..., T, n_variables)`` (leading member axes allowed), ``p`` shape
    ``(..., n_inputs)``. Every variable becomes ``(..., T, N)`` (cohesion ``(..., T, N, N)``,
    symmetric), held variables constant at their start; share and actual threat come from
    the model's own definitions, and perceived threat equals the actual one when perception
    is off.
    """
    steps, n = ys.shape[-2], model.N
    lead = ys.shape[:-2]

    def variable(name: str) -> np.ndarray:
        pair = model.variable(name).pair
        trailing = (n, n) if pair else (n,)
        held = np.asarray(start.get(name, np.zeros(trailing)), dtype=float)
        if held.ndim > len(trailing):  # one value per member: add the time axis
            held = np.expand_dims(held, held.ndim - len(trailing))
        data = np.broadcast_to(held, (*lead, steps, *trailing)).copy()
        for k, slot in enumerate(model.variables):
            if slot.name == name:
                data[(Ellipsis, slice(None), *slot.index)] = ys[..., k]
                if pair:
                    data[..., slot.index[1], slot.index[0]] = ys[..., k]
        return data

    def derived(function) -> np.ndarray:
        with np.errstate(all="ignore"):
            return function(0.0, ys, p[..., None, :])

    builders = {name: functools.partial(variable, name) for name in model.known_variables}
    builders.update({name: functools.partial(derived, function)
                     for name, function in compiled.outputs.items()})
    return LazyValues(builders)


def _provenance(model: Model, values, start, t_span, solver: Solver, events: Events
                ) -> dict[str, Any]:
    return {
        **environment(), "states": list(model.states), "mechanisms": sorted(model.mechanisms),
        "parameters": jsonable({name: values[name] for name in model.parameter_names}),
        "initial": jsonable(dict(start)), "t_span": list(t_span),
        "solver": asdict(solver), "events": asdict(events),
    }
