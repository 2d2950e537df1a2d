"""Writes a benchmark's measured text into the README between its markers.

    from readme_block import write_block
    write_block("scale", "\\n\\n| N | ... |\\n\\n")

The README holds ``<!-- NAME: written by ... -->`` ... ``<!-- /NAME -->``; everything
between them is replaced, so a benchmark's numbers in the README are always those of
its last run, never typed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def write_block(name: str, text: str) -> None:
    """Replace what stands between the README's ``name`` markers by ``text``."""
    pattern = re.compile(r"(<!-- " + re.escape(name) + r": [^>]*-->).*?(<!-- /"
                         + re.escape(name) + r" -->)", re.S)
    readme, count = pattern.subn(lambda m: m.group(1) + text + m.group(2),
                                 README.read_text())
    if count != 1:
        raise SystemExit(f"README.md has no <!-- {name}: ... --> ... <!-- /{name} --> block")
    README.write_text(readme)
    print(f"wrote the {name} block of README.md")
