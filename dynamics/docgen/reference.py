"""Generated documentation: the model document, the parameter reference and the README's
equations.

``python -m dynamics.docgen.reference`` rewrites ``docs/model.md``, ``docs/parameters.md``
and the block between the ``<!-- equations -->`` markers of ``README.md`` from the
mechanisms, the registry and the model, so that none can drift from the code; a test
regenerates them and compares.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.model.mechanisms import SHIPPED
from dynamics.model.model import Model
from dynamics.model.parts import GUARD, Variable
from dynamics.model.references import REFERENCES
from dynamics.model.registry import REGISTRY, VARIABLES
from dynamics.results.files import write_text
from dynamics.views.display import parameter_table

__all__ = ["model_markdown", "parameters_markdown", "equations_markdown",
           "robustness_markdown", "durability_markdown", "evaluation_markdown",
           "update_readme", "update_blocks", "main"]

_PRINCIPLES = """\
## Assumptions

1. **One source of truth.** The equations are written once, symbolically (sympy), in one
   module per mechanism (`dynamics/model/mechanisms/`). The numeric right-hand side, its
   Jacobian, the LaTeX in this document and the analytic results (equilibria, stability
   conditions, thresholds) are all derived from that one definition.
2. **Mechanisms compose.** Each mechanism is a switchable block of terms. With every
   mechanism beyond Richardson's switched off, `distinguishability = 0` and
   `power_weight = 0`, the model *is* Richardson's linear arms-race model, exactly, so the
   classic closed-form results test the machinery.
3. **Every parameter is documented**: symbol, unit, default, validity bounds, plausible
   range, meaning and source ([parameters.md](parameters.md)).
4. **Invariants hold**: spending (with the ceiling) and output stay non-negative, cohesion
   stays in [0, 1], shares sum to 1, for every parameter set inside the bounds
   (`tests/test_invariants.py`, and `check_mechanism` for every mechanism).
5. **Scale-free where possible**: threats and burdens enter relative to a state's own
   output, so results do not depend on the currency unit (except through the parameters
   stated in currency units: capacity and the constant grievance).
"""

_LIMITS = """\
## What the model cannot represent

- **War and its outcomes.** Coercion extracts output continuously in proportion to a
  military advantage; there are no wars, battles, territorial changes or state deaths.
- **Domestic politics.** Each state is one actor with constant reaction, fatigue and
  grievance; regime change, elections and bureaucratic politics enter only as dated or
  triggered interventions that change parameters (`[[events]]`).
- **Nuclear weapons.** Deterrence by punishment, second strike and the stability-instability
  paradox are not modelled; forces are conventional and fungible.
- **Technology and its diffusion.** The offence-defence balance, where present, is a
  parameter, not a product of innovation.
- **Trade and interdependence.** Output grows toward a capacity of its own; there is no
  trade between states except extraction by coercion and the division of spoils.
