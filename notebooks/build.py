"""Write the tutorial notebooks (without outputs) from the cells below.

    python notebooks/build.py

The notebooks are generated so that they are stored without stale outputs and cannot
drift from this file (a test rebuilds them and compares); the test suite executes each
one top to bottom, and each ends with an assertion on the number its story is about.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}

NOTEBOOKS["01-quickstart"] = [
    ("md", """# Quickstart: run a scenario, read its results, make a figure

`dynamics` models balancing in international relations as coupled differential equations:
each state's military spending, perceived threat, economic output, alliance cohesion and
soft-balancing effort evolve together (Richardson 1960; Walt 1985; Waltz 1979).

Install (from the project folder): `pip install -e '.[notebook]'`."""),
    ("code", """import dynamics
from dynamics.views.plotting import plot_run
from dynamics.scenarios import list_scenarios, load_scenario
dynamics.__version__, list_scenarios()"""),
    ("md", """A scenario bundles states, mechanisms, parameters with their sources, initial values and
a time span. In a notebook it shows as a table of its parameters (units, bounds, sources)."""),
    ("code", """scenario = load_scenario("hegemonic-rise")
scenario"""),
    ("code", """result = scenario.run()
result"""),
    ("md", """Results are labelled by variable and state; shares, burdens, the leader and the effective
number of poles are derived quantities."""),
    ("code", """riser = result["m", "Riser"]          # spending of the Riser over time
shares = result.share                    # (time, state), rows sum to 1
print(result.t[-1], riser[-1], shares[-1].round(3), result.leader[-1],
      result.effective_poles[-1].round(2))"""),
    ("code", """frame = result.to_dataframe()           # tidy: time, variable, state, partner, value
frame.head()"""),
    ("code", """figure = plot_run(result, title=scenario.title)"""),
    ("md", """Parameters can be changed without editing the file; the model itself prints its
equations (generated from the same code that is simulated)."""),
    ("code", """from IPython.display import Math
Math(scenario.model().latex())"""),
    ("code", """from dynamics.analysis.metrics import peak_share
peak = peak_share(result, "Riser")
print(f"the Riser's peak share is {peak.share:.3f} at t = {peak.time:.1f} years")
assert peak.share > 0.5  # without balancing, the Riser becomes a hegemon"""),
]

NOTEBOOKS["02-balancing"] = [
    ("md", """# Balancing, bandwagoning and free-riding

Balance-of-power theory holds that hegemony is unattainable because states balance a
potential hegemon: *internally*, by building their own economic and military strength,
and *externally*, by allying against it (Waltz 1979; Walt 1985). Weak states may instead
*bandwagon* with the strong, and inside alliances the small tend to *free-ride* on the
large (Olson and Zeckhauser 1966)."""),
    ("code", """from dynamics.scenarios import load_scenario
from dynamics.analysis.metrics import peak_share, burden_size_correlation, mean_cohesion
from dynamics.views.figures import FIGURES
peaks = {name: peak_share(load_scenario(name).run(), "Riser").share
         for name in ["hegemonic-rise", "internal-balancing", "external-balancing",
                      "combined-balancing"]}
peaks"""),
    ("code", """figure, header, data = FIGURES["compare-balancing"]()"""),
    ("md", """Internal balancing keeps the Riser below the hegemony threshold s*; external balancing
alone slows its rise but, at these values, does not keep it below (Waltz held self-help the
more reliable of the two); together they work best: allies pool forces that each of them
has also built up. The cell below checks these orderings against the peaks above."""),
    ("code", """bandwagon = load_scenario("bandwagoning")
balance = bandwagon.with_values(mechanisms=["perception", "ceiling", "economy", "alliances"])
strong = {"bandwagoning": peak_share(bandwagon.run(), "Strong").share,
          "balancing": peak_share(balance.run(), "Strong").share}
strong"""),
    ("code", """riding = load_scenario("free-riding").run()
allies = ["Leader", "Ally1", "Ally2", "Ally3"]
rho = burden_size_correlation(riding, allies, start=5.0)
cohesion = mean_cohesion(riding, allies)
print(f"rank correlation of size and burden: {rho:+.2f}; cohesion {cohesion.max():.2f} -> "
      f"{cohesion[-1]:.2f}")"""),
    ("code", """from dynamics import REGISTRY
s_star = REGISTRY["hegemony_share"].default  # s*
assert peaks["combined-balancing"] < min(peaks["internal-balancing"],
                                        peaks["external-balancing"])
assert peaks["internal-balancing"] < s_star < peaks["hegemonic-rise"]
assert peaks["external-balancing"] < peaks["hegemonic-rise"]
assert strong["bandwagoning"] > strong["balancing"] and rho > 0"""),
]

