"""Benchmark: fitting scenarios to the record, and the coverage of its intervals.

    python benchmarks/calibration.py [--replicates 100] [--skip-coverage] [--skip-mcmc]

1. Speed: the README's fit (europe-1870, six reactions and fatigue, AR(1) errors) by the
   batched Levenberg-Marquardt method over the compiled kernel's members, against scipy's
   ``least_squares`` on the same residuals from single LSODA runs (the baseline, measured
   in the same run from the same start); the ratio and both optima are printed. Then the
   time of the profile intervals, a 200-replicate bootstrap and an emcee step.
2. Coverage of the nominal 95 % profile and bootstrap intervals on synthetic replicates
   (dynamics.views.figures.COVERAGE): log-normal errors (the README's study) and AR(1) errors
   (rho 0.5), printed per unknown.

Not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from record import recording
from scipy.optimize import least_squares

from dynamics.calibration import fitting
from dynamics.run.front import simulate
from dynamics.views.figures import COVERAGE, calibration_problem, synthetic_problem


def _timed(function, *args, **kwargs):
    began = time.perf_counter()
    out = function(*args, **kwargs)
    return out, time.perf_counter() - began


def speed(mcmc: bool) -> None:
    problem = calibration_problem()
    fitting.fit(problem, starts=1)  # compiles the kernel once (numba caches it on disk)
    batched, seconds = _timed(fitting.fit, problem, starts=1)
    scenario, model = problem.scenario, problem.scenario.model()
    years = [float(y) for y in problem.data.years]

    def residuals(phi: np.ndarray) -> np.ndarray:
        """The objective's residuals (one series, so no weights) from one LSODA run."""
        params, initial = problem.inputs(phi[None])
        single = {k: (v[0] if isinstance(v, np.ndarray) and v.ndim and v.shape[0] == 1
                      else v) for k, v in params.items()}
        run = simulate(model, single, scenario.t_span, initial=scenario.initial,
                       output=years, solver=problem.solver, interventions=scenario.events)
        shares = run["m"] / run["m"].sum(axis=1, keepdims=True)
        r = problem.log_y - np.log(shares[problem.cell_year, problem.cell_state])
        rho = problem.rho(phi[None])
        e = problem.innovations(r[None], rho)
        return (e * (1 - rho ** 2) ** (-problem.chains / (2 * problem.n)))[0]

    reference, baseline = _timed(least_squares, residuals, problem.start,
                                 bounds=(problem.lower, problem.upper), x_scale="jac")
    _, reference_ll = problem.evaluate(reference.x[None], problem.log_y[None])
    print(f"fit of {scenario.name} ({len(problem.names)} unknowns, {problem.n} observations):")
    print(f"  batched kernel LM  {seconds:7.2f} s   log-likelihood {batched.loglik:.4f}")
    print(f"  scipy least_squares on LSODA runs {baseline:7.2f} s   log-likelihood "
          f"{float(reference_ll[0]):.4f}")
    print(f"  speed-up {baseline / seconds:.1f}x (same run, same start)")
    _, seconds = _timed(fitting.profile, batched)
    print(f"  profile intervals of {len(problem.names)} unknowns  {seconds:7.2f} s")
    _, seconds = _timed(fitting.bootstrap, batched, 200)
    print(f"  bootstrap, 200 refits  {seconds:7.2f} s")
    if mcmc:
        from dynamics.calibration.posterior import posterior

        fixed = fitting.FitProblem(scenario, problem.observations, ["reaction.*"], error="ar1")
        result, seconds = _timed(posterior, fitting.fit(fixed), walkers=64, steps=300,
                                 burn=100, criteria=False)
        print(f"  emcee, 64 walkers: {1000 * seconds / 300:.1f} ms per step")


def coverage(replicates: int) -> None:
    for error, rho in (("lognormal", 0.0), ("ar1", 0.5)):
        found, seconds = _timed(fitting.coverage, synthetic_problem(error), COVERAGE["sigma"],
                                replicates=replicates, rho=rho,
                                bootstrap_replicates=COVERAGE["bootstrap_replicates"])
        print(f"{error} errors" + (f" (rho {rho:g})" if error == "ar1" else "")
              + f", {seconds:.0f} s:")
        print("\n".join("  " + line for line in found.summary().splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=COVERAGE["replicates"])
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--skip-mcmc", action="store_true")
    parser.add_argument("--record", action="store_true",
                        help="write what is printed into docs/performance.md")
    args = parser.parse_args()
    speed(not args.skip_mcmc)
    if not args.skip_coverage:
        coverage(args.replicates)


if __name__ == "__main__":
    with recording("calibration", "--record" in sys.argv):
        main()
