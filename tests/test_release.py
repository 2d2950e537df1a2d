"""Release metadata: the citation file is valid Citation File Format 1.2.0 and names the
package's own version; the changelog has an entry for it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_citation_file_is_valid_cff_and_names_this_version():
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0-schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    jsonschema.validate(citation, schema)  # raises, naming the field, when invalid
    assert citation["version"] == _version()
    assert citation["cff-version"] == "1.2.0"


def test_an_invalid_citation_is_refused():
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0-schema.json").read_text())
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    del citation["authors"]
    try:
        jsonschema.validate(citation, schema)
    except jsonschema.ValidationError as error:
        assert "authors" in str(error.message)
    else:
        raise AssertionError("a citation without authors was accepted")


def test_the_changelog_has_an_entry_for_this_version():
    assert f"## {_version()}" in (ROOT / "CHANGELOG.md").read_text()
