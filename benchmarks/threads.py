"""Benchmark: how the kernel's ensemble speed grows with the number of threads.

    python benchmarks/threads.py [--states 5 10] [--members 40000] [--threads 1 2 4 8 16]
                                 [--repeats 2] [--tasks 32 128 512] [--alone 0.5]

For each number of states (all mechanisms on), the same random ensemble as
``benchmarks/ensemble.py`` draws (rtol 1e-6, atol 1e-9, 50 years) is integrated by
``simulate_ensemble`` with the numba kernel on each number of threads in ``--threads`` (up to
numba's, which ``NUMBA_NUM_THREADS`` sets; default 1, 2, 4, ... and all of them), best of
``--repeats``, after a warm-up that pays numba's compilation. It prints members per second
and the speed-up over one thread measured in the same run, for the whole call (validation,
integration, statuses) and for its parallel part alone (the compiled loop over members,
timed around it), so that what the serial part costs at many threads shows. The first write
to the outputs' memory, which a process pays once per size, is paid before each timed run
and not counted (``ensemble.first_touch``). At the most threads it then runs the ensemble
with each size of the tasks that threads take as they free up (``--tasks``, members per
task of the side-by-side integrator; the package's is ``kernel._LANE_TASK``).

The *rate alone* column is the ceiling that the host sets: each thread evaluates the
model's rate for eight members side by side (the lanes' rate the ensembles run) over and
over in a buffer of its own, with no integrator, no output and no memory shared, and the
column is that arithmetic's speed-up over one thread (best of three runs of about
``--alone`` / 3 seconds each). Where the loop's speed-up is close to it, the integrator,
its scheduling and its memory layout lose nothing to threads, and what is missing to the
thread count is the host's: a processor commonly lowers its clock when all of its cores
are busy, and a virtual machine's processors may be hyper-threads of fewer cores sharing
their arithmetic units, neither of which the guest sees. (On a 16-core host the README
quotes, the loop's speed-up at 16 threads equalled or passed the rate alone's.)

It prints the processor (model, cores, threads per core) and numba's threading layer first.
Not a test: timings on shared machines are noisy; each row's spread over the repeats is
printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numba
import numpy as np
from ensemble import ensemble, first_touch, lanes_rate
from record import recording

from dynamics import Model, compile_model
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.kernel import body as kernel_body
from dynamics.run.kernel import build as kernel
from dynamics.run.solver import Solver


def processor() -> str:
    """The processor's model name and its logical processors, cores and sockets (Linux's
    /proc/cpuinfo; the platform's name elsewhere)."""
    try:
        with open("/proc/cpuinfo") as info:
            text = info.read()
    except OSError:
        return f"{platform.processor()}, {os.cpu_count()} logical processors"
    fields = [line.split(":", 1) for line in text.splitlines() if ":" in line]
    model = next((v.strip() for k, v in fields if k.strip() == "model name"), "unknown")
    cores = {(p.strip(), c.strip()) for p, c in zip(
        (v for k, v in fields if k.strip() == "physical id"),
        (v for k, v in fields if k.strip() == "core id"), strict=False)}
    logical = sum(1 for k, _ in fields if k.strip() == "processor")
    sockets = {p for p, _ in cores}
    return (f"{model}: {logical} logical processors, {len(cores) or '?'} cores"
            f"{f' on {len(sockets)} sockets' if len(sockets) > 1 else ''}; "
            f"{len(os.sched_getaffinity(0))} available to this process")


class Timed:
    """The kernel's parallel loop over members, with the seconds spent in it summed."""

    def __init__(self, name: str) -> None:
        self.function, self.seconds = getattr(kernel_body, name), 0.0

    def __call__(self, *args):
        began = time.perf_counter()
        try:
            return self.function(*args)
        finally:
            self.seconds += time.perf_counter() - began