NOTEBOOKS["03-security-dilemma"] = [
    ("md", """# The security dilemma: when defence looks like offence

Jervis (1978): when offensive and defensive postures cannot be told apart, the measures a
state takes for its own security decrease the security of others. In the model, a state
reads the share h = o + (1 - D)(1 - o) of the other's forces as hostile, where o is the
offensive share and D the distinguishability of offence from defence."""),
    ("code", """from dynamics.scenarios import load_scenario
scenario = load_scenario("security-dilemma")
burden = {d: scenario.with_values({"distinguishability": d}).run().burden[-1, 0]
          for d in (0.2, 0.5, 0.8, 0.95)}
burden"""),
    ("md", """In the linear regime the two states' race is stable exactly when alpha > k h, so the
threshold follows from the model's own equations, derived by sympy (with the offence-defence
balance omega_o, neutral at 1 here):"""),
    ("code", """from dynamics.analysis.security import dilemma_threshold, dilemma_threshold_numeric
expression, symbols = dilemma_threshold()
analytic = float(expression.subs({symbols["reaction"]: 0.9, symbols["fatigue"]: 0.2,
                                  symbols["offence"]: 0.1, symbols["offence_defence"]: 1.0}))
expression, analytic"""),
    ("md", """The same threshold, found numerically as the branch point of the disarmed equilibrium of
the full model (delayed perception and the mobilisation ceiling on), by continuation in D:"""),
    ("code", """numeric = dilemma_threshold_numeric({"reaction": 0.9, "fatigue": 0.2, "offence": 0.1})
numeric"""),
    ("code", """from dynamics.views.figures import FIGURES
figure, header, data = FIGURES["bifurcation-security-dilemma"]()"""),
    ("md", """Move the slider to see the spiral appear below D*
(`dynamics.explore` needs ipywidgets):"""),
    ("code", """from dynamics import explore
explorer = explore("security-dilemma", ["distinguishability", "reaction"])
explorer"""),
    ("code", """assert abs(numeric - analytic) < 1e-4 * analytic
assert burden[0.2] > 0.7 * 0.4 and burden[0.95] < 0.1 * 0.4"""),
]

NOTEBOOKS["04-unipolar-decay"] = [
    ("md", """# Unipolar decay, soft balancing and the power transition

Waltz (1979) called unipolarity the least durable configuration; Kennedy (1987) traced the
decline of great powers to overstretch and others' catch-up; Pape (2005) and Paul (2005)
describe how secondary powers constrain a unipole they do not confront with arms."""),
    ("code", """from dynamics.scenarios import load_scenario
from dynamics.analysis.metrics import unipolar_durability, transition_time
decay = load_scenario("unipolar-decay")
without_soft = decay.with_values(mechanisms=["perception", "ceiling", "economy"])
durations = {"with soft balancing": unipolar_durability(decay.run())[0],
             "without": unipolar_durability(without_soft.run())[0]}
durations"""),
    ("code", """from dynamics.views.figures import FIGURES
figure, header, data = FIGURES["compare-soft-balancing"]()"""),
    ("md", """The present-day scenario starts from the 2016 figures of the Correlates of War file
(military spending, population) and the World Bank (output). The date of a transition, if
any, depends on the assumed economic potentials: try changing China's capacity."""),
    ("code", """transition = load_scenario("power-transition")
result = transition.run()
when = transition_time(result)
print(when)
slower = transition.with_values({"capacity": {"CHN": 36000.0}}).run()
print(transition_time(slower))"""),
    ("code", """from dynamics.views.plotting import plot_run
plot_run(result, title=transition.title);"""),
    ("code", """assert durations["with soft balancing"] < durations["without"]
assert when is not None and 2016 < when[0] < 2066 and when[1:] == ("USA", "CHN")"""),
]

