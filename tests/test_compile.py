"""Compilation: the on-disk cache of generated code round-trips and can be disabled."""

from __future__ import annotations

import json

import numpy as np

from dynamics import Model
from dynamics.codegen import cache
from dynamics.codegen import compile as compiling
from dynamics.codegen.printers import ScalarPrinter
from dynamics.run.kernel import build as kernel

SHAPE = (2, Model(["A", "B"], ["ceiling"]).components)


def test_disk_cache_is_written_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    compiling._compile.cache_clear()
    try:
        generated = compiling._compile(*SHAPE)
        files = list(tmp_path.glob("model-*.json"))
        assert len(files) == 1 and json.loads(cache.read(files[0].name)) == {
            "source": generated.source, "scalar": generated.scalar,
            "exponents": list(generated.exponents)}
        compiling._compile.cache_clear()
        loaded = compiling._compile(*SHAPE)
        assert (loaded.source, loaded.scalar) == (generated.source, generated.scalar)
        y, p = np.linspace(0.1, 0.2, loaded.n_variables), np.linspace(0.1, 0.9, loaded.n_inputs)
        np.testing.assert_array_equal(loaded.rate(0.0, y, p), generated.rate(0.0, y, p))
        np.testing.assert_array_equal(loaded.jacobian(0.0, y, p), generated.jacobian(0.0, y, p))
    finally:
        compiling._compile.cache_clear()


def test_empty_cache_dir_disables_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", "")
    assert cache.folder() is None
    cache.write("entry.py", "text")
    assert cache.read("entry.py") is None and not list(tmp_path.iterdir())


