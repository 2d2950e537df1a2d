"""Array code for many states: the model's one definition compiled to numpy reductions.

The unrolled code of :mod:`dynamics.codegen.compile` writes every state's equation out in full:
ideal for small N, but its size grows as N^3 with alliances on (the common threat sums
over a third state), and so does the time to generate it (two minutes at N = 20, nothing
in ten minutes at 50). Here the same terms are read in the
:class:`~dynamics.model.contexts.Array` context instead: every index is an array axis, every
sum a reduction over its own axis, every derived quantity computed once as an array over
its own axes. The generated
program does not grow with N (the same few dozen numpy operations at N = 5 or 190), so it
is built in a fraction of a second; its cost per evaluation grows with the arrays.

The Jacobian is exact: complex-step differentiation of the same program (its
directional derivatives ``rate(y + i h v).imag / h`` carry no truncation or cancellation
error for a step h of 1e-30), with a kink's derivative taken from the right as the
unrolled Jacobian takes it ([x]+ has slope 1 at x = 0, |x| slope 0). ``jvp`` gives one
direction; ``jacobian`` all of them, in chunks that bound the memory. The sparsity
pattern is that of a relaxed program in which every max and absolute value passes all of
its arguments through, evaluated at a random point: an entry is structurally non-zero
where the relaxed derivative is.

Every operation must be analytic in y off its kinks for the complex step to be exact
(sums, products, quotients, powers of positive bases, exponentials; [x]+ and |x| are
printed to branch on the real part). A mechanism using another non-analytic function
(``sympy.floor``, ``sympy.sign``) is refused with its name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from dynamics.codegen.printers import ArrayPrinter
from dynamics.model.contexts import Array, Leaf, Total
from dynamics.model.parts import Derived, Parameter, Variable

__all__ = ["ArrayProgram", "array_program", "array_source", "STEP", "CHUNK_ELEMENTS"]

#: the imaginary step of the complex-step derivative
STEP = 1e-30
#: directions of the Jacobian are evaluated in chunks of about this many array elements
#: (directions times the largest array of the program), to bound memory
CHUNK_ELEMENTS = 4_000_000

_ANALYTIC = (sp.Add, sp.Mul, sp.Pow, sp.Max, sp.Abs, sp.exp, sp.log, sp.tanh, sp.sinh,
             sp.cosh, sp.sin, sp.cos, Total)


@dataclass(frozen=True)
class Family:
    """One variable or parameter laid out in y or p: ``start`` and ``count`` slots."""

    part: Variable | Parameter
    source: str  # "y" or "p"
    start: int
    count: int


def layout(model) -> list[Family]:
    """The families of the model's slots in ``y`` (variables) and ``p`` (parameters, then
    held variables), each contiguous, as the model packs them."""
    families: list[Family] = []
    for source, slots, lookup in (("y", model.variables, model.variable),
                                  ("p", model.parameters, model.parameter_specs.get),
                                  ("p", model.held, model.variable)):
        offset = 0 if source == "y" or slots is model.parameters else len(model.parameters)
        for k, slot in enumerate(slots):
            part = lookup(slot.name)
            if families and families[-1].part is part and families[-1].source == source:
                last = families[-1]
                families[-1] = Family(part, source, last.start, last.count + 1)
            else:
                families.append(Family(part, source, offset + k, 1))
    return families


def _axes(expr: sp.Expr, leaves: dict[sp.Symbol, Leaf]) -> set[int]:
    found = {int(node.args[1]) for node in expr.atoms(Total)}
    for symbol in expr.free_symbols:
        if symbol in leaves:
            found.update(leaves[symbol].axes)
    return found


def _check(expr: sp.Expr, where: str) -> None:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Function | sp.Pow | sp.Add | sp.Mul) and not isinstance(
                node, _ANALYTIC):
            raise ValueError(f"{where} uses {type(node).__name__}, which the array code "
                             "cannot differentiate by complex step; write it with "
                             "dynamics.model.parts.positive or sympy.Abs")


class _Writer:
    """Emits the statements of the program's functions."""

    def __init__(self, ctx: Array, families: list[Family], relaxed: bool):
        self.ctx, self.relaxed = ctx, relaxed
        self.family = {f.part: f for f in families}
        self.array: dict[Variable | Parameter | Derived, str] = {
            f.part: f"{'v' if isinstance(f.part, Variable) else 'q'}{k}"
            for k, f in enumerate(families)}
        for k, quantity in enumerate(ctx.definitions):
            self.array[quantity] = f"d{k}"

    def unpack(self, parts: Sequence) -> list[str]:
        lines = []
        for part in parts:
            f = self.family[part]
            values = f"{f.source}[..., {f.start}:{f.start + f.count}]"
            if isinstance(part, Parameter):
                if part.kind == "scalar":
                    values = f"{f.source}[..., {f.start}]"
                elif part.kind == "pair":
                    values = f"_off_diagonal({values})"
            elif part.pair:
                values = f"_symmetric({values})"
            lines.append(f"    {self.array[part]} = {values}  # {part.name}")
        return lines

    def body(self, target: str, expr: sp.Expr, free: tuple[int, ...]) -> list[str]:
        """Lines computing ``target`` = ``expr`` as an array over the axes ``free``."""
        leaves = self.ctx.leaves
        rest = sorted(_axes(expr, leaves) - set(free))
        local = [*free, *rest]
        positions = {axis: k for k, axis in enumerate(local)}
        names: dict[sp.Symbol, str] = {}
        lines: list[str] = []
        for symbol in sorted(expr.free_symbols & leaves.keys(), key=lambda s: s.name):
            leaf = leaves[symbol]
            name = f"a{len(names)}"
            names[symbol] = name
            where = tuple(positions[a] for a in leaf.axes)
            lines.append(f"    {name} = _place({self.array[leaf.part]}, {where}, "
                         f"{len(local)})")
        names[self.ctx.N] = "N"
        printer = ArrayPrinter(names, positions, len(local), self.relaxed)
        common, (reduced,) = sp.cse([expr], symbols=sp.numbered_symbols("x", real=True),
                                    order="none")
        for symbol, sub in common:
            names[symbol] = symbol.name
            lines.append(f"    {symbol} = {printer.doprint(sub)}")
        lines.append(f"    {target} = _final({printer.doprint(reduced)}, {len(free)}, "
                     f"{len(local)}, N)")
        return lines

    def needed(self, exprs: Sequence[sp.Expr]) -> tuple[list, list[Derived]]:
        """The variables and parameters read (directly or through derived quantities) and
        the derived quantities needed, in definition order."""
        parts: dict = {}
        derived: set[Derived] = set()
        pending = list(exprs)
        while pending:
            expr = pending.pop()
            for symbol in expr.free_symbols:
                leaf = self.ctx.leaves.get(symbol)
                if leaf is None:
                    continue
                if isinstance(leaf.part, Derived):
                    if leaf.part not in derived:
                        derived.add(leaf.part)
                        pending.append(self.ctx.definitions[leaf.part][1])
                else:
                    parts[leaf.part] = None
        order = [f.part for f in self.family.values() if f.part in parts]
        return order, [q for q in self.ctx.definitions if q in derived]

    def function(self, name: str, exprs: Sequence[tuple[sp.Expr, tuple[int, ...]]],
                 tail: list[str]) -> str:
        parts, derived = self.needed([e for e, _ in exprs])
        lines = [f"def {name}(t, y, p):", *self.unpack(parts)]
        for quantity in derived:
            axes, body = self.ctx.definitions[quantity]
            lines.append(f"    # {quantity.name}")
            lines += self.body(self.array[quantity], body, axes)
        for k, (expr, axes) in enumerate(exprs):
            lines += self.body(f"r{k}", expr, axes)
        return "\n".join(lines + tail)


