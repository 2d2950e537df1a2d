"""Bandwagoning: weak states align with the strong state that threatens them.

    dc_ij/dt += B_ij (1 - c_ij),   B_ij = lambda (b_ij T_ij / e_i + b_ji T_ji / e_j)
    b_ij = w_i z_ij,   w_i = min(1, [s_w / S_i - 1]+),   z_ij = [1 - S_i / S_j]+
    M_ij = ((1 - b_ij) T_ij / e_i + (1 - b_ji) T_ji / e_j) / 2          (Walt 1985)

A state bandwagons when it is weak (its power share S_i below s_w: weakness w_i, full at
half of s_w or less) and the state that threatens it is stronger than itself (strength
z_ij, the share of j's power that i's does not match: 0 between equals, near 1 when j
dwarfs i): two equally weak states do not bandwagon with each other, whatever they
threaten, and nobody bandwagons with a weaker state. Strength is relative to the
bandwagoner, not a second threshold: one share cannot say both who is too weak to balance
and who is strong enough to be joined, and a single threshold for both made the effect
vanish whenever the strong state stood near it. The pull is the
threat relative to the weak state's output, so it is the dangerous strong state that
attracts (Walt 1985: bandwagoning is alignment with the source of danger). For the same
reason a bandwagoner does not hold the strong state's threat against the alignment: the
mutual threat that erodes cohesion (alliances) counts its side only in proportion
1 - b_ij, an override of that quantity while this mechanism is on.

s_w has no estimate in the literature: Walt (1985) and Waltz (1979) say that weak states
bandwagon, not below which share. It is a modelling choice, documented as such, and the
robustness of the bandwagoning claims is measured over a range of it
(``Parameter.uncertain``).
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.alliances import MUTUAL_THREAT
from dynamics.model.mechanisms.richardson import COHESION, OUTPUT, SHARE, THREAT
from dynamics.model.parts import Context, Derived, Mechanism, Override, Parameter, Term, positive

__all__ = ["BANDWAGONING", "BANDWAGON_RATE", "BANDWAGON_SHARE", "WEAKNESS", "STRENGTH",
           "PROPENSITY", "PULL"]

BANDWAGON_RATE = Parameter(
    name="bandwagon_rate", symbol="lambda", kind="scalar", unit="1/yr", default=5.0,
    bounds=(0.0, math.inf),
    meaning="Rate at which a weak state aligns with the strong state that threatens it.",
    source="Walt 1985",
    plausible=(0.0, 100.0))
BANDWAGON_SHARE = Parameter(
    name="bandwagon_share", symbol="s_w", kind="scalar", unit="1", default=0.25, bounds=(1e-9, 1.0),
    meaning="Power share below which a state is weak enough to bandwagon with a stronger state "
    "that threatens it rather than balance. A modelling choice: the "
    "literature says that weak states bandwagon (Walt 1985), not below which share. The "
    "default is the middle of the range over which robustness studies vary it.",
    source="Walt 1985",
    plausible=(1e-3, 1.0), uncertain=(0.1, 0.4))


def _unit(x):
    """min(1, [x]+)."""
    return 1 - positive(1 - positive(x))


def weakness(ctx: Context, i):
    """w_i = min(1, [s_w / S_i - 1]+): how far i stands below the bandwagoning share."""
    return _unit(ctx.par(BANDWAGON_SHARE) / ctx.get(SHARE, i) - 1)


def strength(ctx: Context, i, j):
    """z_ij = [1 - S_i / S_j]+: how far j is stronger than i."""
    return positive(1 - ctx.get(SHARE, i) / ctx.get(SHARE, j))


def propensity(ctx: Context, i, j):
    """b_ij = w_i z_ij: how far i, weak, would bandwagon with j, stronger."""
    return ctx.get(WEAKNESS, i) * ctx.get(STRENGTH, i, j)


def pull(ctx: Context, i, j):
    """B_ij = lambda (b_ij T_ij / e_i + b_ji T_ji / e_j): the weak align with the strong
    that threaten them."""
    return ctx.par(BANDWAGON_RATE) * (
        ctx.get(PROPENSITY, i, j) * ctx.get(THREAT, i, j) / ctx.var(OUTPUT, i)
        + ctx.get(PROPENSITY, j, i) * ctx.get(THREAT, j, i) / ctx.var(OUTPUT, j))


def accepted_threat(ctx: Context, i, j):
    """M_ij = ((1 - b_ij) T_ij / e_i + (1 - b_ji) T_ji / e_j) / 2: a bandwagoner does not
    hold the threat of the strong state it aligns with against the alignment."""
    return ((1 - ctx.get(PROPENSITY, i, j)) * ctx.get(THREAT, i, j) / ctx.var(OUTPUT, i)
            + (1 - ctx.get(PROPENSITY, j, i)) * ctx.get(THREAT, j, i) / ctx.var(OUTPUT, j)) / 2


WEAKNESS = Derived("weakness", "w", "i", weakness, "weakness (bandwagoning)")
STRENGTH = Derived("strength", "z", "ij", strength, "strength of j relative to i")
PROPENSITY = Derived("propensity", "b", "ij", propensity, "propensity to bandwagon")
PULL = Derived("pull", "B", "ij", pull, "pull to bandwagon", unit="1/yr")

BANDWAGONING = Mechanism(
    name="bandwagoning",
    summary="Weak states align with the strong state that threatens them.",
    parameters=(BANDWAGON_RATE, BANDWAGON_SHARE),
    derived=(WEAKNESS, STRENGTH, PROPENSITY, PULL),
    terms=(Term("bandwagoning", COHESION,
                lambda ctx, i, j: ctx.get(PULL, i, j) * (1 - ctx.var(COHESION, i, j))),),
    overrides=(Override(MUTUAL_THREAT, accepted_threat),),
    requires=("alliances",),
    references=("Walt 1985",),
    notes=__doc__ or "",
)
