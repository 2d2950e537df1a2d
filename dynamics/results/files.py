"""Files written whole or not at all: every writer of the package goes through
:func:`replacing`.

The content is written to a temporary file beside the target and moved over it only once
complete (``os.replace``, atomic on one file system), so an interrupted or failed write
(Ctrl-C, a full disk) leaves the old file as it was and no partial file behind. A target
that exists and is not a regular file (``/dev/null``, a pipe) is written in place: it is
never replaced by a file. A failed write raises :class:`OutputError` naming the file and
the reason, one line, instead of an ``OSError`` traceback after the work.

Inside ``with fallback(folder):`` (``balancing --fallback FOLDER``) nothing computed is
lost to a failed write: each file is made in memory first, and one that cannot be written
where it was asked is written to the folder instead, under the same name, with a warning
naming both; :func:`fallen_back` lists them.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dynamics.errors import DynamicsError

__all__ = ["OutputError", "replacing", "write_text", "write_netcdf", "is_device", "fallback",
           "fallen_back"]

logger = logging.getLogger("dynamics")
#: the folder a file that cannot be written goes to (set by :func:`fallback`), and the
#: (asked, written) paths of those that went there
_FALLBACK: list[Path] = []
_FALLEN: list[tuple[Path, Path]] = []


@contextlib.contextmanager
def fallback(folder: str | Path) -> Iterator[Path]:
    """Within the block, a file that cannot be written where it was asked is written to
    ``folder`` instead (under its own name), with a warning; nothing computed is lost.

    Parameters
    ----------
    folder : str or Path
        The folder (made if missing; it must be writable).

    Yields
    ------
    Path
        The folder.

    Raises
    ------
    OutputError
        If the folder cannot be made or written.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot make the fallback folder {folder}: "
                          f"{error.strerror or error}") from None
    if not os.access(folder, os.W_OK):
        raise OutputError(f"the fallback folder {folder} is not writable")
    _FALLBACK.append(folder)
    try:
        yield folder
    finally:
        _FALLBACK.pop()


def fallen_back() -> list[tuple[Path, Path]]:
    """The files written to the fallback folder so far: (asked, written) paths."""
    return list(_FALLEN)


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
        Naming the file and the reason it cannot be written (within :func:`fallback`,
        only if the fallback folder cannot take it either).
    """
    path = Path(path)
    if _FALLBACK:
        # made in memory first, so that a failed write can be made again elsewhere
        buffer: Any = io.BytesIO() if "b" in mode else io.StringIO(
            newline=options.get("newline"))
        yield buffer
        content = buffer.getvalue()
        try:
            _write_whole(path, mode, content, options)
        except OutputError as error:
            instead = _FALLBACK[-1] / path.name
            _write_whole(instead, mode, content, options)
            _FALLEN.append((path, instead))
            logger.warning("%s; written to %s instead", error, instead)
        return
    with _replacing(path, mode, **options) as handle:
        yield handle


@contextlib.contextmanager
def _replacing(path: Path, mode: str, **options: Any) -> Iterator[IO[Any]]:
    """:func:`replacing` without a fallback."""
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


def _write_whole(path: Path, mode: str, content: Any, options: dict[str, Any]) -> None:
    with _replacing(path, mode, **options) as handle:
        handle.write(content)


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
