"""The documentation site's maths, rendered when the site is built: TeX to MathML.

``pymdownx.arithmatex`` (generic mode) marks the maths of a page, ``\\(...\\)`` inline and
``\\[...\\]`` displayed, and leaves it as TeX for a script to typeset in the reader's
browser; with no script configured, the site showed raw TeX. The site's MkDocs hook
(:mod:`dynamics.docgen.hooks`) converts each marked formula to MathML with
``latex2mathml`` (pure Python, in the ``[docs]`` extra) as the page is built, so that the
built HTML holds the rendered formula and every current browser draws it (MathML Core)
with no script, no CDN and nothing fetched at build or reading time. The TeX stays in each formula's
``alttext`` for copying. ``.ci/run`` checks the built model page for MathML and for any
formula left as TeX; a formula latex2mathml cannot read fails the build, naming it.
"""

from __future__ import annotations

import html
import re

__all__ = ["to_mathml"]

#: arithmatex's generic output: inline \( \) in a span, displayed \[ \] in a div
_MARKED = re.compile(r'<(span|div) class="arithmatex">\s*\\([(\[])(.*?)\\[)\]]\s*</\1>',
                     re.S)


def to_mathml(page: str) -> str:
    """Replace every formula that arithmatex marked in ``page`` by its MathML.

    Parameters
    ----------
    page : str
        A page's HTML.

    Returns
    -------
    str
        The HTML with ``<math>`` elements in place of the marked TeX.

    Raises
    ------
    ValueError
        Naming a formula that cannot be converted.
    """
    from latex2mathml.converter import convert

    def replace(match: re.Match) -> str:
        element, opening, tex = match.group(1), match.group(2), html.unescape(match.group(3))
        display = "block" if opening == "[" else "inline"
        try:
            rendered = convert(tex, display=display)
        except Exception as error:  # latex2mathml raises several kinds
            raise ValueError(f"cannot render the formula {tex!r} as MathML: {error}") from None
        rendered = rendered.replace("<math ", f'<math alttext="{html.escape(tex)}" ', 1)
        return f'<{element} class="arithmatex">{rendered}</{element}>'

    return _MARKED.sub(replace, page)

