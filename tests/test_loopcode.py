"""The loop code of many states (dynamics/codegen/loopcode.py) against the array program it
is printed from (dynamics/codegen/arraycode.py, itself checked against the unrolled code in
tests/test_arraycode.py): rates to 1e-10 of each row's largest entry, runs to 1e-6, the
ensemble kernel on loop code against single runs, and Richardson's closed form at 190
states."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
from conftest import linear_richardson
from scipy.integrate import solve_ivp

from dynamics import Model, simulate
from dynamics.analysis.checks import _random_point
from dynamics.codegen import cache
from dynamics.codegen.compile import compile_model
from dynamics.codegen.loopcode import PARALLEL_MIN_STATES, _Writer, loop_source
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import prepare
from dynamics.run.solver import Solver

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="compiled by numba")


def _relative(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest difference relative to the largest entry (an exact zero where every
    entry is zero)."""
    return float(np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-300))


def _python(source: str):
    """The loop code run by Python itself (``prange`` as ``range``): no compiler between
    the printed program and its numbers."""
    namespace = {"numpy": np, "numba": types.SimpleNamespace(prange=range)}
    exec(source, namespace)  # noqa: S102 - the generated program under test
    return namespace["rate_into"]


def _compiled(model: Model, parallel: bool):
    source = loop_source(model, parallel=parallel)
    text = kernel.module_text(source, "rate_into", kernel.RATE, loops=True, parallel=parallel)
    return cache.compiled_module(text).jitted


def _agrees(rate, model: Model, points: int = 3, seed: int = 0) -> float:
    """The largest relative difference from the array program at random admissible
    points."""
    compiled = compile_model(model, "array")
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(points):
        y, p = _random_point(model, rng)
        out = np.full_like(y, np.nan)
        rate(y, p, out)
        worst = max(worst, _relative(out, compiled.rate(0.0, y, p)))
    return worst


@pytest.mark.parametrize("n", [6, 7])
@pytest.mark.parametrize("parallel", [False, True])
def test_the_printed_loops_compute_the_array_programs_rate(n, parallel):
    """Both printed forms (the parallel one with its triangles' rows taken short and long in
    turn, at an even and an odd number of states), run by Python, against the array
    program: every mechanism, random admissible points."""
    model = Model([f"S{i}" for i in range(n)])
    assert _agrees(_python(loop_source(model, parallel=parallel)), model) < 1e-12


def test_the_loops_of_a_researchers_mechanism():
    """The plug-in mechanism of tests/plugins/arms_control.py with Richardson's: the loops
    are printed from whatever definitions the model holds."""
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "plugins"))
    arms_control = importlib.import_module("arms_control")
    model = Model([f"S{i}" for i in range(6)], ["richardson", arms_control.ARMS_CONTROL])
    assert _agrees(_python(loop_source(model)), model) < 1e-12


@needs_numba
@pytest.mark.slow  # numba compiles loops of 20 and 50 states afresh in CI: 10-30 s
@pytest.mark.parametrize("n", [20, 50])
def test_the_compiled_loops_equal_the_array_program_to_1e_10(n):
    model = Model([f"S{i}" for i in range(n)])
    assert _agrees(_compiled(model, parallel=False), model) < 1e-10


@needs_numba
@pytest.mark.slow
def test_the_parallel_loops_equal_the_array_program_to_1e_10():
    model = Model([f"S{i}" for i in range(20)])
    assert _agrees(_compiled(model, parallel=True), model) < 1e-10


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("n", [20, 50])
def test_a_run_on_the_loops_equals_a_run_on_the_array_program_to_1e_6(n):
    """``simulate`` (the loops, compiled) against scipy's RK45 on the numpy array program,
    the same start and tolerances (tight, so that the two runs' own errors, about the
    tolerance times the steps, stay below the bound): every variable at every output time
    to 1e-6 of its largest magnitude."""
    model = Model([f"S{i}" for i in range(n)])
    e = np.random.default_rng(n).lognormal(0.0, 1.0, n)
    solver = Solver(rtol=1e-10, atol=1e-12)
    result = simulate(model, {}, (0.0, 20.0), initial={"e": e}, output=21, solver=solver)
    assert result.ok and result.provenance["solver"]["method"] == "RK45"
    run = prepare(model, {}, {"e": e}, "array")
    reference = solve_ivp(lambda t, y: run.compiled.rate(t, y, run.p), (0.0, 20.0), run.y0,
                          method="RK45", rtol=1e-10, atol=1e-12, t_eval=result.t)
    assert reference.success
    got = np.stack([result[slot.name][(slice(None), *slot.index)]
                    for slot in model.variables], axis=1)
    for name in dict.fromkeys(slot.name for slot in model.variables):
        columns = [k for k, slot in enumerate(model.variables) if slot.name == name]
        assert _relative(got[:, columns], reference.y.T[:, columns]) < 1e-6, name


