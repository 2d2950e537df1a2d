"""Polarity durability: which distribution of power lasts longest? An experiment, not an
assumption.

Waltz (1979, 2000) holds that unipolarity is "the least durable of international
configurations"; Wohlforth (1999) and Brooks and Wohlforth (2008) argue that a unipole whose
lead is large in every component of power is durable. Deutsch and Singer (1964) and Waltz
(1964) disagree in turn about multipolarity and bipolarity. :func:`durability` lets the
model answer, whatever the answer is:

1. **Systems** are drawn at random: a number of great powers N (5 to 8 by default) and
   every parameter of the named mechanisms from the same distribution for every state, each
   state's values drawn independently, so that no state is favoured by construction. The
   distribution is uniform over the great-power prior (:data:`GREAT_POWER_RANGES`, where the
   registry's plausible range spans what any state might do), a structurally uncertain
   parameter's uncertain range, or the plausible range; any range may be changed. Four
   choices without an estimate are drawn per system too (:data:`DESIGN_INPUTS`): each
   state's *headroom* h_i; the *convergence* gamma of the economies, which sets each
   capacity E_i = h_i e_i(0)^(1 - gamma) ebar^gamma (gamma = 0: each grows toward a
   multiple of its present size; gamma = 1: all grow toward the same potential, the
   catch-up of the others that the unipolar-decay scenario assumes); the *initial burden*,
   common to every state; and the *pole ratio* r (below).
2. **Starts**: each system is run from a unipolar, a bipolar and a multipolar distribution
   of power (a paired design: the same states and parameters, three starts). A *pole* is a
   state whose power share is at least ``pole_ratio`` r times the leader's (a peer: Waltz's
   poles are states of comparable capability; r is drawn per system over [0.4, 0.6]). The
   configuration is unipolar with one pole, bipolar with two and multipolar with three or
   more. In a start, every non-pole holds a share of the leader's drawn uniformly in
   [0.1, r - 0.05] and every pole other than the leader in [r + 0.05, 1] (``MARGIN``: no
   spell ends at once because a state was drawn at the threshold); a multipolar start has 3
   to N poles. The leader is the first state in every start. These are power shares once
   spending has settled: each start's spending is first brought into balance with it
   (output and alignments held for the horizon), and the outputs are chosen so that,
   at the settled burdens, the power shares are the start's.
3. **Durations**: a configuration lasts until the number of poles leaves its class (a
   unipolar system gains a peer, a bipolar one loses or gains a pole, a multipolar one falls
   to two poles or fewer), read on the output grid (4 times a year by default); it is
   right-censored where it outlasts the run. A run that fails or diverges is left out, and
   counted.
4. **Statistics**: Kaplan-Meier survival curves of each starting configuration (Kaplan and
   Meier 1958) with log-log pointwise 95 % intervals (``scipy.stats.ecdf``), median
   durations with the Brookmeyer and Crowley (1982) interval read from those bands, the
   restricted mean survival time up to the horizon (the area under the curve: defined
   even where more than half the spells outlast the run) with a bootstrap interval over
   systems, and log-rank tests of each pair of configurations (Mantel 1966;
   ``scipy.stats.logrank``), Holm-adjusted.
5. **Where the answer flips**: for each system, whether its unipolar start ends first of
   its three starts; PRIM (:func:`dynamics.studies.discovery.discover_of`, the ``[discovery]``
   extra) finds the region of the drawn inputs where it does.

The least durable configuration is the one with the smallest restricted mean survival time;
the report says whether the log-rank tests separate it from the others.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import CensoredData, ecdf, logrank

from dynamics.errors import DynamicsError, ParameterValueError, require
from dynamics.model.mechanisms import SHIPPED
from dynamics.model.model import Model
from dynamics.model.registry import REGISTRY, resolve_mechanisms
from dynamics.results.files import replacing
from dynamics.results.labelled import finite_json
from dynamics.results.report import Report
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.solver import Solver
from dynamics.scenarios import Scenario

__all__ = ["CONFIGURATIONS", "DEFAULT_MECHANISMS", "Design", "Survival", "Durability",
           "durability", "configuration", "poles", "starting_shares", "outputs_for", "spells",
           "kaplan_meier", "log_rank_pairs", "GREAT_POWER_RANGES",
           "DESIGN_INPUTS"]

#: the starting configurations, in the order of the report
CONFIGURATIONS = ("unipolar", "bipolar", "multipolar")
#: the mechanisms of the default design: every shipped one (a design may name any others)
DEFAULT_MECHANISMS = tuple(m.name for m in SHIPPED if m.name != "richardson")
#: the design's own inputs (not model parameters), drawn per system, and their ranges
DESIGN_INPUTS = {"headroom": (1.0, 3.0), "convergence": (0.0, 1.0),
                 "initial_burden": (0.01, 0.05), "pole_ratio": (0.4, 0.6)}
#: the prior of a great-power system: where the registry's plausible range spans what any
#: state might do (a reaction of 5/yr, growth of 50 %/yr), the range that the literature's
#: estimates for great powers and the shipped scenarios span; every other parameter is
#: drawn over its uncertain range (a structurally uncertain one) or its plausible range
GREAT_POWER_RANGES: dict[str, tuple[float, float]] = {
    "reaction": (0.0, 1.0),          # Richardson's pre-1914 blocs: about 0.9/yr
    "fatigue": (0.1, 0.5),           # Richardson: about 0.2/yr, a parliament's life
    "grievance": (-0.01, 0.03),      # threat-free burdens g/alpha of about -5 % to 15 %
    "growth": (0.0, 0.06),           # long-run intrinsic growth of great-power economies
    "arms_cost": (0.0, 0.3),         # the scenarios' 0.1/yr, overstretch at 0.2/yr
    "coercion": (0.0, 0.1),          # the scenarios' 0.04-0.05/yr (Gilpin 1981)
    "offence_defence": (0.5, 2.0),   # defence to offence dominance (Jervis 1978)
    "power_weight": (0.0, 2.0),      # from pure arms (0) to a superlinear weight of power
    "output_weight": (0.5, 0.9),     # CINC's 2/3 non-military weight (Singer et al. 1972)
    "ceiling": (0.2, 0.6),           # total-war burdens of 0.4-0.7 (Harrison 1998)
    "perception_delay": (0.5, 5.0),
    "intent_delay": (0.5, 10.0),
    "alliance_formation": (0.0, 20.0),
    "threat_erosion": (0.0, 20.0),
    "alliance_decay": (0.01, 0.5),   # alliances last from a few years to a century
    "burden_dispute": (0.0, 2.0),
    "bandwagon_rate": (0.0, 20.0),
    "soft_delay": (0.5, 10.0),
    "soft_drag": (0.0, 0.2),
    "soft_cost": (0.0, 5.0),
    "soft_constraint": (0.0, 20.0),
    "proximity": (0.2, 1.0),         # great powers reach each other, some only in part
}
#: parameters a design does not draw: capacity follows from headroom and convergence; a
#: constant grievance in currency units and unilateral acts have no place in an abstract
#: system (their defaults, 0, are kept)
_NOT_DRAWN = frozenset({"capacity", "grievance_level", "unilateralism"})
#: the smallest share of the leader's that a non-pole holds at the start
_SMALLEST = 0.1
#: how far (as a share of the leader's) every state starts from the pole ratio, so that no
#: spell ends at once because a state was drawn at the threshold
MARGIN = 0.05
#: the mechanisms that run in the settling of spending before a start: those that move
#: neither output nor alignments
_SETTLING = frozenset({"perception", "intentions", "ceiling", "public_good",
                       "soft_balancing"})


@dataclass(frozen=True)
class Design:
    """What :func:`durability` draws (module docstring).

    Parameters
    ----------
    systems : int
        Systems drawn (each run from the three starts).
    states : tuple of int
        The numbers of great powers drawn from (uniformly).
    mechanisms : tuple of str
        The mechanisms every system has (``richardson`` always).
    years : float
        The horizon: a configuration that lasts longer is censored.
    output : int
        Output times per year (the resolution of a duration).
    ranges : mapping of str to (float, float)
        Ranges replacing a parameter's plausible (or uncertain) range, or a design
        input's (``headroom``, ``convergence``, ``initial_burden``, ``pole_ratio``).
    seed : int
        Seed of the draw (``numpy.random.default_rng``).
    """

    systems: int = 200
    states: tuple[int, ...] = (5, 6, 7, 8)
    mechanisms: tuple[str, ...] = DEFAULT_MECHANISMS
    years: float = 100.0
    output: int = 4
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.systems < 2:
            raise ParameterValueError(f"systems must be at least 2, got {self.systems}")
        if not self.states or min(self.states) < 3:
            raise ParameterValueError("a system needs at least 3 states (a multipolar start "
                                      f"has 3 poles), got states {self.states}")
        if not (math.isfinite(self.years) and self.years > 0):
            raise ParameterValueError(f"years must be a positive number, got {self.years}")
        if self.output < 1:
            raise ParameterValueError(f"output must be at least 1 per year, got {self.output}")
        resolve_mechanisms(self.mechanisms)  # an unknown mechanism raises with its name
        for name, (low, high) in self.ranges.items():
            if name not in DESIGN_INPUTS and name not in REGISTRY:
                raise ParameterValueError(f"range given for {name!r}, which is neither a "
                                          f"parameter nor one of {sorted(DESIGN_INPUTS)}")
            if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                raise ParameterValueError(f"range of {name!r} must be finite with low <= "
                                          f"high, got ({low}, {high})")
            if name in REGISTRY:
                bounds = REGISTRY[name].bounds
                if low < bounds[0] or high > bounds[1]:
                    raise ParameterValueError(f"range of {name!r} ({low}, {high}) leaves its "
                                              f"bounds {REGISTRY[name].bounds_text()}")
        pole = self.range_of("pole_ratio")
        if not (_SMALLEST + MARGIN < pole[0] <= pole[1] < 1 - MARGIN):
            raise ParameterValueError(f"pole_ratio must lie in ({_SMALLEST + MARGIN:g}, "
                                      f"{1 - MARGIN:g}), got {pole}")

    def range_of(self, name: str) -> tuple[float, float]:
        """The range ``name`` is drawn over: the design's, else the great-power prior
        (:data:`GREAT_POWER_RANGES`), else the parameter's uncertain range, else its
        plausible range (or bounds)."""
        if name in self.ranges:
            return tuple(float(x) for x in self.ranges[name])  # type: ignore[return-value]
        if name in DESIGN_INPUTS:
            return DESIGN_INPUTS[name]
        if name in GREAT_POWER_RANGES:
            return GREAT_POWER_RANGES[name]
        spec = REGISTRY[name]
        return spec.uncertain if spec.uncertain is not None else spec.design_range


def poles(shares: np.ndarray, ratio: np.ndarray | float) -> np.ndarray:
    """How many states hold at least ``ratio`` times the leader's share.

    Parameters
    ----------
    shares : ndarray
        Power shares, the states on the last axis.
    ratio : float or ndarray
        The pole ratio, broadcast against the other axes.

    Returns
    -------
    ndarray
        The number of poles.
    """
    leader = shares.max(axis=-1)
    return np.sum(shares >= np.expand_dims(np.asarray(ratio) * leader, -1), axis=-1)


def configuration(count: np.ndarray | int) -> np.ndarray:
    """The configuration of a number of poles.

    Parameters
    ----------
    count : int or ndarray
        Numbers of poles.

    Returns
    -------
    ndarray
        0 (unipolar: one pole), 1 (bipolar: two) or 2 (multipolar: more).
    """
    return np.minimum(np.asarray(count), 3) - 1


def starting_shares(kind: str, n: int, ratio: float, rng: np.random.Generator
                    ) -> np.ndarray:
    """Power shares that form a configuration at a pole ratio (module docstring).

    Parameters
    ----------
    kind : str
        ``unipolar``, ``bipolar`` or ``multipolar``.
    n : int
        The number of states.
    ratio : float
        The pole ratio.
    rng : numpy.random.Generator
        The source of the draws.

    Returns
    -------
    ndarray
        Shares (n,) summing to 1, the leader first.
    """
    peers = {"unipolar": 0, "bipolar": 1, "multipolar": int(rng.integers(2, n))}[kind]
    relative = np.empty(n)
    relative[0] = 1.0
    relative[1:1 + peers] = rng.uniform(ratio + MARGIN, 1.0, peers)
    relative[1 + peers:] = rng.uniform(_SMALLEST, ratio - MARGIN, n - 1 - peers)
    return relative / relative.sum()


def outputs_for(shares: np.ndarray, burden: np.ndarray, output_weight: np.ndarray
                ) -> np.ndarray:
    """Output shares u that give the power shares ``shares`` when each state spends the share
    ``burden`` of its output: S_i = omega u_i + (1 - omega) beta_i u_i / sum_j beta_j u_j,
    solved by fixed-point iteration.

    Parameters
    ----------
    shares : ndarray
        The power shares, the states on the last axis.
    burden : ndarray
        Each state's burden beta_i.
    output_weight : ndarray
        The weight omega of output in power.

    Returns
    -------
    ndarray
        The output shares, summing to 1 over the states.
    """
    omega = np.asarray(output_weight, dtype=float)[..., None]
    beta = np.maximum(burden, 1e-12)
    u = np.array(shares, dtype=float)
    for _ in range(200):
        military = beta / np.sum(beta * u, axis=-1, keepdims=True)
        new = shares / (omega + (1 - omega) * military)
        new /= new.sum(axis=-1, keepdims=True)
        if np.max(np.abs(new - u)) < 1e-12:
            break
        u = new
    # where no outputs give the shares (a state that spends nothing cannot reach a share
    # above omega times its output share), the shares themselves: such a start is then
    # reported as moved out of its class
    lost = ~np.isfinite(new).all(axis=-1) | (new.min(axis=-1) < 1e-3 * new.max(axis=-1))
    return np.where(lost[..., None], shares, new)


def spells(shares: np.ndarray, t: np.ndarray, ratio: np.ndarray, ok: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How long each member's starting configuration lasts.

    Parameters
    ----------
    shares : ndarray
        Power shares (M, T, N).
    t : ndarray
        The output times (T,).
    ratio : ndarray
        Each member's pole ratio (M,).
    ok : ndarray
        Whether each member's run finished (M,).

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Per member: the configuration it starts in, how long it lasts (years) and whether it
        ended within the run (False: censored at the run's end).
    """
    kind = configuration(poles(shares, ratio[:, None]))
    start = kind[:, 0]
    left = (kind != start[:, None]) & np.isfinite(shares).all(axis=2)
    ended = left.any(axis=1) & ok
    first = np.argmax(left, axis=1)
    duration = np.where(ended, t[first] - t[0], t[-1] - t[0])
    return start, duration, ended


