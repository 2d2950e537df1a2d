"""The parameter registry: every parameter's symbol, unit, default, bounds, meaning and source.

Units. Military spending ``m`` and economic output ``e`` are flows measured in one currency
unit per year chosen by the user (for example constant US$ billion per year); that unit is
written ``[m]`` below. Burdens, shares, cohesion and distinguishability are dimensionless.
Time is in years. Threats and burdens enter relative to a state's own output, so results
do not depend on the currency unit (MODEL.md, principle 5).

The registry is the single place where a parameter is described; the model reference in
``docs/parameters.md`` and the notebook tables are generated from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Parameter", "REGISTRY", "REFERENCES", "parameter"]

Kind = Literal["scalar", "state", "pair"]

REFERENCES: dict[str, str] = {
    "Richardson 1960": "Richardson, L. F. (1960). Arms and Insecurity: A Mathematical Study of "
    "the Causes and Origins of War. Pittsburgh: Boxwood Press.",
    "Walt 1985": "Walt, S. M. (1985). Alliance Formation and the Balance of World Power. "
    "International Security 9(4): 3-43.",
    "Jervis 1978": "Jervis, R. (1978). Cooperation Under the Security Dilemma. World Politics "
    "30(2): 186-214.",
    "Olson and Zeckhauser 1966": "Olson, M. and Zeckhauser, R. (1966). An Economic Theory of "
    "Alliances. Review of Economics and Statistics 48(3): 266-279.",
    "Pape 2005": "Pape, R. A. (2005). Soft Balancing against the United States. International "
    "Security 30(1): 7-45.",
    "Paul 2005": "Paul, T. V. (2005). Soft Balancing in the Age of U.S. Primacy. International "
    "Security 30(1): 46-71.",
    "Kennedy 1987": "Kennedy, P. (1987). The Rise and Fall of the Great Powers: Economic Change "
    "and Military Conflict from 1500 to 2000. New York: Random House.",
    "Singer et al. 1972": "Singer, J. D., Bremer, S. and Stuckey, J. (1972). Capability "
    "Distribution, Uncertainty, and Major Power War, 1820-1965. In B. Russett (ed.), Peace, "
    "War, and Numbers, 19-48. Beverly Hills: Sage.",
    "Boulding 1962": "Boulding, K. E. (1962). Conflict and Defense: A General Theory. New York: "
    "Harper.",
    "Harrison 1998": "Harrison, M. (ed.) (1998). The Economics of World War II: Six Great Powers "
    "in International Comparison. Cambridge: Cambridge University Press.",
    "Gilpin 1981": "Gilpin, R. (1981). War and Change in World Politics. Cambridge: Cambridge "
    "University Press.",
    "Organski 1958": "Organski, A. F. K. (1958). World Politics. New York: Knopf.",
    "Modelski 1987": "Modelski, G. (1987). Long Cycles in World Politics. Seattle: University of "
    "Washington Press.",
    "Waltz 1979": "Waltz, K. N. (1979). Theory of International Politics. Reading, MA: "
    "Addison-Wesley.",
    "Sterman 2000": "Sterman, J. D. (2000). Business Dynamics: Systems Thinking and Modeling "
    "for a Complex World. Boston: Irwin/McGraw-Hill.",
}


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes
    ----------
    name : the name users write (``reaction``, ``fatigue``, ...).
    symbol : the sympy/LaTeX base symbol (``k``, ``alpha``, ...).
    kind : ``scalar`` (one value), ``state`` (one value per state) or ``pair`` (an N x N
        matrix whose diagonal is fixed at zero).
    unit, default, bounds (inclusive), meaning, source : as documented.
    mechanism : the mechanism whose equations use the parameter.
    """

    name: str
    symbol: str
    kind: Kind
    unit: str
    default: float
    bounds: tuple[float, float]
    meaning: str
    source: str
    mechanism: str

    def __post_init__(self) -> None:
        low, high = self.bounds
        if not low <= self.default <= high:
            raise ValueError(f"default of {self.name} outside its own bounds")
        if self.source not in REFERENCES:
            raise ValueError(f"{self.name} cites unknown source {self.source!r}")

    @property
    def latex(self) -> str:
        """The symbol as LaTeX (``\\alpha`` for ``alpha``)."""
        greek = {"alpha", "eta", "omega", "kappa", "rho", "phi", "mu", "nu", "psi", "lambda",
                 "sigma", "tau", "zeta", "chi"}
        base, _, sub = self.symbol.partition("_")
        text = "\\" + base if base in greek else base
        return text + (f"_{{{sub}}}" if sub else "")

    def bounds_text(self) -> str:
        low, high = self.bounds
        show = lambda x: "-inf" if x == -math.inf else "inf" if x == math.inf else f"{x:g}"  # noqa: E731
        return f"[{show(low)}, {show(high)}]"


