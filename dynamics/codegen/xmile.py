"""The model as stocks, flows and auxiliaries, and the printer of their XMILE equations.

XMILE (OASIS XMILE 1.0) is how system dynamics tools (Stella, Vensim's XMILE import,
PySD, BPTK-Py) exchange models. This module is the target-specific half of the export:
:func:`stock_and_flow` lays the model out as the elements of such a diagram, from the
same mechanism definitions that the compiled code comes from, and :class:`XmilePrinter`
prints one expression in XMILE's equation syntax. The document itself (values, events,
the XML) is written by :mod:`dynamics.run.xmile`.

The layout, per state (or pair) of states, in the state names' order:

- a **stock** for every dynamic variable (``m_USA``, ``c_USA_CHN``);
- a **flow** for every term of a mechanism into it (``m_reaction_USA``,
  ``c_formation_USA_CHN``), an outflow where the term is a removal (printed without its
  minus sign: ``m_fatigue_USA``), and for each modifier of a role (the ceiling's
  saturation of the drive) one more flow, the modified sum less the sum, so that the
  flows of a stock still add up to its rate and each term keeps its own flow;
- an **auxiliary** for every derived quantity the equations read (``threat_USA_CHN``),
  defined once and referred to by name, as docs/model.md defines it;
- a **constant** for every parameter entry and every variable held at its start
  (``reaction_USA``, ``proximity_USA_CHN``).

Names are the registry's names joined to the states' names by underscores: they are
identifiers in XMILE, which compares names without regard to case, so a model whose
names would collide that way is refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from dynamics.errors import ShapeError
from dynamics.model.contexts import Concrete
from dynamics.model.parts import EPSILON, GUARD, Derived

__all__ = ["Element", "Layout", "stock_and_flow", "XmilePrinter", "xmile_name",
           "xmile_units"]


@dataclass(frozen=True)
class Element:
    """One element of the stock-and-flow layout.

    Attributes
    ----------
    kind : str
        ``"stock"``, ``"flow"``, ``"aux"`` (a derived quantity) or ``"constant"`` (a
        parameter entry or a held variable).
    name : str
        Its XMILE name.
    expression : sympy.Expr or None
        A flow's or auxiliary's equation in the model's symbols; None for stocks and
        constants, whose values come with a run's values.
    doc : str
        What it is (the registry's meaning).
    units : str
        Its unit, as the registry writes it.
    slot : tuple of (str, int), optional
        A stock's or constant's place in a prepared run: ``("y", k)`` for the k-th
        variable, ``("p", k)`` for the k-th input (parameters, then held variables).
    inflows, outflows : tuple of str
        A stock's flows, by name.
    outflow : bool
        A flow that its stock loses (its expression is then the term negated).
    """

    kind: str
    name: str
    expression: sp.Expr | None = None
    doc: str = ""
    units: str = ""
    slot: tuple[str, int] | None = None
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    outflow: bool = False


def xmile_name(*parts: str) -> str:
    """An XMILE name from its parts: joined by underscores, any other character than a
    letter, digit or underscore made an underscore.

    Parameters
    ----------
    *parts : str
        The parts (a registry name, state names); empty ones are left out.

    Returns
    -------
    str
        The name (``xmile_name("m", "USA")`` is ``m_USA``).
    """
    return re.sub(r"\W", "_", "_".join(p for p in parts if p), flags=re.ASCII)


def xmile_units(unit: str) -> str:
    """A registry unit as an XMILE unit expression: ``[m]`` (the unit of spending and
    output, a scenario's currency) is ``money``, ``yr`` is ``years`` (the documents' time
    unit), a pure number (``1``) has none.

    Parameters
    ----------
    unit : str
        The registry's unit (``1/yr``, ``[m]/yr``).

    Returns
    -------
    str
        The XMILE unit (``1/years``, ``money/years``), or ``""``.
    """
    if unit in ("", "1"):
        return ""
    return re.sub(r"\byr\b", "years", unit.replace("[m]", "money"))


class _Named(Concrete):
    """The concrete context in which each derived quantity at an index is a symbol of its
    own, defined once (``definitions``, in an order where a quantity follows those it
    reads), instead of its expanded expression."""

    def __init__(self, states: Sequence[str], overrides: Mapping) -> None:
        super().__init__(states, overrides)
        self.definitions: dict[sp.Symbol, tuple[Derived, tuple[int, ...], sp.Expr]] = {}
        #: a flow's symbol -> its name; a modified role's sum -> (name, sum, doc)
        self.flow_names: dict[sp.Symbol, str] = {}
        self.roles: dict[sp.Symbol, tuple[str, sp.Expr, str]] = {}

    def get(self, quantity: Derived, *index: int) -> sp.Expr:
        key = (quantity, *index)
        if key not in self._cache:
            symbol = sp.Symbol(f"derived:{quantity.name}:{index}", real=True)
            self._cache[key] = symbol  # before the body: a quantity never reads itself
            build = self._overrides.get(quantity, quantity.build)
            self.definitions[symbol] = (quantity, index, sp.sympify(build(self, *index)))
        return self._cache[key]


@dataclass(frozen=True)
class Layout:
    """A model laid out as stocks and flows (:func:`stock_and_flow`).

    Attributes
    ----------
    elements : tuple of Element
        Constants, then auxiliaries in the order they are read, then each stock followed
        by its flows.
    printer : XmilePrinter
        Prints an element's expression with the elements' names.
    """

    elements: tuple[Element, ...]
    printer: XmilePrinter

    def equation(self, element: Element) -> str:
        """The XMILE equation of a flow or auxiliary."""
        assert element.expression is not None
        return self.printer(element.expression)


def stock_and_flow(model) -> Layout:
    """The model laid out as stocks, flows, auxiliaries and constants (module docstring):
    constants first, then auxiliaries in the order they are read, then each stock
    followed by its flows.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    Layout
        The elements, each name used once (compared regardless of case, as XMILE does),
        and the printer of their equations.

    Raises
    ------
    ShapeError
        Where two names would be the same to an XMILE reader.
    """
    states = model.states
    ctx = _Named(states, model._overrides)
    names: dict[sp.Symbol, str] = {EPSILON: repr(GUARD)}

    def label(base: str, index: tuple[int, ...]) -> str:
        return xmile_name(base, *(states[i] for i in index))

    elements: list[Element] = []
    for k, slot in enumerate(model.parameters):
        spec = model.parameter_specs[slot.name]
        name = label(slot.name, slot.index)
        names[slot.symbol] = name
        elements.append(Element("constant", name, doc=spec.meaning, units=xmile_units(spec.unit),
                                slot=("p", k)))
    for k, slot in enumerate(model.held):
        variable = model.variable(slot.name)
        name = label(slot.name, slot.index)
        names[slot.symbol] = name
        elements.append(Element("constant", name, doc=f"{variable.meaning} (held at its "
                                "start: no mechanism of this model changes it)",
                                units=xmile_units(variable.unit),
                                slot=("p", len(model.parameters) + k)))
    stocks: list[tuple[Element, list[Element]]] = []
    for k, slot in enumerate(model.variables):
        variable = model.variable(slot.name)
        names[slot.symbol] = label(slot.name, slot.index)
        flows = _flows(model, ctx, variable, slot.index, label)
        stock = Element("stock", names[slot.symbol], doc=variable.meaning,
                        units=xmile_units(variable.unit), slot=("y", k),
                        inflows=tuple(f.name for f in flows if not f.outflow),
                        outflows=tuple(f.name for f in flows if f.outflow))
        stocks.append((stock, flows))
    for symbol, (quantity, index, body) in ctx.definitions.items():
        names[symbol] = label(quantity.name, index)
        elements.append(Element("aux", names[symbol], body, doc=quantity.meaning,
                                units=xmile_units(quantity.unit)))
    names.update(ctx.flow_names)
    for symbol, (name, total, doc) in ctx.roles.items():
        names[symbol] = name
        elements.append(Element("aux", name, total, doc=doc))
    for stock, flows in stocks:
        elements += [stock, *flows]
    seen: dict[str, str] = {}
    for element in elements:
        key = element.name.lower()
        if key in seen:
            raise ShapeError(f"the XMILE names {seen[key]!r} and {element.name!r} are the same "
                             "to an XMILE reader (names are compared regardless of case); "
                             "rename a state")
        seen[key] = element.name
    return Layout(tuple(elements), XmilePrinter(names))


def _flows(model, ctx: _Named, variable, index: tuple[int, ...], label) -> list[Element]:
    """The flows of one stock: one per term, and for each modifier of a role an auxiliary
    summing the role's terms (by their flows' names) and a flow of the change the modifier
    makes to that sum. A term that removes (its expression has a minus sign to take out)
    is an outflow."""
    by_role: dict[str, list[tuple[str, sp.Expr]]] = {}
    for mechanism in model.components:
        for term in mechanism.terms:
            if term.variable is variable:
                by_role.setdefault(term.role, []).append(
                    (term.name, sp.sympify(term.build(ctx, *index))))
    modifiers = {role: [m for c in model.components for m in c.modifiers
                        if m.variable is variable and m.role == role] for role in by_role}
    flows = []
    for role, terms in by_role.items():
        signed = []
        for name, expression in terms:
            flow = _flow(label(variable.name + "_" + name, index), expression,
                         f"the term '{name}' of d{variable.name}/dt")
            flows.append(flow)
            symbol = sp.Symbol(f"flow:{flow.name}", real=True)
            ctx.flow_names[symbol] = flow.name
            signed.append(-symbol if flow.outflow else symbol)
        if not modifiers[role]:
            continue
        total = sp.Symbol(f"role:{variable.name}:{role}:{index}", real=True)
        ctx.roles[total] = (label(variable.name + "_" + role, index), sp.Add(*signed),
                            f"the {role} of d{variable.name}/dt: the sum of its terms, "
                            "before " + ", ".join(m.name for m in modifiers[role]))
        value: sp.Expr = total
        for modifier in modifiers[role]:
            modified = sp.sympify(modifier.apply(ctx, value, *index))
            flows.append(Element("flow", label(variable.name + "_" + modifier.name, index),
                                 sp.Add(modified, -value, evaluate=False),
                                 f"the change that '{modifier.name}' makes to the {role} "
                                 f"of d{variable.name}/dt"))
            value = modified
    return flows


def _flow(name: str, expression: sp.Expr, doc: str) -> Element:
    if expression.could_extract_minus_sign():
        return Element("flow", name, -expression, doc, outflow=True)
    return Element("flow", name, expression, doc)


class XmilePrinter:
    """Prints an expression in XMILE's equation syntax: names from ``names``, every
    operand that is not a name or a number in parentheses (XMILE's unary minus binds more
    tightly than its power: ``-x^2`` is ``(-x)^2``), ``MAX`` of two arguments nested,
    ``ABS``.

    Parameters
    ----------
    names : mapping
        Symbol -> its XMILE name (the guard epsilon -> its value).
    """

    def __init__(self, names: Mapping[sp.Symbol, str]):
        self.names = dict(names)

    def __call__(self, expr: sp.Expr) -> str:
        return self._print(sp.sympify(expr))

    def _operand(self, expr: sp.Expr) -> str:
        text = self._print(expr)
        if expr.is_Symbol or (expr.is_Number and expr >= 0):
            return text
        return f"({text})"

    def _print(self, expr: sp.Expr) -> str:
        if expr.is_Symbol:
            if expr not in self.names:
                raise KeyError(f"the symbol {expr} has no XMILE name")
            return self.names[expr]
        if expr.is_Integer:
            return str(int(expr))
        if expr.is_Number:
            return repr(float(expr))
        if isinstance(expr, sp.Add):
            text = self._operand(expr.args[0])
            for arg in expr.args[1:]:
                if arg.could_extract_minus_sign():
                    text += f" - {self._operand(-arg)}"
                else:
                    text += f" + {self._operand(arg)}"
            return text
        if isinstance(expr, sp.Mul):
            if expr.could_extract_minus_sign():
                return f"-{self._operand(-expr)}"
            numerator = [a for a in expr.args if not _reciprocal(a)]
            denominator = [1 / a for a in expr.args if _reciprocal(a)]
            text = " * ".join(self._operand(a) for a in numerator) or "1"
            for a in denominator:
                text += f" / {self._operand(a)}"
            return text
        if isinstance(expr, sp.Pow):
            if expr.exp == -1:
                return f"1 / {self._operand(expr.base)}"
            return f"{self._operand(expr.base)} ^ {self._operand(expr.exp)}"
        if isinstance(expr, sp.Max):
            args = [self._print(a) for a in expr.args]
            return functools.reduce(lambda a, b: f"MAX({a}, {b})", args)
        if isinstance(expr, sp.Min):
            args = [self._print(a) for a in expr.args]
            return functools.reduce(lambda a, b: f"MIN({a}, {b})", args)
        if isinstance(expr, sp.Abs):
            return f"ABS({self._print(expr.args[0])})"
        raise NotImplementedError(f"XMILE has no form here for {type(expr).__name__} "
                                  f"({expr})")


def _reciprocal(expr: sp.Expr) -> bool:
    return isinstance(expr, sp.Pow) and expr.exp == -1
