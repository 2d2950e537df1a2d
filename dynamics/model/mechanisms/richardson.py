"""Richardson's arms race: reaction to perceived threat net of allied support, fatigue and
expense, grievance (always on).

    dm_i/dt = k_i (theta_i - A_i) + g_i e_i + G_i - alpha_i m_i       (Richardson 1960)

This module also defines what every other mechanism builds on: the state variables
spending ``m``, output ``e`` and cohesion ``c`` (output is held constant unless the economy
is on, cohesion unless alliances are), power shares, burdens, hostility, Walt's threat and
allied support.

Departures from the reference design, and why:

- Aggregate power is CINC's mean of component shares,
  ``S_i = omega e_i / sum_k e_k + (1 - omega) m_i / sum_k m_k``, not the Cobb-Douglas
  ``e^omega m^(1-omega)``: it is what the Correlates of War index does (Singer et al. 1972),
  it is smooth where a state is disarmed (m = 0, where m^(1-omega) has an infinite
  derivative that a stiff solver's analytic Jacobian cannot take), and it stays defined
  for the negative spending that Richardson's linear limit allows (a negative budget
  counts as no arms in the share).
- Grievance enters in two forms: ``g_i e_i`` (g per unit of output, 1/yr), so that
  spending grows with the economy at a constant threat-free burden g/alpha, and
  Richardson's own constant grievance ``G_i`` in spending units per year, the form of every
  published fit (Taagepera et al. 1975 report k = 8.2/yr for the United States); an
  absolute grievance alone would make a growing state's burden fall without bound. With
  output held constant (economy off) both are Richardson's constant grievance.

Aggregate power counts a state's spending twice in the threat it poses:
``P_ij = W_ij h_j m_j (N S_j)^eta``, and the power share ``S_j`` itself contains ``m_j``
(its military component). For eta > 0 the threat is therefore superlinear in the state's
own spending: doubling m_j more than doubles it, the more so the larger the military
weight 1 - omega. This is deliberate: Walt (1985) names aggregate power and offensive
power as separate sources of threat, and a state that arms adds to both. eta = 0 removes
the second count (Richardson's pure reaction to spending); a design that wants threat
linear in spending sets it so.

With only this mechanism, ``distinguishability = 0``, ``power_weight = 0`` and a neutral
offence-defence balance (``offence_defence = 1``) the model is
exactly Richardson's linear system
``dm_i/dt = k_i sum_j W_ij m_j - alpha_i m_i + g_i e_i + G_i``.
"""

from __future__ import annotations

import math

from dynamics.model.parts import (
    EPSILON,
    Context,
    Derived,
    Mechanism,
    Parameter,
    Region,
    Term,
    Variable,
    positive,
)

__all__ = ["RICHARDSON", "SPENDING", "OUTPUT", "COHESION", "SHARE", "BURDEN", "INTENT",
           "HOSTILITY", "THREAT", "POTENTIAL_THREAT", "SUPPORT", "TOTAL_THREAT", "PERCEIVED",
           "DEMANDED", "REACTION",
           "FATIGUE", "GRIEVANCE", "GRIEVANCE_LEVEL", "OFFENCE", "DISTINGUISHABILITY",
           "OFFENCE_DEFENCE",
           "POWER_WEIGHT",
           "PROXIMITY", "OUTPUT_WEIGHT", "SUPPORT_EFFICIENCY", "DEFAULT_OUTPUT", "DEFAULT_BURDEN"]

#: default initial output of every state, in [m]
DEFAULT_OUTPUT = 1.0
#: default initial spending as a share of initial output
DEFAULT_BURDEN = 0.03

# --- parameters ------------------------------------------------------------------------------

REACTION = Parameter(
    name="reaction", symbol="k", kind="state", unit="1/yr", default=0.15, bounds=(0.0, math.inf),
    meaning="Richardson's defence coefficient: the rate at which a state arms in response to the "
    "threat it perceives (spending added per year per unit of threat).", source="Richardson 1960",
    plausible=(0.0, 5.0))
