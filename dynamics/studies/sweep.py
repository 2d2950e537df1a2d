"""Sweeps: a design of many runs, in chunks, on any executor, resumable from a checkpoint.

``sweep(scenario, problem, design, metrics)`` splits the design into chunks of members;
each chunk is one ensemble (:func:`dynamics.studies.run_design`) whose members are
reduced to scalar metrics (names of ``dynamics.analysis.metrics.METRICS``, or functions).
Chunks run in-process by default, or on any ``concurrent.futures.Executor`` (a process
pool that spawns its workers; ``dask.distributed.Client.get_executor()`` for a cluster).
After each chunk the results so far are written atomically to the checkpoint file, so an
interrupted sweep resumes where it stopped and gives the same result as an uninterrupted
one; when a task is lost (a worker dies), every chunk that did finish is recorded before
the error is raised. A member that fails is recorded with its status and message; it
never stops the sweep.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError
from dynamics.results.files import is_device, replacing, write_text
from dynamics.results.labelled import Status, environment
from dynamics.results.report import Report
from dynamics.scenarios import Scenario
from dynamics.studies.design import Metric, Problem, metric_function, progress_bar, run_design

__all__ = ["SweepResult", "sweep", "process_pool"]


def process_pool(workers: int) -> Executor:
    """A pool of spawned processes that exit when their parent dies.

    Spawned, not forked: a fork after numba's OpenMP threads have run is killed. Each worker
    watches its parent's process id and exits within a second of the parent's death (a
    killed ``balancing sweep`` leaves no worker behind, holding memory).

    Parameters
    ----------
    workers : int
        The number of processes.

    Returns
    -------
    concurrent.futures.Executor
        The pool.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))


def _exit_with_parent(parent: int) -> None:
    """In a worker: a daemon thread that ends the process once ``parent`` is gone."""
    import threading
    import time

    def watch() -> None:
        while True:
            if os.getppid() != parent:  # re-parented: the parent has died
                os._exit(1)
            time.sleep(0.5)
    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


@dataclass
class SweepResult(Report):
    """What a sweep ran.

    Attributes
    ----------
    problem : Problem
        The inputs and their ranges.
    design : ndarray
        The design points (members, inputs).
    metrics : dict
        Each metric's values per member (NaN where a member failed).
    status : ndarray
        Each member's status.
    messages : list of str
        Why a member did not succeed ("" where it did).
    """

    problem: Problem
    design: np.ndarray
    metrics: dict[str, np.ndarray]
    status: np.ndarray
    messages: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"problem": self.problem.to_dict(), "design": self.design.tolist(),
                "metrics": {k: v.tolist() for k, v in self.metrics.items()},
                "status": [str(s) for s in self.status], "messages": list(self.messages)}

    def rows(self) -> list[dict[str, Any]]:
        return [{**dict(zip(self.problem.names, map(float, row), strict=True)),
                 **{k: float(v[i]) for k, v in self.metrics.items()},
                 "status": str(self.status[i]), "message": self.messages[i]}
                for i, row in enumerate(self.design)]

    def summary(self) -> str:
        failed = sum(1 for s in self.status if str(s) != Status.SUCCESS.value)
        lines = [f"{len(self.design)} runs; {failed} did not succeed"]
        for name, values in self.metrics.items():
            finite = values[np.isfinite(values)]
            if finite.size:
                lines.append(f"  {name}: {finite.min():.6g} to {finite.max():.6g} "
                             f"(median {np.median(finite):.6g})")
        return "\n".join(lines)

    def write_csv(self, path: str | Path, provenance: dict[str, Any] | None = None) -> Path:
        """One row per member (inputs, metrics as exact floats, status, message), and the
        provenance beside it in ``<path>.json``."""
        path = Path(path)
        with replacing(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*self.problem.names, *self.metrics, "status", "message"])
            for i, row in enumerate(self.design):
                writer.writerow([*(repr(float(x)) for x in row),
                                 *(repr(float(v[i])) for v in self.metrics.values()),
                                 self.status[i], self.messages[i]])
        if is_device(path):  # (/dev/null: nothing beside it)
            return path
        write_text(f"{path}.json", json.dumps(
            {**environment(), "problem": self.problem.to_dict(), "metrics": list(self.metrics),
             "members": len(self.design), **(provenance or {})}, indent=2, default=str))
        return path

    @classmethod
    def read_csv(cls, path: str | Path) -> SweepResult:
        """A sweep written by :meth:`write_csv` (``FILE.csv`` and ``FILE.csv.json``).

        Parameters
        ----------
        path : str or Path
            The CSV file; its ``.json`` beside it names the problem.

        Returns
        -------
        SweepResult
            The sweep, each member's inputs, metrics, status and message as written.

        Raises
        ------
        DynamicsError
            Naming the file, where it is not a sweep written by :meth:`write_csv`.
        """
        path = Path(path)
        try:
            meta = json.loads(Path(f"{path}.json").read_text())
            problem = Problem.from_dict(meta["problem"])
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
            header = list(rows[0]) if rows else []
            metrics = [c for c in header if c not in (*problem.names, "status", "message")]
            design = np.array([[float(r[n]) for n in problem.names] for r in rows])
            values = {m: np.array([float(r[m]) for r in rows]) for m in metrics}
            status = np.array([Status(r["status"]) for r in rows], dtype=object)
            messages = [r["message"] for r in rows]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DynamicsError(f"{path}: not a sweep written by balancing sweep (a CSV and "
                                f"its .json beside it): {error}") from None
        if not rows:
            raise DynamicsError(f"{path}: the sweep has no members")
        return cls(problem, design.reshape(len(rows), len(problem.names)), values, status,
                   messages)


