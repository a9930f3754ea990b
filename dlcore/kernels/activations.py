"""ReLU: compiled loops and a numpy reference.

Shapes: ``x``, ``y``, ``g`` and ``dx`` all share one shape; the loops see them flat.

Forward and backward::

    y[k]  = max(x[k], 0)
    dx[k] = g[k] if y[k] > 0 else 0

The backward pass reads the output ``y`` rather than a saved mask of ``x > 0``: ``y[k] > 0``
exactly where ``x[k] > 0``, so the forward pass stores nothing beyond its result. The kink at
0 gets gradient 0. Results are stored in the input's dtype.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _relu_forward_loop(x, y):
    for k in range(x.size):
        value = x[k]
        y[k] = 0 if value < 0 else value


@jit
def _relu_backward_loop(y, g, dx):
    for k in range(y.size):
        dx[k] = g[k] if y[k] > 0 else 0


# ----- entry points ---------------------------------------------------------------------------


def relu_forward(x: np.ndarray) -> np.ndarray:
    """``y = max(x, 0)`` elementwise, same shape and dtype as ``x``."""
    x = np.ascontiguousarray(x)
    y = empty_aligned(x.shape, x.dtype)
    _relu_forward_loop(x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``dx = g`` where ``y > 0``, else 0; ``y`` is the forward output."""
    dx = empty_aligned(y.shape, y.dtype)
    g = np.ascontiguousarray(g, dtype=y.dtype)
    _relu_backward_loop(y.reshape(-1), g.reshape(-1), dx.reshape(-1))
    return dx


# ----- numpy references -----------------------------------------------------------------------


def relu_forward_reference(x):
    """Plain numpy ReLU."""
    return np.maximum(x, 0)


def relu_backward_reference(y, g):
    """Plain numpy ReLU gradient from the output."""
    return np.where(y > 0, g, 0).astype(y.dtype)
