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
    """Source of the functions of one model shape, from the symbolic model."""
    # State names do not enter the code: build a model with placeholder names.
    model = Model([f"S{i}" for i in range(n_states)], mechanisms)
    y = [s.symbol for s in model.variables]
    p = [s.symbol for s in model.parameters] + [s.symbol for s in model.held]
    names = {s: f"y{k}" for k, s in enumerate(y)} | {s: f"p{k}" for k, s in enumerate(p)}
    code = _Code(names, y, p)
    n = len(y)
    sources = [
        code.function("rate", model.rates, f"({n},)"),
        code.jacobian(model.rates),
        code.function("threat", model.threat, f"({n_states},)"),
        code.function("share", model.share, f"({n_states},)"),
        code.scalar("rate_into", model.rates),
    ]
    header = f"n_variables = {n}\nn_inputs = {len(p)}\n\n"
    return header + "\n\n".join(sources) + "\n"


class _Code:
    """Printer of straight-line code over the model's inputs.

    The model's symbols are printed as ``y<k>`` (variables) and ``p<k>`` (inputs) by name
    rather than substituted into the expressions: rebuilding the expressions re-runs
    sympy's evaluation of every Max, which took minutes for ten states.
    """

    def __init__(self, names: dict[sp.Symbol, str], y: Sequence[sp.Symbol],
                 p: Sequence[sp.Symbol]):
        self.names, self.y, self.p = names, list(y), list(p)
        self.printer = _Printer({"fully_qualified_modules": True, "inline": True})
        known = dict(names) | {EPSILON: repr(GUARD)}
        self.printer._print_Symbol = lambda s: known.get(s, s.name)

    def print(self, expr: sp.Expr) -> str:
        return self.printer.doprint(expr)

    def cse(self, exprs: Sequence[sp.Expr]) -> tuple[list[tuple[sp.Symbol, sp.Expr]],
                                                     list[sp.Expr]]:
        return sp.cse(list(exprs), symbols=sp.numbered_symbols("x", real=True),
                      order="none")

    def preamble(self, common, reduced, index: str) -> list[str]:
        """Lines unpacking the inputs used and computing the common subexpressions;
        ``index`` is ``"{k}"`` (one member) or ``"..., {k}"`` (broadcast)."""
        used = set().union(*(e.free_symbols for e in reduced),
                           *(e.free_symbols for _, e in common))
        lines = [f"    y{k} = y[{index.format(k=k)}]" for k, s in enumerate(self.y)
                 if s in used]
        lines += [f"    p{k} = p[{index.format(k=k)}]" for k, s in enumerate(self.p)
                  if s in used]
        return lines + [f"    {s} = {self.print(e)}" for s, e in common]

    def scalar(self, name: str, exprs: Sequence[sp.Expr]) -> str:
        """``def name(y, p, out)`` for one member (1-d y and p), writing into ``out``.

        Plain scalar arithmetic and numpy ufuncs only, so that numba can compile it
        (:mod:`dynamics.kernel`); it is the same CSE'd expression as ``rate``.
        """
        common, reduced = self.cse(exprs)
        body = [f"    out[{k}] = {self.print(e)}" for k, e in enumerate(reduced)]
        return "\n".join([f"def {name}(y, p, out):",
                          *self.preamble(common, reduced, "{k}"), *body])

    def function(self, name: str, exprs: Sequence[sp.Expr], tail: str) -> str:
        """``def name(t, y, p)`` returning the expressions stacked on a last axis."""
        common, reduced = self.cse(exprs)
        lines = [f"def {name}(t, y, p):", *self.preamble(common, reduced, "..., {k}"),
                 f"    out = numpy.empty(numpy.broadcast_shapes(y.shape[:-1], "
                 f"p.shape[:-1]) + {tail})"]
        lines += [f"    out[..., {k}] = {self.print(e)}" for k, e in enumerate(reduced)]
        lines.append("    return out")
        return "\n".join(lines)

    def jacobian(self, exprs: Sequence[sp.Expr]) -> str:
        """``def jacobian(t, y, p)``: d(exprs)/dy by forward-mode differentiation of the
        CSE'd program.

        Each common subexpression ``x = f(...)`` that depends on the variables gets a
        tangent ``dx`` (shape ``(..., n)``, its gradient) from the chain rule over f's own
        arguments, so only small expressions are differentiated and the code grows with
        the program, not with the expanded Jacobian (whose symbolic form for ten states
        had not finished in 30 minutes). A kink's derivative is taken from the right,
        as the printer's Heaviside says.
        """
        common, reduced = self.cse(exprs)
        position = {s: k for k, s in enumerate(self.y)}
        tangent: set[sp.Symbol] = set()
        lines = ["def jacobian(t, y, p):", *self.preamble(common, reduced, "..., {k}"),
                 "    shape = numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1])",
                 f"    out = numpy.zeros(shape + ({len(self.y)}, {len(self.y)}))"]

        def gradient(target: str, expr: sp.Expr) -> list[str]:
            chain, direct = [], []
            for u in sorted(expr.free_symbols, key=sp.default_sort_key):
                if u in position or u in tangent:
                    derivative = expr.diff(u)
                    if derivative != 0:
                        (direct if u in position else chain).append((u, derivative))
            if not chain and not direct:
                return []
            # chain terms make a new array (never an alias of another tangent), to which
            # the direct partials are added in place
            terms = [f"{float(d)!r} * d{u}" if d.is_number else
                     f"({self.print(d)})[..., None] * d{u}" for u, d in chain]
            first = " + ".join(terms) if terms else f"numpy.zeros(shape + ({len(self.y)},))"
            return [f"    {target} = {first}",
                    *(f"    {target}[..., {position[u]}] += {self.print(d)}"
                      for u, d in direct)]

        for symbol, expr in common:
            body = gradient(f"d{symbol}", expr)
            if body:
                tangent.add(symbol)
                lines += body
        for k, expr in enumerate(reduced):
            body = gradient("row", expr)
            if body:
                lines += body + [f"    out[..., {k}, :] = row"]
        lines.append("    return out")
        return "\n".join(lines)
