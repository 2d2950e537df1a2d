"""Scalar and time-resolved metrics of a run: the numbers that say what a scenario shows.

Every metric takes a :class:`~dynamics.results.Result` and returns plain numbers. Times
are in years; a threshold crossing is located by linear interpolation between output
times, so its resolution is the output spacing. The hegemony threshold defaults to the
run's own ``hegemony_share`` parameter (s*).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from dynamics.codegen.compile import numeric_function
from dynamics.errors import ShapeError
from dynamics.model import Model
from dynamics.model.parts import EPSILON, Derived
from dynamics.model.values import pack_inputs
from dynamics.results.labelled import Result
from dynamics.run.prepared import resolve_values

__all__ = ["Peak", "crossing", "peak_share", "first_hegemony", "unipolar_durability",
           "escalation_rate", "mean_burden", "burden_size_correlation", "mean_cohesion",
           "transition_time", "threshold_of", "along", "unipolar_end", "METRICS"]


@dataclass(frozen=True)
class Peak:
    """The largest power share a run reaches.

    Attributes
    ----------
    state : str
        The state that reaches it.
    share : float
        The share.
    time : float
        When (years).
    """
    state: str
    share: float
    time: float


def threshold_of(result: Result, threshold: float | None = None) -> float:
    """The hegemony threshold a metric uses.

    Parameters
    ----------
    result : Result
        A run.
    threshold : float, optional
        The threshold; None for the run's own hegemony share s* (0.5 where the run does not
        record one).

    Returns
    -------
    float
        The threshold.
    """
    if threshold is not None:
        return float(threshold)
    return float(result.provenance.get("parameters", {}).get("hegemony_share", 0.5))


def crossing(t: np.ndarray, x: np.ndarray, level: float, k: int) -> float:
    """The time at which ``x`` crosses ``level`` between samples ``k - 1`` and ``k``, by linear
    interpolation.

    Parameters
    ----------
    t : ndarray
        The times.
    x : ndarray
        The values at those times.
    level : float
        The level crossed.
    k : int
        The first sample past the crossing (0: the crossing is at the start).

    Returns
    -------
    float
        The time of the crossing.
    """
    if k == 0:
        return float(t[0])
    x0, x1 = x[k - 1], x[k]
    return float(t[k - 1] + (level - x0) * (t[k] - t[k - 1]) / (x1 - x0))


def peak_share(result: Result, state: str | None = None) -> Peak:
    """Largest power share reached and when.

    Parameters
    ----------
    result : Result
        A run.
    state : str, optional
        The state whose peak is wanted (default: the largest share of any state).

    Returns
    -------
    Peak
        The share, the time it is reached and the state.
    """
    shares = result.share
    if state is not None:
        i = result.state_index(state)
        k = int(np.argmax(shares[:, i]))
    else:
        k, i = (int(x) for x in np.unravel_index(int(np.argmax(shares)), shares.shape))
    return Peak(result.states[int(i)], float(shares[k, i]), float(result.t[k]))


def first_hegemony(result: Result, threshold: float | None = None) -> float | None:
    """First time any state's share exceeds the hegemony threshold s*.

    Parameters
    ----------
    result : Result
        A run.
    threshold : float, optional
        s* (default: the run's ``hegemony_share``).

    Returns
    -------
    float or None
        The time, or None if no state's share ever exceeds s*.
    """
    level = threshold_of(result, threshold)
    top = result.share.max(axis=1)
    above = np.flatnonzero(top > level)
    return None if above.size == 0 else crossing(result.t, top, level, int(above[0]))


def unipolar_durability(result: Result, threshold: float | None = None
                        ) -> tuple[float, bool]:
    """Length of the first unipolar spell (some state above s*) and whether it ended.

    Parameters
    ----------
    result : Result
        A run.
    threshold : float, optional
        s* (default: the run's ``hegemony_share``).

    Returns
    -------
    (float, bool)
        ``(duration, ended)``: if the spell lasts to the end of the run the duration is
        censored at the run's end and ``ended`` is False; with no spell, ``(0.0, True)``.
    """
    level = threshold_of(result, threshold)
    top = result.share.max(axis=1)
    above = top > level
    if not above.any():
        return 0.0, True
    start = int(np.argmax(above))
    t0 = crossing(result.t, top, level, start)
    below = np.flatnonzero(~above[start:])
    if below.size == 0:
        return float(result.t[-1] - t0), False
    end = start + int(below[0])
    return crossing(result.t, top, level, end) - t0, True


def escalation_rate(result: Result, start: float | None = None, end: float | None = None
                    ) -> float:
    """The average exponential growth rate of total spending, ln(M(end)/M(start))/(end - start).

    Parameters
    ----------
    result : Result
        A run.
    start, end : float, optional
        The window (years); the whole run by default.

    Returns
    -------
    float
        The rate, per year.
    """
    t = result.t
    total = result["m"].sum(axis=1)
    t0 = t[0] if start is None else start
    t1 = t[-1] if end is None else end
    m0, m1 = np.interp([t0, t1], t, total)
    return float(np.log(m1 / m0) / (t1 - t0))


def mean_burden(result: Result, start: float | None = None) -> dict[str, float]:
    """The time-mean burden m_i / e_i of each state.

    Parameters
    ----------
    result : Result
        A run.
    start : float, optional
        The first time averaged (years); the start of the run by default.

    Returns
    -------
    dict
        State -> its mean burden.
    """
    mask = result.t >= (result.t[0] if start is None else start)
    return dict(zip(result.states, result.burden[mask].mean(axis=0).tolist(), strict=True))


def burden_size_correlation(result: Result, members: Sequence[str],
                            start: float | None = None) -> float:
    """The Spearman rank correlation between output and burden among alliance ``members``.

    Positive: the larger members carry the larger burdens (Olson and Zeckhauser 1966). Both
    are time means over the run (from ``start``).

    Parameters
    ----------
    result : Result
        A run.
    members : sequence of str
        The allies.
    start : float, optional
        The first time averaged (years).

    Returns
    -------
    float
        The rank correlation, in [-1, 1].
    """
    index = [result.state_index(s) for s in members]
    mask = result.t >= (result.t[0] if start is None else start)
    size = result["e"][mask][:, index].mean(axis=0)
    burden = result.burden[mask][:, index].mean(axis=0)
    return float(spearmanr(size, burden).statistic)


def mean_cohesion(result: Result, members: Sequence[str] | None = None) -> np.ndarray:
    """The mean cohesion over the pairs of ``members``.

    Parameters
    ----------
    result : Result
        A run.
    members : sequence of str, optional
        The states (all by default).

    Returns
    -------
    ndarray
        The mean cohesion at each output time, (T,).
    """
    index = [result.state_index(s) for s in (members or result.states)]
    pairs = [(a, b) for k, a in enumerate(index) for b in index[k + 1:]]
    return np.mean([result["c"][:, a, b] for a, b in pairs], axis=0)


def transition_time(result: Result) -> tuple[float, str, str] | None:
    """First time the leader changes (a power transition).

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    (float, str, str) or None
        ``(time, old leader, new leader)``, or None if the leader never changes.
    """
    leader = result.leader
    changed = np.flatnonzero(leader != leader[0])
    if changed.size == 0:
        return None
    k = int(changed[0])
    old, new = result.states.index(leader[0]), result.states.index(leader[k])
    gap = result.share[:, new] - result.share[:, old]
    return crossing(result.t, gap, 0.0, k), str(leader[0]), str(leader[k])


def unipolar_end(result: Result, threshold: float | None = None) -> float:
    """Years from the start until the first unipolar spell ends (see
    :func:`unipolar_durability`).

    Parameters
    ----------
    result : Result
        A run.
    threshold : float, optional
        The hegemony share; the run's own s* by default.

    Returns
    -------
    float
        0 without a unipolar spell, inf where it outlasts the run.
    """
    level = threshold_of(result, threshold)
    top = result.share.max(axis=1)
    above = top > level
    if not above.any():
        return 0.0
    start = int(np.argmax(above))
    below = np.flatnonzero(~above[start:])
    if below.size == 0:
        return math.inf
    return crossing(result.t, top, level, start + int(below[0])) - float(result.t[0])


#: scalar metrics by name, for sweeps and the command line
METRICS = {
    "unipolar_end": unipolar_end,
    "peak_share": lambda r: peak_share(r).share,
    "first_hegemony": lambda r: first_hegemony(r) if first_hegemony(r) is not None else np.nan,
    "unipolar_durability": lambda r: unipolar_durability(r)[0],
    "escalation_rate": escalation_rate,
    "final_effective_poles": lambda r: float(r.effective_poles[-1]),
}


def along(model: Model, result: Result, quantity: Derived | str) -> np.ndarray:
    """A derived quantity of ``model`` evaluated along ``result`` (a run of that model), at its
    parameters as recorded in the result's provenance.

    For example ``along(model, res, "potential_threat")[k, i, j]`` is the threat that j's
    forces would pose to i at the k-th output time. Quantities the results do not keep (pair
    quantities, weakness, pull, ...) are computed from the model's own expressions.

    Parameters
    ----------
    model : Model
        The model the run is of.
    result : Result
        The run.
    quantity : Derived or str
        The quantity, or its name.

    Returns
    -------
    ndarray
        Its values, ``(T,)``, ``(T, N)`` or ``(T, N, N)`` by the quantity's indices.
    """
    if tuple(result.states) != model.states:
        raise ShapeError(f"the result's states {list(result.states)} are not the model's "
                         f"{list(model.states)}")
    if isinstance(quantity, str):
        quantity = model.derived(quantity)
    trajectories = {name: np.asarray(result.values[name], dtype=float)
                    for name in model.known_variables}
    values = resolve_values(model, result.provenance.get("parameters", {})).values
    y, p = pack_inputs(model, values, trajectories)  # the time axis as the leading axis
    function, shape = _evaluator(model, quantity)
    with np.errstate(all="ignore"):
        columns = [np.broadcast_to(np.asarray(c, dtype=float), (len(result.t),))
                   for c in function(*y.T, *p.T)]
    return np.stack(columns, axis=-1).reshape((len(result.t), *shape))


@functools.lru_cache(maxsize=32)
def _evaluator(model: Model, quantity: Derived):
    """One numpy function of (y, p) giving the quantity at every index, built once."""
    slots = ([s.symbol for s in model.variables], [s.symbol for s in model.parameters]
             + [s.symbol for s in model.held])
    known = {*slots[0], *slots[1]}
    positions = list(itertools.product(range(model.N), repeat=len(quantity.indices)))
    exprs = [model.expression(quantity, *index) for index in positions]
    missing = set().union(*(e.free_symbols for e in exprs)) - known - {EPSILON}
    if missing:
        raise ShapeError(f"{quantity.name} reads {sorted(map(str, missing))}, which this "
                         "model's equations do not use")
    return numeric_function([*slots[0], *slots[1]], exprs), (model.N,) * len(quantity.indices)
