"""Readable tables of parameters, scenarios, models and results: text, Markdown and HTML.

The Markdown parameter reference (``docs/parameters.md``) and the notebook HTML are
generated here from the registry, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from dynamics.model.mechanisms import SHIPPED
from dynamics.model.references import PACKAGE_WORKS, REFERENCES
from dynamics.model.registry import MECHANISMS, REGISTRY, owner
from dynamics.results.html import PARAMETER_HEADER, escape, table, value_text

if TYPE_CHECKING:  # pragma: no cover
    from dynamics.model.model import Model
    from dynamics.scenarios.loader import Scenario

__all__ = ["parameter_table", "describe_text", "robustness_text", "ParameterSet"]

_COLUMNS = ["name", "symbol", "per", "unit", "default", "bounds", "plausible", "mechanism",
            "source", "meaning"]
#: columns of the text table (the meaning is long; the Markdown table has it)
_SHORT = len(_COLUMNS) - 1


def _default_text(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _rows(shipped_only: bool) -> list[list[str]]:
    specs = ([p for m in SHIPPED for p in m.parameters] if shipped_only
             else list(REGISTRY.values()))
    return [[p.name, p.latex, p.kind, p.unit, _default_text(p.default), p.bounds_text(),
             p.plausible_text(), owner(p.name), p.source, p.meaning] for p in specs]


def parameter_table(markdown: bool = False, shipped_only: bool = False) -> str:
    """The parameter registry as a table.

    Parameters
    ----------
    markdown : bool
        A Markdown table (with references) instead of aligned text.
    shipped_only : bool
        Only the shipped mechanisms' parameters.

    Returns
    -------
    str
        The table.
    """
    rows = _rows(shipped_only)
    if markdown:
        lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        for row in rows:
            cells = [f"${row[1]}$" if i == 1 else c.replace("|", "\\|")
                     for i, c in enumerate(row)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "References:", ""]
        lines += [f"- **{key}**: {text}" for key, text in REFERENCES.items()
                  if not shipped_only or key in PACKAGE_WORKS]
        return "\n".join(lines)
    short = [row[:_SHORT] for row in rows]
    widths = [max(len(r[i]) for r in [_COLUMNS[:_SHORT], *short]) for i in range(_SHORT)]
    fmt = "  ".join(f"{{:{w}s}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [_COLUMNS[:_SHORT], *short])


def robustness_text(scenario: Scenario) -> str:
    """How often the scenario's claims hold, from its [robustness] table, with their text.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    str
        One line per claim.
    """
    from dynamics.studies.claims import claims_of

    record = scenario.robustness
    lines = [f"Robustness ({record.get('members')} members, every free value x 1 +- "
             f"{record.get('spread')}; `balancing robustness {scenario.name}` recomputes it):"]
    for claim in claims_of(scenario):
        share = record.get("share", {}).get(claim.name)
        within = record.get("within", {}).get(claim.name)
        extra = f", {within:.0%} within its condition" if within is not None else ""
        shown = f"{share:.0%}" if share is not None else "?"
        lines.append(f"  {shown:>4} ({claim.kind}{extra}): {claim.text}")
    return "\n".join(lines)


def describe_text(scenario: Scenario) -> str:
    """What ``balancing describe`` prints.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    str
        Its story, parameter table, equations and sources.
    """
    model = scenario.model()
    out = [scenario.name + (f": {scenario.title}" if scenario.title else ""), ""]
    out += [scenario.description, ""] if scenario.description else []
    out += ["Theory: " + scenario.theory, ""] if scenario.theory else []
    out += [f"States: {', '.join(scenario.states)}",
            f"Mechanisms: {', '.join(sorted(model.mechanisms, key=list(MECHANISMS).index))}",
            f"Time span: {scenario.t_span[0]:g} to {scenario.t_span[1]:g} years", ""]
    rows = [["parameter", "symbol", "value", "unit", "bounds", "source"]]
    for name in model.parameter_names:
        spec = REGISTRY[name]
        value = scenario.parameters.get(name, spec.default)
        marker = "" if name in scenario.parameters else " (default)"
        rows.append([name, spec.latex, value_text(value) + marker, spec.unit,
                     spec.bounds_text(), scenario.sources.get(f"parameters.{name}",
                                                              spec.source)])
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]
    if scenario.initial:
        out += ["", "Initial values:"]
        for name, value in scenario.initial.items():
            source = scenario.sources.get(f"initial.{name}", "")
            out.append(f"  {name} = {value_text(value)}" + (f"  [{source}]" if source else ""))
    if scenario.events:
        out += ["", "Interventions:"] + [f"  {event.describe()}" for event in scenario.events]
    if scenario.robustness:
        out += ["", robustness_text(scenario)]
    if scenario.references:
        out += ["", "References:"] + [f"  {REFERENCES[r]}" for r in scenario.references]
    out += ["", "Equations (index notation, LaTeX):", model.latex()]
    return "\n".join(out)


class ParameterSet(dict):
    """Resolved parameter values of a model that show as an HTML table.

    ``ParameterSet(model, {"reaction": {"USA": 0.4}})`` completes the values with the
    registry's defaults and validates them (as :func:`~dynamics.simulate` does); in a notebook
    it shows each value by state with its unit, bounds and source.

    Parameters
    ----------
    model : Model
        The model.
    values : dict, optional
        Parameter values by registry name.
    """

    def __init__(self, model: Model, values: dict | None = None):
        from dynamics.run.prepared import resolve_values

        resolved = resolve_values(model, values).values
        super().__init__({name: resolved[name] for name in model.parameter_names})
        self.model = model

    def _repr_html_(self) -> str:
        rows = []
        for name, value in self.items():
            spec = REGISTRY[name]
            shown = value
            if spec.kind == "state":
                shown = dict(zip(self.model.states, np.asarray(value).tolist(), strict=True))
            rows.append([escape(name), f"${spec.latex}$", escape(value_text(shown)),
                         escape(spec.unit), escape(spec.bounds_text()), escape(spec.source),
                         escape(spec.meaning)])
        return (f"<p><b>Parameters</b> of {escape(repr(self.model))}</p>"
                + table(PARAMETER_HEADER, rows))
