"""Sensitivity studies: problems, designs, and Sobol indices of scenario metrics.

A :class:`Problem` is SALib's problem description (``names``, ``bounds``, optional
``groups``); names are parameter specs of a scenario (``coercion``, ``growth.Riser``).
Designs (full-factorial grids, Latin hypercubes, Sobol sequences) come from
``scipy.stats.qmc``. :func:`sobol` estimates first- and total-order Sobol indices with
bootstrap confidence intervals (``scipy.stats.sobol_indices``, Saltelli 2010 estimators)
of any scalar metric of a scenario, or of a metric per output time (a time-resolved
index: the metric returns one value per output time), and second-order indices where asked
(SALib's Saltelli design and estimators); :func:`convergence` shows the indices against
the sample size from nested subsamples of one design, so that a study shows whether it
has converged; :func:`morris` screens inputs by elementary effects (SALib);
:func:`given_data` computes RBD-FAST, delta (Borgonovo) and PAWN indices from any existing
design and its values (a finished sweep), and :func:`fast` eFAST with its own design (all
SALib); :func:`local_sensitivities` gives elasticities at the scenario's own values as a
cheap first look. Every study is one ensemble
(:func:`dynamics.run.ensemble.simulate_ensemble`) or, given an executor (a process pool, a
Dask cluster) or a checkpoint file, one :func:`dynamics.studies.sweep.sweep` in chunks.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Computer
Physics Communications 181(2): 259-270.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33(2): 161-174; Campolongo, F., Cariboni, J. and Saltelli, A. (2007). An
effective screening design for sensitivity analysis of large models. Environmental
Modelling & Software 22(10): 1509-1518.
Iwanaga, T., Usher, W. and Herman, J. (2022). Toward SALib 2.0. Socio-Environmental Systems
Modelling 4: 18155 (RBD-FAST, delta, PAWN and eFAST as implemented there).
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

from dynamics.errors import (
    DynamicsError,
    ParameterValueError,
    UnknownNameError,
    at_least,
    require,
)
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import finite_json
from dynamics.results.report import Report
from dynamics.scenarios import Scenario
from dynamics.studies.design import (
    BYTES_PER_MEMBER,
    Metric,
    Problem,
    check_size,
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
from dynamics.studies.sweep import SweepResult, sweep

__all__ = ["Problem", "grid", "latin_hypercube", "sobol_design", "design_values",
           "run_design", "metric_values", "metric_function", "SobolIndices", "sobol", "sobol_of",
           "MorrisIndices", "morris", "morris_of", "LocalSensitivities",
           "local_sensitivities", "Convergence", "convergence", "convergence_of",
           "GivenDataIndices", "given_data", "fast", "GIVEN_DATA", "sweep_indices", "METHODS",
           "runs_of", "study"]


@dataclass(frozen=True)
class SobolIndices(Report):
    """First- and total-order Sobol indices with 95 % intervals.

    Attributes
    ----------
    names : tuple of str
        The inputs (or groups).
    first, total : ndarray
        The indices, (d,) or, for a metric per output time, (d, outputs).
    first_interval, total_interval : ndarray
        Their bootstrap 95 % intervals, (2, d) (or (2, d, outputs)); NaN without resamples.
    evaluations : int
        The runs it took.
    second, second_interval : ndarray, optional
        Second-order indices (d, d) and their 95 % half-widths, where asked for.
    """

    names: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray  # (2, d[, outputs]): low, high
    total_interval: np.ndarray
    evaluations: int
    #: second-order indices (d, d; upper triangle) and their 95 % intervals (2, d, d),
    #: where asked for (``second_order=True``)
    second: np.ndarray | None = None
    second_interval: np.ndarray | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"names": list(self.names), "evaluations": self.evaluations,
               "first": self.first.tolist(), "total": self.total.tolist(),
               "first_interval": self.first_interval.tolist(),
               "total_interval": self.total_interval.tolist()}
        if self.second is not None and self.second_interval is not None:
            out |= {"second": finite_json(self.second),
                    "second_interval": finite_json(self.second_interval)}
        return out

    def second_rows(self) -> list[dict[str, Any]]:
        """One row per pair of inputs: the second-order index and its 95 % interval."""
        if self.second is None or self.second_interval is None:
            raise DynamicsError("no second-order indices: ask for them with "
                                "second_order=True")
        d = len(self.names)
        return [{"input": self.names[i], "with": self.names[j],
                 "second": float(self.second[i, j]),
                 "second_low": float(self.second_interval[0, i, j]),
                 "second_high": float(self.second_interval[1, i, j])}
                for i in range(d) for j in range(i + 1, d)]

    def to_xarray(self):
        """An ``xarray.Dataset`` of the indices and their intervals over (input[, output
        time]); needs xarray (the ``[data]`` extra)."""
        require("data", "to_xarray", "xarray")
        import xarray as xr

        dims = ("input", "output")[:self.first.ndim]
        data = {"first": (dims, self.first), "total": (dims, self.total),
                "first_low": (dims, self.first_interval[0]),
                "first_high": (dims, self.first_interval[1]),
                "total_low": (dims, self.total_interval[0]),
                "total_high": (dims, self.total_interval[1])}
        if self.second is not None and self.second_interval is not None:
            data |= {"second": (("input", "with"), self.second),
                     "second_low": (("input", "with"), self.second_interval[0]),
                     "second_high": (("input", "with"), self.second_interval[1])}
        coords: dict[str, Any] = {"input": list(self.names)}
        if self.second is not None:
            coords["with"] = list(self.names)
        return xr.Dataset(data, coords=coords, attrs={"evaluations": self.evaluations})

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
        if self.second is not None:
            lines += [f"  {row['input']} x {row['with']}: second {row['second']:7.3f} "
                      f"[{row['second_low']:.3f}, {row['second_high']:.3f}]"
                      for row in self.second_rows()]
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


def _saltelli(problem: Problem, n: int, seed: int) -> np.ndarray:
    """The Saltelli (2010) design of ``n`` base samples: A, B and one A_B^(i) per factor,
    stacked as (d, n (factors + 2)). The first m columns of A and of B are a Sobol design
    of m points themselves (a Sobol sequence's leading points), so a subsample of the
    first m base samples is a smaller design of the same kind (nested)."""
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
    return np.concatenate([a, b, *ab], axis=1)


def _split(values: np.ndarray, n: int, factors: int) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """f_A (s, n), f_B (s, n) and f_AB (factors, s, n) of a Saltelli design's values."""
    values = np.atleast_2d(np.asarray(values, dtype=float))  # (s, n (factors + 2))
    f_a, f_b = values[:, :n], values[:, n:2 * n]
    f_ab = values[:, 2 * n:].reshape(values.shape[0], factors, n).swapaxes(0, 1)
    return f_a, f_b, f_ab


def _indices(problem: Problem, f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray,
             resamples: int, seed: int) -> SobolIndices:
    """First- and total-order indices (and bootstrap intervals) of one design's values."""
    n, factors = f_a.shape[1], problem.factors
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


def sobol_of(function: Callable[[np.ndarray], np.ndarray], problem: Problem, n: int,
             seed: int = 0, resamples: int = 200, second_order: bool = False
             ) -> SobolIndices:
    """Sobol indices of a function of the inputs.

    The Saltelli (2010) design (matrices A and B from one scrambled Sobol sequence of
    dimension 2d, and one matrix A_B^(i) per input, or per group of inputs when the problem
    has groups: indices of a group are those of its inputs varied together) is stacked into
    one evaluation of ``n (d + 2)`` points, so that a scenario runs it as one ensemble, or one
    sweep on an executor with one checkpoint. ``scipy.stats.sobol_indices`` computes the
    indices and their bootstrap intervals from the values. With ``second_order`` the design
    is SALib's (``n (2 d + 2)`` points, the B_A matrices added) and SALib's estimators give
    first-, second- and total-order indices with 95 % intervals.

    Parameters
    ----------
    function : callable
        ``x`` of shape (d, m) -> values (m,) or (s, m).
    problem : Problem
        The inputs and their ranges.
    n : int
        The base sample size (a power of two).
    seed : int
        The seed of the scrambled sequence and the bootstrap.
    resamples : int
        Bootstrap resamples of the intervals (0: none, NaN intervals).
    second_order : bool
        Second-order indices too.

    Returns
    -------
    SobolIndices
        The indices and their intervals.
    """
    if len(problem.factors) < 2:
        raise ParameterValueError(
            f"Sobol indices need at least 2 inputs (or groups), got {list(problem.factors)}: "
            "with one, its first-order and total indices are 1 by definition")
    at_least(n, 2, "Sobol's base samples n")
    at_least(resamples, 0, "the bootstrap's resamples")
    if second_order:
        return _second_order(function, problem, n, seed, resamples)
    design = _saltelli(problem, n, seed)
    values = np.asarray(function(design), dtype=float)
    f_a, f_b, f_ab = _split(values, n, len(problem.factors))
    return _indices(problem, f_a, f_b, f_ab, resamples, seed)


def _second_order(function: Callable[[np.ndarray], np.ndarray], problem: Problem, n: int,
                  seed: int, resamples: int) -> SobolIndices:
    require("sensitivity", "second-order Sobol indices", "SALib")
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    if n & (n - 1):
        raise ParameterValueError(f"Sobol indices need a power of two base samples, got {n}")
    salib = problem.to_dict()
    design = sample.sample(salib, n, calc_second_order=True, seed=seed)
    values = np.asarray(function(design.T), dtype=float)
    if values.ndim != 1:
        raise DynamicsError("second-order indices are computed for a scalar metric only")
    result = analyze.analyze(salib, values, calc_second_order=True,
                             num_resamples=max(resamples, 2), seed=seed)
    half = lambda key: np.asarray(result[key], dtype=float)  # noqa: E731
    first, total, second = half("S1"), half("ST"), half("S2")
    return SobolIndices(problem.factors, first,  total,
                        np.array([first - half("S1_conf"), first + half("S1_conf")]),
                        np.array([total - half("ST_conf"), total + half("ST_conf")]),
                        len(design), second,
                        np.array([second - half("S2_conf"), second + half("S2_conf")]))


@dataclass(frozen=True)
class Convergence(Report):
    """Sobol indices against the sample size, from the leading base samples of one design
    (nested subsamples: no run is repeated).

    Attributes
    ----------
    names : tuple of str
        The inputs (or groups).
    sizes : ndarray
        The base sample sizes.
    first, total : ndarray
        The indices at each size, (sizes, d).
    first_interval, total_interval : ndarray
        Their 95 % intervals, (sizes, 2, d).
    runs : ndarray
        The runs each size uses.
    """

    names: tuple[str, ...]
    sizes: np.ndarray
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray
    total_interval: np.ndarray
    runs: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "sizes": self.sizes.tolist(),
                "runs": self.runs.tolist(), "first": self.first.tolist(),
                "total": self.total.tolist(),
                "first_interval": finite_json(self.first_interval),
                "total_interval": finite_json(self.total_interval)}

    def rows(self) -> list[dict[str, Any]]:
        return [{"base_samples": int(size), "runs": int(self.runs[k]), "input": name,
                 "first": float(self.first[k, i]),
                 "first_low": float(self.first_interval[k, 0, i]),
                 "first_high": float(self.first_interval[k, 1, i]),
                 "total": float(self.total[k, i]),
                 "total_low": float(self.total_interval[k, 0, i]),
                 "total_high": float(self.total_interval[k, 1, i])}
                for k, size in enumerate(self.sizes) for i, name in enumerate(self.names)]

    def change(self) -> float:
        """The largest change of any index between the two largest sample sizes."""
        if len(self.sizes) < 2:
            return float("nan")
        return float(np.nanmax(np.abs(np.concatenate([
            self.first[-1] - self.first[-2], self.total[-1] - self.total[-2]]))))

    def summary(self) -> str:
        lines = [f"Sobol indices against the number of base samples ({int(self.runs[-1])} "
                 f"runs in all; largest change between the last two sizes "
                 f"{self.change():.3f}), first/total order:",
                 f"  {'n':>6s}" + "".join(f" {name[:14]:>14s}" for name in self.names)]
        for k, size in enumerate(self.sizes):
            lines.append(f"  {int(size):6d}" + "".join(
                f" {self.first[k, i]:7.3f}/{self.total[k, i]:6.3f}"
                for i in range(len(self.names))))
        return "\n".join(lines)

    def to_xarray(self):
        """An ``xarray.Dataset`` over (base_samples, input); needs xarray."""
        require("data", "to_xarray", "xarray")
        import xarray as xr

        dims = ("base_samples", "input")
        return xr.Dataset({"first": (dims, self.first), "total": (dims, self.total),
                           "first_low": (dims, self.first_interval[:, 0]),
                           "first_high": (dims, self.first_interval[:, 1]),
                           "total_low": (dims, self.total_interval[:, 0]),
                           "total_high": (dims, self.total_interval[:, 1])},
                          coords={"base_samples": self.sizes, "input": list(self.names)})


