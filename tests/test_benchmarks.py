"""The benchmark scripts still run against the package (CI does not time them: a script
that imports a name the package no longer has would otherwise break unseen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if p.name != "record.py")


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_imports_and_parses_its_options(script):
    done = subprocess.run([sys.executable, script, "--help"], cwd=BENCHMARKS,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--record" in done.stdout
