"""Publication-quality plots of results: paper style, colour-blind-safe palette, PDF + PNG.

Figures are sized for journal columns (``ONE_COLUMN`` = 3.5 in, ``TWO_COLUMN`` = 7.2 in
wide), use the Okabe-Ito palette (distinguishable under the common colour-vision
deficiencies; Okabe and Ito 2008), label every axis with its unit and every line with its
state, and save deterministically (no timestamps in the files), so regenerating a figure
gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.ticker import MaxNLocator

from dynamics.errors import require
from dynamics.results.files import is_device, replacing
from dynamics.results.labelled import Result

__all__ = ["PALETTE", "ONE_COLUMN", "TWO_COLUMN", "paper_style", "plot_run", "plot_shares",
           "save_figure", "state_colours", "figure_data", "plot_sobol", "plot_morris",
           "plot_fit", "plot_corner", "plot_predictive", "plot_survival", "identical_states",
           "plot_evaluation", "plot_beside", "beside_limits"]

#: Okabe-Ito colours, black last
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")
ONE_COLUMN = 3.5  # inches
TWO_COLUMN = 7.2

_STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.3,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.3, "grid.linewidth": 0.5, "legend.frameon": False,
    "figure.dpi": 150, "savefig.dpi": 300, "savefig.bbox": "tight",
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.hashsalt": "balancing-dynamics",
    "axes.prop_cycle": cycler(color=PALETTE),
}


@contextmanager
def paper_style():
    """Context in which figures take the paper style."""
    with matplotlib.rc_context(_STYLE):
        yield


def state_colours(states: Sequence[str]) -> dict[str, str]:
    """A fixed colour per state.

    Parameters
    ----------
    states : sequence of str
        The states, in order.

    Returns
    -------
    dict
        State -> colour (grey past the palette).
    """
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(states)}


#: the colour of the states not named in a figure of more states than the palette has
OTHERS = "0.75"


def _run_colours(result: Result) -> dict[str, str]:
    """A colour per state; with more states than the palette has colours, the largest
    (by final power share) take the palette's first colours and the others are grey."""
    if len(result.states) <= len(PALETTE):
        return state_colours(result.states)
    order = np.argsort(-result.share[-1], kind="stable")
    named = [result.states[i] for i in order[:len(PALETTE) - 1]]
    return {s: PALETTE[named.index(s)] if s in named else OTHERS for s in result.states}


def _label(state: str, colours: dict[str, str], seen: set[str],
           twins: dict[str, list[str]] | None = None) -> str | None:
    """The legend's label of a state: its name, one "other states" for the grey, and one
    label for states whose trajectories are identical (``twins``: the first of each such
    group and its group)."""
    if twins is not None and state in twins:
        group = twins[state]
        return None if group[0] != state else " = ".join(group) + " (identical)"
    if colours[state] != OTHERS:
        return state
    if OTHERS in seen:
        return None
    seen.add(OTHERS)
    return "other states"


def identical_states(result: Result) -> dict[str, list[str]]:
    """Groups of two or more states whose spending, output and power share are the same over
    the whole run (to 1e-9 relative).

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    dict
        Each state of a group -> the group.
    """
    columns = [np.column_stack([result["m"][:, i], result["e"][:, i], result.share[:, i]])
               for i in range(len(result.states))]
    groups: list[list[int]] = []
    for i, column in enumerate(columns):
        for group in groups:
            if np.allclose(column, columns[group[0]], rtol=1e-9, atol=1e-12):
                group.append(i)
                break
        else:
            groups.append([i])
    return {result.states[i]: [result.states[k] for k in group]
            for group in groups if len(group) > 1 for i in group}


#: the formats a figure is written in when its path names one
FORMATS = ("pdf", "png", "svg")


def save_figure(figure: plt.Figure, path: str | Path,
                formats: Iterable[str] | None = None) -> list[Path]:
    """Save a figure whole or not at all: in the format its suffix names (``.pdf``, ``.png``,
    ``.svg``), or, without one of those, as vector PDF and 300-dpi PNG beside it (a device
    such as /dev/null takes one PDF as it is). PDFs carry no creation date, so that a
    regenerated figure is byte-identical.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure (closed once saved).
    path : str or Path
        Where.
    formats : iterable of str, optional
        The formats, overriding the suffix.

    Returns
    -------
    list of Path
        The files written.
    """
    path = Path(path)
    if formats is None:
        suffix = path.suffix.lstrip(".").lower()
        formats = (suffix,) if suffix in FORMATS else ("pdf",) if is_device(path) else (
            "pdf", "png")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path if is_device(path) else path.with_suffix(f".{fmt}")
        metadata = {"pdf": {"CreationDate": None, "ModDate": None, "Producer": None,
                            "Creator": "balancing-dynamics"},
                    "png": {"Software": None}}.get(fmt, {})
        # whole or not at all: an interrupted save leaves the committed figure as it was
        with matplotlib.rc_context(_STYLE), replacing(target, "wb") as handle:  # type: ignore[arg-type]
            figure.savefig(handle, format=fmt, metadata=metadata)
        written.append(target)
    plt.close(figure)
    return written


