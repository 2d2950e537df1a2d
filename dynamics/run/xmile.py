"""A run's model and values as an XMILE document, for system dynamics tools.

:func:`to_xmile` writes the model (:func:`dynamics.codegen.xmile.stock_and_flow`: stocks,
a flow per term, auxiliaries, constants) with one run's values: the constants' values, the
stocks' starts (derived starts such as perceived threat computed), the span and the step.
Dated interventions become the XMILE builtins that express them exactly:

- a change to a parameter or a held variable is its constant plus a ``STEP`` per jump and
  a ``RAMP`` per change of slope (a ramped change is linear in time, as in a run);
- a change to a stock at a date is a ``PULSE`` inflow whose volume is the jump, delivered
  in the solver's step that ends at that date (``PULSE(m_RUS * 0.53 - m_RUS, 1991.0 - DT)``),
  so that the stock has its new value at the date, as a run reports it; a change at the
  start changes the stock's start.

What XMILE cannot express is refused, naming it: a triggered intervention (its condition
is checked by a run's event location), members of an ensemble, a date off the grid of the
step (XMILE's solver would apply it a fraction of a step late), two changes of one stock
at the same date.

The document declares Euler's method with the step ``dt`` (XMILE's default method, and
the only one PySD runs). Euler is first order: its trajectories approach the run's as the
step shrinks, by about ``dt`` times a constant; :func:`dynamics.run.xmile.extrapolate`
combines two steps to cancel that term (Richardson extrapolation), which is how the tests
check a document against the project's own runs (tests/test_xmile.py).
"""

from __future__ import annotations

import math
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dynamics._version import __version__
from dynamics.codegen.xmile import Element, stock_and_flow, xmile_name
from dynamics.errors import DynamicsError, ParameterValueError, require
from dynamics.model.model import Model
from dynamics.results.files import write_text
from dynamics.run.interventions import IN_Y, SCALE, Intervention, plan
from dynamics.run.prepared import prepare

__all__ = ["to_xmile", "write_xmile", "run_with_pysd", "for_pysd", "compare_with_pysd",
           "XmileError",
           "NAMESPACE", "DEFAULT_DT"]

#: XMILE 1.0's namespace
NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
#: the step of the documents written, in years: a power of two, so that every step's time
#: is exact in binary and whole-year dates fall on the grid
DEFAULT_DT = 1 / 64


class XmileError(DynamicsError, ValueError):
    """Something a run has that XMILE cannot express; the message names it."""


