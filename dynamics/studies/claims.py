"""The claims the shipped scenarios make, as functions that say, member by member, whether
a claim holds in an ensemble.

A scenario's text makes claims ("balancing keeps the Riser below s*", "the small allies
carry the smaller burdens"). Each is a :class:`Claim` here: it may compare the scenario
with variants of itself (the same members with a mechanism off), and ``holds`` returns a
boolean per member. :mod:`dynamics.studies.robustness` runs them over a neighbourhood of the
scenario's values and reports how often each holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from dynamics.calibration import history
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Status
from dynamics.run.ensemble import EnsembleResult
from dynamics.scenarios import Scenario, load_scenario

__all__ = ["Claim", "CLAIMS", "Runs", "claims_of"]

Variant = Callable[[Scenario], Scenario]


@dataclass(frozen=True)
class Runs(Mapping[str, EnsembleResult]):
    """What a claim is judged on: the ensemble of the scenario (``runs["base"]``) and of
    each variant (by name) over the same members, and every value those members drew.

    A variant may switch off the mechanism that owns a value its claim is measured with
    (without soft balancing, the model has no hegemony share s*), yet the measure must be
    the member's own: :meth:`parameter` reads the drawn values first, then the scenario's
    run, never the variant's.
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
    """One claim of a scenario.

    ``holds(runs)`` gets the ensemble of the scenario (``runs["base"]``) and of each
    variant (by name) over the same members, with the values they drew (:class:`Runs`),
    and returns whether the claim holds for each member. ``kind`` says what the project
    promises about it:

    - ``robust``: it holds in at least 90 % of the neighbourhood;
    - ``conditional``: it holds in at least 90 % of the part of the neighbourhood where
      ``condition`` = (input, ``"<="`` or ``">="``, factor of the scenario's value) is met,
      a region measured by :func:`dynamics.studies.robustness.robustness`, and its text says so;
    - ``uncertain``: no single condition makes it hold in 90 %; its share is reported
      beside it and its text does not state it as a result.
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


def _without(mechanism: str) -> Variant:
    def variant(scenario: Scenario) -> Scenario:
        return scenario.with_values(mechanisms=[m for m in scenario.mechanisms
                                                if m != mechanism])
    return variant


def _state(run: EnsembleResult, state: str) -> int:
    return run.states.index(state)


def _peak(run: EnsembleResult, state: str) -> np.ndarray:
    share = run.values["share"][:, :, _state(run, state)]
    with np.errstate(all="ignore"):
        return np.where(run.ok, np.nanmax(np.where(np.isfinite(share), share, -np.inf),
                                            axis=1), np.nan)


def _below_hegemony(state: str) -> Callable[[Runs], np.ndarray]:
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) < runs.parameter("hegemony_share")
    return holds


def _above_hegemony(state: str) -> Callable[[Runs], np.ndarray]:
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) > runs.parameter("hegemony_share")
    return holds


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


def _runs_away(runs: Runs) -> np.ndarray:
    return np.array([s is Status.DIVERGED for s in runs["base"].status])


def _used(run: EnsembleResult) -> np.ndarray:
    """Each state's final burden as a share of its mobilisation ceiling, (M, N)."""
    burden = run.values["m"][:, -1] / run.values["e"][:, -1]
    return burden / np.broadcast_to(np.asarray(run.parameters["ceiling"], dtype=float),
                                    (run.members, len(run.states)))


def _escalates(runs: Runs) -> np.ndarray:
    """Both states end above half their mobilisation ceiling."""
    run = runs["base"]
    return run.ok & np.all(_used(run) > 0.5, axis=1)


def _escalates_state(state: str) -> Callable[[Runs], np.ndarray]:
    """``state`` ends above half its mobilisation ceiling."""
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        return run.ok & (_used(run)[:, _state(run, state)] > 0.5)
    return holds


def _use(run: EnsembleResult) -> np.ndarray:
    """The final burden as a share of the ceiling, the larger of the states, per member."""
    return np.where(run.ok, np.max(_used(run), axis=1), np.nan)


