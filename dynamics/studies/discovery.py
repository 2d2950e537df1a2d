"""Scenario discovery: under which conditions does an outcome happen?

A sensitivity index says which input matters; a policy question asks *where* in the
input space an outcome happens ("under which conditions does the Riser pass the
hegemony threshold despite balancing?"). :func:`discover` runs a Latin hypercube of a
scenario's uncertain inputs as one sweep (chunks, an executor, a checkpoint: as
:func:`dynamics.studies.sweep.sweep`), marks the members where the outcome happens
(``"peak_share > 0.5"``: a metric, ``<`` or ``>``, a number) and finds the box of inputs
that holds them by PRIM (Friedman and Fisher 1999): peeling and pasting, the
coverage-density trade-off along the peeling trajectory, and for a chosen box each
restricted input's range with its quasi-p-value (Bryant and Lempert 2010). A CART tree
(Breiman et al. 1984) gives a second view. :func:`discover_of` does the same for any
design and outcome already computed (a synthetic function, a finished sweep).

The algorithms are the EMA Workbench's (Kwakkel 2017): its ``analysis.prim`` and
``analysis.cart``, the implementation its users already cite, installed with the
``[discovery]`` extra (``pip install 'balancing-dynamics[discovery]'``, which brings
scikit-learn for CART). Writing PRIM again would add nothing but risk.

Coverage is the share of all members with the outcome that fall in the box; density the
share of members in the box that have the outcome; mass the share of all members in the
box. The box chosen by default maximises coverage times density along the trajectory
(the usual compromise; :meth:`Discovery.select` chooses another).

References
----------
Friedman, J. H. and Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9: 123-143. Bryant, B. P. and Lempert, R. J. (2010). Thinking
inside the box. Technological Forecasting and Social Change 77(1): 34-49. Kwakkel, J. H.
(2017). The Exploratory Modeling Workbench. Environmental Modelling & Software 96:
239-250. Breiman, L., Friedman, J., Olshen, R. and Stone, C. (1984). Classification and
Regression Trees. Wadsworth.
"""

from __future__ import annotations

import inspect
import math
import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError, ParameterValueError, require
from dynamics.results.labelled import Status, finite_json
from dynamics.results.report import Report
from dynamics.scenarios import Scenario
from dynamics.studies.design import Problem, latin_hypercube, metric_function
from dynamics.studies.sweep import SweepResult, sweep

__all__ = ["Discovery", "BoxLimit", "discover", "discover_of", "parse_outcome"]

_OUTCOME = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<|>)\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*$")


def parse_outcome(text: str) -> tuple[str, Callable[[np.ndarray], np.ndarray], str]:
    """Parse an outcome: a metric, a comparison and a number.

    Parameters
    ----------
    text : str
        ``"peak_share > 0.5"``; the metric is one of :data:`~dynamics.analysis.metrics.METRICS`.

    Returns
    -------
    (str, callable, str)
        The metric's name, the test of its values (a boolean per member) and the text.
    """
    match = _OUTCOME.match(text)
    if not match:
        raise ParameterValueError(f"an outcome reads METRIC > NUMBER or METRIC < NUMBER, "
                                  f"e.g. 'peak_share > 0.5'; got {text!r}")
    name, sign, number = match.groups()
    metric_function(name)  # an unknown metric raises with the closest name
    compare = operator.gt if sign == ">" else operator.lt
    level = float(number)
    return name, lambda values: compare(values, level), f"{name} {sign} {level:g}"


@dataclass(frozen=True)
class BoxLimit:
    """One input restricted by the chosen box.

    Attributes
    ----------
    input : str
        The input's label.
    low, high : float
        Its range in the box.
    p_low, p_high : float
        The quasi-p-values of the lower and the upper limit (NaN for a limit at the edge of
        the design).
    """

    input: str
    low: float
    high: float
    p_low: float
    p_high: float


