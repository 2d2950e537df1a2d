"""Who allies with whom: mutual threat erodes cohesion (Walt 1985), weak states bandwagon
only toward a stronger state, and a bandwagoner shares in its partner's spoils, the partner
keeping the larger part (Schweller 1994). Expected values are derived by hand from the
equations of docs/model.md, not read from the code."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamics import Model, simulate
from dynamics.analysis.metrics import along
from dynamics.run.prepared import prepare
from dynamics.scenarios import list_scenarios, load_scenario

ALLIED = 0.5


@functools.cache
def _run(name: str):
    scenario = load_scenario(name)
    result = scenario.run()
    assert result.ok, result.message
    return scenario.model(), result


def _with_alliances() -> list[str]:
    return [name for name in list_scenarios()
            if "alliances" in load_scenario(name).mechanisms]


@pytest.mark.parametrize("name", _with_alliances())
def test_no_state_ends_allied_with_its_largest_threat(name):
    """At the end of every shipped scenario with alliances, no state i is allied (c > 0.5)
    with the state j whose forces would threaten it most unallied (the largest potential
    threat P_ij), unless bandwagoning is on and the pair is a bandwagoning pair: one of the
    two weak and the other stronger (propensity b_ij or b_ji > 0)."""
    model, result = _run(name)
    threat = along(model, result, "potential_threat")[-1]
    cohesion = result.values["c"][-1]
    bandwagoning = (along(model, result, "propensity")[-1] if "bandwagoning" in model.mechanisms
                    else np.zeros_like(threat))
    offenders = []
    for i, state in enumerate(model.states):
        j = int(np.argmax(threat[i]))
        exempt = bandwagoning[i, j] > 0 or bandwagoning[j, i] > 0
        if threat[i, j] > 0 and cohesion[i, j] > ALLIED and not exempt:
            offenders.append(f"{state} with {model.states[j]} (c = {cohesion[i, j]:.2f})")
    assert not offenders, offenders


def test_mutual_threat_erodes_cohesion_at_the_rate_derived_by_hand():
    """Two states (no third party, so no common threat), W = 1, eta = 0, no decay and equal
    burdens: dc/dt = -xi c (T_12 / e_1 + T_21 / e_2) / 2 with T_12 = (1 - c) h_2 m_2 and
    h_j = o_j + (1 - D)(1 - o_j)."""
    model = Model(["A", "B"], ["ceiling", "alliances"])
    xi, d, o, c = 3.0, 0.4, (0.2, 0.7), 0.6
    m, e = (0.1, 0.3), (1.0, 3.0)  # burdens 0.1 and 0.1
    params = {"threat_erosion": xi, "distinguishability": d, "offence": list(o),
              "power_weight": 0.0, "alliance_decay": 0.0}
    run = prepare(model, params, {"m": list(m), "e": list(e),
                                                    "c": [[1, c], [c, 1]]})
    compiled, y0, p = run.compiled, run.y0, run.p
    rate = compiled.rate(0.0, y0, p)
    k = [s.label(model.states) for s in model.variables].index("c[A,B]")
    h = [oj + (1 - d) * (1 - oj) for oj in o]
    expected = -xi * c * ((1 - c) * h[1] * m[1] / e[0] + (1 - c) * h[0] * m[0] / e[1]) / 2
    assert rate[k] == pytest.approx(expected, rel=1e-12)


def _bandwagon_rates(shares_of_output: tuple[float, ...], m: tuple[float, ...]):
    model = Model(["Big", "Small1", "Small2"], ["alliances", "bandwagoning"])
    params = {"bandwagon_share": 0.3, "bandwagon_rate": 2.0, "alliance_formation": 0.0,
              "threat_erosion": 0.0, "alliance_decay": 0.0, "burden_dispute": 0.0,
              "power_weight": 0.0, "output_weight": 1.0, "distinguishability": 0.0}
    result = simulate(model, params, (0.0, 1.0), output=2,
                      initial={"e": list(shares_of_output), "m": list(m)})
    return model, result, along(model, result, "pull")[0]


def test_weak_states_bandwagon_only_toward_a_stronger_state():
    """Output shares 0.6, 0.2, 0.2 (output_weight 1, so S = output share), s_w = 0.3:
    w = min(1, 0.3/0.2 - 1) = 0.5 for the small states, 0 for the big one. Between the two
    small states z = 0, so their pull is 0 whatever they threaten; toward the big state
    z = 1 - 0.2/0.6 = 2/3 and B = lambda w z T / e with T = h m (D = 0: h = 1)."""
    _, _, pull = _bandwagon_rates((0.6, 0.2, 0.2), (0.06, 0.05, 0.05))
    assert pull[1, 2] == 0.0 and pull[2, 1] == 0.0
    expected = 2.0 * 0.5 * (2 / 3) * 0.06 / 0.2
    assert pull[1, 0] == pytest.approx(expected, rel=1e-9)
    assert pull[0, 1] == pytest.approx(expected, rel=1e-9)  # symmetric: B_ij = B_ji


def test_two_weak_states_do_not_bandwagon_however_unequal_their_threats():
    """Even when one small state is heavily armed (it threatens the other), two equally
    weak states feel no pull to each other."""
    _, _, pull = _bandwagon_rates((0.6, 0.2, 0.2), (0.01, 0.15, 0.0))
    assert pull[1, 2] == 0.0


@functools.cache
def _spoils_model() -> Model:
    return Model(["S", "J", "T", "K"], ["economy", "coercion", "alliances", "bandwagoning",
                                        "spoils"])


def _spoils_run(cohesion: float, kappa: float, extra_ally: float = 0.0):
    """Strong S (output 3, forces 1) coerces target T (output 1, forces 0.05); weak J
    (output 0.5) is allied with S at ``cohesion``, weak K at ``extra_ally``;
    output_weight 1 so S = output share."""
    model = _spoils_model()
    params = {"coercion": 0.1, "offence": [1.0, 0.0, 0.0, 0.0], "spoils_share": kappa,
              "bandwagon_share": 0.5, "output_weight": 1.0, "growth": 0.0,
              "arms_cost": 0.0, "support": 0.0}
    c = np.eye(4)
    c[0, 1] = c[1, 0] = cohesion
    c[0, 3] = c[3, 0] = extra_ally
    initial = {"e": [3.0, 0.5, 1.0, 0.5], "m": [1.0, 0.0, 0.05, 0.0], "c": c}
    result = simulate(model, params, (0.0, 1.0), output=2, initial=initial)
    return model, result


def test_a_bandwagoner_receives_the_share_derived_by_hand():
    """Shares 0.6, 0.1, 0.2, 0.1; s_w = 0.5: w_J = min(1, 0.5/0.1 - 1) = 1, z_JS =
    1 - 0.1/0.6 = 5/6, a_JS = c b = 0.8 * 5/6. S takes from T (projected 1 > 0.05):
    F_ST = rho o_S e_T (1 - 0.05) / (1 + 0.05 + phi e_T), and from J and K (undefended):
    F_SJ = rho e_J (1 - c) / (1 + phi e_J), F_SK = rho e_K / (1 + phi e_K), with the force
    floor phi = 1e-6 (docs/model.md, coercion). J's part of what S takes from others than J
    is kappa a / (1 + kappa a) (F_ST + F_SK)."""
    model, result = _spoils_run(0.8, 0.5)
    part = along(model, result, "spoils_part")[0]
    rho, kappa = 0.1, 0.5
    a = 0.8 * (1 - 0.1 / 0.6)
    phi = 1e-6
    taken = rho * 1.0 * 0.95 / (1.05 + phi * 1.0) + rho * 0.5 / (1 + phi * 0.5)
    assert part[1, 0] == pytest.approx(kappa * a / (1 + kappa * a) * taken, rel=1e-9)
    assert part[0, 1] == 0.0  # the strong state is nobody's bandwagoner


@settings(max_examples=25, deadline=None)
@given(cohesion=st.floats(0.0, 1.0), kappa=st.floats(0.0, 1.0), other=st.floats(0.0, 1.0))
def test_the_strong_partner_keeps_the_larger_part_and_nothing_is_created(cohesion, kappa,
                                                                          other):
    """For any cohesion and spoils share in the validity domain: the strong partner's
    fraction of the spoils it shares (1 minus the bandwagoners' fractions) is at least each
    bandwagoner's, and the spoils terms move output between states without creating any."""
    model, result = _spoils_run(cohesion, kappa, other)
    part = along(model, result, "spoils_part")[0]
    extraction = along(model, result, "extraction")[0]
    pools = extraction[0].sum() - extraction[0]  # what S takes from others than each i
    fractions = np.divide(part[:, 0], pools, out=np.zeros(model.N), where=pools > 0)
    assert np.all(fractions >= 0)
    assert np.all(fractions <= 1 - fractions.sum() + 1e-12)
    net = part.sum(axis=1) - part.sum(axis=0)
    assert abs(net.sum()) < 1e-15


def test_the_jackal_ends_richer_with_the_spoils_which_only_move_output():
    """bandwagoning-for-profit: with spoils on, the Jackal ends with more output than with
    them off. The spoils move output between the partners: summed over every state, the
    spoils terms sum(Y_ij - Y_ji) are 0 at every output time (to 1e-12 of the largest
    transfer). The Target ends a little poorer all the same (0.996 against 0.998): drawn
    away from it by the prospect of spoils, the Jackal's support covers less of it."""
    from dynamics.analysis.metrics import along

    scenario = load_scenario("bandwagoning-for-profit")
    with_spoils = scenario.run()
    without = scenario.with_values(mechanisms=[m for m in scenario.mechanisms
                                               if m != "spoils"]).run()
    assert with_spoils.ok and without.ok
    assert with_spoils["e", "Jackal"][-1] > without["e", "Jackal"][-1]
    parts = along(scenario.model(), with_spoils, "spoils_part")
    net = (parts - np.swapaxes(parts, 1, 2)).sum(axis=2)
    assert np.abs(net.sum(axis=1)).max() <= 1e-12 * np.abs(parts).max()
    assert np.abs(net).max() > 0
    assert (round(float(with_spoils["e", "Target"][-1]), 3),
            round(float(without["e", "Target"][-1]), 3)) == (0.996, 0.998)


def test_erosion_keeps_a_state_from_its_largest_threat():
    """A (defensive) is threatened most by B (offensive, forces 0.15) and less by C (forces
    0.08); B and C also threaten each other, so A and B share a common threat (C). Without
    the erosion (xi = 0) A's cohesion with B reaches 0.38; with it (the default xi) it stays
    below half of that, while A allies with C against B."""
    model = Model(["A", "B", "C"], ["ceiling", "alliances"])
    base = {"offence": [0.1, 0.8, 0.8], "distinguishability": 0.5, "reaction": [0.1, 0, 0],
            "grievance": [0.006, 0.03, 0.016], "ceiling": 0.4}

    def final(**change):
        res = simulate(model, {**base, **change}, (0.0, 40.0), output=81,
                       initial={"m": [0.03, 0.15, 0.08]})
        assert res.ok
        threat = along(model, res, "potential_threat")[-1]
        assert int(np.argmax(threat[0])) == 1  # B is A's largest threat
        return res["c", "A", "B"][-1], res["c", "A", "C"][-1]

    apart, against = final()
    unchecked, _ = final(threat_erosion=0.0)
    assert unchecked > 0.3 and apart < unchecked / 2
    assert against > ALLIED
