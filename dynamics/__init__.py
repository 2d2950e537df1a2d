"""dynamics: balancing in international relations as coupled differential equations.

What a notebook needs, in one place: build a :class:`Model` of named states and mechanisms
(or load a :class:`Scenario`), integrate it with :func:`simulate` (one run, or many members
at once, with dated or triggered :class:`Intervention` s), read the labelled
:class:`Result` or :class:`EnsembleResult`, compare a counterfactual (:func:`compare`),
analyse it
(:func:`find_equilibria`, :func:`continuation`, metrics), study it (:func:`sweep`,
:func:`sobol`, :func:`morris`, :func:`decompose` to see which of a scenario's
assumptions drives it, and the polarity-durability experiment of
:mod:`dynamics.studies.durability`), and extend it with a :class:`Mechanism` of your own,
checked by :func:`check_mechanism`.
"""

from typing import TYPE_CHECKING

from dynamics import _moved
from dynamics._version import __version__
from dynamics.codegen.compile import compile_model
from dynamics.errors import (
    DynamicsError,
    MechanismError,
    MissingExtraError,
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
from dynamics.results.labelled import Result, Status, load
from dynamics.run.ensemble import EnsembleResult, simulate_ensemble
from dynamics.run.front import simulate
from dynamics.run.interventions import Intervention
from dynamics.run.solver import Events, Solver

# the modules that moved into the layer folders answer under their old names, with
# a deprecation warning, for one release
_moved.install()

#: names imported on first use (they pull in scipy.stats and scipy.optimize, which would
#: double the import time of the command line)
_LAZY = {
    "continuation": "dynamics.analysis.continuation",
    "find_equilibria": "dynamics.analysis.equilibria",
    "METRICS": "dynamics.analysis.metrics", "first_hegemony": "dynamics.analysis.metrics",
    "peak_share": "dynamics.analysis.metrics", "transition_time": "dynamics.analysis.metrics",
    "unipolar_durability": "dynamics.analysis.metrics",
    "check_mechanism": "dynamics.analysis.checks",
    "Scenario": "dynamics.scenarios", "list_scenarios": "dynamics.scenarios",
    "load_scenario": "dynamics.scenarios",
    "local_sensitivities": "dynamics.studies.sensitivity", "morris": "dynamics.studies.sensitivity",
    "sobol": "dynamics.studies.sensitivity",
    "Problem": "dynamics.studies", "grid": "dynamics.studies",
    "latin_hypercube": "dynamics.studies", "sobol_design": "dynamics.studies",
    "sweep": "dynamics.studies.sweep",
    "explore": "dynamics.views.interactive",
    "compare": "dynamics.studies.counterfactual", "decompose": "dynamics.studies.counterfactual",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from dynamics.analysis.checks import check_mechanism
    from dynamics.analysis.continuation import continuation
    from dynamics.analysis.equilibria import find_equilibria
    from dynamics.analysis.metrics import (
        METRICS,
        first_hegemony,
        peak_share,
        transition_time,
        unipolar_durability,
    )
    from dynamics.scenarios import Scenario, list_scenarios, load_scenario
    from dynamics.studies.counterfactual import compare, decompose
    from dynamics.studies.design import Problem, grid, latin_hypercube, sobol_design
    from dynamics.studies.sensitivity import local_sensitivities, morris, sobol
    from dynamics.studies.sweep import sweep
    from dynamics.views.interactive import explore


def __dir__() -> list[str]:
    """Every public name, those imported on first use included (tab completion)."""
    return sorted({*globals(), *_LAZY})


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if f"dynamics.{name}" in _moved.MOVED:  # ``dynamics.solver`` after ``import dynamics``
        import sys

        return sys.modules[f"dynamics.{name}"]
    raise AttributeError(f"module 'dynamics' has no attribute {name!r}")


__all__ = [
    # build and run
    "Model", "simulate", "simulate_ensemble", "Solver", "Events", "Result", "EnsembleResult",
    "Status", "load", "compile_model", "explore", "Intervention",
    # scenarios and counterfactuals
    "Scenario", "load_scenario", "list_scenarios", "compare", "decompose",
    # analysis
    "find_equilibria", "continuation", "METRICS", "peak_share", "first_hegemony",
    "unipolar_durability", "transition_time",
    # studies
    "Problem", "grid", "latin_hypercube", "sobol_design", "sweep", "sobol", "morris",
    "local_sensitivities",
    # extending the model
    "Mechanism", "Parameter", "Variable", "Derived", "Term", "Modifier", "Override",
    "Restriction", "check_mechanism", "REGISTRY", "REFERENCES", "MECHANISMS", "VARIABLES",
    # errors
    "DynamicsError", "UnknownNameError", "ParameterValueError", "ShapeError",
    "TimeSpanError", "MechanismError", "ScenarioError", "MissingExtraError", "__version__",
]
