"""docs/adding-a-scenario.md, end to end: its file and its claim module, written as the
guide says, run, measured and recorded by the command line; the guide's tables name every
test and every key a variant takes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from dynamics.cli import main
from dynamics.scenarios import load_scenario
from dynamics.scenarios.declared import VARIANT_KEYS
from dynamics.studies.claims import TESTS, claims_of
from dynamics.studies.robustness import robustness

GUIDE = (Path(__file__).resolve().parents[1] / "docs" / "adding-a-scenario.md").read_text()


def _block(language: str) -> str:
    (found,) = re.findall(rf"```{language}\n(.*?)```", GUIDE, flags=re.S)
    return found


@pytest.fixture
def written(tmp_path, monkeypatch):
    """The guide's scenario file and claim module, saved side by side as it says."""
    (tmp_path / "detente.toml").write_text(_block("toml"))
    (tmp_path / "detente_claims.py").write_text(_block("python"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    sys.modules.pop("detente_claims", None)


def test_the_guides_scenario_runs_and_records_how_often_its_claims_hold(written, capsys):
    assert main(["run", "detente.toml", "--plot", "detente.png"]) == 0
    assert (written / "detente.png").stat().st_size > 0
    assert main(["robustness", "detente.toml", "--members", "32", "--write"]) == 0
    out = capsys.readouterr().out
    assert "settles (robust)" in out and "restraint pays (robust)" in out
    scenario = load_scenario(written / "detente.toml")
    assert scenario.robustness["members"] == 32
    assert set(scenario.robustness["share"]) == {"settles", "restraint pays"}
    # what the file now records is what a fresh run measures, and both claims keep their
    # promise (robust: in at least 90 % of the neighbourhood)
    again = robustness(scenario, members=32)
    for claim in again.claims:
        assert claim.share == scenario.robustness["share"][claim.name]
        assert claim.meets_its_promise, claim


def test_the_claim_module_is_the_test_the_file_names(written):
    """The claim that needs code judges by the guide's function: without the variant's
    hawkish reaction it does not hold (the comparison is the variant's)."""
    scenario = load_scenario(written / "detente.toml")
    restraint = next(c for c in claims_of(scenario) if c.name == "restraint pays")
    assert list(restraint.variants) == ["hawkish"]
    assert restraint.variants["hawkish"](scenario).parameter("reaction").tolist() == [0.2, 0.2]


def test_the_guide_lists_every_test_and_every_key_of_a_variant():
    tests = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", GUIDE, flags=re.M))
    listed = {name for pair in tests for name in pair if name}
    assert listed == set(TESTS)
    keys = set(re.findall(r"^\| `(\w+) = ", GUIDE, flags=re.M))
    assert keys == set(VARIANT_KEYS)
