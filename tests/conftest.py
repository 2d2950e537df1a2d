"""Shared helpers for the tests: random Richardson systems and their closed form."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import settings
from scipy.linalg import expm

from dynamics import Model

#: the examples of every property test are drawn from a seed fixed by the test, so that a
#: run of the suite is reproducible and CI cannot pass or fail by the draw; a search for
#: new counterexamples draws afresh with ``pytest --hypothesis-profile=explore``
settings.register_profile("reproducible", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("reproducible")


def richardson_parameters(rng: np.random.Generator, n: int, stable: bool) -> dict:
    """Random Richardson parameters whose system M = K - A is stable or unstable.

    K_ij = k_i W_ij is drawn, then fatigue is set so that the largest eigenvalue of M is
    -0.05..-0.5 (stable) or +0.05..+0.3 (unstable).
    """
    while True:  # redraw until every fatigue coefficient is admissible (positive)
        reaction = rng.uniform(0.05, 0.8, n)
        proximity = rng.uniform(0.2, 1.0, (n, n))
        np.fill_diagonal(proximity, 0.0)
        fatigue = rng.uniform(0.1, 0.6, n)
        coupling = reaction[:, None] * proximity
        spectral = np.max(np.linalg.eigvals(coupling - np.diag(fatigue)).real)
        target = -rng.uniform(0.05, 0.5) if stable else rng.uniform(0.05, 0.3)
        fatigue = fatigue + (spectral - target)
        if np.all(fatigue > 0.01):
            break
    return {"reaction": reaction, "fatigue": fatigue, "proximity": proximity,
            "grievance": rng.uniform(-0.05, 0.2, n), "distinguishability": 0.0,
            "power_weight": 0.0}


def closed_form(params: dict, m0: np.ndarray, t: np.ndarray, e: np.ndarray) -> np.ndarray:
    """x(t) = x* + exp((K - A) t)(x0 - x*), shape (T, N); Richardson's g_i is grievance e_i."""
    matrix = params["reaction"][:, None] * params["proximity"] - np.diag(params["fatigue"])
    star = np.linalg.solve(matrix, -params["grievance"] * e)
    return np.array([star + expm(matrix * time) @ (m0 - star) for time in t])


def linear_richardson(n: int, seed: int, reaction: tuple[float, float]
                      ) -> tuple[dict, dict, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Richardson's linear system of ``n`` states, dm/dt = (K W - diag(alpha)) m + g e + G
    (no distinguishability, no power weight, neutral balance), drawn from ``seed`` with
    reaction coefficients K in ``reaction``: its parameters, its start, A = K W -
    diag(alpha), and its closed form m(t) = expm(At)(m0 + A^-1 b) - A^-1 b at given times."""
    rng = np.random.default_rng(seed)
    k, alpha = rng.uniform(*reaction, n), rng.uniform(0.3, 0.8, n)
    w = rng.uniform(0.0, 1.0, (n, n))
    np.fill_diagonal(w, 0.0)
    e, g, big_g = rng.uniform(0.5, 2.0, n), rng.uniform(0.0, 0.02, n), rng.uniform(0, 0.01, n)
    m0 = rng.uniform(0.01, 0.1, n)
    params = {"reaction": k, "fatigue": alpha, "proximity": w, "grievance": g,
              "grievance_level": big_g, "distinguishability": 0.0, "power_weight": 0.0,
              "offence_defence": 1.0}
    a = k[:, None] * w - np.diag(alpha)
    steady = np.linalg.solve(a, g * e + big_g)

    def exact(times: np.ndarray) -> np.ndarray:
        return np.stack([expm(a * t) @ (m0 + steady) - steady for t in times])

    return params, {"m": m0, "e": e}, a, exact


@pytest.fixture(scope="session")
def richardson2() -> Model:
    return Model(["Entente", "Central"], mechanisms="richardson")


@pytest.fixture(scope="session")
def full3() -> Model:
    return Model(["USA", "CHN", "RUS"])
