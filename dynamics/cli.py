"""The ``balancing`` command line (also ``python -m dynamics``).

    balancing list                         shipped scenarios
    balancing describe NAME|FILE           parameters as a table, equations, sources
    balancing run NAME|FILE [--set P=V] [--event NAME@WHEN:CHANGES] [--out FILE.csv|.npz]
                    [--plot FILE]
    balancing equilibria NAME|FILE [--set P=V] [--json]
    balancing continue NAME|FILE --param P[.STATE] --range A:B [--plot FILE] [--out FILE]
    balancing calibrate richardson FILE.csv --method differences|trajectory [--json]
    balancing calibrate cow --bloc A=FRN,RUS --bloc B=GMY,AUH --years 1909:1913
    balancing calibrate scenario NAME|FILE --data cow:milex[,cinc]|FILE.csv --fit P[.STATE]
                    ... [--method lsq|profile|bootstrap|mcmc] [--error lognormal|ar1]
                    [--years A:B] [--holdout YEAR] [--variant LABEL:mechanisms=...;events=
                    none] [--json] [--plot FILE]
    balancing sweep NAME --param P=A:B:N ... [--metric M ...] [--workers K | --scheduler
                    ADDRESS] [--checkpoint FILE]
    balancing sensitivity NAME --param P=A:B ... --metric M [--method sobol|morris|local|
                    fast|rbd-fast|delta|pawn] [--n N] [--second-order] [--convergence]
                    [--resamples R] [--from SWEEP.csv] [--workers K | --scheduler ADDRESS]
                    [--checkpoint FILE]
    balancing discover NAME --param P=A:B ... --outcome "peak_share > 0.5" [--n N] [--json]
                    [--plot FILE] [--workers K] [--checkpoint FILE]
    balancing robustness NAME [--members M] [--spread S] [--json] [--plot FILE] [--write]
    balancing decompose NAME [--metric M] [--json]
    balancing evaluate NAME [--horizon H] [--step S] [--origins Y,Y] [--until YEAR]
                    [--resamples R] [--json] [--csv FILE] [--plot FILE]
    balancing durability [--systems M] [--states 5:8] [--mechanisms ...] [--years Y]
                    [--range P=A:B ...] [--json] [--csv FILE] [--plot FILE]
    balancing compare NAME [--intervention FILE] [--event NAME@WHEN:CHANGES ...]
                    [--without NAME ...] [--members M] [--json] [--csv FILE] [--plot FILE]
    balancing export NAME|FILE --format xmile [--out FILE.xmile [--check]] [--set P=V]
                    [--dt STEP]
    balancing serve [--port 5006] [--scenario NAME] [--show]   the web explorer
    balancing parameters [--markdown]      the parameter registry
    balancing equations [--mechanisms ...] the model in index notation (LaTeX)
    balancing figures [--out DIR]          regenerate the paper figures

Bad input exits with status 2 and one line naming the culprit.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError, UnknownNameError
from dynamics.results.files import fallback, fallen_back, is_device

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> None:
    from dynamics.scenarios import list_scenarios, load_scenario

    for name in list_scenarios():
        print(f"{name:22s} {load_scenario(name).title}")


def _cmd_describe(args: argparse.Namespace) -> None:
    from dynamics.scenarios import load_scenario
    from dynamics.views.display import describe_text

    print(describe_text(load_scenario(args.scenario)))


def _apply_sets(scenario, assignments: Sequence[str]):
    from dynamics.scenarios import parse_assignment

    values: dict = {}
    for text in assignments:
        name, value = parse_assignment(text, scenario)
        if isinstance(value, dict) and isinstance(values.get(name), dict):
            value = {**values[name], **value}
        values[name] = value
    # (checked there as simulate checks it: a misspelt name, a value out of bounds, a value
    # for a mechanism the scenario has off, which would silently do nothing)
    return scenario.with_values(values) if values else scenario


def _cmd_run(args: argparse.Namespace) -> None:
    from dynamics.scenarios import load_scenario

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    if args.t_end is not None:
        scenario = scenario.with_values(t_span=(scenario.t_span[0], args.t_end))
    if args.event:
        from dynamics.run.interventions import parse_event

        added = tuple(parse_event(text) for text in args.event)
        scenario = scenario.with_values(events=(*scenario.events, *added))
    result = scenario.run(error_estimate=args.error_estimate)
    print(result.summary())
    if args.out:
        out = Path(args.out)  # (its suffix was checked before the run)
        if out.suffix == ".npz":
            result.save(out)
        else:
            result.to_csv(out)  # a .csv file, or a device such as /dev/null
        print(f"wrote {out}")
    if args.plot:
        from dynamics.views.plotting import plot_run, save_figure

        title = scenario.title + (f" ({', '.join(args.set)})" if args.set else "")
        figure = plot_run(result, title=title, unit=scenario.unit)
        paths = save_figure(figure, Path(args.plot))
        print("wrote " + ", ".join(map(str, paths)))


def _cmd_equilibria(args: argparse.Namespace) -> None:
    import json

    from dynamics.analysis.equilibria import find_equilibria, starts_tried
    from dynamics.scenarios import load_scenario
    from dynamics.studies.design import progress_bar

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    model = scenario.model()
    with progress_bar(starts_tried(args.starts), unit="start",
                      shown=sys.stderr.isatty()) as step:
        found = find_equilibria(model, scenario.values(model), initial=scenario.initial,
                                starts=args.starts, progress=step)
    if args.json:
        print(json.dumps([eq.as_dict() for eq in found], indent=2))
        return
    if not found:
        print(f"no equilibrium of {scenario.name} found in the admissible domain from "
              f"{args.starts} starts: the system may have none there (a runaway race, whose "
              "only equilibrium has negative spending), or try more --starts")
        return
    print(f"{len(found)} equilibria of {scenario.name} in the admissible domain:")
    for number, eq in enumerate(found, start=1):
        print(f"\n{number}. {eq.summary()}")


def _cmd_continue(args: argparse.Namespace) -> None:

    from dynamics.analysis.continuation import continuation
    from dynamics.scenarios import load_scenario
    from dynamics.views.figures import write_table

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    model = scenario.model()
    try:
        low, high = (float(x) for x in args.range.split(":"))
    except ValueError:
        raise DynamicsError(f"--range expects A:B (two numbers), got {args.range!r}") from None
    if not low != high:
        raise DynamicsError(f"--range {args.range}: the range is empty; give two different "
                            "values")
    # follow the equilibrium that a run settles into at the first value
    branch = continuation(model, args.param, (low, high), scenario.values(model),
                          initial=scenario.initial, settle=500.0)
    print(f"{scenario.name}: {branch.summary()}")
    if args.out:
        header = [args.param, *branch.labels, "stable"]
        data = np.column_stack([branch.parameter, branch.states, branch.stable])
        print(f"wrote {write_table(Path(args.out), header, data)}")
    if args.plot:
        import matplotlib.pyplot as plt

        from dynamics.views.plotting import ONE_COLUMN, paper_style, plot_branch, save_figure

        variable = args.variable or branch.labels[0]
        with paper_style():
            fig, ax = plt.subplots(figsize=(ONE_COLUMN, 2.6), layout="constrained")
            plot_branch(ax, branch, variable)
            ax.set_xlabel(args.param)
            ax.set_ylabel(f"equilibrium {variable}")
        print("wrote " + ", ".join(map(str, save_figure(fig, Path(args.plot)))))


def _cmd_calibrate(args: argparse.Namespace) -> None:
    import json

    from dynamics.calibration.calibrate import richardson_differences, richardson_trajectory
    from dynamics.data import cow_series, read_series

    if args.source == "richardson":
        series = read_series(args.file, allow_unit_change=args.allow_unit_change)
    else:
        blocs = {}
        for text in args.bloc or []:
            name, sep, members = text.partition("=")
            if not sep or not members:
                raise DynamicsError(f"--bloc expects NAME=CODE,CODE (COW abbreviations), got "
                                    f"{text!r}")
            blocs[name.strip()] = [m.strip() for m in members.split(",")]
        if len(blocs) < 2:
            raise DynamicsError("give at least two --bloc NAME=CODE,... options")
        chosen = _years(args.years)
        assert chosen is not None  # required
        series = cow_series(blocs, chosen, allow_unit_change=args.allow_unit_change)
    fit = (richardson_differences(series) if args.method == "differences"
           else richardson_trajectory(series))
    if args.json:
        print(json.dumps(fit.as_dict(), indent=2))
        return
    print(fit.summary())
    for note in series.notes:
        print(f"  note: {note}")


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        first, last = (int(y) for y in text.split(":"))
    except ValueError:
        raise DynamicsError(f"--years expects FIRST:LAST, got {text!r}") from None
    return first, last


def _variant(text: str, base: Any) -> tuple[str, Any]:
    """``LABEL:mechanisms=economy,ceiling;events=none`` as (label, scenario)."""
    label, sep, rest = text.partition(":")
    if not sep or not label.strip():
        raise DynamicsError(f"--variant expects LABEL:mechanisms=A,B;events=none, got {text!r}")
    scenario = base
    for part in filter(None, (p.strip() for p in rest.split(";"))):
        key, eq, value = part.partition("=")
        if key == "mechanisms" and eq:
            chosen = [] if value.strip() == "none" else [m.strip() for m in value.split(",")]
            scenario = scenario.with_values(mechanisms=chosen)
        elif key == "events" and value.strip() in ("none", "all"):
            scenario = scenario.with_values(events=() if value.strip() == "none"
                                            else base.events)
        else:
            raise DynamicsError(f"--variant {label}: {part!r} is not mechanisms=A,B|none or "
                                "events=none|all")
    return label.strip(), scenario


def _cmd_calibrate_scenario(args: argparse.Namespace) -> None:
    import json

    from dynamics.calibration.observations import cow_observations, read_observations
    from dynamics.calibration.problem import FitProblem
    from dynamics.calibration.workflow import calibrate
    from dynamics.scenarios import load_scenario

    if args.plot and args.method != "mcmc" and args.holdout is None:
        raise DynamicsError("--plot draws the fit against held-out years: give --holdout "
                            "YEAR (or --method mcmc for the corner plot)")
    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    years = _years(args.years)
    if args.data.startswith("cow:"):
        variables = [v.strip() for v in args.data[4:].split(",") if v.strip()]
        observations = cow_observations(scenario, variables, years, levels=args.levels)
    else:
        observations = read_observations(args.data, scenario, levels=args.levels)
    fit_names = [name for text in args.fit for name in text.split(",") if name]
    problem = FitProblem(scenario, observations, fit_names, error=args.error, years=years)
    rivals = dict(_variant(text, scenario) for text in args.variant or [])
    found = calibrate(problem, intervals=args.method, replicates=args.replicates,
                      kind=args.kind, walkers=args.walkers, steps=args.steps, burn=args.burn,
                      last_training_year=args.holdout, rivals=rivals, starts=args.starts,
                      seed=args.seed, progress=sys.stderr.isatty())
    print(json.dumps(found.as_dict(), indent=2, default=str) if args.json
          else found.summary())
    if args.plot:
        from dynamics.views.plotting import plot_corner, plot_fit, save_figure

        if found.posterior is not None:
            figure = plot_corner(found.posterior)
        else:
            assert found.holdout is not None  # checked before the work
            figure = plot_fit(found.holdout, title=scenario.title or scenario.name)
        print("wrote " + ", ".join(map(str, save_figure(figure, Path(args.plot)))))


def _ranges(texts: Sequence[str], parts: int, option: str = "--param"
            ) -> list[tuple[str, list[float]]]:
    """``P=A:B`` or ``P=A:B:N`` options as (name, numbers)."""
    out: list[tuple[str, list[float]]] = []
    for text in texts:
        name, sep, spec = text.partition("=")
        numbers = spec.split(":")
        try:
            values = [float(x) for x in numbers]
        except ValueError:
            values = []
        if not sep or len(values) != parts:
            shape = "P=A:B:N" if parts == 3 else "P=A:B"
            raise DynamicsError(f"{option} expects {shape}, got {text!r}")
        if any(name.strip() == other for other, _ in out):
            raise DynamicsError(f"{option} {name.strip()} is given twice")
        if parts == 3 and (values[2] != int(values[2]) or values[2] < 1):
            raise DynamicsError(f"{option} {text}: the number of points must be a whole "
                                f"number of at least 1, got {spec.split(':')[2]}")
        out.append((name.strip(), values))
    return out


@contextmanager
def _executor(args: argparse.Namespace):
    """The executor asked for: a Dask scheduler's, a pool of K processes, or None."""
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise DynamicsError("--scheduler needs dask.distributed: pip install "
                                "'balancing-dynamics[parallel]'") from None
        try:
            client = Client(args.scheduler, timeout=args.timeout)
        except (OSError, ValueError, TypeError) as error:  # unreachable, or not an address
            raise DynamicsError(f"cannot reach the Dask scheduler at {args.scheduler!r}: "
                                f"{error}") from None
        with client:
            yield client.get_executor()
    elif args.workers > 1:
        from dynamics.studies.sweep import process_pool

        with process_pool(args.workers) as pool:  # its workers exit if we are killed
            yield pool
    else:
        yield None


