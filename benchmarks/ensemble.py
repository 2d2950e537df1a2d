"""Benchmark: the compiled ensemble kernel against a naive loop of solve_ivp calls.

    python benchmarks/ensemble.py [--states 2 5 10] [--members 1000 10000]
                                  [--loop-sample 200] [--accuracy-sample 4]
                                  [--rtol 1e-6] [--atol 1e-9] [--diffrax-max 10]

For each number of states (all mechanisms on) and ensemble size, the same random
ensemble is integrated (i) by one ``solve_ivp`` (RK45) call per member with the compiled
numpy rate, on ``--loop-sample`` members (the loop's rate in members per second does not
depend on the ensemble size), and (ii) by ``dynamics.run.ensemble.simulate_ensemble`` with the
numba kernel (after a warm-up that pays numba's compilation, reported separately), which
integrates an ensemble of ``kernel.LANE_MIN`` members or more side by side, eight members
in the lanes of a vectorised rate; the *one by one* row runs the largest ensemble with
each member alone, as smaller ensembles are, and prints the speed-up of the lanes. It
prints members per second for both, their ratio (measured in the same run on the same
machine) and the largest deviation between the two on the sampled members, relative to
each variable's scale; the accuracy of both against a DOP853 reference at rtol 1e-13 on a
few members (where the right-hand side has kinks, [x]+, the two explicit runs can take
different steps and differ by about their own error); and the cost of one evaluation of
the model's rate in numpy and compiled (both paths cost about that times the evaluations
per member, 6 per step).
The kernel's time covers ``simulate_ensemble`` whole: validation, integration, statuses
(the labelled arrays are built when first read), but not the first touch of the outputs'
memory, which a process pays once per size (:func:`first_touch`, printed). The *events*
row runs the largest ensemble again with two interventions (a dated one with its own
date per member, a dated ramp, and a triggered one whose condition is checked at every
step and located by root finding when it crosses) and prints its speed and its cost
against the same ensemble without them, measured in the same run. Not a test: timings on
shared machines are noisy. The *threads* row runs the largest ensemble on one thread and
on all of numba's threads and prints the speed-up. Where jax and diffrax are installed
(an optional comparison, not a dependency: ``pip install jax diffrax``), the *diffrax*
row runs the largest ensemble with diffrax's Dopri5 on this machine's CPU (the same
generated rate, run by JAX, vmapped over members; up to ``--diffrax-max`` states) and
prints the kernel's speed over it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

import numpy as np
from record import recording
from scipy.integrate import solve_ivp

from dynamics import Intervention, Model, compile_model
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.kernel import build as kernel
from dynamics.run.prepared import prepare
from dynamics.run.solver import Solver


def ensemble(n_states: int, members: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    shape = (members, n_states)
    return {"reaction": rng.uniform(0.05, 0.4, shape), "fatigue": rng.uniform(0.1, 0.4, shape),
            "growth": rng.uniform(0.01, 0.05, shape), "offence": rng.uniform(0.1, 0.9, shape),
            "distinguishability": rng.uniform(0.2, 0.9, members)}


def inputs(model: Model, params: dict, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``sample`` members' packed start and inputs, as the ensemble builds them."""
    run = prepare(model, {k: v[:sample] for k, v in params.items()}, None)
    y0, p = run.y0, run.p
    return np.broadcast_to(y0, (sample, y0.shape[-1])), p


def loop(model: Model, params: dict, sample: int, t_out: np.ndarray, rtol: float,
         atol: float, method: str = "RK45") -> tuple[float, np.ndarray]:
    """Members per second of one solve_ivp call per member, and the sampled outputs."""
    compiled = compile_model(model)
    y0, p = inputs(model, params, sample)
    outputs = np.empty((sample, t_out.size, y0.shape[-1]))
    began = time.perf_counter()
    for i in range(sample):
        sol = solve_ivp(lambda t, y, q=p[i]: compiled.rate(t, y, q), (t_out[0], t_out[-1]),
                        y0[i], method=method, t_eval=t_out, rtol=rtol, atol=atol)
        outputs[i] = sol.y.T
    return sample / (time.perf_counter() - began), outputs