@needs_numba
@pytest.mark.slow
def test_the_ensemble_kernel_runs_the_loops_of_many_states():
    """Twelve states are past the unrolled code: the kernel integrates its members on the
    loop code, and each member equals its own single run to 1e-6."""
    n = 12
    model = Model([f"S{i}" for i in range(n)])
    growth = np.array([0.01, 0.02, 0.03])
    ensemble = simulate(model, {"growth": growth[:, None]}, (0.0, 15.0), output=16,
                        solver=Solver(rtol=1e-8, atol=1e-10))
    assert ensemble.engine == "kernel"
    for k, rate in enumerate(growth):
        single = simulate(model, {"growth": rate}, (0.0, 15.0), output=16,
                          solver=Solver(rtol=1e-8, atol=1e-10))
        for name in ("m", "e", "c"):
            assert _relative(ensemble.member(k)[name], single[name]) < 1e-6, name


def test_the_loops_compute_what_is_read_and_no_more():
    """The rate of cohesion and the quantities read only by it (the common threat, its sum
    over third states) run over the upper triangle; the threat, read at (j, i) and summed,
    over every pair; the designs on the spoils are a matrix product, BLAS's."""
    model = Model([f"S{i}" for i in range(4)])
    rates = {variable: model.array_rates[variable] for variable in model.dynamic}
    upper = {q.name for q in _Writer(model, parallel=False).upper(rates)}
    assert "common_threat" in upper and "threat" not in upper
    source = loop_source(model)
    block = source[source.index("# common_threat"):source.index("# mutual_threat")]
    assert block.count("+ 1, N):") == 2  # the sum and the quantity: triangles
    designs = source[source.index("# designs"):]
    assert "numpy.dot(" in designs.split("# ")[1]


#: rows 0, 1 and 3 of the first underflow (2e-200 times 3e-200), row 4 overflows (2e200 times
#: 1e200), the others are summed in pairs; in the second every pair is normal
_QUOTIENT_POINTS = ([1e-200, 3e-200, 1.0, 2e-200, 1e200, 0.5, 7.0],
                    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])


def _quotients() -> Model:
    """Seven states (an odd number) of one quantity x_i whose rate is sum_k x_k / (x_i + x_k):
    a sum of quotients whose divisor varies along the summed axis, as the common threat's."""
    from dynamics.model import Mechanism, Term, Variable

    x = Variable("x", "x", "a test quantity", "1", default=1.0, domain=(-np.inf, np.inf))
    term = Term("quotients", x, lambda ctx, i: ctx.total(
        lambda k: ctx.var(x, k) / (ctx.var(x, i) + ctx.var(x, k)), "k"))
    return Model([f"S{i}" for i in range(7)],
                 [Mechanism(name="quotients", summary="A sum of quotients.", parameters=(),
                            variables=(x,), terms=(term,), references=(), works={})])


@pytest.mark.parametrize("parallel", [False, True])
def test_a_sum_of_quotients_takes_one_division_per_pair_of_terms(parallel):
    """The loop printer sums quotients two at a time over one division
    (``_Writer.paired``); where the product of a pair's divisors is not a normal number
    (here 2e-200 times 3e-200 underflowing, 2e200 times 1e200 overflowing) the sum is taken
    again by plain division. Each entry equals the array program's to 1e-13 of itself, on rows that
    take either way; a zero divisor gives numpy's NaN in the same places."""
    model = _quotients()
    source = loop_source(model, parallel=parallel)
    block = source[source.index("    # x"):]
    # one division per pair; plain ones only in the fallback and for the odd last term
    assert len(re.findall(r"w\d+ = 1\.0 / w\d+", block)) == 1 and block.count("/(") == 2
    rate = _python(source)
    for x in (*_QUOTIENT_POINTS, [0.0, 0.0, 1.0, 2.0, 3.0, -1.5, 4.0]):  # 0 / 0, a negative
        got, expected = _quotients_rate(rate, model, x)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        finite = ~np.isnan(expected)
        assert np.all(np.abs(got - expected)[finite] <= 1e-13 * np.abs(expected)[finite])


