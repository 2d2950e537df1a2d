"""Sensitivity: designs, Sobol indices against the Ishigami function, scenario metrics."""

from __future__ import annotations

import numpy as np
import pytest

from dynamics import ParameterValueError
from dynamics.analysis.metrics import peak_share
from dynamics.run.solver import Solver
from dynamics.scenarios import load_scenario
from dynamics.studies.sensitivity import (
    Problem,
    design_values,
    grid,
    latin_hypercube,
    local_sensitivities,
    sobol,
    sobol_design,
    sobol_of,
)


def test_problem_round_trips_salib_dict_and_designs_stay_in_bounds():
    problem = Problem.from_dict({"num_vars": 2, "names": ["coercion", "growth.Riser"],
                                 "bounds": [[0.0, 0.1], [0.02, 0.08]]})
    assert Problem.from_dict(problem.to_dict()) == problem
    assert grid(problem, 3).shape == (9, 2)
    for design in (latin_hypercube(problem, 50, seed=1), sobol_design(problem, 64, seed=1)):
        assert np.all(design >= problem.lower) and np.all(design <= problem.upper)
    with pytest.raises(ParameterValueError, match="power of two"):
        sobol_design(problem, 60)
    with pytest.raises(ParameterValueError, match="low < high"):
        Problem(("coercion",), ((0.1, 0.0),))


def test_design_values_vary_one_state_or_all():
    scenario = load_scenario("hegemonic-rise")
    problem = Problem(("coercion", "growth.Riser", "fatigue"), ((0, 0.1), (0.02, 0.08),
                                                               (0.1, 0.3)))
    design = np.array([[0.01, 0.03, 0.15], [0.05, 0.07, 0.25]])
    values = design_values(scenario, problem, design)
    np.testing.assert_array_equal(values["coercion"], [0.01, 0.05])
    np.testing.assert_array_equal(values["growth"][:, 0], [0.03, 0.07])
    np.testing.assert_array_equal(values["growth"][:, 1], [0.025, 0.025])  # West unchanged
    np.testing.assert_array_equal(values["fatigue"], [[0.15] * 4, [0.25] * 4])


