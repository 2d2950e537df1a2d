"""Checks of a fitting method: the coverage of its intervals on synthetic data
(:func:`coverage`) and its out-of-sample predictions (:func:`holdout`).

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dynamics.calibration.intervals import _bootstrap, _noise, _profiles
from dynamics.calibration.likelihood import Fit, _information, _minimise, equal_tailed, fit
from dynamics.calibration.problem import FitProblem
from dynamics.data import SeriesError
from dynamics.results.report import Report

__all__ = ['Coverage', 'Holdout', 'coverage', 'holdout']

# --- coverage -----------------------------------------------------------------------------


@dataclass
class Coverage(Report):
    """How often nominal intervals covered the true values over synthetic replicates.

    Attributes
    ----------
    truth : dict
        The true value of each unknown.
    replicates : int
        The synthetic datasets.
    level : float
        The nominal level.
    profile, bootstrap : dict
        The share of replicates whose interval covers the truth, per unknown.
    failed : int
        Replicates whose fit failed (counted as not covered).
    bootstrap_replicates : int
        Refits per dataset.
    kind : str
        The bootstrap's kind.
    """

    truth: dict[str, float]
    replicates: int
    level: float
    profile: dict[str, float]
    bootstrap: dict[str, float]
    failed: int
    bootstrap_replicates: int
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {"truth": self.truth, "replicates": self.replicates, "level": self.level,
                "profile": self.profile, "bootstrap": self.bootstrap, "failed": self.failed,
                "bootstrap_replicates": self.bootstrap_replicates, "kind": self.kind}

    def rows(self) -> list[dict[str, Any]]:
        return [{"unknown": n, "truth": v, "profile": self.profile[n],
                 "bootstrap": self.bootstrap[n]} for n, v in self.truth.items()]

    def summary(self) -> str:
        lines = [f"coverage of nominal {100 * self.level:g} % intervals over "
                 f"{self.replicates} synthetic replicates ({self.failed} failed fits; "
                 f"{self.bootstrap_replicates} {self.kind} bootstrap refits each):"]
        lines += [f"  {n:16s} profile {100 * self.profile[n]:5.1f} %   bootstrap "
                  f"{100 * self.bootstrap[n]:5.1f} %" for n in self.truth]
        return "\n".join(lines)


def coverage(problem: FitProblem, sigma: float, *, replicates: int = 100, rho: float = 0.0,
             bootstrap_replicates: int = 99, kind: str = "parametric", level: float = 0.95,
             seed: int = 0) -> Coverage:
    """How often nominal intervals cover known values, on synthetic replicates.

    Draws ``replicates`` datasets from the problem's observation model at its starting
    values (the truth), fits each from the truth, and counts how often the profile and
    bootstrap intervals cover it. A replicate whose fit fails counts as not covered.

    Parameters
    ----------
    problem : FitProblem
        Its scenario's values are the truth.
    sigma : float
        The error scale of every series.
    replicates : int
        The number of synthetic datasets.
    rho : float
        The AR(1) coefficient of the errors (used under ``error="ar1"``).
    bootstrap_replicates : int
        Refits per dataset for its bootstrap interval.
    kind : str
        The bootstrap's kind.
    level : float
        The nominal level.
    seed : int
        The seed of the datasets and replicates.

    Returns
    -------
    Coverage
        The share of replicates whose interval covers the truth, per unknown and method.
    """
    rng = np.random.default_rng(seed)
    truth = problem.start.copy()
    if problem.error == "ar1":
        truth[-1] = rho
    log_mu = problem.log_mu(truth[None])[0]
    sigmas = np.full((replicates, len(problem.series)), float(sigma))
    data = log_mu + _noise(problem, sigmas, np.full(replicates, truth[-1] if
                                                    problem.error == "ar1" else 0.0),
                           rng, replicates)
    phi, ll, converged = _minimise(problem, np.repeat(truth[None], replicates, axis=0), data)
    information, fitted_sigma = _information(problem, phi, data)
    stderr = np.sqrt(np.abs(np.diagonal(np.linalg.pinv(information), axis1=1, axis2=2)))
    which = list(range(len(problem.names)))
    profiles = _profiles(problem, phi, ll, data, stderr, which, level)
    refits, ok = _bootstrap(problem, phi, fitted_sigma, data, bootstrap_replicates, kind, rng)
    covered_p = np.zeros(len(which))
    covered_b = np.zeros(len(which))
    for r in range(replicates):
        if not converged[r]:
            continue
        for j in which:
            covered_p[j] += profiles[r][j].covers(truth[j])
            low, high = equal_tailed(refits[r, ok[r], j], level)
            covered_b[j] += low <= truth[j] <= high  # False for an empty (NaN) interval
    names = problem.names
    return Coverage(dict(zip(names, truth.tolist(), strict=True)), replicates, level,
                    dict(zip(names, (covered_p / replicates).tolist(), strict=True)),
                    dict(zip(names, (covered_b / replicates).tolist(), strict=True)),
                    int(np.sum(~converged)), bootstrap_replicates, kind)


# --- out of sample ------------------------------------------------------------------------


@dataclass
class Holdout(Report):
    """Out-of-sample error of a fit on a training window, beside naive baselines.

    Errors are mean absolute errors of the observed quantity (share units for shares),
    over every observed cell of the held-out years.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    training, test : (int, int)
        The fitted and the held-out years.
    errors : dict
        ``model``, ``persistence`` and ``linear trend``.
    in_sample : float
        The model's error over the training years.
    fit : Fit
        The fit to the training years.
    predicted, observed : ndarray
        (series, years, states), every year of the data.
    years : ndarray
        The years.
    """

    scenario: str
    training: tuple[int, int]
    test: tuple[int, int]
    errors: dict[str, float]
    in_sample: float
    fit: Fit
    predicted: np.ndarray
    observed: np.ndarray
    years: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "training": list(self.training),
                "test": list(self.test), "errors": self.errors, "in_sample": self.in_sample}

    def rows(self) -> list[dict[str, Any]]:
        return [{"predictor": k, "error": v} for k, v in self.errors.items()]

    def summary(self) -> str:
        best = min(self.errors, key=lambda k: self.errors[k])
        return (f"{self.scenario}: fitted {self.training[0]}-{self.training[1]}, predicting "
                f"{self.test[0]}-{self.test[1]} (mean absolute error): " + ", ".join(
                    f"{k} {v:.4f}" for k, v in self.errors.items())
                + f"; best: {best}; in sample {self.in_sample:.4f}")


def holdout(problem: FitProblem, last_training_year: int, *, starts: int = 4, seed: int = 0
            ) -> Holdout:
    """Fit a training window and predict the held-out years, beside naive baselines.

    Parameters
    ----------
    problem : FitProblem
        What to fit; its observations after ``last_training_year`` are held out.
    last_training_year : int
        The last year of the training window.
    starts : int
        Starting points of the fit.
    seed : int
        Their seed.

    Returns
    -------
    Holdout
        The mean absolute errors of the model, of persistence (the last training year's
        values held) and of a linear trend (per state, least squares through the training
        years, extrapolated).
    """
    data = problem.data
    years = data.years
    train = years[years <= last_training_year]
    test = years[years > last_training_year]
    if train.size < 3 or test.size < 1:
        raise SeriesError(f"holdout at {last_training_year}: {train.size} training and "
                          f"{test.size} held-out years in {years[0]}-{years[-1]}; need at "
                          "least 3 and 1")
    trained = fit(replace(problem, years=(int(train[0]), int(train[-1]))), starts=starts,
                  seed=seed)
    predicted = trained.problem.predict(trained.phi[None], years)
    gaps: dict[str, list[np.ndarray]] = {"model": [], "persistence": [], "linear trend": []}
    in_sample = []
    for name in problem.series:
        observed = data.values[name]
        model = predicted[name][0]
        held = observed[years > last_training_year]
        fitted = observed[years <= last_training_year]
        gaps["model"].append(np.abs(model[years > last_training_year] - held))
        in_sample.append(np.abs(model[years <= last_training_year] - fitted))
        last = np.array([col[np.isfinite(col)][-1] if np.isfinite(col).any() else np.nan
                         for col in fitted.T])
        gaps["persistence"].append(np.abs(last[None] - held))
        trend = np.full_like(held, np.nan)
        for i, column in enumerate(fitted.T):
            kept = np.isfinite(column)
            if kept.sum() >= 2:
                slope, intercept = np.polyfit(train[kept], column[kept], 1)
                trend[:, i] = intercept + slope * test
        gaps["linear trend"].append(np.abs(trend - held))
    errors = {k: float(np.nanmean(np.concatenate([g.ravel() for g in v])))
              for k, v in gaps.items()}
    return Holdout(problem.scenario.name, (int(train[0]), int(train[-1])),
                   (int(test[0]), int(test[-1])), errors,
                   float(np.nanmean(np.concatenate([g.ravel() for g in in_sample]))), trained,
                   np.stack([predicted[s][0] for s in problem.series]),
                   np.stack([data.values[s] for s in problem.series]), years)


