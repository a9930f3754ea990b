"""Decision boundaries of a classifier of 2-D points: its prediction on a grid over the plane."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from ..explore.decision import Grid, decision_grid, plane_points
from .labels import class_labels
from .style import DIVERGING_CMAP, TEXT_COLOR, color, new_figure, style_axes

SHADE_ALPHA = 0.35  # the class regions stay pale, so the data points on top stand out


def plot_decision_boundary(model: Any, x: Any, y: Any, ax: Axes | None = None,
                           resolution: int = 200, padding: float = 0.5,
                           grid: Grid | None = None) -> Axes:
    """The plane shaded by the model's prediction, with the data points on top.

    Several classes: each grid point gets the pale colour of its predicted class (the
    argmax); the points are coloured by their true class ``y`` (labels or one-hot rows).
    One sigmoid output: the shading is the probability of class 1 (blue 0 to red 1) with
    the 0.5 line drawn. Arguments as in ``decision_grid``; a ``grid`` it returned earlier is
    drawn as it is (``model`` is then not called).
    """
    points, labels = _points_and_labels(x, y, "plot_decision_boundary")
    xx, yy, probabilities = (grid if grid is not None
                             else decision_grid(model, points, resolution, padding))
    if ax is None:
        _, ax = new_figure(figsize=(5, 4.5))
    extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
    classes = probabilities.shape[-1]
    if classes == 1:
        ax.imshow(probabilities[..., 0], origin="lower", extent=extent, aspect="auto",
                  cmap=DIVERGING_CMAP, vmin=0, vmax=1, alpha=SHADE_ALPHA)
        ax.contour(xx, yy, probabilities[..., 0], levels=[0.5], colors=TEXT_COLOR,
                   linewidths=1)
    else:
        ax.imshow(probabilities.argmax(axis=-1), origin="lower", extent=extent, aspect="auto",
                  cmap=ListedColormap([color(k) for k in range(classes)]), vmin=-0.5,
                  vmax=classes - 0.5, alpha=SHADE_ALPHA, interpolation="nearest")
    return plot_points(points, labels, ax=ax, title="decision boundary")


def plot_points(x: Any, y: Any, ax: Axes | None = None, title: str = "data") -> Axes:
    """The 2-D points ``x (n, 2)`` coloured by their class ``y`` (labels or one-hot rows).

    Class ``k`` gets the palette's colour ``k``, the same as its region in
    ``plot_decision_boundary``; a legend names the classes.
    """
    points, labels = _points_and_labels(x, y, "plot_points")
    if ax is None:
        _, ax = new_figure(figsize=(5, 4.5))
    for label in np.unique(labels):
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], s=14, color=color(int(label)),
                   edgecolors="white", linewidths=0.5, label=f"class {label}")
    style_axes(ax, title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(fontsize="small", loc="best")
    return ax


def _points_and_labels(x: Any, y: Any, function: str) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as points ``(n, 2)`` and ``y`` as ``n`` integer class labels."""
    points = plane_points(x, function)
    labels = class_labels(y, function, "y")
    if len(labels) != len(points):
        raise ValueError(f"{function}: x has {len(points)} points but y has {len(labels)} "
                         "labels; pass one label per point")
    return points, labels
