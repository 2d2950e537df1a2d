"""The protocol every result type shares: ``as_dict()``, ``to_dataframe()``, ``summary()``
and ``_repr_html_()``.

A result class subclasses :class:`Report` and writes ``as_dict`` (plain JSON-ready data),
``summary`` (the lines the command line prints) and ``rows`` (one dict per row of its
table); the mixin gives ``to_csv``, ``to_dataframe`` (pandas, the ``[data]`` extra) and
the notebook view. The command line prints results through ``summary()`` rather than formatting them
by hand, so what a notebook shows and what the CLI prints cannot drift apart.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dynamics.errors import require
from dynamics.results.files import replacing
from dynamics.results.html import escape, table

__all__ = ["Report", "ResultProtocol"]


@runtime_checkable
class ResultProtocol(Protocol):
    """What every result offers.

    Parameters
    ----------
    *args, **kwargs
        (a protocol: not instantiated)
    """

    def as_dict(self) -> dict[str, Any]: ...

    def to_dataframe(self) -> Any: ...

    def summary(self) -> str: ...

    def _repr_html_(self) -> str: ...


class Report:
    """Mixin implementing :class:`ResultProtocol` from ``as_dict``, ``summary`` and ``rows``."""

    def as_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError

    def rows(self) -> list[dict[str, Any]]:
        """One dict per row of the result's table (by default, one row of ``as_dict``'s
        scalar entries)."""
        return [{k: v for k, v in self.as_dict().items()
                 if isinstance(v, int | float | str | bool) or v is None}]

    def to_csv(self, path: str | Path) -> Path:
        """Write the rows as CSV, whole or not at all.

        Parameters
        ----------
        path : str or Path
            The file.

        Returns
        -------
        Path
            The file written.
        """
        path = Path(path)
        rows = self.rows()
        with replacing(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else [])
            writer.writeheader()
            writer.writerows(rows)
        return path

    def to_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (``pip install 'balancing-dynamics[data]'``)."""
        require("data", "to_dataframe", "pandas")
        import pandas as pd
        return pd.DataFrame(self.rows())

    def _repr_html_(self) -> str:
        rows = self.rows()
        header = list(rows[0]) if rows else []
        cells = [[escape(_cell(row.get(h))) for h in header] for row in rows]
        title = escape(self.summary().splitlines()[0])
        return f"<p><b>{title}</b></p>" + table(header, cells)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)
