"""Calibration: synthetic recovery, the pre-1914 race from the COW file, and bad input."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np
import pytest

from dynamics import Model, Solver, simulate
from dynamics.calibration.calibrate import richardson_differences, richardson_trajectory
from dynamics.cli import main
from dynamics.data import Series, SeriesError, cow_series, read_series

YEARS = np.arange(1900, 1925)
MODEL = Model(["A", "B"], "richardson")


def synthetic(reaction, grievance, fatigue, m0, noise, rng) -> Series:
    """Yearly spending simulated from known Richardson parameters, with relative noise."""
    res = simulate(MODEL, {"reaction": reaction, "fatigue": fatigue, "grievance": grievance,
                           "distinguishability": 0.0, "power_weight": 0.0},
                   (YEARS[0], YEARS[-1]), initial={"m": m0, "e": [1.0, 1.0]},
                   output=YEARS.astype(float), solver=Solver(rtol=1e-11, atol=1e-14))
    m = res["m"] * (1 + noise * rng.standard_normal(res["m"].shape))
    return Series(YEARS, {"A": m[:, 0], "B": m[:, 1]})


def test_differences_recover_known_parameters_within_their_standard_errors():
    """Symmetric race (k = 0.15, alpha = 0.3, g = h = 0.03): k - alpha = -0.15 and
    c = 0.4 recovered within one reported standard error in at least 60 % of 40 noisy
    replicates, and within three in all."""
    rng = np.random.default_rng(11)
    within_one, within_three = [], []
    for _ in range(40):
        fit = richardson_differences(synthetic([0.15, 0.15], [0.03, 0.03], [0.3, 0.3],
                                               [0.1, 0.12], 0.002, rng))
        for estimate, truth in ((fit.k_minus_alpha, -0.15), (fit.equilibrium_total, 0.4)):
            error = abs(estimate.value - truth)
            within_one.append(error < estimate.stderr)
            within_three.append(error < 3 * estimate.stderr)
    assert np.mean(within_one) >= 0.6 and all(within_three)


def test_trajectory_fit_recovers_known_parameters_within_their_standard_errors():
    """Asymmetric race (k = 0.25, 0.1; g = 0.05, 0.02; alpha = 0.2 fixed): every estimate
    within three reported standard errors in 6 noisy replicates, and at least half within
    one."""
    rng = np.random.default_rng(5)
    truth = {"reaction.A": 0.25, "reaction.B": 0.1, "m0.A": 0.1, "m0.B": 0.12}
    within_one, within_three = [], []
    for _ in range(6):
        fit = richardson_trajectory(synthetic([0.25, 0.1], [0.05, 0.02], [0.2, 0.2],
                                              [0.1, 0.12], 0.005, rng))
        assert not fit.warnings
        estimates = dict(fit.estimates)
        for name, value in (("grievance.A", 0.05), ("grievance.B", 0.02)):
            truth[name] = value / fit.scale  # fitted per unit of the data scale
        for name, value in truth.items():
            error = abs(estimates[name].value - value)
            within_one.append(error < estimates[name].stderr)
            within_three.append(error < 3 * estimates[name].stderr)
    assert np.mean(within_one) >= 0.5 and all(within_three)


def _cow_totals():
    """The 1909-1913 bloc totals read independently of dynamics.data."""
    text = (resources.files("dynamics.data") / "cow-nmc-v6.0.csv").read_text()
    rows = {(r["stateabb"], int(r["year"])): float(r["milex"])
            for r in csv.DictReader(text.splitlines())}
    years = range(1909, 1914)
    return np.array([sum(rows[(c, y)] for c in ("FRN", "RUS", "GMY", "AUH")) for y in years])


def test_pre_1914_race_is_a_runaway_above_its_equilibrium():
    """France + Russia against Germany + Austria-Hungary, 1909-1913: k - alpha = 0.886/yr
    > 0 (Richardson had 0.73 with his data) and equilibrium total 189,265 (thousand GBP)
    below every observed total (192,225 to 278,028)."""
    series = cow_series({"Entente": ["FRN", "RUS"], "Central": ["GMY", "AUH"]}, (1909, 1913))
    total = _cow_totals()
    np.testing.assert_array_equal(series.total, total)
    fit = richardson_differences(series)
    slope, intercept = np.polyfit((total[1:] + total[:-1]) / 2, np.diff(total), 1)
    assert fit.richardson_slope.value == pytest.approx(slope, rel=1e-10)
    assert fit.equilibrium_total.value == pytest.approx(-intercept / slope, rel=1e-10)
    assert fit.k_minus_alpha.value > 0
    assert fit.equilibrium_total.value < total.min()


def test_calibrate_json_output(capsys):
    assert main(["calibrate", "cow", "--bloc", "A=FRN,RUS", "--bloc", "B=GMY,AUH",
                 "--years", "1909:1913", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("k_minus_alpha", "equilibrium_total"):
        assert set(data[key]) == {"value", "stderr"}
    # the yearly change regressed on the mean level has slope a = 2 tanh(r / 2) for a
    # continuous rate r = k - alpha (exact for x' = r x + c over one year)
    total = _cow_totals()
    slope, _ = np.polyfit((total[1:] + total[:-1]) / 2, np.diff(total), 1)
    assert data["k_minus_alpha"]["value"] == pytest.approx(2 * np.arctanh(slope / 2),
                                                           rel=1e-9)


def _write(tmp_path, text):
    path = tmp_path / "blocs.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("year,A,B\n1909,1,2\n1910,2,3\n1912,3,4\n",
     "row 4, column 'year': 1912 follows 1910; expected 1911"),
    ("year,A,B\n1909,1,2\n1910,abc,3\n1911,3,4\n", "row 3, column 'A': 'abc' is not a number"),
    ("year,A,B\n1909,1,2\n1910,2,3\n", "2 years of data; at least 3 are needed"),
    ("year,A,B,unit\n1912,1,2,GBP\n1913,2,3,GBP\n1914,3,4,USD\n",
     "row 4, column 'unit': the unit changes from 'GBP' to 'USD'"),
    ("year,A\n1909,1\n1910,2,5\n1911,3\n", "row 3: 3 cells, expected 2"),
])
def test_bad_csv_names_row_and_column(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SeriesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_series(path)


def test_unit_change_can_be_allowed_explicitly(tmp_path):
    path = _write(tmp_path, "year,A,B,unit\n1912,1,2,GBP\n1913,2,3,GBP\n1914,3,4,USD\n")
    assert len(read_series(path, allow_unit_change=True).years) == 3


def test_cow_refuses_the_1913_1914_boundary(capsys):
    with pytest.raises(SeriesError, match="cross a change of unit of COW milex"):
        cow_series({"A": ["FRN"], "B": ["GMY"]}, (1910, 1920))
    assert main(["calibrate", "cow", "--bloc", "A=FRN", "--bloc", "B=GMYY", "--years",
                 "1909:1913"]) == 2
    assert "did you mean 'GMY'" in capsys.readouterr().err


def test_cow_skips_missing_values():
    """Austria's 1816 milex is missing (-9): 1816 is skipped for every bloc and noted, and
    the differences method uses only the consecutive years that remain."""
    series = cow_series({"A": ["AUH"], "B": ["UKG"]}, (1816, 1822))
    assert series.years.tolist() == [1817, 1818, 1819, 1820, 1821, 1822]
    assert series.notes == ("1816 skipped: no milex for AUH",)
    assert richardson_differences(series).intervals == 5


def test_a_unit_change_inside_a_file_is_named_not_fitted(tmp_path):
    """A bloc's value a thousand times the year before's (thousands against millions) is
    refused naming row and column, unless accepted explicitly."""
    from dynamics.data import JUMP_FACTOR, SeriesError, read_series

    path = tmp_path / "race.csv"
    path.write_text("year,A,B\n1900,10,12\n1901,11,13\n1902,11000,14\n1903,12000,15\n")
    with pytest.raises(SeriesError, match=r"row 4, column 'A': 11000 is 1000 times the year "
                                          r"before's 11, more than 100"):
        read_series(path)
    assert read_series(path, allow_unit_change=True).values["A"][2] == 11000
    path.write_text("year,A,B\n1914,10,12\n1915,90,13\n1916,95,14\n")  # a war: ninefold
    assert JUMP_FACTOR > 9 and read_series(path).values["A"][1] == 90


def test_both_richardson_methods_refuse_one_bloc():
    from dynamics.data import Series, SeriesError

    one = Series(np.arange(1900, 1910), {"A": np.linspace(1.0, 2.0, 10)})
    for method in (richardson_differences, richardson_trajectory):
        with pytest.raises(SeriesError, match="at least two blocs"):
            method(one)
