"""Coercion: a state with offensive intent extracts output from a weaker, unallied target
in proportion to its projected military advantage (what balancing exists to prevent).

    de_i/dt += sum_j (F_ij - F_ji)
    F_ij = rho o_i L_i e_j (1 - c_ij) [omega_o W_ji m_i - m_j - A_j]+
           / (omega_o W_ji m_i + m_j + A_j + phi e_j + eps)                 (Gilpin 1981)

W_ji is the share of i's force that can be brought to bear on j (the proximity of i to j,
seen from j), so i projects W_ji m_i onto j: extraction follows reach. Both forces are
clipped at 0 (the identity in the domain), so solver noise around m = 0 can neither zero
the denominator nor push the ratio above 1.

The offence-defence balance omega_o (Jervis 1978) scales what the attacker's projected
force achieves against the defence: where offence has the advantage (omega_o > 1) a force
smaller than the defender's can still coerce, and where defence has it (omega_o < 1) the
attacker needs a superiority of 1/omega_o (the soldier's "three to one" is omega_o = 1/3).
So offence dominance raises the payoff of aggression, not only the fear of it (which the
same omega_o scales in the hostility h_j). Glaser and Kaufmann (1998) define the balance
as this ratio of the cost of the forces an attacker needs to those of the defender.

L_i is i's freedom of action, 1 unless a mechanism constrains it (soft balancing:
``L_i = 1 / (1 + chi_c V_i)``). Where the intentions mechanism is on, coercion is an act
that others read: each year in which i extracts a share f of its victims' output raises
the intentions they perceive in it by f of the distance to 1 (the term ``acts reveal
intent`` on pi_i).

phi = 1e-6 (``FORCE_FLOOR``) is the force, as a share of the target's output, below which
an advantage counts in absolute rather than relative terms: extraction is the ratio of
the two forces where they are well above a millionth of the target's output, and falls
to 0 with them below it. Without it (a bare numerical guard of 1e-12 in its place) two
forces that have both decayed to the solver's noise, 1e-10 against 1e-11 say, gave full
extraction, so that the target's output followed that noise: different solvers gave
different outputs on the same parameters, and LSODA spent its whole step budget (the
case is kept in tests/test_invariants.py). Its effect elsewhere is at most
phi e_j / (W_ji m_i + m_j + A_j) of the extraction: 10^-4 of it where the forces come to
1% of the target's output.
"""

from __future__ import annotations

import math

import sympy as sp

from dynamics.model.mechanisms.intentions import PERCEIVED_INTENT
from dynamics.model.mechanisms.richardson import (
    COHESION,
    OFFENCE,
    OFFENCE_DEFENCE,
    OUTPUT,
    PROXIMITY,
    SPENDING,
    SUPPORT,
)
from dynamics.model.parts import EPSILON, Context, Derived, Mechanism, Parameter, Term, positive

__all__ = ["COERCION", "COERCION_RATE", "EXTRACTION", "FORCE_FLOOR", "LATITUDE", "TAKEN"]

#: phi: the force, as a share of the target's output, below which a military advantage
#: counts in absolute terms (the ratio of two vanishing forces is the solver's noise)
FORCE_FLOOR = 1e-6

COERCION_RATE = Parameter(
    name="coercion", symbol="rho", kind="scalar", unit="1/yr", default=0.05, bounds=(0.0, math.inf),
    meaning="Rate at which a state with offensive intent extracts a weaker, unallied target's "
    "output in proportion to its projected military advantage.", source="Gilpin 1981",
    plausible=(0.0, 1.0))


def latitude(ctx: Context, i):  # noqa: ARG001
    """L_i = 1: i's freedom of action, unless a mechanism (soft balancing) constrains it."""
    return sp.Integer(1)


LATITUDE = Derived("latitude", "L", "i", latitude, "freedom of action", inline=True)


def extraction(ctx: Context, i, j):
    """F_ij: output that i extracts from j by its projected military advantage, its
    force counting omega_o times against the defence (the offence-defence balance)."""
    projected = positive(ctx.par(OFFENCE_DEFENCE) * ctx.par(PROXIMITY, j, i)
                         * ctx.var(SPENDING, i))
    defence = positive(ctx.var(SPENDING, j) + ctx.get(SUPPORT, j))
    return (ctx.par(COERCION_RATE) * ctx.par(OFFENCE, i) * ctx.get(LATITUDE, i)
            * ctx.var(OUTPUT, j) * (1 - ctx.var(COHESION, i, j)) * positive(projected - defence)
            / (projected + defence + FORCE_FLOOR * ctx.var(OUTPUT, j) + EPSILON))


EXTRACTION = Derived("extraction", "F", "ij", extraction, "output extracted by i from j",
                     unit="[m]/yr")


def taken(ctx: Context, i):
    """sum_j F_ij: what i extracts from all others per year (its gains from coercion)."""
    return ctx.total(lambda j: ctx.get(EXTRACTION, i, j), "j")


TAKEN = Derived("taken", "F", "i", taken, "output extracted by i from all others",
                unit="[m]/yr", report="taken", inline=True)


def revealed(ctx: Context, i):
    """(1 - pi_i) sum_j F_ij / e_j: coercion raises the intentions others perceive in i by
    the share of its victims' output it takes each year, of the distance to 1."""
    return (1 - ctx.var(PERCEIVED_INTENT, i)) * ctx.total(
        lambda j: ctx.get(EXTRACTION, i, j) / ctx.var(OUTPUT, j), "j")

COERCION = Mechanism(
    name="coercion",
    summary="A state with offensive intent extracts output from a weaker, unallied target "
            "in proportion to its projected military advantage.",
    parameters=(COERCION_RATE,),
    derived=(LATITUDE, EXTRACTION, TAKEN),
    terms=(Term("net extraction", OUTPUT, lambda ctx, i: ctx.total(
        lambda j: ctx.get(EXTRACTION, i, j) - ctx.get(EXTRACTION, j, i), "j")),
           Term("acts reveal intent", PERCEIVED_INTENT, revealed)),
    requires=("economy",),
    references=("Gilpin 1981", "Jervis 1978", "Glaser and Kaufmann 1998"),
    notes=__doc__ or "",
)
