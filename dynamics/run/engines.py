"""The engines that integrate the members of an ensemble, as objects behind the front door.

An engine takes the members of a prepared run (:class:`Members`) and returns their
trajectories and the interventions each fired, recording each member's status and message
in place. :data:`ENGINES` holds them by name (the values of ``Solver(engine=...)``):

- :class:`KernelEngine` (``"kernel"``): the compiled Dormand-Prince kernel of
  :mod:`dynamics.run.kernel.build` (numba), RK45 on the model's scalar rate (straight-line
  code up to ten states, loops above); its integer codes are
  mapped to a status and message by one table (``kernel.OUTCOMES``), and the members it
  leaves suspected stiff are re-run with scipy's Radau;
- :class:`ScipyEngine` (``"scipy"``): one ``solve_ivp`` call per member, with the same
  terminal events as a single run; an explicit method's failure is retried with Radau.

:func:`choose_engine` picks one for a solver (``engine="auto"``:
the kernel where numba is installed and the method is RK45).
"""

from __future__ import annotations

import abc
import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dynamics.errors import DynamicsError, require
from dynamics.model.model import Model
from dynamics.results.labelled import Status
from dynamics.run.interventions import MAX_FIRED, Plan
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import PreparedRun
from dynamics.run.solver import Events, Solver, event_functions, integrate_plan, run_status

__all__ = ["Members", "Engine", "KernelEngine", "ScipyEngine", "ENGINES", "choose_engine"]

#: the interventions one member fired: (time, index) pairs
Fired = Sequence[tuple[float, int]]


@dataclass
class Members:
    """The members of an ensemble as an engine integrates them.

    Parameters
    ----------
    run : PreparedRun
        The prepared run (its model and compiled code).
    y0, p : ndarray
        Each member's start and inputs, (M, n_variables) and (M, n_inputs).
    span : (float, float)
        Start and end of the run.
    t_out : ndarray
        The output times.
    solver : Solver
        The integration options.
    events : Events
        The terminal events (honoured by the scipy engine).
    schedule : Plan or None
        The interventions.
    status, messages : list
        Each member's status and message: a member not SUCCESS on entry is skipped (its
        values were invalid), the others are set by the engine.
    invalid : list of int
        The members not SUCCESS on entry (run with a valid member's values, discarded).
    """

    run: PreparedRun
    y0: np.ndarray
    p: np.ndarray
    span: tuple[float, float]
    t_out: np.ndarray
    solver: Solver
    events: Events
    schedule: Plan | None
    status: list[Status]
    messages: list[str]
    invalid: list[int]


class Engine(abc.ABC):
    """An engine: its ``name`` (what results record), the compilation path it runs, and
    :meth:`integrate`."""

    name = ""

    def code(self, solver: Solver) -> str:
        """The compilation path this engine runs for ``solver``."""
        return solver.code

    @abc.abstractmethod
    def integrate(self, members: Members) -> tuple[np.ndarray, list[Fired]]:
        """The outputs (M, T, n) of every member (NaN after a stop) and, per member, the
        interventions it fired ``(time, index)``; each member's status and message are set
        in ``members``."""


class KernelEngine(Engine):
    """The compiled per-member Dormand-Prince kernel (see the module docstring)."""

    name = "kernel"

    def integrate(self, members: Members) -> tuple[np.ndarray, list[Fired]]:
        compiled, y0, p, solver = members.run.compiled, members.y0, members.p, members.solver
        (t0, t1), t_out, schedule = members.span, members.t_out, members.schedule
        status, messages = members.status, members.messages
        count = y0.shape[0]
        bounds = solver.divergence * np.maximum(np.max(np.abs(y0), axis=1), 1e-300)
        ys, codes, fired = kernel.integrate_members(compiled, y0, p, (t0, t1), t_out,
                                                    rtol=solver.rtol, atol=solver.atol,
                                                    bounds=bounds,
                                                    max_steps=solver.max_steps,
                                                    plan=schedule)
        rerun = None  # the model with the kernel's compiled rate, for scipy's re-runs
        logged = np.fromiter(map(len, fired), dtype=np.int64, count=count)
        unusual = (codes != kernel.FINISHED) | (logged >= kernel.LOGGED)
        unusual[members.invalid] = True
        for i in np.flatnonzero(unusual).tolist():
            if status[i] is not Status.SUCCESS:
                ys[i] = np.nan
                continue
            outcome = kernel.OUTCOMES[int(codes[i])]
            if outcome is not None and not (outcome[0] is Status.SUCCESS
                                            and len(fired[i]) >= kernel.LOGGED):
                status[i] = outcome[0]
                messages[i] = outcome[1].format(divergence=solver.divergence,
                                                fired=MAX_FIRED)
            else:
                # suspected stiff; or a member that fired more interventions than the
                # kernel logs, re-run so that its record is complete
                if rerun is None:
                    rerun = kernel.with_compiled_rate(compiled)
                with kernel.one_blas_thread():  # (the parallel loops call BLAS)
                    ys[i], status[i], messages[i], fired[i] = _stiff(
                        rerun, y0[i], p[i], (t0, t1), t_out, solver, schedule, i)
        return ys, fired


