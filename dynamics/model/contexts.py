"""Index contexts in which the equations are written once and read twice.

:mod:`dynamics.model.equations` writes every term against a small interface: a variable
or parameter at an index, a sum over an index, an auxiliary quantity at an index. Two
contexts implement it:

- :class:`Concrete`: N named states; symbols such as ``m_USA`` and explicit sums. This is
  the system that is compiled, simulated and analysed.
- :class:`Generic`: indexed symbols ``m_i`` and ``\\sum_j``; auxiliary quantities stay
  named (``T_ij``). This is what :meth:`Model.latex` prints for papers and docs.

Conventions shared by both: ``W_ii = 0`` and ``c_ii = 1``, so a sum over all states
never counts a state against itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from dynamics.model.parameters import REGISTRY

__all__ = ["Concrete", "Generic"]


class Concrete:
    """N named states; every quantity is an explicit sympy expression."""

    def __init__(self, states: Sequence[str], mechanisms: frozenset[str],
                 builders: dict[str, Callable]):
        self.states = tuple(states)
        self.N = len(states)
        self.mechanisms = mechanisms
        self._builders = builders
        self._cache: dict[tuple, sp.Expr] = {}
        self._symbols: dict[tuple, sp.Symbol] = {}

    def on(self, mechanism: str) -> bool:
        return mechanism in self.mechanisms

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

    def par(self, name: str, *index: int) -> sp.Expr:
        """Parameter ``name`` (a registry name) at ``index``; W_ii is 0."""
        spec = REGISTRY[name]
        if spec.kind == "pair" and index[0] == index[1]:
            return sp.Integer(0)
        return self.symbol(spec.symbol, *index)

    def var(self, name: str, *index: int) -> sp.Expr:
        """State variable ``name`` at ``index``; cohesion is symmetric with c_ii = 1."""
        if name == "c":
            i, j = index
            if i == j:
                return sp.Integer(1)
            return self.symbol("c", min(i, j), max(i, j))
        return self.symbol(name, *index)

    def total(self, term: Callable[[int], sp.Expr], over: str) -> sp.Expr:  # noqa: ARG002
        """Sum of ``term(j)`` over every state j (``over`` names the index in print)."""
        return sp.Add(*[term(j) for j in range(self.N)])

    def aux(self, name: str, *index: int) -> sp.Expr:
        """Auxiliary quantity ``name`` at ``index``, expanded and built once."""
        key = (name, *index)
        if key not in self._cache:
            self._cache[key] = self._builders[name](self, *index)
        return self._cache[key]

    @property
    def count(self) -> sp.Expr:
        return sp.Integer(self.N)


class Generic:
    """Indexed symbols and symbolic sums, for printing the model in index notation."""

    def __init__(self, mechanisms: frozenset[str]):
        self.mechanisms = mechanisms
        self.N = sp.Symbol("N", integer=True, positive=True)

    def on(self, mechanism: str) -> bool:
        return mechanism in self.mechanisms

    @staticmethod
    def index(letter: str) -> sp.Idx:
        return sp.Idx(letter)

    def symbol(self, base: str, *index: sp.Idx) -> sp.Expr:
        if not index:
            return sp.Symbol(base, real=True)
        return sp.IndexedBase(base)[index]

    def par(self, name: str, *index: sp.Idx) -> sp.Expr:
        return self.symbol(REGISTRY[name].symbol, *index)

    def var(self, name: str, *index: sp.Idx) -> sp.Expr:
        return self.symbol(name, *index)

    def total(self, term: Callable[[sp.Idx], sp.Expr], over: str) -> sp.Expr:
        j = self.index(over)
        return sp.Sum(term(j), (j, 1, self.N))

    def aux(self, name: str, *index: sp.Idx) -> sp.Expr:
        from dynamics.model.equations import AUXILIARIES

        return self.symbol(AUXILIARIES[name].symbol, *index)

    @property
    def count(self) -> sp.Expr:
        return self.N
