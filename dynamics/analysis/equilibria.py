"""Equilibria of a model: found, de-duplicated, and classified by their Jacobian eigenvalues.

For the linear Richardson core the single equilibrium is solved exactly with sympy; in
general equilibria are found by Newton-type root finding (``scipy.optimize.root`` with the
analytic Jacobian) from many quasi-random starts in a region (a scrambled Sobol sequence,
``scipy.stats.qmc``), polished, checked and reported once each.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import root
from scipy.stats import qmc

from dynamics.errors import ParameterValueError, UnknownNameError, at_least
from dynamics.model.model import Model
from dynamics.results.report import Report
from dynamics.run.prepared import prepare

__all__ = ["Equilibrium", "FixedSystem", "classify", "find_equilibria", "starts_tried",
           "RESIDUAL_TOLERANCE"]

#: an equilibrium is accepted when max_i |f_i(x*)| / max(1, max_i |x*_i|) is below this
RESIDUAL_TOLERANCE = 1e-9


def classify(eigenvalues: np.ndarray, tolerance: float = 1e-9) -> str:
    """The type of a hyperbolic equilibrium from its eigenvalues.

    ``stable node`` / ``stable focus`` (all real parts < 0; focus if any eigenvalue is
    complex), ``unstable node`` / ``unstable focus`` (all > 0), ``saddle`` (both signs),
    ``non-hyperbolic`` when a real part is within ``tolerance`` (relative to the largest
    eigenvalue magnitude) of zero.

    Parameters
    ----------
    eigenvalues : ndarray
        The eigenvalues.
    tolerance : float
        The relative size of a real part counted as zero.

    Returns
    -------
    str
        The type.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=complex)
    scale = max(1.0, float(np.max(np.abs(eigenvalues)))) if eigenvalues.size else 1.0
    real = eigenvalues.real
    if np.any(np.abs(real) <= tolerance * scale):
        return "non-hyperbolic"
    complex_pair = bool(np.any(np.abs(eigenvalues.imag) > tolerance * scale))
    if np.all(real < 0):
        return "stable focus" if complex_pair else "stable node"
    if np.all(real > 0):
        return "unstable focus" if complex_pair else "unstable node"
    return "saddle"


