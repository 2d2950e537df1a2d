"""dynamics: balancing in international relations as coupled differential equations.

The public API: build a :class:`Model` of named states and mechanisms, integrate it with
:func:`simulate`, read the labelled :class:`Result`.
"""

from dynamics._version import __version__
from dynamics.compile import compile_model
from dynamics.errors import (
    DynamicsError,
    MechanismError,
    ParameterValueError,
    ScenarioError,
    ShapeError,
    TimeSpanError,
    UnknownNameError,
)
from dynamics.model import (
    MECHANISMS,
    REFERENCES,
    REGISTRY,
    VARIABLES,
    Derived,
    Mechanism,
    Model,
    Modifier,
    Override,
    Parameter,
    Restriction,
    Term,
    Variable,
)
from dynamics.results import Result, Status, load
from dynamics.simulate import simulate
from dynamics.solver import Events, Solver


def __getattr__(name: str):
    # explore pulls in the scenario layer and ipywidgets; import it only when asked for
    if name == "explore":
        from dynamics.interactive import explore

        return explore
    raise AttributeError(f"module 'dynamics' has no attribute {name!r}")


__all__ = [
    "Model", "simulate", "explore", "Solver", "Events", "Result", "Status", "load", "compile_model",
    "REGISTRY", "REFERENCES", "MECHANISMS", "VARIABLES", "Mechanism", "Parameter", "Variable",
    "Derived", "Term", "Modifier", "Override", "Restriction",
    "DynamicsError", "UnknownNameError", "ParameterValueError", "ShapeError",
    "TimeSpanError", "MechanismError", "ScenarioError", "__version__",
]