_HELPERS = '''
import numpy

N = {N}
_UPPER = numpy.triu_indices(N, 1)
_OFF = numpy.nonzero(~numpy.eye(N, dtype=bool))
_DIAGONAL = numpy.arange(N)


def _place(x, where, size):
    """x's trailing len(where) axes at positions ``where`` of ``size`` local axes."""
    x = numpy.asarray(x)
    own = len(where)
    if own == 2 and where[0] == where[1]:
        x, where, own = numpy.diagonal(x, axis1=-2, axis2=-1), where[:1], 1
    if own == 2 and where[0] > where[1]:
        x, where = numpy.swapaxes(x, -1, -2), where[::-1]
    shape = [1] * size
    for k, position in enumerate(where):
        shape[position] = x.shape[x.ndim - own + k]
    return x.reshape(x.shape[:x.ndim - own] + tuple(shape))


def _total(x, axis, size, count):
    x = numpy.asarray(x)
    if x.ndim < size or x.shape[x.ndim - size + axis] == 1:
        return x * count
    return x.sum(axis=x.ndim - size + axis, keepdims=True)


def _final(x, free, size, count):
    x = numpy.asarray(x)
    if x.ndim < size:
        x = x.reshape((1,) * size)
    batch = x.shape[:x.ndim - size]
    x = x.reshape(batch + x.shape[x.ndim - size:x.ndim - size + free])
    return numpy.broadcast_to(x, batch + (count,) * free)


def _max(a, b):
    return numpy.where(numpy.real(a) >= numpy.real(b), a, b)


def _abs(x):
    return x * numpy.sign(numpy.real(x))


def _symmetric(values):
    out = numpy.empty(values.shape[:-1] + (N, N), dtype=values.dtype)
    out[..., _UPPER[0], _UPPER[1]] = values
    out[..., _UPPER[1], _UPPER[0]] = values
    out[..., _DIAGONAL, _DIAGONAL] = 1.0
    return out


def _off_diagonal(values):
    out = numpy.zeros(values.shape[:-1] + (N, N), dtype=values.dtype)
    out[..., _OFF[0], _OFF[1]] = values
    return out


def _output(shape, dtype, n):
    return numpy.empty(shape + (n,), dtype=dtype)
'''


