"""Parameter values and initial states: defaults, shapes, validation and packing.

A value may be given as a scalar (every state), a sequence of length N, a mapping from
state name to value (the others keep their default) or, for the proximity matrix, an
N x N array with a zero diagonal. Any value may carry leading ensemble axes: shape
``(M,)`` for a scalar parameter, ``(M, N)`` per state (``(M, 1)``: one value per member,
shared by its states), ``(M, N, N)`` per pair. A 1-d per-state value is always one value
per state, never one per member.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from dynamics.errors import ParameterValueError, ShapeError, UnknownNameError
from dynamics.model.model import Model
from dynamics.model.parts import Variable
from dynamics.model.registry import REGISTRY, VARIABLES, owner

__all__ = ["resolve_parameters", "resolve_initial", "pack_inputs", "ensemble_shape",
           "trailing_dims"]

_TRAILING = {"scalar": 0, "state": 1, "pair": 2}


def _not_a_number(value: Any) -> bool:
    """A string or a boolean, alone or inside a sequence: numpy would read "0.15" and True
    as numbers, and a typo in a file would pass silently."""
    if isinstance(value, str | bool | np.bool_):
        return True
    if isinstance(value, list | tuple):
        return any(_not_a_number(v) for v in value)
    if not isinstance(value, np.ndarray):
        return False
    return value.dtype.kind in "bUS" or (value.dtype.kind == "O"
                                         and any(_not_a_number(v) for v in value.ravel()))


def _as_array(model: Model, name: str, value: Any, kind: str, what: str) -> Any:
    """Shape a user value to ``(*ensemble, *trailing)`` for a quantity of ``kind``."""
    if isinstance(value, Mapping):
        if kind != "state":
            raise ShapeError(f"{what}: a mapping by state name is accepted only for per-state "
                             f"quantities; give {name} as a number or an N x N array")
        unknown = [s for s in value if s not in model.states]
        if unknown:
            raise UnknownNameError("state", str(unknown[0]), model.states)
        for state, given in value.items():
            if _not_a_number(given):
                raise ParameterValueError(f"{what} of {state} must be a number, got {given!r} "
                                          f"({type(given).__name__}); write it without quotes")
        return value  # filled against the default by the caller
    if _not_a_number(value):
        raise ParameterValueError(f"{what} must be a number, got {value!r} "
                                  f"({type(value).__name__}); write it without quotes")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{what} must be numeric, got {value!r}") from None
    n, trailing = model.N, _TRAILING[kind]
    if kind == "state" and array.ndim == 0:
        array = np.full(n, float(array))
    if kind == "pair" and array.ndim == 0:
        array = np.full((n, n), float(array))
        np.fill_diagonal(array, 0.0)
    if kind == "state" and array.ndim >= 1 and array.shape[-1] == 1 and n > 1:
        array = np.broadcast_to(array, array.shape[:-1] + (n,))  # (M, 1): shared by states
    # at most one leading axis, the members' (a scalar of shape (members, 1) once ran as
    # members x members runs)
    if (array.ndim < trailing or array.ndim > trailing + 1
            or array.shape[array.ndim - trailing:] != (n,) * trailing):
        raise ShapeError(f"{what} has shape {array.shape}; expected "
                         f"{expected_shape(kind, n)}")
    return array


def resolve_parameters(model: Model, values: Mapping[str, Any] | None = None
                       ) -> dict[str, np.ndarray]:
    """Complete parameter values with defaults and validate every entry.

    Parameters
    ----------
    model : Model
        The model.
    values : mapping, optional
        Values by registry name (per state as a list or a mapping, per pair as a matrix;
        with a leading member axis for an ensemble).

    Returns
    -------
    dict
        Every registry name -> an array of shape ``(*ensemble, *kind)``.

    Raises
    ------
    UnknownNameError
        For a name not in the registry.
    ShapeError
        For a wrong shape.
    ParameterValueError
        For a NaN, infinite or out-of-bounds value, or a parameter that no equation of the
        model uses (its mechanism is off): a value that would silently do nothing.
    """
    values = dict(values or {})
    for name in values:
        if name not in REGISTRY:
            raise UnknownNameError("parameter", name, REGISTRY)
    for name in values:
        if name not in model.parameter_names:
            raise ParameterValueError(
                f"parameter {name!r} has no effect: its mechanism {owner(name)!r} is off in "
                f"{model!r}; switch the mechanism on or leave the value out")
    resolved = {}
    for name, spec in REGISTRY.items():
        default = _as_array(model, name, spec.default, spec.kind, f"parameter {name!r}")
        given = values.get(name)
        if given is None:
            array = default
        else:
            array = _as_array(model, name, given, spec.kind, f"parameter {name!r}")
            if isinstance(array, Mapping):
                array = _fill_by_state(model, default, array)
        if spec.kind == "pair":
            diagonal = np.diagonal(array, axis1=-2, axis2=-1)
            if np.any(diagonal != 0):
                raise ParameterValueError(f"parameter {name!r} must have a zero diagonal (a "
                                          f"state is not {spec.meaning.split(':')[0].lower()} "
                                          f"to itself); got diagonal {diagonal.tolist()}")
        _check_state_bounds(model, array, _TRAILING[spec.kind], spec.bounds, spec.unit,
                            f"parameter {name!r}")
        resolved[name] = array
    return resolved


def _fill_by_state(model: Model, default: np.ndarray, by_state: Mapping[str, Any]
                   ) -> np.ndarray:
    array = np.array(default, dtype=float)
    for state, value in by_state.items():
        array[..., model.state_index(state)] = value
    return array


def _check_state_bounds(model: Model, array: np.ndarray, trailing: int,
                        bounds: tuple[float, float], unit: str, what: str) -> None:
    """Finite and in bounds; the message names the state (or pair) and ensemble member."""
    low, high = bounds
    finite = np.isfinite(array)
    inside = finite & (array >= low) & (array <= high)
    if trailing == 2:
        inside |= np.eye(model.N, dtype=bool)  # the fixed diagonal is not a value
    if inside.all():
        return
    index = tuple(int(i) for i in np.argwhere(~inside)[0])
    value = float(array[index])
    lead, tail = index[: len(index) - trailing], index[len(index) - trailing:]
    where = ""
    if tail:
        where = " for " + ("state " + repr(model.states[tail[0]]) if len(tail) == 1 else
                           f"pair ({model.states[tail[0]]!r}, {model.states[tail[1]]!r})")
    if lead:
        where += f" in ensemble member {lead if len(lead) > 1 else lead[0]}"
    if not math.isfinite(value):
        raise ParameterValueError(f"{what}{where} is {value}; expected a finite number")
    show = lambda x: f"{x:g}" if math.isfinite(x) else ("-inf" if x < 0 else "inf")  # noqa: E731
    raise ParameterValueError(f"{what}{where} is {value:g}, outside its bounds "
                              f"[{show(low)}, {show(high)}] ({unit})")


def resolve_initial(model: Model, initial: Mapping[str, Any] | None = None
                    ) -> dict[str, np.ndarray]:
    """Initial values of every variable of the model, dynamic or held.

    A variable not given takes its default (:attr:`Variable.default`, which may depend on
    other variables: spending defaults to 3 % of output); one that starts from a derived
    quantity (perceived threat) is left out unless given, for the simulator to fill in. Pair
    variables (cohesion) are given as a symmetric N x N matrix. Every value is checked against
    the variable's domain in this model (spending may be negative only when the ceiling is
    off: Richardson's linear model).

    Parameters
    ----------
    model : Model
        The model.
    initial : mapping, optional
        Values by variable name.

    Returns
    -------
    dict
        Variable name -> its array.
    """
    initial = dict(initial or {})
    for name in initial:
        if name not in VARIABLES:
            raise UnknownNameError("variable", name, VARIABLES)
    wanted = dict(model.known_variables)
    wanted.update({name: VARIABLES[name] for name in initial})
    out: dict[str, np.ndarray] = {}

    def value(variable: Variable) -> np.ndarray:
        if variable.name not in out:
            out[variable.name] = _initial_value(model, variable, initial.get(variable.name),
                                                value)
        return out[variable.name]

    for variable in wanted.values():
        if variable.initial_from is None or variable.name in initial:
            value(variable)
    _check_scale(model, out)
    return out


#: currency values are resolved within this range around the run's scale (its largest
#: initial output): shares and burdens are ratios computed in double precision
SPREAD = 1e12
#: the run's scale itself must lie in [1 / LIMIT, LIMIT] (products of currency values,
#: squares in the Jacobian, must not overflow)
LIMIT = 1e100


def _check_scale(model: Model, start: Mapping[str, np.ndarray]) -> None:
    """Refuse initial currency values the arithmetic cannot resolve.

    The model is scale-free in its currency unit (every currency value may be multiplied
    by one factor without changing shares, burdens or times), so only two things matter:
    the run's scale, the largest initial output, must lie within 1e-100 and 1e100, and
    every output must lie within 12 orders of magnitude below it and every spending or
    perceived threat within 12 above it. Outside, a run would not end in useful time or
    would overflow; the error says which value and how to rescale.
    """
    if "e" not in start:
        return
    scale = np.max(np.abs(start["e"]), axis=-1)
    worst = float(np.max(scale)) if np.max(scale) > LIMIT else float(np.min(scale))
    if not (1 / LIMIT <= worst <= LIMIT):
        raise ParameterValueError(
            f"the largest initial output is {worst:g}; currency values must be of order "
            f"1 (between {1 / LIMIT:g} and {LIMIT:g}): divide every currency value "
            "(outputs, spending, capacity, constant grievance) by one factor")
    for name, array in start.items():
        variable = VARIABLES[name]
        if variable.unit != "[m]":
            continue
        ratio = np.abs(np.asarray(array, dtype=float)) / scale[..., None]
        low = name == "e"
        bad = ratio < 1 / SPREAD if low else ratio > SPREAD
        if np.any(bad):
            k = np.argwhere(bad)[0]
            state = model.states[int(k[-1])]
            value = float(np.asarray(array)[tuple(k)])
            raise ParameterValueError(
                f"initial {name}[{state}] = {value:g} is "
                f"{'below' if low else 'above'} {'1/' if low else ''}{SPREAD:g} times the "
                f"largest initial output ({float(scale[tuple(k[:-1])]):g}): the model "
                f"resolves currency values only within {SPREAD:g} of each other")


def _initial_value(model: Model, variable: Variable, given: Any, start) -> np.ndarray:
    """One variable's initial array: given (validated) or its default."""
    kind = "pair" if variable.pair else "state"
    name = variable.name

    def default() -> np.ndarray:
        fill = variable.default
        if callable(fill):
            return np.array(fill(start), dtype=float)
        return np.array(_as_array(model, name, fill, kind, name), dtype=float)

    if given is None:
        array = default()
    else:
        array = _as_array(model, name, given, kind, f"initial {name!r}")
        if isinstance(array, Mapping):
            array = _fill_by_state(model, default(), array)
    array = np.array(array, dtype=float)
    if variable.pair:
        off_diagonal = ~np.eye(model.N, dtype=bool)
        if given is not None and not np.all(np.isfinite(array[..., off_diagonal])):
            bad = float(array[..., off_diagonal][~np.isfinite(array[..., off_diagonal])][0])
            raise ParameterValueError(f"initial {name!r} ({variable.meaning}) is {bad}; "
                                      "expected a finite number in every pair")
        if given is not None and not np.array_equal(array, np.swapaxes(array, -1, -2)):
            raise ParameterValueError(f"initial {name!r} ({variable.meaning}) must be "
                                      f"symmetric: {name}[i, j] == {name}[j, i]")
        idx = np.arange(model.N)
        array[..., idx, idx] = 1.0
    low, high = model.domain(variable)
    if variable.open_low:
        low = float(np.nextafter(low, math.inf))
    _check_state_bounds(model, array, _TRAILING[kind], (low, high), variable.unit,
                        f"initial {name!r} ({variable.meaning})")
    return array


