"""Labelled results: access, derived quantities, export and exact save/load."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from dynamics import Model, UnknownNameError, load, simulate


@pytest.fixture(scope="module")
def result(full3):
    return simulate(full3, {"reaction": {"CHN": 0.4}, "growth": [0.02, 0.06, 0.01]},
                    (0.0, 40.0), initial={"e": [20.0, 15.0, 2.0], "m": [0.8, 0.3, 0.07]},
                    output=81)


def test_labelled_access_by_variable_and_state(result):
    assert result["m"].shape == (81, 3)
    np.testing.assert_array_equal(result["m", "CHN"], result["m"][:, 1])
    np.testing.assert_array_equal(result["c", "USA", "RUS"], result["c", "RUS", "USA"])
    assert result["m", "USA"][0] == 0.8 and result["e", "RUS"][0] == 2.0
    with pytest.raises(UnknownNameError, match="did you mean 'CHN'"):
        result["m", "CHA"]
    with pytest.raises(UnknownNameError, match="did you mean 'theta'"):
        result["thetta"]


def test_derived_quantities(result):
    """At t = 0, from the start alone: burdens 0.8/20, 0.3/15, 0.07/2; the leader the
    USA; shares and effective poles from CINC's mean, computed by hand below."""
    np.testing.assert_allclose(result.burden[0], [0.04, 0.02, 0.035], rtol=1e-12)
    assert result.leader[0] == "USA"
    # at t = 0 the share is CINC's mean of the output share and the spending share
    omega = 2 / 3
    e, m = np.array([20.0, 15.0, 2.0]), np.array([0.8, 0.3, 0.07])
    share = omega * e / e.sum() + (1 - omega) * m / m.sum()
    np.testing.assert_allclose(result.share[0], share, rtol=1e-10)
    assert result.effective_poles[0] == pytest.approx(1 / (share ** 2).sum(), rel=1e-10)


def test_save_load_round_trip_is_exact(result, tmp_path):
    path = result.save(tmp_path / "run.npz")
    back = load(path)
    np.testing.assert_array_equal(back.t, result.t)
    assert back.values.keys() == result.values.keys()
    for name in result.values:
        np.testing.assert_array_equal(back.values[name], result.values[name])
    assert back.states == result.states and back.mechanisms == result.mechanisms
    assert back.status == result.status and back.message == result.message
    assert back.provenance == result.provenance


def test_provenance_records_the_run(result):
    prov = result.provenance
    for key in ("version", "created", "parameters", "initial", "solver", "mechanisms",
                "t_span", "numpy", "scipy", "sympy"):
        assert key in prov
    assert prov["parameters"]["reaction"] == [0.15, 0.4, 0.15]
    assert prov["solver"]["method"] == "LSODA"
    json.dumps(prov)  # plain JSON


def test_csv_is_tidy_and_exact(result, tmp_path):
    path = result.to_csv(tmp_path / "run.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    spending = [r for r in rows if r["variable"] == "m" and r["state"] == "CHN"]
    assert [float(r["value"]) for r in spending] == result["m", "CHN"].tolist()
    cohesion = [r for r in rows if r["variable"] == "c"]
    assert {(r["state"], r["partner"]) for r in cohesion} == {("USA", "CHN"), ("USA", "RUS"),
                                                             ("CHN", "RUS")}


def test_dataframe_tidy_and_wide(result):
    frame = result.to_dataframe()
    assert list(frame.columns) == ["time", "variable", "state", "partner", "value"]
    wide = result.to_dataframe(wide=True)
    np.testing.assert_array_equal(wide["m[USA]"].to_numpy(), result["m", "USA"])
    np.testing.assert_array_equal(wide["c[CHN,RUS]"].to_numpy(), result["c", "CHN", "RUS"])


def test_theta_is_the_instantaneous_threat_without_perception_delay():
    """Without perception, theta is the actual threat. At the start (defaults: outputs 1,
    spending 3 % of output, o = D = 0.5, eta = 1, W = 1, no alliance) each state faces
    T = h m (N S)^eta = 0.75 * 0.03 * (2 * 0.5) = 0.0225."""
    model = Model(["A", "B"], ["ceiling"])
    res = simulate(model, {}, (0.0, 5.0), output=11)
    np.testing.assert_allclose(res["theta"][0], [0.0225, 0.0225], rtol=1e-12)
    np.testing.assert_array_equal(res["theta"], res["threat"])


def test_a_run_writes_netcdf_that_xarray_reads_back(result, tmp_path):
    """A single run has the ensemble's export set: every series, the status and the
    provenance survive a netCDF round trip exactly."""
    xr = pytest.importorskip("xarray")
    with xr.open_dataset(result.to_netcdf(tmp_path / "run.nc")) as data:
        for name, array in result.values.items():
            np.testing.assert_array_equal(data[name].values, array)
        assert data.attrs["status"] == result.status.value
        assert json.loads(data.attrs["provenance"])["parameters"] == json.loads(
            json.dumps(result.provenance["parameters"], default=list))
        np.testing.assert_array_equal(data["time"].values, result.t)
        assert data["c"].dims == ("time", "state", "partner")
