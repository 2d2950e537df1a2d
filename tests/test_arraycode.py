"""The array code of many states (dynamics/codegen/arraycode.py) against the unrolled code, a
closed form at N = 50, the symbolic sparsity pattern, and the automatic switch."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from conftest import linear_richardson

from dynamics import Model, simulate
from dynamics.analysis.checks import ARRAY_TOLERANCE, _random_point
from dynamics.codegen.compile import UNROLLED_MAX, choose_path, compile_model
from dynamics.errors import ShapeError
from dynamics.model.mechanisms.richardson import SPENDING
from dynamics.model.parts import Mechanism, Term
from dynamics.run.solver import Solver


def _relative(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest difference relative to the largest entry of its row."""
    scale = np.max(np.abs(expected), axis=-1, keepdims=True) + 1e-300
    return float(np.max(np.abs(got - expected) / scale))


@pytest.mark.parametrize("n", [2, 3, 5, pytest.param(10, marks=pytest.mark.slow)])
def test_array_code_equals_unrolled_code_with_every_mechanism(n):
    """Rate, Jacobian and reported quantities to 1e-12 of each row's largest entry, at
    random admissible points (the unrolled Jacobian is itself checked against central
    differences by check_jacobian)."""
    model = Model([f"S{i}" for i in range(n)])
    array, unrolled = compile_model(model, "array"), compile_model(model, "unrolled")
    assert (array.path, unrolled.path) == ("array", "unrolled")
    rng = np.random.default_rng(n)
    for _ in range(3):
        y, p = _random_point(model, rng)
        assert _relative(array.rate(0.0, y, p), unrolled.rate(0.0, y, p)) < 1e-12
        assert _relative(array.jacobian(0.0, y, p), unrolled.jacobian(0.0, y, p)) < 1e-12
        for name, output in unrolled.outputs.items():
            assert _relative(array.outputs[name](0.0, y, p), output(0.0, y, p)) < 1e-12
    assert ARRAY_TOLERANCE == 1e-12  # the researcher's check_array uses the same bound


def test_the_array_code_evaluates_many_members_at_once():
    model = Model(["A", "B", "C", "D"])
    array, unrolled = compile_model(model, "array"), compile_model(model, "unrolled")
    rng = np.random.default_rng(1)
    points = [_random_point(model, rng) for _ in range(6)]
    y = np.stack([y for y, _ in points]).reshape(2, 3, -1)
    p = np.stack([p for _, p in points]).reshape(2, 3, -1)
    assert array.rate(0.0, y, p).shape == (2, 3, len(model.variables))
    assert _relative(array.rate(0.0, y, p), unrolled.rate(0.0, y, p)) < 1e-12
    assert _relative(array.jacobian(0.0, y, p), unrolled.jacobian(0.0, y, p)) < 1e-12
    # one member's inputs broadcast against many states
    assert _relative(array.rate(0.0, y, p[0, 0]), unrolled.rate(0.0, y, p[0, 0])) < 1e-12


def test_jacobian_vector_products_are_exact():
    model = Model(["A", "B", "C"])
    compiled = compile_model(model, "array")
    y, p = _random_point(model, np.random.default_rng(2))
    v = np.random.default_rng(3).normal(size=y.size)
    expected = compile_model(model, "unrolled").jacobian(0.0, y, p) @ v
    assert np.max(np.abs(compiled.program.jvp(0.0, y, p, v) - expected)) <= (
        1e-12 * np.max(np.abs(expected)))


@pytest.mark.slow
def test_sparsity_pattern_is_the_symbolic_jacobians():
    """Structurally non-zero entries of the symbolic Jacobian (sympy, every mechanism,
    three states) are exactly those of the array code's pattern."""
    model = Model(["A", "B", "C"])
    symbolic = np.array([[entry != 0 for entry in row] for row in model.jacobian.tolist()])
    pattern = compile_model(model, "array").program.sparsity()
    assert pattern.shape == symbolic.shape
    assert (pattern == symbolic).all()
    assert 0 < pattern.sum() < pattern.size  # neither empty nor dense


def test_richardson_closed_form_at_fifty_states_through_the_array_code():
    """dm/dt = (K W - diag(alpha)) m + g e + G (Richardson's linear system: no
    distinguishability, no power weight, neutral balance) has m(t) = expm(At)(m0 + A^-1 b)
    - A^-1 b; the run matches it to 1e-7 relative."""
    n = 50
    model = Model([f"S{i}" for i in range(n)], mechanisms="richardson")
    params, initial, _, exact = linear_richardson(n, 50, (0.01, 0.05))
    result = simulate(model, params, (0.0, 10.0), initial=initial, output=11,
                      solver=Solver(method="DOP853", rtol=1e-12, atol=1e-14))
    assert compile_model(model).path == "array"
    expected = exact(result.t)
    assert np.max(np.abs(result["m"] - expected) / np.abs(expected)) < 1e-7


def test_the_switch_is_automatic_and_runs_agree():
    assert choose_path(UNROLLED_MAX) == "unrolled"
    assert choose_path(UNROLLED_MAX + 1) == "array"
    assert choose_path(3, "array") == "array"
    with pytest.raises(ValueError, match="compilation path"):
        choose_path(3, "fast")
    model = Model(["A", "B", "C", "D"])
    runs = [simulate(model, {}, (0.0, 30.0), output=31,
                     solver=Solver(method="LSODA", rtol=1e-10, atol=1e-12, code=code))
            for code in ("unrolled", "array")]
    assert np.allclose(runs[0]["m"], runs[1]["m"], rtol=1e-6, atol=1e-9)
    assert np.allclose(runs[0].share, runs[1].share, rtol=1e-6, atol=1e-9)


@pytest.mark.slow  # numba compiles the loops of 50 states afresh in CI (about 15 s)
def test_fifty_states_with_every_mechanism_run():
    """Once refused (it would have taken half an hour to generate): now array code."""
    model = Model([f"S{i}" for i in range(50)])
    e = np.random.default_rng(0).lognormal(0.0, 1.0, 50)
    result = simulate(model, {}, (0.0, 5.0), initial={"e": e}, output=6)
    assert result.status.value == "success"
    assert np.allclose(result.share.sum(axis=1), 1.0, atol=1e-12)
    assert result.provenance["solver"]["method"] == "RK45"


def test_explicit_equations_of_too_many_states_are_refused_clearly():
    model = Model([f"S{i}" for i in range(50)])
    with pytest.raises(ShapeError, match="at most 30 states.*latex"):
        model.rates  # noqa: B018


def test_a_function_the_complex_step_cannot_take_is_refused_with_its_name():
    rounded = Mechanism("rounded", "spending rounded down", terms=(Term(
        "floor", SPENDING, lambda ctx, i: sp.floor(ctx.var(SPENDING, i))),))
    model = Model(["A", "B"], ["richardson", rounded])
    with pytest.raises(ValueError, match="rate of m uses floor"):
        compile_model(model, "array")


def test_a_model_past_the_explicit_limit_runs_and_refuses_only_its_explicit_equations():
    """The README: a model of any size runs (array code); only its explicit per-state
    equations are refused past MAX_STATES with alliances on, with an error that says so."""
    from dynamics.errors import ShapeError
    from dynamics.model.model import MAX_STATES

    model = Model([f"S{i}" for i in range(MAX_STATES + 10)], ["ceiling", "alliances"])
    assert simulate(model, {}, (0.0, 1.0), output=2).ok
    with pytest.raises(ShapeError, match="explicit equations of 40 states"):
        _ = model.rates
