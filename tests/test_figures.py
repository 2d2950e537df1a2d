"""`balancing figures` writes every figure, and twice gives identical data behind each."""

from __future__ import annotations

from dynamics.figures import FIGURES, make_figures


def test_figures_are_complete_and_deterministic(tmp_path):
    first = make_figures(tmp_path / "a")
    second = make_figures(tmp_path / "b")
    names = {p.name for p in first}
    for name in FIGURES:
        assert {f"{name}.pdf", f"{name}.png", f"{name}.csv"} <= names
    for a, b in zip(first, second, strict=True):
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes(), a.name
        assert a.stat().st_size > 0
