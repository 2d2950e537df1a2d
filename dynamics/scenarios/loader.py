"""Scenario files (TOML): parsing, validation with file/line/key errors, and running.

A scenario file has these tables (only ``[model]`` is required)::

    [scenario]    name, title, description, theory, references (keys of REFERENCES),
                  unit (the currency unit of spending and output, for labels),
                  extends = "other-scenario" (a shipped name, or a path relative to this file)
    [model]       states = ["USA", "CHN"], mechanisms = ["ceiling", ...] or "all"
    [time]        span = [0, 50], output = 201
    [parameters]  registry name = number | [per state] | {STATE = number} | [[matrix]]
    [initial]     m, e, theta, c, v as for simulate(initial=...)
    [solver]      method, rtol, atol, max_step, divergence, engine, max_steps, code (honoured by
                  every run, ensemble, sweep and sensitivity study of the scenario)
    [sources]     "parameters.reaction" = "where this number comes from"
    [robustness]  members, spread, seed, share = {claim = share}, within = {...}: how often
                  the claims of a shipped scenario hold (written by ``balancing robustness
                  NAME --write``)
    [history]     codes, members, variable, scale, calibration, burden, output,
                  economies, breaks: how a historical scenario
                  (in calendar years) is compared with the Correlates of War record
                  (:mod:`dynamics.calibration.history`)
    [assumptions] "name" = {parameters = {...}, initial = {...}, without = ["mechanism"]}:
                  what switching each of the scenario's assumptions off changes
                  (:func:`dynamics.studies.counterfactual.decompose` records what each drives)
    [variants]    "name" = {without = [...], parameters = {...}, initial = {...},
                  interventions = false}: the scenario with something changed, for claims
    [[claims]]    one table per claim its text makes: name, text, test, args, variants,
                  kind, condition (:mod:`dynamics.scenarios.declared`)
    [prose]       inputs, given, results: the numbers of its text, each accounted for
    [[events]]    one table per intervention (:mod:`dynamics.run.interventions`): name, at
                  (a year) or when (a condition), set = {"c.USA.GBR" = 0.8}, scale =
                  {reaction = 0.5}, ramp (years), repeat

A scenario that ``extends`` another keeps its interventions and adds its own (one of the
same name replaces it); ``without = ["NAME", ...]`` in ``[scenario]`` drops the base's
interventions of those names (a counterfactual history: the same world without the
Entente).

A scenario that ``extends`` another takes everything from it and changes only what it
states: parameters per name (per state for mappings), initial values per variable,
``[model]``, ``[time]`` and ``[solver]`` per key. It cannot change the states.

Every value is validated against the registry before anything runs; an error names the
file, the line and the key.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError, ParameterValueError, ScenarioError, UnknownNameError
from dynamics.model.model import Model
from dynamics.model.names import parse_name
from dynamics.model.references import REFERENCES
from dynamics.model.registry import REGISTRY, VARIABLES, resolve_mechanisms
from dynamics.results import html
from dynamics.results.labelled import Result
from dynamics.run.front import simulate
from dynamics.run.interventions import FIELDS, Intervention, InterventionError, plan
from dynamics.run.prepared import resolve_values
from dynamics.run.solver import Solver
from dynamics.scenarios.declared import (
    ASSUMPTION_KEYS,
    CLAIM_KEYS,
    PROSE_KEYS,
    VARIANT_KEYS,
    DeclaredClaim,
    check_changes,
    check_prose,
    claims_of_file,
    table_line,
)

__all__ = ["Scenario", "parse_scenario", "parse_assignment", "list_scenarios", "load_scenario",
           "load_intervention", "prose_value"]

_TABLES = {
    "scenario": {"name", "title", "description", "theory", "references", "extends", "unit",
                 "without"},
    "model": {"states", "mechanisms"},
    "time": {"span", "output"},
    "parameters": REGISTRY,  # live: a researcher's mechanism adds its own
    "initial": VARIABLES,
    "solver": {"method", "rtol", "atol", "max_step", "divergence", "engine", "max_steps",
               "code"},
    "sources": None,  # free keys
    "robustness": {"members", "spread", "seed", "share", "within"},
    "events": set(FIELDS),
    "history": {"codes", "members", "variable", "scale", "calibration", "burden",
                "threat_share", "output", "economies", "breaks"},
    "assumptions": None,  # free keys: the assumptions' names
    "variants": None,  # free keys: the variants' names
    "claims": set(CLAIM_KEYS),
    "prose": set(PROSE_KEYS),
}


@dataclass(frozen=True)
class Scenario:
    """A named, documented model run: states, mechanisms, values, time span, sources.

    Parameters
    ----------
    name : str
        The scenario's name (its file's, for a shipped one).
    states : tuple of str
        The states, in order.
    mechanisms : tuple of str or str
        The mechanisms beside Richardson's core, or ``"all"``.
    parameters, initial : mapping
        Parameter and initial values by registry name (per state as a mapping or a list).
    t_span : (float, float)
        Start and end, in years (calendar years for a historical scenario).
    output : int
        The number of evenly spaced output times.
    solver : Solver
        The integration options.
    title, description, theory : str
        What the scenario shows, its story, and the theory it illustrates.
    unit : str
        The currency unit of spending and output ("" for arbitrary units).
    references : tuple of str
        Keys of :data:`~dynamics.model.references.REFERENCES`.
    sources : mapping
        The source or assumption of each value (``"parameters.reaction"`` -> text).
    robustness : mapping
        The measured share of the neighbourhood in which each claim holds.
    path : str, optional
        The file it was read from.
    events : tuple of Intervention
        Its interventions (the file's ``[[events]]`` tables).
    history : mapping
        How it is compared with the historical record (the file's ``[history]`` table).
    assumptions : mapping
        What switching each of its assumptions off changes: by name, ``parameters``,
        ``initial`` and ``without`` (mechanisms), the file's ``[assumptions]`` table
        (:meth:`switched_off`, :func:`dynamics.studies.counterfactual.decompose`).
    variants : mapping
        The scenario with something changed, by name: ``without``, ``parameters``,
        ``initial`` and ``interventions = false``, the file's ``[variants]`` table
        (:meth:`variant`); the runs its claims compare with its own.
    claims : tuple of DeclaredClaim
        The claims its text makes, the file's ``[[claims]]`` tables
        (:mod:`dynamics.scenarios.declared`; judged by :mod:`dynamics.studies.claims`).
    prose : mapping
        The numbers of its title, description and theory, the file's ``[prose]`` table:
        ``inputs``, ``given`` and ``results`` (:mod:`dynamics.scenarios.declared`).
    """

    name: str
    states: tuple[str, ...]
    mechanisms: tuple[str, ...] | str = "all"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    initial: Mapping[str, Any] = field(default_factory=dict)
    t_span: tuple[float, float] = (0.0, 50.0)
    output: int = 401
    solver: Solver = Solver()
    title: str = ""
    #: the currency unit of spending and output ("US$ bn (current)"); "" for arbitrary units
    unit: str = ""
    description: str = ""
    theory: str = ""
    references: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    #: the measured robustness of its claims (the file's [robustness] table), if any
    robustness: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    #: its interventions (the file's [[events]] tables), dated and triggered
    events: tuple[Intervention, ...] = ()
    #: how it is compared with the historical record (the file's [history] table)
    history: Mapping[str, Any] = field(default_factory=dict)
    #: what switching each of its assumptions off changes (the file's [assumptions] table)
    assumptions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the scenario with something changed, by name (the file's [variants] table)
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the claims its text makes (the file's [[claims]] tables)
    claims: tuple[DeclaredClaim, ...] = ()
    #: the numbers of its text: inputs, given and results (the file's [prose] table)
    prose: Mapping[str, Any] = field(default_factory=dict)

    def model(self) -> Model:
        """The scenario's :class:`Model`."""
        return Model(self.states, self.mechanisms)

    def with_values(self, parameters: Mapping[str, Any] | None = None,
                    mechanisms: Sequence[str] | str | None = None,
                    initial: Mapping[str, Any] | None = None, **changes: Any) -> Scenario:
        """A copy with some parameters (merged per state), mechanisms or fields changed.

        Raises
        ------
        UnknownNameError
            For a parameter or variable name that does not exist (with the closest one).
        ParameterValueError
            For a value out of its bounds, or a parameter that no mechanism of the copy
            uses (its mechanism is off): a value that would silently do nothing.
        """
        changed = self._changed(parameters, mechanisms, initial, **changes)
        if parameters or initial:
            # what is given here is checked as simulate and the command line's --set check
            # it: a misspelt name, a value of a mechanism that is off, a value out of bounds
            model = changed.model()
            resolve_values(model, {name: changed.parameters[name]
                                   for name in parameters or {}}, dict(initial or {}))
        return changed

    def _changed(self, parameters: Mapping[str, Any] | None = None,
                 mechanisms: Sequence[str] | str | None = None,
                 initial: Mapping[str, Any] | None = None, **changes: Any) -> Scenario:
        """:meth:`with_values` without its checks (the loader checks a file's values
        itself, naming the file, line and key)."""
        merged = dict(self.parameters)
        for name, value in (parameters or {}).items():
            old = merged.get(name)
            if isinstance(value, Mapping) and isinstance(old, Mapping):
                value = {**old, **value}
            elif isinstance(value, Mapping) and old is not None:
                # a per-state override of a value given for every state
                base = (list(old) if isinstance(old, Sequence) and not isinstance(old, str)
                        else [old] * len(self.states))
                value = {**dict(zip(self.states, base, strict=True)), **value}
            merged[name] = value
        chosen = self.mechanisms if mechanisms is None else (
            mechanisms if isinstance(mechanisms, str) else tuple(mechanisms))
        return replace(self, parameters=merged, mechanisms=chosen,
                       initial={**self.initial, **(initial or {})}, **changes)

    def run(self, **kwargs: Any) -> Result:
        """Simulate the scenario; keyword arguments go to :func:`~dynamics.simulate`.

        Parameters of mechanisms the scenario has switched off are left out (a comparison
        that turns balancing off keeps the values it would use when on).
        """
        model = self.model()
        options: dict[str, Any] = {"initial": self.initial, "output": self.output,
                                   "solver": self.solver, "interventions": self.events}
        options.update(kwargs)
        result = simulate(model, self.values(model), self.t_span, **options)
        if not isinstance(result, Result):
            raise ParameterValueError("a scenario runs one member; give ensembles to "
                                      "dynamics.run.front")
        return result

    def to_xmile(self, path: str | Path | None = None, dt: float | None = None) -> str:
        """The scenario as an XMILE document (:mod:`dynamics.run.xmile`): its model,
        values, span and dated interventions; written to ``path`` (whole or not at all)
        where given.

        Parameters
        ----------
        path : str or Path, optional
            The file to write.
        dt : float, optional
            Euler's step, in years (default :data:`~dynamics.run.xmile.DEFAULT_DT`).

        Returns
        -------
        str
            The document.

        Raises
        ------
        XmileError
            Naming what XMILE cannot express: a triggered intervention, a solver option
            (the scenario's ``[solver]`` table, whose settings an XMILE tool does not read).
        """
        from dynamics.results.files import write_text
        from dynamics.run.xmile import DEFAULT_DT, XmileError, to_xmile

        default = Solver()
        options = [f"{f.name} = {getattr(self.solver, f.name)!r}" for f in fields(Solver)
                   if getattr(self.solver, f.name) != getattr(default, f.name)]
        if options:
            raise XmileError(f"scenario {self.name!r}: its [solver] option(s) "
                             f"{', '.join(options)} have no XMILE form (the document declares "
                             "Euler's method with its step dt); export a copy without them")
        model = self.model()
        text = to_xmile(model, self.values(model), self.initial, self.t_span, self.events,
                        dt=DEFAULT_DT if dt is None else dt, name=self.name,
                        description=self.title)
        if path is not None:
            write_text(path, text)
        return text

    def switched_off(self, *assumptions: str) -> Scenario:
        """The scenario with the named assumptions switched off (their ``[assumptions]``
        entries applied one after another)."""
        scenario = self
        for name in assumptions:
            if name not in self.assumptions:
                raise UnknownNameError("assumption", name, self.assumptions)
            scenario = scenario._applied(self.assumptions[name], checked=False)
        return replace(scenario, name=f"{self.name} without {', '.join(assumptions)}"
                       if assumptions else self.name)

    def mechanism_names(self) -> list[str]:
        """The scenario's mechanisms beside Richardson's core, by name (those of ``"all"``
        listed)."""
        if isinstance(self.mechanisms, str):
            return sorted(self.model().mechanisms - {"richardson"})
        return list(self.mechanisms)

    def variant(self, name: str) -> Scenario:
        """The scenario changed as its variant ``name`` says (:attr:`variants`): its
        mechanisms ``without``, its ``parameters`` and ``initial`` values changed (checked
        as :meth:`with_values` checks them), and with ``interventions = false`` none of its
        interventions."""
        if name not in self.variants:
            raise UnknownNameError("variant", name, self.variants)
        change = self.variants[name]
        changed = self._applied(change, checked=True)
        if change.get("interventions", True) is False:
            changed = replace(changed, events=())
        return changed

    def _applied(self, change: Mapping[str, Any], checked: bool) -> Scenario:
        """The scenario with one entry of ``[assumptions]`` or ``[variants]`` applied: its
        mechanisms ``without`` switched off, its ``parameters`` and ``initial`` values
        changed (checked as :meth:`with_values` checks them where ``checked``)."""
        without = change.get("without", ())
        mechanisms = ([m for m in self.mechanism_names() if m not in without] if without
                      else None)
        apply = self.with_values if checked else self._changed
        return apply(change.get("parameters") or None, mechanisms,
                     change.get("initial") or None)

    def values(self, model: Model | None = None) -> dict[str, Any]:
        """The parameter values that the scenario's model uses (idle ones left out)."""
        names = (model or self.model()).parameter_names
        return {k: v for k, v in self.parameters.items() if k in names}

    def parameter(self, name: str) -> float | np.ndarray:
        """The scenario's value of a scalar parameter, or of a per-state one for every
        state (shape (N,)), defaults filled in; matrix parameters are refused."""
        if name not in REGISTRY:
            raise UnknownNameError("parameter", name, REGISTRY)
        spec = REGISTRY[name]
        value = self.parameters.get(name, spec.default)
        if spec.kind == "scalar":
            return float(value)
        if spec.kind == "pair":
            raise ParameterValueError(f"{name!r} is a matrix parameter; give one number per "
                                      "state pair instead")
        if isinstance(value, Mapping):
            return np.array([float(value.get(s, spec.default)) for s in self.states])
        return np.broadcast_to(np.asarray(value, dtype=float), (len(self.states),)).copy()

    def _repr_html_(self) -> str:
        """Notebook view: the story and the parameter values with their sources."""
        model = self.model()
        return (f"<h4>{html.escape(self.name)}: {html.escape(self.title)}</h4>"
                f"<p>{html.escape(self.description)}</p>"
                + html.table(html.PARAMETER_HEADER, html.parameter_rows(
                    (REGISTRY[name] for name in model.parameter_names), dict(self.parameters))))


def parse_assignment(text: str, scenario: Scenario) -> tuple[str, Any]:
    """Parse a command-line ``--set`` value.

    Parameters
    ----------
    text : str
        ``name=value`` or ``name.STATE=value``.
    scenario : Scenario
        The scenario (its states).

    Returns
    -------
    (str, float or dict)
        The name and the value (a float, or ``{STATE: float}``).

    Raises
    ------
    UnknownNameError
        For an unknown name or state, with the closest match.
    """
    key, sep, raw = text.partition("=")
    if not sep:
        raise ScenarioError(f"--set expects name=value or name.STATE=value, got {text!r}")
    parsed = parse_name(key, scenario.states)
    if parsed.indices == 2 and parsed.states:
        raise ScenarioError(f"--set {key}: a matrix parameter is set as a whole")
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(f"--set {key}: value {raw!r} is not a number") from None
    if parsed.state:
        return parsed.base, {parsed.state: value}
    return parsed.base, value


def _line_of(text: str, table: str, key: str | None) -> int | None:
    """Line number (1-based) of ``key`` inside ``[table]`` (or of the table header)."""
    current, header_line = None, None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[([^\]]+)\]", stripped)
        if header:
            current = header.group(1).strip()
            if current == table:
                header_line = number
            continue
        if current == table and key is not None:
            if re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return number
    return header_line


def parse_scenario(text: str, path: str = "<string>", base: Scenario | None = None
                   ) -> Scenario:
    """Parse and validate scenario TOML.

    Parameters
    ----------
    text : str
        The TOML.
    path : str
        Its file, named in messages (and the base of a relative ``extends``).
    base : Scenario, optional
        The scenario a file without ``extends`` changes.

    Returns
    -------
    Scenario
        The scenario.

    Raises
    ------
    ScenarioError
        Naming the file, line and key of what is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise ScenarioError(f"not valid TOML: {error}", path=path,
                            line=int(line.group(1)) if line else None) from None

    def fail(message: str, table: str, key: str | None = None) -> ScenarioError:
        return ScenarioError(message, path=path, line=_line_of(text, table, key),
                             key=f"{table}.{key}" if key else table)

    for table, value in data.items():
        if table not in _TABLES:
            raise fail(_unknown("table", table, _TABLES), table)
        if table in ("events", "claims"):
            if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
                raise fail(f"{table} must be tables [[{table}]], one per "
                           f"{'intervention' if table == 'events' else 'claim'}", table)
        elif not isinstance(value, dict):
            raise fail(f"{table!r} must be a table [{table}]", table)
    _check_types(data, fail)
    mechanisms = data.get("model", {}).get("mechanisms")
    if mechanisms is not None:  # a researcher's mechanisms bring their parameters
        try:
            resolve_mechanisms(mechanisms)
        except DynamicsError as error:
            raise fail(str(error), "model", "mechanisms") from None
    for table, value in data.items():
        allowed = _TABLES[table]
        if table in ("events", "claims"):
            continue  # read by _events_of and claims_of_file
        for key in value:
            if allowed is not None and key not in allowed:
                kind = {"parameters": "parameter", "initial": "variable"}.get(table, "key")
                raise fail(_unknown(kind, key, allowed), table, key)
    meta, model, time = data.get("scenario", {}), data.get("model", {}), data.get("time", {})
    base = _base_of(meta.get("extends"), path, fail) if "extends" in meta else base
    if base is None and "states" not in model:
        raise fail("a scenario needs [model] states = [...]", "model")
    if base is not None and "states" in model and tuple(model["states"]) != base.states:
        raise fail(f"a scenario that extends {base.name!r} keeps its states {list(base.states)}",
                   "model", "states")
    references = tuple(meta.get("references", ()))
    for ref in references:
        if ref not in REFERENCES:
            raise fail(_unknown("reference", ref, REFERENCES), "scenario", "references")
    try:
        solver = Solver(**{**(vars(base.solver) if base else {}), **data.get("solver", {})})
    except DynamicsError as error:
        raise fail(str(error), "solver") from None
    span = time.get("span", list(base.t_span) if base else [0.0, 50.0])
    if not (isinstance(span, list) and len(span) == 2):
        raise fail(f"span must be [start, end] in years, got {span!r}", "time", "span")
    fields = dict(
        name=meta.get("name") or Path(path).stem, t_span=(float(span[0]), float(span[1])),
        output=int(time.get("output", base.output if base else 401)), solver=solver,
        title=meta.get("title", ""), description=meta.get("description", "").strip(),
        unit=meta.get("unit", base.unit if base else ""),
        theory=meta.get("theory", "").strip(), path=path,
        references=tuple(dict.fromkeys((base.references if base else ()) + references)),
        sources={**(base.sources if base else {}), **data.get("sources", {})},
        robustness=data.get("robustness", {}),  # measured for this file, not inherited
        history={**(base.history if base else {}), **data.get("history", {})},
        # this file's assumptions and variants, not the base's
        assumptions=check_changes(data.get("assumptions", {}), "assumptions", ASSUMPTION_KEYS,
                                  fail),
        variants=check_changes(data.get("variants", {}), "variants", VARIANT_KEYS, fail))
    if base is None:
        scenario = Scenario(states=tuple(model["states"]),
                            mechanisms=model.get("mechanisms", "all"),
                            parameters=data.get("parameters", {}),
                            initial=data.get("initial", {}), **fields)
    else:
        scenario = base._changed(data.get("parameters", {}), model.get("mechanisms"),
                                 data.get("initial", {}), **fields)
    built = _model_of(scenario, fail)
    scenario = replace(scenario, events=_events_of(data, text, path, base, built,
                                                   scenario.t_span, fail))
    if base is not None:  # values inherited for a mechanism this file switches off
        own = data.get("parameters", {})  # are the base's own, not this file's
        scenario = replace(scenario, parameters={
            k: v for k, v in scenario.parameters.items()
            if k in built.parameter_names or k in own})
    _validate(scenario, built, fail)
    _validate_changes(scenario, fail)
    return replace(scenario, claims=claims_of_file(data.get("claims", []), text, path,
                                                   scenario.variants),
                   prose=check_prose(data.get("prose", {}), scenario.variants, fail))


def _validate_changes(scenario: Scenario, fail) -> None:
    """Each assumption and variant switches off mechanisms of the scenario, and the
    scenario it gives is valid: a variant's values are checked as it is applied
    (:meth:`Scenario.variant`), an assumption's, applied unchecked so that several can be
    switched off together, here."""
    mechanisms = scenario.mechanism_names()
    for table, changes, apply in (("assumptions", scenario.assumptions, scenario.switched_off),
                                  ("variants", scenario.variants, scenario.variant)):
        what = table[:-1]
        for name, change in changes.items():
            unknown = [m for m in change.get("without", ()) if m not in mechanisms]
            if unknown:
                raise fail(f"{what} {name!r}: without must list mechanisms of the scenario "
                           f"({', '.join(mechanisms)}), got {unknown}", table, name)
            try:
                changed = apply(name)
                if table == "assumptions":
                    model = changed.model()
                    idle = [k for k in change.get("parameters", {})
                            if k not in model.parameter_names]
                    if idle:
                        raise ParameterValueError(f"{', '.join(idle)} is not used by the "
                                                  "model with it switched off")
                    resolve_values(model, changed.values(model), dict(changed.initial))
            except DynamicsError as error:
                raise fail(f"{what} {name!r}: {error}", table, name) from None


def _events_of(data: dict, text: str, path: str, base: Scenario | None, model: Model,
               span: tuple[float, float], fail) -> tuple[Intervention, ...]:
    """The scenario's interventions: the base's (less those named in ``without``, or
    replaced by one of the same name) and the file's own ``[[events]]``, each checked
    against the model and span; an error names the table's line and key."""
    without = data.get("scenario", {}).get("without", [])
    if not _texts(without):
        raise fail("without must be a list of intervention names", "scenario", "without")
    inherited = {i.name: i for i in (base.events if base else ())}
    for name in without:
        if name not in inherited:
            raise fail(_unknown("intervention of the base scenario", name, inherited),
                       "scenario", "without")
        del inherited[name]
    own: list[Intervention] = []
    for number, table in enumerate(data.get("events", [])):
        def at(key: str | None, number=number) -> ScenarioError:
            return ScenarioError("", path=path, line=table_line(text, "events", number, key),
                                 key=f"events[{number}]" + (f".{key}" if key else ""))
        for key in table:
            if key not in FIELDS:
                where = at(key)
                raise ScenarioError(_unknown("key", key, FIELDS), path=path, line=where.line,
                                    key=where.key)
        try:
            event = Intervention(**table)
            plan(model, [event], span)
        except (InterventionError, DynamicsError, TypeError) as error:
            where = at(getattr(error, "key", None) if getattr(error, "key", None) in table
                       else None)
            raise ScenarioError(str(error), path=path, line=where.line,
                                key=where.key) from None
        own.append(event)
    events = [*(i for name, i in inherited.items() if name not in {e.name for e in own}),
              *own]
    try:
        plan(model, events, span)
    except DynamicsError as error:
        raise fail(str(error), "events") from None
    return tuple(events)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: what each fixed key must hold, and how to say it
_TYPES: dict[tuple[str, str], tuple[Any, str]] = {
    ("scenario", "name"): (lambda v: isinstance(v, str), "a string"),
    ("scenario", "title"): (lambda v: isinstance(v, str), "a string"),
    ("scenario", "description"): (lambda v: isinstance(v, str), "a string"),
    ("scenario", "theory"): (lambda v: isinstance(v, str), "a string"),
    ("scenario", "unit"): (lambda v: isinstance(v, str), "a string"),
    ("scenario", "extends"): (lambda v: isinstance(v, str), "a scenario name or file"),
    ("scenario", "references"): (_texts, "a list of reference keys"),
    ("model", "states"): (_texts, "a list of state names"),
    ("model", "mechanisms"): (lambda v: isinstance(v, str) or _texts(v),
                              '"all" or a list of mechanism names'),
    ("time", "span"): (lambda v: isinstance(v, list) and len(v) == 2
                       and all(_number(x) for x in v), "[start, end] in years"),
    ("time", "output"): (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 2,
                         "a whole number of output times, at least 2"),
    ("solver", "method"): (lambda v: isinstance(v, str), "a method name"),
    ("solver", "engine"): (lambda v: isinstance(v, str), "an engine name"),
    ("solver", "code"): (lambda v: isinstance(v, str), '"auto", "unrolled" or "array"'),
    ("solver", "max_steps"): (lambda v: isinstance(v, int) and not isinstance(v, bool),
                              "a whole number"),
    ("history", "codes"): (lambda v: isinstance(v, dict) and all(_texts(c) for c in v.values()),
                           "a table of lists of COW abbreviations per state"),
    ("history", "members"): (lambda v: isinstance(v, dict) and all(_texts(c) and c
                                                                 for c in v.values()),
                             "a table of non-empty lists of COW abbreviations per bloc"),
    ("history", "output"): (lambda v: v in ("capability", "gdp"), '"capability" or "gdp"'),
    ("history", "breaks"): (lambda v: isinstance(v, dict) and all(
        isinstance(y, int) and not isinstance(y, bool) for y in v.values()),
                            "a table of years (whole numbers) per state"),
    ("history", "economies"): (lambda v: isinstance(v, dict) and all(_texts(c) and c
                                                                   for c in v.values()),
                               "a table of non-empty lists of ISO country codes per state"),
    ("history", "variable"): (lambda v: v in ("milex", "milper", "cinc"),
                              '"milex", "milper" or "cinc"'),
    ("history", "scale"): (lambda v: _number(v) and v > 0, "a positive number"),
    ("history", "calibration"): (lambda v: isinstance(v, int) and not isinstance(v, bool)
                                 and v >= 1, "a whole number of years, at least 1"),
    ("history", "burden"): (lambda v: _number(v) and 0 < v < 1, "a number in (0, 1)"),
    ("history", "threat_share"): (lambda v: _number(v) and 0 <= v < 1,
                                  "a number in [0, 1)"),
}


def _check_types(data: dict, fail) -> None:
    """Each fixed key holds what it must (a list of names, a span, a number ...)."""
    for (table, key), (check, expected) in _TYPES.items():
        body = data.get(table)
        if isinstance(body, dict) and key in body and not check(body[key]):
            raise fail(f"{key} must be {expected}, got {body[key]!r}", table, key)
    for key in ("rtol", "atol", "max_step", "divergence"):
        body = data.get("solver")
        if isinstance(body, dict) and key in body and not _number(body[key]):
            raise fail(f"{key} must be a number, got {body[key]!r}", "solver", key)
    for key, value in (data.get("sources") or {}).items():
        if not isinstance(value, str):
            raise fail(f"a source must be a string, got {value!r}", "sources", key)


def _base_of(extends: str, path: str, fail) -> Scenario:
    """The scenario named by ``extends``: a shipped name or a path beside ``path``."""
    beside = Path(path).parent / extends
    try:
        return load_scenario(beside if beside.suffix == ".toml" and beside.is_file()
                             else extends)
    except _Cycle as cycle:
        if cycle.path is not None:  # already placed at the file where the cycle closes
            raise
        located = fail(str(cycle), "scenario", "extends")
        raise _Cycle(str(cycle), path=located.path, line=located.line,
                     key=located.key) from None
    except DynamicsError as error:
        raise fail(f"cannot extend {extends!r}: {error}", "scenario", "extends") from None


def _model_of(scenario: Scenario, fail) -> Model:
    """The scenario's model, an error mapped to the file's [model] table."""
    try:
        return scenario.model()
    except DynamicsError as error:
        key = "mechanisms" if "mechanism" in str(error) else "states"
        raise fail(str(error), "model", key) from None


def _validate(scenario: Scenario, model: Model, fail) -> None:
    """Resolve every value now, mapping errors to file and line."""
    for table, values in (("parameters", scenario.parameters), ("initial", scenario.initial)):
        for key, value in values.items():
            try:
                resolve_values(model, *(({key: value}, None) if table == "parameters"
                                        else (None, {key: value})))
            except DynamicsError as error:
                raise fail(str(error), table, key) from None


def _unknown(kind: str, name: str, choices) -> str:
    return str(UnknownNameError(kind, name, sorted(choices)))


def _library() -> dict[str, resources.abc.Traversable]:
    folder = resources.files("dynamics.scenarios") / "library"
    return {p.name.removesuffix(".toml"): p for p in folder.iterdir() if p.name.endswith(".toml")}


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package.

    Returns
    -------
    list of str
        The names, sorted.
    """
    return sorted(_library())


def load_intervention(base: Scenario, path: str | Path) -> Scenario:
    """The counterfactual a file describes.

    Parameters
    ----------
    base : Scenario
        The baseline.
    path : str or Path
        A scenario of its own (with ``extends`` or ``[model] states``), or ``[[events]]``
        tables (and ``[scenario] without = [...]``) applied to ``base``.

    Returns
    -------
    Scenario
        The counterfactual.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"no such intervention file: {path}")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = {}  # parse_scenario reports it with its line
    if "extends" in data.get("scenario", {}) or "states" in data.get("model", {}):
        return parse_scenario(text, str(path))
    return parse_scenario(text, str(path), base=base)