- **Alignment as a decision.** Alignment is a continuous cohesion. A treaty enters as a
  dated intervention that sets it (the scenarios' alliances of 1879-1907 and 1949-1955);
  states do not choose to sign or break one.
- **Signals and private information.** Perceived intentions (the `intentions` mechanism)
  are one reputation per state, common to every observer, read from posture, arming,
  unilateral acts and coercion; there are no costly signals, no private information about
  resolve and no beliefs that differ between observers.
"""

_CONTESTED = """\
## Contested claims: experiments, not assumptions

Where the literature disputes a claim, the model does not settle it by construction; it
runs the experiment and the answer, whatever it is, is reported with how often it holds
(the README's robustness table, `balancing robustness NAME`).

- **Polarity durability** (Waltz 1979 against Wohlforth 1999): `balancing durability`
  (`dynamics.studies.durability`) draws systems of five to eight great powers, every state from
  the same distribution, runs each from a unipolar, a bipolar and a multipolar start, and
  compares how long each lasts (Kaplan-Meier curves, censoring at the horizon, log-rank
  tests, PRIM on where the unipolar start ends first). The `unipolar-decay` scenario's
  decay is decomposed into the assumptions that drive it (`balancing decompose`).
- **Soft balancing** (Pape 2005; Paul 2005): effort answers the offensive intentions read
  into a unipole (its posture, or, with `intentions`, its arming, unilateral acts and
  coercion), and constrains what the unipole can do (its gains from coercion) besides its
  growth and the cost of its arms. `post-cold-war` measures both halves of the seed's
  claim: the 2003 war draws soft balancing, and soft balancing cuts gains more than power.
- **Offensive intentions** (Walt 1985; Jervis 1976, 1978): with `intentions`, the posture
  o_j is a capability and the intentions others perceive a state variable; where postures
  cannot be told apart, defensive arming is misread as offensive intent.
- **The offence-defence balance** (Jervis 1978) scales what an attacker's force achieves
  in coercion as well as how much a hostile force is feared: the four-worlds scenarios'
  claims are about who arms and whether aggression pays.
- **Bandwagoning for profit** (Schweller 1994): expected spoils pull a weak state toward a
  strong partner and away from the partner's victims; how often the pull outweighs the
  spoils' making the jackal less weak is measured, not assumed.
- **Free-riding** (Olson and Zeckhauser 1966): with `public_good`, each ally's spending
  is an adjustment toward its best response to the deterrence the others provide; the
  exploitation of the large by the small follows with equal reactions.
"""

_DOMAIN = """\
## Validity domain

A parameter's `bounds` are where the equations are defined and the invariants hold: a
value outside is refused with an error naming it, and a published estimate never is
(Taagepera et al. 1975 report a US reaction coefficient of 8.2/yr; reaction is bounded
only below, by 0). A parameter's `plausible` range is separate documentation for designs,
priors, sliders and random checks; it is never enforced. A state variable's domain is its
own (output > 0, cohesion in [0, 1], effort >= 0) narrowed by the mechanisms that are on
(with the ceiling, spending and perceived threat are non-negative). A run that leaves the
domain by more than the solver's tolerance ends with the status `left_domain`.
"""

_BEGIN = "<!-- equations: generated by python -m dynamics.docgen.reference -->"
_END = "<!-- /equations -->"


def domain_text(variable: Variable) -> str:
    """``0 <= c <= 1``, ``e > 0``, ``m real`` (before any mechanism's restriction)."""
    low, high = variable.domain
    name = variable.symbol if variable.symbol != "theta" else "theta"
    if math.isinf(low) and math.isinf(high):
        return f"{name} real"
    left = f"{low:g} {'<' if variable.open_low else '<='} " if math.isfinite(low) else ""
    right = f" <= {high:g}" if math.isfinite(high) else ""
    if not right:
        return f"{name} {'>' if variable.open_low else '>='} {low:g}"
    return f"{left}{name}{right}"


def domain_note(variable: Variable) -> str:
    """How mechanisms narrow the domain: ``; >= 0 with ceiling``."""
    notes = []
    for mechanism in SHIPPED:
        for restriction in mechanism.restrictions:
            if restriction.variable is variable and restriction.domain != variable.domain:
                low, high = restriction.domain
                text = f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]"
                notes.append(f"{text} with `{mechanism.name}`")
    return "; " + ", ".join(notes) if notes else ""


def made_dynamic_by(variable: Variable) -> str:
    """The mechanism whose equations make the variable dynamic (held constant without)."""
    names = [m.name for m in SHIPPED if variable in m.variables]
    return ", ".join(f"`{n}`" for n in names) or "-"


def parameters_markdown() -> str:
    """The model reference page: variables, mechanisms and every parameter."""
    lines = ["# Model reference", "",
             "Generated from the registry by `python -m dynamics.docgen.reference`; do not "
             "edit by hand.",
             "", "## State variables", "",
             "| variable | meaning | unit | domain | dynamic with |", "|---|---|---|---|---|"]
    lines += [f"| ${v.latex}$ | {v.meaning} | {v.unit} | {domain_text(v)}"
              f"{domain_note(v)} | {made_dynamic_by(v)} |" for v in _shipped_variables()]
    lines += ["", "## Mechanisms", "", "| mechanism | what it adds | requires | source |",
              "|---|---|---|---|"]
    lines += [f"| `{m.name}` | {m.summary} | {', '.join(m.requires) or '-'} | {m.source} |"
              for m in SHIPPED]
    lines += ["", "## Parameters", "",
              "`bounds` are the model's validity domain: where the equations are defined and "
              "the invariants hold; a value outside is refused, a published estimate never "
              "is. `plausible` is the range a researcher would call plausible, for designs, "
              "priors and sliders; it is documentation and never enforced.", "",
              parameter_table(markdown=True, shipped_only=True), ""]
    return "\n".join(lines)


def equations_markdown() -> str:
    """The full model (all mechanisms) in index notation, as a display-math block."""
    latex = Model(["A", "B"], "all").latex()
    return "\n".join([
        _BEGIN, "", "```math", latex, "```", "",
        "with the conventions $W_{ii} = 0$, $c_{ii} = 1$, $[x]_+ = \\max(x, 0)$ and the "
        f"numerical guard $\\varepsilon = {GUARD:g}$. Switching a mechanism off removes its "
        "terms; `balancing equations --mechanisms ...` prints any combination.", "", _END])


_ROBUST_BEGIN = "<!-- robustness: generated by python -m dynamics.docgen.reference -->"
_ROBUST_END = "<!-- /robustness -->"


def robustness_markdown() -> str:
    """The README's table of how often each shipped scenario's claims hold, read from the
    scenario files' [robustness] tables (which tests/test_robustness.py recomputes)."""
    from dynamics.scenarios import load_scenario
    from dynamics.studies.claims import scenarios_with_claims

    lines = [_ROBUST_BEGIN, "", "| scenario | claim | kind | holds in | within its condition |",
             "|---|---|---|---|---|"]
    scenarios = {name: load_scenario(name) for name in scenarios_with_claims()}
    records = {name: scenario.robustness for name, scenario in scenarios.items()}
    for name, scenario in scenarios.items():
        record = records[name]
        for claim in scenario.claims:
            share = record.get("share", {}).get(claim.name)
            within = record.get("within", {}).get(claim.name)
            lines.append(f"| `{name}` | {claim.text} | {claim.kind} | "
                         f"{'' if share is None else f'{share:.0%}'} | "
                         f"{'' if within is None else f'{within:.0%}'} |")
    members = {record.get("members") for record in records.values()}
    lines += ["", f"Each share is over a Latin hypercube of {', '.join(map(str, members))} "
              "members in which every free value of the scenario is multiplied by a factor in "
              "[0.75, 1.25] and each structurally uncertain parameter its model uses (a "
              f"modelling choice without an estimate: {_uncertain_ranges()}) is drawn "
              "uniformly over its uncertain range; a *robust* claim holds in at least 90 %, "
              "a *conditional* one in at least 90 % where its stated condition holds, and an "
              "*uncertain* one is "
              "reported, not claimed.", "", _ROBUST_END]
    return "\n".join(lines)


_HISTORY_BEGIN = "<!-- history: generated by python -m dynamics.docgen.reference -->"
_HISTORY_END = "<!-- /history -->"

#: the historical scenarios and their counterfactuals, as the README reports them
HISTORIES = (("europe-1870", "europe-1870-without-entente"),
             ("cold-war-1949", "cold-war-1949-without-nato"))


def history_markdown() -> str:
    """The README's table of the historical scenarios' errors against the record, with
    their baselines and counterfactuals, computed now (dynamics.calibration.history.fit_history)."""
    from dynamics.calibration.history import fit_history
    from dynamics.scenarios import load_scenario

    lines = [_HISTORY_BEGIN, "", "| scenario | years | error | without "
             "interventions | counterfactual: error | largest change of a share of spending |",
             "|---|---|---|---|---|---|"]
    notes = []
    for name, other in HISTORIES:
        base, counter = fit_history(load_scenario(name)), fit_history(load_scenario(other))
        change = counter.simulated - base.simulated
        k, i = np.unravel_index(int(np.argmax(np.abs(change))), change.shape)
        lines.append(
            f"| `{name}` | {base.years[0]}-{base.years[-1]} | {base.error:.3f} | "
            f"{base.without_interventions:.3f} | `{other}`: "
            f"{counter.error:.3f} | {base.states[i]} {change[k, i]:+.3f} in "
            f"{base.years[k]} |")
        verdict = "improve" if base.error < base.without_interventions else "do not improve"
        notes.append(f"In `{name}` its interventions {verdict} the fit ({base.error:.3f} "
                     f"with them, {base.without_interventions:.3f} without).")
        if name == "cold-war-1949":
            year = list(base.years).index(1992)
            usa = base.states.index("USA")
            notes.append(f"The unipolar moment follows the imposed Soviet collapse: in 1992 "
                         f"the United States' share of the six's military spending is "
                         f"{base.simulated[year, usa]:.2f} in the model and "
                         f"{base.observed[year, usa]:.2f} in the record.")
    lines += ["", "Error: the mean absolute error of the six shares of military spending, "
              "over the years of the span; *without interventions* is the same model with "
              "none of its dated changes. " + " ".join(notes) + " Whether the model forecasts "
              "better than simple predictors is the evaluation below.", "", _HISTORY_END]
    return "\n".join(lines)


_EVALUATION_BEGIN = ("<!-- evaluation: generated by python -m dynamics.docgen.reference "
                     "-->")
_EVALUATION_END = "<!-- /evaluation -->"

#: the evaluations reported: scenario, the last year scored (None: the span's end), and
#: the rolling origins' horizon and step in years (a span of twelve years takes short ones)
EVALUATED = (("europe-1870", None, 10, 5), ("cold-war-1949", None, 10, 5),
             ("cold-war-1949", 1990, 10, 5), ("cold-war-1949-economic-collapse", None, 10, 5),
             ("europe-1908", None, 10, 5), ("great-powers-2005", None, 3, 1))


@functools.lru_cache(maxsize=1)
def _evaluations() -> list:
    """The evaluations of :data:`EVALUATED`, computed once per process."""
    from dynamics.calibration.evaluation import evaluate
    from dynamics.scenarios import load_scenario

    return [evaluate(load_scenario(name), until=until, horizon=horizon, step=step)
            for name, until, horizon, step in EVALUATED]


def evaluation_markdown(found=None) -> str:
    """The forecast evaluation of the historical scenarios, computed now
    (:func:`dynamics.calibration.evaluation.evaluate`): every baseline's error, the model's,
    and its skill with intervals, as shipped and out of sample.

    Parameters
    ----------
    found : list of Evaluation, optional
        The evaluations of :data:`EVALUATED` (computed when not given).

    Returns
    -------
    str
        The block, markers included.
    """
    from dynamics.calibration.evaluation import BASELINES

    found = _evaluations() if found is None else found
    header = ("| scenario | kind | years scored | model | " + " | ".join(BASELINES)
              + " | skill against the best [95 %] | the model |")
    lines = [_EVALUATION_BEGIN, "", header, "|" + "---|" * (7 + len(BASELINES) - 1)]
    for evaluation in found:
        kinds = [("as shipped", evaluation.as_shipped)]
        if evaluation.rolling is not None:
            kinds.append((f"rolling origin, {evaluation.horizon} years ahead",
                          evaluation.rolling))
        for kind, scores in kinds:
            years = scores.years
            low, high = scores.skill_interval
            lines.append(
                f"| `{evaluation.scenario}` | {kind} | {int(years[0])}-{int(years[-1])} | "
                f"{scores.errors['model']:.4f} | "
                + " | ".join(f"{scores.errors[b]:.4f}" for b in BASELINES)
                + f" | {scores.skill:+.2f} against {scores.best_baseline} [{low:+.2f}, "
                f"{high:+.2f}] | {scores.verdict} |")
    rolling = [e for e in found if e.rolling is not None]
    beaten = [e.scenario for e in rolling if e.rolling.verdict == "beats every baseline"]
    lines += ["", f"Out of sample (rolling origin) the model beats every baseline in "
              f"{len(beaten)} of the {len(rolling)} evaluations"
              + (f" ({', '.join(beaten)})." if beaten else "; no historical scenario claims "
                 "forecasting skill.")]
    lines += ["", "Mean absolute error of the shares of military spending. *As shipped*: the "
              "scenario's own run (calibrated on its first five years, but with the trend "
              "of output and every dated event taken from the whole record) against the "
              "baselines fitted on those five years, over the later years. *Rolling "
              "origin*: at each origin the model is calibrated again on the record up to "
              "that year only, without the events after it, and the baselines are fitted "
              "on the same years; the errors are pooled over origins. Skill is 1 - the "
              "model's error / the best baseline's; the intervals are bootstrap intervals "
              "over the years scored (`balancing evaluate NAME`; docs/forecast-"
              "evaluation.md).", "", _EVALUATION_END]
    return "\n".join(lines)


_COLLAPSE_BEGIN = "<!-- collapse: generated by python -m dynamics.docgen.reference -->"
_COLLAPSE_END = "<!-- /collapse -->"


def collapse_markdown() -> str:
    """The block of docs/forecast-evaluation.md comparing the Soviet collapse imposed
    (cold-war-1949) with the collapse as a change of the Soviet economy
    (cold-war-1949-economic-collapse), computed now.

    Returns
    -------
    str
        The block, markers included.
    """
    from dynamics.calibration.history import fit_history
    from dynamics.scenarios import load_scenario

    rows = []
    for name, how in (("cold-war-1949", "imposed: forces and output cut"),
                      ("cold-war-1949-economic-collapse", "a change of the economy")):
        found = fit_history(load_scenario(name))
        usa, rus = found.states.index("USA"), found.states.index("RUS")
        k = list(found.years).index(1992)
        gap = np.abs(found.simulated - found.observed).mean(axis=1)
        rows.append(f"| `{name}` | {how} | {gap[found.years <= 1990].mean():.4f} | "
                    f"{gap[found.years >= 1992].mean():.4f} | {found.simulated[k, usa]:.2f} "
                    f"({found.observed[k, usa]:.2f}) | {found.simulated[k, rus]:.2f} "
                    f"({found.observed[k, rus]:.2f}) | {found.simulated[-1, rus]:.2f} "
                    f"({found.observed[-1, rus]:.2f}) |")
    return "\n".join([
        _COLLAPSE_BEGIN, "",
        "| scenario | the collapse | error 1949-1990 | error 1992-2016 | US share 1992 "
        "(record) | Russia's share 1992 (record) | Russia's share 2016 (record) |",
        "|---|---|---|---|---|---|---|", *rows, "",
        "Errors: mean absolute error of the six shares of military spending over the years "
        "named (`dynamics.calibration.history.fit_history`).", "", _COLLAPSE_END])


_CHINA_BEGIN = "<!-- china: generated by python -m dynamics.docgen.reference -->"
_CHINA_END = "<!-- /china -->"
#: the budget growth the seed quotes for China (per cent over the year before; its official
#: defence budget in yuan): 2008 and 2009
SEED_GROWTH = {2008: 17.5, 2009: 18.5}
#: the unknowns of the levels fit of great-powers-2005
CHINA_FIT = ("grievance.*", "reaction.*")


@functools.lru_cache(maxsize=1)
def china_record() -> dict[str, Any]:
    """What docs/forecast-evaluation.md reports on China's rise, computed now: the record's
    change of basis, the burden, the fit of great-powers-2005 to spending levels, its growth
    of China's spending in 2008 and 2009, and the overtake of power-transition with what
    decides it.

    Returns
    -------
    dict
        The numbers, by name.
    """
    from dynamics.calibration.fitting import FitProblem, cow_observations, fit
    from dynamics.calibration.history import observed, record
    from dynamics.data import world_bank_gdp
    from dynamics.scenarios import load_scenario
    from dynamics.studies.robustness import robustness

    scenario = load_scenario("great-powers-2005")
    years = np.arange(2004, 2017)
    cow = record(scenario, "milex", years)[0]
    china, russia = scenario.states.index("CHN"), scenario.states.index("RUS")
    spending = observed(scenario)[1]
    problem = FitProblem(scenario, cow_observations(scenario, levels=True), list(CHINA_FIT))
    found = fit(problem)
    run = problem.simulate(found.phi, np.arange(2005, 2017)).values["m"][0]
    shipped = scenario.run()
    at = np.interp(np.arange(2005, 2017), shipped.t, shipped["m"][:, china])
    gdp = {year: world_bank_gdp(["CHN"], year)["CHN"] for year in range(2005, 2017)}
    burden = spending[:, china] / (1e3 * np.array(list(gdp.values())))

    def growth(series: np.ndarray, year: int) -> float:  # per cent, over the year before
        k = year - 2005
        return float(100 * (series[k] / series[k - 1] - 1))

    transition = load_scenario("power-transition")
    measured = robustness(transition, members=int(transition.robustness["members"]),
                          spread=float(transition.robustness["spread"]),
                          seed=int(transition.robustness["seed"]), solver_check=False)
    kept, box = measured.prim("transition").pruned()
    from dynamics.analysis.metrics import transition_time

    return {
        "break": {"CHN": float(cow[1, china] / cow[0, china]),
                  "RUS": float(cow[1, russia] / cow[0, russia])},
        "burden": (float(burden.min() * 100), float(burden.max() * 100)),
        "fit": found, "loglik": float(found.loglik),
        "growth": {year: {"record": growth(spending[:, china], year),
                          "fitted": growth(run[:, china], year),
                          "shipped": growth(at, year),
                          "output": float(100 * (gdp[year] / gdp[year - 1] - 1)),
                          "seed": SEED_GROWTH[year]} for year in SEED_GROWTH},
        "overtake": transition_time(transition.run()),
        "share": float(transition.robustness["share"]["transition"]),
        "members": int(transition.robustness["members"]),
        "box": {r.input: (r.low, r.high) for r in kept}, "box_measures": box,
        "fails": int((~measured.verdicts["transition"]).sum())}


def china_markdown() -> str:
    """The block of docs/forecast-evaluation.md on China's rise (:func:`china_record`).

    Returns
    -------
    str
        The block, markers included.
    """
    found = china_record()
    g = found["growth"]
    rows = "\n".join(
        f"| {year} | {g[year]['record']:.1f} % | {g[year]['output']:.1f} % | "
        f"{g[year]['fitted']:.1f} % | {g[year]['shipped']:.1f} % | {g[year]['seed']:.1f} % |"
        for year in g)
    fitted = found["fit"]
    estimates = ", ".join(f"{name} {value:.4g} (standard error {fitted.stderr[name]:.2g})"
                          for name, value in fitted.estimates.items() if name.endswith(".CHN"))
    # the powers with a coefficient the fit reports as not identified
    unpinned = sorted({name.strip().split(".")[-1] for line in fitted.identifiability
                       for name in line.split(":")[0].split(",")})
    year, _, _ = found["overtake"]
    box = " and ".join(f"{name} between {low:.2f} and {high:.2f} times its value"
                       for name, (low, high) in found["box"].items())
    measures = found["box_measures"]
    return "\n".join([
        _CHINA_BEGIN, "",
        f"The record changes basis: COW's spending of China and Russia falls in 2005 to "
        f"{found['break']['CHN']:.2f} and {found['break']['RUS']:.2f} of its 2004 value, a "
        f"change of source, not of spending, so `great-powers-2005` reads the record from "
        f"2005. Over 2005-2016 China's military burden (COW spending over World Bank GDP, "
        f"both in current dollars) stayed between {found['burden'][0]:.2f} % and "
        f"{found['burden'][1]:.2f} %.", "",
        f"Fitted to the levels of the six powers' spending over 2005-2016 (both spending and "
        f"output in current dollars, so no deflator is needed; unknowns "
        f"{', '.join(CHINA_FIT)}, log-likelihood {found['loglik']:.1f}), the model gives "
        f"China's own coefficients {estimates}"
        + (f"; for {', '.join(unpinned)} the record does not pin both (a combination "
           f"only, or one on its bound: `balancing calibrate scenario great-powers-2005 "
           f"--data cow:milex --levels --fit 'grievance.*' --fit 'reaction.*'` says which)"
           if unpinned else "")
        + ". China's budget growth over the year before:", "",
        "| year | record (COW, current US$) | China's GDP (World Bank, current US$) | "
        "model fitted 2005-2016 | model as shipped (calibrated 2005-2009) | seed (official "
        "budget, yuan) |",
        "|---|---|---|---|---|---|", rows, "",
        "The record's growth in current dollars includes the yuan's rise against the dollar "
        "in 2008; the seed's figures are the official budget in yuan. The fitted model "
        "follows the trend of the record, not its year-to-year changes; the model as "
        "shipped starts China's spending at rest at its 2005-2009 mean, so that its "
        "spending lags its output.",
        "",
        f"`power-transition` takes its grievances from the same record: each power's "
        f"2016 spending grows at the rate of its output plus the trend of its burden over "
        f"2005-2016, so China's spending grows with its economy. China's share then "
        f"overtakes that of the United States in {int(year)}; over the neighbourhood of "
        f"its values ({found['members']} members) the overtake happens in "
        f"{100 * found['share']:.1f} % of them. Where it does not ({found['fails']} "
        f"members), PRIM finds, keeping the limits with a quasi-p-value below 0.05: {box} "
        f"(coverage {measures['coverage']:.2f}, density {measures['density']:.2f}, against "
        f"{found['fails'] / found['members']:.2f} over all members): the assumed "
        f"capacities decide it (`balancing robustness power-transition --prim transition`).",
        "", _CHINA_END])


_DISCOVERY_BEGIN = "<!-- discovery: generated by python -m dynamics.docgen.reference -->"
_DISCOVERY_END = "<!-- /discovery -->"


def discovery_markdown() -> str:
    """The README's scenario discovery, computed now (dynamics.views.figures.DISCOVERY)."""
    from dynamics.views.figures import DISCOVERY, discovery_of_record

    found = discovery_of_record()
    ranges = ", ".join(f"`{name}` {low:g} to {high:g}" for name, (low, high) in
                       DISCOVERY["inputs"])
    lines = [_DISCOVERY_BEGIN, "",
             f"`{found.scenario}`, {found.outcome.size} members of a Latin hypercube over "
             f"{ranges}: `{found.outcome_text}` in {int(found.outcome.sum())} of them "
             f"({found.failed} failed). PRIM's chosen box (coverage {found.coverage:.2f}, "
             f"density {found.density:.2f}, mass {found.mass:.2f}):", "",
             "| input | from | to | quasi-p of the lower, upper limit |", "|---|---|---|---|"]
    for r in found.restrictions:
        p_low = "–" if not np.isfinite(r.p_low) else f"{r.p_low:.1g}"
        p_high = "–" if not np.isfinite(r.p_high) else f"{r.p_high:.1g}"
        lines.append(f"| `{r.input}` | {r.low:.4g} | {r.high:.4g} | {p_low}, {p_high} |")
    if found.first_split:
        lines += ["", f"CART's first split is on `{found.first_split[0]}` at "
                      f"{found.first_split[1]:.4g}."]
    lines += ["", _DISCOVERY_END]
    return "\n".join(lines)


_DURABILITY_BEGIN = "<!-- durability: generated by python -m dynamics.docgen.reference -->"
_DURABILITY_END = "<!-- /durability -->"


def durability_markdown(found=None) -> str:
    """The README's polarity-durability experiment (:data:`dynamics.views.figures.DURABILITY`).

    Parameters
    ----------
    found : Durability, optional
        The experiment, computed now unless given.

    Returns
    -------
    str
        The Markdown block.
    """
    from dynamics.views.figures import durability_of_record

    found = found or durability_of_record()
    design = found.design

    def years(value: float) -> str:
        return f"> {design.years:g}" if math.isinf(value) else f"{value:.1f}"

    lines = [_DURABILITY_BEGIN, "",
             f"{int(found.kept.sum())} systems of {min(design.states)} to {max(design.states)} "
             f"great powers (seed {design.seed}; {found.failed + found.moved} of "
             f"{design.systems} left out: {found.failed} where a run failed, {found.moved} "
             f"where settled spending moved a start out of its class), {_mechanisms_of(design)}, "
             f"each run from the three starts for {design.years:g} years:", "",
             "| start | spells ended | median years (95 %) | mean years up to the horizon "
             "(95 %) |", "|---|---|---|---|"]
    for s in found.survival.values():
        lines.append(f"| {s.configuration} | {s.ended} of {s.systems} | {years(s.median)} "
                     f"({years(s.median_low)}, {years(s.median_high)}) | {s.rmst:.1f} "
                     f"({s.rmst_low:.1f}, {s.rmst_high:.1f}) |")
    tests = "; ".join(f"{a} against {b}: p = {p:.2g}" for (a, b), (_, p) in found.tests.items())
    verdict = ("and the log-rank tests separate it from both others" if found.separated()
               else "but the log-rank tests do not separate it from both others")
    lines += ["", f"Log-rank tests, Holm-adjusted: {tests}. The least durable start is "
              f"{found.least_durable} by the mean up to the horizon, {verdict}. The unipolar "
              f"start ends before both others in {found.unipolar_first.mean():.0%} of the "
              "systems"]
    if found.discovery is not None:
        box = ", ".join(f"`{r.input}` {r.low:.3g} to {r.high:.3g}"
                        for r in found.discovery.restrictions)
        lines[-1] += (f". PRIM's chosen box for it ({box}) holds "
                      f"{found.discovery.coverage:.0%} of those systems, and in it the "
                      f"unipolar start ends first in {found.discovery.density:.0%}")
    lines[-1] += "."
    lines += ["", _DURABILITY_END]
    return "\n".join(lines)


def _mechanisms_of(design) -> str:
    """``every shipped mechanism`` or ``every mechanism but X, Y`` or the list."""
    left_out = sorted({m.name for m in SHIPPED} - set(design.mechanisms) - {"richardson"})
    if not left_out:
        return "every shipped mechanism"
    return f"every mechanism but {', '.join(f'`{n}`' for n in left_out)}"


_CALIBRATION_BEGIN = "<!-- calibration: generated by python -m dynamics.docgen.reference -->"
_CALIBRATION_END = "<!-- /calibration -->"


def calibration_markdown(record=None, coverage=None) -> str:
    """The README's fit of a historical scenario (dynamics.views.figures.CALIBRATION) and the
    coverage study (dynamics.views.figures.COVERAGE), computed now unless given."""
    from dynamics.views.figures import (
        CALIBRATION,
        COVERAGE,
        calibration_of_record,
        coverage_of_record,
    )

    fitted, held, comparison = record or calibration_of_record()
    found = coverage or {error: coverage_of_record(error) for error in ("lognormal", "ar1")}
    problem = fitted.problem
    years = problem.data.years
    rho = fitted.estimates.get("rho")
    lines = [_CALIBRATION_BEGIN, "",
             f"`{problem.scenario.name}`: {', '.join(f'`{n}`' for n in CALIBRATION['fit'])} "
             f"fitted to COW's shares of military spending of the "
             f"{len(problem.scenario.states)} states, {years[0]}-{years[-1]} ({fitted.n} "
             f"observations), log-normal errors"
             + (f" with AR(1) autocorrelation (rho {rho:.2f})" if rho is not None else "")
             + f"; log-likelihood {fitted.loglik:.1f}. Intervals at 95 %; the bootstrap "
             f"refits {CALIBRATION['replicates']} parametric replicates "
             f"({fitted.failures.get('bootstrap (parametric)', 0)} failed).", "",
             "| unknown | estimate | standard error | profile interval | bootstrap interval |",
             "|---|---|---|---|---|"]
    for name, value in fitted.estimates.items():
        shown = (f"{value:.3g}" if fitted.identified(name)
                 else f"not identified (best {value:.3g})")
        by = fitted.intervals.get(name, {})
        error = f"{fitted.stderr[name]:.2g}" if fitted.identified(name) else "–"
        lines.append(f"| `{name}` | {shown} | {error} | "
                     f"{by['profile'].text() if 'profile' in by else ''} | "
                     f"{by['bootstrap'].text() if 'bootstrap' in by else ''} |")
    lines += ["", "What the data do not pin: " + (
        "; ".join(f"`{line.split(': ')[0]}`: {line.split(': ', 1)[1]}"
                  for line in fitted.identifiability) or "nothing") + ".", "",
              f"Out of sample: fitted to {held.training[0]}-{held.training[1]}, predicting "
              f"{held.test[0]}-{held.test[1]} (mean absolute error of the shares; in sample "
              f"{held.in_sample:.3f}):", "", "| predictor | error |", "|---|---|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in held.errors.items()]
    rows = comparison.rows()
    lines += ["", "Model comparison (the same data and unknowns; lower is better):", "",
              "| model | k | log-likelihood | AIC | ΔAIC | BIC | ΔBIC |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['k']} | {r['loglik']:.1f} | {r['aic']:.1f} | "
              f"{r['delta_aic']:.1f} | {r['bic']:.1f} | {r['delta_bic']:.1f} |" for r in rows]
    spread = max(r["delta_aic"] for r in rows)
    lines += ["", f"The four mechanism sets lie within {spread:.1f} AIC units of each other"
              + (" (under 4: the data do not tell them apart)" if spread < 4 else "") + ".",
              "", f"Coverage of the nominal 95 % intervals, measured on "
              f"{found['lognormal'].replicates} synthetic replicates of a two-state "
              f"Richardson model ({COVERAGE['years'] + 1} years of spending, log-normal errors "
              f"of sd {COVERAGE['sigma']:g}, independent or AR(1) with rho "
              f"{COVERAGE['rho']:g}; {found['lognormal'].bootstrap_replicates} bootstrap "
              f"refits each; {found['lognormal'].failed + found['ar1'].failed} failed fits):",
              "", "| unknown | truth | profile | bootstrap | profile, AR(1) | bootstrap, AR(1) |",
              "|---|---|---|---|---|---|"]
    independent, correlated = found["lognormal"], found["ar1"]
    lines += [f"| `{n}` | {v:g} | {100 * independent.profile[n]:.0f} % | "
              f"{100 * independent.bootstrap[n]:.0f} % | {100 * correlated.profile[n]:.0f} % | "
              f"{100 * correlated.bootstrap[n]:.0f} % |" for n, v in correlated.truth.items()
              if n in independent.truth]
    lines += [f"| `rho` | {COVERAGE['rho']:g} | | | {100 * correlated.profile['rho']:.0f} % | "
              f"{100 * correlated.bootstrap['rho']:.0f} % |", "",
              "With independent errors both intervals cover as they should. With AR(1) "
              f"errors and {COVERAGE['years'] + 1} years per state they undercover: the "
              "estimate of rho is biased down in short series, and the bootstrap's "
              "correction of that bias (a pilot bootstrap) is partial. Read the intervals "
              "of an AR(1) fit as somewhat too narrow."]
    lines += ["", _CALIBRATION_END]
    return "\n".join(lines)


def _uncertain_ranges() -> str:
    """``name in [low, high]`` for every parameter with an uncertain range."""
    return ", ".join(f"`{spec.name}` in [{spec.uncertain[0]:g}, {spec.uncertain[1]:g}]"
                     for spec in REGISTRY.values() if spec.uncertain is not None)


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of a README.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    bool
        Whether it changed.
    """
    return update_blocks(path, [
        (_BEGIN, _END, equations_markdown), (_ROBUST_BEGIN, _ROBUST_END, robustness_markdown),
        (_HISTORY_BEGIN, _HISTORY_END, history_markdown),
        (_EVALUATION_BEGIN, _EVALUATION_END, evaluation_markdown),
        (_DISCOVERY_BEGIN, _DISCOVERY_END, discovery_markdown),
        (_DURABILITY_BEGIN, _DURABILITY_END, durability_markdown),
        (_CALIBRATION_BEGIN, _CALIBRATION_END, calibration_markdown)])


def update_blocks(path: Path, blocks: list[tuple[str, str, Callable[[], str]]]) -> bool:
    """Rewrite generated blocks of a file, each between its markers.

    Parameters
    ----------
    path : Path
        The file.
    blocks : list of (str, str, callable)
        Each block's first and last marker and the function that writes it, markers
        included.

    Returns
    -------
    bool
        Whether it changed.

    Raises
    ------
    ValueError
        For a block whose markers the file does not hold.
    """
    text = path.read_text()
    updated = text
    for begin, end, make in blocks:
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if not pattern.search(updated):
            raise ValueError(f"{path}: no {begin!r} ... {end!r} block")
        updated = pattern.sub(make().replace("\\", "\\\\"), updated)
    write_text(path, updated)
    return updated != text


def _mechanism_section(mechanism) -> list[str]:
    """One mechanism: what it adds, its sources, its parts, its own account (docstring)."""
    lines = [f"### `{mechanism.name}`", "", mechanism.summary, ""]
    if mechanism.requires:
        lines += [f"Requires: {', '.join(f'`{r}`' for r in mechanism.requires)}.", ""]
    variables = ", ".join(f"${v.latex}$ ({v.meaning})" for v in mechanism.variables)
    if variables:
        lines += [f"Makes dynamic: {variables}.", ""]
    terms = "; ".join(f"{t.name} (d{t.variable.name}/dt, {t.role})" for t in mechanism.terms)
    if terms:
        lines += [f"Terms: {terms}.", ""]
    for modifier in mechanism.modifiers:
        lines += [f"Modifies: the {modifier.role} of d{modifier.variable.name}/dt "
                  f"({modifier.name}).", ""]
    for override in mechanism.overrides:
        lines += [f"Redefines: {override.quantity.meaning} (${override.quantity.latex}$).", ""]
    parameters = ", ".join(f"`{p.name}` (${p.latex}$)" for p in mechanism.parameters)
    if parameters:
        lines += [f"Parameters: {parameters}.", ""]
    lines += ["Sources:", "", *(f"- {REFERENCES[key]}" for key in mechanism.references), ""]
    notes = (mechanism.notes or "").strip()
    if notes:
        lines += ["```text", notes, "```", ""]
    return lines


def _shipped_variables() -> list[Variable]:
    """The shipped mechanisms' variables, in the registry's order (a researcher's mechanism
    registered in the same process does not enter the generated pages)."""
    names = {v.name for m in SHIPPED for v in m.variables}
    return [v for v in VARIABLES.values() if v.name in names]


def model_markdown() -> str:
    """The model document: assumptions, each mechanism with its sources and its own
    account, the equations, the validity domain and what the model cannot represent."""
    lines = ["# The model", "",
             "Generated from the code by `python -m dynamics.docgen.reference`; do not edit by "
             "hand. Each "
             "mechanism's account below is the docstring of its module in "
             "`dynamics/model/mechanisms/`, where its equations are written; the departures "
             "from the plain Richardson model are stated there with their reasons.", "",
             _PRINCIPLES, "## Mechanisms", ""]
    for mechanism in SHIPPED:
        lines += _mechanism_section(mechanism)
    latex = Model(["A", "B"], "all").latex()
    lines += ["## Equations (every shipped mechanism on)", "", "```math", latex, "```", "",
              "with $W_{ii} = 0$, $c_{ii} = 1$, $[x]_+ = \\max(x, 0)$ and the numerical guard "
              f"$\\varepsilon = {GUARD:g}$.", "", _DOMAIN, _CONTESTED, _LIMITS]
    return "\n".join(lines)


def main(root: str = ".") -> int:
    """Write docs/model.md, docs/parameters.md and the README's generated blocks.

    Parameters
    ----------
    root : str
        The repository's root.

    Returns
    -------
    int
        The exit status.
    """
    root_path = Path(root)
    (root_path / "docs").mkdir(exist_ok=True)
    write_text(root_path / "docs" / "parameters.md", parameters_markdown())
    write_text(root_path / "docs" / "model.md", model_markdown())
    update_readme(root_path / "README.md")
    update_blocks(root_path / "docs" / "forecast-evaluation.md",
                  [(_EVALUATION_BEGIN, _EVALUATION_END, evaluation_markdown),
                   (_CHINA_BEGIN, _CHINA_END, china_markdown),
                   (_COLLAPSE_BEGIN, _COLLAPSE_END, collapse_markdown)])
    print("wrote docs/model.md, docs/parameters.md, docs/forecast-evaluation.md and the "
          "README's generated blocks")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
