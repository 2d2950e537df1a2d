"""A fitting problem: a scenario, its observations and the unknowns to fit
(:class:`FitProblem`), with its observation model and its likelihood.

Part of the fitting toolkit described in :mod:`dynamics.calibration.fitting`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dynamics.calibration.observations import SERIES, Observations
from dynamics.data import SeriesError
from dynamics.errors import ParameterValueError, UnknownNameError
from dynamics.model.registry import REGISTRY
from dynamics.run.ensemble import EnsembleResult
from dynamics.run.front import simulate
from dynamics.run.prepared import resolve_values
from dynamics.run.solver import Solver
from dynamics.scenarios import Scenario

__all__ = ['ERRORS', 'FIT_SOLVER', 'FitProblem', 'RHO_LIMIT']

#: the observation models
ERRORS = ("lognormal", "ar1")
#: the solver of every fit: tight tolerances so that finite differences are clean
FIT_SOLVER = Solver(rtol=1e-10, atol=1e-12)
#: an AR(1) coefficient is kept inside (-RHO_LIMIT, RHO_LIMIT)
RHO_LIMIT = 0.99
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
    initial = resolve_values(model, None, scenario.initial).start
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
class FitProblem:
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

    Attributes
    ----------
    dropped : list of (str, str, int)
        The observed cells left out as zero or less (series, state, year), also named in
        a warning.

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
        # an observed zero (or less) cannot enter a log-normal likelihood: say which cells
        # are left out rather than fit fewer observations silently
        self.dropped = [(name, data.states[i], int(data.years[k]))
                        for name in self.series for k in range(data.years.size)
                        for i in range(len(data.states))
                        if np.isfinite(data.values[name][k, i]) and data.values[name][k, i] <= 0]
        if self.dropped:
            listed = ", ".join(f"{state} {year} ({name})" for name, state, year
                               in self.dropped[:8])
            more = len(self.dropped) - 8
            warnings.warn(f"{len(self.dropped)} observed values of zero or less are left out "
                          f"of the fit (a log-normal error needs positive values): {listed}"
                          + (f" and {more} more" if more > 0 else ""), stacklevel=2)
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
        initial = resolve_values(self._model, None, self.scenario.initial).start
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