def rate_alone(model: Model, params: dict, seconds: float = 0.5):
    """A function of a thread count: the model's rate for ``LANES`` members side by side,
    evaluated over and over by that many threads, each in a buffer of its own, for about
    ``seconds``: evaluations per second (one per member), the best of three."""
    from dynamics.run.kernel.body import LANES

    lanes, row, first_rate = lanes_rate(model, params)
    # rows 64 values apart at least, so that no two threads share a cache line
    width = -(-row.size // 64) * 64 + 64

    @numba.njit(parallel=True)
    def spin(buffers, calls):
        # (a thread's row taken once and its sum kept in a register: a view taken at each
        # call would count references to ``buffers`` atomically, from every thread)
        total = np.zeros(buffers.shape[0])
        for t in numba.prange(buffers.shape[0]):
            b, acc = buffers[t], 0.0
            for _ in range(calls):
                lanes(b, LANES)
                acc += b[first_rate]
            total[t] = acc
        return total

    def speed(count: int) -> float:
        buffers = np.zeros((count, width))
        buffers[:, :row.size] = row
        calls = 100
        with numba.parallel_chunksize(1):
            spin(buffers, 1)
            while True:
                began = time.perf_counter()
                spin(buffers, calls)
                took = time.perf_counter() - began
                if took > seconds / 4:
                    break
                calls *= 4
            calls = max(1, int(calls * seconds / took / 3))
            best = float("inf")
            for _ in range(3):  # the best of three
                began = time.perf_counter()
                spin(buffers, calls)
                best = min(best, time.perf_counter() - began)
            return count * calls * LANES / best

    return speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--members", type=int, default=40_000)
    parser.add_argument("--threads", type=int, nargs="+", default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tasks", type=int, nargs="*", default=[32, 128, 512])
    parser.add_argument("--alone", type=float, default=0.5,
                        help="seconds of each measurement of the rate alone")
    parser.add_argument("--record", action="store_true",
                        help="write what is printed into docs/performance.md")
    args = parser.parse_args()
    most = numba.get_num_threads()
    counts = sorted({c for c in (args.threads or [2 ** k for k in range(most.bit_length())]
                                 + [most]) if 1 <= c <= most})
    t_out = np.linspace(0.0, 50.0, 51)
    solver = Solver(rtol=1e-6, atol=1e-9, engine="kernel")
    timers = {name: Timed(name) for name in ("many_lanes", "many")}
    for name, timer in timers.items():
        setattr(kernel_body, name, timer)
    print(processor())
    print(f"numba {numba.__version__}, numpy {np.__version__}, {most} threads at most; "
          f"{args.members} members, rtol 1e-6, atol 1e-9, 50 years, best of {args.repeats}")

    def run(model: Model, params: dict, n_variables: int) -> tuple[float, float]:
        """Members per second of one ensemble, whole and in its parallel loop."""
        first_touch((args.members, t_out.size, n_variables))
        for timer in timers.values():
            timer.seconds = 0.0
        began = time.perf_counter()
        simulate_ensemble(model, params, (0.0, 50.0), output=t_out, solver=solver)
        whole = time.perf_counter() - began
        loop = sum(timer.seconds for timer in timers.values())
        return args.members / whole, args.members / loop

    for n in args.states:
        model = Model([f"S{i}" for i in range(n)])
        n_variables = compile_model(model, "unrolled").n_variables
        params = ensemble(n, args.members)
        began = time.perf_counter()
        simulate_ensemble(model, {k: v[:kernel.LANE_MIN] for k, v in params.items()},
                          (0.0, 50.0), output=t_out, solver=solver)
        print(f"\nN = {n} ({n_variables} variables; numba warm-up "
              f"{time.perf_counter() - began:.1f} s, threading layer "
              f"{numba.threading_layer()})")
        print(f"{'threads':>7} {'members/s':>10} {'speed-up':>8} {'spread':>7} "
              f"{'loop /s':>10} {'speed-up':>8} {'rate alone':>10}")
        base: tuple[float, float] | None = None
        ceiling = rate_alone(model, params, args.alone)
        alone = ceiling(1)
        for count in counts:
            numba.set_num_threads(count)
            runs = [run(model, params, n_variables) for _ in range(args.repeats)]
            best = (max(r[0] for r in runs), max(r[1] for r in runs))
            spread = (best[0] - min(r[0] for r in runs)) / best[0]
            base = base or best
            print(f"{count:>7} {best[0]:>10.0f} {best[0] / base[0]:>8.2f} {spread:>7.1%} "
                  f"{best[1]:>10.0f} {best[1] / base[1]:>8.2f} "
                  f"{ceiling(count) / alone:>10.2f}")
        print(f"        (the rate alone: {1e9 / alone:.0f} ns per member's evaluation on one "
              "thread)")
        numba.set_num_threads(most)
        saved = kernel._LANE_TASK
        for task in args.tasks:
            kernel._LANE_TASK = task
            try:
                runs = [run(model, params, n_variables) for _ in range(args.repeats)]
            finally:
                kernel._LANE_TASK = saved
            best = (max(r[0] for r in runs), max(r[1] for r in runs))
            print(f"{most:>7} {best[0]:>10.0f} {best[0] / base[0]:>8.2f} "
                  f"{'':>7} {best[1]:>10.0f} {best[1] / base[1]:>8.2f}  "
                  f"(tasks of {task} members{', the default' if task == saved else ''})")


if __name__ == "__main__":
    with recording("threads", "--record" in sys.argv):
        main()