def plot_shares(ax: plt.Axes, result: Result, threshold: float | None = None,
                colours: dict[str, str] | None = None, linestyle: str = "-",
                label_suffix: str = "") -> None:
    """Power shares over time, with the hegemony threshold as a dashed line.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    result : Result
        A run.
    threshold : float, optional
        The hegemony share, drawn as a dashed line (none where None).
    colours : dict, optional
        State -> colour (:func:`state_colours` by default).
    linestyle : str
        The lines' style.
    label_suffix : str
        Added to each state's label.
    """
    colours = colours or state_colours(result.states)
    for i, state in enumerate(result.states):
        ax.plot(result.t, result.share[:, i], color=colours[state], linestyle=linestyle,
                label=state + label_suffix, zorder=1 if colours[state] == OTHERS else 2)
    if threshold is not None:
        ax.axhline(threshold, color="0.4", linestyle="--", linewidth=0.8)
        ax.annotate("hegemony $s^*$", (result.t[0], threshold), xytext=(2, 2),
                    textcoords="offset points", fontsize=6, color="0.3")
    ax.set_xlabel("time (years)")
    ax.set_ylabel("power share $S_i$")
    ax.set_ylim(0, 1)


def plot_run(result: Result, title: str = "", threshold: float | None = None,
             unit: str = "") -> plt.Figure:
    """Four panels: spending, burden, power share and the cohesion of allied pairs (the
    economic output instead when alliances are off and cohesion is held). With more states
    than the palette has colours, the largest by final power share are named and the others
    drawn in grey.

    Parameters
    ----------
    result : Result
        A run.
    title : str
        The figure's title.
    threshold : float, optional
        The hegemony share drawn (the run's own s* by default).
    unit : str
        The currency unit of spending and output (a scenario's ``unit``); without one the
        spending axis says "arbitrary units".

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    colours = _run_colours(result)
    # states with identical trajectories are drawn in one colour and named once, so that a
    # reader does not take the one visible line for one state and think the others missing
    twins = identical_states(result)
    colours.update({state: colours[group[0]] for state, group in twins.items()})
    seen: set[str] = set()
    # a dollar sign in the unit ("US$ bn") would open matplotlib's mathtext
    shown = (unit or "arbitrary units").replace("$", r"\$")
    if threshold is None:
        threshold = result.provenance.get("parameters", {}).get("hegemony_share")
    with paper_style():
        fig, axes = plt.subplots(2, 2, figsize=(TWO_COLUMN, 4.4), sharex=True,
                                 layout="constrained")
        (spend, burden), (share, cohesion) = axes
        for i, state in enumerate(result.states):
            layer = 1 if colours[state] == OTHERS else 2
            spend.plot(result.t, result["m"][:, i], color=colours[state],
                       label=_label(state, colours, seen, twins), zorder=layer)
            burden.plot(result.t, 100 * result.burden[:, i], color=colours[state],
                        zorder=layer)
        spend.set_ylabel(f"military spending $m_i$ ({shown})")
        burden.set_ylabel("burden $m_i/e_i$ (% of output)")
        plot_shares(share, result, threshold, colours)
        if "alliances" in result.mechanisms:
            _plot_cohesion(cohesion, result, colours)
        else:  # cohesion is held: the panel shows what moves instead
            for i, state in enumerate(result.states):
                cohesion.plot(result.t, result["e"][:, i], color=colours[state],
                              zorder=1 if colours[state] == OTHERS else 2)
            cohesion.set_ylabel(f"economic output $e_i$ ({shown})")
            cohesion.set_xlabel("time (years)")
        if title:
            fig.suptitle(title, fontsize=9)
        # the states' legend sits below the panels, where it covers no line
        handles, labels = spend.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
        for ax in axes.flat:
            ax.set_xlim(result.t[0], result.t[-1])
            mark_events(ax, result.events, label=ax is spend)
    return fig


def mark_events(ax: plt.Axes, events, label: bool = True) -> None:
    """A dotted vertical line at each intervention that fired and, when ``label``, its name
    at the top; names of interventions closer together than 4 % of the axis share one
    label, so that they do not overwrite each other."""
    groups: list[tuple[float, list[str]]] = []
    low, high = ax.get_xlim()
    near = 0.04 * (high - low)
    for event in events:
        ax.axvline(event["time"], color="0.35", linestyle=":", linewidth=0.8, zorder=0)
        if groups and event["time"] - groups[-1][0] < near:
            if event["name"] not in groups[-1][1]:
                groups[-1][1].append(event["name"])
        else:
            groups.append((event["time"], [event["name"]]))
    if not label:
        return
    for time, names in groups:
        ax.annotate("; ".join(names), (time, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, -2), textcoords="offset points", fontsize=5.5, color="0.3",
                    rotation=90, va="top")


def plot_comparison(comparison, title: str = "") -> plt.Figure:
    """Power shares in the baseline (dashed) and the counterfactual (solid), each with the
    5-95 % band over the members of an ensemble comparison, interventions marked; and the
    paired difference of each state's share over time."""
    colours = state_colours(comparison.states)
    t = comparison.t
    with paper_style():
        fig, (paths, gap) = plt.subplots(1, 2, figsize=(TWO_COLUMN, 2.6), layout="constrained")
        for i, state in enumerate(comparison.states):
            for shares, style, suffix in ((comparison.base_share, "--", " (baseline)"),
                                          (comparison.counter_share, "-", "")):
                series = shares[:, :, i]
                paths.plot(t, np.nanmedian(series, axis=0), color=colours[state],
                           linestyle=style, label=state + suffix if style == "-" else None)
                if series.shape[0] > 1:
                    low, high = np.nanquantile(series, [0.05, 0.95], axis=0)
                    paths.fill_between(t, low, high, color=colours[state], alpha=0.15,
                                       linewidth=0)
            diff = comparison.counter_share[:, :, i] - comparison.base_share[:, :, i]
            gap.plot(t, np.nanmedian(diff, axis=0), color=colours[state], label=state)
            if diff.shape[0] > 1:
                low, high = np.nanquantile(diff, [0.05, 0.95], axis=0)
                gap.fill_between(t, low, high, color=colours[state], alpha=0.15, linewidth=0)
        paths.set_ylabel("power share $S_i$ (dashed: baseline)")
        paths.set_ylim(0, 1)
        gap.axhline(0, color="0.4", linewidth=0.6)
        gap.set_ylabel("share: counterfactual $-$ baseline")
        for ax in (paths, gap):
            ax.set_xlabel("time (years)")
            ax.set_xlim(t[0], t[-1])
            mark_events(ax, comparison.events, label=ax is paths)
        paths.legend(loc="best", ncols=2)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig


