"""A feature whose optional dependency is missing says which extra installs it, before any
work; an ensemble without numba says once what it gives up. (The packages are hidden from
the import system here; CI also runs the figures from the bare wheel.)"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from dynamics import MissingExtraError, Model
from dynamics.scenarios import load_scenario
from dynamics.studies.design import Problem


@pytest.fixture
def without(monkeypatch):
    """Hide the named top-level packages from ``importlib.util.find_spec``."""
    real = importlib.util.find_spec

    def hide(*names: str) -> None:
        def find_spec(name, *args, **kwargs):
            if name.split(".")[0] in names:
                return None
            return real(name, *args, **kwargs)
        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    return hide


def _never_runs(*args, **kwargs):  # a study that reached its runs would call this
    raise AssertionError("the study ran before checking its extra")


@pytest.mark.parametrize(("call", "package", "extra"), [
    (lambda: importlib.import_module("dynamics.studies.sensitivity").morris(
        load_scenario("hegemonic-rise"), Problem(("coercion",), ((0.0, 0.1),)),
        "peak_share", trajectories=4), "SALib", "sensitivity"),
    (lambda: importlib.import_module("dynamics.studies.sensitivity").fast(
        load_scenario("hegemonic-rise"), Problem(("coercion", "growth.Riser"),
                                                 ((0.0, 0.1), (0.03, 0.07))),
        "peak_share", n=65), "SALib", "sensitivity"),
    (lambda: importlib.import_module("dynamics.studies.discovery").discover(
        load_scenario("hegemonic-rise"), Problem(("coercion",), ((0.0, 0.1),)),
        "peak_share > 0.5", n=8), "ema_workbench", "discovery"),
    (lambda: load_scenario("hegemonic-rise").run().to_dataframe(), "pandas", "data"),
])
def test_a_missing_extra_is_named_before_any_work(without, monkeypatch, call, package,
                                                  extra):
    without(package)
    monkeypatch.setattr("dynamics.studies.design.simulate_ensemble", _never_runs)
    with pytest.raises(MissingExtraError, match=rf"pip install 'balancing-dynamics\[{extra}\]'"):
        call()


def test_an_ensemble_without_numba_says_once_what_it_gives_up(monkeypatch):
    from dynamics.run import engines, ensemble
    from dynamics.run.kernel import build as kernel

    monkeypatch.setattr(kernel, "AVAILABLE", False)
    engines._warn_without_numba.cache_clear()
    model = Model(["A", "B"], "richardson")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(2):
            ensemble.simulate_ensemble(model, {"reaction": np.array([0.1, 0.2])}, (0.0, 5.0),
                                       output=3)
    said = [w for w in seen if "numba is not installed" in str(w.message)]
    assert len(said) == 1 and "[fast]" in str(said[0].message)
    engines._warn_without_numba.cache_clear()