class _Cycle(ScenarioError):
    """A scenario that extends itself, directly or through others."""


#: the scenarios being loaded in this context, outermost first (to find ``extends`` cycles)
_CHAIN: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("chain", default=())


@contextlib.contextmanager
def _loading(key: str):
    """Mark ``key`` (a resolved file or a shipped name) as being loaded; refuse it if it is
    already, which only an ``extends`` cycle can do."""
    chain = _CHAIN.get()
    if key in chain:
        cycle = " -> ".join([*chain[chain.index(key):], key])
        raise _Cycle(f"extends cycle: {cycle}; a scenario cannot extend itself, directly "
                     "or through others")
    token = _CHAIN.set((*chain, key))
    try:
        yield
    finally:
        _CHAIN.reset(token)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A name of :func:`list_scenarios`, or the path of a ``.toml`` scenario file.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    UnknownNameError
        For an unknown name, with the closest shipped one.
    ScenarioError
        For a malformed file, naming the file, line and key.
    """
    library = _library()
    text_name = str(name_or_path)
    if text_name in library:
        with _loading(f"{text_name} (shipped)"):
            return parse_scenario(library[text_name].read_text(), f"{text_name}.toml")
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if path.is_dir():
            raise ScenarioError(f"{path} is a folder, not a scenario file (.toml)")
        if not path.is_file():
            raise ScenarioError(f"no such scenario file: {path}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise ScenarioError(f"{path} is not a text (UTF-8) file: byte {error.start} "
                                "cannot be read; a scenario file is TOML") from None
        except OSError as error:
            raise ScenarioError(f"{path}: cannot be read ({error.strerror})") from None
        with _loading(str(path.resolve())):
            return parse_scenario(text, str(path))
    raise UnknownNameError("scenario", text_name, sorted(library))


def prose_value(scenario: Scenario, spec: Mapping[str, Any]) -> float:
    """The value of a result of the prose, read from a run.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose prose it is.
    spec : mapping
        ``read``: a quantity as results label it (``"share.Riser"``, ``"c.West.Centre"``,
        ``"m"``); ``variant``: one of the scenario's variants, or ``scenario``: another
        shipped scenario, run instead; ``at``: ``start``, ``end`` (the default), ``max``,
        ``min`` or a time (interpolated); ``mean = true``: the mean over the states that
        remain.

    Returns
    -------
    float
        The value.
    """
    if "scenario" in spec:
        scenario = load_scenario(spec["scenario"])
    if "variant" in spec:
        scenario = scenario.variant(spec["variant"])
    result = scenario.run()
    if not result.ok:
        raise DynamicsError(f"{scenario.name}: the run failed: {result.message}")
    values = np.asarray(result[tuple(spec["read"].split("."))], dtype=float)
    at = spec.get("at", "end")
    if at == "start":
        values = values[0]
    elif at == "end":
        values = values[-1]
    elif at == "max":
        values = np.nanmax(values, axis=0)
    elif at == "min":
        values = np.nanmin(values, axis=0)
    else:
        values = np.array([np.interp(float(at), result.t, column)
                           for column in values.reshape(len(result.t), -1).T]).reshape(
                               values.shape[1:])
    if spec.get("mean", False):
        values = np.mean(values)
    if np.ndim(values) != 0:
        raise DynamicsError(f"{spec['read']!r} at {at!r} is not one number: name a state "
                            "or add mean = true")
    return float(values)