def _run_provenance(args: argparse.Namespace, scenario) -> dict:
    """What a study's output file records of how it was made, beside the versions."""
    return {"command": "balancing " + " ".join(sys.argv[1:]), "scenario": scenario.name,
            "scenario_file": scenario.path, "parameters": dict(scenario.parameters),
            "seed": getattr(args, "seed", None)}


def _groups(texts: Sequence[str], names: Sequence[str]) -> tuple[str, ...]:
    """``--group G=P,Q`` options as one group label per input (ungrouped: its own name)."""
    label = {name: name for name in names}
    for text in texts:
        group, sep, members = text.partition("=")
        if not sep or not members.strip():
            raise DynamicsError(f"--group expects NAME=P,Q, got {text!r}")
        for member in (m.strip() for m in members.split(",")):
            if member not in label:
                raise UnknownNameError("--param input", member, names)
            label[member] = group.strip()
    return tuple(label[name] for name in names)


def _execution_options(parser: argparse.ArgumentParser) -> None:
    """--workers K | --scheduler ADDRESS, --chunk, --checkpoint: where a study runs."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive, default=0,
                       help="run chunks on K local processes (default: in-process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run chunks on a Dask cluster (tcp://host:8786)")
    parser.add_argument("--timeout", type=_seconds, default=10.0,
                        help="seconds to wait for the Dask scheduler (default 10)")
    parser.add_argument("--chunk", type=_positive, default=None,
                        help="members per task (default: 256 in-process, else enough "
                             "chunks to give each worker four)")
    parser.add_argument("--checkpoint", metavar="FILE.npz",
                        help="write progress to FILE and resume from it when rerun")
    _force_option(parser)


def _force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="run a study that would hold more than half of this machine's "
                             "memory (refused without it)")


#: members per chunk in-process: the checkpoint's granularity
CHUNK = 256


def chunk_size(args: argparse.Namespace, runs: int) -> int:
    """--chunk, or a default: CHUNK in-process and on a cluster, and on K local workers
    small enough that each gets about four chunks (a single chunk would run on one)."""
    if args.chunk is not None:
        return int(args.chunk)
    workers = getattr(args, "workers", 0) or 0
    if workers > 1:
        return max(1, min(CHUNK, math.ceil(runs / (4 * workers))))
    return CHUNK


def _cmd_sweep(args: argparse.Namespace) -> None:
    from dynamics.scenarios import load_scenario
    from dynamics.studies.sensitivity import Problem, grid
    from dynamics.studies.sweep import sweep

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    ranges = _ranges(args.param, 3)
    problem = Problem(tuple(n for n, _ in ranges), tuple((a, b) for _, (a, b, _) in ranges))
    design = grid(problem, [int(k) for _, (_, _, k) in ranges], force=args.force)
    with _executor(args) as executor:
        result = sweep(scenario, problem, design, args.metric or ["peak_share"],
                       chunk=chunk_size(args, len(design)), executor=executor,
                       checkpoint=args.checkpoint, progress=True)
    print(f"{scenario.name}: {result.summary()}")
    out = result.write_csv(args.out or f"{scenario.name}-sweep.csv",
                           _run_provenance(args, scenario))
    print(f"wrote {out} and {out}.json")


def _cmd_sensitivity(args: argparse.Namespace) -> None:
    from dynamics.scenarios import load_scenario
    from dynamics.studies.sensitivity import (
        GIVEN_DATA,
        Problem,
        local_sensitivities,
        runs_of,
        study,
        sweep_indices,
    )
    from dynamics.studies.sweep import SweepResult

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    record = {**_run_provenance(args, scenario), "metric": args.metric,
              "method": args.method}
    if args.method == "local":
        ranged = [text for text in args.param if "=" in text]
        if ranged:
            raise DynamicsError(f"--method local takes inputs without ranges (--param P), "
                                f"got {ranged[0]!r}")
        names = [text.strip() for text in args.param]
        local = local_sensitivities(scenario, names, args.metric, step=args.step)
        print(f"{args.metric} in {scenario.name}: {local.summary()}")
        record |= local.as_dict()
        _write_json(args.out, record)
        return
    if args.second_order and args.method != "sobol":
        raise DynamicsError("--second-order is for --method sobol")
    if args.convergence and args.method != "sobol":
        raise DynamicsError("--convergence is for --method sobol")
    if args.source and args.method not in GIVEN_DATA:
        raise DynamicsError(f"--from a finished sweep is for the given-data methods "
                            f"({', '.join(GIVEN_DATA)}), not {args.method}")
    if args.source:
        found = sweep_indices(SweepResult.read_csv(args.source), args.metric, args.method,
                              seed=args.seed)
        print(f"{args.metric} in {args.source}: {found.summary()}")
        _write_json(args.out, {**record, "from": args.source, **found.as_dict()})
        return
    ranges = _ranges(args.param, 2)
    inputs = tuple(n for n, _ in ranges)
    problem = Problem(inputs, tuple((v[0], v[1]) for _, v in ranges),
                      _groups(args.group, inputs) if args.group else None)
    record |= {"problem": problem.to_dict(), "n": args.n}
    runs = runs_of(problem, args.method, args.n, args.second_order)
    with _executor(args) as executor:
        result = study(scenario, problem, args.metric, args.method, n=args.n, seed=args.seed,
                       resamples=args.resamples, second_order=args.second_order,
                       convergence=args.convergence, force=args.force, executor=executor,
                       checkpoint=args.checkpoint, chunk=chunk_size(args, runs),
                       progress=(sys.stderr.isatty() or executor is not None
                                 or args.checkpoint is not None))
    print(f"{args.metric} in {scenario.name}: {result.summary()}")
    record |= result.as_dict()
    _write_json(args.out, record)
    if args.plot:
        from dynamics.views import plotting

        draw: Callable[[Any, str], Any]
        if args.convergence:
            draw = plotting.plot_convergence
        else:
            draw = {"morris": plotting.plot_morris, "sobol": plotting.plot_sobol}.get(
                args.method, plotting.plot_given_data)
        written = plotting.save_figure(draw(result, args.metric), Path(args.plot))
        print("wrote " + ", ".join(map(str, written)))


def _cmd_discover(args: argparse.Namespace) -> None:
    import json

    from dynamics.scenarios import load_scenario
    from dynamics.studies.design import Problem
    from dynamics.studies.discovery import discover

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    ranges = _ranges(args.param, 2)
    problem = Problem(tuple(n for n, _ in ranges), tuple((v[0], v[1]) for _, v in ranges))
    with _executor(args) as executor:
        result = discover(scenario, problem, args.outcome, n=args.n, seed=args.seed,
                          threshold=args.threshold, force=args.force, executor=executor,
                          checkpoint=args.checkpoint, chunk=chunk_size(args, args.n),
                          progress=(sys.stderr.isatty() or executor is not None
                                    or args.checkpoint is not None))
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.summary())
    if args.out:
        _write_json(args.out, {**_run_provenance(args, scenario), **result.as_dict()})
    if args.plot:
        from dynamics.views.plotting import plot_discovery, save_figure

        written = save_figure(plot_discovery(result), Path(args.plot))
        print("wrote " + ", ".join(map(str, written)))


def _write_json(path: str | None, record: dict) -> None:
    """Write ``record`` with the package and library versions to ``path``, if given."""
    import json

    from dynamics.results.files import write_text
    from dynamics.results.labelled import environment, jsonable

    if path:
        write_text(path, json.dumps(jsonable({**environment(), **record}), indent=2))
        print(f"wrote {path}")


def _cmd_robustness(args: argparse.Namespace) -> None:
    import json

    from dynamics.scenarios import load_scenario
    from dynamics.studies.robustness import metadata_file, robustness, write_metadata

    if args.write and args.set:
        # the file would record the shares of a scenario it does not hold
        raise DynamicsError(f"--write records the scenario file's own robustness; it cannot "
                            f"record a run under --set {' '.join(args.set)} (edit the file's "
                            "values instead, then run --write)")
    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    target = metadata_file(scenario) if args.write else None  # refused before the work
    if args.prim:  # an unknown claim, or no PRIM installed: before the work
        from dynamics.studies.claims import claims_of
        from dynamics.studies.discovery import require_workbench

        names = [claim.name for claim in claims_of(scenario)]
        if args.prim not in names:
            raise UnknownNameError(f"claim of {scenario.name}", args.prim, names)
        require_workbench()
    result = robustness(scenario, members=args.members, spread=args.spread, seed=args.seed,
                        progress=sys.stderr.isatty(), force=args.force)
    box = result.prim(args.prim) if args.prim else None
    if args.json:
        print(json.dumps({**result.as_dict(), **({"prim": box.as_dict()} if box else {})},
                         indent=2))
    else:
        print(result.summary() + (f"\nwhat decides {args.prim!r}, by PRIM:\n"
                                  + box.summary() if box else ""))
    if target is not None:
        print(f"wrote {write_metadata(target, result)}")
    if args.plot:
        from dynamics.views.plotting import plot_robustness, save_figure

        written = save_figure(plot_robustness(result), Path(args.plot))
        print("wrote " + ", ".join(map(str, written)))


def _cmd_evaluate(args: argparse.Namespace) -> None:
    import json

    from dynamics.calibration.evaluation import evaluate
    from dynamics.scenarios import load_scenario

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    origins = None
    if args.origins:
        try:
            origins = [int(text) for text in args.origins.split(",")]
        except ValueError:
            raise DynamicsError(f"--origins expects years separated by commas, got "
                                f"{args.origins!r}") from None
    result = evaluate(scenario, origins=origins, horizon=args.horizon, step=args.step,
                      until=args.until, resamples=args.resamples, seed=args.seed)
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.summary())
    if args.csv:
        print(f"wrote {result.to_csv(args.csv)}")
    if args.plot:
        from dynamics.views.plotting import plot_evaluation, save_figure

        written = save_figure(plot_evaluation(result), Path(args.plot))
        print("wrote " + ", ".join(map(str, written)))


def _cmd_decompose(args: argparse.Namespace) -> None:
    import json

    from dynamics.scenarios import load_scenario
    from dynamics.studies.counterfactual import decompose

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    result = decompose(scenario, args.metric)
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.summary())


def _cmd_durability(args: argparse.Namespace) -> None:
    import json

    from dynamics.studies.durability import Design, durability

    states = _range_of_integers(args.states, "--states")
    ranges = {name: (low, high) for name, (low, high) in _ranges(args.range or [], 2,
                                                                  "--range")}
    design = Design(systems=args.systems, states=states, years=args.years, seed=args.seed,
                    mechanisms=tuple(args.mechanisms) if args.mechanisms else
                    Design().mechanisms, ranges=ranges)
    result = durability(design, resamples=args.resamples, discover=not args.no_discover)
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.summary())
    if args.out:
        _write_json(args.out, result.as_dict())
    if args.csv:
        print(f"wrote {result.to_csv(args.csv)}")
    if args.plot:
        from dynamics.views.plotting import plot_survival, save_figure

        written = save_figure(plot_survival(result), Path(args.plot))
        print("wrote " + ", ".join(map(str, written)))


def _range_of_integers(text: str, option: str) -> tuple[int, ...]:
    """``5:8`` -> (5, 6, 7, 8); ``6`` -> (6,)."""
    try:
        parts = [int(part) for part in text.split(":")]
    except ValueError:
        raise DynamicsError(f"{option} {text}: expected a whole number or FIRST:LAST") from None
    if len(parts) == 1:
        return (parts[0],)
    if len(parts) != 2 or parts[0] > parts[1]:
        raise DynamicsError(f"{option} {text}: expected FIRST:LAST with FIRST <= LAST")
    return tuple(range(parts[0], parts[1] + 1))


def _cmd_compare(args: argparse.Namespace) -> None:
    import json

    from dynamics.run.interventions import parse_event
    from dynamics.scenarios import load_intervention, load_scenario
    from dynamics.studies.counterfactual import compare

    base = _apply_sets(load_scenario(args.scenario), args.set or [])
    events = [parse_event(text) for text in args.event or []]
    if args.intervention and events:
        raise DynamicsError("give --intervention FILE or --event, not both")
    chosen = load_intervention(base, args.intervention) if args.intervention else events
    if not chosen and not args.without:
        raise DynamicsError("nothing to compare: give --intervention FILE, --event or "
                            "--without NAME")
    result = compare(base, chosen, without=args.without or [], members=args.members,
                     spread=args.spread, seed=args.seed)
    print(json.dumps(result.as_dict(), indent=2, default=str) if args.json
          else result.summary())
    if args.csv:
        print(f"wrote {result.to_csv(args.csv)}")
    if args.plot:
        from dynamics.views.plotting import plot_comparison, save_figure

        figure = plot_comparison(result, title=f"{base.title or base.name}: "
                                 + "; ".join(result.interventions))
        print("wrote " + ", ".join(map(str, save_figure(figure, Path(args.plot)))))


def _cmd_export(args: argparse.Namespace) -> None:
    from dynamics.errors import require
    from dynamics.run.solver import Solver
    from dynamics.run.xmile import DEFAULT_DT, compare_with_pysd
    from dynamics.scenarios import load_scenario

    if args.check:  # before any work
        if not args.out:
            raise DynamicsError("--check runs the written file: give --out FILE.xmile")
        require("interop", "--check (running the document in PySD)", "pysd")
    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    dt = DEFAULT_DT if args.dt is None else args.dt
    text = scenario.to_xmile(args.out, dt=dt)
    if not args.out:
        sys.stdout.write(text)
        return
    print(f"wrote {args.out}")
    if args.check:
        t0, t1 = scenario.t_span
        times = t0 + dt * np.round(np.linspace(0.0, (t1 - t0) / dt, 9))
        result = scenario.run(output=times, solver=Solver(rtol=1e-10, atol=1e-12))
        differences = compare_with_pysd(args.out, scenario.model(), result, dt)
        worst = max(differences, key=differences.__getitem__)
        print(f"PySD ran {args.out} at the steps {dt:g} and {dt / 2:g} (Euler, extrapolated): "
              f"largest difference from this run {differences[worst]:.1e} of the stock's "
              f"largest value, in {worst}")


def _cmd_serve(args: argparse.Namespace) -> None:
    from dynamics.errors import require
    from dynamics.scenarios import load_scenario

    require("web", "the web explorer", "panel")  # before the server says it is serving
    if args.scenario is not None:
        load_scenario(args.scenario)  # an unknown name: one line, not a page that fails
    from dynamics.views.web import serve

    print(f"balancing: serving the explorer at http://{args.address}:{args.port}/ "
          "(Ctrl+C stops it)", flush=True)
    serve(port=args.port, scenario=args.scenario, show=args.show, address=args.address)


def _cmd_parameters(args: argparse.Namespace) -> None:
    from dynamics.model.registry import resolve_mechanisms
    from dynamics.views.display import parameter_table

    resolve_mechanisms(args.mechanisms or "all")  # a researcher's mechanisms list theirs
    print(parameter_table(markdown=args.markdown))


def _cmd_equations(args: argparse.Namespace) -> None:
    from dynamics.model.model import Model

    model = Model(["A", "B"], args.mechanisms or "all")
    print(model.latex())


def _cmd_figures(args: argparse.Namespace) -> None:
    from dynamics.views.figures import make_figures

    make_figures(Path(args.out), only=args.only,
                 progress=lambda path: print(f"wrote {path}", flush=True),
                 skipped=lambda name, extra: print(
                     f"skipped {name}: it needs the [{extra}] extra (pip install "
                     f"'balancing-dynamics[{extra}]')", flush=True))


SCENARIO_HELP = "a shipped scenario name or a .toml file"
FIGURE_HELP = ("write a figure to FILE (.pdf, .png or .svg; without a suffix both .pdf and "
               ".png)")


def _output(text: str) -> str:
    """An argparse type: a path to write (an empty one would silently write nothing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name, got an empty one")
    return text


#: the options that several subcommands share, declared once: flags and argparse keywords
_SHARED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "scenario": (("scenario",), {"help": SCENARIO_HELP}),
    "set": (("--set",), {"action": "append", "metavar": "NAME[.STATE]=VALUE",
                         "help": "override a parameter (repeatable), e.g. reaction.USA=0.4"}),
    "seed": (("--seed",), {"type": int, "default": 0,
                           "help": "the seed of the random draws (default 0)"}),
    "json": (("--json",), {"action": "store_true", "help": "print JSON"}),
    "plot": (("--plot",), {"type": _output, "metavar": "FILE", "help": FIGURE_HELP}),
    "out": (("--out",), {"type": _output, "metavar": "FILE"}),
    "csv": (("--csv",), {"type": _output, "metavar": "FILE",
                         "help": "write the table to FILE.csv"}),
}


