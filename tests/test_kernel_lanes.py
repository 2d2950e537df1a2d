"""Members integrated side by side in the lanes of the vectorised rate
(``kernel_body.lanes``, used for large ensembles without interventions) give the same
numbers, to the last bit, and the same statuses as members integrated one at a time
(``kernel_body.one``): the same operations in the same order, only several members at
once. The one difference, the lanes' ``power`` for ``(N S_j)^eta`` (docs in
dynamics/run/kernel/build.py), is exact at eta's default of 1; at other eta the two agree to the
solver's tolerance."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from dynamics import Model, compile_model
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import prepare

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="the kernel needs numba")

sys.path.insert(0, str(Path(__file__).resolve().parent / "plugins"))
arms_control = importlib.import_module("arms_control")


def both_ways(model: Model, params: dict, t_out: np.ndarray, monkeypatch, divergence=1e6,
              **options):
    """``integrate_members`` one member at a time, then side by side in lanes (a member
    diverges where a variable exceeds ``divergence`` times its initial scale)."""
    run = prepare(model, params, None)
    compiled, y0, p = run.compiled, run.y0, run.p
    members = p.shape[0]
    y0 = np.ascontiguousarray(np.broadcast_to(y0, (members, y0.shape[-1])))
    bounds = divergence * np.maximum(np.max(np.abs(y0), axis=1), 1e-300)
    runs = []
    for lane_min in (members + 1, 0):
        monkeypatch.setattr(kernel, "LANE_MIN", lane_min)
        out, status, fired = kernel.integrate_members(
            compiled, y0, p, (float(t_out[0]) - 1.0, float(t_out[-1])), t_out,
            bounds=bounds, **options)
        assert not any(fired)
        runs.append((out, status))
    return runs


@needs_numba
def test_lanes_give_the_same_numbers_and_statuses_as_one_member_at_a_time(monkeypatch):
    """All mechanisms, three states, 203 members (not a multiple of the lanes or of a
    thread's task): ordinary members, members that diverge (strong reaction and weak
    fatigue, and a bound just above the initial scale) and stiff ones (perception delays
    of 1e-4 yr, left by the explicit method and finished by the implicit one). Outputs
    start a year after the start, so that a member's first output comes from the dense
    output, not the initial values."""
    model = Model(["A", "B", "C"])
    members = 203
    rng = np.random.default_rng(5)
    reaction = rng.uniform(0.05, 0.6, (members, 3))
    reaction[::17] = 3.0
    fatigue = rng.uniform(0.1, 0.4, (members, 3))
    fatigue[::17] = 0.01
    params = {"reaction": reaction, "fatigue": fatigue,
              "perception_delay": np.where(np.arange(members) % 29 == 3, 1e-4, 1.0)}
    t_out = np.linspace(1.0, 40.0, 40)
    divergence = np.where(np.arange(members) % 17 == 0, 1.001, 1e6)
    (one, one_status), (lanes, lane_status) = both_ways(
        model, params, t_out, monkeypatch, divergence, rtol=1e-7, atol=1e-10, max_steps=3_000)
    np.testing.assert_array_equal(lane_status, one_status)
    np.testing.assert_array_equal(lanes, one)  # NaN where the other has NaN
    codes = set(one_status.tolist())
    assert {kernel.FINISHED, kernel.DIVERGED, kernel.IMPLICIT} <= codes, codes


@needs_numba
@pytest.mark.parametrize("power_weight", [1.0, 0.7])
def test_hoisted_member_constants_change_no_number(power_weight, monkeypatch):
    """Members side by side with their constants computed once (the default) and at every
    evaluation: the same outputs and statuses to the last bit, with the general power and
    with the base for it; and there are constants to hoist (products and powers of the
    parameters, a greater number of inputs per lane)."""
    model = Model(["A", "B", "C"])
    members = 40
    rng = np.random.default_rng(8)
    params = {"reaction": rng.uniform(0.05, 0.6, (members, 3)),
              "proximity": rng.uniform(0.2, 1.0, (members, 3, 3)) * (1 - np.eye(3)),
              "power_weight": power_weight}
    run = prepare(model, params, None)
    compiled, p = run.compiled, run.p
    y0 = np.ascontiguousarray(np.broadcast_to(run.y0, (members, run.y0.shape[-1])))
    t_out = np.linspace(1.0, 30.0, 30)
    bounds = 1e6 * np.max(np.abs(y0), axis=1)
    monkeypatch.setattr(kernel, "LANE_MIN", 0)  # side by side
    unit = kernel.unit_exponents(compiled, p)
    _, wide = kernel.lanes_rate(compiled, unit, hoist=True)
    assert wide(p).shape[1] > p.shape[1]
    runs = [kernel.integrate_members(compiled, y0, p, (0.0, 30.0), t_out, rtol=1e-7,
                                     atol=1e-10, bounds=bounds, hoist=hoist)
            for hoist in (False, True)]
    for (plain, plain_status, _), (hoisted, hoisted_status, _) in [runs]:
        np.testing.assert_array_equal(hoisted_status, plain_status)
        np.testing.assert_array_equal(hoisted, plain)
    assert (runs[0][1] == kernel.FINISHED).all()


@needs_numba
def test_lanes_run_a_researchers_mechanism(monkeypatch):
    """The plug-in mechanism of tests/plugins/arms_control.py with Richardson's: the lanes'
    rate is made from the scalar rate whatever the mechanisms, with the same result; the
    side-by-side integrator is compiled once for models of every shape."""
    from dynamics.run.kernel import body as kernel_body

    model = Model(["Blue", "Red"], ["richardson", arms_control.ARMS_CONTROL])
    members = 37
    rng = np.random.default_rng(2)
    params = {"reaction": rng.uniform(0.1, 0.4, (members, 2)),
              "treaty_cut": rng.uniform(0.2, 0.8, members), "breach": 0.05}
    (one, one_status), (lanes, lane_status) = both_ways(
        model, params, np.linspace(0.0, 60.0, 13), monkeypatch, rtol=1e-6, atol=1e-9)
    assert (one_status == kernel.FINISHED).all()
    np.testing.assert_array_equal(lane_status, one_status)
    np.testing.assert_array_equal(lanes, one)
    both_ways(Model(["A", "B", "C"], "richardson"), {"reaction": np.full((9, 3), 0.2)},
              np.linspace(0.0, 5.0, 6), monkeypatch, rtol=1e-6, atol=1e-9)
    assert len(kernel_body.many_lanes.signatures) == 1


@needs_numba
def test_lanes_agree_with_one_member_at_a_time_at_any_power_weight(monkeypatch):
    """eta drawn over [0.2, 2.5] (the lanes' ``power`` is then a few units in the last
    place from ``pow``): the same statuses, and outputs within 1e-5 of each variable's
    scale, a hundred times the tolerance of 1e-7 (the two runs may take different steps)."""
    model = Model(["A", "B", "C"])
    members = 64
    rng = np.random.default_rng(11)
    params = {"reaction": rng.uniform(0.05, 0.6, (members, 3)),
              "power_weight": rng.uniform(0.2, 2.5, members)}
    (one, one_status), (lanes, lane_status) = both_ways(
        model, params, np.linspace(1.0, 40.0, 40), monkeypatch, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(lane_status, one_status)
    assert (one_status == kernel.FINISHED).all()
    scale = np.max(np.abs(one), axis=1, keepdims=True) + 1e-300  # 0 for a variable held
    assert np.max(np.abs(lanes - one) / scale) < 1e-5
    assert not np.array_equal(lanes, one)  # the case is not the exact one


@needs_numba
@pytest.mark.parametrize("power_weight", [1.0, 0.7])
def test_the_lanes_rate_is_the_scalar_rate_in_every_lane(power_weight):
    """``rate_lanes`` against ``rate_into`` at random states, lane by lane: the same to the
    last bit at eta = 1, within 1e-14 of the largest rate at eta = 0.7 (``power`` is
    within 4 ulp times max(1, |eta ln(N S)|) of ``pow``). At eta = 1 in every member a
    run's lanes' rate has the base for the power (x^1 is x): the same to the last bit
    too."""
    import numba

    from dynamics.run.kernel.body import LANES

    model = Model(["A", "B"])
    compiled = compile_model(model, "unrolled")
    n = compiled.n_variables
    run = prepare(model, {"power_weight": power_weight}, None)
    y0, p = run.y0, run.p
    rng = np.random.default_rng(0)
    ys = np.abs(y0) * rng.uniform(0.5, 1.5, (LANES, n))
    ps = np.tile(p, (LANES, 1))
    scalar = kernel._compiled(compiled.scalar, "rate_into", kernel.RATE)
    unit = kernel.unit_exponents(compiled, ps)
    eta = [slot.name for slot in model.parameters].index("power_weight")
    assert unit == ({eta} if power_weight == 1.0 else set())
    assert compiled.exponents == (eta,)
    for chosen in {frozenset(), unit}:
        assert ("power(" in compiled.lanes_source(LANES, chosen)) == (not chosen)
        lanes, inputs = kernel.lanes_rate(compiled, chosen)

        @numba.njit
        def run(buffer, y, p, out, lanes=lanes):
            lanes(buffer, LANES)
            for lane in range(LANES):
                scalar(y[lane], p[lane], out[lane])

        buffer = np.concatenate([ys.T.ravel(), np.zeros(n * LANES), inputs(ps).T.ravel()])
        expected = np.empty_like(ys)
        run(buffer, np.ascontiguousarray(ys), np.ascontiguousarray(ps), expected)
        ours = buffer[n * LANES:2 * n * LANES].reshape(n, LANES).T
        if power_weight == 1.0:
            np.testing.assert_array_equal(ours, expected)
        else:
            np.testing.assert_allclose(ours, expected, rtol=0,
                                       atol=1e-14 * np.max(np.abs(expected)))
        assert np.isfinite(expected).all()


def test_the_readme_states_when_members_run_side_by_side():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    text = " ".join(readme.split())
    assert (f"An ensemble of {kernel.LANE_MIN:,} members or more without interventions "
            f"(up to {kernel.LANE_MAX_VARIABLES} variables") in text
