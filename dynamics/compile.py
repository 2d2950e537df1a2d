"""Compilation of a symbolic Model into numpy functions for its rate, Jacobian and threat.

The generated functions take ``(t, y, p)`` where ``y`` has shape ``(..., n_variables)`` and
``p`` has shape ``(..., n_inputs)`` (the model's parameter slots followed by its held
variables); leading axes broadcast, so one call evaluates a whole ensemble. Common
subexpressions are eliminated by sympy before the code is printed.

Compiled code depends only on the number of states and the mechanisms, so it is cached
in memory per (N, mechanisms) and reused by every model of that shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
        return f"numpy.heaviside({self._print(expr.args[0])}, 0.5)"


@dataclass(frozen=True)
class CompiledModel:
    """Numeric functions of one model shape.

    Attributes
    ----------
    rate : f(t, y, p) -> dy/dt, shape ``(..., n_variables)``.
    jacobian : f(t, y, p) -> d(rate)/dy, shape ``(..., n_variables, n_variables)``.
    threat : f(t, y, p) -> total actual threat sum_j T_ij, shape ``(..., N)``.
    share : f(t, y, p) -> power shares S_i, shape ``(..., N)``.
    source : the generated Python source, for inspection.
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


@functools.lru_cache(maxsize=32)
def _compile(n_states: int, mechanisms: frozenset[str]) -> CompiledModel:
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
    ]
    source = "\n\n".join(sources)
    namespace: dict = {"numpy": np}
    exec(compile(source, f"<dynamics N={n_states}>", "exec"), namespace)  # noqa: S102
    return CompiledModel(n, len(p), namespace["rate"], namespace["jacobian"],
                         namespace["threat"], namespace["share"], source)


def _function(name: str, exprs: Sequence[sp.Expr], targets: Sequence[str], tail: str,
              local_y: Sequence[sp.Symbol], local_p: Sequence[sp.Symbol],
              zeros: bool = False) -> str:
    """Source of ``def name(t, y, p)`` assigning each expression to its target slot."""
    printer = _Printer({"fully_qualified_modules": True, "inline": True})
    common, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("x"), order="none")
    used = set().union(*(e.free_symbols for e in reduced), *(e.free_symbols for _, e in common))
    lines = [f"def {name}(t, y, p):"]
    lines += [f"    {s} = y[..., {k}]" for k, s in enumerate(local_y) if s in used]
    lines += [f"    {s} = p[..., {k}]" for k, s in enumerate(local_p) if s in used]
    lines += [f"    {s} = {printer.doprint(e)}" for s, e in common]
    alloc = "numpy.zeros" if zeros else "numpy.empty"
    lines.append(f"    out = {alloc}(numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1]) + {tail})")
    lines += [f"    {target} = {printer.doprint(e)}" for target, e in zip(targets, reduced,
                                                                            strict=True)]
    lines.append("    return out")
    return "\n".join(lines)
