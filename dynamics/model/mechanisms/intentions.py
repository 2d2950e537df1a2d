"""Perceived intentions: what others believe a state means to do with its forces, a state
variable that follows what they observe, separate from the forces' posture.

    dpi_j/dt = (varpi_j - pi_j) / tau_pi                        (Jervis 1976; Walt 1985)
    varpi_j = 1 - (1 - o_j) (1 - (1 - D) y_j) (1 - upsilon_j),   y_j = beta_j / (beta_j + beta_a)
    h_j = omega_o pi_j                        (the hostility of j's forces, replacing the
                                               static reading o_j + (1 - D)(1 - o_j))

Walt (1985) names offensive power and offensive intentions as two sources of threat;
without this mechanism one parameter, the offensive share o_j of a state's forces, stands
for both, and others read it without error or delay. With it, o_j is the posture, a
capability (the offensive share of the forces), and pi_j the intentions others perceive,
which move toward a reading varpi_j of what they observe:

- **posture**: the offensive share o_j is read as offensive;
- **arming**: of the defensive rest, a share y_j = beta_j / (beta_j + beta_a) is read as
  offensive where postures cannot be told apart: with distinguishability D = 1 arming says
  nothing about intentions; with D = 0 a state that arms heavily (a burden well above the
  alarm burden beta_a) is believed to mean harm whatever it intends. This is the
  misperception at the heart of the security dilemma (Jervis 1976, 1978): defensive arming
  misread as offensive;
- **unilateral acts**: upsilon_j in [0, 1], acts taken against the opposition of others (a war of
  choice, a withdrawal from a treaty), which a dated event sets and lifts; the seed's
  example is the Iraq war of 2003 (Pape 2005);
- **coercion**: where the coercion mechanism is on, each year in which j extracts a share
  f of its victims' output raises pi_j by f of the distance to 1 (its term
  ``acts reveal intent``): aggression is read from what a state does, at once.

At y_j = 1 and no acts the reading is the static o_j + (1 - D)(1 - o_j): the mechanism
nests the model without it. Perceived intentions start at their reading varpi_j (no
initial misperception) unless an initial value is given. They are one per state, common to
every observer (a reputation), not one per pair.
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.richardson import (
    BURDEN,
    DISTINGUISHABILITY,
    INTENT,
    OFFENCE,
)
from dynamics.model.parts import Context, Derived, Mechanism, Override, Parameter, Term, Variable

__all__ = ["INTENTIONS", "PERCEIVED_INTENT", "INTENT_DELAY", "ALARM_BURDEN", "UNILATERALISM",
           "ALARM", "READING"]

INTENT_DELAY = Parameter(
    name="intent_delay", symbol="tau_pi", kind="scalar", unit="yr", default=2.0,
    bounds=(1e-9, math.inf),
    meaning="Delay with which the intentions others perceive in a state follow what they "
            "observe (its posture, its arming, its unilateral acts): beliefs about intentions "
            "change slowly (Jervis 1976).",
    source="Jervis 1976", plausible=(0.1, 20.0))
ALARM_BURDEN = Parameter(
    name="alarm_burden", symbol="beta_a", kind="scalar", unit="1", default=0.05,
    bounds=(1e-9, 1.0),
    meaning="Burden (spending over output) at which a state's arming is read as half "
            "offensive where postures cannot be told apart (D = 0); a modelling choice "
            "without an estimate, varied by robustness studies over its uncertain range.",
    source="Jervis 1978", plausible=(0.005, 0.5), uncertain=(0.02, 0.1))
UNILATERALISM = Parameter(
    name="unilateralism", symbol="upsilon", kind="state", unit="1", default=0.0,
    bounds=(0.0, 1.0),
    meaning="Unilateral acts of a state against the opposition of others (a war of choice, "
            "the abandonment of treaties), read by others as offensive intentions; 0 for "
            "none, 1 for acts that leave no doubt. Set and lifted by dated events (the Iraq "
            "war of 2003).",
    source="Pape 2005")


def alarm(ctx: Context, j):
    """y_j = beta_j / (beta_j + beta_a): how alarming j's arming looks."""
    beta = ctx.get(BURDEN, j)
    return beta / (beta + ctx.par(ALARM_BURDEN))


def reading(ctx: Context, j):
    """varpi_j = 1 - (1 - o_j)(1 - (1 - D) y_j)(1 - upsilon_j): the intentions that j's posture,
    arming and unilateral acts show others."""
    misread = (1 - ctx.par(DISTINGUISHABILITY)) * ctx.get(ALARM, j)
    return 1 - ((1 - ctx.par(OFFENCE, j)) * (1 - misread)
                * (1 - ctx.par(UNILATERALISM, j)))


ALARM = Derived("alarm", "y", "j", alarm, "alarm at arming")
READING = Derived("reading", "varpi", "j", reading, "intentions that observation shows")

PERCEIVED_INTENT = Variable(
    "pi", "pi", "offensive intentions others perceive in a state", "1",
    domain=(0.0, 1.0), initial_from=READING)


def updating(ctx: Context, j):
    """(varpi_j - pi_j) / tau_pi: beliefs follow observation with a delay."""
    return (ctx.get(READING, j) - ctx.var(PERCEIVED_INTENT, j)) / ctx.par(INTENT_DELAY)


INTENTIONS = Mechanism(
    name="intentions",
    summary="The intentions others perceive in a state are a state variable that follows "
            "its posture, its arming (misread as offensive where postures cannot be told "
            "apart) and its unilateral acts and coercion.",
    parameters=(INTENT_DELAY, ALARM_BURDEN, UNILATERALISM),
    variables=(PERCEIVED_INTENT,),
    derived=(ALARM, READING),
    terms=(Term("observation", PERCEIVED_INTENT, updating),),
    overrides=(Override(INTENT, lambda ctx, j: ctx.var(PERCEIVED_INTENT, j)),),
    references=("Jervis 1976", "Walt 1985", "Jervis 1978", "Pape 2005"),
    notes=__doc__ or "",
)
