"""Writes a benchmark's measured text into docs/performance.md between its markers.

    from record import write_block
    write_block("scale", "| N | ... |", "python benchmarks/scale.py --record")

The page holds ``<!-- NAME: written by ... -->`` ... ``<!-- /NAME -->`` for each benchmark;
everything between them is replaced by the text, preceded by one line naming the command,
the date and the machine, so that every number on the page is that of a benchmark's last
run, never typed by hand (``tests/test_docs.py`` checks that each block names a script of
``benchmarks/`` that writes it).
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def machine() -> str:
    """The processor, its logical cores and the versions that set the speed."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for package in ("numpy", "scipy", "sympy", "numba"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"no {package}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, {cores} cores available; Python {platform.python_version()}, "
            + ", ".join(versions))


def write_block(name: str, text: str, command: str | None = None) -> None:
    """Replace what stands between the page's ``name`` markers by ``text``, headed by the
    command that measured it, today's date and the machine."""
    command = command or "python " + " ".join(["benchmarks/" + Path(sys.argv[0]).name,
                                              *sys.argv[1:]])
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    body = f"\n\n*`{command}`, run on {today}: {machine()}.*\n\n{text.strip()}\n\n"
    pattern = re.compile(r"(<!-- " + re.escape(name) + r": [^>]*-->).*?(<!-- /"
                         + re.escape(name) + r" -->)", re.S)
    page, count = pattern.subn(lambda m: m.group(1) + body + m.group(2), PAGE.read_text())
    if count != 1:
        raise SystemExit(f"{PAGE} has no <!-- {name}: ... --> ... <!-- /{name} --> block")
    temporary = PAGE.with_suffix(".md.tmp")
    temporary.write_text(page)
    temporary.replace(PAGE)
    print(f"wrote the {name} block of {PAGE.relative_to(PAGE.parent.parent)}")


class _Tee:
    """Standard output, kept as well as printed."""

    def __init__(self, stream):
        self.stream, self.kept = stream, []

    def write(self, text: str) -> int:
        self.kept.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class recording:
    """Keep what a benchmark prints and, when ``enabled``, write it to the page's ``name``
    block as preformatted text on leaving (nothing is written if the run fails)."""

    def __init__(self, name: str, enabled: bool):
        self.name, self.enabled = name, enabled

    def __enter__(self) -> recording:
        self.tee = _Tee(sys.stdout)
        sys.stdout = self.tee
        return self

    def __exit__(self, kind, error, trace) -> None:
        sys.stdout = self.tee.stream
        if self.enabled and kind is None:
            write_block(self.name, "```text\n" + "".join(self.tee.kept).rstrip() + "\n```")
