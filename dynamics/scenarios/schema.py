"""A JSON Schema of scenario files, generated from the loader's own rules.

Editors that read JSON Schema for TOML (Taplo, VS Code's Even Better TOML) complete and
check a scenario file as it is typed when it starts with::

    #:schema https://.../scenario.schema.json   (or a path to docs/scenario.schema.json)

:func:`scenario_schema` builds the schema from what the loader accepts: its tables and their
keys, the parameters and variables of the registry (every mechanism registered when it is
called, a researcher's own included) with their bounds, the fields of an intervention, the
keys of claims, variants, assumptions and prose, and the kinds of claim. The loader stays
the judge: it checks what a schema cannot say (a state that does not exist, a value of a
mechanism that is off, an ``extends`` cycle) and names the file and line;
``tests/test_scenario_files.py`` validates every shipped scenario against the schema.

    python -m dynamics.scenarios.schema > docs/scenario.schema.json
"""

from __future__ import annotations

import json
import math
from typing import Any

from dynamics.model.registry import REGISTRY, VARIABLES
from dynamics.run.interventions import FIELDS
from dynamics.run.solver import ENGINES, METHODS
from dynamics.scenarios.declared import (
    ASSUMPTION_KEYS,
    CLAIM_KEYS,
    KINDS,
    PROSE_KEYS,
    RESULT_KEYS,
    VARIANT_KEYS,
)
from dynamics.scenarios.loader import _TABLES

__all__ = ["scenario_schema", "main"]

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_NUMBER = {"type": "number"}
_INTEGER = {"type": "integer"}


def _bounded(bounds: tuple[float, float]) -> dict[str, Any]:
    """A number within ``bounds`` (an infinite bound is no bound)."""
    number: dict[str, Any] = {"type": "number"}
    low, high = bounds
    if math.isfinite(low):
        number["minimum"] = low
    if math.isfinite(high):
        number["maximum"] = high
    return number


def _value(kind: str, number: dict[str, Any], meaning: str) -> dict[str, Any]:
    """A scalar, per-state or per-pair value as a file may write it."""
    shapes = [number]
    if kind in ("state", "pair"):
        shapes.append({"type": "array", "items": number if kind == "state"
                       else {"anyOf": [number, {"type": "array", "items": number}]}})
    if kind == "state":
        shapes.append({"type": "object", "additionalProperties": number,
                       "description": "values by state name; the others keep theirs"})
    return {"anyOf": shapes, "description": meaning}


