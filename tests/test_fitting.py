"""Fitting scenarios to observed series (dynamics.calibration.fitting and .posterior): the
likelihood against an independent Gaussian density, the optimiser against scipy's, the
profile interval against the exact t interval, coverage on synthetic replicates, the
identifiability report, the out-of-sample baselines, and the README's fit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from dynamics.calibration import fitting
from dynamics.calibration.intervals import _noise
from dynamics.errors import ParameterValueError, UnknownNameError
from dynamics.run.front import Solver, simulate
from dynamics.scenarios import Scenario, load_scenario
from dynamics.views.figures import COVERAGE, synthetic_problem

ROOT = Path(__file__).resolve().parents[1]


def _with_data(problem: fitting.FitProblem, values: np.ndarray, **changes) -> fitting.FitProblem:
    """The same problem with the observed spending ``values`` (years, states)."""
    data = fitting.Observations(problem.data.years, {"spending": values},
                                problem.scenario.states, "synthetic")
    options = {"error": problem.error, "fit": problem.fit, **changes}
    return fitting.FitProblem(problem.scenario, data, options.pop("fit"), **options)


def _truth_path(problem: fitting.FitProblem) -> np.ndarray:
    """Spending at the truth, by scipy's LSODA on one run (not the kernel)."""
    scenario = problem.scenario
    result = simulate(scenario.model(), scenario.parameters, scenario.t_span,
                      initial=scenario.initial, output=[float(t) for t in problem.data.years],
                      solver=Solver(rtol=1e-11, atol=1e-13))
    return result["m"]


@pytest.fixture(scope="module")
def noisy():
    """One synthetic dataset: the truth times log-normal noise of sd 0.05."""
    problem = synthetic_problem()
    rng = np.random.default_rng(7)
    path = _truth_path(problem)
    return _with_data(problem, path * np.exp(0.05 * rng.standard_normal(path.shape)))


def test_the_likelihood_is_the_gaussian_density_of_the_log_errors():
    """Under AR(1) the log-likelihood equals the multivariate normal density of each
    state's log residuals with covariance sigma^2 rho^|i-j| / (1 - rho^2), maximised over
    sigma numerically, less sum log y (the log-normal Jacobian)."""
    problem = synthetic_problem("ar1")
    rng = np.random.default_rng(3)
    path = _truth_path(problem)
    problem = _with_data(problem, path * np.exp(0.05 * rng.standard_normal(path.shape)))
    phi = np.append(problem.start[:3] * 1.05, 0.4)  # the three unknowns, then rho
    residual = np.log(problem.data.values["spending"]) - np.log(_truth_path(
        _shifted(problem, phi)))
    lags = np.abs(np.subtract.outer(np.arange(len(residual)), np.arange(len(residual))))

    def negative(log_sigma: float) -> float:
        cov = np.exp(2 * log_sigma) * phi[3] ** lags / (1 - phi[3] ** 2)
        return -sum(stats.multivariate_normal(np.zeros(len(residual)), cov).logpdf(
            residual[:, i]) for i in range(residual.shape[1]))

    best = optimize.minimize_scalar(negative, bounds=(-8, 1), method="bounded",
                                    options={"xatol": 1e-10})
    expected = -best.fun - np.sum(np.log(problem.data.values["spending"]))
    _, found = problem.evaluate(phi[None], problem.log_y[None])
    assert found[0] == pytest.approx(expected, rel=1e-7)


def _shifted(problem: fitting.FitProblem, phi: np.ndarray) -> fitting.FitProblem:
    scenario = problem.scenario.with_values({"reaction": phi[0], "fatigue": phi[1],
                                             "grievance": phi[2]})
    return fitting.FitProblem(scenario, problem.data, problem.fit, error=problem.error)


def test_the_estimates_are_scipys_least_squares_on_single_runs(noisy):
    """The batched optimiser on the kernel reaches the optimum that scipy's least_squares
    finds on the log residuals of single LSODA runs, to 1e-5 relative."""
    found = fitting.fit(noisy, starts=1)
    observed = np.log(noisy.data.values["spending"])

    def residuals(theta):
        scenario = noisy.scenario.with_values(dict(zip(COVERAGE["fit"], theta, strict=True)))
        run = simulate(scenario.model(), scenario.parameters, scenario.t_span,
                       initial=scenario.initial, output=[float(t) for t in noisy.data.years],
                       solver=Solver(rtol=1e-11, atol=1e-13))
        return (observed - np.log(run["m"])).ravel()

    reference = optimize.least_squares(residuals, noisy.start * 1.1, xtol=1e-12, ftol=1e-12,
                                       gtol=1e-12)
    np.testing.assert_allclose(list(found.estimates.values()), reference.x, rtol=1e-5)
    sigma = math.sqrt(np.mean(reference.fun ** 2))
    assert found.sigma["spending"] == pytest.approx(sigma, rel=1e-5)
    # AIC and BIC from the maximised Gaussian log-likelihood of the logs, k = 3 + sigma
    n = reference.fun.size
    loglik = -n / 2 * (math.log(2 * math.pi * sigma ** 2) + 1) - observed.sum()
    assert found.aic == pytest.approx(-2 * loglik + 2 * 4, rel=1e-7)
    assert found.bic == pytest.approx(-2 * loglik + 4 * math.log(n), rel=1e-7)