NOTEBOOKS["05-sensitivity"] = [
    ("md", """# Sensitivity: which assumptions decide whether a riser becomes a hegemon?

In the hegemonic-rise scenario the Riser's peak power share depends on how strongly
military advantage converts into economic gain (coercion; Gilpin 1981), on its own growth
and on its economic potential (Kennedy 1987). A Morris screening ranks them cheaply;
Sobol indices apportion the variance of the peak share, and the same indices per output
time show when each assumption matters. Every evaluation is one compiled ensemble."""),
    ("code", """from dynamics.analysis.metrics import peak_share
from dynamics.scenarios import load_scenario
from dynamics.studies.sensitivity import Problem, local_sensitivities, morris, sobol
scenario = load_scenario("hegemonic-rise").with_values(output=17)
problem = Problem(("coercion", "growth.Riser", "capacity.Riser"),
                  ((0.0, 0.08), (0.03, 0.07), (2.0, 3.0)))
problem.to_dict()  # SALib's problem dictionary"""),
    ("md", """A first look costs seven runs: elasticities at the scenario's own values (percent change
of the peak share per percent change of each input). They are local: a global method
below says whether the ranking holds across the whole range."""),
    ("code", """local = local_sensitivities(scenario, problem.names, lambda r: peak_share(r, "Riser").share)
dict(zip(local.names, local.elasticity.round(4)))"""),
    ("code", """screening = morris(scenario, problem, lambda r: peak_share(r, "Riser").share,
                   trajectories=16, seed=1)
dict(zip(screening.names, screening.mu_star.round(4)))"""),
    ("code", """indices = sobol(scenario, problem, lambda r: peak_share(r, "Riser").share, n=64, seed=1)
{name: (round(f, 3), round(t, 3)) for name, f, t in
 zip(indices.names, indices.first, indices.total)}"""),
    ("md", """Time-resolved first-order indices of the Riser's share: the metric returns one value per
output time (here every 5 years after the start)."""),
    ("code", """over_time = sobol(scenario, problem, lambda r: r.share[1:, 0], n=32, seed=1)
import matplotlib.pyplot as plt
from dynamics.views.plotting import ONE_COLUMN, paper_style
times = scenario.run().t[1:]
with paper_style():
    fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4), layout="constrained")
    for name, row in zip(over_time.names, over_time.first):
        ax.plot(times, row, label=name)
    ax.set_xlabel("time (years)")
    ax.set_ylabel("first-order Sobol index")
    ax.legend()"""),
    ("code", """import numpy as np
# coercion is the decisive assumption locally and by both global methods
assert np.argmax(np.abs(local.elasticity)) == 0
assert np.argmax(screening.mu_star) == 0 and np.argmax(indices.total) == 0"""),
]

NOTEBOOKS["06-calibration"] = [
    ("md", """# Calibration: Richardson's pre-1914 arms race

Richardson (1960) fitted his equations to the defence budgets of the two blocs before
1914. The Correlates of War file (Singer, Bremer and Stuckey 1972) ships with the package;
its military expenditure is in thousands of pounds until 1913 and in dollars from 1914, so
the fit stops at 1913."""),
    ("code", """from dynamics.data import cow_series
from dynamics.calibration.calibrate import richardson_differences, richardson_trajectory
series = cow_series({"Entente": ["FRN", "RUS"], "Central": ["GMY", "AUH"]}, (1909, 1913))
series.years, series.total"""),
    ("md", """Richardson's method: the yearly increment of the bloc total against its mid-year mean
gives k - alpha and the equilibrium total c (with standard errors)."""),
    ("code", """differences = richardson_differences(series)
differences.k_minus_alpha, differences.equilibrium_total, differences.warnings"""),
    ("md", """Fitting the model's trajectories (reaction and grievance of each bloc, fatigue fixed at
Richardson's 0.2/yr):"""),
    ("code", """trajectory = richardson_trajectory(series)
{name: (round(e.value, 4), round(e.stderr, 4)) for name, e in trajectory.estimates.items()}"""),
    ("code", """from dynamics.views.figures import FIGURES
figure, header, data = FIGURES["calibration-1909"]()"""),
    ("code", """assert differences.k_minus_alpha.value > 0                      # a runaway race
assert differences.equilibrium_total.value < series.total.min()  # above its equilibrium"""),
]


