"""Coercion: a state with offensive intent extracts output from a weaker, unallied target
in proportion to its projected military advantage (what balancing exists to prevent).

    de_i/dt += sum_j (F_ij - F_ji)
    F_ij = rho o_i e_j (1 - c_ij) [W_ji m_i - m_j - A_j]+ / (W_ji m_i + m_j + A_j + phi e_j + eps)
                                                                        (Gilpin 1981)

W_ji is the share of i's force that can be brought to bear on j (the proximity of i to j,
seen from j), so i projects W_ji m_i onto j: extraction follows reach. (An earlier version
used W_ij, the reach of j's forces onto i, which reversed the direction.) Both forces are
clipped at 0 (the identity in the domain), so solver noise around m = 0 can neither zero
the denominator nor push the ratio above 1.

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

from dynamics.model.mechanisms.richardson import (
    COHESION,
    OFFENCE,
    OUTPUT,
    PROXIMITY,
    SPENDING,
    SUPPORT,
)
from dynamics.model.parts import EPSILON, Context, Derived, Mechanism, Parameter, Term, positive

__all__ = ["COERCION", "COERCION_RATE", "EXTRACTION", "FORCE_FLOOR"]

#: phi: the force, as a share of the target's output, below which a military advantage
#: counts in absolute terms (the ratio of two vanishing forces is the solver's noise)
FORCE_FLOOR = 1e-6

COERCION_RATE = Parameter(
    "coercion", "rho", "scalar", "1/yr", 0.05, (0.0, math.inf),
    "Rate at which a state with offensive intent extracts a weaker, unallied target's "
    "output in proportion to its projected military advantage.", "Gilpin 1981",
    plausible=(0.0, 1.0))


def extraction(ctx: Context, i, j):
    """F_ij: output that i extracts from j by its projected military advantage."""
    projected = positive(ctx.par(PROXIMITY, j, i) * ctx.var(SPENDING, i))
    defence = positive(ctx.var(SPENDING, j) + ctx.get(SUPPORT, j))
    return (ctx.par(COERCION_RATE) * ctx.par(OFFENCE, i) * ctx.var(OUTPUT, j)
            * (1 - ctx.var(COHESION, i, j)) * positive(projected - defence)
            / (projected + defence + FORCE_FLOOR * ctx.var(OUTPUT, j) + EPSILON))


EXTRACTION = Derived("extraction", "F", "ij", extraction, "output extracted by i from j",
                     unit="[m]/yr")

COERCION = Mechanism(
    name="coercion",
    summary="A state with offensive intent extracts output from a weaker, unallied target "
            "in proportion to its projected military advantage.",
    parameters=(COERCION_RATE,),
    derived=(EXTRACTION,),
    terms=(Term("net extraction", OUTPUT, lambda ctx, i: ctx.total(
        lambda j: ctx.get(EXTRACTION, i, j) - ctx.get(EXTRACTION, j, i), "j")),),
    requires=("economy",),
    references=("Gilpin 1981",),
    notes=__doc__ or "",
)
