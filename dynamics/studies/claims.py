"""The tests that judge a scenario's claims, member by member.

A scenario's text makes claims ("balancing keeps the Riser below s*", "the small allies
carry the smaller burdens"), and its file declares each one (``[[claims]]``,
:mod:`dynamics.scenarios.declared`): a test by name, its arguments, and the variants of the
scenario whose runs it compares with the scenario's own. :func:`claims_of` turns them into
:class:`Claim` objects whose ``holds`` returns a boolean per member;
:mod:`dynamics.studies.robustness` runs them over a neighbourhood of the scenario's values and
reports how often each holds.

The tests are in :data:`TESTS`, by name: each is a function of the claim's arguments that
returns the judgement, a function of the :class:`Runs`. A test that needs the scenario
itself takes an argument named ``scenario``. A claim that needs code of its own names its
test as ``"module:function"`` (imported, as a researcher's mechanism is), or registers it
with :func:`register_test`.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from dynamics.calibration import history
from dynamics.errors import DynamicsError
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Status
from dynamics.run.ensemble import EnsembleResult
from dynamics.scenarios import Scenario, list_scenarios, load_scenario
from dynamics.scenarios.declared import DeclaredClaim

__all__ = ["Claim", "Runs", "claims_of", "TESTS", "register_test", "scenarios_with_claims"]

Variant = Callable[[Scenario], Scenario]
Holds = Callable[["Runs"], np.ndarray]
#: the tests of claims by name: a function of a claim's arguments returning its judgement
TESTS: dict[str, Callable[..., Holds]] = {}


def register_test(name: str) -> Callable[[Callable[..., Holds]], Callable[..., Holds]]:
    """Register a claim test under ``name`` (a decorator).

    Parameters
    ----------
    name : str
        The name a scenario file's ``test`` gives it.

    Returns
    -------
    callable
        The decorator: it registers a function of the claim's arguments (``args`` in its
        file) returning a function of the :class:`Runs` that says, member by member, whether
        the claim holds, and returns it unchanged.
    """
    def decorator(test: Callable[..., Holds]) -> Callable[..., Holds]:
        if name in TESTS and TESTS[name] is not test:
            raise ValueError(f"a claim test named {name!r} is already registered")
        TESTS[name] = test
        return test
    return decorator


@dataclass(frozen=True)
class Runs(Mapping[str, EnsembleResult]):
    """What a claim is judged on: the ensemble of the scenario (``runs["base"]``) and of each
    variant (by name) over the same members, and every value those members drew.

    A variant may switch off the mechanism that owns a value its claim is measured with
    (without soft balancing, the model has no hegemony share s*), yet the measure must be the
    member's own: :meth:`parameter` reads the drawn values first, then the scenario's run,
    never the variant's.

    Attributes
    ----------
    ensembles : mapping
        ``"base"`` and each variant's name -> its ensemble.
    drawn : mapping
        The values the members drew, by parameter name.
    """

    ensembles: Mapping[str, EnsembleResult]
    drawn: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> EnsembleResult:
        return self.ensembles[name]

    def __iter__(self):
        return iter(self.ensembles)

    def __len__(self) -> int:
        return len(self.ensembles)

    def parameter(self, name: str) -> np.ndarray:
        """A scalar parameter per member, shape (M,): the member's drawn value, else the
        scenario's, else the registry default."""
        base = self.ensembles["base"]
        value = self.drawn.get(name, base.parameters.get(name, REGISTRY[name].default))
        return np.broadcast_to(np.asarray(value, dtype=float), (base.members,))


