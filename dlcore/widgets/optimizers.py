"""Optimizer explorer: several optimizers side by side on the contour plot of a 2-D surface.

Pick a surface and some optimizers, move the sliders: the paths are recomputed with
``dlcore.explore.optimizer_paths`` (dlcore's own optimizers and autodiff) and redrawn.
The learning rate is shared by all optimizers; momentum goes to the momentum and Nesterov
ones, beta_1 and beta_2 to Adam.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from ..explore.optimizer_paths import OPTIMIZERS, optimizer_paths, tuned_settings
from ..explore.surfaces import SURFACES, Surface
from ..plot import plot_optimizer_paths
from ..plot.style import new_figure
from ._live import Explorer, LiveFigure, on_change

HYPERPARAMETERS = ("momentum", "beta_1", "beta_2")


def optimizer_explorer(surface: str = "rosenbrock",
                       optimizers: Sequence[str] = ("sgd", "momentum", "adam")) -> Explorer:
    """A widget comparing optimizer paths; it redraws on every change of a control.

    ``result`` holds the paths on display: optimizer name -> array ``(k + 1, 2)``.
    """
    controls = {
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface,
                                    description="surface"),
        "optimizers": widgets.SelectMultiple(options=list(OPTIMIZERS), value=tuple(optimizers),
                                             rows=len(OPTIMIZERS), description="optimizers"),
        "learning_rate": widgets.FloatLogSlider(value=1e-3, base=10, min=-4, max=0,
                                                description="learning rate",
                                                continuous_update=False),
        "momentum": widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                        description="momentum", continuous_update=False),
        "beta_1": widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                      description="beta_1", continuous_update=False),
        "beta_2": widgets.FloatSlider(value=0.999, min=0.9, max=0.9999, step=0.0001,
                                      readout_format=".4f", description="beta_2",
                                      continuous_update=False),
        "steps": widgets.IntSlider(value=200, min=10, max=1000, step=10, description="steps",
                                   continuous_update=False),
    }
    figure, ax = new_figure(figsize=(6.5, 5))
    explorer = Explorer(controls, LiveFigure(figure))

    def redraw() -> None:
        chosen = SURFACES[controls["surface"].value]
        settings = tuned_settings(controls["optimizers"].value, controls["learning_rate"].value,
                                  **{name: controls[name].value for name in HYPERPARAMETERS})
        paths = optimizer_paths(chosen, settings, steps=controls["steps"].value)
        ax.clear()
        plot_optimizer_paths(chosen.function, paths, chosen.bounds, ax=ax,
                             minimum=chosen.minimum)
        explorer.live.refresh()
        explorer.status.value = describe(chosen, paths, controls["steps"].value)
        explorer.result = paths

    on_change(controls, redraw)
    redraw()
    return explorer


def describe(surface: Surface, paths: dict[str, np.ndarray], steps: int) -> str:
    """Where each path ended: the loss reached, or the step at which it diverged."""
    endings = []
    for name, path in paths.items():
        if len(path) <= steps:
            endings.append(f"{name} diverged after {len(path) - 1} steps")
        else:
            endings.append(f"{name} f = {surface.function(*path[-1]):.3g}")
    return "; ".join(endings)
