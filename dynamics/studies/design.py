"""What every study shares: the uncertain inputs, their designs, running a design as one
ensemble, and the metrics that reduce a run to numbers.

A :class:`Problem` is SALib's problem description (``names``, ``bounds``, optional
``groups``); names are parameter specs of a scenario (``coercion``, ``growth.Riser``) or
the date or size of one of its interventions (``events.NATO.at``,
``events.NATO.set.c.USA.GBR``: "NATO formed between 1947 and 1955").
Designs (full-factorial grids, Latin hypercubes, Sobol sequences) come from
``scipy.stats.qmc``. :mod:`dynamics.studies.sweep` and :mod:`dynamics.studies.sensitivity`
build on this module (and sensitivity on sweep), so neither imports the other's internals.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

from dynamics.analysis.metrics import METRICS
from dynamics.errors import DynamicsError, ParameterValueError, UnknownNameError, at_least
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result, Status
from dynamics.run.ensemble import EnsembleResult, simulate_ensemble
from dynamics.run.interventions import Intervention, vary
from dynamics.scenarios import Scenario

__all__ = ["Problem", "grid", "latin_hypercube", "sobol_design", "design_values",
           "run_design", "run_values", "member_metrics", "Metric", "metric_function",
           "refuse_failures", "design_interventions", "progress_bar", "check_size",
           "machine_memory"]


@dataclass(frozen=True)
class Problem:
    """Names and bounds of the uncertain inputs (SALib's problem dictionary).

    Parameters
    ----------
    names : tuple of str
        Registry names (``"coercion"``), per-state entries (``"growth.Riser"``),
        intervention inputs (``"events.NATO.at"``).
    bounds : tuple of (float, float)
        The range of each input, inside its validity domain.
    groups : tuple of str, optional
        A group name per input: Sobol indices are then computed per group.
    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    groups: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.names) != len(self.bounds):
            raise ParameterValueError(f"{len(self.names)} names but {len(self.bounds)} bounds")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not low < high:
                raise ParameterValueError(f"bounds of {name!r} must be low < high, got "
                                          f"({low}, {high})")
        if self.groups is not None and len(self.groups) != len(self.names):
            raise ParameterValueError(f"{len(self.names)} names but {len(self.groups)} "
                                      "groups: give every input its group")

    @property
    def factors(self) -> tuple[str, ...]:
        """What the indices are reported for: the groups (in order of first appearance)
        when there are groups, otherwise the inputs."""
        return tuple(dict.fromkeys(self.groups)) if self.groups else self.names

    @classmethod
    def from_dict(cls, problem: Mapping[str, Any]) -> Problem:
        """From SALib's ``{"num_vars", "names", "bounds", "groups"}``."""
        names = tuple(problem["names"])
        if "num_vars" in problem and problem["num_vars"] != len(names):
            raise ParameterValueError(f"num_vars {problem['num_vars']} but {len(names)} names")
        groups = problem.get("groups")
        return cls(names, tuple((float(b[0]), float(b[1])) for b in problem["bounds"]),
                   tuple(groups) if groups is not None else None)

    def to_dict(self) -> dict[str, Any]:
        """SALib's problem dictionary."""
        out = {"num_vars": len(self.names), "names": list(self.names),
               "bounds": [list(b) for b in self.bounds]}
        if self.groups is not None:
            out["groups"] = list(self.groups)
        return out

    @property
    def lower(self) -> np.ndarray:
        return np.array([b[0] for b in self.bounds])

    @property
    def upper(self) -> np.ndarray:
        return np.array([b[1] for b in self.bounds])


#: the memory a study holds per member beyond its numbers (the member's status and message,
#: the arrays' temporaries), in bytes: a grid of 1e8 members over one input grew to 14.5 GB
#: (145 bytes a member) before this check
BYTES_PER_MEMBER = 128
#: the share of the machine's memory a study may plan to hold without ``force``
MEMORY_SHARE = 0.5


def machine_memory() -> int | None:
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _size(count: float) -> str:
    for unit, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return f"{count / 1e3:.3g} kB"