def _plot_cohesion(ax: plt.Axes, result: Result, colours: dict[str, str],
                   most: int = 8) -> None:
    """Cohesion of the pairs that ever ally (c > 0.01), strongest first, at most ``most``."""
    n = len(result.states)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)
             if result["c"][:, i, j].max() > 0.01]
    pairs.sort(key=lambda ij: -result["c"][:, ij[0], ij[1]].max())
    for k, (i, j) in enumerate(pairs[:most]):
        ax.plot(result.t, result["c"][:, i, j], color=colours[result.states[i]],
                linestyle=["-", "--", ":", "-."][k % 4],
                label=f"{result.states[i]}-{result.states[j]}")
    if pairs:
        ax.legend(loc="best", ncols=2, title=None if len(pairs) <= most else
                  f"{most} strongest of {len(pairs)} pairs")
    else:
        ax.text(0.5, 0.5, "no alliance formed (cohesion below 0.01)", transform=ax.transAxes,
                ha="center", color="0.4")
    ax.set_ylabel("alliance cohesion $c_{ij}$")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time (years)")


def figure_data(result: Result) -> np.ndarray:
    """The numbers behind :func:`plot_run`.

    Parameters
    ----------
    result : Result
        A run.

    Returns
    -------
    ndarray
        Columns t, m, burden, share and cohesion.
    """
    n = len(result.states)
    upper = np.triu_indices(n, 1)
    return np.column_stack([result.t, result["m"], result.burden, result.share,
                            result["c"][:, upper[0], upper[1]]])


_KIND_MARKERS = {"stable node": ("o", "black"), "stable focus": ("o", "black"),
                 "saddle": ("X", "#D55E00"), "unstable node": ("o", "white"),
                 "unstable focus": ("o", "white"), "non-hyperbolic": ("s", "0.5")}


