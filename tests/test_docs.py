"""Generated documentation equals what the code generates now (it cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

from dynamics.docgen.reference import equations_markdown, model_markdown, parameters_markdown
from dynamics.model.mechanisms import SHIPPED

ROOT = Path(__file__).resolve().parent.parent


def test_parameter_reference_equals_the_registry():
    assert (ROOT / "docs" / "parameters.md").read_text() == parameters_markdown()
    text = parameters_markdown()
    for spec in {p for m in SHIPPED for p in m.parameters}:  # (tests register their own)
        assert f"| {spec.name} | ${spec.latex}$ |" in text


def test_readme_shows_the_generated_equations():
    assert equations_markdown() in (ROOT / "README.md").read_text()


def test_readme_commands_are_the_ci_commands():
    """CI runs exactly the README's test command (the default tier), then the slow tier."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    command = "python -m pytest -q -n 2 --dist loadfile"
    assert command in readme
    runs = [line.split('" ', 1)[1] for line in ci if line.startswith('step "tests')]
    assert runs == [command, f"{command} -m slow"]
    assert "balancing figures --out figures" in readme


def test_model_document_equals_the_code():
    """docs/model.md is generated from the mechanisms; every shipped mechanism has its
    section, with its sources."""
    text = model_markdown()
    assert (ROOT / "docs" / "model.md").read_text() == text
    from dynamics.model.mechanisms import SHIPPED

    for mechanism in SHIPPED:
        assert f"### `{mechanism.name}`" in text and mechanism.summary in text


def test_the_readme_names_every_shipped_mechanism():
    from dynamics.model.mechanisms import SHIPPED

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("## The model")[1].split("All mechanisms on")[0]
    assert {m.name for m in SHIPPED} <= set(re.findall(r"`(\w+)`", section))


def test_every_number_of_the_performance_page_is_written_by_a_benchmark():
    """Each block of docs/performance.md names a script of benchmarks/ that writes that
    block with --record, and holds what a run wrote: the command, the date and the
    machine first. Outside the blocks the page holds design measurements only, in their
    table."""
    page = (ROOT / "docs" / "performance.md").read_text()
    blocks = re.findall(r"<!-- ([\w-]+): written by (benchmarks/\w+\.py) --record -->(.*?)"
                        r"<!-- /\1 -->", page, re.S)
    assert {name for name, _, _ in blocks} >= {"ensemble", "scale", "warm-start", "wide",
                                               "threads", "calibration"}
    for name, script, body in blocks:
        source = (ROOT / script).read_text()
        assert (f'recording("{name}"' in source or f'write_block("{name}"' in source), script
        if body.strip():  # an empty block is one not measured yet
            assert re.match(rf"\s*\*`python {script} [^`]*--record`, run on "
                            r"\d{4}-\d\d-\d\d: .+ cores available; Python ", body), name


#: a timing in prose: a number with a unit of time or a rate of members
TIMING = re.compile(r"\b\d[\d,.]*\s?(?:ns|us|µs|ms|s|seconds|minutes|members/s)\b")


def test_no_docstring_of_the_package_holds_a_timing():
    """Measurements go stale in docstrings: they live in docs/performance.md."""
    import ast

    found = []
    for path in sorted((ROOT / "dynamics").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                          | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node) or ""
                found += [f"{path.name}: {m.group(0)}" for m in TIMING.finditer(doc)]
    assert not found


def test_every_command_of_the_readme_parses():
    """Each line of the README's command-line block is a command the parser accepts (its
    options exist and take the values shown), so that the README cannot drift from the
    CLI; the commands are parsed, not run."""
    import shlex

    from dynamics.cli import _parser

    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Command line", 1)[1].split("```", 2)[1]
    text = re.sub(r"\\\n\s*", " ", block)  # continued lines
    commands = [line.split("  #")[0] for line in text.splitlines()
                if line.startswith("balancing ")]
    assert len(commands) > 25
    parser = _parser()
    for command in commands:
        words = [w for w in shlex.split(command)[1:] if not (w.startswith("[") or
                                                             w.endswith("]"))]
        parser.parse_args(words)  # argparse exits (SystemExit) on a bad one
