"""A compiled per-member Dormand-Prince kernel for ensembles (numba, optional).

Each member is integrated with its own adaptive steps by the Dormand-Prince 5(4) pair
with the same tableau, error estimator, step-size control and 4th-order dense output as
scipy's ``RK45`` (the coefficients are read from scipy, so the two cannot differ); members
run in parallel threads (``numba.prange``, in chunks of members taken as threads free up).
The model's rate is the scalar ``rate_into`` that the code generator prints from the
symbolic model (:attr:`dynamics.codegen.compile.CompiledModel.scalar`): straight-line code
up to ten states, loops above (:mod:`dynamics.codegen.loopcode`, compiled with
``LOOP_FASTMATH``). Division follows
numpy's error model (inf or NaN, caught by the status checks) rather than raising
ZeroDivisionError, which also spares a branch per division.

Interventions (:mod:`dynamics.run.interventions`) run inside the kernel with each member's
own dates and sizes: a member is integrated segment by segment, each ending at its next
dated change or ramp's end, or where a triggered intervention's condition crosses zero
in a step (located by false position on the step's dense output, to the first point
where the condition holds); the change is applied and the next segment starts afresh
(a new initial step), as scipy's integration restarts. Ramped inputs are evaluated at
each stage's time. The interventions a member fires are logged (time and which).

An ensemble of ``LANE_MIN`` members or more without interventions, of a model with at
most ``LANE_MAX_VARIABLES`` variables, is integrated side by side
(:func:`dynamics.run.kernel.body.lanes`): a thread takes a task of members and keeps eight of
them (``LANES``) in the lanes of one rate evaluation, each lane with its own time, step
and step control, a lane taking the next member as soon as its own ends. The rate of
eight members is ``rate_lanes``, the same program printed for lanes
(:meth:`dynamics.codegen.program.Program.lanes`), a loop that LLVM turns into vector
instructions; the sums of the Dormand-Prince stages run over all lanes at once too. Each
lane does what the member-by-member integrator does, in the same order, so the numbers
are the same to the last bit (tested); only the speed differs (``benchmarks/ensemble.py``
prints both). Its rate costs a compilation of its own, which is why smaller ensembles run
member by member.

In the lanes' rate a power whose exponent is not a number, ``(N S_j)**eta``, is a call
of :func:`dynamics.run.kernel.maths.power`, which vectorises, where the C library's
``pow`` runs one lane at a time; the scalar rate keeps ``pow``, which is faster one
member at a time. The two are equal where the exponent is 0 or 1 (eta's default is 1),
and there members side by side get the same numbers to the last bit as one by one; for
other exponents the rates differ by a few units in the last place, and the trajectories
by no more than the solver's tolerance. Where an exponent is an input equal to 1 in every
member of a run (:func:`unit_exponents`), that run's lanes' rate has the base in place of
the power (x^1 is x exactly): a variant compiled once per machine.

Per member the kernel reports a status: 0 finished, 1 diverged (a variable exceeded the
bound), 2 suspected stiff (too many steps or a vanishing step), 3 non-finite values, 4 too
many interventions fired (a repeating condition that chatters), 5 finished by the
implicit method. Outputs after a member stops are NaN.

A member looks stiff when it exhausts its step budget, or, once it has taken
``PATIENCE`` steps, when Hairer's test finds 15 steps limited by stability rather than
accuracy (h |lambda| > 3.25, lambda estimated from the last two stages). Such a member,
if it has no interventions, is integrated again inside the compiled code by an implicit
method: Shampine's (1982) four-stage Rosenbrock method of order 4 with an embedded order-3
error estimate, whose Jacobian columns are exact directional derivatives of the rate
(``jvp_into``, forward mode over the generated program), its steps ending on the output
times. Its step budget is ``IMPLICIT_STEPS`` times the solver's. A member it cannot
finish either, or one with interventions, or one of a model on loop code (which has no
Jacobian-vector product), is left STIFF for the caller to re-run with scipy's Radau. The
Jacobian-vector product is generated and compiled only when the first
stiff member of a model shape appears, once per machine.

The integrators (:mod:`dynamics.run.kernel.body`) are compiled once per machine and kept in
numba's on-disk cache: the model's functions reach them as numba ``cfunc`` arguments,
typed by their signature alone. Each such function (the scalar rate, the lanes' rate, the
conditions of a plan's triggered interventions, the Jacobian-vector product) is a small
module (:func:`module_text`) kept in the compiled-code cache
(:func:`dynamics.codegen.cache.compiled_module`), its name a hash of its text (numba's and
numpy's versions included) so that a changed equation is never served stale: a new model
shape pays the compilation of its rate, a second process loads it
(``benchmarks/warm_start.py`` measures both).

numba is an optional dependency (``pip install 'balancing-dynamics[fast]'``);
:data:`AVAILABLE` says whether it is importable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse

from dynamics.codegen import cache
from dynamics.codegen.compile import CompiledModel
from dynamics.results.labelled import Status
from dynamics.run.interventions import Plan

__all__ = ["AVAILABLE", "FINISHED", "DIVERGED", "STIFF", "NONFINITE", "TOO_MANY", "IMPLICIT",
           "integrate_members", "with_compiled_rate", "LOGGED", "IMPLICIT_STEPS", "RATE", "JVP",
           "module_text", "unit_exponents", "lanes_rate", "OUTCOMES", "LOOP_FASTMATH",
           "one_blas_thread", "HOIST"]

#: explicit steps a member takes before the stiffness test may send it to the implicit
#: method (benchmarks/wide.py, 10,000 members drawn over the registry's ranges: 1,000
#: sent 2,743 members there and took 42 s; 300 sent 5,957 and took 47 s)
PATIENCE = 1000
#: the implicit method's step budget, in multiples of the solver's ``max_steps``
IMPLICIT_STEPS = 10
#: the interventions whose firing is recorded per member (more are counted, not logged)
LOGGED = 64
#: the conditions of a run without triggered interventions
NO_CONDITIONS = "def conditions(y, p, out):\n    pass\n"
#: numba signatures of the model's functions: ``rate_into(y, p, out)`` (and
#: ``conditions``), ``jvp_into(y, p, v, out)``, ``rate_lanes(b, m)``
RATE = "void(float64[::1], float64[::1], float64[::1])"
JVP = "void(float64[::1], float64[::1], float64[::1], float64[::1])"
LANE_RATE = "void(float64[::1], int64)"
#: the fewest members of a run without interventions integrated side by side in lanes
#: (:func:`dynamics.run.kernel.body.lanes`): the vectorised rate costs a compilation of its
#: own, about as long again as the scalar rate's, which a large ensemble repays
LANE_MIN = 1024
#: the most variables of a model integrated side by side (ten states with every
#: mechanism have 85): the lanes' rate compiles more slowly than the scalar rate (ten
#: states: about 20 s against 13 s), whose compilation alone takes 79 s at twenty states;
#: beyond ten states the lanes were not measured
LANE_MAX_VARIABLES = 100
#: the fast-math flags of loop code (:mod:`dynamics.codegen.loopcode`): ``reassoc`` lets
#: LLVM vectorise a sum by adding in another order (the common threat's sum over a third
#: state; docs/performance.md has the measurement), ``contract`` fuse a product and a sum;
#: none lets it assume finite values or drop a signed zero. The sums therefore differ from numpy's
#: pairwise sums by rounding only (tests/test_loopcode.py: 1e-10).
LOOP_FASTMATH = ("contract", "reassoc")
#: whether members side by side compute their constants once rather than at every
#: evaluation (:meth:`dynamics.codegen.program.Program.lanes`; ``benchmarks/ensemble.py``
#: measures both)
HOIST = True
#: members per task handed to a thread by the side-by-side integrator (a task's last
#: members leave lanes idle: about (LANES - 1) / 2 members' time per task)
_LANE_TASK = 128

try:
    import numba

    from dynamics.run.kernel import body as kernel_body
    from dynamics.run.kernel import maths as kernel_math
    from dynamics.run.kernel.body import DIVERGED, FINISHED, IMPLICIT, NONFINITE, STIFF, TOO_MANY

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only without numba
    numba = None  # type: ignore[assignment]
    AVAILABLE = False
#: members per task handed to a thread (dynamic scheduling)
_CHUNK = 16

#: what each of the kernel's integer codes means for a member: its
#: :class:`~dynamics.results.labelled.Status` and message (formatted with the solver's
#: ``divergence`` and the most interventions a member may fire, ``fired``), or None for
#: STIFF: a member the caller re-runs with scipy's Radau
OUTCOMES: dict[int, tuple[Status, str] | None] = {
    0: (Status.SUCCESS, ""),
    1: (Status.DIVERGED, "a variable exceeded {divergence:g} times the initial scale"),
    2: None,
    3: (Status.FAILED, "non-finite values"),
    4: (Status.FAILED, "more than {fired:,} interventions fired (a repeating condition "
                       "that chatters)"),
    5: (Status.SUCCESS, "suspected stiff: integrated by the kernel's implicit Rosenbrock "
                        "method"),
}


def _compiled(function: str, name: str, signature: str, loops: bool = False):
    """The numba cfunc of the function ``name`` whose generated source is ``function``: a
    module in the compiled-code cache (:func:`dynamics.codegen.cache.compiled_module`),
    so that numba compiles it once per machine, not once per process."""
    return cache.compiled_module(module_text(function, name, signature, loops)).compiled


def _rate(compiled: CompiledModel):
    """The cfunc of the model's scalar rate, ``rate_into``."""
    assert compiled.scalar is not None  # both paths have one
    return _compiled(compiled.scalar, "rate_into", RATE, compiled.path == "array")


