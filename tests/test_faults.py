"""Bad input found by trying the package as a new user would: each case exits with status 2
and one line naming the culprit, before any work is done (issue 13, first part)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dynamics import Model, ParameterValueError, ScenarioError, simulate
from dynamics.cli import main
from dynamics.scenarios import load_scenario


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
    for option in ("--out", "--plot"):
        assert main(["run", "richardson-stable", option, str(blocker / "run.csv")]) == 2
        _one_line_error(capsys, f"{option} {blocker / 'run.csv'}: cannot create the folder")
    assert main(["sweep", "richardson-stable", "--param", "reaction=0.1:0.2:3",
                 "--out", str(blocker / "s.csv"), "--checkpoint", str(tmp_path / "c.npz")]) == 2
    _one_line_error(capsys, "--out")
    assert not (tmp_path / "c.npz").exists()  # refused before the first chunk


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

    from dynamics.sensitivity import sobol_of
    from dynamics.studies import Problem

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
