"""Bad input found by trying the package as a new user would: each case exits with status 2
and one line naming the culprit, before any work is done; extreme values end in bounded
time with a status; values that would do nothing are refused."""

from __future__ import annotations

import logging
import math
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from dynamics import (
    Model,
    ParameterValueError,
    ScenarioError,
    ShapeError,
    Solver,
    Status,
    simulate,
    simulate_ensemble,
)
from dynamics.cli import main
from dynamics.scenarios import load_scenario
from dynamics.studies.design import Problem

HERE = Path(__file__).resolve().parent


def _one_line_error(capsys, *needles: str) -> None:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def test_a_binary_file_and_a_folder_are_not_scenarios(tmp_path, capsys):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    assert main(["run", str(binary)]) == 2
    _one_line_error(capsys, "binary.toml is not a text (UTF-8) file")
    folder = tmp_path / "scenarios.toml"
    folder.mkdir()
    assert main(["run", str(folder)]) == 2
    _one_line_error(capsys, "is a folder, not a scenario file")


def test_an_output_path_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    for option, name in (("--out", "run.csv"), ("--plot", "run.png")):
        assert main(["run", "richardson-stable", option, str(blocker / name)]) == 2
        _one_line_error(capsys, f"{option} {blocker / name}: cannot create the folder")
    assert main(["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3",
                 "--out", str(blocker / "s.csv"), "--checkpoint", str(tmp_path / "c.npz")]) == 2
    _one_line_error(capsys, "--out")
    assert not (tmp_path / "c.npz").exists()  # refused before the first chunk


@pytest.mark.parametrize(("args", "message"), [
    (["run", "richardson-stable", "--out", "run.xlsx"], "--out run.xlsx: expected a file name "
     "ending .csv or .npz"),
    (["run", "richardson-stable", "--plot", "figure.v2"], "--plot figure.v2: expected a file "
     "name ending .pdf, .png or .svg, or none"),
    (["sensitivity", "richardson-stable", "--param", "reaction=0.1:0.2", "--metric",
      "peak_share", "--out", "indices.csv"], "--out indices.csv: expected a file name ending "
     ".json"),
    (["compare", "richardson-stable", "--without", "x", "--csv", "table.json"],
     "--csv table.json: expected a file name ending .csv"),
])
def test_an_output_of_the_wrong_type_is_refused_before_the_run(tmp_path, monkeypatch, capsys,
                                                                args, message):
    """The file type of every output is checked before any work: nothing is printed, no
    run is made and no file is written."""
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    _one_line_error(capsys, message)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("option", ["--out", "--plot", "--csv"])
def test_an_empty_output_name_is_refused(option, capsys):
    """``--plot ''`` once did nothing, silently."""
    args = (["compare", "richardson-stable", "--without", "x", option, ""] if option == "--csv"
            else ["run", "richardson-stable", option, ""])
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "expected a file name, got an empty one" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_dev_null_takes_every_output_and_nothing_is_written_beside_it(tmp_path, capsys):
    """A device is written in place, whatever its name: no /dev/null.json beside it, no
    /dev/null.pdf and .png."""
    before = set(Path("/dev").iterdir())
    for args in (["run", "richardson-stable", "--out", "/dev/null", "--plot", "/dev/null"],
                 ["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:2", "--out",
                  "/dev/null"]):
        assert main(args) == 0, capsys.readouterr().err
    assert set(Path("/dev").iterdir()) == before


