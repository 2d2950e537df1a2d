"""Forecast evaluation: a historical scenario against honest baselines, out of sample.

A historical scenario (:mod:`dynamics.calibration.history`) is calibrated on the first
years of its span and then runs on its own. Whether it tells more than the record already
did is a forecasting question, and :func:`evaluate` asks it the way the forecasting
literature does (Tashman 2000; Hyndman and Athanasopoulos 2021, ch. 5): every prediction
is scored on years its maker could not have seen, against simple predictors fitted on the
same years, by the mean absolute error of the shares of military spending.

**The baselines** (:data:`BASELINES`), each fitted on the observed shares of a window of
years and extended beyond it: ``last`` holds the window's last observed shares; ``mean``
holds their window mean; ``trend`` extends a least-squares line through each state's
shares over the window; ``drift`` is the random walk with drift, the last shares moved
each year by their mean yearly change over the window. The extended lines of ``trend``
and ``drift`` are cut at zero and the shares rescaled to sum to one. All are reported;
the skill of the model is ``1 - error / best baseline's error`` (positive: better than
every baseline), the best chosen on the same years.

**Two evaluations.**

- *As shipped*: the scenario's own run against baselines fitted on its calibration
  window, scored on every later year (or up to ``until``). The shipped file takes the
  trend of output from the whole span and knows every dated event, the future included,
  so this is not strictly out of sample; it is what the scenario shows. The same run
  without any intervention is reported beside it.
- *Rolling origin* (expanding window): at each origin year ``o``, the model is
  calibrated again by the scenario's own method on the years up to ``o`` only
  (:func:`~dynamics.calibration.history.derive` with ``through=o`` and a calibration
  window from the first year to ``o``), the dated events after ``o`` are dropped (they
  would be knowledge of the future), and the run and the baselines fitted on the same
  years predict the ``horizon`` years after ``o``. The errors are pooled over origins.

**Intervals.** Each error and skill carries a bootstrap interval over the target years:
years are drawn with replacement (each with every prediction made for it, so that the
origins that share a year stay together) and the statistic recomputed, 95 % equal-tailed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dynamics.calibration.history import DEFAULTS, derive, observed, spending_shares
from dynamics.calibration.likelihood import equal_tailed
from dynamics.errors import DynamicsError, ParameterValueError, ScenarioError
from dynamics.results.report import Report
from dynamics.scenarios import Scenario

__all__ = ["BASELINES", "FEWEST_YEARS", "baselines", "recalibrated", "Scores", "Evaluation",
           "evaluate"]

#: the baseline predictors, in the order they are reported
BASELINES = ("last", "mean", "trend", "drift")
#: the fewest years scored for a verdict on skill (a bootstrap over fewer says little)
FEWEST_YEARS = 5


def baselines(years: np.ndarray, shares: np.ndarray, targets: Sequence[int] | np.ndarray
              ) -> dict[str, np.ndarray]:
    """The baselines fitted on a window of observed shares, at the target years.

    Parameters
    ----------
    years : ndarray
        The window's years (W,).
    shares : ndarray
        The observed shares (W, N); years with a missing value (NaN) are left out.
    targets : sequence of int
        The years to predict.

    Returns
    -------
    dict
        Each of :data:`BASELINES` -> its predicted shares (len(targets), N).
    """
    years, shares = np.asarray(years, dtype=float), np.asarray(shares, dtype=float)
    kept = np.isfinite(shares).all(axis=1)
    years, shares = years[kept], shares[kept]
    if years.size < 2:
        raise DynamicsError("a baseline needs at least two observed years in its window, "
                            f"got {years.size}")
    targets = np.asarray(targets, dtype=float)
    ahead = (targets - years[-1])[:, None]
    slope, intercept = np.polyfit(years - years[-1], shares, 1)
    drift = (shares[-1] - shares[0]) / (years[-1] - years[0])
    return {"last": np.broadcast_to(shares[-1], (targets.size, shares.shape[1])).copy(),
            "mean": np.broadcast_to(shares.mean(axis=0), (targets.size, shares.shape[1])
                                    ).copy(),
            "trend": _shares(intercept + slope * ahead),
            "drift": _shares(shares[-1] + drift * ahead)}


def _shares(lines: np.ndarray) -> np.ndarray:
    """Extended lines as shares: cut at zero, each year rescaled to sum to one."""
    cut = np.clip(lines, 0.0, None)
    return cut / cut.sum(axis=1, keepdims=True)


def recalibrated(scenario: Scenario, origin: int) -> Scenario:
    """The scenario as its own method calibrates it on the record up to ``origin``.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario.
    origin : int
        The last year known: the calibration window runs from the first year to it, the
        trend of output is fitted on those years, and dated events after it are dropped.

    Returns
    -------
    Scenario
        The scenario with growth, initial output and spending, reaction and grievance
        derived again (a state that enters by a dated event takes its reaction and
        grievance there, as in the shipped files), and the output and growth its event at
        a break sets fitted on the years from the break to ``origin`` (the break's change
        of output dropped where fewer than two such years are known).
    """
    first = int(round(scenario.t_span[0]))
    history = {**DEFAULTS, **scenario.history, "calibration": int(origin) - first + 1}
    known = tuple(event for event in scenario.events
                  if event.at is None or float(np.max(event.at)) <= origin)
    base = scenario.with_values(history=history, events=known)
    found = derive(base, through=int(origin))
    states = scenario.states
    own = {f"{name}.{state}": getattr(found, name)[state]
           for name in ("reaction", "grievance") for state in states}
    for state, (_, level, slope) in found.breaks.items():
        own.update({f"e.{state}": level, f"growth.{state}": slope})
    unknown = {f"{name}.{state}" for state in history["breaks"] if state not in found.breaks
               for name in ("e", "growth")}  # (a break too recent to fit a line after it)
    events = tuple(event for event in (
        replace(event, set={k: own.get(k, v) for k, v in event.set.items() if k not in unknown})
        if event.at is not None else event for event in known) if event.set or event.scale)
    entering = {k for event in events for k in event.set if k in own}
    parameters = {name: {s: getattr(found, name)[s] for s in states
                         if f"{name}.{s}" not in entering}
                  for name in ("reaction", "grievance")}
    parameters["growth"] = dict(found.growth)
    return base.with_values(parameters, events=events, initial={
        "e": [found.output[s] for s in states], "m": [found.spending[s] for s in states]})


@dataclass
class Scores(Report):
    """Mean absolute errors of predicted shares, with bootstrap intervals over years.

    Attributes
    ----------
    predictors : tuple of str
        The model's predictors first, then :data:`BASELINES`.
    errors : dict
        Each predictor's mean absolute error of the shares (mean over states, then over
        every prediction scored).
    intervals : dict
        Each error's 95 % bootstrap interval.
    best_baseline : str
        The baseline with the smallest error.
    skill : float
        ``1 - error of the model / error of the best baseline``.
    skill_interval : (float, float)
        Its 95 % bootstrap interval (the best baseline chosen again in each resample).
    predictions : int
        The predictions scored (target years times origins).
    years : ndarray
        The distinct target years.
    """

    predictors: tuple[str, ...]
    errors: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    best_baseline: str
    skill: float
    skill_interval: tuple[float, float]
    predictions: int
    years: np.ndarray = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"errors": self.errors, "intervals": {k: list(v) for k, v in
                                                     self.intervals.items()},
                "best_baseline": self.best_baseline, "skill": self.skill,
                "skill_interval": list(self.skill_interval), "verdict": self.verdict,
                "predictions": self.predictions,
                "years": [int(self.years[0]), int(self.years[-1])]}

    def rows(self) -> list[dict[str, Any]]:
        return [{"predictor": p, "error": self.errors[p], "low": self.intervals[p][0],
                 "high": self.intervals[p][1]} for p in self.predictors]

    @property
    def verdict(self) -> str:
        """What the skill's interval says: the model ``beats every baseline`` (above 0),
        ``loses to the best baseline`` (below 0) or ``cannot be told from the best
        baseline``; with fewer than :data:`FEWEST_YEARS` years scored, too few to tell."""
        if self.years.size < FEWEST_YEARS:
            return f"too few years ({self.years.size}) to tell"
        low, high = self.skill_interval
        return ("beats every baseline" if low > 0 else "loses to the best baseline"
                if high < 0 else "cannot be told from the best baseline")

    def summary(self) -> str:
        lines = [f"    {p:24s} {self.errors[p]:.4f}  [{self.intervals[p][0]:.4f}, "
                 f"{self.intervals[p][1]:.4f}]" for p in self.predictors]
        return "\n".join([*lines, f"    skill against {self.best_baseline}: "
                          f"{self.skill:+.3f} [{self.skill_interval[0]:+.3f}, "
                          f"{self.skill_interval[1]:+.3f}]: the model {self.verdict}"])


def _scores(cells: dict[str, np.ndarray], target: np.ndarray, model: str, resamples: int,
            seed: int) -> Scores:
    """Scores of per-prediction errors ``cells[predictor]`` (P,), target years (P,)."""
    predictors = tuple(cells)
    errors = {p: float(cells[p].mean()) for p in predictors}
    best = min(BASELINES, key=lambda b: errors[b])
    years = np.unique(target)
    rows = [np.flatnonzero(target == y) for y in years]
    rng = np.random.default_rng(seed)
    draws = {p: np.empty(resamples) for p in predictors}
    for r in range(resamples):
        chosen = np.concatenate([rows[k] for k in rng.integers(0, years.size, years.size)])
        for p in predictors:
            draws[p][r] = cells[p][chosen].mean()
    best_draw = np.min([draws[b] for b in BASELINES], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill_draws = 1.0 - draws[model] / best_draw
    return Scores(predictors, errors, {p: equal_tailed(draws[p], 0.95) for p in predictors},
                  best, 1.0 - errors[model] / errors[best],
                  equal_tailed(skill_draws[np.isfinite(skill_draws)], 0.95), target.size,
                  years)


def _cell_errors(predicted: np.ndarray, observed_shares: np.ndarray) -> np.ndarray:
    """Per target year, the mean absolute error over states."""
    return np.abs(predicted - observed_shares).mean(axis=1)


@dataclass
class Evaluation(Report):
    """What :func:`evaluate` found.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    window : (int, int)
        The shipped calibration window.
    as_shipped : Scores
        The shipped run (``model``) and the run without interventions (``model without
        events``) against baselines fitted on the window, over the years after it.
    rolling : Scores or None
        The recalibrated model (``model``) against baselines at each origin, pooled;
        None where the span leaves no origin.
    origins : tuple of int
        The forecast origins.
    horizon : int
        Years predicted after each origin.
    by_origin : dict
        Each origin's errors by predictor.
    years : ndarray
        The years of the record.
    observed : ndarray
        The observed shares (years, N).
    shipped : dict
        The shipped run's and the window baselines' shares (years, N), by predictor.
    states : tuple of str
        The states.
    """

    scenario: str
    window: tuple[int, int]
    as_shipped: Scores
    rolling: Scores | None
    origins: tuple[int, ...]
    horizon: int
    by_origin: dict[int, dict[str, float]]
    years: np.ndarray = field(repr=False)
    observed: np.ndarray = field(repr=False)
    shipped: dict[str, np.ndarray] = field(repr=False)
    states: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "window": list(self.window),
                "as_shipped": self.as_shipped.as_dict(),
                "rolling": None if self.rolling is None else self.rolling.as_dict(),
                "origins": list(self.origins), "horizon": self.horizon,
                "by_origin": {str(k): v for k, v in self.by_origin.items()}}

    def rows(self) -> list[dict[str, Any]]:
        out = [{"evaluation": "as shipped", **row} for row in self.as_shipped.rows()]
        if self.rolling is not None:
            out += [{"evaluation": "rolling origin", **row} for row in self.rolling.rows()]
        return out

    def summary(self) -> str:
        first, last = (int(self.as_shipped.years[0]), int(self.as_shipped.years[-1]))
        lines = [f"{self.scenario}: mean absolute error of the shares of spending "
                 "[95 % bootstrap interval over years]",
                 f"  as shipped (calibrated on {self.window[0]}-{self.window[1]}; its output "
                 f"trend and events from the whole record), {first}-{last}:",
                 self.as_shipped.summary()]
        if self.rolling is None:
            lines.append("  rolling origin: the span leaves no origin with a horizon after "
                         "the calibration window")
        else:
            lines += [f"  rolling origin, recalibrated on the years up to each origin "
                      f"({', '.join(map(str, self.origins))}), {self.horizon} years ahead "
                      f"({self.rolling.predictions} predictions):", self.rolling.summary()]
        return "\n".join(lines)


def evaluate(scenario: Scenario, *, origins: Sequence[int] | None = None,
             horizon: int = 10, step: int = 5, until: int | None = None,
             resamples: int = 2000, seed: int = 0) -> Evaluation:
    """Score a historical scenario against the baselines, as shipped and out of sample.

    Parameters
    ----------
    scenario : Scenario
        A historical scenario (a ``[history]`` table).
    origins : sequence of int, optional
        The forecast origins of the rolling evaluation. Default: from the end of the
        calibration window (or of the last entrant's, a state that enters the system
        later) every ``step`` years, while ``horizon`` years follow.
    horizon : int
        Years predicted after each origin.
    step : int
        Years between the default origins.
    until : int, optional
        The last year scored (default: the end of the span), e.g. 1990 to score the Cold
        War before the Soviet collapse.
    resamples : int
        Bootstrap resamples of the intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    Evaluation
        Errors, skill and intervals of both evaluations.
    """
    if not scenario.history:
        raise ScenarioError(f"scenario {scenario.name!r} has no [history] table: it is not "
                            "compared with the record")
    for name, value, least in (("horizon", horizon, 1), ("step", step, 1),
                               ("resamples", resamples, 100)):
        if not (isinstance(value, int | np.integer) and value >= least):
            raise ParameterValueError(f"{name} must be a whole number of at least {least}, "
                                      f"got {value!r}")
    years, spending, shares = observed(scenario)
    first, last = int(years[0]), int(years[-1])
    end = last if until is None else int(until)
    calibration = int({**DEFAULTS, **scenario.history}["calibration"])
    window = (first, first + calibration - 1)
    if not window[1] < end <= last:
        raise ParameterValueError(f"until must lie after the calibration window "
                                  f"{window[0]}-{window[1]} and by {last}, got {until!r}")
    if origins is None:
        # from the end of the window, or of the last entrant's (its entry is not known
        # before it, nor its calibration before a window of its own)
        entry = max(int(years[np.flatnonzero(spending[:, i] > 0)[0]])
                    for i in range(len(scenario.states)))
        origins = tuple(range(max(window[1], entry + calibration - 1), end - horizon + 1,
                              step))
    origins = tuple(int(o) for o in origins)
    for o in origins:
        if not window[1] <= o < end:
            raise ParameterValueError(f"origin {o} must lie from the end of the calibration "
                                      f"window ({window[1]}) to before {end}")
    scored = lambda targets: targets[np.isfinite(shares[targets - first]).all(axis=1)]  # noqa: E731

    # as shipped: the scenario's run and the window baselines over the years after it
    targets = scored(np.arange(window[1] + 1, end + 1))
    truth = shares[targets - first]
    run = scenario.run()
    bare = scenario.run(interventions=())
    if not (run.ok and bare.ok):
        raise DynamicsError(f"{scenario.name} did not run to the end: "
                            f"{run.message or bare.message}")
    inside = slice(0, calibration)
    shipped = {"model": spending_shares(run.t, run["m"], years),
               "model without events": spending_shares(bare.t, bare["m"], years),
               **baselines(years[inside], shares[inside], years)}
    cells = {p: _cell_errors(shipped[p][targets - first], truth) for p in shipped}
    as_shipped = _scores(cells, targets, "model", resamples, seed)

    # rolling origin: recalibrated on the years up to each origin
    pooled: dict[str, list[np.ndarray]] = {p: [] for p in ("model", *BASELINES)}
    pooled_years: list[np.ndarray] = []
    by_origin: dict[int, dict[str, float]] = {}
    for o in origins:
        ahead = scored(np.arange(o + 1, min(o + horizon, end) + 1))
        if not ahead.size:
            continue
        truth = shares[ahead - first]
        known = slice(0, o - first + 1)
        forecast = recalibrated(scenario, o).run()
        if not forecast.ok:
            raise DynamicsError(f"{scenario.name} recalibrated at {o} did not run to the "
                                f"end: {forecast.message}")
        predicted = {"model": spending_shares(forecast.t, forecast["m"], ahead),
                     **baselines(years[known], shares[known], ahead)}
        errors = {p: _cell_errors(predicted[p], truth) for p in pooled}
        for p in pooled:
            pooled[p].append(errors[p])
        pooled_years.append(ahead)
        by_origin[o] = {p: float(e.mean()) for p, e in errors.items()}
    rolling = (_scores({p: np.concatenate(v) for p, v in pooled.items()},
                       np.concatenate(pooled_years), "model", resamples, seed)
               if pooled_years else None)
    return Evaluation(scenario.name, window, as_shipped, rolling, tuple(by_origin), horizon,
                      by_origin, years, shares, shipped, scenario.states)