def to_xmile(model: Model, params: Mapping[str, Any] | None = None,
             initial: Mapping[str, Any] | None = None,
             t_span: Sequence[float] = (0.0, 50.0),
             interventions: Sequence[Intervention] = (), dt: float = DEFAULT_DT,
             name: str = "dynamics model", description: str = "") -> str:
    """The XMILE document of a model with one run's values (module docstring).

    Parameters
    ----------
    model : Model
        The model.
    params, initial : mapping, optional
        Parameter and initial values, as :func:`dynamics.simulate` takes them (one member).
    t_span : (float, float)
        Start and stop, in years.
    interventions : sequence of Intervention
        Dated interventions; a triggered one is refused.
    dt : float
        Euler's step, in years; every date must lie on its grid from the start.
    name, description : str
        The model's name and what it shows (the document's header).

    Returns
    -------
    str
        The document.

    Raises
    ------
    XmileError
        Naming what XMILE cannot express.
    """
    t0, t1 = (float(t) for t in t_span)
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ParameterValueError(f"t_span must be (start, stop) in years with stop after "
                                  f"start, got {tuple(t_span)!r}")
    if not (math.isfinite(dt) and 0 < dt <= t1 - t0):
        raise ParameterValueError(f"dt must be a step in years between 0 and the span "
                                  f"{t1 - t0:g}, got {dt!r}")
    run = prepare(model, params, initial, "array")  # (built at once at any size: the
    # document needs only the packed values and derived starts, the same on either path)
    if run.y0.ndim != 1 or run.p.ndim != 1:
        raise XmileError("an XMILE document holds one run; give one value per parameter, "
                         "not an ensemble's members")
    layout = stock_and_flow(model)
    schedule = plan(model, interventions, (t0, t1)) if interventions else None
    inputs, pulses, starts = _changes(model, layout.elements, schedule, run.p, run.y0,
                                      (t0, t1), dt)

    ET.register_namespace("", NAMESPACE)
    root = ET.Element(_tag("xmile"), {"version": "1.0"})
    header = ET.SubElement(root, _tag("header"))
    ET.SubElement(header, _tag("vendor")).text = "dynamics"
    ET.SubElement(header, _tag("product"), {"version": __version__}).text = "dynamics"
    ET.SubElement(header, _tag("name")).text = name
    if description:
        ET.SubElement(header, _tag("caption")).text = description
    specs = ET.SubElement(root, _tag("sim_specs"), {"method": "Euler",
                                                    "time_units": "years"})
    ET.SubElement(specs, _tag("start")).text = repr(t0)
    ET.SubElement(specs, _tag("stop")).text = repr(t1)
    ET.SubElement(specs, _tag("dt")).text = repr(float(dt))
    variables = ET.SubElement(ET.SubElement(root, _tag("model")), _tag("variables"))
    for element in layout.elements:
        if element.kind == "constant":
            assert element.slot is not None
            k = element.slot[1]
            _add(variables, "aux", element, inputs.get(k, repr(float(run.p[k]))))
        elif element.kind == "stock":
            assert element.slot is not None
            extra = pulses.get(element.slot[1], [])
            start = starts.get(element.slot[1], run.y0[element.slot[1]])
            stock = _add(variables, "stock", element, _number(start))
            for flow in [*element.inflows, *(n for n, _, _ in extra)]:
                ET.SubElement(stock, _tag("inflow")).text = flow
            for flow in element.outflows:
                ET.SubElement(stock, _tag("outflow")).text = flow
            for flow, equation, doc in extra:
                _add(variables, "flow", Element("flow", flow, doc=doc), equation)
        else:
            _add(variables, "flow" if element.kind == "flow" else "aux", element,
                 layout.equation(element))
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def write_xmile(path: str | Path, *args: Any, **kwargs: Any) -> Path:
    """Write :func:`to_xmile`'s document to ``path``, whole or not at all.

    Parameters
    ----------
    path : str or Path
        The file (``.xmile``, ``.xml`` or ``.stmx``, which Stella opens).
    *args, **kwargs
        Those of :func:`to_xmile`.

    Returns
    -------
    Path
        The file.
    """
    return write_text(path, to_xmile(*args, **kwargs))  # refused before the file is touched


def run_with_pysd(path: str | Path, names: Sequence[str], times: np.ndarray,
                  dt: float = DEFAULT_DT) -> np.ndarray:
    """Run an XMILE document in PySD, an independent engine, at the steps ``dt`` and
    ``dt / 2``, and extrapolate (Richardson): Euler's error is c dt + O(dt^2), so
    ``2 y(dt/2) - y(dt)`` is the trajectory to O(dt^2).

    Parameters
    ----------
    path : str or Path
        The document.
    names : sequence of str
        The elements to return (stocks, auxiliaries), by XMILE name.
    times : ndarray
        The output times, on the grid of ``dt`` from the document's start.
    dt : float
        The coarser step, in years.

    Returns
    -------
    ndarray
        The extrapolated values, shape (len(times), len(names)).

    Raises
    ------
    MissingExtraError
        Without PySD, naming the ``[interop]`` extra.
    """
    require("interop", "running an XMILE document in PySD", "pysd")
    import pysd

    with tempfile.TemporaryDirectory() as folder:
        readable = Path(folder) / Path(path).name
        readable.write_text(for_pysd(Path(path).read_text(encoding="utf-8")),
                            encoding="utf-8")
        model = pysd.read_xmile(str(readable))
        runs = []
        for step in (dt, dt / 2):
            frame = model.run(time_step=step, final_time=float(times[-1]),
                              return_timestamps=np.asarray(times, dtype=float),
                              return_columns=list(names), progress=False)
            runs.append(frame[list(names)].to_numpy(dtype=float))
            model.reload()
    return 2 * runs[1] - runs[0]


