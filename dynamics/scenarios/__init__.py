"""Scenario files: the shipped library of named scenarios and users' own TOML files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dynamics.errors import ScenarioError, UnknownNameError
from dynamics.scenarios.loader import Scenario, parse_assignment, parse_scenario

__all__ = ["Scenario", "list_scenarios", "load_scenario", "parse_scenario", "parse_assignment"]


def _library() -> dict[str, resources.abc.Traversable]:
    folder = resources.files("dynamics.scenarios") / "library"
    return {p.name.removesuffix(".toml"): p for p in folder.iterdir() if p.name.endswith(".toml")}


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package, sorted."""
    return sorted(_library())


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path.

    An unknown name raises :class:`UnknownNameError` with the closest shipped name; a
    malformed file raises :class:`ScenarioError` naming the file, line and key.
    """
    library = _library()
    text_name = str(name_or_path)
    if text_name in library:
        return parse_scenario(library[text_name].read_text(), f"{text_name}.toml")
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"no such scenario file: {path}")
        return parse_scenario(path.read_text(), str(path))
    raise UnknownNameError("scenario", text_name, sorted(library))
