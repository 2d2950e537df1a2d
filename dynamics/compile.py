"""Compilation of a symbolic Model into numpy functions for its rate, Jacobian and threat.

The generated functions take ``(t, y, p)`` where ``y`` has shape ``(..., n_variables)`` and
``p`` has shape ``(..., n_inputs)`` (the model's parameter slots followed by its held
variables); leading axes broadcast, so one call evaluates a whole ensemble. Common
subexpressions are eliminated by sympy before the code is printed.

Compiled code depends only on the number of states and the mechanisms, so it is cached
in memory per (N, mechanisms) and reused by every model of that shape. The generated
source is also cached on disk (``$BALANCING_CACHE_DIR``, default
``~/.cache/balancing-dynamics``), keyed by N, the mechanisms, sympy's version and a hash
of the model's own source files, so a new process skips the symbolic work and any change
to the equations invalidates the cache. Set ``BALANCING_CACHE_DIR=""`` to disable it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from dynamics.model.equations import EPSILON, GUARD
from dynamics.model.model import Model

__all__ = ["CompiledModel", "compile_model"]

Function = Callable[[float, np.ndarray, np.ndarray], np.ndarray]


class _Printer(NumPyPrinter):
    """NumPy printer whose max, min and step broadcast over ensemble axes."""

    def _print_Max(self, expr):
        args = [self._print(a) for a in expr.args]
        return functools.reduce(lambda a, b: f"numpy.maximum({a}, {b})", args)

    def _print_Min(self, expr):
        args = [self._print(a) for a in expr.args]
        return functools.reduce(lambda a, b: f"numpy.minimum({a}, {b})", args)

    def _print_Heaviside(self, expr):
        # The derivative of [x]+ at x = 0 is taken from the right (H(0) = 1): the side on
        # which the quantity grows from zero, as the drive to arm at a disarmed
        # equilibrium does. With H(0) = 1/2 the linearisation there would be halved.
        return f"numpy.heaviside({self._print(expr.args[0])}, 1.0)"


@dataclass(frozen=True)
class CompiledModel:
    """Numeric functions of one model shape.

    Attributes
    ----------
    rate : f(t, y, p) -> dy/dt, shape ``(..., n_variables)``.
    jacobian : f(t, y, p) -> d(rate)/dy, shape ``(..., n_variables, n_variables)``.
    threat : f(t, y, p) -> total actual threat sum_j T_ij, shape ``(..., N)``.
    share : f(t, y, p) -> power shares S_i, shape ``(..., N)``.
    source : the generated Python source, for inspection; it also defines
        ``rate_into(y, p, out)``, the rate of one member as scalar code, which
        :mod:`dynamics.kernel` compiles with numba.
    """

    n_variables: int
    n_inputs: int
    rate: Function
    jacobian: Function
    threat: Function
    share: Function
    source: str


def compile_model(model: Model) -> CompiledModel:
    """Compile ``model`` (cached per number of states and mechanisms)."""
    return _compile(model.N, model.mechanisms)


def _cache_file(n_states: int, mechanisms: frozenset[str]) -> Path | None:
    folder = os.environ.get("BALANCING_CACHE_DIR",
                            str(Path.home() / ".cache" / "balancing-dynamics"))
    if not folder:
        return None
    digest = hashlib.sha256(sp.__version__.encode())
    package = Path(__file__).resolve().parent
    for name in ("compile.py", "model/equations.py", "model/contexts.py", "model/model.py",
                 "model/parameters.py", "model/mechanisms.py"):
        digest.update((package / name).read_bytes())
    digest.update(repr((n_states, sorted(mechanisms))).encode())
    return Path(folder) / f"model-{digest.hexdigest()[:24]}.py"


def _load(source: str, n_states: int) -> dict:
    namespace: dict = {"numpy": np}
    exec(compile(source, f"<dynamics N={n_states}>", "exec"), namespace)  # noqa: S102
    return namespace


def _store(path: Path, source: str) -> None:
    """Write atomically; a cache that cannot be written is skipped, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False,
                                         suffix=".tmp") as handle:
            handle.write(source)
        os.replace(handle.name, path)
    except OSError:
        pass


@functools.lru_cache(maxsize=32)
def _compile(n_states: int, mechanisms: frozenset[str]) -> CompiledModel:
    path = _cache_file(n_states, mechanisms)
    if path is not None and path.is_file():
        source = path.read_text()
        namespace = _load(source, n_states)
        return CompiledModel(namespace["n_variables"], namespace["n_inputs"],
                             namespace["rate"], namespace["jacobian"], namespace["threat"],
                             namespace["share"], source)
    source = _generate(n_states, mechanisms)
    if path is not None:
        _store(path, source)
    namespace = _load(source, n_states)
    return CompiledModel(namespace["n_variables"], namespace["n_inputs"], namespace["rate"],
                         namespace["jacobian"], namespace["threat"], namespace["share"],
                         source)


