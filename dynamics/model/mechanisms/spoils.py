"""Spoils: a bandwagoner shares in what its strong partner extracts from third parties,
the strong partner taking the larger part ("bandwagoning for profit").

    de_i/dt += sum_j (Y_ij - Y_ji)
    Y_ij = sigma_x a_ij / (1 + sigma_x sum_l a_lj) (sum_k F_jk - F_ji),   a_ij = c_ij b_ij
                                                                     (Schweller 1994)

Y_ij is the part of j's extraction that goes to i: a_ij is how far i is j's bandwagoning
ally (cohesion c_ij times the propensity b_ij of weak i toward strong j, from the
bandwagoning mechanism), and the spoils of j's extraction from everyone but i are divided
with weight 1 for j and sigma_x a_lj for each bandwagoner l. With sigma_x <= 1 the strong
partner's part, 1 / (1 + sigma_x sum_l a_lj), is never smaller than any bandwagoner's, as
the seed's definition of bandwagoning has it: the bandwagoner "concedes that the stronger
adversary-turned-partner disproportionately gains in the spoils they conquer together".
The transfer moves output between partners, so the sum of outputs is that of coercion
alone.

Schweller (1994) argues that states bandwagon for profit as often as for safety (jackals
joining a revisionist to share in its gains); sigma_x has no estimate and is a modelling
choice, varied by robustness studies over its uncertain range.
"""

from __future__ import annotations

from dynamics.model.mechanisms.bandwagoning import PROPENSITY
from dynamics.model.mechanisms.coercion import EXTRACTION
from dynamics.model.mechanisms.richardson import COHESION, OUTPUT
from dynamics.model.parts import Context, Derived, Mechanism, Parameter, Term

__all__ = ["SPOILS", "SPOILS_SHARE", "PARTNERSHIP", "SPOILS_PART"]

SPOILS_SHARE = Parameter(
    "spoils_share", "sigma_x", "scalar", "1", 0.5, (0.0, 1.0),
    "Weight of a bandwagoner's claim on its strong partner's spoils, relative to the "
    "partner's own weight of 1: a bandwagoner fully aligned with a fully strong partner "
    "receives sigma_x / (1 + sigma_x) of what the partner extracts from third parties. Up to 1, "
    "the strong partner takes the larger part (the validity domain of that reading). A "
    "modelling choice: Schweller (1994) gives no number.", "Schweller 1994",
    uncertain=(0.1, 1.0))


def partnership(ctx: Context, i, j):
    """a_ij = c_ij b_ij: how far i is j's bandwagoning ally."""
    return ctx.var(COHESION, i, j) * ctx.get(PROPENSITY, i, j)


PARTNERSHIP = Derived("partnership", "a", "ij", partnership, "bandwagoning partnership")


def spoils_part(ctx: Context, i, j):
    """Y_ij: the part of j's extraction from third parties that goes to i."""
    sigma_x = ctx.par(SPOILS_SHARE)
    claims = 1 + sigma_x * ctx.total(lambda n: ctx.get(PARTNERSHIP, n, j), "l")
    taken = ctx.total(lambda k: ctx.get(EXTRACTION, j, k), "k") - ctx.get(EXTRACTION, j, i)
    return sigma_x * ctx.get(PARTNERSHIP, i, j) / claims * taken


SPOILS_PART = Derived("spoils_part", "Y", "ij", spoils_part,
                      "part of j's spoils that goes to i", unit="[m]/yr")

SPOILS = Mechanism(
    name="spoils",
    summary="A bandwagoner shares in its strong partner's extraction from third parties, the "
            "partner taking the larger part (bandwagoning for profit).",
    parameters=(SPOILS_SHARE,),
    derived=(PARTNERSHIP, SPOILS_PART),
    terms=(Term("spoils", OUTPUT, lambda ctx, i: ctx.total(
        lambda j: ctx.get(SPOILS_PART, i, j) - ctx.get(SPOILS_PART, j, i), "j")),),
    requires=("coercion", "bandwagoning"),
    references=("Schweller 1994",),
    notes=__doc__ or "",
)