@dataclass(frozen=True)
class Equilibrium(Report):
    """One equilibrium of a model.

    Attributes
    ----------
    state : ndarray
        The state, in the model's variable order.
    eigenvalues : ndarray
        The Jacobian's eigenvalues there.
    kind : str
        Its type (:func:`classify`).
    residual : float
        The rate there, relative to the state's scale.
    labels : tuple of str
        The variables' labels.
    """

    state: np.ndarray
    eigenvalues: np.ndarray
    kind: str
    residual: float
    labels: tuple[str, ...]

    @property
    def stable(self) -> bool:
        return self.kind.startswith("stable")

    def __getitem__(self, label: str) -> float:
        """Value of one variable by label, e.g. ``eq["m[USA]"]``."""
        try:
            return float(self.state[self.labels.index(label)])
        except ValueError:
            raise UnknownNameError("variable", label, self.labels) from None

    def as_dict(self) -> dict[str, Any]:
        return {"state": dict(zip(self.labels, self.state.tolist(), strict=True)),
                "kind": self.kind, "stable": self.stable, "residual": self.residual,
                "eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues]}

    def rows(self) -> list[dict[str, Any]]:
        return [{"variable": label, "value": float(value)}
                for label, value in zip(self.labels, self.state, strict=True)]

    def summary(self) -> str:
        growth = float(max(self.eigenvalues.real)) if self.eigenvalues.size else float("nan")
        lines = [f"{self.kind} (largest real part of the eigenvalues {growth:.4g}/yr, "
                 f"residual {self.residual:.1e})"]
        lines += [f"   {label:18s} {value:.6g}"
                  for label, value in zip(self.labels, self.state, strict=True)]
        return "\n".join(lines)


class FixedSystem:
    """The rate f(y) and Jacobian J(y) of a model at fixed parameter values.

    Held variables (output without the economy, cohesion without alliances) take their
    values from ``initial``, and the start ``y0`` is the one a simulation would take
    (:func:`~dynamics.run.prepared.prepare`: perceived threat equal to the actual threat).

    Parameters
    ----------
    model : Model
        The model.
    params : mapping, optional
        Parameter values by registry name (one set, no member axis).
    initial : mapping, optional
        Initial values by variable.
    """

    def __init__(self, model: Model, params: Mapping[str, Any] | None = None,
                 initial: Mapping[str, Any] | None = None):
        self.model = model
        self.run = run = prepare(model, params, initial)
        self.compiled, self.values, self.start, self.p = run.compiled, run.values, run.start, run.p
        y0 = run.y0
        if y0.ndim != 1:
            raise ParameterValueError("equilibria are found for one parameter set, not an "
                                      "ensemble")
        self.y0 = y0
        self.labels = model.labels

    def rate(self, y: np.ndarray) -> np.ndarray:
        return self.compiled.rate(0.0, y, self.p)

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        return self.compiled.jacobian(0.0, y, self.p)

    def residual(self, y: np.ndarray) -> float:
        """max |f(y)| / max(1, max |y|): the scaled residual used to accept equilibria."""
        return float(np.max(np.abs(self.rate(y))) / max(1.0, float(np.max(np.abs(y)))))

    def equilibrium(self, y: np.ndarray) -> Equilibrium:
        eigenvalues = np.linalg.eigvals(self.jacobian(y))
        order = np.lexsort((eigenvalues.imag, -eigenvalues.real))
        eigenvalues = eigenvalues[order]
        return Equilibrium(np.array(y, dtype=float), eigenvalues, classify(eigenvalues),
                           self.residual(y), self.labels)

    def default_region(self) -> np.ndarray:
        """Bounds (n, 2) covering the admissible domain around the start.

        Spending 0..ceiling x output (or 0..10 x its start without the ceiling), output
        0..capacity, threat 0..the threat at full mobilisation, cohesion and effort 0..1.
        """
        model, n = self.model, len(self.model.variables)
        bounds = np.zeros((n, 2))
        e = self.start["e"]
        ceiling = self.values["ceiling"]
        scale_m = (ceiling * np.maximum(e, self.values["capacity"])
                   if "ceiling" in model.mechanisms else 10 * np.abs(self.start["m"]) + 1e-3)
        for k, slot in enumerate(model.variables):
            i = slot.index[0]
            if slot.name == "m":
                bounds[k] = (0.0, scale_m[i])
            elif slot.name == "e":
                bounds[k] = (1e-6 * e[i], max(e[i], self.values["capacity"][i]) * 1.5)
            elif slot.name == "theta":
                bounds[k] = (0.0, float(np.sum(scale_m)) * 3)
            else:
                bounds[k] = (0.0, 1.0)
        return bounds


def _newton_polish(system: FixedSystem, y: np.ndarray, steps: int = 3) -> np.ndarray:
    for _ in range(steps):
        try:
            step = np.linalg.solve(system.jacobian(y), -system.rate(y))
        except np.linalg.LinAlgError:
            break
        y = y + step
        if np.max(np.abs(step)) <= 1e-15 * max(1.0, float(np.max(np.abs(y)))):
            break
    return y


def _sobol_power(starts: int) -> int:
    """The power of two of the Sobol starts for ``starts`` asked (rounded up, at least 2)."""
    return max(1, (starts - 1).bit_length())


def starts_tried(starts: int) -> int:
    """How many starts :func:`find_equilibria` tries for ``starts`` asked (and calls its
    ``progress`` for): the run's own start, then the Sobol points, rounded up to a power of
    two.

    Parameters
    ----------
    starts : int
        The starts asked for.

    Returns
    -------
    int
        The starts tried.
    """
    return 1 + 2 ** _sobol_power(starts)


def find_equilibria(model: Model, params: Mapping[str, Any] | None = None, *,
                    initial: Mapping[str, Any] | None = None,
                    region: np.ndarray | Sequence[Sequence[float]] | None = None,
                    starts: int = 128, seed: int = 0, inside: bool = True,
                    progress: Callable[[], None] | None = None) -> list[Equilibrium]:
    """All equilibria found in ``region`` (n_variables x 2 bounds), each reported once.

    Parameters
    ----------
    model : Model
        The assembled model.
    params : mapping, optional
        Parameter values by registry name, as for :func:`~dynamics.simulate`.
    initial : mapping, optional
        Initial values, as for :func:`~dynamics.simulate`: they fix the held variables
        (output without the economy, cohesion without alliances).
    region : array_like, optional
        The lower and upper bound of every dynamic variable (n_variables x 2; default: the
        admissible domain, see :meth:`FixedSystem.default_region`).
    starts : int
        The number of quasi-random starts (scrambled Sobol points; rounded up to a power
        of two), besides the simulation's start.
    seed : int
        The seed of the Sobol scrambling (results are reproducible).
    inside : bool
        Keep only equilibria inside ``region`` (with 1e-9 slack).
    progress : callable, optional
        Called once per start tried (a progress bar's step).

    Returns
    -------
    list of Equilibrium
        Sorted by spending, each with scaled residual below ``RESIDUAL_TOLERANCE`` and
        distinct from the others.

    Notes
    -----
    Root finding from many starts finds every equilibrium whose basin of the Newton
    iteration contains a start; it cannot prove that none was missed. For the linear
    Richardson core use :func:`dynamics.analysis.richardson.equilibrium` for the exact,
    symbolic answer.
    """
    at_least(starts, 1, "starts")
    system = FixedSystem(model, params, initial)
    bounds = system.default_region() if region is None else np.asarray(region, dtype=float)
    if bounds.shape != (len(system.labels), 2):
        raise ParameterValueError(f"region must have shape ({len(system.labels)}, 2): one "
                                  f"(low, high) per variable {list(system.labels)}")
    sampler = qmc.Sobol(len(system.labels), scramble=True, seed=seed)
    points = qmc.scale(sampler.random_base2(_sobol_power(starts)), bounds[:, 0],
                       bounds[:, 1] + 1e-300)
    found: list[np.ndarray] = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for start in [system.y0, *points]:
            if progress is not None:
                progress()
            sol = root(system.rate, start, jac=system.jacobian, method="hybr")
            y = _newton_polish(system, sol.x)
            if not np.all(np.isfinite(y)) or system.residual(y) > RESIDUAL_TOLERANCE:
                continue
            slack = 1e-9 * np.maximum(1.0, np.abs(bounds).max(axis=1))
            if inside and np.any((y < bounds[:, 0] - slack) | (y > bounds[:, 1] + slack)):
                continue
            if any(np.max(np.abs(y - other)) <= 1e-7 * max(1.0, float(np.max(np.abs(y))))
                   for other in found):
                continue
            found.append(y)
    found.sort(key=lambda y: tuple(y))
    return [system.equilibrium(y) for y in found]