def test_sobol_indices_of_the_ishigami_function_within_0_02():
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S = (0.3139, 0.4424, 0),
    ST = (0.5576, 0.4424, 0.2437) (Ishigami and Homma 1990)."""
    def ishigami(x):
        return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])

    problem = Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)
    indices = sobol_of(ishigami, problem, n=2 ** 14, seed=3, resamples=0)  # no CIs
    assert np.isnan(indices.first_interval).all()
    np.testing.assert_allclose(indices.first, [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(indices.total, [0.5576, 0.4424, 0.2437], atol=0.02)


def test_sobol_of_a_scenario_metric_and_per_output_time():
    """The Riser's peak share in hegemonic-rise (coercion, the Riser's growth and
    capacity), 64 base samples (320 runs):
    first order <= total order within the intervals; the time-resolved indices have one
    column per output time."""
    scenario = load_scenario("hegemonic-rise").with_values(output=9)
    problem = Problem(("coercion", "growth.Riser", "capacity.Riser"),
                      ((0.0, 0.08), (0.03, 0.07), (2.0, 3.0)))
    indices = sobol(scenario, problem, lambda r: peak_share(r, "Riser").share, n=64, seed=2,
                    solver=Solver(rtol=1e-7, atol=1e-10))
    assert indices.evaluations == 64 * 5
    assert np.all(indices.first <= indices.total_interval[1] + 1e-12)
    # coercion, which turns the Riser's lead into growth, dominates its peak share
    assert np.argmax(indices.total) == 0
    over_time = sobol(scenario, problem, lambda r: r.share[1:, 0], n=32, seed=2,
                      solver=Solver(rtol=1e-7, atol=1e-10))
    assert over_time.first.shape == (3, 8)
    # each time's column is the scalar study of the share at that time, on the same design
    final = sobol(scenario, problem, lambda r: r.share[-1, 0], n=32, seed=2,
                  solver=Solver(rtol=1e-7, atol=1e-10))
    np.testing.assert_allclose(over_time.first[:, -1], final.first, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(over_time.total[:, -1], final.total, rtol=1e-12, atol=1e-15)


def test_grouped_sobol_indices_of_the_ishigami_function():
    """Groups {x1, x3} and {x2}: x2 acts alone, so the group {x1, x3} carries everything
    else: first = total = 1 - S2 = 0.5576 for it and 0.4424 for x2 (to 0.02)."""
    def ishigami(x):
        return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])

    problem = Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3, groups=("a", "b", "a"))
    indices = sobol_of(ishigami, problem, n=2 ** 14, seed=3, resamples=0)
    assert indices.names == ("a", "b") and indices.evaluations == 2 ** 14 * 4
    np.testing.assert_allclose(indices.first, [0.5576, 0.4424], atol=0.02)
    np.testing.assert_allclose(indices.total, [0.5576, 0.4424], atol=0.02)
    with pytest.raises(ParameterValueError, match="give every input its group"):
        Problem(("x1", "x2"), ((0, 1), (0, 1)), groups=("a",))


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes():
    """f = 2 x1 - 0.5 x2 + 0 x3 on [0, 1]^3: mu* = (2, 0.5, 0), mu = (2, -0.5, 0),
    sigma = 0, exactly (every elementary effect of a linear function is its slope)."""
    pytest.importorskip("SALib")
    from dynamics.studies.sensitivity import morris_of

    problem = Problem(("x1", "x2", "x3"), ((0.0, 1.0),) * 3)
    indices = morris_of(lambda x: 2 * x[:, 0] - 0.5 * x[:, 1], problem, trajectories=10,
                        seed=1)
    np.testing.assert_allclose(indices.mu_star, [2.0, 0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(indices.mu, [2.0, -0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(indices.sigma, 0.0, atol=1e-12)
    assert indices.evaluations == 10 * 4


def test_morris_screens_a_scenario_metric():
    """hegemonic-rise, the Riser's peak share: coercion screens as the most influential
    of (coercion, the Riser's growth and capacity), 16 trajectories (64 runs), and its
    effect has one sign everywhere."""
    pytest.importorskip("SALib")
    from dynamics.studies.sensitivity import morris

    scenario = load_scenario("hegemonic-rise").with_values(output=9)
    problem = Problem(("coercion", "growth.Riser", "capacity.Riser"),
                      ((0.0, 0.08), (0.03, 0.07), (2.0, 3.0)))
    indices = morris(scenario, problem, lambda r: peak_share(r, "Riser").share,
                     trajectories=16, seed=4, solver=Solver(rtol=1e-7, atol=1e-10))
    assert indices.evaluations == 64 and np.argmax(indices.mu_star) == 0
    # more coercion never lowers the Riser's peak (coercion moves output to the stronger):
    # every elementary effect of coercion is positive, so its mean equals its mean modulus
    assert indices.mu[0] > 0 and indices.mu[0] == pytest.approx(indices.mu_star[0], rel=1e-12)


def _final_blue_spending(result):
    return result["m", "Blue"][-1]


def test_local_elasticities_match_richardsons_closed_form():
    """Richardson's stable race (alpha = 0.3, k = 0.15, g = 0.006 per unit of output, both
    states alike) settles at x* = g / (alpha - k), so the elasticities of the long-run
    spending are exactly 1 (grievance), k / (alpha - k) = 1 (reaction) and
    -alpha / (alpha - k) = -2 (fatigue). After 400 years (e^-60 of the start remains) and
    central differences of 1e-4 (truncation ~1e-8), they agree to 1e-6; the derivative
    dx*/d alpha = -g / (alpha - k)^2 = -0.2667 likewise."""
    scenario = load_scenario("richardson-stable").with_values(t_span=(0.0, 400.0), output=5)
    local = local_sensitivities(scenario, ["grievance", "reaction", "fatigue"],
                                _final_blue_spending, step=1e-4,
                                solver=Solver(rtol=1e-12, atol=1e-15))
    assert local.metric == pytest.approx(0.04, rel=1e-9)
    np.testing.assert_allclose(local.elasticity, [1.0, 1.0, -2.0], atol=1e-6)
    np.testing.assert_allclose(local.derivative[2], -0.006 / 0.15 ** 2, rtol=1e-6)
    np.testing.assert_allclose(local.base, [0.006, 0.15, 0.3])


def test_local_elasticities_refuse_a_zero_value_and_step_out_of_range():
    scenario = load_scenario("richardson-stable")
    with pytest.raises(ParameterValueError, match="is 0 in 'richardson-stable'"):
        local_sensitivities(scenario, ["distinguishability"], _final_blue_spending)
    with pytest.raises(ParameterValueError, match="step must be in"):
        local_sensitivities(scenario, ["reaction"], _final_blue_spending, step=0.7)


def test_sobol_on_an_executor_with_a_checkpoint_equals_the_in_process_study(tmp_path):
    """The same Sobol design run as one ensemble, and as chunks on a thread pool with a
    checkpoint, gives identical indices; a rerun resumes from the finished checkpoint."""
    from concurrent.futures import ThreadPoolExecutor

    scenario = load_scenario("hegemonic-rise").with_values(output=9)
    problem = Problem(("coercion", "growth.Riser"), ((0.0, 0.08), (0.03, 0.07)))
    local = sobol(scenario, problem, "peak_share", n=16, seed=5)
    path = tmp_path / "study.npz"
    with ThreadPoolExecutor(2) as pool:
        pooled = sobol(scenario, problem, "peak_share", n=16, seed=5, executor=pool,
                       checkpoint=path, chunk=10)
    resumed = sobol(scenario, problem, "peak_share", n=16, seed=5, checkpoint=path, chunk=10)
    for other in (pooled, resumed):
        np.testing.assert_array_equal(other.first, local.first)
        np.testing.assert_array_equal(other.total, local.total)


def test_one_study_call_dispatches_every_method_and_counts_its_runs():
    """``study`` runs the method named, on the design its function would draw, and
    ``runs_of`` counts the runs each takes; flags a method does not take are refused before
    any run."""
    from dynamics.errors import UnknownNameError
    from dynamics.studies.sensitivity import morris, runs_of, study

    problem = Problem(("coercion", "growth.Riser"), ((0.0, 0.08), (0.03, 0.07)))
    scenario = load_scenario("hegemonic-rise")
    assert [runs_of(problem, m, 8) for m in ("sobol", "morris", "fast", "delta")] == [
        8 * 4, 8 * 3, 8 * 2, 8]
    assert runs_of(problem, "sobol", 8, second_order=True) == 8 * 6
    direct = morris(scenario, problem, "peak_share", trajectories=4, seed=2)
    through = study(scenario, problem, "peak_share", "morris", n=4, seed=2)
    np.testing.assert_array_equal(through.mu_star, direct.mu_star)
    with pytest.raises(ParameterValueError, match="second-order indices are for method sobol"):
        study(scenario, problem, "peak_share", "morris", n=4, second_order=True)
    with pytest.raises(UnknownNameError, match="sensitivity method"):
        runs_of(problem, "sobel", 8)
