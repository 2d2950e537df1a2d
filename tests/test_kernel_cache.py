"""The compiled kernel is cached on disk by numba: a second process loads it instead of
compiling it, and a changed equation or a damaged file is never served."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from dynamics import Model, compile_model, kernel

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="the kernel needs numba")

PROBE = textwrap.dedent("""
    import numpy as np
    from dynamics import Model, compile_model, kernel
    from dynamics.ensemble import simulate_ensemble
    model = Model(["A", "B"], "richardson")
    simulate_ensemble(model, {"reaction": np.linspace(0.05, 0.1, 4)[:, None]}, (0, 10),
                      output=11)
    many = kernel._kernel(compile_model(model).source, kernel.NO_CONDITIONS).many
    print(sum(many.stats.cache_hits.values()), sum(many.stats.cache_misses.values()))
""")


@needs_numba
def test_a_second_process_loads_the_compiled_kernel_instead_of_compiling(tmp_path):
    environment = {**os.environ, "BALANCING_CACHE_DIR": str(tmp_path)}
    counts = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", PROBE], env=environment, check=True,
                             capture_output=True, text=True).stdout.split()
        counts.append((int(out[0]), int(out[1])))
    (first_hits, first_misses), (second_hits, second_misses) = counts
    assert first_hits == 0 and first_misses >= 1  # compiled, and written to the cache
    assert second_hits >= 1 and second_misses == 0  # loaded, not compiled
    assert list((tmp_path / "kernels").glob("dynamics_kernel_*.py"))


def test_a_changed_equation_gets_another_kernel_module():
    two = compile_model(Model(["A", "B"], "richardson")).source
    three = compile_model(Model(["A", "B", "C"], "richardson")).source
    texts = [kernel._module_text(source, kernel.NO_CONDITIONS) for source in (two, three)]
    assert texts[0] != texts[1]
    assert kernel._module_text(two, "def conditions(y, p, out):\n    out[0] = y[0]\n") \
        != texts[0]


@needs_numba
def test_a_damaged_kernel_file_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    source = compile_model(Model(["A", "B"], "richardson")).source
    kernel._kernel.cache_clear()
    kernel._kernel(source, kernel.NO_CONDITIONS)
    (path,) = (tmp_path / "kernels").glob("dynamics_kernel_*.py")
    path.write_text("garbage that is not the kernel\n")
    kernel._kernel.cache_clear()
    kernel._kernel(source, kernel.NO_CONDITIONS)
    assert path.read_text() == kernel._module_text(source, kernel.NO_CONDITIONS)
    kernel._kernel.cache_clear()
