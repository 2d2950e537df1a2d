"""Sensitivity studies: problems, designs, and Sobol indices of scenario metrics.

A :class:`Problem` is SALib's problem description (``names``, ``bounds``, optional
``groups``); names are parameter specs of a scenario (``coercion``, ``growth.Riser``).
Designs (full-factorial grids, Latin hypercubes, Sobol sequences) come from
``scipy.stats.qmc``. :func:`sobol` estimates first- and total-order Sobol indices with
bootstrap confidence intervals (``scipy.stats.sobol_indices``, Saltelli 2010 estimators)
of any scalar metric of a scenario, or of a metric per output time (a time-resolved
index: the metric returns one value per output time). Every evaluation is one ensemble
(:func:`dynamics.ensemble.simulate_ensemble`).

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181(2): 259-270.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33(2): 161-174; Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An
effective screening design for sensitivity analysis of large models. Environmental
Modelling & Software 22(10): 1509-1518.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from dynamics.ensemble import EnsembleResult, simulate_ensemble
from dynamics.errors import DynamicsError, ParameterValueError
from dynamics.model.parameters import REGISTRY
from dynamics.results import Result, Status
from dynamics.scenarios import Scenario, parse_assignment

__all__ = ["Problem", "grid", "latin_hypercube", "sobol_design", "design_values",
           "run_design", "SobolIndices", "sobol", "sobol_of", "MorrisIndices", "morris",
           "morris_of"]


@dataclass(frozen=True)
class Problem:
    """Names and bounds of the uncertain inputs (SALib's problem dictionary)."""

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    groups: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.names) != len(self.bounds):
            raise ParameterValueError(f"{len(self.names)} names but {len(self.bounds)} bounds")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not low < high:
                raise ParameterValueError(f"bounds of {name!r} must be low < high, got "
                                          f"({low}, {high})")

    @classmethod
    def from_dict(cls, problem: Mapping[str, Any]) -> Problem:
        """From SALib's ``{"num_vars", "names", "bounds", "groups"}``."""
        names = tuple(problem["names"])
        if "num_vars" in problem and problem["num_vars"] != len(names):
            raise ParameterValueError(f"num_vars {problem['num_vars']} but {len(names)} names")
        groups = problem.get("groups")
        return cls(names, tuple(tuple(map(float, b)) for b in problem["bounds"]),
                   tuple(groups) if groups is not None else None)

    def to_dict(self) -> dict[str, Any]:
        """SALib's problem dictionary."""
        out = {"num_vars": len(self.names), "names": list(self.names),
               "bounds": [list(b) for b in self.bounds]}
        if self.groups is not None:
            out["groups"] = list(self.groups)
        return out

    @property
    def lower(self) -> np.ndarray:
        return np.array([b[0] for b in self.bounds])

    @property
    def upper(self) -> np.ndarray:
        return np.array([b[1] for b in self.bounds])


