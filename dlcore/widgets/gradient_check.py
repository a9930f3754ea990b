"""Gradient-check explorer: how the finite-difference error depends on the step size h.

Pick a function and a point; the log-log plot shows the error of the central difference
against h in float64 and in float32 (and, ticked, of the forward difference). Each curve is
a V: on the right truncation error falls as h shrinks (slope 2 for central, 1 for
forward), on the left round-off grows as 1/h. The dots mark the best step of each curve.
The numbers come from ``dlcore.explore.gradient_check.finite_difference_errors``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..explore.gradient_check import (
    DTYPES,
    FUNCTIONS,
    FiniteDifferenceErrors,
    best_step,
    default_steps,
    finite_difference_errors,
    round_off_model,
    truncation_model,
)
from ..plot import log_scale_values
from ..plot.style import BACKGROUND, PALETTE, style_axes
from ._live import Explorer, LiveFigure, on_change

DTYPE_COLORS = {"float64": PALETTE[0], "float32": PALETTE[1]}
GUIDE_COLOR = "#999999"


def gradient_check_explorer(function: str = "sin", x: float = 1.0,
                            forward: bool = False) -> Explorer:
    """A widget plotting ``finite_difference_errors`` for float32 and float64.

    Controls: ``function`` (a dropdown of ``FUNCTIONS``), ``x`` (the evaluation point, a
    slider over the function's domain) and ``forward`` (also show the forward difference).
    ``result`` holds ``{"float32": errors, "float64": errors}``.
    """
    if function not in FUNCTIONS:
        raise ValueError(f"gradient_check_explorer: unknown function {function!r}; expected "
                         f"one of {', '.join(map(repr, FUNCTIONS))}")
    low, high = FUNCTIONS[function].domain
    controls: dict[str, widgets.Widget] = {
        "function": widgets.Dropdown(options=list(FUNCTIONS), value=function,
                                     description="function"),
        "x": widgets.FloatSlider(value=float(np.clip(x, low, high)), min=low, max=high,
                                 step=0.05, description="x", continuous_update=False),
        "forward": widgets.Checkbox(value=forward, description="forward difference too"),
    }
    figure = Figure(figsize=(7.5, 4.6), facecolor=BACKGROUND, layout="constrained")
    ax = figure.add_subplot()
    explorer = Explorer(controls, LiveFigure(figure))
    updating = {"now": False}

    def redraw() -> None:
        if updating["now"]:
            return
        name, point = controls["function"].value, controls["x"].value
        result = {dtype: finite_difference_errors(name, point, default_steps(), dtype)
                  for dtype in DTYPES}
        draw_errors(ax, result, name, point, show_forward=controls["forward"].value)
        explorer.live.refresh()
        explorer.result = result
        explorer.status.value = describe(result)

    def function_changed(change: dict) -> None:
        """Move the x slider onto the new function's domain, then redraw once."""
        new_low, new_high = FUNCTIONS[change["new"]].domain
        slider = controls["x"]
        updating["now"] = True
        try:
            slider.min, slider.max = min(slider.min, new_low), max(slider.max, new_high)
            slider.value = float(np.clip(slider.value, new_low, new_high))
            slider.min, slider.max = new_low, new_high
        finally:
            updating["now"] = False
        redraw()

    on_change({"x": controls["x"], "forward": controls["forward"]}, redraw)
    controls["function"].observe(function_changed, names="value")
    redraw()
    return explorer


def draw_errors(ax: Axes, result: dict[str, FiniteDifferenceErrors], function: str,
                x: float, show_forward: bool = False) -> None:
    """The error curves on log-log axes (cleared first), with the best steps and guide lines."""
    ax.clear()
    steps = result["float64"].steps
    for dtype, errors in result.items():
        color = DTYPE_COLORS[dtype]
        ax.loglog(steps, log_scale_values(errors.central), "-", color=color,
                  label=f"central, {dtype}")
        h, error = best_step(steps, errors.central)
        ax.loglog([h], [max(error, 1e-17)], "o", color=color)
        if show_forward:
            ax.loglog(steps, log_scale_values(errors.forward), "--", color=color,
                      label=f"forward, {dtype}")
    ax.loglog(steps, truncation_model(steps, function, x), ":", color=GUIDE_COLOR,
              label=r"truncation $\propto h^2$")
    for dtype in result:
        ax.loglog(steps, round_off_model(steps, function, x, dtype), "-.", color=GUIDE_COLOR,
                  linewidth=0.8, label=r"round-off $\propto \epsilon/h$" if dtype == "float64"
                  else None)
    ax.set_ylim(1e-17, 1e2)
    ax.legend(fontsize="small", loc="lower left")
    style_axes(ax, title=f"error of d/dx ${FUNCTIONS[function].formula}$ at x = {x:.2f}",
               xlabel="step h", ylabel="|finite difference - exact|")


def describe(result: dict[str, FiniteDifferenceErrors]) -> str:
    """One line: the best step and its error for each dtype."""
    parts = []
    for dtype, errors in result.items():
        h, error = best_step(errors.steps, errors.central)
        parts.append(f"{dtype}: best h = {h:.0e}, error {error:.1e}")
    return "Central difference. " + "; ".join(parts) + "."