class ScipyEngine(Engine):
    """One ``solve_ivp`` call per member (see the module docstring)."""

    name = "scipy"

    def integrate(self, members: Members) -> tuple[np.ndarray, list[Fired]]:
        fired: list[Fired] = [()] * members.y0.shape[0]
        ys = _loop(members.run.model, members.run.compiled, members.y0, members.p,
                   members.span, members.t_out, members.solver, members.events,
                   members.status, members.messages, members.schedule, fired)
        return ys, fired


#: the engines by the name ``Solver(engine=...)`` gives them
ENGINES: dict[str, Engine] = {"kernel": KernelEngine(), "scipy": ScipyEngine()}


def choose_engine(solver: Solver) -> Engine:
    """The engine that runs the members: the kernel integrates RK45 on either path's scalar
    rate, so ``auto`` picks it wherever numba is installed and the method is RK45 (and says
    once what an ensemble without numba gives up).

    Parameters
    ----------
    solver : Solver
        The integration options (``engine``, method).

    Returns
    -------
    Engine
        The engine.

    Raises
    ------
    DynamicsError
        For the kernel asked for with another method, or without numba.
    """
    method = solver.members()
    if solver.engine == "kernel":
        if method != "RK45":
            raise DynamicsError(f"the compiled kernel integrates RK45 only, not {method}; "
                                "use engine 'scipy' or method 'auto'")
        require("fast", "the compiled kernel", "numba")
        return ENGINES["kernel"]
    if solver.engine == "scipy":
        return ENGINES["scipy"]
    if method == "RK45" and not kernel.AVAILABLE:
        _warn_without_numba()
    return ENGINES["kernel" if kernel.AVAILABLE and method == "RK45" else "scipy"]


@functools.cache
def _warn_without_numba() -> None:
    """Say once per process what an ensemble without numba gives up."""
    warnings.warn("numba is not installed: ensembles run one scipy solve_ivp per member, "
                  "far slower than the compiled kernel (benchmarks/ensemble.py); pip "
                  "install 'balancing-dynamics[fast]'", stacklevel=4)


def _loop(model: Model, compiled, y0, p, span, t_out, solver: Solver, events: Events, status,
          messages, schedule: Plan | None, fired: list) -> np.ndarray:
    """One ``solve_ivp`` call per member with the solver's method for ensembles and the
    same terminal events as a single run (divergence, domain); an explicit method's
    failure is retried with Radau, as the kernel's stiff members are."""
    members, n = y0.shape
    ys = np.full((members, t_out.size, n), np.nan)
    method = solver.members()
    for i in range(members):
        if status[i] is not Status.SUCCESS:
            continue
        found = event_functions(model, y0[i], events, solver.divergence)
        sol, fired[i] = integrate_plan(compiled, p[i], y0[i], span, t_out,
                                       replace(solver, method=method), found, schedule, i)
        state, message = run_status(sol, found, model)
        if (state is Status.FAILED and method not in ("Radau", "BDF")
                and not getattr(sol, "over_budget", False)):
            ys[i], status[i], messages[i], fired[i] = _stiff(compiled, y0[i], p[i], span,
                                                             t_out, solver, schedule, i)
            continue
        ys[i, :sol.t.size] = sol.y.T[:t_out.size]
        status[i], messages[i] = state, message
    return ys


def _stiff(compiled, y0, p, span, t_out, solver: Solver, schedule: Plan | None = None,
           member: int = 0):
    """Re-run a suspected stiff member with Radau and the analytic Jacobian."""
    sol, fired = integrate_plan(compiled, p, y0, span, t_out, replace(solver, method="Radau"),
                                (), schedule, member)
    ys = np.full((t_out.size, y0.size), np.nan)
    ys[:sol.t.size] = sol.y.T
    if sol.status == 0 and np.all(np.isfinite(sol.y)):
        return ys, Status.SUCCESS, "suspected stiff: re-run with Radau", fired
    return ys, Status.FAILED, f"suspected stiff; Radau failed too: {sol.message}", fired