def _chunk(scenario: Scenario, problem: Problem, design: np.ndarray,
           metrics: Sequence[Metric], options: dict
           ) -> tuple[np.ndarray, list[str], list[str]]:
    """Run one chunk; module-level so that process pools can pickle it."""
    ensemble = run_design(scenario, problem, design, **options)
    functions = [metric_function(m) for m in metrics]
    values = np.full((ensemble.members, len(metrics)), np.nan)
    status = [s.value for s in ensemble.status]
    messages = list(ensemble.messages)
    for i in range(ensemble.members):
        if ensemble.status[i] is not Status.SUCCESS:
            continue
        result = ensemble.member(i)
        for j, function in enumerate(functions):
            try:
                value = np.asarray(function(result), dtype=float)
            except Exception as error:  # this member's metric only: record, go on
                status[i] = Status.FAILED.value
                messages[i] = f"metric {_name(metrics[j])} failed: {error!r}"
                values[i] = np.nan
                break
            if value.ndim:  # a wrong metric, the same for every member: stop
                raise DynamicsError(f"metric {_name(metrics[j])} returned shape "
                                    f"{value.shape}; a sweep records one number per member")
            values[i, j] = value
    return values, status, messages


def _name(metric: Metric) -> str:
    """A metric's name: itself, or a function's module and qualified name."""
    if isinstance(metric, str):
        return metric
    return f"{getattr(metric, '__module__', '?')}.{getattr(metric, '__qualname__', metric)}"


def _identity(scenario: Scenario, problem: Problem, design: np.ndarray,
              metrics: Sequence[Metric], chunk: int, options: dict) -> dict[str, str]:
    """What determines a sweep's results, field by field, each as a short hash: a
    checkpoint resumes only into the sweep it was written by, and a mismatch can say
    what differs."""
    fields: dict[str, Any] = {
        "scenario": scenario.name, "states": list(scenario.states),
        "mechanisms": scenario.mechanisms if isinstance(scenario.mechanisms, str)
        else list(scenario.mechanisms),
        "parameters": scenario.parameters, "initial values": scenario.initial,
        "time span": list(scenario.t_span), "output times": scenario.output,
        "solver settings": vars(scenario.solver),
        "interventions": [event.as_dict() for event in scenario.events],
        "inputs and ranges": problem.to_dict(), "design": design.tolist(),
        "metrics": [_name(m) for m in metrics], "chunk size": chunk,
        "options": sorted((k, repr(v)) for k, v in options.items()),
    }
    return {name: hashlib.sha256(json.dumps(value, default=repr, sort_keys=True)
                                 .encode()).hexdigest()[:16]
            for name, value in fields.items()}


