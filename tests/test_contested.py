"""The mechanisms that turn the theory's contested claims into experiments (issue 30):
offence-defence in coercion's gain, perceived intentions, soft balancing that answers
intentions and constrains action, spoils as a motive, and free-riding from the allies' best
responses. Each number is derived here by hand from the stated equation or in closed
form, not read from the code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynamics import Model, Solver, simulate
from dynamics.codegen.compile import compile_model
from dynamics.model.values import pack_inputs, resolve_initial, resolve_parameters
from dynamics.scenarios import load_scenario

#: phi of coercion's denominator (docs/model.md: the force floor)
FLOOR = 1e-6
TIGHT = Solver(rtol=1e-11, atol=1e-13)


def rate_at_start(model: Model, params: dict, initial: dict) -> dict[str, float]:
    """Every variable's rate at t = 0, by slot label (``m[A]``, ``pi[B]``, ...)."""
    values = resolve_parameters(model, params)
    start = resolve_initial(model, initial)
    y, p = pack_inputs(model, values, start)
    rate = compile_model(model).rate(0.0, y, p)
    return {slot.label(model.states): float(r) for slot, r in zip(model.variables, rate,
                                                                   strict=True)}


# --- offence-defence balance in what aggression gains ----------------------------------------

@pytest.mark.parametrize(("balance", "attacker", "expected"), [
    (1.5, 0.8, 0.05 * 0.6 * 2.0 * (1.2 - 1.0) / (1.2 + 1.0 + FLOOR * 2.0)),
    (1.0, 0.8, 0.0),     # without the advantage a smaller force cannot coerce
    (0.5, 1.5, 0.0),     # with defence dominance even a larger force cannot (0.75 < 1)
    (0.5, 2.5, 0.05 * 0.6 * 2.0 * (1.25 - 1.0) / (1.25 + 1.0 + FLOOR * 2.0)),
])
def test_the_offence_defence_balance_scales_what_an_attackers_force_achieves(
        balance, attacker, expected):
    """A's extraction from B, F = rho o_A e_B [omega W m_A - m_B]+ / (omega W m_A + m_B +
    phi e_B), at rho 0.05, o_A 0.6, e_B 2, m_B 1, W 1, unallied: offence dominance lets a
    force of 0.8 coerce a defence of 1, defence dominance needs twice the defender's force
    (Glaser and Kaufmann 1998)."""
    model = Model(["A", "B"], ["economy", "coercion"])
    params = {"coercion": 0.05, "offence": [0.6, 0.0], "offence_defence": balance,
              "reaction": 0.0, "fatigue": 0.0, "growth": 0.0, "arms_cost": 0.0}
    result = simulate(model, params, (0.0, 1.0), output=2,
                      initial={"e": [1.0, 2.0], "m": [attacker, 1.0]})
    assert result["taken", "A"][0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert result["taken", "B"][0] == 0.0


# --- perceived intentions --------------------------------------------------------------------

@pytest.mark.parametrize("distinguishability", [0.0, 0.4, 1.0])
def test_perceived_intentions_relax_to_what_observation_shows(distinguishability):
    """With spending and output held (no reaction, fatigue or growth), pi_j follows
    pi(t) = varpi + (pi(0) - varpi) exp(-t / tau) with the reading varpi = 1 - (1 - o)
    (1 - (1 - D) beta / (beta + beta_a))(1 - upsilon), to 1e-8."""
    model = Model(["A", "B"], ["intentions"])
    o, beta, alarm, upsilon, tau = np.array([0.1, 0.3]), np.array([0.08, 0.02]), 0.05, \
        np.array([0.0, 0.5]), 3.0
    reading = 1 - (1 - o) * (1 - (1 - distinguishability) * beta / (beta + alarm)) * (
        1 - upsilon)
    start = np.array([0.9, 0.05])
    t = np.linspace(0.0, 10.0, 11)
    result = simulate(model, {"offence": o, "distinguishability": distinguishability,
                              "alarm_burden": alarm, "unilateralism": upsilon,
                              "intent_delay": tau, "reaction": 0.0, "fatigue": 0.0,
                              "grievance": 0.0},
                      (0.0, 10.0), output=t, solver=TIGHT,
                      initial={"e": [1.0, 1.0], "m": beta, "pi": start})
    expected = reading + (start - reading) * np.exp(-t[:, None] / tau)
    np.testing.assert_allclose(result["pi"], expected, atol=1e-8)


def test_defensive_arming_is_misread_as_offensive_intent_where_postures_look_alike():
    """Two defensive states (offensive share 0.1). Where postures cannot be told apart
    (D = 0) each reads the other's arming as intent: at a burden of 5 % (the alarm burden)
    half the defensive forces, pi = 1 - 0.9 (1 - 0.5) = 0.55; at D = 1 only the posture, 0.1.
    Misread, they spiral higher: the security-dilemma start ends with more spending."""
    model = Model(["A", "B"], ["intentions"])
    for d, expected in ((0.0, 0.55), (1.0, 0.1)):
        rate = rate_at_start(model, {"offence": 0.1, "distinguishability": d,
                                     "reaction": 0.0, "fatigue": 0.0, "grievance": 0.0},
                             {"e": [1.0, 1.0], "m": [0.05, 0.05], "pi": [0.0, 0.0]})
        assert rate["pi[A]"] * 2.0 == pytest.approx(expected, rel=1e-12)  # tau_pi = 2
    dilemma = load_scenario("security-dilemma")
    with_intentions = dilemma.with_values(mechanisms=[*dilemma.mechanisms, "intentions"])
    spent = [with_intentions.with_values({"distinguishability": d}).run()["m"][-1].sum()
             for d in (0.0, 1.0)]
    assert spent[0] > 2 * spent[1]


def test_coercion_is_read_as_intent_at_once():
    """A coercing state's perceived intentions rise by its victims' lost share of output:
    dpi_A/dt = (varpi_A - pi_A) / tau + (1 - pi_A) F_AB / e_B, with F_AB by hand."""
    model = Model(["A", "B"], ["intentions", "economy", "coercion"])
    params = {"offence": [0.2, 0.1], "distinguishability": 1.0, "coercion": 0.05,
              "reaction": 0.0, "fatigue": 0.0, "growth": 0.0, "arms_cost": 0.0}
    pi = 0.3
    rate = rate_at_start(model, params, {"e": [1.0, 2.0], "m": [1.0, 0.5], "pi": [pi, 0.1]})
    taken = 0.05 * 0.2 * 2.0 * (1.0 - 0.5) / (1.0 + 0.5 + FLOOR * 2.0)
    assert rate["pi[A]"] == pytest.approx((0.2 - pi) / 2.0 + (1 - pi) * taken / 2.0,
                                          rel=1e-12)


# --- soft balancing answers intentions and constrains action --------------------------------

def _shares(e: np.ndarray, m: np.ndarray, weight: float = 2 / 3) -> np.ndarray:
    eps = 1e-12
    return weight * e / e.sum() + (1 - weight) * (m + eps * e) / (m + eps * e).sum()


@pytest.mark.parametrize("offence", [0.0, 0.2, 0.8])
def test_soft_balancing_effort_answers_the_intentions_read_into_the_unipole(offence):
    """dv_i/dt = (sigma_i sum_j (1 - c_ij) [S_j - s*]+ (o_j + (1 - D)(1 - o_j)) - v_i) /
    tau_v, with the shares by hand: a more offensive unipole draws more effort."""
    model = Model(["U", "B", "C"], ["soft_balancing"])
    e, m = np.array([2.0, 0.5, 0.5]), np.array([0.3, 0.02, 0.02])
    rate = rate_at_start(model, {"offence": [offence, 0.1, 0.1], "distinguishability": 0.7,
                                 "soft_propensity": 5.0, "hegemony_share": 0.5},
                         {"e": e, "m": m})
    excess = max(_shares(e, m)[0] - 0.5, 0.0)
    intent = offence + 0.3 * (1 - offence)
    assert rate["v[B]"] == pytest.approx(5.0 * excess * intent / 2.0, rel=1e-12)


def test_soft_balancing_divides_the_unipoles_gains_from_coercion():
    """F_UB = rho o_U e_B [W m_U - m_B]+ / (... ) / (1 + chi_c V_U), V_U = X_U / (1 - s*)
    sum_j (1 - c_Uj) v_j, with a standing effort of 0.4 by each other state."""
    model = Model(["U", "B", "C"], ["economy", "coercion", "soft_balancing"])
    e, m = np.array([3.0, 1.0, 1.0]), np.array([0.6, 0.1, 0.1])
    params = {"coercion": 0.05, "offence": [0.5, 0.0, 0.0], "soft_constraint": 5.0,
              "hegemony_share": 0.5, "reaction": 0.0, "fatigue": 0.0, "growth": 0.0,
              "arms_cost": 0.0}
    result = simulate(model, params, (0.0, 1.0), output=2,
                      initial={"e": e, "m": m, "v": [0.0, 0.4, 0.4]})
    pressure = (_shares(e, m)[0] - 0.5) / 0.5 * 0.8
    each = 0.05 * 0.5 * 1.0 * (0.6 - 0.1) / (0.6 + 0.1 + FLOOR * 1.0)
    assert result["taken", "U"][0] == pytest.approx(2 * each / (1 + 5.0 * pressure), rel=1e-12)


# --- spoils: gain as a motive ----------------------------------------------------------------

def test_expected_spoils_and_designs_follow_their_definitions():
    """gamma_JR = sigma_x b_JR (sum_k F_Rk - F_RJ) / (1 + sigma_x sum_l a_lR) and delta_JT =
    sigma_x sum_l b_Jl F_lT / (1 + sigma_x sum_n a_nl), from the model's own propensities
    and extractions along the bandwagoning-for-profit run (the cohesion rate's new terms
    rest on these two)."""
    from dynamics.analysis.metrics import along

    scenario = load_scenario("bandwagoning-for-profit")
    model, result = scenario.model(), scenario.run()
    b, F = along(model, result, "propensity"), along(model, result, "extraction")
    c = result["c"]
    gamma, delta = along(model, result, "expected_spoils"), along(model, result, "designs")
    sigma = scenario.parameters.get("spoils_share", 0.5)
    claims = 1 + sigma * np.einsum("tlj,tlj->tj", c, b)
    R, J, T = (result.states.index(s) for s in ("Revisionist", "Jackal", "Target"))
    np.testing.assert_allclose(
        gamma[:, J, R], sigma * b[:, J, R] * (F[:, R].sum(axis=1) - F[:, R, J]) / claims[:, R],
        rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(
        delta[:, J, T], sigma * np.sum(b[:, J, :] * F[:, :, T] / claims, axis=1),
        rtol=1e-10, atol=1e-15)


def test_more_spoils_draw_the_jackal_to_the_revisionist_and_from_its_victim():
    """At the scenario's values, raising the bandwagoner's weight on the spoils (0.1, 0.5,
    1) raises its final cohesion with the Revisionist and lowers it with the Target (the
    direction the earlier model, in which spoils only paid, had the wrong way round)."""
    scenario = load_scenario("bandwagoning-for-profit")
    toward, away = [], []
    for share in (0.1, 0.5, 1.0):
        result = scenario.with_values({"spoils_share": share}).run()
        toward.append(result["c", "Jackal", "Revisionist"][-1])
        away.append(result["c", "Jackal", "Target"][-1])
    assert toward[0] < toward[1] < toward[2]
    assert away[0] > away[1] > away[2]


# --- free-riding from the allies' best responses ---------------------------------------------

def test_allied_spending_settles_at_olson_and_zeckhausers_best_responses():
    """Three fully allied states face a Rival whose spending is held at 0.5 (D = 0,
    eta = 0: each ally's threat is the Rival's spending). With the alliance as a public
    good each ally demands q_i theta with q_i = 3 e_i / (e_1 + e_2 + e_3); Richardson's
    adjustment settles where alpha m_i = k (q_i theta - phi sum_(j != i) m_j) + g e_i, a
    linear system solved here; burdens rise with output."""
    states = ["L", "S1", "S2", "R"]
    model = Model(states, ["public_good"])
    e = np.array([2.0, 1.0, 0.5, 3.0])
    k, alpha, g, phi, rival = 0.3, 0.2, 0.002, 0.1, 0.5
    cohesion = np.eye(4)
    cohesion[:3, :3] = 1.0
    params = {"reaction": [k, k, k, 0.0], "fatigue": alpha,
              "grievance": [g, g, g, alpha * rival / e[3]], "distinguishability": 0.0,
              "power_weight": 0.0, "support": phi}
    result = simulate(model, params, (0.0, 300.0), output=2, solver=TIGHT,
                      initial={"e": e, "m": [0.1, 0.1, 0.1, rival], "c": cohesion})
    q = 3 * e[:3] / e[:3].sum()
    system = alpha * np.eye(3) + k * phi * (1 - np.eye(3))
    expected = np.linalg.solve(system, k * q * rival + g * e[:3])
    np.testing.assert_allclose(result["m"][-1][:3], expected, rtol=1e-8)
    burden = expected / e[:3]
    assert burden[0] > burden[1] > burden[2]
    assert math.isclose(result["m"][-1][3], rival, rel_tol=1e-9)
