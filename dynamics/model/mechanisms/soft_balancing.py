"""Soft balancing: non-military effort against a state whose share exceeds the hegemony
threshold s*, in proportion to the offensive intentions others see in it; it constrains
what that state can do more than what it has.

    dv_i/dt = (sigma_i sum_j (1 - c_ij) [S_j - s*]+ pi_j - v_i) / tau_v  (Pape 2005; Paul 2005)
    V_j = [S_j - s*]+ / (1 - s*) sum_i (1 - c_ij) v_i
    L_j = 1 / (1 + chi_c V_j)              (freedom of action: coercion's gains F_jk -> L_j F_jk)
    dm_j/dt -= alpha_j chi V_j m_j         (fatigue alpha_j -> alpha_j (1 + chi V_j))
    de_j/dt -= zeta V_j e_j

Pape (2005) and Paul (2005) tie soft balancing to what the unipole does, not only to what
it has: a benign unipole is not soft-balanced, its unilateralism (the Iraq war of 2003)
provokes it. The effort against j is therefore weighted by pi_j, the offensive intentions
others read into j: the static reading o_j + (1 - D)(1 - o_j) of its posture, or, where
the intentions mechanism is on, the intentions they perceive from its posture, arming,
unilateral acts and coercion. Soft balancing acts on three things: the unipole's freedom
of action (the gains it can extract by coercion are divided by 1 + chi_c V_j: institutions
and coalitions that "delay, frustrate and undermine" its unilateral acts), the cost of its
arms (fatigue) and its growth (economic arrangements that exclude it). The seed's claim
that it constrains the major power without changing the balance of power much is a result
to measure, not an assumption: `post-cold-war` measures it.

Soft balancing is aimed at a unipole: its pressure vanishes where the share falls to s*
(the target [S_j - s*]+ and the factor [S_j - s*]+ of the pressure), so that by itself it
cannot bring a share below s*; effort already built decays with the delay tau_v.
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.coercion import LATITUDE
from dynamics.model.mechanisms.richardson import (
    COHESION,
    FATIGUE,
    INTENT,
    OUTPUT,
    SHARE,
    SPENDING,
)
from dynamics.model.parts import (
    Context,
    Derived,
    Mechanism,
    Override,
    Parameter,
    Term,
    Variable,
    positive,
)

__all__ = ["SOFT_BALANCING", "EFFORT", "HEGEMONY_SHARE", "SOFT_PROPENSITY", "SOFT_DELAY",
           "SOFT_DRAG", "SOFT_COST", "SOFT_CONSTRAINT", "EXCESS", "PRESSURE"]

HEGEMONY_SHARE = Parameter(
    name="hegemony_share", symbol="s^*", kind="scalar", unit="1", default=0.5, bounds=(0.0, 0.999),
    meaning="Power share above which a state counts as a unipole (hegemon). A modelling choice, "
    "not an estimate: a majority of the system's composite capabilities. Modelski's 50 % "
    "criterion concerns a world power's share of sea power, not a composite index, and "
    "Wohlforth (1999) calls the post-1991 United States a unipole on a lower composite "
    "share; results that depend on s* should be reported over a range of it.",
    source="Wohlforth 1999",
    plausible=(0.05, 0.95), uncertain=(0.4, 0.6))
SOFT_PROPENSITY = Parameter(
    name="soft_propensity", symbol="sigma", kind="state", unit="1", default=1.0,
    bounds=(0.0, math.inf),
    meaning="Propensity of a state to build soft-balancing effort (diplomacy, institutions, "
    "exclusive economic arrangements) against a hegemon.", source="Pape 2005",
    plausible=(0.0, 10.0))
SOFT_DELAY = Parameter(
    name="soft_delay", symbol="tau_v", kind="scalar", unit="yr", default=2.0,
    bounds=(1e-9, math.inf),
    meaning="Delay with which soft-balancing effort is built or dismantled.", source="Paul 2005",
    plausible=(1e-3, 50.0))
SOFT_DRAG = Parameter(
    name="soft_drag", symbol="zeta", kind="scalar", unit="1/yr", default=0.05,
    bounds=(0.0, math.inf),
    meaning="Growth lost per year by the hegemon per unit of soft-balancing pressure V (economic "
    "arrangements that exclude it).", source="Pape 2005",
    plausible=(0.0, 1.0))
SOFT_COST = Parameter(
    name="soft_cost", symbol="chi", kind="scalar", unit="1", default=1.0, bounds=(0.0, math.inf),
    meaning="Rise of the hegemon's fatigue per unit of soft-balancing pressure: soft balancing "
    "raises the cost of using and keeping arms, alpha -> alpha (1 + chi V).", source="Paul 2005",
    plausible=(0.0, 20.0))

SOFT_CONSTRAINT = Parameter(
    name="soft_constraint", symbol="chi_c", kind="scalar", unit="1", default=5.0,
    bounds=(0.0, math.inf),
    meaning="How far soft-balancing pressure constrains a unipole's freedom of action: the "
            "gains it extracts by coercion are divided by 1 + chi_c V (institutions, "
            "diplomatic coalitions and denial of territory that delay, frustrate and "
            "undermine its unilateral acts).",
    source="Pape 2005", plausible=(0.0, 50.0))

EFFORT = Variable("v", "v", "soft-balancing effort", "1", default=0.0,
                  domain=(0.0, math.inf), region=lambda view, i: (0.0, 1.0))


def excess_share(ctx: Context, i):
    """X_i = [S_i - s*]+: how far i is above the hegemony threshold."""
    return positive(ctx.get(SHARE, i) - ctx.par(HEGEMONY_SHARE))


def pressure(ctx: Context, i):
    """V_i = X_i / (1 - s*) sum_j (1 - c_ij) v_j: soft balancing against i (Pape 2005)."""
    return ctx.get(EXCESS, i) / (1 - ctx.par(HEGEMONY_SHARE)) * ctx.total(
        lambda j: (1 - ctx.var(COHESION, i, j)) * ctx.var(EFFORT, j), "j")


EXCESS = Derived("excess_share", "X", "i", excess_share, "excess share over s*")
PRESSURE = Derived("pressure", "V", "i", pressure, "soft-balancing pressure")


def effort_rate(ctx: Context, i):
    """(sigma_i sum_j (1 - c_ij) X_j pi_j - v_i) / tau_v: effort follows its target, the
    excess share of every state above s* weighted by the intentions i reads into it."""
    target = ctx.par(SOFT_PROPENSITY, i) * ctx.total(
        lambda j: (1 - ctx.var(COHESION, i, j)) * ctx.get(EXCESS, j) * ctx.get(INTENT, j), "j")
    return (target - ctx.var(EFFORT, i)) / ctx.par(SOFT_DELAY)


def freedom(ctx: Context, i):
    """L_i = 1 / (1 + chi_c V_i): soft balancing constrains i's freedom of action."""
    return 1 / (1 + ctx.par(SOFT_CONSTRAINT) * ctx.get(PRESSURE, i))


SOFT_BALANCING = Mechanism(
    name="soft_balancing",
    summary="Non-military effort against a state whose share exceeds the hegemony threshold, "
            "in proportion to the intentions others see in it, constrains its coercion, "
            "raises the cost of its arms and slows its growth.",
    parameters=(HEGEMONY_SHARE, SOFT_PROPENSITY, SOFT_DELAY, SOFT_DRAG, SOFT_COST,
                SOFT_CONSTRAINT),
    variables=(EFFORT,),
    derived=(EXCESS, PRESSURE),
    terms=(Term("effort", EFFORT, effort_rate),
           Term("drag on growth", OUTPUT,
                lambda ctx, i: -ctx.par(SOFT_DRAG) * ctx.get(PRESSURE, i) * ctx.var(OUTPUT, i)),
           Term("cost of arms", SPENDING,
                lambda ctx, i: -ctx.par(FATIGUE, i) * ctx.par(SOFT_COST) * ctx.get(PRESSURE, i)
                * ctx.var(SPENDING, i), role="loss")),
    overrides=(Override(LATITUDE, freedom),),
    references=("Pape 2005", "Paul 2005", "Wohlforth 1999"),
    notes=__doc__ or "",
)
