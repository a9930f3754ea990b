"""Inverted dropout with a given keep-mask: compiled loop and numpy reference.

Shapes: ``x``, ``keep`` (bool) and the output all have the same shape. With the drop rate
``rate`` and ``scale = 1 / (1 - rate)``::

    y     = x * keep * scale
    dL/dx = g * keep * scale

The mask is drawn outside (from dlcore's seeded generator), so this kernel contains no
random numbers; the same map serves the forward pass (on ``x``) and the backward pass
(on ``g``). Scaling the kept units keeps the expected value: ``E[y] = x``.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned


@jit
def _apply_mask_loop(values, keep, scale, out):
    for k in range(values.size):
        out[k] = values[k] * scale if keep[k] else 0


def dropout_apply_mask(values: np.ndarray, keep: np.ndarray, scale: float) -> np.ndarray:
    """``values * keep * scale`` in one pass: ``dropout``'s forward (on x) and backward (on g)."""
    values = np.ascontiguousarray(values)
    out = empty_aligned(values.shape, values.dtype)
    _apply_mask_loop(
        values.reshape(-1),
        np.ascontiguousarray(keep).reshape(-1),
        values.dtype.type(scale),
        out.reshape(-1),
    )
    return out


def dropout_apply_mask_reference(values: np.ndarray, keep: np.ndarray, scale: float) -> np.ndarray:
    """Plain numpy version of ``dropout_apply_mask``."""
    return np.where(keep, values * values.dtype.type(scale), 0).astype(values.dtype)