def test_a_corrupt_cache_file_is_regenerated(tmp_path, monkeypatch):
    """A truncated, garbled or garbage cache file never breaks a run: it fails its digest
    and is written again."""
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    compiling._compile.cache_clear()
    try:
        good = compiling._compile(*SHAPE)
        (cached,) = tmp_path.glob("model-*.json")
        whole = cached.read_bytes()
        flipped = bytearray(whole)
        flipped[len(whole) // 2] ^= 1  # one bit of the code changed, the digest kept
        for garbage in (whole[: len(whole) // 2], bytes(flipped), b"\xff\xfe\x00 not text",
                        b""):
            cached.write_bytes(garbage)
            assert cache.read(cached.name) is None
            compiling._compile.cache_clear()
            again = compiling._compile(*SHAPE)
            assert again.source == good.source and cached.read_bytes() == whole
    finally:
        compiling._compile.cache_clear()


def test_the_jacobian_vector_product_is_generated_on_demand_and_exact(tmp_path, monkeypatch):
    """Not part of the model's code (it is generated when the kernel first meets a stiff
    member); its product equals the generated Jacobian times the vector to rounding, on a
    model with every mechanism; a truncated cache file of it is generated again."""
    from dynamics.analysis.checks import _random_point

    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    model = Model(["A", "B", "C"])
    shape = (3, model.components)
    compiling._compile.cache_clear()
    compiling._jvp_source.cache_clear()
    try:
        compiled = compiling._compile(*shape)
        assert "def jvp_into" not in compiled.source + compiled.scalar
        assert not list(tmp_path.glob("jvp-*.py"))
        assert compiled.jvp_source is not None
        source = compiled.jvp_source()
        assert " if " not in source  # (no branch: see the test of the scalar step)
        namespace: dict = {"numpy": np}
        exec(source, namespace)  # noqa: S102 - the project's own generated code
        rng = np.random.default_rng(4)
        for _ in range(3):
            y, p = _random_point(model, rng)
            v = rng.normal(size=y.size)
            out = np.empty(y.size)
            namespace["jvp_into"](y, p, v, out)
            expected = compiled.jacobian(0.0, y, p) @ v
            assert np.max(np.abs(out - expected)) <= 1e-12 * np.max(np.abs(expected))
        (cached,) = tmp_path.glob("jvp-*.py")
        assert cache.read(cached.name) == source
        whole = cached.read_bytes()
        cached.write_bytes(whole[: len(whole) // 2])
        compiling._jvp_source.cache_clear()
        assert compiled.jvp_source() == source and cached.read_bytes() == whole
    finally:
        compiling._compile.cache_clear()
        compiling._jvp_source.cache_clear()


FINGERPRINT = """
from dynamics import Model
from dynamics.run.kernel import build as kernel
from dynamics.codegen.compile import fingerprint
print(fingerprint(Model(["A", "B", "C"])))
"""


def test_the_cache_key_is_the_same_in_every_process_and_changes_with_an_equation():
    """The key of the disk cache is computed from the expressions (not from Python's
    per-process string hashes), and a change of one coefficient changes it."""
    import os
    import subprocess
    import sys

    import sympy as sp

    from dynamics.model.mechanisms.richardson import SPENDING
    from dynamics.model.parts import Mechanism, Term

    keys = {subprocess.run([sys.executable, "-c", FINGERPRINT], check=True, text=True,
                           capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}
                           ).stdout.strip() for seed in ("1", "2")}
    assert keys == {compiling.fingerprint(Model(["A", "B", "C"]))}

    def damping(rate: float) -> Mechanism:
        return Mechanism("damping", "spending decays", terms=(Term(
            "decay", SPENDING, lambda ctx, i: -sp.Float(rate) * ctx.var(SPENDING, i)),))

    one, other = (compiling.fingerprint(Model(["A", "B"], ["richardson", damping(r)]))
                  for r in (0.5, 0.25))
    assert one != other


def test_the_scalar_max_and_min_are_numpys_nan_included():
    """The kernel's code prints a max or min against a constant as the builtin: equal to
    numpy.maximum and numpy.minimum on every ordering of the arguments, NaN included, run
    by Python and by numba."""
    import itertools

    import sympy as sp

    x, y, z = sp.symbols("x y z", real=True)
    cases = {sp.Max(0, x): lambda a, b, c: np.maximum(0, a),
             sp.Min(1, x): lambda a, b, c: np.minimum(1, a),
             sp.Max(x, y): lambda a, b, c: np.maximum(a, b),
             sp.Min(x, y): lambda a, b, c: np.minimum(a, b),
             sp.Max(x, y, z, 0): lambda a, b, c: np.maximum(np.maximum(np.maximum(a, b), c), 0),
             sp.Max(0, 1 - sp.Max(0, x - 1)): lambda a, b, c: np.maximum(
                 0, 1 - np.maximum(0, a - 1))}
    printer = ScalarPrinter()
    values = [-2.0, 0.0, 0.5, 3.0, np.nan]
    for expr, expected in cases.items():
        function = eval(f"lambda x, y, z: {printer.doprint(expr)}",  # noqa: S307 - ours
                        {"numpy": np})
        runs = [function]
        if kernel.AVAILABLE:  # and as the kernel runs it
            import numba

            runs.append(numba.njit(function))
        for run, (a, b, c) in itertools.product(runs, itertools.product(values, repeat=3)):
            np.testing.assert_equal(run(a, b, c), expected(a, b, c), err_msg=str(expr))


def test_the_scalar_step_is_numpys_and_has_no_branch():
    """The kernel's code prints the step H(x) (1 at 0) without a conditional expression
    (a branch in numba's intermediate code: they made the 10-state Jacobian-vector
    product's compilation take minutes): equal to numpy.heaviside(x, 1) at the kink, at
    the nearest doubles either side of it, further off, at both infinities and at both
    signed zeros, and 0 at NaN (as the conditional was; a NaN rate is caught by the
    kernel's checks anyway), run by Python and by numba."""
    import sympy as sp

    x = sp.Symbol("x", real=True)
    printer = ScalarPrinter()
    text = printer.doprint(sp.Heaviside(x - 1))
    assert " if " not in text
    function = eval(f"lambda x: {text}", {"numpy": np})  # noqa: S307 - ours
    runs = [function]
    if kernel.AVAILABLE:
        import numba

        runs.append(numba.njit(function))
    values = [-np.inf, -3.0, 1.0 - 1e-16, 1.0, 1.0 + 2e-16, 4.0, np.inf, np.nan]
    for run in runs:
        for a in values:
            expected = 0.0 if np.isnan(a) else np.heaviside(a - 1.0, 1.0)
            assert run(a) == expected and type(run(a)) is float, (a, run(a))
    zero = eval(f"lambda x: {printer.doprint(sp.Heaviside(x))}")  # noqa: S307 - ours
    assert zero(0.0) == zero(-0.0) == 1.0


def test_the_kernels_scalar_rate_is_the_models_rate():
    from dynamics.analysis.checks import _random_point

    model = Model(["A", "B", "C"])
    compiled = compiling.compile_model(model, "unrolled")
    namespace: dict = {"numpy": np}
    exec(compiled.scalar, namespace)  # noqa: S102 - the project's own generated code
    rng = np.random.default_rng(5)
    for _ in range(3):
        y, p = _random_point(model, rng)
        out = np.empty(y.size)
        namespace["rate_into"](y, p, out)
        expected = compiled.rate(0.0, y, p)
        assert np.max(np.abs(out - expected)) <= 1e-13 * np.max(np.abs(expected))
