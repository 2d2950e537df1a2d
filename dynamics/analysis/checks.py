"""``check_mechanism``: the checks the project's tests run on every shipped mechanism, for a
researcher to run on their own (as scikit-learn's ``check_estimator`` does for estimators).

For a mechanism (an object, a known name or ``"module:attribute"``) it checks, in a model of
three states with the mechanism's prerequisites and in one with every shipped mechanism:

1. **Registration**: its name, parameters, symbols and variables clash with no other
   mechanism's, every unit is machine-readable and every source is a known reference.
2. **Units**: each of its terms carries the unit of the rate it adds to (the variable's
   unit per year), each modifier preserves the unit of what it modifies, each derived
   quantity has its declared unit, all computed from the registry's units
   (:mod:`dynamics.model.units`).
3. **Jacobian**: the symbolic derivative of each of its terms, and the compiled model's
   Jacobian, equal central differences at random admissible points.
4. **Switching off**: without the mechanism, the other mechanisms' equations are recovered
   exactly: built beside it, their terms are those of the model without it (unless it
   has a modifier or an override, which act on others' terms by design).
5. **Array code**: the array program of many states (:mod:`dynamics.codegen.arraycode`) gives the
   unrolled code's rate, Jacobian and reported quantities to ``ARRAY_TOLERANCE`` at random
   admissible points, so the mechanism runs the same at N = 3 and at N = 190.
6. **Invariants** under hypothesis: for random admissible parameters and initial states,
   every dynamic variable stays in its domain and the power shares sum to 1.

Each failure raises :class:`MechanismCheckError` naming the mechanism, the check and the
term. Checks 1 to 5 need only the core; check 6 needs hypothesis (the ``[test]`` extra).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import sympy as sp

from dynamics.codegen.compile import compile_model, numeric_function
from dynamics.errors import DynamicsError
from dynamics.model.contexts import Concrete
from dynamics.model.mechanisms import SHIPPED
from dynamics.model.model import Model, rate_of
from dynamics.model.parts import EPSILON, Mechanism
from dynamics.model.registry import REGISTRY, VARIABLES, MechanismSpec, resolve
from dynamics.model.units import (
    TIME,
    UnitError,
    dimension_of,
    parse_unit,
    same_dimension,
    show_dimension,
)
from dynamics.model.values import pack_inputs
from dynamics.results.labelled import Result
from dynamics.results.report import Report
from dynamics.run.prepared import resolve_values

__all__ = ["MechanismCheckError", "CheckReport", "check_mechanism", "check_units",
           "check_jacobian", "check_array", "check_switch_off", "check_invariants",
           "ARRAY_TOLERANCE"]

STATES = ("A", "B", "C")
#: relative tolerance of an analytic derivative against central differences
JACOBIAN_TOLERANCE = 1e-6


class MechanismCheckError(DynamicsError, AssertionError):
    """A mechanism failed one of the checks; the message names the check and the term."""


@dataclass
class CheckReport(Report):
    """What :func:`check_mechanism` checked: one line per check passed.

    Attributes
    ----------
    mechanism : str
        The mechanism's name.
    passed : list of str
        One line per check passed.
    """

    mechanism: str
    passed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"mechanism {self.mechanism!r}: " + "; ".join(self.passed)

    def as_dict(self) -> dict:
        return {"mechanism": self.mechanism, "passed": list(self.passed)}

    def rows(self) -> list[dict]:
        return [{"mechanism": self.mechanism, "check": line} for line in self.passed]


def _models(mechanism: Mechanism) -> list[Model]:
    """The mechanism with its prerequisites only, and with every shipped mechanism."""
    needed = [m for m in SHIPPED if m.name in _prerequisites(mechanism)]
    small = Model(STATES, [*needed, mechanism])
    full = Model(STATES, [*SHIPPED, mechanism])
    return [small] if small.mechanisms == full.mechanisms else [small, full]


def _prerequisites(mechanism: Mechanism) -> set[str]:
    """Names of everything the mechanism needs, transitively."""
    found: set[str] = set()
    pending = list(mechanism.requires)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += list(resolve(name).requires)
    return found


def _units(model: Model) -> dict[sp.Symbol, object]:
    """The dimension of every symbol of the model: variables, held values, parameters."""
    units = {slot.symbol: parse_unit(model.variable(slot.name).unit)
             for slot in [*model.variables, *model.held]}
    units.update({slot.symbol: parse_unit(REGISTRY[slot.name].unit)
                  for slot in model.parameters})
    return units


def _context(model: Model) -> Concrete:
    return model._ctx  # the model's own context: the same symbols as its equations


def _indices(model: Model, pair: bool) -> list[tuple[int, ...]]:
    return model._index_set(pair)


def check_units(mechanism: MechanismSpec) -> str:
    """Every term, modifier and derived quantity of the mechanism is dimensionally
    consistent (see the module docstring); raises :class:`MechanismCheckError`.

    Parameters
    ----------
    mechanism : str or Mechanism
        The mechanism (a shipped name, ``"module:attribute"`` or a Mechanism).

    Returns
    -------
    str
        What was checked, in one line.

    Raises
    ------
    MechanismCheckError
        Naming the term and the point that fail.
    """
    mechanism = resolve(mechanism)
    for model in _models(mechanism):
        ctx, units = _context(model), _units(model)
        # symbols the model does not use as inputs (a term of a held variable) get theirs
        for spec in REGISTRY.values():
            units.setdefault(sp.Symbol(spec.symbol, real=True), parse_unit(spec.unit))

        def unit_of(expr, what: str, model=model, units=units):
            return _dimension(mechanism, model, units, expr, what)

        for term in mechanism.terms:
            expected = parse_unit(term.variable.unit) / TIME
            for index in _indices(model, term.variable.pair):
                got = unit_of(term.build(ctx, *index), f"term {term.name!r}")
                if got is not None and not same_dimension(got, expected):
                    raise MechanismCheckError(
                        f"mechanism {mechanism.name!r}: term {term.name!r} of "
                        f"d{term.variable.name}/dt has unit {show_dimension(got)}, but the "
                        f"rate of {term.variable.name} is in {show_dimension(expected)}")
        for modifier in mechanism.modifiers:
            expected = parse_unit(modifier.variable.unit) / TIME
            probe = sp.Symbol("probe_of_modifier", real=True)
            units[probe] = expected
            for index in _indices(model, modifier.variable.pair):
                got = unit_of(modifier.apply(ctx, probe, *index), f"modifier {modifier.name!r}")
                if got is not None and not same_dimension(got, expected):
                    raise MechanismCheckError(
                        f"mechanism {mechanism.name!r}: modifier {modifier.name!r} turns a "
                        f"rate in {show_dimension(expected)} into {show_dimension(got)}")
        for quantity in mechanism.derived:
            expected = parse_unit(quantity.unit)
            index = (0, 1)[:len(quantity.indices)]
            got = unit_of(ctx.get(quantity, *index), f"derived quantity {quantity.name!r}")
            if got is not None and not same_dimension(got, expected):
                raise MechanismCheckError(
                    f"mechanism {mechanism.name!r}: derived quantity {quantity.name!r} has "
                    f"unit {show_dimension(got)}, declared {quantity.unit!r}")
    return "units consistent"


def _dimension(mechanism: Mechanism, model: Model, units: dict, expr: sp.Expr, what: str):
    """The dimension of one of the mechanism's expressions; a mismatch names ``what``."""
    free = frozenset({EPSILON})
    known = dict(units)
    for symbol in expr.free_symbols - set(known) - free:
        known[symbol] = _unit_of_symbol(model, symbol)
    try:
        return dimension_of(expr, known, free)
    except UnitError as error:
        raise MechanismCheckError(f"mechanism {mechanism.name!r}: {what} is not "
                                  f"dimensionally consistent: {error}") from None


