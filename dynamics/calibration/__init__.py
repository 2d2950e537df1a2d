"""Calibration against history: Richardson's regressions and trajectory fits
(:mod:`dynamics.calibration.calibrate`), the state system's observations and fits
(:mod:`dynamics.calibration.history`, :mod:`dynamics.calibration.fitting`) and posteriors
(:mod:`dynamics.calibration.posterior`).

The names of the former module ``dynamics.calibration`` are re-exported here."""

from dynamics._moved import folded_attribute
from dynamics.calibration.calibrate import *  # noqa: F403
from dynamics.calibration.calibrate import __all__ as __all__


def __getattr__(name: str):
    return folded_attribute(__name__, name)
