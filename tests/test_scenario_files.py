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


CLAIMED = GOOD + """
[variants]
"hawkish" = { parameters = { reaction = 0.25 } }
"no ceiling" = { without = ["ceiling"] }

[[claims]]
name = "lower"
text = "spending ends lower than with hawkish reactions"
test = "ends_higher"
args = { variable = "m", state = "A", variant = "hawkish" }
variants = ["hawkish"]
kind = "uncertain"
"""


def test_claims_and_variants_are_declared_in_the_file(tmp_path):
    """A user's file declares its claims and variants; they are read as written and the
    variants change the scenario as they say."""
    from dynamics.studies.claims import claims_of

    path = tmp_path / "mine.toml"
    path.write_text(CLAIMED)
    scenario = load_scenario(path)
    (claim,) = scenario.claims
    assert (claim.name, claim.test, dict(claim.args), claim.variants, claim.kind) == (
        "lower", "ends_higher", {"variable": "m", "state": "A", "variant": "hawkish"},
        ("hawkish",), "uncertain")
    assert claim.line == CLAIMED.splitlines().index('test = "ends_higher"') + 1
    assert scenario.variant("hawkish").parameter("reaction").tolist() == [0.25, 0.25]
    assert "ceiling" not in scenario.variant("no ceiling").model().mechanisms
    (judged,) = claims_of(scenario)
    assert list(judged.variants) == ["hawkish"]
    assert judged.variants["hawkish"](scenario).parameters["reaction"] == 0.25


def _line(text: str, fragment: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize(("change", "fragment", "key", "message"), [
    (('kind = "uncertain"', 'kind = "sure"'), 'kind = "sure"', "claims[0].kind",
     "kind must be one of robust, conditional, uncertain"),
    (('kind = "uncertain"', 'kind = "conditional"'), 'kind = "conditional"', "claims[0].kind",
     "a conditional claim has a condition"),
    (('variants = ["hawkish"]', 'variants = ["dovish"]'), 'variants = ["dovish"]',
     "claims[0].variants", "unknown variant 'dovish'"),
    (('test = "ends_higher"', 'tset = "ends_higher"'), 'tset = "ends_higher"',
     "claims[0].tset", "unknown key 'tset'"),
    (('test = "ends_higher"\n', ''), '[[claims]]', "claims[0].test", "a claim needs test"),
    (('"no ceiling" = { without = ["ceiling"] }', '"no ceiling" = { without = ["cieling"] }'),
     '"no ceiling"', "variants.no ceiling", "without must list mechanisms of the scenario"),
    (('{ parameters = { reaction = 0.25 } }', '{ parameters = { reaction = -1.0 } }'),
     '"hawkish"', "variants.hawkish", "outside its bounds"),
    (('{ parameters = { reaction = 0.25 } }', '{ settings = { reaction = 0.25 } }'),
     '"hawkish"', "variants.hawkish", "unknown key 'settings'"),
])
def test_a_malformed_claim_or_variant_names_file_line_and_key(tmp_path, change, fragment, key,
                                                               message):
    text = CLAIMED.replace(*change)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    error = info.value
    assert (error.path, error.line, error.key) == (str(path), _line(text, fragment), key)
    assert message in str(error)


@pytest.mark.parametrize(("change", "key", "message"), [
    (('test = "ends_higher"', 'test = "ends_highr"'), "claims.test",
     "unknown test 'ends_highr'"),
    (('test = "ends_higher"', 'test = "no_such_module:test"'), "claims.test",
     "cannot import test 'no_such_module:test'"),
    (('args = { variable = "m", state = "A", variant = "hawkish" }',
      'args = { variable = "m", country = "A", variant = "hawkish" }'), "claims.args",
     "test 'ends_higher' takes (variable, state, variant)"),
])
def test_a_claim_whose_test_cannot_judge_it_names_file_and_line(tmp_path, change, key, message):
    """The test's name and arguments are checked where the claims are judged (the tests
    live above the loader), before any run, naming the claim's file and line."""
    from dynamics.studies.claims import claims_of

    path = tmp_path / "bad.toml"
    path.write_text(CLAIMED.replace(*change))
    scenario = load_scenario(path)
    with pytest.raises(ScenarioError) as info:
        claims_of(scenario)
    error = info.value
    assert (error.path, error.key) == (str(path), key)
    assert error.line == _line(CLAIMED.replace(*change), "test = ")
    assert message in str(error)


# --- the JSON Schema of scenario files (docs/scenario.schema.json) ---------------------

def _validator():
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    from dynamics.scenarios.schema import scenario_schema

    path = Path(__file__).resolve().parent.parent / "docs" / "scenario.schema.json"
    schema = scenario_schema()
    assert json.loads(path.read_text()) == schema, "python -m dynamics.scenarios.schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_shipped_scenario_validates_against_the_published_schema():
    import tomllib
    from importlib import resources

    validator = _validator()
    folder = resources.files("dynamics.scenarios") / "library"
    files = [f for f in folder.iterdir() if f.name.endswith(".toml")]
    assert len(files) == len(list_scenarios())
    for file in files:
        errors = [e.message for e in validator.iter_errors(tomllib.loads(file.read_text()))]
        assert not errors, (file.name, errors)
    assert not list(validator.iter_errors(tomllib.loads(GOOD)))


@pytest.mark.parametrize("change", [
    ("[scenario]", "[scenari]"),                       # a misspelt table
    ("reaction = 0.2", "reactoin = 0.2"),              # a misspelt parameter
    ("reaction = 0.2", 'reaction = "0.2"'),            # a number as a string
    ("reaction = 0.2", "reaction = -1.0"),             # out of its bounds [0, inf)
    ("fatigue = {A = 0.3}", "fatigue = {A = true}"),   # a boolean
    ('states = ["A", "B"]', 'states = "A, B"'),        # not a list
])
def test_the_schema_refuses_what_the_loader_refuses(tmp_path, change):
    """What an editor flags as the file is typed, the loader refuses too."""
    import tomllib

    text = GOOD.replace(*change)
    assert list(_validator().iter_errors(tomllib.loads(text)))
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises((ScenarioError, UnknownNameError)):
        load_scenario(path)