def module_text(function: str, name: str, signature: str, loops: bool = False,
                parallel: bool = False, cfunc: bool = True) -> str:
    """The module of one compiled function: its text and the cfunc of it; the versions of numba
    and numpy are stamped in, so that a new version never loads an old compilation, and in
    the lanes' rate, which calls :func:`~dynamics.run.kernel.maths.power`, a digest of that
    module too (numba's cache of a module does not see a change to a function that it
    inlines).

    Parameters
    ----------
    function : str
        The function's generated source.
    name : str
        Its name.
    signature : str
        Its numba signature (:data:`RATE`, :data:`JVP`, ``LANE_RATE``).
    loops : bool
        The function is loop code (:mod:`dynamics.codegen.loopcode`): compiled with
        ``LOOP_FASTMATH``, so that its sums vectorise.
    parallel : bool
        Its ``prange`` loops run in parallel threads: the module has the jitted function
        only (a cfunc cannot start threads).
    cfunc : bool
        The module has the cfunc that the integrators call (False: the jitted function
        only, for a function called from Python alone, which then compiles once, not twice).

    Returns
    -------
    str
        The module's source.
    """
    lanes = name == "rate_lanes"
    options = "cache=True, error_model=\"numpy\"" + (
        f", fastmath={set(LOOP_FASTMATH)!r}" if loops else "")
    return "\n".join([
        f"# generated by dynamics.run.kernel.build for numba {numba.__version__}, numpy "
        f"{np.__version__}" + (f", dynamics.run.kernel.maths {_math_digest()}" if lanes
                               else "") + "; do not edit",
        "import numba", "import numpy",
        *(["from dynamics.run.kernel.maths import power"] if lanes else []), "",
        function, "",
        *([] if parallel or not cfunc else
          [f"compiled = numba.cfunc({signature!r}, {options})({name})"]),
        *([f"constants = numba.njit({options})(lane_constants)"]
          if "def lane_constants(" in function else []),
        f"jitted = numba.njit({options}{', parallel=True' if parallel else ''})({name})",
        ""])


