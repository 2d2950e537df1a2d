"""The one reader of ``name[.STATE[.STATE]]``: a parameter or variable, optionally at a state
or a pair of states (``reaction``, ``growth.Riser``, ``proximity.USA.CHN``, ``c.USA.GBR``).

Every place that takes such a name (``--set``, ``--param``, designs, continuation, fits,
sliders) reads it here, so the rules are the same everywhere: the name must be known (with
the closest match suggested), at most as many states as the quantity has indices, and
each state one of the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dynamics.errors import ShapeError, UnknownNameError
from dynamics.model.registry import REGISTRY, VARIABLES

__all__ = ["Name", "parse_name"]

_INDICES = {"scalar": 0, "state": 1, "pair": 2}


@dataclass(frozen=True)
class Name:
    """A parsed name: the quantity, the states given and what the quantity is.

    Attributes
    ----------
    base : str
        The parameter's or variable's name.
    states : tuple of str
        The states given (none, one, or a pair).
    kind : str
        ``parameter`` or ``variable``.
    indices : int
        The state indices the quantity has (0, 1 or 2).
    """

    base: str
    states: tuple[str, ...]
    kind: Literal["parameter", "variable"]
    indices: int  # how many state indices the quantity has: 0, 1 or 2

    @property
    def state(self) -> str:
        """The first state given, or ``""``."""
        return self.states[0] if self.states else ""

    def __str__(self) -> str:
        return ".".join((self.base, *self.states))


def parse_name(text: str, states: Sequence[str] | None = None,
               allow: tuple[str, ...] = ("parameter",)) -> Name:
    """Read ``name[.STATE[.STATE]]``.

    Parameters
    ----------
    text : str
        The name.
    states : sequence of str, optional
        The model's states, against which the state names are checked when given.
    allow : tuple of str
        Whether parameters, variables or both may be named.

    Returns
    -------
    Name
        The parsed name.

    Raises
    ------
    UnknownNameError
        For an unknown quantity or state, with the closest match.
    """
    base, *given = text.strip().split(".")
    if "parameter" in allow and base in REGISTRY:
        kind: Literal["parameter", "variable"] = "parameter"
        indices = _INDICES[REGISTRY[base].kind]
    elif "variable" in allow and base in VARIABLES:
        kind, indices = "variable", 2 if VARIABLES[base].pair else 1
    else:
        choices = [*(REGISTRY if "parameter" in allow else ()),
                   *(VARIABLES if "variable" in allow else ())]
        raise UnknownNameError(" or ".join(allow), base, choices)
    if len(given) > indices:
        raise ShapeError(f"{text!r}: {base!r} takes at most {indices} state name(s), got "
                         f"{len(given)}")
    if states is not None:
        for state in given:
            if state not in states:
                raise UnknownNameError("state", state, states)
    return Name(base, tuple(given), kind, indices)
