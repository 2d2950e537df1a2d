"""Intervals of a fit: profile likelihood (:func:`profile`) and bootstrap
(:func:`bootstrap`).

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from dynamics.calibration.likelihood import Fit, Interval, _minimise, equal_tailed
from dynamics.calibration.problem import RHO_LIMIT, FitProblem
from dynamics.errors import ParameterValueError, UnknownNameError

__all__ = ['BOOTSTRAP', 'GRID', 'bootstrap', 'profile']

# --- profile likelihood -------------------------------------------------------------------

#: the profile's grid, in standard errors from the estimate
GRID = (1.0, 2.0, 3.0, 5.0, 10.0)


def _profile_threshold(problem: FitProblem, level: float) -> float:
    return float(stats.f.ppf(level, 1, problem.dof))


def _profile_statistic(problem: FitProblem, best: np.ndarray, ll: np.ndarray) -> np.ndarray:
    """lmfit's F statistic: (RSS_profile / RSS_best - 1)(n - p), the ratio of sums of
    squares from the likelihood ratio (exact for a model linear in its unknowns)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.expm1(2 * (best - ll) / problem.n) * problem.dof


def _profiles(problem: FitProblem, phi: np.ndarray, ll: np.ndarray, log_y: np.ndarray,
              stderr: np.ndarray, which: Sequence[int], level: float
              ) -> list[dict[int, Interval]]:
    """Profile intervals of the unknowns ``which`` for every row (a fitted dataset):
    every grid point and secant step of every unknown, side and row one constrained fit
    of one batch."""
    rows = phi.shape[0]
    threshold = _profile_threshold(problem, level)
    step = np.where(np.isfinite(stderr) & (stderr > 0) & (stderr < 1e6 * problem.typical),
                    stderr, 0.1 * problem.typical)
    tasks = [(r, j, side) for r in range(rows) for j in which for side in (-1, 1)]
    # grid values, clipped at the bounds (the last point of a side may be the bound)
    values = np.array([[np.clip(phi[r, j] + side * g * step[r, j], problem.lower[j],
                                problem.upper[j]) for g in GRID] for r, j, side in tasks])
    stat = _constrained(problem, phi, ll, log_y, tasks, values)
    out: list[dict[int, Interval]] = [{} for _ in range(rows)]
    below = np.zeros(len(tasks))  # the last value below the threshold, and the first above
    above = np.full(len(tasks), np.nan)
    s_below, s_above = np.zeros(len(tasks)), np.full(len(tasks), np.nan)
    for t, (r, j, _) in enumerate(tasks):
        below[t] = phi[r, j]
        for g in range(len(GRID)):
            if np.isfinite(stat[t, g]) and stat[t, g] >= threshold:
                above[t], s_above[t] = values[t, g], stat[t, g]
                break
            if np.isfinite(stat[t, g]):
                below[t], s_below[t] = values[t, g], stat[t, g]
    closing = np.flatnonzero(np.isfinite(above))
    for _ in range(4):  # secant steps on the square root (nearly linear in the value)
        if closing.size == 0:
            break
        a, b = np.sqrt(s_below[closing]), np.sqrt(s_above[closing])
        guess = below[closing] + (math.sqrt(threshold) - a) / (b - a) * (
            above[closing] - below[closing])
        found = _constrained(problem, phi, ll, log_y, [tasks[t] for t in closing],
                             guess[:, None])[:, 0]
        up = found >= threshold
        hits = closing[up]
        above[hits], s_above[hits] = guess[up], found[up]
        keep = closing[~up & np.isfinite(found)]
        below[keep], s_below[keep] = guess[~up & np.isfinite(found)], found[
            ~up & np.isfinite(found)]
    for t, (r, j, side) in enumerate(tasks):
        if np.isfinite(above[t]):
            root_a, root_b = math.sqrt(s_below[t]), math.sqrt(s_above[t])
            limit: float | None = float(below[t] + (math.sqrt(threshold) - root_a) / (
                root_b - root_a) * (above[t] - below[t]))
            reason = ""
        else:
            limit = None
            edge = problem.lower[j] if side < 0 else problem.upper[j]
            reached = np.isclose(values[t, -1], edge)
            reason = (f"the profile stays below the threshold up to the bound {edge:g}"
                      if reached else f"the profile stays below the threshold "
                      f"{GRID[-1]:g} standard errors away ({values[t, -1]:.4g})")
        previous = out[r].get(j)
        low = limit if side < 0 else (previous.low if previous else None)
        high = limit if side > 0 else None
        reasons = "; ".join(x for x in (previous.reason if previous else "", reason) if x)
        out[r][j] = Interval(low, high, "profile", level, reasons)
    return out


