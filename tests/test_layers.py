"""A house without circles: every module imports only modules of its own or a lower layer
(at the top of the file or inside a function alike), and no two modules import each
other, directly or through others. Read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dynamics"

#: the layers, lowest first: data flows scenario -> model -> compiled system -> solver ->
#: results -> analysis/plots, and a module may import only its own layer or those below
LAYERS = [
    ["dynamics._version", "dynamics.errors", "dynamics.html", "dynamics.report",
     "dynamics.kernel_math",
     "dynamics.model.units",
     "dynamics.model.parts", "dynamics.model.references"],
    ["dynamics.model.mechanisms*", "dynamics.model.registry", "dynamics.model.contexts",
     "dynamics.model.model", "dynamics.model.values", "dynamics.model.names", "dynamics.model"],
    ["dynamics.compile", "dynamics.arraycode", "dynamics.results", "dynamics.data"],
    ["dynamics.interventions"],
    ["dynamics.kernel", "dynamics.kernel_body", "dynamics.solver"],
    ["dynamics.ensemble"],
    ["dynamics.simulate"],
    ["dynamics.scenarios*", "dynamics.analysis*", "dynamics.checks", "dynamics.history"],
    ["dynamics.studies", "dynamics.calibration", "dynamics.claims", "dynamics.fitting"],
    ["dynamics.sweep", "dynamics.posterior"],
    ["dynamics.sensitivity", "dynamics.robustness", "dynamics.discovery"],
    ["dynamics.counterfactual", "dynamics.durability"],
    ["dynamics.plotting", "dynamics.display", "dynamics.docs", "dynamics.figures",
     "dynamics.interactive"],
    ["dynamics.cli", "dynamics.__main__", "dynamics", "dynamics.site"],
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> int:
    for number, names in enumerate(LAYERS):
        for name in names:
            if module == name or (name.endswith("*") and (module == name[:-1]
                                                          or module.startswith(name[:-1] + "."))):
                return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports_of(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its source."""
    tree = ast.parse(MODULES[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from dynamics import kernel`` imports the module dynamics.kernel
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES
                     else node.module for a in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_higher_layer():
    upward = [(m, other) for m in MODULES for other in imports_of(m)
              if layer_of(other) > layer_of(m)]
    assert not upward, upward


def test_there_is_no_import_cycle():
    graph = {m: imports_of(m) for m in MODULES}
    # a package imports its own submodules by construction; its children do not import it
    for module, targets in graph.items():
        for target in targets:
            assert module not in _reachable(graph, target, skip_packages_of=module), \
                f"cycle through {module} and {target}"


def _reachable(graph: dict[str, set[str]], start: str, skip_packages_of: str) -> set[str]:
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        pending += [t for t in graph[node]
                    if not (skip_packages_of.startswith(t + ".") and t != start)]
    return seen