def convergence_of(function: Callable[[np.ndarray], np.ndarray], problem: Problem, n: int,
                   seed: int = 0, resamples: int = 100, smallest: int = 16) -> Convergence:
    """First- and total-order indices of a scalar function for the nested subsamples of
    ``smallest``, twice that, ... up to ``n`` base samples of one Saltelli design (``n (d +
    2)`` evaluations in all).

    Parameters
    ----------
    function : callable
        ``x`` of shape (d, m) -> values (m,).
    problem : Problem
        The inputs and their ranges.
    n : int
        The largest base sample size (a power of two).
    seed : int
        The seed of the design.
    resamples : int
        Bootstrap resamples of each size's intervals.
    smallest : int
        The smallest base sample size.

    Returns
    -------
    Convergence
        The indices at each size.
    """
    if smallest < 4 or smallest & (smallest - 1) or smallest > n:
        raise ParameterValueError(f"smallest must be a power of two from 4 to n = {n}, got "
                                  f"{smallest}")
    design = _saltelli(problem, n, seed)
    values = np.asarray(function(design), dtype=float)
    if values.ndim != 1:
        raise DynamicsError("convergence is shown for a scalar metric")
    f_a, f_b, f_ab = _split(values, n, len(problem.factors))
    sizes = 2 ** np.arange(int(np.log2(smallest)), int(np.log2(n)) + 1)
    found = [_indices(problem, f_a[:, :m], f_b[:, :m], f_ab[..., :m], resamples, seed)
             for m in sizes]
    return Convergence(problem.factors, sizes, np.array([f.first for f in found]),
                       np.array([f.total for f in found]),
                       np.array([f.first_interval for f in found]),
                       np.array([f.total_interval for f in found]),
                       sizes * (len(problem.factors) + 2))


