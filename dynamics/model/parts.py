"""The parts a mechanism is made of: parameters, variables, derived quantities, terms.

A :class:`Mechanism` owns everything about one block of the model: the parameters it
introduces (with unit, default, bounds, meaning and source), the state variables it makes
dynamic (with default, domain and equilibrium search region), the derived quantities it
defines, the :class:`Term` objects it adds to rates, the :class:`Modifier` it applies to
another mechanism's terms (the ceiling saturates the drive to arm), the
:class:`Override` by which it replaces a derived quantity (delayed perception replaces
the instantaneous threat by the perceived threat), the :class:`Restriction` it puts on
a variable's domain, its prerequisites and its references.

Terms are written once against a :class:`Context` (index notation): the same code yields
the concrete N-state system that is compiled and the equations printed in papers
(:mod:`dynamics.model.contexts`). Parts refer to each other by object (``ctx.var(OUTPUT,
i)``, ``ctx.get(THREAT, i, j)``), never by a string that another module must know.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import sympy as sp

__all__ = ["Context", "Parameter", "Variable", "Derived", "Term", "Modifier", "Override",
           "Restriction", "Mechanism", "positive", "GUARD", "EPSILON", "Kind"]

Kind = Literal["scalar", "state", "pair"]
#: an index: a state position (concrete context) or an index symbol (generic context)
Index = Any

#: numerical guard added to denominators that can vanish (a ratio of two zeros)
GUARD = 1e-12
EPSILON = sp.Symbol("varepsilon", positive=True)

_GREEK = {"alpha", "beta", "gamma", "delta", "eta", "theta", "omega", "kappa", "rho", "phi",
          "mu", "nu", "psi", "lambda", "sigma", "tau", "zeta", "chi", "xi", "pi", "varpi",
          "iota", "upsilon"}


def latex_symbol(symbol: str) -> str:
    """``alpha`` -> ``\\alpha``, ``tau_v`` -> ``\\tau_{v}``, ``s^*`` unchanged."""
    base, _, sub = symbol.partition("_")
    text = "\\" + base if base in _GREEK else base
    return text + (f"_{{{sub}}}" if sub else "")


def _interval(pair: tuple[float, float]) -> str:
    def show(x: float) -> str:
        return "-inf" if x == -math.inf else "inf" if x == math.inf else f"{x:g}"
    return f"[{show(pair[0])}, {show(pair[1])}]"


def positive(x: sp.Expr) -> sp.Expr:
    """[x]+ = max(x, 0).

    Left unevaluated unless ``x`` is a number: sympy's Max looks for provable orderings of its
    arguments by factoring their differences, which was nearly all of the time of building
    the 10-state model and simplified nothing (docs/performance.md).

    Parameters
    ----------
    x : sympy.Expr
        The expression.

    Returns
    -------
    sympy.Expr
        ``Max(x, 0)``.
    """
    if x.is_number:
        return sp.Max(x, 0)
    return sp.Max(x, 0, evaluate=False)


class Context(Protocol):
    """Where terms are written: a variable, parameter or derived quantity at an index,
    and sums over an index. :class:`~dynamics.model.contexts.Concrete` (N named states)
    and :class:`~dynamics.model.contexts.Generic` (index notation) implement it.

    Parameters
    ----------
    *args, **kwargs
        (a protocol: not instantiated)
    """

    @property
    def count(self) -> sp.Expr:
        """The number of states N."""
        ...

    def var(self, variable: Variable, *index: Index) -> sp.Expr:
        """``variable`` at ``index`` (cohesion is symmetric with c_ii = 1)."""
        ...

    def par(self, parameter: Parameter, *index: Index) -> sp.Expr:
        """``parameter`` at ``index`` (a pair parameter's diagonal is 0)."""
        ...

    def get(self, quantity: Derived, *index: Index) -> sp.Expr:
        """The derived ``quantity`` at ``index``."""
        ...

    def total(self, term: Callable[[Index], sp.Expr], over: str) -> sp.Expr:
        """The sum of ``term(j)`` over every state j (``over`` names the index in print)."""
        ...


@dataclass(frozen=True, eq=False, kw_only=True)
class Parameter:
    """One model parameter, given by keywords (``Parameter(name="reaction", symbol="k",
    kind="state", ...)``; positional arguments are deprecated).

    Parameters
    ----------
    name : str
        The name users write (``reaction``, ``fatigue``, ...); unique in the model.
    symbol : str
        The sympy/LaTeX base symbol (``k``, ``alpha``, ...); unique in the model.
    kind : str
        ``scalar`` (one value), ``state`` (one value per state) or ``pair`` (an N x N
        matrix whose diagonal is fixed at zero).
    unit : str
        Machine-readable (:mod:`dynamics.model.units`): ``1``, ``yr``, ``1/yr``, ``[m]``.
    default : float
        The value when none is given.
    bounds : (float, float)
        The model's validity domain (inclusive): where the equations are defined and the
        invariants hold. A value outside is refused; a published estimate never is.
    meaning : str
        What it is, in words, as the parameter reference prints it.
    source : str
        A key of ``REFERENCES``: where its meaning and default come from.
    plausible : (float, float), optional
        The range a researcher would call plausible, for designs, priors and sliders;
        documentation, never enforced (None: the bounds themselves).
    uncertain : (float, float), optional
        For a structurally uncertain parameter (a modelling choice that no study
        estimates, such as a threshold share), the range over which robustness studies
        vary it whatever a scenario sets; None for the others, which they vary around the
        scenario's value.
    """

    name: str
    symbol: str
    kind: Kind
    unit: str
    default: float
    bounds: tuple[float, float]
    meaning: str
    source: str
    plausible: tuple[float, float] | None = None
    uncertain: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        low, high = self.bounds
        if not low <= self.default <= high:
            raise ValueError(f"default of {self.name} outside its own bounds")
        if self.plausible is not None and not (low <= self.plausible[0] < self.plausible[1]
                                               <= high):
            raise ValueError(f"plausible range of {self.name} must lie inside its bounds")
        if self.uncertain is not None and not (low <= self.uncertain[0] < self.uncertain[1]
                                               <= high):
            raise ValueError(f"uncertain range of {self.name} must lie inside its bounds")
        if self.kind not in ("scalar", "state", "pair"):
            raise ValueError(f"parameter {self.name}: kind must be scalar, state or pair")

    @property
    def latex(self) -> str:
        """The symbol as LaTeX (``\\alpha`` for ``alpha``)."""
        return latex_symbol(self.symbol)

    @property
    def design_range(self) -> tuple[float, float]:
        """The plausible range, or the bounds where none is given (finite or not)."""
        return self.plausible if self.plausible is not None else self.bounds

    def bounds_text(self) -> str:
        return _interval(self.bounds)

    def plausible_text(self) -> str:
        return _interval(self.plausible) if self.plausible is not None else ""

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"


#: the order of Parameter's fields as positional arguments took them (deprecated)
_POSITIONAL = ("name", "symbol", "kind", "unit", "default", "bounds", "meaning", "source")
_keyword_init = Parameter.__init__


def _parameter_init(self: Parameter, *args: Any, **kwargs: Any) -> None:
    """Parameter's keyword-only ``__init__``, taking positional arguments for one more
    release with a DeprecationWarning."""
    if args:
        if len(args) > len(_POSITIONAL):
            raise TypeError(f"Parameter takes at most {len(_POSITIONAL)} positional "
                            f"arguments, got {len(args)}")
        warnings.warn("Parameter(...) takes keywords (name=..., symbol=..., kind=..., "
                      "unit=..., default=..., bounds=..., meaning=..., source=...); "
                      "positional arguments are deprecated", DeprecationWarning, stacklevel=2)
        kwargs.update(zip(_POSITIONAL, args, strict=False))
    _keyword_init(self, **kwargs)


# (what inspect, the docs and editors show: the keywords)
_parameter_init.__signature__ = inspect.signature(_keyword_init)  # type: ignore[attr-defined]
Parameter.__init__ = _parameter_init  # type: ignore[method-assign]


#: a variable's default initial value: a number, or a function of the other variables'
#: resolved initial values (``lambda start: 0.03 * start(OUTPUT)``)
Default = float | Callable[[Callable[["Variable"], Any]], Any]


@dataclass(frozen=True)
class Region:
    """Bounds (low, high) of one variable at one index, for the equilibrium search.

    ``values`` are the resolved parameter values by name, ``start`` the initial values
    by variable and ``region(variable)`` the (lows, highs) arrays of another variable."""

    values: Mapping[str, Any]
    start: Callable[[Variable], Any]
    region: Callable[[Variable], tuple[Any, Any]]


@dataclass(frozen=True, eq=False)
class Variable:
    """A state variable.

    Parameters
    ----------
    name, symbol, meaning : str
        As printed (``m``, ``m``, ``military spending``).
    unit : str
        Machine-readable, as for :class:`Parameter`.
    pair : bool
        One value per unordered pair of states (symmetric, unit diagonal) instead of one
        per state.
    default : Default or float
        The initial value when none is given (see ``Default``).
    domain : (float, float)
        Where the variable is defined (inclusive). A mechanism may narrow it
        (:class:`Restriction`).
    open_low : bool
        Excludes the domain's lower bound (output must stay above 0).
    initial_from : Derived, optional
        A derived quantity whose value at the start is the default initial value
        (perceived threat starts at the actual threat).
    region : callable, optional
        Bounds of the equilibrium search at index i, ``region(view, i)``; by default the
        domain where finite, and ten times the start's magnitude elsewhere.
    watched : bool
        Whether the run's divergence bound applies to the variable.
    """

    name: str
    symbol: str
    meaning: str
    unit: str
    default: Default = 0.0
    domain: tuple[float, float] = (-math.inf, math.inf)
    open_low: bool = False
    pair: bool = False
    initial_from: Derived | None = None
    region: Callable[[Region, int], tuple[float, float]] | None = None
    watched: bool = True

    @property
    def latex(self) -> str:
        return latex_symbol(self.symbol)

    def __repr__(self) -> str:
        return f"Variable({self.name!r})"


@dataclass(frozen=True, eq=False)
class Derived:
    """A derived quantity: a named expression of variables and parameters.

    Parameters
    ----------
    name : str
        Its name (``"threat"``).
    symbol : str
        Its symbol in print (``"T"``).
    indices : str
        ``""`` (scalar), ``"i"``, ``"j"`` (per state, printed with that index) or ``"ij"``
        (per ordered pair).
    build : callable
        ``build(ctx, *index)`` returns its expression, written against a
        :class:`Context`.
    meaning : str
        What it is, in words.
    unit : str
        Its unit (``"1"`` for a pure number).
    report : str, optional
        The key under which results record it per state (for example ``share``).
    inline : bool
        Print its body in place instead of its symbol.
    """

    name: str
    symbol: str
    indices: str
    build: Callable[..., sp.Expr]
    meaning: str
    unit: str = "1"
    report: str | None = None
    inline: bool = False

    @property
    def latex(self) -> str:
        return latex_symbol(self.symbol)

    def __repr__(self) -> str:
        return f"Derived({self.name!r})"


@dataclass(frozen=True, eq=False)
class Term:
    """An additive term of a variable's rate.

    Parameters
    ----------
    name : str
        Its name (``"reaction"``).
    variable : Variable
        The variable whose rate it adds to.
    build : callable
        ``build(ctx, *index)`` returns the term, written against a :class:`Context`.
    role : str
        Groups the terms a modifier acts on: spending has a ``drive`` (reaction to threat,
        grievance), which the ceiling saturates, and ``loss`` terms (fatigue), which it
        leaves alone; other variables have only ``rate``.
    """

    name: str
    variable: Variable
    build: Callable[..., sp.Expr]
    role: str = "rate"


@dataclass(frozen=True, eq=False)
class Modifier:
    """A transformation of the sum of one role's terms of a variable's rate.

    Parameters
    ----------
    name : str
        Its name.
    variable : Variable
        The variable whose rate it modifies.
    role : str
        The role of the terms whose sum it transforms.
    apply : callable
        ``apply(ctx, total, *index)`` returns the modified sum (the ceiling's saturation).
    """

    name: str
    variable: Variable
    role: str
    apply: Callable[..., sp.Expr]


@dataclass(frozen=True, eq=False)
class Override:
    """Replaces a derived quantity's definition while the mechanism is on.

    Parameters
    ----------
    quantity : Derived
        The quantity redefined.
    build : callable
        ``build(ctx, *index)``, its definition while the mechanism is on (delayed
        perception: the threat perceived is theta, not the sum of T).
    """

    quantity: Derived
    build: Callable[..., sp.Expr]


@dataclass(frozen=True, eq=False)
class Restriction:
    """Narrows a variable's domain while the mechanism is on.

    Parameters
    ----------
    variable : Variable
        The variable (with the ceiling, spending and perceived threat cannot be negative).
    domain : (float, float)
        Its domain while the mechanism is on.
    region : callable, optional
        ``region(view, i)``: its own bounds for the equilibrium search at index i.
    """

    variable: Variable
    domain: tuple[float, float]
    region: Callable[[Region, int], tuple[float, float]] | None = None


@dataclass(frozen=True, eq=False)
class Mechanism:
    """A switchable block of the model that owns everything about itself.

    Attributes
    ----------
    name : the name users write in ``mechanisms = [...]``.
    summary : one sentence on what it adds.
    parameters, variables, derived, terms, modifiers, overrides, restrictions : its parts.
        ``variables`` are the state variables this mechanism makes dynamic; a variable
        that an active mechanism uses but none makes dynamic is held at its initial value.
    requires : names of the mechanisms it needs.
    references : keys of ``REFERENCES`` it rests on (the first is its main source).
    works : references it brings (key -> full text), added to ``REFERENCES``.
    notes : departures from the reference design and other remarks, for the docs.
    """

    name: str
    summary: str
    parameters: tuple[Parameter, ...] = ()
    variables: tuple[Variable, ...] = ()
    derived: tuple[Derived, ...] = ()
    terms: tuple[Term, ...] = ()
    modifiers: tuple[Modifier, ...] = ()
    overrides: tuple[Override, ...] = ()
    restrictions: tuple[Restriction, ...] = ()
    requires: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    works: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def source(self) -> str:
        """The main reference (the first of ``references``)."""
        return self.references[0] if self.references else ""

    def __repr__(self) -> str:
        return f"Mechanism({self.name!r})"
