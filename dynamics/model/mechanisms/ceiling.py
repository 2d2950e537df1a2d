"""The mobilisation ceiling: a state cannot spend more than the share b_i of its output.

The drive to arm (Richardson's reaction and grievance terms, and any other mechanism's
``drive`` terms) saturates as the burden beta_i = m_i/e_i approaches b_i:

    dm_i/dt = [drive]+ (1 - u_i) - [drive]- u_i - losses,   u_i = beta_i / b_i  (Harrison 1998)

A positive drive moves spending toward the ceiling and a negative drive toward zero, each
at a rate proportional to the room left, so spending never falls below zero and a runaway
race ends at full mobilisation instead of infinity. With the ceiling on, spending and
perceived threat are non-negative (their domain).
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.economy import CAPACITY
from dynamics.model.mechanisms.perception import THETA
from dynamics.model.mechanisms.richardson import BURDEN, OUTPUT, SPENDING
from dynamics.model.parts import (
    Context,
    Mechanism,
    Modifier,
    Parameter,
    Region,
    Restriction,
    positive,
)

__all__ = ["CEILING", "MOBILISATION_CEILING"]

MOBILISATION_CEILING = Parameter(
    name="ceiling", symbol="b", kind="state", unit="1", default=0.5, bounds=(1e-6, 1.0),
    meaning="Largest burden m/e a state can sustain; total-war economies of 1943-44 reached 0.4 to "
    "0.7 of output.", source="Harrison 1998",
    plausible=(0.01, 1.0))


def saturate(ctx: Context, drive, i):
    """[drive]+ (1 - u_i) - [drive]- u_i with u_i = beta_i / b_i."""
    used = ctx.get(BURDEN, i) / ctx.par(MOBILISATION_CEILING, i)
    return positive(drive) * (1 - used) - positive(-drive) * used


def _spending_region(view: Region, i: int) -> tuple[float, float]:
    """0 to the ceiling times the larger of output and capacity."""
    e = float(view.start(OUTPUT)[i])
    return 0.0, float(view.values[MOBILISATION_CEILING.name][i]) * max(
        e, float(view.values[CAPACITY.name][i]))


CEILING = Mechanism(
    name="ceiling",
    summary="Mobilisation ceiling: the drive to arm saturates as the burden approaches its "
            "ceiling, and spending never falls below zero.",
    parameters=(MOBILISATION_CEILING,),
    modifiers=(Modifier("saturation", SPENDING, "drive", saturate),),
    restrictions=(Restriction(SPENDING, (0.0, math.inf), _spending_region),
                  Restriction(THETA, (0.0, math.inf))),
    references=("Harrison 1998",),
    notes=__doc__ or "",
)
