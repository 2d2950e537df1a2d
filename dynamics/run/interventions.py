"""Interventions: dated and triggered changes to a run's parameters or state.

An :class:`Intervention` changes a run at a date (``at``) or when a condition on the
state turns true (``when``). It sets or scales parameters (for every state, one state or
one pair: ``reaction``, ``reaction.USA``, ``proximity.USA.CHN``) or state variables (an
alliance formed: ``c.USA.GBR``; spending cut by half: ``m.RUS``), or a held variable
(output without the economy). A parameter change is a step that lasts, or, with
``ramp``, a linear change over that many years. Scenario files write interventions as
``[[events]]`` tables (:mod:`dynamics.scenarios.loader`)::

    Intervention("NATO", at=1949, set={"c.USA.GBR": 0.8, "c.USA.FRN": 0.8})
    Intervention("arms control", at=1972, scale={"reaction.USA": 0.5}, ramp=5)
    Intervention("alarm", when="share.Riser > share.West", set={"reaction.West": 0.2})

A condition reads ``LHS > RHS`` or ``LHS < RHS``; each side is a number, a quantity at
given states (a variable ``m.USA``, ``c.USA.GBR``; a reported quantity ``share.Riser``,
``threat.USA``; any derived quantity of the model, ``burden.DEU``) or a number times a
quantity (``2 * m.B``). A triggered intervention fires when its condition turns true (a
crossing: not when it holds already at the start), at the time found by root finding on
the solver's dense output; with ``repeat`` it fires again each time the condition turns
true after having been false.

:func:`plan` compiles interventions for one model into slot-level arrays, with a leading
member axis where a date or a size varies across the members of an ensemble (an
uncertain input of a study). The segment-by-segment scipy integration
(:func:`dynamics.run.solver.integrate_plan`) and the compiled kernel
(:mod:`dynamics.run.kernel.build`) execute the same plan: integration stops at each change
and restarts from the changed state, so nothing is smoothed across a discontinuity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from dynamics.codegen.compile import scalar_source
from dynamics.errors import DynamicsError, ShapeError, UnknownNameError
from dynamics.model.model import Model
from dynamics.model.names import parse_name
from dynamics.model.parts import EPSILON
from dynamics.model.registry import REGISTRY, VARIABLES

__all__ = ["Intervention", "InterventionError", "Plan", "plan", "FIELDS", "vary",
           "MAX_FIRED", "parse_event", "settle"]

#: the keys of an intervention (a scenario file's ``[[events]]`` table)
FIELDS = ("name", "at", "when", "set", "scale", "ramp", "repeat")
#: the most interventions one run may fire (a repeating condition that chatters fails)
MAX_FIRED = 10_000
SET, SCALE = 0, 1
#: where a changed slot lives: the dynamic variables y or the inputs p
IN_Y, IN_P = 0, 1


class InterventionError(DynamicsError, ValueError):
    """An intervention that cannot run; ``key`` is its field at fault (``at``, ``set`` ...),
    which a scenario file maps to its line."""

    def __init__(self, message: str, key: str | None = None):
        self.key = key
        super().__init__(message)


Value = float | np.ndarray


@dataclass(frozen=True)
class Intervention:
    """A change to a run at a date or when a condition turns true (module docstring).

    Attributes
    ----------
    name : what it is called in results, plots and study inputs (``NATO``).
    at : the date (years, inside the run's span); or None for a triggered one. An array
        gives each member of an ensemble its own date.
    when : the condition of a triggered intervention (``"share.A > share.B"``).
    set : target -> new value (``{"c.USA.GBR": 0.8}``); arrays give per-member values.
    scale : target -> factor (``{"reaction": 0.5}``).
    ramp : years over which parameter changes take full effect (0: at once).
    repeat : a triggered intervention fires each time its condition turns true.
    """

    name: str = ""
    at: Value | None = None
    when: str | None = None
    set: Mapping[str, Value] = field(default_factory=dict)
    scale: Mapping[str, Value] = field(default_factory=dict)
    ramp: Value = 0.0
    repeat: bool = False

    def __post_init__(self) -> None:
        label = self.label
        if (self.at is None) == (self.when is None):
            raise InterventionError(f"{label}: give a date (at) or a condition (when), "
                                    "exactly one", "at" if self.at is None else "when")
        if self.when is not None and not isinstance(self.when, str):
            raise InterventionError(f"{label}: when must be a condition such as "
                                    f"'share.A > share.B', got {self.when!r}", "when")
        if not self.set and not self.scale:
            raise InterventionError(f"{label}: nothing to change; give set = {{...}} or "
                                    "scale = {...}", "set")
        both = sorted(set(self.set) & set(self.scale))
        if both:
            raise InterventionError(f"{label}: {both[0]!r} is both set and scaled", "scale")
        if self.repeat and self.when is None:
            raise InterventionError(f"{label}: only a triggered intervention (when) can "
                                    "repeat", "repeat")
        for key, value in (("at", self.at), ("ramp", self.ramp)):
            if value is not None and not _finite(value):
                raise InterventionError(f"{label}: {key} must be a finite number of years, "
                                        f"got {value!r}", key)
        if np.any(np.asarray(self.ramp, dtype=float) < 0):
            raise InterventionError(f"{label}: ramp must be 0 or more years, got "
                                    f"{self.ramp!r}", "ramp")
        for kind, changes in (("set", self.set), ("scale", self.scale)):
            for target, value in changes.items():
                if not _finite(value):
                    raise InterventionError(f"{label}: {kind} {target} must be a finite "
                                            f"number, got {value!r}", kind)
                if kind == "scale" and np.any(np.asarray(value, dtype=float) < 0):
                    raise InterventionError(f"{label}: scale {target} must be a factor of "
                                            f"0 or more, got {value!r}", "scale")

    @property
    def label(self) -> str:
        return f"intervention {self.name!r}" if self.name else "an intervention"

    @property
    def triggered(self) -> bool:
        return self.when is not None

    def describe(self) -> str:
        """One line: when it happens and what it changes."""
        moment = f"at {_show(self.at)}" if self.at is not None else f"when {self.when}"
        changes = [f"{t} = {_show(v)}" for t, v in self.set.items()]
        changes += [f"{t} x {_show(v)}" for t, v in self.scale.items()]
        ramp = f" over {_show(self.ramp)} yr" if np.any(np.asarray(self.ramp) > 0) else ""
        again = " (every time)" if self.repeat else ""
        return f"{self.name or 'intervention'} {moment}{again}: {', '.join(changes)}{ramp}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        out.update({"at": _plain(self.at)} if self.at is not None else {"when": self.when})
        if self.set:
            out["set"] = {k: _plain(v) for k, v in self.set.items()}
        if self.scale:
            out["scale"] = {k: _plain(v) for k, v in self.scale.items()}
        if np.any(np.asarray(self.ramp) > 0):
            out["ramp"] = _plain(self.ramp)
        if self.repeat:
            out["repeat"] = True
        return out


def _finite(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return array.ndim <= 1 and array.size > 0 and bool(np.all(np.isfinite(array)))


def _show(value: Any) -> str:
    return f"{float(value):g}" if np.ndim(value) == 0 else "(per member)"


def _plain(value: Any) -> Any:
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float).tolist()


def vary(interventions: Sequence[Intervention], name: str, values: np.ndarray
         ) -> tuple[Intervention, ...]:
    """The interventions with one field given per member, named as a study's input.

    Parameters
    ----------
    interventions : sequence of Intervention
        The interventions.
    name : str
        ``events.NATO.at``, ``events.NATO.ramp``, ``events.NATO.set.c.USA.GBR`` or
        ``events.NATO.scale.reaction``.
    values : ndarray
        The field's value per member.

    Returns
    -------
    tuple of Intervention
        The interventions; an unknown intervention or field raises naming it.
    """
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "events":
        raise InterventionError(f"{name!r}: an intervention input reads events.NAME.at, "
                                "events.NAME.ramp or events.NAME.set.TARGET (or scale)")
    found = {i.name: i for i in interventions}
    if parts[1] not in found:
        raise UnknownNameError("intervention", parts[1], found)
    chosen, key = found[parts[1]], parts[2]
    values = np.asarray(values, dtype=float)
    if key in ("at", "ramp") and len(parts) == 3:
        if key == "at" and chosen.at is None:
            raise InterventionError(f"{name!r}: {chosen.label} is triggered; it has no date")
        changed = Intervention(**{**_fields(chosen), key: values})
    elif key in ("set", "scale") and len(parts) > 3:
        target = ".".join(parts[3:])
        table = dict(getattr(chosen, key))
        if target not in table:
            raise UnknownNameError(f"{key} target of {chosen.label}", target, table)
        table[target] = values
        changed = Intervention(**{**_fields(chosen), key: table})
    else:
        raise InterventionError(f"{name!r}: the field of an intervention input is at, ramp, "
                                "set.TARGET or scale.TARGET")
    return tuple(changed if i is chosen else i for i in interventions)


def _fields(intervention: Intervention) -> dict[str, Any]:
    return {name: getattr(intervention, name) for name in FIELDS}


# --- conditions ------------------------------------------------------------------------

_OPERATOR = re.compile(r"(<=|>=|<|>)")
_SIDE = re.compile(r"^(?:(?P<coefficient>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*\s*)?"
                   r"(?P<quantity>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9]*)*)$")
#: ranges of reported quantities, for refusing a condition that can never turn true
_RANGES = {"share": (0.0, 1.0), "burden": (0.0, math.inf)}


def _condition(model: Model, text: str, label: str) -> sp.Expr:
    """g(y, p) that crosses 0 upward when the condition turns true."""
    pieces = _OPERATOR.split(text)
    if len(pieces) != 3:
        raise InterventionError(f"{label}: condition {text!r} must compare two sides with "
                                "one of < or >, e.g. 'share.A > share.B'", "when")
    left, operator, right = pieces
    try:
        (lhs, lhs_range), (rhs, rhs_range) = (_side(model, left, label, text),
                                              _side(model, right, label, text))
    except InterventionError:
        raise
    except DynamicsError as error:  # an unknown quantity or state
        raise InterventionError(f"{label}: condition {text!r}: {error}", "when") from None
    g = lhs - rhs if operator.startswith(">") else rhs - lhs
    high = (lhs_range[1] - rhs_range[0]) if operator.startswith(">") else (
        rhs_range[1] - lhs_range[0])
    constant = sp.expand(g).is_number
    if constant or high <= 0:
        why = "it is a constant" if constant else "its sides' ranges never meet"
        raise InterventionError(f"{label}: condition {text!r} can never turn true ({why})",
                                "when")
    return g


def _side(model: Model, text: str, label: str, condition: str
          ) -> tuple[sp.Expr, tuple[float, float]]:
    text = text.strip()
    try:
        value = float(text)
        return sp.Float(value), (value, value)
    except ValueError:
        pass
    match = _SIDE.match(text)
    if not match:
        raise InterventionError(f"{label}: {text!r} in condition {condition!r} is neither a "
                                "number nor a quantity such as share.A or 2 * m.B", "when")
    coefficient = float(match.group("coefficient") or 1.0)
    expr, (low, high) = _quantity(model, match.group("quantity"), label)
    bounds = sorted((coefficient * low, coefficient * high)) if coefficient else [0.0, 0.0]
    return coefficient * expr, (bounds[0], bounds[1])


def _quantity(model: Model, text: str, label: str) -> tuple[sp.Expr, tuple[float, float]]:
    base, *states = text.split(".")
    for state in states:
        if state not in model.states:
            raise UnknownNameError("state", state, model.states)
    index = tuple(model.state_index(s) for s in states)
    derived = {d.name: d for m in model.components for d in m.derived}
    if base in model.reported:
        _need(len(index), 1, text, label)
        return (model.expression(model.reported[base], index[0]),
                _RANGES.get(base, (-math.inf, math.inf)))
    if base in model.known_variables:
        variable = model.known_variables[base]
        _need(len(index), 2 if variable.pair else 1, text, label)
        return model.symbol(base, *states), model.domain(variable)
    if base in derived:
        quantity = derived[base]
        _need(len(index), len(quantity.indices), text, label)
        return model.expression(quantity, *index), _RANGES.get(base, (-math.inf, math.inf))
    raise UnknownNameError("quantity", base, [*model.reported, *model.known_variables,
                                              *derived])


def _need(given: int, needed: int, text: str, label: str) -> None:
    if given != needed:
        raise InterventionError(f"{label}: {text!r} needs {needed} state name(s) in a "
                                f"condition, got {given}", "when")


# --- targets ---------------------------------------------------------------------------

def _targets(model: Model, target: str, label: str) -> tuple[int, list[int], tuple[float,
                                                                                     float]]:
    """Where ``target`` lives (IN_Y or IN_P), its slot positions and its admissible range."""
    try:
        name = parse_name(target, model.states, allow=("parameter", "variable"))
    except DynamicsError as error:
        raise InterventionError(f"{label}: {error}", "set") from None
    index = tuple(model.state_index(s) for s in name.states)
    if name.kind == "parameter":
        if name.base not in model.parameter_names:
            raise InterventionError(f"{label}: parameter {name.base!r} is not in the equations "
                                    f"of this model (mechanisms: "
                                    f"{', '.join(sorted(model.mechanisms))})", "set")
        slots = [k for k, s in enumerate(model.parameters)
                 if s.name == name.base and s.index[:len(index)] == index]
        if not slots:
            raise InterventionError(f"{label}: {target!r} names no entry of the parameter "
                                    "(a pair parameter's diagonal is 0)", "set")
        return IN_P, slots, REGISTRY[name.base].bounds
    variable = VARIABLES[name.base]

    def matches(slot_index: tuple[int, ...]) -> bool:
        if variable.pair and len(index) == 1:
            return index[0] in slot_index
        return tuple(sorted(index)) == slot_index[:len(index)] if variable.pair else (
            slot_index[:len(index)] == index)

    if model.is_dynamic(name.base):
        slots = [k for k, s in enumerate(model.variables)
                 if s.name == name.base and matches(s.index)]
        return IN_Y, slots, model.domain(variable)
    held = [k for k, s in enumerate(model.held) if s.name == name.base and matches(s.index)]
    if not held:
        raise InterventionError(f"{label}: variable {name.base!r} is not in this model "
                                f"(mechanisms: {', '.join(sorted(model.mechanisms))})", "set")
    return IN_P, [len(model.parameters) + k for k in held], model.domain(variable)


# --- the plan --------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """Interventions compiled for one model: dated ones first, then triggered ones.

    Per-member arrays have a leading axis of members (1 when nothing varies).

    Attributes
    ----------
    interventions : tuple of Intervention
        The interventions, dated first.
    dated : int
        How many are dated.
    times : ndarray
        The dates (M, D).
    ramps : ndarray
        The ramps' lengths (M, E).
    repeat : ndarray
        Whether each triggered one repeats.
    row_event, row_target, row_slot, row_mode : ndarray
        For each of the R changes: which intervention, the target (IN_Y or IN_P), the slot
        and the mode (SET or SCALE).
    values : ndarray
        The changes' values (M, R).
    conditions : str
        The source of ``conditions(y, p, out)``, writing each triggered one's g (it fires
        when g crosses 0 upward).
    widths : tuple
        Per intervention, the member counts of its per-member fields.
    problems : mapping
        Member -> why its own date or value is inadmissible (it fails alone).
    """

    interventions: tuple[Intervention, ...]
    dated: int
    times: np.ndarray
    ramps: np.ndarray
    repeat: np.ndarray
    row_event: np.ndarray
    row_target: np.ndarray
    row_slot: np.ndarray
    row_mode: np.ndarray
    values: np.ndarray
    conditions: str
    #: per intervention, the number of slots each of its targets changes
    widths: tuple[tuple[int, ...], ...] = ()
    #: members whose own date or value is inadmissible, with why (an ensemble runs the
    #: others); a plan of one member raises instead
    problems: Mapping[int, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.interventions)

    @property
    def members(self) -> int:
        return self.values.shape[0]

    @property
    def triggered(self) -> int:
        return self.size - self.dated

    @property
    def changes_inputs(self) -> bool:
        """Whether any intervention changes a parameter or held variable."""
        return bool(np.any(self.row_target == IN_P))

    def member(self, i: int) -> Plan:
        """Member ``i``'s own plan (one member)."""
        def pick(array: np.ndarray) -> np.ndarray:
            return array[i:i + 1] if array.shape[0] > 1 else array
        return Plan(self.interventions, self.dated, pick(self.times), pick(self.ramps),
                    self.repeat, self.row_event, self.row_target, self.row_slot,
                    self.row_mode, pick(self.values), self.conditions, self.widths)

    def select(self, rows: np.ndarray) -> Plan:
        """The plan of the members ``rows`` (an index array), in that order."""
        def pick(array: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(array[rows]) if array.shape[0] > 1 else array
        return Plan(self.interventions, self.dated, pick(self.times), pick(self.ramps),
                    self.repeat, self.row_event, self.row_target, self.row_slot,
                    self.row_mode, pick(self.values), self.conditions, self.widths)

    def condition_function(self):
        """``conditions(y, p, out)`` as a numpy function of one member."""
        namespace: dict = {"numpy": np}
        exec(compile(self.conditions, "<dynamics conditions>", "exec"), namespace)  # noqa: S102
        return namespace["conditions"]

    def apply(self, event: int, member: int, y: np.ndarray, p_ref: np.ndarray,
              ramp: dict[int, tuple[float, float, float]], t: float) -> None:
        """Apply intervention ``event`` of ``member`` at ``t`` in place; a parameter change
        with a ramp records ``ramp[slot] = (target, slope, end)`` instead."""
        m = member if self.values.shape[0] > 1 else 0
        duration = float(self.ramps[m if self.ramps.shape[0] > 1 else 0, event])
        for r in np.flatnonzero(self.row_event == event):
            slot, value = int(self.row_slot[r]), float(self.values[m, r])
            if self.row_target[r] == IN_Y:
                y[slot] = value if self.row_mode[r] == SET else y[slot] * value
                continue
            new = value if self.row_mode[r] == SET else p_ref[slot] * value
            if duration > 0:
                ramp[slot] = (new, (new - p_ref[slot]) / duration, t + duration)
            else:
                p_ref[slot] = new
                ramp.pop(slot, None)

    def inputs_along(self, p0: np.ndarray, fired: Sequence[tuple[float, int]],
                     times: np.ndarray, member: int = 0) -> np.ndarray:
        """The inputs (T, n_inputs) at output ``times`` (increasing) of a run that started
        from ``p0`` and fired ``fired`` ((time, intervention) in order): the replay of its
        changes, right-continuous at each change, ramps linear."""
        out = np.empty((times.size, p0.size))
        p_ref = np.array(p0, dtype=float)
        ramp: dict[int, tuple[float, float, float]] = {}
        t_ref, k = -math.inf, 0
        y_dummy = np.zeros(int(self.row_slot.max(initial=0)) + 1)
        for when, event in [*fired, (math.inf, -1)]:
            j = int(np.searchsorted(times, when, side="left"))  # outputs before the change
            block = times[k:j]
            out[k:j] = p_ref
            for slot, (target, slope, end) in ramp.items():
                out[k:j, slot] = np.where(block >= end, target,
                                          p_ref[slot] + slope * (block - t_ref))
            k = j
            if event < 0:
                break
            settle(p_ref, ramp, when, t_ref)
            t_ref = when
            self.apply(event, member, y_dummy, p_ref, ramp, t_ref)
        return out

    def text(self, event: int, member: int = 0) -> str:
        """What intervention ``event`` changed in ``member`` (its own values)."""
        chosen = self.interventions[event]
        m = member if self.values.shape[0] > 1 else 0
        rows = np.flatnonzero(self.row_event == event)
        parts, r = [], 0
        for target, width in zip([*chosen.set, *chosen.scale], self.widths[event],
                                 strict=True):
            mode = "=" if target in chosen.set else "x"
            parts.append(f"{target} {mode} {float(self.values[m, rows[r]]):g}")
            r += width
        return ", ".join(parts)


def settle(p_ref: np.ndarray, ramp: dict[int, tuple[float, float, float]], t: float,
           t_ref: float) -> None:
    """Fold the ramps into the reference inputs at time ``t`` (ramps that have ended are
    dropped), in place.

    Parameters
    ----------
    p_ref : ndarray
        The inputs at ``t_ref``, changed in place.
    ramp : dict
        Slot -> (target, slope, end) of each running ramp.
    t : float
        The time.
    t_ref : float
        The time ``p_ref`` is of.
    """
    for slot in list(ramp):
        target, slope, end = ramp[slot]
        if t >= end:
            p_ref[slot] = target
            del ramp[slot]
        else:
            p_ref[slot] += slope * (t - t_ref)


def _inert(intervention: Intervention) -> bool:
    """Whether it changes nothing (it only scales by exactly 1): it is left out of the plan,
    so that a null intervention gives the baseline exactly, not a restarted copy of it."""
    return not intervention.set and all(np.all(np.asarray(v, dtype=float) == 1.0)
                                        for v in intervention.scale.values())


def parse_event(text: str) -> Intervention:
    """An intervention from one line (the command line's ``--event``)::

        NAME@WHEN:CHANGE,CHANGE[/RAMP][!]

    WHEN is a date or a condition (``share.A>share.B``); each CHANGE is ``target=value``
    (set) or ``target*factor`` (scale); ``/RAMP`` spreads parameter changes over RAMP years;
    a trailing ``!`` makes a triggered one repeat. For example ``NATO@1949:c.USA.GBR=0.8`` or
    ``alarm@share.A>0.4:reaction.B*2``.

    Parameters
    ----------
    text : str
        The line.

    Returns
    -------
    Intervention
        The intervention.
    """
    shape = "NAME@WHEN:target=value,target*factor[/RAMP]"
    name, at, rest = text.partition("@")
    when, colon, changes = rest.rpartition(":")
    if not at or not colon or not when.strip() or not changes.strip():
        raise InterventionError(f"--event expects {shape}, got {text!r}")
    repeat = changes.endswith("!")
    changes, slash, ramp = changes.rstrip("!").partition("/")
    setting: dict[str, float] = {}
    scaling: dict[str, float] = {}
    for change in changes.split(","):
        target, sign, value = (change.partition("=") if "=" in change
                               else change.partition("*"))
        try:
            number = float(value)
        except ValueError:
            raise InterventionError(f"--event {text!r}: {change!r} must read target=value "
                                    "or target*factor") from None
        (setting if sign == "=" else scaling)[target.strip()] = number
    try:
        date: float | None = float(when)
        condition = None
    except ValueError:
        date, condition = None, when.strip()
    try:
        duration = float(ramp) if slash else 0.0
    except ValueError:
        raise InterventionError(f"--event {text!r}: the ramp {ramp!r} is not a number of "
                                "years") from None
    return Intervention(name.strip(), at=date, when=condition, set=setting, scale=scaling,
                        ramp=duration, repeat=repeat)


def _members(interventions: Sequence[Intervention]) -> int:
    sizes = set()
    for chosen in interventions:
        for value in (chosen.at, chosen.ramp, *chosen.set.values(), *chosen.scale.values()):
            if value is not None and np.ndim(value) == 1:
                sizes.add(np.size(value))
    if len(sizes) > 1:
        raise ShapeError(f"interventions disagree on the number of members: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def plan(model: Model, interventions: Sequence[Intervention],
         t_span: Sequence[float]) -> Plan:
    """Compile interventions for a model over a span.

    Parameters
    ----------
    model : Model
        The model.
    interventions : sequence of Intervention
        The interventions.
    t_span : (float, float)
        The run's span.

    Returns
    -------
    Plan
        The compiled interventions.

    Raises
    ------
    InterventionError
        Naming the intervention and its field for an unknown parameter, variable or state,
        a value outside the target's domain, a date outside the span, or a malformed
        condition or one that can never turn true.
    """
    if isinstance(interventions, Intervention | Mapping | str) or not isinstance(
            interventions, Iterable):
        raise InterventionError(f"interventions must be a list of Intervention, got "
                                f"{type(interventions).__name__} {interventions!r:.60}; "
                                "write [intervention] for one")
    interventions = tuple(interventions)
    for item in interventions:
        if not isinstance(item, Intervention):
            raise InterventionError(f"interventions must be a list of Intervention, got an "
                                    f"item {item!r:.60} ({type(item).__name__})")
    names = [i.name for i in interventions if i.name]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InterventionError(f"intervention {duplicated[0]!r} is named twice", "name")
    live = [i for i in interventions if not _inert(i)]
    ordered = ([i for i in live if not i.triggered] + [i for i in live if i.triggered])
    members = _members(ordered)
    t0, t1 = (float(x) for x in t_span)
    problems: dict[int, str] = {}

    def refuse(bad: np.ndarray, values: np.ndarray, message: str, key: str) -> None:
        """Raise for one member; record each bad member of an ensemble."""
        if not np.any(bad):
            return
        if members == 1 or np.ndim(values) == 0:
            raise InterventionError(message.format(float(np.ravel(values)[np.argmax(
                np.ravel(bad))])), key)
        for i in np.flatnonzero(bad):
            problems.setdefault(int(i), message.format(float(values[i])))

    rows: list[tuple[int, int, int, int, np.ndarray]] = []
    conditions = []
    all_widths: list[tuple[int, ...]] = []
    for number, chosen in enumerate(ordered):
        label = chosen.label
        if chosen.at is not None:
            at = np.asarray(chosen.at, dtype=float)
            refuse((at < t0) | (at >= t1), at, f"{label}: date {{:g}} is outside the span "
                   f"[{t0:.10g}, {t1:.10g}) of the run", "at")
        else:
            assert chosen.when is not None
            conditions.append(_condition(model, chosen.when, label))
        widths = []
        for mode, changes in ((SET, chosen.set), (SCALE, chosen.scale)):
            for target, value in changes.items():
                where, slots, (low, high) = _targets(model, target, label)
                key = "set" if mode == SET else "scale"
                if where == IN_Y and np.any(np.asarray(chosen.ramp) > 0):
                    raise InterventionError(f"{label}: {target} is a state variable; only "
                                            "parameter changes can ramp", "ramp")
                value = np.asarray(value, dtype=float)
                if mode == SET:
                    refuse((value < low) | (value > high), value, f"{label}: {key} {target} "
                           f"= {{:g}} is outside its domain [{low:g}, {high:g}]", key)
                widths.append(len(slots))
                rows += [(number, where, slot, mode, value) for slot in slots]
        all_widths.append(tuple(widths))
    used = set().union(*(g.free_symbols for g in conditions)) - {EPSILON}
    known = {s.symbol for s in [*model.variables, *model.parameters, *model.held]}
    if used - known:
        raise InterventionError(f"a condition reads {sorted(map(str, used - known))[0]}, "
                                "which this model's equations do not", "when")
    dated = sum(1 for i in ordered if not i.triggered)
    times = np.column_stack([np.broadcast_to(np.asarray(i.at, dtype=float), (members,))
                             for i in ordered[:dated]]) if dated else np.zeros((members, 0))
    ramps = np.column_stack([np.broadcast_to(np.asarray(i.ramp, dtype=float), (members,))
                             for i in ordered]) if ordered else np.zeros((members, 0))
    values = np.column_stack([np.broadcast_to(v, (members,)) for *_, v in rows]) if rows \
        else np.zeros((members, 0))
    column = lambda k: np.array([r[k] for r in rows], dtype=np.int64)  # noqa: E731
    return Plan(tuple(ordered), dated, np.ascontiguousarray(times),
                np.ascontiguousarray(ramps),
                np.array([int(i.repeat) for i in ordered], dtype=np.int64), column(0),
                column(1), column(2), column(3), np.ascontiguousarray(values),
                scalar_source(model, "conditions", conditions), tuple(all_widths), problems)