@dataclass
class Discovery(Report):
    """PRIM's peeling trajectory, the chosen box and CART's first split.

    Attributes
    ----------
    problem : Problem
        The inputs and their ranges.
    outcome_text : str
        The outcome, as given (``"peak_share > 0.5"``).
    design : ndarray
        The members' inputs (members, inputs).
    outcome : ndarray
        Whether the outcome happened, per member (failed members left out).
    trajectory : dict
        Per box of the peeling trajectory: ``coverage``, ``density``, ``mass`` and
        ``dimensions`` (inputs restricted).
    limits : list of ndarray
        Each box's limits (inputs, 2).
    chosen : int
        The index of the chosen box on the trajectory (by default the one that maximises
        coverage times density).
    restrictions : list of BoxLimit
        The chosen box's limits with their quasi-p-values.
    first_split : (str, float) or None
        CART's first split: the input and its threshold.
    failed : int
        Members that did not run.
    scenario : str
        The scenario's name.
    extra : dict
        Provenance.
    unsure : int or None
        Members decided within the solver's error: the outcome changes when they are
        solved again at tolerances 100 times tighter (None: not checked).
    solver_error : float or None
        The largest change of the outcome's metric between the two tolerances, in the
        metric's unit (None: not checked).
    """

    problem: Problem
    outcome_text: str
    design: np.ndarray
    outcome: np.ndarray
    trajectory: dict[str, np.ndarray]
    limits: list[np.ndarray]
    chosen: int
    restrictions: list[BoxLimit]
    first_split: tuple[str, float] | None
    failed: int = 0
    scenario: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    unsure: int | None = None
    solver_error: float | None = None

    @property
    def coverage(self) -> float:
        return float(self.trajectory["coverage"][self.chosen])

    @property
    def density(self) -> float:
        return float(self.trajectory["density"][self.chosen])

    @property
    def mass(self) -> float:
        return float(self.trajectory["mass"][self.chosen])

    @property
    def box(self) -> dict[str, tuple[float, float]]:
        """The chosen box: every input's (low, high), restricted or not."""
        limits = self.limits[self.chosen]
        return {name: (float(limits[0, k]), float(limits[1, k]))
                for k, name in enumerate(self.problem.names)}

    def pruned(self, alpha: float = 0.05) -> tuple[list[BoxLimit], dict[str, float]]:
        """The chosen box with only its significant restrictions: those with a quasi-p-value
        below ``alpha`` at either limit (PRIM's box over many inputs restricts some by
        chance); the others are widened to their whole range, and the box's coverage,
        density and mass are counted again over the members.

        Parameters
        ----------
        alpha : float
            The significance level, in (0, 1).

        Returns
        -------
        (list of BoxLimit, dict)
            The kept restrictions; ``coverage``, ``density`` and ``mass`` of the box.
        """
        if not 0 < alpha < 1:
            raise ParameterValueError(f"alpha must be in (0, 1), got {alpha!r}")
        kept = [r for r in self.restrictions
                if any(math.isfinite(q) and q < alpha for q in (r.p_low, r.p_high))]
        inside = np.ones(self.outcome.size, dtype=bool)
        for r in kept:
            column = self.design[:, list(self.problem.names).index(r.input)]
            inside &= (column >= r.low) & (column <= r.high)
        cases = self.outcome.sum()
        found = float(self.outcome[inside].sum())
        return kept, {"coverage": found / cases if cases else math.nan,
                      "density": found / inside.sum() if inside.any() else math.nan,
                      "mass": float(inside.mean())}

    def select(self, index: int) -> Discovery:
        """The same discovery with box ``index`` of the trajectory chosen."""
        if not 0 <= index < len(self.limits):
            raise ParameterValueError(f"box {index} is not on the trajectory (0 to "
                                      f"{len(self.limits) - 1})")
        return _with_box(self, index)

    def as_dict(self) -> dict[str, Any]:
        kept, measures = self.pruned()
        return {"scenario": self.scenario, "outcome": self.outcome_text,
                "members": int(self.outcome.size), "failed": self.failed,
                "cases": int(self.outcome.sum()), "chosen": self.chosen,
                "coverage": self.coverage, "density": self.density, "mass": self.mass,
                "box": {r.input: [r.low, r.high] for r in self.restrictions},
                "p_values": {r.input: finite_json([r.p_low, r.p_high])
                             for r in self.restrictions},
                "cart_first_split": list(self.first_split) if self.first_split else None,
                "unsure": self.unsure, "solver_error": self.solver_error,
                "significant": {"box": {r.input: [r.low, r.high] for r in kept},
                                **measures},
                "trajectory": {k: v.tolist() for k, v in self.trajectory.items()}}

    def rows(self) -> list[dict[str, Any]]:
        """The chosen box: one row per restricted input."""
        return [{"input": r.input, "low": r.low, "high": r.high, "p_low": r.p_low,
                 "p_high": r.p_high} for r in self.restrictions]

    def trajectory_frame(self):
        """The peeling trajectory as a pandas DataFrame (one row per box)."""
        import pandas as pd

        return pd.DataFrame(self.trajectory)

    def summary(self) -> str:
        lines = [f"{self.scenario + ': ' if self.scenario else ''}{self.outcome_text} in "
                 f"{int(self.outcome.sum())} of {self.outcome.size} members"
                 + (f" ({self.failed} failed, left out)" if self.failed else ""),
                 f"  box {self.chosen} of {len(self.limits) - 1}: coverage "
                 f"{self.coverage:.3f}, density {self.density:.3f}, mass {self.mass:.3f}"]
        for r in self.restrictions:
            lines.append(f"  {r.input:24s} {r.low:10.4g} to {r.high:10.4g}  (quasi-p "
                         f"{_p_text(r.p_low)}, {_p_text(r.p_high)})")
        kept, measures = self.pruned()
        if kept and len(kept) < len(self.restrictions):
            lines.append(f"  its restrictions with a quasi-p below 0.05 alone: coverage "
                         f"{measures['coverage']:.3f}, density {measures['density']:.3f}, "
                         f"mass {measures['mass']:.3f}")
            lines.extend(f"    {r.input:22s} {r.low:10.4g} to {r.high:10.4g}" for r in kept)
        if self.first_split:
            lines.append(f"  CART's first split: {self.first_split[0]} at "
                         f"{self.first_split[1]:.4g}")
        if self.unsure is not None:
            lines.append(f"  solver: every member solved again at tolerances 100 times "
                         f"tighter; {self.unsure} decided within the solver's error (the "
                         f"outcome changes), the metric moves by {self.solver_error:.1e} at "
                         "most")
        return "\n".join(lines)


