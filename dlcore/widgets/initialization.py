"""Initialization and depth explorer: activation spread and gradient size, layer by layer.

Pick a depth, a width, an activation and an initializer; the left plot shows the standard
deviation of each hidden layer's outputs, the right one the size of the gradients that
reach each layer (both on a log scale). The numbers come from
``dlcore.explore.depth_statistics``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..explore.initialization import (
    INITIALIZERS,
    RELATIVE_SLOPES,
    DepthStatistics,
    depth_statistics,
)
from ..plot import plot_curves
from ..plot.style import new_figure, style_axes
from ._live import Explorer, LiveFigure, on_change

WIDTHS = (16, 32, 64, 128, 256)


def initialization_explorer(depth: int = 10, width: int = 64, activation: str = "tanh",
                            initializer: str = "glorot_uniform") -> Explorer:
    """A widget showing ``depth_statistics`` for the chosen network; it redraws on every change.

    ``result`` holds the ``DepthStatistics`` on display.
    """
    controls = {
        "depth": widgets.IntSlider(value=depth, min=2, max=30, description="depth",
                                   continuous_update=False),
        "width": widgets.Dropdown(options=WIDTHS, value=width, description="width"),
        "activation": widgets.Dropdown(options=list(RELATIVE_SLOPES), value=activation,
                                       description="activation"),
        "initializer": widgets.Dropdown(options=list(INITIALIZERS), value=initializer,
                                        description="initializer"),
    }
    figure, axes = new_figure(1, 2, figsize=(10, 3.6))
    explorer = Explorer(controls, LiveFigure(figure))

    def redraw() -> None:
        statistics = depth_statistics(**{name: control.value
                                         for name, control in controls.items()})
        draw_depth_statistics(statistics, axes)
        explorer.live.refresh()
        explorer.status.value = describe(statistics)
        explorer.result = statistics

    on_change(controls, redraw)
    redraw()
    return explorer


def draw_depth_statistics(statistics: DepthStatistics, axes: np.ndarray) -> None:
    """Activation std per layer on ``axes[0]``, gradient norms per layer on ``axes[1]``."""
    forward, backward = axes
    forward.clear()
    backward.clear()
    plot_curves({"std of the layer's outputs": statistics.activation_std},
                ax=forward, xlabel="hidden layer", ylabel="standard deviation", logy=True)
    plot_curves({"d loss / d layer output": statistics.output_gradient_norm,
                 "d loss / d kernel": statistics.kernel_gradient_norm},
                ax=backward, xlabel="hidden layer", ylabel="gradient norm", logy=True)
    name = f"{statistics.activation}, {statistics.initializer}"
    style_axes(forward, title=f"forward: activations ({name})")
    style_axes(backward, title=f"backward: gradients ({name})")


def describe(statistics: DepthStatistics) -> str:
    """One line: flat outputs and dead units in the last layer, and the gradient ratio."""
    first, last = statistics.output_gradient_norm[0], statistics.output_gradient_norm[-1]
    return (f"Last hidden layer: {statistics.saturated_fraction[-1]:.0%} of outputs on a flat "
            f"part of the activation, {statistics.dead_fraction[-1]:.0%} of units dead. "
            f"Gradient at the first layer / at the last: {first / last:.1e}.")
