"""Spoils: a bandwagoner shares in what its strong partner extracts from third parties,
the strong partner taking the larger part, and the prospect of spoils draws it to the
partner and away from the victims ("bandwagoning for profit").

    de_i/dt += sum_j (Y_ij - Y_ji)
    Y_ij = c_ij gamma_ij,   gamma_ij = sigma_x b_ij (sum_k F_jk - F_ji) / n_j,
    n_j = 1 + sigma_x sum_l a_lj,   a_ij = c_ij b_ij                       (Schweller 1994)
    dc_ij/dt += lambda_x (gamma_ij / e_i + gamma_ji / e_j) (1 - c_ij)
                - lambda_x c_ij (delta_ij / e_i + delta_ji / e_j)
    delta_ij = sum_l sigma_x b_il F_lj / n_l

Y_ij is the part of j's extraction that goes to i: a_ij is how far i is j's bandwagoning
ally (cohesion c_ij times the propensity b_ij of weak i toward strong j, from the
bandwagoning mechanism), and the spoils of j's extraction from everyone but i are divided
with weight 1 for j and sigma_x a_lj for each bandwagoner l. With sigma_x <= 1 the strong
partner's part, 1 / (1 + sigma_x sum_l a_lj), is never smaller than any bandwagoner's, as
the seed's definition of bandwagoning has it: the bandwagoner "concedes that the stronger
adversary-turned-partner disproportionately gains in the spoils they conquer together".
The transfer moves output between partners, so the sum of outputs is that of coercion
alone.

Gain is a motive, not only a payment. gamma_ij is what i would receive from j's
extraction were it fully aligned with j (Y_ij at c_ij = 1): the expected spoils of the
alignment. Relative to i's own output, they pull i toward j at the rate lambda_x, as a
threat relative to output pulls a weak state toward its source (bandwagoning's B_ij).
delta_ij is what i expects from the exploitation of j by the partners i would share with:
a stake in j's losses, which erodes i's cohesion with j at the same rate (a jackal does not
stay allied with its prey). Schweller (1994) argues that states bandwagon for profit as
often as for safety (jackals joining a revisionist to share in its gains); sigma_x and
lambda_x have no estimate and are modelling choices, varied by robustness studies over
their uncertain ranges.
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.bandwagoning import PROPENSITY
from dynamics.model.mechanisms.coercion import EXTRACTION
from dynamics.model.mechanisms.richardson import COHESION, OUTPUT
from dynamics.model.parts import Context, Derived, Mechanism, Parameter, Term

__all__ = ["SPOILS", "SPOILS_SHARE", "SPOILS_PULL", "PARTNERSHIP", "CLAIMANTS",
           "EXPECTED_SPOILS", "DESIGNS", "SPOILS_PART"]

SPOILS_SHARE = Parameter(
    name="spoils_share", symbol="sigma_x", kind="scalar", unit="1", default=0.5, bounds=(0.0, 1.0),
    meaning="Weight of a bandwagoner's claim on its strong partner's spoils, relative to the "
    "partner's own weight of 1: a bandwagoner fully aligned with a fully strong partner "
    "receives sigma_x / (1 + sigma_x) of what the partner extracts from third parties. Up to 1, "
    "the strong partner takes the larger part (the validity domain of that reading). A "
    "modelling choice: Schweller (1994) gives no number.", source="Schweller 1994",
    uncertain=(0.1, 1.0))


SPOILS_PULL = Parameter(
    name="spoils_pull", symbol="lambda_x", kind="scalar", unit="1", default=20.0,
    bounds=(0.0, math.inf),
    meaning="How strongly expected spoils pull a weak state toward a strong partner that "
            "extracts them, and away from the partner's victims: cohesion gained per year "
            "per unit of expected spoils per year relative to one's own output. A modelling "
            "choice: Schweller (1994) gives no number.",
    source="Schweller 1994", plausible=(0.0, 200.0), uncertain=(5.0, 50.0))


def partnership(ctx: Context, i, j):
    """a_ij = c_ij b_ij: how far i is j's bandwagoning ally."""
    return ctx.var(COHESION, i, j) * ctx.get(PROPENSITY, i, j)


