"""The API reference's cross-references: Sphinx roles in docstrings made links.

The package's docstrings name other objects as Sphinx does (``:class:`~dynamics.Model```,
``:func:`simulate <dynamics.run.front.simulate>```), which mkdocstrings renders as literal
text. The site's MkDocs hook (:mod:`dynamics.docgen.hooks`) turns each role into a
reference that mkdocs-autorefs resolves after every page is rendered: a link to the
object's entry where the site documents it, otherwise the name in code. A leading ``~``
shows the last part of the name only, and ``title <target>`` shows the title, as in
Sphinx.
"""

from __future__ import annotations

import html
import re

__all__ = ["ROLES", "references"]

#: the roles a docstring may use
ROLES = ("class", "func", "meth", "mod", "data", "attr", "exc", "obj")

_ROLE = "|".join(ROLES)
#: a role as Markdown renders it (its backticks made code), or left inside a code span
_RENDERED = re.compile(rf":(?:{_ROLE}):<code>(?P<text>[^<]*)</code>")
_LITERAL = re.compile(rf":(?:{_ROLE}):`(?P<text>[^`]*)`")


def _parts(text: str) -> tuple[str, str]:
    """(what is shown, the identifier) of a role's text."""
    text = html.unescape(text).strip()
    titled = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^<>]+)>", text)
    if titled:
        return titled["title"], titled["target"].lstrip("~")
    target = text.lstrip("~")
    return (target.rsplit(".", 1)[-1] if text.startswith("~") else target), target


def references(page: str) -> str:
    """Replace the Sphinx roles of a rendered page by cross-references.

    Parameters
    ----------
    page : str
        A page's HTML.

    Returns
    -------
    str
        The HTML with an optional ``<autoref>`` (a link where the target is documented, the
        name in code otherwise) for each role in running text, and the shown name alone
        for a role left inside a code span.
    """
    def linked(match: re.Match) -> str:
        shown, target = _parts(match["text"])
        return (f'<autoref identifier="{html.escape(target)}" optional>'
                f"<code>{html.escape(shown)}</code></autoref>")

    def plain(match: re.Match) -> str:
        return html.escape(_parts(match["text"])[0])

    return _LITERAL.sub(plain, _RENDERED.sub(linked, page))

