"""The XMILE export (dynamics/codegen/xmile.py, dynamics/run/xmile.py), checked by an
independent engine: PySD reads the document and runs it with Euler's method at two steps,
and their Richardson extrapolation (2 y(dt/2) - y(dt), which cancels Euler's first-order
error) must lie within 1e-4 of the project's run, relative to each stock's largest
magnitude over the run, at the run's output times. The project's run is solved at rtol
1e-10, so that its own error does not count."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from dynamics import Model, simulate
from dynamics.cli import main
from dynamics.errors import MissingExtraError
from dynamics.run.interventions import Intervention
from dynamics.run.solver import Solver
from dynamics.run.xmile import NAMESPACE, XmileError, for_pysd, to_xmile, write_xmile
from dynamics.scenarios import list_scenarios, load_scenario

#: the largest difference allowed, relative to a stock's largest magnitude over the run
TOLERANCE = 1e-4
TIGHT = Solver(rtol=1e-10, atol=1e-12)
NS = {"x": NAMESPACE}
needs_pysd = pytest.mark.skipif(importlib.util.find_spec("pysd") is None,
                                reason="PySD is the [interop] extra")


def _columns(model: Model) -> list[str]:
    return ["_".join([s.name, *(model.states[i] for i in s.index)]) for s in model.variables]


def _pysd(path, names, times, dt):
    """PySD's runs at dt and dt/2 and their extrapolation, read here without the project's
    helper (the document given to PySD with its one gap bridged: XMILE's DT named as PySD
    names it, ``for_pysd``)."""
    import pysd

    readable = path.with_name("pysd-" + path.name)
    readable.write_text(for_pysd(path.read_text()))
    runs = []
    for step in (dt, dt / 2):
        document = pysd.read_xmile(str(readable))
        frame = document.run(time_step=step, final_time=float(times[-1]),
                             return_timestamps=times, return_columns=names, progress=False)
        runs.append(frame[names].to_numpy(dtype=float))
    return runs[1], 2 * runs[1] - runs[0]


def _differences(scenario_name: str, tmp_path, dt: float) -> tuple[float, float]:
    """Largest relative differences from the project's run: of PySD's finer Euler run
    and of the extrapolation."""
    scenario = load_scenario(scenario_name)
    model = scenario.model()
    path = tmp_path / f"{scenario_name}.xmile"
    scenario.to_xmile(path, dt=dt)
    t0, t1 = scenario.t_span
    # nine times across the span, and the dates of its interventions (a stock has its new
    # value at the date, as the run reports it)
    dates = [float(e.at) for e in scenario.events if t0 < e.at <= t1]
    times = np.union1d(t0 + dt * np.round(np.linspace(0.0, (t1 - t0) / dt, 9)), dates)
    result = scenario.run(output=times, solver=TIGHT)
    # (a run that stops, a runaway race past its divergence bound, reports the output times
    # before and the time it stopped, which is off the grid: compared at the former)
    kept = np.isin(result.t, times)
    names = _columns(model)
    ours = np.column_stack([result[(s.name, *(model.states[i] for i in s.index))][kept]
                            for s in model.variables])
    scale = np.maximum(np.abs(ours).max(axis=0), 1e-300)
    euler, extrapolated = _pysd(path, names, result.t[kept], dt)
    return (float(np.max(np.abs(euler - ours) / scale)),
            float(np.max(np.abs(extrapolated - ours) / scale)))


@needs_pysd
@pytest.mark.parametrize("name", [
    "hegemonic-rise",   # perception, ceiling (a modifier), economy, coercion
    "cold-war-1949",    # economy; dated events: held cohesion and parameters (STEP),
                        # the Soviet collapse scaling two stocks (PULSE)
    "free-riding",      # perception, ceiling, alliances (pair stocks), public good
])
def test_pysd_runs_the_exported_scenario_and_matches_its_trajectories(name, tmp_path):
    euler, extrapolated = _differences(name, tmp_path, dt=1 / 64)
    assert extrapolated < TOLERANCE
    # the extrapolation is what brings it there: Euler's own error is first order
    assert extrapolated < euler / 10


#: run in BPTK-Py's own environment: compile each document to Python, step it over its
#: grid (its memo filled in order, not by deep recursion) and print the stocks at the times
BPTK_SCRIPT = """
import importlib, json, sys
import numpy as np
from BPTK_Py.sdcompiler.compile import compile_xmile
folder, names, times = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
sys.path.insert(0, folder)
out = []
for k in (0, 1):
    compile_xmile(src=f"{folder}/rise{k}.stmx", dest=f"{folder}/rise{k}.py", target="py")
    document = importlib.import_module(f"rise{k}").simulation_model()
    for t in np.arange(0.0, times[-1] + document.dt / 2, document.dt):
        for name in names:
            document.equation(name, t)
    out.append([[document.equation(name, t) for name in names] for t in times])