def _quotients_rate(rate, model: Model, x: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """The rate of x by ``rate`` and by the array program (the states' spending at its
    default)."""
    with np.errstate(all="ignore"):
        run = prepare(model, {}, {"x": np.array(x)}, "array")
        got = np.full_like(run.y0, np.nan)
        rate(run.y0, run.p, got)
        expected = run.compiled.rate(0.0, run.y0, run.p)
    slots = [k for k, slot in enumerate(model.variables) if slot.name == "x"]
    return got[slots], expected[slots]


@needs_numba
@pytest.mark.slow
def test_the_compiled_sum_of_quotients_equals_the_array_program():
    """The same, compiled by numba (its fast-math flags: reassociation and contraction)."""
    model = _quotients()
    for parallel in (False, True):
        rate = _compiled(model, parallel)
        for x in _QUOTIENT_POINTS:
            got, expected = _quotients_rate(rate, model, x)
            assert np.all(np.abs(got - expected) <= 1e-13 * np.abs(expected))


@needs_numba
@pytest.mark.slow
def test_richardson_closed_form_at_190_states_through_the_loops():
    """The linear system of tests/test_arraycode.py at 190 states, whose single run takes
    the parallel loops: m(t) = expm(At)(m0 + A^-1 b) - A^-1 b to 1e-7 relative."""
    n = 190
    assert n >= PARALLEL_MIN_STATES
    model = Model([f"S{i}" for i in range(n)], mechanisms="richardson")
    compiled = compile_model(model)
    assert compiled.path == "array" and compiled.parallel_source is not None
    params, initial, a, exact = linear_richardson(n, 190, (0.001, 0.004))
    result = simulate(model, params, (0.0, 10.0), initial=initial, output=11,
                      solver=Solver(method="DOP853", rtol=1e-12, atol=1e-14))
    assert np.max(np.linalg.eigvals(a).real) < 0  # a stable system, away from zero
    expected = exact(result.t)
    assert np.max(np.abs(result["m"] - expected) / np.abs(expected)) < 1e-7


@pytest.mark.slow
def test_what_bounds_the_steps_of_many_states_is_cohesions_stiffness():
    """docs/performance.md: at the start of the 20-state run of benchmarks/scale.py the
    Jacobian's most negative eigenvalue is about -71 with its eigenvector in the cohesion
    block; and at 50 states RK45 takes about as many evaluations at rtol 1e-4 as at 1e-6
    (within a fifth), the mark of steps bounded by stability rather than accuracy."""
    model = Model([f"S{i}" for i in range(20)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, 20)
    run = prepare(model, {}, {"e": output}, "array")
    values, vectors = np.linalg.eig(run.compiled.jacobian(0.0, run.y0, run.p))
    k = int(np.argmin(values.real))
    assert -75 < values[k].real < -67
    weight = np.abs(vectors[:, k]) ** 2
    cohesion = [i for i, slot in enumerate(model.variables) if slot.name == "c"]
    assert weight[cohesion].sum() > 0.99 * weight.sum()
    model = Model([f"S{i}" for i in range(50)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, 50)
    counts = [simulate(model, {}, (0.0, 50.0), initial={"e": output}, output=51,
                       solver=Solver(method="RK45", rtol=rtol, atol=rtol * 1e-3)
                       ).provenance["evaluations"]
              for rtol in (1e-4, 1e-6)]
    assert abs(counts[0] / counts[1] - 1) < 0.2, counts


def test_the_readme_states_when_the_loops_run():
    from pathlib import Path

    from dynamics.codegen.compile import UNROLLED_MAX

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    text = " ".join(readme.split())
    assert f"in two threads from {PARALLEL_MIN_STATES} states" in text
    assert f"ensembles of more than {UNROLLED_MAX} states run them in the compiled kernel" in text
