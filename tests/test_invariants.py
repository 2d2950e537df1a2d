"""Invariants over random admissible parameters and initial states, all mechanisms on.

m >= 0, e > 0, 0 <= c <= 1, v >= 0 and theta >= 0 must hold for every
parameter set inside the registry's bounds; values are drawn from each parameter's
plausible range (the bounds where none is given, and infinite bounds cannot be sampled).
A run that takes more than a minute fails, saying so, instead of holding up the suite.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics import REGISTRY, Solver, Status, simulate
from dynamics.model.mechanisms import SHIPPED

N = 3
#: capacity and the constant grievance are in currency units and have no scale-free
#: bounds; they are drawn relative to each state's initial output, E in [0.25, 10] e0 and
#: G in [-0.05, 0.1] e0 per year
_SCALED = {"capacity": (0.25, 10.0), "grievance_level": (-0.05, 0.1)}


#: the parameters of the shipped mechanisms, all of which the model of every test uses
USED = frozenset(p.name for m in SHIPPED for p in m.parameters)


def _bounded(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def admissible(draw):
    params = {}
    e0 = np.array([draw(st.floats(0.1, 5.0)) for _ in range(N)])
    for name, spec in REGISTRY.items():
        if name not in USED:  # a researcher's mechanism registered by another test
            continue
        low, high = _SCALED.get(name, spec.design_range)
        if name in _SCALED:
            params[name] = [draw(_bounded(low, high)) * e0[i] for i in range(N)]
        elif spec.kind == "scalar":
            params[name] = draw(_bounded(low, high))
        elif spec.kind == "state":
            params[name] = [draw(_bounded(low, high)) for _ in range(N)]
        else:
            matrix = np.array([[0.0 if i == j else draw(_bounded(low, high)) for j in range(N)]
                               for i in range(N)])
            params[name] = matrix
    burden = np.array([draw(st.floats(0.0, 1.0)) for _ in range(N)])
    m0 = burden * np.asarray(params["ceiling"]) * e0
    m0[0] = max(m0[0], 1e-3)  # shares need some spending in the system
    c = np.eye(N)
    for i in range(N):
        for j in range(i + 1, N):
            c[i, j] = c[j, i] = draw(st.floats(0.0, 1.0))
    v0 = [draw(st.floats(0.0, 2.0)) for _ in range(N)]
    return params, {"e": e0, "m": m0, "c": c, "v": v0}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(admissible())
def test_invariants_hold_for_admissible_parameters(full3, case):
    params, initial = case
    res = simulate(full3, params, (0.0, 30.0), initial=initial, output=61,
                   solver=Solver(rtol=1e-7, atol=1e-10, time_limit=60.0))
    # an economy drained by arms costs without growth collapses towards 0, an outcome of
    # the model, not a fault: the run stops there, cleanly, and says which state
    collapsed = res.status is Status.LEFT_DOMAIN and "output collapsed" in res.message
    assert res.ok or collapsed, res.message
    tolerance = 1e-7  # of the order of the solver's tolerances
    scale = float(np.max(res["e"]))
    assert np.all(res["m"] >= -tolerance * scale)
    # output stays positive; below the solver's atol it is resolved only to that tolerance
    assert np.all(res["e"] > -1e-10)
    assert np.all(res["c"] >= -tolerance) and np.all(res["c"] <= 1 + tolerance)
    assert np.all(res["v"] >= -tolerance)
    assert np.all(res["theta"] >= -tolerance * scale)


#: a case hypothesis found: two states' spending decays to 0 (CHN's starts at 1e-66, USA's
#: falls with its negative grievance), so their forces reach the solver's noise while RUS
#: still has some. Before the coercion mechanism's force floor (docs/model.md, coercion) the ratio
#: of those noisy forces set the extraction, LSODA spent its whole step budget and the
#: methods that finished gave outputs that disagreed in the first digit.
VANISHING_FORCES = (
    {"reaction": [3.4583, 3.4809, 0.46354], "fatigue": [0.69005, 3.6817, 4.9643],
     "grievance": [-0.54591, -0.29451, 0.0], "offence": [0.81422, 0.31599, 0.24935],
     "grievance_level": [-0.10693, -6.9e-52, 0.097261],
     "distinguishability": 0.27620, "offence_defence": 2.4, "power_weight": 0.053862,
     "proximity": [[0.0, 0.17951, 0.10378], [0.78235, 0.0, 0.92143],
                   [0.42620, 0.25093, 0.0]],
     "output_weight": 0.16817, "support": 1e-05, "perception_delay": 37.578,
     "ceiling": [0.33482, 0.67567, 0.63724], "growth": [0.36, 0.10557, 1e-09],
     "capacity": [20.800, 24.633, 0.495], "arms_cost": [0.54293, 0.44305, 1.1005],
     "coercion": 0.55, "alliance_formation": 62.327, "alliance_decay": 3.4178,
     "threat_erosion": 68.247, "burden_dispute": 1.02, "bandwagon_rate": 73.576,
     "bandwagon_share": 0.73690, "spoils_share": 3.3e-218, "hegemony_share": 0.41353,
     "soft_propensity": [4.1641, 9.9190, 0.38], "soft_delay": 45.805, "soft_drag": 0.64255,
     "soft_cost": 16.839},
    {"e": [2.6336, 4.1064, 0.99], "m": [0.15290, 7.9e-66, 0.41220],
     "c": [[1.0, 0.21733, 0.41974], [0.21733, 1.0, 0.23990], [0.41974, 0.23990, 1.0]],
     "v": [5e-324, 0.43102, 0.33482]})


@pytest.mark.parametrize("method", ["auto", "Radau"])
def test_a_run_whose_forces_vanish_is_well_posed(full3, method):
    """The case above, by LSODA (auto) and Radau at rtol 1e-7, within a minute each, agrees
    with DOP853 at rtol 1e-12 to 1e-5 of each variable's largest magnitude (the global
    error of a 1e-7 method over 30 years, a hundred times its tolerance)."""
    params, initial = VANISHING_FORCES
    reference = simulate(full3, params, (0.0, 30.0), initial=initial, output=61,
                         solver=Solver(method="DOP853", rtol=1e-12, atol=1e-14))
    result = simulate(full3, params, (0.0, 30.0), initial=initial, output=61,
                      solver=Solver(method=method, rtol=1e-7, atol=1e-10, time_limit=60.0))
    assert reference.ok and result.ok, (reference.message, result.message)
    for name in ("m", "theta", "e", "c", "v"):
        scale = float(np.max(np.abs(reference[name])))
        np.testing.assert_allclose(result[name], reference[name], rtol=0, atol=1e-5 * scale,
                                   err_msg=name)