def _p_text(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.2g}"


def _workbench():
    """EMA Workbench's PRIM and CART (the [discovery] extra), imported quietly."""
    require_workbench()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its optional parallel back ends announce themselves
        from ema_workbench.analysis import cart, prim
    return prim, cart


def require_workbench() -> None:
    """Raise, naming the ``[discovery]`` extra, where EMA Workbench is not installed."""
    require("discovery", "scenario discovery (PRIM and CART)", "ema_workbench", "sklearn",
            "pandas")


def _check_box(threshold: float, mass_min: float) -> None:
    """Refuse a PRIM density threshold outside (0, 1] or a smallest box outside (0, 1)
    (2 or NaN gave a ZeroDivisionError inside the workbench)."""
    for name, value, high, closed in (("threshold", threshold, 1.0, True),
                                      ("mass_min", mass_min, 1.0, False)):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number and 0 < value and (value <= high if closed else value < high)):
            interval = "(0, 1]" if closed else "(0, 1)"
            raise ParameterValueError(f"PRIM's {name} must be in {interval}, got {value!r}")


def discover_of(problem: Problem, design: np.ndarray, outcome: np.ndarray, *,
                outcome_text: str = "outcome", threshold: float = 0.8,
                peel_alpha: float = 0.05, paste_alpha: float = 0.05,
                mass_min: float = 0.05, scenario: str = "", failed: int = 0) -> Discovery:
    """PRIM (and CART) on a design and a boolean outcome per member.

    Parameters
    ----------
    problem : Problem
        The inputs and their ranges.
    design : ndarray
        The members' inputs (members, inputs).
    outcome : ndarray
        Whether the outcome happened, per member.
    outcome_text : str
        The outcome in words, for reports.
    threshold : float
        The density PRIM aims for, in (0, 1].
    peel_alpha, paste_alpha : float
        The share of members PRIM peels and pastes per step.
    mass_min : float
        The smallest box (and CART leaf), as a share of the members, in (0, 1).
    scenario : str
        The scenario's name, for reports.
    failed : int
        Members that did not run (recorded).

    Returns
    -------
    Discovery
        PRIM's trajectory and chosen box, and CART's first split.
    """
    import pandas as pd

    _check_box(threshold, mass_min)
    design = np.asarray(design, dtype=float)
    outcome = np.asarray(outcome, dtype=bool)
    if design.shape != (outcome.size, len(problem.names)):
        raise ParameterValueError(f"design of shape {design.shape} for {outcome.size} "
                                  f"outcomes and {len(problem.names)} inputs")
    cases = int(outcome.sum())
    if cases == 0 or cases == outcome.size:
        raise DynamicsError(f"{outcome_text} holds in {cases} of {outcome.size} members: "
                            "there is no region to find; widen the ranges or change the "
                            "outcome")
    prim, cart = _workbench()
    frame = pd.DataFrame(design, columns=list(problem.names))
    # the EMA Workbench 2.x takes the density threshold (a box whose density stays below it
    # is returned unrestricted); 3.x has none and returns the peeled box: either way the
    # box chosen below maximises coverage times density along the trajectory
    takes = "threshold" in inspect.signature(prim.Prim.__init__).parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = prim.Prim(frame, outcome, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                          mass_min=mass_min,
                          **({"threshold": threshold} if takes else {})).find_box()
        tree = cart.CART(frame, outcome, mass_min=mass_min)
        tree.build_tree()
    table = found.peeling_trajectory
    trajectory = {"coverage": table["coverage"].to_numpy(float),
                  "density": table["density"].to_numpy(float),
                  "mass": table["mass"].to_numpy(float),
                  "dimensions": table["res_dim"].to_numpy(int)}
    limits = [frame_limits.to_numpy(float) for frame_limits in found.box_lims]
    chosen = int(np.argmax(trajectory["coverage"] * trajectory["density"]))
    split = tree.clf.tree_
    first = (problem.names[int(split.feature[0])], float(split.threshold[0])) \
        if split.node_count > 1 else None
    base = Discovery(problem, outcome_text, design, outcome, trajectory, limits, chosen, [],
                     first, failed, scenario, {"prim": found})
    return _with_box(base, chosen)


