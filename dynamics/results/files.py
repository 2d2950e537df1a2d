"""Files written whole or not at all: every writer of the package goes through
:func:`replacing`.

The content is written to a temporary file beside the target and moved over it only once
complete (``os.replace``, atomic on one file system), so an interrupted or failed write
(Ctrl-C, a full disk) leaves the old file as it was and no partial file behind. A target
that exists and is not a regular file (``/dev/null``, a pipe) is written in place: it is
never replaced by a file. A failed write raises :class:`OutputError` naming the file and
the reason, one line, instead of an ``OSError`` traceback after the work.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dynamics.errors import DynamicsError

__all__ = ["OutputError", "replacing", "write_text", "write_netcdf", "is_device"]


class OutputError(DynamicsError, OSError):
    """A file that could not be written; the message names it and the reason."""


@contextlib.contextmanager
def replacing(path: str | Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """Open a file for writing, whole or not at all: the file appears only when the block ends
    without an error (a temporary file beside it, then an atomic rename); a device or pipe
    is written in place.

    Parameters
    ----------
    path : str or Path
        The file.
    mode : str
        ``"w"`` or ``"wb"``.
    **options
        Those of ``open`` (``encoding``, ``newline``).

    Yields
    ------
    file object
        The handle to write.

    Raises
    ------
    OutputError
        Naming the file and the reason it cannot be written.
    """
    path = Path(path)
    if is_device(path) or path.is_dir():  # a device or a pipe: written in place
        try:
            with path.open(mode, **options) as handle:
                yield handle
        except OSError as error:
            raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
        return
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                                 dir=path.parent)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, mode, **options) as handle:
            yield handle
        os.chmod(temporary, 0o666 & ~_UMASK)  # as open() would have made it
        os.replace(temporary, path)
    except OSError as error:
        _remove(temporary)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:  # an error of the writer, or Ctrl-C: no partial file
        _remove(temporary)
        raise


def is_device(path: str | Path) -> bool:
    """Whether a path is a device or a pipe (``/dev/null``, a FIFO): written in place, with
    nothing beside it (no second format, no provenance file).

    Parameters
    ----------
    path : str or Path
        The path.

    Returns
    -------
    bool
        True for a device or a pipe.
    """
    path = Path(path)
    return path.exists() and not path.is_file() and not path.is_dir()


def write_text(path: str | Path, text: str) -> Path:
    """Write text (UTF-8) whole or not at all.

    Parameters
    ----------
    path : str or Path
        The file.
    text : str
        The text.

    Returns
    -------
    Path
        The file.
    """
    with replacing(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def write_netcdf(dataset: Any, path: str | Path) -> Path:
    """Write an ``xarray.Dataset`` as netCDF-3 (by scipy, so no netCDF library is needed),
    whole or not at all.

    Parameters
    ----------
    dataset : xarray.Dataset
        The data.
    path : str or Path
        The file.

    Returns
    -------
    Path
        The file.
    """
    content = dataset.to_netcdf(engine="scipy")  # the file's bytes
    with replacing(path, "wb") as handle:
        handle.write(bytes(content))
    return Path(path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: read once, at import: setting the umask to read it is not safe beside other threads
_UMASK = _umask()