def convergence(scenario: Scenario, problem: Problem, metric: Metric, n: int = 256,
                seed: int = 0, resamples: int = 100, smallest: int = 16,
                **options: Any) -> Convergence:
    """:func:`convergence_of` a scalar scenario metric.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs and their ranges.
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a result.
    n : int
        The largest base sample size (a power of two).
    seed : int
        The seed of the design.
    resamples : int
        Bootstrap resamples of each size's intervals.
    smallest : int
        The smallest base sample size.
    **options
        Those of :func:`metric_values`.

    Returns
    -------
    Convergence
        The indices at each size.
    """
    return convergence_of(lambda x: metric_values(scenario, problem, x.T, metric, **options),
                          problem, n, seed, resamples, smallest)


#: the given-data methods of :func:`given_data` (SALib's), and what each reports
GIVEN_DATA = {"rbd-fast": ("S1",),
              # SALib >= 1.5 reports Borgonovo's delta as raw, bias-balanced and stepwise
              # estimates; older versions one "delta"
              "delta": ("delta", "delta_raw", "delta_balanced", "S1"),
              "pawn": ("minimum", "mean", "median", "maximum", "CV")}


@dataclass(frozen=True)
class GivenDataIndices(Report):
    """Indices of one SALib method per input.

    Attributes
    ----------
    method : str
        ``rbd-fast``, ``delta``, ``pawn`` or ``fast``.
    names : tuple of str
        The inputs.
    values : dict
        ``values[statistic]`` (d,), with the 95 % half-width ``values[statistic + "_conf"]``
        where the method gives one.
    evaluations : int
        The runs it used.
    """

    method: str
    names: tuple[str, ...]
    values: dict[str, np.ndarray]
    evaluations: int

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "names": list(self.names),
                "evaluations": self.evaluations,
                **{k: finite_json(v) for k, v in self.values.items()}}

    def rows(self) -> list[dict[str, Any]]:
        return [{"input": name, **{k: float(v[i]) for k, v in self.values.items()}}
                for i, name in enumerate(self.names)]

    def summary(self) -> str:
        keys = list(self.values)
        lines = [f"{self.method} indices ({self.evaluations} runs):"]
        lines += [f"  {name:24s} " + "  ".join(f"{k} {self.values[k][i]:.3f}" for k in keys)
                  for i, name in enumerate(self.names)]
        return "\n".join(lines)


