"""Interactive exploration in Jupyter: sliders that re-run a scenario and redraw it.

``explore("hegemonic-rise")`` shows one slider per key parameter of the scenario (those
its file sets to a single number, or the ones named), and redraws spending, burdens,
power shares and cohesion whenever a slider moves. It needs ipywidgets
(``pip install 'balancing-dynamics[notebook]'``); without it, it says so and shows the
scenario's static figure instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dynamics.model.names import parse_name
from dynamics.model.registry import REGISTRY
from dynamics.results.labelled import Result
from dynamics.scenarios import Scenario, load_scenario, parse_assignment

__all__ = ["Explorer", "explore", "slider_value", "slider_overrides", "WIDGETS_MISSING"]

WIDGETS_MISSING = ("explore needs ipywidgets, which is not installed: pip install "
                   "'balancing-dynamics[notebook]'. Showing the static figure instead.")


def _key_parameters(scenario: Scenario, limit: int = 6) -> list[str]:
    """Parameters the scenario sets to one number (used by its model), at most ``limit``."""
    used = scenario.model().parameter_names
    return [name for name, value in scenario.parameters.items()
            if name in used and isinstance(value, int | float)][:limit]


def _slider_range(name: str, value: float) -> tuple[float, float]:
    low, high = REGISTRY[parse_name(name).base].design_range
    if not math.isfinite(low) or not math.isfinite(high) or high - low > 10 * max(abs(value),
                                                                                    1e-3):
        low = max(low, value - 3 * max(abs(value), 1e-3))
        high = min(high, value + 3 * max(abs(value), 1e-3))
    return low, high


def slider_value(scenario: Scenario, name: str) -> float:
    """The scenario's value (or the default) of a slider's ``name`` or ``name.STATE``; a
    per-state parameter named without a state gives the first state's value.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    name : str
        The slider's name.

    Returns
    -------
    float
        The value.
    """
    parsed = parse_name(name, scenario.states)
    value = np.atleast_1d(scenario.parameter(parsed.base))
    return float(value[scenario.states.index(parsed.states[0])] if parsed.states
                 else value[0])


def slider_overrides(scenario: Scenario, values: Mapping[str, float]) -> dict[str, Any]:
    """Sliders' values as the scenario's parameter overrides, a parameter's states merged.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    values : mapping
        Slider name (``name`` or ``name.STATE``) -> its value.

    Returns
    -------
    dict
        Parameter name -> value (a mapping by state for per-state entries).
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        key, parsed = parse_assignment(f"{name}={float(value)!r}", scenario)
        if isinstance(parsed, dict) and isinstance(out.get(key), dict):
            parsed = {**out[key], **parsed}
        out[key] = parsed
    return out


class Explorer:
    """Sliders bound to a scenario; :attr:`result` is the run for the current values.

    Setting a slider's value (in the notebook or in code) re-runs the scenario:
    ``explorer.sliders["distinguishability"].value = 0.9``.

    Parameters
    ----------
    scenario : Scenario
        The scenario.
    names : sequence of str
        The parameters given sliders (``name`` or ``name.STATE``).
    """

    def __init__(self, scenario: Scenario, names: Sequence[str]):
        import ipywidgets as widgets

        self.scenario = scenario
        self.sliders: dict[str, Any] = {}
        for name in names:
            value = self._current(name)
            low, high = _slider_range(name, value)
            slider = widgets.FloatSlider(value=value, min=low, max=high,
                                         step=(high - low) / 200, description=name,
                                         continuous_update=False, readout_format=".4g",
                                         style={"description_width": "initial"})
            slider.observe(self._changed, names="value")
            self.sliders[name] = slider
        self.output = widgets.Output()
        self.runs = 0
        self.result: Result = self._run()
        self.widget = widgets.VBox([*self.sliders.values(), self.output])

    def _current(self, name: str) -> float:
        return slider_value(self.scenario, name)

    def values(self) -> dict[str, Any]:
        """The slider values as scenario overrides."""
        return slider_overrides(self.scenario, {n: s.value for n, s in self.sliders.items()})

    def _run(self) -> Result:
        self.result = self.scenario.with_values(self.values()).run()
        self.runs += 1
        self._draw()
        return self.result

    def _changed(self, _change: dict) -> None:
        self._run()

    def _draw(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        from dynamics.views.plotting import plot_run

        self.output.clear_output(wait=True)
        with self.output:
            figure = plot_run(self.result, title=self.scenario.title, unit=self.scenario.unit)
            display(figure)
            plt.close(figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(scenario: str | Scenario, parameters: Sequence[str] | None = None
            ) -> Explorer | Result:
    """Sliders for ``parameters`` and a live figure of the scenario.

    Parameters
    ----------
    scenario : str or Scenario
        A shipped scenario's name, a scenario file, or a :class:`Scenario`.
    parameters : sequence of str, optional
        The parameters to put on sliders, per-state entries allowed (``"reaction.West"``);
        default: the scenario's key ones.

    Returns
    -------
    Explorer or Result
        An :class:`Explorer`; without ipywidgets, prints :data:`WIDGETS_MISSING`, shows the
        static figure and returns the scenario's :class:`~dynamics.results.Result`.
    """
    scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
    for name in parameters or ():
        parse_assignment(f"{name}=0", scenario)  # unknown names fail here, with a hint
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from dynamics.views.plotting import plot_run

        print(WIDGETS_MISSING)
        result = scenario.run()
        try:
            from IPython.display import display

            display(plot_run(result, title=scenario.title, unit=scenario.unit))
        except ImportError:  # pragma: no cover - outside IPython
            pass
        return result
    return Explorer(scenario, list(parameters or _key_parameters(scenario)))