def plot_phase(ax: plt.Axes, portrait, title: str = "", units: str = "arbitrary units") -> None:
    """A phase portrait on ``ax``: streamlines, nullclines, trajectories, equilibria by type.

    Nullclines are dashed (first variable, blue) and dotted (second, vermilion); stable
    equilibria are filled, unstable ones open, saddles are crosses.
    """
    ax.streamplot(portrait.x, portrait.y, portrait.u, portrait.v, color="0.75",
                  density=0.9, linewidth=0.6, arrowsize=0.7)
    ax.contour(portrait.x, portrait.y, portrait.u, levels=[0.0], colors=[PALETTE[0]],
               linestyles="--", linewidths=1.0)
    ax.contour(portrait.x, portrait.y, portrait.v, levels=[0.0], colors=[PALETTE[1]],
               linestyles=":", linewidths=1.2)
    for path in portrait.trajectories:
        ax.plot(path[:, 0], path[:, 1], color=PALETTE[2], linewidth=1.0)
        ax.plot(path[0, 0], path[0, 1], marker=".", color=PALETTE[2])
    index = [portrait.equilibria[0].labels.index(v) for v in portrait.labels] \
        if portrait.equilibria else []
    for eq in portrait.equilibria:
        marker, face = _KIND_MARKERS[eq.kind]
        ax.plot(eq.state[index[0]], eq.state[index[1]], marker=marker, markersize=6,
                markerfacecolor=face, markeredgecolor="black", linestyle="none",
                label=eq.kind, zorder=5)
    ax.set_xlim(portrait.x[0], portrait.x[-1])
    ax.set_ylim(portrait.y[0], portrait.y[-1])
    ax.set_xlabel(f"${_math(portrait.labels[0])}$ ({units})")
    ax.set_ylabel(f"${_math(portrait.labels[1])}$ ({units})")
    if title:
        ax.set_title(title)


def _math(label: str) -> str:
    """``m[USA]`` -> ``m_{USA}`` for axis labels."""
    name, _, rest = label.partition("[")
    name = {"theta": "\\theta"}.get(name, name)
    return f"{name}_{{{rest.rstrip(']')}}}" if rest else name


def plot_branch(ax: plt.Axes, branch, variable: str, colour: str = PALETTE[0],
                label: str | None = None, linewidth: float = 1.2,
                note: tuple[float, float] = (4, 4)) -> None:
    """One continuation branch: solid where stable, dashed where unstable; special points,
    each named at the offset ``note`` (points)."""
    k = branch.labels.index(variable)
    stable = branch.stable
    x, y = branch.parameter, branch.states[:, k]
    for flag, style in ((True, "-"), (False, "--")):
        masked = np.where(stable == flag, y, np.nan)
        # join each run to its neighbour so that the two styles meet
        edges = np.flatnonzero(np.diff(stable.astype(int)) != 0)
        for e in edges:
            masked[e + (1 if stable[e] != flag else 0)] = y[e + (1 if stable[e] != flag else 0)]
        ax.plot(x, masked, style, color=colour, linewidth=linewidth,
                label=(label if flag else None) if label else None)
    for point in branch.points:
        ax.plot(point.parameter, point.state[k], marker="o", color="black", markersize=4,
                zorder=5)
        ax.annotate(point.kind, (point.parameter, point.state[k]), xytext=note,
                    textcoords="offset points", fontsize=6)


def plot_sobol(indices, label: str) -> plt.Figure:
    """First- and total-order Sobol indices as bars with their 95 % intervals.

    Parameters
    ----------
    indices : SobolIndices
        The indices of a scalar metric.
    label : str
        The metric's name.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4), layout="constrained")
        at = np.arange(len(indices.names))
        for offset, (name, value, interval, colour) in enumerate((
                ("first order", indices.first, indices.first_interval, PALETTE[0]),
                ("total order", indices.total, indices.total_interval, PALETTE[1]))):
            error = np.abs(np.asarray(interval) - value)
            ax.bar(at + (offset - 0.5) * 0.38, value, 0.38, color=colour, label=name,
                   yerr=None if np.isnan(error).all() else error, capsize=2)
        ax.set_xticks(at, indices.names, rotation=20)
        ax.set_ylabel(f"Sobol index of {label}")
        ax.legend()
    return fig


def plot_morris(screening, label: str) -> plt.Figure:
    """Morris screening in the (mu*, sigma) plane (Campolongo et al. 2007): inputs far to the
    right matter; high ones act through interactions or non-linearly. Horizontal bars: the
    95 % interval of mu*.

    Parameters
    ----------
    screening : MorrisIndices
        The screening.
    label : str
        The metric's name.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.6), layout="constrained")
        ax.errorbar(screening.mu_star, screening.sigma, xerr=screening.mu_star_half_width,
                    fmt="o", color=PALETTE[0], capsize=2, markersize=4)
        for name, x, y in zip(screening.names, screening.mu_star, screening.sigma,
                              strict=True):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4))
        ax.set_xlabel(f"$\\mu^*$ of {label}")
        ax.set_ylabel("$\\sigma$")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    return fig