def _generate(n_states: int, mechanisms: frozenset[str]) -> str:
    """Source of the four functions of one model shape, from the symbolic model."""
    # State names do not enter the code: build a model with placeholder names.
    model = Model([f"S{i}" for i in range(n_states)], mechanisms)
    y = [s.symbol for s in model.variables]
    p = [s.symbol for s in model.parameters] + [s.symbol for s in model.held]
    local_y = sp.symbols(f"y0:{len(y)}", real=True)
    local_p = sp.symbols(f"p0:{len(p)}", real=True)
    rename = dict(zip(y, local_y, strict=True)) | dict(zip(p, local_p, strict=True))
    rename[EPSILON] = sp.Float(GUARD)

    rates = [r.xreplace(rename) for r in model.rates]
    jac = sp.Matrix(rates).jacobian(local_y)
    threat = [r.xreplace(rename) for r in model.threat]
    share = [r.xreplace(rename) for r in model.share]
    n = len(y)
    entries = [(a, b) for a in range(n) for b in range(n) if jac[a, b] != 0]
    sources = [
        _function("rate", rates, [f"out[..., {a}]" for a in range(n)], f"({n},)", local_y,
                  local_p),
        _function("jacobian", [jac[a, b] for a, b in entries],
                  [f"out[..., {a}, {b}]" for a, b in entries], f"({n}, {n})", local_y,
                  local_p, zeros=True),
        _function("threat", threat, [f"out[..., {a}]" for a in range(n_states)],
                  f"({n_states},)", local_y, local_p),
        _function("share", share, [f"out[..., {a}]" for a in range(n_states)],
                  f"({n_states},)", local_y, local_p),
        _scalar_function("rate_into", rates, local_y, local_p),
    ]
    header = f"n_variables = {n}\nn_inputs = {len(p)}\n\n"
    return header + "\n\n".join(sources) + "\n"


def _preamble(exprs: Sequence[sp.Expr], local_y: Sequence[sp.Symbol],
              local_p: Sequence[sp.Symbol], index: str) -> tuple[list[str], list[str]]:
    """Lines that unpack the inputs used and compute the common subexpressions, and the
    printed reduced expressions; ``index`` is ``"{k}"`` (one member) or ``"..., {k}"``."""
    printer = _Printer({"fully_qualified_modules": True, "inline": True})
    common, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("x"), order="none")
    used = set().union(*(e.free_symbols for e in reduced), *(e.free_symbols for _, e in common))
    lines = [f"    {s} = y[{index.format(k=k)}]" for k, s in enumerate(local_y) if s in used]
    lines += [f"    {s} = p[{index.format(k=k)}]" for k, s in enumerate(local_p) if s in used]
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in common]
    return lines, [printer.doprint(e) for e in reduced]


def _scalar_function(name: str, exprs: Sequence[sp.Expr], local_y: Sequence[sp.Symbol],
                     local_p: Sequence[sp.Symbol]) -> str:
    """Source of ``def name(y, p, out)`` for one member (1-d y and p), writing into ``out``.

    Plain scalar arithmetic and numpy ufuncs only, so that numba can compile it
    (:mod:`dynamics.kernel`); it is the same CSE'd expression as ``rate``.
    """
    lines, reduced = _preamble(exprs, local_y, local_p, "{k}")
    body = [f"    out[{k}] = {e}" for k, e in enumerate(reduced)]
    return "\n".join([f"def {name}(y, p, out):", *lines, *body])


def _function(name: str, exprs: Sequence[sp.Expr], targets: Sequence[str], tail: str,
              local_y: Sequence[sp.Symbol], local_p: Sequence[sp.Symbol],
              zeros: bool = False) -> str:
    """Source of ``def name(t, y, p)`` assigning each expression to its target slot."""
    preamble, reduced = _preamble(exprs, local_y, local_p, "..., {k}")
    lines = [f"def {name}(t, y, p):", *preamble]
    alloc = "numpy.zeros" if zeros else "numpy.empty"
    lines.append(f"    out = {alloc}(numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1]) + {tail})")
    lines += [f"    {target} = {e}" for target, e in zip(targets, reduced, strict=True)]
    lines.append("    return out")
    return "\n".join(lines)