PARTNERSHIP = Derived("partnership", "a", "ij", partnership, "bandwagoning partnership")


def claimants(ctx: Context, j):
    """n_j = 1 + sigma_x sum_l a_lj: the claims on j's spoils, j's own weighing 1."""
    return 1 + ctx.par(SPOILS_SHARE) * ctx.total(lambda n: ctx.get(PARTNERSHIP, n, j), "l")


CLAIMANTS = Derived("claimants", "n", "j", claimants, "claims on j's spoils")


def expected_spoils(ctx: Context, i, j):
    """gamma_ij = sigma_x b_ij (sum_k F_jk - F_ji) / n_j: what i would receive from j's
    extraction from third parties, fully aligned with j."""
    taken = ctx.total(lambda k: ctx.get(EXTRACTION, j, k), "k") - ctx.get(EXTRACTION, j, i)
    return ctx.par(SPOILS_SHARE) * ctx.get(PROPENSITY, i, j) * taken / ctx.get(CLAIMANTS, j)


EXPECTED_SPOILS = Derived("expected_spoils", "gamma", "ij", expected_spoils,
                          "spoils i expects from aligning with j", unit="[m]/yr")


def designs(ctx: Context, i, j):
    """delta_ij = sum_l sigma_x b_il F_lj / n_l: what i expects from j's exploitation by
    the strong partners it would share with."""
    return ctx.par(SPOILS_SHARE) * ctx.total(
        lambda n: ctx.get(PROPENSITY, i, n) * ctx.get(EXTRACTION, n, j) / ctx.get(CLAIMANTS, n),
        "l")


DESIGNS = Derived("designs", "delta", "ij", designs, "spoils i expects from j's losses",
                  unit="[m]/yr")


def spoils_part(ctx: Context, i, j):
    """Y_ij = c_ij gamma_ij: the part of j's extraction from third parties that goes to i."""
    return ctx.var(COHESION, i, j) * ctx.get(EXPECTED_SPOILS, i, j)


SPOILS_PART = Derived("spoils_part", "Y", "ij", spoils_part,
                      "part of j's spoils that goes to i", unit="[m]/yr")


def profit(ctx: Context, i, j):
    """lambda_x (gamma_ij / e_i + gamma_ji / e_j)(1 - c_ij): expected spoils pull."""
    return ctx.par(SPOILS_PULL) * (
        ctx.get(EXPECTED_SPOILS, i, j) / ctx.var(OUTPUT, i)
        + ctx.get(EXPECTED_SPOILS, j, i) / ctx.var(OUTPUT, j)) * (1 - ctx.var(COHESION, i, j))


def prey(ctx: Context, i, j):
    """-lambda_x c_ij (delta_ij / e_i + delta_ji / e_j): no alliance with one's prey."""
    return -ctx.par(SPOILS_PULL) * ctx.var(COHESION, i, j) * (
        ctx.get(DESIGNS, i, j) / ctx.var(OUTPUT, i) + ctx.get(DESIGNS, j, i) / ctx.var(OUTPUT, j))

SPOILS = Mechanism(
    name="spoils",
    summary="A bandwagoner shares in its strong partner's extraction from third parties, the "
            "partner taking the larger part, and expected spoils draw it to the partner and "
            "away from the victims (bandwagoning for profit).",
    parameters=(SPOILS_SHARE, SPOILS_PULL),
    derived=(PARTNERSHIP, CLAIMANTS, EXPECTED_SPOILS, DESIGNS, SPOILS_PART),
    terms=(Term("spoils", OUTPUT, lambda ctx, i: ctx.total(
        lambda j: ctx.get(SPOILS_PART, i, j) - ctx.get(SPOILS_PART, j, i), "j")),
           Term("profit", COHESION, profit), Term("prey", COHESION, prey)),
    requires=("coercion", "bandwagoning"),
    references=("Schweller 1994",),
    notes=__doc__ or "",
)