NOTEBOOKS["07-counterfactuals"] = [
    ("md", """# Counterfactual histories: Europe 1870-1913 and the Cold War

The question a model of balancing is asked most is "what if": no Entente in 1904, no NATO
in 1949, an arms-control treaty in 1972. Here the six European great powers of 1870-1913
and the six powers of the Cold War run in calendar years from the Correlates of War data
shipped in the package; their alliances and the Soviet collapse arrive as dated
*interventions*, and each history is compared with the record year by year and with a
counterfactual without one of them."""),
    ("code", """import numpy as np
from dynamics import Intervention, compare, load_scenario, simulate
from dynamics.views.figures import FIGURES
from dynamics.calibration.history import fit_history
europe = load_scenario("europe-1870")
[event.describe() for event in europe.events]"""),
    ("md", """Growth, initial output and spending, and each state's reaction and grievance come from the
data (`dynamics.calibration.history.derive`); what the data do not fix is stated in the file. The
simulated shares of military spending against COW's observed ones:"""),
    ("code", """europe_fit = fit_history(europe)
print(europe_fit.summary())
figure, header, data = FIGURES["history-europe-1870"]()"""),
    ("md", """The model is closer to the record than persistence (the 1870 shares held), but its
alliances do not improve the fit: what moves the shares of spending most is the growth
of each economy, and the naval race that drove Britain's spending is not in the model.
Without the Entente Cordiale, Britain and France face each other unallied from 1904:"""),
    ("code", """entente = compare(europe, without=["Entente Cordiale"])
print(entente.summary())"""),
    ("md", """## The Cold War and after

NATO at the start, the Sino-Soviet alliance and split, German rearmament and the Warsaw
Pact, and the Soviet collapse of 1991, after which Russia keeps the part of the Soviet
Union that its share of the Soviet population suggests."""),
    ("code", """cold_war = load_scenario("cold-war-1949")
cold_fit = fit_history(cold_war)
print(cold_fit.summary())
figure, header, data = FIGURES["history-cold-war-1949"]()"""),
    ("code", """usa = cold_war.states.index("USA")
year = list(cold_fit.years).index(1992)
moment = cold_fit.simulated[year, usa]
print(f"the United States' share of the six's spending in 1992: {moment:.2f} simulated, "
      f"{cold_fit.observed[year, usa]:.2f} observed")"""),
    ("md", """## A what-if of your own, with an uncertain date

An arms-control treaty that halves the superpowers' reaction to each other, phased in over
five years. When it is signed is uncertain: give the date per member and the ensemble runs
each with its own, inside the compiled kernel."""),
    ("code", """dates = np.linspace(1965.0, 1980.0, 16)
treaty = Intervention("arms control", at=dates, scale={"reaction.USA": 0.5, "reaction.RUS": 0.5},
                      ramp=5.0)
ensemble = simulate(cold_war.model(), cold_war.values(), cold_war.t_span,
                    initial=cold_war.initial, output=cold_war.output, solver=cold_war.solver,
                    interventions=[*cold_war.events, treaty])
m = ensemble.values["m"]
soviet_1990 = (m / m.sum(axis=-1, keepdims=True))[:, list(ensemble.t).index(1990.0),
                                                   cold_war.states.index("RUS")]
dict(zip(dates.round(0).tolist(), soviet_1990.round(3).tolist()))"""),
    ("code", """treaty_effect = compare(cold_war, [Intervention("arms control", at=1972.0,
                                              scale={"reaction.USA": 0.5,
                                                     "reaction.RUS": 0.5}, ramp=5.0)])
print(treaty_effect.summary())"""),
    ("code", """# both histories are closer to the record than persistence; the collapse leaves a
# unipolar moment; a null intervention changes nothing
null = compare(cold_war, [Intervention("nothing", at=1972.0, scale={"reaction": 1.0})])
assert europe_fit.error < europe_fit.persistence
assert cold_fit.error < cold_fit.persistence
assert moment > 0.5
assert all(row["difference"] == 0 or np.isnan(row["difference"]) for row in null.rows())"""),
]


