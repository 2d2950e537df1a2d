"""Sweeps: executors, checkpoint and resume, failed members recorded."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
import pytest

from dynamics import DynamicsError
from dynamics.scenarios import load_scenario
from dynamics.studies.sensitivity import Problem, latin_hypercube
from dynamics.studies.sweep import SweepResult, sweep

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
    design[3, 1] = -1.0  # reaction outside its bounds [0, inf]
    result = sweep(SCENARIO, PROBLEM, design, METRICS, chunk=16)
    assert result.status[3] == "failed" and "outside its bounds" in result.messages[3]
    assert np.isnan(result.metrics["escalation_rate"][3])
    others = [i for i in range(40) if i != 3]
    assert all(result.status[i] == "success" for i in others)
    assert np.all(np.isfinite(result.metrics["escalation_rate"][others]))


def test_sweep_on_a_dask_local_cluster_gives_the_in_process_result(tmp_path):
    """Two worker processes of a dask.distributed LocalCluster, reached through the
    cluster's concurrent.futures executor, with a checkpoint: the metrics are identical
    to the in-process sweep, bit for bit."""
    distributed = pytest.importorskip("distributed")
    local = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=10)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(SCENARIO, PROBLEM, DESIGN, METRICS, chunk=10,
                       executor=client.get_executor(), checkpoint=tmp_path / "dask.npz")
    for name in METRICS:
        np.testing.assert_array_equal(remote.metrics[name], local.metrics[name])
    assert list(remote.status) == list(local.status) == ["success"] * 40


def _share_path(result):
    return result.share[:, 0]


def test_a_metric_that_is_not_one_number_is_refused():
    with pytest.raises(DynamicsError, match="returned shape .* one number per member"):
        sweep(SCENARIO, PROBLEM, DESIGN[:4], [_share_path], chunk=4)


def test_sweep_table_keeps_status_and_message(tmp_path):
    design = DESIGN[:6].copy()
    design[2, 1] = -1.0
    result = sweep(SCENARIO, PROBLEM, design, METRICS, chunk=6)
    path = result.write_csv(tmp_path / "table.csv", {"note": "test"})
    import csv

    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][-2:] == ["status", "message"] and len(rows) == 7
    assert rows[3][-2] == "failed" and "outside its bounds" in rows[3][-1]
    assert rows[1][-2:] == ["success", ""]
    assert float(rows[1][0]) == design[0, 0]  # exact repr


def test_a_forking_process_pool_is_refused_with_the_remedy():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool, \
            pytest.raises(DynamicsError, match="get_context\\('spawn'\\)"):
        sweep(SCENARIO, PROBLEM, DESIGN[:4], METRICS, chunk=4, executor=pool)


def _fragile(result):
    """A metric that fails for strong reactions, as a user's metric might."""
    if result.provenance["parameters"]["reaction"][0] > 1.0:
        raise ZeroDivisionError("no escalation window")
    return float(result["m"][-1, 0])


def test_a_metric_that_fails_for_one_member_fails_that_member_only():
    result = sweep(SCENARIO, PROBLEM, DESIGN[:8], [_fragile], chunk=8)
    strong = DESIGN[:8, 1] > 1.0
    assert strong.any() and not strong.all()
    assert all(s == "failed" for s in result.status[strong])
    assert all("ZeroDivisionError" in m for m, bad in zip(result.messages, strong,
                                                          strict=True) if bad)
    assert all(s == "success" for s in result.status[~strong])
    assert np.all(np.isfinite(next(iter(result.metrics.values()))[~strong]))


def test_a_written_sweep_reads_back_whole(tmp_path):
    design = DESIGN[:6].copy()
    design[2, 1] = -1.0  # one member fails
    result = sweep(SCENARIO, PROBLEM, design, METRICS, chunk=6)
    back = SweepResult.read_csv(result.write_csv(tmp_path / "table.csv"))
    assert back.problem.to_dict() == result.problem.to_dict()
    assert np.array_equal(back.design, result.design)  # exact: written as repr
    for name, values in result.metrics.items():
        assert np.array_equal(back.metrics[name], values, equal_nan=True)
    assert list(back.status) == list(result.status) and back.messages == result.messages


def test_a_file_that_is_not_a_sweep_is_named(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DynamicsError, match="other.csv: not a sweep"):
        SweepResult.read_csv(bad)


def test_a_progress_bar_ends_its_line_before_an_error_is_printed(capsys):
    """A study that fails part way closes its bar, so that the error is printed on a line
    of its own (they shared one)."""
    pytest.importorskip("tqdm")
    from dynamics.studies.design import progress_bar

    with pytest.raises(ZeroDivisionError), progress_bar(3, unit="chunk") as step:
        step()
        1 / 0  # noqa: B018 - the failure part way
    err = capsys.readouterr().err
    assert "1/3" in err and err.endswith("\n")
    with progress_bar(3, shown=False) as step:  # not shown: nothing drawn
        step()
    assert capsys.readouterr().err == ""
