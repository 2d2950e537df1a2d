"""How far a reader walks through the package to follow one run: stays, modules, climbs.

    python scripts/walk.py

Runs ``simulate`` (one run of the default model, three states, every mechanism) and
``continuation`` (a branch of the Richardson model) once to warm every cache, then again
under a profiler that records each function of the package the first time it is called.
Read in that order, the functions make a walk through the code: a *stay* is a stretch of
consecutive functions in one module, and a *climb* is a step from a module to one on a
higher floor (the layers of tests/test_layers.py: a lower layer calling back up through a
function it was handed, or a reader following a call from a low module to a high one).
Prints the stays, the distinct modules and the climbs of each walk, and the walk itself
with ``--show``. Fewer of each is a walk that is easier to follow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_layers import layer_of  # noqa: E402 - the floors as the tests read them

from dynamics import Model, simulate  # noqa: E402
from dynamics.analysis.continuation import continuation  # noqa: E402


def walk(action: Callable[[], object]) -> list[tuple[str, str]]:
    """(module, function) of each function of the package in the order of first call."""
    seen: dict[tuple[str, str], None] = {}

    def profile(frame, event, arg):
        if event == "call":
            module = frame.f_globals.get("__name__", "")
            if module.startswith("dynamics") and not frame.f_code.co_filename.startswith("<"):
                seen.setdefault((module, frame.f_code.co_qualname), None)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return list(seen)


def measure(steps: list[tuple[str, str]]) -> tuple[int, int, int]:
    """Stays, distinct modules and climbs of a walk."""
    modules = [module for module, _ in steps]
    stays = sum(1 for k, m in enumerate(modules) if k == 0 or m != modules[k - 1])
    climbs = sum(1 for a, b in zip(modules[:-1], modules[1:], strict=True)
                 if layer_of(b) > layer_of(a))
    return stays, len(set(modules)), climbs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each walk")
    args = parser.parse_args()
    model = Model(["A", "B", "C"])
    richardson = Model(["A", "B"], "richardson")
    actions = {
        "simulate": lambda: simulate(model, {}, (0, 50)),
        "continuation": lambda: continuation(richardson, "reaction", (0.05, 0.15),
                                             {"fatigue": 0.3, "grievance": 0.01,
                                              "distinguishability": 0.0,
                                              "power_weight": 0.0}),
    }
    for action in actions.values():
        action()  # warm: compilation and caches are not the walk
    for name, action in actions.items():
        steps = walk(action)
        stays, modules, climbs = measure(steps)
        print(f"{name}: {stays} stays in {modules} modules, {climbs} climbs "
              f"({len(steps)} functions)")
        if args.show:
            for module, function in steps:
                print(f"    {module}.{function}")


if __name__ == "__main__":
    main()
