"""Histograms per layer: the spread of weights, activations or gradients through a network.

A healthy network keeps these spreads of similar size from layer to layer; shrinking or
growing standard deviations show vanishing or exploding signals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..introspection import layer_gradients, layer_outputs
from .style import color, panel_grid, style_axes

INPUTS_NEEDED = {"weights": (), "activations": ("x",), "gradients": ("x", "y")}


def plot_histograms(model: Any, x: Any = None, y: Any = None, kind: str = "weights",
                    bins: int = 40, axes: Any = None, fig: Figure | None = None) -> Figure:
    """One small histogram per layer, titled with its name and standard deviation.

    ``kind``:

    * ``"weights"``: every kernel (``kernel``, ``recurrent_kernel``, ``embeddings``; biases
      and batch-norm parameters are left out), one panel per kernel;
    * ``"activations"``: each layer's output for ``x`` (``introspection.layer_outputs``);
    * ``"gradients"``: the loss gradient with respect to each layer's output for ``x``
      and targets ``y`` (``introspection.layer_gradients``; the model must be compiled).

    ``axes`` (one Axes per panel) or ``fig`` (cleared and filled) draw into the caller's figure.
    """
    function = "plot_histograms"
    if kind not in INPUTS_NEEDED:
        raise ValueError(f"{function}: kind must be one of {tuple(INPUTS_NEEDED)}, got {kind!r}")
    given = {"x": x, "y": y}
    missing = [name for name in INPUTS_NEEDED[kind] if given[name] is None]
    if missing:
        raise ValueError(f"{function}: kind={kind!r} needs {' and '.join(missing)}, e.g. "
                         f"plot_histograms(model, {', '.join(INPUTS_NEEDED[kind])}, "
                         f"kind={kind!r})")
    if kind == "weights":
        samples = _kernels(model, function)
    elif kind == "activations":
        samples = layer_outputs(model, x)
    else:
        samples = layer_gradients(model, x, y)
    xlabel = {"weights": "weight", "activations": "activation", "gradients": "gradient"}[kind]
    fig, panels = panel_grid(len(samples), function, axes, fig)
    for index, (ax, (name, values)) in enumerate(zip(panels, samples, strict=True)):
        values = np.asarray(values, dtype=np.float64).ravel()
        ax.hist(values, bins=bins, color=color(index))
        style_axes(ax, title=f"{name}\nstd {values.std():.3g}", xlabel=xlabel, ylabel="count")
        ax.locator_params(axis="x", nbins=4)
    return fig


def _kernels(model: Any, function: str) -> list[tuple[str, np.ndarray]]:
    """``(layer/weight name, values)`` of every built kernel-like weight, layer by layer."""
    kernels = [
        (name, weight.data)
        for layer in getattr(model, "layers", [])
        for name, weight in zip(layer.weight_names, layer.weights, strict=True)
        if name.endswith(("kernel", "embeddings"))
    ]
    if not kernels:
        raise ValueError(f"{function}: the model has no built kernels to show; build it "
                         "first (give the first layer input_shape=, or fit/predict once)")
    return kernels
