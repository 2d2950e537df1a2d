"""Fitting a scenario to observed series: the observation model, maximum likelihood,
profile and bootstrap intervals, identifiability, out-of-sample checks, model comparison.

A :class:`Problem` joins a scenario, its observations (:func:`cow_observations` from the
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
year; a linear trend through the training years). :func:`compare` tabulates the
log-likelihood, AIC, AICc and BIC of several problems on the same data (WAIC and LOO of
Bayesian fits are in :mod:`dynamics.calibration.posterior`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from dynamics.calibration.history import record
from dynamics.data import COW_CITATION, COW_FILE, COW_UNITS, SeriesError, read_series
from dynamics.errors import ParameterValueError, UnknownNameError
from dynamics.model.registry import REGISTRY
from dynamics.model.values import resolve_initial
from dynamics.results.labelled import Result
from dynamics.results.report import Report
from dynamics.run.ensemble import EnsembleResult
from dynamics.run.front import simulate
from dynamics.run.solver import Solver
from dynamics.scenarios import Scenario

__all__ = ["Observations", "Problem", "Fit", "Interval", "Holdout", "Comparison", "Coverage",
           "cow_observations", "read_observations", "fit", "profile", "bootstrap", "holdout",
           "compare", "coverage", "SERIES", "COW_SERIES", "ERRORS"]

#: the series a problem can fit: the model quantity, whether it is compared as shares
#: (each state's part of the states' total) and what it is
SERIES: dict[str, tuple[str, bool, str]] = {
    "spending_share": ("m", True, "share of military spending, m_i / sum_j m_j"),
    "power_share": ("share", True, "power share (the model's CINC-style composite; COW's "
                                   "cinc, normalised over the scenario's states)"),
    "spending": ("m", False, "military spending, in the scenario's unit"),
}
#: the COW variables that give a series, and which
COW_SERIES = {"milex": "spending_share", "cinc": "power_share"}
#: the observation models
ERRORS = ("lognormal", "ar1")
#: the solver of every fit: tight tolerances so that finite differences are clean
FIT_SOLVER = Solver(rtol=1e-10, atol=1e-12)
#: an AR(1) coefficient is kept inside (-RHO_LIMIT, RHO_LIMIT)
RHO_LIMIT = 0.99


@dataclass(frozen=True)
class Observations:
    """Observed yearly series of a scenario's states.

    Attributes
    ----------
    years : ndarray
        The years (Y,).
    values : mapping
        Per series (a key of :data:`SERIES`), an array (Y, states), NaN where a value is not
        observed (a state not yet in the system).
    states : tuple of str
        The states, in the scenario's order.
    source : str
        Where the values come from.
    """

    years: np.ndarray
    values: Mapping[str, np.ndarray]
    states: tuple[str, ...]
    source: str = ""

    def window(self, first: int, last: int) -> Observations:
        """The years ``first`` to ``last`` (inclusive)."""
        kept = (self.years >= first) & (self.years <= last)
        if not kept.any():
            raise SeriesError(f"no observed year in {first}-{last} (the data cover "
                              f"{self.years[0]}-{self.years[-1]})")
        return replace(self, years=self.years[kept],
                       values={k: v[kept] for k, v in self.values.items()})


def _shares(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return values / np.nansum(values, axis=1, keepdims=True)


def cow_observations(scenario: Scenario, variables: Sequence[str] = ("milex",),
                     years: tuple[int, int] | None = None, *, levels: bool = False
                     ) -> Observations:
    """The scenario's states' series from the shipped Correlates of War file.

    Parameters
    ----------
    scenario : Scenario
        Its states are COW abbreviations, or mapped to them in its ``[history]`` table.
    variables : sequence of str
        COW columns of :data:`COW_SERIES`: ``milex`` (shares of military spending),
        ``cinc`` (power shares), each compared as shares of the states' total (unit-free).
    years : (int, int), optional
        First and last year (default: the scenario's span).
    levels : bool
        Spending levels instead of shares: refused, because COW's milex is in current
        pounds to 1913 and current dollars from 1914 and the package ships no deflator.

    Returns
    -------
    Observations
        Per series, (years, states) with NaN where a state is not yet in the system.

    Raises
    ------
    SeriesError
        For a value missing in the file (-9) inside the window, naming its line and column.
    """
    first, last = (int(round(x)) for x in scenario.t_span) if years is None else years
    if first > last:
        raise SeriesError(f"years {first}:{last} are inverted")
    span = np.arange(first, last + 1)
    out: dict[str, np.ndarray] = {}
    for variable in variables:
        if variable not in COW_SERIES:
            raise UnknownNameError("COW series", variable, COW_SERIES)
        values, present, lines, codes = record(scenario, variable, span)
        if levels and variable == "milex":
            unit = COW_UNITS["milex"]
            change = [k for k in range(1, span.size) if unit(span[k]) != unit(span[k - 1])]
            where = (f"years {first}-{last} cross the change of currency at line "
                     f"{_line_of(lines, change[0])} ({span[change[0]]}), column 'milex' "
                     f"({unit(first)} to {unit(last)}); " if change else "")
            raise SeriesError(f"{COW_FILE}: {where}spending levels need a deflator and the "
                              "package ships none: fit shares (cow:milex) or give levels "
                              "in constant prices in a CSV file")
        missing = np.argwhere(present & np.isnan(values))
        if missing.size:
            k, i = missing[0]
            raise SeriesError(f"{COW_FILE}, line {lines[k, i]} ({codes[k, i]} {span[k]}), "
                              f"column {variable!r}: missing (-9) inside the window "
                              f"{first}-{last}; choose years the record covers")
        values[~present] = np.nan
        out[COW_SERIES[variable]] = _shares(values)
    return Observations(span, out, scenario.states, COW_CITATION)


def _line_of(lines: np.ndarray, k: int) -> int:
    row = lines[k][lines[k] > 0]
    return int(row[0]) if row.size else 0


def read_observations(path: str | Path, scenario: Scenario, *, levels: bool = False
                      ) -> Observations:
    """Observations from a CSV file with a ``year`` column and one column per state.

    Parameters
    ----------
    path : str or Path
        The file.
    scenario : Scenario
        The scenario whose states the columns are.
    levels : bool
        Compare the values themselves, in the scenario's unit (a ``unit`` column, if any,
        must name it), instead of shares of spending.

    Returns
    -------
    Observations
        The series.

    Raises
    ------
    SeriesError
        For a missing year, an empty or non-numeric cell, a change of unit inside the file,
        a negative value or a missing state column, naming the file, row and column.
    """
    series = read_series(path)
    columns = set(series.blocs)
    missing = [s for s in scenario.states if s not in columns]
    if missing:
        raise SeriesError(f"{path}, row 1: no column for {', '.join(missing)} (the "
                          f"scenario's states are {', '.join(scenario.states)})")
    values = np.column_stack([series.values[s] for s in scenario.states])
    negative = np.argwhere(values < 0)
    if negative.size:
        k, i = negative[0]
        raise SeriesError(f"{path}, row {k + 2}, column {scenario.states[i]!r}: "
                          f"{values[k, i]:g} is negative; spending is 0 or more")
    if levels:
        if series.unit and scenario.unit and series.unit != scenario.unit:
            raise SeriesError(f"{path}, row 2, column 'unit': {series.unit!r} is not the "
                              f"scenario's unit {scenario.unit!r}")
        return Observations(series.years, {"spending": np.where(values > 0, values, np.nan)},
                            scenario.states, str(path))
    return Observations(series.years, {"spending_share": _shares(values)}, scenario.states,
                        str(path))


@dataclass(frozen=True)
class _Unknown:
    """One fitted number: a parameter (shared when ``state`` is None) or an initial value."""

    name: str
    kind: str  # "parameter" or "initial"
    base: str  # the parameter's or variable's name
    state: int | None
    start: float
    lower: float
    upper: float
    prior: tuple[float, float]  # the plausible range: starts and priors

    @property
    def typical(self) -> float:
        low, high = self.prior
        width = high - low if math.isfinite(high - low) else 1.0
        return max(abs(self.start), 1e-3 * width, 1e-12)


def _unknowns(scenario: Scenario, names: Sequence[str]) -> list[_Unknown]:
    model = scenario.model()
    states = scenario.states
    expanded: list[str] = []
    for name in names:
        base, _, rest = name.partition(".")
        expanded += [f"{base}.{s}" for s in states] if rest == "*" else [name]
    if len(set(expanded)) != len(expanded):
        twice = sorted({n for n in expanded if expanded.count(n) > 1})
        raise ParameterValueError(f"fitted twice: {', '.join(twice)}")
    initial = resolve_initial(model, scenario.initial)
    out = []
    for name in expanded:
        base, _, rest = name.partition(".")
        if base in ("m0", "e0"):
            variable = base[0]
            if variable not in initial:
                raise ParameterValueError(f"{name}: the scenario's model has no {variable}")
            if rest not in states:
                raise UnknownNameError("state", rest, states)
            i = states.index(rest)
            value = float(np.asarray(initial[variable])[i])
            out.append(_Unknown(name, "initial", variable, i, value, 0.0, math.inf,
                                (0.5 * value, 2.0 * value)))
            continue
        spec = REGISTRY[base]
        if base not in model.parameter_names:
            raise ParameterValueError(f"{name}: {base!r} has no effect in the model of "
                                      f"{scenario.name!r} (mechanisms "
                                      f"{', '.join(sorted(model.mechanisms))})")
        if spec.kind == "pair":
            raise ParameterValueError(f"{name}: fitting the matrix parameter {base!r} is not "
                                      "supported")
        if rest and spec.kind != "state":
            raise ParameterValueError(f"{name}: {base!r} is one number for the system, not "
                                      "per state")
        if rest and rest not in states:
            raise UnknownNameError("state", rest, states)
        values = np.atleast_1d(scenario.parameter(base))
        index = states.index(rest) if rest else None
        value = float(values[index] if index is not None else np.mean(values))
        out.append(_Unknown(name, "parameter", base, index, value, *spec.bounds,
                            spec.design_range))
    for name in expanded:  # a shared value and a state's own cannot both be fitted
        if "." in name and name.split(".")[0] in expanded:
            raise ParameterValueError(f"{name.split('.')[0]} (shared) and {name} are both "
                                      "fitted; fit one or the other")
    return out


@dataclass
class Problem:
    """A scenario, its observations and the unknowns to fit (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The model; its values are the starting point (and, in a coverage study, the truth).
    observations : Observations
        The observed series of its states.
    fit : sequence of str
        The unknowns: ``reaction`` (shared), ``reaction.GMY`` (one state's), ``reaction.*``
        (one per state), ``m0.GMY`` / ``e0.GMY`` (initial spending / output).
    error : str
        ``"lognormal"`` (independent) or ``"ar1"`` (autocorrelated along each state's years).
    years : (int, int), optional
        The fitted window (inclusive); the scenario still runs over its whole span, so that
        predictions reach every observed year.
    solver : Solver
        The integration options (tight by default, so that finite differences are clean).

    Raises
    ------
    SeriesError
        With fewer observations than the unknowns and error scales need.
    """

    scenario: Scenario
    observations: Observations
    fit: Sequence[str]
    error: str = "lognormal"
    years: tuple[int, int] | None = None
    solver: Solver = FIT_SOLVER

    def __post_init__(self) -> None:
        if self.error not in ERRORS:
            raise UnknownNameError("error model", self.error, ERRORS)
        if tuple(self.observations.states) != tuple(self.scenario.states):
            raise ParameterValueError(f"the observations' states {list(self.observations.states)}"
                                      f" are not the scenario's {list(self.scenario.states)}")
        for series in self.observations.values:
            if series not in SERIES:
                raise UnknownNameError("series", series, SERIES)
        self.unknowns = _unknowns(self.scenario, self.fit)
        self.names = [u.name for u in self.unknowns] + (["rho"] if self.error == "ar1" else [])
        data = (self.observations if self.years is None
                else self.observations.window(*self.years))
        first, last = self.scenario.t_span
        outside = data.years[(data.years < first) | (data.years > last)]
        if outside.size:
            raise SeriesError(f"observed years {outside[0]}..{outside[-1]} lie outside the "
                              f"scenario's span {first:g}-{last:g}")
        self.data = data
        self.series = list(data.values)
        cells = [(s, k, i) for s, name in enumerate(self.series)
                 for i in range(len(data.states)) for k in range(data.years.size)
                 if np.isfinite(data.values[name][k, i]) and data.values[name][k, i] > 0]
        self.cell_series = np.array([c[0] for c in cells], dtype=int)
        self.cell_year = np.array([c[1] for c in cells], dtype=int)
        self.cell_state = np.array([c[2] for c in cells], dtype=int)
        self.log_y = np.log([data.values[self.series[s]][k, i] for s, k, i in cells])
        # the previous cell of each cell's chain (-1 where a chain starts)
        position = {c: n for n, c in enumerate(cells)}
        self.previous = np.array([position.get((s, k - 1, i), -1) for s, k, i in cells])
        self.chains = int(np.sum(self.previous < 0))
        self.counts = np.bincount(self.cell_series, minlength=len(self.series))
        k = len(self.names) + len(self.series)
        if self.log_y.size <= k + 1:
            raise SeriesError(f"{data.source or 'the data'}: {self.log_y.size} observations "
                              f"({data.years.size} years of {', '.join(self.series)}) for "
                              f"{k} unknowns ({len(self.names)} fitted, {len(self.series)} "
                              "error scales): at least k + 2 are needed; give more years or "
                              "fit fewer parameters")
        self.lower = np.array([u.lower for u in self.unknowns]
                              + ([-RHO_LIMIT] if self.error == "ar1" else []))
        self.upper = np.array([u.upper for u in self.unknowns]
                              + ([RHO_LIMIT] if self.error == "ar1" else []))
        self.typical = np.array([u.typical for u in self.unknowns]
                                + ([0.1] if self.error == "ar1" else []))
        self.start = np.array([u.start for u in self.unknowns]
                              + ([0.0] if self.error == "ar1" else []))
        self._model = self.scenario.model()
        self._base = self.scenario.values(self._model)
        # the scenario's own values of every fitted parameter and variable, per state
        initial = resolve_initial(self._model, self.scenario.initial)
        self._own = {(u.kind, u.base): np.atleast_1d(np.asarray(
            self.scenario.parameter(u.base) if u.kind == "parameter" else initial[u.base],
            dtype=float)) for u in self.unknowns}

    # --- the model's predictions --------------------------------------------------------

    @property
    def n(self) -> int:
        return int(self.log_y.size)

    @property
    def k(self) -> int:
        """Estimated numbers: the fitted unknowns (rho included) and one sigma per series."""
        return len(self.names) + len(self.series)

    @property
    def dof(self) -> int:
        """Residual degrees of freedom as lmfit counts them: observations less unknowns."""
        return self.n - len(self.names)

    def inputs(self, phi: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        """Parameter and initial values with a member axis for the rows of ``phi``."""
        members = phi.shape[0]
        params: dict[str, Any] = dict(self._base)
        initial: dict[str, Any] = dict(self.scenario.initial)
        touched: dict[tuple[str, str], np.ndarray] = {}
        for column, unknown in enumerate(self.unknowns):
            key = (unknown.kind, unknown.base)
            if key not in touched:
                touched[key] = np.tile(self._own[key], (members, 1))
            array = touched[key]
            if unknown.state is None:
                array[:] = phi[:, column, None]
            else:
                array[:, unknown.state] = phi[:, column]
        for (kind, base), array in touched.items():
            scalar = kind == "parameter" and REGISTRY[base].kind == "scalar"
            (params if kind == "parameter" else initial)[base] = array[:, 0] if scalar else array
        return params, initial

    def simulate(self, phi: np.ndarray, years: np.ndarray | None = None) -> EnsembleResult:
        """One member per row of ``phi``, output at ``years`` (default: the data's)."""
        params, initial = self.inputs(np.atleast_2d(phi))
        times = self.data.years if years is None else years
        result = simulate(self._model, params, self.scenario.t_span, initial=initial,
                          output=[float(t) for t in times], solver=self.solver,
                          interventions=self.scenario.events)
        assert isinstance(result, EnsembleResult)  # values carry a member axis
        return result

    def predict(self, phi: np.ndarray, years: np.ndarray | None = None
                ) -> dict[str, np.ndarray]:
        """Predicted series (members, years, states) per series; NaN for a failed member."""
        result = self.simulate(phi, years)
        out = {}
        for name in self.series:
            quantity, shares, _ = SERIES[name]
            values = np.array(result.values[quantity], dtype=float)
            if shares:
                with np.errstate(invalid="ignore", divide="ignore"):
                    values = values / values.sum(axis=2, keepdims=True)
            values[~result.ok] = np.nan
            out[name] = values
        return out

    def log_mu(self, phi: np.ndarray) -> np.ndarray:
        """log mu at every observed cell (members, n); NaN where not positive and finite."""
        predicted = self.predict(phi)
        stacked = np.stack([predicted[s] for s in self.series])  # (S, M, Y, N)
        mu = stacked[self.cell_series, :, self.cell_year, self.cell_state].T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(mu > 0, np.log(np.where(mu > 0, mu, 1.0)), np.nan)

    # --- the likelihood ----------------------------------------------------------------

    def rho(self, phi: np.ndarray) -> np.ndarray:
        return phi[:, -1] if self.error == "ar1" else np.zeros(phi.shape[0])

    def innovations(self, r: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """The AR(1) innovations of residuals ``r`` (members, n): the first of each chain
        scaled by sqrt(1 - rho^2) (Prais-Winsten)."""
        start = self.previous < 0
        e = np.empty_like(r)
        e[:, start] = r[:, start] * np.sqrt(1 - rho ** 2)[:, None]
        e[:, ~start] = r[:, ~start] - rho[:, None] * r[:, self.previous[~start]]
        return e

    def rss(self, e: np.ndarray) -> np.ndarray:
        """Sum of squared innovations per series (members, S)."""
        return np.stack([np.sum(e[:, self.cell_series == s] ** 2, axis=1)
                         for s in range(len(self.series))], axis=1)

    def loglik(self, rss: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """The log-likelihood with every sigma at its maximum (members,)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = -0.5 * self.counts * (np.log(2 * np.pi * rss / self.counts) + 1)
            return (terms.sum(axis=1) + 0.5 * self.chains * np.log(1 - rho ** 2)
                    - float(np.sum(self.log_y)))

    def evaluate(self, phi: np.ndarray, log_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Innovations (members, n; NaN rows for failed members) and log-likelihoods."""
        r = log_y - self.log_mu(phi)
        rho = self.rho(phi)
        e = self.innovations(r, rho)
        ll = self.loglik(self.rss(e), rho)
        ll[~np.isfinite(e).all(axis=1)] = -np.inf
        return e, ll


# --- the batched optimiser --------------------------------------------------------------


def _objective(problem: Problem, e: np.ndarray, rho: np.ndarray, weights: np.ndarray
               ) -> np.ndarray:
    """The residual vector whose sum of squares the optimiser minimises: innovations
    weighted per series, times (1 - rho^2)^(-C / 2n) (see the module docstring)."""
    scale = (1 - rho ** 2) ** (-problem.chains / (2 * problem.n))
    return e * np.sqrt(weights[:, problem.cell_series]) * scale[:, None]


def _residuals(problem: Problem, phi: np.ndarray, log_y: np.ndarray, weights: np.ndarray
               ) -> np.ndarray:
    e, _ = problem.evaluate(phi, log_y)
    return _objective(problem, e, problem.rho(phi), weights)


def _jacobian(problem: Problem, phi: np.ndarray, log_y: np.ndarray, weights: np.ndarray,
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


def _levenberg_marquardt(problem: Problem, phi: np.ndarray, log_y: np.ndarray,
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


def _minimise(problem: Problem, phi: np.ndarray, log_y: np.ndarray,
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
    """The maximum-likelihood fit of a :class:`Problem` (see the module docstring).

    Attributes
    ----------
    problem : Problem
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

    problem: Problem
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


def _starts(problem: Problem, starts: int, seed: int) -> np.ndarray:
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


def fit(problem: Problem, *, starts: int = 4, seed: int = 0) -> Fit:
    """Maximum-likelihood estimates of the problem's unknowns.

    Parameters
    ----------
    problem : Problem
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


def _information(problem: Problem, phi: np.ndarray, log_y: np.ndarray
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
    """The equal-tailed interval of ``values`` at ``level`` (percentiles); NaN if empty."""
    if not len(values):
        return math.nan, math.nan
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _report(problem: Problem, phi: np.ndarray, loglik: float) -> Fit:
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


# --- profile likelihood -------------------------------------------------------------------

#: the profile's grid, in standard errors from the estimate
GRID = (1.0, 2.0, 3.0, 5.0, 10.0)


def _profile_threshold(problem: Problem, level: float) -> float:
    return float(stats.f.ppf(level, 1, problem.dof))


def _profile_statistic(problem: Problem, best: np.ndarray, ll: np.ndarray) -> np.ndarray:
    """lmfit's F statistic: (RSS_profile / RSS_best - 1)(n - p), the ratio of sums of
    squares from the likelihood ratio (exact for a model linear in its unknowns)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.expm1(2 * (best - ll) / problem.n) * problem.dof


def _profiles(problem: Problem, phi: np.ndarray, ll: np.ndarray, log_y: np.ndarray,
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


def _constrained(problem: Problem, phi: np.ndarray, ll: np.ndarray, log_y: np.ndarray,
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


def _noise(problem: Problem, sigma: np.ndarray, rho: np.ndarray, rng: np.random.Generator,
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


def _blocks(problem: Problem, residuals: np.ndarray, rng: np.random.Generator,
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


def _bootstrap(problem: Problem, phi: np.ndarray, sigma: np.ndarray, log_y: np.ndarray,
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


def _refits(problem: Problem, phi: np.ndarray, drawn: np.ndarray, sigma: np.ndarray,
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


def coverage(problem: Problem, sigma: float, *, replicates: int = 100, rho: float = 0.0,
             bootstrap_replicates: int = 99, kind: str = "parametric", level: float = 0.95,
             seed: int = 0) -> Coverage:
    """How often nominal intervals cover known values, on synthetic replicates.

    Draws ``replicates`` datasets from the problem's observation model at its starting
    values (the truth), fits each from the truth, and counts how often the profile and
    bootstrap intervals cover it. A replicate whose fit fails counts as not covered.

    Parameters
    ----------
    problem : Problem
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


def holdout(problem: Problem, last_training_year: int, *, starts: int = 4, seed: int = 0
            ) -> Holdout:
    """Fit a training window and predict the held-out years, beside naive baselines.

    Parameters
    ----------
    problem : Problem
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


# --- model comparison ---------------------------------------------------------------------


@dataclass
class Comparison(Report):
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


def compare(problems: Mapping[str, Problem], *, starts: int = 4, seed: int = 0
            ) -> Comparison:
    """Fit several problems of the same observations and tabulate their criteria.

    Parameters
    ----------
    problems : mapping
        Label -> :class:`Problem` (different models or unknowns, the same data).
    starts : int
        Starting points of each fit.
    seed : int
        Their seed.

    Returns
    -------
    Comparison
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
    return Comparison({name: fit(problem, starts=starts, seed=seed)
                       for name, problem in problems.items()})
