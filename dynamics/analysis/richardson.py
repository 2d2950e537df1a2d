"""Symbolic results for the Richardson core, derived from the assembled model.

In the Richardson limit (only the ``richardson`` mechanism, ``distinguishability = 0``,
``power_weight = 0``, a neutral offence-defence balance, cohesion held at zero) the
spending equations are linear: ``dm/dt = (K - A) m + g`` with ``K_ij = k_i W_ij``,
``A = diag(alpha)`` and Richardson's grievance ``g_i = grievance_i * e_i + G_i`` (output
is held constant there). The matrix and
vector are read off the model's own equations, not typed in, and the equilibrium and
stability condition follow from them.

References
----------
Richardson, L. F. (1960). Arms and Insecurity. Pittsburgh: Boxwood Press.
"""

from __future__ import annotations

import sympy as sp

from dynamics.errors import MechanismError
from dynamics.model.model import Model

__all__ = ["richardson_limit", "linear_system", "equilibrium", "stability_minors"]


def richardson_limit(model: Model) -> dict[sp.Symbol, sp.Expr]:
    """Substitutions that reduce ``model`` to Richardson's linear system.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    dict
        Symbol -> the value it takes in the limit.
    """
    if model.mechanisms != {"richardson"}:
        raise MechanismError(f"the Richardson limit needs only the 'richardson' mechanism; "
                             f"{model!r} has {sorted(model.mechanisms - {'richardson'})} on")
    subs = {model.symbol("distinguishability"): 0, model.symbol("power_weight"): 0,
            model.symbol("offence_defence"): 1}
    subs.update({slot.symbol: 0 for slot in model.held if slot.name == "c"})
    return subs


def linear_system(model: Model) -> tuple[sp.Matrix, sp.Matrix]:
    """``(M, g)`` with ``dm/dt = M m + g`` in the Richardson limit; M = K - A.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    (sympy.Matrix, sympy.Matrix)
        M and g.

    Raises
    ------
    MechanismError
        Where the limit is not linear in spending (the model is not Richardson's there).
    """
    subs = richardson_limit(model)
    m = [slot.symbol for slot in model.variables]
    rates = sp.Matrix([sp.expand(r.xreplace(subs)) for r in model.rates])
    matrix = rates.jacobian(m)
    if any(sp.simplify(entry).free_symbols & set(m) for entry in matrix):
        raise MechanismError("the Richardson limit of this model is not linear in spending")
    constant = rates.xreplace(dict.fromkeys(m, 0))
    return matrix.applyfunc(sp.simplify), constant.applyfunc(sp.simplify)


def equilibrium(model: Model) -> dict[sp.Symbol, sp.Expr]:
    """The equilibrium ``m* = -M^{-1} g`` of the Richardson limit, as simplified fractions.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    dict
        Spending symbol -> its equilibrium value.
    """
    matrix, constant = linear_system(model)
    solution = matrix.LUsolve(-constant)
    m = [slot.symbol for slot in model.variables]
    return {s: sp.factor(sp.simplify(x)) for s, x in zip(m, solution, strict=True)}


def stability_minors(model: Model) -> list[sp.Expr]:
    """Leading principal minors of ``A - K``; the equilibrium is stable iff all are > 0.

    ``M = K - A`` is a Metzler matrix (non-negative off the diagonal), and a Metzler matrix
    is Hurwitz exactly when ``-M`` is a non-singular M-matrix, i.e. when every leading
    principal minor of ``-M = A - K`` is positive (Berman and Plemmons 1994, ch. 6).

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    list of sympy.Expr
        The minors, in order.
    """
    matrix, _ = linear_system(model)
    negative = -matrix
    return [sp.factor(negative[:k, :k].det()) for k in range(1, model.N + 1)]


#: Richardson's four classical cases, with what each means for an arms race
CASES = {
    "stable": "stable, positive equilibrium: a balance of power",
    "runaway": "unstable, no positive equilibrium: an unbounded race",
    "disarmament": "stable, negative equilibrium: mutual disarmament",
    "ambiguous": "positive saddle: race or disarmament, by the start",
}


def classify_case(reaction: tuple[float, float], fatigue: tuple[float, float],
                  grievance: tuple[float, float]) -> str:
    """Richardson's case for dx/dt = k y - alpha x + g, dy/dt = l x - beta y + h.

    ``reaction = (k, l)``, ``fatigue = (alpha, beta)``, ``grievance = (g, h)`` (Richardson's
    constant grievances). Stable exactly when alpha beta > k l; the case then follows from
    where the equilibrium lies: with g and h of one sign, the four cases are Richardson's
    (g, h > 0: stable or runaway; g, h < 0: disarmament or ambiguous).
    """
    (k, l), (alpha, beta), (g, h) = reaction, fatigue, grievance  # noqa: E741 (Richardson's l)
    determinant = alpha * beta - k * l
    if determinant == 0:
        raise ValueError("alpha beta = k l: the equilibrium is not isolated (degenerate case)")
    x = (beta * g + k * h) / determinant
    y = (alpha * h + l * g) / determinant
    positive = x > 0 and y > 0
    if determinant > 0:
        return "stable" if positive else "disarmament"
    return "ambiguous" if positive else "runaway"