def _options(parser: argparse.ArgumentParser, *names: str, **helps: str) -> None:
    """Add the shared options ``names`` to ``parser`` (``helps`` overrides an option's
    help for this subcommand)."""
    for name in names:
        flags, keywords = _SHARED[name]
        parser.add_argument(*flags, **{**keywords, **({"help": helps[name]}
                                                       if name in helps else {})})


def _parser() -> argparse.ArgumentParser:
    from dynamics._version import __version__

    parser = argparse.ArgumentParser(
        prog="balancing", description="Balancing in international relations as coupled ODEs.")
    parser.add_argument("--version", action="version", version=f"balancing {__version__}")
    parser.add_argument("--fallback", metavar="FOLDER",
                        help="write an output that cannot be written where asked (a full "
                             "disk) to FOLDER instead, and exit with status 3")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the shipped scenarios").set_defaults(func=_cmd_list)
    describe = sub.add_parser("describe", help="parameters, equations and sources of a scenario")
    _options(describe, "scenario")
    describe.set_defaults(func=_cmd_describe)
    run = sub.add_parser("run", help="run a scenario or parameter file")
    _options(run, "scenario", "set")
    run.add_argument("--t-end", type=float, help="end of the time span, in years")
    run.add_argument("--event", action="append", metavar="NAME@WHEN:CHANGES",
                     help="add an intervention, e.g. 'treaty@30:reaction*0.5/5' "
                          "(repeatable)")
    run.add_argument("--error-estimate", action="store_true",
                     help="solve again at tolerances 100 times tighter and report the "
                          "estimated global error")
    _options(run, "out", out="write results to FILE.csv (tidy table) or FILE.npz")
    _options(run, "plot")
    run.set_defaults(func=_cmd_run)
    equilibria = sub.add_parser("equilibria", help="equilibria of a scenario and their type")
    _options(equilibria, "scenario", "set")
    equilibria.add_argument("--starts", type=int, default=128,
                            help="quasi-random starts of the root finder (default 128)")
    _options(equilibria, "json")
    equilibria.set_defaults(func=_cmd_equilibria)
    cont = sub.add_parser("continue", help="follow an equilibrium as a parameter varies")
    _options(cont, "scenario")
    cont.add_argument("--param", required=True, metavar="NAME[.STATE]")
    cont.add_argument("--range", required=True, metavar="A:B")
    _options(cont, "set")
    cont.add_argument("--variable", help="variable to plot, e.g. 'm[North]'")
    _options(cont, "out", out="write the branch to FILE.csv")
    _options(cont, "plot", plot="write the bifurcation diagram to FILE (.pdf and .png)")
    cont.set_defaults(func=_cmd_continue)
    calibrate = sub.add_parser("calibrate", help="fit a model to spending data (Richardson's "
                               "or any scenario's)")
    sources = calibrate.add_subparsers(dest="source", required=True, metavar="SOURCE")
    from_file = sources.add_parser("richardson", help="a CSV: year and one column per bloc")
    from_file.add_argument("file", help="CSV with a 'year' column (and optional 'unit')")
    from_cow = sources.add_parser("cow", help="blocs summed from the Correlates of War file")
    from_cow.add_argument("--bloc", action="append", metavar="NAME=CODE,CODE",
                          help="a bloc and its COW abbreviations (repeat for each bloc)")
    from_cow.add_argument("--years", required=True, metavar="FIRST:LAST")
    for each in (from_file, from_cow):
        each.add_argument("--method", choices=["differences", "trajectory"],
                          default="differences")
        _options(each, "json")
        each.add_argument("--allow-unit-change", action="store_true",
                          help="fit across a change of currency or unit (not advised)")
        each.set_defaults(func=_cmd_calibrate)
    from_scenario = sources.add_parser(
        "scenario",
        help="fit a scenario's parameters to observed series (dynamics.calibration.fitting)")
    _options(from_scenario, "scenario")
    from_scenario.add_argument("--data", required=True, metavar="cow:milex[,cinc]|FILE.csv",
                               help="COW series of the scenario's states, or a CSV file with "
                                    "a year column and one column per state")
    from_scenario.add_argument("--fit", action="append", required=True, metavar="P[.STATE]",
                               help="unknowns: reaction (shared), reaction.GMY, reaction.*, "
                                    "m0.GMY (repeat or separate by commas)")
    # calibration.workflow.INTERVALS (not imported here: the parser stays light)
    from_scenario.add_argument("--method", choices=["lsq", "profile", "bootstrap", "mcmc"],
                               default="lsq")
    from_scenario.add_argument("--error", choices=["lognormal", "ar1"], default="lognormal")
    from_scenario.add_argument("--years", metavar="FIRST:LAST", help="the fitted window")
    from_scenario.add_argument("--levels", action="store_true",
                               help="compare levels in the scenario's unit, not shares")
    from_scenario.add_argument("--holdout", type=int, metavar="YEAR",
                               help="fit up to YEAR, predict the rest beside baselines")
    from_scenario.add_argument("--variant", action="append",
                               metavar="LABEL:mechanisms=A,B;events=none",
                               help="compare with the same fit of another mechanism set")
    _options(from_scenario, "set")
    from_scenario.add_argument("--starts", type=int, default=4)
    from_scenario.add_argument("--replicates", type=int, default=200,
                               help="bootstrap replicates")
    from_scenario.add_argument("--kind", choices=["parametric", "block"],
                               default="parametric", help="bootstrap kind")
    from_scenario.add_argument("--walkers", type=int, default=32)
    from_scenario.add_argument("--steps", type=int, default=3000)
    from_scenario.add_argument("--burn", type=int, default=1000)
    _options(from_scenario, "seed", "json")
    _options(from_scenario, "plot", plot="write the fit with its held-out years (needs "
                                         "--holdout; for mcmc, the corner plot) to FILE")
    from_scenario.set_defaults(func=_cmd_calibrate_scenario)
    sweep = sub.add_parser("sweep", help="run a full-factorial grid of parameter values")
    _options(sweep, "scenario")
    sweep.add_argument("--param", action="append", required=True, metavar="P=A:B:N")
    sweep.add_argument("--metric", action="append", metavar="M",
                       help="metric to record (repeatable; default peak_share)")
    _options(sweep, "set")
    _execution_options(sweep)
    _options(sweep, "out", out="write the table to FILE.csv (provenance: FILE.csv.json)")
    sweep.set_defaults(func=_cmd_sweep)
    sens = sub.add_parser("sensitivity", help="Sobol, Morris or local sensitivity of a metric")
    _options(sens, "scenario")
    sens.add_argument("--param", action="append", required=True, metavar="P=A:B",
                      help="an input and its range (repeatable); --method local: P alone")
    sens.add_argument("--metric", required=True, metavar="M")
    sens.add_argument("--method", choices=["sobol", "morris", "local", "fast", "rbd-fast",
                                           "delta", "pawn"], default="sobol",
                      help="sobol (default), morris, local elasticities, eFAST, or the "
                           "given-data methods rbd-fast, delta and pawn (on a Latin "
                           "hypercube of --n runs, or --from a finished sweep)")
    sens.add_argument("--second-order", action="store_true",
                      help="Sobol: second-order indices too (n (2d + 2) runs)")
    sens.add_argument("--convergence", action="store_true",
                      help="Sobol: the indices against the sample size (nested subsamples)")
    sens.add_argument("--resamples", type=int, default=200,
                      help="bootstrap resamples of the Sobol intervals (default 200; 0: none)")
    sens.add_argument("--from", dest="source", metavar="SWEEP.csv",
                      help="given-data methods: the design and metric of a finished sweep")
    sens.add_argument("--group", action="append", metavar="G=P,Q",
                      help="report inputs P and Q together as group G (repeatable)")
    sens.add_argument("--n", type=_positive, default=256,
                      help="Sobol base samples (a power of two) or Morris trajectories")
    sens.add_argument("--step", type=float, default=1e-3,
                      help="relative step of the local elasticities (default 1e-3)")
    _options(sens, "seed", "set")
    _execution_options(sens)
    _options(sens, "out", out="write the indices and provenance to FILE.json")
    _options(sens, "plot", plot="write a figure of the indices to FILE (.pdf and .png)")
    sens.set_defaults(func=_cmd_sensitivity)
    robust = sub.add_parser("robustness", help="how often a scenario's claims hold over a "
                                               "neighbourhood of its values")
    _options(robust, "scenario")
    robust.add_argument("--members", type=_positive, default=256,
                        help="Latin hypercube members (default 256)")
    robust.add_argument("--spread", type=float, default=0.25,
                        help="each free value times 1 +- spread (default 0.25)")
    _options(robust, "seed", "set", "json")
    _options(robust, "plot", plot="write a figure of the shares to FILE")
    robust.add_argument("--write", action="store_true",
                        help="record the shares in the scenario file's [robustness] table")
    robust.add_argument("--prim", metavar="CLAIM",
                        help="what decides CLAIM: PRIM and CART over the members' inputs "
                             "(the [discovery] extra)")
    _force_option(robust)
    robust.set_defaults(func=_cmd_robustness)
    ev = sub.add_parser("evaluate", help="a historical scenario's forecasts against "
                                         "baselines, as shipped and out of sample")
    _options(ev, "scenario")
    ev.add_argument("--horizon", type=_positive, default=10,
                    help="years predicted after each origin (default 10)")
    ev.add_argument("--step", type=_positive, default=5,
                    help="years between the default origins (default 5)")
    ev.add_argument("--origins", metavar="YEAR,YEAR",
                    help="the forecast origins (default: every STEP years from the end of "
                         "the calibration window)")
    ev.add_argument("--until", type=int, metavar="YEAR",
                    help="the last year scored (default: the end of the span)")
    ev.add_argument("--resamples", type=_positive, default=2000,
                    help="bootstrap resamples of the intervals (default 2000)")
    _options(ev, "seed", "set", "json", "csv")
    _options(ev, "plot", plot="draw the record, the model and the baselines to FILE")
    ev.set_defaults(func=_cmd_evaluate)

    comp = sub.add_parser("compare", help="a scenario against its counterfactual: the "
                                          "differences an intervention makes")
    _options(comp, "scenario")
    comp.add_argument("--intervention", metavar="FILE",
                      help="a TOML file of [[events]] (and [scenario] without = [...]) "
                           "applied to the scenario, or a scenario of the same states")
    comp.add_argument("--event", action="append", metavar="NAME@WHEN:CHANGES",
                      help="an intervention, e.g. 'NATO@1949:c.USA.GBR=0.8' or "
                           "'alarm@share.A>0.4:reaction.B*2' (repeatable)")
    comp.add_argument("--without", action="append", metavar="NAME",
                      help="drop the scenario's intervention NAME (repeatable)")
    comp.add_argument("--members", type=int, default=0,
                      help="run both as ensembles over this many members of the "
                           "neighbourhood (default 0: single runs)")
    comp.add_argument("--spread", type=float, default=0.25,
                      help="relative spread of the neighbourhood (default 0.25)")
    _options(comp, "seed", "set", "json")
    _options(comp, "csv", csv="write the table to FILE.csv")
    _options(comp, "plot", plot="write the figure to FILE (.pdf and .png)")
    comp.set_defaults(func=_cmd_compare)
    disc = sub.add_parser("discover", help="scenario discovery: where in the inputs' ranges "
                                           "an outcome happens (PRIM, CART)")
    _options(disc, "scenario")
    disc.add_argument("--param", action="append", required=True, metavar="P=A:B",
                      help="an input and its range (repeatable)")
    disc.add_argument("--outcome", required=True, metavar="'METRIC > X'",
                      help="the outcome, e.g. 'peak_share > 0.5'")
    disc.add_argument("--n", type=_positive, default=1000,
                      help="members of the Latin hypercube (default 1000)")
    disc.add_argument("--threshold", type=float, default=0.8,
                      help="the density PRIM aims for (default 0.8)")
    _options(disc, "seed", "set")
    _execution_options(disc)
    _options(disc, "json")
    _options(disc, "out", out="write the result and provenance to FILE.json")
    _options(disc, "plot", plot="write the trade-off curve and box to FILE")
    disc.set_defaults(func=_cmd_discover)
    dec = sub.add_parser("decompose", help="which of a scenario's assumptions drives its "
                                           "result: each switched off in turn")
    _options(dec, "scenario", scenario="a shipped scenario name or a .toml file with "
                                       "[assumptions]")
    dec.add_argument("--metric", default="unipolar_end", metavar="M",
                     help="the metric recorded (default unipolar_end)")
    _options(dec, "set", "json")
    dec.set_defaults(func=_cmd_decompose)
    dur = sub.add_parser("durability", help="polarity durability: how long unipolar, bipolar "
                                            "and multipolar systems last (Kaplan-Meier)")
    dur.add_argument("--systems", type=_positive, default=200,
                     help="systems drawn, each run from all three starts (default 200)")
    dur.add_argument("--states", default="5:8", metavar="FIRST:LAST",
                     help="numbers of great powers drawn from (default 5:8)")
    dur.add_argument("--mechanisms", nargs="*", metavar="MECHANISM",
                     help="the systems' mechanisms (default: every shipped one)")
    dur.add_argument("--years", type=float, default=100.0,
                     help="the horizon: spells that outlast it are censored (default 100)")
    dur.add_argument("--range", action="append", metavar="P=A:B",
                     help="draw P over A..B instead of its default range (repeatable; also "
                          "headroom, convergence, initial_burden, pole_ratio)")
    dur.add_argument("--resamples", type=int, default=200,
                     help="bootstrap resamples of the mean durations' intervals (default 200)")
    dur.add_argument("--no-discover", action="store_true",
                     help="skip PRIM on where the unipolar start ends first")
    _options(dur, "seed", "json")
    _options(dur, "out", out="write the result and provenance to FILE.json")
    _options(dur, "csv", csv="write one row per system (inputs, durations) to FILE.csv")
    _options(dur, "plot", plot="write the survival curves to FILE")
    dur.set_defaults(func=_cmd_durability)
    export = sub.add_parser("export", help="a scenario as a model file for other tools "
                            "(XMILE: Stella, Vensim, PySD)")
    _options(export, "scenario", "set")
    export.add_argument("--format", choices=["xmile"], required=True,
                        help="the file's format: xmile (OASIS XMILE 1.0)")
    _options(export, "out", out="write the model to FILE.xmile (or .xml, .stmx; without it, "
                                "to standard output)")
    export.add_argument("--dt", type=_step, metavar="STEP",
                        help="Euler's step in years written into the file (default 1/64)")
    export.add_argument("--check", action="store_true",
                        help="run the file in PySD and report its largest difference from "
                             "this project's run (needs the [interop] extra)")
    export.set_defaults(func=_cmd_export)
    web = sub.add_parser("serve", help="the web explorer: a scenario's sliders, runs and "
                         "claims in a browser (needs the [web] extra)")
    web.add_argument("--port", type=_port, default=5006, help="the port (default 5006)")
    web.add_argument("--address", default="localhost",
                     help="the address to listen on (default localhost: this machine only)")
    web.add_argument("--scenario", help="the scenario shown first")
    web.add_argument("--show", action="store_true", help="open it in the default browser")
    web.set_defaults(func=_cmd_serve)
    params = sub.add_parser("parameters", help="the parameter registry")
    params.add_argument("--markdown", action="store_true", help="as a Markdown table")
    params.add_argument("--mechanisms", nargs="*", metavar="MECHANISM",
                        help="also load these mechanisms ('module:attribute' for your own)")
    params.set_defaults(func=_cmd_parameters)
    equations = sub.add_parser("equations", help="the model in index notation (LaTeX)")
    equations.add_argument("--mechanisms", nargs="*", help="mechanisms to include (default all)")
    equations.set_defaults(func=_cmd_equations)
    figures = sub.add_parser("figures", help="regenerate the paper figures")
    figures.add_argument("--out", default="figures", help="output folder (default figures/)")
    figures.add_argument("--only", nargs="*", help="names of the figures to make")
    figures.set_defaults(func=_cmd_figures)
    return parser


