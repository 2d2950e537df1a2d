"""Benchmark: how the model scales with the number of states, new path against old in one run.

    python benchmarks/scale.py [--states 5 10 20 50 100 190] [--unrolled-max 10]
                               [--years 50] [--old-runs-up-to 100] [--default-tolerances]
                               [--record]

For each number of states N (every mechanism on, default values, outputs drawn log-normal
with sigma 1 from a fixed seed, so that the states differ), it measures in this process:

- **build**: assembling the model and compiling its code, cold (an empty code cache, the
  in-memory caches cleared): the array code at every N, the unrolled code up to
  ``--unrolled-max`` (its generation grows as N^3: 19 s at 12 states, minutes at 20);
  and, above the unrolled code, numba's compilation of the loops (once per machine and
  number of states; kept in the cache afterwards);
- **rate**: one evaluation of the rate for one member (median of repeated calls): the
  numpy array program (the old path above ten states), the loops that a single run now
  evaluates (serial below ``PARALLEL_MIN_STATES``, in numba's threads from there) and
  their ratio; the unrolled code where it is built;
- **run**: one run of ``--years`` years as ``simulate`` does it (rtol 1e-6, atol 1e-9;
  with ``--default-tolerances`` also at the solver's defaults), with its evaluations of
  the rate, against the old path (scipy's RK45 on the numpy array program) run in the
  same process up to ``--old-runs-up-to`` states, and beyond estimated as the new run's
  evaluations times the old rate (marked "est.": scipy's own work per step left out, and
  the old rate's cost varying by tens of per cent between runs).

With ``--loose RTOL ...`` it also runs, above ``--unrolled-max`` states, one run at each of
those relative tolerances (atol a thousandth of it) by BDF with the Jacobian's diagonal
(whose compilation is timed apart, as "diagonal build"; what ``simulate`` runs from
``DIAGONAL_BDF_RTOL``) against RK45 on the same loops, with each one's evaluations, time,
status and largest difference from RK45 at rtol 1e-8 (relative to each variable's largest
value, over spending, output and cohesion).

With ``--ensemble M`` it then runs an ensemble of M members at ``--ensemble-states`` states
(reaction and growth drawn per member and state; rtol 1e-6, 50 years) through the front
door, which integrates them in the compiled kernel on the loops, and prints its members
per second and the memory each member holds (its outputs, which the result keeps, and the
kernel's working arrays of one evaluation, which each thread holds while it integrates).

With ``--record`` it writes the table into docs/performance.md (its ``scale`` block). Not a
test: timings on shared machines are noisy; ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter

import numpy as np
from record import write_block
from scipy.integrate import solve_ivp

from dynamics import Model, simulate
from dynamics.codegen import compile as compiler
from dynamics.codegen.loopcode import PARALLEL_MIN_STATES
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import prepare
from dynamics.run.solver import DIAGONAL_BDF_RTOL, Solver


def _cold_build(n: int, path: str) -> float:
    compiler._compile.cache_clear()
    compiler._compile_array.cache_clear()
    began = time.perf_counter()
    compiler.compile_model(Model([f"S{i}" for i in range(n)]), path)
    return time.perf_counter() - began


def _rate_seconds(rate, y: np.ndarray, p: np.ndarray) -> float:
    rate(0.0, y, p)
    times = []
    for _ in range(7):
        calls, began = 0, time.perf_counter()
        while time.perf_counter() - began < 0.05 or calls < 3:
            rate(0.0, y, p)
            calls += 1
        times.append((time.perf_counter() - began) / calls)
    return statistics.median(times)


def _run(model: Model, output: np.ndarray, years: float, solver: Solver) -> tuple[float, int]:
    seconds, result = _timed(model, output, years, solver)
    assert result.ok, result.message
    return seconds, result.provenance["evaluations"]


def _timed(model: Model, output: np.ndarray, years: float, solver: Solver):
    began = time.perf_counter()
    result = simulate(model, {}, (0.0, years), initial={"e": output}, output=51,
                      solver=solver)
    return time.perf_counter() - began, result


def _difference(result, reference) -> float:
    """The largest difference from ``reference`` relative to each variable's largest value
    (spending, output, cohesion)."""
    return max(float(np.max(np.abs(result.values[name] - reference.values[name])
                            / np.max(np.abs(reference.values[name]))))
               for name in ("m", "e", "c"))


def loose(n: int, years: float, tolerances: list[float]) -> dict:
    """The runs of ``n`` states at loose tolerances (module docstring)."""
    model = Model([f"S{i}" for i in range(n)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, n)
    run = prepare(model, {}, {"e": output}, "array")
    began = time.perf_counter()
    kernel.with_compiled_rate(run.compiled, diagonal=True).jacobian(0.0, run.y0, run.p)
    row: dict = {"N": n, "diagonal build": time.perf_counter() - began, "runs": []}
    _, reference = _timed(model, output, years, Solver(method="RK45", rtol=1e-8,
                                                       atol=1e-11))
    assert reference.ok, reference.message
    for rtol in tolerances:
        for method in ("BDF", "RK45"):
            seconds, result = _timed(model, output, years,
                                     Solver(method=method, rtol=rtol, atol=rtol * 1e-3))
            row["runs"].append({
                "rtol": rtol, "method": result.provenance["solver"]["method"],
                "diagonal": result.provenance.get("jacobian") == "diagonal",
                "seconds": seconds, "evaluations": result.provenance["evaluations"],
                "status": result.status.value,
                "difference": _difference(result, reference) if result.ok else None})
    return row


def loose_table(rows: list[dict], years: float) -> str:
    lines = [f"Loose tolerances (atol = rtol / 1000): one {years:g}-year run by BDF with the "
             "Jacobian's diagonal (what `simulate` runs from `DIAGONAL_BDF_RTOL` = "
             f"{DIAGONAL_BDF_RTOL:g}) against RK45 on the same loops; the difference is the "
             "largest from RK45 at rtol 1e-8, relative to each variable's largest value.", "",
             "| N | diagonal build | rtol | method | evaluations | time | status | "
             "difference |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for k, r in enumerate(row["runs"]):
            difference = "–" if r["difference"] is None else f"{r['difference']:.1e}"
            method = r["method"] + (" with the diagonal" if r["diagonal"] else "")
            build = _time(row["diagonal build"]) if k == 0 else ""
            lines.append(f"| {row['N'] if k == 0 else ''} | {build} | {r['rtol']:g} | "
                         f"{method} | {r['evaluations']:,} | {_time(r['seconds'])} | "
                         f"{r['status']} | {difference} |")
    return "\n".join(lines)


def _old_run(run, years: float, solver: Solver) -> float:
    """scipy's RK45 on the numpy array program: the path of a single run above ten states
    before the loops."""
    began = time.perf_counter()
    sol = solve_ivp(lambda t, y: run.compiled.rate(t, y, run.p), (0.0, years), run.y0,
                    method="RK45", rtol=solver.rtol, atol=solver.atol,
                    t_eval=np.linspace(0.0, years, 51))
    assert sol.success, sol.message
    return time.perf_counter() - began


def measure(n: int, unrolled_max: int, years: float, old_max: int,
            tolerances: list[Solver]) -> dict:
    row: dict = {"N": n}
    row["array build"] = _cold_build(n, "array")
    if n <= unrolled_max:
        row["unrolled build"] = _cold_build(n, "unrolled")
    model = Model([f"S{i}" for i in range(n)])
    output = np.random.default_rng(0).lognormal(0.0, 1.0, n)
    row["variables"] = len(model.variables)
    run = prepare(model, {}, {"e": output}, "array")
    row["array rate"] = _rate_seconds(run.compiled.rate, run.y0, run.p)
    if n > unrolled_max:
        began = time.perf_counter()
        loops = kernel.with_compiled_rate(run.compiled)
        loops.rate(0.0, run.y0, run.p)
        row["loops build"] = time.perf_counter() - began
        with kernel.one_blas_thread():  # as in a run: the parallel loops call BLAS
            row["loops rate"] = _rate_seconds(loops.rate, run.y0, run.p)
        row["threads"] = n >= PARALLEL_MIN_STATES
    else:
        unrolled = prepare(model, {}, {"e": output}, "unrolled")
        row["unrolled rate"] = _rate_seconds(unrolled.compiled.rate, unrolled.y0, unrolled.p)
    row["runs"] = []
    for solver in tolerances:
        seconds, evaluations = _run(model, output, years, solver)
        if n > unrolled_max and n <= old_max:
            old, estimated = _old_run(run, years, solver), False
        elif n > unrolled_max:
            old, estimated = evaluations * row["array rate"], True
        else:
            old, estimated = None, False
        row["runs"].append({"rtol": solver.rtol, "seconds": seconds,
                            "evaluations": evaluations, "old": old, "estimated": estimated})
    row["path"] = compiler.choose_path(n)
    return row


def ensemble(n: int, members: int, years: float) -> str:
    """The line of an ensemble of ``members`` at ``n`` states (see the module docstring)."""
    model = Model([f"S{i}" for i in range(n)])
    rng = np.random.default_rng(1)
    params = {"reaction": rng.uniform(0.05, 0.4, (members, n)),
              "growth": rng.uniform(0.01, 0.05, (members, n))}
    output = np.random.default_rng(0).lognormal(0.0, 1.0, n)
    solver = Solver(rtol=1e-6, atol=1e-9)
    began = time.perf_counter()
    simulate(model, {k: v[:2] for k, v in params.items()}, (0.0, years),
             initial={"e": output}, output=51, solver=solver)
    warm = time.perf_counter() - began
    began = time.perf_counter()
    result = simulate(model, params, (0.0, years), initial={"e": output}, output=51,
                      solver=solver)
    seconds = time.perf_counter() - began
    variables = len(model.variables)
    outputs = 51 * variables * 8
    # the loops' arrays of one evaluation: one per derived quantity, sum and part computed
    # beforehand, N or N^2 elements each (counted in the generated source)
    source = prepare(model, {}, {"e": output}, "array").compiled.scalar or ""
    square = (source.count("numpy.empty((N, N, ))") + source.count("numpy.zeros((N, N))")
              + source.count("numpy.dot(") + source.count("numpy.ascontiguousarray("))
    line = source.count("numpy.empty((N, ))")
    working = (square * n * n + line * n) * 8
    statuses = dict(Counter(s.value for s in result.status))
    return (f"ensemble of {members:,} members at N = {n} ({variables:,} variables; engine "
            f"{result.engine}; first call with numba's compilation {warm:.1f} s): "
            f"{seconds:.1f} s, {members / seconds:.1f} members/s; per member "
            f"{outputs / 1e6:.2f} MB of outputs (51 times), and {working / 1e6:.2f} MB of "
            f"working arrays per thread while it integrates; statuses {statuses}")


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.1f} s"


def table(rows: list[dict], years: float) -> str:
    lines = ["| N | variables | build: array (loops compiled; unrolled) | one rate: array "
             "program → loops (ratio; unrolled) | one "
             f"{years:g}-year run: old → new (ratio), evaluations |",
             "|---|---|---|---|---|"]
    for row in rows:
        build = _time(row["array build"])
        if "loops build" in row:
            build += f" ({_time(row['loops build'])})"
        if "unrolled build" in row:
            build += f" ({_time(row['unrolled build'])})"
        if "loops rate" in row:
            rate = (f"{_time(row['array rate'])} → {_time(row['loops rate'])} "
                    f"({row['array rate'] / row['loops rate']:.1f}x"
                    f"{', 2 threads' if row['threads'] else ''})")
        else:
            rate = (f"{_time(row['array rate'])} (unrolled "
                    f"{_time(row['unrolled rate'])})")
        runs = []
        for r in row["runs"]:
            text = f"rtol {r['rtol']:g}: "
            if r["old"] is not None:
                text += (f"{_time(r['old'])}{' est.' if r['estimated'] else ''} → "
                         f"{_time(r['seconds'])} "
                         f"({r['old'] / r['seconds']:.0f}x)")
            else:
                text += f"{_time(r['seconds'])} (unrolled, LSODA)"
            runs.append(text + f", {r['evaluations']:,}")
        lines.append(f"| {row['N']} | {row['variables']:,} | {build} | {rate} | "
                     f"{'; '.join(runs)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, nargs="+", default=[5, 10, 20, 50, 100, 190])
    parser.add_argument("--unrolled-max", type=int, default=10)
    parser.add_argument("--years", type=float, default=50.0)
    parser.add_argument("--old-runs-up-to", type=int, default=100,
                        help="run the old path up to this many states (estimate beyond)")
    parser.add_argument("--default-tolerances", action="store_true",
                        help="also run at the solver's default tolerances")
    parser.add_argument("--loose", type=float, nargs="*", default=[], metavar="RTOL",
                        help="also run at these loose tolerances, BDF with the diagonal "
                        "against RK45 (above --unrolled-max states)")
    parser.add_argument("--ensemble", type=int, default=0, metavar="M",
                        help="also run an ensemble of M members (0: none)")
    parser.add_argument("--ensemble-states", type=int, default=50)
    parser.add_argument("--record", action="store_true",
                        help="write the table into docs/performance.md")
    args = parser.parse_args()
    os.environ["BALANCING_CACHE_DIR"] = tempfile.mkdtemp(prefix="scale-")
    tolerances = [Solver(rtol=1e-6, atol=1e-9)]
    if args.default_tolerances:
        tolerances.append(Solver())
    rows = []
    for n in args.states:
        rows.append(measure(n, args.unrolled_max, args.years, args.old_runs_up_to,
                            tolerances))
        print(rows[-1], flush=True)
    text = table(rows, args.years)
    if args.loose:
        loose_rows = []
        for n in args.states:
            if n > args.unrolled_max:
                loose_rows.append(loose(n, args.years, args.loose))
                print(loose_rows[-1], flush=True)
        text += "\n\n" + loose_table(loose_rows, args.years)
    if args.ensemble:
        text += "\n\n" + ensemble(args.ensemble_states, args.ensemble, args.years)
    print(text)
    if args.record:
        write_block("scale", text)


if __name__ == "__main__":
    main()
