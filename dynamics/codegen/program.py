"""Straight-line programs of a model's expressions, written out per target.

A :class:`Program` holds the model's slots (variables ``y<k>``, inputs ``p<k>``) and
eliminates common subexpressions once per list of expressions (sympy's ``cse``; the
rate's serves its numpy function, Jacobian, scalar form and lanes: seconds each at ten
states, paid once).
Its methods write the functions of the unrolled path from that one program, each with the
printer of its target (:mod:`dynamics.codegen.printers`):

- :meth:`Program.function`: ``def name(t, y, p)`` in numpy over any leading axes;
- :meth:`Program.jacobian`: its Jacobian by forward mode over the program;
- :meth:`Program.scalar`: ``def name(y, p, out)`` for one member (numba or Python);
- :meth:`Program.jvp`: ``def jvp_into(y, p, v, out)``, the derivative along ``v``;
- :meth:`Program.lanes`: ``def rate_lanes(b, m)``, members side by side in lanes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from dynamics.codegen.printers import LanesPrinter, NumpyPrinter, ScalarPrinter

__all__ = ["Program", "program_of"]


def _broadcast(array: str, k: int) -> str:
    return f"{array}[..., {k}]"


def _member(array: str, k: int) -> str:
    return f"{array}[{k}]"


def program_of(model) -> Program:
    """The program of one model's straight-line code.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    Program
        Over its variables and inputs.
    """
    y = [s.symbol for s in model.variables]
    p = [s.symbol for s in model.parameters] + [s.symbol for s in model.held]
    return Program(y, p)


class Program:
    """Straight-line code over the model's variables ``y`` and inputs ``p``, printed by
    name (``y<k>``, ``p<k>``).

    Parameters
    ----------
    y : sequence of sympy.Symbol
        The model's variables, in slot order.
    p : sequence of sympy.Symbol
        Its inputs (parameter slots, then held variables).
    """

    def __init__(self, y: Sequence[sp.Symbol], p: Sequence[sp.Symbol]):
        self.y, self.p = list(y), list(p)
        self.names = ({s: f"y{k}" for k, s in enumerate(self.y)}
                      | {s: f"p{k}" for k, s in enumerate(self.p)})
        self._reduced: dict[tuple[sp.Expr, ...], tuple] = {}
        self.printer = NumpyPrinter(self.names)
        self.scalar_printer = ScalarPrinter(self.names)

    def print(self, expr: sp.Expr) -> str:
        return self.printer.doprint(expr)

    def cse(self, exprs: Sequence[sp.Expr]) -> tuple[list[tuple[sp.Symbol, sp.Expr]],
                                                     list[sp.Expr]]:
        """Common subexpressions of ``exprs`` and the reduced expressions, computed once
        per list."""
        key = tuple(exprs)
        if key not in self._reduced:
            self._reduced[key] = sp.cse(list(exprs), order="none",
                                        symbols=sp.numbered_symbols("x", real=True))
        return self._reduced[key]

    def exponents(self, exprs: Sequence[sp.Expr]) -> tuple[int, ...]:
        """The inputs (columns of ``p``) that are the exponent of a power in ``exprs``'s
        program: where one is 1 in every member of a run, the lanes' power is its base."""
        common, reduced = self.cse(exprs)
        position = {s: k for k, s in enumerate(self.p)}
        found = {int(position[node.exp]) for e in [*(c for _, c in common), *reduced]
                 for node in e.atoms(sp.Pow) if node.exp in position}
        return tuple(sorted(found))

    def preamble(self, common, reduced, load: Callable[[str, int], str],
                 printer: NumpyPrinter) -> list[str]:
        """Lines reading the variables and inputs used (``load(array, k)`` is the reading
        of slot ``k`` of ``y`` or ``p``) and computing the common subexpressions."""
        used = set().union(*(e.free_symbols for e in reduced),
                           *(e.free_symbols for _, e in common))
        return [*(f"    y{k} = {load('y', k)}" for k, s in enumerate(self.y) if s in used),
                *(f"    p{k} = {load('p', k)}" for k, s in enumerate(self.p) if s in used),
                *(f"    {s} = {printer.doprint(e)}" for s, e in common)]

    def function(self, name: str, exprs: Sequence[sp.Expr], tail: str) -> str:
        """``def name(t, y, p)`` returning the expressions stacked on a last axis of shape
        ``tail``."""
        common, reduced = self.cse(exprs)
        lines = [f"def {name}(t, y, p):",
                 *self.preamble(common, reduced, _broadcast, self.printer),
                 f"    out = numpy.empty(numpy.broadcast_shapes(y.shape[:-1], "
                 f"p.shape[:-1]) + {tail})"]
        lines += [f"    out[..., {k}] = {self.print(e)}" for k, e in enumerate(reduced)]
        lines.append("    return out")
        return "\n".join(lines)

    def scalar(self, name: str, exprs: Sequence[sp.Expr]) -> str:
        """``def name(y, p, out)`` for one member (1-d y and p), writing into ``out``.

        Plain scalar arithmetic, the builtin max and min and numpy ufuncs only, so that
        numba can compile it and Python run it as it is; the same program as
        :meth:`function`, printed by :class:`~dynamics.codegen.printers.ScalarPrinter`.
        """
        if not exprs:
            return f"def {name}(y, p, out):\n    pass"
        common, reduced = self.cse(exprs)
        printer = self.scalar_printer
        body = [f"    out[{k}] = {printer.doprint(e)}" for k, e in enumerate(reduced)]
        return "\n".join([f"def {name}(y, p, out):",
                          *self.preamble(common, reduced, _member, printer), *body])

    def hoisted(self, exprs: Sequence[sp.Expr]) -> list[tuple[sp.Expr, sp.Symbol | None]]:
        """The member constants of ``exprs``'s program: each largest part of a statement or
        a result that reads inputs only (a statement whole, then its symbol too, or a
        subexpression: a power of parameters, a product or sum of them that the tree holds
        as one node), in the order the program computes them. Found on the expression
        tree (a part is constant when its free symbols are inputs), so the constants are
        found however the mechanisms write them; computed once per list."""
        key = ("hoisted", *exprs)
        if key not in self._reduced:
            common, reduced = self.cse(exprs)
            inputs = set(self.p)
            found: dict[sp.Expr, sp.Symbol | None] = {}

            def constant(node: sp.Expr) -> bool:
                return bool(node.free_symbols) and node.free_symbols <= inputs

            def visit(node: sp.Expr) -> None:
                if not node.args or node in found:
                    return
                if constant(node):
                    found[node] = None
                    return
                for arg in node.args:
                    visit(arg)

            for symbol, expr in common:
                if constant(expr):
                    found[expr] = symbol
                    inputs.add(symbol)  # read by later statements as a constant
                else:
                    visit(expr)
            for expr in reduced:
                visit(expr)
            self._reduced[key] = list(found.items())  # type: ignore[assignment]
        return self._reduced[key]  # type: ignore[return-value]

    def lanes(self, exprs: Sequence[sp.Expr], lanes: int, unit: frozenset[int],
              hoist: bool = True) -> str:
        """``def rate_lanes(b, m)``: :meth:`scalar`'s program for ``m`` members side by
        side, each in one of ``lanes`` lanes, in one loop over the lanes that the compiler
        vectorises (the same operations, so the same numbers in every lane; a power whose
        exponent is an input in ``unit`` is its base, see
        :class:`~dynamics.codegen.printers.LanesPrinter`). ``b`` holds a row of ``lanes``
        values per slot: the variables (rows 0..n-1), the rates (rows n..2n-1), then the
        inputs (see :func:`dynamics.run.kernel.body.lanes`).

        With ``hoist``, the member constants (:meth:`hoisted`) are not computed in the
        loop: the printer reads each from its row of ``b`` (the rows after the inputs), and
        ``def lane_constants(ps, out)``, printed beside it by the same printer, writes each
        member's inputs and then its constants into its row of ``out`` (``lane_inputs``
        columns), once per member. Every constant is printed as the same subtree it
        replaces, and every other node as it was, so the operations and their order are
        those of the program without hoisting: the numbers are the same to the last bit
        (tests/test_kernel_lanes.py).

        The lane index and the offsets are unsigned: numba does not then emit the negative
        index check that it emits for a signed index, whose select on every load kept LLVM
        from vectorising the loop. One buffer rather than three arrays spares the runtime
        checks for overlap that LLVM would otherwise need between every store and load."""
        common, reduced = self.cse(exprs)
        n = len(self.y)
        exponents = frozenset(self.p[k] for k in unit)
        row = {"y": 0, "p": 2 * n}

        def slot(array: str, k: int) -> str:
            return f"b[lane + numpy.uint64({(row[array] + k) * lanes})]"

        constants = self.hoisted(exprs) if hoist else []
        read = {node: slot("p", len(self.p) + k) for k, (node, _) in enumerate(constants)}
        whole = {symbol for _, symbol in constants if symbol is not None}
        names = self.names | {symbol: read[node] for node, symbol in constants
                              if symbol is not None}
        printer = LanesPrinter(names, exponents, read)
        lines = self.preamble([(s, e) for s, e in common if s not in whole], reduced, slot,
                              printer)
        lines += [f"    b[lane + numpy.uint64({(n + k) * lanes})] = {printer.doprint(e)}"
                  for k, e in enumerate(reduced)]
        tail: list[str] = []
        if hoist:
            member = LanesPrinter(self.names, exponents)
            values = []
            for k, (node, symbol) in enumerate(constants):
                name = str(symbol) if symbol is not None else f"c{k}"
                values += [f"        {name} = {member.doprint(node)}",
                           f"        out[m, {len(self.p) + k}] = {name}"]
            tail = ["", "", f"lane_inputs = {len(self.p) + len(constants)}", "", "",
                    "def lane_constants(ps, out):", "    for m in range(ps.shape[0]):",
                    *(f"        p{k} = ps[m, {k}]" for k in range(len(self.p))),
                    *(f"        out[m, {k}] = p{k}" for k in range(len(self.p))), *values]
        return "\n".join(["def rate_lanes(b, m):", "    for k in range(m):",
                          "        lane = numpy.uint64(k)",
                          *("    " + line for line in lines), *tail])

    def jvp(self, exprs: Sequence[sp.Expr]) -> str:
        """``def jvp_into(y, p, v, out)``: the exact derivative of ``exprs`` along ``v``
        for one member by forward mode over the program, one scalar tangent ``t<x>`` per
        step, as scalar code that numba compiles quickly (the kernel's implicit method
        builds its Jacobian from n of them; a tangent array per step made numba's
        compilation slow already at three states: docs/performance.md)."""
        common, reduced = self.cse(exprs)
        position = {s: k for k, s in enumerate(self.y)}
        printer = self.scalar_printer
        lines = ["def jvp_into(y, p, v, out):",
                 *self.preamble(common, reduced, _member, printer)]
        moving: set[sp.Symbol] = set()

        def tangent(expr: sp.Expr) -> str | None:
            terms = []
            for u in sorted(expr.free_symbols, key=sp.default_sort_key):
                if u in position or u in moving:
                    derivative = expr.diff(u)
                    if derivative != 0:
                        along = f"v[{position[u]}]" if u in position else f"t{u}"
                        terms.append(f"({printer.doprint(derivative)}) * {along}")
            return " + ".join(terms) if terms else None

        for symbol, expr in common:
            text = tangent(expr)
            if text is not None:
                moving.add(symbol)
                lines.append(f"    t{symbol} = {text}")
        for k, expr in enumerate(reduced):
            lines.append(f"    out[{k}] = {tangent(expr) or '0.0'}")
        return "\n".join(lines)

    def jacobian(self, exprs: Sequence[sp.Expr]) -> str:
        """``def jacobian(t, y, p)``: d(exprs)/dy by forward-mode differentiation of the
        program.

        Each common subexpression ``x = f(...)`` that depends on the variables gets a
        tangent ``dx`` (shape ``(..., n)``, its gradient) from the chain rule over f's own
        arguments, so only small expressions are differentiated and the code grows with
        the program, not with the expanded Jacobian (whose symbolic form for ten states
        did not finish: docs/performance.md). A kink's derivative is taken from the right,
        as the printer's Heaviside says.
        """
        common, reduced = self.cse(exprs)
        position = {s: k for k, s in enumerate(self.y)}
        tangent: set[sp.Symbol] = set()
        lines = ["def jacobian(t, y, p):",
                 *self.preamble(common, reduced, _broadcast, self.printer),
                 "    shape = numpy.broadcast_shapes(y.shape[:-1], p.shape[:-1])",
                 f"    out = numpy.zeros(shape + ({len(self.y)}, {len(self.y)}))"]

        def gradient(target: str, expr: sp.Expr) -> list[str]:
            chain: list[tuple[sp.Symbol, sp.Expr]] = []
            direct: list[tuple[sp.Symbol, sp.Expr]] = []
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
