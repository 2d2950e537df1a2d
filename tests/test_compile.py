"""Compilation: the on-disk cache of generated code round-trips and can be disabled."""

from __future__ import annotations

import numpy as np

from dynamics import Model
from dynamics import compile as compiling

SHAPE = (2, Model(["A", "B"], ["ceiling"]).components)


def test_disk_cache_is_written_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    compiling._compile.cache_clear()
    try:
        generated = compiling._compile(*SHAPE)
        files = list(tmp_path.glob("model-*.py"))
        assert len(files) == 1 and files[0].read_text() == generated.source
        compiling._compile.cache_clear()
        loaded = compiling._compile(*SHAPE)
        assert loaded.source == generated.source
        y, p = np.linspace(0.1, 0.2, loaded.n_variables), np.linspace(0.1, 0.9, loaded.n_inputs)
        np.testing.assert_array_equal(loaded.rate(0.0, y, p), generated.rate(0.0, y, p))
        np.testing.assert_array_equal(loaded.jacobian(0.0, y, p), generated.jacobian(0.0, y, p))
    finally:
        compiling._compile.cache_clear()


def test_empty_cache_dir_disables_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BALANCING_CACHE_DIR", "")
    assert compiling._cache_folder() is None


def test_a_corrupt_cache_file_is_regenerated(tmp_path, monkeypatch):
    """A truncated or garbage cache file never breaks a run: it is written again."""
    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    compiling._compile.cache_clear()
    try:
        good = compiling._compile(*SHAPE)
        (cached,) = tmp_path.glob("model-*.py")
        for garbage in ("def rate(t, y, p):\n    return (", "\x00\x01 not python"):
            cached.write_text(garbage)
            compiling._compile.cache_clear()
            again = compiling._compile(*SHAPE)
            assert again.source == good.source and cached.read_text() == good.source
    finally:
        compiling._compile.cache_clear()
