"""Closed forms the tests compare runs with (derived by hand from docs/model.md), and
checks that a written figure file is a real one."""

from __future__ import annotations

import numpy as np


def saturated_race_equilibrium(reaction: float, fatigue: float, grievance: float,
                               offence: float, distinguishability: float,
                               ceiling: float) -> float:
    """The symmetric equilibrium of two identical states with the ceiling (output 1, W = 1,
    eta = 0 or equal shares): (k h m + g)(1 - m/b) = alpha m, h = o + (1 - D)(1 - o), i.e.
    the root in (0, b) of -(k h / b) m^2 + (k h - g / b - alpha) m + g = 0."""
    h = offence + (1 - distinguishability) * (1 - offence)
    k, b = reaction, ceiling
    roots = np.roots([-k * h / b, k * h - grievance / b - fatigue, grievance])
    inside = roots[(np.abs(roots.imag) < 1e-12) & (roots.real > 0) & (roots.real < b)].real
    return float(inside.max())


def security_dilemma(distinguishability: float) -> float:
    """The saturated equilibrium at the security-dilemma scenario's values (reaction 0.9,
    fatigue 0.2, grievance 0.002, offence 0.1, ceiling 0.4) and distinguishability D."""
    return saturated_race_equilibrium(0.9, 0.2, 0.002, 0.1, distinguishability, 0.4)


def is_pdf(path) -> bool:
    """A complete PDF file: its header and its end-of-file marker."""
    data = open(path, "rb").read()
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]


def png_size(path) -> tuple[int, int]:
    """(height, width) in pixels of a PNG file that matplotlib can read back."""
    import matplotlib.image

    image = matplotlib.image.imread(path)
    return image.shape[0], image.shape[1]
