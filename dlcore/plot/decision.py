"""Decision boundaries of a classifier of 2-D points: its prediction on a grid over the plane."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from ..models.model import Model
from ..tensor import as_array
from .labels import class_labels
from .style import DIVERGING_CMAP, TEXT_COLOR, color, new_figure, style_axes

SHADE_ALPHA = 0.35  # the class regions stay pale, so the data points on top stand out


def decision_grid(model: Any, x: Any, resolution: int = 200,
                  padding: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's class probabilities on a ``resolution x resolution`` grid around ``x``.

    ``model`` is a dlcore Model (its ``predict`` is used) or any callable mapping points
    ``(n, 2)`` to probabilities ``(n, k)``, or ``(n, 1)`` / ``(n,)`` for one sigmoid output.
    The grid spans the range of ``x (n, 2)`` widened by ``padding`` on every side.
    Returns ``xx, yy`` (``np.meshgrid`` arrays, ``(resolution, resolution)``) and
    ``probabilities (resolution, resolution, k)``.
    """
    function = "decision_grid"
    points = _plane_points(x, function)
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"{function}: resolution is the number of grid points per axis and "
                         f"must be an int >= 2, got {resolution!r}")
    low = points.min(axis=0) - padding
    high = points.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution),
                         np.linspace(low[1], high[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    probabilities = _predict(model, grid, function)
    return xx, yy, probabilities.reshape(resolution, resolution, -1)


def plot_decision_boundary(model: Any, x: Any, y: Any, ax: Axes | None = None,
                           resolution: int = 200, padding: float = 0.5) -> Axes:
    """The plane shaded by the model's prediction, with the data points on top.

    Several classes: each grid point gets the pale colour of its predicted class (the
    argmax); the points are coloured by their true class ``y`` (labels or one-hot rows).
    One sigmoid output: the shading is the probability of class 1 (blue 0 to red 1) with
    the 0.5 line drawn. Arguments as in ``decision_grid``.
    """
    points, labels = _points_and_labels(x, y, "plot_decision_boundary")
    xx, yy, probabilities = decision_grid(model, points, resolution, padding)
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


def _plane_points(x: Any, function: str) -> np.ndarray:
    """``x`` as an array of points ``(n, 2)``."""
    points = as_array(x)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{function} expects points x of shape (n, 2), got shape "
                         f"{points.shape}; only 2-D inputs can be drawn in the plane")
    return points


def _points_and_labels(x: Any, y: Any, function: str) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as points ``(n, 2)`` and ``y`` as ``n`` integer class labels."""
    points = _plane_points(x, function)
    labels = class_labels(y, function, "y")
    if len(labels) != len(points):
        raise ValueError(f"{function}: x has {len(points)} points but y has {len(labels)} "
                         "labels; pass one label per point")
    return points, labels


def _predict(model: Any, points: np.ndarray, function: str) -> np.ndarray:
    """Probabilities ``(n, k)`` for ``points (n, 2)`` from a Model or a callable."""
    if isinstance(model, Model):
        output = model.predict(points, batch_size=len(points))
    elif callable(model):
        output = as_array(model(points))
    else:
        raise TypeError(f"{function} expects a dlcore Model or a function from points (n, 2) "
                        f"to probabilities (n, k), got {type(model).__name__}")
    if output.ndim > 2 or len(output) != len(points):
        raise ValueError(f"{function}: the model must return probabilities of shape "
                         f"({len(points)}, k) or ({len(points)},) for {len(points)} points, "
                         f"got shape {output.shape}")
    return output.reshape(len(points), -1).astype(np.float64)
