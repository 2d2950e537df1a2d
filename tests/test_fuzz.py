"""Fuzzing with a fixed budget (issue 33): scenario documents that are mostly valid, with
events, read and run; command lines of every subcommand, run. Every outcome must be a
result (of any status), a recorded failure, or the project's own one-line error (exit 2
from the command line), never a traceback, and never a hang: each draw runs under an
alarm of :data:`LIMIT` seconds.

The budget is fixed (``max_examples`` per test, drawn from a seed fixed by the test:
tests/conftest.py), so that CI takes the same time and finds the same cases every run;
``pytest --hypothesis-profile=explore tests/test_fuzz.py`` draws afresh.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dynamics.cli import main
from dynamics.errors import DynamicsError
from dynamics.results.labelled import Result, Status
from dynamics.scenarios import parse_scenario

#: seconds one draw may take before it counts as a hang
LIMIT = 30

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signal.alarm is POSIX")


class Hang(Exception):
    pass


@contextmanager
def alarm(seconds: int = LIMIT):
    def ring(signum, frame):
        raise Hang(f"a draw took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- scenario documents: a valid base, every part of it drawn or broken -------------------

_NUMBERS = (st.floats(0.01, 0.9) | st.sampled_from([0.0, 1e-12, 1e12, -1.0, 0.5])
            | st.integers(-3, 3))
_ODD = st.sampled_from(['"text"', "true", "[]", "[1, 2, 3]", "{}", "nan", "inf", "-inf",
                        "1e308"])


def _mostly(valid, broken):
    """Nine draws in ten from ``valid``, the tenth from ``broken``."""
    return st.integers(0, 9).flatmap(lambda k: broken if k == 0 else valid)


_VALUE = _mostly(st.floats(0.01, 0.9).map(repr), _NUMBERS.map(repr) | _ODD)
_PARAMETERS = _mostly(st.sampled_from(["reaction", "fatigue", "grievance", "ceiling",
                                       "distinguishability", "offence", "perception_delay"]),
                      st.sampled_from(["reactoin", "growth", "capacity", "alliance_formation",
                                       "x"]))
_TARGETS = _mostly(st.sampled_from(["reaction", "reaction.A", "reaction.B", "grievance.B",
                                    "m.A", "fatigue.B"]),
                   st.sampled_from(["c.A.B", "proximity.A.B", "fatigue.C", "e.A", "nobody"]))
_CONDITIONS = _mostly(st.sampled_from(["share.A > 0.5", "m.A > m.B", "share.A < 0.4",
                                       "2 * m.B > m.A", "m.B > 0.05"]),
                      st.sampled_from(["m.A >", "bogus.A > 1", "share.C > 0", "1 > 2"]))


@st.composite
def _event(draw) -> str:
    lines = [f'name = "{draw(st.sampled_from(["treaty", "alarm", "shock"]))}"']
    if draw(st.booleans()):
        lines.append(f"at = {draw(_mostly(st.integers(1, 19).map(str), _VALUE))}")
    else:
        lines.append(f'when = "{draw(_CONDITIONS)}"')
        if draw(st.booleans()):
            lines.append(f"repeat = {draw(_mostly(st.just('true'), st.just('1')))}")
    kind = draw(st.sampled_from(["set", "scale"]))
    lines.append(f'{kind} = {{"{draw(_TARGETS)}" = {draw(_VALUE)}}}')
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"ramp = {draw(_mostly(st.integers(1, 5).map(str), _VALUE))}")
    return "[[events]]\n" + "\n".join(lines)


@st.composite
def _document(draw) -> str:
    states = draw(_mostly(st.sampled_from(['["A", "B"]', '["A", "B", "C"]']),
                          st.sampled_from(['["A"]', '["A", "A"]', "[]", '"A"'])))
    mechanisms = draw(_mostly(st.sampled_from(['["richardson"]', '["ceiling"]',
                                               '["perception", "ceiling"]',
                                               '["perception", "economy"]']),
                              st.sampled_from(['["nonsense"]', "[]", "3"])))
    span = draw(_mostly(st.sampled_from(["[0, 20]", "[0, 5]", "[0, 60]"]),
                        st.sampled_from(["[10, 0]", "[0, 0]", "[0, 1e9]", '["a", "b"]',
                                         "[0]"])))
    output = draw(_mostly(st.sampled_from(["21", "101"]),
                          st.sampled_from(["2", "0", "-1", "1.5"])))
    parts = ['[scenario]\nname = "fuzz"',
             f"[model]\nstates = {states}\nmechanisms = {mechanisms}",
             f"[time]\nspan = {span}\noutput = {output}"]
    parameters = draw(st.dictionaries(_PARAMETERS, _VALUE, max_size=4))
    parts.append("[parameters]\n" + "\n".join(f"{k} = {v}" for k, v in parameters.items()))
    if draw(st.integers(0, 4)) == 0:
        parts.append(f"[solver]\nrtol = {draw(_mostly(st.just('1e-6'), _VALUE))}")
    parts.extend(draw(st.lists(_event(), max_size=3)))
    return "\n\n".join(parts)


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(_document())
def test_scenario_documents_with_events_are_read_and_run_or_refused(text):
    with alarm():
        try:
            scenario = parse_scenario(text, "fuzz.toml")
        except DynamicsError as error:
            event(f"refused when read: {type(error).__name__}")
            assert "Traceback" not in str(error)
            return
        try:
            result = scenario.run()
        except DynamicsError as error:  # refused before the run, in one message
            event("refused before the run")
            assert "Traceback" not in str(error)
            return
    event(f"ran: {result.status.value}")
    assert isinstance(result, Result) and isinstance(result.status, Status)
    assert result.ok or result.message  # a failure says why


# --- command lines of every subcommand ----------------------------------------------------

#: each subcommand with arguments that make it run
_COMMANDS = st.sampled_from([
    ["run", "richardson-stable"], ["run", "hegemonic-rise", "--t-end", "30"],
    ["run", "richardson-stable", "--event", "t@share.Blue>0.5:reaction*2"],
    ["describe", "security-dilemma"], ["equations", "richardson-stable"],
    ["equilibria", "richardson-stable", "--starts", "8"], ["parameters"],
    ["sweep", "richardson-stable", "--param", "reaction=0:0.5:3"],
    ["robustness", "richardson-stable", "--members", "8"],
    ["compare", "europe-1870", "--without", "Entente Cordiale"],
    ["evaluate", "europe-1908", "--horizon", "2", "--resamples", "100"],
    ["continue", "richardson-stable", "--param", "reaction", "--range", "0.1:0.3"],
    ["sensitivity", "richardson-stable", "--method", "morris", "--param",
     "reaction=0.1:0.3", "--param", "fatigue=0.3:0.5", "--metric", "peak_share", "--n", "2"],
    ["export", "richardson-stable", "--format", "xmile"],
    ["discover", "external-balancing", "--param", "grievance.Riser=0.006:0.018",
     "--outcome", "peak_share > 0.5", "--n", "32"],
    ["bogus"], []])
#: what a user might add: valid options, bad values, and junk
_ARGUMENTS = st.sampled_from([
    "-1", "0", "2", "nan", "1e308", "--set", "reaction=0.2", "reactoin=1", "fatigue=-1",
    "--json", "--spread", "-0.5", "--out", "/dev/null", "--plot", "", "x.xlsx", "--until",
    "1900", "--force", "--error-estimate", "--markdown", "--seed", "3"])


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(_COMMANDS, st.just([]) | st.lists(_ARGUMENTS, min_size=1, max_size=2))
def test_command_lines_end_in_a_result_or_one_line_error(capsys, monkeypatch, tmp_path,
                                                        command, words):
    monkeypatch.chdir(tmp_path)  # whatever a draw writes stays here
    with alarm():
        try:
            status = main([*command, *words])
        except SystemExit as exit_:  # argparse's own usage errors
            status = exit_.code
    err = capsys.readouterr().err
    event(f"exit {status}")
    assert status in (0, 2), err
    assert "Traceback" not in err
    if status == 2:
        errors = [line for line in err.splitlines() if line.startswith("balancing: error")
                  or "error:" in line]
        assert len(errors) == 1, err


def test_the_reliability_page_states_what_the_code_does():
    """Every number of docs/reliability.md, read from the code that uses it."""
    import inspect
    from pathlib import Path

    from dynamics.data import JUMP_FACTOR
    from dynamics.run.solver import PACE_CHECK, Solver
    from dynamics.studies.design import MEMORY_SHARE

    page = " ".join((Path(__file__).parent.parent / "docs" / "reliability.md").read_text()
                    .split())
    tighter = inspect.signature(Solver.tightened).parameters["factor"].default
    budgets = [test._hypothesis_internal_use_settings.max_examples for test in
               (test_scenario_documents_with_events_are_read_and_run_or_refused,
                test_command_lines_end_in_a_result_or_one_line_error)]
    assert MEMORY_SHARE == 0.5 and "more than half of the machine's memory" in page
    for text in (f"less than {100 * PACE_CHECK:g} % of its span after {100 * PACE_CHECK:g} %",
                 f"at tolerances {tighter:g} times tighter",
                 f"more than a factor of {JUMP_FACTOR:g} from one year",
                 f"an alarm of {LIMIT} seconds",
                 f"({budgets[0]} scenario documents, {budgets[1]} command lines)",
                 "exits with status 3", "(-9)"):
        assert text in page, text
