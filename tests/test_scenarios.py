"""Each behaviour of the theory, shown by a named scenario and measured by a metric.

Numbers quoted in the docstrings are what the shipped scenarios give; the assertions test
the claims of the theory (thresholds and orderings), not those exact values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dynamics import Status
from dynamics.analysis.metrics import (
    burden_size_correlation,
    escalation_rate,
    mean_cohesion,
    peak_share,
    transition_time,
    unipolar_durability,
)
from dynamics.data import cow_path
from dynamics.scenarios import list_scenarios, load_scenario

S_STAR = 0.5
REQUIRED = {"richardson-stable", "richardson-runaway", "hegemonic-rise", "internal-balancing",
            "external-balancing", "security-dilemma", "bandwagoning", "free-riding",
            "unipolar-decay", "soft-balancing", "power-transition"}


def run(name: str, **changes):
    scenario = load_scenario(name)
    result = (scenario.with_values(**changes) if changes else scenario).run()
    assert result.ok, result.message
    return result


def without(name: str, mechanism: str):
    scenario = load_scenario(name)
    return scenario.with_values(mechanisms=[m for m in scenario.mechanisms
                                            if m != mechanism]).run()


def test_every_required_scenario_ships():
    assert REQUIRED <= set(list_scenarios())


@pytest.mark.parametrize("name", sorted(REQUIRED | {"combined-balancing"}))
def test_scenarios_say_where_their_numbers_come_from(name):
    """(Bounds are the loader's to enforce, and tests/test_bad_input.py tests that.)"""
    scenario = load_scenario(name)
    assert scenario.sources, "every scenario says where its numbers come from"
    assert len(scenario.description) > 200 and scenario.theory


def test_richardson_stable_reaches_the_analytic_equilibrium():
    """x* = y* = (beta g + k h)/(alpha beta - k l) = 0.04 (alpha = beta = 0.3, k = l = 0.15)."""
    res = run("richardson-stable", t_span=(0.0, 200.0))
    np.testing.assert_allclose(res["m"][-1], 0.04, rtol=1e-6)


def test_richardson_runaway_escalates_at_the_unstable_eigenvalue():
    """Total spending grows at k - alpha = 0.7/yr until the run is stopped as diverged."""
    res = load_scenario("richardson-runaway").run()
    assert res.status is Status.DIVERGED
    assert escalation_rate(res, start=10.0, end=float(res.t[-1])) == pytest.approx(0.7, rel=1e-3)


def test_hegemonic_rise_without_balancing_exceeds_hegemony():
    """Peak share of the Riser with balancing off: 0.77 > s* = 0.5."""
    assert peak_share(run("hegemonic-rise"), "Riser").share > S_STAR


def test_balancing_keeps_the_riser_below_hegemony_and_both_work_best():
    """Riser's peak share: nobody balancing 0.77, external alone 0.52 (slowed, not
    contained), internal 0.45, both 0.37: internal and both below s* = 0.5."""
    nobody = peak_share(run("hegemonic-rise"), "Riser").share
    internal = peak_share(run("internal-balancing"), "Riser").share
    external = peak_share(run("external-balancing"), "Riser").share
    both = peak_share(run("combined-balancing"), "Riser").share
    assert internal < S_STAR and both < S_STAR
    assert external < nobody
    assert both < min(internal, external)


def test_security_dilemma_escalates_below_the_threshold_and_settles_above():
    """At D = 0.2 both states climb to 73 % of their ceiling; at D = 0.95 they settle at 6 %.

    In both cases the final state is the symmetric equilibrium of the saturated race,
    (k h m + g e)(1 - m/(b e)) = alpha m with h = o + (1 - D)(1 - o), to 1e-6.
    """
    scenario = load_scenario("security-dilemma")
    p = scenario.parameters
    k, alpha, g, o, b = (p[n] for n in ("reaction", "fatigue", "grievance", "offence",
                                        "ceiling"))
    d_star = 1 - (alpha / k - o) / (1 - o)
    assert d_star == pytest.approx(0.8642, abs=1e-4)
    for distinguishability, low, high in ((0.2, 0.7, 1.0), (0.95, 0.0, 0.1)):
        res = scenario.with_values({"distinguishability": distinguishability},
                                   t_span=(0.0, 150.0)).run()
        used = res.burden[-1] / b
        assert np.all((used > low) & (used < high))
        h = o + (1 - distinguishability) * (1 - o)
        # quadratic in m (e = 1): -(k h / b) m^2 + (k h - g / b - alpha) m + g = 0
        roots = np.roots([-k * h / b, k * h - g / b - alpha, g])
        star = roots[(roots > 0) & (roots < b)].max()
        np.testing.assert_allclose(res["m"][-1], star, rtol=1e-6)


def test_bandwagoning_raises_the_strong_states_share():
    """Strong state's share: peak 0.51 and final 0.48 with bandwagoning; 0.45 (its start)
    and 0.40 when the weak balance."""
    bandwagon = run("bandwagoning")
    balance = without("bandwagoning", "bandwagoning")
    assert peak_share(bandwagon, "Strong").share > peak_share(balance, "Strong").share
    assert bandwagon["share", "Strong"][-1] > balance["share", "Strong"][-1]


def test_free_riding_emerges_from_the_allies_best_responses():
    """Every ally reacts alike (0.05/yr). With the alliance as a public good the Spearman
    rank correlation of output and burden is +1, among the three small allies too; without
    that mechanism the same reactions give -1 (a small economy answering the whole common
    threat), and so does the public good without the alliance (cohesion held at 0): the
    ordering comes from each ally's stake in the others' deterrence, not from a
    parameter."""
    allies = ["Leader", "Ally1", "Ally2", "Ally3"]
    scenario = load_scenario("free-riding")
    assert len({scenario.parameter("reaction")[i] for i in range(4)}) == 1
    res = scenario.run()
    assert burden_size_correlation(res, allies, start=5.0) == pytest.approx(1.0)
    assert burden_size_correlation(res, allies[1:], start=5.0) == pytest.approx(1.0)
    plain = without("free-riding", "public_good")
    assert burden_size_correlation(plain, allies, start=5.0) == pytest.approx(-1.0)
    apart = scenario.with_values(mechanisms=["perception", "ceiling", "public_good"],
                                 initial={"c": np.eye(5)}).run()
    assert burden_size_correlation(apart, allies, start=5.0) == pytest.approx(-1.0)


def test_free_riding_cohesion_falls_after_the_threat_recedes():
    """Cohesion peaks (0.92) while the Rival's forces are large and falls to 0.62."""
    res = run("free-riding")
    cohesion = mean_cohesion(res, ["Leader", "Ally1", "Ally2", "Ally3"])
    rival = res["m", "Rival"]
    peak = int(np.argmax(cohesion))
    assert rival[-1] < 0.2 * rival[0]  # the threat recedes
    assert cohesion[-1] < cohesion[peak] - 0.2


def test_unipolar_decay_ends_in_finite_time_and_soft_balancing_shortens_it():
    """From a share of 0.62 the Unipole falls below s* after 10.0 years; without soft
    balancing after 10.4 (the numbers are tests/test_prose.py's)."""
    res = run("unipolar-decay")
    assert 0.6 <= res.share[0, 0] <= 0.7
    with_soft, ended = unipolar_durability(res)
    without_soft, ended_too = unipolar_durability(without("unipolar-decay", "soft_balancing"))
    assert ended and ended_too
    assert with_soft < without_soft


def test_unipolar_decay_is_driven_by_its_assumptions():
    """Each of the scenario's assumptions switched off lengthens the spell (but the low
    start of the secondary powers, which shortens it), and with all switched off the
    Unipole outlasts the run: the decay is put in. The settled spending of the secondary
    powers that one assumption names is what they settle at with outputs held (200 years
    of the model without the economy), to 1e-6."""
    from dynamics.studies.counterfactual import decompose

    scenario = load_scenario("unipolar-decay")
    values = decompose(scenario).values
    shipped = values["as shipped"]
    for name in ("catch-up growth", "headroom of the secondary powers",
                 "overstretch of the unipole", "soft balancing"):
        assert values[f"without {name}"] > shipped
    assert values["without secondary powers below their settled spending"] < shipped
    assert values["without all of them"] == float("inf")
    held = scenario.with_values(mechanisms=[m for m in scenario.mechanisms if m != "economy"],
                                t_span=(0.0, 200.0)).run()
    stated = scenario.assumptions["secondary powers below their settled spending"]
    np.testing.assert_allclose(stated["initial"]["m"][1:], held["m"][-1][1:], rtol=1e-6)


def test_soft_balancing_constrains_but_does_not_end_a_durable_unipole():
    """After 60 years the excess share over s* is 0.016 with soft balancing, 0.023 without
    (the numbers are tests/test_prose.py's)."""
    res = run("soft-balancing")
    off = without("soft-balancing", "soft_balancing")
    excess_on, excess_off = res.share[-1, 0] - S_STAR, off.share[-1, 0] - S_STAR
    assert 0 < excess_on < 0.75 * excess_off
    assert res["v"].max() > 0 and off["e", "Unipole"][-1] > res["e", "Unipole"][-1]


def test_power_transition_projects_shares_and_a_date():
    """Initialised from 2016 figures; China overtakes the United States (in the late
    2030s: tests/test_prose.py)."""
    res = run("power-transition")
    assert res.leader[0] == "USA"
    when = transition_time(res)
    assert when is not None and when[1:] == ("USA", "CHN")  # the year: tests/test_prose.py


def test_power_transition_file_is_what_the_script_derives():
    """The shipped file equals what scripts/power_transition.py derives from the COW and
    World Bank files shipped in the package; its 2016 outputs are the World Bank's
    (US$ bn: USA 18,805, China 11,233, Japan 5,004, Europe 2,689 + 2,473 + 3,470)."""
    root = Path(__file__).resolve().parent.parent
    data = cow_path()
    import importlib.util

    spec = importlib.util.spec_from_file_location("power_transition",
                                                  root / "scripts" / "power_transition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (root / "dynamics" / "scenarios" / "library" / "power-transition.toml").read_text()
    # (its [prose], [variants], [[claims]] and [robustness] are declared and measured, kept)
    assert shipped.startswith(module.render(module.derive(data)) + "\n[prose]")
    e = dict(zip(load_scenario("power-transition").states,
                 load_scenario("power-transition").initial["e"], strict=True))
    for state, billions in (("USA", 18805), ("CHN", 11233), ("JPN", 5004),
                            ("EUR", 2689 + 2473 + 3470)):
        assert e[state] == pytest.approx(billions, abs=1.5)


def test_jervis_worlds_of_status_quo_states_are_ordered_by_escalation():
    """Two status-quo states of the security-dilemma scenario in Jervis's four worlds:
    spending as a share of the ceiling, doubly dangerous (D = 0.2, offence_defence 1.5)
    82 %, dilemma with defence advantage (0.2, 0.5) 47 %, offence advantage with
    distinguishable postures (0.9, 1.5) 27 %, doubly stable (0.9, 0.5) 4 %. Each is the
    symmetric root of (k h m + g)(1 - m/b) = alpha m with h = omega (o + (1 - D)(1 - o)),
    to 1e-6."""
    base = load_scenario("security-dilemma")
    p = base.parameters
    k, alpha, g, b, o = (p[n] for n in ("reaction", "fatigue", "grievance", "ceiling",
                                        "offence"))
    used = {}
    for name, d, omega, quoted in (("doubly dangerous", 0.2, 1.5, 0.82),
                                   ("dilemma, defence", 0.2, 0.5, 0.47),
                                   ("offence, distinguishable", 0.9, 1.5, 0.27),
                                   ("doubly stable", 0.9, 0.5, 0.04)):
        res = base.with_values({"distinguishability": d, "offence_defence": omega},
                               t_span=(0.0, 300.0)).run()
        h = omega * (o + (1 - d) * (1 - o))
        roots = np.roots([-k * h / b, k * h - g / b - alpha, g])
        star = roots[(roots > 0) & (roots < b)].max()
        np.testing.assert_allclose(res["m"][-1], star, rtol=1e-6)
        used[name] = star / b
        assert round(used[name], 2) == quoted
    assert used["doubly dangerous"] > max(used["dilemma, defence"],
                                          used["offence, distinguishable"])
    assert used["doubly stable"] < min(used["dilemma, defence"], used["offence, distinguishable"])


def test_in_the_four_worlds_the_balance_decides_whether_aggression_pays():
    """With a revisionist South (the four-worlds scenarios): output changes hands only
    where offence has the advantage; where postures are indistinguishable the revisionist
    gains (South 1.53 times its output), where they are distinguishable the status-quo
    North out-arms it and gains instead; where defence has the advantage South's projected
    force is below half North's defence, so the extraction is exactly 0."""
    final = {}
    for name in ("doubly-dangerous", "dilemma-defence", "offence-distinguishable",
                 "doubly-stable"):
        res = run(f"four-worlds-{name}")
        final[name] = res["e"][-1] / res["e"][0]
    assert final["doubly-dangerous"][1] > 1.3 > 0.7 > final["doubly-dangerous"][0]
    assert final["offence-distinguishable"][0] > 1 > final["offence-distinguishable"][1]
    for name in ("dilemma-defence", "doubly-stable"):
        np.testing.assert_allclose(final[name], 1.0, atol=1e-9)


def test_post_cold_war_file_is_what_the_script_derives():
    """The shipped file equals what scripts/post_cold_war.py derives from the COW and World
    Bank files shipped in the package (its description and robustness table are kept, not
    derived); its 2000 outputs are the World Bank's (US$ bn: USA 10,251, China 1,211)."""
    root = Path(__file__).resolve().parent.parent
    import importlib.util

    spec = importlib.util.spec_from_file_location("post_cold_war",
                                                  root / "scripts" / "post_cold_war.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (root / "dynamics" / "scenarios" / "library" / "post-cold-war.toml").read_text()
    description = load_scenario("post-cold-war").description
    derived = module.render(module.derive(cow_path())).replace("DESCRIPTION", description)
    assert shipped.startswith(derived + "\n[prose]")
    e = dict(zip(load_scenario("post-cold-war").states,
                 load_scenario("post-cold-war").initial["e"], strict=True))
    assert e["USA"] == pytest.approx(10251, abs=1.5)
    assert e["CHN"] == pytest.approx(1211, abs=1.5)


def test_post_cold_war_soft_balancing_constrains_action_more_than_power():
    """The Iraq war raises the intentions others perceive in the United States and the
    soft balancing they build; soft balancing cuts its gains from coercion by a larger
    fraction than its power share (28 % against 4 %: tests/test_prose.py)."""
    scenario = load_scenario("post-cold-war")
    res = scenario.run()
    no_war = scenario.with_values(events=()).run()
    off = without("post-cold-war", "soft_balancing")
    assert res["pi", "USA"].max() > no_war["pi", "USA"].max() + 0.3
    keep = res.t >= 2003
    gains = [np.trapezoid(r["taken"][keep, 0], r.t[keep]) for r in (res, off)]
    cut = 1 - gains[0] / gains[1]
    moved = 1 - res.share[-1, 0] / off.share[-1, 0]
    assert cut > 5 * moved > 0


def test_power_transition_spending_grows_as_the_record_says():
    """In 2016 each power's spending grows at the rate of its output plus the log-linear
    trend of its burden over 2005-2016 (COW milex over World Bank GDP, both current
    dollars, recomputed here from the shipped files): China's, whose burden held, with its
    economy. Measured on the run over its first thousandth of a year, to 1e-5 per year."""
    import csv
    from importlib import resources

    text = (resources.files("dynamics.data") / "cow-nmc-v6.0.csv").read_text()
    milex = {(r["stateabb"], int(r["year"])): float(r["milex"]) * 1e3
             for r in csv.DictReader(text.splitlines())}
    text = (resources.files("dynamics.data") / "world-bank-gdp.csv").read_text()
    gdp = {(r["Country Code"], int(r["Year"])): float(r["Value"])
           for r in csv.DictReader(text.splitlines())}
    blocs = {"EUR": (("UKG", "FRN", "GMY"), ("GBR", "FRA", "DEU"))}
    scenario = load_scenario("power-transition")
    res = scenario.with_values(t_span=(2016.0, 2016.001)).run(output=2)
    for i, state in enumerate(scenario.states):
        cow, bank = blocs.get(state, ((state,), (state,)))
        burden = [sum(milex[(c, y)] for c in cow) / sum(gdp[(c, y)] for c in bank)
                  for y in range(2005, 2017)]
        trend = np.polyfit(np.arange(12), np.log(burden), 1)[0]
        rate = np.log(res["m"][1, i] / res["m"][0, i]) / 0.001
        output = np.log(res["e"][1, i] / res["e"][0, i]) / 0.001
        assert rate == pytest.approx(output + trend, abs=1e-5), state
