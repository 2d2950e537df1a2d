"""Machine-readable units and the dimensional analysis of model expressions.

Units are written as in the registry: ``1`` (dimensionless), ``yr``, ``1/yr``, ``[m]`` (one
currency unit per year: military spending and economic output are flows, so ``[m]`` is
currency per year), and products and quotients of these (``[m]/yr``, ``yr^-1``, ``[m]*yr``).
They are parsed into :class:`sympy.physics.units.Dimension` objects over two base
dimensions, time and currency, and compared in that dimension system.

:func:`dimension_of` infers the dimension of a sympy expression from the dimensions of its
symbols: the operands of a sum, a ``Max`` or a ``Min`` must agree, a product multiplies,
a power with a symbolic exponent needs a dimensionless base and exponent, and functions
such as ``exp`` need dimensionless arguments. Zero and the numerical guard epsilon take
the dimension of whatever they stand beside. A mismatch raises :class:`UnitError`
naming the two operands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp
from sympy.physics.units import Dimension
from sympy.physics.units.dimensions import DimensionSystem

__all__ = ["TIME", "CURRENCY", "DIMENSIONLESS", "UnitError", "parse_unit", "dimension_of",
           "same_dimension", "show_dimension"]

TIME = Dimension("time")
CURRENCY = Dimension("currency")
DIMENSIONLESS = Dimension(1)
_SYSTEM = DimensionSystem([TIME, CURRENCY])

#: the registry's unit words and their dimensions
_WORDS = {"1": DIMENSIONLESS, "yr": TIME, "[m]": CURRENCY / TIME}
_TOKEN = re.compile(r"\s*(\[m\]|yr|1)(?:\^(-?\d+))?\s*")


class UnitError(ValueError):
    """Operands of different dimensions added, compared or passed to a function."""


def parse_unit(text: str) -> Dimension:
    """The dimension of a unit written as in the registry.

    Parameters
    ----------
    text : str
        ``1/yr``, ``[m]``, ``yr``, ``1``.

    Returns
    -------
    Dimension
        Its dimension.
    """
    dimension = DIMENSIONLESS
    for k, part in enumerate(text.split("/")):
        for factor in part.split("*"):
            match = _TOKEN.fullmatch(factor)
            if match is None:
                raise UnitError(f"unit {text!r}: cannot read {factor.strip()!r}; write "
                                "units from 1, yr and [m] with *, / and ^")
            power = int(match.group(2) or 1) * (-1 if k else 1)
            dimension = dimension * _WORDS[match.group(1)] ** power
    return dimension


def same_dimension(a: Dimension, b: Dimension) -> bool:
    """Whether two dimensions are the same.

    Parameters
    ----------
    a, b : Dimension
        The dimensions.

    Returns
    -------
    bool
        True where they are.
    """
    return _SYSTEM.get_dimensional_dependencies(a) == _SYSTEM.get_dimensional_dependencies(b)


def show_dimension(dimension: Dimension | None) -> str:
    """A dimension in the registry's words.

    Parameters
    ----------
    dimension : Dimension or None
        The dimension.

    Returns
    -------
    str
        E.g. ``[m]/yr`` (``any`` for a free zero).
    """
    if dimension is None:
        return "any"
    powers = _SYSTEM.get_dimensional_dependencies(dimension)
    currency = int(powers.get(CURRENCY, 0))
    time = int(powers.get(TIME, 0)) + currency  # [m] carries 1/yr
    parts = [f"[m]^{currency}" if currency not in (0, 1) else "[m]" if currency else ""]
    if time:
        parts.append("yr" if time == 1 else f"yr^{time}")
    text = "*".join(p for p in parts if p)
    return text or "1"


def _is_dimensionless(dimension: Dimension | None) -> bool:
    return dimension is None or same_dimension(dimension, DIMENSIONLESS)


def dimension_of(expr: sp.Expr, units: Mapping[sp.Symbol, Dimension],
                 free: frozenset[sp.Symbol] = frozenset()) -> Dimension | None:
    """The dimension of an expression.

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    units : mapping
        Every symbol's dimension.
    free : frozenset
        Symbols (numerical guards) that take the dimension of their context.

    Returns
    -------
    Dimension or None
        Its dimension; None where it is free (a zero, a guard).

    Raises
    ------
    UnitError
        On a mismatch (a sum of different dimensions, a function of a dimensioned argument).
    KeyError
        For a symbol without a unit.
    """
    if expr in free:
        return None
    if isinstance(expr, sp.Symbol):
        return units[expr]
    if expr.is_number:
        return None if expr == 0 else DIMENSIONLESS
    if isinstance(expr, sp.Add | sp.Max | sp.Min):
        return _common([dimension_of(a, units, free) for a in expr.args], expr)
    if isinstance(expr, sp.Mul):
        dimension = DIMENSIONLESS
        for arg in expr.args:
            part = dimension_of(arg, units, free)
            if part is None:  # a zero or a guard factor: the product is free too
                return None
            dimension = dimension * part
        return dimension
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        base_dimension = dimension_of(base, units, free)
        if exponent.is_number:
            return None if base_dimension is None else base_dimension ** exponent
        if not _is_dimensionless(dimension_of(exponent, units, free)):
            raise UnitError(f"the exponent of {expr} has a dimension")
        if not _is_dimensionless(base_dimension):
            raise UnitError(f"{base} is raised to a symbolic power but has dimension "
                            f"{show_dimension(base_dimension)}")
        return DIMENSIONLESS
    if isinstance(expr, sp.Abs | sp.sign) or expr.func.__name__ == "Heaviside":
        inner = dimension_of(expr.args[0], units, free)
        return inner if isinstance(expr, sp.Abs) else DIMENSIONLESS
    if isinstance(expr, sp.Function):
        for arg in expr.args:
            if not _is_dimensionless(dimension_of(arg, units, free)):
                raise UnitError(f"the argument of {expr.func.__name__} in {expr} has a "
                                "dimension")
        return DIMENSIONLESS
    raise UnitError(f"cannot infer the dimension of {expr!r}")


def _common(dimensions: list[Dimension | None], expr: sp.Expr) -> Dimension | None:
    known = [(d, a) for d, a in zip(dimensions, expr.args, strict=True) if d is not None]
    if not known:
        return None
    first, first_arg = known[0]
    for other, arg in known[1:]:
        if not same_dimension(first, other):
            raise UnitError(f"{first_arg} ({show_dimension(first)}) and {arg} "
                            f"({show_dimension(other)}) are combined in "
                            f"{type(expr).__name__.lower()} but differ in dimension")
    return first
