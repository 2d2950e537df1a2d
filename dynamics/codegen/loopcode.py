"""Loop code for many states: the array program printed as explicit loops for numba.

The array program (:mod:`dynamics.codegen.arraycode`) evaluates each derived quantity as a
numpy array over its axes and each sum as a reduction; at 190 states the common threat's
sum over a third state makes arrays of N^3 = 6.9 million elements, and the temporaries of
numpy's element-wise operations cost most of an evaluation (docs/performance.md).
Here the same definitions (the model's :class:`~dynamics.model.contexts.Array` context)
are printed as nested loops instead, one loop per axis, which numba compiles: every
element is computed once, in registers, with no temporary arrays but one per derived
quantity and one per sum.

How a body becomes loops:

- every sum (``Total``) is lifted out of its expression, innermost first, into a temporary
  array over the axes its summand varies along less the summed one (a *reduction nest*:
  loops over those axes, an accumulator, an inner loop over the summed axis); a summand
  that does not vary along the summed axis is multiplied by N, as the array program does;
- what remains of the expression varies only along its quantity's own axes and is
  computed in a *map nest* over them;
- within a nest, common subexpressions are eliminated once, and each is computed at the
  outermost loop where every axis it varies along is bound (loop-invariant code motion
  from the expression tree, not left to the compiler);
- a pair variable's rate is computed over the upper triangle only (the packed slots),
  where the array program computes the whole matrix and keeps half.

Sums run over every state, the diagonal included, with the conventions of the array
program (a pair parameter's diagonal is 0, a pair variable's is 1), so that the two
programs compute the same terms; only the order of the additions differs (numpy sums
pairwise), so the rates agree to rounding (tests/test_loopcode.py: 1e-10 relative).

A sum over k of a product A_ik B_kj of two arrays (the designs on a state's spoils, and
the sums of the Jacobian's diagonal) is a matrix product, BLAS's ``numpy.dot``: whoever
runs the loops holds BLAS to one thread (docs/performance.md).

A sum of quotients whose divisor varies along the summed index (the harmonic mean of the
common threat, a division per triple of states) takes its terms two at a time over one
division (:meth:`_Writer.paired`): the divider's throughput bounded that nest (its
measurement is in docs/performance.md).

Two functions are printed from one body: ``rate_into(y, p, out)``, plain loops for the
compiled kernel (one member per thread, members in parallel), and the same with the
outermost loop of each nest of three loops a ``numba.prange`` (``parallel=True``), for one
run of at least ``PARALLEL_MIN_STATES`` states, whose loops are long enough to share
between threads (the rows of a triangle taken short and long in turn, so that equal
shares are equal work). Nests of two loops stay serial: at 190 states sharing them too
gained nothing, and below 100 states the threads' start cost more than they saved
(docs/performance.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp

from dynamics.codegen.arraycode import layout
from dynamics.codegen.printers import ScalarPrinter
from dynamics.model.contexts import Total
from dynamics.model.parts import Derived, Parameter, Variable

__all__ = ["loop_source", "PARALLEL_MIN_STATES"]

#: the fewest states whose single run evaluates the rate's loops in parallel threads (below,
#: starting the threads cost more than they saved: docs/performance.md)
PARALLEL_MIN_STATES = 100


class LoopPrinter(ScalarPrinter):
    """Scalar code inside the loops: a leaf is its array indexed by the loop variables of
    its axes, a lifted sum its temporary's element (``names``)."""

    def _print_Symbol(self, expr):
        return self.names[expr]


@dataclass
class _Nest:
    """One loop nest: loops over ``order`` (the second from the first plus one where
    ``triangular``), statements placed at the depth their axes need, and the lines that
    use them."""

    order: list[int]
    statements: list[tuple[str, sp.Expr]] = field(default_factory=list)
    innermost: list[str] = field(default_factory=list)
    before: dict[int, list[str]] = field(default_factory=dict)
    after: dict[int, list[str]] = field(default_factory=dict)
    triangular: bool = False
    #: lines that take the place of the innermost loop (:meth:`_Writer.paired`)
    paired: list[str] = field(default_factory=list)


