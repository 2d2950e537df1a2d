"""The documentation site's MkDocs hooks (``hooks:`` in mkdocs.yml), one per event.

- ``on_files``: each tutorial is read from its executed copy, executed once and kept
  until the notebook or the package changes (:mod:`dynamics.docgen.notebooks`);
- ``on_page_content``: each page's maths rendered to MathML
  (:mod:`dynamics.docgen.mathml`) and the Sphinx roles of the docstrings made
  cross-references (:mod:`dynamics.docgen.roles`).
"""

from __future__ import annotations

from typing import Any

from dynamics.docgen.mathml import to_mathml
from dynamics.docgen.notebooks import use_executed
from dynamics.docgen.roles import references

__all__ = ["on_files", "on_page_content"]


def on_files(files: Any, config: Any, **_: Any) -> Any:
    """The site's files, each tutorial pointing at its executed copy.

    Parameters
    ----------
    files : mkdocs.structure.files.Files
        The site's files.
    config : mkdocs.config.Config
        The site's configuration.
    **_
        Unused.

    Returns
    -------
    Files
        The files.
    """
    return use_executed(files, config)


def on_page_content(page_html: str, **_: Any) -> str:
    """A page's content with its maths as MathML and its roles as cross-references.

    Parameters
    ----------
    page_html : str
        The page's content, as MkDocs passes it.
    **_
        The page, config and files (unused).

    Returns
    -------
    str
        The content.
    """
    return references(to_mathml(page_html))
