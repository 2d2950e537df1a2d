"""Calibration: Richardson's regression on first differences, and trajectory fitting.

``richardson_differences`` is Richardson's own method (1960, ch. on the 1909-1914 race):
the yearly increment of the bloc total against its mid-year mean,

    (T_{t+1} - T_t) = a (T_{t+1} + T_t)/2 + b,   a ~ k - alpha, b = g + h,

with the equilibrium total c = -b/a. Because the mid-year mean is a trapezoid rule, the
regression slope estimates 2 tanh((k - alpha)/2), not k - alpha; the continuous-time rate
is recovered exactly as k - alpha = 2 artanh(a/2) (the equilibrium c is exact either way).
Both are reported, with standard errors (ordinary least squares; the delta method for c
and for the corrected rate).

``fit_trajectory`` fits any subset of model parameters (and the initial spending) to
observed series by integrating the model: ``scipy.optimize.least_squares`` within the
registry bounds from several quasi-random starts, standard errors from the Jacobian at the
optimum, the correlation matrix, residuals, AIC and BIC, and warnings when an estimate
sits on a bound or is not identified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import qmc

from dynamics.analysis.continuation import parameter_slots
from dynamics.data import Series, SeriesError
from dynamics.errors import ParameterValueError
from dynamics.model.model import Model
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result
from dynamics.results.report import Report
from dynamics.run.front import simulate
from dynamics.run.prepared import prepare
from dynamics.run.solver import Solver, integrate

__all__ = ["Estimate", "DifferencesFit", "TrajectoryFit", "richardson_differences",
           "fit_trajectory", "richardson_trajectory"]


@dataclass(frozen=True)
class Estimate:
    """An estimate and its standard error.

    Attributes
    ----------
    value : float
        The estimate.
    stderr : float
        Its standard error (NaN where not identified).
    """
    value: float
    stderr: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "stderr": self.stderr}


_DIFFERENCES = (("k - alpha (1/yr)", "k_minus_alpha"), ("regression slope", "richardson_slope"),
                ("g + h (per yr)", "grievance_total"), ("equilibrium total c", "equilibrium_total"))


@dataclass
class DifferencesFit(Report):
    """Result of Richardson's method of differences.

    Attributes
    ----------
    k_minus_alpha : Estimate
        The continuous-time rate k - alpha, 2 artanh(slope / 2).
    richardson_slope : Estimate
        The regression slope itself.
    grievance_total : Estimate
        b = g + h, in data units per year.
    equilibrium_total : Estimate
        c = -b / slope, in data units.
    intervals : int
        The consecutive-year intervals used.
    residual_std : float
        The residual standard deviation.
    per_bloc : dict
        Bloc -> its own equation's estimates (two blocs, four intervals or more).
    warnings : list of str
        What the fit cannot support.
    series : Series, optional
        The data.
    """

    k_minus_alpha: Estimate  # continuous-time rate, 2 artanh(slope / 2)
    richardson_slope: Estimate  # the regression slope itself
    grievance_total: Estimate  # b = g + h, in data units per year
    equilibrium_total: Estimate  # c = -b / slope, in data units
    intervals: int
    residual_std: float
    per_bloc: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    series: Series | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name).as_dict() for name in
               ("k_minus_alpha", "richardson_slope", "grievance_total", "equilibrium_total")}
        out.update(intervals=self.intervals, residual_std=self.residual_std,
                   warnings=self.warnings,
                   per_bloc={b: {k: e.as_dict() for k, e in v.items()}
                             for b, v in self.per_bloc.items()})
        if self.series is not None:
            out.update(unit=self.series.unit, source=self.series.source,
                       years=[int(self.series.years[0]), int(self.series.years[-1])])
        return out

    def rows(self) -> list[dict[str, Any]]:
        out = [{"estimate": name, "value": getattr(self, name).value,
                "stderr": getattr(self, name).stderr} for _, name in _DIFFERENCES]
        out += [{"estimate": f"{k}.{bloc}", "value": e.value, "stderr": e.stderr}
                for bloc, estimates in self.per_bloc.items() for k, e in estimates.items()]
        return out

    def summary(self) -> str:
        series = self.series
        unit = f" ({series.unit})" if series is not None and series.unit else ""
        span = f", {series.years[0]}-{series.years[-1]}" if series is not None else ""
        lines = [f"Richardson's method of differences{span}, {self.intervals} intervals{unit}:"]
        for label, name in _DIFFERENCES:
            estimate = getattr(self, name)
            lines.append(f"  {label:22s} {estimate.value:14.6g} +- {estimate.stderr:.3g}")
        for bloc, estimates in self.per_bloc.items():
            lines.append(f"  per bloc {bloc}: " + ", ".join(
                f"{k} {e.value:.4g} +- {e.stderr:.2g}" for k, e in estimates.items()))
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Coefficients, their covariance, residual standard deviation and degrees of freedom."""
    coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ coefficients
    dof = len(y) - x.shape[1]
    sigma2 = float(residuals @ residuals) / dof if dof > 0 else math.nan
    covariance = sigma2 * np.linalg.inv(x.T @ x)
    return coefficients, covariance, math.sqrt(sigma2), dof


