"""Benchmark: how the model scales with the number of states, unrolled against array code.

    python benchmarks/scale.py [--states 5 10 20 50 100 190] [--unrolled-max 10]
                               [--years 50] [--record]

For each number of states N (every mechanism on, default values, outputs drawn log-normal
with sigma 1 from a fixed seed, so that the states differ), it measures in this process:

- **build**: assembling the model and compiling its code, cold (an empty code cache, the
  in-memory caches cleared): the array code at every N, the unrolled code up to
  ``--unrolled-max`` (its generation grows as N^3: 19 s at 12 states, minutes at 20);
- **rate**: one evaluation of the rate for one member (median of repeated calls), both
  paths where both are built, and their ratio;
- **run**: one run of ``--years`` years with ``simulate`` as a user calls it (the automatic
  path and method: LSODA on unrolled code, RK45 on array code; rtol 1e-6, atol 1e-9),
  and its status.

With ``--record`` it writes the table into docs/performance.md (its ``scale`` block). Not a
test: timings on shared machines are noisy; ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
from record import write_block

from dynamics import Model, simulate
from dynamics.codegen import compile as compiler
from dynamics.run.prepared import prepare
from dynamics.run.solver import Solver


def _cold_build(n: int, path: str) -> float:
    compiler._compile.cache_clear()
    compiler._compile_array.cache_clear()
    began = time.perf_counter()
    compiler.compile_model(Model([f"S{i}" for i in range(n)]), path)
    return time.perf_counter() - began


def _rate_seconds(compiled, y: np.ndarray, p: np.ndarray) -> float:
    compiled.rate(0.0, y, p)
    times = []
    for _ in range(7):
        calls, began = 0, time.perf_counter()
        while time.perf_counter() - began < 0.05 or calls < 3:
            compiled.rate(0.0, y, p)
            calls += 1
        times.append((time.perf_counter() - began) / calls)
    return statistics.median(times)


def measure(n: int, unrolled_max: int, years: float) -> dict:
    row: dict = {"N": n}
    row["array build"] = _cold_build(n, "array")
    if n <= unrolled_max:
        row["unrolled build"] = _cold_build(n, "unrolled")
    model = Model([f"S{i}" for i in range(n)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, n)
    row["variables"] = len(model.variables)
    for path in ("array", "unrolled"):
        if path == "unrolled" and n > unrolled_max:
            continue
        run = prepare(model, {}, {"e": output}, path)
        compiled, y0, p = run.compiled, run.y0, run.p
        row[f"{path} rate"] = _rate_seconds(compiled, y0, p)
    began = time.perf_counter()
    result = simulate(model, {}, (0.0, years), initial={"e": output}, output=51,
                      solver=Solver(rtol=1e-6, atol=1e-9))
    row["run"] = time.perf_counter() - began
    row["path"] = compiler.choose_path(n)
    row["method"] = result.provenance["solver"]["method"]
    row["status"] = result.status.value
    return row


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.1f} s"


def table(rows: list[dict], years: float) -> str:
    lines = ["| N | variables | build: array (unrolled) | one rate: array (unrolled; "
             f"ratio) | one {years:g}-year run (path, method) |", "|---|---|---|---|---|"]
    for row in rows:
        build = _time(row["array build"]) + (f" ({_time(row['unrolled build'])})"
                                             if "unrolled build" in row else "")
        rate = _time(row["array rate"])
        if "unrolled rate" in row:
            rate += (f" ({_time(row['unrolled rate'])}; "
                     f"{row['unrolled rate'] / row['array rate']:.2f}x)")
        lines.append(f"| {row['N']} | {row['variables']:,} | {build} | {rate} | "
                     f"{_time(row['run'])} ({row['path']}, {row['method']}, "
                     f"{row['status']}) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, nargs="+", default=[5, 10, 20, 50, 100, 190])
    parser.add_argument("--unrolled-max", type=int, default=10)
    parser.add_argument("--years", type=float, default=50.0)
    parser.add_argument("--record", action="store_true",
                        help="write the table into docs/performance.md")
    args = parser.parse_args()
    os.environ["BALANCING_CACHE_DIR"] = tempfile.mkdtemp(prefix="scale-")
    rows = []
    for n in args.states:
        rows.append(measure(n, args.unrolled_max, args.years))
        print(rows[-1], flush=True)
    text = table(rows, args.years)
    print(text)
    if args.record:
        write_block("scale", text)


if __name__ == "__main__":
    main()
