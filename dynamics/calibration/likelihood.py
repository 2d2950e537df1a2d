"""Maximum likelihood: the batched Levenberg-Marquardt optimiser and the fit's report
(:func:`fit`, :class:`Fit`, :class:`Interval`).

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dynamics.calibration.problem import FitProblem
from dynamics.errors import ParameterValueError
from dynamics.results.labelled import Result
from dynamics.results.report import Report

__all__ = ['Fit', 'Interval', 'equal_tailed', 'fit']

# --- the batched optimiser --------------------------------------------------------------


def _objective(problem: FitProblem, e: np.ndarray, rho: np.ndarray, weights: np.ndarray
               ) -> np.ndarray:
    """The residual vector whose sum of squares the optimiser minimises: innovations
    weighted per series, times (1 - rho^2)^(-C / 2n) (see the module docstring)."""
    scale = (1 - rho ** 2) ** (-problem.chains / (2 * problem.n))
    return e * np.sqrt(weights[:, problem.cell_series]) * scale[:, None]


def _residuals(problem: FitProblem, phi: np.ndarray, log_y: np.ndarray, weights: np.ndarray
               ) -> np.ndarray:
    e, _ = problem.evaluate(phi, log_y)
    return _objective(problem, e, problem.rho(phi), weights)


def _jacobian(problem: FitProblem, phi: np.ndarray, log_y: np.ndarray, weights: np.ndarray,
              free: np.ndarray) -> np.ndarray:
    """Central differences (one-sided at a bound), every perturbation one member."""
    members, q = phi.shape
    h = 1e-5 * np.maximum(np.abs(phi), problem.typical)
    up = np.minimum(phi + h, problem.upper)
    down = np.maximum(phi - h, problem.lower)
    rows_up = np.repeat(phi[:, None, :], q, axis=1)
    rows_down = rows_up.copy()
    index = np.arange(q)
    rows_up[:, index, index] = up
    rows_down[:, index, index] = down
    rows = np.concatenate([rows_up.reshape(-1, q), rows_down.reshape(-1, q)])
    repeat = np.concatenate([np.repeat(np.arange(members), q)] * 2)
    f = _residuals(problem, rows, log_y[repeat], weights[repeat])
    f_up = f[:members * q].reshape(members, q, -1)
    f_down = f[members * q:].reshape(members, q, -1)
    jac = (f_up - f_down) / (up - down)[:, :, None]
    jac = np.where(np.isfinite(jac), jac, 0.0)  # a failed perturbation: no information
    jac[~np.broadcast_to(free[:, :, None], jac.shape)] = 0.0
    return np.swapaxes(jac, 1, 2)  # (members, n, q)


def _levenberg_marquardt(problem: FitProblem, phi: np.ndarray, log_y: np.ndarray,
                         weights: np.ndarray, free: np.ndarray, iterations: int = 200
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the sum of squares of :func:`_objective` for every row at once (within
    the bounds; the coordinates not ``free`` held). Returns the minimisers and a flag
    per row: whether it converged."""
    phi = np.clip(phi.astype(float).copy(), problem.lower, problem.upper)
    members, q = phi.shape
    f = _residuals(problem, phi, log_y, weights)
    cost = np.where(np.isfinite(f).all(axis=1), np.sum(f ** 2, axis=1), np.inf)
    damping = np.full(members, 1e-3)
    active = np.isfinite(cost)
    done = np.zeros(members, dtype=bool)
    jac = np.zeros((members, f.shape[1], q))
    stale = np.ones(members, dtype=bool)
    for _ in range(iterations):
        rows = np.flatnonzero(active & ~done)
        if rows.size == 0:
            break
        need = rows[stale[rows]]
        if need.size:
            jac[need] = _jacobian(problem, phi[need], log_y[need], weights[need], free[need])
            stale[need] = False
        j = jac[rows]
        g = np.einsum("knq,kn->kq", j, f[rows])
        a = np.einsum("knq,knr->kqr", j, j)
        diagonal = np.maximum(np.einsum("kqq->kq", a), 1e-12 * problem.typical ** -2)
        # a coordinate on a bound that descent would push through is held this iteration
        # (the projected method's active set)
        edge = 1e-12 * problem.typical
        held = (~free[rows] | ((phi[rows] <= problem.lower + edge) & (g > 0))
                | ((phi[rows] >= problem.upper - edge) & (g < 0)))
        a[held[:, :, None] & np.eye(q, dtype=bool)] = 1.0
        g[held] = 0.0
        system = a + damping[rows, None, None] * (diagonal[:, :, None] * np.eye(q))
        try:
            step = -np.linalg.solve(system, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -np.stack([np.linalg.lstsq(m, v, rcond=None)[0] for m, v in zip(system, g,
                                                                                   strict=True)])
        trial = np.clip(phi[rows] + step, problem.lower, problem.upper)
        f_trial = _residuals(problem, trial, log_y[rows], weights[rows])
        cost_trial = np.where(np.isfinite(f_trial).all(axis=1), np.sum(f_trial ** 2, axis=1),
                              np.inf)
        better = cost_trial < cost[rows]
        moved = np.max(np.abs(trial - phi[rows]) / problem.typical, axis=1)
        gain = (cost[rows] - cost_trial) / np.maximum(cost[rows], 1e-300)
        accepted = rows[better]
        phi[accepted], f[accepted], cost[accepted] = trial[better], f_trial[better], \
            cost_trial[better]
        stale[accepted] = True
        damping[accepted] = np.maximum(damping[accepted] / 3, 1e-12)
        damping[rows[~better]] *= 4
        small_gradient = np.max(np.abs(g) * problem.typical, axis=1) <= 1e-8 * np.maximum(
            cost[rows], 1e-300)
        # scipy's least_squares tolerances (ftol = xtol = gtol = 1e-8)
        done[rows] = ((better & ((gain < 1e-8) | (moved < 1e-8))) | small_gradient
                      | (damping[rows] > 1e10) | (~better & (moved < 1e-12)))
    return phi, done & np.isfinite(cost)


def _minimise(problem: FitProblem, phi: np.ndarray, log_y: np.ndarray,
              free: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood rows (members, q), their log-likelihoods and convergence flags:
    Levenberg-Marquardt with per-series weights updated until the likelihood settles."""
    members = phi.shape[0]
    free = np.ones_like(phi, dtype=bool) if free is None else free
    weights = np.ones((members, len(problem.series)))
    previous = np.full(members, -np.inf)
    for _ in range(8 if len(problem.series) > 1 else 1):
        phi, converged = _levenberg_marquardt(problem, phi, log_y, weights, free)
        e, ll = problem.evaluate(phi, log_y)
        with np.errstate(invalid="ignore"):  # -inf less -inf: a failed row stays failed
            settled = np.abs(ll - previous) < 1e-9
        if len(problem.series) == 1 or np.all(settled | ~np.isfinite(ll)):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = problem.counts / problem.rss(e)
        weights = np.where(np.isfinite(weights), weights, 1.0)
        previous = ll
    return phi, ll, converged & np.isfinite(ll)


# --- the fit and its report ------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """An interval for one unknown.

    Attributes
    ----------
    low, high : float or None
        The ends; None where the profile is open on that side (the data do not bound it
        there).
    method : str
        ``"profile"`` or the bootstrap's kind.
    level : float
        The confidence level.
    reason : str
        Why a side is open.
    """

    low: float | None
    high: float | None
    method: str
    level: float
    reason: str = ""

    @property
    def closed(self) -> bool:
        return self.low is not None and self.high is not None

    def covers(self, value: float) -> bool:
        return ((self.low is None or self.low <= value)
                and (self.high is None or value <= self.high))

    def text(self) -> str:
        low = "open" if self.low is None else f"{self.low:.3g}"
        high = "open" if self.high is None else f"{self.high:.3g}"
        return f"[{low}, {high}]"


@dataclass
class Fit(Report):
    """The maximum-likelihood fit of a :class:`FitProblem` (see the module docstring).

    Attributes
    ----------
    problem : FitProblem
        What was fitted.
    estimates : dict
        The fitted unknowns (``rho`` last under AR(1)).
    stderr : dict
        Their Wald standard errors, from the observed information.
    sigma : dict
        The error scale of each series.
    loglik : float
        The maximised log-likelihood.
    correlation : ndarray
        The correlation matrix of the estimates.
    condition : float
        The condition number of the information matrix scaled by each unknown's size.
    identifiability : list of str
        What the data cannot pin; an estimate named there is printed as not identified.
    phi : ndarray
        The estimates as a vector (the order of ``problem.names``).
    intervals : dict
        Per unknown, the profile and bootstrap intervals once computed.
    failures : dict
        The number of failed refits of each bootstrap.
    """

    problem: FitProblem
    estimates: dict[str, float]
    stderr: dict[str, float]
    sigma: dict[str, float]
    loglik: float
    correlation: np.ndarray
    condition: float
    identifiability: list[str]
    phi: np.ndarray
    intervals: dict[str, dict[str, Interval]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.problem.n

    @property
    def k(self) -> int:
        return self.problem.k

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.k

    @property
    def aicc(self) -> float:
        return self.aic + 2 * self.k * (self.k + 1) / max(self.n - self.k - 1, 1)

    @property
    def bic(self) -> float:
        return -2 * self.loglik + self.k * math.log(self.n)

    def identified(self, name: str) -> bool:
        """Whether the data pin ``name`` (not named in the identifiability report)."""
        return not any(name in line.split(": ")[0].split(", ") for line in self.identifiability)

    def result(self) -> Result:
        """The scenario run at the estimates, output every year of the data."""
        return self.problem.simulate(self.phi[None]).member(0)

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.problem.scenario.name, "error": self.problem.error,
                "series": self.problem.series,
                "years": [int(self.problem.data.years[0]), int(self.problem.data.years[-1])],
                "n": self.n, "k": self.k, "estimates": self.estimates, "stderr": self.stderr,
                "identified": {name: self.identified(name) for name in self.estimates},
                "sigma": self.sigma, "loglik": self.loglik, "aic": self.aic,
                "aicc": self.aicc, "bic": self.bic, "condition": self.condition,
                "identifiability": self.identifiability, "failures": self.failures,
                "intervals": {name: {method: {"low": i.low, "high": i.high, "level": i.level,
                                              "reason": i.reason}
                                     for method, i in by.items()}
                              for name, by in self.intervals.items()}}

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for name, value in self.estimates.items():
            row: dict[str, Any] = {"unknown": name, "estimate": value,
                                   "stderr": self.stderr[name],
                                   "identified": self.identified(name)}
            for method, interval in self.intervals.get(name, {}).items():
                row[f"{method}_low"], row[f"{method}_high"] = interval.low, interval.high
            out.append(row)
        return out

    def summary(self) -> str:
        data = self.problem.data
        lines = [f"{self.problem.scenario.name}: {', '.join(self.problem.series)} "
                 f"{data.years[0]}-{data.years[-1]}, {self.n} observations, "
                 f"{self.problem.error} errors; log-likelihood {self.loglik:.2f}, "
                 f"AIC {self.aic:.2f}, BIC {self.bic:.2f}"]
        methods = sorted({m for by in self.intervals.values() for m in by})
        for name, value in self.estimates.items():
            if self.identified(name):
                text = f"{value:12.5g} +- {self.stderr[name]:.3g}"
            else:
                text = f"{'not identified':>12s} (best {value:.3g})"
            extra = "".join(f"  {m} {self.intervals[name][m].text()}" for m in methods
                            if m in self.intervals.get(name, {}))
            lines.append(f"  {name:16s} {text}{extra}")
        lines.append("  sigma: " + ", ".join(f"{k} {v:.4g}" for k, v in self.sigma.items()))
        lines += [f"  not identified: {line}" for line in self.identifiability]
        lines += [f"  {method}: {count} of the refits failed"
                  for method, count in self.failures.items() if count]
        return "\n".join(lines)


def _starts(problem: FitProblem, starts: int, seed: int) -> np.ndarray:
    """The scenario's values, then scrambled Sobol points in a box around them (x/2 to
    2x for a positive value, within the plausible range and the bounds)."""
    from scipy.stats import qmc

    points = [problem.start]
    if starts > 1:
        low = np.where(problem.start > 0, 0.5 * problem.start, problem.start - problem.typical)
        high = np.where(problem.start > 0, 2.0 * problem.start, problem.start + problem.typical)
        for column, unknown in enumerate(problem.unknowns):
            low[column] = max(low[column], unknown.prior[0], unknown.lower)
            high[column] = min(high[column], unknown.prior[1], unknown.upper)
        if problem.error == "ar1":
            low[-1], high[-1] = -0.5, 0.9
        sobol = qmc.Sobol(len(low), scramble=True, seed=seed)
        sample = sobol.random_base2(max(1, math.ceil(math.log2(starts - 1))))[:starts - 1]
        points += list(qmc.scale(sample, low, np.maximum(high, low + 1e-12)))
    return np.array(points)


def fit(problem: FitProblem, *, starts: int = 4, seed: int = 0) -> Fit:
    """Maximum-likelihood estimates of the problem's unknowns.

    Parameters
    ----------
    problem : FitProblem
        What to fit.
    starts : int
        Starting points: the scenario's own values, then scrambled Sobol points around them;
        all are fitted at once (one batch).
    seed : int
        The seed of the starting points.

    Returns
    -------
    Fit
        Estimates, standard errors, error scales, information criteria and the
        identifiability report.
    """
    points = _starts(problem, max(starts, 1), seed)
    log_y = np.broadcast_to(problem.log_y, (len(points), problem.n))
    phi, ll, converged = _minimise(problem, points, log_y)
    if not np.any(converged | np.isfinite(ll)):
        raise ParameterValueError(f"no start of the fit of {problem.scenario.name} gave a "
                                  "finite likelihood (every run failed)")
    best = int(np.argmax(np.where(np.isfinite(ll), ll, -np.inf)))
    return _report(problem, phi[best], float(ll[best]))


def _information(problem: FitProblem, phi: np.ndarray, log_y: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The Gauss-Newton information matrices (rows, q, q) at the rows of ``phi`` (of the
    innovations over their sigma) and the sigma of each series (rows, S), for the data
    ``log_y`` (rows, n); every perturbation of every row one member of one batch."""
    e, _ = problem.evaluate(phi, log_y)
    sigma2 = problem.rss(e) / problem.counts
    jac = _jacobian(problem, phi, log_y, 1 / sigma2, np.ones_like(phi, dtype=bool))
    # the objective's (1 - rho^2) factor is 1 + O(C / n); the information is that of the
    # innovations alone
    jac = jac * ((1 - problem.rho(phi) ** 2) ** (problem.chains / (2 * problem.n)))[:, None,
                                                                                   None]
    return np.swapaxes(jac, 1, 2) @ jac, np.sqrt(sigma2)


def equal_tailed(values: np.ndarray, level: float) -> tuple[float, float]:
    """The equal-tailed interval of ``values`` at ``level`` (percentiles).

    Parameters
    ----------
    values : ndarray
        Draws (bootstrap replicates, posterior samples).
    level : float
        The interval's probability, in (0, 1).

    Returns
    -------
    (float, float)
        The ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles; NaN for no draws.
    """
    if not len(values):
        return math.nan, math.nan
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _report(problem: FitProblem, phi: np.ndarray, loglik: float) -> Fit:
    informations, sigmas = _information(problem, phi[None], problem.log_y[None])
    information, sigma = informations[0], sigmas[0]
    names = problem.names
    scaled = information * np.outer(problem.typical, problem.typical)
    eigenvalues, vectors = np.linalg.eigh(scaled)
    top = max(float(eigenvalues[-1]), 1e-300)
    condition = top / max(float(eigenvalues[0]), 1e-300 * top)
    notes: list[str] = []
    for value, vector in zip(eigenvalues, vectors.T, strict=True):
        if value <= 1e-10 * top:
            loads = [names[j] for j in np.argsort(-np.abs(vector)) if abs(vector[j]) > 0.3]
            notes.append(f"{', '.join(loads)}: a flat direction of the likelihood "
                         f"(information {value / top:.1e} of the largest)")
    covariance = np.linalg.pinv(information)
    stderr = np.sqrt(np.abs(np.diag(covariance)))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(stderr, stderr)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            if abs(correlation[a, b]) > 0.99 and not any(names[a] in n and names[b] in n
                                                         for n in notes):
                notes.append(f"{names[a]}, {names[b]}: estimates correlated "
                             f"{correlation[a, b]:+.3f} (only a combination is pinned)")
    for j, name in enumerate(names):
        span = max(abs(phi[j]), problem.typical[j])
        if min(phi[j] - problem.lower[j], problem.upper[j] - phi[j]) <= 1e-6 * span:
            notes.append(f"{name}: on the bound of its domain "
                         f"[{problem.lower[j]:g}, {problem.upper[j]:g}]")
    return Fit(problem, dict(zip(names, phi.tolist(), strict=True)),
               dict(zip(names, stderr.tolist(), strict=True)),
               dict(zip(problem.series, sigma.tolist(), strict=True)), loglik, correlation,
               float(condition), notes, phi)