def _constrained(problem: FitProblem, phi: np.ndarray, ll: np.ndarray, log_y: np.ndarray,
                 tasks: Sequence[tuple[int, int, int]], values: np.ndarray) -> np.ndarray:
    """The F statistic of the fit with unknown j held at each of ``values`` (tasks,
    points), every one a problem of one batch started from the row's estimates."""
    points = values.shape[1]
    starts = np.repeat(np.array([phi[r] for r, _, _ in tasks]), points, axis=0)
    columns = np.repeat([j for _, j, _ in tasks], points)
    starts[np.arange(len(starts)), columns] = values.ravel()
    free = np.ones_like(starts, dtype=bool)
    free[np.arange(len(starts)), columns] = False
    owner = np.repeat([r for r, _, _ in tasks], points)
    _, profiled, _ = _minimise(problem, starts, log_y[owner], free)
    # a constrained fit cannot beat the free one: a higher value means the free fit had
    # not reached the maximum, and the statistic is then 0
    best = np.maximum(ll[owner], profiled)
    return _profile_statistic(problem, best, profiled).reshape(len(tasks), points)


def profile(result: Fit, names: Sequence[str] | None = None, level: float = 0.95) -> Fit:
    """Profile-likelihood intervals, added to ``result.intervals`` under ``"profile"``.

    Parameters
    ----------
    result : Fit
        The fit to profile.
    names : sequence of str, optional
        The unknowns to profile (default: all).
    level : float
        The confidence level.

    Returns
    -------
    Fit
        ``result`` itself; an unknown whose profile is open on a side is added to its
        identifiability report.
    """
    problem = result.problem
    which = [problem.names.index(n) for n in (names or problem.names)]
    stderr = np.array([result.stderr[n] for n in problem.names])
    found = _profiles(problem, result.phi[None], np.array([result.loglik]),
                      problem.log_y[None], stderr[None], which, level)[0]
    for j, interval in found.items():
        name = problem.names[j]
        result.intervals.setdefault(name, {})["profile"] = interval
        if not interval.closed:
            result.identifiability.append(f"{name}: {interval.reason}")
    return result


# --- bootstrap ----------------------------------------------------------------------------


def _noise(problem: FitProblem, sigma: np.ndarray, rho: np.ndarray, rng: np.random.Generator,
           replicates: int) -> np.ndarray:
    """Draws of the residuals r (replicates, n) from the observation model."""
    z = rng.standard_normal((replicates, problem.n)) * sigma[:, problem.cell_series]
    r = np.empty_like(z)
    start = problem.previous < 0
    stationary = np.sqrt(1 - rho ** 2)
    # cells are ordered along each chain, so one pass in order builds the AR(1) process
    for c in range(problem.n):
        if start[c]:
            r[:, c] = z[:, c] / stationary
        else:
            r[:, c] = rho * r[:, problem.previous[c]] + z[:, c]
    return r


