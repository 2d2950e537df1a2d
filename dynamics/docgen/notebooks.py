"""The tutorials on the documentation site, executed once and kept until they change.

The notebooks are stored without outputs (``notebooks/build.py`` writes them), and the
site shows them executed. Executing all of them took most of the time of a docs build,
on every build. The site's MkDocs hook (:mod:`dynamics.docgen.hooks`) executes each
notebook with ``nbclient`` into a cache folder instead, under a key that digests the
notebook, the package's source and the ``DYNAMICS_QUICK`` setting, and points the site at
the executed copy; mkdocs-jupyter then renders it without executing (``execute: false``).
A rebuild with nothing changed executes nothing; a change to a notebook or to the package
executes again. A cell that raises fails the build, naming the notebook.

The cache is ``.cache/notebooks`` beside mkdocs.yml, or ``BALANCING_DOCS_CACHE``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

__all__ = ["digest", "package_digest", "executed", "use_executed"]

#: the package whose source decides whether a notebook's outputs are still current
PACKAGE = Path(__file__).resolve().parents[1]
#: the longest a cell may run (seconds; the longest cell, notebook 08's sampler, takes
#: under a minute on 2 cores): a kernel that hangs (seen once in a local build: both the
#: kernel and the client idle) is stopped and the notebook run again in a fresh one
CELL_TIMEOUT = 300
#: executions of a notebook whose kernel hangs before the build fails: an idle kernel that
#: dropped an execute request (intermittent, ipykernel#1554) is replaced by a fresh one
ATTEMPTS = 2


def digest(notebook: Path, package: bytes | None = None) -> str:
    """The key of a notebook's executed copy: its text, every source file of the package
    and ``DYNAMICS_QUICK``.

    Parameters
    ----------
    notebook : Path
        The notebook.
    package : bytes, optional
        :func:`package_digest`, when already computed for this build.

    Returns
    -------
    str
        A SHA-256 hex digest.
    """
    hasher = hashlib.sha256(notebook.read_bytes())
    hasher.update(package_digest() if package is None else package)
    hasher.update(os.environ.get("DYNAMICS_QUICK", "").encode())
    return hasher.hexdigest()


def package_digest() -> bytes:
    """A digest of every source and data file of the package.

    Returns
    -------
    bytes
        The SHA-256 digest.
    """
    hasher = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml", ".csv"):
            hasher.update(str(path.relative_to(PACKAGE)).encode())
            hasher.update(path.read_bytes())
    return hasher.digest()


def executed(notebook: Path, cache: Path, package: bytes | None = None) -> Path:
    """The notebook executed, from the cache when its key is there.

    Parameters
    ----------
    notebook : Path
        The notebook (without outputs).
    cache : Path
        The cache folder.
    package : bytes, optional
        :func:`package_digest`, when already computed for this build.

    Returns
    -------
    Path
        The executed copy.

    Raises
    ------
    RuntimeError
        Naming the notebook, where a cell raised or timed out.
    """
    # the copy keeps the notebook's name (the site offers it for download) in a folder
    # named by its key
    target = cache / digest(notebook, package)[:16] / notebook.name
    if target.is_file():
        return target
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    for attempt in range(1, ATTEMPTS + 1):
        book = nbformat.read(notebook, as_version=4)
        client = NotebookClient(book, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": str(notebook.parent)}})
        try:
            client.execute()
            break
        except CellExecutionError as error:
            raise RuntimeError(f"{notebook.name}: a cell raised {error.ename}: "
                               f"{error.evalue}") from None
        except CellTimeoutError:
            if attempt == ATTEMPTS:
                raise RuntimeError(f"{notebook.name}: a cell ran longer than {CELL_TIMEOUT} s "
                                   f"in each of {ATTEMPTS} fresh kernels") from None
    for old in cache.glob(f"*/{notebook.name}"):  # the outdated copies
        old.unlink()
        if not any(old.parent.iterdir()):
            old.parent.rmdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    nbformat.write(book, temporary)
    temporary.replace(target)  # whole or not at all
    return target


def use_executed(files: Any, config: Any) -> Any:
    """Each tutorial's source file replaced by its executed copy.

    Parameters
    ----------
    files : mkdocs.structure.files.Files
        The site's files.
    config : mkdocs.config.Config
        The site's configuration (where the cache lies).

    Returns
    -------
    Files
        The files, the notebooks pointing at their executed copies.
    """
    root = Path(config["config_file_path"]).resolve().parent
    cache = Path(os.environ.get("BALANCING_DOCS_CACHE") or root / ".cache" / "notebooks")
    package = package_digest()  # read once per build, not once per notebook
    for file in files:
        if file.src_uri.startswith("notebooks/") and file.src_uri.endswith(".ipynb"):
            file.abs_src_path = str(executed(Path(file.abs_src_path), cache, package))
    return files