def for_pysd(document: str) -> str:
    """The document as PySD reads it: XMILE's builtin ``DT`` (the solver's step, which a
    stock's pulse at a date refers to) is named ``TIME_STEP`` there (PySD 3.14 names the
    step after Vensim's TIME STEP and does not know DT); nothing else changes.

    Parameters
    ----------
    document : str
        An XMILE document.

    Returns
    -------
    str
        The same, ``DT`` in its equations named ``TIME_STEP``.
    """
    return re.sub(r"(<eqn>[^<]*</eqn>)",
                  lambda m: re.sub(r"\bDT\b", "TIME_STEP", m.group(1)), document)


def compare_with_pysd(path: str | Path, model: Model, result: Any,
                      dt: float = DEFAULT_DT) -> dict[str, float]:
    """How far PySD's run of a document (:func:`run_with_pysd`) lies from a run of the
    project, per stock: the largest difference at the run's output times relative to the
    stock's largest magnitude over the run.

    Parameters
    ----------
    path : str or Path
        The document (written by :func:`write_xmile` with the run's model and values).
    model : Model
        The model.
    result : Result
        The project's run (its output times on the grid of ``dt``).
    dt : float
        The coarser of PySD's two steps.

    Returns
    -------
    dict
        Stock name (``m_USA``) -> relative difference.
    """
    # a run that stopped (a runaway race past its divergence bound) reports the time it
    # stopped too, off the grid of the steps: compared at the output times on it
    steps = (result.t - result.t[0]) / dt
    kept = np.abs(steps - np.round(steps)) < 1e-9 * np.maximum(1.0, steps)
    names, columns = [], []
    for slot in model.variables:
        states = [model.states[i] for i in slot.index]
        names.append(xmile_name(slot.name, *states))
        columns.append(np.asarray(result[(slot.name, *states)], dtype=float)[kept])
    ours = np.column_stack(columns)
    theirs = run_with_pysd(path, names, result.t[kept], dt)
    scale = np.max(np.abs(ours), axis=0)
    scale[scale == 0] = 1.0
    return dict(zip(names, (np.max(np.abs(theirs - ours), axis=0) / scale).tolist(),
                    strict=True))


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: ET.Element, kind: str, element: Element, equation: str) -> ET.Element:
    node = ET.SubElement(parent, _tag(kind), {"name": element.name})
    ET.SubElement(node, _tag("eqn")).text = equation
    if element.units:
        ET.SubElement(node, _tag("units")).text = element.units
    if element.doc:
        ET.SubElement(node, _tag("doc")).text = element.doc
    return node


