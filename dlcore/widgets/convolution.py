"""Convolution explorer: slide a 3x3 kernel over a handwritten digit and watch the feature map.

Pick a digit, a classic kernel (or type your own weights into the 3x3 grid), a stride and
a padding: the figure shows the input, the kernel and the feature map, and the status line
works out the feature map's size. The computation is
``dlcore.explore.convolution.convolve_image``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import datasets
from ..explore._checks import checked_choice, checked_int
from ..explore.convolution import CLASSIC_KERNELS, PADDINGS, ConvolutionResult, convolve_image
from ..plot import plot_feature_map
from ..plot.style import new_figure
from ._live import Explorer, LiveFigure, on_change

CUSTOM = "custom"  # the kernel menu's entry for weights typed into the grid
KERNEL_SIZE = 3


def convolution_explorer(kernel: str = "sobel x", digit: int = 0) -> Explorer:
    """A widget showing ``convolve_image`` on one of the bundled digits; redraws on change.

    ``controls["kernel_grid"]`` is a grid of 3x3 FloatTexts (row by row) holding the kernel;
    choosing a kernel in ``controls["kernel"]`` fills it, and typing into it switches the
    menu to ``'custom'`` unless the weights equal a classic kernel. ``result`` holds the
    ``ConvolutionResult`` on display.
    """
    function = "convolution_explorer"
    checked_choice(function, "kernel", kernel, [*CLASSIC_KERNELS, CUSTOM])
    (images, _), _ = datasets.load_digits()
    if checked_int(function, "digit", digit, low=0) >= len(images):
        raise ValueError(f"{function}: digit is an index into the {len(images)} training "
                         f"digits and must be below {len(images)}, got {digit}")
    cells = [widgets.FloatText(value=0.0, step=0.1, layout=widgets.Layout(width="70px"))
             for _ in range(KERNEL_SIZE * KERNEL_SIZE)]
    controls = {
        "digit": widgets.IntSlider(value=digit, min=0, max=len(images) - 1,
                                   description="digit", continuous_update=False),
        "kernel": widgets.Dropdown(options=[*CLASSIC_KERNELS, CUSTOM], value=kernel,
                                   description="kernel"),
        "stride": widgets.IntSlider(value=1, min=1, max=3, description="stride"),
        "padding": widgets.ToggleButtons(options=list(PADDINGS), description="padding"),
        "kernel_grid": widgets.GridBox(cells, layout=widgets.Layout(
            grid_template_columns=f"repeat({KERNEL_SIZE}, 75px)")),
    }
    figure, axes = new_figure(1, 3, figsize=(10, 3.6))
    explorer = Explorer(controls, LiveFigure(figure))
    filling = {"now": False}  # True while the grid and the menu update each other

    def grid_values() -> np.ndarray:
        return np.array([cell.value for cell in cells], dtype=np.float32).reshape(
            KERNEL_SIZE, KERNEL_SIZE)

    def redraw() -> None:
        result = convolve_image(images[controls["digit"].value], grid_values(),
                                stride=controls["stride"].value,
                                padding=controls["padding"].value)
        for ax in axes:
            ax.clear()
        plot_feature_map(result.image, result.kernel, result.feature_map, axes=axes)
        explorer.live.refresh()
        explorer.status.value = one_line(result)
        explorer.result = result

    def write_grid(name: str) -> None:
        filling["now"] = True
        for cell, weight in zip(cells, CLASSIC_KERNELS[name].ravel(), strict=True):
            cell.value = round(float(weight), 4)
        filling["now"] = False

    def choose_kernel(change: dict) -> None:
        if change["new"] != CUSTOM and not filling["now"]:
            write_grid(change["new"])
            redraw()

    def edit_cell(_change: dict) -> None:
        if not filling["now"]:
            filling["now"] = True
            controls["kernel"].value = classic_name(grid_values())
            filling["now"] = False
            redraw()

    controls["kernel"].observe(choose_kernel, names="value")
    for cell in cells:
        cell.observe(edit_cell, names="value")
    on_change({name: controls[name] for name in ("digit", "stride", "padding")}, redraw)
    if kernel != CUSTOM:
        write_grid(kernel)
    redraw()
    return explorer


def classic_name(weights: np.ndarray) -> str:
    """The name of the classic kernel with these weights (to 4 decimals), else ``'custom'``."""
    for name, kernel in CLASSIC_KERNELS.items():
        if np.allclose(weights, kernel, atol=1e-4):
            return name
    return CUSTOM


def one_line(result: ConvolutionResult) -> str:
    """The shape arithmetic of ``result`` on one line."""
    return "; ".join(result.arithmetic.splitlines())
