"""Index contexts in which the equations are written once and read three times.

Terms are written against the :class:`~dynamics.model.parts.Context` protocol: a variable
or parameter at an index, a derived quantity at an index, a sum over an index. Three
contexts implement it:

- :class:`Concrete`: N named states; symbols such as ``m_USA`` and explicit sums. This is
  the system that is compiled, simulated and analysed.
- :class:`Generic`: indexed symbols ``m_i`` and ``\\sum_j``; derived quantities stay
  named (``T_ij``). This is what :meth:`Model.latex` prints for papers and docs.
- :class:`Array`: every index is an array axis and every sum a reduction over its own
  axis; each derived quantity is defined once over axes of its own. Its expressions do
  not grow with N: :mod:`dynamics.codegen.arraycode` compiles them to array code for large N.

Conventions shared by both: ``W_ii = 0`` and ``c_ii = 1``, so a sum over all states
never counts a state against itself. Both apply the overrides of the active mechanisms
(a derived quantity redefined while a mechanism is on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from dynamics.model.parts import Derived, Parameter, Variable

__all__ = ["Concrete", "Generic", "Array", "Total", "Leaf"]

Builder = Callable[..., sp.Expr]


class Concrete:
    """N named states; every quantity is an explicit sympy expression.

    It records every parameter and variable the equations read (``parameters_used``,
    ``variables_used``), so that the model knows what to pack as inputs.

    Parameters
    ----------
    states : sequence of str
        The states.
    overrides : mapping
        Derived quantity -> the builder that replaces its own (a mechanism's override).
    """

    def __init__(self, states: Sequence[str], overrides: Mapping[Derived, Builder]):
        self.states = tuple(states)
        self.N = len(states)
        self._overrides = dict(overrides)
        self._cache: dict[tuple, sp.Expr] = {}
        self._symbols: dict[tuple, sp.Symbol] = {}
        self.parameters_used: dict[Parameter, None] = {}
        self.variables_used: dict[Variable, None] = {}

    def symbol(self, base: str, *index: int) -> sp.Symbol:
        """The symbol ``base`` at ``index`` (state positions), created once."""
        key = (base, *index)
        if key not in self._symbols:
            names = [self.states[i] for i in index]
            if not names:
                name = base
            elif len(names) == 1:
                name = f"{base}_{names[0]}"
            else:
                name = f"{base}_{{{','.join(names)}}}"
            self._symbols[key] = sp.Symbol(name, real=True)
        return self._symbols[key]

    def par(self, parameter: Parameter, *index: int) -> sp.Expr:
        """``parameter`` at ``index``; a pair parameter's diagonal is 0."""
        self.parameters_used[parameter] = None
        if parameter.kind == "pair" and index[0] == index[1]:
            return sp.Integer(0)
        return self.symbol(parameter.symbol, *index)

    def var(self, variable: Variable, *index: int) -> sp.Expr:
        """``variable`` at ``index``; a pair variable is symmetric with unit diagonal."""
        self.variables_used[variable] = None
        if variable.pair:
            i, j = index
            if i == j:
                return sp.Integer(1)
            return self.symbol(variable.symbol, min(i, j), max(i, j))
        return self.symbol(variable.symbol, *index)

    def total(self, term: Callable[[int], sp.Expr], over: str) -> sp.Expr:  # noqa: ARG002
        """Sum of ``term(j)`` over every state j (``over`` names the index in print)."""
        return sp.Add(*[term(j) for j in range(self.N)])

    def get(self, quantity: Derived, *index: int) -> sp.Expr:
        """The derived ``quantity`` at ``index``, expanded and built once."""
        key = (quantity, *index)
        if key not in self._cache:
            build = self._overrides.get(quantity, quantity.build)
            self._cache[key] = build(self, *index)
        return self._cache[key]

    @property
    def count(self) -> sp.Expr:
        return sp.Integer(self.N)


class Generic:
    """Indexed symbols and symbolic sums, for printing the model in index notation.

    Parameters
    ----------
    overrides : mapping
        Derived quantity -> the builder that replaces its own.
    """

    def __init__(self, overrides: Mapping[Derived, Builder]):
        self._overrides = dict(overrides)
        self.N = sp.Symbol("N", integer=True, positive=True)

    @staticmethod
    def index(letter: str) -> sp.Idx:
        return sp.Idx(letter)

    def symbol(self, base: str, *index: sp.Idx) -> sp.Expr:
        if not index:
            return sp.Symbol(base, real=True)
        return sp.IndexedBase(base)[index]

    def par(self, parameter: Parameter, *index: sp.Idx) -> sp.Expr:
        return self.symbol(parameter.symbol, *index)

    def var(self, variable: Variable, *index: sp.Idx) -> sp.Expr:
        return self.symbol(variable.symbol, *index)

    def total(self, term: Callable[[sp.Idx], sp.Expr], over: str) -> sp.Expr:
        j = self.index(over)
        return sp.Sum(term(j), (j, 1, self.N))

    def get(self, quantity: Derived, *index: sp.Idx) -> sp.Expr:
        """The quantity's symbol, or its body where it is printed in place (``inline``)."""
        build = self._overrides.get(quantity)
        if build is not None:
            return build(self, *index)
        if quantity.inline:
            return quantity.build(self, *index)
        return self.symbol(quantity.symbol, *index)

    def definition(self, quantity: Derived, *index: sp.Idx) -> sp.Expr:
        """The body of ``quantity`` (its override's while that mechanism is on)."""
        return self._overrides.get(quantity, quantity.build)(self, *index)

    @property
    def count(self) -> sp.Expr:
        return self.N


class Total(sp.Function):
    """``Total(x, a)``: the sum of ``x`` over array axis ``a`` (an unevaluated node).

    Parameters
    ----------
    *args : sympy.Expr
        The summand and the axis number.
    """


@dataclass(frozen=True)
class Leaf:
    """What an :class:`Array` symbol stands for.

    Attributes
    ----------
    kind : str
        ``"var"``, ``"par"`` or ``"derived"``.
    part : Variable, Parameter or Derived
        The object.
    axes : tuple of int
        The array axes it is laid along.
    """

    kind: str
    part: Variable | Parameter | Derived
    axes: tuple[int, ...]


class Array:
    """Each index an array axis, each sum a reduction, each derived quantity defined once.

    Indices are axis numbers, allocated afresh for every sum (so that a sum nested in
    another never reuses its axis, even where both name the index ``j``) and for every
    derived quantity's own definition. Variables, parameters and derived quantities laid
    along axes are symbols described by ``leaves``; ``definitions`` holds each derived
    quantity's body over its own axes, in an order where a quantity comes after those it
    reads. The conventions are those of :class:`Concrete`: a pair parameter's diagonal is
    0, a pair variable is symmetric with unit diagonal.

    Parameters
    ----------
    overrides : mapping
        Derived quantity -> the builder that replaces its own.
    """

    def __init__(self, overrides: Mapping[Derived, Builder]):
        self._overrides = dict(overrides)
        self.axes = 0
        self.leaves: dict[sp.Symbol, Leaf] = {}
        self.definitions: dict[Derived, tuple[tuple[int, ...], sp.Expr]] = {}
        self._building: set[Derived] = set()
        self.parameters_used: dict[Parameter, None] = {}
        self.variables_used: dict[Variable, None] = {}
        self.N = sp.Symbol("N", integer=True, positive=True)

    def fresh(self, count: int = 1) -> tuple[int, ...]:
        """``count`` new axes."""
        self.axes += count
        return tuple(range(self.axes - count, self.axes))

    def _leaf(self, kind: str, part, index: tuple[int, ...]) -> sp.Symbol:
        name = f"{kind}:{part.name}:{','.join(map(str, index))}"
        symbol = sp.Symbol(name, real=True)
        self.leaves.setdefault(symbol, Leaf(kind, part, tuple(index)))
        return symbol

    def par(self, parameter: Parameter, *index: int) -> sp.Expr:
        self.parameters_used[parameter] = None
        return self._leaf("par", parameter, index)

    def var(self, variable: Variable, *index: int) -> sp.Expr:
        self.variables_used[variable] = None
        return self._leaf("var", variable, index)

    def total(self, term: Callable[[int], sp.Expr], over: str) -> sp.Expr:  # noqa: ARG002
        (axis,) = self.fresh()
        return Total(term(axis), sp.Integer(axis))

    def get(self, quantity: Derived, *index: int) -> sp.Expr:
        if quantity not in self.definitions:
            if quantity in self._building:
                raise ValueError(f"derived quantity {quantity.name} is defined in terms "
                                 "of itself")
            self._building.add(quantity)
            axes = self.fresh(len(quantity.indices))
            build = self._overrides.get(quantity, quantity.build)
            self.definitions[quantity] = (axes, sp.sympify(build(self, *axes)))
        return self._leaf("derived", quantity, index)

    @property
    def count(self) -> sp.Expr:
        return self.N
