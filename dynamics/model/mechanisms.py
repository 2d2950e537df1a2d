"""The switchable mechanisms of the model and the state variables they make dynamic.

A mechanism is a named block of terms (MODEL.md, "Mechanisms and equations"). This module
says what each block is, what it needs and which variable it brings to life; the terms
themselves live in :mod:`dynamics.model.equations`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dynamics.errors import MechanismError, UnknownNameError

__all__ = ["Mechanism", "MECHANISMS", "VARIABLES", "Variable", "resolve_mechanisms"]


@dataclass(frozen=True)
class Mechanism:
    name: str
    summary: str
    requires: tuple[str, ...] = ()
    source: str = ""


MECHANISMS: dict[str, Mechanism] = {
    m.name: m
    for m in [
        Mechanism("richardson", "Reaction to perceived threat net of allied support, fatigue "
                  "and expense, grievance (always on).", source="Richardson 1960"),
        Mechanism("perception", "Perceived threat follows actual threat with a first-order "
                  "delay; off, perception is instantaneous.", source="Sterman 2000"),
        Mechanism("ceiling", "Mobilisation ceiling: the drive to arm saturates as the burden "
                  "approaches its ceiling, and spending never falls below zero.",
                  source="Harrison 1998"),
        Mechanism("economy", "Logistic growth of output minus the cost of arms (internal "
                  "balancing's base; imperial overstretch); off, output is constant.",
                  source="Kennedy 1987"),
        Mechanism("coercion", "A state with offensive intent extracts output from a weaker, "
                  "unallied target in proportion to its projected military advantage.",
                  requires=("economy",), source="Gilpin 1981"),
        Mechanism("alliances", "Cohesion grows with common threat, decays by itself and "
                  "erodes under unequal burdens (external balancing; free-riding); off, "
                  "cohesion is held at its initial value.", source="Olson and Zeckhauser 1966"),
        Mechanism("bandwagoning", "Weak states align with the state that threatens them.",
                  requires=("alliances",), source="Walt 1985"),
        Mechanism("soft_balancing", "Non-military effort against a state whose share exceeds "
                  "the hegemony threshold slows its growth and raises the cost of its arms.",
                  source="Pape 2005"),
    ]
}


@dataclass(frozen=True)
class Variable:
    """A state variable kind: ``m``, ``e``, ``theta``, ``c`` or ``v``."""

    name: str
    symbol: str
    meaning: str
    unit: str
    domain: str
    pair: bool = False


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable("m", "m", "military spending (Richardson's x)", "[m]", "m >= 0"),
        Variable("e", "e", "economic output", "[m]", "e > 0"),
        Variable("theta", "theta", "perceived threat", "[m]", "theta >= 0"),
        Variable("c", "c", "alliance cohesion (symmetric; 0 none, 1 full alliance)", "1",
                 "0 <= c <= 1", pair=True),
        Variable("v", "v", "soft-balancing effort", "1", "v >= 0"),
    ]
}

#: which mechanism makes each variable dynamic (``m`` always is)
DYNAMIC_WHEN = {"m": "richardson", "e": "economy", "theta": "perception", "c": "alliances",
                "v": "soft_balancing"}


def resolve_mechanisms(mechanisms: str | Iterable[str]) -> frozenset[str]:
    """Validate a mechanism selection: ``"all"``, ``"richardson"`` or an iterable of names.

    ``richardson`` is always included. An unknown name raises :class:`UnknownNameError`
    with the closest match; a mechanism without its prerequisite raises
    :class:`MechanismError`.
    """
    if isinstance(mechanisms, str):
        mechanisms = MECHANISMS if mechanisms == "all" else [mechanisms]
    chosen = {"richardson"}
    for name in mechanisms:
        if name not in MECHANISMS:
            raise UnknownNameError("mechanism", name, MECHANISMS)
        chosen.add(name)
    for name in sorted(chosen):
        for need in MECHANISMS[name].requires:
            if need not in chosen:
                raise MechanismError(f"mechanism {name!r} requires {need!r}; add it or "
                                     f"remove {name!r}")
    return frozenset(chosen)