def _with_box(discovery: Discovery, index: int) -> Discovery:
    """The discovery with box ``index`` chosen and its restrictions inspected."""
    found = discovery.extra["prim"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found.select(index)
        _, details = found.inspect(index, style="data")[0]
    restrictions = []
    for name in details.index:
        row = details.loc[name]
        values = row.to_numpy(float)
        restrictions.append(BoxLimit(str(name), float(values[0]), float(values[1]),
                                        float(values[2]), float(values[3])))
    order = list(discovery.problem.names)
    restrictions.sort(key=lambda r: order.index(r.input))
    return replace(discovery, chosen=index, restrictions=restrictions)


def discover(scenario: Scenario, problem: Problem, outcome: str, n: int = 1000, *,
             seed: int = 0, threshold: float = 0.8, mass_min: float = 0.05,
             force: bool = False, solver_check: bool = True, **options: Any
             ) -> Discovery:
    """Where in ``problem``'s ranges ``outcome`` happens for ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs and their ranges.
    outcome : str
        A comparison of a metric, ``"peak_share > 0.5"`` (:func:`parse_outcome`).
    n : int
        Members of the Latin hypercube.
    seed : int
        The seed of the design.
    threshold : float
        The density PRIM aims for, in (0, 1].
    mass_min : float
        The smallest box (and CART leaf), as a share of the members, in (0, 1).
    force : bool
        Run it even if its design would hold more than half of the machine's memory
        (:func:`~dynamics.studies.design.check_size`).
    solver_check : bool
        Sweep the design again at tolerances 100 times tighter (on the same executor,
        without the checkpoint) and report the members whose outcome changes (``Discovery.unsure``);
        about three times the work.
    **options
        Those of :func:`dynamics.studies.sweep.sweep` (chunk, executor, checkpoint,
        progress, solver settings).

    Returns
    -------
    Discovery
        PRIM's trajectory and chosen box, and CART's first split.
    """
    name, test, text = parse_outcome(outcome)
    _check_box(threshold, mass_min)
    require_workbench()  # before the sweep, not after it
    design = latin_hypercube(problem, n, seed=seed, force=force)
    swept: SweepResult = sweep(scenario, problem, design, [name], **options)
    ok = np.array([str(s) == Status.SUCCESS.value for s in swept.status])
    values = swept.metrics[name]
    ok &= np.isfinite(values)
    found = discover_of(problem, design[ok], test(values[ok]), outcome_text=text,
                        threshold=threshold, mass_min=mass_min, scenario=scenario.name,
                        failed=int((~ok).sum()))
    if not solver_check:
        return found
    solver = options.get("solver", scenario.solver)
    again = sweep(scenario, problem, design, [name],
                  **{**options, "solver": solver.tightened(), "checkpoint": None})
    tight = again.metrics[name]
    both = ok & np.isfinite(tight)
    moved = np.abs(values[both] - tight[both])
    return replace(found, unsure=int(np.sum(test(values[both]) != test(tight[both]))),
                   solver_error=float(moved.max()) if moved.size else 0.0)


def __getattr__(name: str) -> Any:
    """``Restriction``, this module's former name of :class:`BoxLimit`, for one release."""
    if name == "Restriction":
        warnings.warn("dynamics.studies.discovery.Restriction is now BoxLimit (a box's limit "
                      "on one input; dynamics.Restriction is a mechanism's domain)",
                      DeprecationWarning, stacklevel=2)
        return BoxLimit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
