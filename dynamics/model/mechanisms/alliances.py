"""Alliances: external balancing and collective action. Off, cohesion is held at its
initial value.

    dc_ij/dt = mu Q_ij (1 - c_ij) - nu c_ij - xi c_ij (T_ij / e_i + T_ji / e_j) / 2
               - psi c_ij |beta_i - beta_j| / b_ij
    Q_ij = sum_k H(T_ik / e_i, T_jk / e_j)                  (Walt 1985; Sandler and Hartley 1999)

Cohesion grows with the threat that both partners face from third parties, decays by
itself (alliances are temporary), erodes with the threat the partners pose each other
(states ally against the source of threat, not with it: Walt 1985) and erodes when burdens
are shared unequally, the burden-sharing disputes of Sandler and Hartley (1999);
b_ij = (b_i + b_j)/2 is the pair's mean mobilisation ceiling. The mutual threat is the
actual one, T_ij = (1 - c_ij) P_ij: a close alliance has tamed the threat its members'
forces would otherwise pose, so the erosion is strongest for a loose alignment with a
dangerous partner, and vanishes for a full alliance (the mutual threat is M_ij, which
bandwagoning redefines for a bandwagoner). Olson and Zeckhauser's (1966) exploitation of
the great by the small is not a term here: it is a stable outcome of allied support A_i in
Richardson's equation (a small ally covered by a large one spends less), which the
free-riding scenario shows.

Departure from the reference design: the common threat uses the harmonic mean
``H(a, b) = 2ab/(a + b + epsilon)`` of the partners' threats relative to output instead of
the geometric mean ``sqrt(ab)``. Both vanish when either partner feels no threat and both
equal the common level when the two feel the same, but the harmonic mean has a bounded
derivative where one threat is zero (the geometric mean's is infinite). ``epsilon``
(``GUARD`` = 1e-12) keeps the ratio defined when both are zero.
"""

from __future__ import annotations

import math

import sympy as sp

from dynamics.model.mechanisms.ceiling import MOBILISATION_CEILING
from dynamics.model.mechanisms.richardson import BURDEN, COHESION, OUTPUT, THREAT
from dynamics.model.parts import EPSILON, Context, Derived, Mechanism, Parameter, Term, positive

__all__ = ["ALLIANCES", "ALLIANCE_FORMATION", "ALLIANCE_DECAY", "BURDEN_DISPUTE",
           "THREAT_EROSION", "COMMON_THREAT", "MUTUAL_THREAT"]

ALLIANCE_FORMATION = Parameter(
    name="alliance_formation", symbol="mu", kind="scalar", unit="1/yr", default=5.0,
    bounds=(0.0, math.inf),
    meaning="Rate at which cohesion grows with the common threat Q_ij that two states face from "
    "third parties (threat relative to output).", source="Walt 1985",
    plausible=(0.0, 100.0))
ALLIANCE_DECAY = Parameter(
    name="alliance_decay", symbol="nu", kind="scalar", unit="1/yr", default=0.05,
    bounds=(0.0, math.inf),
    meaning="Rate at which cohesion decays by itself: alliances are temporary.", source="Walt 1985",
    plausible=(0.0, 5.0))
THREAT_EROSION = Parameter(
    name="threat_erosion", symbol="xi", kind="scalar", unit="1/yr", default=5.0,
    bounds=(0.0, math.inf),
    meaning="Rate at which cohesion erodes with the threat the partners pose each other (relative "
    "to output): states ally against the source of threat, not with it. The default equals "
    "alliance_formation, so that a threat counts as much against aligning with its source "
    "as a common threat counts for aligning against it.", source="Walt 1985",
    plausible=(0.0, 100.0))
BURDEN_DISPUTE = Parameter(
    name="burden_dispute", symbol="psi", kind="scalar", unit="1/yr", default=0.5,
    bounds=(0.0, math.inf),
    meaning="Rate at which unequal burdens (relative to the pair's mean ceiling) erode cohesion: "
    "disputes over burden sharing. Not Olson and Zeckhauser's exploitation hypothesis, "
    "which is a stable outcome of the model (allied support lets the small spend less), "
    "not a parameter.", source="Sandler and Hartley 1999",
    plausible=(0.0, 10.0))


def common_threat(ctx: Context, i, j):
    """Q_ij = sum_k H(T_ik / e_i, T_jk / e_j): threat both partners face from third parties.

    H(a, b) = 2ab / (a + b + epsilon), of a, b clipped at 0 (they are non-negative in the
    domain; clipping keeps solver noise from zeroing the denominator); T_ii = 0 removes
    k = i and k = j from the sum.
    """
    def term(k):
        a = positive(ctx.get(THREAT, i, k) / ctx.var(OUTPUT, i))
        b = positive(ctx.get(THREAT, j, k) / ctx.var(OUTPUT, j))
        return 2 * a * b / (a + b + EPSILON)
    return ctx.total(term, "k")


COMMON_THREAT = Derived("common_threat", "Q", "ij", common_threat,
                        "common threat of i and j")


def formation(ctx: Context, i, j):
    """mu Q_ij (1 - c_ij): cohesion grows with the common threat."""
    return ctx.par(ALLIANCE_FORMATION) * ctx.get(COMMON_THREAT, i, j) * (
        1 - ctx.var(COHESION, i, j))


def decay(ctx: Context, i, j):
    """-nu c_ij: alliances are temporary."""
    return -ctx.par(ALLIANCE_DECAY) * ctx.var(COHESION, i, j)


def mutual_threat(ctx: Context, i, j):
    """M_ij = (T_ij / e_i + T_ji / e_j) / 2: the threat the partners pose each other,
    each relative to the output of the one threatened."""
    return (ctx.get(THREAT, i, j) / ctx.var(OUTPUT, i)
            + ctx.get(THREAT, j, i) / ctx.var(OUTPUT, j)) / 2


MUTUAL_THREAT = Derived("mutual_threat", "M", "ij", mutual_threat,
                        "threat the partners pose each other")


def erosion(ctx: Context, i, j):
    """-xi c_ij M_ij: states do not stay allied with the source of their threat."""
    return -ctx.par(THREAT_EROSION) * ctx.var(COHESION, i, j) * ctx.get(MUTUAL_THREAT, i, j)


def burden_dispute(ctx: Context, i, j):
    """-psi c_ij |beta_i - beta_j| / b_ij: unequal burdens erode cohesion."""
    mean_ceiling = (ctx.par(MOBILISATION_CEILING, i) + ctx.par(MOBILISATION_CEILING, j)) / 2
    return (-ctx.par(BURDEN_DISPUTE) * ctx.var(COHESION, i, j)
            * sp.Abs(ctx.get(BURDEN, i) - ctx.get(BURDEN, j)) / mean_ceiling)


ALLIANCES = Mechanism(
    name="alliances",
    summary="Cohesion grows with common threat, decays by itself, and erodes with the "
            "threat the partners pose each other and under unequal burdens (external "
            "balancing; free-riding); off, cohesion is held at its initial value.",
    parameters=(ALLIANCE_FORMATION, ALLIANCE_DECAY, THREAT_EROSION, BURDEN_DISPUTE),
    variables=(COHESION,),
    derived=(COMMON_THREAT, MUTUAL_THREAT),
    terms=(Term("formation", COHESION, formation), Term("decay", COHESION, decay),
           Term("mutual threat", COHESION, erosion),
           Term("burden dispute", COHESION, burden_dispute)),
    references=("Walt 1985", "Sandler and Hartley 1999", "Olson and Zeckhauser 1966"),
    notes=__doc__ or "",
)
