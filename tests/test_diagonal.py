"""The diagonal of the rate's Jacobian (dynamics/codegen/diagonal.py) against the whole
Jacobian of the array program (its forward-mode derivative, itself checked against finite
differences in tests/test_jacobian.py), and one run of many states by BDF with it
(dynamics/run/solver.py, ``DIAGONAL_BDF_RTOL``) against a tight reference."""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dynamics import Model, simulate
from dynamics.analysis.checks import _random_point
from dynamics.codegen.compile import compile_model
from dynamics.codegen.diagonal import diagonal_source
from dynamics.codegen.loopcode import loop_source
from dynamics.run.kernel import build as kernel
from dynamics.run.solver import DIAGONAL_BDF_RTOL, Solver

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="compiled by numba")


def _python(source: str):
    """The printed loops run by Python itself: no compiler between them and their numbers."""
    namespace = {"numpy": np, "numba": types.SimpleNamespace(prange=range)}
    exec(source, namespace)  # noqa: S102 - the generated program under test
    return namespace["diagonal_into"]


def _worst(diagonal, model: Model, points: int = 3) -> float:
    """The largest difference from the whole Jacobian's diagonal at random admissible
    points, relative to that diagonal's largest entry."""
    compiled = compile_model(model, "array")
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(points):
        y, p = _random_point(model, rng)
        out = np.full_like(y, np.nan)
        diagonal(y, p, out)
        expected = np.diagonal(compiled.jacobian(0.0, y, p))
        worst = max(worst, float(np.max(np.abs(out - expected)) / np.max(np.abs(expected))))
    return worst


@pytest.mark.parametrize("n", [2, 5])
@pytest.mark.parametrize("parallel", [False, True])
def test_the_diagonal_is_the_whole_jacobians(n, parallel):
    """Every mechanism on: the terms where a sum's index meets the variable's own (the
    share of a state in the total of outputs, a pair's own term in a common threat) are
    in it, so it is the diagonal exactly, to rounding."""
    model = Model([f"S{i}" for i in range(n)])
    assert _worst(_python(diagonal_source(model, parallel)), model) < 1e-12


def test_the_diagonal_of_a_researchers_mechanism():
    """The plug-in mechanism of tests/plugins/arms_control.py: the diagonal is derived from
    whatever definitions the model holds."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "plugins"))
    arms_control = importlib.import_module("arms_control")
    model = Model([f"S{i}" for i in range(4)], ["richardson", arms_control.ARMS_CONTROL])
    assert _worst(_python(diagonal_source(model)), model) < 1e-12


@needs_numba
@pytest.mark.slow  # numba compiles the diagonal of 20 states afresh in CI: about 20 s
def test_the_compiled_diagonal_equals_the_whole_jacobians_to_1e_10():
    """As BDF's Newton iterations get it (dynamics/run/kernel/build.py)."""
    model = Model([f"S{i}" for i in range(20)])
    jacobian = kernel.with_compiled_rate(compile_model(model, "array"), diagonal=True).jacobian

    def diagonal(y, p, out):
        out[:] = jacobian(0.0, y, p).diagonal()

    assert _worst(diagonal, model, points=2) < 1e-10


def _run(model: Model, output: np.ndarray, solver: Solver):
    result = simulate(model, {}, (0.0, 50.0), initial={"e": output}, output=51, solver=solver)
    assert result.ok, result.message
    return result


