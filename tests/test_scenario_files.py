"""Scenario files: loading, and malformed files naming the file, line and key."""

from __future__ import annotations

import pytest

from dynamics import ScenarioError, UnknownNameError
from dynamics.scenarios import list_scenarios, load_scenario, parse_scenario

GOOD = """\
[scenario]
name = "mine"
references = ["Richardson 1960"]

[model]
states = ["A", "B"]
mechanisms = ["ceiling"]

[parameters]
reaction = 0.2
fatigue = {A = 0.3}
"""


def test_a_users_file_loads_and_runs(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    scenario = load_scenario(path)
    assert scenario.name == "mine" and scenario.states == ("A", "B")
    assert scenario.run(output=5).ok


@pytest.mark.parametrize(("text", "line", "key", "message"), [
    (GOOD.replace("reaction = 0.2", "reacton = 0.2"), 10, "parameters.reacton",
     "did you mean 'reaction'"),
    (GOOD.replace("fatigue = {A = 0.3}", "fatigue = {Z = 0.3}"), 11, "parameters.fatigue",
     "unknown state 'Z'"),
    (GOOD.replace("reaction = 0.2", "reaction = -0.5"), 10, "parameters.reaction",
     "outside its bounds [0, inf]"),
    (GOOD.replace('mechanisms = ["ceiling"]', 'mechanisms = ["cieling"]'), 7,
     "model.mechanisms", "did you mean 'ceiling'"),
    (GOOD.replace('references = ["Richardson 1960"]', 'references = ["Richardson 1906"]'), 3,
     "scenario.references", "did you mean 'Richardson 1960'"),
    (GOOD + "\n[tiem]\nspan = [0, 5]\n", 13, "tiem", "did you mean 'time'"),
    (GOOD.replace("reaction = 0.2", "reaction = [0.2, 0.1, 0.3]"), 10, "parameters.reaction",
     "expected a number or shape (2,)"),
])
def test_malformed_file_names_file_line_and_key(tmp_path, text, line, key, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert (error.path, error.line, error.key) == (str(path), line, key)
    assert str(error).startswith(f"{path}, line {line}, key '{key}': ")
    assert message in str(error)


def test_toml_syntax_error_names_the_line():
    with pytest.raises(ScenarioError, match=r"mine.toml, line 2"):
        parse_scenario('[model]\nstates = ["A" "B"]\n', "mine.toml")


def test_unknown_scenario_name_suggests():
    with pytest.raises(UnknownNameError, match="did you mean 'richardson-stable'"):
        load_scenario("richardson-stabel")


def test_every_shipped_scenario_is_valid_and_documented():
    for name in list_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.title and scenario.description and scenario.references


@pytest.mark.parametrize("files, entry, where", [
    ({"self.toml": "self.toml"}, "self.toml", "self.toml"),
    ({"a.toml": "b.toml", "b.toml": "a.toml"}, "a.toml", "b.toml"),
    ({"a.toml": "b.toml", "b.toml": "c.toml", "c.toml": "b.toml"}, "a.toml", "c.toml"),
])
def test_an_extends_cycle_is_named_not_recursed(tmp_path, files, entry, where):
    """A file that extends itself, directly or through others, is refused in one line that
    names the cycle and the file and line where it closes (it was a RecursionError)."""
    for name, base in files.items():
        (tmp_path / name).write_text(f'[scenario]\nname = "{name[:-5]}"\nextends = "{base}"\n')
    with pytest.raises(ScenarioError) as raised:
        load_scenario(tmp_path / entry)
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / where}, line 3, key 'scenario.extends': "
                              "extends cycle: ")
    chain = message.split("extends cycle: ")[1].split(";")[0].split(" -> ")
    assert chain[0] == chain[-1] and len(chain) == len({*files.values()} & {*files}) + 1
    assert "\n" not in message
