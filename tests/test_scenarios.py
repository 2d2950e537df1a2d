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


def test_free_riding_small_allies_carry_smaller_burdens():
    """Inside the alliance, Spearman rank correlation of output and burden is +0.8; without
    the alliance (cohesion held at 0) it is -1.0: the exploitation comes from the alliance."""
    allies = ["Leader", "Ally1", "Ally2", "Ally3"]
    res = run("free-riding")
    assert burden_size_correlation(res, allies, start=5.0) > 0
    apart = load_scenario("free-riding")
    apart = apart.with_values(mechanisms=["perception", "ceiling"],
                              initial={"c": np.eye(5)}).run()
    assert burden_size_correlation(apart, allies, start=5.0) <= 0


def test_free_riding_cohesion_falls_after_the_threat_recedes():
    """Cohesion peaks (0.92) while the Rival's forces are large and falls to 0.62."""
    res = run("free-riding")
    cohesion = mean_cohesion(res, ["Leader", "Ally1", "Ally2", "Ally3"])
    rival = res["m", "Rival"]
    peak = int(np.argmax(cohesion))
    assert rival[-1] < 0.2 * rival[0]  # the threat recedes
    assert cohesion[-1] < cohesion[peak] - 0.2


def test_unipolar_decay_ends_in_finite_time_and_soft_balancing_shortens_it():
    """From a share of 0.62 the Unipole falls below s* after 9.5 years; without soft
    balancing after 10.4."""
    res = run("unipolar-decay")
    assert 0.6 <= res.share[0, 0] <= 0.7
    with_soft, ended = unipolar_durability(res)
    without_soft, ended_too = unipolar_durability(without("unipolar-decay", "soft_balancing"))
    assert ended and ended_too
    assert with_soft < without_soft
    # the numbers the scenario's text quotes
    assert (round(with_soft, 1), round(without_soft, 1)) == (9.5, 10.4)


def test_soft_balancing_constrains_but_does_not_end_a_durable_unipole():
    """After 60 years the excess share over s* is 0.011 with soft balancing, 0.023 without."""
    res = run("soft-balancing")
    off = without("soft-balancing", "soft_balancing")
    excess_on, excess_off = res.share[-1, 0] - S_STAR, off.share[-1, 0] - S_STAR
    assert 0 < excess_on < 0.6 * excess_off
    assert (round(excess_on, 3), round(excess_off, 3)) == (0.011, 0.023)  # quoted in text
    assert res["v"].max() > 0 and off["e", "Unipole"][-1] > res["e", "Unipole"][-1]


def test_power_transition_projects_shares_and_a_date():
    """Initialised from 2016 figures; China overtakes the United States in 2048."""
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
    assert shipped.startswith(module.render(module.derive(data)) + "\n[robustness]")
    e = dict(zip(load_scenario("power-transition").states,
                 load_scenario("power-transition").initial["e"], strict=True))
    for state, billions in (("USA", 18805), ("CHN", 11233), ("JPN", 5004),
                            ("EUR", 2689 + 2473 + 3470)):
        assert e[state] == pytest.approx(billions, abs=1.5)


def test_four_worlds_are_ordered_as_jervis_orders_them():
    """Final spending as a share of the ceiling: doubly dangerous 82 %, security dilemma with
    defence advantage 47 %, offence advantage with distinguishable postures 27 %, doubly
    stable 4 %. Each is the symmetric root of (k h m + g)(1 - m/b) = alpha m with
    h = omega (o + (1 - D)(1 - o)), to 1e-6."""
    used = {}
    for name, quoted in (("doubly-dangerous", 0.82), ("dilemma-defence", 0.47),
                         ("offence-distinguishable", 0.27), ("doubly-stable", 0.04)):
        scenario = load_scenario(f"four-worlds-{name}").with_values(t_span=(0.0, 300.0))
        res = scenario.run()
        p = scenario.parameters
        h = p["offence_defence"] * (p["offence"] + (1 - p["distinguishability"])
                                    * (1 - p["offence"]))
        k, alpha, g, b = p["reaction"], p["fatigue"], p["grievance"], p["ceiling"]
        roots = np.roots([-k * h / b, k * h - g / b - alpha, g])
        star = roots[(roots > 0) & (roots < b)].max()
        np.testing.assert_allclose(res["m"][-1], star, rtol=1e-6)
        used[name] = star / b
        assert round(used[name], 2) == quoted
    assert used["doubly-dangerous"] > max(used["dilemma-defence"],
                                          used["offence-distinguishable"])
    assert used["doubly-stable"] < min(used["dilemma-defence"], used["offence-distinguishable"])