def plot_convergence(convergence, label: str) -> plt.Figure:
    """First- (solid) and total-order (dashed) Sobol indices against the number of base
    samples, with their 95 % intervals (:class:`~dynamics.studies.sensitivity.Convergence`): a
    study has converged where the lines have flattened inside narrow bands."""
    colours = {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(convergence.names)}
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.6), layout="constrained")
        for i, name in enumerate(convergence.names):
            for series, interval, style in ((convergence.first, convergence.first_interval,
                                             "-"), (convergence.total,
                                                    convergence.total_interval, "--")):
                ax.plot(convergence.sizes, series[:, i], style, color=colours[name],
                        marker="o", markersize=2.5, label=name if style == "-" else None)
                if not np.isnan(interval[:, :, i]).all():
                    ax.fill_between(convergence.sizes, interval[:, 0, i], interval[:, 1, i],
                                    color=colours[name], alpha=0.12, linewidth=0)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples $n$ (runs: $n(d+2)$)")
        ax.set_ylabel(f"Sobol index of {label}\n(solid: first, dashed: total order)")
        ax.legend(fontsize=6)
    return fig


def plot_given_data(result, label: str) -> plt.Figure:
    """The indices of a given-data method (:class:`~dynamics.studies.sensitivity.GivenDataIndices`)
    as bars, with their 95 % intervals where the method gives them."""
    keys = [k for k in result.values if not k.endswith("_conf")][:2]
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.4), layout="constrained")
        at = np.arange(len(result.names))
        for offset, key in enumerate(keys):
            conf = result.values.get(f"{key}_conf")
            ax.bar(at + (offset - (len(keys) - 1) / 2) * 0.38, result.values[key], 0.38,
                   color=PALETTE[offset], label=key, capsize=2,
                   yerr=None if conf is None else np.abs(conf))
        ax.set_xticks(at, result.names, rotation=20)
        ax.set_ylabel(f"{result.method} index of {label}")
        ax.legend()
    return fig


def plot_discovery(discovery) -> plt.Figure:
    """Scenario discovery (:class:`~dynamics.studies.discovery.Discovery`): PRIM's coverage-density
    trade-off along the peeling trajectory (colour: the number of inputs restricted; the
    chosen box circled), and the chosen box's restricted ranges within the inputs'."""
    trajectory = discovery.trajectory
    with paper_style():
        fig, (curve, box) = plt.subplots(1, 2, figsize=(TWO_COLUMN, 2.6),
                                         layout="constrained")
        points = curve.scatter(trajectory["coverage"], trajectory["density"],
                               c=trajectory["dimensions"], cmap="viridis", s=10)
        curve.scatter([discovery.coverage], [discovery.density], s=60, facecolors="none",
                      edgecolors="black", linewidths=0.8)
        fig.colorbar(points, ax=curve, label="inputs restricted",
                     ticks=range(int(trajectory["dimensions"].max()) + 1))
        curve.set_xlabel("coverage")
        curve.set_ylabel("density")
        curve.set_xlim(0, 1.02)
        curve.set_ylim(0, 1.02)
        curve.set_title(f"{discovery.outcome_text}: box {discovery.chosen}", fontsize=7)
        names = [r.input for r in discovery.restrictions]
        lows = np.array([discovery.problem.bounds[discovery.problem.names.index(n)][0]
                         for n in names], dtype=float)
        highs = np.array([discovery.problem.bounds[discovery.problem.names.index(n)][1]
                          for n in names], dtype=float)
        at = np.arange(len(names))
        box.barh(at, np.ones(len(names)), color="0.9", height=0.5)
        for k, r in enumerate(discovery.restrictions):
            start = (r.low - lows[k]) / (highs[k] - lows[k])
            width = (r.high - r.low) / (highs[k] - lows[k])
            box.barh(k, width, left=start, color=PALETTE[0], height=0.5)
            box.annotate(f"{r.low:.3g} to {r.high:.3g}", (1.02, k), va="center",
                         fontsize=6, annotation_clip=False)
        box.set_yticks(at, names)
        box.set_xlim(0, 1)
        box.set_xlabel("share of the input's range")
        box.set_title(f"coverage {discovery.coverage:.2f}, density {discovery.density:.2f}",
                      fontsize=7)
    return fig


def plot_robustness(result) -> plt.Figure:
    """The share of a neighbourhood in which each claim holds (a ``Robustness`` result),
    with the 90 % line that a claim stated without condition must reach."""
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 1.8 + 0.35 * len(result.claims)),
                               layout="constrained")
        names = [f"{c.name} ({c.kind})" for c in result.claims]
        y = np.arange(len(names))
        ax.barh(y, [c.share for c in result.claims], color=PALETTE[0], label="all members")
        within = [c.within if c.within is not None else np.nan for c in result.claims]
        ax.plot(within, y, "D", color=PALETTE[1], label="within its condition")
        ax.axvline(0.9, color="0.4", linestyle="--", linewidth=0.8)
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of {result.members} members (values x 1 +- {result.spread:g})")
        ax.set_title(result.scenario)
        fig.legend(loc="outside lower center", ncols=2)
    return fig


