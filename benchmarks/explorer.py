"""Benchmark: how long the web explorer takes to answer a slider move.

    python benchmarks/explorer.py [--max-states 6] [--repeats 5] [--browser] [--record]

For each shipped scenario of at most ``--max-states`` states it measures, in this process,
the median of ``--repeats`` moves of the explorer's first slider (to 0.9 and 1.1 times its
value in turn): the whole answer on the server (:meth:`dynamics.views.web.WebExplorer.update`:
the run, the claims judged again with their variants' runs, the figure drawn and rendered
as the PNG that the page shows) against the baseline of the scenario's run alone, and
their ratio. With ``--browser`` it also serves the explorer and measures, in Debian's
chromium driven by Playwright, from a key press on hegemonic-rise's coercion slider to the
claim's new verdict on the page (server, network and drawing included; the page is
watched at every frame). With ``--record`` it writes the table into docs/performance.md
(its ``explorer`` block). Not a test: timings on shared machines are noisy.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
import urllib.request

from record import write_block

from dynamics.scenarios import list_scenarios, load_scenario
from dynamics.views.web import WebExplorer

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


#: whether the page shows a verdict with the given text (through Bokeh's shadow roots)
SHOWN = """(wanted) => {
    const walk = (root) => {
        for (const node of root.querySelectorAll("*")) {
            if (node.classList.contains("verdict") && node.textContent === wanted) return true;
            if (node.shadowRoot && walk(node.shadowRoot)) return true;
        }
        return false;
    };
    return walk(document);
}"""


def _median(action, repeats: int) -> float:
    times = []
    for k in range(repeats):
        began = time.perf_counter()
        action(k)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def server_side(max_states: int, repeats: int) -> list[dict]:
    rows = []
    for name in list_scenarios():
        scenario = load_scenario(name)
        if len(scenario.states) > max_states:
            continue
        explorer = WebExplorer(name)
        key, slider = next(iter(explorer.sliders.items()))
        start = float(slider.value)

        def move(k: int, slider=slider, start=start, explorer=explorer) -> None:
            slider.value = start * (0.9 if k % 2 == 0 else 1.1)  # (its watcher redraws)
            # the figure as the page's pane renders it, a PNG
            explorer.figure.object.savefig(io.BytesIO(), format="png", dpi=110)

        run = _median(lambda _k, scenario=scenario: scenario.run(), repeats)
        rows.append({"scenario": name, "states": len(scenario.states), "slider": key,
                     "run": run, "move": _median(move, repeats)})
    return rows


def browser(repeats: int) -> float:
    from playwright.sync_api import expect, sync_playwright

    port = 5091
    server = subprocess.Popen([sys.executable, "-m", "dynamics", "serve", "--port", str(port),
                               "--scenario", "hegemonic-rise"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://localhost:{port}/", timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                  args=FLAGS)
            page = chromium.new_page()
            page.goto(f"http://localhost:{port}/")
            verdict = page.locator(".verdict")
            expect(verdict).to_have_text("holds", timeout=60_000)
            titles = page.locator(".bk-slider-title").all_inner_texts()
            handle = page.locator(".noUi-handle").nth(
                next(k for k, t in enumerate(titles) if t.startswith("Rate at which a state")))
            handle.focus()
            times = []
            for k in range(repeats):
                key, wanted = ("Home", "does not hold") if k % 2 == 0 else ("End", "holds")
                began = time.perf_counter()
                handle.press(key)
                # watched at every frame (Playwright's own waits poll at up to a second)
                page.wait_for_function(SHOWN, arg=wanted, polling="raf", timeout=30_000)
                times.append(time.perf_counter() - began)
            chromium.close()
        return statistics.median(times)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-states", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true",
                        help="also time a move in chromium, key press to new verdict")
    parser.add_argument("--record", action="store_true",
                        help="write the table into docs/performance.md")
    args = parser.parse_args()
    rows = server_side(args.max_states, args.repeats)
    lines = ["| scenario | N | slider moved | its run alone | the explorer's answer | ratio |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['scenario']} | {row['states']} | `{row['slider']}` | "
                     f"{row['run']:.3f} s | {row['move']:.3f} s | "
                     f"{row['move'] / row['run']:.1f}x |")
    slowest = max(rows, key=lambda r: r["move"])
    lines += ["", f"The slowest answer on the server: {slowest['move']:.2f} s "
              f"({slowest['scenario']}, {slowest['states']} states); every scenario of at most "
              f"{args.max_states} states answers in "
              f"{'under' if slowest['move'] < 1 else 'more than'} a second there."]
    if args.browser:
        seconds = browser(args.repeats)
        lines.append(f"In chromium, from a key press on hegemonic-rise's coercion slider to "
                     f"the claim's new verdict on the page: {seconds:.2f} s (median of "
                     f"{args.repeats}).")
    text = "\n".join(lines)
    print(text)
    if args.record:
        write_block("explorer", text)


if __name__ == "__main__":
    main()
