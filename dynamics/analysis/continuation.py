"""Continuation of equilibria in one parameter: branches, stability, folds, Hopf points.

Pseudo-arclength continuation (Keller 1977; Kuznetsov 2004, ch. 10) follows a curve of
equilibria f(x, mu) = 0 through folds, where the parameter turns back. Along the branch
it records every equilibrium's eigenvalues and locates, to the tolerance of a secant
iteration on a test function, the special points:

- ``fold`` (saddle-node): det J changes sign and the parameter turns back;
- ``branch point`` (transcritical or pitchfork): det J changes sign but the parameter
  keeps its direction (another branch crosses here);
- ``hopf``: the real part of a complex pair of eigenvalues changes sign.

References
----------
Keller, H. B. (1977). Numerical solution of bifurcation and nonlinear eigenvalue
problems. In P. Rabinowitz (ed.), Applications of Bifurcation Theory, 359-384.
Kuznetsov, Y. A. (2004). Elements of Applied Bifurcation Theory, 3rd ed. Springer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

from dynamics.analysis.equilibria import FixedSystem, classify
from dynamics.errors import ParameterValueError
from dynamics.model.model import Model
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result
from dynamics.results.report import Report
from dynamics.run.front import simulate

__all__ = ["SpecialPoint", "Branch", "continue_branch", "continuation", "parameter_slots",
           "check_range"]

Rate = Callable[[np.ndarray, float], np.ndarray]
Jacobian = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class SpecialPoint:
    """A special point of a branch of equilibria.

    Attributes
    ----------
    kind : str
        ``fold``, ``branch point`` or ``hopf``.
    parameter : float
        The parameter's value there.
    state : ndarray
        The equilibrium there.
    """
    kind: str  # "fold", "branch point" or "hopf"
    parameter: float
    state: np.ndarray


@dataclass
class Branch(Report):
    """A branch of equilibria.

    Attributes
    ----------
    parameter : ndarray
        The parameter's values along the branch.
    states : ndarray
        The equilibria (points, variables).
    eigenvalues : ndarray
        Their eigenvalues (points, variables).
    kinds : list of str
        Their types (:func:`~dynamics.analysis.equilibria.classify`).
    points : list of SpecialPoint
        The folds, branch points and Hopf points found.
    labels : tuple of str
        The variables' labels.
    name : str
        The parameter's name.
    """

    parameter: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    kinds: list[str]
    points: list[SpecialPoint] = field(default_factory=list)
    labels: tuple[str, ...] = ()
    name: str = "mu"

    @property
    def stable(self) -> np.ndarray:
        return np.array([k.startswith("stable") for k in self.kinds])

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": list(self.labels),
                "parameter": self.parameter.tolist(), "states": self.states.tolist(),
                "kinds": list(self.kinds), "stable": self.stable.tolist(),
                "points": [{"kind": p.kind, "parameter": p.parameter,
                            "state": p.state.tolist()} for p in self.points]}

    def rows(self) -> list[dict[str, Any]]:
        """One row per equilibrium along the branch: the parameter, the state, stability."""
        return [{self.name: float(mu), **dict(zip(self.labels, map(float, state),
                                                  strict=True)),
                 "kind": kind, "stable": kind.startswith("stable")}
                for mu, state, kind in zip(self.parameter, self.states, self.kinds,
                                           strict=True)]

    def summary(self) -> str:
        lines = [f"followed {len(self.parameter)} equilibria for {self.name} from "
                 f"{self.parameter[0]:g} to {self.parameter[-1]:g}; stable at "
                 f"{int(self.stable.sum())} of them"]
        lines += [f"  {p.kind} at {self.name} = {p.parameter:.8g}" for p in self.points]
        return "\n".join(lines)


def _fold_test(jac: np.ndarray) -> float:
    sign, _ = np.linalg.slogdet(jac)
    return float(sign)  # only the sign matters; the magnitude can over- or underflow


def _hopf_test(eigenvalues: np.ndarray, scale: float) -> float | None:
    """Real part of the complex pair nearest the imaginary axis, or None without a pair."""
    pairs = eigenvalues[np.abs(eigenvalues.imag) > 1e-8 * scale]
    if pairs.size == 0:
        return None
    return float(pairs.real[np.argmin(np.abs(pairs.real))])


def continue_branch(rate: Rate, jacobian: Jacobian, x0: np.ndarray, mu0: float, mu1: float,
                    *, dmu: Callable[[np.ndarray, float], np.ndarray] | None = None,
                    step: float | None = None, max_step: float | None = None,
                    max_points: int = 2000, tolerance: float = 1e-10) -> Branch:
    """Follow the equilibrium through ``(x0, mu0)`` until the parameter leaves [mu0, mu1], by
    pseudo-arclength continuation. ``x0`` is corrected onto the branch first; the special
    points are located by a secant iteration on their test function.

    Parameters
    ----------
    rate : callable
        ``rate(x, mu)``: the system's rate.
    jacobian : callable
        ``jacobian(x, mu)``: its Jacobian in x.
    x0 : ndarray
        A state near the branch at ``mu0``.
    mu0, mu1 : float
        The parameter's range.
    dmu : callable, optional
        ``dmu(x, mu)``: df/dmu (central differences when None).
    step, max_step : float, optional
        The first and the largest arclength step.
    max_points : int
        The most points computed.
    tolerance : float
        The tolerance of the corrector and of the special points, in arclength.

    Returns
    -------
    Branch
        The branch and its special points.
    """
    lo, hi = min(mu0, mu1), max(mu0, mu1)
    span = hi - lo
    step = span / 200 if step is None else step
    max_step = span / 20 if max_step is None else max_step
    if dmu is None:
        def dmu(x, mu):
            h = 1e-7 * max(1.0, abs(mu))
            return (rate(x, mu + h) - rate(x, mu - h)) / (2 * h)
    n = len(x0)

    def extended(z: np.ndarray) -> np.ndarray:
        return np.hstack([jacobian(z[:n], z[n]), dmu(z[:n], z[n])[:, None]])

    def tangent(z: np.ndarray, previous: np.ndarray) -> np.ndarray:
        system = np.vstack([extended(z), previous])
        t = np.linalg.solve(system, np.r_[np.zeros(n), 1.0])
        return t / np.linalg.norm(t)

    def correct(guess: np.ndarray, t: np.ndarray, anchor: np.ndarray) -> np.ndarray | None:
        z = guess.copy()
        for _ in range(12):
            residual = np.r_[rate(z[:n], z[n]), t @ (z - anchor)]
            try:
                delta = np.linalg.solve(np.vstack([extended(z), t]), -residual)
            except np.linalg.LinAlgError:
                return None
            z = z + delta
            if np.max(np.abs(delta)) <= 1e-13 * max(1.0, float(np.max(np.abs(z)))):
                return z
        ok = np.max(np.abs(rate(z[:n], z[n]))) <= 1e-9 * max(1.0, float(np.max(np.abs(z))))
        return z if ok else None

    # put the start on the branch at fixed mu (Newton on x)
    x = np.array(x0, dtype=float)
    for _ in range(20):
        x = x + np.linalg.solve(jacobian(x, mu0), -rate(x, mu0))
    z = np.r_[x, mu0]
    direction = np.r_[np.zeros(n), 1.0 if mu1 >= mu0 else -1.0]
    t = tangent(z, direction)
    zs, ts = [z], [t]
    while len(zs) < max_points:
        new = correct(z + step * t, t, z + step * t)
        if new is None:
            step /= 2
            if step < 1e-12 * span:
                break
            continue
        new_t = tangent(new, t)
        zs.append(new)
        ts.append(new_t)
        z, t = new, new_t
        step = min(step * 1.3, max_step)
        if not lo - 1e-12 * span <= z[n] <= hi + 1e-12 * span:
            break
    return _assemble(zs, ts, rate, jacobian, correct, n, tolerance, lo - 1e-12 * span,
                     hi + 1e-12 * span)


def _assemble(zs, ts, rate, jacobian, correct, n, tolerance, lo, hi) -> Branch:
    # drop the last point if it stepped past the requested range
    while len(zs) > 2 and not lo <= zs[-1][n] <= hi:
        zs, ts = zs[:-1], ts[:-1]
    zs = np.array(zs)
    eigenvalues = np.array([np.linalg.eigvals(jacobian(z[:n], z[n])) for z in zs])
    kinds = [classify(ev) for ev in eigenvalues]
    branch = Branch(zs[:, n], zs[:, :n], eigenvalues, kinds)
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    for k in range(len(zs) - 1):
        a, b = zs[k], zs[k + 1]
        fold_a, fold_b = (_fold_test(jacobian(z[:n], z[n])) for z in (a, b))
        if fold_a != fold_b:
            turned = np.sign(ts[k][n]) != np.sign(ts[k + 1][n])
            kind = "fold" if turned else "branch point"
            point = _locate(lambda z: _real_test(np.linalg.eigvals(jacobian(z[:n], z[n]))),
                            a, ts[k], b, correct, tolerance)
            branch.points.append(SpecialPoint(kind, float(point[n]), point[:n]))
        hopf_a = _hopf_test(eigenvalues[k], scale)
        hopf_b = _hopf_test(eigenvalues[k + 1], scale)
        if hopf_a is not None and hopf_b is not None and np.sign(hopf_a) != np.sign(hopf_b):
            def test(z):
                value = _hopf_test(np.linalg.eigvals(jacobian(z[:n], z[n])), scale)
                return 0.0 if value is None else value
            point = _locate(test, a, ts[k], b, correct, tolerance)
            branch.points.append(SpecialPoint("hopf", float(point[n]), point[:n]))
    return branch


def _real_test(eigenvalues: np.ndarray) -> float:
    """The real eigenvalue nearest zero (signed): it passes through 0 at folds and branch
    points; 0 when no eigenvalue is real."""
    real = eigenvalues[np.abs(eigenvalues.imag) <= 1e-12 * max(1.0, np.abs(eigenvalues).max())]
    return 0.0 if real.size == 0 else float(real.real[np.argmin(np.abs(real.real))])


def _locate(test, a: np.ndarray, t: np.ndarray, b: np.ndarray, correct, tolerance):
    """Zero of ``test`` on the branch between a and b, by Brent's method in arclength."""
    def on_branch(s: float) -> np.ndarray:
        guess = a + s * t
        z = correct(guess, t, guess)
        return guess if z is None else z

    span = float(t @ (b - a))
    f0, f1 = test(a), test(b)
    if f0 == 0 or f1 == 0 or np.sign(f0) == np.sign(f1):
        return a if abs(f0) <= abs(f1) else b
    s = brentq(lambda s: test(on_branch(s)), 0.0, span, xtol=tolerance,
               rtol=4 * np.finfo(float).eps)
    return on_branch(s)


