"""Assembly of the mechanisms into a symbolic Model of N named states.

A :class:`Model` holds the sympy right-hand side of every dynamic state variable, the
symbols of the parameters it uses, the variables it holds constant (output when the
economy is off, cohesion when alliances are off) and renders itself as LaTeX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from dynamics.errors import ShapeError, UnknownNameError
from dynamics.model.contexts import Concrete, Generic
from dynamics.model.equations import AUXILIARIES, RATES
from dynamics.model.mechanisms import DYNAMIC_WHEN, MECHANISMS, VARIABLES, resolve_mechanisms
from dynamics.model.parameters import REGISTRY

__all__ = ["Model", "Slot"]

_STATE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Slot:
    """One scalar entry of the model: a variable or parameter at a state (or pair) index."""

    name: str
    index: tuple[int, ...]
    symbol: sp.Symbol

    def label(self, states: Sequence[str]) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{','.join(states[i] for i in self.index)}]"


class Model:
    """The balancing model for a set of named states and a set of mechanisms.

    Parameters
    ----------
    states : names of the N >= 2 states (letters and digits, starting with a letter), for
        example ``["USA", "CHN", "RUS"]``.
    mechanisms : ``"all"`` (default), ``"richardson"`` or an iterable of mechanism names
        (see ``dynamics.MECHANISMS``); ``richardson`` is always included.

    Notes
    -----
    With only ``richardson`` on, ``distinguishability = 0`` and ``power_weight = 0`` the
    spending equations are exactly Richardson's linear system
    ``dm_i/dt = k_i sum_j W_ij m_j - alpha_i m_i + g_i e_i`` (cohesion held at zero, output
    held at e_i, so g_i e_i is Richardson's grievance).

    Examples
    --------
    >>> from dynamics import Model
    >>> model = Model(["Entente", "Central"], mechanisms="richardson")
    >>> [slot.label(model.states) for slot in model.variables]
    ['m[Entente]', 'm[Central]']
    """

    def __init__(self, states: Sequence[str], mechanisms: str | Iterable[str] = "all"):
        states = tuple(states)
        if len(states) < 2:
            raise ShapeError(f"a model needs at least 2 states, got {len(states)}: {states}")
        for name in states:
            if not isinstance(name, str) or not _STATE_NAME.match(name):
                raise ShapeError(f"state name {name!r} must be letters and digits starting "
                                 "with a letter (for example 'USA' or 'Entente')")
        if len(set(states)) != len(states):
            raise ShapeError(f"state names must be unique, got {states}")
        self.states = states
        self.mechanisms = resolve_mechanisms(mechanisms)
        builders = {name: aux.build for name, aux in AUXILIARIES.items()}
        self._ctx = Concrete(states, self.mechanisms, builders)
        self.variables = tuple(self._slots(name) for name in VARIABLES if self.is_dynamic(name))
        self.variables = tuple(slot for group in self.variables for slot in group)
        self.held = tuple(slot for name in ("e", "c") if not self.is_dynamic(name)
                          for slot in self._slots(name))
        self.rates = tuple(RATES[s.name](self._ctx, *s.index) for s in self.variables)
        self.threat = tuple(self._ctx.total(lambda j, i=i: self._ctx.aux("T", i, j), "j")
                            for i in range(self.N))
        self.share = tuple(self._ctx.aux("S", i) for i in range(self.N))
        used = set().union(*(r.free_symbols for r in self.rates + self.threat + self.share))
        self.parameters = tuple(self._parameter_slots(used))

    # --- structure ----------------------------------------------------------------------
    @property
    def N(self) -> int:
        return len(self.states)

    def is_dynamic(self, variable: str) -> bool:
        """Whether ``variable`` (m, e, theta, c, v) has its own equation in this model."""
        return DYNAMIC_WHEN[variable] in self.mechanisms

    def _index_set(self, pair: bool) -> list[tuple[int, ...]]:
        if pair:
            return [(i, j) for i in range(self.N) for j in range(i + 1, self.N)]
        return [(i,) for i in range(self.N)]

    def _slots(self, variable: str) -> list[Slot]:
        pair = VARIABLES[variable].pair
        return [Slot(variable, idx, self._ctx.var(variable, *idx))
                for idx in self._index_set(pair)]

    def _parameter_slots(self, used: set[sp.Symbol]) -> list[Slot]:
        slots = []
        for name, spec in REGISTRY.items():
            if spec.kind == "scalar":
                indices = [()]
            elif spec.kind == "state":
                indices = [(i,) for i in range(self.N)]
            else:
                indices = [(i, j) for i in range(self.N) for j in range(self.N) if i != j]
            for idx in indices:
                symbol = self._ctx.par(name, *idx)
                if symbol in used:
                    slots.append(Slot(name, idx, symbol))
        return slots

    @cached_property
    def parameter_names(self) -> tuple[str, ...]:
        """Registry names of the parameters that appear in this model's equations."""
        seen = dict.fromkeys(slot.name for slot in self.parameters)
        return tuple(seen)

    def state_index(self, state: str) -> int:
        """Position of ``state``; an unknown name raises with the closest match."""
        try:
            return self.states.index(state)
        except ValueError:
            raise UnknownNameError("state", state, self.states) from None

    def symbol(self, name: str, *states: str) -> sp.Expr:
        """The sympy symbol of a variable or parameter, e.g. ``symbol("m", "USA")``."""
        index = tuple(self.state_index(s) for s in states)
        if name in VARIABLES:
            return self._ctx.var(name, *index)
        if name not in REGISTRY:
            raise UnknownNameError("variable or parameter", name, [*VARIABLES, *REGISTRY])
        return self._ctx.par(name, *index)

    def parameter_symbols(self, name: str) -> np.ndarray:
        """Array of the symbols of parameter ``name``: shape (), (N,) or (N, N)."""
        kind = REGISTRY[name].kind if name in REGISTRY else None
        if kind is None:
            raise UnknownNameError("parameter", name, REGISTRY)
        if kind == "scalar":
            return np.array(self._ctx.par(name), dtype=object)
        if kind == "state":
            return np.array([self._ctx.par(name, i) for i in range(self.N)], dtype=object)
        return np.array([[self._ctx.par(name, i, j) for j in range(self.N)]
                         for i in range(self.N)], dtype=object)

    # --- symbolic views -----------------------------------------------------------------
    @cached_property
    def equations(self) -> dict[sp.Symbol, sp.Expr]:
        """Mapping of each dynamic variable's symbol to its rate of change."""
        return {slot.symbol: rate for slot, rate in zip(self.variables, self.rates, strict=True)}

    @cached_property
    def jacobian(self) -> sp.Matrix:
        """Symbolic Jacobian d(rate)/d(variable), variables in the order of ``variables``."""
        return sp.Matrix(self.rates).jacobian([s.symbol for s in self.variables])

    def latex(self, generic: bool = True) -> str:
        """The assembled system as a LaTeX ``aligned`` block.

        ``generic=True`` prints index notation (``\\frac{dm_i}{dt}``, sums over j, the
        auxiliary quantities defined below the equations); ``generic=False`` prints every
        equation of this N-state model in full.
        """
        if not generic:
            rows = [rf"\frac{{d{sp.latex(s.symbol)}}}{{dt}} &= {sp.latex(r)}"
                    for s, r in zip(self.variables, self.rates, strict=True)]
            return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
        return _generic_latex(self.mechanisms, [n for n in VARIABLES if self.is_dynamic(n)])

    def _repr_html_(self) -> str:
        from dynamics.display import model_html

        return model_html(self)

    def __repr__(self) -> str:
        return (f"Model(states={list(self.states)}, mechanisms="
                f"{sorted(self.mechanisms, key=list(MECHANISMS).index)})")


def _generic_latex(mechanisms: frozenset[str], dynamic: list[str]) -> str:
    """Index-notation equations and the definitions of the auxiliaries they use."""
    ctx = Generic(mechanisms)
    i, j = Generic.index("i"), Generic.index("j")
    rows, pending = [], []
    for name in dynamic:
        index = (i, j) if VARIABLES[name].pair else (i,)
        lhs = sp.latex(ctx.var(name, *index))
        rate = RATES[name](ctx, *index)
        rows.append(rf"\frac{{d{lhs}}}{{dt}} &= {sp.latex(rate)}")
        pending.append(rate)
    by_symbol = {aux.symbol: aux for aux in AUXILIARIES.values()}
    defined: list[str] = []
    while pending:
        expr = pending.pop(0)
        for base in sorted({str(x.label) for x in expr.atoms(sp.IndexedBase)}):
            if base in by_symbol and base not in defined:
                defined.append(base)
                aux = by_symbol[base]
                index = tuple(Generic.index(c) for c in aux.indices)
                if aux.indices == "j":
                    index = (i,)
                body = aux.build(ctx, *index)
                rows.append(rf"{sp.latex(ctx.aux(aux.name, *index))} &= {sp.latex(body)}")
                pending.append(body)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