def _intervals(series: Series) -> np.ndarray:
    """Indices k with years[k + 1] == years[k] + 1 (gaps are not differenced)."""
    return np.flatnonzero(np.diff(series.years) == 1)


def richardson_differences(series: Series) -> DifferencesFit:
    """Richardson's regression of the yearly increment of the total on its mid-year mean.

    Needs at least three consecutive-year intervals (two parameters and one degree of
    freedom). With two blocs and at least four intervals it also estimates each bloc's
    equation dU/dt = k V - alpha U + g by the same differences (``per_bloc``).

    Parameters
    ----------
    series : Series
        Yearly spending per bloc.

    Returns
    -------
    DifferencesFit
        The estimates with their standard errors.
    """
    if len(series.blocs) < 2:  # as the trajectory method: a race needs two sides
        raise SeriesError("Richardson's model needs at least two blocs")
    index = _intervals(series)
    if len(index) < 3:
        raise SeriesError(f"{len(index)} consecutive-year intervals; Richardson's method "
                          "needs at least 3")
    total = series.total
    increment = total[index + 1] - total[index]
    mean = (total[index + 1] + total[index]) / 2
    design = np.column_stack([mean, np.ones_like(mean)])
    (a, b), cov, sigma, dof = _ols(design, increment)
    warnings = []
    if dof < 2:
        warnings.append(f"only {dof} degree(s) of freedom: standard errors are very uncertain")
    # c = -b/a; rate = 2 artanh(a/2), with delta-method standard errors
    grad_c = np.array([b / a ** 2, -1 / a])
    se_c = math.sqrt(float(grad_c @ cov @ grad_c))
    if abs(a) >= 2:
        raise SeriesError(f"the regression slope {a:.3g} is outside (-2, 2): the yearly "
                          "increments are not those of a Richardson process")
    rate = 2 * math.atanh(a / 2)
    se_rate = math.sqrt(cov[0, 0]) / (1 - a ** 2 / 4)
    fit = DifferencesFit(
        k_minus_alpha=Estimate(rate, se_rate), richardson_slope=Estimate(a, math.sqrt(cov[0, 0])),
        grievance_total=Estimate(b, math.sqrt(cov[1, 1])),
        equilibrium_total=Estimate(-b / a, se_c), intervals=len(index), residual_std=sigma,
        warnings=warnings, series=series)
    if len(series.blocs) == 2:
        fit.per_bloc = _per_bloc(series, index, fit.warnings)
    return fit


def _per_bloc(series: Series, index: np.ndarray, warnings: list[str]
              ) -> dict[str, dict[str, Estimate]]:
    """dU = k mean(V) - alpha mean(U) + g per bloc, where the data identify it."""
    if len(index) < 4:
        warnings.append(f"per-bloc equations (3 parameters each) not identified by "
                        f"{len(index)} intervals: need at least 4")
        return {}
    out = {}
    first, second = series.blocs
    for own, other in ((first, second), (second, first)):
        u, v = series.values[own], series.values[other]
        increment = u[index + 1] - u[index]
        design = np.column_stack([(v[index + 1] + v[index]) / 2, -(u[index + 1] + u[index]) / 2,
                                  np.ones(len(index))])
        if np.linalg.cond(design) > 1e10:
            warnings.append(f"per-bloc equation of {own}: regressors collinear, not identified")
            continue
        coefficients, cov, _, _ = _ols(design, increment)
        se = np.sqrt(np.diag(cov))
        out[own] = {name: Estimate(float(c), float(s)) for name, c, s in
                    zip(("reaction", "fatigue", "grievance"), coefficients, se, strict=True)}
        outside = [name for name in ("reaction", "fatigue")
                   if not REGISTRY[name].bounds[0] <= out[own][name].value
                   <= REGISTRY[name].bounds[1]]
        if outside:
            warnings.append(f"per-bloc equation of {own}: {', '.join(outside)} outside the "
                            "admissible bounds; the data do not identify the per-bloc model")
    return out


