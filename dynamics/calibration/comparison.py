"""Model comparison: the information criteria of several fits of the same data
(:func:`compare_models`).

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dynamics.calibration.likelihood import Fit, fit
from dynamics.calibration.problem import FitProblem
from dynamics.errors import ParameterValueError
from dynamics.results.report import Report

__all__ = ["ModelComparison", "compare_models"]

# --- model comparison ---------------------------------------------------------------------


@dataclass
class ModelComparison(Report):
    """Information criteria of several fits of the same data.

    Attributes
    ----------
    fits : dict
        Label -> :class:`Fit`; :meth:`rows` gives k, log-likelihood, AIC, AICc, BIC and
        the differences to the best (lower is better).
    """

    fits: dict[str, Fit]

    def rows(self) -> list[dict[str, Any]]:
        best_aic = min(f.aic for f in self.fits.values())
        best_bic = min(f.bic for f in self.fits.values())
        return [{"model": name, "k": f.k, "n": f.n, "loglik": f.loglik, "aic": f.aic,
                 "aicc": f.aicc, "bic": f.bic, "delta_aic": f.aic - best_aic,
                 "delta_bic": f.bic - best_bic} for name, f in self.fits.items()]

    def as_dict(self) -> dict[str, Any]:
        return {"models": self.rows()}

    @property
    def best(self) -> str:
        return min(self.fits, key=lambda name: self.fits[name].aic)

    def summary(self) -> str:
        lines = ["model comparison (same data; lower is better):",
                 f"  {'model':28s} {'k':>3s} {'log-lik':>10s} {'AIC':>10s} {'dAIC':>7s} "
                 f"{'BIC':>10s} {'dBIC':>7s}"]
        lines += [f"  {r['model']:28s} {r['k']:3d} {r['loglik']:10.2f} {r['aic']:10.2f} "
                  f"{r['delta_aic']:7.2f} {r['bic']:10.2f} {r['delta_bic']:7.2f}"
                  for r in self.rows()]
        return "\n".join(lines)


def compare_models(problems: Mapping[str, FitProblem], *, starts: int = 4, seed: int = 0
            ) -> ModelComparison:
    """Fit several problems of the same observations and tabulate their criteria.

    Parameters
    ----------
    problems : mapping
        Label -> :class:`FitProblem` (different models or unknowns, the same data).
    starts : int
        Starting points of each fit.
    seed : int
        Their seed.

    Returns
    -------
    ModelComparison
        Log-likelihood, AIC, AICc and BIC of each, with the differences to the best.
    """
    reference = None
    for name, problem in problems.items():
        if reference is None:
            reference = (name, problem.log_y)
        elif problem.log_y.shape != reference[1].shape or not np.array_equal(
                problem.log_y, reference[1]):
            raise ParameterValueError(f"{name} is not fitted to the same data as "
                                      f"{reference[0]}: information criteria compare fits "
                                      "of the same observations only")
    return ModelComparison({name: fit(problem, starts=starts, seed=seed)
                       for name, problem in problems.items()})
