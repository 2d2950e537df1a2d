"""A calibration from start to finish: the fit, its intervals, a holdout and rival models.

:func:`calibrate` is what ``balancing calibrate scenario`` runs, as one call: the maximum
likelihood fit of a :class:`~dynamics.calibration.problem.FitProblem`, then, as asked,
profile or bootstrap intervals or a posterior sample, a fit on the years up to a holdout
year scored on the years after, and the same fit under rival versions of the scenario
compared by information criteria. The parts are the functions of
:mod:`dynamics.calibration.likelihood`, :mod:`~dynamics.calibration.intervals`,
:mod:`~dynamics.calibration.posterior`, :mod:`~dynamics.calibration.validation` and
:mod:`~dynamics.calibration.comparison`; call them yourself for anything in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from dynamics.calibration.comparison import ModelComparison, compare_models
from dynamics.calibration.intervals import bootstrap, profile
from dynamics.calibration.likelihood import Fit, fit
from dynamics.calibration.problem import FitProblem
from dynamics.calibration.validation import Holdout, holdout
from dynamics.errors import UnknownNameError
from dynamics.results.report import Report
from dynamics.scenarios.loader import Scenario

__all__ = ["INTERVALS", "Calibration", "calibrate"]

#: the ways of giving the fit's uncertainty: ``lsq`` the fit's own (Wald) intervals only
INTERVALS = ("lsq", "profile", "bootstrap", "mcmc")


@dataclass
class Calibration(Report):
    """What :func:`calibrate` found.

    Attributes
    ----------
    fit : Fit
        The maximum likelihood fit, with the intervals asked for.
    posterior : Posterior or None
        The posterior sample (``intervals="mcmc"``).
    holdout : Holdout or None
        The fit up to the holdout year scored on the years after it.
    comparison : ModelComparison or None
        The scenario as given against its rival versions.
    """

    fit: Fit
    posterior: Any = None
    holdout: Holdout | None = None
    comparison: ModelComparison | None = None

    @property
    def reports(self) -> list[Report]:
        """The parts found, in the order of the work."""
        return [r for r in (self.fit, self.posterior, self.holdout, self.comparison)
                if r is not None]

    def as_dict(self) -> dict[str, Any]:
        """Each part's record by its kind (``fit``, ``posterior``, ``holdout``,
        ``modelcomparison``)."""
        return {type(report).__name__.lower(): report.as_dict() for report in self.reports}

    def summary(self) -> str:
        """Each part's summary, one after the other."""
        return "\n".join(report.summary() for report in self.reports)


def calibrate(problem: FitProblem, *, intervals: str = "lsq", replicates: int = 200,
              kind: str = "parametric", walkers: int = 32, steps: int = 3000,
              burn: int = 1000, last_training_year: int | None = None,
              rivals: Mapping[str, Scenario] | None = None, starts: int = 4,
              seed: int = 0, progress: bool = False) -> Calibration:
    """Fit a problem, with the intervals, holdout and rival models asked for.

    Parameters
    ----------
    problem : FitProblem
        The scenario, its observations and the unknowns.
    intervals : str
        One of :data:`INTERVALS`: ``lsq`` (the fit's Wald intervals), ``profile``
        (profile likelihood), ``bootstrap`` or ``mcmc`` (a posterior sample by emcee).
    replicates : int
        Bootstrap replicates.
    kind : str
        Bootstrap kind (``parametric`` or ``residual``, see
        :func:`~dynamics.calibration.intervals.bootstrap`).
    walkers, steps, burn : int
        The posterior sampler's walkers, steps and burn-in.
    last_training_year : int, optional
        The last year fitted in a holdout test; the years after it are predicted.
    rivals : mapping, optional
        Rival versions of the scenario by label, each fitted to the same observations and
        unknowns and compared with the scenario as given.
    starts : int
        Starting points of each fit.
    seed : int
        Seed of the starts, the bootstrap and the sampler.
    progress : bool
        Show the sampler's progress bar (``intervals="mcmc"``).

    Returns
    -------
    Calibration
        The fit and the parts asked for.
    """
    if intervals not in INTERVALS:
        raise UnknownNameError("interval method", intervals, INTERVALS)
    found = fit(problem, starts=starts, seed=seed)
    if intervals == "profile":
        profile(found)
    elif intervals == "bootstrap":
        bootstrap(found, replicates, kind=kind, seed=seed)
    sample = None
    if intervals == "mcmc":
        from dynamics.calibration.posterior import posterior

        sample = posterior(found, walkers=walkers, steps=steps, burn=burn, seed=seed,
                           progress=progress)
    held = (None if last_training_year is None
            else holdout(problem, last_training_year, starts=starts, seed=seed))
    comparison = None
    if rivals:
        problems = {"as given": problem, **{label: replace(problem, scenario=scenario)
                                            for label, scenario in rivals.items()}}
        comparison = compare_models(problems, starts=starts, seed=seed)
    return Calibration(found, sample, held, comparison)
