"""Sweeps: a design of many runs, in chunks, on any executor, resumable from a checkpoint.

``sweep(scenario, problem, design, metrics)`` splits the design into chunks of members;
each chunk is one ensemble (:func:`dynamics.sensitivity.run_design`) whose members are
reduced to the named scalar metrics (``dynamics.analysis.metrics.METRICS``). Chunks run
in-process by default, or on any ``concurrent.futures.Executor`` (a process pool;
``dask.distributed.Client.get_executor()`` for a cluster). After each chunk the results
so far are written atomically to the checkpoint file, so an interrupted sweep resumes
where it stopped and gives the same result as an uninterrupted one; when a task is lost
(a worker dies), every chunk that did finish is recorded before the error is raised. A
member that fails is recorded with its status and message; it never stops the sweep.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.analysis.metrics import METRICS
from dynamics.errors import DynamicsError, UnknownNameError
from dynamics.results import Status
from dynamics.scenarios import Scenario
from dynamics.sensitivity import Problem, run_design

__all__ = ["SweepResult", "sweep"]


@dataclass
class SweepResult:
    """Design points, metric values per member (NaN where a member failed), statuses."""

    problem: Problem
    design: np.ndarray
    metrics: dict[str, np.ndarray]
    status: np.ndarray
    messages: list[str]

    def to_dataframe(self):
        """One row per member: inputs, metrics, status and message (needs pandas)."""
        import pandas as pd

        frame = pd.DataFrame(self.design, columns=list(self.problem.names))
        for name, values in self.metrics.items():
            frame[name] = values
        frame["status"] = self.status
        frame["message"] = self.messages
        return frame


def _chunk(scenario: Scenario, problem: Problem, design: np.ndarray,
           metrics: Sequence[str], options: dict) -> tuple[np.ndarray, list[str], list[str]]:
    """Run one chunk; module-level so that process pools can pickle it."""
    ensemble = run_design(scenario, problem, design, **options)
    values = np.full((ensemble.members, len(metrics)), np.nan)
    for i in range(ensemble.members):
        if ensemble.status[i] is Status.SUCCESS:
            result = ensemble.member(i)
            values[i] = [METRICS[name](result) for name in metrics]
    return values, [s.value for s in ensemble.status], list(ensemble.messages)


def _fingerprint(scenario: Scenario, problem: Problem, design: np.ndarray,
                 metrics: Sequence[str], chunk: int, options: dict) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([scenario.name, repr(scenario.parameters), problem.to_dict(),
                              list(metrics), chunk, repr(sorted(options.items()))],
                             default=str).encode())
    digest.update(np.ascontiguousarray(design).tobytes())
    return digest.hexdigest()


def _save(path: Path, state: dict) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        np.savez(handle, **state)
    os.replace(handle.name, path)


def sweep(scenario: Scenario, problem: Problem, design: np.ndarray,
          metrics: Sequence[str] = ("peak_share",), *, chunk: int = 256,
          executor: Executor | None = None, checkpoint: str | Path | None = None,
          progress: bool = False, **options: Any) -> SweepResult:
    """Run every design point and reduce it to ``metrics``; see the module docstring.

    ``options`` go to :func:`~dynamics.ensemble.simulate_ensemble` (tolerances, output).
    ``progress`` shows a tqdm bar when tqdm is installed.
    """
    for name in metrics:
        if name not in METRICS:
            raise UnknownNameError("metric", name, METRICS)
    design = np.asarray(design, dtype=float)
    members = design.shape[0]
    chunks = [np.arange(k, min(k + chunk, members)) for k in range(0, members, chunk)]
    values = np.full((members, len(metrics)), np.nan)
    status = np.array([""] * members, dtype=object)
    messages = [""] * members
    done = np.zeros(len(chunks), dtype=bool)
    key = _fingerprint(scenario, problem, design, metrics, chunk, options)
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["fingerprint"]) != key:
                raise DynamicsError(f"checkpoint {path} belongs to another sweep (different "
                                    "scenario, design, metrics or options); remove it or "
                                    "choose another file")
            values, done = saved["values"], saved["done"]
            status = saved["status"].astype(object)
            messages = list(saved["messages"])

    def record(k: int, outcome) -> None:
        rows = chunks[k]
        values[rows], status[rows] = outcome[0], outcome[1]
        for row, message in zip(rows, outcome[2], strict=True):
            messages[row] = message
        done[k] = True
        if path is not None:
            _save(path, {"fingerprint": np.array(key), "values": values, "done": done,
                         "status": status.astype(str), "messages": np.array(messages)})

    pending = [k for k in range(len(chunks)) if not done[k]]
    bar = _progress(len(chunks), int(done.sum())) if progress else None
    if executor is None:
        for k in pending:
            record(k, _chunk(scenario, problem, design[chunks[k]], list(metrics), options))
            bar and bar.update(1)
    else:
        futures = {executor.submit(_chunk, scenario, problem, design[chunks[k]],
                                   list(metrics), options): k for k in pending}
        errors = []
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # a lost task: keep every chunk that did finish
                errors.append(error)
                continue
            record(futures[future], outcome)
            bar and bar.update(1)
        if errors:
            if bar:
                bar.close()
            raise errors[0]
    if bar:
        bar.close()
    return SweepResult(problem, design, {n: values[:, j] for j, n in enumerate(metrics)},
                       status, messages)


def _progress(total: int, initial: int):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar
        return None
    return tqdm(total=total, initial=initial, unit="chunk")