def deviation(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference relative to each member's and variable's scale in ``b``."""
    scale = np.max(np.abs(b), axis=1, keepdims=True) + 1e-12
    return float(np.max(np.abs(a - b) / scale))


def first_touch(shape: tuple[int, ...]) -> tuple[float, int]:
    """Seconds to allocate and first write an array of ``shape`` (a run's outputs), and its
    bytes. The memory is freed, and an array of that size allocated at once after reuses
    it. On a virtual machine, memory that a process has not touched before, or that it
    freed a while ago, may be backed only at its first write, at many times the cost of
    writing memory reused: the first ensemble of a size in a process pays that, the
    ensembles timed here, each run just after this, do not."""
    began = time.perf_counter()
    touched = np.empty(shape)
    touched.fill(np.nan)
    seconds, size = time.perf_counter() - began, touched.nbytes
    del touched
    return seconds, size


@contextlib.contextmanager
def lanes_from(members: int):
    """Ensembles of ``members`` or more integrated side by side in lanes, for a while."""
    saved = kernel.LANE_MIN
    kernel.LANE_MIN = members
    try:
        yield
    finally:
        kernel.LANE_MIN = saved


def lanes_rate(model: Model, params: dict, general: bool = False, hoist: bool = True):
    """The lanes' rate of the first member's values (compiled as the ensembles compile it:
    the power of an exponent that is 1 in every member is its base, unless ``general``;
    its member constants hoisted unless not ``hoist``), a buffer that it reads and writes
    for ``LANES`` copies of that member (states, rates, inputs and constants), and where
    the rates begin in it."""
    from dynamics.run.kernel.body import LANES

    compiled = compile_model(model, "unrolled")
    y0, p = (a[0] for a in inputs(model, params, 1))
    unit = frozenset() if general else kernel.unit_exponents(compiled, p)
    rate, wide = kernel.lanes_rate(compiled, unit, hoist)
    buffer = np.concatenate([np.repeat(y0, LANES), np.zeros(y0.size * LANES),
                             np.repeat(wide(p[None])[0], LANES)])
    return rate, buffer, y0.size * LANES


@contextlib.contextmanager
def hoisting(hoist: bool):
    """Members side by side compute their constants once (``hoist``) or at every
    evaluation, for a while."""
    saved = kernel.HOIST
    kernel.HOIST = hoist
    try:
        yield
    finally:
        kernel.HOIST = saved


def evaluation_cost(model: Model, params: dict, calls: int = 20_000
                    ) -> tuple[float, float, float, float, float]:
    """Nanoseconds per evaluation of one member's rate: numpy (the loop), numba (the
    kernel, one member) and numba for ``LANES`` members side by side, per member, in the
    variant the ensembles run (the power of an exponent that is 1 in every member is its
    base), in the general one (``power``, where members differ) and without hoisting the
    member constants. The per-member cost of
    each path is about this times the evaluations."""
    import numba

    from dynamics.run.kernel.body import LANES

    compiled = compile_model(model, "unrolled")
    y0, p = (a[0] for a in inputs(model, params, 1))
    began = time.perf_counter()
    for _ in range(calls // 20):
        compiled.rate(0.0, y0, p)
    numpy_ns = (time.perf_counter() - began) / (calls // 20) * 1e9
    namespace: dict = {"numpy": np}
    exec(compiled.scalar, namespace)  # noqa: S102 - the project's own generated code
    rate = numba.njit(error_model="numpy")(namespace["rate_into"])

    @numba.njit
    def repeat(y, q, k):
        out, total = np.empty_like(y), 0.0
        for _ in range(k):
            rate(y, q, out)
            total += out[0]
        return total

    repeat(y0, p, 1)
    began = time.perf_counter()
    repeat(y0, p, calls * 10)
    numba_ns = (time.perf_counter() - began) / (calls * 10) * 1e9
    lane_ns = []
    for general, hoist in ((False, True), (True, True), (False, False)):
        lanes, buffer, first_rate = lanes_rate(model, params, general, hoist)

        @numba.njit
        def repeat_lanes(b, k, lanes=lanes, first_rate=first_rate):
            total = 0.0
            for _ in range(k):
                lanes(b, LANES)
                total += b[first_rate]
            return total

        repeat_lanes(buffer, 1)
        began = time.perf_counter()
        repeat_lanes(buffer, calls)
        lane_ns.append((time.perf_counter() - began) / (calls * LANES) * 1e9)
    return numpy_ns, numba_ns, lane_ns[0], lane_ns[1], lane_ns[2]


def constant_share(model: Model) -> tuple[int, int, int, int]:
    """The member constants of the rate's program (the subexpressions that read parameters
    only, which the lanes compute once per member), the operations in them, the operations
    of the whole program (sympy's ``count_ops``), and the operations that a hoisting could
    take at most: every product's and sum's arguments that read parameters only split off
    into a constant of their own (partial evaluation to the last argument). The last bounds
    the share of an evaluation's operations that hoisting can spare (counted alike: a power
    is one operation, and costs more)."""
    import sympy as sp

    from dynamics.codegen.program import program_of

    program = program_of(model)
    common, reduced = program.cse(model.rates)
    total = sum(sp.count_ops(e) for _, e in common) + sum(sp.count_ops(e) for e in reduced)
    constants = program.hoisted(model.rates)
    inputs = set(program.p)
    split: dict[sp.Expr, int] = {}

    def constant(node: sp.Expr) -> bool:
        return bool(node.free_symbols) and node.free_symbols <= inputs

    def visit(node: sp.Expr) -> None:
        if not node.args or node in split:
            return
        if constant(node):
            split[node] = sp.count_ops(node)
            return
        if isinstance(node, sp.Add | sp.Mul):
            parts = [a for a in node.args if constant(a)]
            if len(parts) > 1 or (parts and parts[0].args):
                part = node.func(*parts)
                split.setdefault(part, sp.count_ops(part))
        for arg in node.args:
            if not constant(arg):
                visit(arg)

    for symbol, expr in common:
        if constant(expr):
            split[expr] = sp.count_ops(expr)
            inputs.add(symbol)
        else:
            visit(expr)
    for expr in reduced:
        visit(expr)
    return (len(constants), sum(sp.count_ops(node) for node, _ in constants), total,
            sum(split.values()))


class _Columns:
    """What the generated ``rate`` writes its columns into when run by JAX (whose arrays
    cannot be assigned in place): ``out[..., k] = value`` keeps the value."""

    def __init__(self) -> None:
        self.values: dict[int, object] = {}

    def __setitem__(self, key, value) -> None:
        self.values[key[-1]] = value


class _JaxNumpy:
    """``numpy`` for the generated code run by JAX: jax.numpy, with ``empty`` giving the
    columns to stack (see :class:`_Columns`)."""

    def __init__(self, jnp) -> None:
        self.jnp = jnp

    def __getattr__(self, name: str):
        return getattr(self.jnp, name)

    def empty(self, shape) -> _Columns:
        return _Columns()


def diffrax_run(model: Model, params: dict, members: int, t_out: np.ndarray, rtol: float,
                atol: float) -> tuple[float, np.ndarray, str] | None:
    """Members per second of JAX + diffrax on this machine's CPU for the same ensemble
    (Dopri5, the Dormand-Prince pair of RK45, with diffrax's PID step control at the same
    tolerances; vmapped over members and compiled by XLA in a first, untimed run),
    the outputs and the versions; None where jax or diffrax is not installed (an optional
    comparison: ``pip install jax diffrax``)."""
    try:
        import diffrax
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    compiled = compile_model(model, "unrolled")
    namespace: dict = {"numpy": _JaxNumpy(jnp)}
    exec(compiled.source, namespace)  # noqa: S102 - our code
    rate, n = namespace["rate"], compiled.n_variables

    def vector_field(t, y, p):
        columns = rate(t, y, p).values
        return jnp.stack([jnp.broadcast_to(jnp.asarray(columns[k], dtype=float), ())
                          for k in range(n)])

    def solve(y0, p):
        return diffrax.diffeqsolve(
            diffrax.ODETerm(vector_field), diffrax.Dopri5(), float(t_out[0]),
            float(t_out[-1]), None, y0, args=p, saveat=diffrax.SaveAt(ts=jnp.asarray(t_out)),
            stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
            max_steps=50_000, throw=False).ys

    batched = jax.jit(jax.vmap(solve))
    y0, p = inputs(model, params, members)
    batched(jnp.asarray(y0), jnp.asarray(p)).block_until_ready()  # compiled for this shape
    began = time.perf_counter()
    ys = np.asarray(batched(jnp.asarray(y0), jnp.asarray(p)).block_until_ready())
    return (members / (time.perf_counter() - began), ys,
            f"jax {jax.__version__}, diffrax {diffrax.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, nargs="+", default=[2, 5, 10, 20])
    parser.add_argument("--members", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--loop-sample", type=int, default=200)
    parser.add_argument("--accuracy-sample", type=int, default=4,
                        help="members checked against a tight DOP853 reference (0: none)")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-9)
    parser.add_argument("--diffrax-max", type=int, default=10,
                        help="the most states run by diffrax (XLA's compilation of the "
                             "unrolled rate grows with it)")
    parser.add_argument("--record", action="store_true",
                        help="write what is printed into docs/performance.md")
    args = parser.parse_args()
    t_out = np.linspace(0.0, 50.0, 51)
    # the kernel whatever the size (above 10 states on the loops of the array code)
    kernel_solver = Solver(rtol=args.rtol, atol=args.atol, engine="kernel")
    print(f"{'N':>3} {'members':>8} {'loop /s':>10} {'kernel /s':>11} {'ratio':>8} "
          f"{'max dev':>9}  (rtol {args.rtol:g}, atol {args.atol:g}, 50 years)")
    compared = []
    for n in args.states:
        model = Model([f"S{i}" for i in range(n)])
        began = time.perf_counter()
        n_variables = compile_model(model, "unrolled").n_variables
        sympy_seconds = time.perf_counter() - began
        params = ensemble(n, max(args.members))
        began = time.perf_counter()
        simulate_ensemble(model, {k: v[:8] for k, v in params.items()}, (0.0, 50.0),
                          output=t_out, solver=kernel_solver)
        warmup = time.perf_counter() - began
        began = time.perf_counter()
        with lanes_from(0):  # the rate of eight members side by side, compiled here
            simulate_ensemble(model, {k: v[:8] for k, v in params.items()}, (0.0, 50.0),
                              output=t_out, solver=kernel_solver)
        lanes_warmup = time.perf_counter() - began
        loop_rate, reference = loop(model, params, args.loop_sample, t_out, args.rtol,
                                    args.atol)
        touched = {}
        for members in args.members:
            sub = {k: v[:members] for k, v in params.items()}
            touched[members] = first_touch((members, t_out.size, n_variables))
            began = time.perf_counter()
            result = simulate_ensemble(model, sub, (0.0, 50.0), output=t_out,
                                       solver=kernel_solver)
            kernel_rate = members / (time.perf_counter() - began)
            ours = np.stack([result.values[s.name][(slice(None), slice(None), *s.index)]
                             for s in model.variables], axis=-1)[:args.loop_sample]
            print(f"{n:>3} {members:>8} {loop_rate:>10.1f} {kernel_rate:>11.1f} "
                  f"{kernel_rate / loop_rate:>8.1f} {deviation(ours, reference):>9.2e}")
        members = max(args.members)
        with hoisting(False):
            simulate_ensemble(model, {k: v[:8] for k, v in params.items()}, (0.0, 50.0),
                              output=t_out, solver=kernel_solver)  # its compilation
            with lanes_from(0):
                simulate_ensemble(model, {k: v[:8] for k, v in params.items()},
                                  (0.0, 50.0), output=t_out, solver=kernel_solver)
            began = time.perf_counter()
            unhoisted = simulate_ensemble(model, params, (0.0, 50.0), output=t_out,
                                          solver=kernel_solver)
            unhoisted_rate = members / (time.perf_counter() - began)
        plain = np.stack([unhoisted.values[s.name][(slice(None), slice(None), *s.index)]
                          for s in model.variables], axis=-1)
        ours = np.stack([result.values[s.name][(slice(None), slice(None), *s.index)]
                         for s in model.variables], axis=-1)
        print(f"{n:>3} {members:>8} {'unhoisted':>10} {unhoisted_rate:>11.1f} "
              f"{kernel_rate / unhoisted_rate:>8.2f}  (members side by side computing "
              f"their constants at every evaluation; ratio: hoisted over unhoisted; largest "
              f"difference {deviation(ours, plain):.1e} of a variable's scale)")
        ours = ours[:args.loop_sample]
        with lanes_from(members + 1):
            began = time.perf_counter()
            simulate_ensemble(model, params, (0.0, 50.0), output=t_out, solver=kernel_solver)
            alone_rate = members / (time.perf_counter() - began)
        print(f"{n:>3} {members:>8} {'one by one':>10} {alone_rate:>11.1f} "
              f"{kernel_rate / alone_rate:>8.2f}  (each member alone, not side by side in "
              f"lanes; ratio: side by side over alone)")
        events = [Intervention("arms control", at=np.linspace(10.0, 30.0, members),
                               scale={"reaction": 0.5}, ramp=5.0),
                  Intervention("alarm", when=f"share.S0 > {1.1 / n:.3g}",
                               scale={"reaction.S1": 2.0})]
        simulate_ensemble(model, {k: v[:8] for k, v in params.items()}, (0.0, 50.0),
                          output=t_out, solver=kernel_solver,
                          interventions=[Intervention("warm-up", at=np.full(8, 10.0),
                                                      scale={"reaction": 0.5}), events[1]])
        began = time.perf_counter()
        with_events = simulate_ensemble(model, params, (0.0, 50.0), output=t_out,
                                        solver=kernel_solver,
                                        interventions=events)
        events_rate = members / (time.perf_counter() - began)
        fired = np.mean([len(e) for e in with_events.events])
        print(f"{n:>3} {members:>8} {'events':>10} {events_rate:>11.1f} "
              f"{events_rate / kernel_rate:>8.2f}  (with interventions, {fired:.1f} fired per "
              "member; ratio against the same ensemble without them)")
        import numba

        threads = numba.get_num_threads()
        if threads > 1:
            speeds = {}
            for count in (1, threads):
                numba.set_num_threads(count)
                began = time.perf_counter()
                simulate_ensemble(model, params, (0.0, 50.0), output=t_out,
                                  solver=kernel_solver)
                speeds[count] = members / (time.perf_counter() - began)
            numba.set_num_threads(threads)
            print(f"{n:>3} {members:>8} {'threads':>10} {speeds[threads]:>11.1f} "
                  f"{speeds[threads] / speeds[1]:>8.2f}  ({threads} threads against one: "
                  f"{speeds[1]:.1f} members/s)")
        numpy_ns, numba_ns, lane_ns, general_ns, plain_ns = evaluation_cost(model, params)
        touch_seconds, touch_bytes = touched[max(args.members)]
        constants, constant_ops, ops, most = constant_share(model)
        print(f"    (N = {n}: sympy compilation {sympy_seconds:.1f} s, numba warm-up "
              f"{warmup:.1f} s and {lanes_warmup:.1f} s for the lanes' rate, paid once per "
              f"model shape; one evaluation of the rate: {numpy_ns / 1e3:.0f} us in numpy, "
              f"{numba_ns:.0f} ns compiled, {lane_ns:.0f} ns per member side by side "
              f"({general_ns:.0f} ns with the general power, where the exponent eta is not "
              f"1 in every member; {plain_ns:.0f} ns without hoisting the member constants, "
              f"{constants} subexpressions holding {constant_ops:,} of the program's "
              f"{ops:,} operations, and {most:,} with every product's and sum's constant "
              f"arguments split off: hoisting can spare at most {most / ops:.1%} of an "
              "evaluation's operations); "
              f"the first touch of the largest ensemble's {touch_bytes / 1e6:.0f} MB of "
              f"outputs took {touch_seconds:.2f} s, paid by a process's first ensemble of "
              f"that size and not by those timed above)")
        if n <= args.diffrax_max:  # run last, so that JAX's threads disturb nothing else
            compared.append((n, model, params, kernel_rate, reference))
        k = args.accuracy_sample
        if k:
            _, truth = loop(model, params, k, t_out, 1e-13, 1e-15, method="DOP853")
            print(f"    (accuracy on {k} members against DOP853 at rtol 1e-13: loop "
                  f"{deviation(reference[:k], truth):.2e}, kernel "
                  f"{deviation(ours[:k], truth):.2e})")
    for n, model, params, kernel_rate, reference in compared:
        members = max(args.members)
        jax_run = diffrax_run(model, params, members, t_out, args.rtol, args.atol)
        if jax_run is None:
            break
        jax_rate, jax_ys, versions = jax_run
        print(f"{n:>3} {members:>8} {'diffrax':>10} {jax_rate:>11.1f} "
              f"{kernel_rate / jax_rate:>8.2f}  (JAX + diffrax on this CPU, {versions}; "
              f"ratio: the kernel's speed over diffrax's; largest deviation from the loop "
              f"{deviation(jax_ys[:args.loop_sample], reference):.2e})")


if __name__ == "__main__":
    with recording("ensemble", "--record" in sys.argv):
        main()