def _less_than(*variants: str) -> Callable[[Runs], np.ndarray]:
    def holds(runs: Runs) -> np.ndarray:
        mine = _use(runs["base"])
        return np.all([mine < _use(runs[name]) for name in variants], axis=0)
    return holds


def _output_ratio(run: EnsembleResult, state: str) -> np.ndarray:
    """``state``'s output at the end over its output at the start (NaN where failed)."""
    e = run.values["e"][:, :, _state(run, state)]
    return np.where(run.ok, e[:, -1] / e[:, 0], np.nan)


def _gains(state: str, by: float) -> Callable[[Runs], np.ndarray]:
    """``state`` ends with more than 1 + ``by`` times its initial output."""
    def holds(runs: Runs) -> np.ndarray:
        return _output_ratio(runs["base"], state) > 1 + by
    return holds


def _loses(state: str) -> Callable[[Runs], np.ndarray]:
    """``state`` ends with less output than it starts with."""
    def holds(runs: Runs) -> np.ndarray:
        return _output_ratio(runs["base"], state) < 1
    return holds


def _changed_hands(run: EnsembleResult) -> np.ndarray:
    """The largest change of any state's output over the run, as a share of its start."""
    return np.max([np.abs(_output_ratio(run, s) - 1) for s in run.states], axis=0)


def _less_changes_hands(variant: str, factor: float) -> Callable[[Runs], np.ndarray]:
    """Less than ``factor`` times the output that changes hands in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _changed_hands(runs["base"]) < factor * _changed_hands(runs[variant])
    return holds


def _with(values: Mapping[str, Any]) -> Variant:
    def variant(scenario: Scenario) -> Scenario:
        return scenario.with_values(dict(values))
    return variant


def _final(run: EnsembleResult, variable: str, state: str) -> np.ndarray:
    """``variable`` of ``state`` at the end of each member's run (NaN where it failed)."""
    return np.where(run.ok, run.values[variable][:, -1, _state(run, state)], np.nan)


def _ends_higher(variable: str, state: str, variant: str) -> Callable[[Runs], np.ndarray]:
    """``state``'s final ``variable`` is higher in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _final(runs["base"], variable, state) > _final(runs[variant], variable, state)
    return holds


def _cohesion(run: EnsembleResult, first: str, second: str) -> np.ndarray:
    """Cohesion of two states at the end of each member's run (NaN where it failed)."""
    return np.where(run.ok, run.values["c"][:, -1, _state(run, first), _state(run, second)],
                    np.nan)


def _draws(first: str, second: str, variant: str, closer: bool
           ) -> Callable[[Runs], np.ndarray]:
    """The two states end more (``closer``) or less allied in the scenario than in
    ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        mine, other = (_cohesion(runs[name], first, second) for name in ("base", variant))
        return mine > other if closer else mine < other
    return holds


def _lower_than(variant: str, state: str) -> Callable[[Runs], np.ndarray]:
    """``state``'s peak share is lower in the scenario than in ``variant``."""
    def holds(runs: Runs) -> np.ndarray:
        return _peak(runs["base"], state) < _peak(runs[variant], state)
    return holds


def _both_work_best(runs: Runs) -> np.ndarray:
    both = _peak(runs["base"], "Riser")
    return (both < _peak(runs["internal only"], "Riser")) & (
        both < _peak(runs["external only"], "Riser"))


def _smaller_carry_less(*states: str) -> Callable[[Runs], np.ndarray]:
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


def _cohesion_fades(runs: Runs) -> np.ndarray:
    """Mean cohesion of the allies ends at least 0.2 below its peak."""
    run = runs["base"]
    allies = [_state(run, s) for s in ("Leader", "Ally1", "Ally2", "Ally3")]
    pairs = [(a, b) for k, a in enumerate(allies) for b in allies[k + 1:]]
    mean = np.mean([run.values["c"][:, :, a, b] for a, b in pairs], axis=0)
    return run.ok & (mean[:, -1] < np.nanmax(mean, axis=1) - 0.2)


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