@dataclass
class TrajectoryFit(Report):
    """Result of fitting model trajectories to data.

    Attributes
    ----------
    estimates : dict
        Name -> :class:`Estimate`.
    correlation : ndarray
        The estimates' correlation matrix.
    names : list of str
        The fitted names, in the matrix's order.
    residuals : ndarray
        The scaled residuals.
    rss : float
        Their sum of squares.
    aic, bic : float
        The information criteria.
    n_observations : int
        The observations fitted.
    warnings : list of str
        Estimates on a bound, strong correlations.
    result : Result
        The run at the estimates.
    scale : float
        The largest observed value, the unit of the fit.
    """

    estimates: dict[str, Estimate]
    correlation: np.ndarray
    names: list[str]
    residuals: np.ndarray
    rss: float
    aic: float
    bic: float
    n_observations: int
    warnings: list[str]
    result: Result
    scale: float

    def as_dict(self) -> dict[str, Any]:
        return {"estimates": {k: v.as_dict() for k, v in self.estimates.items()},
                "correlation": self.correlation.tolist(), "names": self.names,
                "rss": self.rss, "aic": self.aic, "bic": self.bic,
                "n_observations": self.n_observations, "warnings": self.warnings,
                "scale": self.scale}

    def rows(self) -> list[dict[str, Any]]:
        return [{"estimate": name, "value": e.value, "stderr": e.stderr}
                for name, e in self.estimates.items()]

    def summary(self) -> str:
        years = self.result.t
        lines = [f"Trajectory fit, {years[0]:g}-{years[-1]:g} ({self.n_observations} "
                 f"observations; grievance per unit of {self.scale:.6g}):"]
        lines += [f"  {name:14s} {e.value:14.6g} +- {e.stderr:.3g}"
                  for name, e in self.estimates.items()]
        lines.append(f"  RSS {self.rss:.4g} (scaled), AIC {self.aic:.4g}, BIC {self.bic:.4g}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _expand(model: Model, names: Sequence[str]) -> list[tuple[str, str | None]]:
    """('reaction', None) for every state -> ('reaction', 'A'), ('reaction', 'B')."""
    out: list[tuple[str, str | None]] = []
    for name in names:
        parsed = parse_name(name, model.states)
        base, state = parsed.base, parsed.state
        if base not in model.parameter_names:
            raise ParameterValueError(f"parameter {base!r} has no effect in {model!r}")
        kind = REGISTRY[base].kind
        if kind == "pair":
            raise ParameterValueError(f"fitting the matrix parameter {base!r} is not supported")
        if state:
            model.state_index(state)
            out.append((base, state))
        elif kind == "state":
            out.extend((base, s) for s in model.states)
        else:
            out.append((base, None))
    return out


def fit_trajectory(model: Model, series: Series, fit: Sequence[str], *,
                   params: Mapping[str, Any] | None = None, fit_initial: bool = True,
                   starts: int = 4, seed: int = 0, practical_bounds: Mapping[str, tuple[
                       float, float]] | None = None, solver: Solver | None = None
                   ) -> TrajectoryFit:
    """Least-squares fit of ``fit`` parameters (and the initial spending) to ``series``.

    The model's states must be the series' blocs. Observations are the spending of every
    bloc in every year, scaled by the largest observed value; output is held at that scale
    (so a fitted grievance g is per unit of the scale: Richardson's grievance in data units
    is g times ``scale``). Starts are a scrambled Sobol sample inside the bounds.

    Parameters
    ----------
    model : Model
        The model, its states the series' blocs.
    series : Series
        Yearly spending per bloc.
    fit : sequence of str
        The parameters fitted (``reaction``, ``reaction.USA``).
    params : mapping, optional
        The other parameters' values.
    fit_initial : bool
        Fit the initial spending too.
    starts : int
        Starts of the optimiser.
    seed : int
        The seed of the starts.
    practical_bounds : mapping, optional
        Name -> (low, high) narrowing the registry's bounds for the starts only.
    solver : Solver, optional
        The integration options.

    Returns
    -------
    TrajectoryFit
        The estimates, their correlation, residuals and information criteria.
    """
    if tuple(series.blocs) != model.states:
        raise ParameterValueError(f"the model's states {list(model.states)} must be the "
                                  f"series' blocs {list(series.blocs)}")
    slots = _expand(model, fit)
    if fit_initial and "ceiling" in model.mechanisms and np.any(series.matrix()[0] < 0):
        raise SeriesError("negative spending in the first year")
    names = [f"{b}.{s}" if s else b for b, s in slots]
    observed = series.matrix()
    scale = float(np.max(np.abs(observed)))
    years = series.years.astype(float)
    e = np.full(model.N, scale)
    base_params = dict(params or {})
    lows = [REGISTRY[b].bounds[0] for b, _ in slots]
    highs = [REGISTRY[b].bounds[1] for b, _ in slots]
    if fit_initial:
        names += [f"m0.{s}" for s in model.states]
        lows += [0.0 if "ceiling" in model.mechanisms else -np.inf] * model.N
        highs += [np.inf] * model.N
    lower, upper = np.array(lows, dtype=float), np.array(highs, dtype=float)
    solver = solver or Solver(rtol=1e-9, atol=1e-12 * scale)
    prepared = prepare(model, base_params, {"m": observed[0], "e": e})
    compiled, y_start, p_start = prepared.compiled, prepared.y0, prepared.p
    positions = [parameter_slots(model, f"{b}.{s}" if s else b)[1] for b, s in slots]
    spending = [k for k, slot in enumerate(model.variables) if slot.name == "m"]

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Input vector p and initial state y0 for a trial ``theta``."""
        p, y0 = p_start.copy(), y_start.copy()
        for where, value in zip(positions, theta, strict=False):
            p[where] = value
        y0[spending] = theta[len(slots):] * scale if fit_initial else observed[0]
        return p, y0

    def trajectory(theta: np.ndarray) -> np.ndarray | None:
        p, y0 = unpack(theta)
        sol = integrate(compiled, p, y0, (years[0], years[-1]), years, solver)
        if sol.status != 0 or sol.y.shape[1] != len(years):
            return None
        return sol.y[spending].T

    def residuals(theta: np.ndarray) -> np.ndarray:
        path = trajectory(theta)
        if path is None or not np.all(np.isfinite(path)):
            return np.full(observed.size, 1e3)  # a diverged trial is a bad fit, not a crash
        return ((path - observed) / scale).ravel()

    box_low = np.where(np.isfinite(lower), lower, -2.0)
    box_high = np.where(np.isfinite(upper), upper, 2.0)
    for k, (b, _) in enumerate(slots):
        if practical_bounds and b in practical_bounds:
            box_low[k], box_high[k] = practical_bounds[b]
    if fit_initial:  # the initial spending is fitted in units of the scale
        box_low[len(slots):] = observed[0] * 0.8 / scale
        box_high[len(slots):] = observed[0] * 1.2 / scale
    # screen 8x as many quasi-random points by their cost and start from the best ones:
    # trials in runaway regions are flat (penalised) and waste the optimiser's budget
    sobol = qmc.Sobol(len(names), scramble=True, seed=seed)
    points = np.clip(qmc.scale(sobol.random(8 * max(starts, 1)), box_low, box_high + 1e-12),
                     lower, upper)
    costs = [float(np.sum(residuals(x) ** 2)) for x in points]
    best = None
    for start in points[np.argsort(costs)[:max(starts, 1)]]:
        try:
            solution = least_squares(residuals, start, bounds=(lower, upper), x_scale="jac",
                                     xtol=1e-10, ftol=1e-10, gtol=1e-10,
                                     max_nfev=50 * len(names))
        except (ValueError, np.linalg.LinAlgError):
            continue
        if best is None or solution.cost < best.cost:
            best = solution
    if best is None:
        raise ParameterValueError("no start of the trajectory fit converged")
    fitted = dict(base_params)
    for (b, st), value in zip(slots, best.x, strict=False):
        if st is None:
            fitted[b] = float(value)
        else:
            current = fitted.get(b, REGISTRY[b].default)
            if not isinstance(current, Mapping):
                current = dict(zip(model.states, np.broadcast_to(current, model.N).tolist(),
                                   strict=True))
            fitted[b] = {**current, st: float(value)}
    m0 = best.x[len(slots):] * scale if fit_initial else observed[0]
    result = simulate(model, fitted, (years[0], years[-1]), initial={"m": m0, "e": e},
                      output=list(years), solver=solver)
    assert isinstance(result, Result)  # one member
    return _report(best, names, lower, upper, scale, observed, result)


def _report(best, names, lower, upper, scale, observed, result) -> TrajectoryFit:
    n, p = best.fun.size, len(names)
    rss = float(best.fun @ best.fun)
    jac = best.jac
    warnings = []
    dof = n - p
    sigma2 = rss / dof if dof > 0 else math.nan
    if dof <= 0:
        warnings.append(f"{n} observations for {p} unknowns: no degrees of freedom left")
    normal = jac.T @ jac
    if np.linalg.cond(normal) > 1e12:
        warnings.append("the fit is not identified: the Jacobian is (nearly) singular "
                        "(flat directions of the residual surface)")
        covariance = np.linalg.pinv(normal) * sigma2
    else:
        covariance = np.linalg.inv(normal) * sigma2
    stderr = np.sqrt(np.abs(np.diag(covariance)))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = covariance / np.outer(stderr, stderr)
    estimates = {}
    for k, name in enumerate(names):
        value, se = float(best.x[k]), float(stderr[k])
        span = max(1.0, abs(value))
        on_bound = (np.isfinite(lower[k]) and value - lower[k] <= 1e-6 * span
                    or np.isfinite(upper[k]) and upper[k] - value <= 1e-6 * span)
        if name.startswith("m0."):  # fitted in units of the scale
            value, se = value * scale, se * scale
        estimates[name] = Estimate(value, se)
        if on_bound:
            warnings.append(f"{name} = {value:.6g} sits on its bound "
                            f"[{lower[k]:g}, {upper[k]:g}]")
        elif np.isfinite(se) and se > 10 * max(abs(value), 1e-12):
            warnings.append(f"{name} is not identified: standard error {se:.3g} against "
                            f"estimate {value:.3g} (flat profile)")
    aic = n * math.log(rss / n) + 2 * p if rss > 0 else -math.inf
    bic = n * math.log(rss / n) + p * math.log(n) if rss > 0 else -math.inf
    return TrajectoryFit(estimates, correlation, names,
                         best.fun.reshape(observed.shape) * scale, rss, aic, bic, n, warnings,
                         result, scale)


def richardson_trajectory(series: Series, *, fit: Sequence[str] = ("reaction", "grievance"),
                          fatigue: float = 0.2, starts: int = 4, seed: int = 0
                          ) -> TrajectoryFit:
    """Fit Richardson's two-bloc model (W = 1, D = 0, eta = 0) to a series of spending.

    By default the reaction and grievance of each bloc and the initial spending are fitted,
    with fatigue fixed at Richardson's 0.2/yr (with five years of data the full model is not
    identified).

    Parameters
    ----------
    series : Series
        Yearly spending of two blocs.
    fit : sequence of str
        The parameters fitted.
    fatigue : float
        The fatigue held fixed (where not fitted).
    starts : int
        Starts of the optimiser.
    seed : int
        The seed of the starts.

    Returns
    -------
    TrajectoryFit
        The estimates.
    """
    if len(series.blocs) < 2:
        raise SeriesError("Richardson's model needs at least two blocs")
    if np.any(np.diff(series.years) != 1):
        raise SeriesError(f"trajectory fitting needs consecutive years; the series has gaps "
                          f"({'; '.join(series.notes)})")
    model = Model(list(series.blocs), "richardson")
    params = {"distinguishability": 0.0, "power_weight": 0.0}
    if "fatigue" not in fit:
        params["fatigue"] = fatigue
    return fit_trajectory(model, series, fit, params=params, starts=starts, seed=seed,
                          practical_bounds={"reaction": (0.0, 1.5), "fatigue": (0.0, 1.0),
                                            "grievance": (-0.5, 0.5)})
