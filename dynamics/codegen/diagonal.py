"""The diagonal of the rate's Jacobian, symbolically, over the model's arrays.

For a variable x laid along axes A (a state's, or a pair's), ``diagonal_rates(model)`` gives
d(dx_A/dt)/dx_A as an expression of the :class:`~dynamics.model.contexts.Array` context,
which the loop printer (:func:`dynamics.codegen.loopcode.loop_source`) prints as it prints
the rate: each derived quantity read at other axes than the variable's own is a symbol
(its array, computed once), and its derivative is its body's, read at those axes, by the
chain rule.

A leaf of x read inside a sum at the summed axis (x_k in sum_k g(x_i, x_k)) is another
symbol than x_A, so the sum's derivative is taken twice: over every k as if k never met A,
and then, for each of A's axes a, the term k = a differentiated as what it is (x_a is x_A)
less what the first took for it. The result is the Jacobian's diagonal exactly, as the
array program computes the rate (its conventions on a pair's diagonal included; a kink's
derivative taken as the printer's Heaviside takes it): tests/test_diagonal.py checks it
against the array program's whole Jacobian. The stiffness of many states is mostly in this
diagonal (the cohesion of a pair decays at a rate that grows with the common threat, a sum
over every third state), and it costs two to three evaluations of the rate, where the whole
Jacobian costs one per variable (docs/performance.md).

A pair variable is symmetric: read at (j, i) it is the same variable as at (i, j), and is
differentiated as such.
"""

from __future__ import annotations

import sympy as sp

from dynamics.codegen.loopcode import loop_source
from dynamics.model.contexts import Total
from dynamics.model.parts import Derived, Variable

__all__ = ["diagonal_rates", "diagonal_source"]


def diagonal_source(model, parallel: bool = False) -> str:
    """The source of ``diagonal_into(y, p, out)``: the diagonal of the rate's Jacobian for
    one member, printed as loops (:func:`~dynamics.codegen.loopcode.loop_source`).

    Parameters
    ----------
    model : Model
        The model.
    parallel : bool
        The outer loops of its nests of three loops in numba's threads.

    Returns
    -------
    str
        The source.
    """
    return loop_source(model, "diagonal_into", parallel, diagonal_rates(model))


def diagonal_rates(model) -> dict[Variable, tuple[tuple[int, ...], sp.Expr]]:
    """d(dx/dt)/dx for each dynamic variable x, over its own axes (module docstring).

    Parameters
    ----------
    model : Model
        The model (its array context and array rates).

    Returns
    -------
    dict
        Variable -> (its axes, the derivative as an array-context expression).
    """
    ctx = model.array_context
    found = {}
    for variable in model.dynamic:
        axes, expr = model.array_rates[variable]
        found[variable] = (axes, _Differentiator(ctx, variable, axes).of(expr))
    return found


class _Differentiator:
    """The derivative of array-context expressions with respect to one variable at its own
    axes (and, for a pair variable, at those axes swapped)."""

    def __init__(self, ctx, variable: Variable, axes: tuple[int, ...]):
        self.ctx, self.variable, self.axes = ctx, variable, axes
        self.own = {ctx.var(variable, *axes)}
        if variable.pair:
            self.own.add(ctx.var(variable, *reversed(axes)))
        self.memo: dict[sp.Expr, sp.Expr] = {}
        self.reads: dict[Derived, bool] = {}

    def depends(self, quantity: Derived) -> bool:
        """Whether ``quantity``'s definition reads the variable at all."""
        if quantity not in self.reads:
            self.reads[quantity] = False  # (definitions are acyclic)
            _, body = self.ctx.definitions[quantity]
            self.reads[quantity] = any(self.leaf_depends(s) for s in body.free_symbols)
        return self.reads[quantity]

    def leaf_depends(self, symbol: sp.Symbol) -> bool:
        leaf = self.ctx.leaves.get(symbol)
        if leaf is None:
            return False
        if leaf.kind == "var":
            return leaf.part == self.variable
        return leaf.kind == "derived" and self.depends(leaf.part)

    def at(self, quantity: Derived, axes: tuple[int, ...]) -> sp.Expr:
        """``quantity``'s body read at ``axes`` (its own axes renamed)."""
        own, body = self.ctx.definitions[quantity]
        return self.renamed(body, dict(zip(own, axes, strict=True)))

    def renamed(self, expr: sp.Expr, rename: dict[int, int]) -> sp.Expr:
        """``expr`` with its leaves read at axes renamed by ``rename``."""
        swap = {}
        for symbol in expr.free_symbols:
            leaf = self.ctx.leaves.get(symbol)
            if leaf is not None and any(a in rename for a in leaf.axes):
                moved = tuple(rename.get(a, a) for a in leaf.axes)
                read = {"var": self.ctx.var, "par": self.ctx.par, "derived": self.ctx.get}
                swap[symbol] = read[leaf.kind](leaf.part, *moved)
        return expr.xreplace(swap)

    def of(self, expr: sp.Expr) -> sp.Expr:
        """d(expr)/dx at the own axes."""
        if expr in self.memo:
            return self.memo[expr]
        if expr.is_Symbol:
            leaf = self.ctx.leaves.get(expr)
            if expr in self.own:
                value: sp.Expr = sp.Integer(1)
            elif leaf is not None and leaf.kind == "derived" and self.depends(leaf.part):
                value = self.of(self.at(leaf.part, leaf.axes))
            else:
                value = sp.Integer(0)
        elif not expr.free_symbols or not any(map(self.moves, expr.free_symbols)):
            value = sp.Integer(0)
        elif isinstance(expr, Total):
            summand, axis = expr.args[0], int(expr.args[1])
            inner = self.of(summand)
            value = sp.Integer(0) if inner == 0 else Total(inner, expr.args[1])
            for a in self.axes:
                # the term where the summed index meets the own axis a: what it is, less
                # what the sum over every index took for it (as the sum computes it: a kink
                # that the index's meeting puts at 0 is left to the printer's convention,
                # not evaluated by sympy)
                with sp.evaluate(False):
                    taken = self.renamed(inner, {axis: a})
                value += self.of(self.renamed(summand, {axis: a})) - taken
        elif isinstance(expr, sp.Add):
            value = sp.Add(*map(self.of, expr.args))
        elif isinstance(expr, sp.Piecewise):
            # the derivative of the piece that holds (a condition's own change is a kink)
            value = sp.Piecewise(*((self.of(piece), condition)
                                   for piece, condition in expr.args))
        else:
            # the chain rule over the node's own arguments, each a placeholder
            places = [sp.Dummy(real=True) for _ in expr.args]
            node = expr.func(*places)
            value = sp.Integer(0)
            back = dict(zip(places, expr.args, strict=True))
            for place, arg in zip(places, expr.args, strict=True):
                inner = self.of(arg)
                if inner != 0:
                    value += node.diff(place).xreplace(back) * inner
            # a step's derivative is 0 wherever it is defined (a Jacobian's, as the whole
            # Jacobian of the array program takes it)
            value = value.replace(sp.DiracDelta, lambda *_: sp.Integer(0))
        self.memo[expr] = value
        return value

    def moves(self, symbol: sp.Symbol) -> bool:
        return symbol in self.own or self.leaf_depends(symbol)