def ensemble_shape(*arrays_by_kind: tuple[np.ndarray, int]) -> tuple[int, ...]:
    """The broadcast shape of the leading axes of arrays with known trailing dimensions.

    Parameters
    ----------
    *arrays_by_kind : (ndarray, int)
        Each array and its number of trailing (state) dimensions.

    Returns
    -------
    tuple of int
        The ensemble's shape.
    """
    shapes = [a.shape[: a.ndim - trailing] for a, trailing in arrays_by_kind]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"ensemble axes do not broadcast: leading shapes {shapes}") from None


def expected_shape(kind: str, n: int) -> str:
    """The shapes a value of ``kind`` may have in a model of ``n`` states, in words."""
    return "a number or shape " + {"state": f"({n},) (one per state) or (members, {n})",
                                   "pair": f"({n}, {n}) or (members, {n}, {n})"
                                   }.get(kind, "(members,)")


def kind_of(name: str) -> str:
    """The kind of a parameter or variable: ``scalar``, ``state`` or ``pair``."""
    if name in REGISTRY:
        return REGISTRY[name].kind
    return "pair" if VARIABLES[name].pair else "state"


def trailing_dims(name: str) -> int:
    """The trailing (state) dimensions of a parameter or variable.

    Parameters
    ----------
    name : str
        Its name.

    Returns
    -------
    int
        0, 1 or 2.
    """
    return _TRAILING[kind_of(name)]