print(json.dumps(out))
"""


@pytest.mark.slow
def test_bptk_py_runs_the_exported_scenario_too(tmp_path):
    """A second reader: BPTK-Py compiles the document to Python (its names camel-cased:
    m_Riser is mRiser) and runs Euler at the document's step; two documents, dt and dt/2,
    extrapolated as above. BPTK-Py pins exact releases of numpy, scipy and pandas, so it
    is kept out of the project's extras and installed here in an environment of its own."""
    environment = tmp_path / "bptk"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True)
    python = str(environment / "bin" / "python")
    # (its XMILE compiler imports xmltodict, parsimonious and jinja2 without declaring them)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "bptk-py", "xmltodict",
                    "parsimonious", "jinja2"],
                   check=True, timeout=900)
    scenario = load_scenario("hegemonic-rise")
    model = scenario.model()
    dt, t1 = 1 / 64, 20.0
    scenario = scenario.with_values(t_span=(0.0, t1))
    times = np.linspace(0.0, t1, 5)
    for k, step in enumerate((dt, dt / 2)):
        scenario.to_xmile(tmp_path / f"rise{k}.stmx", dt=step)
    camel = [n.split("_")[0] + "".join(p[:1].upper() + p[1:] for p in n.split("_")[1:])
             for n in _columns(model)]
    answer = subprocess.run([python, "-c", BPTK_SCRIPT, str(tmp_path), json.dumps(camel),
                             json.dumps(times.tolist())], check=True, capture_output=True,
                            text=True, timeout=900)
    coarse, fine = (np.array(run) for run in json.loads(answer.stdout))
    extrapolated = 2 * fine - coarse
    result = scenario.run(output=times, solver=TIGHT)
    ours = np.column_stack([result[(s.name, *(model.states[i] for i in s.index))]
                            for s in model.variables])
    scale = np.abs(ours).max(axis=0)
    assert np.max(np.abs(extrapolated - ours) / scale) < TOLERANCE


@pytest.mark.slow
@needs_pysd
@pytest.mark.parametrize("name", list_scenarios())
def test_every_shipped_scenario_runs_in_pysd_within_1e_4(name, tmp_path):
    scenario = load_scenario(name)
    assert not any(event.triggered for event in scenario.events)  # all can be exported
    # the runaway race grows a millionfold in 19 years (rate 0.72/yr): what the extrapolation
    # leaves, about (rate dt)^2 rate t, needs a finer step there
    dt = 1 / 1024 if name == "richardson-runaway" else 1 / 128
    _, extrapolated = _differences(name, tmp_path, dt=dt)
    assert extrapolated < TOLERANCE


@needs_pysd
def test_a_ramped_change_is_a_ramp_and_a_set_stock_a_pulse(tmp_path):
    """A parameter ramped over five years, set again later at once, and a stock set at a
    date: the path of the parameter (STEPs and RAMPs) and the jump (PULSE) as the run has
    them."""
    model = Model(["A", "B"], "richardson")
    events = [Intervention("treaty", at=10.0, scale={"reaction.A": 0.25}, ramp=5.0),
              Intervention("crisis", at=12.0, set={"reaction.A": 0.6}),
              Intervention("purge", at=20.0, set={"m.B": 0.1})]
    params = {"reaction": 0.3, "fatigue": 0.5}
    text = to_xmile(model, params, {"m": [1.0, 2.0]}, (0.0, 30.0), events, dt=1 / 64)
    path = tmp_path / "treaty.xmile"
    path.write_text(text)
    equation = ET.fromstring(text).find("x:model/x:variables/x:aux[@name='reaction_A']/x:eqn",
                                        NS).text
    assert "RAMP" in equation and "STEP" in equation
    times = np.linspace(0.0, 30.0, 31)
    result = simulate(model, params, (0.0, 30.0), initial={"m": [1.0, 2.0]}, output=times,
                      solver=TIGHT, interventions=events)
    _, extrapolated = _pysd(path, ["m_A", "m_B", "reaction_A"], times, 1 / 64)
    ours = np.column_stack([result["m", "A"], result["m", "B"]])
    scale = np.abs(ours).max(axis=0)
    assert np.max(np.abs(extrapolated[:, :2] - ours) / scale) < TOLERANCE
    # the parameter's path itself: 0.3, down to 0.075 over 10-15, cut short at 12 by 0.6
    ramp = 0.3 + (0.075 - 0.3) * np.clip((times - 10.0) / 5.0, 0.0, 1.0)
    expected = np.where(times < 12.0, ramp, 0.6)
    assert np.max(np.abs(extrapolated[:, 2] - expected)) < 1e-12