@dataclass
class Survival:
    """Kaplan-Meier estimate of one starting configuration's survival.

    Attributes
    ----------
    configuration : str
        ``unipolar``, ``bipolar`` or ``multipolar``.
    systems : int
        Systems started in it.
    ended : int
        Spells that ended within the horizon (the others are censored).
    times, survival, low, high : ndarray
        The survival function and its log-log 95 % band at the event times.
    median, median_low, median_high : float
        The median duration and its Brookmeyer-Crowley interval (inf where not reached).
    rmst, rmst_low, rmst_high : float
        The restricted mean survival time up to the horizon and its bootstrap interval.
    """

    configuration: str
    systems: int
    ended: int
    times: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray
    median: float
    median_low: float
    median_high: float
    rmst: float
    rmst_low: float
    rmst_high: float


def _median_of(times: np.ndarray, curve: np.ndarray) -> float:
    """The first time the curve falls to 0.5 or below (inf if it never does)."""
    below = np.flatnonzero(curve <= 0.5)
    return float(times[below[0]]) if below.size else math.inf


def _rmst(times: np.ndarray, curve: np.ndarray, horizon: float) -> float:
    """Area under the step function ``curve`` (1 before ``times[0]``) up to ``horizon``."""
    edges = np.concatenate([[0.0], times[times < horizon], [horizon]])
    heights = np.concatenate([[1.0], curve[times < horizon]])
    return float(np.sum(np.diff(edges) * heights))