def array_source(model, relaxed: bool = False) -> str:
    """The source of a model's array program: ``rate(t, y, p)`` and ``output_<k>(t, y, p)``
    over any leading (ensemble) axes.

    Parameters
    ----------
    model : Model
        The model.
    relaxed : bool
        Pass every max and absolute value's arguments through (for the sparsity pattern).

    Returns
    -------
    str
        The source.
    """
    ctx = model.array_context
    families = layout(model)
    writer = _Writer(ctx, families, relaxed)
    rates = []
    for variable in model.dynamic:
        axes, expr = model.array_rates[variable]
        _check(expr, f"the rate of {variable.name}")
        rates.append((variable, axes, expr))
    for quantity, (_, body) in ctx.definitions.items():
        _check(body, f"derived quantity {quantity.name}")
    n = len(model.variables)
    tail = ["    shape = numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1])",
            f"    out = _output(shape, numpy.result_type(y, p), {n})"]
    for k, (variable, _, _) in enumerate(rates):
        f = writer.family[variable]
        value = f"r{k}[..., _UPPER[0], _UPPER[1]]" if variable.pair else f"r{k}"
        tail.append(f"    out[..., {f.start}:{f.start + f.count}] = {value}")
    tail.append("    return out")
    sources = [_HELPERS.format(N=model.N),
               writer.function("rate", [(e, a) for _, a, e in rates], tail)]
    for k, (name, (axes, expr)) in enumerate(model.array_outputs.items()):
        sources.append(f"# {name}\n" + writer.function(
            f"output_{k}", [(expr, axes)],
            ["    shape = numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1])",
             f"    return numpy.broadcast_to(r0, shape + ({model.N},)).copy()"]))
    return "\n\n".join(sources) + "\n"