def _mismatch(path: Path, stored: str, identity: dict[str, str]) -> DynamicsError:
    """The one-line error for a checkpoint written by another sweep."""
    try:
        theirs = json.loads(stored)
    except ValueError:
        theirs = None
    if not isinstance(theirs, dict):
        return DynamicsError(f"checkpoint {path} was written by an older version of the "
                             "package and cannot be checked; remove it or choose another file")
    differ = [name for name in identity if theirs.get(name) != identity[name]]
    return DynamicsError(f"checkpoint {path} belongs to another sweep: its "
                         f"{', '.join(differ)} differ{'s' if len(differ) == 1 else ''}; "
                         "remove it or choose another file")


def _save(path: Path, state: dict) -> None:
    with replacing(path, "wb") as handle:
        np.savez(handle, **state)


def sweep(scenario: Scenario, problem: Problem, design: np.ndarray,
          metrics: Sequence[Metric] = ("peak_share",), *, chunk: int = 256,
          executor: Executor | None = None, checkpoint: str | Path | None = None,
          progress: bool = False, **options: Any) -> SweepResult:
    """Run every design point and reduce it to ``metrics``; see the module docstring.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose inputs the design varies.
    problem : Problem
        The uncertain inputs.
    design : ndarray
        The points, shape (n, d) (:func:`grid`, :func:`latin_hypercube`, ...).
    metrics : sequence
        Names of :data:`~dynamics.analysis.metrics.METRICS` or functions of a
        :class:`~dynamics.results.Result` returning one number (module-level, so that a
        process pool or cluster can pickle them).
    chunk : int
        Members per ensemble (and per task on an executor).
    executor : concurrent.futures.Executor, optional
        Runs the chunks (a process pool, a Dask client's ``get_executor()``); default:
        in-process.
    checkpoint : str or Path, optional
        Written after each chunk; a rerun resumes from it (a checkpoint of another study is
        refused, naming what differs).
    progress : bool
        Show a tqdm bar (``pip install 'balancing-dynamics[parallel]'``).
    **options
        Passed to :func:`~dynamics.run.ensemble.simulate_ensemble` (tolerances, output).

    Returns
    -------
    SweepResult
        Per point, the metrics and the member's status and message.
    """
    for metric in metrics:  # unknown names raise before anything runs
        metric_function(metric)
    _refuse_forking_pool(executor)
    design = np.asarray(design, dtype=float)
    members = design.shape[0]
    chunks = [np.arange(k, min(k + chunk, members)) for k in range(0, members, chunk)]
    values = np.full((members, len(metrics)), np.nan)
    status = np.array([""] * members, dtype=object)
    messages = [""] * members
    done = np.zeros(len(chunks), dtype=bool)
    identity = _identity(scenario, problem, design, metrics, chunk, options)
    key = json.dumps(identity, sort_keys=True)
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as saved:
                stored = {name: saved[name] for name in
                          ("fingerprint", "values", "done", "status", "messages")}
        except (OSError, ValueError, KeyError, EOFError,
                zipfile.BadZipFile) as error:  # not a checkpoint at all
            raise DynamicsError(f"{path} is not a checkpoint of a sweep ({type(error).__name__}"
                                f"); remove it, or give --checkpoint another file") from None
        if str(stored["fingerprint"]) != key:
            raise _mismatch(path, str(stored["fingerprint"]), identity)
        values, done = stored["values"], stored["done"]
        status = stored["status"].astype(object)
        messages = list(stored["messages"])

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
    with progress_bar(len(chunks), int(done.sum()), shown=progress) as step:
        if executor is None:
            for k in pending:
                record(k, _chunk(scenario, problem, design[chunks[k]], list(metrics),
                                 options))
                step()
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
                step()
            if errors:
                raise errors[0]
    return SweepResult(problem, design,
                       {_name(n): values[:, j] for j, n in enumerate(metrics)},
                       status, messages)


def _refuse_forking_pool(executor: Executor | None) -> None:
    """A process pool that forks kills its workers once numba's OpenMP threads have run
    in this process ("fork() called from a process already using GNU OpenMP"): refuse it
    with the remedy rather than fail halfway."""
    context = getattr(executor, "_mp_context", None)  # ProcessPoolExecutor's start method
    if context is not None and context.get_start_method() == "fork":
        raise DynamicsError("the process pool forks its workers, which the compiled "
                            "kernel's threads do not survive; create it with "
                            "ProcessPoolExecutor(k, mp_context=multiprocessing.get_context("
                            "'spawn'))")
