"""The mechanisms the package knows: the shipped ones and those a researcher brings.

A mechanism is named in three ways: by the name of a known mechanism (``"ceiling"``), as
``"module:attribute"`` (``"mymodule:ArmsControl"``: the module is imported, the attribute
is a :class:`~dynamics.model.parts.Mechanism` or a class or function returning one), or
through the entry point group ``balancing_dynamics.mechanisms`` of an installed package.
A :class:`Mechanism` object may also be passed directly. Each is registered when first
used: its name, its parameters' names and symbols, and its variables' names must not
clash with those of another mechanism, and every source it cites must be a known
reference (its own ``works`` are added).

:data:`REGISTRY` (every known parameter by name) and :data:`VARIABLES` (every known state
variable by name) are live views: a mechanism registered later appears in them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, TypeVar

from dynamics.errors import MechanismError, UnknownNameError
from dynamics.model.mechanisms import SHIPPED
from dynamics.model.parts import Mechanism, Parameter, Variable
from dynamics.model.references import REFERENCES, add_references
from dynamics.model.units import UnitError, parse_unit

__all__ = ["MECHANISMS", "REGISTRY", "VARIABLES", "ENTRY_POINTS", "register", "resolve",
           "resolve_mechanisms", "parameter", "owner", "MechanismSpec"]

#: the entry-point group through which an installed package offers mechanisms
ENTRY_POINTS = "balancing_dynamics.mechanisms"

MechanismSpec = str | Mechanism

_mechanisms: dict[str, Mechanism] = {}
_parameters: dict[str, Parameter] = {}
_variables: dict[str, Variable] = {}
_owner: dict[str, str] = {}  # parameter name -> mechanism name

T = TypeVar("T")


class _View(Mapping[str, T]):
    """A read-only live view of one of the registry's tables."""

    def __init__(self, table: dict[str, T], what: str):
        self._table, self._what = table, what

    def __getitem__(self, name: str) -> T:
        try:
            return self._table[name]
        except KeyError:
            raise UnknownNameError(self._what, name, self._table) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def __repr__(self) -> str:
        return f"<{len(self._table)} known {self._what}s: {', '.join(self._table)}>"


#: every known mechanism by name, in order of registration (the shipped ones first)
MECHANISMS: Mapping[str, Mechanism] = _View(_mechanisms, "mechanism")
#: every known parameter by name
REGISTRY: Mapping[str, Parameter] = _View(_parameters, "parameter")
#: every known state variable by name
VARIABLES: Mapping[str, Variable] = _View(_variables, "variable")


def _variables_of(mechanism: Mechanism) -> list[Variable]:
    """The variables a mechanism makes dynamic, restricts or adds terms to."""
    found = list(mechanism.variables)
    found += [t.variable for t in mechanism.terms] + [m.variable for m in mechanism.modifiers]
    found += [r.variable for r in mechanism.restrictions]
    return list(dict.fromkeys(found))


def register(mechanism: Mechanism) -> Mechanism:
    """Make a mechanism known (idempotent for the same object); see the module docstring.

    Parameters
    ----------
    mechanism : Mechanism
        The mechanism.

    Returns
    -------
    Mechanism
        The same mechanism.

    Raises
    ------
    MechanismError
        On a clash of names or symbols, or an unknown source.
    """
    if not isinstance(mechanism, Mechanism):
        raise MechanismError(f"{mechanism!r} is not a dynamics Mechanism")
    known = _mechanisms.get(mechanism.name)
    if known is mechanism:
        return mechanism
    if known is not None and known in SHIPPED:
        raise MechanismError(f"{mechanism.name!r} is a shipped mechanism; give yours another "
                             "name")
    if known is not None:  # a researcher's mechanism, edited and loaded again: replace it
        _unregister(known)
    symbols = {p.symbol: p.name for p in _parameters.values()}
    for spec in mechanism.parameters:
        other = _parameters.get(spec.name)
        if other is not None and other is not spec:
            raise MechanismError(f"mechanism {mechanism.name!r}: parameter {spec.name!r} is "
                                 f"already defined by mechanism {_owner[spec.name]!r}")
        if other is None and spec.symbol in symbols:
            raise MechanismError(f"mechanism {mechanism.name!r}: parameter {spec.name!r} uses "
                                 f"the symbol {spec.symbol!r} of {symbols[spec.symbol]!r}")
        try:
            parse_unit(spec.unit)
        except UnitError as error:
            raise MechanismError(f"mechanism {mechanism.name!r}: parameter {spec.name!r}: "
                                 f"{error}") from None
    symbols.update({p.symbol: p.name for p in mechanism.parameters})
    for variable in _variables_of(mechanism):
        other_variable = _variables.get(variable.name)
        if other_variable is not None and other_variable is not variable:
            raise MechanismError(f"mechanism {mechanism.name!r}: a different variable named "
                                 f"{variable.name!r} is already known")
        clash = symbols.get(variable.symbol) or next(
            (v.name for v in _variables.values()
             if v.symbol == variable.symbol and v is not variable), None)
        if clash is not None:  # one sympy symbol for two quantities would merge them
            raise MechanismError(f"mechanism {mechanism.name!r}: variable {variable.name!r} "
                                 f"uses the symbol {variable.symbol!r} of {clash!r}")
    printed = {d.symbol: (m.name, d) for m in _mechanisms.values() if m is not known
               for d in m.derived if not d.inline}
    for quantity in mechanism.derived:
        if quantity.inline:
            continue
        owner, other_quantity = printed.get(quantity.symbol, (None, quantity))
        if other_quantity is not quantity:  # two definitions under one symbol in print
            raise MechanismError(f"mechanism {mechanism.name!r}: derived quantity "
                                 f"{quantity.name!r} uses the symbol {quantity.symbol!r} of "
                                 f"{other_quantity.name!r} ({owner})")
        printed[quantity.symbol] = (mechanism.name, quantity)
    works = dict(mechanism.works)
    cited = [*mechanism.references, *(p.source for p in mechanism.parameters)]
    for key in cited:
        if key not in REFERENCES and key not in works:
            raise MechanismError(f"mechanism {mechanism.name!r} cites {key!r}, which is not a "
                                 "known reference; add it to the mechanism's works")
    add_references(works)
    _mechanisms[mechanism.name] = mechanism
    for spec in mechanism.parameters:
        _parameters.setdefault(spec.name, spec)
        _owner.setdefault(spec.name, mechanism.name)
    for variable in _variables_of(mechanism):
        _variables.setdefault(variable.name, variable)
    return mechanism


