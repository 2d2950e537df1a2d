"""Derive the present-day power-transition scenario from published figures.

Reads the Correlates of War National Material Capabilities file (v6.0) for 2016 military
expenditure and population and the World Bank GDP file for 2016 output (both shipped in
``dynamics/data`` with their citations), and writes
``dynamics/scenarios/library/power-transition.toml`` with the source of every number. Run
from the repository root:

    python scripts/power_transition.py

The growth rates of 2016 are not in the shipped data (they are real growth, and the file
holds current dollars): they are stated as assumptions in the scenario, as are the
attainable fractions, postures, proximities and alignments.

Spending is calibrated on the record: each power's grievance is set so that its 2016
spending grows at the rate of its output plus the trend of its military burden over
2005-2016 (COW milex over World Bank GDP, both in current US$, so that no deflator is
needed; :func:`burden_trend`). China's burden held between 1.17 % and 1.38 % of its output
in every one of those years, so China's spending grows with its economy, as the record
shows, instead of standing still while its output grows. COW's figures for China and
Russia before 2005 are on another basis (spending falls to 0.35 and 0.31 of its 2004 value
in 2005, a change of source, not of spending), so the burden is read from 2005 on.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from dynamics import Model
from dynamics.data import cow_path, world_bank_gdp
from dynamics.run.prepared import prepare

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = cow_path()
TARGET = ROOT / "dynamics" / "scenarios" / "library" / "power-transition.toml"
YEAR = 2016

STATES = ["USA", "CHN", "RUS", "IND", "JPN", "EUR"]
#: COW abbreviations summed into each state; EUR is the three largest European powers
MEMBERS = {"USA": ["USA"], "CHN": ["CHN"], "RUS": ["RUS"], "IND": ["IND"], "JPN": ["JPN"],
           "EUR": ["UKG", "FRN", "GMY"]}
#: World Bank (ISO) codes of each state; EUR is the United Kingdom, France and Germany
ECONOMIES = {"USA": ["USA"], "CHN": ["CHN"], "RUS": ["RUS"], "IND": ["IND"], "JPN": ["JPN"],
             "EUR": ["GBR", "FRA", "DEU"]}
#: assumption: real GDP growth of 2016 as published (WDI NY.GDP.MKTP.KD.ZG, rounded; not in
#: the shipped data, which holds current dollars); EUR output-weighted
OBSERVED_GROWTH = {"USA": 0.017, "CHN": 0.068, "RUS": 0.002, "IND": 0.083, "JPN": 0.008,
                   "EUR": 0.018}
#: attainable fraction of the frontier output per person (modelling assumption, close to
#: each economy's relative productivity at market exchange rates; see the description)
ATTAINABLE = {"USA": 1.0, "CHN": 0.4, "RUS": 0.4, "IND": 0.25, "JPN": 0.75, "EUR": 0.8}
FRONTIER_GROWTH, HORIZON = 0.01, 40
REACTION, FATIGUE = 0.02, 0.2
#: the years each power's military burden is read from (COW's figures for China and Russia
#: change basis between 2004 and 2005)
BURDEN_YEARS = (2005, YEAR)
SINCE = BURDEN_YEARS[0]
OFFENCE = {"USA": 0.4, "CHN": 0.4, "RUS": 0.6, "IND": 0.2, "JPN": 0.1, "EUR": 0.2}
#: W[i][j]: share of j's force that can be brought to bear on i (modelling assumption)
PROXIMITY = [[0, .3, .4, .1, .1, .2], [.6, 0, .8, .7, .8, .2], [.6, .8, 0, .3, .4, .8],
             [.4, .8, .3, 0, .2, .2], [.6, .9, .6, .2, 0, .1], [.6, .2, .9, .1, .1, 0]]
#: cohesion of the 2016 alignments (assumption): NATO, US-Japan, Japan-Europe, China-Russia
MECHANISMS = ["perception", "ceiling", "economy", "soft_balancing"]
ALIGNMENTS = [("USA", "EUR", 0.8), ("USA", "JPN", 0.7), ("JPN", "EUR", 0.3),
              ("CHN", "RUS", 0.3)]


def read_cow(path: Path) -> dict[str, dict[str, float]]:
    """2016 military expenditure (US$ bn) and population (millions) for each state."""
    rows = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["year"] == str(YEAR):
                rows[row["stateabb"]] = row
    out = {}
    for state, members in MEMBERS.items():
        milex = [float(rows[c]["milex"]) for c in members]
        tpop = [float(rows[c]["tpop"]) for c in members]
        if min(milex + tpop) < 0:
            raise ValueError(f"missing value (-9) for {state} in {YEAR}")
        out[state] = {"milex": sum(milex) / 1e6, "tpop": sum(tpop) / 1e3}
    return out


def burdens(path: Path, years: tuple[int, int] = BURDEN_YEARS) -> dict[str, np.ndarray]:
    """Each power's military burden in each of ``years`` (first to last): COW milex over
    World Bank GDP, both in current US$ (EUR: the sums of its three states)."""
    wanted = {code for codes in MEMBERS.values() for code in codes}
    span = range(years[0], years[1] + 1)
    milex: dict[tuple[str, int], float] = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            if row["stateabb"] in wanted and int(row["year"]) in span:
                if float(row["milex"]) < 0:
                    raise ValueError(f"missing value (-9) for {row['stateabb']} in "
                                     f"{row['year']}")
                milex[(row["stateabb"], int(row["year"]))] = float(row["milex"]) / 1e6
    economies = [code for state in STATES for code in ECONOMIES[state]]
    gdp = {year: world_bank_gdp(economies, year) for year in span}
    return {state: np.array([sum(milex[(c, year)] for c in MEMBERS[state])
                             / sum(gdp[year][c] for c in ECONOMIES[state]) for year in span])
            for state in STATES}


def burden_trend(path: Path, years: tuple[int, int] = BURDEN_YEARS) -> np.ndarray:
    """Per power, the slope (1/yr) of the least-squares line through the logarithm of its
    burden over ``years``: how much faster (or slower) its spending grew than its output."""
    return np.array([np.polyfit(np.arange(b.size), np.log(b), 1)[0]
                     for b in burdens(path, years).values()])


def derive(path: Path) -> dict:
    cow = read_cow(path)
    milex = np.array([cow[s]["milex"] for s in STATES])
    tpop = np.array([cow[s]["tpop"] for s in STATES])
    levels = world_bank_gdp([c for s in STATES for c in ECONOMIES[s]], YEAR)
    gdp = np.array([sum(levels[c] for c in ECONOMIES[s]) for s in STATES])  # US$ bn
    frontier = gdp[0] / cow["USA"]["tpop"] * (1 + FRONTIER_GROWTH) ** HORIZON  # bn/million
    capacity = tpop * frontier * np.array([ATTAINABLE[s] for s in STATES])
    growth = np.array([OBSERVED_GROWTH[s] for s in STATES]) / (1 - gdp / capacity)
    cohesion = np.eye(len(STATES))
    for a, b, value in ALIGNMENTS:
        i, j = STATES.index(a), STATES.index(b)
        cohesion[i, j] = cohesion[j, i] = value
    params = {"reaction": REACTION, "fatigue": FATIGUE, "offence": [OFFENCE[s] for s in STATES],
              "distinguishability": 0.5, "power_weight": 1.0, "proximity": np.array(PROXIMITY),
              "ceiling": 0.4, "growth": growth, "capacity": capacity, "arms_cost": 0.1}
    # the grievance at which each power's 2016 spending grows at the rate of its output
    # plus the trend of its burden: its rate of spending is linear in its own grievance
    model = Model(STATES, MECHANISMS)
    slots = {name: [k for k, v in enumerate(model.variables) if v.name == name]
             for name in ("m", "e")}

    def rate(grievance: np.ndarray) -> np.ndarray:
        run = prepare(model, {**params, "grievance": grievance},
                      {"e": gdp, "m": milex, "c": cohesion})
        return run.compiled.rate(0.0, run.y0, run.p)

    at_zero, at_one = rate(np.zeros(len(STATES))), rate(np.ones(len(STATES)))
    trend = burden_trend(path)
    target = milex * (at_zero[slots["e"]] / gdp + trend)
    grievance = (target - at_zero[slots["m"]]) / (at_one[slots["m"]] - at_zero[slots["m"]])
    reached = rate(grievance)[slots["m"]] / milex
    if np.max(np.abs(reached - target / milex)) > 1e-9:
        raise AssertionError(f"2016 spending does not grow as calibrated: {reached}")
    return {"milex": milex, "tpop": tpop, "gdp": gdp, "capacity": capacity, "growth": growth,
            "grievance": grievance, "cohesion": cohesion, "trend": trend}


def _list(values, digits: int) -> str:
    return "[" + ", ".join(f"{round(float(v), digits):g}" for v in values) + "]"


def render(d: dict) -> str:
    rows = ",\n     ".join(_list(row, 2) for row in d["cohesion"])
    proximity = ",\n     ".join(_list(row, 2) for row in PROXIMITY)
    return f'''# Written by scripts/power_transition.py from the Correlates of War NMC v6.0 file and
# World Bank figures; edit that script, not this file.
[scenario]
name = "power-transition"
unit = "US$ bn ({YEAR}, market exchange rates)"
title = "Power transition: the United States, China and four other powers from 2016"
description = """
Six powers in {YEAR} (the United States, China, Russia, India, Japan and a European bloc of
the United Kingdom, France and Germany), with military spending and population from the
Correlates of War file and output from the World Bank file (both shipped with the package),
in US$ billion at {YEAR} prices and market exchange rates. Each
economy grows logistically toward a capacity: its {YEAR} population times the frontier
output per person ({YEAR} US level advancing 1 %/yr for {HORIZON} years) times an attainable
fraction close to its present relative productivity (USA 1, Europe 0.8, Japan 0.75,
China and Russia 0.4, India 0.25: assumptions, to be varied). Intrinsic growth rates
reproduce the real growth published for {YEAR} (an assumption: it is not in the shipped
data). Spending is calibrated on the record: each power's grievance is set so that its
{YEAR} spending grows at the rate of its output plus the trend of its military burden
over {SINCE}-{YEAR} (spending over output, both in current dollars); China's
burden held between 1.17 % and 1.38 % in every one of those years, so its spending grows
with its economy.
Alliances are held at their {YEAR} cohesion. Market exchange rates are an assumption: at
purchasing-power parity China's and India's output would be larger beside that of the
United States and an overtake earlier, but the shipped data hold no parity series, so that
case is not computed. Under these assumptions China's share overtakes that of the United
States in the late 2030s. The date moves with the attainable fractions: try
--set capacity.CHN=... .
"""
theory = """
Power-transition theory (Organski 1958) and Gilpin (1981): differential growth redistributes
power, and the rising state may overtake the leader; the seed text names China and India
as rising balancers of the United States. Power shares are CINC-style composites of
output and military spending (Singer et al. 1972).
"""
references = ["Organski 1958", "Gilpin 1981", "Singer et al. 1972", "Kennedy 1987", "Walt 1985",
              "Richardson 1960", "Pape 2005"]

[model]
states = {_quoted(STATES)}
mechanisms = ["perception", "ceiling", "economy", "soft_balancing"]

[time]
span = [{YEAR}, {YEAR + 50}]
output = 201

[parameters]
reaction = {REACTION}
fatigue = {FATIGUE}
grievance = {_list(d["grievance"], 8)}
offence = {_list([OFFENCE[s] for s in STATES], 2)}
distinguishability = 0.5
power_weight = 1.0
proximity = [{proximity}]
ceiling = 0.4
growth = {_list(d["growth"], 7)}
capacity = {_list(d["capacity"], -1)}
arms_cost = 0.1

[initial]
e = {_list(d["gdp"], 2)}
m = {_list(d["milex"], 4)}
c = [{rows}]

[sources]
"initial.m" = "COW NMC v6.0 milex {YEAR} (thousands of current US$) / 1e6; EUR = UKG + FRN + GMY"
"initial.e" = "World Bank NY.GDP.MKTP.CD {YEAR} (shipped), current US$ bn; EUR = GBR+FRA+DEU"
"initial.c" = "assumption: NATO 0.8, US-Japan 0.7, Japan-Europe 0.3, China-Russia 0.3"
"parameters.capacity" = "COW tpop x US GDP per person ({YEAR}) x 1.01^{HORIZON} x attainable share"
"parameters.growth" = "assumption: {YEAR} real growth g (NY.GDP.MKTP.KD.ZG), r = g / (1 - e/E)"
"parameters.grievance" = "{YEAR} spending grows as output x trend of milex/GDP since {SINCE}"
"parameters.reaction" = "assumption: weak reaction, spending mostly commitment-driven"
"parameters.fatigue" = "Richardson 1960: about 0.2/yr"
"parameters.offence" = "assumption after Walt 1985: postures and intentions"
"parameters.proximity" = "assumption: reach of each power's forces over distance (Boulding 1962)"
'''


def _quoted(names) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    measured = TARGET.read_text().partition("[prose]")  # kept: declared and measured
    TARGET.write_text(render(derive(path)) + ("\n" + "".join(measured[1:]) if measured[1]
                                              else ""))
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
