"""The polarity-durability experiment: each part against a hand computation, and a system's
durations recomputed from single runs. No test asserts which configuration is least
durable: that is what the experiment finds, whatever it is."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import CensoredData, logrank

from dynamics.cli import main
from dynamics.errors import ParameterValueError
from dynamics.model.model import Model
from dynamics.run.front import simulate
from dynamics.studies.durability import (
    CONFIGURATIONS,
    MARGIN,
    Design,
    configuration,
    durability,
    kaplan_meier,
    log_rank_pairs,
    outputs_for,
    poles,
    spells,
    starting_shares,
)

#: a small, quick design: two mechanisms, four states, 40 years
SMALL = {"systems": 12, "states": (4,), "mechanisms": ("ceiling", "economy"), "years": 40.0}


def test_poles_are_states_with_at_least_the_ratio_of_the_leaders_share():
    shares = np.array([[0.60, 0.20, 0.10, 0.10],    # 0.20 < 0.30: one pole
                       [0.45, 0.35, 0.10, 0.10],    # 0.35 >= 0.225 > 0.10: two
                       [0.30, 0.25, 0.25, 0.20]])   # all >= 0.15: four
    assert poles(shares, 0.5).tolist() == [1, 2, 4]
    assert configuration(poles(shares, 0.5)).tolist() == [0, 1, 2]
    # at the threshold a state counts as a pole
    assert poles(np.array([0.5, 0.25, 0.25]), 0.5) == 3


def test_a_spell_lasts_until_the_number_of_poles_leaves_its_class_or_is_censored():
    t = np.linspace(0.0, 10.0, 41)                    # every 0.25 years
    rising = 0.1 + 0.05 * t                            # a third state catching up
    leader = np.full_like(t, 0.5)
    # member 0: unipolar (0.1 / 0.5 < 0.5) until the third reaches 0.25 at t = 3
    first = np.stack([leader, np.full_like(t, 0.2), rising], axis=1)
    # member 1: bipolar throughout (0.4 and 0.5 poles, 0.1 not)
    second = np.stack([leader, np.full_like(t, 0.4), np.full_like(t, 0.1)], axis=1)
    start, duration, ended = spells(np.stack([first, second]), t, np.array([0.5, 0.5]),
                                    np.array([True, True]))
    assert start.tolist() == [0, 1]
    assert duration.tolist() == [3.0, 10.0]
    assert ended.tolist() == [True, False]


def test_kaplan_meier_median_and_restricted_mean_by_hand():
    """Spells of 2, 3, 3+, 5 and 8+ years (+: censored). Product-limit by hand: 4/5 after
    2, times 3/4 after 3 (the censored spell of 3 still at risk), times 1/2 after 5; median
    5; area to 10 years 2 + 0.8 + 2 (0.6) + 5 (0.3) = 5.5. The log-log band at t = 2 from
    Greenwood's variance: v = (1 / (5 * 4)) / ln(0.8)^2, limits 0.8^exp(-+1.96 sqrt v)."""
    duration = np.array([2.0, 3.0, 3.0, 5.0, 8.0])
    ended = np.array([True, True, False, True, False])
    found = kaplan_meier("x", duration, ended, horizon=10.0)
    assert found.times.tolist() == [2.0, 3.0, 5.0, 8.0]
    np.testing.assert_allclose(found.survival, [0.8, 0.6, 0.3, 0.3], rtol=1e-12)
    assert found.median == 5.0
    assert found.rmst == pytest.approx(5.5, rel=1e-12)
    v = (1 / (5 * 4)) / math.log(0.8) ** 2
    low, high = 0.8 ** math.exp(1.959964 * math.sqrt(v)), 0.8 ** math.exp(-1.959964 * math.sqrt(v))
    assert found.low[0] == pytest.approx(low, rel=1e-5)
    assert found.high[0] == pytest.approx(high, rel=1e-5)


def test_log_rank_p_values_are_holm_adjusted():
    rng = np.random.default_rng(5)
    duration = np.column_stack([rng.exponential(s, 60) for s in (5.0, 8.0, 20.0)])
    ended = duration < 15.0
    duration = np.minimum(duration, 15.0)
    found = log_rank_pairs(duration, ended)
    raw = {}
    for a, b in ((0, 1), (0, 2), (1, 2)):
        x = CensoredData(uncensored=duration[ended[:, a], a], right=duration[~ended[:, a], a])
        y = CensoredData(uncensored=duration[ended[:, b], b], right=duration[~ended[:, b], b])
        raw[(CONFIGURATIONS[a], CONFIGURATIONS[b])] = logrank(x, y).pvalue
    ordered = sorted(raw, key=raw.get)
    expected, running = {}, 0.0
    for rank, pair in enumerate(ordered):   # Holm: (3 - rank) p, kept monotone, at most 1
        running = max(running, min(1.0, (3 - rank) * raw[pair]))
        expected[pair] = running
    for pair, (_, p) in found.items():
        assert p == pytest.approx(expected[pair], rel=1e-12)


