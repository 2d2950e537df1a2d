"""A prepared run: everything an engine needs, resolved once by the front door.

:func:`resolve_values` is the one place where values are resolved: the parameters
(defaults filled in, bounds and shapes checked, :func:`dynamics.model.values.resolve_parameters`)
and the initial values (:func:`~dynamics.model.values.resolve_initial`). Everything else
that needs values calls it: :func:`prepare` (which then fills in the variables that start
at a derived quantity from the compiled model, compiles the model on its path and packs
the start ``y0`` and inputs ``p``), and the checks that must not compile (a scenario file's
values, checked where they are read so that the error names the file and line; an
ensemble's members, when one of them is invalid). The :class:`PreparedRun` that
:func:`prepare` returns is handed down to the engines (one run by scipy, an ensemble by the
compiled kernel or by scipy member by member) and to analysis (equilibria, continuation),
which read its fields rather than resolving again.

The checks that come before any work, the same for every front door, live here too: the
arguments (:func:`check_arguments`), the time span and output times (:func:`time_grid`),
and whether the values carry a member axis (:func:`has_members`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from dynamics.codegen.compile import CompiledModel, compile_model
from dynamics.errors import ShapeError, TimeSpanError
from dynamics.model.model import Model
from dynamics.model.registry import REGISTRY, VARIABLES
from dynamics.model.values import (
    pack_inputs,
    resolve_initial,
    resolve_parameters,
    trailing_dims,
)

__all__ = ["Resolved", "resolve_values", "PreparedRun", "prepare", "check_arguments",
           "time_grid", "has_members", "has_member_axis", "members_of", "select"]


class Resolved(NamedTuple):
    """A model's values, resolved.

    Attributes
    ----------
    values : dict
        Every parameter's value by registry name, defaults filled in, with a leading
        member axis where members differ.
    start : dict
        The initial value of every dynamic variable given or with a default, by name;
        variables that start at a derived quantity are filled in by :func:`prepare`.
    """

    values: dict[str, Any]
    start: dict[str, Any]


def resolve_values(model: Model, params: Mapping[str, Any] | None = None,
                   initial: Mapping[str, Any] | None = None) -> Resolved:
    """Resolve parameter and initial values against a model: the one place that does.

    Parameters
    ----------
    model : Model
        The assembled model.
    params, initial : mapping, optional
        Parameter and initial values by name, with or without a leading member axis.

    Returns
    -------
    Resolved
        ``(values, start)``.

    Raises
    ------
    UnknownNameError, ParameterValueError, ShapeError
        For a misspelt name, a parameter whose mechanism is off, a value out of bounds or
        of the wrong shape, each naming the value.
    """
    return Resolved(resolve_parameters(model, params), resolve_initial(model, initial))


@dataclass(frozen=True)
class PreparedRun:
    """One run (or ensemble) prepared for an engine.

    Attributes
    ----------
    model : Model
        The assembled model.
    values : dict
        Every parameter's value by registry name, resolved (defaults filled in), with a
        leading member axis where members differ.
    start : dict
        Every dynamic variable's initial value by name, resolved, derived starts filled in.
    compiled : CompiledModel
        The model's numeric functions on the chosen path.
    y0, p : ndarray
        The packed start ``(..., n_variables)`` and inputs ``(..., n_inputs)``, with any
        leading member axis of the values.
    """

    model: Model
    values: dict[str, Any]
    start: dict[str, Any]
    compiled: CompiledModel
    y0: np.ndarray
    p: np.ndarray

    def __iter__(self) -> Iterator[Any]:
        """``compiled, values, start, y0, p``, as :func:`prepare` returned them before it
        returned a PreparedRun (deprecated: read the fields)."""
        warnings.warn("unpacking a PreparedRun is deprecated: read its fields (compiled, "
                      "values, start, y0, p)", DeprecationWarning, stacklevel=2)
        return iter((self.compiled, self.values, self.start, self.y0, self.p))


def prepare(model: Model, params: Mapping[str, Any] | None = None,
            initial: Mapping[str, Any] | None = None, code: str = "auto") -> PreparedRun:
    """Resolve the values, compile the model and pack its start and inputs.

    Parameters
    ----------
    model : Model
        The assembled model.
    params, initial : mapping, optional
        Parameter and initial values by name, with or without a leading member axis.
    code : str
        The compilation path (``"auto"``, ``"unrolled"`` or ``"array"``, see
        :func:`dynamics.codegen.compile.compile_model`).

    Returns
    -------
    PreparedRun
        The resolved values, the compiled model, and the packed ``y0`` and ``p`` (keeping
        any leading member axes of the values).
    """
    values, start = resolve_values(model, params, initial)
    compiled = compile_model(model, code)
    y0, p = _start_from_derived(model, compiled, values, start)
    return PreparedRun(model, values, start, compiled, y0, p)


def _start_from_derived(model: Model, compiled: CompiledModel, values, start
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Fill in variables that start at a derived quantity (perceived threat starts at the
    actual threat, perceived intentions at what observation shows: no initial
    misperception), and return the packed ``(y0, p)`` with them (packed once: the inputs
    of a large ensemble take a while to pack).

    One such quantity may read another such variable (the threat reads the perceived
    intentions): each pass evaluates them all with the values of the pass before (0 at
    first), and as many passes as there are of them settle every chain of dependence."""
    missing = [v for v in model.dynamic if v.initial_from is not None and v.name not in start]
    if not missing:
        return pack_inputs(model, values, start)
    trailing = lambda v: (model.N, model.N) if v.pair else (model.N,)  # noqa: E731
    y0, p = pack_inputs(model, values,
                        dict(start, **{v.name: np.zeros(trailing(v)) for v in missing}))
    key = {derived: name for name, derived in model.reported.items()}
    derived: dict[str, Any] = {}
    for _ in missing:
        derived = {variable.name: compiled.outputs[key[variable.initial_from]](0.0, y0, p)
                   for variable in missing if variable.initial_from is not None}
        for k, slot in enumerate(model.variables):
            if slot.name in derived:
                y0[..., k] = derived[slot.name][(Ellipsis, *slot.index)]
    start.update(derived)
    return y0, p


