"""A scenario as a model of the EMA Workbench: its experiments, optimisation and PRIM.

:func:`scenario_model` returns an ``ema_workbench.Model``, EMA's model of a Python function
(an ``AbstractModel``), so that ``perform_experiments``, ``optimize`` and EMA's own
analysis (PRIM, feature scoring) run on a scenario with no glue code:

- its **uncertainties** are the scenario's parameters over their plausible ranges (the
  registry's ``design_range``, the range a researcher would call plausible, inside the
  validity bounds), or the names or ranges given; a per-state parameter named alone
  (``growth``) takes one value for every state, named with a state (``growth.Riser``) only
  that state's entry varies, as in every study of the project
  (:func:`dynamics.studies.design.design_values`);
- its **levers** are the parameters given as such, the same way;
- its **outcomes** are the project's metrics (:data:`dynamics.analysis.metrics.METRICS`)
  and each state's share of power at the end of the run.

Each experiment runs the scenario once with the experiment's values
(:meth:`~dynamics.scenarios.loader.Scenario.with_values`, so values outside a parameter's
validity domain are refused with its name); a run that does not finish gives NaN for every
outcome rather than stopping the experiments. EMA asks that a name be a Python identifier:
``growth.Riser`` is the uncertainty ``growth_Riser``, whose ``variable_name`` keeps the
project's name, and the final share of ``Riser`` the outcome ``final_share_Riser``.

Needs the ``[ema]`` extra (``pip install 'balancing-dynamics[ema]'``); without it the call
is refused naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from dynamics.analysis.metrics import METRICS
from dynamics.errors import ParameterValueError, require
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result
from dynamics.scenarios.loader import Scenario
from dynamics.studies.design import Problem, design_values

__all__ = ["scenario_model", "identifier", "default_uncertainties"]

Ranges = Sequence[str] | Mapping[str, tuple[float, float]]


def identifier(name: str) -> str:
    """The EMA name of a project name: every character that cannot be in a Python
    identifier replaced by ``_`` (``growth.Riser`` -> ``growth_Riser``).

    Parameters
    ----------
    name : str
        The project's name.

    Returns
    -------
    str
        A Python identifier.
    """
    text = re.sub(r"\W", "_", name)
    return text if text.isidentifier() else f"_{text}"


def default_uncertainties(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Every scalar and per-state parameter of the scenario's model whose plausible range is
    finite, over that range (a per-state one as one value for every state).

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    dict
        Name -> (low, high).
    """
    found = {}
    for name in scenario.model().parameter_names:
        spec = REGISTRY[name]
        low, high = spec.design_range
        if spec.kind != "pair" and math.isfinite(low) and math.isfinite(high) and low < high:
            found[name] = (float(low), float(high))
    return found


def _ranges(scenario: Scenario, given: Ranges | None) -> dict[str, tuple[float, float]]:
    """Names and ranges from names (the registry's plausible range) or a mapping."""
    if given is None:
        return default_uncertainties(scenario)
    if isinstance(given, Mapping):
        ranges = {str(k): (float(v[0]), float(v[1])) for k, v in given.items()}
    else:
        ranges = {}
        for name in given:
            spec = REGISTRY[parse_name(name, scenario.states).base]
            low, high = spec.design_range
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ParameterValueError(f"{name!r} has no finite plausible range: give "
                                          f"its range, {{{name!r}: (low, high)}}")
            ranges[name] = (float(low), float(high))
    for name in ranges:
        base = parse_name(name, scenario.states).base
        if REGISTRY[base].kind == "pair":
            raise ParameterValueError(f"{name!r}: matrix parameters cannot be varied here")
    return ranges


def _outcomes(scenario: Scenario, names: Sequence[str] | None
              ) -> dict[str, Callable[[Result], float]]:
    """The outcome functions by EMA name: the metrics, then each state's final share."""
    def metric(function: Callable[[Result], Any]) -> Callable[[Result], float]:
        return lambda result: float(function(result))

    def share(k: int) -> Callable[[Result], float]:
        return lambda result: float(result.share[-1, k])

    every = {**{name: metric(f) for name, f in METRICS.items()},
             **{f"final_share_{identifier(state)}": share(k)
                for k, state in enumerate(scenario.states)}}
    if names is None:
        return every
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ParameterValueError(f"unknown outcome {unknown[0]!r}: the outcomes are "
                                  f"{', '.join(every)}")
    return {n: every[n] for n in names}


def scenario_model(scenario: Scenario, uncertainties: Ranges | None = None,
                   levers: Ranges = (), outcomes: Sequence[str] | None = None,
                   name: str | None = None) -> Any:
    """The EMA Workbench model of a scenario (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario each experiment runs.
    uncertainties : sequence of str or mapping, optional
        Parameter names (over their plausible range) or names to (low, high); by default
        :func:`default_uncertainties`.
    levers : sequence of str or mapping
        The same, for EMA's levers (policies); none by default.
    outcomes : sequence of str, optional
        Outcome names (the metrics' names and ``final_share_<state>``); by default all.
    name : str, optional
        The model's name, alphanumeric as EMA asks (by default the scenario's in capitalised
        words: ``HegemonicRise``).

    Returns
    -------
    ema_workbench.Model
        Ready for ``perform_experiments`` and ``optimize``.

    Raises
    ------
    MissingExtraError
        Without the EMA Workbench, naming the ``[ema]`` extra.
    ParameterValueError
        For a pair parameter, a name without a finite plausible range given alone, a name
        both an uncertainty and a lever, or an unknown outcome.
    UnknownNameError
        For an unknown parameter or state name (with the closest one).
    """
    require("ema", "an EMA Workbench model", "ema_workbench")
    import ema_workbench

    varied = _ranges(scenario, uncertainties)
    policy = _ranges(scenario, levers) if levers else {}
    both = set(varied) & set(policy)
    if both:
        raise ParameterValueError(f"{sorted(both)[0]!r} is both an uncertainty and a lever")
    measures = _outcomes(scenario, outcomes)
    names = (*varied, *policy)
    problem = Problem(names, tuple((*varied.values(), *policy.values())))

    def run(**experiment: float) -> dict[str, float]:
        design = np.array([[float(experiment[n]) for n in names]])
        values = {base: array[0].tolist() for base, array in
                  design_values(scenario, problem, design).items()}
        result = scenario.with_values(values).run()
        if not result.ok:
            return dict.fromkeys(measures, math.nan)
        return {key: f(result) for key, f in measures.items()}

    # EMA's model names are alphanumeric: hegemonic-rise is HegemonicRise
    title = "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", scenario.name))
    model = ema_workbench.Model(name or title, function=run)
    model.uncertainties = [ema_workbench.RealParameter(identifier(n), low, high,
                                                       variable_name=n)
                           for n, (low, high) in varied.items()]
    model.levers = [ema_workbench.RealParameter(identifier(n), low, high, variable_name=n)
                    for n, (low, high) in policy.items()]
    model.outcomes = [ema_workbench.ScalarOutcome(key) for key in measures]
    return model
