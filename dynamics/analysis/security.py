"""The security-dilemma threshold D*: in closed form from sympy, and by continuation.

Two status-quo states with equal reaction k, fatigue alpha and offensive share o read the
other's forces as hostile in the share h = omega_o (o + (1 - D)(1 - o)), omega_o the
offence-defence balance (Jervis 1978). In the linear
regime (Richardson's core, eta = 0, no alliance) their race is stable exactly when
alpha^2 > (k h)^2, so the disarmed (or low) equilibrium loses stability where k h = alpha:

    D* = 1 - (alpha/(k omega_o) - o) / (1 - o)    (= 1 - (alpha/k - o)/(1 - o) at omega_o = 1).

:func:`dilemma_threshold` derives this from the model's own equations;
:func:`dilemma_threshold_numeric` finds the same point as a branch point of the full
security-dilemma model (delayed perception and the mobilisation ceiling on) by
continuation of its disarmed equilibrium in D.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from dynamics.analysis.continuation import continuation
from dynamics.model.model import Model

__all__ = ["dilemma_threshold", "dilemma_threshold_numeric"]


def dilemma_threshold() -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """D* as a sympy expression and the symbols it uses: ``reaction`` k, ``fatigue``
    alpha, ``offence`` o and ``offence_defence`` omega_o (the offence-defence balance),
    D* = 1 - (alpha/(k omega_o) - o) / (1 - o)."""
    model = Model(["A", "B"], "richardson")
    k, alpha, o = (model.parameter_symbols(n)[0] for n in ("reaction", "fatigue", "offence"))
    distinguishability = model.symbol("distinguishability")
    symmetric = {model.parameter_symbols("reaction")[1]: k,
                 model.parameter_symbols("fatigue")[1]: alpha,
                 model.parameter_symbols("offence")[1]: o,
                 model.symbol("power_weight"): 0,
                 model.symbol("proximity", "A", "B"): 1,
                 model.symbol("proximity", "B", "A"): 1}
    symmetric.update({slot.symbol: 0 for slot in model.held if slot.name == "c"})
    m = [slot.symbol for slot in model.variables]
    matrix = sp.Matrix(model.rates).jacobian(m).xreplace(symmetric).applyfunc(sp.simplify)
    roots = sp.solve(sp.Eq(matrix.det(), 0), distinguishability)
    balance = model.symbol("offence_defence")
    hostility = balance * (o + (1 - distinguishability) * (1 - o))
    # the root at which k h = +alpha (the other, k h = -alpha, needs h < 0)
    for root in roots:
        if sp.simplify(k * hostility.subs(distinguishability, root) - alpha) == 0:
            return sp.simplify(root), {"reaction": k, "fatigue": alpha, "offence": o,
                                       "offence_defence": balance}
    raise ArithmeticError(f"no root with k h = alpha among {roots}")  # pragma: no cover


def dilemma_threshold_numeric(params: Mapping[str, Any], *, ceiling: float = 0.4) -> float:
    """D* as the branch point of the disarmed equilibrium of the full two-state model.

    Grievance is zero so that disarmament (m = theta = 0) is an equilibrium for every D.

    Parameters
    ----------
    params : mapping
        ``reaction``, ``fatigue`` and ``offence`` (shared by both states).
    ceiling : float
        The mobilisation ceiling.

    Returns
    -------
    float
        The distinguishability D* at which the disarmed equilibrium loses stability.
    """
    model = Model(["North", "South"], ["perception", "ceiling"])
    values = {"grievance": 0.0, "power_weight": 0.0, "ceiling": ceiling, **params}
    branch = continuation(model, "distinguishability", (1.0, 0.0), values,
                            initial={"m": [0.0, 0.0]}, start=np.zeros(len(model.variables)))
    points = [p.parameter for p in branch.points if p.kind == "branch point"]
    if not points:
        raise ArithmeticError("no branch point of the disarmed equilibrium for D in [0, 1]")
    return points[0]