@functools.cache
def _math_digest() -> str:
    """A digest of :mod:`dynamics.run.kernel.maths`'s text."""
    return hashlib.sha256(Path(kernel_math.__file__).read_bytes()).hexdigest()[:12]


def unit_exponents(compiled: CompiledModel, p: np.ndarray) -> frozenset[int]:
    """The inputs that are an exponent of a power in the rate and equal to 1 in every member:
    their powers are their bases in the lanes' rate (x^1 is x exactly).

    Parameters
    ----------
    compiled : CompiledModel
        The model on the unrolled path.
    p : ndarray
        The members' inputs (members by rows).

    Returns
    -------
    frozenset of int
        The input columns.
    """
    return frozenset(k for k in compiled.exponents if np.all(p[..., k] == 1.0))


def lanes_rate(compiled: CompiledModel, unit: frozenset[int] = frozenset(),
               hoist: bool = True) -> tuple[Any, Callable[[np.ndarray], np.ndarray]]:
    """The compiled rate of members side by side, ``rate_lanes(b, m)``, and the function that
    gives the members' inputs it reads.

    Parameters
    ----------
    compiled : CompiledModel
        The model on the unrolled path.
    unit : frozenset of int
        The exponent inputs whose powers are their bases (:func:`unit_exponents`).
    hoist : bool
        Compute each member's constants once, not at every evaluation
        (:meth:`dynamics.codegen.program.Program.lanes`); False is the baseline of
        ``benchmarks/ensemble.py``.

    Returns
    -------
    (numba cfunc, callable)
        The rate, and ``inputs(p)``: the members' inputs (members by rows) followed by
        their constants, as the rate reads them (``p`` itself without hoisting).
    """
    assert compiled.lanes_source is not None  # the kernel runs unrolled code
    source = compiled.lanes_source(kernel_body.LANES, unit, hoist)
    module = cache.compiled_module(module_text(source, "rate_lanes", LANE_RATE))
    if not hoist:
        return module.compiled, _array

    def inputs(p: np.ndarray) -> np.ndarray:
        wide = np.empty((p.shape[0], module.lane_inputs))
        module.constants(_array(p), wide)
        return wide

    return module.compiled, inputs


