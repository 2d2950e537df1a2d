"""Labelled results (:mod:`dynamics.results.labelled`): a run's values by name, export and
provenance; the protocol every result type shares (:mod:`dynamics.results.report`) and
notebook HTML (:mod:`dynamics.results.html`).

The names of the former module ``dynamics.results`` are re-exported here."""

from dynamics._moved import folded_attribute
from dynamics.results.labelled import *  # noqa: F403
from dynamics.results.labelled import __all__ as __all__


def __getattr__(name: str):
    return folded_attribute(__name__, name)