@dataclass(frozen=True)
class Claim:
    """One claim of a scenario, ready to be judged.

    ``holds(runs)`` gets the ensemble of the scenario (``runs["base"]``) and of each variant
    (by name) over the same members, with the values they drew (:class:`Runs`), and returns
    whether the claim holds for each member.

    Attributes
    ----------
    name : str
        Its name, unique in the scenario.
    text : str
        The claim in words.
    holds : callable
        The judgement: a function of the :class:`Runs` returning a boolean per member.
    variants : mapping
        Variant name -> a function of the scenario returning the variant.
    kind : str
        What the project promises: ``robust`` (it holds in at least 90 % of the
        neighbourhood), ``conditional`` (in at least 90 % of the part where ``condition`` is
        met, and its text says so) or ``uncertain`` (no single condition makes it hold in
        90 %: its share is reported beside it and its text does not state it as a result).
    condition : (str, str, float), optional
        For a conditional claim: an input, ``"<="`` or ``">="``, and a factor of the
        scenario's value.
    """

    name: str
    text: str
    holds: Callable[[Runs], np.ndarray]
    variants: Mapping[str, Variant] = field(default_factory=dict)
    kind: str = "robust"
    condition: tuple[str, str, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("robust", "conditional", "uncertain"):
            raise ValueError(f"claim {self.name!r}: kind must be robust, conditional or "
                             "uncertain")
        if (self.kind == "conditional") != (self.condition is not None):
            raise ValueError(f"claim {self.name!r}: a conditional claim has a condition, "
                             "and only it")


def _state(run: EnsembleResult, state: str) -> int:
    return run.states.index(state)


def _peak(run: EnsembleResult, state: str) -> np.ndarray:
    share = run.values["share"][:, :, _state(run, state)]
    with np.errstate(all="ignore"):
        return np.where(run.ok, np.nanmax(np.where(np.isfinite(share), share, -np.inf),
                                            axis=1), np.nan)


@register_test("below_hegemony")
def _below_hegemony(state: str) -> Holds:
    """``state``'s peak share stays below the hegemony share s*."""
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) < runs.parameter("hegemony_share")
    return holds


@register_test("above_hegemony")
def _above_hegemony(state: str) -> Holds:
    """``state``'s peak share exceeds the hegemony share s*."""
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) > runs.parameter("hegemony_share")
    return holds


@register_test("approaches_equilibrium")
def _approaches() -> Holds:
    """Spending ends within 1 % of Richardson's equilibrium (see
    :func:`_approaches_equilibrium`)."""
    return _approaches_equilibrium


def _approaches_equilibrium(runs: Runs) -> np.ndarray:
    """Spending moves toward Richardson's equilibrium x* = (A - K)^-1 (g e + G) of each
    member (K_ij = k_i W_ij, W = 1 off the diagonal; output held at its start) and ends
    within 1 % of it."""
    run = runs["base"]
    n, m, e = len(run.states), run.values["m"], run.values["e"][:, 0]
    out = np.zeros(run.members, dtype=bool)
    for i in np.flatnonzero(run.ok):
        k = _per_state(run, "reaction", i, n)
        alpha = _per_state(run, "fatigue", i, n)
        drive = _per_state(run, "grievance", i, n) * e[i] + _per_state(
            run, "grievance_level", i, n)
        matrix = np.diag(alpha) - k[:, None] * (1 - np.eye(n))
        star = np.linalg.solve(matrix, drive)
        distance = np.abs(m[i] - star).max(axis=1)
        out[i] = distance[-1] < distance[len(distance) // 2] and distance[-1] < 0.01 * np.abs(
            star).max()
    return out


def _per_state(run: EnsembleResult, name: str, member: Any, n: int) -> np.ndarray:
    value = np.asarray(run.parameters.get(name, REGISTRY[name].default), dtype=float)
    if value.ndim == 2:
        value = value[member]
    return np.broadcast_to(value, (n,))


@register_test("runs_away")
def _runs_away() -> Holds:
    """The run diverges."""
    return lambda runs: np.array([s is Status.DIVERGED for s in runs["base"].status])


def _used(run: EnsembleResult) -> np.ndarray:
    """Each state's final burden as a share of its mobilisation ceiling, (M, N)."""
    burden = run.values["m"][:, -1] / run.values["e"][:, -1]
    return burden / np.broadcast_to(np.asarray(run.parameters["ceiling"], dtype=float),
                                    (run.members, len(run.states)))


@register_test("escalates")
def _escalates(state: str | None = None) -> Holds:
    """``state`` (every state where None) ends above half its mobilisation ceiling."""
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        used = _used(run)
        if state is None:
            return run.ok & np.all(used > 0.5, axis=1)
        return run.ok & (used[:, _state(run, state)] > 0.5)
    return holds


def _use(run: EnsembleResult) -> np.ndarray:
    """The final burden as a share of the ceiling, the larger of the states, per member."""
    return np.where(run.ok, np.max(_used(run), axis=1), np.nan)