class _Writer:
    """Emits the statements of ``rate_into`` for one model."""

    def __init__(self, model, parallel: bool):
        self.model, self.parallel = model, parallel
        self.ctx = model.array_context
        self.families = layout(model)
        self.family = {f.part: f for f in self.families}
        self.array: dict = {f.part: f"{'v' if isinstance(f.part, Variable) else 'q'}{k}"
                            for k, f in enumerate(self.families)}
        for k, quantity in enumerate(self.ctx.definitions):
            self.array[quantity] = f"d{k}"
        self.axes: dict[sp.Symbol, tuple[int, ...]] = {}
        self.names: dict[sp.Symbol, str] = {self.ctx.N: "N"}
        self.arrays: dict[sp.Symbol, tuple[str, tuple[int, ...]]] = {}
        for symbol, leaf in self.ctx.leaves.items():
            self.axes[symbol] = tuple(leaf.axes)
            self.arrays[symbol] = (self.array[leaf.part], tuple(leaf.axes))
            index = ", ".join(f"i{a}" for a in leaf.axes)
            self.names[symbol] = (f"{self.array[leaf.part]}[{index}]" if leaf.axes
                                  else self.array[leaf.part])
        self.printer = LoopPrinter(self.names)
        self.names = self.printer.names  # (a copy, with the guard epsilon): one mapping
        self.temps = 0
        self.nests = 0
        self.computed: dict[str, str] = {}
        self.made: set[sp.Symbol] = set()
        self.lines: list[str] = []

    # -- reading the inputs ----------------------------------------------------------
    def unpack(self, parts: Sequence) -> None:
        for part in parts:
            f = self.family[part]
            name, source, start = self.array[part], f.source, f.start
            if isinstance(part, Parameter) and part.kind == "scalar":
                self.lines.append(f"    {name} = {source}[{start}]  # {part.name}")
            elif isinstance(part, Parameter) and part.kind == "pair":
                self.lines += [f"    {name} = numpy.zeros((N, N))  # {part.name}",
                               "    for i in range(N):", "        for j in range(N):",
                               "            if i != j:",
                               f"                {name}[i, j] = {source}[{start} + i * "
                               "(N - 1) + j - (j > i)]"]
            elif isinstance(part, Variable) and part.pair:
                self.lines += [f"    {name} = numpy.empty((N, N))  # {part.name}",
                               "    for i in range(N):", f"        {name}[i, i] = 1.0",
                               "        for j in range(i + 1, N):",
                               f"            {name}[i, j] = {source}[{start} + "
                               "i * (2 * N - i - 1) // 2 + j - i - 1]",
                               f"            {name}[j, i] = {name}[i, j]"]
            else:
                self.lines.append(f"    {name} = {source}[{start}:{start} + N]  # "
                                  f"{part.name}")

    # -- axes and sums ---------------------------------------------------------------
    def live(self, expr: sp.Expr) -> set[int]:
        """The axes ``expr`` varies along (its sums lifted)."""
        found: set[int] = set()
        for symbol in expr.free_symbols:
            found.update(self.axes.get(symbol, ()))
        return found

    def lift(self, expr: sp.Expr, done: dict, upper: tuple[int, ...] | None = None
             ) -> sp.Expr:
        """``expr`` with every sum replaced by a temporary, each computed (innermost first)
        by a reduction nest written now; a sum read only at the (i, j) with i < j of a
        triangular nest over ``upper`` (not inside another sum) only there."""
        if not expr.args:
            return expr
        if (expr, upper) in done:
            return done[expr, upper]
        if isinstance(expr, Total):
            outside, summand = self.constant_factors(expr.args[0], int(expr.args[1]))
            if outside:
                # taken out of the sum: a nest of fewer loops, or a matrix product (the
                # derivatives of the diagonal make such sums)
                lifted = self.lift(sp.Mul(*outside, Total(summand, expr.args[1])), done,
                                   upper)
                done[expr, upper] = lifted
                return lifted
        inside = None if isinstance(expr, Total) else upper
        args = [self.lift(a, done, inside) for a in expr.args]
        if isinstance(expr, Total):
            summand, axis = args[0], int(expr.args[1])
            own = sorted(self.live(summand) - {axis})
            triangular = upper is not None and tuple(own) == tuple(upper)
            name = f"t{self.temps}"
            self.temps += 1
            symbol = sp.Symbol(name, real=True)
            self.axes[symbol] = tuple(own)
            index = ", ".join(f"i{a}" for a in own)
            self.names[symbol] = f"{name}[{index}]" if own else name
            self.arrays[symbol] = (name, tuple(own))
            self.reduction(name, own, axis, summand, triangular)
            done[expr, upper] = symbol
            return symbol
        lifted = expr if all(a is b for a, b in zip(args, expr.args, strict=True)) else (
            expr.func(*args))
        done[expr, upper] = lifted
        return lifted

    def constant_factors(self, summand: sp.Expr, axis: int) -> tuple[list[sp.Expr], sp.Expr]:
        """The factors of ``summand`` that do not vary along ``axis`` (of a product, and of
        its factors that are sums, those common to every term), and what is left of it
        without them."""
        if isinstance(summand, sp.Mul):
            outside: list[sp.Expr] = []
            left = []
            for factor in summand.args:
                if not factor.is_Number and axis not in self.live(factor):
                    outside.append(factor)
                    continue
                taken, rest = self.constant_factors(factor, axis)
                outside += taken
                left.append(rest)
            return outside, sp.Mul(*left)
        if isinstance(summand, sp.Add):
            parts = [self.constant_factors(term, axis) for term in summand.args]
            common = set(parts[0][0]).intersection(*(set(taken) for taken, _ in parts[1:]))
            if not common:
                return [], summand
            outside = [f for f in parts[0][0] if f in common]
            return outside, sp.Add(*(sp.Mul(*(f for f in taken if f not in common), rest)
                                     for taken, rest in parts))
        return [], summand

    def reduction(self, name: str, own: list[int], axis: int, summand: sp.Expr,
                  triangular: bool = False) -> None:
        target = f"{name}[{', '.join(f'i{a}' for a in own)}]" if own else name
        product = self.product(own, axis, summand)
        if product is not None:
            self.multiply(name, *product)
            return
        if own:
            self.lines.append(f"    {name} = numpy.empty(({'N, ' * len(own)}))")
        if axis not in self.live(summand):
            nest = _Nest(own, triangular=triangular)
            value = self.statements(nest, summand)
            nest.innermost.append(f"{target} = N * ({value})")
        else:
            nest = _Nest([*own, axis], triangular=triangular)
            reduced = self.common(nest, summand)
            value = self.printer.doprint(reduced)
            acc = f"acc{self.nests}"
            nest.before[len(own)] = [f"{acc} = 0.0"]
            nest.paired = self.paired(nest, acc, axis, reduced, value)
            nest.innermost.append(f"{acc} += {value}")
            nest.after[len(own)] = [f"{target} = {acc}"]
        self.write(nest)

    def paired(self, nest: _Nest, acc: str, axis: int, reduced: sp.Expr, value: str
               ) -> list[str]:
        """The sum over ``axis`` of a quotient whose divisor varies along it (the harmonic
        mean of the common threat: one division per triple of states, which the divider's
        throughput bounds) as a sum over pairs of terms with one division per pair: with
        ``w = 1 / (d_k d_l)``, ``1 / d_k = w d_l`` and ``1 / d_l = w d_k`` (the terms k and
        k + N // 2; the last one of an odd N as it is). Where the product of a pair's
        divisors is not a normal number (zero, below 1e-300 or above 1e300, infinite: its
        reciprocals would lose digits or be wrong) the whole sum is taken again by plain
        division, so that what a division by zero gives is numpy's, as the array
        program's. The two differ by a few roundings per term (tests/test_loopcode.py).
        No lines (the plain loop) where the summand is not one product with a single such
        divisor, or where the nest computes something along ``axis`` before it."""
        if not isinstance(reduced, sp.Mul):
            return []
        divisors = [f for f in reduced.args
                    if f.is_Pow and f.exp == -1 and axis in self.live(f.base)]
        if len(divisors) != 1 or any(axis in self.live(sub) for _, sub in nest.statements):
            return []
        numerator = self.printer.doprint(sp.Mul(*(f for f in reduced.args
                                                  if f is not divisors[0])))
        divisor = self.printer.doprint(divisors[0].base)
        i, j, k = f"i{axis}", f"j{axis}", self.nests

        def second(text: str) -> str:
            return re.sub(rf"\b{i}\b", j, text)

        return [f"bad{k} = 0",
                f"for {i} in range(N // 2):",
                f"    {j} = {i} + N // 2",
                f"    z{k}a = {divisor}",
                f"    z{k}b = {second(divisor)}",
                f"    w{k} = z{k}a * z{k}b",
                f"    bad{k} += (abs(w{k}) < 1e-300) | (abs(w{k}) > 1e300)",
                f"    w{k} = 1.0 / w{k}",
                f"    {acc} += ({numerator}) * (w{k} * z{k}b) + ({second(numerator)}) * "
                f"(w{k} * z{k}a)",
                f"if bad{k}:",
                f"    {acc} = 0.0",
                f"    for {i} in range(N // 2 * 2):",
                f"        {acc} += {value}",
                "if N % 2 == 1:",
                f"    {i} = N - 1",
                f"    {acc} += {value}"]

    def multiply(self, name: str, left: str, right: str) -> None:
        """``name`` = ``left`` times ``right`` (matrices over (i, k) and (k, j)) by BLAS's
        ``numpy.dot``, held to one thread by whoever runs the loops
        (:func:`dynamics.run.kernel.build.one_blas_thread`): its own threads would contend
        with numba's (docs/performance.md)."""
        if right.endswith(".T"):
            self.lines.append(f"    {name}_right = numpy.ascontiguousarray({right})")
            right = f"{name}_right"
        self.lines.append(f"    {name} = numpy.dot({left}, {right})")

    def product(self, own: list[int], axis: int, summand: sp.Expr) -> tuple[str, str] | None:
        """The two matrices whose product is the sum over ``axis`` of ``summand`` where,
        its parts over fewer axes computed beforehand (:meth:`shrink`), it is a product
        A_ik B_kj of two arrays (the designs on a state's spoils), for :meth:`multiply`;
        None where it is not."""
        if len(own) != 2:
            return None
        shrunk = self.shrink(summand, [*own, axis], set())
        if not isinstance(shrunk, sp.Mul) or len(shrunk.args) != 2:
            return None
        found: dict[int, str] = {}
        for factor in shrunk.args:
            name, axes = self.arrays.get(factor, ("", ()))
            if len(axes) != 2 or axis not in axes or axes[0] == axes[1]:
                return None
            other = axes[0] if axes[1] == axis else axes[1]
            at = {own[0]: (other, axis), own[1]: (axis, other)}.get(other)
            if at is None or other in found:
                return None
            found[other] = name if axes == at else f"{name}.T"
        return found[own[0]], found[own[1]]

    def statements(self, nest: _Nest, expr: sp.Expr) -> str:
        """The common subexpressions of ``expr`` as the nest's statements (after its parts
        that vary along fewer axes than the nest are taken out: :meth:`shrink`); the
        printed rest."""
        return self.printer.doprint(self.common(nest, expr))

    def common(self, nest: _Nest, expr: sp.Expr) -> sp.Expr:
        """:meth:`statements`, the rest unprinted."""
        self.nests += 1
        common, (reduced,) = sp.cse([expr], symbols=sp.numbered_symbols(
            f"x{self.nests}_", real=True), order="none")
        pending: set[sp.Symbol] = set()
        for symbol, sub in common:
            sub = self.shrink(sub, nest.order, pending)
            self.axes[symbol] = tuple(self.live(sub))
            if sub in self.made:
                self.names[symbol] = self.names[sub]  # computed beforehand, whole
                continue
            self.names[symbol] = symbol.name
            pending.add(symbol)
            nest.statements.append((symbol.name, sub))
        return self.shrink(reduced, nest.order, pending)

    def shrink(self, expr: sp.Expr, order: list[int], pending: set[sp.Symbol]) -> sp.Expr:
        """``expr`` with each largest part that varies along the innermost loop's axis but
        not along every axis of the nest computed beforehand into an array over its own
        axes (:meth:`materialise`), the factors of a product and the terms of a sum grouped
        by their axes first: in the nest over (i, j, k) of the common threat,
        ``[T_ik / E_i]+`` is computed N^2 times rather than N^3, and in a nest over (i, j)
        a power of a quantity of j N times rather than N^2. (A part that does not vary
        along the innermost axis is hoisted out of it instead: :meth:`write`.) A part that
        reads a statement of the nest itself (``pending``) stays in the nest."""
        if len(order) < 2:
            return expr
        inner, every = order[-1], set(order)
        made: dict[sp.Expr, sp.Symbol] = {}

        def proper(axes: set[int], nodes: Sequence[sp.Expr]) -> bool:
            return (inner in axes and axes < every
                    and not any(n.free_symbols & pending for n in nodes))

        def part(node: sp.Expr, axes: set[int]) -> sp.Expr:
            if node not in made:
                made[node] = self.materialise(node, [a for a in order if a in axes])
            return made[node]

        def visit(node: sp.Expr) -> sp.Expr:
            if not node.args:
                return node
            axes = self.live(node)
            if proper(axes, [node]):
                return part(node, axes)
            if not isinstance(node, sp.Add | sp.Mul):
                return node.func(*map(visit, node.args))
            groups: list[tuple[set[int], list[sp.Expr]]] = []
            for arg in sorted(node.args, key=lambda a: -len(self.live(a))):
                own = self.live(arg)
                for group in groups:
                    if own <= group[0]:
                        group[1].append(arg)
                        break
                else:
                    groups.append((own, [arg]))
            args: list[sp.Expr] = []
            for own, members in groups:
                if proper(own, members) and (len(members) > 1 or members[0].args):
                    args.append(part(node.func(*members), own))
                else:
                    args += map(visit, members)
            return node.func(*args)

        return visit(expr)

    def materialise(self, expr: sp.Expr, axes: list[int]) -> sp.Symbol:
        """A symbol for ``expr``, computed now by a map nest into an array over ``axes``,
        or read from the array of an earlier part that is the same computation along
        other axes (the threat of i and of j per unit of output, in the common threat)."""
        index = ", ".join(f"i{a}" for a in axes)
        key = re.sub(r"\bi(\d+)\b", lambda m: f"k{axes.index(int(m.group(1)))}",
                     self.printer.doprint(expr))
        symbol = sp.Symbol(f"m{self.temps}", real=True)
        self.temps += 1
        self.axes[symbol] = tuple(axes)
        self.made.add(symbol)
        name = self.computed.get(key)
        if name is None:
            name = self.computed[key] = symbol.name
            self.lines.append(f"    {name} = numpy.empty(({'N, ' * len(axes)}))")
            self.body(expr, tuple(axes), f"{name}[{index}]")
        self.names[symbol] = f"{name}[{index}]"
        self.arrays[symbol] = (name, tuple(axes))
        return symbol

    def upper(self, rates) -> set[Derived]:
        """The derived quantities over two axes read only at (i, j) with i < j: read
        outside a sum by the rate of a pair variable (computed over the upper triangle)
        or by another such quantity, at its own axes in order. They are computed over the
        upper triangle too."""
        ctx = self.ctx
        full: set = set()
        upper: set = set()

        def visit(expr: sp.Expr, free: tuple[int, ...], triangular: bool) -> None:
            stack = [(expr, False)]
            while stack:
                node, summed = stack.pop()
                if isinstance(node, Total):
                    stack.append((node.args[0], True))
                    continue
                leaf = ctx.leaves.get(node) if isinstance(node, sp.Symbol) else None
                if leaf is not None and leaf.kind == "derived":
                    at_own = triangular and not summed and tuple(leaf.axes) == tuple(free)
                    (upper if at_own else full).add(leaf.part)
                stack.extend((a, summed) for a in node.args)

        for variable, (axes, expr) in rates.items():
            visit(expr, axes, variable.pair)
        found: set[Derived] = set()
        for quantity in reversed(list(ctx.definitions)):
            axes, body = ctx.definitions[quantity]
            if len(axes) == 2 and quantity in upper and quantity not in full:
                found.add(quantity)
            visit(body, axes, quantity in found)
        return found

    # -- writing a nest --------------------------------------------------------------
    def write(self, nest: _Nest) -> None:
        position = {axis: k for k, axis in enumerate(nest.order)}
        placed: dict[int, list[str]] = {}
        for name, sub in nest.statements:
            depth = max((position[a] + 1 for a in self.live(sub)), default=0)
            placed.setdefault(depth, []).append(f"{name} = {self.printer.doprint(sub)}")
        deepest = len(nest.order)
        outer_parallel = self.parallel and deepest >= 3
        for depth in range(deepest + 1):
            pad = "    " * (depth + 1)
            self.lines += [pad + line for line in placed.get(depth, [])]
            if depth == deepest:
                self.lines += [pad + line for line in nest.innermost]
                break
            self.lines += [pad + line for line in nest.before.get(depth, [])]
            if depth == deepest - 1 and nest.paired:
                self.lines += [pad + line for line in nest.paired]
                break
            axis = nest.order[depth]
            if depth == 0 and outer_parallel and nest.triangular:
                # rows of a triangle taken short and long in turn, so that the threads'
                # equal shares of them are equal work
                self.lines += [f"{pad}for f{axis} in numba.prange(N):",
                               f"{pad}    i{axis} = f{axis} // 2 if f{axis} % 2 == 0 else "
                               f"N - 1 - f{axis} // 2"]
                continue
            loop = "numba.prange" if depth == 0 and outer_parallel else "range"
            start = (f"i{nest.order[0]} + 1, " if depth == 1 and nest.triangular else "")
            self.lines.append(f"{pad}for i{axis} in {loop}({start}N):")
        for depth in range(deepest - 1, -1, -1):
            pad = "    " * (depth + 1)
            self.lines += [pad + line for line in nest.after.get(depth, [])]

    def body(self, expr: sp.Expr, free: tuple[int, ...], store: str,
             triangular: bool = False) -> None:
        """A map nest over ``free`` computing ``expr`` (sums lifted first) into ``store``."""
        lifted = self.lift(expr, {}, free if triangular else None)
        nest = _Nest(list(free), triangular=triangular)
        value = self.statements(nest, lifted)
        nest.innermost.append(f"{store} = {value}")
        self.write(nest)