_INF = math.inf

_ALL = [
    # --- Richardson: reaction to threat, fatigue and expense, grievance -------------------
    Parameter("reaction", "k", "state", "1/yr", 0.15, (0.0, 5.0),
              "Richardson's defence coefficient: the rate at which a state arms in response to "
              "the threat it perceives (spending added per year per unit of threat).",
              "Richardson 1960", "richardson"),
    Parameter("fatigue", "alpha", "state", "1/yr", 0.2, (0.0, 5.0),
              "Fatigue and expense: the rate at which spending decays by itself. Richardson took "
              "about 0.2/yr, the reciprocal of a parliament's five-year life.",
              "Richardson 1960", "richardson"),
    Parameter("grievance", "g", "state", "1/yr", 0.0, (-1.0, 1.0),
              "Grievance (positive) or goodwill (negative) per unit of own output: a drive "
              "to arm independent of threat, g_i e_i. Without threat spending settles at the "
              "burden g/alpha, whatever the currency unit.", "Richardson 1960", "richardson"),
    Parameter("offence", "o", "state", "1", 0.5, (0.0, 1.0),
              "Offensive share of a state's forces and posture (Walt's offensive power and "
              "intentions); only this share threatens when defence is distinguishable.",
              "Walt 1985", "richardson"),
    Parameter("distinguishability", "D", "scalar", "1", 0.5, (0.0, 1.0),
              "How well offensive forces can be told from defensive ones: at D = 1 only the "
              "offensive share threatens; at D = 0 every buildup reads as offensive (the "
              "security dilemma).", "Jervis 1978", "richardson"),
    Parameter("power_weight", "eta", "scalar", "1", 1.0, (0.0, 3.0),
              "Weight of aggregate power in threat: threat scales with (N S_j)^eta, so a state "
              "with more than its equal share of power threatens more (Walt's first source of "
              "threat). eta = 0 gives Richardson's pure reaction to spending.",
              "Walt 1985", "richardson"),
    Parameter("proximity", "W", "pair", "1", 1.0, (0.0, 1.0),
              "Proximity W_ij of state j to state i: the share of j's force that can be brought "
              "to bear on i (loss-of-strength gradient). The diagonal is zero.",
              "Boulding 1962", "richardson"),
    Parameter("output_weight", "omega", "scalar", "1", 2.0 / 3.0, (0.01, 1.0),
              "Weight of economic output in the power share S_i = omega e_i/sum e + (1 - "
              "omega) m_i/sum m. The default 2/3 is the non-military weight of the CINC index "
              "(four of its six components). It is kept above 0 so that a disarmed state "
              "keeps the power of its economy and every share stays positive, where the "
              "threat term (N S)^eta is differentiable.", "Singer et al. 1972", "richardson"),
    Parameter("support", "phi", "scalar", "1", 0.5, (0.0, 1.0),
              "Efficiency of allied forces as one's own defence: allied support A_i = phi "
              "sum_j c_ij W_ij m_j offsets the threat a state must answer alone.",
              "Walt 1985", "richardson"),
    # --- perception -------------------------------------------------------------------------
    Parameter("perception_delay", "tau", "scalar", "yr", 1.0, (1e-3, 50.0),
              "Average delay with which perceived threat follows the actual threat (first-order "
              "information delay).", "Sterman 2000", "perception"),
    # --- mobilisation ceiling ---------------------------------------------------------------
    Parameter("ceiling", "b", "state", "1", 0.5, (0.01, 1.0),
              "Largest burden m/e a state can sustain; total-war economies of 1943-44 reached "
              "0.4 to 0.7 of output.", "Harrison 1998", "ceiling"),
    # --- economy ----------------------------------------------------------------------------
    Parameter("growth", "r", "state", "1/yr", 0.03, (0.0, 0.5),
              "Intrinsic growth rate of economic output (logistic).", "Kennedy 1987", "economy"),
    Parameter("capacity", "E", "state", "[m]", 2.0, (1e-9, _INF),
              "Capacity that output approaches by logistic growth (a state's economic "
              "potential, e.g. population times frontier productivity).",
              "Kennedy 1987", "economy"),
    Parameter("arms_cost", "kappa", "state", "1/yr", 0.1, (0.0, 2.0),
              "Output lost per year per unit of military spending (guns versus butter; "
              "imperial overstretch).", "Kennedy 1987", "economy"),
    # --- coercion ---------------------------------------------------------------------------
    Parameter("coercion", "rho", "scalar", "1/yr", 0.05, (0.0, 1.0),
              "Rate at which a state with offensive intent extracts a weaker, unallied target's "
              "output in proportion to its projected military advantage.",
              "Gilpin 1981", "coercion"),
    # --- alliances --------------------------------------------------------------------------
    Parameter("alliance_formation", "mu", "scalar", "1/yr", 5.0, (0.0, 100.0),
              "Rate at which cohesion grows with the common threat Q_ij that two states face "
              "from third parties (threat relative to output).", "Walt 1985", "alliances"),
    Parameter("alliance_decay", "nu", "scalar", "1/yr", 0.05, (0.0, 5.0),
              "Rate at which cohesion decays by itself: alliances are temporary.",
              "Walt 1985", "alliances"),
    Parameter("free_riding", "psi", "scalar", "1/yr", 0.5, (0.0, 10.0),
              "Rate at which unequal burdens erode cohesion (collective action and "
              "exploitation of the large by the small).",
              "Olson and Zeckhauser 1966", "alliances"),
    # --- bandwagoning -----------------------------------------------------------------------
    Parameter("bandwagon_rate", "lambda", "scalar", "1/yr", 5.0, (0.0, 100.0),
              "Rate at which a weak state aligns with the state that threatens it.",
              "Walt 1985", "bandwagoning"),
    Parameter("bandwagon_share", "s_w", "scalar", "1", 0.1, (1e-3, 1.0),
              "Power share below which a state is weak enough to bandwagon rather than "
              "balance.", "Walt 1985", "bandwagoning"),
    # --- soft balancing ---------------------------------------------------------------------
    Parameter("hegemony_share", "s^*", "scalar", "1", 0.5, (0.05, 0.95),
              "Power share above which a state is a hegemon (the leader's threshold of "
              "half of global capabilities).", "Modelski 1987", "soft_balancing"),
    Parameter("soft_propensity", "sigma", "state", "1", 1.0, (0.0, 10.0),
              "Propensity of a state to build soft-balancing effort (diplomacy, institutions, "
              "exclusive economic arrangements) against a hegemon.", "Pape 2005",
              "soft_balancing"),
    Parameter("soft_delay", "tau_v", "scalar", "yr", 2.0, (1e-3, 50.0),
              "Delay with which soft-balancing effort is built or dismantled.", "Paul 2005",
              "soft_balancing"),
    Parameter("soft_drag", "zeta", "scalar", "1/yr", 0.05, (0.0, 1.0),
              "Growth lost per year by the hegemon per unit of soft-balancing pressure V "
              "(economic arrangements that exclude it).", "Pape 2005", "soft_balancing"),
    Parameter("soft_cost", "chi", "scalar", "1", 1.0, (0.0, 20.0),
              "Rise of the hegemon's fatigue per unit of soft-balancing pressure: soft "
              "balancing raises the cost of using and keeping arms, alpha -> alpha (1 + chi V).",
              "Paul 2005", "soft_balancing"),
]

REGISTRY: dict[str, Parameter] = {p.name: p for p in _ALL}


def parameter(name: str) -> Parameter:
    """The registry entry of ``name``; an unknown name raises with the closest match."""
    from dynamics.errors import UnknownNameError

    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownNameError("parameter", name, REGISTRY) from None
