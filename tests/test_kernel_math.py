"""The compiled kernel's ``power`` against numpy's ``pow``, and the printer of the lanes'
rate that calls it in place of ``**`` (dynamics/run/kernel/maths.py,
dynamics/codegen/printers.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamics.codegen.printers import LanesPrinter

numba = pytest.importorskip("numba")
from dynamics.run.kernel.maths import power  # noqa: E402 - needs numba

EPS = np.finfo(float).eps


@numba.njit(error_model="numpy")
def _powers(x, a, out):
    for i in range(x.size):  # a loop that the compiler vectorises, as in the kernel
        out[i] = power(x[i], a[i])


def _power(x, a) -> np.ndarray:
    x, a = np.broadcast_arrays(np.asarray(x, float), np.asarray(a, float))
    out = np.empty(x.shape)
    _powers(np.ascontiguousarray(x).ravel(), np.ascontiguousarray(a).ravel(), out.ravel())
    return out


def _ulps(ours, reference) -> np.ndarray:
    return np.abs(ours - reference) / (np.abs(reference) * EPS)


def test_power_is_within_a_few_ulps_times_the_size_of_its_logarithm():
    """x log-uniform over 1e-300..1e300, a uniform in [-1, 1] (results from 1e-300 to
    1e300): the error is at most 4 ulp times max(1, |a ln x|), the rounding of the
    product a ln x itself being |a ln x| ulp of the result; 1e5 draws, seeded."""
    rng = np.random.default_rng(7)
    x = np.exp(rng.uniform(-690.0, 690.0, 100_000))
    a = rng.uniform(-1.0, 1.0, x.size)
    ulps = _ulps(_power(x, a), np.power(x, a))
    assert np.max(ulps / np.maximum(1.0, np.abs(a * np.log(x)))) <= 4.0


def test_power_of_model_sized_values_is_within_four_ulps_of_the_logarithm():
    """Bases and exponents as the model has them ((N S_j)^eta: bases 1e-3..30, eta in
    [0, 2]): within 4 ulp times max(1, |a ln x|) (at most 6.8 here) of numpy's pow; 1e5
    draws, seeded."""
    rng = np.random.default_rng(8)
    x = np.exp(rng.uniform(np.log(1e-3), np.log(30.0), 100_000))
    a = rng.uniform(0.0, 2.0, x.size)
    ulps = _ulps(_power(x, a), np.power(x, a))
    assert np.max(ulps / np.maximum(1.0, np.abs(a * np.log(x)))) <= 4.0


def test_power_is_exact_at_the_exponents_0_and_1():
    """x^1 = x and x^0 = 1 to the last bit, as pow gives them, for any x (the lanes then
    match the scalar rate exactly at eta's default of 1, or 0)."""
    rng = np.random.default_rng(9)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 10_000)),
                        -np.exp(rng.uniform(-700.0, 700.0, 1_000))])
    np.testing.assert_array_equal(_power(x, 1.0), x)
    np.testing.assert_array_equal(_power(x, 0.0), np.ones_like(x))


@settings(deadline=None)  # the first example may pay numba's compilation of ``_powers``
@given(st.floats(min_value=1e-300, max_value=1e300), st.floats(min_value=-4.0, max_value=4.0))
def test_power_matches_pow_for_any_positive_base(x, a):
    with np.errstate(over="ignore", under="ignore"):
        reference = np.power(x, a)
    ours = _power(x, a)[()]
    if reference == 0.0 or np.isinf(reference) or abs(reference) < 1e-300:
        assert ours == pytest.approx(reference, abs=1e-300)  # overflow, underflow alike
    else:
        assert _ulps(ours, reference) <= 4.0 * max(1.0, abs(a * np.log(x)))


def test_power_has_pows_special_cases():
    """Every pair of zeros (both signs), +-1, +-2, +-0.5, +-3, infinities and NaN: zeros,
    infinities, NaN and ones (with their signs) are numpy's pow's exactly, other values
    within 4 ulp (2^-3 = 0.125 to 2 ulp, say: an exact case is not always exact here)."""
    special = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, np.inf, -np.inf,
               np.nan]
    pairs = np.array(list(itertools.product(special, special)))
    x, a = pairs[:, 0], pairs[:, 1]
    with np.errstate(all="ignore"):
        reference = np.power(x, a)
    ours = _power(x, a)
    exact = ~np.isfinite(reference) | (reference == 0.0) | (np.abs(reference) == 1.0)
    with np.errstate(invalid="ignore"):  # the ulps of the exact cases are not read
        close = _ulps(ours, reference) <= 4.0
    same = np.where(exact, (ours == reference) & (np.signbit(ours) == np.signbit(reference)),
                    close)
    same |= np.isnan(ours) & np.isnan(reference)
    assert same.all(), np.column_stack([x, a, reference, ours])[~same]


_A, _B, _D, _P, _Q, _R = sp.symbols("a b d p q r", positive=True)
_C = sp.symbols("c0:3", positive=True)


@pytest.mark.parametrize("expr", [
    (10 * _A + 10 * _B) ** _P, -2 * _A ** _P, _C[1] ** _Q + sp.Max(_A, _B) ** (_P - 1),
    (_A ** _P) ** _Q, _A ** (_P ** _Q), (_B ** _D + (_A ** _P) ** _Q) ** _R,
    _B ** 2 / _A + _A ** _P, 2 * (1 - _C[0]) ** _C[2] / _B, sp.sqrt(_A) * _A ** -_P])
def test_the_lanes_printer_writes_powers_with_the_same_meaning(expr):
    """The lanes' printing of an expression, with ``power`` as Python's ``**``, has the
    expression's value; every power with an exponent that is not a number is a call of
    ``power`` and a number's power is left. With exponents named as ones (``unit``), their
    powers are their bases, with the expression's value where those exponents are 1."""
    values = {_A: 1.3, _B: 0.7, _D: 2.1, _P: 0.4, _Q: 1.7, _R: 0.9, _C[0]: 0.2, _C[1]: 0.5,
              _C[2]: 2.5}
    names = {symbol: str(symbol) for symbol in values}
    scope = {"numpy": np, "power": lambda u, v: u ** v,
             **{str(symbol): value for symbol, value in values.items()}}
    text = LanesPrinter(names).doprint(expr)
    assert eval(text, scope) == pytest.approx(float(expr.subs(values)), rel=1e-14)  # noqa: S307
    for exponent in text.split("**")[1:]:
        assert exponent[0].isdigit() or exponent.startswith("(-")
    assert text.count("power(") == sum(not node.exp.is_number for node in expr.atoms(sp.Pow))
    based = LanesPrinter(names, frozenset({_P, _Q})).doprint(expr)
    ones = {**values, _P: 1.0, _Q: 1.0}
    scope.update(p=1.0, q=1.0)
    assert eval(based, scope) == pytest.approx(float(expr.subs(ones)), rel=1e-14)  # noqa: S307
    assert ", p)" not in based and ", q)" not in based