def test_a_profile_interval_is_the_exact_t_interval_where_the_model_is_a_constant():
    """With no reaction, fatigue or grievance spending stays at its initial value, so the
    fit of m0 is the geometric mean of the observations and the profile interval with
    lmfit's F-test is exactly exp(mean +- t_{n-1} s / sqrt(n))."""
    scenario = Scenario("constant", ("A", "B"), mechanisms=(), parameters={
        "reaction": 0.0, "fatigue": 0.0, "grievance": 0.0, "distinguishability": 0.0,
        "power_weight": 0.0}, initial={"m": [2.0, 1.0], "e": [1.0, 1.0]}, t_span=(0, 19))
    rng = np.random.default_rng(11)
    values = np.column_stack([2.0 * np.exp(0.1 * rng.standard_normal(20)),
                              np.full(20, np.nan)])  # only A is observed
    data = fitting.Observations(np.arange(20), {"spending": values}, ("A", "B"))
    found = fitting.profile(fitting.fit(fitting.FitProblem(scenario, data, ["m0.A"])))
    logs = np.log(values[:, 0])
    half = stats.t.ppf(0.975, 19) * logs.std(ddof=1) / math.sqrt(20)
    interval = found.intervals["m0.A"]["profile"]
    assert found.estimates["m0.A"] == pytest.approx(math.exp(logs.mean()), rel=1e-8)
    assert interval.low == pytest.approx(math.exp(logs.mean() - half), rel=1e-6)
    assert interval.high == pytest.approx(math.exp(logs.mean() + half), rel=1e-6)


def test_an_ar1_fit_recovers_the_autocorrelation():
    """120 years of two states with AR(1) errors (rho 0.6): the estimate of rho lies
    within 0.1 of it and its profile interval contains it."""
    problem = synthetic_problem("ar1", years=120)
    rng = np.random.default_rng(5)
    log_mu = problem.log_mu(np.append(problem.start[:-1], 0.0)[None])[0]
    noise = _noise(problem, np.array([[0.05]]), np.array([0.6]), rng, 1)[0]
    values = np.full((121, 2), np.nan)
    values[problem.cell_year, problem.cell_state] = np.exp(log_mu + noise)
    found = fitting.profile(fitting.fit(_with_data(problem, values)), ["rho"])
    assert abs(found.estimates["rho"] - 0.6) < 0.1
    assert found.intervals["rho"]["profile"].covers(0.6)


def test_unidentified_unknowns_are_reported_and_never_printed_as_estimates():
    """Spending that starts at rest (m = g e / alpha, no reaction) shows shares that
    depend only on the ratio of the grievances: both are reported as not identified."""
    scenario = Scenario("ratio", ("A", "B"), mechanisms=(), parameters={
        "reaction": 0.0, "fatigue": 0.3, "grievance": {"A": 0.03, "B": 0.06},
        "distinguishability": 0.0, "power_weight": 0.0},
        initial={"m": [0.1, 0.2], "e": [1.0, 1.0]}, t_span=(0, 20))
    rng = np.random.default_rng(2)
    shares = np.column_stack([np.full(21, 1 / 3), np.full(21, 2 / 3)]) * np.exp(
        0.02 * rng.standard_normal((21, 2)))
    data = fitting.Observations(np.arange(21), {"spending_share": shares}, ("A", "B"))
    found = fitting.fit(fitting.FitProblem(scenario, data, ["grievance.*"]))
    assert not found.identified("grievance.A") and not found.identified("grievance.B")
    text = found.summary()
    assert "grievance.A      not identified" in text and "+-" not in text.split("\n")[1]


def test_holdout_baselines_are_persistence_and_a_linear_trend(noisy):
    """The errors of the baselines recomputed from the observations alone."""
    result = fitting.holdout(noisy, 20)
    values = noisy.data.values["spending"]
    train, test = values[:21], values[21:]
    years = noisy.data.years
    assert result.errors["persistence"] == pytest.approx(np.mean(np.abs(test - train[-1])))
    trend = np.column_stack([np.polyval(np.polyfit(years[:21], train[:, i], 1), years[21:])
                             for i in range(2)])
    assert result.errors["linear trend"] == pytest.approx(np.mean(np.abs(test - trend)))
    assert result.training == (0, 20) and result.test == (21, 30)
    # the model is the truth's: its error out of sample is about that of the noise alone,
    # E|m (exp(eps) - 1)| ~ m sigma sqrt(2 / pi)
    noise = np.mean(_truth_path(noisy)[21:]) * 0.05 * math.sqrt(2 / math.pi)
    assert result.errors["model"] < 1.5 * noise


