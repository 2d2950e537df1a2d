"""Studies over many runs: designs (:mod:`dynamics.studies.design`), sweeps, sensitivity,
robustness of claims, discovery, counterfactuals and the polarity-durability experiment.

The names of the former module ``dynamics.studies`` are re-exported here."""

from dynamics._moved import folded_attribute
from dynamics.studies.design import *  # noqa: F403
from dynamics.studies.design import __all__ as __all__


def __getattr__(name: str):
    return folded_attribute(__name__, name)
