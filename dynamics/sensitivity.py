"""Sensitivity studies: problems, designs, and Sobol indices of scenario metrics.

A :class:`Problem` is SALib's problem description (``names``, ``bounds``, optional
``groups``); names are parameter specs of a scenario (``coercion``, ``growth.Riser``).
Designs (full-factorial grids, Latin hypercubes, Sobol sequences) come from
``scipy.stats.qmc``. :func:`sobol` estimates first- and total-order Sobol indices with
bootstrap confidence intervals (``scipy.stats.sobol_indices``, Saltelli 2010 estimators)
of any scalar metric of a scenario, or of a metric per output time (a time-resolved
index: the metric returns one value per output time); :func:`morris` screens inputs by
elementary effects (SALib); :func:`local_sensitivities` gives elasticities at the
scenario's own values as a cheap first look. Every study is one ensemble
(:func:`dynamics.ensemble.simulate_ensemble`) or, given an executor (a process pool, a
Dask cluster) or a checkpoint file, one :func:`dynamics.sweep.sweep` in chunks.

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

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from dynamics.errors import DynamicsError, ParameterValueError
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.report import Report
from dynamics.scenarios import Scenario
from dynamics.studies import (
    Metric,
    Problem,
    design_values,
    grid,
    latin_hypercube,
    member_metrics,
    metric_function,
    refuse_failures,
    run_design,
    run_values,
    sobol_design,
)
from dynamics.sweep import sweep

__all__ = ["Problem", "grid", "latin_hypercube", "sobol_design", "design_values",
           "run_design", "metric_values", "metric_function", "SobolIndices", "sobol", "sobol_of",
           "MorrisIndices", "morris", "morris_of", "LocalSensitivities",
           "local_sensitivities"]


@dataclass(frozen=True)
class SobolIndices(Report):
    """First- and total-order indices, shape (d,) or (d, outputs), with 95 % intervals."""

    names: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray  # (2, d[, outputs]): low, high
    total_interval: np.ndarray
    evaluations: int

    def as_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "evaluations": self.evaluations,
                "first": self.first.tolist(), "total": self.total.tolist(),
                "first_interval": self.first_interval.tolist(),
                "total_interval": self.total_interval.tolist()}

    def rows(self) -> list[dict[str, Any]]:
        """One row per input (and per output time, for a time-resolved index)."""
        out = []
        for k, name in enumerate(self.names):
            for j in np.ndindex(self.first.shape[1:]):
                row: dict[str, Any] = {"input": name}
                if j:
                    row["output"] = int(j[0])
                row |= {"first": float(self.first[(k, *j)]),
                        "first_low": float(self.first_interval[(0, k, *j)]),
                        "first_high": float(self.first_interval[(1, k, *j)]),
                        "total": float(self.total[(k, *j)]),
                        "total_low": float(self.total_interval[(0, k, *j)]),
                        "total_high": float(self.total_interval[(1, k, *j)])}
                out.append(row)
        return out

    def summary(self) -> str:
        lines = [f"Sobol indices ({self.evaluations} runs):"]
        if self.first.ndim > 1:
            return lines[0] + f" {self.first.shape[1]} outputs per input; see rows()"
        for k, name in enumerate(self.names):
            lines.append(f"  {name:24s} first {self.first[k]:7.3f} "
                         f"[{self.first_interval[0][k]:.3f}, {self.first_interval[1][k]:.3f}]"
                         f"  total {self.total[k]:7.3f} "
                         f"[{self.total_interval[0][k]:.3f}, {self.total_interval[1][k]:.3f}]")
        return "\n".join(lines)


def _bootstrap(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, resamples: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """95 % BCa intervals (2, ...) of the first- and total-order indices, resampling the base
    samples with ``rng`` (scipy's own ``SobolResult.bootstrap`` draws from numpy's global
    state, so the same seed would not give the same intervals)."""
    def statistic(index: np.ndarray) -> np.ndarray:
        # Saltelli et al. (2010), the estimators scipy.stats.sobol_indices uses (its
        # default), on the resampled base samples (which need not be a power of two)
        index = np.asarray(index, dtype=int)
        a, b, ab = f_a[:, index], f_b[:, index], f_ab[..., index]
        centre = np.mean([a, b], axis=(0, -1))[:, None]  # as scipy centres the outputs
        a, b, ab = a - centre, b - centre, ab - centre
        variance = np.var([a, b], axis=(0, -1))
        first = np.mean(b * (ab - a), axis=-1) / variance
        total = 0.5 * np.mean((a - ab) ** 2, axis=-1) / variance
        return np.concatenate([np.ravel(first.T), np.ravel(total.T)])

    n = f_a.shape[1]
    shape = np.shape(stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab},
                                         n=n).first_order)
    interval = stats.bootstrap([np.arange(n)], statistic, method="BCa",
                               n_resamples=resamples, confidence_level=0.95, rng=rng,
                               vectorized=False).confidence_interval
    size = int(np.prod(shape))
    low, high = np.asarray(interval.low), np.asarray(interval.high)
    return (np.array([low[:size].reshape(shape), high[:size].reshape(shape)]),
            np.array([low[size:].reshape(shape), high[size:].reshape(shape)]))


def sobol_of(function: Callable[[np.ndarray], np.ndarray], problem: Problem, n: int,
             seed: int = 0, resamples: int = 200) -> SobolIndices:
    """Sobol indices of ``function`` (``x`` of shape (d, m) -> (m,) or (s, m)).

    The Saltelli (2010) design (matrices A and B from one scrambled Sobol sequence of
    dimension 2d, and one matrix A_B^(i) per input, or per group of inputs when the
    problem has groups: indices of a group are those of its inputs varied together) is
    stacked into one evaluation of ``n (d + 2)`` points, so that a scenario runs it as one
    ensemble, or one sweep on an executor with one checkpoint. ``scipy.stats.sobol_indices``
    computes the indices and their bootstrap intervals (``resamples`` of them; 0 for none:
    NaN intervals) from the values.
    """
    if n & (n - 1):
        raise ParameterValueError(f"Sobol indices need a power of two base samples, got {n}")
    d, factors = len(problem.names), problem.factors
    unit = qmc.Sobol(2 * d, seed=np.random.default_rng(seed), bits=64).random(n).T
    a, b = qmc.scale(unit[:d].T, problem.lower, problem.upper).T, \
        qmc.scale(unit[d:].T, problem.lower, problem.upper).T
    labels = problem.groups or problem.names
    ab = np.repeat(a[None], len(factors), axis=0)
    for g, factor in enumerate(factors):  # A with the factor's columns taken from B
        columns = [k for k, label in enumerate(labels) if label == factor]
        ab[g, columns] = b[columns]
    values = np.asarray(function(np.concatenate([a, b, *ab], axis=1)), dtype=float)
    values = np.atleast_2d(values)  # (s, n (factors + 2))
    f_a, f_b = values[:, :n], values[:, n:2 * n]
    f_ab = values[:, 2 * n:].reshape(values.shape[0], len(factors), n).swapaxes(0, 1)
    result = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n)
    if resamples:
        first, total = _bootstrap(f_a, f_b, f_ab, resamples, np.random.default_rng([seed, 1]))
    else:  # no intervals asked for (the BCa jackknife costs O(n^2) for large n)
        first = total = np.full((2, *np.shape(result.first_order)), np.nan)
    arrays = [result.first_order, result.total_order, first, total]
    if np.ndim(result.first_order) == 2:  # scipy: (outputs, d); here one row per input
        arrays = [np.swapaxes(a, -1, -2) for a in arrays]
    return SobolIndices(factors, arrays[0], arrays[1], arrays[2], arrays[3],
                        n * (len(factors) + 2))


def sobol(scenario: Scenario, problem: Problem, metric: Metric, n: int = 256,
          seed: int = 0, **options: Any) -> SobolIndices:
    """Sobol indices of ``metric`` (a scalar, or one value per output time) of a scenario.

    ``metric`` is a name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a
    :class:`~dynamics.results.Result`. ``n`` (a power of two) base samples cost
    ``n (d + 2)`` runs (d inputs, or groups of inputs); ``options`` are those of
    :func:`metric_values` (an executor, a checkpoint, solver tolerances).
    """
    return sobol_of(lambda x: metric_values(scenario, problem, x.T, metric, **options),
                    problem, n, seed)


def metric_values(scenario: Scenario, problem: Problem, design: np.ndarray, metric: Metric,
                  *, executor: Executor | None = None, checkpoint: str | Path | None = None,
                  chunk: int = 256, progress: bool = False, **options: Any) -> np.ndarray:
    """``metric`` of every design point: shape (n,) or, per output time, (outputs, n).

    In-process as one ensemble by default; with an ``executor`` or a ``checkpoint`` the
    design runs as a :func:`dynamics.sweep.sweep` in chunks (scalar metrics only, and the
    metric must be picklable for a process pool or cluster: a name, or a module-level
    function). A member that does not succeed makes an index undefined, so this stops
    with an error naming how many failed and why (the first message) instead of dropping
    them.
    """
    function = metric_function(metric)
    if executor is not None or checkpoint is not None:
        swept = sweep(scenario, problem, design, [metric], chunk=chunk, executor=executor,
                      checkpoint=checkpoint, progress=progress, **options)
        refuse_failures(list(swept.status), swept.messages)
        return next(iter(swept.metrics.values()))
    ensemble = run_design(scenario, problem, design, **options)
    refuse_failures([s.value for s in ensemble.status], ensemble.messages)
    values = member_metrics(ensemble, function)
    return values.T if values.ndim == 2 else values


@dataclass(frozen=True)
class LocalSensitivities(Report):
    """Elasticities of a metric at the scenario's own values (a cheap first look).

    ``elasticity[k]`` = (dM/dp_k) (p_k / M): the percentage change of the metric per
    percent change of input k, from central differences at p_k (1 +- step) (one-sided at
    a bound; NaN where the metric is 0). A per-state input named without a state scales
    every state's value by the same factor; its ``base`` is then the mean over states, and
    its ``derivative`` dM/dp_k, defined only when the states share one value, is NaN
    where they differ.
    """

    names: tuple[str, ...]
    base: np.ndarray
    metric: float
    derivative: np.ndarray
    elasticity: np.ndarray
    step: float

    def as_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "base": self.base.tolist(), "value": self.metric,
                "derivative": self.derivative.tolist(), "elasticity": self.elasticity.tolist(),
                "step": self.step}

    def rows(self) -> list[dict[str, Any]]:
        return [{"input": name, "value": float(self.base[k]),
                 "elasticity": float(self.elasticity[k]),
                 "derivative": float(self.derivative[k])} for k, name in enumerate(self.names)]

    def summary(self) -> str:
        lines = [f"Elasticities at the scenario's own values (metric {self.metric:.6g}; "
                 f"steps of {self.step:g}):"]
        lines += [f"  {name:24s} value {self.base[k]:10.4g}  elasticity "
                  f"{self.elasticity[k]:+10.4f}  derivative {self.derivative[k]:+10.4g}"
                  for k, name in enumerate(self.names)]
        return "\n".join(lines)


def local_sensitivities(scenario: Scenario, names: Sequence[str], metric: Metric,
                        step: float = 1e-3, **options: Any) -> LocalSensitivities:
    """Elasticities of a scalar ``metric`` to each input in ``names``: ``2 d + 1`` runs
    of one ensemble, in-process (see :class:`LocalSensitivities`)."""
    names, d = tuple(names), len(names)
    function = metric_function(metric)
    if not 0 < step < 0.5:
        raise ParameterValueError(f"step must be in (0, 0.5), got {step}")
    factors = np.ones((2 * d + 1, d))  # row 0: the scenario; then down and up per input
    values: dict[str, np.ndarray] = {}
    bases = []
    for k, name in enumerate(names):
        parsed = parse_name(name, scenario.states)
        base, state = parsed.base, parsed.state
        value = scenario.parameter(base)
        if base not in values:
            values[base] = (np.tile(value, (2 * d + 1, 1)) if np.ndim(value)
                            else np.full(2 * d + 1, value))
        if np.ndim(value) and state:
            value = np.asarray(value)[scenario.states.index(state)]
        if np.all(np.asarray(value) == 0):
            raise ParameterValueError(f"{name!r} is 0 in {scenario.name!r}: an elasticity is "
                                      "undefined there; vary it with sobol or morris")
        low, high = REGISTRY[base].bounds
        if np.all(np.asarray(value) * (1 - step) >= low):
            factors[2 * k + 1, k] = 1 - step
        if np.all(np.asarray(value) * (1 + step) <= high):
            factors[2 * k + 2, k] = 1 + step
        column = values[base]
        if np.ndim(column) == 2 and state:
            column[:, scenario.states.index(state)] *= factors[:, k]
        elif np.ndim(column) == 2:
            column *= factors[:, k][:, None]
        else:
            column *= factors[:, k]
        bases.append(value)
    ensemble = run_values(scenario, values, **options)
    refuse_failures([s.value for s in ensemble.status], ensemble.messages)
    out = member_metrics(ensemble, function)
    if out.ndim != 1:
        raise DynamicsError("local sensitivities need a scalar metric")
    m0 = float(out[0])
    rows = np.arange(d)
    spread = factors[2 * rows + 2, rows] - factors[2 * rows + 1, rows]
    slope = (out[2 * rows + 2] - out[2 * rows + 1]) / spread  # dM / d(relative factor)
    scalar = np.array([np.ptp(np.atleast_1d(b)) == 0 for b in bases])  # one common value
    means = np.array([float(np.mean(b)) for b in bases])
    with np.errstate(divide="ignore", invalid="ignore"):
        elasticity = slope / m0 if m0 != 0 else np.full(d, np.nan)
        derivative = np.where(scalar, slope / means, np.nan)
    return LocalSensitivities(names, means, m0, derivative, elasticity, step)


@dataclass(frozen=True)
class MorrisIndices(Report):
    """Morris screening: mean absolute elementary effect (mu*), its 95 % half-width, the
    mean effect (mu) and its standard deviation (sigma: interaction or non-linearity)."""

    names: tuple[str, ...]
    mu_star: np.ndarray
    mu_star_half_width: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    evaluations: int

    def as_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "evaluations": self.evaluations,
                "mu_star": self.mu_star.tolist(),
                "mu_star_half_width": self.mu_star_half_width.tolist(),
                "mu": self.mu.tolist(), "sigma": self.sigma.tolist()}

    def rows(self) -> list[dict[str, Any]]:
        return [{"input": name, "mu_star": float(self.mu_star[k]),
                 "mu_star_half_width": float(self.mu_star_half_width[k]),
                 "mu": float(self.mu[k]), "sigma": float(self.sigma[k])}
                for k, name in enumerate(self.names)]

    def summary(self) -> str:
        lines = [f"Morris screening ({self.evaluations} runs):"]
        lines += [f"  {name:24s} mu* {self.mu_star[k]:10.4g} +- "
                  f"{self.mu_star_half_width[k]:.3g}  mu {self.mu[k]:10.4g}  "
                  f"sigma {self.sigma[k]:10.4g}" for k, name in enumerate(self.names)]
        return "\n".join(lines)


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


def morris(scenario: Scenario, problem: Problem, metric: Metric, trajectories: int = 32,
           levels: int = 4, seed: int = 0, **options: Any) -> MorrisIndices:
    """Morris screening of a scalar scenario metric: ``trajectories (d + 1)`` runs, in one
    ensemble or, with an executor or a checkpoint, one sweep (see :func:`metric_values`)."""
    return morris_of(lambda x: metric_values(scenario, problem, x, metric, **options),
                     problem, trajectories, levels, seed)