def _seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _port(text: str) -> int:
    """An argparse type: a TCP port, 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def _step(text: str) -> float:
    """An argparse type: a positive, finite step in years (``0.01`` or ``1/64``)."""
    try:
        top, _, bottom = text.partition("/")
        value = float(top) / float(bottom) if bottom else float(top)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a step in years such as 0.01 or 1/64, got "
                                         f"{text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive step in years, got {text}")
    return value


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a count: members, chunks, workers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


#: options naming a file the command writes, checked before any work starts
_OUTPUTS = ("out", "plot", "checkpoint", "csv")
#: the file types each command writes for an option (a figure: any of FIGURES, or none)
_SUFFIXES = {("run", "out"): (".csv", ".npz"), ("continue", "out"): (".csv",),
             ("sweep", "out"): (".csv",), ("sensitivity", "out"): (".json",),
             ("discover", "out"): (".json",), ("durability", "out"): (".json",),
             ("durability", "csv"): (".csv",), ("compare", "csv"): (".csv",),
             ("evaluate", "csv"): (".csv",), ("export", "out"): (".xmile", ".xml", ".stmx")}
FIGURES = ("", ".pdf", ".png", ".svg")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every output path can be written: its folder exists (or is made) and is writable, so
    that a long run is never lost to a bad path at its end."""
    for option in _OUTPUTS:
        value = getattr(args, option, None)
        if not value:
            continue
        path = Path(value)
        if is_device(path):  # /dev/null, a pipe: written in place, whatever its name
            continue
        wanted = FIGURES if option == "plot" else _SUFFIXES.get((args.command, option))
        if wanted is not None and path.suffix.lower() not in wanted:
            named = [w for w in wanted if w]
            names = (", ".join(named[:-1]) + " or " if len(named) > 1 else "") + named[-1] + (
                ", or none (both .pdf and .png)" if "" in wanted else "")
            raise DynamicsError(f"--{option} {value}: expected a file name ending {names}")
        folder = path if (option == "out" and args.command == "figures") else path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DynamicsError(f"--{option} {value}: cannot create the folder {folder} "
                                f"({error.strerror})") from None
        if path.is_dir() and not (option == "out" and args.command == "figures"):
            raise DynamicsError(f"--{option} {value}: is a folder; give a file name")
        if not os.access(folder, os.W_OK):
            raise DynamicsError(f"--{option} {value}: the folder {folder} is not writable")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        The exit status: 0, 2 for bad input or a failed write (one line naming the culprit
        on stderr), 3 when every output was written but some to the ``--fallback`` folder
        instead of where asked (a line each, naming both), 130 when interrupted.
    """
    args = _parser().parse_args(argv)
    # long steps (generating a large model's code) say what they are doing on stderr
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("balancing: %(message)s"))
    logger = logging.getLogger("dynamics")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    before = len(fallen_back())
    try:
        _check_outputs(args)
        with fallback(args.fallback) if args.fallback else nullcontext():
            args.func(args)
        if len(fallen_back()) > before:
            return 3  # (each one said so, naming both paths)
    except DynamicsError as error:
        print(f"balancing: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `balancing parameters | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        resume = " (rerun with the same --checkpoint to resume)" if getattr(
            args, "checkpoint", None) else ""
        print(f"balancing: interrupted{resume}", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