def check_size(members: int, per_member: float, what: str, force: bool = False) -> None:
    """Refuse, before any work, a study whose members would hold more than
    :data:`MEMORY_SHARE` of this machine's memory.

    Parameters
    ----------
    members : int
        The members the study would run.
    per_member : float
        The bytes it holds per member (its inputs, outputs and :data:`BYTES_PER_MEMBER`).
    what : str
        The study, for the message ("a grid", "a robustness study").
    force : bool
        Run it anyway (``--force``).
    """
    total = machine_memory()
    if force or total is None or members * per_member <= MEMORY_SHARE * total:
        return
    fits = int(MEMORY_SHARE * total // per_member)
    raise ParameterValueError(
        f"{what} of {members:,} members would hold about {_size(members * per_member)} in "
        f"memory, more than half of this machine's {_size(total)}: use at most about "
        f"{fits:,} members, or force=True (--force) to run it anyway")


def grid(problem: Problem, levels: int | Sequence[int], *, force: bool = False
         ) -> np.ndarray:
    """Full-factorial design, levels evenly spaced in the bounds.

    Parameters
    ----------
    problem : Problem
        The inputs.
    levels : int or sequence of int
        Levels per input (one number for all).
    force : bool
        Build it even if it would hold more than half of the machine's memory
        (:func:`check_size`).

    Returns
    -------
    ndarray
        The design, shape (prod(levels), d).
    """
    levels = [levels] * len(problem.names) if isinstance(levels, int) else list(levels)
    for name, k in zip(problem.names, levels, strict=False):
        at_least(k, 1, f"the grid's levels of {name!r}")
    # the design and the meshgrid's temporaries: three numbers per input and member
    check_size(math.prod(int(k) for k in levels), BYTES_PER_MEMBER + 24 * len(levels),
               "a grid", force)
    axes = [np.linspace(lo, hi, k) for (lo, hi), k in zip(problem.bounds, levels, strict=True)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


def latin_hypercube(problem: Problem, n: int, seed: int = 0, *, force: bool = False
                    ) -> np.ndarray:
    """Latin hypercube design (scipy.stats.qmc).

    Parameters
    ----------
    problem : Problem
        The inputs.
    n : int
        The number of points.
    seed : int
        The seed of the scrambling.
    force : bool
        Build it even if it would hold more than half of the machine's memory
        (:func:`check_size`).

    Returns
    -------
    ndarray
        The design, shape (n, d).
    """
    at_least(n, 1, "a Latin hypercube's number of points")
    check_size(n, BYTES_PER_MEMBER + 16 * len(problem.names), "a Latin hypercube", force)
    sample = qmc.LatinHypercube(len(problem.names), seed=seed).random(n)
    return qmc.scale(sample, problem.lower, problem.upper)


def sobol_design(problem: Problem, n: int, seed: int = 0, *, force: bool = False
                 ) -> np.ndarray:
    """Scrambled Sobol sequence (scipy.stats.qmc).

    Parameters
    ----------
    problem : Problem
        The inputs.
    n : int
        The number of points, a power of two.
    seed : int
        The seed of the scrambling.
    force : bool
        Build it even if it would hold more than half of the machine's memory
        (:func:`check_size`).

    Returns
    -------
    ndarray
        The design, shape (n, d).
    """
    at_least(n, 1, "a Sobol sequence's number of points")
    if n & (n - 1):
        raise ParameterValueError(f"a Sobol sequence needs a power of two points, got {n}")
    check_size(n, BYTES_PER_MEMBER + 16 * len(problem.names), "a Sobol sequence", force)
    sample = qmc.Sobol(len(problem.names), scramble=True, seed=seed).random_base2(
        int(np.log2(n)))
    return qmc.scale(sample, problem.lower, problem.upper)


def design_values(scenario: Scenario, problem: Problem, design: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """The scenario's parameters with the design's columns as a member axis.

    A per-state parameter named without a state takes the value for every state; with a
    state (``growth.Riser``) only that state's entry varies.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose values the design changes.
    problem : Problem
        The inputs (the design's columns).
    design : ndarray
        The design points (members, inputs).

    Returns
    -------
    dict
        Parameter values by registry name, those of the inputs with a leading member axis.
    """
    members = design.shape[0]
    states = scenario.states
    values: dict[str, np.ndarray] = {}
    for column, name in enumerate(problem.names):
        if name.startswith("events."):
            continue  # see design_interventions
        parsed = parse_name(name, scenario.states)
        base, state = parsed.base, parsed.state
        kind = REGISTRY[base].kind
        if kind == "pair":
            raise ParameterValueError(f"{name!r}: matrix parameters cannot be varied here")
        if kind == "scalar":
            values[base] = design[:, column].copy()
            continue
        if base not in values:
            values[base] = np.tile(scenario.parameter(base), (members, 1))
        if state:
            values[base][:, states.index(state)] = design[:, column]
        else:
            values[base][:] = design[:, column][:, None]
    return values


def design_interventions(scenario: Scenario, problem: Problem, design: np.ndarray
                         ) -> tuple[Intervention, ...]:
    """The scenario's interventions with the design's ``events.*`` columns as per-member dates
    and sizes (see :func:`dynamics.run.interventions.vary`).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs.
    design : ndarray
        The design points (members, inputs).

    Returns
    -------
    tuple of Intervention
        The interventions, with a member axis where the design varies them.
    """
    chosen = tuple(scenario.events)
    for column, name in enumerate(problem.names):
        if name.startswith("events."):
            chosen = vary(chosen, name, design[:, column])
    return chosen


def run_design(scenario: Scenario, problem: Problem, design: np.ndarray,
               **options: Any) -> EnsembleResult:
    """Integrate the scenario at every design point, as one ensemble.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    problem : Problem
        The inputs (the design's columns; ``events.*`` inputs date and size its
        interventions per member).
    design : ndarray
        The design points (members, inputs).
    **options
        Those of :func:`~dynamics.run.ensemble.simulate_ensemble` (``solver``, ``output``).

    Returns
    -------
    EnsembleResult
        One member per design point.
    """
    options.setdefault("interventions", design_interventions(scenario, problem, design))
    return run_values(scenario, design_values(scenario, problem, design), **options)


def run_values(scenario: Scenario, values: Mapping[str, np.ndarray],
                **options: Any) -> EnsembleResult:
    """The scenario with some parameters given per member, as one ensemble.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    values : mapping
        Parameter values by registry name, with a leading member axis.
    **options
        Those of :func:`~dynamics.run.ensemble.simulate_ensemble`; by default the scenario's
        output times, solver and interventions.

    Returns
    -------
    EnsembleResult
        The members.
    """
    model = scenario.model()
    options.setdefault("output", scenario.output)
    options.setdefault("solver", scenario.solver)
    options.setdefault("interventions", scenario.events)
    return simulate_ensemble(model, {**scenario.values(model), **values}, scenario.t_span,
                             initial=scenario.initial, **options)


def member_metrics(ensemble: EnsembleResult, function: Callable[[Result], Any]
                    ) -> np.ndarray:
    """A metric of every member of an ensemble.

    Parameters
    ----------
    ensemble : EnsembleResult
        The members.
    function : callable
        A function of one member's :class:`~dynamics.results.Result`.

    Returns
    -------
    ndarray
        Its values, (M,) or, for a metric per output time, (M, T).
    """
    return np.array([np.asarray(function(ensemble.member(i)), dtype=float)
                     for i in range(ensemble.members)])


Metric = str | Callable[[Result], float | np.ndarray]


def metric_function(metric: Metric) -> Callable[[Result], float | np.ndarray]:
    """The function a metric names.

    Parameters
    ----------
    metric : str or callable
        A name of :data:`~dynamics.analysis.metrics.METRICS`, or a function of a result.

    Returns
    -------
    callable
        The function of a result (the function itself where one is given).

    Raises
    ------
    UnknownNameError
        For an unknown name, with the closest one.
    """
    if isinstance(metric, str):
        if metric not in METRICS:
            raise UnknownNameError("metric", metric, METRICS)
        return METRICS[metric]  # type: ignore[return-value]
    return metric


def refuse_failures(status: Sequence[str], messages: Sequence[str]) -> None:
    """Stop where a member did not succeed: an index of a design with holes is undefined.

    Parameters
    ----------
    status : sequence of str
        Each member's status.
    messages : sequence of str
        Each member's message.

    Raises
    ------
    DynamicsError
        Naming how many members failed and the first one's message.
    """
    failed = [i for i, s in enumerate(status) if s != Status.SUCCESS.value]
    if failed:
        raise DynamicsError(f"{len(failed)} of {len(status)} members did not succeed "
                            f"(first: member {failed[0]}, {messages[failed[0]]}); "
                            "narrow the bounds")


@contextlib.contextmanager
def progress_bar(total: int, initial: int = 0, unit: str = "chunk",
                 shown: bool = True) -> Iterator[Callable[[], None]]:
    """A tqdm progress bar of ``total`` steps, closed on leaving (so that an error is
    printed on a line of its own); without tqdm (the ``[parallel]`` extra) or when not
    ``shown``, nothing is drawn.

    Parameters
    ----------
    total : int
        The steps.
    initial : int
        The steps already done (a resumed study).
    unit : str
        What a step is.
    shown : bool
        Whether to draw it.

    Yields
    ------
    callable
        Call it once per step done.
    """
    bar = None
    if shown:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            bar = None
        else:
            bar = tqdm(total=total, initial=initial, unit=unit)
    try:
        yield (lambda: bar.update(1)) if bar is not None else (lambda: None)
    finally:
        if bar is not None:
            bar.close()
