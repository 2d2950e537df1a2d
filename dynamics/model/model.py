"""Assembly of mechanisms into a symbolic Model of N named states.

A :class:`Model` collects the parts of its mechanisms (:mod:`dynamics.model.parts`): the
dynamic state variables and, for each, the sum of the terms that the active mechanisms
add to its rate (grouped by role, each role's sum passed through the modifiers of the
active mechanisms), the quantities that results report per state, the parameters the
equations read and the variables they read but that no active mechanism makes dynamic
(held at their initial values: output without the economy, cohesion without alliances).
It renders itself as LaTeX in index notation or in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from dynamics.errors import ShapeError, UnknownNameError
from dynamics.model.contexts import Array, Concrete, Generic
from dynamics.model.parts import Context, Derived, Mechanism, Parameter, Variable
from dynamics.model.registry import REGISTRY, VARIABLES, MechanismSpec, resolve_mechanisms
from dynamics.results.html import PARAMETER_HEADER, escape, parameter_rows, table

__all__ = ["Model", "Slot", "rate_of", "STATE_NAME", "MAX_STATES"]

#: what a state name may be: ASCII letters and digits, starting with a letter (a name
#: travels into parameter names such as ``reaction.USA``, TOML bare keys, CSV headers
#: and netCDF-3 files, which are ASCII)
STATE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


@dataclass(frozen=True)
class Slot:
    """One scalar entry of the model: a variable or parameter at a state (or pair) index.

    Attributes
    ----------
    name : str
        The variable's or parameter's name.
    index : tuple of int
        The state (or pair) index.
    symbol : sympy.Symbol
        Its symbol in the model's expressions.
    """

    name: str
    index: tuple[int, ...]
    symbol: sp.Symbol

    def label(self, states: Sequence[str]) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{','.join(states[i] for i in self.index)}]"


def rate_of(ctx: Context, variable: Variable, index: tuple, mechanisms: Sequence[Mechanism]
            ) -> sp.Expr:
    """The rate of a variable at an index: the active mechanisms' terms, summed by role, each
    role's sum passed through the active modifiers of that role (in order).

    Parameters
    ----------
    ctx : Context
        Where the terms are written.
    variable : Variable
        The variable.
    index : tuple
        Its state (or pair) index.
    mechanisms : sequence of Mechanism
        The active mechanisms.

    Returns
    -------
    sympy.Expr
        The rate.
    """
    roles: dict[str, list[sp.Expr]] = {}
    for mechanism in mechanisms:
        for term in mechanism.terms:
            if term.variable is variable:
                roles.setdefault(term.role, []).append(term.build(ctx, *index))
    total = sp.Integer(0)
    for role, parts in roles.items():
        value = sp.Add(*parts)
        for mechanism in mechanisms:
            for modifier in mechanism.modifiers:
                if modifier.variable is variable and modifier.role == role:
                    value = modifier.apply(ctx, value, *index)
        total += value
    return total


#: the most states whose explicit equations (``Model.rates``, and the unrolled code built
#: from them) are built with alliances on: building and compiling them grow as N^3 (pair
#: variables, sums over a third state), measured cold on 2 cores with every mechanism at
#: 1.8 s and 17 s for N = 12, so about 5 minutes at 30 and 20 minutes at 50. A model of
#: any size runs on array code (:mod:`dynamics.codegen.arraycode`), which needs none of them.
MAX_STATES = 30
_MINUTES_AT_12 = (1.8 + 17.0) / 60


class Model:
    """The balancing model for a set of named states and a set of mechanisms.

    Parameters
    ----------
    states : names of the N >= 2 states (ASCII letters and digits, starting with a letter), for
        example ``["USA", "CHN", "RUS"]``.
    mechanisms : ``"all"`` (the shipped mechanisms, the default), one mechanism or an
        iterable of them: names of known mechanisms, ``"module:attribute"`` for a
        researcher's own (see :mod:`dynamics.model.registry`) or
        :class:`~dynamics.model.parts.Mechanism` objects; ``richardson`` is always included.

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

    def __init__(self, states: Sequence[str],
                 mechanisms: MechanismSpec | Iterable[MechanismSpec] = "all"):
        if isinstance(states, str):
            raise ShapeError(f"states must be a list of names, got the string {states!r}; "
                             f"write [{states!r}, ...]")
        if not isinstance(states, Iterable) or isinstance(states, Mapping):
            raise ShapeError(f"states must be a list of names, got {type(states).__name__} "
                             f"{states!r:.60}")
        states = tuple(states)
        if len(states) < 2:
            raise ShapeError(f"a model needs at least 2 states, got {len(states)}: {states}")
        for name in states:
            if not isinstance(name, str) or not STATE_NAME.match(name):
                raise ShapeError(f"state name {name!r} must be ASCII letters (A-Z, a-z) and "
                                 "digits, starting with a letter (for example 'USA', "
                                 "'Entente' or 'RUS'; a name in another script needs a "
                                 "transliteration)")
        if len(set(states)) != len(states):
            raise ShapeError(f"state names must be unique, got {states}")
        self.states = states
        self.components: tuple[Mechanism, ...] = resolve_mechanisms(mechanisms)
        self.mechanisms = frozenset(m.name for m in self.components)
        overrides = {o.quantity: o.build for m in self.components for o in m.overrides}
        self._overrides = overrides
        self._ctx = Concrete(states, overrides)
        self.dynamic: tuple[Variable, ...] = tuple(dict.fromkeys(
            v for m in self.components for v in m.variables))
        # The structure (what is read, what is reported) comes from the array form of the
        # equations, whose size does not depend on N; the explicit expressions of every
        # state's equation (``rates``) are built only when asked for.
        self.array_context = Array(overrides)
        ctx = self.array_context
        self.array_rates: dict[Variable, tuple[tuple[int, ...], sp.Expr]] = {}
        for variable in self.dynamic:
            axes = ctx.fresh(2 if variable.pair else 1)
            self.array_rates[variable] = (axes, rate_of(ctx, variable, axes, self.components))
        self.reported: dict[str, Derived] = {q.report or q.name: q for q in self._reported()}
        self.array_outputs: dict[str, tuple[tuple[int, ...], sp.Expr]] = {}
        for name, quantity in self.reported.items():
            axes = ctx.fresh(1)
            self.array_outputs[name] = (axes, ctx.get(quantity, *axes))
        self.variables = tuple(slot for v in self.dynamic for slot in self._slots(v))
        order = list(VARIABLES.values())  # held ones in the order the registry knows them
        held = sorted((v for v in ctx.variables_used if v not in self.dynamic),
                      key=lambda v: order.index(v) if v in order else len(order))
        self.held = tuple(slot for v in held for slot in self._slots(v))
        self.parameters = tuple(self._parameter_slots())

    @cached_property
    def rates(self) -> tuple[sp.Expr, ...]:
        """The explicit rate of every variable slot, each state's equation written out
        (built on first use; refused past ``MAX_STATES`` with alliances on, where it would
        take hours: the array program of :mod:`dynamics.codegen.arraycode` needs none of it)."""
        self._explicit("the explicit equations")
        return tuple(rate_of(self._ctx, self.variable(s.name), s.index, self.components)
                     for s in self.variables)

    @cached_property
    def outputs(self) -> dict[str, tuple[Derived, tuple[sp.Expr, ...]]]:
        """Reported quantity -> (its Derived, its explicit expression at each state)."""
        self._explicit("the explicit reported quantities")
        return {name: (quantity, tuple(self._ctx.get(quantity, i) for i in range(self.N)))
                for name, quantity in self.reported.items()}

    def _explicit(self, what: str) -> None:
        if "alliances" in self.mechanisms and self.N > MAX_STATES:
            raise ShapeError(
                f"{what} of {self.N} states with alliances on would take about "
                f"{_MINUTES_AT_12 * (self.N / 12) ** 3:.0f} minutes to build (the time "
                f"grows as N^3); they are built for at most {MAX_STATES} states. Runs "
                "need none of it (they use the array program); print the equations in "
                "index notation with latex()")

    # --- structure ----------------------------------------------------------------------
    @cached_property
    def N(self) -> int:
        """The number of states."""
        return len(self.states)

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The label of each variable slot, in the order of the state vector (``m[A]``,
        ``c[A,B]``)."""
        return tuple(slot.label(self.states) for slot in self.variables)

    def _reported(self) -> list[Derived]:
        """Per-state quantities that results record, and those that start a variable."""
        found = [d for m in self.components for d in m.derived
                 if d.report and d.indices in ("i", "j")]
        found += [v.initial_from for v in self.dynamic if v.initial_from is not None]
        return list(dict.fromkeys(found))

    @cached_property
    def known_variables(self) -> dict[str, Variable]:
        """Every variable of the model, dynamic or held, by name."""
        held = dict.fromkeys(VARIABLES[s.name] for s in self.held)  # ordered, not a set
        return {v.name: v for v in [*self.dynamic, *held]}

    def variable(self, name: str) -> Variable:
        """The state variable ``name`` (known to any registered mechanism)."""
        return VARIABLES[name]

    def is_dynamic(self, variable: str) -> bool:
        """Whether ``variable`` (m, e, theta, c, v, ...) has its own equation in this model."""
        return any(v.name == variable for v in self.dynamic)

    def domain(self, variable: Variable) -> tuple[float, float]:
        """The variable's domain, narrowed by the restrictions of the active mechanisms."""
        low, high = variable.domain
        for mechanism in self.components:
            for restriction in mechanism.restrictions:
                if restriction.variable is variable:
                    low, high = max(low, restriction.domain[0]), min(high, restriction.domain[1])
        return low, high

    def region_function(self, variable: Variable):
        """The function giving the variable's equilibrium search region at an index: the
        last restriction's of an active mechanism that has one, else the variable's own."""
        chosen = variable.region
        for mechanism in self.components:
            for restriction in mechanism.restrictions:
                if restriction.variable is variable and restriction.region is not None:
                    chosen = restriction.region
        return chosen

    def _index_set(self, pair: bool) -> list[tuple[int, ...]]:
        if pair:
            return [(i, j) for i in range(self.N) for j in range(i + 1, self.N)]
        return [(i,) for i in range(self.N)]

    def _slots(self, variable: Variable) -> list[Slot]:
        return [Slot(variable.name, idx, self._ctx.var(variable, *idx))
                for idx in self._index_set(variable.pair)]

    def _parameter_slots(self) -> list[Slot]:
        """Every slot of every parameter the equations read (a pair parameter's diagonal,
        fixed at 0, has none)."""
        slots = []
        for spec in self.parameter_specs.values():
            if spec not in self.array_context.parameters_used:
                continue
            if spec.kind == "scalar":
                indices: list[tuple[int, ...]] = [()]
            elif spec.kind == "state":
                indices = [(i,) for i in range(self.N)]
            else:
                indices = [(i, j) for i in range(self.N) for j in range(self.N) if i != j]
            slots += [Slot(spec.name, idx, self._ctx.par(spec, *idx)) for idx in indices]
        return slots

    @cached_property
    def parameter_specs(self) -> dict[str, Parameter]:
        """The parameters of the active mechanisms and any other the equations read."""
        found = [p for m in self.components for p in m.parameters]
        found += list(self.array_context.parameters_used)
        return {p.name: p for p in dict.fromkeys(found)}

    @cached_property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the parameters that appear in this model's equations."""
        return tuple(dict.fromkeys(slot.name for slot in self.parameters))

    @cached_property
    def variable_names(self) -> tuple[str, ...]:
        """Names of the variables integrated (each once, in slot order)."""
        return tuple(dict.fromkeys(slot.name for slot in self.variables))

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
            return self._ctx.var(VARIABLES[name], *index)
        if name not in REGISTRY:
            raise UnknownNameError("variable or parameter", name, [*VARIABLES, *REGISTRY])
        return self._ctx.par(REGISTRY[name], *index)

    def parameter_symbols(self, name: str) -> np.ndarray:
        """Array of the symbols of parameter ``name``: shape (), (N,) or (N, N)."""
        spec = REGISTRY[name]
        if spec.kind == "scalar":
            return np.array(self._ctx.par(spec), dtype=object)
        if spec.kind == "state":
            return np.array([self._ctx.par(spec, i) for i in range(self.N)], dtype=object)
        return np.array([[self._ctx.par(spec, i, j) for j in range(self.N)]
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

    def derived(self, name: str) -> Derived:
        """The derived quantity ``name`` (``potential_threat``, ``pull``, ...) of an active
        mechanism; an unknown name raises with the closest match."""
        found = {d.name: d for m in self.components for d in m.derived}
        if name not in found:
            raise UnknownNameError("derived quantity", name, found)
        return found[name]

    def expression(self, quantity: Derived | str, *index: int) -> sp.Expr:
        """The explicit expression of a derived quantity at state positions ``index``
        (one per letter of its indices), as the equations use it."""
        if isinstance(quantity, str):
            quantity = self.derived(quantity)
        self._explicit(f"the explicit {quantity.name}")
        if len(index) != len(quantity.indices):
            raise ShapeError(f"{quantity.name} takes {len(quantity.indices)} state "
                             f"position(s), got {len(index)}")
        return self._ctx.get(quantity, *index)

    @property
    def threat(self) -> tuple[sp.Expr, ...]:
        """Actual threat sum_j T_ij faced by each state."""
        return self.outputs["threat"][1]

    @property
    def share(self) -> tuple[sp.Expr, ...]:
        """Power share S_i of each state."""
        return self.outputs["share"][1]

    def latex(self, generic: bool = True) -> str:
        """The assembled system as a LaTeX ``aligned`` block.

        ``generic=True`` prints index notation (``\\frac{dm_i}{dt}``, sums over j, the
        derived quantities defined below the equations); ``generic=False`` prints every
        equation of this N-state model in full.
        """
        if not generic:
            rows = [rf"\frac{{d{sp.latex(s.symbol)}}}{{dt}} &= {sp.latex(r)}"
                    for s, r in zip(self.variables, self.rates, strict=True)]
            return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
        return generic_latex(self.components, self._overrides)

    def _repr_html_(self) -> str:
        """Notebook view: states, mechanisms, equations and parameters."""
        return (f"<p><b>Model</b> of {self.N} states ({escape(', '.join(self.states))}); "
                f"mechanisms: {escape(', '.join(m.name for m in self.components))}</p>"
                f"<p>$${self.latex()}$$</p>" + table(PARAMETER_HEADER, parameter_rows(
                    REGISTRY[name] for name in self.parameter_names)))

    def __repr__(self) -> str:
        return f"Model(states={list(self.states)}, mechanisms={[m.name for m in self.components]})"


class _Recording(Generic):
    """A generic context that remembers the derived quantities it printed by symbol."""

    def __init__(self, overrides):
        super().__init__(overrides)
        self.printed: dict[str, Derived] = {}

    def get(self, quantity: Derived, *index: sp.Idx) -> sp.Expr:
        if quantity not in self._overrides and not quantity.inline:
            self.printed.setdefault(quantity.symbol, quantity)
        return super().get(quantity, *index)


def generic_latex(components: Sequence[Mechanism], overrides) -> str:
    """Index-notation equations and the definitions of the derived quantities they use."""
    ctx = _Recording(overrides)
    i, j = Generic.index("i"), Generic.index("j")
    rows, pending = [], []
    for variable in dict.fromkeys(v for m in components for v in m.variables):
        index = (i, j) if variable.pair else (i,)
        lhs = sp.latex(ctx.var(variable, *index))
        rate = rate_of(ctx, variable, index, components)
        rows.append(rf"\frac{{d{lhs}}}{{dt}} &= {sp.latex(rate)}")
        pending.append(rate)
    defined: list[str] = []
    while pending:
        expr = pending.pop(0)
        for base in sorted({str(x.label) for x in expr.atoms(sp.IndexedBase)}):
            quantity = ctx.printed.get(base)
            if quantity is not None and base not in defined:
                defined.append(base)
                index = tuple(Generic.index(c) for c in quantity.indices)
                if quantity.indices == "j":
                    index = (i,)
                body = ctx.definition(quantity, *index)
                rows.append(rf"{sp.latex(ctx.symbol(quantity.symbol, *index))} &= "
                            rf"{sp.latex(body)}")
                pending.append(body)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
