"""Pictures of convolutions: learned filters, a layer's feature maps, one kernel at work."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..introspection import layer_outputs
from ..layers.convolutional import Conv2D
from ..tensor import as_array
from .style import (
    ANNOTATION_SIZE,
    DIVERGING_CMAP,
    SEQUENTIAL_CMAP,
    axes_list,
    new_figure,
    panel_grid,
    style_axes,
    style_image_panel,
)


def plot_filters(kernel: Any, channel: int | None = None, axes: Any = None,
                 fig: Figure | None = None) -> Figure:
    """One image per filter of a Conv2D layer, or of its kernel ``(kh, kw, c_in, c_out)``.

    Each image shows the filter's weights for input channel ``channel``; by default
    (``None``) the mean over the input channels, which for one-channel images is the filter
    itself. All images share one colour scale, symmetric around 0 (blue negative, red
    positive), so filters can be compared. ``axes`` (at least ``c_out`` Axes) or ``fig``
    (cleared and filled) draw into the caller's figure.
    """
    function = "plot_filters"
    if isinstance(kernel, Conv2D) and not kernel.built:
        raise ValueError(f"{function}: the Conv2D layer {kernel.name!r} has no kernel yet; "
                         "call it on images (or fit the model) first")
    weights = as_array(kernel.kernel if isinstance(kernel, Conv2D) else kernel)
    if weights.ndim != 4:
        raise ValueError(f"{function} expects a Conv2D layer or a kernel of shape "
                         f"(kernel_rows, kernel_cols, in_channels, filters), got shape "
                         f"{weights.shape}; for a Dense kernel reshape it to images first")
    in_channels = weights.shape[2]
    if channel is None:
        images = weights.mean(axis=2)
    elif 0 <= channel < in_channels:
        images = weights[:, :, channel, :]
    else:
        raise ValueError(f"{function}: channel={channel!r} but the kernel has {in_channels} "
                         f"input channels; pass 0 to {in_channels - 1}, or None for their mean")
    limit = max(float(np.abs(images).max()), 1e-12)
    fig, panels = panel_grid(images.shape[-1], function, axes, fig)
    for index, ax in enumerate(panels):
        ax.imshow(images[:, :, index], cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit,
                  interpolation="nearest")
        style_image_panel(ax, f"filter {index}")
    return fig


def plot_feature_maps(model: Any, image: Any, layer: str | int, max_maps: int = 16,
                      axes: Any = None, fig: Figure | None = None) -> Figure:
    """The output channels of one layer (name or index) for one image, as a grid of images.

    ``image`` is ``(rows, cols, channels)`` or a batch of one ``(1, rows, cols, channels)``;
    the layer must output images (a convolution or pooling layer). The first ``max_maps``
    channels are drawn, each on its own colour scale (bright = strong response).
    """
    function = "plot_feature_maps"
    pixels = as_array(image)
    if pixels.ndim == 3:
        pixels = pixels[None]
    if pixels.ndim != 4 or len(pixels) != 1:
        raise ValueError(f"{function} expects one image (rows, cols, channels) or "
                         f"(1, rows, cols, channels), got shape {as_array(image).shape}")
    outputs = layer_outputs(model, pixels)
    name, maps = _chosen_output(outputs, layer, function)
    if maps.ndim != 4:
        raise ValueError(f"{function}: layer {name!r} outputs shape {maps.shape[1:]} per "
                         "image, not feature maps (rows, cols, channels); choose a "
                         "convolution or pooling layer")
    count = min(maps.shape[-1], max_maps)
    fig, panels = panel_grid(count, function, axes, fig)
    for index, ax in enumerate(panels):
        ax.imshow(maps[0, :, :, index], cmap=SEQUENTIAL_CMAP, interpolation="nearest")
        style_image_panel(ax, f"{name}: {index}")
    return fig


def plot_feature_map(image: Any, kernel: Any, feature_map: Any, axes: Any = None) -> Figure:
    """Input image, kernel (each weight written in its cell) and feature map, side by side.

    All three are 2-D arrays (one channel); each panel's title gives its shape. ``axes``
    (three Axes) draws into the caller's figure.
    """
    function = "plot_feature_map"
    arrays = {"image": image, "kernel": kernel, "feature_map": feature_map}
    for argument, value in arrays.items():
        shape = as_array(value).shape
        if len(shape) != 2:
            raise ValueError(f"{function} expects {argument} as a 2-D array (rows, cols), got "
                             f"shape {shape}; pass one channel, e.g. {argument}[..., 0]")
    if axes is None:
        _, axes = new_figure(1, 3, figsize=(10, 3.6))
    axes = axes_list(axes, 3, function)
    image, kernel, feature_map = (as_array(value) for value in arrays.values())
    limit = max(float(np.abs(kernel).max()), 1e-12)
    panels = ((image, "gray", None, "input"), (kernel, DIVERGING_CMAP, limit, "kernel"),
              (feature_map, SEQUENTIAL_CMAP, None, "feature map"))
    for ax, (values, cmap, vlimit, title) in zip(axes, panels, strict=True):
        ax.imshow(values, cmap=cmap, interpolation="nearest",
                  vmin=None if vlimit is None else -vlimit, vmax=vlimit)
        rows, cols = values.shape
        style_axes(ax, title=f"{title} {rows}×{cols}", xlabel="pixel", ylabel="pixel")
    for (row, column), value in np.ndenumerate(kernel):
        axes[1].text(column, row, f"{value:.2g}", ha="center", va="center",
                     fontsize=ANNOTATION_SIZE, color="white" if abs(value) > limit / 2 else "black")
    return axes[0].figure


def _chosen_output(outputs: list[tuple[str, np.ndarray]], layer: str | int,
                   function: str) -> tuple[str, np.ndarray]:
    """The ``(name, output)`` pair of the layer given by name or position."""
    names = [name for name, _ in outputs]
    if isinstance(layer, str):
        if layer not in names:
            raise ValueError(f"{function}: the model has no layer named {layer!r}; its "
                             f"layers are {names}")
        return outputs[names.index(layer)]
    if isinstance(layer, (int, np.integer)) and -len(outputs) <= layer < len(outputs):
        return outputs[layer]
    raise ValueError(f"{function}: layer must be a layer name or an index from 0 to "
                     f"{len(outputs) - 1}, got {layer!r}; the layers are {names}")
