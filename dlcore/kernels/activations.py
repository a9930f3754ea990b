"""ReLU, and the bias add fused with it: compiled loops and numpy references.

Shapes: ``x``, ``y``, ``g`` and ``dx`` all share one shape; the loops see them flat.

Forward and backward::

    y[k]  = max(x[k], 0)
    dx[k] = g[k] if y[k] > 0 else 0

The backward pass reads the output ``y`` rather than a saved mask of ``x > 0``: ``y[k] > 0``
exactly where ``x[k] > 0``, so the forward pass stores nothing beyond its result. The kink at
0 gets gradient 0. Results are stored in the input's dtype.

A Dense or Conv2D layer with ``activation='relu'`` ends with ``max(rows + bias, 0)`` on the
``(rows, units)`` matrix its matrix product wrote. ``add_bias_relu`` does both in one pass
over that matrix, in place, while it is still in the cache::

    rows[r, f] = max(rows[r, f] + bias[f], 0)

Its backward pass, ``bias_relu_backward``, masks the upstream gradient ``g`` by ``y > 0`` and
sums the masked rows for the bias gradient, ``dbias[f] = sum over r of g[r, f]``, in the same
single pass (``column_sums`` is that sum alone).
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


COLUMN_BLOCK = 128  # numbers per inner loop of the row-wise passes (whole rows of them)


@jit
def _add_bias_loop(flat, bias, width, relu):
    """``rows[r, :] += bias`` (then ``max(., 0)`` with ``relu``) for every row of ``flat``
    (rows of ``width`` numbers, seen flat), in place.

    A loop over one row's ``width`` numbers is too short to vectorise when rows are narrow
    (6 filters), so the loop goes over blocks of whole rows, about ``COLUMN_BLOCK`` numbers,
    against the bias repeated once per row of the block (the last block may be shorter).
    """
    per_block = max(1, COLUMN_BLOCK // width) * width
    repeated = np.empty(per_block, flat.dtype)
    for k in range(per_block):
        repeated[k] = bias[k % width]
    for start in range(0, flat.shape[0], per_block):
        block = flat[start : min(start + per_block, flat.shape[0])]
        for k in range(block.shape[0]):
            value = block[k] + repeated[k]
            block[k] = (0 if value < 0 else value) if relu else value


@jit(error_model="numpy")
def _column_sums_loop(g, y, dx, width, relu, sums):
    """``sums[f]`` = the sum over rows of ``g`` (flat, rows of ``width`` numbers) in column
    ``f``, accumulated in float64. With ``relu``, ``g`` is first masked by ``y > 0`` and the
    masked values are written to ``dx`` (without it ``y`` and ``dx`` are not touched).

    A row-by-row loop over ``width`` columns is too short to vectorise when rows are narrow
    (6 filters), so blocks of whole rows, about ``COLUMN_BLOCK`` numbers, are added onto one
    block of partial sums (the last block may be shorter); every block starts a row, so
    partial sum ``k`` belongs to column ``k % width``, where it goes at the end.
    """
    per_block = max(1, COLUMN_BLOCK // width) * width
    partial = np.zeros(per_block, np.float64)
    zero = g.dtype.type(0)
    for start in range(0, g.shape[0], per_block):
        stop = min(start + per_block, g.shape[0])
        grads, outputs, masked = g[start:stop], y[start:stop], dx[start:stop]
        for k in range(stop - start):
            value = grads[k]
            if relu:
                value = value if outputs[k] > 0 else zero
                masked[k] = value
            partial[k] += value
    total = np.zeros(width, np.float64)
    for k in range(per_block):
        total[k % width] += partial[k]
    for f in range(width):
        sums[f] = total[f]


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


def column_sums(g: np.ndarray) -> np.ndarray:
    """``g`` summed over every axis but the last (the gradient of a bias added to ``y``)."""
    g = np.ascontiguousarray(g)
    sums = np.zeros(g.shape[-1], g.dtype)
    if g.size:
        flat = g.reshape(-1)
        _column_sums_loop(flat, flat, flat, g.shape[-1], False, sums)
    return sums


def bias_relu_backward(
    y: np.ndarray | None, g: np.ndarray, need_bias: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """The backward pass of ``add_bias_relu``: ``(dx, dbias)`` from the upstream gradient
    ``g``, with ``y`` the forward output when the ReLU was taken (None without it).

    ``dx = g`` where ``y > 0``, else 0 (``dx = g`` without the ReLU); ``dbias`` = the column
    sums of ``dx`` when ``need_bias``, else None. Mask and sums are one pass over the arrays.
    """
    if y is None:
        return g, column_sums(g) if need_bias else None
    if not need_bias:
        return relu_backward(y, g), None
    dx = empty_aligned(y.shape, y.dtype)
    sums = np.zeros(y.shape[-1], y.dtype)
    if y.size:
        g = np.ascontiguousarray(g, dtype=y.dtype)
        _column_sums_loop(g.reshape(-1), y.reshape(-1), dx.reshape(-1), y.shape[-1], True, sums)
    return dx, sums


def add_bias_relu(rows: np.ndarray, bias: np.ndarray | None, relu: bool) -> None:
    """In place, in one pass: ``rows += bias`` (unless ``bias`` is None), then
    ``rows = max(rows, 0)`` when ``relu``.

    ``rows`` is a C-contiguous ``(rows, units)`` matrix and ``bias`` a ``(units,)`` vector,
    brought to the dtype of ``rows``.
    """
    if bias is None:
        if relu:
            flat = rows.reshape(-1)
            _relu_forward_loop(flat, flat)
        return
    if rows.size:
        _add_bias_loop(rows.reshape(-1), bias.astype(rows.dtype, copy=False), rows.shape[-1], relu)


# ----- numpy references -----------------------------------------------------------------------


def relu_forward_reference(x):
    """Plain numpy ReLU."""
    return np.maximum(x, 0)


def relu_backward_reference(y, g):
    """Plain numpy ReLU gradient from the output."""
    return np.where(y > 0, g, 0).astype(y.dtype)


def add_bias_relu_reference(rows, bias, relu):
    """Plain numpy ``rows + bias``, then ``max(., 0)`` when ``relu`` (a new array)."""
    out = rows if bias is None else rows + bias.astype(rows.dtype)
    return np.maximum(out, 0).astype(rows.dtype) if relu else out.astype(rows.dtype)
