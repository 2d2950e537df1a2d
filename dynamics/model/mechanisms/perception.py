"""Delayed perception: perceived threat follows actual threat with a first-order delay.

    dtheta_i/dt = (sum_j T_ij - theta_i) / tau                          (Sterman 2000)

While this mechanism is on, the threat a state reacts to (Richardson's theta_i) is the
perceived threat; off, perception is instantaneous (theta_i = sum_j T_ij). The perceived
threat starts at the actual threat (no initial misperception) unless an initial value is
given.
"""

from __future__ import annotations

import math

import numpy as np

from dynamics.model.mechanisms.richardson import PERCEIVED, SPENDING, TOTAL_THREAT
from dynamics.model.parts import Context, Mechanism, Override, Parameter, Region, Term, Variable

__all__ = ["PERCEPTION", "THETA", "PERCEPTION_DELAY"]

PERCEPTION_DELAY = Parameter(
    name="perception_delay", symbol="tau", kind="scalar", unit="yr", default=1.0,
    bounds=(1e-9, math.inf),
    meaning="Average delay with which perceived threat follows the actual threat (first-order "
    "information delay).", source="Sterman 2000",
    plausible=(1e-3, 50.0))


def _region(view: Region, i: int) -> tuple[float, float]:
    """0 to three times the threat that every state's largest spending could pose."""
    return 0.0, float(np.sum(view.region(SPENDING)[1])) * 3


THETA = Variable("theta", "theta", "perceived threat", "[m]", initial_from=TOTAL_THREAT,
                 region=_region)


def perception_rate(ctx: Context, i):
    """dtheta_i/dt = (sum_j T_ij - theta_i) / tau: first-order information delay."""
    return (ctx.get(TOTAL_THREAT, i) - ctx.var(THETA, i)) / ctx.par(PERCEPTION_DELAY)


PERCEPTION = Mechanism(
    name="perception",
    summary="Perceived threat follows actual threat with a first-order delay; off, "
            "perception is instantaneous.",
    parameters=(PERCEPTION_DELAY,),
    variables=(THETA,),
    terms=(Term("information delay", THETA, perception_rate),),
    overrides=(Override(PERCEIVED, lambda ctx, i: ctx.var(THETA, i)),),
    references=("Sterman 2000",),
    notes=__doc__ or "",
)