def given_data(problem: Problem, design: np.ndarray, values: np.ndarray,
               method: str = "delta", seed: int = 0) -> GivenDataIndices:
    """RBD-FAST, delta or PAWN indices (SALib) of a design that has already run: a Latin
    hypercube or any random design (a finished sweep's).

    Parameters
    ----------
    problem : Problem
        The inputs and their ranges.
    design : ndarray
        The design points (members, d).
    values : ndarray
        The scalar metric of each member.
    method : str
        One of :data:`GIVEN_DATA`.
    seed : int
        The seed of the method's resampling.

    Returns
    -------
    GivenDataIndices
        The indices.
    """
    require("sensitivity", "RBD-FAST, delta and PAWN indices", "SALib")
    from SALib.analyze import delta, pawn, rbd_fast

    if method not in GIVEN_DATA:
        raise UnknownNameError("given-data method", method, GIVEN_DATA)
    design, values = np.asarray(design, dtype=float), np.asarray(values, dtype=float)
    if design.shape != (values.size, len(problem.names)):
        raise ParameterValueError(f"design of shape {design.shape} for {values.size} values "
                                  f"and {len(problem.names)} inputs")
    finite = np.isfinite(values)
    if not finite.all():
        raise DynamicsError(f"{int((~finite).sum())} of {values.size} values are not finite "
                            "(failed members); leave them out first")
    salib = {k: v for k, v in problem.to_dict().items() if k != "groups"}
    analyse = {"rbd-fast": rbd_fast.analyze, "delta": delta.analyze,
               "pawn": pawn.analyze}[method]
    result = analyse(salib, design, values, seed=seed)
    keys = [key for statistic in GIVEN_DATA[method]
            for key in (statistic, f"{statistic}_conf") if key in result]
    return GivenDataIndices(method, problem.names,
                            {k: np.asarray(result[k], dtype=float) for k in keys},
                            values.size)