def test_model_comparison_needs_the_same_data(noisy):
    other = _with_data(noisy, noisy.data.values["spending"] * 1.01)
    with pytest.raises(ParameterValueError, match="not fitted to the same data"):
        fitting.compare_models({"a": noisy, "b": other})


@pytest.mark.slow
def test_the_posterior_contains_the_truth_and_passes_its_diagnostics(noisy):
    """emcee on the synthetic case: each unknown's 99 % credible interval contains the
    true value and its median lies within one posterior sd of the estimate; acceptance,
    autocorrelation, ESS and R-hat pass; WAIC and LOO are finite."""
    from dynamics.calibration.posterior import posterior, predictive

    best = fitting.fit(noisy)
    found = posterior(best, walkers=16, steps=3000, burn=500, seed=1)
    print(found.summary())
    assert found.converged, found.problems
    for name, value in zip(COVERAGE["fit"], noisy.start, strict=True):
        low, high = found.interval(name, 0.99)
        assert low <= value <= high, (name, low, high)
        # with flat priors the posterior centres on the maximum-likelihood estimate
        spread = np.std(found.flat[:, found.names.index(name)])
        assert abs(found.median(name) - best.estimates[name]) < spread
    assert math.isfinite(found.waic["waic"]) and math.isfinite(found.loo["looic"])
    bands = predictive(found, draws=50)["spending"]
    assert bands.shape == (50, noisy.data.years.size, 2) and np.all(bands > 0)


def test_the_cli_fits_a_scenario(capsys):
    from dynamics.cli import main

    assert main(["calibrate", "scenario", "europe-1870", "--data", "cow:milex", "--fit",
                 "reaction.UKG,fatigue", "--method", "bootstrap", "--replicates", "20",
                 "--years", "1870:1890", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["fit"]["intervals"]) == {"reaction.UKG", "fatigue"}
    assert out["fit"]["years"] == [1870, 1890] and out["fit"]["n"] == 21 * 6


def test_power_shares_come_from_cinc_normalised_over_the_states():
    scenario = load_scenario("europe-1870")
    observed = fitting.cow_observations(scenario, ["cinc"], (1900, 1901))
    shares = observed.values["power_share"]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    import csv
    rows = {(r["stateabb"], r["year"]): float(r["cinc"]) for r in csv.DictReader(
        (ROOT / "dynamics" / "data" / "cow-nmc-v6.0.csv").open())}
    cinc = np.array([rows[(s, "1900")] for s in scenario.states])
    np.testing.assert_allclose(shares[0], cinc / cinc.sum())


def test_the_cli_plots_a_fit_only_against_held_out_years(capsys, tmp_path):
    from dynamics.cli import main

    base = ["calibrate", "scenario", "europe-1870", "--data", "cow:milex", "--fit",
            "reaction.UKG", "--years", "1870:1890"]
    assert main([*base, "--plot", str(tmp_path / "fit.png")]) == 2
    assert "give --holdout YEAR" in capsys.readouterr().err
    assert main([*base, "--holdout", "1885", "--plot", str(tmp_path / "fit.png")]) == 0
    assert (tmp_path / "fit.png").is_file()


def test_calibrate_is_the_fit_with_the_parts_asked_for():
    """One call gives the fit (the same estimates as fit alone), the holdout and the
    comparison with a rival version of the scenario, each recorded under its kind."""
    from dynamics.calibration.workflow import calibrate

    scenario = load_scenario("europe-1870")
    observed = fitting.cow_observations(scenario, ["milex"], (1870, 1890))
    problem = fitting.FitProblem(scenario, observed, ["reaction.UKG"], years=(1870, 1890))
    rival = scenario.with_values(mechanisms=[m for m in scenario.mechanism_names()
                                             if m != "alliances"])
    found = calibrate(problem, last_training_year=1885, rivals={"no alliances": rival})
    alone = fitting.fit(problem)
    assert found.fit.estimates == pytest.approx(alone.estimates, rel=1e-9)
    assert found.holdout is not None and found.holdout.training[1] == 1885
    assert found.comparison is not None
    assert set(found.as_dict()) == {"fit", "holdout", "modelcomparison"}
    assert "no alliances" in found.comparison.summary()
    with pytest.raises(UnknownNameError, match="interval method"):
        calibrate(problem, intervals="jackknife")


def test_observed_zeros_left_out_of_a_fit_are_named():
    """A year of zeros was dropped from a fit without notice (22 to 20 observations): the
    cells left out are named in a warning and kept on the problem."""
    scenario = load_scenario("europe-1870")
    observed = fitting.cow_observations(scenario, ["milex"], (1870, 1890))
    name = next(iter(observed.values))
    observed.values[name][3, :] = 0.0  # a year of zeros: 1873
    with pytest.warns(UserWarning, match=r"6 observed values of zero or less are left out.*"
                                         r"UKG 1873"):
        problem = fitting.FitProblem(scenario, observed, ["reaction.UKG"], years=(1870, 1890))
    assert problem.dropped[0] == (name, "UKG", 1873) and len(problem.dropped) == 6
    assert problem.log_y.size == 21 * 6 - 6
