"""The exceptions `dynamics` raises on bad input, each naming the culprit and what was expected.

Every error derives from :class:`DynamicsError`, so ``except DynamicsError`` catches all of
them; each also derives from the built-in exception a Python user would expect
(``KeyError`` for an unknown name, ``ValueError`` for a bad value).
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable

__all__ = [
    "DynamicsError",
    "UnknownNameError",
    "ParameterValueError",
    "ShapeError",
    "TimeSpanError",
    "MechanismError",
    "ScenarioError",
    "MissingExtraError",
    "require",
    "at_least",
    "closest",
]


class DynamicsError(Exception):
    """Base class of every error raised by `dynamics` on bad input."""


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The admissible name closest to a name.

    Parameters
    ----------
    name : str
        The name given.
    choices : iterable of str
        The admissible names.

    Returns
    -------
    str or None
        The closest, or None when nothing is close.
    """
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


class UnknownNameError(DynamicsError, KeyError):
    """A parameter, mechanism, state or variable name that does not exist.

    The message lists the closest admissible name (``did you mean ...?``) and, when the
    list is short, every admissible name.
    """

    def __init__(self, kind: str, name: str, choices: Iterable[str]):
        choices = list(choices)
        self.kind, self.name, self.choices = kind, name, choices
        message = f"unknown {kind} {name!r}"
        suggestion = closest(name, choices)
        if suggestion is not None:
            message += f"; did you mean {suggestion!r}?"
        if len(choices) <= 12:
            message += f" (expected one of: {', '.join(map(repr, choices))})"
        super().__init__(message)

    def __str__(self) -> str:  # KeyError would otherwise print the repr of the message
        return str(self.args[0])


class ParameterValueError(DynamicsError, ValueError):
    """A value that is NaN, infinite or outside its admissible bounds."""


class ShapeError(DynamicsError, ValueError):
    """An array whose shape does not fit the model (number of states, ensemble axis)."""


class TimeSpanError(DynamicsError, ValueError):
    """An empty, inverted or non-finite time span, or output times outside it."""


class MechanismError(DynamicsError, ValueError):
    """A combination of mechanisms that cannot be assembled (a missing prerequisite)."""


class ScenarioError(DynamicsError, ValueError):
    """A malformed scenario or parameter file; the message names the file, line and key."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 key: str | None = None):
        self.path, self.line, self.key = path, line, key
        where = ""
        if path is not None:
            where = str(path) + (f", line {line}" if line is not None else "")
            where += f", key {key!r}" if key is not None else ""
            where += ": "
        super().__init__(where + message)


class MissingExtraError(DynamicsError, ImportError):
    """An optional dependency that a feature needs is not installed; the message names
    the extra that installs it."""


def require(extra: str, purpose: str, *modules: str) -> None:
    """Refuse, before any work, a purpose whose optional dependency is not installed.

    Parameters
    ----------
    extra : str
        The extra that installs it (``pip install 'balancing-dynamics[extra]'``).
    purpose : str
        What needs it, in words.
    *modules : str
        The modules it needs.

    Raises
    ------
    MissingExtraError
        Naming the extra, where one of the modules cannot be imported.
    """
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(f"{purpose} needs {', '.join(missing)}: pip install "
                                f"'balancing-dynamics[{extra}]'")


def at_least(value: object, smallest: int, what: str) -> None:
    """Refuse, before any work, a count (points, levels, starts, ...) that is not an integer of
    at least ``smallest``, naming it.

    Parameters
    ----------
    value : object
        The count.
    smallest : int
        The smallest that works.
    what : str
        What it counts, for the message.

    Raises
    ------
    ParameterValueError
        Naming the count and the smallest that works.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < smallest):
        raise ParameterValueError(f"{what} must be an integer of at least {smallest}, got "
                                  f"{value!r}")
