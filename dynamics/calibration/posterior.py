"""Bayesian fits: the posterior of a :class:`~dynamics.calibration.fitting.FitProblem` by
emcee's affine invariant ensemble sampler, with its diagnostics, WAIC and LOO (the
``[bayes]`` extra: emcee, ArviZ and corner).

The likelihood is the problem's observation model (:mod:`dynamics.calibration.fitting`) with each
series' error scale sampled too: the unknowns, ``rho`` under AR(1), and ``log sigma_s``.
Priors are uniform and documented:

- a parameter: uniform over its plausible range (``Parameter.plausible``, the ranges of
  the parameter reference; the bounds where none is given), within its domain;
- an initial value: uniform over half to twice the scenario's value;
- ``rho``: uniform on (-0.99, 0.99); ``log sigma``: uniform on (log 1e-4, log 10), the
  scale-invariant (Jeffreys) prior on sigma.

Every step evaluates all walkers at once as one ensemble of the compiled kernel
(``emcee``'s ``vectorize``). Walkers start in a small ball around the maximum-likelihood
estimates. Diagnostics follow emcee's and ArviZ's advice: the mean acceptance fraction
(0.15-0.8), the integrated autocorrelation time (the kept steps should be at least 50 of
them), the bulk effective sample size (at least 400) and the rank-normalised split R-hat
over the walkers taken as chains (the convention of ``arviz.from_emcee``; below 1.05).
Pointwise log-likelihoods (conditional on the previous year under AR(1), one-step-ahead)
give WAIC and PSIS-LOO by ArviZ.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dynamics.calibration.fitting import RHO_LIMIT, Fit, FitProblem, equal_tailed
from dynamics.errors import ParameterValueError, require
from dynamics.results.report import Report

__all__ = ["Posterior", "posterior", "SIGMA_PRIOR", "pointwise_loglik", "predictive",
           "prior_box", "compare_criteria"]

#: the support of the uniform prior on log sigma
SIGMA_PRIOR = (math.log(1e-4), math.log(10.0))


def _require() -> tuple[Any, Any]:
    require("bayes", "Bayesian fits", "emcee", "arviz")
    import emcee
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # ArviZ's notice of its refactor
        import arviz
    return emcee, arviz


def prior_box(problem: FitProblem) -> tuple[np.ndarray, np.ndarray]:
    """Supports of the uniform priors of the unknowns and log sigmas.

    Parameters
    ----------
    problem : FitProblem
        Its unknowns' plausible ranges and domains set the supports.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper ends.
    """
    low, high = [], []
    for unknown in problem.unknowns:
        a, b = unknown.prior
        low.append(max(a, unknown.lower))
        high.append(min(b, unknown.upper))
    if problem.error == "ar1":
        low.append(-RHO_LIMIT)
        high.append(RHO_LIMIT)
    low += [SIGMA_PRIOR[0]] * len(problem.series)
    high += [SIGMA_PRIOR[1]] * len(problem.series)
    return np.array(low), np.array(high)


def pointwise_loglik(problem: FitProblem, x: np.ndarray) -> np.ndarray:
    """Log-likelihood of every observation at each row of ``x``.

    Parameters
    ----------
    problem : FitProblem
        The observation model and data.
    x : ndarray
        Rows of the unknowns, then log sigma per series.

    Returns
    -------
    ndarray
        (rows, n); NaN rows where the model run failed.
    """
    q = len(problem.names)
    phi, sigma = x[:, :q], np.exp(x[:, q:])
    r = problem.log_y - problem.log_mu(phi)
    rho = problem.rho(phi)
    e = problem.innovations(r, rho)
    s = sigma[:, problem.cell_series]
    out = -0.5 * np.log(2 * np.pi * s ** 2) - e ** 2 / (2 * s ** 2) - problem.log_y
    start = problem.previous < 0
    out[:, start] += 0.5 * np.log(1 - rho ** 2)[:, None]
    return out


@dataclass
class Posterior(Report):
    """Draws of the posterior and their diagnostics.

    Attributes
    ----------
    problem : FitProblem
        What was sampled.
    names : list of str
        The dimensions: the unknowns, then ``log_sigma.SERIES``.
    samples : ndarray
        The kept draws (steps, walkers, dimensions).
    acceptance : float
        The mean acceptance fraction.
    autocorrelation : dict
        The integrated autocorrelation time of each dimension, in steps.
    ess, rhat : dict
        The bulk effective sample size and the rank-normalised split R-hat of each
        (ArviZ; walkers as chains).
    waic, loo : dict
        WAIC and PSIS-LOO (ArviZ), when computed.
    estimates : dict
        The maximum-likelihood values the walkers started around.
    """

    problem: FitProblem
    names: list[str]
    samples: np.ndarray  # (steps kept, walkers, dimensions)
    acceptance: float
    autocorrelation: dict[str, float]
    ess: dict[str, float]
    rhat: dict[str, float]
    waic: dict[str, float] = field(default_factory=dict)
    loo: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, float] = field(default_factory=dict)

    @property
    def flat(self) -> np.ndarray:
        return self.samples.reshape(-1, self.samples.shape[-1])

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """The equal-tailed credible interval of ``name``."""
        return equal_tailed(self.flat[:, self.names.index(name)], level)

    def median(self, name: str) -> float:
        return float(np.median(self.flat[:, self.names.index(name)]))

    @property
    def problems(self) -> list[str]:
        """The diagnostics that fail their thresholds (empty when all pass)."""
        out = []
        if not 0.15 <= self.acceptance <= 0.8:
            out.append(f"mean acceptance fraction {self.acceptance:.2f} outside 0.15-0.8")
        kept = self.samples.shape[0]
        tau = max(self.autocorrelation.values())
        if kept < 50 * tau:
            out.append(f"{kept} kept steps, fewer than 50 autocorrelation times ({tau:.0f})")
        low = min(self.ess, key=lambda n: self.ess[n])
        if self.ess[low] < 400:
            out.append(f"effective sample size of {low} {self.ess[low]:.0f} < 400")
        high = max(self.rhat, key=lambda n: self.rhat[n])
        if self.rhat[high] > 1.05:
            out.append(f"R-hat of {high} {self.rhat[high]:.3f} > 1.05")
        return out

    @property
    def converged(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"names": self.names, "draws": int(self.flat.shape[0]),
                "walkers": int(self.samples.shape[1]), "acceptance": self.acceptance,
                "autocorrelation": self.autocorrelation, "ess": self.ess, "rhat": self.rhat,
                "waic": self.waic, "loo": self.loo, "converged": self.converged,
                "problems": self.problems,
                "summary": {n: {"median": self.median(n), "interval": self.interval(n)}
                            for n in self.names}}

    def rows(self) -> list[dict[str, Any]]:
        return [{"unknown": n, "median": self.median(n), "low": self.interval(n)[0],
                 "high": self.interval(n)[1], "ess": self.ess[n], "rhat": self.rhat[n],
                 "tau": self.autocorrelation[n]} for n in self.names]

    def summary(self) -> str:
        lines = [f"posterior of {self.problem.scenario.name}: {self.samples.shape[1]} walkers, "
                 f"{self.samples.shape[0]} kept steps; acceptance {self.acceptance:.2f}"]
        for row in self.rows():
            lines.append(f"  {row['unknown']:16s} {row['median']:12.5g}  95 % "
                         f"[{row['low']:.4g}, {row['high']:.4g}]  ESS {row['ess']:6.0f}  "
                         f"R-hat {row['rhat']:.3f}  tau {row['tau']:.0f}")
        if self.waic:
            lines.append(f"  WAIC {self.waic['waic']:.2f} (elpd {self.waic['elpd']:.2f} +- "
                         f"{self.waic['se']:.2f}); LOO {self.loo['looic']:.2f}")
        lines += [f"  diagnostic: {p}" for p in self.problems] or ["  diagnostics pass"]
        return "\n".join(lines)


def posterior(fitted: Fit, *, walkers: int = 32, steps: int = 3000, burn: int = 1000,
              seed: int = 0, criteria: bool = True, draws_for_criteria: int = 800,
              progress: bool = False) -> Posterior:
    """Sample the posterior of ``fitted.problem`` starting around ``fitted``'s estimates.

    Parameters
    ----------
    fitted : Fit
        The maximum-likelihood fit: the walkers start in a small ball around it.
    walkers : int
        emcee's walkers (at least twice the dimension).
    steps : int
        Steps per walker.
    burn : int
        The first steps discarded.
    seed : int
        The seed of the start and of the proposals.
    criteria : bool
        Compute WAIC and PSIS-LOO.
    draws_for_criteria : int
        The draws they are computed on (thinned).
    progress : bool
        Show emcee's progress bar over the steps (tqdm).

    Returns
    -------
    Posterior
        The kept draws, their diagnostics (acceptance, autocorrelation time, ESS, R-hat)
        and the criteria.
    """
    emcee, arviz = _require()
    problem = fitted.problem
    if burn >= steps:
        raise ParameterValueError(f"burn {burn} must be less than steps {steps}")
    names = [*problem.names, *(f"log_sigma.{s}" for s in problem.series)]
    dimension = len(names)
    if walkers < 2 * dimension:
        raise ParameterValueError(f"{walkers} walkers for {dimension} dimensions: emcee needs "
                                  f"at least {2 * dimension}")
    low, high = prior_box(problem)
    centre = np.concatenate([fitted.phi, np.log([fitted.sigma[s] for s in problem.series])])
    outside = [n for n, c, a, b in zip(names, centre, low, high, strict=True) if not a < c < b]
    if outside:
        raise ParameterValueError(f"the estimates of {', '.join(outside)} lie outside their "
                                  "prior's support (the plausible range): widen the "
                                  "documented range or fix the parameter")
    rng = np.random.default_rng(seed)
    spread = np.concatenate([np.where(np.isfinite(list(fitted.stderr.values())),
                                      np.minimum(list(fitted.stderr.values()),
                                                 problem.typical), problem.typical),
                             np.full(len(problem.series), 0.05)])
    start = centre + 0.05 * spread * rng.standard_normal((walkers, dimension))
    start = np.clip(start, low + 1e-9 * (high - low), high - 1e-9 * (high - low))

    def log_probability(x: np.ndarray) -> np.ndarray:
        inside = np.all((x > low) & (x < high), axis=1)
        out = np.full(x.shape[0], -np.inf)
        if inside.any():
            total = pointwise_loglik(problem, x[inside]).sum(axis=1)
            out[inside] = np.where(np.isfinite(total), total, -np.inf)
        return out

    sampler = emcee.EnsembleSampler(walkers, dimension, log_probability, vectorize=True)
    # emcee draws its proposals from a legacy RandomState: seed it for reproducibility
    sampler.random_state = np.random.RandomState(int(rng.integers(2 ** 31))).get_state()
    sampler.run_mcmc(start, steps, progress=progress)
    chain = sampler.get_chain(discard=burn)  # (kept, walkers, dimension)
    tau = sampler.get_autocorr_time(discard=burn, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        data = arviz.from_dict(posterior={n: np.swapaxes(chain[:, :, d], 0, 1)
                                          for d, n in enumerate(names)})
        ess = arviz.ess(data, method="bulk")
        rhat = arviz.rhat(data)
    result = Posterior(problem, names, chain, float(np.mean(sampler.acceptance_fraction)),
                       {n: float(t) for n, t in zip(names, tau, strict=True)},
                       {n: float(ess[n]) for n in names}, {n: float(rhat[n]) for n in names},
                       estimates=dict(zip(names, centre.tolist(), strict=True)))
    if criteria:
        _criteria(result, arviz, draws_for_criteria)
    return result


def _criteria(result: Posterior, arviz: Any, draws: int) -> None:
    """WAIC and PSIS-LOO from the pointwise log-likelihood of up to ``draws`` draws."""
    kept, walkers, _ = result.samples.shape
    every = max(1, math.ceil(kept * walkers / draws))
    thinned = result.samples[::every]  # (steps, walkers, d), thinned along the steps
    flat = thinned.reshape(-1, thinned.shape[-1])
    pointwise = pointwise_loglik(result.problem, flat).reshape(thinned.shape[0], walkers, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns where the variance of a point is large
        data = arviz.from_dict(posterior={"x": np.swapaxes(thinned[:, :, 0], 0, 1)},
                               log_likelihood={"y": np.swapaxes(pointwise, 0, 1)})
        waic = arviz.waic(data)
        loo = arviz.loo(data)
    result.waic = {"elpd": float(waic.elpd_waic), "se": float(waic.se),
                   "p": float(waic.p_waic), "waic": float(-2 * waic.elpd_waic)}
    result.loo = {"elpd": float(loo.elpd_loo), "se": float(loo.se), "p": float(loo.p_loo),
                  "looic": float(-2 * loo.elpd_loo),
                  "pareto_k_above_0.7": int(np.sum(np.asarray(loo.pareto_k) > 0.7))}


def compare_criteria(posteriors: dict[str, Posterior]) -> list[dict[str, Any]]:
    """WAIC and PSIS-LOO of several posteriors of the same data, best first.

    Parameters
    ----------
    posteriors : mapping
        Label -> :class:`Posterior` (sampled with criteria, on the same observations).

    Returns
    -------
    list of dict
        Per model, WAIC (deviance scale) and its standard error, LOO-IC, the effective
        number of parameters, Pareto-k warnings and the difference to the best WAIC.
    """
    reference = None
    for name, result in posteriors.items():
        if not result.waic:
            raise ParameterValueError(f"the posterior {name!r} was sampled without criteria")
        if reference is None:
            reference = (name, result.problem.log_y)
        elif not np.array_equal(result.problem.log_y, reference[1]):
            raise ParameterValueError(f"{name} is not fitted to the same data as "
                                      f"{reference[0]}")
    rows: list[dict[str, Any]] = [
        {"model": name, "waic": r.waic["waic"], "waic_se": 2 * r.waic["se"],  # deviance scale
         "looic": r.loo["looic"], "p_waic": r.waic["p"],
         "pareto_k_above_0.7": r.loo["pareto_k_above_0.7"]} for name, r in posteriors.items()]
    rows.sort(key=lambda row: row["waic"])
    for row in rows:
        row["delta_waic"] = row["waic"] - rows[0]["waic"]
    return rows


def predictive(result: Posterior, years: np.ndarray | None = None, draws: int = 200,
               seed: int = 0) -> dict[str, np.ndarray]:
    """Posterior-predictive draws of every series.

    Parameters
    ----------
    result : Posterior
        The posterior.
    years : ndarray, optional
        The years (default: the data's).
    draws : int
        The number of posterior draws used.
    seed : int
        Their seed and that of the errors.

    Returns
    -------
    dict
        Per series, (draws, years, states): the model at a posterior draw times a draw of
        its log-normal (AR(1)) error.
    """
    problem = result.problem
    rng = np.random.default_rng(seed)
    flat = result.flat[rng.choice(result.flat.shape[0], size=draws, replace=False)]
    q = len(problem.names)
    phi, sigma = flat[:, :q], np.exp(flat[:, q:])
    years = problem.data.years if years is None else years
    predicted = problem.predict(phi, years)
    out = {}
    rho = problem.rho(phi)
    for s, name in enumerate(problem.series):
        mu = predicted[name]  # (draws, Y, N)
        noise = np.empty_like(mu)
        noise[:, 0] = rng.standard_normal(mu.shape[::2]) * (
            sigma[:, s] / np.sqrt(1 - rho ** 2))[:, None]
        for k in range(1, mu.shape[1]):
            noise[:, k] = rho[:, None] * noise[:, k - 1] + rng.standard_normal(
                mu.shape[::2]) * sigma[:, s, None]
        out[name] = mu * np.exp(noise)
    return out

