"""Mechanisms as plug-ins: every shipped mechanism passes check_mechanism, a researcher's
mechanism in a module of its own (tests/plugins/arms_control.py) runs end to end, and the
checks catch planted unit and Jacobian errors, naming the term."""

from __future__ import annotations

import importlib
import re
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from dynamics import Model, simulate
from dynamics.analysis.checks import (
    MechanismCheckError,
    check_jacobian,
    check_mechanism,
    check_units,
)
from dynamics.analysis.continuation import continuation
from dynamics.analysis.equilibria import find_equilibria
from dynamics.cli import main
from dynamics.model import Mechanism, Term, Variable
from dynamics.model.mechanisms import SHIPPED
from dynamics.model.mechanisms.richardson import OUTPUT, REACTION, SPENDING
from dynamics.run.ensemble import simulate_ensemble
from dynamics.run.prepared import prepare
from dynamics.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = Path(__file__).resolve().parent / "plugins"
sys.path.insert(0, str(PLUGINS))
arms_control = importlib.import_module("arms_control")

#: Richardson's limit with the treaty: W = 1, D = 0, eta = 0, no alliances
LIMIT = {"distinguishability": 0.0, "power_weight": 0.0, "reaction": 0.3, "fatigue": 0.25,
         "grievance": 0.01, "treaty_cut": 0.5, "breach": 0.0}


#: the mechanisms whose checks take longest (pair variables: tens of seconds each)
_LONG = {"alliances", "bandwagoning", "spoils", "coercion"}


@pytest.mark.parametrize("mechanism", [
    pytest.param(m, marks=pytest.mark.slow) if m.name in _LONG else m for m in SHIPPED],
    ids=lambda m: m.name)
def test_every_shipped_mechanism_passes_the_checks(mechanism):
    report = check_mechanism(mechanism, examples=4)
    assert len(report.passed) == 6, report.summary()


def test_no_mechanism_asks_whether_another_is_on():
    """Mechanisms do not test for each other: no ``.on(`` in the model's source."""
    for path in (ROOT / "dynamics" / "model").rglob("*.py"):
        assert not re.search(r"\.on\(", path.read_text()), path


def _equilibrium(treaty_cut: float) -> float:
    """x* = g e / (alpha - k (1 - s)) of the symmetric two-state race under the treaty
    (compliance stays 1 without breach; output 1)."""
    k, alpha, g = LIMIT["reaction"], LIMIT["fatigue"], LIMIT["grievance"]
    return g / (alpha - k * (1 - treaty_cut))


def test_researchers_mechanism_runs_from_a_scenario_file(tmp_path):
    """From TOML: the treaty's equilibrium is Richardson's with reaction k (1 - s)."""
    path = tmp_path / "treaty.toml"
    values = "\n".join(f"{k} = {v}" for k, v in LIMIT.items())
    path.write_text(textwrap.dedent("""\
        [model]
        states = ["Blue", "Red"]
        mechanisms = ["richardson", "arms_control:ARMS_CONTROL"]
        [time]
        span = [0, 400]
        output = 5
        [parameters]
        """) + values + "\n")
    result = load_scenario(path).run()
    assert result.ok and "q" in result.values
    np.testing.assert_allclose(result["m"][-1], _equilibrium(0.5), rtol=1e-7)
    np.testing.assert_allclose(result["q"][-1], 1.0, rtol=0, atol=1e-12)


def test_researchers_mechanism_in_the_kernel_equilibria_and_continuation():
    model = Model(["Blue", "Red"], ["richardson", arms_control.ARMS_CONTROL])
    cuts = np.array([0.2, 0.5, 0.8])
    runs = simulate_ensemble(model, {**LIMIT, "treaty_cut": cuts}, (0.0, 60.0), output=7)
    assert runs.engine == "kernel"
    for i, cut in enumerate(cuts):
        alone = simulate(model, {**LIMIT, "treaty_cut": cut}, (0.0, 60.0), output=7)
        np.testing.assert_allclose(runs.values["m"][i], alone["m"], rtol=1e-6)
    found = find_equilibria(model, LIMIT, starts=16)
    assert len(found) == 1 and found[0].stable
    np.testing.assert_allclose(found[0]["m[Blue]"], _equilibrium(0.5), rtol=1e-9)
    branch = continuation(model, "treaty_cut", (0.2, 0.8), LIMIT)
    spending = branch.states[:, branch.labels.index("m[Blue]")]
    np.testing.assert_allclose(spending, [_equilibrium(s) for s in branch.parameter],
                               rtol=1e-8)