def _changes(model: Model, elements: Sequence[Element], schedule, p0: np.ndarray,
             y0: np.ndarray, span: tuple[float, float], dt: float
             ) -> tuple[dict[int, str], dict[int, list[tuple[str, str, str]]], dict[int, float]]:
    """The equations of the inputs that interventions change (input slot -> equation), the
    pulse flows of the stocks they change (variable slot -> [(name, equation, doc)]) and
    the starts of the stocks they change at the start (variable slot -> value)."""
    if schedule is None:
        return {}, {}, {}
    t0, t1 = span
    for k, intervention in enumerate(schedule.interventions):
        if k >= schedule.dated:
            raise XmileError(f"{intervention.label}: XMILE cannot express a "
                             f"triggered intervention (when = {intervention.when!r}): its "
                             "date depends on the run; export without it, or give it a date")
    if schedule.members > 1:
        raise XmileError("an XMILE document holds one run; these interventions give each "
                         "member of an ensemble its own date or value")
    fired = sorted((float(schedule.times[0, d]), d) for d in range(schedule.dated)
                   if schedule.times[0, d] <= t1)
    fired = [(max(when, t0), d) for when, d in fired]
    for when, d in fired:
        steps = (when - t0) / dt
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise XmileError(f"{schedule.interventions[d].label} at {when:g} is "
                             f"not on the grid of the step dt = {dt:g} from {t0:g}: XMILE's "
                             "solver would apply it part of a step late; choose a dt that "
                             "divides its distance from the start")
    names = {e.slot: e.name for e in elements if e.slot is not None}
    changed = sorted({int(slot) for slot, target in zip(schedule.row_slot, schedule.row_target,
                                                         strict=True) if target != IN_Y})
    inputs = {slot: _path(schedule, p0, fired, slot, (t0, t1)) for slot in changed}
    pulses: dict[int, list[tuple[str, str, str]]] = {}
    starts: dict[int, float] = {}
    seen: set[tuple[int, float]] = set()
    for when, d in fired:
        intervention = schedule.interventions[d]
        for r in np.flatnonzero((schedule.row_event == d) & (schedule.row_target == IN_Y)):
            slot, value = int(schedule.row_slot[r]), float(schedule.values[0, r])
            scale = schedule.row_mode[r] == SCALE
            if when <= t0:  # at the start: the stock starts changed, as a run does
                start = starts.get(slot, float(y0[slot]))
                starts[slot] = start * value if scale else value
                continue
            if (slot, when) in seen:
                raise XmileError(f"{intervention.label}: {names[('y', slot)]} "
                                 f"changes twice at {when:g}, which XMILE's pulses cannot "
                                 "order; merge the changes into one")
            seen.add((slot, when))
            stock = names[("y", slot)]
            volume = (f"{stock} * {_number(value)} - {stock}" if scale
                      else f"{_number(value)} - {stock}")
            flow = xmile_name(intervention.name or f"intervention_{d}", stock)
            pulses.setdefault(slot, []).append(
                (flow, f"PULSE({volume}, {_number(when)} - DT)",
                 f"{intervention.label}: {stock} {'times' if scale else 'set to'} "
                 f"{value:g} at {when:g}: the jump, delivered in the step before that date, "
                 "so that the stock has its new value at the date, as a run reports it"))
    return inputs, pulses, starts


def _path(schedule, p0: np.ndarray, fired, slot: int, span: tuple[float, float]) -> str:
    """One input's path as its start plus a STEP per jump and a RAMP per change of slope:
    the path is right-continuous and linear between the dates and ramps' ends
    (:meth:`Plan.inputs_along`), so each piece's slope is read from two points inside it."""
    t0, t1 = span
    ends = [when + float(schedule.ramps[0, d]) for when, d in fired]
    breaks = sorted({t0, *(when for when, _ in fired), *(e for e in ends if e < t1)})
    breaks = [b for b in breaks if b < t1]
    pieces = [(a, b) for a, b in zip(breaks, [*breaks[1:], t1], strict=True)]
    probes = np.array([x for a, b in pieces for x in (a, a + (b - a) / 3, a + 2 * (b - a) / 3)])
    order = np.argsort(probes, kind="stable")
    along = np.empty(probes.size)
    along[order] = schedule.inputs_along(p0, fired, probes[order])[:, slot]
    start, slope = float(p0[slot]), 0.0  # the path's value and slope before the first piece
    terms = [_number(start)]
    for k, (a, b) in enumerate(pieces):
        at, first, second = (float(x) for x in along[3 * k:3 * k + 3])
        if k:  # the previous piece, continued to its end
            before_a, before_at = pieces[k - 1][0], float(along[3 * (k - 1)])
            start = before_at + slope * (a - before_a)
        new_slope = (second - first) / ((b - a) / 3)
        if abs(at - start) > 1e-12 * max(abs(at), abs(start)):  # not a ramp's rounding
            terms.append(f"STEP({_number(at - start)}, {_number(a)})")
        if new_slope != slope:
            terms.append(f"RAMP({_number(new_slope - slope)}, {_number(a)})")
        slope = new_slope
    return " + ".join(terms)


def _number(value: float) -> str:
    """A number as XMILE reads it, to the last bit."""
    return repr(float(value))
