"""The paper's figure set, regenerated deterministically by ``balancing figures``.

Each figure is a function returning a matplotlib figure and the table of numbers drawn
in it; :func:`make_figures` writes ``NAME.pdf``, ``NAME.png`` and ``data/NAME.csv`` for
each, so a test can check that two runs draw the same numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from dynamics.analysis.continuation import continuation, parameter_slots
from dynamics.analysis.equilibria import FixedSystem
from dynamics.analysis.phase import phase_portrait
from dynamics.analysis.richardson import CASES, classify_case
from dynamics.analysis.security import dilemma_threshold
from dynamics.errors import UnknownNameError
from dynamics.model.model import Model
from dynamics.results.files import replacing
from dynamics.results.labelled import Result
from dynamics.run.front import simulate
from dynamics.scenarios import Scenario, list_scenarios, load_scenario
from dynamics.views.plotting import (
    ONE_COLUMN,
    PALETTE,
    TWO_COLUMN,
    figure_data,
    paper_style,
    plot_branch,
    plot_phase,
    plot_run,
    save_figure,
)

__all__ = ["FIGURES", "NEEDS", "make_figures", "missing_extra", "write_table",
           "BOUNDARY_TOLERANCE", "DATA_TOLERANCE"]

#: growth rates within this of 0 are on a stability boundary (counted as not stable)
BOUNDARY_TOLERANCE = 1e-12
#: what "the same figure" means across machines: each data column agrees to this fraction
#: of its largest magnitude (bit for bit on one machine; solvers round differently
#: elsewhere, by up to about 5e-7 here)
DATA_TOLERANCE = 1e-5

Figure = Callable[[], tuple[Any, list[str], np.ndarray]]


def _scenario_figure(name: str) -> Figure:
    def build():
        scenario = load_scenario(name)
        result = scenario.run()
        pairs = [f"c[{a},{b}]" for k, a in enumerate(result.states)
                 for b in result.states[k + 1:]]
        header = (["t"] + [f"m[{s}]" for s in result.states]
                  + [f"burden[{s}]" for s in result.states]
                  + [f"share[{s}]" for s in result.states] + pairs)
        figure = plot_run(result, title=scenario.title, unit=scenario.unit)
        return figure, header, figure_data(result)
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


def _four_worlds():
    """Jervis's four worlds with a revisionist South: how far the status-quo North arms
    (its spending as a share of its ceiling) and who gains (South's output over its
    start)."""
    runs = [(label, load_scenario(f"four-worlds-{name}").run()) for label, name in (
        ("offence advantage, indistinguishable", "doubly-dangerous"),
        ("defence advantage, indistinguishable", "dilemma-defence"),
        ("offence advantage, distinguishable", "offence-distinguishable"),
        ("defence advantage, distinguishable", "doubly-stable"))]
    ceiling = _DILEMMA["ceiling"]
    styles = ["-", "--", "-.", ":"]
    panels = ((lambda r: r.burden[:, 0] / ceiling, "North's spending / its ceiling"),
              (lambda r: r["e"][:, 1] / r["e"][0, 1], "South's output / its start"))
    with paper_style():
        fig, axes = plt.subplots(1, 2, figsize=(TWO_COLUMN, 3.0), layout="constrained")
        for ax, (series, label) in zip(axes, panels, strict=True):
            for k, (name, result) in enumerate(runs):
                ax.plot(result.t, series(result), color=PALETTE[k], linestyle=styles[k],
                        label=name if ax is axes[0] else None)
            ax.set_xlabel("time (years)")
            ax.set_ylabel(label)
            ax.set_xlim(runs[0][1].t[0], runs[0][1].t[-1])
        axes[1].axhline(1.0, color="0.5", linewidth=0.6, linestyle=":")
        axes[0].set_title("Who arms: the status-quo North")
        axes[1].set_title("Who gains: the revisionist South")
        fig.legend(loc="outside lower center", ncols=2)
    t = runs[0][1].t
    data = np.column_stack([t] + [series(r) for series, _ in panels for _, r in runs])
    header = ["t"] + [f"{what}[{name}]" for what in ("use[North]", "output[South]")
                      for name, _ in runs]
    return fig, header, data


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


_DILEMMA = {"reaction": 0.9, "fatigue": 0.2, "offence": 0.1, "power_weight": 0.0,
            "offence_defence": 1.0, "ceiling": 0.4}


def _dilemma_threshold_value() -> float:
    expr, symbols = dilemma_threshold()
    return float(expr.xreplace({symbols[n]: _DILEMMA[n] for n in symbols}))


def _bifurcation_security_dilemma():
    """Equilibrium spending against distinguishability D (security-dilemma model)."""
    model = Model(["North", "South"], ["perception", "ceiling"])
    zero = np.zeros(len(model.variables))
    d_star = _dilemma_threshold_value()
    fine = {"max_step": 0.01}
    disarmed = continuation(model, "distinguishability", (1.0, 0.0),
                              {**_DILEMMA, "grievance": 0.0}, initial={"m": [0.0, 0.0]},
                              start=zero, **fine)
    high = 0.4 * (1 - 0.2 / 0.9)  # u* = 1 - alpha/(k h) at D = 0 (h = 1)
    start = np.array([high, high, 0.9 * high, 0.9 * high])
    mobilised = continuation(model, "distinguishability", (0.0, d_star),
                               {**_DILEMMA, "grievance": 0.0}, start=start, **fine)
    scenario = load_scenario("security-dilemma")
    low_start = scenario.with_values({"distinguishability": 0.0}, t_span=(0, 200)).run()
    grievance = continuation(model, "distinguishability", (0.0, 1.0),
                               {**_DILEMMA, "grievance": 0.002},
                               start=np.r_[low_start["m"][-1], low_start["theta"][-1]],
                               **fine)
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.8), layout="constrained")
        # the g = 0 branch wide and light beneath, the scenario's thin on top: where the
        # two nearly coincide (small D) both stay visible
        plot_branch(ax, disarmed, "m[North]", PALETTE[0], "disarmed, g = 0",
                    note=(4, -10))
        plot_branch(ax, mobilised, "m[North]", PALETTE[1], "mobilised, g = 0",
                    linewidth=3.0, note=(4, -10))
        plot_branch(ax, grievance, "m[North]", PALETTE[2], "g = 0.002 (scenario)",
                    linewidth=1.0)
        ax.axvline(d_star, color="0.4", linewidth=0.8, linestyle=":")
        ax.annotate(f"$D^* = {d_star:.3f}$", (d_star, 0.3), xytext=(-4, 0),
                    textcoords="offset points", ha="right", fontsize=7)
        ax.set_xlabel("distinguishability $D$")
        ax.set_ylabel("equilibrium spending $m^*$ (share of output)")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.045, 0.42)
        ax.set_title("Security dilemma: equilibria against $D$")
        ax.plot([], [], "-", color="0.3", label="stable")
        ax.plot([], [], "--", color="0.3", label="unstable")
        fig.legend(loc="outside lower center", ncols=3)
    rows = [np.column_stack([np.full(len(b.parameter), k), b.parameter,
                             b.states[:, 0], b.stable.astype(float)])
            for k, b in enumerate((disarmed, mobilised, grievance))]
    return fig, ["branch", "D", "m[North]", "stable"], np.vstack(rows)


def _stability_region():
    """Stability of the disarmed equilibrium in the (k, alpha) plane, numeric and analytic."""
    model = Model(["North", "South"], ["perception", "ceiling"])
    system = FixedSystem(model, {**_DILEMMA, "grievance": 0.0}, {"m": [0.0, 0.0]})
    _, reaction = parameter_slots(model, "reaction")
    _, fatigue = parameter_slots(model, "fatigue")
    _, distinguishability = parameter_slots(model, "distinguishability")
    ks, alphas = np.linspace(0.0, 1.0, 101), np.linspace(0.0, 1.0, 101)
    grid_k, grid_alpha = np.meshgrid(ks, alphas)
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 3.0), layout="constrained")
        columns = [grid_k.ravel(), grid_alpha.ravel()]
        header = ["k", "alpha"]
        for n, d in enumerate((0.2, 0.5, 0.8)):
            p = np.broadcast_to(system.p, grid_k.shape + system.p.shape).copy()
            p[..., reaction] = grid_k[..., None]
            p[..., fatigue] = grid_alpha[..., None]
            p[..., distinguishability] = d
            jac = system.compiled.jacobian(0.0, np.zeros(len(system.labels)), p)
            growth = np.linalg.eigvals(jac).real.max(axis=-1)
            # a cell on the analytic boundary (k h = alpha: growth 0 up to rounding, which
            # differs between machines) counts as not stable, by a stated tolerance
            stable = (growth < -BOUNDARY_TOLERANCE).astype(float)
            ax.contour(ks, alphas, stable, levels=[0.5], colors=[PALETTE[n]], linewidths=2.5,
                       alpha=0.45)
            h = 0.1 + (1 - d) * 0.9
            ax.plot(ks, ks * h, color=PALETTE[n], linestyle="--", linewidth=0.9,
                    label=f"D = {d:g}: " + r"$\alpha = k h$")
            columns.append(stable.ravel())
            header.append(f"stable[D={d:g}]")
        ax.text(0.25, 0.8, "stable (settles)", fontsize=7)
        ax.text(0.65, 0.12, "unstable (escalates)", fontsize=7)
        ax.set_xlabel("reaction $k$ (1/yr)")
        ax.set_ylabel(r"fatigue $\alpha$ (1/yr)")
        ax.set_title("Stability of disarmament (thick: numeric, dashed: analytic)")
        fig.legend(loc="outside lower center", ncols=3)
    return fig, header, np.column_stack(columns)


def _richardson_phase_portraits():
    """Phase portraits of Richardson's four classical cases."""
    model = Model(["X", "Y"], "richardson")
    cases = [((0.2, 0.2), (0.4, 0.4), (0.05, 0.05), (0.0, 0.6)),
             ((0.5, 0.5), (0.3, 0.3), (0.05, 0.05), (0.0, 0.6)),
             ((0.2, 0.2), (0.4, 0.4), (-0.05, -0.05), (-0.45, 0.45)),
             ((0.5, 0.5), (0.3, 0.3), (-0.05, -0.05), (0.0, 0.6))]
    rows = []
    with paper_style():
        fig, axes = plt.subplots(2, 2, figsize=(TWO_COLUMN, 5.6), layout="constrained")
        for ax, (reaction, fatigue, grievance, (lo, hi)) in zip(axes.flat, cases, strict=True):
            case = classify_case(reaction, fatigue, grievance)
            params = {"reaction": list(reaction), "fatigue": list(fatigue),
                      "grievance": list(grievance), "distinguishability": 0.0,
                      "power_weight": 0.0}
            span = hi - lo
            starts = [(lo + f * span, lo + g * span) for f, g in
                      ((0.05, 0.9), (0.9, 0.05), (0.3, 0.35), (0.62, 0.55), (0.1, 0.1),
                       (0.95, 0.95))]
            portrait = phase_portrait(model, params, ["m[X]", "m[Y]"], ((lo, hi), (lo, hi)),
                                      starts=starts, duration=40.0)
            plot_phase(ax, portrait, CASES[case][0].upper() + CASES[case][1:])
            ax.title.set_fontsize(7)
            for eq in portrait.equilibria:
                rows.append([len(rows), *eq.state, float(eq.stable)])
        fig.suptitle("Richardson's four cases", fontsize=9)
        key = [Line2D([], [], linestyle="--", color=PALETTE[0], label=r"$\dot x = 0$"),
               Line2D([], [], linestyle=":", color=PALETTE[1], label=r"$\dot y = 0$"),
               Line2D([], [], color=PALETTE[2], marker="o", markersize=3,
                      label="trajectories (from the dots)"),
               Line2D([], [], linestyle="", marker="o", color="black",
                      label="stable equilibrium"),
               Line2D([], [], linestyle="", marker="X", color="#D55E00",
                      markeredgecolor="black", label="saddle")]
        fig.legend(handles=key, loc="outside lower center", ncols=5)
    return fig, ["case", "x*", "y*", "stable"], np.array(rows)