def parameter_slots(model: Model, name: str) -> tuple[str, list[int]]:
    """The registry name and input positions of a parameter spec.

    Parameters
    ----------
    model : Model
        The model.
    name : str
        ``name`` or ``name.STATE``; a per-state parameter without a state varies for every
        state together.

    Returns
    -------
    (str, list of int)
        The registry name and the columns of the model's inputs it sets.
    """
    parsed = parse_name(name, model.states)
    base, state = parsed.base, parsed.state
    if base not in model.parameter_names:
        raise ParameterValueError(f"parameter {base!r} has no effect in {model!r}: its "
                                  "mechanism is off")
    index = None if not state else (model.state_index(state),)
    slots = [k for k, s in enumerate(model.parameters)
             if s.name == base and (index is None or s.index[:1] == index)]
    return base, slots


def check_range(name: str, value_range: tuple[float, float]) -> tuple[float, float]:
    """The range of a continuation, checked against the parameter's bounds.

    Parameters
    ----------
    name : str
        The parameter spec (``name`` or ``name.STATE``).
    value_range : (float, float)
        The range.

    Returns
    -------
    (float, float)
        The range as floats.

    Raises
    ------
    ParameterValueError
        Where the range leaves the parameter's bounds.
    """
    base = parse_name(name).base
    low, high = REGISTRY[base].bounds
    a, b = (float(v) for v in value_range)
    for value in (a, b):
        if not low <= value <= high:
            raise ParameterValueError(f"continuation range {a:g}:{b:g} of {name!r} leaves its "
                                      f"bounds [{low:g}, {high:g}] ({REGISTRY[base].unit})")
    return a, b