def grid(problem: Problem, levels: int | Sequence[int]) -> np.ndarray:
    """Full-factorial design, shape (prod(levels), d), levels evenly spaced in the bounds."""
    levels = [levels] * len(problem.names) if isinstance(levels, int) else list(levels)
    axes = [np.linspace(lo, hi, k) for (lo, hi), k in zip(problem.bounds, levels, strict=True)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


def latin_hypercube(problem: Problem, n: int, seed: int = 0) -> np.ndarray:
    """Latin hypercube of ``n`` points (scipy.stats.qmc), shape (n, d)."""
    sample = qmc.LatinHypercube(len(problem.names), seed=seed).random(n)
    return qmc.scale(sample, problem.lower, problem.upper)


def sobol_design(problem: Problem, n: int, seed: int = 0) -> np.ndarray:
    """Scrambled Sobol sequence of ``n`` (a power of two) points, shape (n, d)."""
    if n & (n - 1):
        raise ParameterValueError(f"a Sobol sequence needs a power of two points, got {n}")
    sample = qmc.Sobol(len(problem.names), scramble=True, seed=seed).random_base2(
        int(np.log2(n)))
    return qmc.scale(sample, problem.lower, problem.upper)


def design_values(scenario: Scenario, problem: Problem, design: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """The scenario's parameters with the design's columns as a member axis.

    A per-state parameter named without a state takes the value for every state; with a
    state (``growth.Riser``) only that state's entry varies.
    """
    members = design.shape[0]
    states = scenario.states
    values: dict[str, np.ndarray] = {}
    for column, name in enumerate(problem.names):
        base, _ = parse_assignment(f"{name}=0", scenario)
        state = name.partition(".")[2]
        kind = REGISTRY[base].kind
        if kind == "pair":
            raise ParameterValueError(f"{name!r}: matrix parameters cannot be varied here")
        if kind == "scalar":
            values[base] = design[:, column].copy()
            continue
        if base not in values:
            current = scenario.parameters.get(base, REGISTRY[base].default)
            if isinstance(current, Mapping):
                current = [current.get(s, REGISTRY[base].default) for s in states]
            values[base] = np.broadcast_to(np.asarray(current, dtype=float),
                                           (members, len(states))).copy()
        if state:
            values[base][:, states.index(state)] = design[:, column]
        else:
            values[base][:] = design[:, column][:, None]
    return values


def run_design(scenario: Scenario, problem: Problem, design: np.ndarray,
               **options: Any) -> EnsembleResult:
    """Integrate the scenario at every design point (one ensemble)."""
    model = scenario.model()
    values = {**scenario.values(model), **design_values(scenario, problem, design)}
    options.setdefault("output", scenario.output)
    return simulate_ensemble(model, values, scenario.t_span, initial=scenario.initial,
                             **options)


@dataclass(frozen=True)
class SobolIndices:
    """First- and total-order indices, shape (d,) or (d, outputs), with 95 % intervals."""

    names: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray  # (2, d[, outputs]): low, high
    total_interval: np.ndarray
    evaluations: int


def sobol_of(function: Callable[[np.ndarray], np.ndarray], problem: Problem, n: int,
             seed: int = 0, resamples: int = 200) -> SobolIndices:
    """Sobol indices of ``function`` (``x`` of shape (d, n) -> (n,) or (s, n))."""
    dists = [stats.uniform(loc=lo, scale=hi - lo) for lo, hi in problem.bounds]
    result = stats.sobol_indices(func=function, n=n, dists=dists,
                                 rng=np.random.default_rng(seed))
    interval = result.bootstrap(confidence_level=0.95, n_resamples=resamples)
    d = len(problem.names)
    first, total = (interval.first_order.confidence_interval,
                    interval.total_order.confidence_interval)
    arrays = [result.first_order, result.total_order, np.array([first.low, first.high]),
              np.array([total.low, total.high])]
    if np.ndim(result.first_order) == 2:  # scipy: (outputs, d); here one row per input
        arrays = [np.swapaxes(a, -1, -2) for a in arrays]
    return SobolIndices(problem.names, *arrays, n * (d + 2))


def sobol(scenario: Scenario, problem: Problem,
          metric: Callable[[Result], float | np.ndarray], n: int = 256, seed: int = 0,
          **options: Any) -> SobolIndices:
    """Sobol indices of ``metric`` (a scalar, or one value per output time) of a scenario.

    ``n`` (a power of two) base samples cost ``n (d + 2)`` runs; see
    :func:`metric_values` for members that do not succeed.
    """
    return sobol_of(lambda x: metric_values(scenario, problem, x.T, metric, **options),
                    problem, n, seed)


def metric_values(scenario: Scenario, problem: Problem, design: np.ndarray,
                  metric: Callable[[Result], float | np.ndarray], **options: Any) -> np.ndarray:
    """``metric`` of every design point: shape (n,) or, per output time, (outputs, n).

    A member that does not succeed makes an index undefined, so this stops with an error
    naming how many failed and why (the first message) instead of dropping them.
    """
    ensemble = run_design(scenario, problem, design, **options)
    failed = [i for i, s in enumerate(ensemble.status) if s is not Status.SUCCESS]
    if failed:
        raise DynamicsError(f"{len(failed)} of {ensemble.members} members did not succeed "
                            f"(first: member {failed[0]}, {ensemble.messages[failed[0]]}); "
                            "narrow the bounds")
    values = np.array([np.asarray(metric(ensemble.member(i)), dtype=float)
                       for i in range(ensemble.members)])
    return values.T if values.ndim == 2 else values


@dataclass(frozen=True)
class MorrisIndices:
    """Morris screening: mean absolute elementary effect (mu*), its 95 % half-width, the
    mean effect (mu) and its standard deviation (sigma: interaction or non-linearity)."""

    names: tuple[str, ...]
    mu_star: np.ndarray
    mu_star_half_width: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    evaluations: int


def morris_of(function: Callable[[np.ndarray], np.ndarray], problem: Problem,
              trajectories: int = 32, levels: int = 4, seed: int = 0) -> MorrisIndices:
    """Morris elementary effects of ``function`` (``x`` of shape (n, d) -> (n,)) by SALib."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    salib = problem.to_dict()
    design = sample.sample(salib, trajectories, num_levels=levels, seed=seed)
    values = np.asarray(function(design), dtype=float)
    result = analyze.analyze(salib, design, values, num_levels=levels, seed=seed)
    return MorrisIndices(tuple(result["names"]), np.asarray(result["mu_star"]),
                         np.asarray(result["mu_star_conf"]), np.asarray(result["mu"]),
                         np.asarray(result["sigma"]), len(design))


def morris(scenario: Scenario, problem: Problem, metric: Callable[[Result], float],
           trajectories: int = 32, levels: int = 4, seed: int = 0,
           **options: Any) -> MorrisIndices:
    """Morris screening of a scalar scenario metric: ``trajectories (d + 1)`` runs."""
    return morris_of(lambda x: metric_values(scenario, problem, x, metric, **options),
                     problem, trajectories, levels, seed)
