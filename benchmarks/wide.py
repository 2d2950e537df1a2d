"""Benchmark: a wide study, members drawn uniformly over the registry's ranges.

    python benchmarks/wide.py [--members 10000] [--states 3] [--years 50] [--sample 5]

Every parameter of the model with every mechanism is drawn uniformly and independently per
member over its plausible range (``Parameter.design_range``: the registry's plausible range,
or its bounds where it gives none); the two without a finite range are set by hand, as
stated: ``capacity`` uniform in [1, 4] (output starts at 1) and ``grievance_level`` 0.
Such a study meets stiff members (fast perception, fast alliance dynamics): the kernel
integrates them again inside the compiled code with its implicit Rosenbrock method.

It prints the time of the whole ensemble (after a warm-up that pays numba's compilation,
reported separately), the count of each status and of each way a member was integrated,
and, as the baseline measured in the same run, the time scipy's Radau takes per member on
``--sample`` of the stiff members (how the kernel handled them before), extrapolated to
all of them, with the model's numpy rate and with the kernel's rate compiled by numba
(``kernel.with_compiled_rate``, with which the ensemble re-runs the members the kernel
leaves to scipy). rtol 1e-6, atol 1e-9, as the issue's measurements. Not a test.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter

import numpy as np
from record import recording

from dynamics import Model
from dynamics.model.registry import REGISTRY
from dynamics.run.engines import _stiff
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import prepare
from dynamics.run.solver import Solver


def draw(model: Model, members: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = model.N
    params: dict[str, np.ndarray] = {}
    for name in model.parameter_names:
        spec = REGISTRY[name]
        low, high = spec.design_range
        if name == "capacity":
            low, high = 1.0, 4.0
        elif not (math.isfinite(low) and math.isfinite(high)):
            params[name] = np.full(members, spec.default) if spec.kind == "scalar" else \
                np.full((members, n), spec.default)
            continue
        shape = {"scalar": (members,), "state": (members, n), "pair": (members, n, n)}[
            spec.kind]
        value = rng.uniform(low, high, shape)
        if spec.kind == "pair":
            value[:, np.arange(n), np.arange(n)] = 0.0
        params[name] = value
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--states", type=int, default=3)
    parser.add_argument("--years", type=float, default=50.0)
    parser.add_argument("--sample", type=int, default=5)
    parser.add_argument("--record", action="store_true",
                        help="write what is printed into docs/performance.md")
    args = parser.parse_args()
    model = Model([f"S{i}" for i in range(args.states)])
    solver = Solver(rtol=1e-6, atol=1e-9)
    params = draw(model, args.members, seed=0)

    began = time.perf_counter()
    warm = {k: v[:64] for k, v in params.items()}
    simulate_ensemble(model, warm, (0.0, args.years), output=11, solver=solver)
    print(f"warm-up (64 members, numba's compilation where not cached): "
          f"{time.perf_counter() - began:.1f} s")

    began = time.perf_counter()
    result = simulate_ensemble(model, params, (0.0, args.years), output=51, solver=solver)
    seconds = time.perf_counter() - began
    print(f"{args.members:,} members, N = {args.states}, every mechanism, {args.years:g} "
          f"years: {seconds:.1f} s ({args.members / seconds:,.0f} members/s)")
    print("statuses:", dict(Counter(s.value for s in result.status)))
    ways = Counter("implicit (kernel)" if "Rosenbrock" in m else
                   "Radau (scipy)" if "Radau" in m else "explicit (kernel)" if not m else
                   m.split(":")[0] for m in result.messages)
    print("integrated by:", dict(ways))
    stiff = [i for i, m in enumerate(result.messages) if "Rosenbrock" in m]
    if stiff:
        run = prepare(model, {k: v[stiff[:args.sample]]
                                                for k, v in params.items()}, None)
        compiled, y0, p = run.compiled, run.y0, run.p
        y0 = np.broadcast_to(y0, (p.shape[0], y0.shape[-1]))
        t_out = np.linspace(0.0, args.years, 51)
        for label, rerun in (("numpy", compiled),
                             ("numba", kernel.with_compiled_rate(compiled))):
            rerun.rate(0.0, y0[0], p[0])  # compiled here, not timed
            began = time.perf_counter()
            for k in range(p.shape[0]):
                _stiff(rerun, y0[k], p[k], (0.0, args.years), t_out, solver)
            each = (time.perf_counter() - began) / p.shape[0]
            print(f"baseline: scipy Radau re-runs with the {label} rate {each:.2f} s per stiff "
                  f"member (on {p.shape[0]}), {each * len(stiff):.0f} s for the {len(stiff)} "
                  f"stiff members; the whole kernel ensemble took {seconds:.1f} s "
                  f"({each * len(stiff) / seconds:.0f}x less than the re-runs alone)")


if __name__ == "__main__":
    with recording("wide", "--record" in sys.argv):
        main()
