"""`balancing figures` writes every figure, and twice gives identical data behind each."""

from __future__ import annotations

import csv

import matplotlib.pyplot as plt
import numpy as np
import pytest
from closed_forms import is_pdf, png_size

from dynamics.views.figures import FIGURES, make_figures

pytestmark = pytest.mark.slow  # every figure computed twice: minutes


def test_figures_are_complete_and_deterministic(tmp_path):
    """The main job writes PDF, PNG and data for every figure; computing each figure a
    second time gives exactly the numbers written the first time."""
    written = make_figures(tmp_path)
    names = {p.name for p in written}
    for name in FIGURES:
        assert {f"{name}.pdf", f"{name}.png", f"{name}.csv"} <= names
    for path in written:
        if path.suffix == ".pdf":
            assert is_pdf(path), path
        elif path.suffix == ".png":
            assert min(png_size(path)) > 300, path
    for name, build in FIGURES.items():
        figure, header, data = build()
        plt.close(figure)
        with (tmp_path / "data" / f"{name}.csv").open() as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == header, name
        first = np.array([[float(x) for x in row] for row in rows[1:]])
        np.testing.assert_array_equal(first, np.atleast_2d(data), err_msg=name)


def test_the_committed_figure_data_is_what_the_code_draws(tmp_path):
    """Each committed figures/data/NAME.csv equals a regeneration: every column to
    DATA_TOLERANCE of its largest magnitude (bit for bit on one machine; solvers round
    differently across machines), the stability classification exactly."""
    from pathlib import Path

    from dynamics.views.figures import DATA_TOLERANCE

    committed = Path(__file__).resolve().parents[1] / "figures" / "data"
    for name, build in FIGURES.items():
        figure, header, data = build()
        plt.close(figure)
        with (committed / f"{name}.csv").open() as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == header, name
        shipped = np.array([[float(x) for x in row] for row in rows[1:]])
        data = np.atleast_2d(data)
        assert shipped.shape == data.shape, name
        scale = np.nanmax(np.abs(data), axis=0)
        scale[~(scale > 0)] = 1.0
        assert np.all((np.abs(shipped - data) <= DATA_TOLERANCE * scale)
                      | (np.isnan(shipped) & np.isnan(data))), name
