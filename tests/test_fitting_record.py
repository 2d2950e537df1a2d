"""The coverage study and the README's fit of record (dynamics.views.figures.COVERAGE and
CALIBRATION) are what the code gives now; a file of its own so that the suite's two
processes share the load."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynamics.views.figures import COVERAGE, coverage_of_record

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # 200 synthetic fits, profiled and bootstrapped


@pytest.fixture(scope="module")
def coverages():
    """The coverage studies with independent and with AR(1) errors."""
    return {error: coverage_of_record(error) for error in ("lognormal", "ar1")}


def test_nominal_95_percent_intervals_cover_the_truth_90_to_99_percent_of_the_time(coverages):
    """The coverage study of the README: 100 synthetic replicates, each fitted, profiled
    and bootstrapped (99 refits)."""
    found = coverages["lognormal"]
    print(found.summary())
    assert found.replicates >= 100 and found.failed == 0
    for name in COVERAGE["fit"]:
        assert 0.90 <= found.profile[name] <= 0.99, (name, found.profile[name])
        assert 0.90 <= found.bootstrap[name] <= 0.99, (name, found.bootstrap[name])


def test_the_readme_reports_the_fit_of_record(coverages):
    """The README's block is what the code gives now: the europe-1870 fit with its
    intervals, identifiability, out-of-sample errors, comparison and coverage."""
    from dynamics.docgen.reference import calibration_markdown
    from dynamics.views.figures import calibration_of_record

    record = calibration_of_record()
    fitted, held, comparison = record
    assert calibration_markdown(record, coverages) in (ROOT / "README.md").read_text()
    # under AR(1) errors the README says the intervals undercover: they do
    assert min(coverages["ar1"].bootstrap.values()) < 0.9
    # the claims the README's prose makes about it
    assert not fitted.identified("fatigue")
    assert held.errors["model"] < held.errors["persistence"]
    assert held.errors["model"] < held.errors["linear trend"]
    assert max(r["delta_aic"] for r in comparison.rows()) < 4