def pack_inputs(model: Model, params: Mapping[str, np.ndarray],
                initial: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Flat arrays in the order of the compiled functions.

    Parameters
    ----------
    model : Model
        The model.
    params : mapping
        Resolved parameter values.
    initial : mapping
        Resolved initial values (theta must already be there when perception is on).

    Returns
    -------
    (ndarray, ndarray)
        ``y0`` of shape ``(*ensemble, n_variables)`` and ``p`` of shape ``(*ensemble,
        n_inputs)``: the parameter slots, then the held variables.
    """
    def runs(pairs: list) -> list[tuple[Mapping[str, np.ndarray], str, list]]:
        """The slots in order, as runs of one name's slots from one source."""
        found: list[tuple[Mapping[str, np.ndarray], str, list]] = []
        for source, slot in pairs:
            if found and found[-1][0] is source and found[-1][1] == slot.name:
                found[-1][2].append(slot.index)
            else:
                found.append((source, slot.name, [slot.index]))
        return found

    def columns(pairs: list, shape: tuple[int, ...]) -> np.ndarray:
        """Each slot's values as a last axis: one name's slots taken at once."""
        blocks = []
        for source, name, indices in runs(pairs):
            at: tuple[Any, ...] = tuple(np.array(axis, dtype=np.intp)
                                        for axis in zip(*indices, strict=True))
            values = np.asarray(source[name])
            block = values[(Ellipsis, *at)] if at else values[..., None]
            blocks.append(np.broadcast_to(block, (*shape, len(indices))))
        if not blocks:
            return np.zeros((*shape, 0))
        return np.concatenate(blocks, axis=-1, dtype=float)

    inputs = [(params, s) for s in model.parameters] + [(initial, s) for s in model.held]
    variables = [(initial, s) for s in model.variables]
    shape = ensemble_shape(*[(source[name], trailing_dims(name))
                             for source, name, _ in runs(inputs + variables)])
    return columns(variables, shape), columns(inputs, shape)
