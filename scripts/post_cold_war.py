"""Derive the post-Cold-War scenario (2000-2016, the Iraq war of 2003) from published figures.

Reads the Correlates of War National Material Capabilities file (v6.0) for military
expenditure and the World Bank GDP file for output, in 2000 and 2016 (both shipped in
``dynamics/data`` with their citations), and writes
``dynamics/scenarios/library/post-cold-war.toml`` with the source of every number. Run
from the repository root:

    python scripts/post_cold_war.py

Outputs are in current US$ at market exchange rates. Each economy's intrinsic growth is
set so that, without arms, coercion or soft balancing, its logistic path through 2000
output reaches its 2016 output (capacity three times its 2016 output: an assumption);
grievances make 2000 spending stationary given 2000 threats. Postures, proximities,
alignments, the coercion rate and the dates and sizes of the unilateral acts are stated
as assumptions in the file.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from dynamics import REGISTRY, Model, compile_model
from dynamics.data import cow_path, world_bank_gdp
from dynamics.model.values import pack_inputs, resolve_initial, resolve_parameters

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "dynamics" / "scenarios" / "library" / "post-cold-war.toml"
START, END = 2000, 2016

STATES = ["USA", "CHN", "RUS", "IND", "JPN", "EUR"]
#: COW abbreviations summed into each state; EUR is the three largest European powers
MEMBERS = {"USA": ["USA"], "CHN": ["CHN"], "RUS": ["RUS"], "IND": ["IND"], "JPN": ["JPN"],
           "EUR": ["UKG", "FRN", "GMY"]}
#: World Bank (ISO) codes of each state
ECONOMIES = {"USA": ["USA"], "CHN": ["CHN"], "RUS": ["RUS"], "IND": ["IND"], "JPN": ["JPN"],
             "EUR": ["GBR", "FRA", "DEU"]}
HEADROOM = 3.0  # capacity over 2016 output (assumption)
REACTION, FATIGUE = 0.02, 0.2
#: postures as in power-transition (assumption after Walt 1985)
OFFENCE = {"USA": 0.4, "CHN": 0.4, "RUS": 0.6, "IND": 0.2, "JPN": 0.1, "EUR": 0.2}
#: W[i][j]: share of j's force that can be brought to bear on i (as in power-transition)
PROXIMITY = [[0, .3, .4, .1, .1, .2], [.6, 0, .8, .7, .8, .2], [.6, .8, 0, .3, .4, .8],
             [.4, .8, .3, 0, .2, .2], [.6, .9, .6, .2, 0, .1], [.6, .2, .9, .1, .1, 0]]
#: cohesion of the alignments of 2000 (assumption): NATO, US-Japan, Japan-Europe,
#: China-Russia (the treaty of 2001)
ALIGNMENTS = [("USA", "EUR", 0.8), ("USA", "JPN", 0.7), ("JPN", "EUR", 0.3),
              ("CHN", "RUS", 0.3)]


def read_milex(path: Path, year: int) -> np.ndarray:
    """Military expenditure of each state in ``year``, US$ bn."""
    rows = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["year"] == str(year):
                rows[row["stateabb"]] = float(row["milex"])
    values = []
    for state in STATES:
        parts = [rows[c] for c in MEMBERS[state]]
        if min(parts) < 0:
            raise ValueError(f"missing value (-9) for {state} in {year}")
        values.append(sum(parts) / 1e6)
    return np.array(values)


def gdp(year: int) -> np.ndarray:
    levels = world_bank_gdp([c for s in STATES for c in ECONOMIES[s]], year)
    return np.array([sum(levels[c] for c in ECONOMIES[s]) for s in STATES])


def derive(path: Path) -> dict:
    milex, first, last = read_milex(path, START), gdp(START), gdp(END)
    capacity = HEADROOM * last
    # logistic through first (at START) and last (at END): e(t) = E / (1 + (E/e0 - 1) e^-rt)
    growth = -np.log((capacity / last - 1) / (capacity / first - 1)) / (END - START)
    cohesion = np.eye(len(STATES))
    for a, b, value in ALIGNMENTS:
        i, j = STATES.index(a), STATES.index(b)
        cohesion[i, j] = cohesion[j, i] = value
    params = {"reaction": REACTION, "fatigue": FATIGUE, "offence": [OFFENCE[s] for s in STATES],
              "distinguishability": 0.5, "power_weight": 1.0, "proximity": np.array(PROXIMITY)}
    # grievance at which 2000 spending is stationary given 2000 threats and allied support:
    # the saturated drive (k (theta - A) + g e)(1 - u) balances fatigue alpha m
    model = Model(STATES, ["ceiling"])
    values = resolve_parameters(model, params)
    start = resolve_initial(model, {"e": first, "m": milex, "c": cohesion})
    compiled = compile_model(model)
    threat = compiled.threat(0.0, *pack_inputs(model, values, start))
    support = REGISTRY["support"].default * (cohesion * np.array(PROXIMITY)) @ milex
    used = milex / (REGISTRY["ceiling"].default * first)
    grievance = (FATIGUE * milex / (1 - used) - REACTION * (threat - support)) / first
    values = resolve_parameters(model, {**params, "grievance": grievance})
    rate = compiled.rate(0.0, *pack_inputs(model, values, start))
    if np.max(np.abs(rate) / milex) > 1e-9:
        raise AssertionError(f"{START} spending is not stationary: dm/dt = {rate}")
    return {"milex": milex, "gdp": first, "gdp_end": last, "capacity": capacity,
            "growth": growth, "grievance": grievance, "cohesion": cohesion}


def _list(values, digits: int) -> str:
    return "[" + ", ".join(f"{round(float(v), digits):g}" for v in values) + "]"


def _quoted(names) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def render(d: dict) -> str:
    rows = ",\n     ".join(_list(row, 2) for row in d["cohesion"])
    proximity = ",\n     ".join(_list(row, 2) for row in PROXIMITY)
    return f'''# Written by scripts/post_cold_war.py from the Correlates of War NMC v6.0 file and
# World Bank figures; edit that script, not this file.
[scenario]
name = "post-cold-war"
unit = "US$ bn (current)"
title = "After the Cold War: the unipole's unilateral acts and the soft balancing they draw"
description = """
DESCRIPTION
"""
theory = """
Pape (2005) and Paul (2005): secondary powers did not balance the United States after the
Cold War while it was seen as benign; its unilateralism, above all the Iraq war of 2003,
changed the intentions they saw in it and drew soft balancing: diplomacy, institutions and
coalitions that "delay, frustrate and undermine" its acts. The seed adds that soft
balancing is "unlikely to bring any substantial changes to the balance of power" but can
constrain the major power's freedom of action. Walt (1985): perceived offensive
intentions are a source of threat of their own. The scenario measures both halves of the
claim rather than assuming them.
"""
references = ["Pape 2005", "Paul 2005", "Walt 1985", "Jervis 1976", "Singer et al. 1972",
              "Gilpin 1981", "Richardson 1960", "Wohlforth 1999"]

[model]
states = {_quoted(STATES)}
mechanisms = ["perception", "intentions", "ceiling", "economy", "coercion", "soft_balancing"]

[time]
span = [{START}, {END}]
output = {4 * (END - START) + 1}

[parameters]
reaction = {REACTION}
fatigue = {FATIGUE}
grievance = {_list(d["grievance"], 5)}
offence = {_list([OFFENCE[s] for s in STATES], 2)}
distinguishability = 0.5
power_weight = 1.0
proximity = [{proximity}]
ceiling = 0.4
growth = {_list(d["growth"], 4)}
capacity = {_list(d["capacity"], -1)}
arms_cost = 0.1
coercion = 0.01
hegemony_share = 0.4
soft_propensity = {{USA = 0.0, CHN = 5.0, RUS = 5.0, IND = 5.0, JPN = 5.0, EUR = 5.0}}

[initial]
e = {_list(d["gdp"], 0)}
m = {_list(d["milex"], 3)}
c = [{rows}]

[[events]]
name = "Iraq war"
at = 2003
set = {{"unilateralism.USA" = 1.0}}

[[events]]
name = "return to multilateralism"
at = 2009
set = {{"unilateralism.USA" = 0.0}}
ramp = 3

[sources]
"initial.m" = "COW NMC v6.0 milex {START} (thousands of current US$) / 1e6; EUR = UKG + FRN + GMY"
"initial.e" = "World Bank NY.GDP.MKTP.CD {START} (shipped), current US$ bn; EUR = GBR+FRA+DEU"
"initial.c" = "assumption: NATO 0.8, US-Japan 0.7, Japan-Europe 0.3, China-Russia 0.3"
"parameters.capacity" = "assumption: {HEADROOM:g} times the World Bank GDP of {END}"
"parameters.growth" = "logistic path from {START} to {END} GDP (World Bank, current US$)"
"parameters.grievance" = "stationary {START} spending: g = (alpha m / (1 - u) - k (theta - A)) / e"
"parameters.reaction" = "assumption: weak reaction, spending mostly commitment-driven"
"parameters.fatigue" = "Richardson 1960: about 0.2/yr"
"parameters.offence" = "assumption after Walt 1985: postures, as in power-transition"
"parameters.proximity" = "assumption: reach of each power's forces over distance (Boulding 1962)"
"parameters.coercion" = "assumption: at most 1 %/yr of a defenceless target's output"
"parameters.hegemony_share" = "Wohlforth 1999: a unipole below one half of composite power"
"parameters.soft_propensity" = "Pape 2005: the others soft-balance the United States"
"events.Iraq war" = "Pape 2005: a war against the opposition of most great powers"
"events.return to multilateralism" = "assumption: unilateral acts lifted from 2009 over three years"
'''


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else cow_path()
    old = TARGET.read_text() if TARGET.is_file() else ""
    # the description and what follows [prose] (the declared prose, variants and claims,
    # and the measured [robustness]) are kept: none of it is derived
    description = (old.split('description = """\n')[1].split('\n"""')[0] if old
                   else "(to be written)")
    measured = old.partition("[prose]")
    text = render(derive(path)).replace("DESCRIPTION", description)
    TARGET.write_text(text + ("\n" + "".join(measured[1:]) if measured[1] else ""))
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
