"""The prediction of a classifier of 2-D points on a grid over the plane: what a decision
boundary plot shades."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..models.model import Model
from ..tensor import as_array

Grid = tuple[np.ndarray, np.ndarray, np.ndarray]


def decision_grid(model: Any, x: Any, resolution: int = 200,
                  padding: float = 0.5) -> Grid:
    """The model's class probabilities on a ``resolution x resolution`` grid around ``x``.

    ``model`` is a dlcore Model (its ``predict`` is used) or any callable mapping points
    ``(n, 2)`` to probabilities ``(n, k)``, or ``(n, 1)`` / ``(n,)`` for one sigmoid output.
    The grid spans the range of ``x (n, 2)`` widened by ``padding`` on every side.
    Returns ``xx, yy`` (``np.meshgrid`` arrays, ``(resolution, resolution)``) and
    ``probabilities (resolution, resolution, k)``.
    """
    function = "decision_grid"
    points = plane_points(x, function)
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


def plane_points(x: Any, function: str) -> np.ndarray:
    """``x`` as an array of points ``(n, 2)``."""
    points = as_array(x)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{function} expects points x of shape (n, 2), got shape "
                         f"{points.shape}; only 2-D inputs can be drawn in the plane")
    return points


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
