"""The symbolic model: mechanisms made of parts, assembled into a Model of N states.

Each mechanism is one object in its own module (:mod:`dynamics.model.mechanisms`) built
from the parts of :mod:`dynamics.model.parts`; :mod:`dynamics.model.registry` knows the
shipped mechanisms and those a researcher brings; :class:`Model` assembles a selection.
"""

from dynamics.model.model import Model, Slot
from dynamics.model.parts import (
    Context,
    Derived,
    Mechanism,
    Modifier,
    Override,
    Parameter,
    Restriction,
    Term,
    Variable,
    positive,
)
from dynamics.model.references import REFERENCES
from dynamics.model.registry import MECHANISMS, REGISTRY, VARIABLES, register

__all__ = ["Model", "Slot", "Context", "Derived", "Mechanism", "Modifier", "Override",
           "Parameter", "Restriction", "Term", "Variable", "positive", "REFERENCES",
           "MECHANISMS", "REGISTRY", "VARIABLES", "register"]