NOTEBOOKS["08-fitting-history"] = [
    ("md", """# Fitting history: the six powers of 1870-1913 with intervals a referee accepts

`dynamics.calibration.fitting` fits a scenario's parameters to the Correlates of War record with an
explicit observation model (log-normal errors, here with AR(1) autocorrelation along each
state's years), gives profile-likelihood and bootstrap intervals, says what the data
cannot pin, checks the fit on years it never saw, and compares mechanism sets.
`dynamics.calibration.posterior` adds the Bayesian posterior (emcee; the `[bayes]` extra).

The Markov chains below take several minutes in a full run, where their effective sample
sizes and R-hat pass; the posterior's summary prints every diagnostic and names any that
fails (emcee also advises chains of 50 autocorrelation times for a reliable estimate of
that time itself, which these may not reach). The test suite runs this notebook with
`DYNAMICS_QUICK=1`, which shortens the chains (their diagnostics then say so)."""),
    ("code", """import os
from dynamics.calibration.fitting import (FitProblem, bootstrap, compare_models,
                                          cow_observations, fit, holdout, profile)
from dynamics.views.plotting import plot_corner, plot_fit, plot_predictive
from dynamics.calibration.posterior import compare_criteria, posterior, predictive
from dynamics.scenarios import load_scenario
QUICK = os.environ.get("DYNAMICS_QUICK") == "1"
scenario = load_scenario("europe-1870")
observed = cow_observations(scenario, ["milex"])   # shares of military spending, 1870-1913
problem = FitProblem(scenario, observed, ["reaction.*", "fatigue"], error="ar1")
problem.names, problem.n"""),
    ("md", """## Maximum likelihood, profile and bootstrap intervals

Each state's reaction and a shared fatigue, with the AR(1) coefficient of the errors. A
profile that does not close within the parameter's domain means the data do not pin it:
the estimate is then printed as *not identified*, never as a number with an error."""),
    ("code", """result = bootstrap(profile(fit(problem)), 20 if QUICK else 200)
print(result.summary())"""),
    ("md", """## Out of sample

Fit 1870-1900 and predict 1901-1913, beside persistence (the 1900 shares held) and a
linear trend through 1870-1900."""),
    ("code", """held = holdout(problem, 1900)
print(held.summary())
plot_fit(held, title="europe-1870, fitted to 1870-1900");"""),
    ("md", """## Do the alliances or the economy improve the fit?

The same unknowns fitted under four mechanism sets: without the economy output is held at
its 1870 level, and without the alliances no alliance forms."""),
    ("code", """variants = {
    "Richardson": scenario.with_values(mechanisms=(), events=()),
    "+ economy": scenario.with_values(events=()),
    "+ alliances": scenario.with_values(mechanisms=()),
    "+ economy + alliances": scenario,
}
comparison = compare_models({label: FitProblem(s, observed, ["reaction.*", "fatigue"],
                                               error="ar1")
                             for label, s in variants.items()})
print(comparison.summary())"""),
    ("md", """## The Bayesian posterior

Fatigue is not identified, so it is held at Richardson's 0.2/yr (the scenario's value) and
the reactions and the AR(1) coefficient are sampled, with uniform priors over their
plausible ranges and a scale-invariant prior on the error's sd. The posterior is skewed:
large reactions are hard to rule out (see the profile intervals above), so the posterior
medians lie above the maximum-likelihood estimates."""),
    ("code", """walkers, steps, burn = (32, 300, 100) if QUICK else (64, 5000, 1500)
bayes = {}
for label, chosen in (("+ economy + alliances", scenario),
                      ("+ alliances", variants["+ alliances"])):
    sampled = FitProblem(chosen, observed, ["reaction.*"], error="ar1")
    bayes[label] = posterior(fit(sampled), walkers=walkers, steps=steps, burn=burn,
                             progress=True)
print(bayes["+ economy + alliances"].summary())"""),
    ("code", """plot_corner(bayes["+ economy + alliances"]);"""),
    ("code", """bands = predictive(bayes["+ economy + alliances"], draws=200)
plot_predictive(bayes["+ economy + alliances"], bands,
                title="europe-1870: 5-95 % posterior-predictive bands")"""),
    ("md", """WAIC and PSIS-LOO (ArviZ) compare the two posteriors on the same data: with or
without the economy's growth."""),
    ("code", """criteria = compare_criteria(bayes)
for row in criteria:
    print(f"{row['model']:24s} WAIC {row['waic']:9.1f}  LOO {row['looic']:9.1f}  "
          f"difference {row['delta_waic']:5.1f}")"""),
    ("code", """# the fit predicts the held-out years better than persistence and a linear trend; the
# data do not pin fatigue; the mechanism sets lie within 4 AIC units of each other
assert held.errors["model"] < held.errors["persistence"]
assert held.errors["model"] < held.errors["linear trend"]
assert not result.identified("fatigue")
assert max(row["delta_aic"] for row in comparison.rows()) < 4
assert all(abs(row["waic"]) > 0 for row in criteria)"""),
]