def test_researchers_mechanism_on_the_command_line_and_in_html(capsys):
    assert main(["equations", "--mechanisms", "arms_control:ARMS_CONTROL"]) == 0
    assert "{q}_{i}" in capsys.readouterr().out
    assert main(["parameters", "--mechanisms", "arms_control:ARMS_CONTROL"]) == 0
    assert "treaty_cut" in capsys.readouterr().out
    model = Model(["Blue", "Red"], ["arms_control:ARMS_CONTROL"])
    assert "treaty_cut" in model._repr_html_()


def test_a_changed_equation_is_never_served_from_the_cache(tmp_path, monkeypatch):
    """The compiled-model cache is keyed on the expressions: editing the mechanism's module
    (and reloading it) compiles new code, with a new cache file."""
    from dynamics.codegen import compile as compiling

    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path / "cache"))
    module = tmp_path / "edited_treaty.py"
    source = (PLUGINS / "arms_control.py").read_text()
    module.write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    edited = importlib.import_module("edited_treaty")
    params = {**LIMIT, "treaty_cut": 0.5}

    def final_spending() -> float:
        model = Model(["Blue", "Red"], ["edited_treaty:ARMS_CONTROL"])
        return float(simulate(model, params, (0.0, 400.0), output=2)["m"][-1, 0])

    assert final_spending() == pytest.approx(_equilibrium(0.5), rel=1e-7)
    module.write_text(source.replace("return (-ctx.par(TREATY_CUT)",
                                     "return (-2 * ctx.par(TREATY_CUT)"))
    importlib.reload(edited)
    assert final_spending() == pytest.approx(_equilibrium(1.0), rel=1e-7)  # cut doubled
    assert len(list((tmp_path / "cache").glob("model-*.json"))) == 2
    compiling._compile.cache_clear()


def test_check_catches_a_term_in_the_wrong_unit():
    """A term that adds output (a level, [m]) to a rate of spending ([m]/yr)."""
    wrong = Mechanism("wrong_unit", "planted unit error",
                      terms=(Term("output as a rate", SPENDING,
                                  lambda ctx, i: ctx.var(OUTPUT, i), role="drive"),))
    with pytest.raises(MechanismCheckError, match="term 'output as a rate'.*unit"):
        check_units(wrong)


class wrong_softplus(sp.Function):  # noqa: N801 - a sympy function, named as sympy's are
    """log(1 + exp(x)) whose derivative is planted wrong (twice the logistic function)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 2 / (1 + sp.exp(-x))

    def _numpycode(self, printer):
        return f"numpy.logaddexp(0, {printer._print(self.args[0])})"


def test_check_catches_a_wrong_derivative():
    caution = Variable("u", "u", "caution", "1", default=0.5)
    wrong = Mechanism("wrong_derivative", "planted Jacobian error", variables=(caution,),
                      terms=(Term("softplus decay", caution,
                                  lambda ctx, i: -ctx.par(REACTION, i)
                                  * wrong_softplus(ctx.var(caution, i))),))
    with pytest.raises(MechanismCheckError, match="term 'softplus decay'"):
        check_jacobian(wrong)


def test_an_installed_package_offers_a_mechanism_through_an_entry_point(tmp_path,
                                                                         monkeypatch):
    """A distribution whose metadata names ``arms_control:ARMS_CONTROL`` in the group
    ``balancing_dynamics.mechanisms`` is found by its entry-point name."""
    info = tmp_path / "treaty_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: treaty-plugin\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text("[balancing_dynamics.mechanisms]\n"
                                           "treaty = arms_control:ARMS_CONTROL\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = Model(["Blue", "Red"], ["richardson", "treaty"])
    assert "arms_control" in model.mechanisms and model.is_dynamic("q")


@pytest.mark.parametrize(("reach", "direction"), [((0.0, 1.0), -1), ((1.0, 0.0), 0)])
def test_coercion_follows_reach(reach, direction):
    """Strong offensive A (m = 1), weak B (m = 0.2), no alliance. W[B, A] is the share of
    A's force that reaches B. When it is 1, A takes from B
    F = rho o_A e_B (W_BA m_A - m_B) / (W_BA m_A + m_B + phi e_B) = 0.1 * 1 * 0.8 / 1.2 (with
    phi = 1e-6, a part in a million less); when A's force cannot reach B (W_BA = 0),
    nothing is taken, even though B's reaches A."""
    model = Model(["A", "B"], ["economy", "coercion"])
    w_ab, w_ba = reach
    params = {"proximity": [[0.0, w_ab], [w_ba, 0.0]], "coercion": 0.1,
              "offence": [1.0, 1.0], "growth": 0.0, "arms_cost": 0.0}
    run = prepare(model, params, {"m": [1.0, 0.2], "e": [1.0, 1.0]})
    compiled, y0, p = run.compiled, run.y0, run.p
    rate = compiled.rate(0.0, y0, p)
    e = [s.label(model.states) for s in model.variables].index("e[B]")
    expected = 0.1 * 1.0 * 0.8 / (1.2 + 1e-6) if direction else 0.0
    assert rate[e] == pytest.approx(-expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("scale", "share"), [(1.0, 1.0), (1e-3, 1.0), (1e-12, 0.0)])
