"""HTML for notebooks: tables of cells, escaped text. Imports nothing of the model, so that
every layer (models, scenarios, results, studies) can render itself without circles."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["escape", "table", "value_text", "parameter_rows", "PARAMETER_HEADER"]

#: the columns of a table of parameters
PARAMETER_HEADER = ["parameter", "symbol", "value", "unit", "bounds", "source", "meaning"]


def escape(text: object) -> str:
    """HTML-escaped text.

    Parameters
    ----------
    text : object
        What to show.

    Returns
    -------
    str
        Its text, escaped.
    """
    return html.escape(str(text))


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table.

    Parameters
    ----------
    header : sequence of str
        The column headings.
    rows : iterable
        The rows' cells (already HTML).

    Returns
    -------
    str
        The table.
    """
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def value_text(value: Any) -> str:
    """A parameter value as short text.

    Parameters
    ----------
    value : object
        A number, a per-state mapping or an array.

    Returns
    -------
    str
        The text.
    """
    if isinstance(value, dict):
        return ", ".join(f"{k}={v:g}" for k, v in value.items())
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):g}"
    return np.array2string(array, precision=4, separator=", ")


def parameter_rows(specs: Iterable[Any], values: dict | None = None) -> list[list[str]]:
    """The rows of a parameter table: name, symbol, value, unit, bounds, source, meaning
    (:data:`PARAMETER_HEADER`).

    Parameters
    ----------
    specs : iterable of Parameter
        The parameters.
    values : dict, optional
        Values by name (the defaults where missing).

    Returns
    -------
    list of list of str
        The rows' cells.
    """
    rows = []
    for spec in specs:
        value = (values or {}).get(spec.name, spec.default)
        rows.append([escape(spec.name), f"${spec.latex}$", escape(value_text(value)),
                     escape(spec.unit), escape(spec.bounds_text()), escape(spec.source),
                     escape(spec.meaning)])
    return rows