def _table(properties: dict[str, Any], required: tuple[str, ...] = (),
           description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def _changes(keys: tuple[str, ...], description: str) -> dict[str, Any]:
    """``[variants]`` or ``[assumptions]``: named tables of changes."""
    entry = _table({key: ({"type": "boolean"} if key == "interventions" else _STRINGS
                          if key == "without" else {"type": "object"}) for key in keys})
    return {"type": "object", "additionalProperties": entry, "description": description}


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file as the loader reads it.

    Returns
    -------
    dict
        The schema.
    """
    parameters = {name: _value(spec.kind, _bounded(spec.bounds), f"{spec.meaning} "
                               f"[{spec.unit}]")
                  for name, spec in REGISTRY.items()}
    initial = {name: _value("pair" if variable.pair else "state",
                            _bounded(variable.domain), variable.meaning)
               for name, variable in VARIABLES.items()}
    number_or_numbers = {"anyOf": [_NUMBER, {"type": "array", "items": _NUMBER}]}
    tables: dict[str, Any] = {
        "scenario": _table({"name": _STRING, "title": _STRING, "description": _STRING,
                            "theory": _STRING, "references": _STRINGS, "extends": _STRING,
                            "unit": _STRING, "without": _STRINGS}),
        "model": _table({"states": _STRINGS, "mechanisms": {"anyOf": [
            {"const": "all"}, _STRINGS]}}),
        "time": _table({"span": {"type": "array", "items": _NUMBER, "minItems": 2,
                                 "maxItems": 2},
                        "output": {"type": "integer", "minimum": 2}}),
        "parameters": _table(parameters),
        "initial": _table(initial),
        "solver": _table({"method": {"enum": ["auto", *METHODS]}, "rtol": _NUMBER,
                          "atol": _NUMBER, "max_step": _NUMBER, "divergence": _NUMBER,
                          "engine": {"enum": list(ENGINES)}, "max_steps": _INTEGER,
                          "code": {"enum": ["auto", "unrolled", "array"]}}),
        "sources": {"type": "object", "additionalProperties": _STRING},
        "robustness": _table({"members": _INTEGER, "spread": _NUMBER, "seed": _INTEGER,
                              "share": {"type": "object", "additionalProperties": _NUMBER},
                              "within": {"type": "object",
                                         "additionalProperties": _NUMBER}}),
        "events": {"type": "array", "items": _table({
            "name": _STRING, "at": number_or_numbers, "when": _STRING,
            "set": {"type": "object", "additionalProperties": number_or_numbers},
            "scale": {"type": "object", "additionalProperties": number_or_numbers},
            "ramp": number_or_numbers, "repeat": {"type": "boolean"}})},
        "history": _table({"codes": {"type": "object", "additionalProperties": _STRINGS},
                           "members": {"type": "object", "additionalProperties": _STRINGS},
                           "output": {"enum": ["capability", "gdp"]},
                           "breaks": {"type": "object",
                                      "additionalProperties": {"type": "integer"}},
                           "economies": {"type": "object", "additionalProperties": _STRINGS},
                           "variable": {"enum": ["milex", "milper", "cinc"]},
                           "scale": {"type": "number", "exclusiveMinimum": 0},
                           "calibration": {"type": "integer", "minimum": 1},
                           "burden": {"type": "number", "exclusiveMinimum": 0,
                                      "exclusiveMaximum": 1},
                           "threat_share": {"type": "number", "minimum": 0,
                                            "exclusiveMaximum": 1}}),
        "assumptions": _changes(ASSUMPTION_KEYS, "what switching each assumption off "
                                                 "changes"),
        "variants": _changes(VARIANT_KEYS, "the scenario with something changed, by name"),
        "claims": {"type": "array", "items": _table({
            "name": _STRING, "text": _STRING, "test": _STRING, "args": {"type": "object"},
            "variants": _STRINGS, "kind": {"enum": list(KINDS)},
            "condition": {"type": "array", "minItems": 3, "maxItems": 3}},
            required=("name", "text", "test"))},
        "prose": _table({"inputs": _STRINGS, "given": _STRINGS,
                         "results": {"type": "object", "additionalProperties": {"anyOf": [
                             {"const": "code"},
                             _table({key: {} for key in RESULT_KEYS})]}}}),
    }
    assert set(tables) == set(_TABLES), "the schema misses a table the loader reads"
    for name, keys in _TABLES.items():  # the loader's keys, and no other
        properties = tables[name].get("properties") or tables[name].get("items", {}).get(
            "properties")
        if isinstance(keys, set) and properties is not None:
            assert set(properties) == keys, (name, set(properties) ^ keys)
    assert set(FIELDS) == set(tables["events"]["items"]["properties"])
    assert set(CLAIM_KEYS) == set(tables["claims"]["items"]["properties"])
    assert set(PROSE_KEYS) == set(tables["prose"]["properties"])
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://balancing-dynamics/scenario.schema.json",
            "title": "balancing-dynamics scenario file",
            "description": "A scenario of the balancing-dynamics package (TOML), generated "
                           "by python -m dynamics.scenarios.schema from the loader's rules.",
            "type": "object", "properties": tables, "additionalProperties": False}


def main() -> int:
    """Print the schema as JSON.

    Returns
    -------
    int
        The exit status.
    """
    print(json.dumps(scenario_schema(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