@register_test("escalates_less")
def _less_than(variants: list[str]) -> Holds:
    """The larger final use of the ceiling is smaller than in each of ``variants``."""
    def holds(runs: Runs) -> np.ndarray:
        mine = _use(runs["base"])
        return np.all([mine < _use(runs[name]) for name in variants], axis=0)
    return holds


def _output_ratio(run: EnsembleResult, state: str) -> np.ndarray:
    """``state``'s output at the end over its output at the start (NaN where failed)."""
    e = run.values["e"][:, :, _state(run, state)]
    return np.where(run.ok, e[:, -1] / e[:, 0], np.nan)


@register_test("output_gains")
def _gains(state: str, by: float) -> Holds:
    """``state`` ends with more than 1 + ``by`` times its initial output."""
    def holds(runs: Runs) -> np.ndarray:
        return _output_ratio(runs["base"], state) > 1 + by
    return holds


@register_test("output_falls")
def _loses(state: str) -> Holds:
    """``state`` ends with less output than it starts with."""
    def holds(runs: Runs) -> np.ndarray:
        return _output_ratio(runs["base"], state) < 1
    return holds


def _changed_hands(run: EnsembleResult) -> np.ndarray:
    """The largest change of any state's output over the run, as a share of its start."""
    return np.max([np.abs(_output_ratio(run, s) - 1) for s in run.states], axis=0)


@register_test("changes_hands_less")
def _less_changes_hands(variant: str, factor: float) -> Holds:
    """Less than ``factor`` times the output that changes hands in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _changed_hands(runs["base"]) < factor * _changed_hands(runs[variant])
    return holds


def _final(run: EnsembleResult, variable: str, state: str) -> np.ndarray:
    """``variable`` of ``state`` at the end of each member's run (NaN where it failed)."""
    return np.where(run.ok, run.values[variable][:, -1, _state(run, state)], np.nan)


@register_test("ends_higher")
def _ends_higher(variable: str, state: str, variant: str) -> Holds:
    """``state``'s final ``variable`` is higher in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _final(runs["base"], variable, state) > _final(runs[variant], variable, state)
    return holds


@register_test("ends_lower")
def _ends_lower(variable: str, variant: str) -> Holds:
    """Every state's final ``variable`` is lower in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        base, other = runs["base"], runs[variant]
        final = lambda run: np.where(run.ok[:, None], run.values[variable][:, -1],  # noqa: E731
                                     np.nan)
        return np.all(final(base) < final(other), axis=1)
    return holds


def _cohesion(run: EnsembleResult, first: str, second: str) -> np.ndarray:
    """Cohesion of two states at the end of each member's run (NaN where it failed)."""
    return np.where(run.ok, run.values["c"][:, -1, _state(run, first), _state(run, second)],
                    np.nan)


@register_test("cohesion_ends")
def _draws(first: str, second: str, variant: str, closer: bool) -> Holds:
    """The two states end more (``closer``) or less allied in the scenario than in
    ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        mine, other = (_cohesion(runs[name], first, second) for name in ("base", variant))
        return mine > other if closer else mine < other
    return holds


@register_test("peak_lower_than")
def _lower_than(variant: str, state: str) -> Holds:
    """``state``'s peak share is lower in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) < _peak(runs[variant], state)
    return holds


@register_test("peak_lowest")
def _both_work_best(state: str, variants: list[str]) -> Holds:
    """``state``'s peak share is lower in the scenario than in every one of
    ``variants``."""
    def holds(runs: Runs) -> np.ndarray:
        mine = _peak(runs["base"], state)
        return np.all([mine < _peak(runs[name], state) for name in variants], axis=0)
    return holds


@register_test("smaller_carry_less")
def _smaller_carry_less(states: list[str]) -> Holds:
    """Spearman rank correlation of output and burden among ``states`` > 0 (time means
    from year 5)."""
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        allies = [_state(run, s) for s in states]
        keep = run.t >= 5.0
        out = np.zeros(run.members, dtype=bool)
        for i in np.flatnonzero(run.ok):
            size = run.values["e"][i][keep][:, allies].mean(axis=0)
            burden = (run.values["m"][i][keep] / run.values["e"][i][keep])[:, allies].mean(
                axis=0)
            out[i] = spearmanr(size, burden).statistic > 0
        return out
    return holds