NOTEBOOKS["09-when-balancing-fails"] = [
    ("md", """# When does balancing fail? Scenario discovery

A sensitivity index says *which* input matters; a policy question asks *where*: under which
conditions does the Riser pass the hegemony threshold s* although the status-quo powers
ally against it? Scenario discovery answers it (Bryant and Lempert 2010): run many members
over the plausible ranges, mark those where the outcome happens, and find the box of
inputs that holds them with PRIM (the EMA Workbench's, `pip install -e '.[discovery]'`)."""),
    ("code", """from dynamics.studies.discovery import discover
from dynamics.views.figures import DISCOVERY
from dynamics.views.plotting import plot_discovery
from dynamics.scenarios import load_scenario
from dynamics.studies.sensitivity import Problem, convergence
scenario = load_scenario("external-balancing")
problem = Problem(tuple(name for name, _ in DISCOVERY["inputs"]),
                  tuple(bounds for _, bounds in DISCOVERY["inputs"]))
problem"""),
    ("code", """found = discover(scenario, problem, DISCOVERY["outcome"], n=DISCOVERY["n"])
print(found.summary())"""),
    ("md", """The peeling trajectory trades coverage (the share of all failures inside the box) for
density (the share of the box's members that fail). The chosen box maximises their
product; `found.select(i)` picks another point of the curve."""),
    ("code", """plot_discovery(found);"""),
    ("code", """found.trajectory_frame().tail()"""),
    ("md", """CART gives a second view: its first split should fall on one of the box's limits."""),
    ("code", """found.first_split"""),
    ("md", """## Does the sensitivity study behind it converge?

The indices of the same outcome's metric, recomputed from the leading 16, 32, ... base
samples of one design: the study has settled where the lines are flat."""),
    ("code", """settled = convergence(scenario, Problem(problem.names[:3], problem.bounds[:3]),
                      "peak_share", n=128, resamples=0)
print(settled.summary())"""),
    ("code", """# the Riser's own drive to arm is what external balancing cannot offset: the box
# restricts it from below, CART splits on it first, and the box is dense and covering
limits = {r.input: (r.low, r.high) for r in found.restrictions}
assert "grievance.Riser" in limits and limits["grievance.Riser"][0] > 0.006
assert found.first_split[0] == "grievance.Riser"
assert found.coverage > 0.8 and found.density > 0.8
assert settled.change() < 0.1"""),
]

