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
from dynamics.codegen import cache
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
    rate = kernel._compiled(compile_model(model).scalar, "rate_into", kernel.RATE)
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
    two = compile_model(Model(["A", "B"], "richardson")).scalar
    three = compile_model(Model(["A", "B", "C"], "richardson")).scalar
    texts = [kernel.module_text(source, "rate_into", kernel.RATE) for source in (two, three)]
    assert texts[0] != texts[1]
    conditions = "def conditions(y, p, out):\n    out[0] = y[0]\n"
    assert kernel.module_text(conditions, "conditions", kernel.RATE) != \
        kernel.module_text(kernel.NO_CONDITIONS, "conditions", kernel.RATE)


def test_each_function_of_the_unrolled_path_is_one_definition():
    """The numpy functions, the scalar rate, its lanes and its derivative are each printed
    from the program as whole definitions (nothing is cut out of a larger text)."""
    import ast

    compiled = compile_model(Model(["A", "B", "C"]), "unrolled")
    names = {node.name for node in ast.parse(compiled.source).body
             if isinstance(node, ast.FunctionDef)}
    assert {"rate", "jacobian", "output_0"} <= names and "rate_into" not in names
    for text, name in ((compiled.scalar, "rate_into"), (compiled.jvp_source(), "jvp_into"),
                       (compiled.lanes_source(8, frozenset(), False), "rate_lanes")):
        (node,) = ast.parse(text).body
        assert isinstance(node, ast.FunctionDef) and node.name == name
    # with its member constants hoisted: the rate, their count, and what computes them
    body = ast.parse(compiled.lanes_source(8, frozenset())).body
    assert [type(node).__name__ for node in body] == ["FunctionDef", "Assign", "FunctionDef"]
    assert [body[0].name, body[2].name] == ["rate_lanes", "lane_constants"]


@needs_numba
def test_a_damaged_kernel_file_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    model = Model(["A", "B"], "richardson")
    source = compile_model(model).scalar
    cache.compiled_module.cache_clear()
    kernel._compiled(source, "rate_into", kernel.RATE)
    (path,) = (tmp_path / "kernels").glob("dynamics_kernel_*.py")
    path.write_bytes(b"\xff\xfe garbage that is not the kernel\n")
    numba_cache = list((tmp_path / "kernels" / "__pycache__").glob(f"{path.stem}.*"))
    assert {p.suffix for p in numba_cache} == {".nbi", ".nbc"}
    for damaged in numba_cache:  # numba's index and compiled object, not text either
        damaged.write_bytes(b"\xff\xfe\x00 garbage")
    cache.compiled_module.cache_clear()
    try:
        params = {"reaction": np.linspace(0.05, 0.1, 3)[:, None]}
        ours = simulate_ensemble(model, params, (0, 10), output=11)
        loop = simulate_ensemble(model, params, (0, 10), output=11, solver=Solver(engine="scipy"))
    finally:
        cache.compiled_module.cache_clear()
    assert path.read_text() == kernel.module_text(source, "rate_into", kernel.RATE)
    np.testing.assert_allclose(ours.values["m"], loop.values["m"], rtol=1e-5)


@needs_numba
def test_two_processes_filling_one_fresh_cache_agree(tmp_path, monkeypatch):
    """Two processes that start together on an empty cache both generate, write and
    compile the same model: each file is written whole by a rename, so neither reads half
    of the other's, and both get the same numbers."""
    environment = {**os.environ, "BALANCING_CACHE_DIR": str(tmp_path)}
    probe = PROBE.replace("print(rate.cache_hits, ", "print(").replace(
        "sum(kernel_body.many.stats.cache_misses.values()))",
        "simulate_ensemble(model, {'reaction': np.linspace(0.05, 0.1, 4)[:, None]}, (0, 10),"
        " output=11).values['m'].sum())")
    runs = [subprocess.Popen([sys.executable, "-c", probe], env=environment, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert outputs[0][0] == outputs[1][0] and float(outputs[0][0]) > 0
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    entries = list(tmp_path.glob("model-*"))
    assert entries and all(cache.read(path.name) is not None for path in entries)


@needs_numba
def test_every_kernel_code_has_one_outcome():
    """The kernel's integer codes and what they mean for a member, in one table: a
    status and its message, or a re-run by scipy (suspected stiff)."""
    from dynamics.results.labelled import Status
    from dynamics.run.kernel import body

    codes = (body.FINISHED, body.DIVERGED, body.STIFF, body.NONFINITE, body.TOO_MANY,
             body.IMPLICIT)
    assert sorted(kernel.OUTCOMES) == sorted(codes)
    assert kernel.OUTCOMES[body.STIFF] is None
    assert [kernel.OUTCOMES[c][0] for c in codes if c != body.STIFF] == [
        Status.SUCCESS, Status.DIVERGED, Status.FAILED, Status.FAILED, Status.SUCCESS]