def test_missing_output_folders_are_made(tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "run.csv"
    assert main(["run", "richardson-stable", "--out", str(out)]) == 0
    assert out.is_file()


def test_the_plot_suffix_is_honoured(tmp_path, capsys):
    assert main(["run", "richardson-stable", "--plot", str(tmp_path / "run.svg")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.svg"]
    assert main(["run", "richardson-stable", "--plot", str(tmp_path / "both")]) == 0
    assert {"both.pdf", "both.png"} <= {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("args", [
    ["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3", "--chunk", "0"],
    ["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3", "--workers", "0"],
    ["sensitivity", "richardson-stable", "--param", "reaction=0.1:0.2", "--metric",
     "peak_share", "--n", "0"],
    ["robustness", "richardson-stable", "--members", "-3"]])
def test_counts_must_be_positive(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert "expected at least 1" in capsys.readouterr().err


def test_quoted_numbers_and_booleans_are_not_numbers(tmp_path):
    with pytest.raises(ParameterValueError, match="must be a number, got True"):
        simulate(Model(["A", "B"], "richardson"), {"reaction": True})
    path = tmp_path / "quoted.toml"
    path.write_text(textwrap.dedent("""\
        [model]
        states = ["A", "B"]
        mechanisms = ["richardson"]
        [parameters]
        reaction = "0.15"
        """))
    with pytest.raises(ScenarioError, match=r"quoted.toml, line 5, key 'parameters.reaction'"
                                            r".*must be a number, got '0.15'"):
        load_scenario(path)


def test_a_closed_pipe_is_not_an_error(tmp_path, monkeypatch, capsys):
    """``balancing parameters | head -1``: the reader leaves early; the command ends with
    status 0 and no traceback (here standard output raises as a closed pipe does)."""
    sink = (tmp_path / "sink").open("w")

    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            return sink.fileno()

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["parameters"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    done = subprocess.run(f"{sys.executable} -m dynamics parameters --markdown | head -1",
                          shell=True, capture_output=True, text=True, check=False)
    assert done.stdout.startswith("| name") and "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3", "--param",
      "reaction=0.1:0.3:2"], "--param reaction is given twice"),
    (["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:0"],
     "number of points must be a whole number of at least 1"),
    (["continue", "security-dilemma", "--param", "distinguishability", "--range", "1:1"],
     "the range is empty"),
    (["calibrate", "richardson", "no-such-file.csv"], "no-such-file.csv: no such file"),
    (["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3", "--scheduler",
      "nonsense", "--timeout", "1"], "cannot reach the Dask scheduler at 'nonsense'")])
def test_more_bad_commands_are_one_line_errors(args, message, capsys):
    assert main(args) == 2
    _one_line_error(capsys, message)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04broken"])
def test_a_corrupt_checkpoint_is_named_not_a_traceback(tmp_path, capsys, content):
    checkpoint = tmp_path / "c.npz"
    checkpoint.write_bytes(content)
    assert main(["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3",
                 "--out", str(tmp_path / "s.csv"), "--checkpoint", str(checkpoint)]) == 2
    _one_line_error(capsys, "is not a checkpoint of a sweep", "give --checkpoint another file")


def test_a_single_name_is_not_a_list_of_states():
    with pytest.raises(Exception, match="write \\['USA', ...\\]"):
        Model("USA")


def test_sobol_intervals_are_reproducible_with_the_same_seed():
    """The bootstrap is seeded: two studies with one seed give identical intervals."""
    import numpy as np

    from dynamics.studies.design import Problem
    from dynamics.studies.sensitivity import sobol_of

    problem = Problem(("x1", "x2"), ((0.0, 1.0), (0.0, 1.0)))
    runs = [sobol_of(lambda x: x[0] + x[1] ** 2, problem, 64, seed=3, resamples=50)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].first_interval, runs[1].first_interval)
    np.testing.assert_array_equal(runs[0].total_interval, runs[1].total_interval)


# --- fuzzing: random scenario documents, random bytes, random command lines ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dynamics.errors import DynamicsError  # noqa: E402
from dynamics.scenarios import parse_scenario  # noqa: E402

_LEAVES = (st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=5))
_VALUES = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
_TABLES = st.sampled_from(["scenario", "model", "time", "parameters", "initial", "solver",
                           "sources", "robustness", "bogus"])