@register_test("cohesion_fades")
def _cohesion_fades(states: list[str], by: float = 0.2) -> Holds:
    """The mean cohesion among ``states`` ends at least ``by`` below its peak."""
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        allies = [_state(run, s) for s in states]
        pairs = [(a, b) for k, a in enumerate(allies) for b in allies[k + 1:]]
        mean = np.mean([run.values["c"][:, :, a, b] for a, b in pairs], axis=0)
        return run.ok & (mean[:, -1] < np.nanmax(mean, axis=1) - by)
    return holds


def _unipolar_years(run: EnsembleResult, level: np.ndarray) -> np.ndarray:
    """Years until the leader's share falls below ``level``, each member's s*, located by
    linear interpolation between output times as :func:`~dynamics.analysis.metrics.crossing`
    does (inf if it never falls below; NaN where the run failed or starts below)."""
    top = run.values["share"].max(axis=2)
    below = top < level[:, None]
    started = top[:, 0] > level
    k = np.maximum(np.argmax(below, axis=1), 1)
    rows = np.arange(run.members)
    before, after = top[rows, k - 1], top[rows, k]
    with np.errstate(all="ignore"):
        when = run.t[k - 1] + (level - before) * (run.t[k] - run.t[k - 1]) / (after - before)
    years = np.where(below.any(axis=1), when - run.t[0], np.inf)
    return np.where(run.ok & started, years, np.nan)


@register_test("unipolarity_ends")
def _unipolarity_ends() -> Holds:
    """The leader's share falls below s* within the run."""
    return lambda runs: np.isfinite(_unipolar_years(runs["base"],
                                                    runs.parameter("hegemony_share")))


@register_test("unipolarity_shorter")
def _soft_balancing_shortens(variant: str) -> Holds:
    """The unipolar spell is shorter in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        level = runs.parameter("hegemony_share")
        return (_unipolar_years(runs["base"], level)
                < _unipolar_years(runs[variant], level))
    return holds


def _excess(run: EnsembleResult, state: str, level: np.ndarray) -> np.ndarray:
    return run.values["share"][:, -1, _state(run, state)] - level


@register_test("excess_lower_than")
def _soft_balancing_lowers(state: str, variant: str) -> Holds:
    """``state``'s final share in excess of s* is lower than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        level = runs.parameter("hegemony_share")
        return runs["base"].ok & (_excess(runs["base"], state, level)
                                  < _excess(runs[variant], state, level))
    return holds


@register_test("stays_above_hegemony")
def _stays_above(state: str) -> Holds:
    """``state`` ends above s*."""
    return lambda runs: runs["base"].ok & (
        _excess(runs["base"], state, runs.parameter("hegemony_share")) > 0)


def _effort_against(run: EnsembleResult, target: str, years: tuple[float, float]
                    ) -> np.ndarray:
    """The others' soft-balancing effort, summed over them and averaged over ``years``."""
    keep = (run.t >= years[0]) & (run.t <= years[1])
    others = [k for k, s in enumerate(run.states) if s != target]
    effort = run.values["v"][:, keep][:, :, others].sum(axis=2).mean(axis=1)
    return np.where(run.ok, effort, np.nan)


@register_test("more_effort")
def _more_effort(target: str, years: tuple[float, float], more: str, less: str) -> Holds:
    """The others build more soft-balancing effort against ``target`` over ``years`` in
    run ``more`` than in run ``less`` ("base" or a variant's name)."""
    def holds(runs: Runs) -> np.ndarray:
        return (_effort_against(runs[more], target, years)
                > _effort_against(runs[less], target, years))
    return holds


def _gains_from_coercion(run: EnsembleResult, state: str, since: float) -> np.ndarray:
    """What ``state`` extracts by coercion from ``since`` to the end (trapezoid rule on
    the output times)."""
    keep = run.t >= since
    return np.trapezoid(run.values["taken"][:, keep, _state(run, state)], run.t[keep], axis=1)