def _unipolarity_ends(runs: Runs) -> np.ndarray:
    return np.isfinite(_unipolar_years(runs["base"], runs.parameter("hegemony_share")))


def _soft_balancing_shortens(runs: Runs) -> np.ndarray:
    level = runs.parameter("hegemony_share")
    return (_unipolar_years(runs["base"], level)
            < _unipolar_years(runs["no soft balancing"], level))


def _excess(run: EnsembleResult, level: np.ndarray) -> np.ndarray:
    return run.values["share"][:, -1, _state(run, "Unipole")] - level


def _soft_balancing_lowers(runs: Runs) -> np.ndarray:
    level = runs.parameter("hegemony_share")
    return runs["base"].ok & (_excess(runs["base"], level)
                              < _excess(runs["no soft balancing"], level))


def _stays_above(runs: Runs) -> np.ndarray:
    return runs["base"].ok & (_excess(runs["base"], runs.parameter("hegemony_share")) > 0)


def _effort_against(run: EnsembleResult, target: str, years: tuple[float, float]
                    ) -> np.ndarray:
    """The others' soft-balancing effort, summed over them and averaged over ``years``."""
    keep = (run.t >= years[0]) & (run.t <= years[1])
    others = [k for k, s in enumerate(run.states) if s != target]
    effort = run.values["v"][:, keep][:, :, others].sum(axis=2).mean(axis=1)
    return np.where(run.ok, effort, np.nan)


def _more_effort(target: str, years: tuple[float, float], more: str, less: str
                 ) -> Callable[[Runs], np.ndarray]:
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


def _constrains_more_than_it_moves(state: str, variant: str, since: float
                                   ) -> Callable[[Runs], np.ndarray]:
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


def _transition(runs: Runs) -> np.ndarray:
    """China's share passes that of the United States within the run."""
    run = runs["base"]
    share = run.values["share"]
    china, usa = _state(run, "CHN"), _state(run, "USA")
    return run.ok & np.any(share[:, :, china] > share[:, :, usa], axis=1)


def _beats_persistence(name: str) -> Callable[[Runs], np.ndarray]:
    """The simulated shares of spending are closer to the record (mean absolute error)
    than the first year's shares held."""
    def holds(runs: Runs) -> np.ndarray:
        years, _, observed = history.observed(load_scenario(name))
        kept = np.isfinite(observed).all(axis=1)
        run = runs["base"]
        simulated = history.spending_shares(run.t, run.values["m"], years)
        error = np.abs(simulated[:, kept] - observed[kept]).mean(axis=(1, 2))
        persistence = np.abs(observed[0] - observed[kept]).mean()
        return np.nan_to_num(error, nan=np.inf) < persistence
    return holds


def _share_of_spending_above(state: str, year: float, level: float
                             ) -> Callable[[Runs], np.ndarray]:
    def holds(runs: Runs) -> np.ndarray:
        run = runs["base"]
        shares = history.spending_shares(run.t, run.values["m"], [year])[
            :, 0, run.states.index(state)]
        return np.nan_to_num(shares) > level
    return holds


def _no_events(scenario: Scenario) -> Scenario:
    """The scenario without its interventions."""
    return scenario.with_values(events=())


def _internal_only(scenario: Scenario) -> Scenario:
    return _without("alliances")(scenario)


def _external_only(scenario: Scenario) -> Scenario:
    """The combined scenario with the status-quo powers' reaction back at zero."""
    return scenario.with_values({"reaction": {"West": 0.0, "Centre": 0.0, "East": 0.0}})


