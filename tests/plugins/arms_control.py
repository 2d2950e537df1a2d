"""An arms-control treaty, written as a researcher would: in a module of their own.

This is the worked example of docs/adding-a-mechanism.md. The treaty lowers each party's
reaction to threat by the share ``treaty_cut`` while it complies; compliance q_i recovers
under verification and erodes when the others carry larger burdens than i:

    dm_i/dt += -s q_i k_i (theta_i - A_i)                 (a drive: the ceiling saturates it)
    dq_i/dt  = gamma (1 - q_i) - delta q_i sum_j W_ij [beta_j - beta_i]+

Nothing in the package is edited: the mechanism is named ``arms_control:ARMS_CONTROL`` in
a scenario's ``mechanisms`` (with this folder on the Python path), or passed as an object.
"""

from __future__ import annotations

from dynamics.model import Mechanism, Parameter, Term, Variable, positive
from dynamics.model.mechanisms.richardson import (
    BURDEN,
    PERCEIVED,
    PROXIMITY,
    REACTION,
    SPENDING,
    SUPPORT,
)

TREATY_CUT = Parameter(
    name="treaty_cut", symbol="s_t", kind="scalar", unit="1", default=0.5, bounds=(0.0, 1.0),
    meaning="Share of a complying party's reaction to threat that the treaty removes.",
    source="Schelling and Halperin 1961")
VERIFICATION = Parameter(
    name="verification", symbol="gamma", kind="scalar", unit="1/yr", default=0.5,
    bounds=(0.0, 10.0),
    meaning="Rate at which compliance recovers under verification.",
    source="Schelling and Halperin 1961")
BREACH = Parameter(
    name="breach", symbol="delta", kind="scalar", unit="1/yr", default=2.0, bounds=(0.0, 50.0),
    meaning="Rate at which compliance erodes per unit of the others' excess burden.",
    source="Schelling and Halperin 1961")

COMPLIANCE = Variable("q", "q", "treaty compliance (1 full, 0 none)", "1", default=1.0,
                      domain=(0.0, 1.0))


def restraint(ctx, i):
    """-s q_i k_i (theta_i - A_i): the part of the reaction the treaty removes."""
    return (-ctx.par(TREATY_CUT) * ctx.var(COMPLIANCE, i) * ctx.par(REACTION, i)
            * (ctx.get(PERCEIVED, i) - ctx.get(SUPPORT, i)))


def compliance_rate(ctx, i):
    """gamma (1 - q_i) - delta q_i sum_j W_ij [beta_j - beta_i]+."""
    q = ctx.var(COMPLIANCE, i)
    excess = ctx.total(lambda j: ctx.par(PROXIMITY, i, j)
                       * positive(ctx.get(BURDEN, j) - ctx.get(BURDEN, i)), "j")
    return ctx.par(VERIFICATION) * (1 - q) - ctx.par(BREACH) * q * excess


ARMS_CONTROL = Mechanism(
    name="arms_control",
    summary="A treaty lowers the reaction to threat of the parties while they comply.",
    parameters=(TREATY_CUT, VERIFICATION, BREACH),
    variables=(COMPLIANCE,),
    terms=(Term("treaty restraint", SPENDING, restraint, role="drive"),
           Term("compliance", COMPLIANCE, compliance_rate)),
    references=("Schelling and Halperin 1961",),
    works={"Schelling and Halperin 1961": "Schelling, T. C. and Halperin, M. H. (1961). "
           "Strategy and Arms Control. New York: Twentieth Century Fund."},
)
