"""The sympy printers of the code generator: one per target, each working on the
expression tree.

- :class:`NumpyPrinter`: unrolled numpy code over any leading (ensemble) axes; max, min
  and the step broadcast.
- :class:`ScalarPrinter`: code for one member that numba compiles and Python runs as it
  is (the kernel's rate, its Jacobian-vector product, the conditions of triggered
  interventions).
- :class:`LanesPrinter`: the scalar code of members side by side in the lanes of one
  loop that the compiler vectorises; a power whose exponent is not a number is a call of
  :func:`dynamics.run.kernel.maths.power`.
- :class:`ArrayPrinter`: one body of the array program (:mod:`dynamics.codegen.arraycode`):
  sums as reductions over axes, [x]+ and |x| branching on the real part for the
  complex-step derivative.

Every printer names the model's symbols from a mapping given to it (the slots ``y<k>``
and ``p<k>``, or an array's local names) rather than by substituting names into the
expressions: rebuilding the expressions re-runs sympy's evaluation of every Max, which
took minutes for ten states. The guard epsilon is printed as its value.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from dynamics.model.contexts import Total
from dynamics.model.parts import EPSILON, GUARD

__all__ = ["NumpyPrinter", "ScalarPrinter", "LanesPrinter", "ArrayPrinter"]

_SETTINGS = {"fully_qualified_modules": True, "inline": True}


class NumpyPrinter(NumPyPrinter):
    """Numpy code whose max, min and step broadcast over ensemble axes; a symbol is
    printed by its name in ``names`` (its own name where it has none there).

    Parameters
    ----------
    names : mapping, optional
        Symbol -> the name printed.
    """

    def __init__(self, names: Mapping[sp.Symbol, str] | None = None):
        super().__init__(_SETTINGS)
        self.names = {**(names or {}), EPSILON: repr(GUARD)}

    def _print_Symbol(self, expr):
        return self.names.get(expr, expr.name)

    def _print_Max(self, expr):
        args = [self._print(a) for a in expr.args]
        return functools.reduce(lambda a, b: f"numpy.maximum({a}, {b})", args)

    def _print_Min(self, expr):
        args = [self._print(a) for a in expr.args]
        return functools.reduce(lambda a, b: f"numpy.minimum({a}, {b})", args)

    def _print_Heaviside(self, expr):
        # The derivative of [x]+ at x = 0 is taken from the right (H(0) = 1): the side on
        # which the quantity grows from zero, as the drive to arm at a disarmed
        # equilibrium does. With H(0) = 1/2 the linearisation there would be halved.
        return f"numpy.heaviside({self._print(expr.args[0])}, 1.0)"


class ScalarPrinter(NumpyPrinter):
    """Code for one member that numba compiles and Python runs as it is.

    numba has no ``numpy.heaviside``, so the step is the comparison times one, ``((x) >=
    0) * 1.0`` (1 at 0, as :class:`NumpyPrinter`; 0 where x is NaN). A conditional
    expression gives the same values but is a branch in numba's intermediate code, whose
    SSA pass grows as the branches times the variables (the 10-state model's
    Jacobian-vector product compiled four times more slowly with them). A max or min
    against a constant, ``[x]+`` above all, is the builtin ``max(x, c)``: numba's scalar
    ``numpy.maximum`` cost a quarter of the 10-state rate, and conditional expressions,
    as fast, made the compilation of the 20-state rate impractical (docs/performance.md
    has the measurements). With
    the expression first, the builtin returns NaN where it is NaN (in Python and in
    numba), as ``numpy.maximum`` does, so that the kernel's checks still see it; the
    constant is never NaN. Between expressions it stays ``numpy.maximum``.

    Parameters
    ----------
    names : mapping, optional
        Symbol -> the name printed.
    """

    def _print_Heaviside(self, expr):
        return f"((({self._print(expr.args[0])}) >= 0) * 1.0)"

    def _extremum(self, expr, builtin: str):
        others = [self._print(a) for a in expr.args if not a.is_number]
        text = functools.reduce(lambda a, b: f"numpy.{builtin}imum({a}, {b})", others)
        for constant in (a for a in expr.args if a.is_number):
            text = f"{builtin}({text}, {float(constant)!r})"
        return text

    def _print_Max(self, expr):
        return self._extremum(expr, "max")

    def _print_Min(self, expr):
        return self._extremum(expr, "min")


class LanesPrinter(ScalarPrinter):
    """The scalar code of one lane of members side by side.

    A power whose exponent is not a number is ``power(base, exponent)``
    (:mod:`dynamics.run.kernel.maths`: arithmetic that vectorises, where ``**`` is a call
    of the C library's ``pow`` one lane at a time), or the base alone where the exponent
    is one of the symbols in ``unit`` (an input equal to 1 in every member of a run: x^1
    is x exactly). A power of a number stays, as LLVM turns it into products or a
    division.

    Parameters
    ----------
    names : mapping, optional
        Symbol -> the name printed.
    unit : frozenset of sympy.Symbol
        The exponents whose powers are printed as their bases.
    hoisted : mapping, optional
        Subexpression -> the text that reads its value, computed beforehand (a member
        constant: :meth:`dynamics.codegen.program.Program.lanes`).
    """

    def __init__(self, names: Mapping[sp.Symbol, str] | None = None,
                 unit: frozenset[sp.Symbol] = frozenset(),
                 hoisted: Mapping[sp.Expr, str] | None = None):
        super().__init__(names)
        self.unit = unit
        self.hoisted = dict(hoisted or {})

    def _print(self, expr, **kwargs):
        # a member constant computed once is read where its subtree stood
        text = self.hoisted.get(expr) if self.hoisted else None
        return text if text is not None else super()._print(expr, **kwargs)

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if exponent.is_number:
            return super()._print_Pow(expr, rational)
        if exponent in self.unit:
            return f"({self._print(base)})"
        return f"power({self._print(base)}, {self._print(exponent)})"


class ArrayPrinter(NumPyPrinter):
    """One body of the array program: leaves by their local ``names``, a sum over a
    state as a reduction over its axis among ``size`` local axes (``positions``: axis
    -> local position), [x]+ and |x| branching on the real part (or passing through,
    ``relaxed``, for the sparsity pattern).

    Parameters
    ----------
    names : dict
        Symbol -> local name.
    positions : dict
        Array axis -> local position.
    size : int
        The number of local axes.
    relaxed : bool
        Pass max and absolute value's arguments through.
    """

    def __init__(self, names: dict[sp.Symbol, str], positions: dict[int, int], size: int,
                 relaxed: bool):
        super().__init__(_SETTINGS)
        self.names, self.positions, self.size, self.relaxed = names, positions, size, relaxed

    def _print_Symbol(self, expr):
        if expr == EPSILON:
            return repr(GUARD)
        return self.names[expr]

    def _print_Max(self, expr):
        args = [self._print(a) for a in expr.args]
        if self.relaxed:
            return "(" + " + ".join(args) + ")"
        text = args[0]
        for other in args[1:]:
            text = f"_max({text}, {other})"
        return text

    def _print_Abs(self, expr):
        inner = self._print(expr.args[0])
        return f"({inner})" if self.relaxed else f"_abs({inner})"

    def _print_Function(self, expr):
        if isinstance(expr, Total):
            axis = self.positions[int(expr.args[1])]
            return f"_total({self._print(expr.args[0])}, {axis}, {self.size}, N)"
        return super()._print_Function(expr)