@given(st.integers(3, 9), st.floats(0.4, 0.6), st.integers(0, 2**16),
       st.sampled_from(CONFIGURATIONS))
def test_a_start_forms_its_configuration_away_from_the_threshold(n, ratio, seed, kind):
    shares = starting_shares(kind, n, ratio, np.random.default_rng(seed))
    assert shares.sum() == pytest.approx(1.0, abs=1e-12)
    assert shares[0] == shares.max()
    assert configuration(poles(shares, ratio)) == CONFIGURATIONS.index(kind)
    relative = shares[1:] / shares[0]
    assert np.all(np.abs(relative - ratio) >= MARGIN - 1e-12)


def test_outputs_give_the_start_power_shares_at_the_settled_burdens():
    """The outputs found, with spending at the given burdens, give the target power shares
    by the model's own share expression (a run's share at t = 0)."""
    model = Model(["A", "B", "C", "D"], "richardson")
    target = np.array([0.4, 0.3, 0.2, 0.1])
    burden = np.array([0.02, 0.08, 0.01, 0.05])
    weight = 0.7
    e = 4 * outputs_for(target, burden, weight)
    result = simulate(model, {"output_weight": weight}, (0.0, 1.0), output=2,
                      initial={"e": e, "m": burden * e})
    np.testing.assert_allclose(result.share[0], target, atol=1e-9)


def test_the_design_refuses_what_it_cannot_draw():
    with pytest.raises(ParameterValueError, match="at least 3 states"):
        Design(states=(2, 3))
    with pytest.raises(ParameterValueError, match="leaves its bounds"):
        Design(ranges={"offence": (0.0, 2.0)})
    with pytest.raises(ParameterValueError, match="neither a parameter"):
        Design(ranges={"groth": (0.0, 0.1)})
    with pytest.raises(ParameterValueError, match="pole_ratio"):
        Design(ranges={"pole_ratio": (0.1, 0.5)})


@pytest.fixture(scope="module")
def small():
    return durability(Design(**SMALL), resamples=50, discover=False)


def test_a_systems_durations_recomputed_from_single_runs(small):
    """Each kept system's three spells, recomputed from single runs of its scenarios
    (scipy's integrator, not the ensemble kernel), agree to one output interval; each
    starts in its own configuration."""
    checked = 0
    for k in np.flatnonzero(small.kept)[:3]:
        for c, kind in enumerate(CONFIGURATIONS):
            scenario = small.scenario(int(k), kind)
            result = scenario.run()
            ratio = float(small.inputs["pole_ratio"][k])
            start, duration, ended = spells(result.share[None], result.t, np.array([ratio]),
                                            np.array([result.ok]))
            assert start[0] == c
            assert abs(duration[0] - small.duration[k, c]) <= 0.25 + 1e-9
            assert ended[0] == small.ended[k, c] or abs(duration[0] - SMALL["years"]) <= 0.25
            checked += 1
    assert checked == 9


def test_the_report_has_every_configuration_with_intervals(small):
    assert list(small.survival) == list(CONFIGURATIONS)
    for survival in small.survival.values():
        assert survival.systems == int(small.kept.sum())
        assert survival.rmst_low <= survival.rmst <= survival.rmst_high
        assert 0 <= survival.rmst <= SMALL["years"]
    record = small.as_dict()
    assert record["least_durable"] in CONFIGURATIONS
    assert len(record["log_rank"]) == 3
    assert "least durable" in small.summary()


def test_durability_command_prints_json_and_writes_its_files(tmp_path, capsys):
    assert main(["durability", "--systems", "8", "--states", "4", "--mechanisms", "ceiling",
                 "economy", "--years", "20", "--no-discover", "--json",
                 "--csv", str(tmp_path / "d.csv"), "--plot", str(tmp_path / "d.png")]) == 0
    out = capsys.readouterr().out
    record = json.loads(out[:out.rindex("}") + 1])
    assert record["design"]["systems"] == 8
    assert (tmp_path / "d.png").stat().st_size > 10_000
    assert len((tmp_path / "d.csv").read_text().splitlines()) == 9
    assert main(["durability", "--range", "growth=0.1:0"]) == 2
    assert "range of 'growth'" in capsys.readouterr().err
