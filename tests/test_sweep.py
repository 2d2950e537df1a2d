"""Sweeps: executors, checkpoint and resume, failed members recorded."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
import pytest

from dynamics import DynamicsError
from dynamics.scenarios import load_scenario
from dynamics.sensitivity import Problem, latin_hypercube
from dynamics.sweep import sweep

pytest.importorskip("numba")

SCENARIO = load_scenario("security-dilemma").with_values(output=31)
PROBLEM = Problem(("distinguishability", "reaction"), ((0.0, 1.0), (0.3, 1.2)))
DESIGN = latin_hypercube(PROBLEM, 40, seed=7)
METRICS = ("escalation_rate", "final_effective_poles")


def test_executor_gives_the_in_process_result():
    local = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=8)
    with ThreadPoolExecutor(2) as pool:
        pooled = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=8, executor=pool)
    for name in METRICS:
        np.testing.assert_array_equal(local.metrics[name], pooled.metrics[name])
    assert list(local.status) == ["success"] * 40


class _Interrupted(Exception):
    pass


class _DiesAfter(Executor):
    """Runs tasks in-process and dies after ``limit`` of them, as a killed worker would."""

    def __init__(self, limit):
        self.limit = limit

    def submit(self, fn, *args, **kwargs):
        from concurrent.futures import Future

        future = Future()
        if self.limit <= 0:
            future.set_exception(_Interrupted())
        else:
            self.limit -= 1
            future.set_result(fn(*args, **kwargs))
        return future


def test_interrupted_sweep_resumes_to_the_same_result(tmp_path):
    path = tmp_path / "sweep.npz"
    with pytest.raises(_Interrupted):
        sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=8, executor=_DiesAfter(2),
              checkpoint=path)
    with np.load(path) as saved:  # the two chunks that finished were kept
        assert saved["done"].sum() == 2
    resumed = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=8, checkpoint=path)
    whole = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=8)
    for name in METRICS:
        np.testing.assert_array_equal(resumed.metrics[name], whole.metrics[name])
    with pytest.raises(DynamicsError, match="belongs to another sweep"):
        sweep(SCENARIO, PROBLEM, DESIGN[:20], METRICS, chunk=8, checkpoint=path)


def test_a_member_with_an_invalid_value_fails_while_the_others_complete():
    design = DESIGN.copy()
    design[3, 1] = 9.0  # reaction outside its bounds [0, 5]
    result = sweep(SCENARIO, PROBLEM, design, METRICS, chunk=16)
    assert result.status[3] == "failed" and "outside its bounds" in result.messages[3]
    assert np.isnan(result.metrics["escalation_rate"][3])
    others = [i for i in range(40) if i != 3]
    assert all(result.status[i] == "success" for i in others)
    assert np.all(np.isfinite(result.metrics["escalation_rate"][others]))
