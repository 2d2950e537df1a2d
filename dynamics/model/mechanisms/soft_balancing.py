"""Soft balancing: non-military effort against a state whose share exceeds the hegemony
threshold s* slows its growth and raises the cost of its arms.

    dv_i/dt = (sigma_i sum_j (1 - c_ij) [S_j - s*]+ - v_i) / tau_v       (Pape 2005; Paul 2005)
    V_j = [S_j - s*]+ / (1 - s*) sum_i (1 - c_ij) v_i
    dm_j/dt -= alpha_j chi V_j m_j         (fatigue alpha_j -> alpha_j (1 + chi V_j))
    de_j/dt -= zeta V_j e_j
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.richardson import COHESION, FATIGUE, OUTPUT, SHARE, SPENDING
from dynamics.model.parts import Context, Derived, Mechanism, Parameter, Term, Variable, positive

__all__ = ["SOFT_BALANCING", "EFFORT", "HEGEMONY_SHARE", "SOFT_PROPENSITY", "SOFT_DELAY",
           "SOFT_DRAG", "SOFT_COST", "EXCESS", "PRESSURE"]

HEGEMONY_SHARE = Parameter(
    "hegemony_share", "s^*", "scalar", "1", 0.5, (0.0, 0.999),
    "Power share above which a state counts as a unipole (hegemon). A modelling choice, not "
    "an estimate: a majority of the system's composite capabilities. Modelski's 50 % "
    "criterion concerns a world power's share of sea power, not a composite index, and "
    "Wohlforth (1999) calls the post-1991 United States a unipole on a lower composite "
    "share; results that depend on s* should be reported over a range of it.",
    "Wohlforth 1999",
    plausible=(0.05, 0.95), uncertain=(0.4, 0.6))
SOFT_PROPENSITY = Parameter(
    "soft_propensity", "sigma", "state", "1", 1.0, (0.0, math.inf),
    "Propensity of a state to build soft-balancing effort (diplomacy, institutions, "
    "exclusive economic arrangements) against a hegemon.", "Pape 2005",
    plausible=(0.0, 10.0))
SOFT_DELAY = Parameter(
    "soft_delay", "tau_v", "scalar", "yr", 2.0, (1e-9, math.inf),
    "Delay with which soft-balancing effort is built or dismantled.", "Paul 2005",
    plausible=(1e-3, 50.0))
SOFT_DRAG = Parameter(
    "soft_drag", "zeta", "scalar", "1/yr", 0.05, (0.0, math.inf),
    "Growth lost per year by the hegemon per unit of soft-balancing pressure V (economic "
    "arrangements that exclude it).", "Pape 2005",
    plausible=(0.0, 1.0))
SOFT_COST = Parameter(
    "soft_cost", "chi", "scalar", "1", 1.0, (0.0, math.inf),
    "Rise of the hegemon's fatigue per unit of soft-balancing pressure: soft balancing "
    "raises the cost of using and keeping arms, alpha -> alpha (1 + chi V).", "Paul 2005",
    plausible=(0.0, 20.0))

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
    """(sigma_i sum_j (1 - c_ij) X_j - v_i) / tau_v: effort follows its target."""
    target = ctx.par(SOFT_PROPENSITY, i) * ctx.total(
        lambda j: (1 - ctx.var(COHESION, i, j)) * ctx.get(EXCESS, j), "j")
    return (target - ctx.var(EFFORT, i)) / ctx.par(SOFT_DELAY)


SOFT_BALANCING = Mechanism(
    name="soft_balancing",
    summary="Non-military effort against a state whose share exceeds the hegemony threshold "
            "slows its growth and raises the cost of its arms.",
    parameters=(HEGEMONY_SHARE, SOFT_PROPENSITY, SOFT_DELAY, SOFT_DRAG, SOFT_COST),
    variables=(EFFORT,),
    derived=(EXCESS, PRESSURE),
    terms=(Term("effort", EFFORT, effort_rate),
           Term("drag on growth", OUTPUT,
                lambda ctx, i: -ctx.par(SOFT_DRAG) * ctx.get(PRESSURE, i) * ctx.var(OUTPUT, i)),
           Term("cost of arms", SPENDING,
                lambda ctx, i: -ctx.par(FATIGUE, i) * ctx.par(SOFT_COST) * ctx.get(PRESSURE, i)
                * ctx.var(SPENDING, i), role="loss")),
    references=("Pape 2005", "Paul 2005", "Wohlforth 1999"),
    notes=__doc__ or "",
)