def sweep_indices(result: SweepResult, metric: str, method: str = "delta", seed: int = 0
                  ) -> GivenDataIndices:
    """:func:`given_data` of a finished sweep's metric over the members that succeeded (its
    design should be random, a Latin hypercube, not a grid).

    Parameters
    ----------
    result : SweepResult
        The sweep.
    metric : str
        One of its metrics.
    method : str
        One of :data:`GIVEN_DATA`.
    seed : int
        The seed of the method's resampling.

    Returns
    -------
    GivenDataIndices
        The indices.
    """
    if metric not in result.metrics:
        raise UnknownNameError("metric of the sweep", metric, result.metrics)
    values = result.metrics[metric]
    ok = np.isfinite(values) & np.array([str(s) == "success" for s in result.status])
    return given_data(result.problem, result.design[ok], values[ok], method, seed)


def fast(scenario: Scenario, problem: Problem, metric: Metric, n: int = 256, seed: int = 0,
         harmonics: int = 4, **options: Any) -> GivenDataIndices:
    """eFAST first- and total-order indices (SALib, with its own design of ``n`` runs per
    input) of a scalar scenario metric.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs and their ranges.
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a result.
    n : int
        Runs per input (at least 4 M^2 + 1, M the harmonics).
    seed : int
        The seed of the design.
    harmonics : int
        The interference factor M.
    **options
        Those of :func:`metric_values`.

    Returns
    -------
    GivenDataIndices
        ``S1`` and ``ST`` per input.
    """
    require("sensitivity", "eFAST", "SALib")
    from SALib.analyze import fast as analyze
    from SALib.sample import fast_sampler

    at_least(harmonics, 1, "eFAST's harmonics M")
    # SALib's eFAST needs more than 4 M^2 runs per input
    at_least(n, 4 * harmonics ** 2 + 1, f"eFAST's runs per input n (with M = {harmonics} "
                                        "harmonics, more than 4 M^2)")
    salib = {k: v for k, v in problem.to_dict().items() if k != "groups"}
    design = fast_sampler.sample(salib, n, M=harmonics, seed=seed)
    values = np.asarray(metric_values(scenario, problem, design, metric, **options))
    result = analyze.analyze(salib, values, M=harmonics, seed=seed)
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    return GivenDataIndices("fast", problem.names,
                            {k: np.asarray(result[k], dtype=float) for k in keys},
                            len(design))