def _calibration_1909():
    """The 1909-1913 blocs (COW milex) against both fits of Richardson's model."""
    from dynamics.calibration.calibrate import richardson_differences, richardson_trajectory
    from dynamics.data import cow_series

    series = cow_series({"Entente": ["FRN", "RUS"], "Central": ["GMY", "AUH"]}, (1909, 1913))
    differences = richardson_differences(series)
    trajectory = richardson_trajectory(series)
    years = series.years.astype(float)
    fine = np.linspace(years[0], years[-1], 81)
    rate, c = differences.k_minus_alpha.value, differences.equilibrium_total.value
    total_path = c + (series.total[0] - c) * np.exp(rate * (fine - years[0]))
    recorded = trajectory.result.provenance  # the fitted values, re-run on a fine grid
    fitted = simulate(Model(list(series.blocs), "richardson"), recorded["parameters"],
                      (years[0], years[-1]), output=fine,
                      initial={k: recorded["initial"][k] for k in ("m", "e")})
    with paper_style():
        fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.8), layout="constrained")
        for k, bloc in enumerate(series.blocs):
            ax.plot(years, series.values[bloc] / 1e3, "o", color=PALETTE[k], markersize=4,
                    label=f"{bloc} (COW)")
            ax.plot(fitted.t, fitted["m", bloc] / 1e3, "-", color=PALETTE[k],
                    label=f"{bloc}, trajectory fit")
        ax.plot(years, series.total / 1e3, "s", color="black", markersize=4,
                label="total (COW)")
        ax.plot(fine, total_path / 1e3, "--", color="black",
                label=f"total, differences: $k-\\alpha$ = {rate:.2f}/yr")
        ax.axhline(c / 1e3, color="0.5", linestyle=":", linewidth=0.8)
        ax.annotate(f"equilibrium total c = {c / 1e3:.0f}", (years[0], c / 1e3),
                    xytext=(2, -9), textcoords="offset points", fontsize=6, color="0.3")
        ax.set_xlabel("year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("military expenditure (GBP million)")
        ax.set_title("Richardson's pre-1914 race, fitted")
        fig.legend(loc="outside lower center", ncols=2)
    data = np.column_stack([years, series.matrix(), series.total, trajectory.result["m"],
                            np.interp(years, fine, total_path)])
    header = ["year", *(f"{b} observed" for b in series.blocs), "total observed",
              *(f"{b} trajectory fit" for b in series.blocs), "total differences fit"]
    return fig, header, data


def _history_figure(name: str, counterfactual: str, label: str) -> Figure:
    """A historical scenario's shares of spending against the record and its
    counterfactual."""
    def build():
        from dynamics.calibration.history import fit_history
        from dynamics.views.plotting import plot_history

        scenario = fit_history(load_scenario(name))
        other = fit_history(load_scenario(counterfactual))
        figure = plot_history(scenario, other, title=(
            f"{name}: shares of military spending, mean absolute error {scenario.error:.3f} "
            f"(persistence {scenario.persistence:.3f})"), label=label)
        header = ["year", *(f"observed[{s}]" for s in scenario.states),
                  *(f"simulated[{s}]" for s in scenario.states),
                  *(f"{counterfactual}[{s}]" for s in scenario.states)]
        return figure, header, np.column_stack([scenario.years, scenario.observed,
                                                scenario.simulated, other.simulated])
    return build


#: the historical scenarios whose forecasts are evaluated (README, docs/forecast-evaluation.md)
EVALUATIONS = ("europe-1870", "cold-war-1949", "cold-war-1949-economic-collapse", "europe-1908",
               "great-powers-2005")


def _evaluation_figure(name: str) -> Figure:
    """A historical scenario's shares of spending, the shipped run and the baselines."""
    def build():
        from dynamics.calibration.evaluation import BASELINES, evaluate
        from dynamics.views.plotting import plot_evaluation

        found = evaluate(load_scenario(name))
        columns = ["model", "model without events", *BASELINES]
        header = ["year", *(f"observed[{s}]" for s in found.states),
                  *(f"{p}[{s}]" for p in columns for s in found.states)]
        return plot_evaluation(found), header, np.column_stack(
            [found.years, found.observed, *(found.shipped[p] for p in columns)])
    return build


#: the discovery the README and notebook 09 report: where external balancing fails
DISCOVERY: dict[str, Any] = {
    "scenario": "external-balancing", "outcome": "peak_share > 0.5", "n": 1000,
    "inputs": (("grievance.Riser", (0.006, 0.018)), ("growth.Riser", (0.03, 0.07)),
               ("alliance_formation", (1.0, 10.0)), ("coercion", (0.02, 0.06)),
               ("support", (0.5, 1.0)))}


def discovery_of_record():
    """The README's scenario discovery (:data:`DISCOVERY`)."""
    from dynamics.studies.design import Problem
    from dynamics.studies.discovery import discover

    problem = Problem(tuple(n for n, _ in DISCOVERY["inputs"]),
                      tuple(r for _, r in DISCOVERY["inputs"]))
    return discover(load_scenario(DISCOVERY["scenario"]), problem, DISCOVERY["outcome"],
                    n=DISCOVERY["n"])


def _discovery():
    """PRIM's trade-off and box: where external balancing fails to keep the Riser below
    s*."""
    from dynamics.views.plotting import plot_discovery

    found = discovery_of_record()
    table = found.trajectory
    data = np.column_stack([table["coverage"], table["density"], table["mass"],
                            table["dimensions"]])
    return plot_discovery(found), ["coverage", "density", "mass", "inputs restricted"], data


def _convergence():
    """Sobol indices of the Riser's peak share against the sample size (hegemonic-rise)."""
    from dynamics.studies.design import Problem
    from dynamics.studies.sensitivity import convergence
    from dynamics.views.plotting import plot_convergence

    problem = Problem(("coercion", "growth.Riser", "grievance.Riser"),
                      ((0.02, 0.06), (0.03, 0.07), (0.006, 0.018)))
    found = convergence(load_scenario("hegemonic-rise"), problem, "peak_share", n=512,
                        resamples=100, smallest=16)
    header = ["base samples", *(f"first[{n}]" for n in found.names),
              *(f"total[{n}]" for n in found.names)]
    return (plot_convergence(found, "the Riser's peak share"), header,
            np.column_stack([found.sizes, found.first, found.total]))


#: the README's polarity-durability experiment (dynamics.studies.durability): its design
DURABILITY: dict[str, Any] = {"systems": 400, "states": (5, 6, 7, 8), "years": 100.0,
                              "seed": 0}


def durability_of_record(discover: bool = True):
    """The README's durability experiment (:data:`DURABILITY`), every shipped mechanism
    but those the design leaves out (:data:`dynamics.studies.durability.DEFAULT_MECHANISMS`)."""
    from dynamics.studies.durability import Design, durability

    return durability(Design(**DURABILITY), discover=discover)


def _durability():
    """Kaplan-Meier survival of unipolar, bipolar and multipolar starts."""
    from dynamics.views.plotting import plot_survival

    found = durability_of_record(discover=False)
    header, rows = ["configuration", "years", "survival", "low", "high"], []
    for k, survival in enumerate(found.survival.values()):
        rows += [[k, t, s, lo, hi] for t, s, lo, hi in zip(
            survival.times, survival.survival, survival.low, survival.high, strict=True)]
    title = (f"{int(found.kept.sum())} systems of 5-8 great powers: how long each "
             "configuration lasts")
    return plot_survival(found, title=title), header, np.array(rows, dtype=float)


#: the README's fit of a historical scenario to the record (dynamics.calibration.fitting): unknowns,
#: error model, held-out years, bootstrap size and the mechanism sets it is compared with
CALIBRATION: dict[str, Any] = {
    "scenario": "europe-1870", "series": ("milex",), "fit": ("reaction.*", "fatigue"),
    "error": "ar1", "holdout": 1900, "replicates": 100,
    "variants": (("Richardson (no economy, no alliances)", (), False),
                 ("+ economy", ("economy",), False), ("+ alliances", (), True),
                 ("+ economy + alliances (the scenario)", ("economy",), True))}


def calibration_problem(mechanisms: Any = None, events: bool = True, years=None):
    """The :data:`CALIBRATION` problem (optionally another mechanism set, without the
    scenario's interventions, or another fitted window)."""
    from dynamics.calibration.fitting import FitProblem, cow_observations

    scenario = load_scenario(CALIBRATION["scenario"])
    if mechanisms is not None or not events:
        scenario = scenario.with_values(
            mechanisms=scenario.mechanisms if mechanisms is None else mechanisms,
            events=scenario.events if events else ())
    observations = cow_observations(scenario, CALIBRATION["series"])
    return FitProblem(scenario, observations, CALIBRATION["fit"], error=CALIBRATION["error"],
                   years=years)


def calibration_of_record():
    """The README's fit: estimates with profile and bootstrap intervals, the out-of-sample
    check and the model comparison."""
    from dynamics.calibration.fitting import bootstrap, compare_models, fit, holdout, profile

    problem = calibration_problem()
    fitted = bootstrap(profile(fit(problem)), CALIBRATION["replicates"])
    held = holdout(problem, CALIBRATION["holdout"])
    comparison = compare_models({label: calibration_problem(mechanisms, events)
                          for label, mechanisms, events in CALIBRATION["variants"]})
    return fitted, held, comparison


#: the synthetic case of the coverage study: two states of Richardson's model, 31 years
#: of spending with log-normal errors of sd 0.05 (independent, or AR(1) with rho 0.5),
#: three unknowns
COVERAGE: dict[str, Any] = {
    "parameters": {"reaction": 0.1, "fatigue": 0.3, "grievance": 0.02,
                   "distinguishability": 0.0, "power_weight": 0.0},
    "initial": {"m": [0.1, 0.3], "e": [1.0, 1.5]}, "years": 30, "sigma": 0.05, "rho": 0.5,
    "fit": ("reaction", "fatigue", "grievance"), "replicates": 100,
    "bootstrap_replicates": 99}


def synthetic_problem(error: str = "lognormal", years: int | None = None):
    """The :data:`COVERAGE` problem: its scenario's values are the truth; the observed
    values are placeholders (the coverage study draws its own)."""
    from dynamics.calibration.fitting import FitProblem, Observations

    span = COVERAGE["years"] if years is None else years
    scenario = Scenario("synthetic", ("A", "B"), mechanisms=(),
                        parameters=COVERAGE["parameters"], initial=COVERAGE["initial"],
                        t_span=(0.0, float(span)))
    placeholder = Observations(np.arange(span + 1), {"spending": np.ones((span + 1, 2))},
                               ("A", "B"), "synthetic")
    return FitProblem(scenario, placeholder, COVERAGE["fit"], error=error)


def coverage_of_record(error: str = "lognormal"):
    """The README's coverage of the nominal 95 % profile and bootstrap intervals, with
    independent (``lognormal``) or autocorrelated (``ar1``) errors."""
    from dynamics.calibration.fitting import coverage

    return coverage(synthetic_problem(error), COVERAGE["sigma"],
                    replicates=COVERAGE["replicates"], rho=COVERAGE["rho"],
                    bootstrap_replicates=COVERAGE["bootstrap_replicates"])


def _calibration_history():
    """The README's fit of europe-1870: fitted to 1870-1900, the held-out years predicted
    beside persistence and a linear trend."""
    from dynamics.calibration.fitting import holdout
    from dynamics.views.plotting import plot_fit

    held = holdout(calibration_problem(), CALIBRATION["holdout"])
    figure = plot_fit(held, title=f"{CALIBRATION['scenario']}: reactions and fatigue fitted "
                      f"to COW shares of spending {held.training[0]}-{held.training[1]}, "
                      "AR(1) log-normal errors")
    states = held.fit.problem.scenario.states
    header = ["year", *(f"observed[{s}]" for s in states), *(f"fitted[{s}]" for s in states)]
    return figure, header, np.column_stack([held.years, held.observed[0], held.predicted[0]])


def _registry() -> dict[str, Figure]:
    figures: dict[str, Figure] = {
        "compare-balancing": _balancing_comparison,
        "compare-security-dilemma": _security_dilemma_comparison,
        "compare-soft-balancing": _soft_balancing_comparison,
        "compare-bandwagoning": _bandwagoning_comparison,
        "compare-four-worlds": _four_worlds,
        "bifurcation-security-dilemma": _bifurcation_security_dilemma,
        "stability-region": _stability_region,
        "phase-richardson": _richardson_phase_portraits,
        "calibration-1909": _calibration_1909,
        "calibration-europe-1870": _calibration_history,
        "history-europe-1870": _history_figure("europe-1870", "europe-1870-without-entente",
                                               "without the Entente"),
        "discovery-external-balancing": _discovery,
        "convergence-hegemonic-rise": _convergence,
        "durability-polarity": _durability,
        "history-cold-war-1949": _history_figure("cold-war-1949",
                                                 "cold-war-1949-without-nato",
                                                 "without NATO"),
        **{f"evaluation-{name}": _evaluation_figure(name) for name in EVALUATIONS},
    }
    for name in list_scenarios():
        figures[f"scenario-{name}"] = _scenario_figure(name)
    return figures


FIGURES = _registry()

#: figures that need an extra: its name and the packages it brings (a bare install makes
#: the others and says which were skipped and why). Three need the compiled kernel for
#: their thousands of runs: without numba, measured here, the fit of europe-1870 took
#: 280 s and the Sobol convergence study and the durability experiment more than 300 s
#: each (every other figure a few seconds).
NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "discovery-external-balancing": ("discovery", ("ema_workbench", "sklearn", "pandas")),
    "calibration-europe-1870": ("fast", ("numba",)),
    "convergence-hegemonic-rise": ("fast", ("numba",)),
    "durability-polarity": ("fast", ("numba",)),
}