def kaplan_meier(name: str, duration: np.ndarray, ended: np.ndarray, horizon: float,
                 rng: np.random.Generator | None = None, resamples: int = 0) -> Survival:
    """The Kaplan-Meier survival of spells (``scipy.stats.ecdf``), with its log-log 95 % band,
    the median and its Brookmeyer-Crowley interval (where the band crosses 0.5), and the
    restricted mean up to ``horizon`` with a bootstrap interval.

    Parameters
    ----------
    name : str
        The configuration's name.
    duration : ndarray
        The spells' durations.
    ended : ndarray
        Whether each ended (False: censored).
    horizon : float
        The horizon of the restricted mean.
    rng : numpy.random.Generator, optional
        The source of the bootstrap resamples.
    resamples : int
        Bootstrap resamples of the restricted mean (0: its interval is NaN).

    Returns
    -------
    Survival
        The estimate.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    data = CensoredData(uncensored=duration[ended], right=duration[~ended])
    fitted = ecdf(data).sf
    times = fitted.quantiles
    curve = fitted.probabilities
    if ended.any():
        band = fitted.confidence_interval(0.95, method="log-log")
        low, high = band.low.probabilities, band.high.probabilities
    else:
        low = high = curve
    low, high = np.nan_to_num(low, nan=0.0), np.nan_to_num(high, nan=1.0)
    rmst = _rmst(times, curve, horizon)
    replicates = []
    for _ in range(resamples):
        pick = rng.integers(0, duration.size, duration.size)
        sample = CensoredData(uncensored=duration[pick][ended[pick]],
                              right=duration[pick][~ended[pick]])
        if ended[pick].any():
            sf = ecdf(sample).sf
            replicates.append(_rmst(sf.quantiles, sf.probabilities, horizon))
        else:
            replicates.append(horizon)
    rmst_low, rmst_high = (np.quantile(replicates, [0.025, 0.975]) if replicates
                           else (math.nan, math.nan))
    return Survival(name, int(duration.size), int(ended.sum()), times, curve, low, high,
                    _median_of(times, curve), _median_of(times, low),
                    _median_of(times, high), rmst, float(rmst_low), float(rmst_high))


@dataclass
class Durability(Report):
    """What :func:`durability` measured.

    Attributes
    ----------
    design : Design
        The experiment's settings.
    inputs : dict
        Each system's drawn inputs, by name.
    duration, ended : ndarray
        Per system and start (systems, 3): how long the starting configuration lasted and
        whether it ended within the horizon (False: censored).
    kept : ndarray
        Per system: whether all three of its runs finished and started in their classes
        (the survival and the tests are of these).
    failed : int
        Systems with a run that did not finish.
    moved : int
        Systems whose settled spending moved a start out of its class.
    survival : dict
        Configuration -> its :class:`Survival`.
    tests : dict
        Pair of configurations -> log-rank (statistic, Holm-adjusted p-value).
    runs : list
        Per system and start, what reproduces its run (parameters and initial values).
    discovery : Discovery or None
        Where the unipolar start ends first (PRIM), if asked for.
    """

    design: Design
    inputs: dict[str, np.ndarray]
    duration: np.ndarray
    ended: np.ndarray
    kept: np.ndarray
    failed: int
    moved: int
    survival: dict[str, Survival]
    tests: dict[tuple[str, str], tuple[float, float]]
    #: per system, per starting configuration: its parameter and initial values
    runs: list[list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]] = field(
        default_factory=list)
    discovery: Any = None

    def scenario(self, system: int, kind: str) -> Scenario:
        """System ``system`` from start ``kind`` as a scenario of its own: its states,
        mechanisms, drawn parameters and settled initial values (to run, plot or vary)."""
        if kind not in CONFIGURATIONS:
            raise ParameterValueError(f"configuration must be one of {CONFIGURATIONS}, "
                                      f"got {kind!r}")
        if not 0 <= system < len(self.runs):
            raise ParameterValueError(f"system must be 0 to {len(self.runs) - 1}, got "
                                      f"{system}")
        values, initial = self.runs[system][CONFIGURATIONS.index(kind)]
        n = len(initial["e"])
        return Scenario(f"durability-{system}-{kind}", tuple(f"P{i + 1}" for i in range(n)),
                        tuple(self.design.mechanisms), parameters=values, initial=initial,
                        t_span=(0.0, self.design.years),
                        output=int(round(self.design.years * self.design.output)) + 1,
                        title=f"system {system} of the durability experiment, {kind} start")

    @property
    def least_durable(self) -> str:
        """The configuration with the smallest restricted mean survival time."""
        return min(self.survival.values(), key=lambda s: s.rmst).configuration

    @property
    def unipolar_first(self) -> np.ndarray:
        """Per kept system: whether its unipolar start ended before both others."""
        d = np.where(self.ended, self.duration, np.inf)[self.kept]
        return (d[:, 0] < d[:, 1]) & (d[:, 0] < d[:, 2])

    def separated(self, alpha: float = 0.05) -> bool:
        """Whether the least durable configuration differs from both others by the
        Holm-adjusted log-rank tests at level ``alpha``."""
        least = self.least_durable
        return all(p < alpha for pair, (_, p) in self.tests.items() if least in pair)

    def systems_table(self) -> tuple[list[str], list[list[float]]]:
        """One row per system: its drawn inputs, then per configuration the duration and
        whether the spell ended (1) or was censored (0), and whether it was kept."""
        names = list(self.inputs)
        header = ["system", *names, *(f"{kind}_{what}" for kind in CONFIGURATIONS
                                      for what in ("years", "ended")), "kept"]
        rows = []
        for k in range(self.design.systems):
            row = [float(k), *(float(self.inputs[n][k]) for n in names)]
            for c in range(3):
                row += [float(self.duration[k, c]), float(self.ended[k, c])]
            rows.append(row + [float(self.kept[k])])
        return header, rows

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`systems_table` as CSV."""
        path = Path(path)
        header, rows = self.systems_table()
        with replacing(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    def rows(self) -> list[dict[str, Any]]:
        return [{"configuration": s.configuration, "systems": s.systems, "ended": s.ended,
                 "median": s.median, "median_low": s.median_low,
                 "median_high": s.median_high, "rmst": s.rmst, "rmst_low": s.rmst_low,
                 "rmst_high": s.rmst_high} for s in self.survival.values()]

    def as_dict(self) -> dict[str, Any]:
        found = None
        if self.discovery is not None:
            found = {"coverage": self.discovery.coverage, "density": self.discovery.density,
                     "box": {r.input: [r.low, r.high] for r in self.discovery.restrictions}}
        return finite_json({
            "design": {"systems": self.design.systems, "states": list(self.design.states),
                       "mechanisms": list(self.design.mechanisms), "years": self.design.years,
                       "output": self.design.output, "seed": self.design.seed,
                       "ranges": {k: list(v) for k, v in self.design.ranges.items()}},
            "failed": self.failed, "moved": self.moved, "kept": int(self.kept.sum()),
            "least_durable": self.least_durable, "separated": self.separated(),
            "unipolar_first": float(self.unipolar_first.mean()),
            "configurations": self.rows(),
            "log_rank": [{"pair": list(pair), "statistic": stat, "p_holm": p}
                         for pair, (stat, p) in self.tests.items()],
            "prim": found})

    def summary(self) -> str:
        d = self.design
        lines = [f"{int(self.kept.sum())} systems of {min(d.states)}-{max(d.states)} great "
                 f"powers over {d.years:g} years, each from a unipolar, a bipolar and a "
                 f"multipolar start; left out: {self.failed} where a run failed, "
                 f"{self.moved} where settled spending moved a start out of its class"]
        lines.append(f"  {'configuration':12s} {'ended':>7s} {'median (95 %)':>24s} "
                     f"{'mean up to horizon (95 %)':>30s}")
        for s in self.survival.values():
            median = f"{_years(s.median)} [{_years(s.median_low)}, {_years(s.median_high)}]"
            rmst = f"{s.rmst:.1f} [{s.rmst_low:.1f}, {s.rmst_high:.1f}] yr"
            lines.append(f"  {s.configuration:12s} {s.ended:3d}/{s.systems:<3d} {median:>24s} "
                         f"{rmst:>30s}")
        for (a, b), (stat, p) in self.tests.items():
            lines.append(f"  log-rank {a} against {b}: statistic {stat:+.2f}, "
                         f"Holm-adjusted p = {p:.2g}")
        verdict = "separated from" if self.separated() else "not separated by the tests from"
        lines.append(f"  least durable: {self.least_durable} ({verdict} the others); the "
                     f"unipolar start ends first in {self.unipolar_first.mean():.0%} of the "
                     "systems")
        if self.discovery is not None:
            box = ", ".join(f"{r.input} {r.low:.3g}..{r.high:.3g}"
                            for r in self.discovery.restrictions)
            lines.append(f"  where it ends first (PRIM, coverage "
                         f"{self.discovery.coverage:.2f}, density "
                         f"{self.discovery.density:.2f}): {box}")
        return "\n".join(lines)


def _years(value: float) -> str:
    return f">{value:g}" if math.isinf(value) else f"{value:.1f}"


def _draw(design: Design, model: Model, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One system's parameters: each per-state value drawn for every state on its own."""
    n = model.N
    values: dict[str, np.ndarray] = {}
    for name in model.parameter_names:
        if name in _NOT_DRAWN:
            continue
        spec = REGISTRY[name]
        low, high = design.range_of(name)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ParameterValueError(f"{name!r} has no finite range to draw from "
                                      f"({low}, {high}); give it one in the design's ranges")
        size = {"scalar": None, "state": n, "pair": (n, n)}[spec.kind]
        drawn = rng.uniform(low, high, size)
        if spec.kind == "pair":
            np.fill_diagonal(drawn, 0.0)
        values[name] = np.asarray(drawn, dtype=float)
    for name in ("headroom",):
        values[name] = rng.uniform(*design.range_of(name), n)
    for name in ("convergence", "initial_burden", "pole_ratio"):
        values[name] = np.asarray(rng.uniform(*design.range_of(name)))
    return values


def _inputs_of(systems: list[dict[str, np.ndarray]], sizes: list[int]) -> dict[str, np.ndarray]:
    """The drawn inputs as columns for PRIM: every scalar, and each per-state value as the
    leader's (state 0 in every start) and the mean of the others'."""
    columns: dict[str, list[float]] = {"states": [float(n) for n in sizes]}
    for drawn in systems:
        for name, value in drawn.items():
            if value.ndim == 0:
                columns.setdefault(name, []).append(float(value))
            elif value.ndim == 1:
                columns.setdefault(f"{name}.leader", []).append(float(value[0]))
                columns.setdefault(f"{name}.others", []).append(float(value[1:].mean()))
    return {k: np.asarray(v) for k, v in columns.items() if len(v) == len(systems)}


def durability(design: Design | None = None, *, solver: Solver | None = None,
               resamples: int = 200, discover: bool = True, **options: Any) -> Durability:
    """Run the polarity-durability experiment (module docstring).

    Parameters
    ----------
    design : Design, optional
        What to draw (the default :class:`Design` if None; keyword ``options`` build one).
    solver : Solver, optional
        The ensembles' solver options (default ``Solver(rtol=1e-6)``).
    resamples : int
        Bootstrap resamples of the restricted mean survival time's interval.
    discover : bool
        Run PRIM on where the unipolar start ends first (needs the ``[discovery]`` extra:
        without it, an error before any run).
    **options
        The fields of a :class:`Design` built when ``design`` is None.

    Returns
    -------
    Durability
        Durations, survival curves, intervals, log-rank tests and PRIM's box.
    """
    design = design if design is not None else Design(**options)
    if resamples < 0:
        raise ParameterValueError(f"resamples must be 0 or more, got {resamples}")
    if discover:
        require("discovery", "PRIM on where the unipolar start ends first (or "
                "discover=False)", "ema_workbench", "sklearn", "pandas")
    solver = solver if solver is not None else Solver(rtol=1e-6)
    rng = np.random.default_rng(design.seed)
    sizes = [int(n) for n in rng.choice(design.states, design.systems)]
    models = {n: Model([f"P{i + 1}" for i in range(n)], design.mechanisms)
              for n in sorted(set(sizes))}
    systems = [_draw(design, models[n], rng) for n in sizes]
    starts = [{kind: starting_shares(kind, n, float(drawn["pole_ratio"]), rng)
               for kind in CONFIGURATIONS} for n, drawn in zip(sizes, systems, strict=True)]
    duration = np.zeros((design.systems, 3))
    ended = np.zeros((design.systems, 3), dtype=bool)
    failed = np.zeros(design.systems, dtype=bool)
    moved = np.zeros(design.systems, dtype=bool)
    runs: list[list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]] = [
        [] for _ in range(design.systems)]
    output = int(round(design.years * design.output)) + 1
    for n, model in models.items():
        chosen = [k for k, size in enumerate(sizes) if size == n]
        values, shares, burden, ratio = _members(model, [systems[k] for k in chosen],
                                                 [starts[k] for k in chosen])
        # outputs whose power shares, once spending has settled, are the start's: settle
        # at outputs equal to the shares, then solve for the outputs at those burdens
        first, _ = _settle(model, design, values, n * shares, burden, solver)
        weight = values.get("output_weight", REGISTRY["output_weight"].default)
        e0 = n * outputs_for(shares, first["m"] / first["e"],
                             np.broadcast_to(weight, (len(shares),)))
        initial, settled = _settle(model, design, values, e0, first["m"] / first["e"], solver)
        if "capacity" in model.parameter_names:
            gamma = np.repeat([float(systems[k]["convergence"]) for k in chosen], 3)[:, None]
            headroom = np.repeat([systems[k]["headroom"] for k in chosen], 3, axis=0)
            values["capacity"] = headroom * e0 ** (1 - gamma) * e0.mean(axis=1,
                                                                        keepdims=True) ** gamma
        run = simulate_ensemble(model, values, (0.0, design.years), initial=initial,
                                output=output, solver=solver)
        start, length, over = spells(run.values["share"], run.t, ratio, run.ok)
        for member, k in enumerate(np.repeat(chosen, 3)):
            runs[k].append(({name: value[member] for name, value in values.items()},
                            {name: value[member] for name, value in initial.items()}))
        ok = run.ok & settled
        in_class = start == np.tile(np.arange(3), len(chosen))
        for member, k in enumerate(np.repeat(chosen, 3)):
            duration[k, member % 3], ended[k, member % 3] = length[member], over[member]
            failed[k] |= not ok[member]
            moved[k] |= bool(ok[member] and not in_class[member])
    kept = ~failed & ~moved
    if kept.sum() < 2:
        raise DynamicsError(f"only {int(kept.sum())} of {design.systems} systems ran from all "
                            "three starts; widen the design or check the ranges")
    draws = np.random.default_rng(design.seed + 1)
    survival = {kind: kaplan_meier(kind, duration[kept, c], ended[kept, c], design.years,
                                   draws, resamples) for c, kind in enumerate(CONFIGURATIONS)}
    tests = log_rank_pairs(duration[kept], ended[kept])
    inputs = _inputs_of(systems, sizes)
    result = Durability(design, inputs, duration, ended, kept, int(failed.sum()),
                        int((moved & ~failed).sum()), survival, tests, runs)
    if discover:
        result.discovery = _where_unipolarity_ends_first(result)
    return result


def _members(model: Model, systems: list[dict[str, np.ndarray]],
             starts: list[dict[str, np.ndarray]]
             ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Three members per system, its unipolar, bipolar and multipolar starts: the
    parameter values with a member axis, and per member the start's power shares, the
    initial burden and the pole ratio."""
    values: dict[str, list[np.ndarray]] = {}
    shares, burden, ratio = [], [], []
    for drawn, start in zip(systems, starts, strict=True):
        for kind in CONFIGURATIONS:
            for name, value in drawn.items():
                if name in model.parameter_names:
                    values.setdefault(name, []).append(value)
            shares.append(start[kind])
            burden.append(np.full(model.N, float(drawn["initial_burden"])))
            ratio.append(float(drawn["pole_ratio"]))
    params = {name: np.stack(column) for name, column in values.items()}
    return params, np.stack(shares), np.stack(burden), np.asarray(ratio)


def _settle(model: Model, design: Design, values: dict[str, np.ndarray], outputs: np.ndarray,
            burden: np.ndarray, solver: Solver) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Spending in balance with a start: the members run for the design's horizon from
    ``outputs`` and spending ``burden`` times output, with output and alignments held
    (the mechanisms that move neither), and their final spending, perceived threat,
    intentions and effort start the run. Returns those initial values (output included)
    and whether each member settled (one that did not keeps its starting values)."""
    held = Model(model.states, [m for m in design.mechanisms if m in _SETTLING])
    initial = {"e": outputs, "m": burden * outputs}
    run = simulate_ensemble(held, {k: v for k, v in values.items()
                                   if k in held.parameter_names},
                            (0.0, design.years), initial=initial, output=2, solver=solver)
    settled = {name: run.values[name][:, -1] for name in ("m", "theta", "pi", "v")
               if held.is_dynamic(name) and model.is_dynamic(name)}
    good = run.ok & np.isfinite(settled["m"]).all(axis=1) & (settled["m"] >= 0).all(axis=1)
    out = dict(initial)
    for name, value in settled.items():
        out[name] = np.where(good[:, None], value, initial.get(name, value))
    return out, good


def log_rank_pairs(duration: np.ndarray, ended: np.ndarray
              ) -> dict[tuple[str, str], tuple[float, float]]:
    """Log-rank tests of each pair of configurations.

    Parameters
    ----------
    duration : ndarray
        Durations (systems, 3), a column per configuration.
    ended : ndarray
        Whether each ended (False: censored), of the same shape.

    Returns
    -------
    dict
        Pair of configuration names -> (statistic, p-value Holm-adjusted over the three
        pairs).
    """
    pairs = [(0, 1), (0, 2), (1, 2)]
    raw = []
    for a, b in pairs:
        if not (ended[:, a].any() or ended[:, b].any()):
            raw.append((0.0, 1.0))
            continue
        x = CensoredData(uncensored=duration[ended[:, a], a], right=duration[~ended[:, a], a])
        y = CensoredData(uncensored=duration[ended[:, b], b], right=duration[~ended[:, b], b])
        found = logrank(x, y)
        raw.append((float(found.statistic), float(found.pvalue)))
    order = np.argsort([p for _, p in raw])
    adjusted = np.empty(len(raw))
    running = 0.0
    for rank, k in enumerate(order):
        running = max(running, min(1.0, (len(raw) - rank) * raw[k][1]))
        adjusted[k] = running
    return {(CONFIGURATIONS[a], CONFIGURATIONS[b]): (raw[k][0], float(adjusted[k]))
            for k, (a, b) in enumerate(pairs)}


def _where_unipolarity_ends_first(result: Durability):
    """PRIM on the systems' inputs: where does the unipolar start end before both others?
    None where the outcome is all or nothing, or fewer than 40 systems were kept."""
    from dynamics.studies.design import Problem
    from dynamics.studies.discovery import discover_of

    outcome = result.unipolar_first
    if outcome.all() or not outcome.any():
        return None
    names = tuple(name for name, column in result.inputs.items()
                  if np.ptp(column[result.kept]) > 0)
    design = np.column_stack([result.inputs[name][result.kept] for name in names])
    problem = Problem(names, tuple((float(c.min()), float(c.max())) for c in design.T))
    if len(outcome) < 40:  # PRIM's boxes and CART's leaves need a few systems each
        return None
    return discover_of(problem, design, outcome, outcome_text="the unipolar start ends first")