FATIGUE = Parameter(
    name="fatigue", symbol="alpha", kind="state", unit="1/yr", default=0.2, bounds=(0.0, math.inf),
    meaning="Fatigue and expense: the rate at which spending decays by itself. Richardson took "
    "about 0.2/yr, the reciprocal of a parliament's five-year life.", source="Richardson 1960",
    plausible=(0.0, 5.0))
GRIEVANCE = Parameter(
    name="grievance", symbol="g", kind="state", unit="1/yr", default=0.0,
    bounds=(-math.inf, math.inf),
    meaning="Grievance (positive) or goodwill (negative) per unit of own output: a drive to arm "
    "independent of threat, g_i e_i. Without threat spending settles at the burden g/alpha, "
    "whatever the currency unit.", source="Richardson 1960",
    plausible=(-1.0, 1.0))
GRIEVANCE_LEVEL = Parameter(
    name="grievance_level", symbol="G", kind="state", unit="[m]/yr", default=0.0,
    bounds=(-math.inf, math.inf),
    meaning="Richardson's constant grievance in spending units per year (goodwill when negative): "
    "the form in which published fits state it (Richardson 1960; Taagepera et al. 1975). "
    "It adds to the grievance per unit of output, g_i e_i; a growing state's burden from it "
    "falls as its output grows.", source="Richardson 1960")
OFFENCE = Parameter(
    name="offence", symbol="o", kind="state", unit="1", default=0.5, bounds=(0.0, 1.0),
    meaning="Offensive share of a state's forces and posture (Walt's offensive power and "
    "intentions); only this share threatens when defence is distinguishable.", source="Walt 1985")
DISTINGUISHABILITY = Parameter(
    name="distinguishability", symbol="D", kind="scalar", unit="1", default=0.5, bounds=(0.0, 1.0),
    meaning="How well offensive forces can be told from defensive ones: at D = 1 only the "
    "offensive share threatens; at D = 0 every buildup reads as offensive (the security dilemma).",
    source="Jervis 1978")
OFFENCE_DEFENCE = Parameter(
    name="offence_defence", symbol="omega_o", kind="scalar", unit="1", default=1.0,
    bounds=(0.0, math.inf),
    meaning="Offence-defence balance (Jervis 1978): how much more a given hostile force threatens "
    "when offence has the advantage (> 1) or less when defence has it (< 1); 1 is neutral. "
    "It scales the hostility of forces, and with it the reward of arming first that drives "
    "the spiral. Jervis's second variable, beside distinguishability.", source="Jervis 1978",
    plausible=(0.25, 4.0))
POWER_WEIGHT = Parameter(
    name="power_weight", symbol="eta", kind="scalar", unit="1", default=1.0, bounds=(0.0, math.inf),
    meaning="Weight of aggregate power in threat: threat scales with (N S_j)^eta, so a state with "
    "more than its equal share of power threatens more (Walt's first source of threat). "
    "eta = 0 gives Richardson's pure reaction to spending.", source="Walt 1985",
    plausible=(0.0, 3.0))
PROXIMITY = Parameter(
    name="proximity", symbol="W", kind="pair", unit="1", default=1.0, bounds=(0.0, 1.0),
    meaning="Proximity W_ij of state j to state i: the share of j's force that can be brought to "
    "bear on i (loss-of-strength gradient). The diagonal is zero.", source="Boulding 1962")
OUTPUT_WEIGHT = Parameter(
    name="output_weight", symbol="omega", kind="scalar", unit="1", default=2.0 / 3.0,
    bounds=(1e-6, 1.0),
    meaning="Weight of economic output in the power share S_i = omega e_i/sum e + (1 - omega) "
    "m_i/sum m. The default 2/3 is the non-military weight of the CINC index (four of its "
    "six components). It is kept above 0 so that a disarmed state keeps the power of its "
    "economy and every share stays positive, where the threat term (N S)^eta is "
    "differentiable.", source="Singer et al. 1972",
    plausible=(0.01, 1.0))
