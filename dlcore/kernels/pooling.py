"""2-D max and average pooling over channels-last images: compiled loops and numpy references.

Shapes: ``x`` is ``(N, H, W, C)``, the output ``y`` is ``(N, OH, OW, C)``. Window ``(i, j)``
of size ``ph x pw`` starts at row ``i*sh - pad_top`` and column ``j*sw - pad_left``; rows and
columns outside ``[0, H) x [0, W)`` are padding and take no part in the result. The window
of output cell ``(i, j)`` restricted to the real cells is written ``R(i, j)``.

Max pooling::

    y[n, i, j, c]  = max over (h, w) in R(i, j) of x[n, h, w, c]
    dx[n, h, w, c] = sum over the windows (i, j) whose maximum sits at (h, w) of g[n, i, j, c]

Average pooling (padded cells are not counted, the TensorFlow/Keras rule)::

    y[n, i, j, c]  = (1 / |R(i, j)|) * sum over (h, w) in R(i, j) of x[n, h, w, c]
    dx[n, h, w, c] = sum over the windows (i, j) with (h, w) in R(i, j) of g[n, i, j, c] / |R(i, j)|

With overlapping windows (stride < pool size) a cell belongs to several windows and its
gradient is the sum of their contributions.

The compiled loops keep the channel axis innermost, so each step works on ``C`` contiguous
numbers. For training, max pooling records, for every output element, where its maximum
sits inside the window: ``where = (h - h0) * (w1 - w0) + (w - w0)`` for the maximum at
``(h, w)`` of ``R(i, j) = [h0, h1) x [w0, w1)``, the first one met in row-major window order
when values tie. That number is below ``ph * pw``, so it takes one byte for windows of up to
256 cells instead of the eight of a position in the image: for 2x2 windows the record is a
quarter of the pooled output's size. The backward pass adds each upstream gradient at that
place. Without a backward pass to come (inference) ``max_pool2d_forward_values`` takes the
maxima alone, which is faster.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned, zeros_aligned

# ----- window geometry ----------------------------------------------------------------------


@jit
def _real_windows(in_h, in_w, pool_h, pool_w, stride_h, stride_w, pad_top, pad_left, out_h, out_w):
    """``R(i, j)`` of every output cell, at row ``k = i * OW + j`` of an int64 ``(OH * OW, 4)``
    array: ``[h0, h1, w0, w1]``, the window's real rows ``[h0, h1)`` and columns ``[w0, w1)``."""
    windows = np.empty((out_h * out_w, 4), np.int64)
    for i in range(out_h):
        top = i * stride_h - pad_top
        for j in range(out_w):
            left = j * stride_w - pad_left
            k = i * out_w + j
            windows[k, 0], windows[k, 1] = max(top, 0), min(top + pool_h, in_h)
            windows[k, 2], windows[k, 3] = max(left, 0), min(left + pool_w, in_w)
    return windows


# ----- compiled loops: output cells flattened to k = i * OW + j -------------------------------


@jit
def _max_pool2d_forward_loop(x, windows, y, where):
    channels = x.shape[3]
    for n in range(x.shape[0]):
        for k in range(windows.shape[0]):
            h0, h1, w0, w1 = windows[k, 0], windows[k, 1], windows[k, 2], windows[k, 3]
            best, best_where = y[n, k], where[n, k]
            for c in range(channels):
                best[c] = x[n, h0, w0, c]
                best_where[c] = 0
            place = 0
            for h in range(h0, h1):
                for w in range(w0, w1):
                    for c in range(channels):
                        value = x[n, h, w, c]
                        larger = value > best[c]
                        best[c] = value if larger else best[c]
                        best_where[c] = place if larger else best_where[c]
                    place += 1


@jit
def _max_pool2d_values_loop(x, windows, y):
    channels = x.shape[3]
    for n in range(x.shape[0]):
        for k in range(windows.shape[0]):
            h0, h1, w0, w1 = windows[k, 0], windows[k, 1], windows[k, 2], windows[k, 3]
            best = y[n, k]
            for c in range(channels):
                best[c] = x[n, h0, w0, c]
            for h in range(h0, h1):
                for w in range(w0, w1):
                    for c in range(channels):
                        value = x[n, h, w, c]
                        best[c] = value if value > best[c] else best[c]