@dataclass
class ArrayProgram:
    """The compiled array program of one model shape.

    Attributes
    ----------
    rate : f(t, y, p) -> dy/dt over leading axes.
    outputs : reported quantity -> f(t, y, p), shape ``(..., N)``.
    source : the generated source.
    n_variables, size : the number of variables, and of elements of the program's largest
        array for one member (N^k for a sum over k axes), which sets the Jacobian's chunks.
    relaxed : the relaxed rate (see the module docstring).
    inputs : the number of inputs (parameter slots and held variables).
    """

    rate: Callable
    outputs: dict[str, Callable]
    source: str
    n_variables: int
    size: int
    relaxed: Callable
    inputs: int
    _pattern: np.ndarray | None = field(default=None, repr=False)

    def jvp(self, t: float, y: np.ndarray, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The exact directional derivative d(rate)/dy . v (complex step)."""
        y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
        return self.rate(t, y + 1j * STEP * v, np.asarray(p, dtype=float)).imag / STEP

    def jacobian(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """d(rate)/dy, shape ``(..., n, n)``: one exact directional derivative per
        variable, evaluated in chunks of directions."""
        return _jacobian(self.rate, t, y, p, self.n_variables, self.size)

    def sparsity(self, p: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
        """Boolean (n, n) structural pattern of the Jacobian (see the module docstring):
        the relaxed program's derivative at a random point is non-zero. ``p``: the
        inputs (random in [0.5, 1.5] where not given)."""
        if self._pattern is None or p is not None:
            rng = np.random.default_rng(seed)
            y = rng.uniform(0.2, 0.8, self.n_variables)
            inputs = rng.uniform(0.5, 1.5, self.inputs) if p is None else np.asarray(p)
            pattern = _jacobian(self.relaxed, 0.0, y, inputs, self.n_variables,
                                self.size) != 0
            if p is not None:
                return pattern
            self._pattern = pattern
        return self._pattern


def _jacobian(rate: Callable, t: float, y, p, n: int, size: int) -> np.ndarray:
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    batch = np.broadcast_shapes(y.shape[:-1], p.shape[:-1])
    members = math.prod(batch) or 1
    chunk = max(1, min(n, CHUNK_ELEMENTS // max(1, size * members)))
    out = np.empty(batch + (n, n))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        seeds = np.zeros((stop - start, n), dtype=complex)
        seeds[np.arange(stop - start), np.arange(start, stop)] = 1j * STEP
        values = rate(t, y[..., None, :] + seeds, p[..., None, :]).imag / STEP
        out[..., :, start:stop] = np.swapaxes(values, -1, -2)
    return out


def _live(expr: sp.Expr, leaves: dict[sp.Symbol, Leaf], widest: list[int]) -> set[int]:
    """Axes along which ``expr`` varies (its leaves' axes less those summed inside it);
    ``widest[0]`` keeps the most axes any subexpression varies along."""
    if isinstance(expr, sp.Symbol):
        found = set(leaves[expr].axes) if expr in leaves else set()
    elif isinstance(expr, Total):
        found = _live(expr.args[0], leaves, widest) - {int(expr.args[1])}
    else:
        found = set().union(*(_live(a, leaves, widest) for a in expr.args))
    widest[0] = max(widest[0], len(found))
    return found


def _largest(ctx: Array, model) -> int:
    """Elements of the largest array the program makes for one member: N to the most
    axes a subexpression varies along (3 for the common threat's sum over a third state)."""
    widest = [1]
    for _, body in ctx.definitions.values():
        _live(body, ctx.leaves, widest)
    for _, expr in model.array_rates.values():
        _live(expr, ctx.leaves, widest)
    return model.N ** widest[0]


def _load(source: str, n: int) -> dict:
    namespace: dict = {}
    exec(compile(source, f"<dynamics array N={n}>", "exec"), namespace)  # noqa: S102
    return namespace


def array_program(model) -> ArrayProgram:
    """Compile a model's array program (see the module docstring).

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    ArrayProgram
        Its rate, exact Jacobian, sparsity and reported quantities.
    """
    source = array_source(model)
    exact = _load(source, model.N)
    relaxed = _load(array_source(model, relaxed=True), model.N)
    outputs = {name: exact[f"output_{k}"] for k, name in enumerate(model.array_outputs)}
    return ArrayProgram(exact["rate"], outputs, source, len(model.variables),
                        _largest(model.array_context, model), relaxed["rate"],
                        len(model.parameters) + len(model.held))
