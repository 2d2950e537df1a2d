"""``power(x, a)`` for the rate of members side by side: ``x ** a`` in arithmetic the
compiler can vectorise.

A power whose exponent is a parameter (``(N S_j) ** eta`` in the threat) is a call to
the C library's ``pow`` in numba's code, one lane at a time: LLVM vectorises a loop with
such a call only against a vector math library, which numba's LLVM does not have. At
ten states those ten calls were a quarter of the cost of the rate of eight members side
by side (``benchmarks/ensemble.py`` prints that cost). Here the power is ``exp(a log x)``
written out: the exponent and mantissa of ``x`` read from its bits, ``log`` by the
series of ``atanh`` on [sqrt(1/2), sqrt(2)], ``exp`` by its Taylor series on
[-ln2 / 2, ln2 / 2] and a power of two built from bits, and the special cases of IEEE
``pow`` (zeros, infinities, NaN, a negative base) chosen by selects, not branches. Its
relative error against the C library's ``pow`` is a few units in the last place times
``max(1, |a ln x|)``, and it is exact where ``a`` is 0 or 1 (tests/test_kernel_math.py).

Eight lanes at once hide the latency of its chain of operations; one value at a time
they do not, and there it is slower than ``pow`` (at three states the scalar rate took
about half as long again), so the scalar rate keeps ``pow`` (:mod:`dynamics.run.kernel.build`).
"""

import math
from decimal import Decimal, localcontext

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = ["power", "log", "exp"]

with localcontext() as _context:
    _context.prec = 40
    _LN2 = Decimal(2).ln()
#: ln 2 in two parts: its leading 20 bits (so that n * _LN2_HI is exact for |n| < 2^33)
#: and the rest
_LN2_HI = math.ldexp(math.floor(math.ldexp(float(_LN2), 20)), -20)
_LN2_LO = float(_LN2 - Decimal(_LN2_HI))
#: 1.5 * 2^52: an integer k with |k| < 2^51, added to it, is its lowest bits, so that
#: integers pass between floats and ints by addition and bit casts (the compiler's
#: conversions of four at once need AVX-512)
_MAGIC = 6755399441055744.0
_SQRT2 = math.sqrt(2.0)
_MANTISSA = (1 << 52) - 1
_ONE = 1023 << 52  # the bits of 1.0
#: 1/k! for exp's Taylor series to degree 13 (|r| <= ln2 / 2: the next term is below
#: 1e-17 of the sum), and 1/(2k + 1) for log's series of atanh to z^10 (|s| <= 0.1716)
_EXP = tuple(1.0 / math.factorial(k) for k in range(14))
_ATANH = tuple(1.0 / (2 * k + 1) for k in range(11))


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64 (a bit cast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, k):
    """The float64 whose bits are the int64 ``k`` (a bit cast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@numba.njit(inline="always", error_model="numpy")
def _as_int(h):
    """The int64 of an integer-valued float h, |h| < 2^51."""
    return _bits(h + _MAGIC) - _bits(_MAGIC)


@numba.njit(inline="always", error_model="numpy")
def _as_float(k):
    """The float of an int64 k, |k| < 2^51."""
    return _from_bits(k + _bits(_MAGIC)) - _MAGIC


# The series are summed by Estrin's scheme (pairs, then pairs of pairs with x^2, x^4,
# x^8), not Horner's: a lane's chain of dependent operations is then about 8 long rather
# than 2 per term, which is what one member's rate, not vectorised, waits on.


@numba.njit(inline="always", error_model="numpy")
def _atanh_series(z):
    """sum_k z^k / (2k + 1), k = 0..10."""
    c = _ATANH
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    low = ((c[0] + c[1] * z) + (c[2] + c[3] * z) * z2) \
        + ((c[4] + c[5] * z) + (c[6] + c[7] * z) * z2) * z4
    return low + ((c[8] + c[9] * z) + c[10] * z2) * z8


@numba.njit(inline="always", error_model="numpy")
def _exp_series(r):
    """sum_k r^k / k!, k = 0..13."""
    c = _EXP
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    low = ((c[0] + c[1] * r) + (c[2] + c[3] * r) * r2) \
        + ((c[4] + c[5] * r) + (c[6] + c[7] * r) * r2) * r4
    high = ((c[8] + c[9] * r) + (c[10] + c[11] * r) * r2) + (c[12] + c[13] * r) * r4
    return low + high * r8


@numba.njit(inline="always", error_model="numpy")
def log(x):
    """ln x for finite x > 0 (subnormals included); other x give meaningless values, which
    ``power`` replaces."""
    tiny = x < 2.2250738585072014e-308
    x = x * 18014398509481984.0 if tiny else x  # 2^54: a subnormal made normal
    bits = _bits(x)
    e = _as_float((bits >> 52) - (1077 if tiny else 1023))
    m = _from_bits((bits & _MANTISSA) | _ONE)  # in [1, 2)
    high = m > _SQRT2
    m = 0.5 * m if high else m
    e = e + 1.0 if high else e
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    series = _atanh_series(z)
    return e * _LN2_HI + (2.0 * s * series + e * _LN2_LO)


@numba.njit(inline="always", error_model="numpy")
def exp(y):
    """e^y for every finite or infinite y (0 below about -745, inf above about 709.8);
    NaN gives NaN."""
    clipped = min(max(y, -1100.0), 1100.0)
    n = np.floor(clipped * 1.4426950408889634 + 0.5)
    r = (clipped - n * _LN2_HI) - n * _LN2_LO
    series = _exp_series(r)
    # 2^n as two factors, each a normal number, so that a subnormal result or an overflow
    # to inf come out of the products
    half = np.floor(0.5 * n)
    first = _from_bits((_as_int(half) + 1023) << 52)
    second = _from_bits((_as_int(n - half) + 1023) << 52)
    result = series * first * second
    return y if y != y else result


@numba.njit(inline="always", error_model="numpy")
def power(x, a):
    """x ** a for float x and a: IEEE ``pow``'s zeros, infinities and NaN, and its finite
    values to a few units in the last place (see the module docstring)."""
    size = abs(x)
    result = exp(a * log(size))
    integer = np.floor(a) == a
    odd = integer & (np.floor(0.5 * a) != 0.5 * a)
    # a zero or infinite base, where log is meaningless
    result = (0.0 if a > 0.0 else np.inf) if size == 0.0 else result
    result = (np.inf if a > 0.0 else 0.0) if size == np.inf else result
    # a negative base (-0.0 included: its odd powers are -0.0 and -inf)
    result = -result if (_bits(x) < 0) & odd else result
    result = np.nan if (x < 0.0) & (size != np.inf) & (not integer) else result
    # an infinite exponent: |x| > 1 gives inf or 0, |x| < 1 the reverse, |x| = 1 gives 1
    result = 1.0 if (size == 1.0) & (abs(a) == np.inf) else result
    result = np.nan if (x != x) | (a != a) else result
    result = x if a == 1.0 else result
    return 1.0 if (a == 0.0) | (x == 1.0) else result
