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