_KEYS = st.sampled_from(["states", "mechanisms", "span", "output", "reaction", "fatigue", "m",
                         "e", "c", "method", "rtol", "name", "extends", "share", "unit", "x"])


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _parse_or_refuse(text: str) -> None:
    """The loader either parses the text or raises the project's own error."""
    try:
        parse_scenario(text, "fuzz.toml")
    except DynamicsError:
        pass


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.dictionaries(_TABLES, st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=4))
def test_random_scenario_documents_never_raise_a_traceback(document):
    _parse_or_refuse("\n".join(f"[{table}]\n" + "\n".join(f"{_toml(k)} = {_toml(v)}"
                                                          for k, v in body.items())
                               for table, body in document.items()))


@settings(max_examples=100, deadline=None, database=None)
@given(st.dictionaries(_TABLES, _VALUES, max_size=4))
def test_tables_that_are_not_tables_are_refused(document):
    _parse_or_refuse("\n".join(f"{_toml(k)} = {_toml(v)}" for k, v in document.items()))


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(data):
    _parse_or_refuse(data.decode("utf-8", "replace"))


_WORDS = st.sampled_from(["describe", "run", "equations", "parameters", "richardson-stable",
                          "security-dilemma", "nope", "--set", "reaction=0.2", "reactoin=1",
                          "reaction=abc", "reaction.Nobody=1", "fatigue=-1", "--t-end", "-5",
                          "nan", "7", "--mechanisms", "ceiling", "bogus", "--markdown",
                          "--json", ""])


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.lists(_WORDS, min_size=1, max_size=5))
def test_random_command_lines_end_with_status_0_or_2(words):
    try:
        status = main(words)
    except SystemExit as exit_:  # argparse's own usage errors
        status = exit_.code
    assert status in (0, 2)