@register_test("constrains_more_than_it_moves")
def _constrains_more_than_it_moves(state: str, variant: str, since: float) -> Holds:
    """Against ``variant`` (soft balancing off), ``state``'s gains from coercion since
    ``since`` fall by a larger fraction than its final power share."""
    def holds(runs: Runs) -> np.ndarray:
        base, other = runs["base"], runs[variant]
        with np.errstate(all="ignore"):
            gains = 1 - _gains_from_coercion(base, state, since) / _gains_from_coercion(
                other, state, since)
            i = _state(base, state)
            share = 1 - base.values["share"][:, -1, i] / other.values["share"][:, -1, i]
        return base.ok & other.ok & (gains > 0) & (gains > share)
    return holds


@register_test("passes")
def _transition(state: str, over: str) -> Holds:
    """``state``'s share passes that of ``over`` within the run."""
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        share = run.values["share"]
        return run.ok & np.any(share[:, :, _state(run, state)] > share[:, :, _state(run, over)],
                               axis=1)
    return holds


@register_test("beats_persistence")
def _beats_persistence(scenario: Scenario) -> Holds:
    """The simulated shares of spending are closer to the record (mean absolute error)
    than the first year's shares held."""
    def holds(runs: Runs) -> np.ndarray:
        years, _, observed = history.observed(scenario)
        kept = np.isfinite(observed).all(axis=1)
        run = runs["base"]
        simulated = history.spending_shares(run.t, run.values["m"], years)
        error = np.abs(simulated[:, kept] - observed[kept]).mean(axis=(1, 2))
        persistence = np.abs(observed[0] - observed[kept]).mean()
        return np.nan_to_num(error, nan=np.inf) < persistence
    return holds


@register_test("spending_share_above")
def _share_of_spending_above(state: str, year: float, level: float) -> Holds:
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        shares = history.spending_shares(run.t, run.values["m"], [year])[
            :, 0, run.states.index(state)]
        return np.nan_to_num(shares) > level
    return holds


def claims_of(scenario: Scenario | str) -> list[Claim]:
    """The claims of a scenario, as its file declares them (``[[claims]]``), each with its test
    and variants.

    Parameters
    ----------
    scenario : Scenario or str
        A loaded scenario, or a shipped one by name.

    Returns
    -------
    list of Claim
        Its claims, in the file's order (none for a scenario that declares none).

    Raises
    ------
    ScenarioError
        For a test that is not known or that does not take the claim's arguments, naming the
        file and line of the claim.
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    return [_claim(scenario, declared) for declared in scenario.claims]


def _claim(scenario: Scenario, declared: DeclaredClaim) -> Claim:
    test = _test(declared)
    arguments = dict(declared.args)
    if "scenario" in inspect.signature(test).parameters:
        arguments["scenario"] = scenario
    try:
        inspect.signature(test).bind(**arguments)
    except TypeError as error:
        raise declared.error(f"test {declared.test!r} takes "
                             f"{_signature(test)}: {error}", "args") from None
    variants = {name: functools.partial(_variant, name=name) for name in declared.variants}
    return Claim(declared.name, declared.text, test(**arguments), variants, declared.kind,
                 declared.condition)


def _variant(scenario: Scenario, name: str) -> Scenario:
    return scenario.variant(name)


def _test(declared: DeclaredClaim) -> Callable[..., Holds]:
    """The test a claim names: a registered one, or ``module:function``."""
    if declared.test in TESTS:
        return TESTS[declared.test]
    if ":" in declared.test:
        module_name, _, attribute = declared.test.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise declared.error(f"cannot import test {declared.test!r}: {error}",
                                 "test") from None
    known = DynamicsError(f"unknown test {declared.test!r}; the tests are "
                          f"{', '.join(sorted(TESTS))}, or 'module:function'")
    raise declared.error(str(known), "test")


def _signature(test: Callable) -> str:
    return "(" + ", ".join(p for p in inspect.signature(test).parameters
                           if p != "scenario") + ")"


@functools.cache
def scenarios_with_claims() -> tuple[str, ...]:
    """The shipped scenarios whose files declare claims."""
    return tuple(name for name in list_scenarios() if load_scenario(name).claims)


def __getattr__(name: str) -> Any:
    if name == "CLAIMS":
        warnings.warn("dynamics.studies.claims.CLAIMS is deprecated: the claims are declared "
                      "in each scenario file; read them with claims_of(scenario)",
                      DeprecationWarning, stacklevel=2)
        return {scenario: claims_of(scenario) for scenario in scenarios_with_claims()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