def missing_extra(name: str) -> str | None:
    """The extra a figure needs that is not installed.

    Parameters
    ----------
    name : str
        The figure's name.

    Returns
    -------
    str or None
        The extra's name, or None where nothing is missing.
    """
    import importlib.util

    extra, packages = NEEDS.get(name, ("", ()))
    return extra if any(importlib.util.find_spec(p) is None for p in packages) else None


def write_table(path: Path, header: list[str], data: np.ndarray) -> Path:
    """Write the numbers behind a figure as CSV (exact float repr), whole or not at all.

    Parameters
    ----------
    path : Path
        The file.
    header : list of str
        The column names.
    data : ndarray
        The rows.

    Returns
    -------
    Path
        The file written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in np.atleast_2d(data):
            writer.writerow([repr(float(x)) for x in row])
    return path


def make_figures(out: Path | str = "figures", only: Iterable[str] | None = None,
                 progress: Callable[[Path], object] | None = None,
                 skipped: Callable[[str, str], object] | None = None) -> list[Path]:
    """Write every paper figure (or those named) with the numbers behind it.

    Parameters
    ----------
    out : Path or str
        The folder.
    only : iterable of str, optional
        The names of the figures to make.
    progress : callable, optional
        Called with each path as it is written.
    skipped : callable, optional
        Called with a figure's name and the extra it needs, where that extra is not
        installed (:data:`NEEDS`): the figure is skipped, the others made.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    names = list(FIGURES) if not only else list(only)
    for name in names:
        if name not in FIGURES:
            raise UnknownNameError("figure", name, FIGURES)
    written = []
    for name in names:
        extra = missing_extra(name)
        if extra is not None:
            if skipped is not None:
                skipped(name, extra)
            continue
        figure, header, data = FIGURES[name]()
        paths = [*save_figure(figure, out / name),
                 write_table(out / "data" / f"{name}.csv", header, data)]
        for path in paths:
            if progress is not None:
                progress(path)
        written += paths
    return written