def _settled(system: FixedSystem, name: str, value: float, y0: np.ndarray,
             years: float) -> np.ndarray:
    """The state that a run of ``years`` from ``y0`` reaches with parameter ``name`` at
    ``value`` (the others as the system holds them)."""
    model = system.model
    parsed = parse_name(name, model.states)
    values = {key: system.values[key] for key in model.parameter_names}
    changed = np.array(values[parsed.base], dtype=float)
    if parsed.state:
        changed[model.state_index(parsed.state)] = value
    else:
        changed[...] = value
    values[parsed.base] = changed
    start: dict[str, np.ndarray] = {}
    for k, slot in enumerate(model.variables):
        if slot.name not in start:
            start[slot.name] = np.array(system.start[slot.name], dtype=float)
        start[slot.name][slot.index] = y0[k]
    result = simulate(model, values, (0.0, float(years)), initial={**system.start, **start},
                      output=2)
    assert isinstance(result, Result)  # one parameter set: one run
    if not result.ok:
        raise ParameterValueError(f"the run that settles at {name} = {value:g} did not reach "
                                  f"{years:g} years: {result.message}")
    return np.array([result.values[slot.name][(-1, *slot.index)]
                     for slot in model.variables])


def continuation(model: Model, name: str, value_range: tuple[float, float],
                   params: Mapping[str, Any] | None = None, *,
                   initial: Mapping[str, Any] | None = None, start: np.ndarray | None = None,
                   settle: float | None = None, **options: Any) -> Branch:
    """Continue an equilibrium of ``model`` as parameter ``name`` goes over ``value_range``.

    Parameters
    ----------
    model : Model
        The assembled model.
    name : str
        A registry name (a per-state parameter then varies for all states) or
        ``name.STATE``.
    value_range : (float, float)
        First and last value; the range must lie inside the parameter's bounds.
    params : mapping, optional
        The other parameters' values.
    initial : mapping, optional
        Initial values (they fix held variables and the default start).
    start : ndarray, optional
        A state near the equilibrium at the first value (default: the initial state).
    settle : float, optional
        Years to run the model at the first value (from ``start`` or the initial state,
        without interventions) before continuing from the state reached: the branch is then
        that of the equilibrium a run settles into (the command line's ``continue`` settles
        for 500 years).
    **options
        Passed to :func:`continue_branch` (step sizes, tolerances).

    Returns
    -------
    Branch
        The branch's points with their stability, and its folds, branch points and Hopf
        points.
    """
    base, slots = parameter_slots(model, name)
    a, b = check_range(name, value_range)
    if settle is not None and not (isinstance(settle, int | float) and math.isfinite(settle)
                                   and settle > 0):
        raise ParameterValueError(f"settle must be a positive number of years, got {settle!r}")
    system = FixedSystem(model, params, initial)
    p0 = system.p.copy()

    def inputs(mu: float) -> np.ndarray:
        p = p0.copy()
        p[slots] = mu
        return p

    rate = lambda x, mu: system.compiled.rate(0.0, x, inputs(mu))  # noqa: E731
    jac = lambda x, mu: system.compiled.jacobian(0.0, x, inputs(mu))  # noqa: E731
    x0 = system.y0 if start is None else np.asarray(start, dtype=float)
    if settle is not None:
        x0 = _settled(system, name, a, x0, settle)
    branch = continue_branch(rate, jac, x0, a, b, **options)
    branch.labels, branch.name = system.labels, name
    return branch
