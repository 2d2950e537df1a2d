"""The alliance as a public good: each ally demands deterrence in proportion to the output it
has at stake, and counts its allies' forces as part of what it has (Olson and Zeckhauser
1966).

    k_i (theta_i - A_i)  ->  k_i (q_i theta_i - A_i)
    q_i = e_i / ebar_i,   ebar_i = sum_j c_ij e_j / sum_j c_ij                 (c_ii = 1)

Olson and Zeckhauser's (1966) ally i chooses its spending m_i to maximise the value of the
deterrence D_i it enjoys, valued by its own output, less what the deterrence costs it.
Deterrence is a public good of the alliance: D_i = m_i + A_i, its own forces and the allied
support A_i of Richardson's equation (the spill-in). The assumption made here is the
valuation: log utility of deterrence, weighted by the threat per unit of the alliance's
output,

    U_i = e_i (theta_i / ebar_i) ln D_i - m_i,

so that the marginal value of deterrence is e_i theta_i / (ebar_i D_i) and the best response
is D_i* = q_i theta_i, that is m_i* = q_i theta_i - A_i. Richardson's reaction to threat net
of allied support, k_i (theta_i - A_i), becomes an adjustment toward this best response,
k_i (D_i* - A_i), with fatigue as the cost of arms. Three properties follow, none of them
put in by a parameter:

- an unallied state (c_ij = 0 for all j) has ebar_i = e_i, q_i = 1: Richardson's equation;
- the alliance's total demand is that of its members alone: q_i theta_i summed over fully
  allied members facing one threat is the sum of their threats;
- Olson and Zeckhauser's exploitation hypothesis: with equal reactions and fatigues, the
  equilibrium burden beta_i = (k / alpha)(theta_i / ebar_i - A_i / e_i) + g / alpha rises
  with output among allies who face the same threat and receive similar support, so the
  small carry the smaller burdens, among the small allies too (a small ally's spill-in
  A_i is a larger share of its output).

Without the mechanism every state answers the whole threat it perceives, whatever its
size, and the ordering of burdens within an alliance has to be put into the reaction
coefficients.
"""

from __future__ import annotations

from dynamics.model.mechanisms.richardson import COHESION, DEMANDED, OUTPUT, PERCEIVED
from dynamics.model.parts import Context, Derived, Mechanism, Override

__all__ = ["PUBLIC_GOOD", "STAKE"]


def stake(ctx: Context, i):
    """q_i = e_i sum_j c_ij / sum_j c_ij e_j: i's output over its alliance's mean output,
    each partner weighted by cohesion (c_ii = 1)."""
    weights = ctx.total(lambda j: ctx.var(COHESION, i, j), "j")
    return ctx.var(OUTPUT, i) * weights / ctx.total(
        lambda j: ctx.var(COHESION, i, j) * ctx.var(OUTPUT, j), "j")


STAKE = Derived("stake", "q", "i", stake, "stake in the alliance's deterrence")

PUBLIC_GOOD = Mechanism(
    name="public_good",
    summary="Each ally demands deterrence in proportion to the output it has at stake in "
            "its alliance (Olson and Zeckhauser's best response), so free-riding of the "
            "small emerges.",
    derived=(STAKE,),
    overrides=(Override(DEMANDED, lambda ctx, i: ctx.get(STAKE, i) * ctx.get(PERCEIVED, i)),),
    references=("Olson and Zeckhauser 1966", "Murdoch and Sandler 1984"),
    notes=__doc__ or "",
)