def test_no_equilibrium_is_explained(capsys):
    assert main(["equilibria", "richardson-runaway", "--starts", "16"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no equilibrium of richardson-runaway found") and "runaway" in out


def test_the_readme_calibration_example_has_its_file(capsys):
    """The README's example reads docs/examples/blocs-1909.csv, which is COW's own series."""
    import json
    from pathlib import Path

    from dynamics.data import cow_series, read_series

    path = Path(__file__).resolve().parents[1] / "docs" / "examples" / "blocs-1909.csv"
    shipped = read_series(path)
    cow = cow_series({"Entente": ["FRN", "RUS"], "Central": ["GMY", "AUH"]}, (1909, 1913))
    for bloc in ("Entente", "Central"):
        assert list(shipped.values[bloc]) == list(cow.values[bloc])
    assert main(["calibrate", "richardson", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intervals"] == 4


# --- extreme values: every run ends in bounded time with a status ---------------------------

@pytest.mark.parametrize(("initial", "culprit"), [
    ({"e": [1e300, 1.0, 1.0]}, "largest initial output is 1e+300"),
    ({"e": [1e-300, 1.0, 1.0]}, "initial e[A] = 1e-300"),
    ({"m": [1e200, 0.03, 0.03]}, "initial m[A] = 1e+200"),
    ({"e": [1e20, 1.0, 1.0]}, "initial e[B] = 1")])
def test_currency_values_the_arithmetic_cannot_resolve_are_refused_at_once(initial, culprit):
    """These values once hung simulate for minutes (1e300: never returned)."""
    with pytest.raises(ParameterValueError, match=re.escape(culprit)) as error:
        simulate(Model(["A", "B", "C"]), {}, (0.0, 50.0), initial=initial)
    assert "\n" not in str(error.value)


def test_an_unresolvable_member_fails_alone():
    """Members at 1e100 and 1e300 times the others fail with the reason; the rest run."""
    e = np.array([[1.0, 1.0, 1.0], [1e100, 1.0, 1.0], [1e300, 1.0, 1.0], [2.0, 1.0, 1.0]])
    runs = simulate(Model(["A", "B", "C"]), {}, (0.0, 20.0), initial={"e": e}, output=5)
    assert [s.value for s in runs.status] == ["success", "failed", "failed", "success"]
    assert "initial e[B] = 1 is below" in runs.messages[1]
    assert "largest initial output is 1e+300" in runs.messages[2]
    assert np.isfinite(runs.values["m"][[0, 3]]).all()


def test_a_run_past_its_step_budget_or_time_limit_stops_and_says_so():
    """A stiff problem (perception delay 1e-7 yr) given to an explicit method over 1000
    years: the step budget and the wall-clock limit end it with a FAILED status and the
    reason, in bounded time, without a retry."""
    model = Model(["A", "B"], ["perception"])
    params = {"perception_delay": 1e-7}
    start = time.monotonic()
    res = simulate(model, params, (0.0, 1e3), solver=Solver(method="RK45", max_steps=100))
    assert res.status is Status.FAILED and "step budget" in res.message
    assert "retried" not in res.message
    res = simulate(model, params, (0.0, 1e3), solver=Solver(method="RK45", time_limit=0.5))
    assert res.status is Status.FAILED and "time limit of 0.5 s" in res.message
    assert time.monotonic() - start < 30


def test_a_run_that_will_exhaust_its_budget_says_so_early(caplog, monkeypatch):
    """The same stiff run: after 5 % of its budget it has covered almost none of its span,
    and a warning says so then, not when the budget is spent; a run on pace says nothing."""
    import dynamics.run.solver as solver_module

    monkeypatch.setattr(solver_module, "_last_told", [-math.inf])
    model = Model(["A", "B"], ["perception"])
    told: list[int] = []
    real = solver_module.logger.warning
    monkeypatch.setattr(solver_module.logger, "warning",
                        lambda *a: (told.append(counter[0]), real(*a)))
    counter = [0]

    def rate_counting(run_rate):
        def counted(t, y):
            counter[0] += 1
            return run_rate(t, y)
        return counted

    original = solver_module._counted
    monkeypatch.setattr(solver_module, "_counted",
                        lambda rate, solver, span=None: original(rate_counting(rate), solver,
                                                                 span))
    with caplog.at_level(logging.WARNING, logger="dynamics"):
        res = simulate(model, {"perception_delay": 1e-7}, (0.0, 1e3),
                       solver=Solver(method="RK45", max_steps=1000))
    assert res.status is Status.FAILED and "step budget" in res.message
    budget = solver_module.EVALUATIONS_PER_STEP * 1000
    assert told == [int(solver_module.PACE_CHECK * budget) - 1]  # told before that call
    assert "at this pace it will stop" in caplog.text and "max_steps = 1,000" in caplog.text
    caplog.clear()
    monkeypatch.setattr(solver_module, "_last_told", [-math.inf])
    with caplog.at_level(logging.WARNING, logger="dynamics"):
        assert simulate(model, {}, (0.0, 50.0), solver=Solver(method="RK45")).ok
    assert "at this pace" not in caplog.text
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert f"says so after {100 * solver_module.PACE_CHECK:g} % of it" in readme


# --- values that would do nothing are refused ------------------------------------------------

def test_set_of_a_switched_off_mechanisms_parameter_is_refused(capsys):
    assert main(["run", "richardson-stable", "--set", "ceiling=0.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "'ceiling' has no effect: its mechanism 'ceiling' is off" in err
    assert "\n" not in err


def test_a_scenario_file_setting_a_switched_off_mechanisms_parameter_is_refused(tmp_path):
    path = tmp_path / "idle.toml"
    path.write_text(textwrap.dedent("""\
        [model]
        states = ["A", "B"]
        mechanisms = ["richardson"]

        [parameters]
        ceiling = 0.3
        """))
    with pytest.raises(ScenarioError, match=r"idle.toml, line 6.*'ceiling' has no effect"):
        load_scenario(path)


def test_values_inherited_for_a_mechanism_switched_off_are_dropped(tmp_path):
    """A file that extends external-balancing and switches alliances off keeps every other
    value; the base's alliance values are the base's own and do not make it an error."""
    path = tmp_path / "no-alliances.toml"
    path.write_text(textwrap.dedent("""\
        [scenario]
        extends = "external-balancing"

        [model]
        mechanisms = ["perception", "ceiling", "economy", "coercion"]
        """))
    scenario = load_scenario(path)
    assert "alliance_formation" not in scenario.parameters
    assert scenario.parameters["coercion"] == load_scenario("external-balancing").parameters[
        "coercion"]


def test_the_readme_says_how_many_fault_cases_the_suite_tries():
    """The README's count of fault cases is the number pytest collects from the two fault
    files (each parametrized case counted once; a fuzz test counts once, its draws not)."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         str(HERE / "test_faults.py"), str(HERE / "test_bad_input.py")],
        capture_output=True, text=True, check=True).stdout
    count = sum(1 for line in collected.splitlines() if "::" in line)
    readme = (HERE.parent / "README.md").read_text()
    found = re.search(r"The fault suite tries (\d+) cases", readme)
    assert found is not None and int(found.group(1)) == count, count


# --- lost resources ---------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_killing_a_sweep_leaves_no_worker_alive(tmp_path):
    """SIGKILL the parent of `balancing sweep --workers 2` while it runs: its workers (and
    the pool's resource tracker) exit within a few seconds instead of living on."""
    import signal

    parent = subprocess.Popen(
        [sys.executable, "-m", "dynamics", "sweep", "security-dilemma",
         "--param", "distinguishability=0:1:41", "--param", "reaction=0.5:1:41",
         "--metric", "escalation_rate", "--workers", "2", "--chunk", "8",
         "--out", str(tmp_path / "s.csv")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = [pid for pid in _children(parent.pid) if "spawn_main" in
                   (Path("/proc") / str(pid) / "cmdline").read_text(errors="replace")]
    helpers = _children(parent.pid)
    assert len(workers) >= 2, "the pool never started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    # a worker checks twice a second once its imports are done; on a loaded machine (CI
    # beside other jobs) those took over 10 s, hence the generous bound: what must not
    # happen is a worker that lives on
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(pid) for pid in helpers):
        time.sleep(0.2)
    assert not [pid for pid in helpers if _alive(pid)]


# --- large models ------------------------------------------------------------------------------

def test_unrolled_code_too_large_to_generate_is_refused_with_the_size_that_can(capsys):
    """50 states with alliances on once printed nothing for over ten minutes; they run on
    array code now, and asking for the unrolled code says how far it goes."""
    from dynamics.codegen.compile import MAX_STATES, compile_model

    with pytest.raises(ShapeError, match=rf"at most {MAX_STATES} states"):
        compile_model(Model([f"S{i}" for i in range(50)]), "unrolled")


def test_a_slow_generation_says_what_it_is_doing(tmp_path, monkeypatch, caplog):
    """A generation forecast to take more than a few seconds logs its steps (the command
    line prints them on stderr)."""
    import logging

    from dynamics.codegen import compile as compiler

    monkeypatch.setenv("BALANCING_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compiler, "_SECONDS_AT_12", 1e4)  # forecast everything as slow
    compiler._compile.cache_clear()
    try:
        with caplog.at_level(logging.INFO, logger="dynamics"):
            compiler.compile_model(Model(["A", "B", "C"], ["alliances"]))
    finally:
        compiler._compile.cache_clear()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("generating the code of the model for 3 states")
    assert any("step 2/" in m and "Jacobian" in m for m in messages)
    assert messages[-1].startswith("generated in")


def test_a_pool_of_workers_gets_several_chunks_each():
    """The README's `sweep ... --workers 2` (21 x 11 = 231 runs) once ran as one chunk of
    256 on one worker; the default chunk now gives each worker about four."""
    import argparse

    from dynamics.cli import CHUNK, chunk_size

    pool = argparse.Namespace(chunk=None, workers=2)
    size = chunk_size(pool, 231)
    assert size == 29 and -(-231 // size) == 8  # 8 chunks for 2 workers
    assert chunk_size(argparse.Namespace(chunk=None, workers=0), 231) == CHUNK
    assert chunk_size(argparse.Namespace(chunk=16, workers=2), 231) == 16


# --- one member's failure stays on that member ------------------------------------------------

@pytest.mark.parametrize("engine", ["kernel", "scipy"])
def test_an_integrator_that_raises_on_one_member_fails_that_member_alone(monkeypatch, engine):
    """Radau's LU factorisation raised "array must not contain infs or NaNs" on one member
    of 400 drawn over the validity domain, and the whole ensemble was lost. Here scipy's
    solve_ivp raises that error in the Radau run of member 1 (the kernel's suspected stiff
    member, or, on scipy's engine with Radau, the second member's run); that member ends
    FAILED with the reason, and the others are their own single runs."""
    from dynamics.run import solver as solver_module
    from dynamics.run.kernel import build as kernel

    if engine == "kernel" and not kernel.AVAILABLE:
        pytest.skip("numba is not installed")
    real = solver_module.solve_ivp
    radau_runs = []

    def failing(fun, span, y0, **options):
        if options.get("method") == "Radau":
            radau_runs.append(span)
            if len(radau_runs) == (1 if engine == "kernel" else 2):
                raise ValueError("array must not contain infs or NaNs")
        return real(fun, span, y0, **options)
    monkeypatch.setattr(solver_module, "solve_ivp", failing)
    if engine == "kernel":  # make the kernel hand the member to Radau as stiff
        monkeypatch.setattr(kernel, "integrate_members", _stiff_member(kernel, 1))
    model = Model(["A", "B"], "richardson")
    reactions = np.array([0.1, 0.3, 0.2])
    values = {"reaction": reactions[:, None], "fatigue": 0.2, "grievance": 0.01,
              "distinguishability": 0.0}
    runs = simulate_ensemble(model, values, (0.0, 10.0), output=11,
                             initial={"m": [0.05, 0.04]},
                             solver=Solver(engine=engine,
                                           method="Radau" if engine == "scipy" else "auto"))
    assert [str(s) for s in runs.status] == ["success", "failed", "success"]
    assert "infs or NaNs" in runs.messages[1]
    assert runs.member(1).t.size <= 1  # at most its start
    for i in (0, 2):
        single = simulate(model, {**values, "reaction": reactions[i]}, (0.0, 10.0),
                          output=np.linspace(0.0, 10.0, 11), initial={"m": [0.05, 0.04]})
        assert np.max(np.abs(runs.member(i)["m"] - single["m"])) < 1e-6


def _stiff_member(kernel, member: int):
    """``kernel.integrate_members`` that reports ``member`` as suspected stiff."""
    real = kernel.integrate_members

    def integrate(*args, **kwargs):
        ys, codes, fired = real(*args, **kwargs)
        codes = codes.copy()
        codes[member] = kernel.STIFF
        return ys, codes, fired
    return integrate


# --- files written whole or not at all -----------------------------------------------------

def test_an_interrupted_write_leaves_the_old_file_and_no_part(tmp_path):
    """Ctrl-C in the middle of a write (here after half the content) leaves the file that
    was there, byte for byte, and no temporary file beside it."""
    from dynamics.results.files import replacing

    path = tmp_path / "figure.csv"
    path.write_text("the committed table\n")
    with pytest.raises(KeyboardInterrupt), replacing(path) as handle:
        handle.write("half of a new ")
        raise KeyboardInterrupt
    assert path.read_text() == "the committed table\n"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.csv"]


def test_an_interrupted_figure_leaves_the_committed_one(tmp_path, monkeypatch):
    """`balancing figures` interrupted while saving a PNG left a truncated PNG in place of
    the committed figure; now the old one stays."""
    import matplotlib.pyplot as plt

    from dynamics.views.plotting import save_figure

    figure, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    (path,) = save_figure(figure, tmp_path / "f.png")
    committed = path.read_bytes()
    figure, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])

    def interrupted(self, target, **options):
        target.write(b"\x89PNG truncated")
        raise KeyboardInterrupt
    monkeypatch.setattr(type(figure), "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_figure(figure, path)
    assert path.read_bytes() == committed
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_a_figure_saved_twice_is_the_same_file_byte_for_byte(tmp_path):
    """Regenerating the figures leaves a clean checkout: a PDF (and a PNG) carries no date
    and no version, so the same figure written twice, a second apart, is the same bytes
    (the PDFs differed by their creation dates)."""
    import time

    import matplotlib.pyplot as plt

    from dynamics.views.plotting import save_figure

    def draw(folder):
        figure, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, 1, 4], label="m")
        ax.legend()
        return save_figure(figure, folder / "figure")

    first = draw(tmp_path / "a")
    time.sleep(1.1)  # a creation date to the second would differ
    second = draw(tmp_path / "b")
    assert [p.suffix for p in first] == [".pdf", ".png"]
    for one, other in zip(first, second, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
    assert b"CreationDate" not in first[0].read_bytes()


@pytest.mark.parametrize(("target", "reason"), [
    ("/dev/full", "No space left on device"),
    ("{tmp}/no such folder/out.csv", "No such file or directory"),
])
def test_a_failed_write_is_one_line_naming_the_file(tmp_path, target, reason):
    """A full disk raised an OSError traceback after the work; a write that fails is one
    DynamicsError naming the file and the reason (a device is written in place, never
    replaced by a file)."""
    from dynamics.errors import DynamicsError

    scenario = load_scenario("hegemonic-rise").with_values(output=3)
    result = scenario.run()
    path = target.format(tmp=tmp_path)
    if path == "/dev/full" and not Path(path).exists():
        pytest.skip("no /dev/full on this system")
    with pytest.raises(DynamicsError, match=rf"cannot write {re.escape(path)}: {reason}"):
        result.to_csv(path)
    if path == "/dev/full":
        assert not Path(path).is_file()  # still the device


needs_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")


@needs_full
@pytest.mark.parametrize("kind", ["csv", "npz", "figure"])
def test_with_a_fallback_a_failed_write_loses_nothing(tmp_path, caplog, kind):
    """A file that a full disk refuses (a link to /dev/full) is written to the fallback
    folder instead, byte for byte what a write to a good disk gives, with a warning naming
    both paths; the target stays the device."""
    from dynamics.results.files import fallback, fallen_back

    result = load_scenario("hegemonic-rise").with_values(output=5).run()
    good, full = tmp_path / f"good.{kind}", tmp_path / f"full.{kind}"
    if kind == "figure":
        from dynamics.views.plotting import plot_run, save_figure
        good, full = good.with_suffix(".png"), full.with_suffix(".png")
        write = lambda path: save_figure(plot_run(result), path)  # noqa: E731
    else:
        write = result.to_csv if kind == "csv" else result.save
    write(good)
    full.symlink_to("/dev/full")
    before = len(fallen_back())
    with caplog.at_level(logging.WARNING, logger="dynamics"), fallback(tmp_path / "fb") as folder:
        write(full)
    saved = folder / full.name
    if kind == "figure":  # (a figure is drawn again: compare its size, not its bytes)
        assert saved.stat().st_size == pytest.approx(good.stat().st_size, rel=0.01)
    else:
        assert saved.read_bytes() == good.read_bytes()
    assert fallen_back()[before:] == [(full, saved)]
    assert f"cannot write {full}: No space left on device; written to {saved} instead" \
        in caplog.text
    assert full.is_symlink() and not full.resolve().is_file()


@needs_full
def test_the_fallback_of_the_command_line_exits_3(tmp_path, capsys):
    full = tmp_path / "run.csv"
    full.symlink_to("/dev/full")
    assert main(["--fallback", str(tmp_path / "kept"), "run", "richardson-stable", "--out",
                 str(full)]) == 3
    err = capsys.readouterr().err.strip()
    assert err == (f"balancing: cannot write {full}: No space left on device; written to "
                   f"{tmp_path / 'kept' / 'run.csv'} instead")
    assert (tmp_path / "kept" / "run.csv").read_text().startswith("time,variable,")
    # without a fallback: one error line, exit 2, and nothing written anywhere
    assert main(["run", "richardson-stable", "--out", str(full)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_fallback_folder_that_cannot_be_made_is_refused_before_the_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--fallback", str(blocker / "kept"), "run", "richardson-stable"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # (no run)
    assert captured.err.strip() == (f"balancing: error: cannot make the fallback folder "
                                    f"{blocker / 'kept'}: Not a directory")


# --- resource bounds: a study too large for the machine is refused before any work ----------

def test_a_grid_too_large_for_the_machine_is_refused_before_it_is_built(capsys):
    """100 million members of one input would hold about 15 GB (the 14.5 GB measured when
    this was not checked); on a machine of 1 GB the CLI refuses at once, naming the size
    and what fits."""
    import dynamics.studies.design as design

    start = time.monotonic()
    original = design.machine_memory
    try:
        design.machine_memory = lambda: 10**9
        assert main(["sweep", "richardson-stable", "--param", "reaction=0:1:100000000"]) == 2
    finally:
        design.machine_memory = original
    assert time.monotonic() - start < 5
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    needed = 10**8 * (design.BYTES_PER_MEMBER + 24)
    assert f"100,000,000 members would hold about {needed / 1e9:.3g} GB" in err
    assert f"at most about {int(0.5 * 10**9 // (design.BYTES_PER_MEMBER + 24)):,}" in err
    assert "--force" in err


def test_force_runs_what_the_memory_check_would_refuse(monkeypatch):
    import dynamics.studies.design as design

    monkeypatch.setattr(design, "machine_memory", lambda: 10_000)
    problem = Problem(("reaction", "fatigue"), ((0.0, 1.0), (0.1, 0.5)))
    with pytest.raises(ParameterValueError, match="a grid of 400 members"):
        design.grid(problem, 20)
    assert design.grid(problem, 20, force=True).shape == (400, 2)
    with pytest.raises(ParameterValueError, match="a Latin hypercube of 400 members"):
        design.latin_hypercube(problem, 400)
    with pytest.raises(ParameterValueError, match="a Sobol sequence of 512 members"):
        design.sobol_design(problem, 512)
    monkeypatch.setattr(design, "machine_memory", lambda: None)  # the system does not say
    assert design.grid(problem, 20).shape == (400, 2)


def test_a_robustness_study_counts_the_trajectories_it_holds(monkeypatch):
    """Robustness keeps every member's whole run: 8 bytes per variable and output time of
    each member (richardson-stable has no variant runs), twice with the solver check (the
    runs at tighter tolerances), beside the per-member overhead."""
    import dynamics.studies.design as design
    from dynamics.studies.robustness import robustness

    scenario = load_scenario("richardson-stable")
    runs = 8 * len(scenario.model().variables) * scenario.output
    monkeypatch.setattr(design, "machine_memory",  # 64 members fit with the check
                        lambda: int(2 * 64 * (2 * runs + design.BYTES_PER_MEMBER)))
    with pytest.raises(ParameterValueError, match="a robustness study of 65 members") as e:
        robustness(scenario, members=65)
    assert "at most about 64 members" in str(e.value)
    assert robustness(scenario, members=65, solver_check=False).members == 65


def test_equilibria_report_each_start_they_try():
    """The progress of find_equilibria, and the count the command line sizes its bar by."""
    from dynamics.analysis.equilibria import find_equilibria, starts_tried

    calls: list[int] = []
    find_equilibria(Model(["A", "B"]), starts=5, progress=lambda: calls.append(1))
    assert len(calls) == 1 + 8  # the run's own start, and 5 rounded up to 2^3 Sobol points
    assert starts_tried(5) == len(calls)
    assert [starts_tried(k) for k in (1, 2, 3, 4, 8, 9)] == [3, 3, 5, 5, 9, 17]
