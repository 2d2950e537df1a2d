"""Phase portraits of any two variables: vector field, nullclines, equilibria, trajectories.

The other dynamic variables are held at given values (by default their initial values,
or an equilibrium's), so the portrait is of the planar system in the two chosen
variables. Plotting lives in :mod:`dynamics.views.plotting`; this module computes the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dynamics.analysis.equilibria import Equilibrium, FixedSystem, classify
from dynamics.errors import UnknownNameError
from dynamics.model.model import Model
from dynamics.run.solver import Solver, solve

__all__ = ["PhasePortrait", "phase_portrait"]


@dataclass(frozen=True)
class PhasePortrait:
    """The planar field of two variables and what lies on it.

    Attributes
    ----------
    labels : (str, str)
        The two variables' labels.
    x, y : ndarray
        The grids, 1-d.
    u, v : ndarray
        The rates of the two variables on the grid, shape (len(y), len(x)).
    equilibria : list of Equilibrium
        The equilibria of the planar system inside the window.
    trajectories : list of ndarray
        The (T, 2) paths from the sample starts.
    """

    labels: tuple[str, str]
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    equilibria: list[Equilibrium]
    trajectories: list[np.ndarray]


def phase_portrait(model: Model, params: Mapping[str, Any] | None, variables: Sequence[str],
                   window: Sequence[Sequence[float]], *, initial: Mapping[str, Any] | None = None,
                   fixed: np.ndarray | None = None, grid: int = 41,
                   starts: Sequence[Sequence[float]] = (), duration: float = 30.0
                   ) -> PhasePortrait:
    """The planar portrait of two variables.

    Parameters
    ----------
    model : Model
        The model.
    params : mapping or None
        Parameter values by registry name.
    variables : sequence of str
        Two labels such as ``"m[USA]"``.
    window : ((float, float), (float, float))
        ((x_low, x_high), (y_low, y_high)).
    initial : mapping, optional
        Initial values by variable.
    fixed : ndarray, optional
        The values of all dynamic variables (those of the two chosen are ignored); by
        default the initial state.
    grid : int
        Grid points per axis.
    starts : sequence of (float, float)
        Starts of sample trajectories.
    duration : float
        Years each trajectory is integrated (stopped when it leaves the window by more than
        its size).

    Returns
    -------
    PhasePortrait
        The field, its equilibria and the trajectories.
    """
    system = FixedSystem(model, params, initial)
    try:
        ix, iy = (system.labels.index(v) for v in variables)
    except ValueError:
        bad = next(v for v in variables if v not in system.labels)
        raise UnknownNameError("variable", bad, system.labels) from None
    base = np.array(system.y0 if fixed is None else fixed, dtype=float)
    (x0, x1), (y0, y1) = window
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    gx, gy = np.meshgrid(xs, ys)
    states = np.broadcast_to(base, gx.shape + base.shape).copy()
    states[..., ix], states[..., iy] = gx, gy
    rates = system.compiled.rate(0.0, states, system.p)
    u, v = rates[..., ix], rates[..., iy]

    def planar(_t, xy):
        state = base.copy()
        state[ix], state[iy] = xy
        rate = system.rate(state)
        return [rate[ix], rate[iy]]

    def planar_jacobian(xy):
        state = base.copy()
        state[ix], state[iy] = xy
        jac = system.jacobian(state)
        return jac[np.ix_([ix, iy], [ix, iy])]

    equilibria = _planar_equilibria(system, planar, planar_jacobian, window, (ix, iy), base)
    size = max(x1 - x0, y1 - y0)

    def escaped(_t, xy):
        return size - max(abs(xy[0] - (x0 + x1) / 2), abs(xy[1] - (y0 + y1) / 2))
    escaped.terminal = True  # type: ignore[attr-defined]
    trajectories = []
    planar_solver = Solver(method="RK45", rtol=1e-8, atol=1e-10, max_step=duration / 200)
    for start in starts:
        sol = solve(planar, None, list(start), (0.0, duration), None, planar_solver, [escaped])
        trajectories.append(sol.y.T)
    return PhasePortrait((variables[0], variables[1]), xs, ys, u, v, equilibria, trajectories)


def _planar_equilibria(system, planar, planar_jacobian, window, index, base):
    """Equilibria of the planar system inside ``window``, classified in the plane."""
    (x0, x1), (y0, y1) = window
    found: list[np.ndarray] = []
    for gx in np.linspace(x0, x1, 7):
        for gy in np.linspace(y0, y1, 7):
            xy = np.array([gx, gy])
            for _ in range(50):
                try:
                    step = np.linalg.solve(planar_jacobian(xy), -np.asarray(planar(0, xy)))
                except np.linalg.LinAlgError:
                    break
                xy = xy + step
                if np.max(np.abs(step)) < 1e-14 * max(1.0, np.max(np.abs(xy))):
                    break
            if (np.all(np.isfinite(xy)) and np.max(np.abs(planar(0, xy))) < 1e-10
                    and x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1
                    and not any(np.allclose(xy, f, rtol=1e-7, atol=1e-12) for f in found)):
                found.append(xy)
    out = []
    for xy in found:
        eigenvalues = np.linalg.eigvals(planar_jacobian(xy))
        state = base.copy()
        state[index[0]], state[index[1]] = xy
        out.append(Equilibrium(state, eigenvalues, classify(eigenvalues),
                               float(np.max(np.abs(planar(0, xy)))), system.labels))
    return out
