"""The terms of the model, written once against an index context (see ``contexts``).

Each function returns a sympy expression for one state (or pair) and says its equation
and source in its docstring. The same code yields the concrete system that is compiled
and the index-notation equations that are printed (MODEL.md, principle 1).

Departures from MODEL.md, and why:

- Aggregate power is CINC's mean of component shares,
  ``S_i = omega e_i / sum_k e_k + (1 - omega) m_i / sum_k m_k``, not the Cobb-Douglas
  ``e^omega m^(1-omega)``: it is what the Correlates of War index does (Singer et al. 1972),
  it is smooth where a state is disarmed (m = 0, where m^(1-omega) has an infinite
  derivative that a stiff solver's analytic Jacobian cannot take), and it stays defined
  for the negative spending that Richardson's linear limit allows (a negative budget
  counts as no arms in the share).
- The common threat of two partners uses the harmonic mean ``2ab/(a + b + epsilon)`` of
  their threats relative to output instead of the geometric mean ``sqrt(ab)``: both vanish
  when either partner feels no threat, both equal the common level when the two feel the
  same, but the harmonic mean has a bounded derivative where one threat is zero (the
  geometric mean's is infinite). ``epsilon`` (``GUARD`` = 1e-12) keeps this ratio and the
  coercion ratio defined when both operands are zero.
- Grievance enters as ``g_i e_i`` (g per unit of output, 1/yr), so that spending grows
  with the economy at a constant threat-free burden g/alpha; an absolute grievance would
  make a growing state's burden fall without bound. With output held constant (economy
  off) it is Richardson's constant grievance.
- The ceiling is ``dm/dt = [drive]+ (1 - u) - [drive]- u - fatigue``, with ``u = beta/b``:
  a positive drive moves spending toward the ceiling and a negative drive toward zero,
  each at a rate proportional to the room left. Spending never falls below zero.
- The cost of arms is ``kappa m / (1 + beta)`` instead of ``kappa m``: the same at small
  burdens (beta = 0.05 changes it by 5 %), but never more than ``kappa e``. With the
  linear cost a state whose output collapses under a large standing military loses
  output faster than it can demobilise and reaches zero output in finite time; with the
  saturating cost every term of de/dt vanishes with e, so output stays positive.

With these choices every boundary of the domain (m = 0, c = 0, c = 1, v = 0, theta = 0,
e -> 0) repels trajectories for every admissible parameter set (tests/test_invariants.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

__all__ = ["AUXILIARIES", "RATES", "GUARD", "EPSILON", "Auxiliary"]

#: numerical guard added to denominators that can vanish (see the module docstring)
GUARD = 1e-12
EPSILON = sp.Symbol("varepsilon", positive=True)


def _pos(x: sp.Expr) -> sp.Expr:
    """[x]+ = max(x, 0).

    Left unevaluated unless ``x`` is a number: sympy's Max looks for provable orderings of
    its arguments by factoring their differences, which cost 35 of the 37 s of building
    the 10-state model and simplified nothing.
    """
    if x.is_number:
        return sp.Max(x, 0)
    return sp.Max(x, 0, evaluate=False)


# --- auxiliary quantities ------------------------------------------------------------------


def power_share(ctx, i):
    """S_i: CINC-style share of aggregate power, omega of output plus 1 - omega of arms.

    S_i = omega e_i / sum_k e_k + (1 - omega) a_i / sum_k a_k with a_i = [m_i]+ + epsilon e_i
    (Singer et al. 1972). The guard keeps the military share defined when every state is
    disarmed (it becomes the output share) and below solver noise otherwise.
    """
    def arms(k):
        return _pos(ctx.var("m", k)) + EPSILON * ctx.var("e", k)
    w = ctx.par("output_weight")
    e_total = ctx.total(lambda k: ctx.var("e", k), "k")
    return w * ctx.var("e", i) / e_total + (1 - w) * arms(i) / ctx.total(arms, "k")


def burden(ctx, i):
    """beta_i = m_i / e_i, the share of output spent on arms."""
    return ctx.var("m", i) / ctx.var("e", i)


def hostility(ctx, j):
    """h_j = o_j + (1 - D)(1 - o_j): the share of j's forces read as hostile (Jervis 1978)."""
    o = ctx.par("offence", j)
    return o + (1 - ctx.par("distinguishability")) * (1 - o)


