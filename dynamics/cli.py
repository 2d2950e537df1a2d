"""The ``balancing`` command line (also ``python -m dynamics``).

    balancing list                         shipped scenarios
    balancing describe NAME|FILE           parameters as a table, equations, sources
    balancing run NAME|FILE [--set P=V] [--out FILE.csv|.npz] [--plot FILE]
    balancing parameters [--markdown]      the parameter registry
    balancing equations [--mechanisms ...] the model in index notation (LaTeX)
    balancing figures [--out DIR]          regenerate the paper figures

Bad input exits with status 2 and one line naming the culprit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dynamics.errors import DynamicsError

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> None:
    from dynamics.scenarios import list_scenarios, load_scenario

    for name in list_scenarios():
        print(f"{name:22s} {load_scenario(name).title}")


def _cmd_describe(args: argparse.Namespace) -> None:
    from dynamics.display import describe_text
    from dynamics.scenarios import load_scenario

    print(describe_text(load_scenario(args.scenario)))


def _apply_sets(scenario, assignments: Sequence[str]):
    from dynamics.scenarios import parse_assignment

    values: dict = {}
    for text in assignments:
        name, value = parse_assignment(text, scenario)
        if isinstance(value, dict) and isinstance(values.get(name), dict):
            value = {**values[name], **value}
        values[name] = value
    return scenario.with_values(values) if values else scenario


def _cmd_run(args: argparse.Namespace) -> None:
    from dynamics.scenarios import load_scenario

    scenario = _apply_sets(load_scenario(args.scenario), args.set or [])
    if args.t_end is not None:
        scenario = scenario.with_values(t_span=(scenario.t_span[0], args.t_end))
    result = scenario.run()
    print(result.summary())
    if args.out:
        out = Path(args.out)
        if out.suffix == ".npz":
            result.save(out)
        elif out.suffix == ".csv":
            result.to_csv(out)
        else:
            raise DynamicsError(f"--out {out}: expected a .csv or .npz file name")
        print(f"wrote {out}")
    if args.plot:
        from dynamics.plotting import plot_run, save_figure

        paths = save_figure(plot_run(result, title=scenario.title), Path(args.plot))
        print("wrote " + ", ".join(map(str, paths)))


def _cmd_parameters(args: argparse.Namespace) -> None:
    from dynamics.display import parameter_table

    print(parameter_table(markdown=args.markdown))


def _cmd_equations(args: argparse.Namespace) -> None:
    from dynamics.model.model import Model

    model = Model(["A", "B"], args.mechanisms or "all")
    print(model.latex())


def _cmd_figures(args: argparse.Namespace) -> None:
    from dynamics.figures import make_figures

    for path in make_figures(Path(args.out), only=args.only):
        print(f"wrote {path}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="balancing", description="Balancing in international relations as coupled ODEs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the shipped scenarios").set_defaults(func=_cmd_list)
    describe = sub.add_parser("describe", help="parameters, equations and sources of a scenario")
    describe.add_argument("scenario", help="a shipped scenario name or a .toml file")
    describe.set_defaults(func=_cmd_describe)
    run = sub.add_parser("run", help="run a scenario or parameter file")
    run.add_argument("scenario", help="a shipped scenario name or a .toml file")
    run.add_argument("--set", action="append", metavar="NAME[.STATE]=VALUE",
                     help="override a parameter (repeatable), e.g. reaction.USA=0.4")
    run.add_argument("--t-end", type=float, help="end of the time span, in years")
    run.add_argument("--out", help="write results to FILE.csv (tidy table) or FILE.npz")
    run.add_argument("--plot", help="write a figure to FILE (.pdf and .png)")
    run.set_defaults(func=_cmd_run)
    params = sub.add_parser("parameters", help="the parameter registry")
    params.add_argument("--markdown", action="store_true", help="as a Markdown table")
    params.set_defaults(func=_cmd_parameters)
    equations = sub.add_parser("equations", help="the model in index notation (LaTeX)")
    equations.add_argument("--mechanisms", nargs="*", help="mechanisms to include (default all)")
    equations.set_defaults(func=_cmd_equations)
    figures = sub.add_parser("figures", help="regenerate the paper figures")
    figures.add_argument("--out", default="figures", help="output folder (default figures/)")
    figures.add_argument("--only", nargs="*", help="names of the figures to make")
    figures.set_defaults(func=_cmd_figures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except DynamicsError as error:
        print(f"balancing: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