def _unit_of_symbol(model: Model, symbol: sp.Symbol):
    """The unit of a symbol met in a term but not among the model's inputs (a variable
    that only a held variable's term reads)."""
    base = symbol.name.split("_")[0]
    for variable in [*model.known_variables.values(), *VARIABLES.values()]:
        if variable.symbol == base:
            return parse_unit(variable.unit)
    for spec in REGISTRY.values():
        if spec.symbol == base:
            return parse_unit(spec.unit)
    raise MechanismCheckError(f"no unit is known for the symbol {symbol}")


def _random_point(model: Model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Admissible inputs and a state inside the domain, away from the boundaries."""
    params = {}
    for name in model.parameter_names:
        spec = REGISTRY[name]
        low, high = spec.design_range
        low = low if math.isfinite(low) else -1.0
        high = high if math.isfinite(high) else low + 10.0
        width = high - low
        shape = {"scalar": (), "state": (model.N,), "pair": (model.N, model.N)}[spec.kind]
        value = rng.uniform(low + 0.1 * width, high - 0.1 * width, shape)
        if spec.kind == "pair":
            np.fill_diagonal(value, 0.0)
        params[name] = value
    e = rng.uniform(0.5, 3.0, model.N)
    if "capacity" in params:  # in currency units: relative to output
        params["capacity"] = e * rng.uniform(1.2, 3.0, model.N)
    if "grievance_level" in params:
        params["grievance_level"] = e * rng.uniform(-0.05, 0.1, model.N)
    if "ceiling" in params:
        params["ceiling"] = rng.uniform(0.2, 0.8, model.N)
    initial: dict[str, np.ndarray] = {"e": e}
    for name, variable in model.known_variables.items():
        if name == "e":
            continue
        low, high = model.domain(variable)
        if variable.pair:
            c = rng.uniform(0.1, 0.9, (model.N, model.N))
            initial[name] = (c + c.T) / 2
        elif math.isfinite(high) and math.isfinite(low):
            initial[name] = rng.uniform(low + 0.1 * (high - low), high - 0.1 * (high - low),
                                        model.N)
        else:
            initial[name] = rng.uniform(0.05, 0.3, model.N) * e
    return pack_inputs(model, *resolve_values(model, params, initial))


def _central(function: Callable[[np.ndarray], np.ndarray], y: np.ndarray) -> np.ndarray:
    columns = []
    for k in range(y.size):
        h = 1e-6 * max(abs(y[k]), 1e-3)
        up, down = y.copy(), y.copy()
        up[k] += h
        down[k] -= h
        columns.append((function(up) - function(down)) / (2 * h))
    return np.stack(columns, axis=-1)


def _close(analytic: np.ndarray, numeric: np.ndarray) -> bool:
    """Entrywise |a - n| <= tol (|n| + scale of the row): small entries are checked too."""
    scale = np.max(np.abs(numeric), axis=-1, keepdims=True) + 1e-12
    return bool(np.all(np.abs(analytic - numeric) <= JACOBIAN_TOLERANCE * (np.abs(numeric)
                                                                           + 1e-3 * scale)))


def _call(function: Callable, p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array(function(*y, *p), dtype=float)


def _rate_at(compiled, p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return compiled.rate(0.0, y, p)


def check_jacobian(mechanism: MechanismSpec, points: int = 5, seed: int = 0) -> str:
    """The derivative of each term (sympy) and the compiled Jacobian equal central
    differences at ``points`` random admissible points per model.

    Parameters
    ----------
    mechanism : str or Mechanism
        The mechanism (a shipped name, ``"module:attribute"`` or a Mechanism).
    points : int
        Random admissible points per model.
    seed : int
        The seed of the points.

    Returns
    -------
    str
        What was checked, in one line.

    Raises
    ------
    MechanismCheckError
        Naming the term and the point that fail.
    """
    mechanism = resolve(mechanism)
    rng = np.random.default_rng(seed)
    for model in _models(mechanism):
        ctx = _context(model)
        y_symbols = [s.symbol for s in model.variables]
        p_symbols = [s.symbol for s in [*model.parameters, *model.held]]
        samples = [_random_point(model, rng) for _ in range(points)]
        for term in mechanism.terms:
            if not model.is_dynamic(term.variable.name):
                continue
            for index in _indices(model, term.variable.pair):
                expr = term.build(ctx, *index)
                gradient = [expr.diff(s) for s in y_symbols]
                args = [*y_symbols, *p_symbols]
                value = numeric_function(args, expr)
                slope = numeric_function(args, gradient)
                for y, p in samples:
                    with np.errstate(all="ignore"):
                        analytic = np.array(slope(*y, *p), dtype=float)
                        numeric = _central(partial(_call, value, p), y)
                    if not _close(analytic, numeric):
                        k = int(np.argmax(np.abs(analytic - numeric)))
                        raise MechanismCheckError(
                            f"mechanism {mechanism.name!r}: the derivative of term "
                            f"{term.name!r} with respect to {y_symbols[k]} is "
                            f"{analytic[k]:.6g}, but central differences give "
                            f"{numeric[k]:.6g}")
        compiled = compile_model(model)
        for y, p in samples:
            with np.errstate(all="ignore"):
                analytic = compiled.jacobian(0.0, y, p)
                numeric = _central(partial(_rate_at, compiled, p), y)
            if not _close(analytic, numeric):
                row, column = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))),
                                               analytic.shape)
                raise MechanismCheckError(
                    f"mechanism {mechanism.name!r}: the compiled Jacobian entry "
                    f"d({model.labels[row]})/d({model.labels[column]}) is "
                    f"{analytic[row, column]:.6g}, central differences give "
                    f"{numeric[row, column]:.6g}")
    return f"Jacobian equals central differences at {points} points per model"


#: the largest difference allowed between the array and the unrolled code, relative to
#: the size of the row (rate or Jacobian) or of the quantity: rounding only
ARRAY_TOLERANCE = 1e-12


def _agree(array: np.ndarray, unrolled: np.ndarray) -> bool:
    scale = np.max(np.abs(unrolled), axis=-1, keepdims=True) + 1e-300
    return bool(np.all(np.abs(array - unrolled) <= ARRAY_TOLERANCE * scale))


def check_array(mechanism: MechanismSpec, points: int = 5, seed: int = 0) -> str:
    """The array code's rate, Jacobian and reported quantities equal the unrolled code's
    at ``points`` random admissible points per model (``ARRAY_TOLERANCE``).

    Parameters
    ----------
    mechanism : str or Mechanism
        The mechanism (a shipped name, ``"module:attribute"`` or a Mechanism).
    points : int
        Random admissible points per model.
    seed : int
        The seed of the points.

    Returns
    -------
    str
        What was checked, in one line.

    Raises
    ------
    MechanismCheckError
        Naming the term and the point that fail.
    """
    mechanism = resolve(mechanism)
    rng = np.random.default_rng(seed)
    for model in _models(mechanism):
        try:
            array = compile_model(model, "array")
        except ValueError as error:
            raise MechanismCheckError(f"mechanism {mechanism.name!r}: {error}") from None
        unrolled = compile_model(model, "unrolled")
        pairs = [("rate", array.rate, unrolled.rate),
                 ("Jacobian", array.jacobian, unrolled.jacobian),
                 *((name, array.outputs[name], unrolled.outputs[name])
                   for name in unrolled.outputs)]
        for _ in range(points):
            y, p = _random_point(model, rng)
            for what, fast, reference in pairs:
                with np.errstate(all="ignore"):
                    got, expected = fast(0.0, y, p), reference(0.0, y, p)
                if not _agree(got, expected):
                    raise MechanismCheckError(
                        f"mechanism {mechanism.name!r}: the array code's {what} differs "
                        f"from the unrolled code's by "
                        f"{np.max(np.abs(got - expected)):.3g} (largest entry "
                        f"{np.max(np.abs(expected)):.3g})")
    return f"array code equals unrolled code at {points} points per model"


def check_switch_off(mechanism: MechanismSpec) -> str:
    """Without the mechanism the other mechanisms' equations are recovered: built beside
    it, every other mechanism's terms (with their modifiers) equal those of the model
    without it, and every variable of that model is kept. A mechanism with a modifier or
    an override changes others' terms by design; for it only the variables are checked.

    Parameters
    ----------
    mechanism : str or Mechanism
        The mechanism (a shipped name, ``"module:attribute"`` or a Mechanism).

    Returns
    -------
    str
        What was checked, in one line.

    Raises
    ------
    MechanismCheckError
        Naming the term and the point that fail.
    """
    mechanism = resolve(mechanism)
    if mechanism.name == "richardson":
        return "switching off: not applicable (always on)"
    for model in _models(mechanism):
        others = [m for m in model.components if m is not mechanism]
        if any(mechanism.name in m.requires for m in others):
            continue  # others need it: they cannot be recovered without it
        without = Model(STATES, others)
        labels = {s.symbol for s in model.variables}
        missing = [s.label(STATES) for s in without.variables if s.symbol not in labels]
        if missing:
            raise MechanismCheckError(f"mechanism {mechanism.name!r} removes variables "
                                      f"{missing} of the other mechanisms")
        if mechanism.modifiers or mechanism.overrides:
            continue
        ctx = _context(model)
        for slot, base in zip(without.variables, without.rates, strict=True):
            rebuilt = rate_of(ctx, model.variable(slot.name), slot.index, others)
            difference = rebuilt - base
            if difference != 0 and sp.simplify(difference) != 0:
                raise MechanismCheckError(
                    f"mechanism {mechanism.name!r} changes d{slot.label(STATES)}/dt beyond "
                    f"its own terms: {sp.simplify(difference)}")
    return "switching off recovers the other mechanisms' equations"


def check_invariants(mechanism: MechanismSpec, examples: int = 20, seed: int = 0) -> str:
    """Under hypothesis: every dynamic variable stays in its domain (within the solver's
    tolerance) and the shares sum to 1, for random admissible values, 20 years.

    Parameters
    ----------
    mechanism : str or Mechanism
        The mechanism (a shipped name, ``"module:attribute"`` or a Mechanism).
    examples : int
        Hypothesis examples.
    seed : int
        The seed of the draws.

    Returns
    -------
    str
        What was checked, in one line.

    Raises
    ------
    MechanismCheckError
        Naming the term and the point that fail.
    """
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st
    except ImportError as error:  # pragma: no cover - the [test] extra brings it
        raise ImportError("check_invariants needs hypothesis: pip install "
                          "'balancing-dynamics[test]'") from error
    from dynamics.run.front import simulate
    from dynamics.run.solver import Solver

    mechanism = resolve(mechanism)
    model = _models(mechanism)[-1]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.integers(0, 2**32 - 1))
    def invariants(draw: int) -> None:
        rng = np.random.default_rng([seed, draw])
        y0, p = _random_point(model, rng)
        params, initial = _as_values(model, y0, p)
        result = simulate(model, params, (0.0, 20.0), initial=initial, output=41,
                          solver=Solver(rtol=1e-7, atol=1e-10))
        assert isinstance(result, Result)  # one member
        if result.status.value in ("left_domain", "failed"):
            raise MechanismCheckError(f"mechanism {mechanism.name!r}: a run from random "
                                      f"admissible values ended {result.status.value}: "
                                      f"{result.message}")
        for variable in model.dynamic:
            low, high = model.domain(variable)
            data = result.values[variable.name]
            size = max(1.0, float(np.max(np.abs(data))))
            if np.any(data < low - 1e-6 * size) or np.any(data > high + 1e-6 * size):
                raise MechanismCheckError(f"mechanism {mechanism.name!r}: {variable.name} "
                                          f"left its domain [{low:g}, {high:g}]")
        sums = result.share.sum(axis=1)
        if not np.allclose(sums, 1.0, rtol=0, atol=1e-12):
            raise MechanismCheckError(f"mechanism {mechanism.name!r}: shares sum to "
                                      f"{sums.min():.15g}..{sums.max():.15g}, not 1")

    invariants()
    return f"domain invariants hold in {examples} random runs"


def _as_values(model: Model, y0: np.ndarray, p: np.ndarray) -> tuple[dict, dict]:
    """Packed inputs back into parameter and initial values for :func:`simulate`."""
    params: dict[str, np.ndarray] = {}
    for k, slot in enumerate(model.parameters):
        spec = REGISTRY[slot.name]
        if spec.kind == "scalar":
            params[slot.name] = p[k]
            continue
        shape = (model.N,) if spec.kind == "state" else (model.N, model.N)
        params.setdefault(slot.name, np.zeros(shape))[slot.index] = p[k]
    initial: dict[str, np.ndarray] = {}
    sources = [(s, y0[k]) for k, s in enumerate(model.variables)]
    sources += [(s, p[len(model.parameters) + k]) for k, s in enumerate(model.held)]
    for slot, value in sources:
        variable = model.variable(slot.name)
        if variable.pair:
            array = initial.setdefault(slot.name, np.eye(model.N))
            array[slot.index] = array[slot.index[::-1]] = value
        else:
            initial.setdefault(slot.name, np.zeros(model.N))[slot.index] = value
    return params, initial


def check_mechanism(mechanism: MechanismSpec, *, invariants: bool = True,
                    examples: int = 20, seed: int = 0) -> CheckReport:
    """Run every check on ``mechanism`` (see the module docstring).

    Parameters
    ----------
    mechanism : str or Mechanism
        A known mechanism's name, ``"module:attribute"``, or the object itself.
    invariants : bool
        Also check the invariants (domain kept, shares summing to 1, ...) over random
        admissible parameters.
    examples : int
        The number of random parameter sets of the invariant checks.
    seed : int
        Their seed.

    Returns
    -------
    CheckReport
        What passed (a failed check raises, naming the mechanism and what failed).

    Examples
    --------
    >>> from dynamics.analysis.checks import check_mechanism
    >>> check_mechanism("coercion", invariants=False).passed[0]
    'registered without clashes'
    """
    resolved = resolve(mechanism)
    report = CheckReport(resolved.name, ["registered without clashes"])
    report.passed.append(check_units(resolved))
    report.passed.append(check_jacobian(resolved, seed=seed))
    report.passed.append(check_array(resolved, seed=seed))
    report.passed.append(check_switch_off(resolved))
    if invariants:
        report.passed.append(check_invariants(resolved, examples, seed))
    return report