def threat(ctx, i, j):
    """T_ij = W_ij (1 - c_ij) h_j m_j (N S_j)^eta: threat that j poses to i (Walt 1985)."""
    return (ctx.par("proximity", i, j) * (1 - ctx.var("c", i, j)) * ctx.aux("h", j)
            * ctx.var("m", j) * (ctx.count * ctx.aux("S", j)) ** ctx.par("power_weight"))


def support(ctx, i):
    """A_i = phi sum_j c_ij W_ij m_j: allied forces available to i (external balancing)."""
    return ctx.par("support") * ctx.total(
        lambda j: ctx.var("c", i, j) * ctx.par("proximity", i, j) * ctx.var("m", j), "j")


def common_threat(ctx, i, j):
    """Q_ij = sum_k H(T_ik / e_i, T_jk / e_j): threat both partners face from third parties.

    H(a, b) = 2ab / (a + b + epsilon) is the harmonic mean (see the module docstring) of
    a, b clipped at 0 (they are non-negative in the domain; clipping keeps solver noise
    from zeroing the denominator); T_ii = 0 removes k = i and k = j from the sum.
    """
    def term(k):
        a = _pos(ctx.aux("T", i, k) / ctx.var("e", i))
        b = _pos(ctx.aux("T", j, k) / ctx.var("e", j))
        return 2 * a * b / (a + b + EPSILON)
    return ctx.total(term, "k")


def bandwagon_weight(ctx, i):
    """w_i = [1 - S_i / s_w]+: how weak i is relative to the bandwagoning share (Walt 1985)."""
    return _pos(1 - ctx.aux("S", i) / ctx.par("bandwagon_share"))


def bandwagon(ctx, i, j):
    """B_ij = lambda (w_i T_ij / e_i + w_j T_ji / e_j): the weak align with who threatens them."""
    return ctx.par("bandwagon_rate") * (
        ctx.aux("w", i) * ctx.aux("T", i, j) / ctx.var("e", i)
        + ctx.aux("w", j) * ctx.aux("T", j, i) / ctx.var("e", j))


def extraction(ctx, i, j):
    """F_ij = rho o_i e_j (1 - c_ij) [W_ij m_i - m_j - A_j]+ / (W_ij m_i + m_j + A_j + epsilon).

    Output that i extracts from j by its projected military advantage (Gilpin 1981). Both
    forces are clipped at 0 (the identity in the domain), so solver noise around m = 0
    can neither zero the denominator nor push the ratio above 1.
    """
    projected = _pos(ctx.par("proximity", i, j) * ctx.var("m", i))
    defence = _pos(ctx.var("m", j) + ctx.aux("A", j))
    return (ctx.par("coercion") * ctx.par("offence", i) * ctx.var("e", j)
            * (1 - ctx.var("c", i, j)) * _pos(projected - defence)
            / (projected + defence + EPSILON))


def excess_share(ctx, i):
    """[S_i - s*]+: how far i is above the hegemony threshold."""
    return _pos(ctx.aux("S", i) - ctx.par("hegemony_share"))


def pressure(ctx, i):
    """V_i = [S_i - s*]+ / (1 - s*) sum_j (1 - c_ij) v_j: soft balancing against i (Pape 2005)."""
    return ctx.aux("X", i) / (1 - ctx.par("hegemony_share")) * ctx.total(
        lambda j: (1 - ctx.var("c", i, j)) * ctx.var("v", j), "j")


def perceived_threat(ctx, i):
    """theta_i when perception is delayed, else the instantaneous total threat sum_j T_ij."""
    if ctx.on("perception"):
        return ctx.var("theta", i)
    return ctx.total(lambda j: ctx.aux("T", i, j), "j")


@dataclass(frozen=True)
class Auxiliary:
    name: str
    symbol: str
    indices: str
    build: Callable
    meaning: str
    shown_when: str = "richardson"


AUXILIARIES: dict[str, Auxiliary] = {
    a.name: a
    for a in [
        Auxiliary("S", "S", "i", power_share, "power share (CINC-style composite)"),
        Auxiliary("beta", "beta", "i", burden, "burden", "ceiling"),
        Auxiliary("h", "h", "j", hostility, "perceived hostility of forces"),
        Auxiliary("T", "T", "ij", threat, "threat posed by j to i"),
        Auxiliary("A", "A", "i", support, "allied support"),
        Auxiliary("Q", "Q", "ij", common_threat, "common threat of i and j", "alliances"),
        Auxiliary("w", "w", "i", bandwagon_weight, "weakness (bandwagoning)", "bandwagoning"),
        Auxiliary("B", "B", "ij", bandwagon, "pull to bandwagon", "bandwagoning"),
        Auxiliary("F", "F", "ij", extraction, "output extracted by i from j", "coercion"),
        Auxiliary("X", "X", "i", excess_share, "excess share over s*", "soft_balancing"),
        Auxiliary("V", "V", "i", pressure, "soft-balancing pressure", "soft_balancing"),
    ]
}