def plot_history(fit, counterfactual=None, title: str = "", label: str = "") -> plt.Figure:
    """Observed (markers) against simulated (lines) shares of military spending, year by
    year, one panel per state, interventions marked; a counterfactual's shares dashed."""
    colours = state_colours(fit.states)
    n = len(fit.states)
    columns = 3
    rows = (n + columns - 1) // columns
    with paper_style():
        fig, axes = plt.subplots(rows, columns, figsize=(TWO_COLUMN, 1.9 * rows),
                                 sharex=True, layout="constrained", squeeze=False)
        for i, state in enumerate(fit.states):
            ax = axes.flat[i]
            ax.plot(fit.years, fit.observed[:, i], "o", markersize=2.5, color=colours[state],
                    alpha=0.7, label="observed (COW)")
            ax.plot(fit.years, fit.simulated[:, i], "-", color=colours[state],
                    label="simulated")
            if counterfactual is not None:
                ax.plot(counterfactual.years, counterfactual.simulated[:, i], "--",
                        color="0.3", linewidth=0.9, label=label or "counterfactual")
            ax.set_xlim(fit.years[0], fit.years[-1])
            if fit.result is not None:
                mark_events(ax, fit.result.events, label=i == 0)
            ax.set_title(f"{state}: error {fit.by_state[state]:.3f}", fontsize=7)
            ax.set_ylim(0, max(0.2, 1.15 * float(np.nanmax([fit.observed[:, i].max(),
                                                             fit.simulated[:, i].max()]))))
        for ax in axes.flat[n:]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("share of spending")
        for ax in axes[-1]:
            ax.set_xlabel("year")
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=3)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig


def _series_panels(count: int) -> tuple[plt.Figure, np.ndarray]:
    """One panel per fitted series, side by side (axes of shape (1, count))."""
    return plt.subplots(1, count, figsize=(TWO_COLUMN if count > 1 else ONE_COLUMN * 1.6,
                                           2.8), layout="constrained", squeeze=False)