def _unregister(mechanism: Mechanism) -> None:
    del _mechanisms[mechanism.name]
    for spec in mechanism.parameters:
        if _owner.get(spec.name) == mechanism.name:
            del _parameters[spec.name], _owner[spec.name]
    used = {id(v) for m in _mechanisms.values() for v in _variables_of(m)}
    for variable in _variables_of(mechanism):
        if id(variable) not in used and _variables.get(variable.name) is variable:
            del _variables[variable.name]


_made: dict[tuple[str, int], Mechanism] = {}


def _from_object(value: Any, spec: str) -> Mechanism:
    """A Mechanism from what ``module:attribute`` named: an instance, a class or a factory
    (called once per class or factory object, so that naming it again gives the same
    mechanism until its module is reloaded)."""
    if isinstance(value, Mechanism):
        return value
    key = (spec, id(value))
    if key in _made:
        return _made[key]
    if callable(value):
        made = value()
        if isinstance(made, Mechanism):
            _made[key] = made
            return made
    raise MechanismError(f"{spec!r} is not a Mechanism (nor a class or function returning "
                         "one)")


def resolve(spec: MechanismSpec) -> Mechanism:
    """The mechanism a spec names (see the module docstring), registered.

    Parameters
    ----------
    spec : str or Mechanism
        A shipped name, ``"module:attribute"``, an entry point's name, or a Mechanism.

    Returns
    -------
    Mechanism
        The mechanism.
    """
    if isinstance(spec, Mechanism):
        return register(spec)
    if not isinstance(spec, str):
        raise MechanismError(f"a mechanism is a name, 'module:attribute' or a Mechanism, got "
                             f"{spec!r}")
    if spec in _mechanisms:
        return _mechanisms[spec]
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise MechanismError(f"cannot import the module of mechanism {spec!r}: {error}"
                                 ) from None
        try:
            value = getattr(module, attribute)
        except AttributeError:
            raise MechanismError(f"module {module_name!r} has no attribute {attribute!r} "
                                 f"(mechanism {spec!r})") from None
        return register(_from_object(value, spec))
    for point in entry_points(group=ENTRY_POINTS):
        if point.name == spec:
            return register(_from_object(point.load(), spec))
    raise UnknownNameError("mechanism", spec, _mechanisms)


def resolve_mechanisms(mechanisms: MechanismSpec | Iterable[MechanismSpec]
                       ) -> tuple[Mechanism, ...]:
    """A validated selection of mechanisms in canonical order; ``richardson`` is always
    included.

    Parameters
    ----------
    mechanisms : str, Mechanism or iterable
        ``"all"`` (the shipped ones), one spec or an iterable of specs.

    Returns
    -------
    tuple of Mechanism
        The mechanisms.

    Raises
    ------
    MechanismError
        For a mechanism without its prerequisite.
    """
    if isinstance(mechanisms, str | Mechanism):
        mechanisms = list(SHIPPED) if mechanisms == "all" else [mechanisms]
    chosen = {m.name: m for m in [SHIPPED[0], *(resolve(spec) for spec in mechanisms)]}
    for name, mechanism in sorted(chosen.items()):
        for need in mechanism.requires:
            if need not in chosen:
                raise MechanismError(f"mechanism {name!r} requires {need!r}; add it or "
                                     f"remove {name!r}")
    order = list(_mechanisms)
    return tuple(sorted(chosen.values(), key=lambda m: order.index(m.name)))


def parameter(name: str) -> Parameter:
    """A known parameter.

    Parameters
    ----------
    name : str
        Its registry name.

    Returns
    -------
    Parameter
        The parameter; an unknown name raises with the closest match.
    """
    return REGISTRY[name]


def owner(name: str) -> str:
    """The mechanism that defines a parameter.

    Parameters
    ----------
    name : str
        The parameter's registry name.

    Returns
    -------
    str
        The mechanism's name.
    """
    REGISTRY[name]  # unknown names raise with a suggestion
    return _owner[name]


for _shipped in SHIPPED:
    register(_shipped)
