"""Optimizers at work on a 2-D loss surface: contour lines and the path each one took."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from .style import SEQUENTIAL_CMAP, TEXT_COLOR, color, new_figure, style_axes

GRID_POINTS = 300  # per axis, for the contour lines


def plot_optimizer_paths(function: Callable[[np.ndarray, np.ndarray], np.ndarray],
                         paths: Mapping[str, Any],
                         bounds: Sequence[Sequence[float]], ax: Axes | None = None,
                         levels: int = 30, minimum: Sequence[float] | None = None,
                         log_levels: bool = True) -> Axes:
    """Contours of ``function`` over ``bounds`` with each optimizer's path drawn on top.

    ``function(x, y)`` must work elementwise on numpy grids (e.g. Rosenbrock
    ``(1 - x)**2 + 100 * (y - x**2)**2``); ``paths`` maps a name to the visited points
    ``(steps + 1, 2)``; ``bounds`` is ``((xmin, xmax), (ymin, ymax))``. Each path is a line
    in its own colour with a circle at the start and a square at the end; ``minimum``
    ``(x, y)`` is marked with a star. With ``log_levels`` the ``levels`` contour values are
    spaced logarithmically above the lowest value on the grid, so the narrow valleys of
    surfaces like Rosenbrock's show; otherwise they are evenly spaced.
    """
    name = "plot_optimizer_paths"
    (x_low, x_high), (y_low, y_high) = _checked_bounds(bounds, name)
    points = {label: _checked_path(label, path, name) for label, path in paths.items()}
    xx, yy = np.meshgrid(np.linspace(x_low, x_high, GRID_POINTS),
                         np.linspace(y_low, y_high, GRID_POINTS))
    zz = np.asarray(function(xx, yy), dtype=np.float64)
    if zz.shape != xx.shape:
        raise ValueError(f"{name}: function(x, y) returned shape {zz.shape} for grids of shape "
                         f"{xx.shape}; write it with numpy operations so it works elementwise")
    if ax is None:
        _, ax = new_figure(figsize=(6, 5))
    values = _contour_values(zz, levels, log_levels)
    ax.contour(xx, yy, zz, levels=values, linewidths=0.8,
               colors=mpl.colormaps[SEQUENTIAL_CMAP](np.linspace(0, 0.9, len(values))))
    for index, (label, path) in enumerate(points.items()):
        ax.plot(path[:, 0], path[:, 1], color=color(index), linewidth=1.5, marker=".",
                markersize=3, label=label)
        ax.plot(*path[0], marker="o", color=color(index), markersize=7, linestyle="none")
        ax.plot(*path[-1], marker="s", color=color(index), markersize=7, linestyle="none")
    if minimum is not None:
        ax.plot(*minimum, marker="*", color=TEXT_COLOR, markersize=14, linestyle="none",
                label="minimum")
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    style_axes(ax, title="optimizer paths", xlabel="$x$", ylabel="$y$")
    if points or minimum is not None:
        ax.legend(fontsize="small")
    return ax


def _contour_values(zz: np.ndarray, levels: int, log_levels: bool) -> np.ndarray:
    """``levels`` increasing contour values between the grid's lowest and highest value."""
    low, high = float(zz.min()), float(zz.max())
    span = max(high - low, 1e-12)
    if log_levels:
        return low + np.geomspace(span * 1e-4, span, levels)
    return np.linspace(low, high, levels + 2)[1:-1]


def _checked_bounds(bounds: Any, name: str) -> np.ndarray:
    """``bounds`` as a ``(2, 2)`` array with each lower limit below the upper one."""
    limits = np.asarray(bounds, dtype=np.float64)
    if limits.shape != (2, 2) or not np.all(limits[:, 0] < limits[:, 1]):
        raise ValueError(f"{name} expects bounds ((xmin, xmax), (ymin, ymax)) with min < max, "
                         f"got {bounds!r}; e.g. bounds=((-2, 2), (-1, 3))")
    return limits


def _checked_path(label: str, path: Any, name: str) -> np.ndarray:
    """One optimizer's visited points as an ``(n, 2)`` array."""
    points = np.asarray(path, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"{name}: path {label!r} must be an array of points (steps + 1, 2), "
                         f"got shape {points.shape}; stack the (x, y) positions with np.array")
    return points
