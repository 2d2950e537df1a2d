"""Benchmark: the first ensemble of a model shape in a new process, cold and warm.

    python benchmarks/warm_start.py [--states 3] [--members 8] [--readme]

Runs the same small script three times in fresh processes that share one new, empty
compiled-code cache (``BALANCING_CACHE_DIR``): the first process generates the model's code
and compiles its kernel (numba); the later ones load both from the cache. Prints the time of
each process's first ensemble, and the ratio of the warm ones to the cold one, measured in
the same run; with ``--readme`` it writes them between the README's ``warm-start``
markers. Not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from readme_block import write_block

PROBE = """
import time
import numpy as np
from dynamics import Model
from dynamics.compile import compile_model
from dynamics.ensemble import simulate_ensemble
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
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    script = PROBE.format(states=args.states, members=args.members)
    environment = {**os.environ, "BALANCING_CACHE_DIR": tempfile.mkdtemp()}
    times, codes = [], []
    for run in ("cold", "warm", "warm"):
        out = subprocess.run([sys.executable, "-c", script], env=environment, check=True,
                             capture_output=True, text=True).stdout.split()
        generated, ensemble = float(out[0]), float(out[1])
        times.append(ensemble)
        codes.append(generated)
        print(f"{run}: model code {generated:6.2f} s, first ensemble {ensemble:6.2f} s "
              f"(N = {args.states}, all mechanisms, {args.members} members)")
    print(f"warm / cold first ensemble: {times[1] / times[0]:.3f} and "
          f"{times[2] / times[0]:.3f}")
    if args.readme:
        text = (f"the first ensemble of a new process took {times[0]:.1f} s cold (the model's "
                f"code generated in {codes[0]:.1f} s, the kernel compiled by numba) and "
                f"{times[1]:.2f} s and {times[2]:.2f} s in the next two processes, which "
                f"load both from the cache (N = {args.states}, every mechanism, "
                f"{args.members} members)")
        write_block("warm-start", text)


if __name__ == "__main__":
    main()
