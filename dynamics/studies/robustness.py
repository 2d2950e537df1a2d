"""Robustness of a scenario's claims: how often each holds over a neighbourhood of its values.

A claim that holds only at the shipped values is tuned, not shown. :func:`robustness` draws
a Latin hypercube (``scipy.stats.qmc``) of ``members`` points in which every free value of
the scenario (each number in its ``[parameters]``, each state's entry separately; matrices
are held) is multiplied by a factor in [1 - spread, 1 + spread] (clipped to the parameter's
bounds), and each structurally uncertain parameter the model uses (a modelling choice with
no estimate, such as the bandwagoning share s_w: ``Parameter.uncertain``) is drawn
uniformly over its uncertain range, whether the scenario sets it or not. It runs the
scenario and the variants its claims compare with as ensembles over the same members, and
reports the share of members where each claim holds. Every input is recorded as a factor
of the scenario's value, so that conditions read the same way for both kinds. Where a claim fails
somewhere, the input and threshold that best separate where it holds from where it fails
(a one-split decision stump) say which region breaks it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from dynamics.errors import DynamicsError, ParameterValueError, UnknownNameError
from dynamics.model.registry import REGISTRY
from dynamics.results.files import write_text
from dynamics.results.labelled import member_differences
from dynamics.results.report import Report
from dynamics.run.ensemble import EnsembleResult
from dynamics.scenarios import Scenario
from dynamics.studies.claims import Claim, Runs, claims_of
from dynamics.studies.design import (
    BYTES_PER_MEMBER,
    Problem,
    check_size,
    progress_bar,
    run_values,
)
from dynamics.studies.discovery import Discovery, discover_of

__all__ = ["Input", "Condition", "ClaimShare", "Robustness", "robustness", "at_values",
           "free_inputs", "metadata_block", "metadata_file", "write_metadata", "neighbourhood",
           "restricted"]


@dataclass(frozen=True)
class Input:
    """One varied value of a neighbourhood.

    Attributes
    ----------
    name : str
        The parameter's registry name.
    state : str
        The state whose entry it is ("" for a scalar, or a value given for every state).
    value : float
        The scenario's value, which the members multiply by their factor.
    uncertain : (float, float), optional
        For a structurally uncertain parameter, the range its members are drawn over instead.
    """

    name: str
    state: str
    value: float
    uncertain: tuple[float, float] | None = None  # drawn over this range, not +-spread

    @property
    def label(self) -> str:
        return f"{self.name}.{self.state}" if self.state else self.name


@dataclass(frozen=True)
class Condition:
    """Where a claim holds: the best single split of one input.

    Attributes
    ----------
    input : str
        The input's label (``name`` or ``name.STATE``).
    threshold : float
        The split, as a factor on the scenario's value.
    below, above : float
        The share of the members below and above the threshold in which the claim holds.
    """

    input: str
    threshold: float
    below: float
    above: float

    def text(self) -> str:
        return (f"holds in {self.below:.0%} of members with {self.input} <= "
                f"{self.threshold:.3g} x its value, {self.above:.0%} above")


@dataclass(frozen=True)
class ClaimShare:
    """How often one claim holds.

    Attributes
    ----------
    name, text, kind : str
        The claim's name, text and kind (robust, conditional or uncertain).
    share : float
        The share of all members in which it holds.
    within : float or None
        For a conditional claim, the share among the members that meet its condition.
    failed_runs : int
        Runs (of the scenario and its variants) that did not finish.
    condition : Condition or None
        The single split of one input that best separates where it holds.
    unsure : int or None
        Members decided within the solver's error: the claim's verdict changes when they
        are solved again at tolerances 100 times tighter (None: not checked).
    """

    name: str
    text: str
    kind: str
    share: float
    within: float | None
    failed_runs: int
    condition: Condition | None
    unsure: int | None = None

    @property
    def meets_its_promise(self) -> bool:
        """Robust: 90 % overall; conditional: 90 % within its condition; uncertain: any."""
        if self.kind == "robust":
            return self.share >= 0.9
        if self.kind == "conditional":
            return self.within is not None and self.within >= 0.9
        return True


@dataclass
class Robustness(Report):
    """The share of members in which each claim of a scenario holds.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    members : int
        Members of the Latin hypercube.
    spread : float
        Each free value is multiplied by a factor in [1 - spread, 1 + spread].
    seed : int
        The seed of the design.
    inputs : tuple of str
        The labels of the varied inputs.
    claims : list of ClaimShare
        How often each claim holds.
    solver_error : (float, float) or None
        The median and the largest estimated global error of the members' runs (their
        largest difference from the same runs at tolerances 100 times tighter, relative
        to each variable's largest magnitude; None: not checked).
    factors : ndarray or None
        Each member's factor on each input's value (members, inputs), for :meth:`prim`.
    bounds : tuple of (float, float)
        The range each input's factor was drawn over.
    verdicts : dict
        Per claim, whether it holds in each member.
    """

    scenario: str
    members: int
    spread: float
    seed: int
    inputs: tuple[str, ...]
    claims: list[ClaimShare]
    solver_error: tuple[float, float] | None = None
    factors: np.ndarray | None = field(default=None, repr=False, compare=False)
    bounds: tuple[tuple[float, float], ...] = field(default=(), repr=False, compare=False)
    verdicts: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def prim(self, claim: str, threshold: float = 0.8, mass_min: float = 0.05,
             where: str = "rarer") -> Discovery:
        """What decides a claim: PRIM (and CART's first split) over the members' factors,
        the outcome being where the claim holds, or where it fails (the ``[discovery]``
        extra).

        Parameters
        ----------
        claim : str
            The claim's name.
        where : str
            ``"holds"``, ``"fails"``, or ``"rarer"`` (default): whichever of the two happens
            in fewer members, the region PRIM can find.
        threshold : float
            The density PRIM aims for, in (0, 1].
        mass_min : float
            The smallest box, as a share of the members, in (0, 1).

        Returns
        -------
        Discovery
            The box of factors (on each input's value) where the claim holds most densely.
        """
        if claim not in self.verdicts or self.factors is None:
            raise UnknownNameError("claim", claim, tuple(self.verdicts))
        if where not in ("holds", "fails", "rarer"):
            raise UnknownNameError("outcome of a claim", where, ("holds", "fails", "rarer"))
        holds = self.verdicts[claim]
        if where == "rarer":
            where = "holds" if holds.mean() <= 0.5 else "fails"
        problem = Problem(self.inputs, self.bounds)
        return discover_of(problem, self.factors, holds if where == "holds" else ~holds,
                           outcome_text=f"claim {claim!r} {where} (inputs as factors on the "
                                        "scenario's values)",
                           threshold=threshold, mass_min=mass_min, scenario=self.scenario)

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "members": self.members, "spread": self.spread,
                "seed": self.seed, "inputs": list(self.inputs),
                "claims": [{"name": c.name, "text": c.text, "kind": c.kind,
                            "share": c.share, "within": c.within,
                            "failed_runs": c.failed_runs, "unsure": c.unsure,
                            "condition": None if c.condition is None else vars(c.condition)}
                           for c in self.claims],
                "solver_error": (None if self.solver_error is None
                                 else dict(zip(("median", "max"), self.solver_error,
                                               strict=True)))}

    def rows(self) -> list[dict[str, Any]]:
        return [{"claim": c.name, "kind": c.kind, "share": c.share, "within": c.within,
                 "text": c.text,
                 "condition": c.condition.text() if c.condition else ""} for c in self.claims]

    def summary(self) -> str:
        lines = [f"{self.scenario}: {self.members} members, every free value x "
                 f"[{1 - self.spread:g}, {1 + self.spread:g}] and each structurally uncertain "
                 f"one over its range ({len(self.inputs)} inputs)"]
        for c in self.claims:
            lines.append(f"  {c.share:6.1%}  {c.name} ({c.kind}): {c.text}")
            if c.within is not None:
                lines.append(f"          {c.within:.1%} where its condition holds")
            if c.condition is not None and c.share < 1:
                lines.append(f"          best single split: {c.condition.text()}")
            if c.unsure:
                lines.append(f"          {c.unsure} members decided within the solver's error "
                             "(their verdict changes at tolerances 100 times tighter)")
        if self.solver_error is not None:
            lines.append(f"  solver: every member solved again at tolerances 100 times "
                         f"tighter; estimated global error median {self.solver_error[0]:.1e}, "
                         f"largest {self.solver_error[1]:.1e}; "
                         f"{sum(c.unsure or 0 for c in self.claims)} verdicts change")
        return "\n".join(lines)


def free_inputs(scenario: Scenario) -> list[Input]:
    """The values a neighbourhood of ``scenario`` varies: every number it gives a parameter,
    each state's entry separately (matrix values and zeros are held: a factor cannot move a
    zero), then every structurally uncertain scalar parameter its model uses, over its
    uncertain range.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    list of Input
        The varied values, in that order.
    """
    found = []
    used = scenario.model().parameter_names
    uncertain = [REGISTRY[name] for name in used if REGISTRY[name].uncertain is not None
                 and REGISTRY[name].kind == "scalar"]
    for spec in uncertain:
        value = float(scenario.parameters.get(spec.name, spec.default))
        if value != 0.0:
            found.append(Input(spec.name, "", value, spec.uncertain))
    for name, value in scenario.parameters.items():
        kind = REGISTRY[name].kind
        if kind == "pair" or any(item.name == name for item in found):
            continue
        if kind == "scalar":
            found.append(Input(name, "", float(value)))
            continue
        per_state = np.asarray(scenario.parameter(name), dtype=float)
        found += [Input(name, state, float(v)) for state, v in zip(scenario.states, per_state,
                                                                   strict=True)]
    return [item for item in found if item.value != 0.0]


def _values(scenario: Scenario, inputs: list[Input], factors: np.ndarray
            ) -> dict[str, np.ndarray]:
    """The scenario's parameters with each input scaled per member, clipped to bounds."""
    values: dict[str, np.ndarray] = {}
    members = factors.shape[0]
    for k, item in enumerate(inputs):
        low, high = REGISTRY[item.name].bounds
        scaled = np.clip(item.value * factors[:, k], low, high)
        if not item.state:
            values[item.name] = scaled
            continue
        if item.name not in values:
            values[item.name] = np.tile(scenario.parameter(item.name), (members, 1))
        values[item.name][:, scenario.states.index(item.state)] = scaled
    return values


def _stump(factors: np.ndarray, holds: np.ndarray, names: tuple[str, ...]
           ) -> Condition | None:
    """The single split (input, threshold) that best separates holds from fails."""
    if holds.all() or not holds.any():
        return None
    best: tuple[float, Condition] | None = None
    leaf = max(5, len(holds) // 10)  # each side keeps a tenth of the members at least
    for k, name in enumerate(names):
        order = np.argsort(factors[:, k])
        x, y = factors[order, k], holds[order]
        for cut in range(leaf, len(x) - leaf + 1):
            if x[cut] == x[cut - 1]:
                continue
            below, above = y[:cut].mean(), y[cut:].mean()
            accuracy = max(y[:cut].sum() + (~y[cut:]).sum(), (~y[:cut]).sum() + y[cut:].sum())
            if best is None or accuracy > best[0]:
                threshold = float((x[cut] + x[cut - 1]) / 2)
                best = (accuracy, Condition(name, threshold, float(below), float(above)))
    return None if best is None else best[1]


def robustness(scenario: Scenario, claims: list[Claim] | None = None, *, members: int = 256,
               spread: float = 0.25, seed: int = 0, progress: bool = False,
               force: bool = False, solver_check: bool = True, **options: Any
               ) -> Robustness:
    """How often each claim of ``scenario`` holds over a neighbourhood of its values (see the
    module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    claims : list of Claim, optional
        The claims judged; by default those its file declares (:func:`claims_of`).
    members : int
        Members of the Latin hypercube (at least 2).
    spread : float
        Each free value is multiplied by a factor in [1 - spread, 1 + spread], spread in (0, 1).
    seed : int
        The seed of the design.
    progress : bool
        Show a bar, one step per ensemble (the scenario's, then each variant's; the
        ``[parallel]`` extra's tqdm).
    force : bool
        Run it even if its runs would hold more than half of the machine's memory
        (:func:`~dynamics.studies.design.check_size`).
    solver_check : bool
        Solve every run again at tolerances 100 times tighter, and report each claim's
        members whose verdict changes (``ClaimShare.unsure``) and the runs' estimated
        global error (``Robustness.solver_error``); about three times the work.
    **options
        Those of the ensembles (``solver``).

    Returns
    -------
    Robustness
        The share of members in which each claim holds, with its best single condition.
    """
    claims = claims_of(scenario) if claims is None else claims
    if not claims:
        raise ParameterValueError(f"scenario {scenario.name!r} states no claims to check")
    check_spread(spread)
    if members < 2:
        raise ParameterValueError(f"members must be at least 2, got {members}")
    variants = {name: variant for claim in claims for name, variant in claim.variants.items()}
    # every run of every member is held whole (the claims read trajectories)
    model = scenario.model()
    held = (1 + len(variants)) * 8 * len(model.variables) * int(scenario.output)
    check_size(members, BYTES_PER_MEMBER + held * (1 + solver_check), "a robustness study",
               force)
    inputs, factors, values = neighbourhood(scenario, members, spread, seed)
    solver = options.get("solver", scenario.solver)
    with progress_bar((1 + len(variants)) * (1 + solver_check), unit="ensemble",
                      shown=progress) as step:
        runs = _runs(scenario, variants, values, step, options)
        tight = (_runs(scenario, variants, values, step,
                       {**options, "solver": solver.tightened()}) if solver_check else None)
    labels = tuple(item.label for item in inputs)
    failed = sum(int((~run.ok).sum()) for run in runs.values())
    shares = []
    trial = Runs(runs, values)
    verdicts: dict[str, np.ndarray] = {}
    error = None
    if tight is not None:
        names = model.variable_names
        gaps = np.concatenate([member_differences(runs[k].values, tight[k].values, names,
                                                  solver.atol)
                               [runs[k].ok & tight[k].ok] for k in runs])
        if gaps.size:
            error = (float(np.median(gaps)), float(np.max(gaps)))
    for claim in claims:
        holds = np.asarray(claim.holds(trial), dtype=bool)
        verdicts[claim.name] = holds
        unsure = (None if tight is None else int(np.sum(
            holds != np.asarray(claim.holds(Runs(tight, values)), dtype=bool))))
        within = None
        if claim.condition is not None:
            label, op, factor = claim.condition
            column = factors[:, labels.index(label)]
            inside = column >= factor if op == ">=" else column <= factor
            within = float(holds[inside].mean()) if inside.any() else None
        shares.append(ClaimShare(claim.name, claim.text, claim.kind, float(holds.mean()),
                                 within, failed, _stump(factors, holds, labels), unsure))
    bounds = tuple((item.uncertain[0] / item.value, item.uncertain[1] / item.value)
                   if item.uncertain is not None else (1 - spread, 1 + spread)
                   for item in inputs)
    return Robustness(scenario.name, members, spread, seed, labels, shares, error, factors,
                      bounds, verdicts)


def _runs(scenario: Scenario, variants: Mapping[str, Any], values: Mapping[str, np.ndarray],
          step: Callable[[], None], options: Mapping[str, Any]) -> dict[str, EnsembleResult]:
    """The neighbourhood run as the scenario and as each variant, one ensemble each."""
    runs = {"base": run_values(scenario, restricted(values, scenario), **options)}
    step()
    for name, variant in variants.items():
        changed = variant(scenario)
        # a value the variant sets is its own, not varied: the variant is that change
        own = {k for k in changed.parameters
               if repr(changed.parameters[k]) != repr(scenario.parameters.get(k))}
        kept = {k: v for k, v in restricted(values, changed).items() if k not in own}
        runs[name] = run_values(changed, kept, **options)
        step()
    return runs


def at_values(scenario: Scenario, claims: list[Claim] | None = None, **options: Any
              ) -> dict[str, bool]:
    """Whether each claim of ``scenario`` holds at the scenario's own values: one run of the
    scenario and of each variant its claims compare with. A robust claim, and a conditional
    one whose condition the scenario's values meet, hold here (tests/test_robustness.py).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    claims : list of Claim, optional
        The claims judged; by default those its file declares.
    **options
        Those of the runs (``solver``).

    Returns
    -------
    dict
        Claim name -> whether it holds.
    """
    claims = claims_of(scenario) if claims is None else claims
    runs = {"base": run_values(scenario, {}, **options)}
    for name, variant in {n: v for claim in claims for n, v in claim.variants.items()}.items():
        runs[name] = run_values(variant(scenario), {}, **options)
    trial = Runs(runs)
    return {claim.name: bool(np.asarray(claim.holds(trial), dtype=bool)[0]) for claim in claims}


def check_spread(spread: float) -> None:
    """Refuse a neighbourhood's relative spread outside (0, 1) (robustness and compare)."""
    if isinstance(spread, bool) or not isinstance(spread, int | float) or not 0 < spread < 1:
        raise ParameterValueError(f"spread must be in (0, 1), got {spread!r}")


def neighbourhood(scenario: Scenario, members: int, spread: float = 0.25, seed: int = 0
                  ) -> tuple[list[Input], np.ndarray, dict[str, np.ndarray]]:
    """The members of the neighbourhood of the scenario's values (module docstring).

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    members : int
        Members of the Latin hypercube.
    spread : float
        Each free value is multiplied by a factor in [1 - spread, 1 + spread].
    seed : int
        The seed of the design.

    Returns
    -------
    (list of Input, ndarray, dict)
        The free inputs, their factors (members, inputs) and the parameter values of each
        member by registry name.
    """
    check_spread(spread)
    inputs = free_inputs(scenario)
    unit = qmc.LatinHypercube(len(inputs), seed=seed).random(members)
    factors = 1 - spread + 2 * spread * unit
    for k, item in enumerate(inputs):
        if item.uncertain is not None:
            low, high = item.uncertain
            factors[:, k] = (low + (high - low) * unit[:, k]) / item.value
    return inputs, factors, _values(scenario, inputs, factors)


def restricted(values: Mapping[str, np.ndarray], scenario: Scenario) -> dict[str, np.ndarray]:
    """The varied values a variant's model uses (a mechanism switched off drops some).

    Parameters
    ----------
    values : mapping
        Parameter values by registry name, with a member axis.
    scenario : Scenario
        The scenario or variant that runs them.

    Returns
    -------
    dict
        The values of the parameters its model uses.
    """
    names = scenario.model().parameter_names
    return {k: v for k, v in values.items() if k in names}


_BLOCK = "[robustness]"


def metadata_block(result: Robustness) -> str:
    """The ``[robustness]`` table a scenario file records: the settings and each claim's share
    (and its share within its condition), as measured.

    Parameters
    ----------
    result : Robustness
        What :func:`robustness` measured.

    Returns
    -------
    str
        The TOML table.
    """
    shares = ", ".join(f'"{c.name}" = {c.share:.4f}' for c in result.claims)
    lines = [_BLOCK,
             "# measured by `balancing robustness NAME --write`; tests/test_robustness.py "
             "recomputes it",
             f"members = {result.members}", f"spread = {result.spread:g}",
             f"seed = {result.seed}", f"share = {{{shares}}}"]
    within = ", ".join(f'"{c.name}" = {c.within:.4f}' for c in result.claims
                       if c.within is not None)
    if within:
        lines.append(f"within = {{{within}}}")
    return "\n".join(lines) + "\n"


def metadata_file(scenario: Scenario) -> Path:
    """The file that records a scenario's robustness: the file it was read from, or the
    shipped file of its name.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    Path
        Its file.

    Raises
    ------
    DynamicsError
        For a scenario with no file (built in code).
    """
    if scenario.path is not None and Path(scenario.path).is_file():
        return Path(scenario.path)
    shipped = Path(__file__).parents[1] / "scenarios" / "library" / f"{scenario.name}.toml"
    if shipped.is_file():
        return shipped
    raise DynamicsError(f"scenario {scenario.name!r} has no file to record its robustness in "
                        "(write it to a .toml file first)")


def write_metadata(path: str | Path | Scenario, result: Robustness) -> Path:
    """Replace the ``[robustness]`` table of a scenario file (the tables after it are kept), or
    append one at the end; the file is written whole or not at all.

    Parameters
    ----------
    path : str, Path or Scenario
        The scenario file, or the scenario whose file it is (the file it was read from, or
        the shipped file of its name).
    result : Robustness
        What :func:`robustness` measured.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DynamicsError
        For a scenario with no file (built in code).
    """
    if isinstance(path, Scenario):
        path = metadata_file(path)
    path = Path(path)
    text = path.read_text()
    head, found, rest = text.partition(_BLOCK)
    tail = ""
    if found:
        following = re.search(r"^\[", rest, flags=re.MULTILINE)
        tail = rest[following.start():] if following else ""
    body = head.rstrip("\n") + "\n\n" + metadata_block(result)
    return write_text(path, body + ("\n" + tail if tail else ""))