SUPPORT_EFFICIENCY = Parameter(
    name="support", symbol="phi", kind="scalar", unit="1", default=0.5, bounds=(0.0, 1.0),
    meaning="Efficiency of allied forces as one's own defence: allied support A_i = phi sum_j c_ij "
    "W_ij m_j offsets the threat a state must answer alone.", source="Walt 1985")

# --- variables -------------------------------------------------------------------------------


def _spending_region(view: Region, i: int) -> tuple[float, float]:
    """0 to ten times the start's magnitude (Richardson's linear race has no ceiling)."""
    return 0.0, 10 * abs(float(view.start(SPENDING)[i])) + 1e-3


OUTPUT = Variable("e", "e", "economic output", "[m]", default=DEFAULT_OUTPUT,
                  domain=(0.0, math.inf), open_low=True)
SPENDING = Variable(
    "m", "m", "military spending (Richardson's x)", "[m]",
    default=lambda start: DEFAULT_BURDEN * start(OUTPUT), region=_spending_region)
COHESION = Variable("c", "c", "alliance cohesion (symmetric; 0 none, 1 full alliance)", "1",
                    default=0.0, domain=(0.0, 1.0), pair=True)

# --- derived quantities ----------------------------------------------------------------------


def power_share(ctx: Context, i) -> object:
    """S_i: CINC-style share of aggregate power, omega of output plus 1 - omega of arms.

    S_i = omega e_i / sum_k e_k + (1 - omega) a_i / sum_k a_k with a_i = [m_i]+ + epsilon e_i
    (Singer et al. 1972). The guard keeps the military share defined when every state is
    disarmed (it becomes the output share) and below solver noise otherwise.
    """
    def arms(k):
        return positive(ctx.var(SPENDING, k)) + EPSILON * ctx.var(OUTPUT, k)
    w = ctx.par(OUTPUT_WEIGHT)
    e_total = ctx.total(lambda k: ctx.var(OUTPUT, k), "k")
    return w * ctx.var(OUTPUT, i) / e_total + (1 - w) * arms(i) / ctx.total(arms, "k")


def burden(ctx: Context, i):
    """beta_i = m_i / e_i, the share of output spent on arms."""
    return ctx.var(SPENDING, i) / ctx.var(OUTPUT, i)


def intent(ctx: Context, j):
    """o_j + (1 - D)(1 - o_j): the intentions others read into j's forces, from its
    posture alone: the offensive share o_j, and the defensive rest as far as it cannot be
    told from offence (Jervis 1978). The intentions mechanism replaces this static reading
    by a perceived intention that follows what others observe."""
    o = ctx.par(OFFENCE, j)
    return o + (1 - ctx.par(DISTINGUISHABILITY)) * (1 - o)


def hostility(ctx: Context, j):
    """h_j = omega_o (o_j + (1 - D)(1 - o_j)): the share of j's forces read as hostile,
    scaled by the offence-defence balance (Jervis 1978: distinguishability and the balance
    are his two variables)."""
    return ctx.par(OFFENCE_DEFENCE) * ctx.get(INTENT, j)


def potential_threat(ctx: Context, i, j):
    """P_ij = W_ij h_j m_j (N S_j)^eta: the threat that j's forces would pose to i were the
    two not allied (Walt 1985: proximity, offensive posture, forces and aggregate power)."""
    return (ctx.par(PROXIMITY, i, j) * ctx.get(HOSTILITY, j) * ctx.var(SPENDING, j)
            * (ctx.count * ctx.get(SHARE, j)) ** ctx.par(POWER_WEIGHT))


def threat(ctx: Context, i, j):
    """T_ij = (1 - c_ij) P_ij: the threat that j poses to i; an ally's forces threaten only
    to the extent that the alliance is loose."""
    return (1 - ctx.var(COHESION, i, j)) * ctx.get(POTENTIAL_THREAT, i, j)


