"""Fitting a scenario to observed series: the observation model, maximum likelihood,
profile and bootstrap intervals, identifiability, out-of-sample checks, model comparison.

A :class:`FitProblem` joins a scenario, its observations (:func:`cow_observations` from the
shipped Correlates of War file, or :func:`read_observations` from a CSV file) and the
unknowns to fit:

- ``reaction`` one value shared by every state; ``reaction.GMY`` one state's own;
  ``reaction.*`` one per state (any per-state or scalar parameter of the model);
- ``m0.GMY`` (``m0.*``) a state's initial spending, ``e0.GMY`` its initial output.

**Observation model.** Each observed value ``y`` (a share of spending, a power share, or
spending in the scenario's unit) is the model's ``mu(theta)`` times a log-normal error:
``log y = log mu + r``. With ``error="lognormal"`` the ``r`` are independent, normal with
standard deviation ``sigma_s`` per series; with ``error="ar1"`` each state's ``r`` follow
an AR(1) process along its consecutive observed years, ``r_t = rho r_{t-1} + e_t`` (yearly
spending is autocorrelated), started from its stationary law. The log-likelihood, with
the ``sigma_s`` at their maximum, is

    l(theta, rho) = sum_s -n_s/2 (log(2 pi RSS_s / n_s) + 1) + C/2 log(1 - rho^2) - sum log y

(``RSS_s`` the sum of squared innovations of series s, ``C`` the number of chains). It is
maximised by a Levenberg-Marquardt method that is batched over problems (every start,
bootstrap replicate and profile point is one member of the same compiled-kernel ensemble);
with several series the weights ``n_s / RSS_s`` are updated until the likelihood stops
changing, which reaches the same maximum.

**Intervals.** :func:`profile` gives profile-likelihood intervals with the F-test that
lmfit's ``conf_interval`` uses (the ratio of the profiled to the best sum of squares, on
``n - p`` degrees of freedom, p the fitted unknowns; exact for a model linear in them);
the profile is traced on a grid of multiples of the standard error and its crossing of
the threshold located by secant steps, every point one constrained fit. A profile that
does not cross the threshold before the parameter's bound (its validity domain) or ten
standard errors is **open**: the data do not pin that side, and the estimate is reported
as not identified. :func:`bootstrap` refits
replicates drawn from the fitted observation model (parametric) or built from blocks of
consecutive years of the residuals (block), and gives percentile intervals (under
AR(1) errors the parametric replicates are drawn at a bias-corrected rho: see
:func:`bootstrap`); replicates whose fit fails are counted, not dropped silently.
:func:`coverage` measures how often nominal intervals cover known parameters on
synthetic data.

**Identifiability.** :class:`Fit` reports the condition number of the information matrix
(scaled by each unknown's size), its flat directions and the unknowns they load on, pairs
of estimates correlated beyond 0.99, estimates on a bound, and open profiles.

**Out of sample and model comparison.** :func:`holdout` fits a training window and
predicts the held-out years beside two naive baselines (persistence of the last training
year; a linear trend through the training years). :func:`compare_models` tabulates the
log-likelihood, AIC, AICc and BIC of several problems on the same data
(:func:`compare_models`) (WAIC and LOO of
Bayesian fits are in :mod:`dynamics.calibration.posterior`).

**Where each part lives.** The toolkit is split by concern, sampling apart from fitting
apart from judging, and every name is importable from here:
:mod:`~dynamics.calibration.observations` (the data), :mod:`~dynamics.calibration.problem`
(:class:`FitProblem`: data, unknowns and observation model),
:mod:`~dynamics.calibration.likelihood` (the optimiser, :func:`fit`, :class:`Fit`),
:mod:`~dynamics.calibration.intervals` (:func:`profile`, :func:`bootstrap`),
:mod:`~dynamics.calibration.validation` (:func:`coverage`, :func:`holdout`) and
:mod:`~dynamics.calibration.comparison` (:func:`compare_models`). ``Problem``,
``Comparison`` and ``compare``, this module's former names, answer for one release with a
``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

from dynamics.calibration.comparison import ModelComparison, compare_models
from dynamics.calibration.intervals import BOOTSTRAP, GRID, bootstrap, profile
from dynamics.calibration.likelihood import Fit, Interval, equal_tailed, fit
from dynamics.calibration.observations import (
    COW_SERIES,
    SERIES,
    Observations,
    cow_observations,
    read_observations,
)
from dynamics.calibration.problem import ERRORS, FIT_SOLVER, RHO_LIMIT, FitProblem
from dynamics.calibration.validation import Coverage, Holdout, coverage, holdout

__all__ = ["Observations", "FitProblem", "Fit", "Interval", "Holdout", "ModelComparison",
           "Coverage", "cow_observations", "read_observations", "fit", "profile", "bootstrap",
           "holdout", "compare_models", "coverage", "SERIES", "COW_SERIES", "ERRORS",
           "BOOTSTRAP", "GRID", "FIT_SOLVER", "RHO_LIMIT", "equal_tailed"]


#: this module's former names, answering for one release
_RENAMED = {"Problem": "FitProblem", "Comparison": "ModelComparison", "compare": "compare_models"}


def __getattr__(name: str) -> Any:
    if name in _RENAMED:
        warnings.warn(f"dynamics.calibration.fitting.{name} is now {_RENAMED[name]}",
                      DeprecationWarning, stacklevel=2)
        return globals()[_RENAMED[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
