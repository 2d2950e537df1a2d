"""The paper's figure set, regenerated deterministically by ``balancing figures``.

Each figure is a function returning a matplotlib figure and the table of numbers drawn
in it; :func:`make_figures` writes ``NAME.pdf``, ``NAME.png`` and ``data/NAME.csv`` for
each, so a test can check that two runs draw the same numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from dynamics.errors import UnknownNameError
from dynamics.plotting import figure_data, plot_run, save_figure
from dynamics.scenarios import list_scenarios, load_scenario

__all__ = ["FIGURES", "make_figures", "write_table"]

Figure = Callable[[], tuple[object, list[str], np.ndarray]]


def _scenario_figure(name: str) -> Figure:
    def build():
        scenario = load_scenario(name)
        result = scenario.run()
        n = len(result.states)
        pairs = [f"c[{a},{b}]" for k, a in enumerate(result.states)
                 for b in result.states[k + 1:]]
        header = (["t"] + [f"m[{s}]" for s in result.states]
                  + [f"burden[{s}]" for s in result.states]
                  + [f"share[{s}]" for s in result.states] + pairs)
        assert len(header) == 1 + 3 * n + len(pairs)
        return plot_run(result, title=scenario.title), header, figure_data(result)
    return build


def _registry() -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for name in list_scenarios():
        figures[f"scenario-{name}"] = _scenario_figure(name)
    return figures


FIGURES = _registry()


def write_table(path: Path, header: list[str], data: np.ndarray) -> Path:
    """Write the numbers behind a figure as CSV (exact float repr)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in np.atleast_2d(data):
            writer.writerow([repr(float(x)) for x in row])
    return path


def make_figures(out: Path | str = "figures", only: Iterable[str] | None = None) -> list[Path]:
    """Write every figure (or those named in ``only``) to ``out``; returns the paths."""
    out = Path(out)
    names = list(FIGURES) if not only else list(only)
    for name in names:
        if name not in FIGURES:
            raise UnknownNameError("figure", name, FIGURES)
    written = []
    for name in names:
        figure, header, data = FIGURES[name]()
        written += save_figure(figure, out / name)
        written.append(write_table(out / "data" / f"{name}.csv", header, data))
    return written