def check_arguments(model: Any, params: Any, initial: Any) -> None:
    """Refuse, in one line, a front door's model that is not a :class:`Model` and values that
    are not mappings of names (they gave an AttributeError or TypeError deep inside).

    Parameters
    ----------
    model : object
        What was given as the model.
    params, initial : object
        What was given as the values.

    Raises
    ------
    ShapeError
        Naming what was given.
    """
    if not isinstance(model, Model):
        hint = ("; a scenario by name runs as load_scenario(name).run()"
                if isinstance(model, str) else "")
        raise ShapeError(f"the model must be a Model, got {type(model).__name__} "
                         f"{model!r:.60}{hint}")
    for what, value in (("params", params), ("initial", initial)):
        if value is not None and not isinstance(value, Mapping):
            raise ShapeError(f"{what} must be a mapping of names to values (a dict), got "
                             f"{type(value).__name__} {value!r:.60}")


def time_grid(t_span: Sequence[float], output: int | Sequence[float] | None) -> tuple[
        float, float, np.ndarray | None]:
    """The start, end and output times of a run, checked.

    Parameters
    ----------
    t_span : (float, float)
        Start and end, in years.
    output : int, sequence of float or None
        A number of evenly spaced times, the times themselves, or None (the solver's own
        steps).

    Returns
    -------
    (float, float, ndarray or None)
        The start, the end and the output times.

    Raises
    ------
    TimeSpanError
        For a span that is not two finite numbers in order, or output times outside it.
    """
    try:
        t0, t1 = (float(x) for x in t_span)
    except (TypeError, ValueError):
        raise TimeSpanError(f"t_span must be two numbers (start, end), got {t_span!r}") from None
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise TimeSpanError(f"t_span must be finite, got ({t0}, {t1})")
    if t1 == t0:
        raise TimeSpanError(f"t_span is empty: start and end are both {t0}")
    if t1 < t0:
        raise TimeSpanError(f"t_span is inverted: end {t1} is before start {t0}")
    if output is None:
        return t0, t1, None
    if isinstance(output, int | np.integer):
        if output < 2:
            raise TimeSpanError(f"output must ask for at least 2 times, got {output}")
        return t0, t1, np.linspace(t0, t1, int(output))
    times = np.asarray(output, dtype=float)
    if times.ndim != 1 or times.size == 0:
        raise TimeSpanError(f"output times must be a non-empty 1-d sequence, got shape "
                            f"{times.shape}")
    if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise TimeSpanError("output times must be finite and strictly increasing")
    if times[0] < t0 or times[-1] > t1:
        raise TimeSpanError(f"output times {times[0]:g}..{times[-1]:g} leave t_span "
                            f"({t0:g}, {t1:g})")
    return t0, t1, times


def has_member_axis(name: str, value: Any, members: int | None = None) -> bool:
    """Whether a value of a parameter or variable carries a leading member axis.

    Parameters
    ----------
    name : str
        The parameter's or variable's name.
    value : object
        Its value.
    members : int, optional
        The number of members the axis must have.

    Returns
    -------
    bool
        True where it does.
    """
    if isinstance(value, Mapping):
        return False
    array = np.asarray(value)
    return array.ndim > trailing_dims(name) and (members is None or
                                                array.shape[0] == members)


def has_members(params: Mapping[str, Any] | None, initial: Mapping[str, Any] | None
                ) -> bool:
    """Whether any value (of a known parameter or variable) carries a member axis.

    Parameters
    ----------
    params, initial : mapping or None
        The values.

    Returns
    -------
    bool
        True for an ensemble.
    """
    values = {**(params or {}), **(initial or {})}
    return any(has_member_axis(name, value) for name, value in values.items()
               if name in REGISTRY or name in VARIABLES)


def members_of(values: Mapping[str, Any]) -> int:
    """The number of members from the leading axes of the values.

    Parameters
    ----------
    values : mapping
        Values by name.

    Returns
    -------
    int
        M (1 where no value has a member axis).

    Raises
    ------
    ShapeError
        Where the values disagree on M.
    """
    sizes = {np.shape(v)[0] for k, v in values.items() if has_member_axis(k, v)}
    if len(sizes) > 1:
        raise ShapeError(f"values disagree on the number of members: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def select(values: Mapping[str, Any], rows: Any, members: int) -> dict[str, Any]:
    """Some members of every value with a member axis.

    Parameters
    ----------
    values : mapping
        Values by name.
    rows : int or array_like
        The members (an index or an index array).
    members : int
        The number of members.

    Returns
    -------
    dict
        The values, those with a member axis cut to ``rows``.
    """
    return {k: (np.asarray(v, dtype=float)[rows] if has_member_axis(k, v, members) else v)
            for k, v in values.items()}