def test_an_advantage_in_vanishing_forces_takes_nothing(scale, share):
    """A's force s and B's 0.2 s, B's output 1, full reach: while the forces dwarf a
    millionth of B's output (s = 1, 1e-3) A takes the scale-free share (s - 0.2 s) /
    (s + 0.2 s) = 2/3 of rho o_A e_B, to 1e-3 of it; two forces at the solver's noise
    (s = 1e-12) take nothing, to 1e-5 of it, however unequal (docs/model.md, coercion)."""
    model = Model(["A", "B"], ["economy", "coercion"])
    params = {"proximity": [[0.0, 1.0], [1.0, 0.0]], "coercion": 0.1,
              "offence": [1.0, 0.0], "growth": 0.0, "arms_cost": 0.0}
    run = prepare(model, params, {"m": [scale, 0.2 * scale],
                                                    "e": [1.0, 1.0]})
    compiled, y0, p = run.compiled, run.y0, run.p
    e = [s.label(model.states) for s in model.variables].index("e[B]")
    taken = -compiled.rate(0.0, y0, p)[e] / (0.1 * 1.0 * 1.0)
    assert taken == pytest.approx(share * 2 / 3, abs=1e-3 if share else 1e-5)


def test_a_clash_with_a_known_name_or_symbol_is_refused():
    from dynamics import MechanismError
    from dynamics.model import Parameter

    clash = Parameter(name="reaction", symbol="k2", kind="state", unit="1/yr", default=0.1,
                      bounds=(0.0, 1.0), meaning="a second reaction", source="Richardson 1960")
    with pytest.raises(MechanismError, match="parameter 'reaction' is already defined by "
                                             "mechanism 'richardson'"):
        Model(["A", "B"], [Mechanism("clash", "a clash", parameters=(clash,))])
    same_symbol = Variable("resolve", "k", "resolve", "1")
    with pytest.raises(MechanismError, match="uses the symbol 'k' of 'reaction'"):
        Model(["A", "B"], [Mechanism("symbol_clash", "a clash", variables=(same_symbol,),
                                     terms=(Term("t", same_symbol, lambda ctx, i: 0),))])
    with pytest.raises(MechanismError, match="cites 'Nobody 2020'"):
        Model(["A", "B"], [Mechanism("uncited", "no source", references=("Nobody 2020",))])


def test_a_parameter_is_given_by_keywords_and_positions_are_deprecated():
    """Keywords name each of the eight fields; the old positional form still builds the
    same parameter for one release, with a DeprecationWarning, and too many positions are
    refused."""
    from dynamics.model import Parameter

    fields = dict(name="cut", symbol="s_c", kind="scalar", unit="1", default=0.5,
                  bounds=(0.0, 1.0), meaning="a share", source="Richardson 1960")
    keyworded = Parameter(**fields)
    with pytest.warns(DeprecationWarning, match="takes keywords"):
        positional = Parameter(*fields.values(), plausible=(0.1, 0.9))
    assert [getattr(positional, k) for k in fields] == [getattr(keyworded, k) for k in fields]
    assert positional.plausible == (0.1, 0.9)
    with pytest.raises(TypeError, match="at most 8 positional"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Parameter(*fields.values(), None, None)
