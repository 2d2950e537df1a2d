"""What a scenario file declares about itself: its variants and its claims.

A scenario states claims in its text ("balancing keeps the Riser below s*"). Its file
declares each one, so that the claim is tested and its robustness measured without
touching the package:

.. code-block:: toml

    [variants]
    "nobody balancing" = { without = ["alliances"] }

    [[claims]]
    name = "slows"
    text = "external balancing lowers the Riser's peak share below ..."
    test = "peak_lower_than"                   # a test of dynamics.studies.claims.TESTS
    args = { state = "Riser", variant = "nobody balancing" }
    variants = ["nobody balancing"]            # the runs it compares with the scenario's
    kind = "robust"                            # or "conditional" (with condition) or
                                               # "uncertain"

The numbers of its title, description and theory are declared too, in a ``[prose]``
table: each is one of the scenario's ``inputs`` (a value it sets or inherits, or the
ratio or product of two), a ``given`` number (a point the text evaluates, a figure cited
from the literature), or one of its ``results``, read from a run
(``"0.52" = { read = "share.Riser", at = "max" }``, see
:func:`dynamics.scenarios.loader.prose_value`) or, where
only code can compute it, marked ``"code"``. ``tests/test_prose.py`` checks each against
the model.

A **variant** is the scenario with something changed, by the keys of an assumption
(:data:`VARIANT_KEYS`): ``without`` (mechanisms switched off), ``parameters`` and
``initial`` (values changed, per state for a mapping), and ``interventions = false`` (its
``[[events]]`` dropped). A **claim** names a test and its arguments; the tests, and the
registration of a researcher's own (the rare claim that needs code), are in
:mod:`dynamics.studies.claims`. Every key is checked when the file is read, and an error
names the file, the line and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dynamics.errors import DynamicsError, ScenarioError

__all__ = ["DeclaredClaim", "VARIANT_KEYS", "ASSUMPTION_KEYS", "CLAIM_KEYS", "KINDS",
           "claims_of_file", "check_changes", "table_line", "PROSE_KEYS", "RESULT_KEYS",
           "check_prose", "CODED"]

#: the keys of the ``[prose]`` table
PROSE_KEYS = ("inputs", "given", "results")
#: the keys of a result's reading (see :func:`prose_value`)
RESULT_KEYS = ("read", "at", "mean", "variant", "scenario")
#: a result that only code computes (tests/test_prose.py, for the shipped scenarios)
CODED = "code"
#: what a variant may change
VARIANT_KEYS = ("without", "parameters", "initial", "interventions")
#: what switching an assumption off may change (``[assumptions]``)
ASSUMPTION_KEYS = ("parameters", "initial", "without")
#: the keys of a ``[[claims]]`` table
CLAIM_KEYS = ("name", "text", "test", "args", "variants", "kind", "condition")
#: what the project promises about a claim (see :class:`DeclaredClaim`)
KINDS = ("robust", "conditional", "uncertain")


@dataclass(frozen=True)
class DeclaredClaim:
    """One claim of a scenario, as its file declares it.

    Parameters
    ----------
    name : str
        Short name, unique in the scenario (the key of its measured share in
        ``[robustness]``).
    text : str
        The claim in words, as the scenario's documentation prints it.
    test : str
        The name of the test that judges it member by member
        (:data:`dynamics.studies.claims.TESTS`).
    args : mapping
        The test's arguments (a state, a variant's name, a year ...).
    variants : tuple of str
        The variants of the scenario (its ``[variants]``) whose runs the test compares.
    kind : str
        ``robust`` (holds in at least 90 % of the neighbourhood), ``conditional`` (in at
        least 90 % where ``condition`` is met; its text says so) or ``uncertain`` (no
        single condition makes it hold in 90 %; its text does not state it as a result).
    condition : (str, str, float), optional
        For a conditional claim: an input, ``"<="`` or ``">="``, and a factor of the
        scenario's value.
    path, line : str and int, optional
        Where it is declared, for messages.
    """

    name: str
    text: str
    test: str
    args: Mapping[str, Any] = field(default_factory=dict)
    variants: tuple[str, ...] = ()
    kind: str = "robust"
    condition: tuple[str, str, float] | None = None
    path: str | None = None
    line: int | None = None

    def error(self, message: str, key: str | None = None) -> ScenarioError:
        """A ScenarioError about this claim, naming its file, line and key."""
        return ScenarioError(f"claim {self.name!r}: {message}", path=self.path,
                             line=self.line, key="claims" + (f".{key}" if key else ""))


def check_changes(changes: Any, table: str, keys: tuple[str, ...],
                  fail: Callable[..., ScenarioError]) -> dict[str, dict]:
    """A table of named changes to the scenario (``[variants]``, ``[assumptions]``), each
    entry checked for its keys and their types (what applying it to the scenario gives is
    checked by the loader).

    Parameters
    ----------
    changes : dict
        The table: name -> what it changes.
    table : str
        ``variants`` or ``assumptions``.
    keys : tuple of str
        The keys an entry may have (:data:`VARIANT_KEYS`, :data:`ASSUMPTION_KEYS`).
    fail : callable
        ``fail(message, table, key)`` -> the ScenarioError to raise.

    Returns
    -------
    dict
        Name -> what it changes.
    """
    what, does = (("variant", "it changes") if table == "variants"
                  else ("assumption", "switching it off changes"))
    for name, change in changes.items():
        if not isinstance(change, dict) or not change:
            raise fail(f"{what} {name!r} must be a table of what {does} ({', '.join(keys)})",
                       table, name)
        for key in change:
            if key not in keys:
                raise fail(f"{what} {name!r}: unknown key {key!r}; a {what} changes "
                           f"{', '.join(keys)}", table, name)
        without = change.get("without", [])
        if not (isinstance(without, list) and all(isinstance(m, str) for m in without)):
            raise fail(f"{what} {name!r}: without must be a list of mechanisms, got "
                       f"{without!r}", table, name)
        if change.get("interventions", False) is not False:
            raise fail(f"{what} {name!r}: interventions = false drops the scenario's "
                       f"interventions (nothing else is accepted), got "
                       f"{change['interventions']!r}", table, name)
        for part in ("parameters", "initial"):
            if not isinstance(change.get(part, {}), dict):
                raise fail(f"{what} {name!r}: {part} must be a table", table, name)
    return dict(changes)


def claims_of_file(tables: Any, text: str, path: str, variants: Mapping[str, Any]
                   ) -> tuple[DeclaredClaim, ...]:
    """The file's ``[[claims]]`` tables as claims, each key checked.

    Parameters
    ----------
    tables : list of dict
        The tables.
    text : str
        The file's text (for line numbers).
    path : str
        The file, named in messages.
    variants : mapping
        The file's variants, which a claim's ``variants`` name.

    Returns
    -------
    tuple of DeclaredClaim
        The claims.

    Raises
    ------
    ScenarioError
        Naming the table's line and key.
    """
    if not (isinstance(tables, list) and all(isinstance(t, dict) for t in tables)):
        raise ScenarioError("claims must be tables [[claims]], one per claim", path=path,
                            line=table_line(text, "claims", 0, None), key="claims")
    claims: list[DeclaredClaim] = []
    for number, table in enumerate(tables):
        def fail(message: str, key: str | None = None, number: int = number) -> ScenarioError:
            return ScenarioError(message, path=path,
                                 line=table_line(text, "claims", number, key),
                                 key=f"claims[{number}]" + (f".{key}" if key else ""))

        for key in table:
            if key not in CLAIM_KEYS:
                raise fail(str(DynamicsError(f"unknown key {key!r}; a claim has "
                                             f"{', '.join(CLAIM_KEYS)}")), key)
        for key in ("name", "text", "test"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise fail(f"a claim needs {key} = \"...\" (a non-empty string)", key)
        if table["name"] in {c.name for c in claims}:
            raise fail(f"two claims are named {table['name']!r}", "name")
        args = table.get("args", {})
        if not isinstance(args, dict):
            raise fail(f"args must be a table of the test's arguments, got {args!r}", "args")
        needed = table.get("variants", [])
        if not (isinstance(needed, list) and all(isinstance(v, str) for v in needed)):
            raise fail(f"variants must be a list of the scenario's variants, got {needed!r}",
                       "variants")
        for name in needed:
            if name not in variants:
                raise fail(f"unknown variant {name!r}; the file's [variants] are "
                           f"{', '.join(variants) or 'none'}", "variants")
        kind = table.get("kind", "robust")
        if kind not in KINDS:
            raise fail(f"kind must be one of {', '.join(KINDS)}, got {kind!r}", "kind")
        condition = table.get("condition")
        if (kind == "conditional") != (condition is not None):
            raise fail("a conditional claim has a condition, and only it",
                       "condition" if condition is not None else "kind")
        if condition is not None:
            if not (isinstance(condition, list) and len(condition) == 3
                    and isinstance(condition[0], str) and condition[1] in ("<=", ">=")
                    and isinstance(condition[2], int | float)
                    and not isinstance(condition[2], bool) and condition[2] > 0):
                raise fail("condition must be [input, \"<=\" or \">=\", a positive factor of "
                           f"the scenario's value], got {condition!r}", "condition")
            condition = (condition[0], condition[1], float(condition[2]))
        claims.append(DeclaredClaim(
            name=table["name"], text=" ".join(table["text"].split()), test=table["test"],
            args=args, variants=tuple(needed), kind=kind, condition=condition, path=path,
            line=table_line(text, "claims", number, "test")))
    return tuple(claims)


def table_line(text: str, table: str, number: int, key: str | None) -> int | None:
    """The line of a key in an array of tables of a TOML text.

    Parameters
    ----------
    text : str
        The TOML.
    table : str
        The array's name (``claims``, ``events``).
    number : int
        Which of its tables (from 0).
    key : str or None
        The key, or None for the table's header.

    Returns
    -------
    int or None
        The line (1-based), or None where there is no such table.
    """
    lines = text.splitlines()
    headers = [k for k, line in enumerate(lines)
               if line.strip().startswith(f"[[{table}]]")]
    if number >= len(headers):
        return None
    start = headers[number]
    if key is not None:
        for k in range(start + 1, len(lines)):
            stripped = lines[k].strip()
            if stripped.startswith("["):
                break
            if re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return k + 1
    return start + 1


def check_prose(prose: Any, variants: Mapping[str, Any],
                fail: Callable[..., ScenarioError]) -> dict[str, Any]:
    """The file's ``[prose]`` table, checked.

    Parameters
    ----------
    prose : dict
        The table: ``inputs`` and ``given``, lists of the numbers as printed, and
        ``results``, each number as printed -> its reading (a table of :data:`RESULT_KEYS`)
        or ``"code"``.
    variants : mapping
        The file's variants, which a reading may name.
    fail : callable
        ``fail(message, table, key)`` -> the ScenarioError to raise.

    Returns
    -------
    dict
        The table.
    """
    for key in ("inputs", "given"):
        numbers = prose.get(key, [])
        if not (isinstance(numbers, list) and all(isinstance(n, str) for n in numbers)):
            raise fail(f"{key} must be a list of numbers as the text prints them (strings), "
                       f"got {numbers!r}", "prose", key)
    results = prose.get("results", {})
    if not isinstance(results, dict):
        raise fail("results must be a table: number as printed = its reading", "prose",
                   "results")
    for number, spec in results.items():
        if spec == CODED:
            continue
        if not isinstance(spec, dict) or "read" not in spec:
            raise fail(f"result {number!r} must be read from a run ({{ read = "
                       f"\"share.STATE\", at = \"end\" }}) or be \"code\", got {spec!r}",
                       "prose", "results")
        for key in spec:
            if key not in RESULT_KEYS:
                raise fail(f"result {number!r}: unknown key {key!r}; a result has "
                           f"{', '.join(RESULT_KEYS)}", "prose", "results")
        at = spec.get("at", "end")
        if not (at in ("start", "end", "max", "min")
                or isinstance(at, int | float) and not isinstance(at, bool)):
            raise fail(f"result {number!r}: at must be start, end, max, min or a time, got "
                       f"{at!r}", "prose", "results")
        if "variant" in spec and spec["variant"] not in variants:
            raise fail(f"result {number!r}: unknown variant {spec['variant']!r}; the file's "
                       f"[variants] are {', '.join(variants) or 'none'}", "prose", "results")
    return dict(prose)