def plot_fit(holdout, predictive: dict[str, np.ndarray] | None = None, title: str = ""
             ) -> plt.Figure:
    """Observed (dots) and fitted (lines) series of a held-out fit, the held-out years shaded,
    the held-out errors of the model, persistence and a linear trend in the title.

    Parameters
    ----------
    holdout : Holdout
        The fit (:func:`dynamics.calibration.fitting.holdout`).
    predictive : dict, optional
        The 5-95 % posterior-predictive band, drawn where given.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fit = holdout.fit
    problem = fit.problem
    states = problem.scenario.states
    colours = state_colours(states)
    years = holdout.years
    test = years > holdout.training[1]
    with paper_style():
        fig, axes = _series_panels(len(problem.series))
        for s, name in enumerate(problem.series):
            ax = axes[0, s]
            for i, state in enumerate(states):
                ax.plot(years, holdout.observed[s, :, i], "o", markersize=2,
                        color=colours[state])
                ax.plot(years, holdout.predicted[s, :, i], color=colours[state], label=state)
                if predictive is not None:
                    low, high = np.nanquantile(predictive[name][:, :, i], [0.05, 0.95], axis=0)
                    ax.fill_between(years, low, high, color=colours[state], alpha=0.15,
                                    linewidth=0)
            ax.axvspan(years[test][0] - 0.5, years[-1] + 0.5, color="0.9", zorder=0,
                       label="held out")
            ax.set_xlabel("year")
            ax.set_ylabel(name.replace("_", " "))
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        axes[0, 0].legend(loc="best", ncols=2)
        errors = ", ".join(f"{k} {v:.3f}" for k, v in holdout.errors.items())
        fig.suptitle((title + "\n" if title else "") + f"held-out error (MAE): {errors}",
                     fontsize=8)
    return fig


#: how each baseline of a forecast evaluation is drawn
_BASELINE_STYLE = {"last": (0, (4, 2)), "mean": (0, (1, 1.5)), "trend": (0, (5, 1.5, 1, 1.5)),
                   "drift": (0, (2, 1))}


def plot_evaluation(evaluation) -> plt.Figure:
    """A historical scenario's shares of spending, state by state: the record (dots), the
    shipped run (a line in the state's colour), the run without interventions (thin) and
    the baselines fitted on the calibration window (grey, one dash each, from the
    window's end), the window shaded; the title gives the errors and the skill of both evaluations.

    Parameters
    ----------
    evaluation : Evaluation
        What :func:`dynamics.calibration.evaluation.evaluate` found.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    states = evaluation.states
    colours = state_colours(states)
    years = evaluation.years
    columns = min(len(states), 4 if len(states) > 9 else 3)
    rows = -(-len(states) // columns)
    after = years >= evaluation.window[1]  # the baselines predict from the window's end
    with paper_style():
        fig, axes = plt.subplots(rows, columns, figsize=(TWO_COLUMN, 1.5 * rows + 0.8),
                                 sharex=True, layout="constrained", squeeze=False)
        for ax in axes.flat[len(states):]:
            ax.set_axis_off()
        for i, (state, ax) in enumerate(zip(states, axes.flat, strict=False)):
            ax.axvspan(evaluation.window[0] - 0.5, evaluation.window[1] + 0.5, color="0.9",
                       zorder=0, label="calibration window")
            for name, dashes in _BASELINE_STYLE.items():
                ax.plot(years[after], evaluation.shipped[name][after, i], color="0.45",
                        linewidth=0.7, linestyle=dashes, label=name)
            ax.plot(years, evaluation.shipped["model without events"][:, i],
                    color=colours[state], linewidth=0.6, alpha=0.6, label="without events")
            ax.plot(years, evaluation.shipped["model"][:, i], color=colours[state],
                    label="model")
            ax.plot(years, evaluation.observed[:, i], "o", color="black", markersize=1.5,
                    label="record")
            ax.set_title(state, pad=2)
            ax.set_ylim(bottom=0)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # calendar years
        for ax in axes[-1]:
            ax.set_xlabel("year")
        for ax in axes[:, 0]:
            ax.set_ylabel("share of spending")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        shipped = evaluation.as_shipped
        lines = [f"{evaluation.scenario}: as shipped, skill {shipped.skill:+.2f} "
                 f"[{shipped.skill_interval[0]:+.2f}, {shipped.skill_interval[1]:+.2f}] "
                 f"against {shipped.best_baseline}"]
        if evaluation.rolling is not None:
            rolling = evaluation.rolling
            lines.append(f"out of sample (rolling origin, {evaluation.horizon} years ahead): "
                         f"skill {rolling.skill:+.2f} [{rolling.skill_interval[0]:+.2f}, "
                         f"{rolling.skill_interval[1]:+.2f}] against {rolling.best_baseline}")
        fig.suptitle("\n".join(lines), fontsize=8)
    return fig


def plot_corner(posterior, truths: Sequence[float] | None = None) -> plt.Figure:
    """The corner plot of a posterior (the ``corner`` package): marginal histograms and pairwise
    densities, maximum-likelihood estimates (or ``truths``) marked.

    Parameters
    ----------
    posterior : Posterior
        The posterior (:mod:`dynamics.calibration.posterior`).
    truths : sequence of float, optional
        Values marked instead of the estimates.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    require("bayes", "the corner plot", "corner")
    import corner

    marks = list(posterior.estimates.values()) if truths is None else list(truths)
    with paper_style():
        fig = corner.corner(posterior.flat, labels=posterior.names, truths=marks,
                            truth_color=PALETTE[1], quantiles=[0.025, 0.5, 0.975],
                            show_titles=True, title_fmt=".3g", color=PALETTE[0],
                            label_kwargs={"fontsize": 7}, title_kwargs={"fontsize": 6})
        fig.set_size_inches(TWO_COLUMN, TWO_COLUMN)
    return fig


def plot_predictive(posterior, bands: dict[str, np.ndarray], title: str = "") -> plt.Figure:
    """Observed series (dots) against the 5-95 % posterior-predictive band and median of each
    state.

    Parameters
    ----------
    posterior : Posterior
        The posterior.
    bands : dict
        The bands (:func:`dynamics.calibration.posterior.predictive`).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    problem = posterior.problem
    states = problem.scenario.states
    colours = state_colours(states)
    years = problem.data.years
    with paper_style():
        fig, axes = _series_panels(len(problem.series))
        for s, name in enumerate(problem.series):
            ax = axes[0, s]
            for i, state in enumerate(states):
                draws = bands[name][:, :, i]
                low, middle, high = np.nanquantile(draws, [0.05, 0.5, 0.95], axis=0)
                ax.fill_between(years, low, high, color=colours[state], alpha=0.2,
                                linewidth=0)
                ax.plot(years, middle, color=colours[state], label=state)
                ax.plot(years, problem.data.values[name][:, i], "o", markersize=2,
                        color=colours[state])
            ax.set_xlabel("year")
            ax.set_ylabel(name.replace("_", " ") + " (5-95 % predictive)")
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        axes[0, 0].legend(loc="best", ncols=2)
        if title:
            fig.suptitle(title, fontsize=8)
    return fig


def plot_survival(durability, title: str = "") -> plt.Figure:
    """Kaplan-Meier survival of each starting configuration with its pointwise 95 % band; a
    spell still running at the horizon is censored there, so each curve ends at the share of
    systems whose configuration outlasted the run.

    Parameters
    ----------
    durability : Durability
        The experiment (:mod:`dynamics.studies.durability`).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    styles = ("-", "--", "-.")
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN * 1.3, 3.0), layout="constrained")
        horizon = durability.design.years
        for k, survival in enumerate(durability.survival.values()):
            colour = PALETTE[k]
            times = np.concatenate([[0.0], survival.times, [horizon]])
            curve = np.concatenate([[1.0], survival.survival, [survival.survival[-1]]])
            low = np.concatenate([[1.0], survival.low, [survival.low[-1]]])
            high = np.concatenate([[1.0], survival.high, [survival.high[-1]]])
            ax.fill_between(times, low, high, step="post", color=colour, alpha=0.15,
                            linewidth=0)
            median = ("median > horizon" if math.isinf(survival.median)
                      else f"median {survival.median:.1f} yr")
            ax.step(times, curve, where="post", color=colour, linestyle=styles[k],
                    label=f"{survival.configuration} ({median}; {survival.ended} of "
                          f"{survival.systems} ended)")
        ax.axhline(0.5, color="0.5", linewidth=0.6, linestyle=":")
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("years since the start")
        ax.set_ylabel("share of systems still in their configuration")
        ax.set_title(title or "How long each configuration lasts (Kaplan-Meier, 95 % band)")
        fig.legend(loc="outside lower center", ncols=1)
    return fig


def beside_limits(baseline: Result) -> dict[str, tuple[float, float]]:
    """Axes fixed by a baseline run, so that runs drawn over it (:func:`plot_beside`) can be
    compared move by move: power share 0 to 1, spending from 0 to one and a half times the
    baseline's largest.

    Parameters
    ----------
    baseline : Result
        The run the axes are fixed by.

    Returns
    -------
    dict
        ``"share"`` and ``"m"`` -> (low, high).
    """
    top = float(np.nanmax(baseline["m"])) if baseline["m"].size else 1.0
    return {"share": (0.0, 1.0), "m": (0.0, 1.5 * top if top > 0 else 1.0)}


def plot_beside(result: Result, baseline: Result, title: str = "", unit: str = "",
                limits: dict[str, tuple[float, float]] | None = None):
    """Two panels, power share and military spending, of a run (solid lines) over its
    baseline (dashed, paler), on fixed axes. A figure of its own (not pyplot's), so that a
    server can draw in several threads at once.

    Parameters
    ----------
    result, baseline : Result
        The run and the run it is compared with (same states).
    title : str
        The figure's title.
    unit : str
        The currency unit of spending (a scenario's ``unit``).
    limits : dict, optional
        ``"share"`` and ``"m"`` -> (low, high); default :func:`beside_limits` of the baseline.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from matplotlib.figure import Figure

    limits = limits or beside_limits(baseline)
    colours = _run_colours(baseline)
    seen: set[str] = set()  # (the grey states share one label, "other states")
    figure = Figure(figsize=(TWO_COLUMN, 3.0), dpi=110, layout="constrained")
    share, spending = figure.subplots(1, 2, sharex=True)
    for i, state in enumerate(result.states):
        colour = colours[state]
        share.plot(baseline.t, baseline.share[:, i], color=colour, linestyle="--",
                   alpha=0.55, linewidth=1.0)
        spending.plot(baseline.t, baseline["m"][:, i], color=colour, linestyle="--",
                      alpha=0.55, linewidth=1.0)
        share.plot(result.t, result.share[:, i], color=colour, linewidth=1.6,
                   label=_label(state, colours, seen))
        spending.plot(result.t, result["m"][:, i], color=colour, linewidth=1.6)
    share.set(ylabel="power share", ylim=limits["share"], xlim=(baseline.t[0], baseline.t[-1]),
              xlabel="year")
    readable = unit.replace("$", r"\$")
    spending.set(ylabel=f"military spending ({readable or 'arbitrary units'})",
                 ylim=limits["m"], xlabel="year")
    share.legend(fontsize="small", frameon=False, ncols=2)
    spending.text(0.99, 0.98, "solid: now; dashed: the scenario", transform=spending.transAxes,
                  ha="right", va="top", fontsize="small", color="0.35")
    if title:
        figure.suptitle(title, fontsize="medium")
    return figure
