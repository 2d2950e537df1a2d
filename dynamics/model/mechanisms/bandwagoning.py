"""Bandwagoning: weak states align with the state that threatens them.

    dc_ij/dt += B_ij (1 - c_ij),   B_ij = lambda (w_i T_ij / e_i + w_j T_ji / e_j),
    w_i = [1 - S_i / s_w]+                                              (Walt 1985)
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.richardson import COHESION, OUTPUT, SHARE, THREAT
from dynamics.model.parts import Context, Derived, Mechanism, Parameter, Term, positive

__all__ = ["BANDWAGONING", "BANDWAGON_RATE", "BANDWAGON_SHARE", "WEAKNESS", "PULL"]

BANDWAGON_RATE = Parameter(
    "bandwagon_rate", "lambda", "scalar", "1/yr", 5.0, (0.0, math.inf),
    "Rate at which a weak state aligns with the state that threatens it.", "Walt 1985",
    plausible=(0.0, 100.0))
BANDWAGON_SHARE = Parameter(
    "bandwagon_share", "s_w", "scalar", "1", 0.1, (1e-9, 1.0),
    "Power share below which a state is weak enough to bandwagon rather than balance.",
    "Walt 1985",
    plausible=(1e-3, 1.0))


def weakness(ctx: Context, i):
    """w_i = [1 - S_i / s_w]+: how weak i is relative to the bandwagoning share."""
    return positive(1 - ctx.get(SHARE, i) / ctx.par(BANDWAGON_SHARE))


def pull(ctx: Context, i, j):
    """B_ij = lambda (w_i T_ij / e_i + w_j T_ji / e_j): the weak align with who threatens them."""
    return ctx.par(BANDWAGON_RATE) * (
        ctx.get(WEAKNESS, i) * ctx.get(THREAT, i, j) / ctx.var(OUTPUT, i)
        + ctx.get(WEAKNESS, j) * ctx.get(THREAT, j, i) / ctx.var(OUTPUT, j))


WEAKNESS = Derived("weakness", "w", "i", weakness, "weakness (bandwagoning)")
PULL = Derived("pull", "B", "ij", pull, "pull to bandwagon", unit="1/yr")

BANDWAGONING = Mechanism(
    name="bandwagoning",
    summary="Weak states align with the state that threatens them.",
    parameters=(BANDWAGON_RATE, BANDWAGON_SHARE),
    derived=(WEAKNESS, PULL),
    terms=(Term("bandwagoning", COHESION,
                lambda ctx, i, j: ctx.get(PULL, i, j) * (1 - ctx.var(COHESION, i, j))),),
    requires=("alliances",),
    references=("Walt 1985",),
    notes=__doc__ or "",
)
