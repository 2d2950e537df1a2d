"""The paper's figure set, regenerated deterministically by ``balancing figures``.

Each figure is a function returning a matplotlib figure and the table of numbers drawn
in it; :func:`make_figures` writes ``NAME.pdf``, ``NAME.png`` and ``data/NAME.csv`` for
each, so a test can check that two runs draw the same numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from dynamics.errors import UnknownNameError
from dynamics.plotting import (
    ONE_COLUMN,
    PALETTE,
    TWO_COLUMN,
    figure_data,
    paper_style,
    plot_run,
    save_figure,
)
from dynamics.results import Result
from dynamics.scenarios import Scenario, list_scenarios, load_scenario

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


def _without(scenario: Scenario, mechanism: str) -> Scenario:
    return scenario.with_values(mechanisms=[m for m in scenario.mechanisms if m != mechanism])


def _compare(runs: list[tuple[str, Result]], series: Callable[[Result], np.ndarray],
             ylabel: str, title: str, threshold: float | None = None,
             width: float = ONE_COLUMN) -> tuple[object, list[str], np.ndarray]:
    """One panel: ``series`` of each labelled run against time (runs share their times)."""
    styles = ["-", "--", "-.", ":"]
    with paper_style():
        fig, ax = plt.subplots(figsize=(width, 3.0), layout="constrained")
        for k, (label, result) in enumerate(runs):
            ax.plot(result.t, series(result), color=PALETTE[k % len(PALETTE)],
                    linestyle=styles[k % len(styles)], label=label)
        if threshold is not None:
            ax.axhline(threshold, color="0.4", linestyle="--", linewidth=0.8)
            ax.annotate("hegemony $s^*$", (runs[0][1].t[0], threshold), xytext=(2, 2),
                        textcoords="offset points", fontsize=6, color="0.3")
        ax.set_xlabel("time (years)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        fig.legend(loc="outside lower center", ncols=2)
        ax.set_xlim(runs[0][1].t[0], runs[0][1].t[-1])
    data = np.column_stack([runs[0][1].t] + [series(r) for _, r in runs])
    return fig, ["t"] + [label for label, _ in runs], data


def _balancing_comparison():
    """The riser's share from one start under no, internal, external and both balancing."""
    runs = [(label, load_scenario(name).run()) for label, name in (
        ("no balancing", "hegemonic-rise"), ("internal", "internal-balancing"),
        ("external", "external-balancing"), ("internal and external", "combined-balancing"))]
    return _compare(runs, lambda r: r.share[:, r.state_index("Riser")],
                    "power share of the Riser $S_R$", "Balancing against a rising power",
                    threshold=0.5)


def _security_dilemma_comparison():
    """Burden relative to the ceiling for several distinguishabilities D."""
    scenario = load_scenario("security-dilemma")
    ceiling = float(scenario.parameters["ceiling"])
    runs = [(f"D = {d:g}", scenario.with_values({"distinguishability": d}).run())
            for d in (0.2, 0.5, 0.8, 0.95)]
    return _compare(runs, lambda r: r.burden[:, 0] / ceiling,
                    r"mobilisation $m/(b\,e)$ (share of ceiling)",
                    "Security dilemma: escalation falls with distinguishability")


def _soft_balancing_comparison():
    """The unipole's share with and without soft balancing, for decay and for constraint."""
    decay, durable = load_scenario("unipolar-decay"), load_scenario("soft-balancing")
    runs = [("decay, soft balancing", decay.run()),
            ("decay, none", _without(decay, "soft_balancing").run()),
            ("no catch-up, soft balancing", durable.run()),
            ("no catch-up, none", _without(durable, "soft_balancing").run())]
    return _compare(runs, lambda r: r.share[:, 0], "power share of the Unipole",
                    "Unipolar decay and soft balancing", threshold=0.5, width=TWO_COLUMN / 1.4)


def _bandwagoning_comparison():
    """The strong state's share when the weak bandwagon and when they balance."""
    scenario = load_scenario("bandwagoning")
    runs = [("weak states bandwagon", scenario.run()),
            ("weak states balance", _without(scenario, "bandwagoning").run())]
    return _compare(runs, lambda r: r.share[:, 0], "power share of the strong state",
                    "Bandwagoning strengthens the strong", threshold=0.5)


def _registry() -> dict[str, Figure]:
    figures: dict[str, Figure] = {
        "compare-balancing": _balancing_comparison,
        "compare-security-dilemma": _security_dilemma_comparison,
        "compare-soft-balancing": _soft_balancing_comparison,
        "compare-bandwagoning": _bandwagoning_comparison,
    }
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
