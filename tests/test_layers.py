"""A house without circles: the package's folders are its layers. A module may import
modules of its own folder or of a lower one (at the top of the file or inside a function
alike), and no two modules import each other, directly or through others. Read from the
source with ``ast``; a new module is placed by the folder it is saved in."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dynamics"

#: the layers, lowest first: each is a set of folders (or the few top-level modules).
#: Data flows scenario -> model -> compiled system -> run -> results -> analysis and
#: studies -> views; the result types sit low, beside the errors, because every layer
#: from the model up returns or renders them and they import nothing of the model.
LAYERS = [
    ["dynamics._version", "dynamics.errors", "dynamics._moved"],
    ["dynamics.results", "dynamics.data"],
    ["dynamics.model"],
    ["dynamics.codegen"],
    ["dynamics.run"],
    ["dynamics.scenarios", "dynamics.analysis"],
    ["dynamics.calibration"],
    ["dynamics.studies"],
    ["dynamics.views"],
    ["dynamics.docgen", "dynamics.cli", "dynamics.__main__", "dynamics"],
]

#: the modules that may sit at the top of the package, beside the folders
TOP = {"dynamics", "dynamics.__main__", "dynamics._version", "dynamics.errors",
       "dynamics._moved", "dynamics.cli"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> int:
    """The layer of a module: that of its folder (its first name below ``dynamics``)."""
    room = module if module in TOP else ".".join(module.split(".")[:2])
    for number, rooms in enumerate(LAYERS):
        if room in rooms:
            return number
    raise AssertionError(f"{module} is in no layer: save it in a folder of LAYERS")


def imports_of(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere in its source."""
    tree = ast.parse(MODULES[module].read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from dynamics import kernel`` imports the module dynamics.run.kernel.build
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES
                     else node.module for a in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES and name != module}
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_only_a_handful_of_modules_sit_at_the_top():
    top = {m for m, path in MODULES.items() if path.parent == PACKAGE}
    assert top == TOP, top ^ TOP


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


def test_the_old_module_names_still_answer_with_a_deprecation_warning():
    """Every module that moved into a folder is importable under its old name for one
    release: each name read from it is the new module's own object, with a warning that
    names the new module; the package's functions ``simulate`` and ``sweep`` stay functions
    although old modules had their names."""
    import importlib
    import warnings

    import pytest

    import dynamics
    from dynamics._moved import FOLDED, MOVED

    for old, new in MOVED.items():
        assert not (PACKAGE.parent / (old.replace(".", "/") + ".py")).exists(), old
        target = importlib.import_module(new)
        name = next(n for n in sorted(vars(target)) if not n.startswith("__"))
        stand_in = importlib.import_module(old)
        with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
            assert getattr(stand_in, name) is getattr(target, name)
    for old, new in FOLDED.items():
        target = importlib.import_module(new)
        private = next(n for n in sorted(vars(target)) if n not in target.__all__
                       and not n.startswith("__"))
        with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
            assert getattr(importlib.import_module(old), private) is getattr(target, private)
        with warnings.catch_warnings():  # the public names are re-exported, silently
            warnings.simplefilter("error")
            for name in target.__all__:
                assert getattr(importlib.import_module(old), name) is getattr(target, name)
    import dynamics.simulate  # noqa: F401  (the old module, under the package's function)
    import dynamics.sweep  # noqa: F401

    assert callable(dynamics.simulate) and dynamics.simulate.__module__ == "dynamics.run.front"
    assert dynamics.sweep.__module__ == "dynamics.studies.sweep"
    with pytest.warns(DeprecationWarning):
        from dynamics.solver import prepare
    from dynamics.run.solver import prepare as moved

    assert prepare is moved


def test_no_public_name_is_defined_twice():
    """Each public class and function of the package has one name: a reader who meets
    ``Problem`` or ``compare`` knows which one it is (the renamed ones answer under their
    old names for one release, through a module ``__getattr__``)."""
    defined: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
                    and node.name != "main"):
                defined.setdefault(node.name, []).append(module)
    assert {name: where for name, where in defined.items() if len(where) > 1} == {}