@needs_numba
@pytest.mark.slow  # numba compiles the rate and the diagonal of 50 states: about 40 s
def test_one_run_of_many_states_at_a_loose_tolerance_is_bdfs_with_the_diagonal():
    """README.md: at 50 states (benchmarks/scale.py's run) and rtol 1e-3, RK45's steps sit
    on its stability boundary: BDF with the diagonal takes fewer than a third of its evaluations
    and ends nearer a tight reference (RK45 at rtol 1e-9: measured 0.3 % against 12 % of a
    variable's largest value); at 1e-6 ``auto`` keeps RK45."""
    model = Model([f"S{i}" for i in range(50)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, 50)
    reference = _run(model, output, Solver(method="RK45", rtol=1e-9, atol=1e-12))
    loose = Solver(rtol=1e-3, atol=1e-6)
    bdf, rk45 = _run(model, output, loose), _run(model, output, Solver(
        method="RK45", rtol=1e-3, atol=1e-6))
    assert bdf.provenance["solver"]["method"] == "BDF"
    assert bdf.provenance["jacobian"] == "diagonal"
    assert bdf.provenance["evaluations"] < rk45.provenance["evaluations"] / 3

    def error(result) -> float:
        return max(float(np.max(np.abs(result.values[name] - reference.values[name])
                                / np.max(np.abs(reference.values[name]))))
                   for name in ("m", "e", "c"))

    assert error(bdf) < 0.01 < error(rk45)
    tight = _run(model, output, Solver(rtol=DIAGONAL_BDF_RTOL / 10, atol=1e-9))
    assert tight.provenance["solver"]["method"] == "RK45"
    assert "jacobian" not in tight.provenance


def test_the_diagonals_sums_take_out_what_their_index_does_not_reach():
    """Differentiating a sum over third states by a pair's cohesion leaves factors of the
    pair alone inside it (the support an ally's forces lend); taken out, the sum over
    i, j and k is a matrix product (BLAS's, in the parallel form) and the diagonal has no
    nest of three loops but the common threat's, as the rate has (dynamics/codegen/loopcode.py)."""
    model = Model([f"S{i}" for i in range(4)])
    rate, diagonal = loop_source(model, parallel=True), diagonal_source(model, True)
    assert diagonal.count("numba.prange") == rate.count("numba.prange") == 1
    assert diagonal.count("numpy.dot(") == rate.count("numpy.dot(") + 2


def test_the_readme_states_where_bdf_takes_over():
    """The README's tolerance is the constant's (its other numbers are the test of one run
    at a loose tolerance above)."""
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    stated = re.search(r"from rtol (\S+) \(`DIAGONAL_BDF_RTOL`\)", readme)
    assert stated is not None and float(stated.group(1)) == DIAGONAL_BDF_RTOL


@needs_numba
@pytest.mark.slow  # numba compiles the rate and the diagonal of 100 states: about 30 s
def test_where_bdfs_steps_leave_the_domain_rk45_runs_again_and_says_so():
    """At 100 states and rtol 1e-3 BDF's larger steps carry a variable past its domain's edge
    (docs/performance.md's loose-tolerance table), RK45's do not: ``auto`` runs RK45 again,
    and the result's message and method say so; asked for by name, BDF is not replaced."""
    model = Model([f"S{i}" for i in range(100)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, 100)
    options = {"initial": {"e": output}, "output": 51}
    automatic = simulate(model, {}, (0.0, 50.0), solver=Solver(rtol=1e-3, atol=1e-6), **options)
    assert automatic.ok
    assert automatic.provenance["solver"]["method"] == "RK45"
    assert "jacobian" not in automatic.provenance
    assert automatic.message.startswith("BDF with the Jacobian's diagonal: ")
    assert automatic.message.endswith("retried with RK45")
    named = simulate(model, {}, (0.0, 50.0), solver=Solver(method="BDF", rtol=1e-3, atol=1e-6),
                     **options)
    assert named.status.value == "left_domain"
    assert named.provenance["jacobian"] == "diagonal"


def test_a_researchers_pieces_and_steps_are_differentiated_piece_by_piece():
    """A mechanism may write a rate with ``Piecewise`` or ``Heaviside``: the diagonal is the
    derivative of the piece that holds, and a step's is 0 (away from its kink), checked by
    central differences at points on both sides of each kink."""
    import sympy as sp

    from dynamics.codegen.diagonal import _Differentiator

    model = Model(["A", "B"])
    ctx = model.array_context
    spending = next(v for v in model.dynamic if v.name == "m")
    axes = model.array_rates[spending][0]
    x = ctx.var(spending, *axes)
    rate = sp.Piecewise((x**2, x > 1), (3 * x, True)) + sp.Heaviside(x - 2) * x
    derivative = _Differentiator(ctx, spending, axes).of(rate)
    value, slope = sp.lambdify(x, rate), sp.lambdify(x, derivative)
    for point in (0.5, 1.5, 2.5):
        central = (value(point + 1e-6) - value(point - 1e-6)) / 2e-6
        assert abs(slope(point) - central) < 1e-6