def _blocks(problem: FitProblem, residuals: np.ndarray, rng: np.random.Generator,
            replicates: int) -> np.ndarray:
    """Moving-block resamples of the fitted residuals along the years (the same blocks
    for every state and series, keeping their correlation); a cell whose resampled year
    has no residual takes one of the same state's from a random observed year."""
    years = problem.data.years.size
    length = max(2, int(round(years ** (1 / 3))))
    table = np.full((years, len(problem.series), len(problem.data.states)), np.nan)
    table[problem.cell_year, problem.cell_series, problem.cell_state] = residuals
    out = np.empty((replicates, problem.n))
    for b in range(replicates):
        starts = rng.integers(0, years - length + 1, size=-(-years // length))
        source = np.concatenate([np.arange(s, s + length) for s in starts])[:years]
        drawn = table[source][problem.cell_year, problem.cell_series, problem.cell_state]
        gaps = np.flatnonzero(~np.isfinite(drawn))
        for c in gaps:
            own = np.flatnonzero((problem.cell_series == problem.cell_series[c])
                                 & (problem.cell_state == problem.cell_state[c]))
            drawn[c] = residuals[rng.choice(own)]
        out[b] = drawn
    return out


def _bootstrap(problem: FitProblem, phi: np.ndarray, sigma: np.ndarray, log_y: np.ndarray,
               replicates: int, kind: str, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
    """Refitted unknowns (rows, replicates, q) and whether each refit converged.

    Under AR(1) errors the parametric bootstrap is bias-corrected: the estimate of rho is
    biased down in short series, so replicates drawn at it are less autocorrelated than
    the data and the intervals too narrow. A pilot bootstrap (a quarter of the
    replicates, at least 19) estimates the bias b; the replicates are then drawn at
    rho - b, and their estimates of rho shifted by -b.
    """
    rows = phi.shape[0]
    log_mu = np.array(problem.log_mu(phi))
    correct = kind == "parametric" and problem.error == "ar1"
    bias = np.zeros(rows)
    if correct:
        pilot, ok = _refits(problem, phi, phi, sigma, log_y, log_mu, max(19, replicates // 4),
                            kind, rng)
        bias = np.array([np.mean(pilot[r, ok[r], -1]) - phi[r, -1] if ok[r].any() else 0.0
                         for r in range(rows)])
    drawn = phi.copy()
    if correct:
        drawn[:, -1] = np.clip(phi[:, -1] - bias, -RHO_LIMIT, RHO_LIMIT)
    refit, converged = _refits(problem, phi, drawn, sigma, log_y, log_mu, replicates, kind,
                               rng)
    if correct:
        refit[:, :, -1] -= bias[:, None]
    return refit, converged


def _refits(problem: FitProblem, phi: np.ndarray, drawn: np.ndarray, sigma: np.ndarray,
            log_y: np.ndarray, log_mu: np.ndarray, replicates: int, kind: str,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of every row's data (errors drawn with ``drawn``'s rho), refitted from
    ``phi`` in one batch."""
    rows = phi.shape[0]
    draws = []
    for r in range(rows):
        if kind == "parametric":
            noise = _noise(problem, np.repeat(sigma[r][None], replicates, axis=0),
                           np.full(replicates, problem.rho(drawn[r][None])[0]), rng,
                           replicates)
        else:
            noise = _blocks(problem, log_y[r] - log_mu[r], rng, replicates)
        draws.append(log_mu[r] + noise)
    data = np.concatenate(draws)
    starts = np.repeat(phi, replicates, axis=0)
    refit, _, converged = _minimise(problem, starts, data)
    return refit.reshape(rows, replicates, -1), converged.reshape(rows, replicates)


BOOTSTRAP = ("parametric", "block")


def bootstrap(result: Fit, replicates: int = 200, *, kind: str = "parametric",
              level: float = 0.95, seed: int = 0) -> Fit:
    """Percentile intervals from refits of replicate data, added under ``"bootstrap"``.

    Parameters
    ----------
    result : Fit
        The fit.
    replicates : int
        The number of replicates (at least 20).
    kind : str
        ``"parametric"`` (drawn from the fitted observation model) or ``"block"`` (moving
        blocks of consecutive years of the residuals). Under AR(1) errors the parametric
        replicates are drawn at rho less its bias, estimated by a pilot bootstrap (the
        estimate of rho is biased down in short series), and the interval of rho is
        shifted by the same bias.
    level : float
        The confidence level.
    seed : int
        The seed of the replicates.

    Returns
    -------
    Fit
        ``result`` itself; the number of refits that failed is in ``result.failures``.
    """
    if kind not in BOOTSTRAP:
        raise UnknownNameError("bootstrap", kind, BOOTSTRAP)
    if replicates < 20:
        raise ParameterValueError(f"{replicates} bootstrap replicates; at least 20 are needed")
    problem = result.problem
    sigma = np.array([result.sigma[s] for s in problem.series])
    refit, converged = _bootstrap(problem, result.phi[None], sigma[None], problem.log_y[None],
                                  replicates, kind, np.random.default_rng(seed))
    kept = refit[0][converged[0]]
    result.failures[f"bootstrap ({kind})"] = int(np.sum(~converged[0]))
    for j, name in enumerate(problem.names):
        result.intervals.setdefault(name, {})["bootstrap"] = Interval(
            *equal_tailed(kept[:, j], level), f"bootstrap ({kind})", level)
    return result