NOTEBOOKS["10-contested-claims"] = [
    ("md", """# Contested claims as experiments: polarity durability and soft balancing

Waltz (1979, 2000) calls unipolarity "the least durable of international configurations";
Wohlforth (1999) and Brooks and Wohlforth (2008) argue that a unipole whose lead is large in
every component of power is durable. A scenario cannot settle this: the unipolar-decay
scenario decays because of what it assumes. This notebook first takes that scenario apart,
then runs the experiment that compares configurations without those assumptions, and ends
with the other half of the debate, soft balancing after 2003 (Pape 2005; Paul 2005)."""),
    ("md", """## What drives the decay in `unipolar-decay`?

Its file states its assumptions (`[assumptions]`); `decompose` switches each off alone and
all together, and records the years until the Unipole falls below s*."""),
    ("code", """from dynamics.studies.counterfactual import decompose
from dynamics.scenarios import load_scenario
parts = decompose(load_scenario("unipolar-decay"))
print(parts.summary())"""),
    ("md", """## The experiment: which configuration lasts longest?

`durability` draws systems of five to eight great powers, every state's parameters from the
same distribution, and runs each from a unipolar, a bipolar and a multipolar start (a pole
holds at least about half the leader's share). Durations are right-censored at the
horizon: a configuration still standing when the run ends counts as "lasted at least
that long", which is what the Kaplan-Meier estimator is for. The notebook runs a smaller
design than the README's (400 systems) when `DYNAMICS_QUICK` is set."""),
    ("code", """import os
from dynamics.studies.durability import Design, durability
systems = 60 if os.environ.get("DYNAMICS_QUICK") else 400
found = durability(Design(systems=systems, seed=0))
print(found.summary())"""),
    ("code", """from dynamics.views.plotting import plot_survival
plot_survival(found);"""),
    ("md", """Each system's inputs and durations are a table (`found.to_csv(path)`); any system can be
replayed as a scenario of its own, for instance the first one kept, from its unipolar
start."""),
    ("code", """import numpy as np
first = int(np.flatnonzero(found.kept)[0])
replay = found.scenario(first, "unipolar").run()
replay.share[0].round(3), found.duration[first]"""),
    ("md", """## Soft balancing after 2003

The post-cold-war scenario starts from the 2000 figures of the six powers, lets the others
read the United States' intentions from what it does, and marks the Iraq war of 2003 as a
unilateral act. Does it draw soft balancing, and does soft balancing change what the
United States can do more than what it has?"""),
    ("code", """scenario = load_scenario("post-cold-war")
run = scenario.run()
without_war = scenario.with_values(events=()).run()
without_soft = scenario.with_values(
    mechanisms=[m for m in scenario.mechanisms if m != "soft_balancing"]).run()
after = run.t >= 2003
gains = {name: float(np.trapezoid(r["taken"][after, 0], r.t[after]))
         for name, r in (("with soft balancing", run), ("without", without_soft))}
cut = 1 - gains["with soft balancing"] / gains["without"]
moved = 1 - run.share[-1, 0] / without_soft.share[-1, 0]
print(f"gains from coercion 2003-2016 cut by {cut:.0%}, power share by {moved:.1%}")"""),
    ("code", """# the decomposition: with all its assumptions off, the unipole outlasts the run; the
# experiment measured a duration for every configuration and counted every system; soft
# balancing cut the unipole's gains more than its power
assert parts.values["without all of them"] > parts.values["as shipped"]
assert sum(s.systems for s in found.survival.values()) == 3 * int(found.kept.sum())
assert all(0 < s.rmst <= found.design.years for s in found.survival.values())
assert cut > moved > 0"""),
]


def build(folder: Path = HERE) -> list[Path]:
    """Write every notebook into ``folder``; returns the paths."""
    written = []
    for name, cells in NOTEBOOKS.items():
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        for number, (kind, source) in enumerate(cells):
            cell = (nbformat.v4.new_markdown_cell(source) if kind == "md"
                    else nbformat.v4.new_code_cell(source))
            cell["id"] = f"{name}-{number}"
            notebook.cells.append(cell)
        path = folder / f"{name}.ipynb"
        nbformat.write(notebook, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {path}")