def support(ctx: Context, i):
    """A_i = phi sum_j c_ij W_ij m_j: allied forces available to i (external balancing)."""
    return ctx.par(SUPPORT_EFFICIENCY) * ctx.total(
        lambda j: ctx.var(COHESION, i, j) * ctx.par(PROXIMITY, i, j) * ctx.var(SPENDING, j),
        "j")


def total_threat(ctx: Context, i):
    """sum_j T_ij: the actual threat that i faces."""
    return ctx.total(lambda j: ctx.get(THREAT, i, j), "j")


def perceived_threat(ctx: Context, i):
    """theta_i, the threat a state reacts to: the actual threat sum_j T_ij, unless a
    mechanism (delayed perception) says otherwise."""
    return ctx.get(TOTAL_THREAT, i)


def demanded_deterrence(ctx: Context, i):
    """The deterrence a state demands: the threat it perceives, unless a mechanism (the
    alliance as a public good) says otherwise."""
    return ctx.get(PERCEIVED, i)


SHARE = Derived("share", "S", "i", power_share, "power share (CINC-style composite)",
                report="share")
BURDEN = Derived("burden", "beta", "i", burden, "burden")
INTENT = Derived("intent", "pi", "j", intent, "offensive intentions read into forces",
                 inline=True)
HOSTILITY = Derived("hostility", "h", "j", hostility, "perceived hostility of forces")
POTENTIAL_THREAT = Derived("potential_threat", "P", "ij", potential_threat,
                           "threat j's forces would pose to i unallied", unit="[m]")
THREAT = Derived("threat", "T", "ij", threat, "threat posed by j to i", unit="[m]")
SUPPORT = Derived("support", "A", "i", support, "allied support", unit="[m]")
TOTAL_THREAT = Derived("total_threat", "T", "i", total_threat, "actual threat faced",
                       unit="[m]", report="threat", inline=True)
PERCEIVED = Derived("perceived_threat", "theta", "i", perceived_threat,
                    "threat perceived", unit="[m]", report="theta", inline=True)
DEMANDED = Derived("demanded_deterrence", "theta", "i", demanded_deterrence,
                   "deterrence demanded", unit="[m]", inline=True)

# --- the mechanism ---------------------------------------------------------------------------

RICHARDSON = Mechanism(
    name="richardson",
    summary="Reaction to perceived threat net of allied support, fatigue and expense, "
            "grievance (always on).",
    parameters=(REACTION, FATIGUE, GRIEVANCE, GRIEVANCE_LEVEL, OFFENCE, DISTINGUISHABILITY,
                OFFENCE_DEFENCE, POWER_WEIGHT, PROXIMITY, OUTPUT_WEIGHT, SUPPORT_EFFICIENCY),
    variables=(SPENDING,),
    derived=(SHARE, BURDEN, INTENT, HOSTILITY, POTENTIAL_THREAT, THREAT, SUPPORT, TOTAL_THREAT,
             PERCEIVED, DEMANDED),
    terms=(
        Term("reaction", SPENDING,
             lambda ctx, i: ctx.par(REACTION, i) * (ctx.get(DEMANDED, i) - ctx.get(SUPPORT, i)),
             role="drive"),
        Term("grievance", SPENDING,
             lambda ctx, i: ctx.par(GRIEVANCE, i) * ctx.var(OUTPUT, i), role="drive"),
        Term("constant grievance", SPENDING, lambda ctx, i: ctx.par(GRIEVANCE_LEVEL, i),
             role="drive"),
        Term("fatigue", SPENDING, lambda ctx, i: -ctx.par(FATIGUE, i) * ctx.var(SPENDING, i),
             role="loss"),
    ),
    references=("Richardson 1960", "Walt 1985", "Jervis 1978", "Singer et al. 1972",
                "Taagepera et al. 1975"),
    notes=__doc__ or "",
)