def sobol(scenario: Scenario, problem: Problem, metric: Metric, n: int = 256,
          seed: int = 0, resamples: int = 200, second_order: bool = False,
          **options: Any) -> SobolIndices:
    """Sobol indices of ``metric`` (a scalar, or one value per output time) of a scenario.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The uncertain inputs (with ``groups``, indices per group).
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a
        :class:`~dynamics.results.Result`.
    n : int
        Base samples, a power of two: ``n (d + 2)`` runs (d inputs or groups),
        ``n (2 d + 2)`` with ``second_order``.
    seed : int
        The seed of the design.
    resamples : int
        Bootstrap resamples for the intervals (0: none).
    second_order : bool
        Also the second-order indices (SALib).
    **options
        Those of :func:`metric_values` (an executor, a checkpoint, solver tolerances).

    Returns
    -------
    SobolIndices
        First-order and total indices with 95 % intervals.
    """
    return sobol_of(lambda x: metric_values(scenario, problem, x.T, metric, **options),
                    problem, n, seed, resamples, second_order)


def metric_values(scenario: Scenario, problem: Problem, design: np.ndarray, metric: Metric,
                  *, executor: Executor | None = None, checkpoint: str | Path | None = None,
                  chunk: int = 256, progress: bool = False, **options: Any) -> np.ndarray:
    """A metric of every design point.

    In-process as one ensemble by default; with an ``executor`` or a ``checkpoint`` the
    design runs as a :func:`dynamics.studies.sweep.sweep` in chunks (scalar metrics only, and
    the metric must be picklable for a process pool or cluster: a name, or a module-level
    function). A member that does not succeed makes an index undefined, so this stops with an
    error naming how many failed and why (the first message) instead of dropping them.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs (the design's columns).
    design : ndarray
        The design points (n, inputs).
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a result.
    executor : concurrent.futures.Executor, optional
        Runs the chunks (a process pool, a Dask client).
    checkpoint : str or Path, optional
        A file the finished chunks are kept in; a rerun resumes from it.
    chunk : int
        Members per chunk.
    progress : bool
        Print the chunks as they finish.
    **options
        Those of the ensembles (``solver``).

    Returns
    -------
    ndarray
        The metric, (n,) or, per output time, (outputs, n).
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

    ``elasticity[k]`` = (dM/dp_k) (p_k / M): the percentage change of the metric per percent
    change of input k, from central differences at p_k (1 +- step) (one-sided at a bound; NaN
    where the metric is 0). A per-state input named without a state scales every state's
    value by the same factor; its ``base`` is then the mean over states, and its
    ``derivative`` dM/dp_k, defined only when the states share one value, is NaN where they
    differ.

    Attributes
    ----------
    names : tuple of str
        The inputs.
    base : ndarray
        Each input's value.
    metric : float
        The metric at the scenario's values.
    derivative : ndarray
        dM/dp_k.
    elasticity : ndarray
        The elasticities.
    step : float
        The relative step of the differences.
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
    """Elasticities of a scalar ``metric`` to each input at the scenario's own values.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    names : sequence of str
        The inputs (registry names or per-state entries).
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a
        :class:`~dynamics.results.Result`.
    step : float
        The relative step of the central differences.
    **options
        Passed to the ensemble (tolerances).

    Returns
    -------
    LocalSensitivities
        The elasticity of the metric to each input (``2 d + 1`` runs of one ensemble).
    """
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
    """Morris screening of the inputs.

    Attributes
    ----------
    names : tuple of str
        The inputs.
    mu_star : ndarray
        The mean absolute elementary effect of each input.
    mu_star_half_width : ndarray
        Its 95 % half-width.
    mu : ndarray
        The mean elementary effect.
    sigma : ndarray
        Its standard deviation (interaction or non-linearity).
    evaluations : int
        The runs it took.
    """

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
    """Morris elementary effects of a function of the inputs (SALib).

    Parameters
    ----------
    function : callable
        ``x`` of shape (n, d) -> values (n,).
    problem : Problem
        The inputs and their ranges.
    trajectories : int
        Morris trajectories (at least 2): ``trajectories (d + 1)`` evaluations.
    levels : int
        Grid levels per input (at least 2).
    seed : int
        The seed of the design.

    Returns
    -------
    MorrisIndices
        mu*, its half-width, mu and sigma of each input.
    """
    require("sensitivity", "Morris screening", "SALib")
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    # two trajectories at least: sigma, the spread of the elementary effects, needs two
    at_least(trajectories, 2, "Morris's trajectories")
    at_least(levels, 2, "Morris's levels")
    salib = problem.to_dict()
    design = sample.sample(salib, trajectories, num_levels=levels, seed=seed)
    values = np.asarray(function(design), dtype=float)
    result = analyze.analyze(salib, design, values, num_levels=levels, seed=seed)
    return MorrisIndices(tuple(result["names"]), np.asarray(result["mu_star"]),
                         np.asarray(result["mu_star_conf"]), np.asarray(result["mu"]),
                         np.asarray(result["sigma"]), len(design))


def morris(scenario: Scenario, problem: Problem, metric: Metric, trajectories: int = 32,
           levels: int = 4, seed: int = 0, **options: Any) -> MorrisIndices:
    """Morris screening of a scalar scenario metric.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The uncertain inputs.
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a
        :class:`~dynamics.results.Result`.
    trajectories : int
        Morris trajectories: ``trajectories (d + 1)`` runs.
    levels : int
        Grid levels per input.
    seed : int
        The seed of the design.
    **options
        Those of :func:`metric_values`: in one ensemble or, with an executor or a
        checkpoint, one sweep.

    Returns
    -------
    MorrisIndices
        mu*, mu and sigma of each input's elementary effects (SALib).
    """
    return morris_of(lambda x: metric_values(scenario, problem, x, metric, **options),
                     problem, trajectories, levels, seed)


#: the global methods of :func:`study`: variance-based, screening and given-data
METHODS = ("sobol", "morris", "fast", *GIVEN_DATA)


def runs_of(problem: Problem, method: str = "sobol", n: int = 256,
            second_order: bool = False) -> int:
    """The runs a :func:`study` of ``problem`` by ``method`` takes (a Sobol design of base
    size ``n`` takes ``n (d + 2)``, with second-order indices ``n (2 d + 2)``; Morris
    ``n (d + 1)`` for ``n`` trajectories; eFAST ``n d``; a given-data method ``n``), where
    ``d`` counts the inputs, or their groups where they are grouped.

    Parameters
    ----------
    problem : Problem
        The uncertain inputs.
    method : str
        One of :data:`METHODS`.
    n : int
        The base sample size, or Morris trajectories.
    second_order : bool
        Sobol: second-order indices too.

    Returns
    -------
    int
        The number of runs.
    """
    if method not in METHODS:
        raise UnknownNameError("sensitivity method", method, METHODS)
    factors = len(set(problem.groups)) if problem.groups else len(problem.names)
    if method == "morris":
        return n * (factors + 1)
    if method == "fast":
        return n * factors
    if method in GIVEN_DATA:
        return n
    return n * (2 * factors + 2 if second_order else factors + 2)


#: (the convergence study, whose name :func:`study`'s flag of the same name shadows)
_convergence = convergence


def study(scenario: Scenario, problem: Problem, metric: Metric, method: str = "sobol", *,
          n: int = 256, seed: int = 0, resamples: int = 200, second_order: bool = False,
          convergence: bool = False, force: bool = False, **options: Any) -> Report:
    """A global sensitivity study of a scenario metric by ``method``: the one call behind
    ``balancing sensitivity`` (sampling, running and analysing, see the functions it
    dispatches to).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The uncertain inputs and their ranges.
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS` or a function of a result.
    method : str
        ``sobol`` (:func:`sobol`, or :func:`convergence` with ``convergence``), ``morris``
        (:func:`morris`, ``n`` trajectories), ``fast`` (:func:`fast`) or a given-data
        method of :data:`GIVEN_DATA` on a Latin hypercube of ``n`` runs
        (:func:`given_data`).
    n : int
        The base sample size, or Morris trajectories (:func:`runs_of` gives the runs).
    seed : int
        The seed of the design (and of the bootstrap).
    resamples : int
        Sobol: bootstrap resamples of the intervals.
    second_order : bool
        Sobol: second-order indices too.
    convergence : bool
        Sobol: the indices against the sample size (nested subsamples).
    force : bool
        Run it even if its design would hold more than half of the machine's memory
        (:func:`~dynamics.studies.design.check_size`).
    **options
        Those of :func:`metric_values` (an executor, a checkpoint, the chunk size,
        progress).

    Returns
    -------
    Report
        :class:`SobolIndices`, :class:`Convergence`, :class:`MorrisIndices` or
        :class:`GivenDataIndices`.
    """
    runs = runs_of(problem, method, n, second_order)  # an unknown method is refused here
    check_size(runs, BYTES_PER_MEMBER + 16 * len(problem.names),
               f"a {method} study", force)
    if second_order and method != "sobol":
        raise ParameterValueError("second-order indices are for method sobol")
    if convergence and method != "sobol":
        raise ParameterValueError("convergence is for method sobol")
    if second_order and convergence:
        raise ParameterValueError("give second_order or convergence, not both")
    if method == "morris":
        return morris(scenario, problem, metric, trajectories=n, seed=seed, **options)
    if method == "fast":
        return fast(scenario, problem, metric, n=n, seed=seed, **options)
    if method in GIVEN_DATA:
        design = latin_hypercube(problem, n, seed=seed, force=force)
        values = metric_values(scenario, problem, design, metric, **options)
        return given_data(problem, design, values, method, seed=seed)
    if convergence:
        return _convergence(scenario, problem, metric, n=n, seed=seed, resamples=resamples,
                            **options)
    return sobol(scenario, problem, metric, n=n, seed=seed, resamples=resamples,
                 second_order=second_order, **options)