def test_the_document_is_stocks_with_a_flow_per_term():
    scenario = load_scenario("hegemonic-rise")
    root = ET.fromstring(scenario.to_xmile())
    variables = root.find("x:model/x:variables", NS)
    stocks = {s.get("name"): s for s in variables.findall("x:stock", NS)}
    flows = {f.get("name"): f.find("x:eqn", NS).text for f in variables.findall("x:flow", NS)}
    auxes = {a.get("name"): a.find("x:eqn", NS).text for a in variables.findall("x:aux", NS)}
    model = scenario.model()
    assert set(stocks) == set(_columns(model))
    riser = stocks["m_Riser"]
    inflows = [f.text for f in riser.findall("x:inflow", NS)]
    outflows = [f.text for f in riser.findall("x:outflow", NS)]
    # Richardson's terms and the ceiling's saturation of their sum (docs/model.md)
    assert inflows == ["m_reaction_Riser", "m_grievance_Riser", "m_constant_grievance_Riser",
                       "m_saturation_Riser"]
    assert outflows == ["m_fatigue_Riser"]
    assert flows["m_fatigue_Riser"] == "fatigue_Riser * m_Riser"  # a removal, unsigned
    units = {e.get("name"): e.findtext("x:units", None, NS) for e in variables}
    assert (units["m_Riser"], units["reaction_Riser"], units["threat_Riser_West"]) == (
        "money", "1/years", "money")
    assert auxes["m_drive_Riser"] == ("m_constant_grievance_Riser + m_grievance_Riser + "
                                      "m_reaction_Riser")
    assert auxes["reaction_Riser"] == repr(scenario.parameters["reaction"]["Riser"])
    assert "threat_Riser_West" in auxes  # a derived quantity, defined once by name
    names = [e.get("name").lower() for e in variables]
    assert len(names) == len(set(names))
    specs = root.find("x:sim_specs", NS)
    assert (specs.get("method"), specs.find("x:stop", NS).text) == ("Euler", "80.0")


def test_what_xmile_cannot_express_is_refused_by_name(tmp_path):
    model = Model(["A", "B"], "richardson")
    trigger = Intervention("alarm", when="m.A > 2", set={"reaction.B": 0.5})
    with pytest.raises(XmileError, match="intervention 'alarm'.*triggered"):
        to_xmile(model, {}, {}, (0.0, 10.0), [trigger])
    late = Intervention("late", at=3.3, set={"reaction.B": 0.5})
    with pytest.raises(XmileError, match="'late' at 3.3 is not on the grid of the step"):
        to_xmile(model, {}, {}, (0.0, 10.0), [late], dt=0.25)
    twice = [Intervention("one", at=2.0, set={"m.A": 1.0}),
             Intervention("two", at=2.0, scale={"m.A": 2.0})]
    with pytest.raises(XmileError, match="'two': m_A changes twice at 2"):
        to_xmile(model, {}, {}, (0.0, 10.0), twice)
    with pytest.raises(XmileError, match="one run"):
        to_xmile(model, {"reaction": np.array([[0.1], [0.2]])}, {}, (0.0, 10.0))
    scenario = load_scenario("security-dilemma")
    with pytest.raises(XmileError, match=r"security-dilemma.*\[solver\] option\(s\) rtol = "
                                         r"1e-09, max_step = 0.5 have no XMILE form"):
        scenario.with_values(solver=Solver(rtol=1e-9, max_step=0.5)).to_xmile()
    path = tmp_path / "kept.xmile"
    path.write_text("before")
    with pytest.raises(XmileError):
        write_xmile(path, model, {}, {}, (0.0, 10.0), [trigger])
    assert path.read_text() == "before"  # refused before the file was touched


def test_the_command_line_writes_prints_and_checks(tmp_path, capsys):
    path = tmp_path / "rise.xmile"
    assert main(["export", "hegemonic-rise", "--format", "xmile", "--out", str(path)]) == 0
    assert ET.parse(path).getroot().tag == f"{{{NAMESPACE}}}xmile"
    assert main(["export", "hegemonic-rise", "--format", "xmile"]) == 0
    assert capsys.readouterr().out.endswith(path.read_text())  # the same document
    assert main(["export", "hegemonic-rise", "--format", "xmile", "--out",
                 str(tmp_path / "rise.csv")]) == 2
    assert "expected a file name ending .xmile, .xml or .stmx" in capsys.readouterr().err
    assert main(["export", "hegemonic-rise", "--format", "xmile", "--check"]) == 2
    assert "give --out" in capsys.readouterr().err


@needs_pysd
def test_check_reports_the_largest_difference(tmp_path, capsys):
    path = tmp_path / "dilemma.xmile"
    assert main(["export", "security-dilemma", "--format", "xmile", "--out", str(path),
                 "--dt", "1/32", "--check"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(f"PySD ran {path} at the steps 0.03125 and 0.015625")
    assert float(line.split("largest difference from this run ")[1].split()[0]) < TOLERANCE


def test_without_pysd_the_check_names_the_interop_extra(monkeypatch, tmp_path, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pysd" else real(name, *a))
    path = tmp_path / "rise.xmile"
    assert main(["export", "hegemonic-rise", "--format", "xmile", "--out", str(path),
                 "--check"]) == 2
    assert "pip install 'balancing-dynamics[interop]'" in capsys.readouterr().err
    assert not path.exists()  # refused before any work
    from dynamics.run.xmile import run_with_pysd

    with pytest.raises(MissingExtraError, match=r"\[interop\]"):
        run_with_pysd(path, ["m_Riser"], np.array([0.0, 1.0]))
