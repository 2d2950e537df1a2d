"""The compiled kernel is cached on disk by numba: its integrators are compiled once for all
models, a second process loads a model's compiled rate instead of compiling it, and a
changed equation or a damaged file is never served."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dynamics import Intervention, Model, compile_model
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.kernel import build as kernel
from dynamics.run.solver import Solver

needs_numba = pytest.mark.skipif(not kernel.AVAILABLE, reason="the kernel needs numba")

PROBE = textwrap.dedent("""
    import numpy as np
    from dynamics import Model, compile_model
    from dynamics.run.kernel import build as kernel
    from dynamics.run.kernel import body as kernel_body
    from dynamics.run.ensemble import simulate_ensemble
    model = Model(["A", "B"], "richardson")
    simulate_ensemble(model, {"reaction": np.linspace(0.05, 0.1, 4)[:, None]}, (0, 10),
                      output=11)
    rate = kernel._compiled(compile_model(model).source, "rate_into", kernel.RATE)
    print(rate.cache_hits, sum(kernel_body.many.stats.cache_misses.values()))
""")


@needs_numba
def test_a_second_process_loads_the_compiled_rate_instead_of_compiling(tmp_path):
    environment = {**os.environ, "BALANCING_CACHE_DIR": str(tmp_path)}
    counts = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", PROBE], env=environment, check=True,
                             capture_output=True, text=True).stdout.split()
        counts.append((int(out[0]), int(out[1])))
    (first_hits, _), (second_hits, second_misses) = counts
    assert first_hits == 0  # compiled in an empty cache, and written to it
    assert second_hits == 1  # loaded, not compiled
    assert second_misses == 0  # the integrators too
    assert list((tmp_path / "kernels").glob("dynamics_kernel_*.py"))


@needs_numba
def test_the_integrators_are_compiled_once_for_models_of_every_shape():
    """Two shapes, members given or broadcast (read-only arrays), with and without an
    intervention: one compilation of the integrators serves them all."""
    from dynamics.run.kernel import body as kernel_body

    runs = [(["A", "B"], "richardson", {"reaction": np.full((3, 2), 0.1)}, None),
            (["A", "B", "C"], ("richardson", "perception", "ceiling"), {}, None),
            (["A", "B"], "richardson", {"reaction": np.full((3, 2), 0.1)},
             [Intervention("halve", at=np.array([2.0, 3.0, 4.0]), scale={"reaction": 0.5})])]
    for states, mechanisms, params, interventions in runs:
        result = simulate_ensemble(Model(states, mechanisms), params, (0, 5), output=6,
                                   solver=Solver(engine="kernel"), interventions=interventions)
        assert result.ok.all() and result.engine == "kernel"
    assert len(kernel_body.many.signatures) == 1


def test_a_changed_equation_gets_another_kernel_module():
    two = compile_model(Model(["A", "B"], "richardson")).source
    three = compile_model(Model(["A", "B", "C"], "richardson")).source
    texts = [kernel._module_text(kernel._function(source, "rate_into"), "rate_into",
                                 kernel.RATE) for source in (two, three)]
    assert texts[0] != texts[1]
    conditions = "def conditions(y, p, out):\n    out[0] = y[0]\n"
    assert kernel._module_text(conditions, "conditions", kernel.RATE) != \
        kernel._module_text(kernel.NO_CONDITIONS, "conditions", kernel.RATE)


def test_each_function_is_taken_whole_from_the_generated_code():
    """Found by text, not parsed: each piece is exactly one definition of that name."""
    import ast

    source = compile_model(Model(["A", "B", "C"]), "unrolled").source
    names = [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]
    assert "rate_into" in names
    for name in names:
        (node,) = ast.parse(kernel._function(source, name)).body
        assert isinstance(node, ast.FunctionDef) and node.name == name


def test_a_function_the_code_lacks_is_named():
    with pytest.raises(ValueError, match="no function 'rate_into'"):
        kernel._function(kernel.NO_CONDITIONS, "rate_into")


@needs_numba
def test_a_damaged_kernel_file_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    model = Model(["A", "B"], "richardson")
    source = compile_model(model).source
    kernel._module.cache_clear()
    kernel._compiled(source, "rate_into", kernel.RATE)
    (path,) = (tmp_path / "kernels").glob("dynamics_kernel_*.py")
    path.write_text("garbage that is not the kernel\n")
    kernel._module.cache_clear()
    try:
        params = {"reaction": np.linspace(0.05, 0.1, 3)[:, None]}
        ours = simulate_ensemble(model, params, (0, 10), output=11)
        loop = simulate_ensemble(model, params, (0, 10), output=11, solver=Solver(engine="scipy"))
    finally:
        kernel._module.cache_clear()
    assert path.read_text() == kernel._module_text(kernel._function(source, "rate_into"),
                                                   "rate_into", kernel.RATE)
    np.testing.assert_allclose(ours.values["m"], loop.values["m"], rtol=1e-5)
