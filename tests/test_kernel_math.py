"""The compiled kernel's ``power`` against numpy's ``pow``, and the rewriting of generated
code that puts it in place of ``**`` (dynamics/run/kernel/maths.py and build.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamics.run.kernel import build as kernel

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


@pytest.mark.parametrize("text", [
    "(10*a + 10*b)**p", "-a**p*2", "c[1]**q + f(a, b)**(p - 1)", "(a**p)**q", "a**p**q",
    "(b**d + (a**p)**q)**r", "a**(-1.0)*b**2 + a**p", "2*(1 - c[0])**c[2]/b"])
def test_powers_are_rewritten_with_the_same_meaning(text):
    """The rewritten expression, with ``power`` as Python's ``**``, has the value of the
    original for positive operands; every power with a named exponent is rewritten, and a
    number's power is left. With exponents named as ones (``unit``), their powers are
    their bases, with the original's value where those exponents are 1."""
    rewritten = kernel._powers(text)
    values = {"a": 1.3, "b": 0.7, "d": 2.1, "p": 0.4, "q": 1.7, "r": 0.9, "c": [0.2, 0.5, 2.5],
              "f": lambda u, v: u + v, "power": lambda u, v: u ** v}
    assert eval(rewritten, values) == pytest.approx(eval(text, values), rel=1e-15)  # noqa: S307
    for exponent in rewritten.split("**")[1:]:
        assert exponent[0].isdigit() or exponent.startswith("(-1.0)")
    based = kernel._powers(text, frozenset({"p", "q"}))
    ones = {**values, "p": 1.0, "q": 1.0}
    assert eval(based, ones) == pytest.approx(eval(text, ones), rel=1e-15)  # noqa: S307
    assert ", p)" not in based and ", q)" not in based
