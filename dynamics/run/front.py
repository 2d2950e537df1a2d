"""The one front door: ``simulate`` integrates one run, or many members at once.

``simulate(model, params, t_span, *, initial=..., output=..., solver=..., events=...)``
takes values for one run, or values with a leading member axis (shape ``(M,)``, ``(M, N)``
or ``(M, N, N)``) for an ensemble; the options are the same :class:`Solver` and
:class:`Events` objects either way. One run returns a :class:`~dynamics.results.Result`,
many an :class:`~dynamics.run.ensemble.EnsembleResult`; each records per run whether it
finished, diverged, left the admissible domain or failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from dynamics.model.model import Model
from dynamics.results.labelled import Result, Status, largest_difference
from dynamics.run.ensemble import EnsembleResult, simulate_ensemble
from dynamics.run.interventions import Intervention, plan
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import check_arguments, has_members, prepare, time_grid
from dynamics.run.solver import (
    Events,
    Solver,
    event_functions,
    fired_records,
    integrate_plan,
    labelled,
    provenance,
    run_status,
)

__all__ = ["simulate", "Solver", "Events", "Intervention"]


def simulate(model: Model, params: Mapping[str, Any] | None = None,
             t_span: Sequence[float] = (0.0, 50.0), *,
             initial: Mapping[str, Any] | None = None,
             output: int | Sequence[float] | None = 401,
             solver: Solver | str = Solver(),
             events: Events = Events(),
             interventions: Sequence[Intervention] = (),
             error_estimate: bool = False) -> Result | EnsembleResult:
    """Integrate ``model`` over ``t_span`` (years) and return labelled results.

    Parameters
    ----------
    model : Model
        The assembled :class:`~dynamics.Model`.
    params : mapping, optional
        Parameter values by registry name (see ``dynamics.REGISTRY``); the others take
        their defaults. Scalars apply to every state; per-state values may be a sequence of
        length N or a mapping from state name. A leading member axis (``(M,)`` scalar,
        ``(M, N)`` or ``(M, 1)`` per state) makes an ensemble.
    t_span : (float, float)
        Start and end, in years.
    initial : mapping, optional
        Initial values by variable (``m``, ``e``, ``theta``, ``c``, ``v``); by default
        output 1, spending 3 % of output, cohesion 0, effort 0, perceived threat equal to
        the actual threat at the start.
    output : int, sequence of float or None
        The number of evenly spaced output times, or the times themselves, or None for
        the solver's own steps.
    solver : Solver or str
        The :class:`Solver` options (or a method name).
    events : Events
        The terminal :class:`Events`.
    interventions : sequence of Intervention
        Dated and triggered changes (:class:`~dynamics.Intervention`); a date or size
        given as an array (one per member) makes an ensemble.
    error_estimate : bool
        Solve again at tolerances 100 times tighter (``Solver.tightened``) and store the
        largest difference, relative to each variable's largest magnitude, as an estimate
        of the global error (``Result.global_error``, per member
        ``EnsembleResult.global_error``); the run costs about three times as much.

    Returns
    -------
    Result
        For one run: status SUCCESS, DIVERGED, LEFT_DOMAIN or FAILED, with the trajectory
        up to the end, and the interventions that fired (``Result.events``).
    EnsembleResult
        When any value carries a leading member axis: every member, with its own status
        (see :func:`dynamics.run.ensemble.simulate_ensemble`, which this calls).

    Examples
    --------
    >>> from dynamics import Model, simulate
    >>> model = Model(["A", "B"], mechanisms="richardson")
    >>> res = simulate(model, {"reaction": 0.1, "fatigue": 0.3, "grievance": 0.01,
    ...                        "distinguishability": 0.0, "power_weight": 0.0}, (0, 100))
    >>> round(float(res["m", "A"][-1]), 4)   # x* = g / (alpha - k) = 0.01 / 0.2
    0.05
    """
    check_arguments(model, params, initial)
    if isinstance(solver, str):
        solver = Solver(method=solver)
    t0, t1, t_eval = time_grid(t_span, output)
    schedule = plan(model, interventions, (t0, t1)) if interventions else None
    if has_members(params, initial) or (schedule is not None and schedule.members > 1):
        # validated member by member there: a bad one fails alone
        times = time_grid(t_span, 401)[2] if t_eval is None else t_eval
        assert times is not None  # a number of outputs gives the times
        return simulate_ensemble(model, params, (t0, t1), initial=initial, output=list(times),
                                 solver=solver, events=events, interventions=interventions,
                                 error_estimate=error_estimate)
    if error_estimate:
        options: dict[str, Any] = {"initial": initial, "output": output, "events": events,
                   "interventions": interventions}
        result = simulate(model, params, t_span, solver=solver, **options)
        assert isinstance(result, Result)
        if result.ok:
            # the reference runs the method the first run used, tighter
            method = result.provenance["solver"]["method"]
            tight = replace(solver, method=method).tightened()
            reference = simulate(model, params, t_span, solver=tight, **options)
            if reference.ok and reference.t.shape == result.t.shape:
                names = model.variable_names
                result.provenance["global_error"] = {
                    "estimate": largest_difference(result.values, reference.values, names,
                                                   solver.atol),
                    "reference": {"rtol": tight.rtol, "atol": tight.atol}}
        return result
    run = prepare(model, params, initial, solver.code)
    compiled, y0, p = run.compiled, run.y0, run.p
    # provenance records the method run
    automatic = solver.method == "auto"
    solver = replace(solver, method=solver.single(compiled.path, kernel.AVAILABLE))
    found = event_functions(model, y0, events, solver.divergence)
    array = compiled.path == "array" and kernel.AVAILABLE
    diagonal = array and solver.method == "BDF"
    if array:
        # many states: the rate's loops compiled, in parallel threads, BLAS on one thread;
        # BDF's Jacobian the diagonal's loops (Radau's and LSODA's stays the array program's)
        compiled = kernel.with_compiled_rate(compiled, diagonal)

    def integrated(solver: Solver) -> tuple[Any, list]:
        with kernel.one_blas_thread() if array else contextlib.nullcontext():
            return integrate_plan(compiled, p, y0, (t0, t1), t_eval, solver, found, schedule)

    sol, fired = integrated(solver)
    status, message = run_status(sol, found, model)
    evaluations = int(getattr(sol, "nfev", 0))
    fallback = None
    if not getattr(sol, "over_budget", False):
        if status is Status.FAILED and solver.method == "LSODA":
            # LSODA's automatic stiffness switch can fail on abrupt transients; Radau is
            # the slower, more robust implicit method
            fallback = "Radau", f"LSODA failed ({message})"
        elif automatic and diagonal and status in (Status.FAILED, Status.LEFT_DOMAIN):
            # BDF's larger steps at a loose tolerance can carry a variable past its domain's
            # edge by more than the events allow, where RK45's smaller ones did not (100
            # states at rtol 1e-3: docs/performance.md)
            fallback = "RK45", f"BDF with the Jacobian's diagonal: {message}"
    if fallback is not None:
        # the fallback is recorded, never silent
        method, failed = fallback
        solver = replace(solver, method=method)
        sol, fired = integrated(solver)
        status, retried = run_status(sol, found, model)
        evaluations += int(getattr(sol, "nfev", 0))
        message = f"{failed}; retried with {method}" + (f": {retried}" if retried else "")
    times, ys = sol.t, sol.y.T
    if t_eval is not None and status is not Status.SUCCESS and sol.t_events is not None:
        # keep the state where the run ended, after the requested times before it
        ends = [(te[0], ye[0]) for te, ye in zip(sol.t_events, sol.y_events, strict=True)
                if len(te)]
        if ends and (times.size == 0 or ends[0][0] > times[-1]):
            times = np.append(times, ends[0][0])
            ys = np.vstack([ys, ends[0][1]])
    record = provenance(model, run.values, run.start, (t0, t1), solver, events, schedule)
    record["evaluations"] = evaluations  # of the rate, by every method that ran
    if diagonal and solver.method == "BDF":
        record["jacobian"] = "diagonal"  # (dynamics.codegen.diagonal)
    timed = schedule is not None and schedule.changes_inputs and bool(fired)
    inputs = schedule.inputs_along(p, fired, times) if timed and schedule else p
    return Result(t=times, values=dict(labelled(model, compiled, ys, inputs, run.start, timed)),
                  states=model.states, mechanisms=tuple(sorted(model.mechanisms)),
                  status=status, message=message, provenance=record,
                  events=fired_records(schedule, fired))
