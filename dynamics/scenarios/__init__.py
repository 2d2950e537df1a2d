"""Scenario files: the shipped library of named scenarios and users' own TOML files."""

from dynamics.scenarios.loader import (
    Scenario,
    list_scenarios,
    load_intervention,
    load_scenario,
    parse_assignment,
    parse_scenario,
)

__all__ = ["Scenario", "list_scenarios", "load_scenario", "parse_scenario", "parse_assignment",
           "load_intervention"]
