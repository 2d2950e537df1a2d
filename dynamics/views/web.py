"""The web explorer: a scenario in a browser, for a reader without Python.

``balancing serve`` starts it on this machine (``http://localhost:5006``). A reader picks a
scenario, moves the sliders of the parameters that carry its story (each labelled with its
meaning and unit from the registry), and sees the run redrawn over the scenario's own run
on fixed axes, the scenario's claims with whether each still holds at the values set (and
how often it held around the scenario's values when measured), a reset, and downloads of
the run (CSV) and of the figure (PNG).

It is a Panel application: Panel serves a Python object as a web page over Bokeh's server,
its widgets call back into this process, and it needs neither a notebook nor a Jupyter
server (Voila renders notebooks, which this app does not need). Needs the ``[web]`` extra.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from dynamics.errors import DynamicsError, require
from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result
from dynamics.scenarios import Scenario, list_scenarios, load_scenario
from dynamics.studies.robustness import at_values
from dynamics.views.interactive import slider_overrides, slider_value

__all__ = ["WebExplorer", "story_parameters", "label", "serve", "DEFAULT_PORT"]

#: the port ``balancing serve`` listens on unless told
DEFAULT_PORT = 5006
#: the most sliders a scenario gets
SLIDERS = 6


def story_parameters(scenario: Scenario, limit: int = SLIDERS) -> list[str]:
    """The parameters that carry a scenario's story, as slider names: the values its file
    sets (zeros left out: a factor cannot move them), those of its own mechanisms before
    Richardson's core, each in the file's order. A per-state value that is the same for
    every state is one slider (``ceiling``, moving all); otherwise the states whose value
    differs from the most common one (the protagonists: ``growth.Riser``) get one each.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    limit : int
        The most names returned.

    Returns
    -------
    list of str
        The names, ``name`` or ``name.STATE``.
    """
    model = scenario.model()
    core = {p.name for m in model.components if m.name == "richardson" for p in m.parameters}
    found: list[tuple[bool, str]] = []
    for name in scenario.parameters:
        spec = REGISTRY[name]
        if name not in model.parameter_names or spec.kind == "pair":
            continue
        values: list[float] = np.atleast_1d(scenario.parameter(name)).tolist()
        if spec.kind == "scalar" or len(set(values)) == 1:
            if values[0] != 0.0:
                found.append((name in core, name))
            continue
        common = Counter(values).most_common(1)[0][0]
        found += [(name in core, f"{name}.{state}")
                  for state, v in zip(scenario.states, values, strict=True)
                  if v != common and v != 0.0]
    found.sort(key=lambda item: item[0])  # stable: the file's order within each group
    return [name for _, name in found][:limit]


def label(name: str) -> str:
    """A slider's label: the parameter's meaning (its first clause), the state, the unit.

    Parameters
    ----------
    name : str
        ``name`` or ``name.STATE``.

    Returns
    -------
    str
        For example ``"Intrinsic growth rate of economic output (Riser) [1/yr]"``.
    """
    parsed = parse_name(name)
    spec = REGISTRY[parsed.base]
    meaning = re.split(r": |; | \(|\. |, ", spec.meaning, maxsplit=1)[0].rstrip(".")
    if len(meaning) > 42:
        meaning = meaning[:39].rsplit(" ", 1)[0] + "..."
    state = f" ({parsed.states[0]})" if parsed.states else ""
    unit = spec.unit if spec.unit.startswith("[") else f"[{spec.unit}]"
    unit = f" {unit}" if spec.unit and spec.unit != "1" else ""
    return f"{meaning}{state}{unit}"


def _range(name: str, value: float) -> tuple[float, float]:
    """A slider's range: the parameter's plausible range where it has one that holds the
    value, else the value times 0 to 3 (or +-3 around zero), within its bounds."""
    spec = REGISTRY[parse_name(name).base]
    low, high = spec.plausible if spec.plausible is not None else (math.nan, math.nan)
    if not (low <= value <= high) or high - low > 20 * max(abs(value), 1e-3):
        low, high = (0.0, 3 * value) if value > 0 else (3 * value, 0.0)
    bound_low, bound_high = spec.bounds
    return max(low, bound_low), min(high, bound_high)


class WebExplorer:
    """One reader's page: the widgets and what they show (module docstring).

    Parameters
    ----------
    scenario : str, optional
        The scenario shown first (default: the first shipped one).
    """

    def __init__(self, scenario: str | None = None):
        require("web", "the web explorer", "panel")
        import panel as pn

        self._pn = pn
        names = list_scenarios()
        self.picker = pn.widgets.Select(label="Scenario", options=names,
                                        value=scenario or names[0], width=300)
        self.sliders: dict[str, Any] = {}
        self.controls = pn.Column(width=320)
        self.reset = pn.widgets.Button(label="Reset to the scenario's values", width=300)
        self.csv = pn.widgets.FileDownload(callback=self._csv, filename="run.csv",
                                           label="Download the run (CSV)", width=300)
        self.png = pn.widgets.FileDownload(callback=self._png, filename="run.png",
                                           label="Download the figure (PNG)", width=300)
        self.heading = pn.pane.Markdown("", width=760)
        self.figure = pn.pane.Matplotlib(None, dpi=110, tight=False, width=760,
                                         format="png", interactive=False)
        self.claims = pn.pane.Markdown("", width=760, css_classes=["claims"])
        self.status = pn.pane.Markdown("", width=760)
        self.picker.param.watch(lambda _event: self.load(self.picker.value), "value")
        self.reset.on_click(lambda _event: self._reset())
        self.layout = pn.Row(
            pn.Column(pn.pane.Markdown("## Balancing dynamics"), self.picker, self.controls,
                      self.reset, self.csv, self.png, width=330),
            pn.Column(self.heading, self.figure, self.claims, self.status))
        self.updates = 0
        self._holding = False  # while the reset moves every slider: one update, not one each
        self.load(self.picker.value)

    # --- the scenario --------------------------------------------------------------
    def load(self, name: str) -> None:
        """Show scenario ``name``: its sliders at its values, its run as the baseline."""
        from dynamics.views.plotting import beside_limits

        self.scenario = load_scenario(name)
        self.baseline = self.scenario.run()
        self.limits = beside_limits(self.baseline)
        self.sliders = {}
        for key in story_parameters(self.scenario):
            value = self._value(key)
            low, high = _range(key, value)
            slider = self._pn.widgets.FloatSlider(
                label=label(key), start=low, end=high, value=value,
                step=(high - low) / 100 if high > low else 1e-3, width=280,
                format="0[.]0000", css_classes=["story"])
            slider.param.watch(lambda _event: None if self._holding else self.update(),
                               "value")
            self.sliders[key] = slider
        self.controls.objects = [
            self._pn.Row(slider, self._pn.widgets.TooltipIcon(
                value=f"{REGISTRY[parse_name(key).base].meaning} ({key}; source: "
                      f"{REGISTRY[parse_name(key).base].source})"))
            for key, slider in self.sliders.items()]
        self.heading.object = (f"### {self.scenario.title}\n\n{self.scenario.description}")
        self.update()

    def _value(self, key: str) -> float:
        return slider_value(self.scenario, key)

    def values(self) -> dict[str, Any]:
        """The sliders' values as the scenario's parameters (per state merged)."""
        return slider_overrides(self.scenario, {k: s.value for k, s in self.sliders.items()})

    def _reset(self) -> None:
        self._holding = True
        try:
            for key, slider in self.sliders.items():
                slider.value = self._value(key)
        finally:
            self._holding = False
        self.update()

    # --- a move ----------------------------------------------------------------------
    def update(self) -> None:
        """Run the scenario at the sliders' values; redraw the figure and the claims."""
        from dynamics.views.plotting import plot_beside

        try:
            changed = self.scenario.with_values(self.values())
            result = changed.run()
        except DynamicsError as error:  # shown on the page, which keeps the last run
            self.status.object = f"**These values cannot run:** {error}"
            return
        self.result: Result = result
        self.updates += 1
        self.figure.object = plot_beside(self.result, self.baseline, title=self.scenario.name,
                                         unit=self.scenario.unit, limits=self.limits)
        self.claims.object = self._claims(changed)
        self.status.object = ("" if self.result.ok else
                              f"**The run stopped early:** {self.result.message}")

    def _claims(self, changed: Scenario) -> str:
        if not self.scenario.claims:
            return "This scenario states no claim."
        holds = at_values(changed)
        measured = self.scenario.robustness or {}
        spread = measured.get("spread")
        lines = ["#### What the scenario claims, at the values set", ""]
        for claim in self.scenario.claims:
            verdict = "holds" if holds.get(claim.name) else "does not hold"
            share = measured.get("share", {}).get(claim.name)
            around = (f" (around the scenario's values, within +-{spread:.0%} of each, it "
                      f"held in {share:.0%} of {measured.get('members')} runs)"
                      if share is not None and spread else "")
            kind = "" if claim.kind == "robust" else f" [{claim.kind}]"
            lines.append(f"- **{claim.name}**{kind}: {claim.text}: "
                         f"<span class='verdict'>{verdict}</span>{around}")
        return "\n".join(lines)

    # --- downloads ---------------------------------------------------------------------
    def _csv(self) -> io.BytesIO:
        with tempfile.TemporaryDirectory() as folder:
            path = self.result.to_csv(Path(folder) / "run.csv")
            return io.BytesIO(path.read_bytes())

    def _png(self) -> io.BytesIO:
        buffer = io.BytesIO()
        self.figure.object.savefig(buffer, format="png", dpi=200)
        buffer.seek(0)
        return buffer


def serve(port: int = DEFAULT_PORT, scenario: str | None = None, show: bool = False,
          address: str = "localhost", threaded: bool = False, **options: Any):
    """Serve the explorer on ``address:port`` until interrupted (each reader gets a page of
    their own).

    Parameters
    ----------
    port : int
        The port.
    scenario : str, optional
        The scenario shown first.
    show : bool
        Open it in the default browser.
    address : str
        The address to listen on (``localhost``: this machine only).
    threaded : bool
        Return at once with the server running in a thread (for tests and notebooks).
    **options
        Passed to ``panel.serve``.

    Returns
    -------
    The server (threaded) or nothing once stopped.
    """
    require("web", "the web explorer", "panel")
    import panel as pn

    if scenario is not None:
        load_scenario(scenario)  # an unknown name fails here, before the server starts
    return pn.serve({"/": lambda: WebExplorer(scenario).layout}, port=port, address=address,
                    show=show, threaded=threaded, title="Balancing dynamics",
                    websocket_origin=[f"{address}:{port}", f"localhost:{port}",
                                      f"127.0.0.1:{port}"], **options)