#: the claims of every shipped scenario; kinds and conditions are those measured with 256
#: members at +-25 % (``balancing robustness NAME``), not chosen
CLAIMS: dict[str, list[Claim]] = {
    "richardson-stable": [Claim("equilibrium", "spending approaches Richardson's equilibrium "
                                "(within 1 % by the end of the run)", _approaches_equilibrium)],
    "richardson-runaway": [Claim("runs away", "the race runs away (the run diverges)",
                                 _runs_away)],
    "hegemonic-rise": [Claim("hegemony", "with nobody balancing, the Riser's share exceeds "
                             "s*", _above_hegemony("Riser"))],
    "internal-balancing": [Claim("contained", "internal balancing keeps the Riser below s*; "
                                 "how often depends above all on the Riser's own drive to arm "
                                 "(its grievance)", _below_hegemony("Riser"),
                                 kind="uncertain")],
    "external-balancing": [
        Claim("slows", "external balancing lowers the Riser's peak share below what it reaches "
              "with nobody balancing", _lower_than("nobody balancing", "Riser"),
              {"nobody balancing": _without("alliances")}),
        Claim("contained", "external balancing alone keeps the Riser below s*; how often "
              "depends above all on the Riser's own arming", _below_hegemony("Riser"),
              kind="uncertain")],
    "combined-balancing": [
        Claim("contained", "internal and external balancing together keep the Riser below "
              "s*", _below_hegemony("Riser")),
        Claim("both best", "both together keep the Riser lower than either alone",
              _both_work_best, {"internal only": _internal_only,
                                "external only": _external_only})],
    "security-dilemma": [Claim("escalation", "with indistinguishable postures both states "
                               "climb above half their ceiling", _escalates)],
    "four-worlds-doubly-dangerous": [
        Claim("escalation", "the status-quo North climbs above half its ceiling",
              _escalates_state("North")),
        Claim("aggression pays", "the revisionist South ends with more than 1.01 times its "
              "initial output, taken from North by coercion; how often depends above all on "
              "how far South can arm (its mobilisation ceiling)", _gains("South", 0.01),
              kind="uncertain")],
    "four-worlds-dilemma-defence": [
        Claim("defence helps", "they escalate less than with offence advantage (the doubly "
              "dangerous world: offence_defence 1.5)", _less_than("offence advantage"),
              {"offence advantage": _with({"offence_defence": 1.5})}),
        Claim("aggression does not pay", "aggression pays far less than with offence "
              "advantage: the output that changes hands is under half the doubly dangerous "
              "world's", _less_changes_hands("offence advantage", 0.5),
              {"offence advantage": _with({"offence_defence": 1.5})})],
    "four-worlds-offence-distinguishable": [
        Claim("distinguishability helps", "they escalate less than with indistinguishable "
              "postures (the doubly dangerous world: D = 0.2)", _less_than("indistinguishable"),
              {"indistinguishable": _with({"distinguishability": 0.2})}),
        Claim("aggressor identified", "aggression does not pay the aggressor: South ends "
              "with less output than it starts with; how often depends above all on how "
              "distinguishable postures are", _loses("South"), kind="uncertain")],
    "four-worlds-doubly-stable": [
        Claim("doubly stable", "they escalate less than in either world with one of the two "
              "dangers (offence advantage, or indistinguishable postures)",
              _less_than("offence advantage", "indistinguishable"),
              {"offence advantage": _with({"offence_defence": 1.5}),
               "indistinguishable": _with({"distinguishability": 0.2})}),
        Claim("aggression does not pay", "aggression pays far less than with offence "
              "advantage: the output that changes hands is under half that of the world "
              "with distinguishable postures and offence advantage", _less_changes_hands(
                  "offence advantage", 0.5),
              {"offence advantage": _with({"offence_defence": 1.5})})],
    "bandwagoning": [Claim("raises the strong", "bandwagoning leaves the strong state with a "
                           "larger share at the end of the run than when the weak balance",
                           _ends_higher("share", "Strong", "balancing"),
                           {"balancing": _without("bandwagoning")})],
    "bandwagoning-for-profit": [
        Claim("jackal gains", "the Jackal ends with more output when it shares in the "
              "Revisionist's spoils than without them", _ends_higher("e", "Jackal", "no spoils"),
              {"no spoils": _without("spoils")}),
        Claim("away from the prey", "the prospect of spoils draws the Jackal away from the "
              "Target: their cohesion ends lower than without spoils; how often depends "
              "above all on how weak a state must be to bandwagon (s_w)",
              _draws("Jackal", "Target", "no spoils", closer=False),
              {"no spoils": _without("spoils")}, kind="uncertain"),
        Claim("toward the revisionist", "the prospect of spoils draws the Jackal toward the "
              "Revisionist: their cohesion ends higher than without spoils; how often "
              "depends on s_w and on how strongly expected spoils pull (lambda_x), against "
              "the spoils making the Jackal less weak",
              _draws("Jackal", "Revisionist", "no spoils", closer=True),
              {"no spoils": _without("spoils")}, kind="uncertain")],
    "free-riding": [
        Claim("exploitation", "the small allies carry the smaller burdens (rank correlation "
              "of output and burden > 0), with every ally reacting alike",
              _smaller_carry_less("Leader", "Ally1", "Ally2", "Ally3")),
        Claim("among the small", "among the three small allies too, the smaller carry the "
              "smaller burdens (rank correlation > 0)",
              _smaller_carry_less("Ally1", "Ally2", "Ally3")),
        Claim("fading", "cohesion falls by at least 0.2 from its peak as the threat recedes",
              _cohesion_fades)],
    "unipolar-decay": [
        Claim("ends", "the unipolar spell ends within the run", _unipolarity_ends),
        Claim("soft balancing shortens", "soft balancing shortens the unipolar spell",
              _soft_balancing_shortens, {"no soft balancing": _without("soft_balancing")})],
    "soft-balancing": [
        Claim("lowers", "soft balancing lowers the unipole's final excess share over s*",
              _soft_balancing_lowers, {"no soft balancing": _without("soft_balancing")}),
        Claim("intentions", "an aggressive unipole (offensive share 0.8) draws more "
              "soft-balancing effort than this benign one", _more_effort(
                  "Unipole", (0.0, 60.0), more="aggressive", less="base"),
              {"aggressive": _with({"offence": {"Unipole": 0.8}})}),
        Claim("durable", "the unipole stays above s* with soft balancing on",
              _stays_above, kind="uncertain")],
    "post-cold-war": [
        Claim("the war draws soft balancing", "the Iraq war draws soft balancing: the "
              "others' effort over 2003-2009 is larger than without the unilateral acts, "
              "where the United States counts as a unipole (s* at most 1.05 times 0.4)",
              _more_effort("USA", (2003.0, 2009.0), more="base", less="no war"),
              {"no war": _no_events}, kind="conditional",
              condition=("hegemony_share", "<=", 1.05)),
        Claim("constrains more than it moves", "soft balancing cuts the United States' "
              "gains from coercion over 2003-2016 by a larger fraction than its 2016 power "
              "share, where it counts as a unipole (s* at most 1.05 times 0.4)",
              _constrains_more_than_it_moves("USA", "no soft balancing", 2003.0),
              {"no soft balancing": _without("soft_balancing")}, kind="conditional",
              condition=("hegemony_share", "<=", 1.05))],
    "europe-1870": [Claim("fit", "the simulated shares of military spending are closer to "
                          "the record than the 1870 shares held (mean absolute error)",
                          _beats_persistence("europe-1870"))],
    "europe-1908": [Claim("fit", "the simulated shares of military spending of the 19 states "
                          "are closer to the record than the 1908 shares held (mean absolute "
                          "error); over six years and 19 states the margin is thin, and it "
                          "holds in about half of the neighbourhood", _beats_persistence(
                              "europe-1908"), kind="uncertain")],
    "cold-war-1949": [
        Claim("fit", "the simulated shares of military spending are closer to the record "
              "than the 1949 shares held (mean absolute error)",
              _beats_persistence("cold-war-1949")),
        Claim("unipolar moment", "after the Soviet collapse the United States spends more "
              "than the other five together (its share of the six's spending in 1992 is "
              "above one half)", _share_of_spending_above("USA", 1992.0, 0.5))],
    "power-transition": [Claim("transition", "China's share passes that of the United "
                               "States before the end of the run; how often depends above all "
                               "on China's assumed capacity", _transition, kind="uncertain")],
}


def claims_of(name: str) -> list[Claim]:
    """The claims of the shipped scenario ``name`` (none for a user's scenario)."""
    return CLAIMS.get(name, [])