@jit
def _max_pool_2x2_loop(x, y, where):
    """``_max_pool2d_forward_loop`` for 2x2 windows at stride 2 that lie inside the image."""
    n_batch, out_h, out_w, channels = y.shape
    for n in range(n_batch):
        for i in range(out_h):
            for j in range(out_w):
                top_left, top_right = x[n, 2 * i, 2 * j], x[n, 2 * i, 2 * j + 1]
                bottom_left, bottom_right = x[n, 2 * i + 1, 2 * j], x[n, 2 * i + 1, 2 * j + 1]
                best, best_where = y[n, i, j], where[n, i, j]
                for c in range(channels):
                    value, place = top_left[c], 0
                    if top_right[c] > value:
                        value, place = top_right[c], 1
                    if bottom_left[c] > value:
                        value, place = bottom_left[c], 2
                    if bottom_right[c] > value:
                        value, place = bottom_right[c], 3
                    best[c] = value
                    best_where[c] = place


@jit
def _max_pool_2x2_values_loop(x, y):
    """``_max_pool2d_values_loop`` for 2x2 windows at stride 2 that lie inside the image."""
    n_batch, out_h, out_w, channels = y.shape
    for n in range(n_batch):
        for i in range(out_h):
            for j in range(out_w):
                h, w = 2 * i, 2 * j
                for c in range(channels):
                    best = x[n, h, w, c]
                    best = x[n, h, w + 1, c] if x[n, h, w + 1, c] > best else best
                    best = x[n, h + 1, w, c] if x[n, h + 1, w, c] > best else best
                    y[n, i, j, c] = x[n, h + 1, w + 1, c] if x[n, h + 1, w + 1, c] > best else best


@jit
def _max_pool2d_backward_loop(g, where, windows, pool_cells, in_w, dx_flat):
    """Adds each ``g`` at the image cell ``h * W + w`` of ``dx_flat`` (N, H*W, C) that its
    ``where`` names, looked up in a table of the cells of every window built first (one for
    all images; it saves a division per number)."""
    cells = np.empty((windows.shape[0], pool_cells), np.int64)
    for k in range(windows.shape[0]):
        place = 0
        for h in range(windows[k, 0], windows[k, 1]):
            for w in range(windows[k, 2], windows[k, 3]):
                cells[k, place] = h * in_w + w
                place += 1
    for n in range(g.shape[0]):
        for k in range(windows.shape[0]):
            for c in range(g.shape[2]):
                dx_flat[n, cells[k, where[n, k, c]], c] += g[n, k, c]


@jit
def _max_pool_2x2_backward_loop(g, where, dx):
    """Every cell of ``dx`` under a window gets ``g`` at the window's maximum and 0 elsewhere,
    written row by row in memory order (no zero fill, no scattered adds)."""
    n_batch, out_h, out_w, channels = g.shape
    zero = dx.dtype.type(0)
    for n in range(n_batch):
        for i in range(out_h):
            for row in range(2):
                for j in range(out_w):
                    for column in range(2):
                        place = 2 * row + column
                        for c in range(channels):
                            dx[n, 2 * i + row, 2 * j + column, c] = (
                                g[n, i, j, c] if where[n, i, j, c] == place else zero
                            )


@jit
def _avg_pool2d_forward_loop(x, windows, y):
    channels = x.shape[3]
    for n in range(x.shape[0]):
        for k in range(windows.shape[0]):
            h0, h1, w0, w1 = windows[k, 0], windows[k, 1], windows[k, 2], windows[k, 3]
            total = y[n, k]
            total[:] = 0
            for h in range(h0, h1):
                for w in range(w0, w1):
                    for c in range(channels):
                        total[c] += x[n, h, w, c]
            inverse_count = 1.0 / ((h1 - h0) * (w1 - w0))
            for c in range(channels):
                total[c] *= inverse_count


@jit
def _avg_pool2d_backward_loop(g, windows, dx):
    channels = dx.shape[3]
    for n in range(dx.shape[0]):
        for k in range(windows.shape[0]):
            h0, h1, w0, w1 = windows[k, 0], windows[k, 1], windows[k, 2], windows[k, 3]
            inverse_count = 1.0 / ((h1 - h0) * (w1 - w0))
            for h in range(h0, h1):
                for w in range(w0, w1):
                    for c in range(channels):
                        dx[n, h, w, c] += g[n, k, c] * inverse_count


# ----- entry points ---------------------------------------------------------------------------


