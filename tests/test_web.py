"""The web explorer (dynamics/views/web.py): its page object moved from Python, and the
served page driven in a real browser (Playwright driving Debian's chromium, which
.ci/run installs; ``DYNAMICS_REQUIRE_BROWSER=1`` there makes a missing browser a failure,
not a skip). Screenshots go to ``DYNAMICS_ARTIFACTS`` (default build/artifacts/web)."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from dynamics.cli import main
from dynamics.model.registry import REGISTRY
from dynamics.scenarios import list_scenarios, load_scenario
from dynamics.studies.robustness import at_values

pytest.importorskip("panel")

from dynamics.views.web import WebExplorer, label, story_parameters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
#: chromium's flags on a machine without a network or a screen (as root, no sandbox)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_every_scenario_gets_labelled_sliders_for_values_its_file_sets():
    for name in list_scenarios():
        scenario = load_scenario(name)
        keys = story_parameters(scenario)
        assert 1 <= len(keys) <= 6, name
        for key in keys:
            base = key.split(".")[0]
            assert base in scenario.parameters, (name, key)  # the file sets it
            words = label(key).split(" [")[0].split(" (")[0].removesuffix("...")
            assert REGISTRY[base].meaning.startswith(words), (key, words)  # not the key
    assert story_parameters(load_scenario("hegemonic-rise"))[:2] == ["ceiling", "growth.Riser"]
    assert label("growth.Riser") == "Intrinsic growth rate of economic output (Riser) [1/yr]"


def test_a_move_reruns_redraws_and_judges_the_claims_again():
    explorer = WebExplorer("hegemonic-rise")
    scenario = load_scenario("hegemonic-rise")
    assert np.array_equal(explorer.result["m"], scenario.run()["m"])
    assert "hegemony**: with nobody balancing" in explorer.claims.object
    assert "<span class='verdict'>holds</span>" in explorer.claims.object
    assert "held in 100% of 256 runs" in explorer.claims.object  # the file's measurement
    figure, updates = explorer.figure.object, explorer.updates
    explorer.sliders["coercion"].value = 0.0
    assert explorer.updates == updates + 1 and explorer.figure.object is not figure
    expected = scenario.with_values({"coercion": 0.0})
    assert np.array_equal(explorer.result.share, expected.run().share)
    assert at_values(expected) == {"hegemony": False}
    assert "<span class='verdict'>does not hold</span>" in explorer.claims.object
    rows = list(csv.DictReader(io.StringIO(explorer._csv().read().decode())))
    final = [r for r in rows if r["variable"] == "share" and r["state"] == "Riser"][-1]
    assert float(final["value"]) == explorer.result.share[-1, 0]
    assert explorer._png().read(8) == b"\x89PNG\r\n\x1a\n"
    updates = explorer.updates
    explorer.reset.clicks += 1  # the reset button, as a click: one run, not one per slider
    assert explorer.updates == updates + 1
    assert explorer.sliders["coercion"].value == scenario.parameters["coercion"]
    assert np.array_equal(explorer.result["m"], scenario.run()["m"])
    explorer.picker.value = "security-dilemma"
    assert explorer.scenario.name == "security-dilemma"
    assert set(explorer.sliders) == set(story_parameters(load_scenario("security-dilemma")))


def test_the_figure_names_each_coloured_state_and_the_grey_ones_once():
    from dynamics.views.plotting import PALETTE, plot_beside

    run = load_scenario("europe-1908").run()  # 19 states: more than the palette's colours
    labels = [t.get_text() for t in plot_beside(run, run).axes[0].get_legend().get_texts()]
    assert labels.count("other states") == 1
    assert len(labels) == len(PALETTE)  # the largest states named, one colour each
    assert set(labels) - {"other states"} <= set(run.states)


def test_serve_without_panel_names_the_web_extra(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "panel" else real(name, *a))
    assert main(["serve", "--port", "5999"]) == 2
    assert "pip install 'balancing-dynamics[web]'" in capsys.readouterr().err


def test_serve_refuses_an_unknown_scenario_before_serving(capsys):
    assert main(["serve", "--scenario", "hegemonic-rsie", "--port", "5999"]) == 2
    captured = capsys.readouterr()
    assert "unknown scenario 'hegemonic-rsie'" in captured.err
    assert "serving" not in captured.out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server():
    """``balancing serve`` in a process of its own, on a free port, until the test ends."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "dynamics", "serve", "--port", str(port),
                                "--scenario", "bandwagoning"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                assert answer.status == 200
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("the explorer did not start: "
                                     + process.stdout.read().decode()) from None
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.slow
def test_a_reader_picks_a_scenario_moves_a_slider_and_sees_plot_and_claim_change(server):
    if not Path(CHROMIUM).exists():
        if os.environ.get("DYNAMICS_REQUIRE_BROWSER"):
            raise AssertionError(f"no chromium at {CHROMIUM}; .ci/run installs Debian's")
        pytest.skip("no chromium here (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("DYNAMICS_ARTIFACTS", ROOT / "build" / "artifacts")) / "web"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 720})
            page.goto(server)
            expect(page.get_by_text("What the scenario claims")).to_be_visible(timeout=60_000)
            page.locator("select").select_option("hegemonic-rise")
            expect(page.get_by_text("Hegemonic rise: a revisionist")).to_be_visible(
                timeout=30_000)
            verdict = page.locator(".verdict")
            expect(verdict).to_have_text("holds")
            page.screenshot(path=shots / "explorer-hegemonic-rise.png", full_page=True)
            before = page.locator("img").first.get_attribute("src")
            titles = page.locator(".bk-slider-title").all_inner_texts()
            coercion = next(k for k, t in enumerate(titles) if t.startswith("Rate at which a "
                                                                             "state with"))
            handle = page.locator(".noUi-handle").nth(coercion)
            handle.focus()
            handle.press("Home")  # the slider to its start: no coercion
            expect(verdict).to_have_text("does not hold", timeout=30_000)
            expect(page.locator(".bk-slider-title").nth(coercion)).to_contain_text(": 0")
            assert page.locator("img").first.get_attribute("src") != before  # redrawn
            page.screenshot(path=shots / "explorer-without-coercion.png", full_page=True)
            with page.expect_download() as download:
                page.get_by_text("Download the run (CSV)").click()
            rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
            assert {r["variable"] for r in rows} >= {"m", "share", "e"}
            page.get_by_text("Reset to the scenario's values").click()
            expect(verdict).to_have_text("holds", timeout=30_000)
        finally:
            browser.close()
