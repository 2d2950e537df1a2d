"""What every integration shares: the options object, terminal events, validated inputs,
labelled outputs.

:class:`Solver` is the one options object of every integration, of one run or of many
members: method, tolerances, largest step, divergence bound, engine and step budget. A
scenario's ``[solver]`` table is read into it, and it is honoured by ``run``, ensembles,
sweeps, sensitivity studies and calibration alike. :class:`Events` says which terminal
events end a run. :func:`labelled` turns integrated arrays back into labelled ones. (The
values of a run are resolved once, by :func:`dynamics.run.prepared.prepare`.)
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import OptimizeResult as OdeResult

from dynamics.codegen.compile import PATHS, CompiledModel
from dynamics.errors import ParameterValueError, UnknownNameError
from dynamics.model.model import Model
from dynamics.model.units import DIMENSIONLESS, parse_unit, same_dimension
from dynamics.results.labelled import LazyValues, Status, environment, jsonable
from dynamics.run.interventions import MAX_FIRED, Plan, settle
from dynamics.run.prepared import check_arguments, prepare, time_grid

__all__ = ["Solver", "Events", "METHODS", "ENGINES", "DIAGONAL_BDF_RTOL", "prepare", "labelled",
           "time_grid", "solve", "integrate", "integrate_plan", "check_arguments"]

METHODS = ("LSODA", "Radau", "BDF", "RK45", "DOP853", "RK23")
_IMPLICIT = {"LSODA", "Radau", "BDF"}


#: the relative tolerances a run accepts: from scipy's floor (100 machine epsilons) to 0.1
RTOL_RANGE = (100 * np.finfo(float).eps, 0.1)

#: the relative tolerance from which one run on array code is BDF's with the Jacobian's
#: diagonal (:mod:`dynamics.codegen.diagonal`) rather than RK45's (``auto``): many states
#: make RK45's steps stay on its stability boundary (the cohesion of a pair decays at a rate
#: that grows with the number of third states), where at loose tolerances its error
#: estimate swings and its steps are rejected. From rtol 1e-4 BDF ended nearer a tight
#: reference at 20 to 190 states and took less time from 50 states (at 20 both take
#: hundredths of a second); at 1e-5 it was about even with RK45 at 50 states and faster at
#: 190; at 1e-6 slower (docs/performance.md, ``benchmarks/scale.py``). Where it leaves the
#: domain or fails, ``simulate`` runs RK45 again, and says so.
DIAGONAL_BDF_RTOL = 1e-4

#: integration engines: the compiled per-member kernel (numba, Dormand-Prince) or scipy
ENGINES = ("auto", "kernel", "scipy")


@dataclass(frozen=True)
class Solver:
    """The options of every integration, of one run or many members.

    Attributes
    ----------
    method : ``"auto"`` (default), or one of ``METHODS`` (scipy's ``solve_ivp``). Auto means
        LSODA with the analytic Jacobian for one run (it switches between a non-stiff Adams
        and a stiff BDF method as the problem requires; on the array code of many states
        RK45, or BDF at loose tolerances, see :meth:`single`), and Dormand-Prince 5(4) (RK45) for
        the members of an ensemble, each member that looks stiff integrated again by the
        kernel's implicit Rosenbrock method with the exact Jacobian (scipy's Radau where
        it has interventions or that fails too; :mod:`dynamics.run.kernel.build`).
    rtol, atol : relative and absolute tolerances.
    max_step : largest step, in years.
    divergence : a run is DIVERGED once a variable's magnitude exceeds this many times the
        largest initial magnitude (a runaway race without a ceiling).
    engine : for ensembles, ``"kernel"`` (the compiled kernel of :mod:`dynamics.run.kernel.build`,
        numba; RK45 only), ``"scipy"`` (one ``solve_ivp`` per member, any method) or
        ``"auto"`` (the kernel where numba is installed and the method is RK45).
    max_steps : the step budget: the kernel's per member (a member that needs more is
        treated as stiff), and for scipy's methods ``EVALUATIONS_PER_STEP`` times as many
        evaluations of the rate per run; a run that needs more ends FAILED, saying so.
    time_limit : wall-clock seconds one scipy run may take (default: no limit); a run
        that takes longer ends FAILED, saying so.
    code : the compiled code, ``"auto"`` (unrolled up to
        :data:`~dynamics.codegen.compile.UNROLLED_MAX` states, array code above), ``"unrolled"``
        or ``"array"`` (:mod:`dynamics.codegen.compile`). The compiled kernel runs either
        path's scalar rate: straight-line code on the unrolled path, loops on the array
        path (:mod:`dynamics.codegen.loopcode`). On the array path with numba installed,
        BDF's Newton iterations use the Jacobian's diagonal
        (:mod:`dynamics.codegen.diagonal`), Radau and LSODA the whole Jacobian.
    """

    method: str = "auto"
    rtol: float = 1e-8
    atol: float = 1e-10
    max_step: float = math.inf
    divergence: float = 1e6
    engine: str = "auto"
    max_steps: int = 50_000
    time_limit: float = math.inf
    code: str = "auto"

    def __post_init__(self) -> None:
        if self.method not in ("auto", *METHODS):
            raise UnknownNameError("solver method", self.method, ("auto", *METHODS))
        if self.code not in PATHS:
            raise UnknownNameError("compiled code", self.code, PATHS)
        if self.engine not in ENGINES:
            raise UnknownNameError("engine", self.engine, ENGINES)
        for name in ("rtol", "atol", "max_step", "time_limit", "divergence"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and not isinstance(value, bool)
                    and value > 0 and not math.isnan(value)):
                raise ParameterValueError(f"solver {name} must be a positive number, got "
                                          f"{value!r}")
        # an infinite or loose tolerance "succeeds" with a wrong answer; below scipy's floor
        # (100 machine epsilons) scipy would raise it silently
        if not RTOL_RANGE[0] <= self.rtol <= RTOL_RANGE[1]:
            raise ParameterValueError(f"solver rtol must be in [{RTOL_RANGE[0]:.3g}, "
                                      f"{RTOL_RANGE[1]:g}], got {self.rtol!r}")
        if not math.isfinite(self.atol):
            raise ParameterValueError(f"solver atol must be finite, got {self.atol!r}")
        if not (math.isfinite(self.divergence) and self.divergence > 1):
            raise ParameterValueError(f"solver divergence must be a finite number above 1, "
                                      f"got {self.divergence!r}")
        if not (isinstance(self.max_steps, int) and not isinstance(self.max_steps, bool)
                and self.max_steps > 0):
            raise ParameterValueError(f"solver max_steps must be a positive integer, got "
                                      f"{self.max_steps!r}")

    def tightened(self, factor: float = 100.0) -> Solver:
        """The same solver with both tolerances ``factor`` times tighter (the relative one no
        tighter than :data:`RTOL_RANGE` allows): the reference an estimate of the global
        error solves against."""
        return replace(self, rtol=max(self.rtol / factor, RTOL_RANGE[0]),
                       atol=self.atol / factor)

    def single(self, code: str = "unrolled", diagonal: bool = False) -> str:
        """The method for one run of compiled ``code``: for ``auto``, LSODA with the
        Jacobian on unrolled code; on array code, where an exact Jacobian costs one
        evaluation of the program per variable (seconds at fifty states:
        docs/performance.md), so that LSODA's switches to its stiff method cost more than
        they save, RK45, or where the Jacobian's diagonal is compiled (``diagonal``: numba
        installed) and ``rtol`` is at least :data:`DIAGONAL_BDF_RTOL`, BDF with that
        diagonal in its Newton iterations."""
        if self.method != "auto":
            return self.method
        if code == "unrolled":
            return "LSODA"
        return "BDF" if diagonal and self.rtol >= DIAGONAL_BDF_RTOL else "RK45"

    def members(self) -> str:
        """The method for the members of an ensemble."""
        return "RK45" if self.method == "auto" else self.method


@dataclass(frozen=True)
class Events:
    """Terminal events that end a run with a recorded status.

    Parameters
    ----------
    domain : bool
        Stop with LEFT_DOMAIN when a dynamic variable leaves its domain (spending below 0
        with the ceiling on, output reaching 0, cohesion outside [0, 1], ...) by more than
        ``tolerance`` times the variable's initial scale (a bug or an inadmissible
        parameter set, never a result). The divergence bound is the solver's
        (:attr:`Solver.divergence`).
    tolerance : float
        The allowed excursion, relative to the variable's initial scale, in (0, 1).
    """

    domain: bool = True
    tolerance: float = 1e-6

    def __post_init__(self) -> None:
        if not 0 < self.tolerance < 1:
            raise ParameterValueError(f"events tolerance must be in (0, 1), got "
                                      f"{self.tolerance!r}")


@dataclass(frozen=True)
class _Event:
    """A terminal event: its function, the status it records, what it means, and the
    variables it watches with the extreme (min or max) that names the culprit."""

    function: Callable
    status: Status
    text: str
    watched: np.ndarray
    extreme: Callable = np.argmin


def event_functions(model: Model, y0: np.ndarray, events: Events, divergence: float
                    ) -> list[_Event]:
    """Every terminal event of this model: the divergence bound, and leaving the domain
    of each dynamic variable with a finite bound by more than the tolerance (relative to
    the run's initial scale in the variable's unit when it has one). An open bound
    (output's 0) is never reached by the exact solution, only approached: the run stops
    when a state's value comes within the tolerance of it, relative to that state's start
    (an economy that has collapsed to a millionth of its initial output), where a stiff
    solver would otherwise fail on values its absolute tolerance cannot resolve."""
    watched = np.array([k for k, s in enumerate(model.variables)
                        if model.variable(s.name).watched])
    scale = float(np.max(np.abs(y0))) or 1.0
    bound = divergence * scale
    found = [_Event(lambda t, y: bound - np.max(np.abs(y[watched])), Status.DIVERGED,
                    f"a variable exceeded {divergence:g} times the initial scale",
                    watched, lambda values: np.argmax(np.abs(values)))]
    if not events.domain:
        return _terminal(found)
    has_unit = {name: not same_dimension(parse_unit(model.variable(name).unit), DIMENSIONLESS)
                for name in model.variable_names}
    currency = np.array([k for k, s in enumerate(model.variables) if has_unit[s.name]],
                        dtype=int)
    # a variable with a unit is measured against the run's scale in that unit, not its own
    # start (a perceived threat that starts at 0 has no scale of its own)
    run_scale = float(np.max(np.abs(y0[currency]))) if currency.size else 1.0
    slots: dict[str, list[int]] = {}
    for k, s in enumerate(model.variables):
        slots.setdefault(s.name, []).append(k)
    for variable in model.dynamic:
        idx = np.array(slots[variable.name])
        low, high = model.domain(variable)
        size = 1.0
        if has_unit[variable.name]:
            size = run_scale or 1.0
        slack = events.tolerance * size
        if math.isfinite(low):
            # an open bound is approached, never reached: each state's value stops the
            # run once within the tolerance of it, relative to that state's own start
            floor = (low + events.tolerance * np.abs(y0[idx] - low) if variable.open_low
                     else np.full(idx.size, low - slack))
            text = (f"{variable.meaning} collapsed towards {low:g} (below "
                    f"{events.tolerance:g} of its initial value)" if variable.open_low
                    else f"{variable.meaning} fell below {low:g}")
            found.append(_Event(lambda t, y, idx=idx, floor=floor: np.min(y[idx] - floor),
                                Status.LEFT_DOMAIN, text, idx,
                                lambda values, floor=floor: np.argmin(values - floor)))
        if math.isfinite(high):
            found.append(_Event(lambda t, y, idx=idx, ceiling=high + slack:
                                ceiling - np.max(y[idx]), Status.LEFT_DOMAIN,
                                f"{variable.meaning} rose above {high:g}", idx, np.argmax))
    return _terminal(found)


def _terminal(found: list[_Event]) -> list[_Event]:
    for event in found:
        event.function.terminal = True  # type: ignore[attr-defined]
    return found


#: evaluations of the rate allowed per step of the budget (an implicit step with a
#: finite-difference Jacobian takes a few, a rejected one more)
EVALUATIONS_PER_STEP = 20


class _OverBudget(Exception):
    def __init__(self, text: str, t: float):
        super().__init__(text)
        self.t = t


#: the share of the step budget after which a run checks its pace: one that has covered
#: less of its span than of its budget is told (logged) that it will exhaust the budget
PACE_CHECK = 0.05

logger = logging.getLogger("dynamics")
#: at most one such warning per this many seconds (an ensemble's failing members)
PACE_QUIET = 30.0
_last_told = [-math.inf]


def _counted(rate: Callable, solver: Solver, span: tuple[float, float] | None = None
             ) -> Callable:
    """``rate`` that raises _OverBudget past the solver's step budget or time limit, and
    logs a warning early (after :data:`PACE_CHECK` of the budget) when the run's pace
    through ``span`` says that the budget will not reach its end."""
    limit = EVALUATIONS_PER_STEP * solver.max_steps
    deadline = time.monotonic() + solver.time_limit
    check = max(1, int(PACE_CHECK * limit))
    calls = 0
    furthest = None if span is None else span[0]

    def counted(t, y):
        nonlocal calls, furthest
        calls += 1
        if furthest is not None:
            furthest = max(furthest, t) if span[1] >= span[0] else min(furthest, t)
            if calls == check:
                done = abs(furthest - span[0]) / max(abs(span[1] - span[0]), 1e-300)
                if done < PACE_CHECK and time.monotonic() > _last_told[0] + PACE_QUIET:
                    _last_told[0] = time.monotonic()
                    logger.warning(
                        "a run has used %.0f %% of its step budget (Solver.max_steps = %s) "
                        "to cover %.2g %% of its span (t = %g of %g to %g): at this pace it "
                        "will stop when the budget is spent, long before its end (Ctrl-C stops it "
                        "now; [solver] time_limit bounds it)",
                        100 * PACE_CHECK, f"{solver.max_steps:,}", 100 * done, furthest,
                        span[0], span[1])
        if calls > limit:
            raise _OverBudget(f"stopped after {limit:,} evaluations of the rate (the step "
                              f"budget, Solver.max_steps = {solver.max_steps:,})", t)
        if calls % 64 == 0 and time.monotonic() > deadline:
            raise _OverBudget(f"stopped after the time limit of {solver.time_limit:g} s "
                              "(Solver.time_limit)", t)
        return rate(t, y)
    return counted


def solve(rate: Callable, jacobian: Callable | None, y0: Any, span: tuple[float, float],
          t_eval: Any, solver: Solver, events: Sequence[Callable] = ()) -> Any:
    """The one place that calls ``scipy.integrate.solve_ivp``: a run past the solver's step
    budget or time limit returns failed (status -1, ``over_budget`` set) with only its
    start, so that every run ends in bounded time.

    Parameters
    ----------
    rate : callable
        ``rate(t, y)``.
    jacobian : callable or None
        ``jacobian(t, y)``, given to the implicit methods.
    y0 : array_like
        The start.
    span : (float, float)
        Start and end.
    t_eval : array_like or None
        The output times (None: the solver's own steps).
    solver : Solver
        The method (one run's: LSODA for ``auto``), tolerances, largest step and budget.
    events : sequence of callable
        Terminal events.

    Returns
    -------
    scipy.integrate.OdeResult
        scipy's solution.
    """
    method = solver.single()
    kwargs = {"jac": jacobian} if jacobian is not None and method in _IMPLICIT else {}
    try:
        with np.errstate(all="ignore"):
            sol = solve_ivp(_counted(rate, solver, span), span, y0, method=method, t_eval=t_eval,
                            rtol=solver.rtol, atol=solver.atol, max_step=solver.max_step,
                            events=list(events), **kwargs)
        if not isinstance(sol.t, np.ndarray):
            # an event that stops the run before its first output time leaves scipy's
            # lists of times and states empty lists (a trigger that fires twice between
            # two output times): empty arrays of the right shape instead
            sol.t = np.zeros(0)
            sol.y = np.zeros((np.size(y0), 0))
        return sol
    except ValueError as error:
        if "different signs" in str(error):
            # scipy's event location found a sign change between two steps that its dense
            # output does not reproduce (a variable grazing its bound): a failure of this
            # method, which the caller may retry with another
            return _failed(y0, span, "could not locate an event (a variable grazing its "
                                     "bound)")
        # the method's own arithmetic failed on this run (an implicit method's Jacobian
        # with inf or NaN: "array must not contain infs or NaNs"): the run fails, and an
        # ensemble records it on its member instead of losing the others
        return _failed(y0, span, f"{method} failed: {error}")
    except ArithmeticError as error:
        return _failed(y0, span, f"{method} failed: {type(error).__name__}: {error}")
    except _OverBudget as stop:
        return _failed(y0, span, f"{stop} at t = {stop.t:g}: the problem is too stiff, or "
                                 "its values far outside the ranges of its parameters",
                       over_budget=True)


def _failed(y0: Any, span: tuple[float, float], message: str, over_budget: bool = False
            ) -> OdeResult:
    """A failed solution holding only the start, as ``solve_ivp`` would return one."""
    return OdeResult(t=np.array([span[0]]), y=np.asarray(y0, dtype=float)[:, None],
                     status=-1, t_events=None, y_events=None, message=message,
                     over_budget=over_budget)


def integrate(compiled: CompiledModel, p: np.ndarray, y0: np.ndarray,
              span: tuple[float, float], t_eval: np.ndarray | None, solver: Solver,
              found: Sequence[_Event] = ()) -> Any:
    """One run of the compiled model at inputs ``p`` (see :func:`solve`).

    Parameters
    ----------
    compiled : CompiledModel
        The model's functions.
    p : ndarray
        The inputs.
    y0 : ndarray
        The start.
    span : (float, float)
        Start and end.
    t_eval : ndarray or None
        The output times.
    solver : Solver
        The integration options.
    found : sequence
        The terminal events (:func:`event_functions`).

    Returns
    -------
    scipy.integrate.OdeResult
        The solution.
    """
    return solve(lambda t, y: compiled.rate(t, y, p), lambda t, y: compiled.jacobian(t, y, p),
                 y0, span, t_eval, solver, [event.function for event in found])


def integrate_plan(compiled: CompiledModel, p: np.ndarray, y0: np.ndarray,
                   span: tuple[float, float], t_eval: np.ndarray | None, solver: Solver,
                   found: Sequence[_Event] = (), plan: Plan | None = None, member: int = 0
                   ) -> tuple[Any, list[tuple[float, int]]]:
    """One run with interventions: :func:`integrate` segment by segment.

    Each segment ends at the next dated change (or a ramp's end) or where a triggered
    intervention's condition crosses zero (scipy's event location: root finding on the dense
    output); the change is applied and integration restarts from the changed state. Outputs
    are right-continuous: an output time at a change shows the changed state.

    Parameters
    ----------
    compiled : CompiledModel
        The model's functions.
    p : ndarray
        The inputs.
    y0 : ndarray
        The start.
    span : (float, float)
        Start and end.
    t_eval : ndarray or None
        The output times.
    solver : Solver
        The integration options.
    found : sequence
        The terminal events.
    plan : Plan, optional
        The interventions (None: one :func:`integrate`).
    member : int
        The member whose dates and sizes apply.

    Returns
    -------
    (scipy.integrate.OdeResult, list)
        The joined solution (its terminal events those of ``found``, its ``nfev`` the
        evaluations of the rate by every segment) and the interventions fired, ``(time,
        index in plan)`` in order.
    """
    if plan is None or plan.size == 0:
        return integrate(compiled, p, y0, span, t_eval, solver, found), []
    t, t1 = span
    conditions = plan.condition_function() if plan.triggered else None
    m = member if plan.times.shape[0] > 1 else 0
    dates = plan.times[m] if plan.dated else np.zeros(0)
    taken = np.zeros(plan.dated, dtype=bool)
    armed = np.ones(plan.triggered, dtype=np.int64)  # 1 armed, 0 waiting to re-arm, -1 done
    fired_at = np.full(plan.triggered, np.nan)  # when each trigger last fired
    y, p_ref = np.array(y0, dtype=float), np.array(p, dtype=float)
    ramp: dict[int, tuple[float, float, float]] = {}
    t_ref = t
    fired: list[tuple[float, int]] = []
    times: list[np.ndarray] = []
    states: list[np.ndarray] = []
    scratch = np.empty(max(plan.triggered, 1))

    evaluations = 0  # of the rate, by the segments before the last

    def joined(sol: Any) -> Any:
        sol.t = np.concatenate([*times, sol.t])
        sol.y = np.concatenate([*states, sol.y], axis=1)
        sol.nfev = evaluations + getattr(sol, "nfev", 0)
        return sol

    while True:
        settle(p_ref, ramp, t, t_ref)  # the ramps' progress at the segment's start
        t_ref = t
        for d in np.flatnonzero(~taken & (dates <= t)):
            plan.apply(int(d), m, y, p_ref, ramp, t)
            taken[d] = True
            fired.append((t, int(d)))
        if len(fired) > MAX_FIRED:
            return _failed(y, span, f"more than {MAX_FIRED:,} interventions fired (a "
                                    "repeating condition that chatters)"), fired
        pending = [float(dates[d]) for d in np.flatnonzero(~taken)]
        end = min([t1, *pending, *(e for _, _, e in ramp.values())])
        last = end >= t1
        wanted = None
        if t_eval is not None:
            inside = t_eval[(t_eval >= t) & ((t_eval <= t1) if last else (t_eval < end))]
            wanted = np.unique(np.append(inside, end))
        frozen = (p_ref.copy(), dict(ramp), t_ref)

        def rate(when, state, frozen=frozen):
            return compiled.rate(when, state, _inputs(frozen, when))

        def jacobian(when, state, frozen=frozen):
            return compiled.jacobian(when, state, _inputs(frozen, when))

        # a waiting trigger whose condition is false at the segment's start is armed again
        # (as the kernel does at each restart), unless it fired at this very time: scipy
        # locates a crossing to either side by a hair, and its condition then sits at a
        # hair below zero; it is watched to fall below twice that hair instead
        offset = np.zeros(max(plan.triggered, 1))
        if conditions is not None and (armed == 0).any():
            conditions(y, _inputs(frozen, t), scratch)
            for k in map(int, np.flatnonzero((armed == 0) & (scratch[:plan.triggered] < 0))):
                if fired_at[k] == t:
                    offset[k] = 2.0 * scratch[k]
                else:
                    armed[k] = 1
        triggers = []
        for k in map(int, np.flatnonzero(armed >= 0)):
            sign = 1.0 if armed[k] == 1 else -1.0  # waiting: watch it turn false again

            def g(when, state, k=k, sign=sign, frozen=frozen, shift=float(offset[k])):
                conditions(state, _inputs(frozen, when), scratch)
                return sign * (scratch[k] - shift)
            g.terminal, g.direction = True, 1.0  # type: ignore[attr-defined]
            triggers.append((int(k), g))
        sol = solve(rate, jacobian, y, (t, end), wanted, solver,
                    [e.function for e in found] + [g for _, g in triggers])
        if sol.status == -1 or sol.t_events is None:
            return joined(sol), fired
        ours = sol.t_events[len(found):]
        if any(len(te) for te in sol.t_events[:len(found)]):  # a terminal event of the run
            sol.t_events, sol.y_events = sol.t_events[:len(found)], sol.y_events[:len(found)]
            return joined(sol), fired
        hit = [(float(te[0]), n) for n, te in enumerate(ours) if len(te)]
        if hit or not last:
            evaluations += sol.nfev
        if hit:
            when, n = min(hit)
            k, _ = triggers[n]
            keep = sol.t < when
            times.append(sol.t[keep])
            states.append(sol.y[:, keep])
            y = np.array(sol.y_events[len(found) + n][0], dtype=float)
            settle(p_ref, ramp, when, t_ref)
            t_ref = t = when
            if armed[k] == 1:
                assert conditions is not None  # there are triggered interventions
                armed[k] = _fire(plan, k, m, y, p_ref, ramp, t, conditions, scratch)
                fired.append((t, plan.dated + k))
                fired_at[k] = t
            else:
                armed[k] = 1
            continue
        keep = sol.t <= t1 if last else sol.t < end
        if t_eval is not None:
            keep &= np.isin(sol.t, t_eval)
        times.append(sol.t[keep])
        states.append(sol.y[:, keep])
        if last:
            sol.t, sol.y = np.zeros(0), np.zeros((y.size, 0))
            sol.t_events, sol.y_events = sol.t_events[:len(found)], sol.y_events[:len(found)]
            return joined(sol), fired
        y = np.array(sol.y[:, -1], dtype=float)
        t = end


def _fire(plan: Plan, k: int, member: int, y: np.ndarray, p_ref: np.ndarray, ramp: dict,
          t: float, conditions: Callable, scratch: np.ndarray) -> int:
    """Apply triggered intervention ``k`` at ``t``; returns what it is afterwards: done
    (-1) if it fires once; armed (1) if it repeats and its own change made the condition
    false; else waiting (0) for the condition to turn false before it can fire again."""
    if not plan.repeat[plan.dated + k]:
        plan.apply(plan.dated + k, member, y, p_ref, ramp, t)
        return -1
    conditions(y, p_ref, scratch)
    before = scratch[k]
    plan.apply(plan.dated + k, member, y, p_ref, ramp, t)
    conditions(y, p_ref, scratch)
    return 1 if scratch[k] < 0 and scratch[k] != before else 0


def _inputs(frozen: tuple[np.ndarray, dict, float], when: float) -> np.ndarray:
    """The inputs at ``when`` from those at a segment's start and its ramps."""
    p_ref, ramp, t_ref = frozen
    if not ramp:
        return p_ref
    current = p_ref.copy()
    for slot, (_, slope, _) in ramp.items():
        current[slot] += slope * (when - t_ref)
    return current


def run_status(sol, found: list[_Event], model: Model) -> tuple[Status, str]:
    if getattr(sol, "over_budget", False):
        return Status.FAILED, sol.message
    if sol.status == -1:
        return Status.FAILED, f"solver failed at t = {sol.t[-1] if sol.t.size else 0:g}: " \
                              f"{sol.message}"
    if sol.status == 1:
        for event, times, states in zip(found, sol.t_events, sol.y_events, strict=True):
            if len(times):
                state = states[0]
                k = int(event.watched[event.extreme(state[event.watched])])
                culprit = f"{model.labels[k]} = {state[k]:.6g}"
                return event.status, f"{event.text} at t = {times[0]:g} ({culprit})"
    if not np.all(np.isfinite(sol.y)):
        return Status.FAILED, "non-finite values in the trajectory"
    return Status.SUCCESS, ""


def labelled(model: Model, compiled: CompiledModel, ys: np.ndarray,
             p: np.ndarray | Callable[[], np.ndarray], start: Mapping[str, np.ndarray],
             timed: bool = False) -> LazyValues:
    """Labelled arrays of integrated trajectories, each built when first read.

    Every variable becomes ``(..., T, N)`` (cohesion ``(..., T, N, N)``, symmetric), held
    variables at their inputs (their start unless an intervention changed them); share and
    actual threat come from the model's own definitions, and perceived threat equals the
    actual one when perception is off.

    Parameters
    ----------
    model : Model
        The model.
    compiled : CompiledModel
        Its compiled functions.
    ys : ndarray
        The trajectories ``(..., T, n_variables)`` (leading member axes allowed).
    p : ndarray or callable
        The inputs ``(..., n_inputs)``, or ``(..., T, n_inputs)`` with ``timed``; then
        possibly a function that builds them, called once, when a quantity that depends on
        them is first read.
    start : mapping
        The resolved initial values.
    timed : bool
        Whether interventions change the inputs during the run.

    Returns
    -------
    LazyValues
        Name -> array, built on first read.
    """
    steps, n = ys.shape[-2], model.N
    lead = ys.shape[:-2]
    held_at = {(s.name, s.index): len(model.parameters) + k for k, s in enumerate(model.held)}

    @functools.cache
    def inputs() -> np.ndarray:
        return np.asarray(p() if callable(p) else p)

    def variable(name: str) -> np.ndarray:
        pair = model.variable(name).pair
        trailing = (n, n) if pair else (n,)
        held = np.asarray(start.get(name, np.zeros(trailing)), dtype=float)
        if held.ndim > len(trailing):  # one value per member: add the time axis
            held = np.expand_dims(held, held.ndim - len(trailing))
        data = np.broadcast_to(held, (*lead, steps, *trailing)).copy()
        slots = [(ys[..., k], slot) for k, slot in enumerate(model.variables)
                 if slot.name == name]
        if timed:
            slots += [(inputs()[..., column], model.held[column - len(model.parameters)])
                      for (held_name, _), column in held_at.items() if held_name == name]
        for series, slot in slots:
            data[(Ellipsis, slice(None), *slot.index)] = series  # type: ignore[index]
            if pair:
                data[..., slot.index[1], slot.index[0]] = series
        return data

    def derived(function) -> np.ndarray:
        with np.errstate(all="ignore"):
            return function(0.0, ys, inputs() if timed else inputs()[..., None, :])

    builders = {name: functools.partial(variable, name) for name in model.known_variables}
    builders.update({name: functools.partial(derived, function)
                     for name, function in compiled.outputs.items()})
    return LazyValues(builders)


def provenance(model: Model, values, start, t_span, solver: Solver, events: Events,
               plan: Plan | None = None) -> dict[str, Any]:
    return {
        **environment(), "states": list(model.states), "mechanisms": sorted(model.mechanisms),
        "parameters": jsonable({name: values[name] for name in model.parameter_names}),
        "initial": jsonable(dict(start)), "t_span": list(t_span),
        "solver": asdict(solver), "events": asdict(events),
        "interventions": [i.as_dict() for i in plan.interventions] if plan else [],
    }


def fired_records(plan: Plan | None, fired: Sequence[tuple[float, int]], member: int = 0
                  ) -> tuple[dict[str, Any], ...]:
    """The interventions fired, as a result records them."""
    if plan is None:
        return ()
    return tuple({"time": float(t), "name": plan.interventions[e].name or f"#{e}",
                  "change": plan.text(e, member)} for t, e in fired)