# --- rates of change -----------------------------------------------------------------------


def spending_rate(ctx, i):
    """dm_i/dt = k_i (theta_i - A_i) + g_i e_i - alpha_i (1 + chi V_i) m_i (Richardson 1960).

    Grievance is per unit of output (scale-free, MODEL.md principle 5): with output held
    constant g_i e_i is Richardson's constant grievance; with the economy on, spending
    grows with output at a constant threat-free burden g/alpha. With the ceiling on, the
    drive k (theta - A) + g e saturates (module docstring).
    """
    drive = (ctx.par("reaction", i) * (perceived_threat(ctx, i) - ctx.aux("A", i))
             + ctx.par("grievance", i) * ctx.var("e", i))
    fatigue = ctx.par("fatigue", i)
    if ctx.on("soft_balancing"):
        fatigue = fatigue * (1 + ctx.par("soft_cost") * ctx.aux("V", i))
    if ctx.on("ceiling"):
        used = ctx.aux("beta", i) / ctx.par("ceiling", i)
        drive = _pos(drive) * (1 - used) - _pos(-drive) * used
    return drive - fatigue * ctx.var("m", i)


def output_rate(ctx, i):
    """de_i/dt = r_i e_i (1 - e_i/E_i) - kappa_i m_i/(1 + beta_i) + sum_j (F_ij - F_ji)
    - zeta V_i e_i.

    Logistic growth toward capacity, minus the output crowded out by arms (Kennedy 1987),
    plus net extraction by coercion, minus the drag of soft balancing against i.
    """
    e = ctx.var("e", i)
    rate = (ctx.par("growth", i) * e * (1 - e / ctx.par("capacity", i))
            - ctx.par("arms_cost", i) * ctx.var("m", i) / (1 + ctx.aux("beta", i)))
    if ctx.on("coercion"):
        rate += ctx.total(lambda j: ctx.aux("F", i, j) - ctx.aux("F", j, i), "j")
    if ctx.on("soft_balancing"):
        rate -= ctx.par("soft_drag") * ctx.aux("V", i) * e
    return rate


def perception_rate(ctx, i):
    """dtheta_i/dt = (sum_j T_ij - theta_i) / tau: first-order information delay."""
    actual = ctx.total(lambda j: ctx.aux("T", i, j), "j")
    return (actual - ctx.var("theta", i)) / ctx.par("perception_delay")


def cohesion_rate(ctx, i, j):
    """dc_ij/dt = mu Q_ij (1 - c_ij) - nu c_ij - psi c_ij |beta_i - beta_j| / b_ij
    + B_ij (1 - c_ij).

    b_ij = (b_i + b_j)/2 is the pair's mean ceiling; the B term is bandwagoning.
    """
    c = ctx.var("c", i, j)
    mean_ceiling = (ctx.par("ceiling", i) + ctx.par("ceiling", j)) / 2
    rate = (ctx.par("alliance_formation") * ctx.aux("Q", i, j) * (1 - c)
            - ctx.par("alliance_decay") * c
            - ctx.par("free_riding") * c * sp.Abs(ctx.aux("beta", i) - ctx.aux("beta", j))
            / mean_ceiling)
    if ctx.on("bandwagoning"):
        rate += ctx.aux("B", i, j) * (1 - c)
    return rate


def effort_rate(ctx, i):
    """dv_i/dt = (sigma_i sum_j (1 - c_ij) [S_j - s*]+ - v_i) / tau_v (Pape 2005; Paul 2005)."""
    target = ctx.par("soft_propensity", i) * ctx.total(
        lambda j: (1 - ctx.var("c", i, j)) * ctx.aux("X", j), "j")
    return (target - ctx.var("v", i)) / ctx.par("soft_delay")


#: the rate of each state variable, in the order variables are stacked
RATES: dict[str, Callable] = {
    "m": spending_rate,
    "e": output_rate,
    "theta": perception_rate,
    "c": cohesion_rate,
    "v": effort_rate,
}