# The 2x2 gradient loop that writes every cell in memory order is the fast one when the channels
# fill whole vectors of this many numbers (64 images of 28x28: 0.15 ms for 32 channels, against
# 0.47 ms for the general loop's zero fill and scattered adds); with a remainder (6, 12 or 20
# channels) its tail ran 2-6 times slower than the general loop, which those channels take.
WHOLE_VECTOR = 8


def _inside_2x2(input_shape, pool, strides, pads, out_size) -> bool:
    """The most common pooling: 2x2 windows at stride 2, every window inside the image.

    It has loops of its own with the window unrolled (about three times faster)."""
    return (tuple(pool) == tuple(strides) == (2, 2) and tuple(pads) == (0, 0)
            and 2 * out_size[0] <= input_shape[1] and 2 * out_size[1] <= input_shape[2])


def max_pool2d_forward(
    x: np.ndarray,
    pool: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of ``x`` (N, H, W, C) -> ``(y, where)``, both (N, OH, OW, C).

    ``pads`` is ``(pad_top, pad_left)``; padding at the bottom and right needs no number, as
    windows are simply cut at the edge. ``where`` holds the place of each maximum in its
    window (see the module docstring), in the smallest unsigned integer type that fits.
    """
    x = np.ascontiguousarray(x)
    shape = (x.shape[0], *out_size, x.shape[3])
    y = empty_aligned(shape, x.dtype)
    where = empty_aligned(shape, np.min_scalar_type(pool[0] * pool[1] - 1))
    if _inside_2x2(x.shape, pool, strides, pads, out_size):
        _max_pool_2x2_loop(x, y, where)
        return y, where
    windows = _real_windows(*x.shape[1:3], *pool, *strides, *pads, *out_size)
    _max_pool2d_forward_loop(x, windows, _flat_cells(y), _flat_cells(where))
    return y, where


def max_pool2d_forward_values(
    x: np.ndarray,
    pool: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
) -> np.ndarray:
    """Max pooling of ``x`` (N, H, W, C) -> y (N, OH, OW, C), without the argmax."""
    x = np.ascontiguousarray(x)
    y = empty_aligned((x.shape[0], *out_size, x.shape[3]), x.dtype)
    if _inside_2x2(x.shape, pool, strides, pads, out_size):
        _max_pool_2x2_values_loop(x, y)
        return y
    windows = _real_windows(*x.shape[1:3], *pool, *strides, *pads, *out_size)
    _max_pool2d_values_loop(x, windows, _flat_cells(y))
    return y


def max_pool2d_backward(
    g: np.ndarray,
    where: np.ndarray,
    input_shape: tuple[int, int, int, int],
    pool: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
) -> np.ndarray:
    """Gradient of max pooling: each ``g[n, i, j, c]`` is added to ``dx`` at the maximum that
    ``where`` (from ``max_pool2d_forward``) recorded for it."""
    g = np.ascontiguousarray(g)
    out_size = g.shape[1:3]
    if _inside_2x2(input_shape, pool, strides, pads, out_size) and (
        input_shape[3] % WHOLE_VECTOR == 0
    ):
        dx = empty_aligned(input_shape, g.dtype)
        _max_pool_2x2_backward_loop(g, where, dx)
        dx[:, 2 * out_size[0] :] = 0  # an odd last row or column lies under no window
        dx[:, :, 2 * out_size[1] :] = 0
        return dx
    dx = zeros_aligned(input_shape, g.dtype)
    windows = _real_windows(*input_shape[1:3], *pool, *strides, *pads, *out_size)
    _max_pool2d_backward_loop(_flat_cells(g), _flat_cells(where), windows, pool[0] * pool[1],
                              input_shape[2], _flat_cells(dx))
    return dx


def avg_pool2d_forward(
    x: np.ndarray,
    pool: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
) -> np.ndarray:
    """Average pooling of ``x`` (N, H, W, C) -> (N, OH, OW, C), dividing by the real cells."""
    x = np.ascontiguousarray(x)
    y = empty_aligned((x.shape[0], *out_size, x.shape[3]), x.dtype)
    windows = _real_windows(*x.shape[1:3], *pool, *strides, *pads, *out_size)
    _avg_pool2d_forward_loop(x, windows, _flat_cells(y))
    return y


def avg_pool2d_backward(
    g: np.ndarray,
    input_shape: tuple[int, int, int, int],
    pool: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
) -> np.ndarray:
    """Gradient of average pooling: ``g / |R(i, j)|`` spread over every real cell of a window."""
    dx = zeros_aligned(input_shape, g.dtype)
    windows = _real_windows(*input_shape[1:3], *pool, *strides, *pads, *g.shape[1:3])
    _avg_pool2d_backward_loop(_flat_cells(np.ascontiguousarray(g)), windows, dx)
    return dx


def _flat_cells(a: np.ndarray) -> np.ndarray:
    """A contiguous (N, OH, OW, C) array seen as (N, OH * OW, C), one row per output cell."""
    return a.reshape(a.shape[0], a.shape[1] * a.shape[2], a.shape[3])


# ----- numpy references -----------------------------------------------------------------------


def _pad(x, pool, strides, pads, out_size, fill):
    """``x`` padded with ``fill`` so that every window lies inside the padded array."""
    widths = [(0, 0)]
    for out, stride, size, n, pad in zip(out_size, strides, pool, x.shape[1:3], pads, strict=True):
        widths.append((pad, max((out - 1) * stride + size - n - pad, 0)))
    widths.append((0, 0))
    return np.pad(x, widths, constant_values=fill)


def _windows(pool, strides, out_size):
    """``(i, j, index)`` for every output cell; ``index`` selects its window in the padded x."""
    for i in range(out_size[0]):
        for j in range(out_size[1]):
            rows = slice(i * strides[0], i * strides[0] + pool[0])
            cols = slice(j * strides[1], j * strides[1] + pool[1])
            yield i, j, (slice(None), rows, cols, slice(None))


def _crop(padded, pads, shape):
    """The part of a padded array that covers the real input."""
    return padded[:, pads[0] : pads[0] + shape[1], pads[1] : pads[1] + shape[2], :]


def max_pool2d_forward_reference(x, pool, strides, pads, out_size):
    """Plain numpy max pooling: pad with -inf, take the maximum of every window."""
    padded = _pad(x, pool, strides, pads, out_size, -np.inf)
    y = np.empty((x.shape[0], *out_size, x.shape[3]), dtype=x.dtype)
    for i, j, window in _windows(pool, strides, out_size):
        y[:, i, j, :] = padded[window].max(axis=(1, 2))
    return y


def max_pool2d_backward_reference(x, g, pool, strides, pads, out_size):
    """Plain numpy max-pooling gradient: route each ``g`` to its window's (first) maximum."""
    padded = _pad(x, pool, strides, pads, out_size, -np.inf)
    dx = np.zeros_like(padded)
    batch, channel = np.indices((x.shape[0], x.shape[3]))
    for i, j, window in _windows(pool, strides, out_size):
        flat = padded[window].reshape(x.shape[0], -1, x.shape[3]).argmax(axis=1)
        rows, cols = np.unravel_index(flat, pool)
        dx[batch, window[1].start + rows, window[2].start + cols, channel] += g[:, i, j, :]
    return _crop(dx, pads, x.shape)


def _real_counts(x, pool, strides, pads, out_size):
    """Number of real (non-padded) cells in every window, shape (OH, OW)."""
    real = _pad(np.ones((1, *x.shape[1:3], 1)), pool, strides, pads, out_size, 0.0)
    counts = np.empty(out_size)
    for i, j, window in _windows(pool, strides, out_size):
        counts[i, j] = real[window].sum()
    return counts


def avg_pool2d_forward_reference(x, pool, strides, pads, out_size):
    """Plain numpy average pooling: window sums of zero-padded x over the real-cell counts."""
    padded = _pad(x, pool, strides, pads, out_size, 0.0)
    counts = _real_counts(x, pool, strides, pads, out_size)
    y = np.empty((x.shape[0], *out_size, x.shape[3]), dtype=x.dtype)
    for i, j, window in _windows(pool, strides, out_size):
        y[:, i, j, :] = padded[window].sum(axis=(1, 2)) / counts[i, j]
    return y


def avg_pool2d_backward_reference(x, g, pool, strides, pads, out_size):
    """Plain numpy average-pooling gradient: ``g / count`` added to every cell of the window."""
    dx = np.zeros_like(_pad(x, pool, strides, pads, out_size, 0.0))
    counts = _real_counts(x, pool, strides, pads, out_size)
    for i, j, window in _windows(pool, strides, out_size):
        dx[window] += g[:, i, j, None, None, :] / counts[i, j]
    return _crop(dx, pads, x.shape)
