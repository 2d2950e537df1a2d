"""The economy: logistic growth of output minus the cost of arms (internal balancing's
base; imperial overstretch). Off, output is held at its initial value.

    de_i/dt = r_i e_i (1 - e_i/E_i) - kappa_i m_i / (1 + beta_i)        (Kennedy 1987)

Departure from the reference design: the cost of arms is ``kappa m / (1 + beta)`` instead
of ``kappa m``. The two agree at small burdens (beta = 0.05 changes it by 5 %), but the
saturating cost is never more than ``kappa e``. With the linear cost a state whose output
collapses under a large standing military loses output faster than it can demobilise and
reaches zero output in finite time; with the saturating cost every term of de/dt vanishes
with e, so output stays positive.
"""

from __future__ import annotations

import math

from dynamics.model.mechanisms.richardson import BURDEN, OUTPUT, SPENDING
from dynamics.model.parts import Context, Mechanism, Parameter, Region, Restriction, Term

__all__ = ["ECONOMY", "GROWTH", "CAPACITY", "ARMS_COST"]

GROWTH = Parameter(name="growth", symbol="r", kind="state", unit="1/yr", default=0.03,
bounds=(-math.inf, math.inf),
                   meaning="Intrinsic growth rate of economic output (logistic); negative for an "
                   "economy in decline, whose output then falls towards 0 (Portugal's "
                   "capability trend in 1908-1913).", source="Kennedy 1987",
    plausible=(0.0, 0.5))
CAPACITY = Parameter(
    name="capacity", symbol="E", kind="state", unit="[m]", default=2.0, bounds=(1e-9, math.inf),
    meaning="Capacity that output approaches by logistic growth (a state's economic potential, "
    "e.g. population times frontier productivity).", source="Kennedy 1987")
ARMS_COST = Parameter(
    name="arms_cost", symbol="kappa", kind="state", unit="1/yr", default=0.1,
    bounds=(0.0, math.inf),
    meaning="Output lost per year per unit of military spending (guns versus butter; imperial "
    "overstretch).", source="Kennedy 1987",
    plausible=(0.0, 2.0))


def _output_region(view: Region, i: int) -> tuple[float, float]:
    """From a millionth of the start to one and a half times the larger of start and
    capacity."""
    e = float(view.start(OUTPUT)[i])
    return 1e-6 * e, max(e, float(view.values[CAPACITY.name][i])) * 1.5


def logistic_growth(ctx: Context, i):
    """r_i e_i (1 - e_i/E_i): growth toward the capacity E_i."""
    e = ctx.var(OUTPUT, i)
    return ctx.par(GROWTH, i) * e * (1 - e / ctx.par(CAPACITY, i))


def cost_of_arms(ctx: Context, i):
    """-kappa_i m_i / (1 + beta_i): output crowded out by arms (saturating; see above)."""
    return -ctx.par(ARMS_COST, i) * ctx.var(SPENDING, i) / (1 + ctx.get(BURDEN, i))


ECONOMY = Mechanism(
    name="economy",
    summary="Logistic growth of output minus the cost of arms (internal balancing's base; "
            "imperial overstretch); off, output is constant.",
    parameters=(GROWTH, CAPACITY, ARMS_COST),
    variables=(OUTPUT,),
    terms=(Term("logistic growth", OUTPUT, logistic_growth),
           Term("cost of arms", OUTPUT, cost_of_arms)),
    restrictions=(Restriction(OUTPUT, OUTPUT.domain, _output_region),),
    references=("Kennedy 1987",),
    notes=__doc__ or "",
)