def loop_source(model, name: str = "rate_into", parallel: bool = False,
                rates: dict | None = None) -> str:
    """The source of ``name(y, p, out)``, the rate of one member of ``model`` as loops (see
    the module docstring), or other expressions over the variables' axes in its place.

    Parameters
    ----------
    model : Model
        The model.
    name : str
        The function's name.
    parallel : bool
        Make the outermost loop of each nest of three loops a ``numba.prange``.
    rates : dict, optional
        Dynamic variable -> (its axes, an array-context expression) written into ``out``
        where its rate would be (the diagonal of the Jacobian:
        :func:`dynamics.codegen.diagonal.diagonal_rates`); by default the model's rates.

    Returns
    -------
    str
        The source; it needs ``numpy`` (and ``numba`` where ``parallel``) in its namespace.
    """
    if rates is None:
        rates = {v: model.array_rates[v] for v in model.dynamic}
    writer = _Writer(model, parallel)
    ctx = model.array_context
    writer.lines = [f"def {name}(y, p, out):", f"    N = {model.N}"]
    parts = [f.part for f in writer.families
             if f.part in ctx.parameters_used or f.part in ctx.variables_used]
    writer.unpack(parts)
    upper = writer.upper(rates)
    for quantity, (axes, body) in ctx.definitions.items():
        assert isinstance(quantity, Derived)
        target = writer.array[quantity]
        writer.lines.append(f"    # {quantity.name}")
        if axes:
            writer.lines.append(f"    {target} = numpy.empty(({'N, ' * len(axes)}))")
            store = f"{target}[{', '.join(f'i{a}' for a in axes)}]"
        else:
            store = target
        writer.body(body, axes, store, triangular=quantity in upper)
    for variable, (axes, expr) in rates.items():
        f = writer.family[variable]
        writer.lines.append(f"    # {variable.name}")
        if variable.pair:
            a, b = axes
            store = f"out[{f.start} + i{a} * (2 * N - i{a} - 1) // 2 + i{b} - i{a} - 1]"
            writer.body(expr, axes, store, triangular=True)
        elif axes:
            writer.body(expr, axes, f"out[{f.start} + i{axes[0]}]")
        else:
            writer.body(expr, axes, f"out[{f.start}]")
    return "\n".join(writer.lines) + "\n"
