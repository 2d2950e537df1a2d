"""Every shipped scenario's claims, over a neighbourhood of its values: robust claims hold in
at least 90 % of a 256-member Latin hypercube at +-25 %, conditional ones in at least 90 %
where their condition holds, and the shares the scenario files (and so the README) record
are what a fresh run measures."""

from __future__ import annotations

import json

import pytest

from dynamics.claims import CLAIMS
from dynamics.cli import main
from dynamics.docs import robustness_markdown
from dynamics.robustness import robustness
from dynamics.scenarios import load_scenario


@pytest.fixture(scope="module")
def measured():
    out = {}
    for name in CLAIMS:
        scenario = load_scenario(name)
        record = scenario.robustness
        out[name] = (record, robustness(scenario, members=record["members"],
                                        spread=record["spread"], seed=record["seed"]))
    return out


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_each_claim_keeps_its_promise_and_its_recorded_share(measured, name):
    record, result = measured[name]
    for claim in result.claims:
        assert claim.meets_its_promise, (name, claim)
        # one member's outcome may flip with rounding across machines: 1/256 of slack
        slack = 1.0 / result.members + 1e-9
        assert claim.share == pytest.approx(record["share"][claim.name], abs=slack)
        if claim.within is not None:
            assert claim.within == pytest.approx(record["within"][claim.name], abs=4 * slack)


def test_the_readme_shows_the_recorded_shares():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert robustness_markdown() in readme


def test_robustness_command_prints_json_and_draws(tmp_path, capsys):
    assert main(["robustness", "richardson-runaway", "--members", "16", "--json",
                 "--plot", str(tmp_path / "r.png")]) == 0
    out = capsys.readouterr().out
    record = json.loads(out[:out.rindex("}") + 1])
    assert record["members"] == 16 and record["claims"][0]["share"] == 1.0
    assert (tmp_path / "r.png").stat().st_size > 10_000
    assert main(["describe", "unipolar-decay"]) == 0
    assert "Robustness (256 members" in capsys.readouterr().out


def test_too_few_members_are_refused(capsys):
    assert main(["robustness", "richardson-stable", "--members", "1"]) == 2
    assert "members must be at least 2" in capsys.readouterr().err