def with_compiled_rate(compiled: CompiledModel, diagonal: bool = False) -> CompiledModel:
    """The compiled model with its rate of one member compiled by numba: for scipy's re-runs
    of the members the kernel leaves to it (``Radau``), whose numpy rate costs far more per
    evaluation for one member (docs/performance.md), and for one run of many states, whose
    rate is the loop code with its outer loops in parallel threads (array path). Compiled on
    its first call, once per machine.

    Parameters
    ----------
    compiled : CompiledModel
        The model.
    diagonal : bool
        On the array path, its ``jacobian`` the diagonal of the Jacobian
        (:mod:`dynamics.codegen.diagonal`, compiled by numba) as a sparse matrix: for
        BDF's Newton iterations in one run of many states, where the whole Jacobian costs
        one evaluation of the array program per variable.

    Returns
    -------
    CompiledModel
        The same, its ``rate(t, y, p)`` the kernel's scalar rate.
    """
    if compiled.parallel_source is not None:
        text = module_text(compiled.parallel_source(), "rate_into", RATE, loops=True,
                           parallel=True)
    else:
        assert compiled.scalar is not None  # both paths have one
        text = module_text(compiled.scalar, "rate_into", RATE, loops=compiled.path == "array")
    jitted = cache.compiled_module(text).jitted
    n = compiled.n_variables

    def rate(t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        out = np.empty(n)
        jitted(_array(y), _array(p), out)
        return out

    if not diagonal or compiled.diagonal_source is None:
        return dataclasses.replace(compiled, rate=rate)
    # without the loops' fast-math flags: the diagonal takes the term of a sum where its
    # index meets the variable's own out of the sum and adds it back as it is, and
    # reassociated arithmetic could put a kink at exactly zero on one side in the one and on
    # the other in the other (5.5 ms against 3.3 ms at 190 states, once per Jacobian)
    along = cache.compiled_module(module_text(
        compiled.diagonal_source(), "diagonal_into", RATE,
        parallel=compiled.parallel_source is not None, cfunc=False)).jitted

    def jacobian(t: float, y: np.ndarray, p: np.ndarray) -> scipy.sparse.csc_array:
        out = np.empty(n)
        along(_array(y), _array(p), out)
        return scipy.sparse.diags_array(out, format="csc")

    return dataclasses.replace(compiled, rate=rate, jacobian=jacobian)


def one_blas_thread() -> contextlib.AbstractContextManager:
    """A context in which BLAS runs on one thread (threadpoolctl, where installed): around a
    run whose rate's loops run in numba's threads, for scipy's solvers call BLAS between
    evaluations, and BLAS's idle threads wait busily on the cores numba's need (at 190 states
    an evaluation took four times as long beside them: docs/performance.md)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with numba by the [fast] extra
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _array(values, dtype: type = float) -> np.ndarray:
    """``values`` as a C-contiguous, writable array of ``dtype``: numba types an argument by
    its layout and its read-only flag too, and each new type would compile the integrators
    again."""
    return np.require(values, dtype, ["C", "W"])


def integrate_members(compiled: CompiledModel, y0: np.ndarray, p: np.ndarray,
                      t_span: tuple[float, float], t_out: np.ndarray, *, rtol: float,
                      atol: float, bounds: np.ndarray, max_steps: int = 50_000,
                      plan: Plan | None = None, hoist: bool | None = None
                      ) -> tuple[np.ndarray, np.ndarray, list[Sequence[tuple[float, int]]]]:
    """Integrate every member by the compiled kernel (module docstring).

    Parameters
    ----------
    compiled : CompiledModel
        The model on the unrolled path.
    y0, p : ndarray
        Each member's start (M, n) and inputs (M, n_inputs).
    t_span : (float, float)
        Start and end.
    t_out : ndarray
        The output times.
    rtol, atol : float
        The tolerances.
    bounds : ndarray
        Each member's divergence bound.
    max_steps : int
        Each member's step budget.
    plan : Plan, optional
        The interventions.
    hoist : bool, optional
        Members side by side compute their constants once (:func:`lanes_rate`); by
        default :data:`HOIST`.

    Returns
    -------
    (ndarray, ndarray, list)
        The outputs (M, T, n) (NaN after a stop), each member's kernel code
        (:data:`OUTCOMES`), and per member the interventions it fired ``(time, index)`` (one
        shared empty tuple for each member that fired none: a list per member made the
        garbage collector sweep the whole heap: docs/performance.md).
    """
    if not AVAILABLE:  # pragma: no cover
        raise ImportError("the compiled kernel needs numba: pip install "
                          "'balancing-dynamics[fast]'")
    members = y0.shape[0]
    out = np.empty((members, t_out.size, y0.shape[1]))  # filled by the kernel
    status = np.zeros(members, dtype=np.int64)
    conditions = plan.conditions if plan is not None else NO_CONDITIONS

    def per_member(array: np.ndarray | None, columns: int) -> np.ndarray:
        if array is None:
            return np.zeros((members, columns))
        return _array(np.broadcast_to(array, (members, array.shape[1])))

    empty = np.zeros(0, dtype=np.int64)
    times = per_member(plan.times if plan else None, 0)
    ramps = per_member(plan.ramps if plan else None, 0)
    values = per_member(plan.values if plan else None, 0)
    rows = [_array(a, np.int64) for a in (
        (plan.repeat, plan.row_event, plan.row_target, plan.row_slot, plan.row_mode)
        if plan else (empty,) * 5)]
    log_t = np.zeros((members, LOGGED))
    log_e = np.zeros((members, LOGGED), dtype=np.int64)
    log_n = np.zeros(members, dtype=np.int64)
    # the loops of many states call BLAS in numba's threads
    with one_blas_thread() if compiled.path == "array" else contextlib.nullcontext():
        if (plan is None and members >= LANE_MIN and compiled.n_variables <= LANE_MAX_VARIABLES
                and compiled.lanes_source is not None):
            lane_rate, inputs = lanes_rate(compiled, unit_exponents(compiled, p),
                                           HOIST if hoist is None else hoist)
            with numba.parallel_chunksize(1):
                kernel_body.many_lanes(
                    lane_rate, _array(y0), inputs(p), float(t_span[0]), float(t_span[1]),
                    _array(t_out), float(rtol), float(atol), _array(bounds), int(max_steps),
                    min(int(max_steps), PATIENCE), out, status, _LANE_TASK)
        else:
            # Members differ in cost (a stiff or diverging one takes many more steps), so
            # threads take small chunks of members as they free up rather than one fixed half
            # each: on two cores this raised the throughput from 1.6 to 2.0 times that of one
            # thread.
            with numba.parallel_chunksize(_CHUNK):
                kernel_body.many(  # type: ignore[call-arg]  # (numba's typing of a dispatcher)
                    _rate(compiled), _compiled(conditions, "conditions", RATE),
                    _array(y0), _array(p), float(t_span[0]), float(t_span[1]), _array(t_out),
                    float(rtol), float(atol), _array(bounds), int(max_steps),
                    min(int(max_steps), PATIENCE), out, status,
                    times, ramps, *rows, values, log_t, log_e, log_n)
        stiff = np.flatnonzero(status == STIFF)
        if stiff.size and plan is None and compiled.jvp_source is not None:
            # integrated again, from the start, by the implicit method (its Jacobian-vector
            # product is generated and compiled only now, on the first stiff member of the shape)
            y_stiff = _array(np.broadcast_to(y0, (members, y0.shape[1]))[stiff])
            p_stiff = _array(np.broadcast_to(p, (members, p.shape[-1]))[stiff])
            again = np.empty((stiff.size, t_out.size, y0.shape[1]))
            codes = np.zeros(stiff.size, dtype=np.int64)
            with numba.parallel_chunksize(1):
                kernel_body.implicit_many(
                    _rate(compiled),
                    _compiled(compiled.jvp_source(), "jvp_into", JVP), y_stiff, p_stiff,
                    float(t_span[0]), float(t_span[1]), _array(t_out), float(rtol), float(atol),
                    _array(np.asarray(bounds)[stiff]), int(max_steps) * IMPLICIT_STEPS, again,
                    codes)
            out[stiff] = again
            status[stiff] = np.where(codes == FINISHED, IMPLICIT, codes)
    fired: list[Sequence[tuple[float, int]]] = [()] * members
    for i in np.flatnonzero(log_n).tolist():  # (a count past LOGGED logged LOGGED)
        k = min(int(log_n[i]), LOGGED)
        fired[i] = list(zip(log_t[i, :k].tolist(), log_e[i, :k].tolist(), strict=True))
    return out, status, fired
