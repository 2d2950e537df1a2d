"""Counterfactual comparison: a scenario against the same world with an intervention.

``compare(base, intervention)`` runs the baseline and the counterfactual (the base with
interventions added, or some of its own dropped, or another scenario of the same states)
and reports the difference in the metrics a reader of the scenario asks about, per state:
peak and final power share, the time its share first passes the hegemony threshold s*,
its mean burden and, with alliances on, its final mean cohesion with the others. With
``members > 0`` both are run as ensembles over the same members of the scenario's
neighbourhood (:func:`dynamics.studies.robustness.neighbourhood`: every value within +-spread,
each structurally uncertain parameter over its range), and the paired differences are
summarised by their median and 5-95 % range. The result tabulates itself (rows, CSV,
JSON) and carries the share trajectories for a figure with uncertainty bands
(:func:`dynamics.views.plotting.plot_comparison`).

A null intervention (none, or one that changes nothing) gives the baseline exactly: every
difference is 0.

``decompose(scenario)`` asks the converse question of a scenario's result: which of the
assumptions it states (its ``[assumptions]`` table) drives it. It records a metric as
shipped, with each assumption switched off alone and with all of them switched off.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.analysis.metrics import crossing, threshold_of
from dynamics.errors import DynamicsError, ShapeError, UnknownNameError
from dynamics.results.files import write_text
from dynamics.results.labelled import Result, finite_json, jsonable
from dynamics.results.report import Report
from dynamics.run.interventions import Intervention
from dynamics.scenarios import Scenario
from dynamics.studies.design import metric_function, run_values
from dynamics.studies.robustness import neighbourhood, restricted

__all__ = ["Comparison", "compare", "counterfactual", "run_metrics", "Decomposition",
           "decompose"]

#: quantiles of the band of an ensemble comparison
BAND = (0.05, 0.95)


def counterfactual(base: Scenario, intervention: Scenario | Sequence[Intervention] = (),
                   without: Sequence[str] = ()) -> Scenario:
    """The counterfactual scenario of ``base``.

    Parameters
    ----------
    base : Scenario
        The baseline.
    intervention : Scenario or sequence of Intervention
        A scenario of the same states (the counterfactual itself), or interventions added to
        the base (one of the same name replaces the base's).
    without : sequence of str
        Names of the base's interventions dropped.

    Returns
    -------
    Scenario
        The counterfactual.
    """
    if isinstance(intervention, Scenario):
        if intervention.states != base.states:
            raise ShapeError(f"the counterfactual's states {list(intervention.states)} differ "
                             f"from the base's {list(base.states)}")
        chosen = intervention
    else:
        added = tuple(intervention)
        names = {i.name for i in added}
        chosen = replace(base, name=f"{base.name} (counterfactual)",
                         events=(*(i for i in base.events if i.name not in names), *added))
    known = {i.name for i in chosen.events}
    for name in without:
        if name not in known:
            raise UnknownNameError("intervention", name, known)
    return replace(chosen, events=tuple(i for i in chosen.events if i.name not in without))


def run_metrics(result: Result, level: float | None = None) -> dict[str, float]:
    """The compared metrics of one run.

    Parameters
    ----------
    result : Result
        The run.
    level : float, optional
        The hegemony share s* the metrics use; by default the run's own (a counterfactual is
        measured with its baseline's s*, also where it switches off the mechanism that owns
        s*).

    Returns
    -------
    dict
        Metric name -> value (NaN where a state never passes s*).
    """
    level = threshold_of(result, level)
    shares = result.share
    out: dict[str, float] = {}
    for i, state in enumerate(result.states):
        out[f"peak_share.{state}"] = float(np.max(shares[:, i]))
        out[f"final_share.{state}"] = float(shares[-1, i])
        above = np.flatnonzero(shares[:, i] > level)
        out[f"hegemony_time.{state}"] = (float("nan") if above.size == 0 else
                                         crossing(result.t, shares[:, i], level,
                                                  int(above[0])))
        out[f"mean_burden.{state}"] = float(np.mean(result.burden[:, i]))
    if "alliances" in result.mechanisms:
        cohesion = np.asarray(result["c"][-1], dtype=float)
        n = len(result.states)
        for i, state in enumerate(result.states):
            out[f"cohesion.{state}"] = float((cohesion[i].sum() - cohesion[i, i]) / (n - 1))
    return out


@dataclass
class Comparison(Report):
    """Baseline against counterfactual: metrics, paired differences and share paths.

    Attributes
    ----------
    scenario : str
        The baseline's name.
    interventions : list of str
        What the counterfactual changes, in words.
    members : int
        Members of the neighbourhood (1 for single runs).
    metrics : list of str
        The metrics compared.
    base, counter : dict
        Each metric's values over the members, of the baseline and of the counterfactual.
    t : ndarray
        The output times.
    states : tuple of str
        The states.
    base_share, counter_share : ndarray
        The power shares (members, T, N) of the two.
    events : tuple of dict
        The counterfactual's interventions that fired (in its first member).
    failed : int
        Members that did not finish in either run (left out of the paired differences).
    provenance : dict
        Versions, settings and values: what reproduces the comparison.
    """

    scenario: str
    interventions: list[str]
    members: int
    metrics: list[str]
    base: dict[str, np.ndarray]
    counter: dict[str, np.ndarray]
    t: np.ndarray
    states: tuple[str, ...]
    base_share: np.ndarray
    counter_share: np.ndarray
    events: tuple[dict[str, Any], ...] = ()
    failed: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)

    def difference(self, metric: str) -> np.ndarray:
        """Counterfactual minus baseline, member by member."""
        return self.counter[metric] - self.base[metric]

    def rows(self) -> list[dict[str, Any]]:
        """One row per metric: baseline, counterfactual and their difference (medians
        over members, with the 5-95 % range of the paired difference)."""
        out = []
        for metric in self.metrics:
            diff = self.difference(metric)
            row: dict[str, Any] = {"metric": metric,
                                   "base": _median(self.base[metric]),
                                   "counterfactual": _median(self.counter[metric]),
                                   "difference": _median(diff)}
            if self.members > 1:
                finite = diff[np.isfinite(diff)]
                low, high = (np.quantile(finite, BAND) if finite.size else (np.nan, np.nan))
                row.update({"difference_low": float(low), "difference_high": float(high),
                            "members_changed": int(np.sum(np.isfinite(diff) & (diff != 0)))})
            out.append(row)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "interventions": self.interventions,
                "members": self.members, "failed": self.failed, "rows": self.rows(),
                "events": list(self.events), "provenance": jsonable(self.provenance)}

    def to_json(self, path: str | Path) -> Path:
        return write_text(path, json.dumps(finite_json(self.as_dict()), indent=2) + "\n")

    def summary(self) -> str:
        kind = (f"{self.members} members of the neighbourhood" if self.members > 1
                else "single runs")
        lines = [f"{self.scenario}: baseline against {', '.join(self.interventions) or 'no change'}"
                 f" ({kind}{f', {self.failed} failed' if self.failed else ''})"]
        for e in self.events:
            lines.append(f"  fired: {e['name']} at t = {e['time']:g} ({e['change']})")
        lines.append(f"  {'metric':26s} {'baseline':>10s} {'counterf.':>10s} {'difference':>11s}")
        for row in self.rows():
            band = (f"  [{row['difference_low']:+.3g}, {row['difference_high']:+.3g}]"
                    if "difference_low" in row else "")
            lines.append(f"  {row['metric']:26s} {row['base']:10.4g} {row['counterfactual']:10.4g}"
                         f" {row['difference']:+11.4g}{band}")
        return "\n".join(lines)


def _median(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def compare(base: Scenario, intervention: Scenario | Sequence[Intervention] = (), *,
            without: Sequence[str] = (), members: int = 0, spread: float = 0.25,
            seed: int = 0, **options: Any) -> Comparison:
    """Compare ``base`` with its counterfactual; see the module docstring.

    Parameters
    ----------
    base : Scenario
        The baseline.
    intervention : Scenario or sequence of Intervention
        The counterfactual itself (a scenario of the same states), or interventions added
        to the base (one of the same name replaces the base's).
    without : sequence of str
        Names of the base's interventions that the counterfactual drops.
    members : int
        0 for single runs; otherwise the number of paired members drawn over the
        scenario's neighbourhood (at least 2).
    spread : float
        The neighbourhood's relative half-width (0.25: every drawn value within +-25 %).
    seed : int
        Seed of the neighbourhood's sample.
    **options
        Passed to the runs (``solver=...``, ``output=...``).

    Returns
    -------
    Comparison
        Both runs (or ensembles) and the differences of peak and final shares, the time to
        pass s*, mean burden and final cohesion (median and 5-95 % range).
    """
    other = counterfactual(base, intervention, without)
    labels = [i.describe() for i in other.events if i not in base.events]
    labels += [f"without {name}" for name in without]
    if members == 1 or members < 0:
        raise DynamicsError(f"members must be 0 (single runs) or at least 2, got {members}")
    if members == 0:
        first, second = base.run(**options), other.run(**options)
        runs_base, runs_other = [first], [second]
        failed = int(not first.ok) + int(not second.ok)
    else:
        _, _, values = neighbourhood(base, members, spread, seed)
        ens_base = run_values(base, restricted(values, base), **options)
        ens_other = run_values(other, restricted(values, other), **options)
        ok = ens_base.ok & ens_other.ok
        failed = int(np.sum(~ok))
        picked = np.flatnonzero(ok)
        if picked.size == 0:
            raise DynamicsError(f"no member of {members} ran in both worlds; the first: "
                                f"{ens_base.messages[0] or ens_other.messages[0]}")
        runs_base = [ens_base.member(int(i)) for i in picked]
        runs_other = [ens_other.member(int(i)) for i in picked]
    levels = [threshold_of(r) for r in runs_base]
    metrics = list(run_metrics(runs_base[0]))
    table_base = {m: np.array([run_metrics(r)[m] for r in runs_base]) for m in metrics}
    table_other = {m: np.array([run_metrics(r, level)[m] for r, level in
                                zip(runs_other, levels, strict=True)]) for m in metrics}
    t = runs_base[0].t
    return Comparison(base.name, labels, max(members, 1), metrics, table_base, table_other,
                      t, base.states, _shares(runs_base, t), _shares(runs_other, t),
                      runs_other[0].events, failed,
                      {"spread": spread, "seed": seed, "members": members,
                       "interventions": [i.as_dict() for i in other.events],
                       "without": list(without)})


def _shares(runs: list[Result], t: np.ndarray) -> np.ndarray:
    """Shares (members, T, N) on the times ``t`` (a run that stopped early is NaN after)."""
    out = np.full((len(runs), t.size, len(runs[0].states)), np.nan)
    for k, run in enumerate(runs):
        size = min(run.t.size, t.size)
        out[k, :size] = run.share[:size]
    return out


@dataclass
class Decomposition(Report):
    """What each of a scenario's assumptions drives.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    metric : str
        The metric recorded.
    span : float
        The length of the run, in years (a spell that outlasts it is shown as over it).
    values : dict
        The metric as shipped (``"as shipped"``), with each assumption switched off alone
        (``"without NAME"``) and with all switched off together.
    """

    scenario: str
    metric: str
    span: float
    values: dict[str, float]

    def rows(self) -> list[dict[str, Any]]:
        shipped = self.values["as shipped"]
        return [{"variant": name, self.metric: value, "change": value - shipped}
                for name, value in self.values.items()]

    def as_dict(self) -> dict[str, Any]:
        return finite_json({"scenario": self.scenario, "metric": self.metric,
                            "rows": self.rows()})

    def summary(self) -> str:
        lines = [f"{self.scenario}: {self.metric}, as shipped and with each assumption "
                 "switched off"]
        width = max(len(name) for name in self.values)
        for row in self.rows():
            value = row[self.metric]
            shown = f"> {self.span:g}" if math.isinf(value) else f"{value:.4g}"
            change = ("" if row["variant"] == "as shipped" or not math.isfinite(row["change"])
                      else f"  ({row['change']:+.3g})")
            lines.append(f"  {row['variant']:{width}s} {shown:>10s}{change}")
        return "\n".join(lines)


def decompose(scenario: Scenario, metric: str = "unipolar_end") -> Decomposition:
    """Run ``scenario`` as shipped, with each assumption of its ``[assumptions]`` table
    switched off alone, and with all switched off together, and record ``metric`` (a name
    of :data:`~dynamics.analysis.metrics.METRICS`) of each run: which assumption drives
    the result, and by how much.

    Parameters
    ----------
    scenario : Scenario
        A scenario whose file states its assumptions (``[assumptions]``).
    metric : str
        The metric recorded (default ``unipolar_end``: years until the unipolar spell
        ends, inf where it outlasts the run).

    Returns
    -------
    Decomposition
        The metric per variant.
    """
    if not scenario.assumptions:
        raise DynamicsError(f"scenario {scenario.name!r} states no [assumptions] to switch off")
    function = metric_function(metric)
    names = list(scenario.assumptions)
    variants = {"as shipped": scenario}
    variants.update({f"without {name}": scenario.switched_off(name) for name in names})
    variants["without all of them"] = scenario.switched_off(*names)
    values = {}
    for label, variant in variants.items():
        result = variant.run()
        if not result.ok:
            raise DynamicsError(f"{label}: the run did not succeed ({result.message})")
        values[label] = float(function(result))
    return Decomposition(scenario.name, metric, scenario.t_span[1] - scenario.t_span[0],
                         values)
