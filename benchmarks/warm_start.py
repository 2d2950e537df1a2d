"""Benchmark: the first ensemble of a model shape in a new process, cold and warm.

    python benchmarks/warm_start.py [--states 3] [--members 8] [--record]

Runs the same small script in fresh processes that share one new, empty compiled-code
cache (``BALANCING_CACHE_DIR``) and one new, empty numba cache (``NUMBA_CACHE_DIR``), as
on a machine where nothing was compiled yet: the first process generates the model's code
and compiles the kernel's integrators and the model's rate (numba); the next two load all
of it from the caches; a last one runs a model of one more state, whose code and rate are
new but whose integrators are already compiled (the integrators are compiled once for all
models). Prints the time of each process's first ensemble and the ratios to the cold one,
measured in the same run; with ``--record`` it writes them into docs/performance.md (its
``warm-start`` block). Not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from record import write_block

PROBE = """
import time
import numpy as np
from dynamics import Model
from dynamics.codegen.compile import compile_model
from dynamics.run.ensemble import simulate_ensemble
model = Model([f"S{{i}}" for i in range({states})])
began = time.perf_counter()
compile_model(model)
generated = time.perf_counter()
simulate_ensemble(model, {{"growth": np.linspace(0.01, 0.05, {members})[:, None]}},
                  (0, 20), output=21)
print(generated - began, time.perf_counter() - generated)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=3)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--record", action="store_true",
                        help="write the result into docs/performance.md")
    args = parser.parse_args()
    environment = {**os.environ, "BALANCING_CACHE_DIR": tempfile.mkdtemp(),
                   "NUMBA_CACHE_DIR": tempfile.mkdtemp()}
    times, codes = [], []
    runs = [("cold", args.states), ("warm", args.states), ("warm", args.states),
            ("new shape", args.states + 1)]
    for run, states in runs:
        script = PROBE.format(states=states, members=args.members)
        out = subprocess.run([sys.executable, "-c", script], env=environment, check=True,
                             capture_output=True, text=True).stdout.split()
        generated, ensemble = float(out[0]), float(out[1])
        times.append(ensemble)
        codes.append(generated)
        print(f"{run:>9}: model code {generated:6.2f} s, first ensemble {ensemble:6.2f} s "
              f"(N = {states}, all mechanisms, {args.members} members)")
    print(f"warm / cold first ensemble: {times[1] / times[0]:.3f} and "
          f"{times[2] / times[0]:.3f}; new shape / cold: {times[3] / times[0]:.3f}")
    if args.record:
        text = (f"the first ensemble of a new process took {times[0]:.1f} s on a machine "
                f"where nothing was compiled yet (the model's code generated in "
                f"{codes[0]:.1f} s, the kernel's integrators and the model's rate compiled by "
                f"numba) and {times[1]:.2f} s and {times[2]:.2f} s in the next two processes, "
                f"which load all of it from the caches (N = {args.states}, every mechanism, "
                f"{args.members} members); a model of {args.states + 1} states, new to the "
                f"cache, then took {times[3]:.1f} s (its code generated in {codes[3]:.1f} s, "
                "its rate compiled; the integrators are compiled once for all models)")
        write_block("warm-start", text)


if __name__ == "__main__":
    main()
