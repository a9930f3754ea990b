"""2-D max and average pooling on channels-last images ``(batch, rows, cols, channels)``.

Output size per spatial axis (input ``n``, pool ``k``, stride ``s``), the Keras rule:

* ``'valid'``: ``out = floor((n - k) / s) + 1``, no padding;
* ``'same'``: ``out = ceil(n / s)``, total padding ``max((out - 1) * s + k - n, 0)``, half of
  it before and the rest (the odd cell) after, at the bottom/right.

Padded cells never take part: they never win a max and are not counted in an average.
The formulas for the values and the gradients are in ``dlcore.kernels.pooling``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import pooling as kernels
from dlcore.tensor import Tensor, apply

from ._arguments import image_tensor, int_pair, padding_mode, window_geometry


class MaxPool2DFunction(Function):
    """y = maximum of each window;  dL/dx = g added at the position of each window's maximum."""

    @staticmethod
    def forward(ctx: Context, x, pool, strides, pads, out_size):
        if not ctx.needs_input_grad[0]:
            return kernels.max_pool2d_forward_values(x, pool, strides, pads, out_size)
        y, ctx.where = kernels.max_pool2d_forward(x, pool, strides, pads, out_size)
        ctx.input_shape, ctx.geometry = x.shape, (pool, strides, pads)
        return y

    @staticmethod
    def backward(ctx: Context, g):
        return (kernels.max_pool2d_backward(g, ctx.where, ctx.input_shape, *ctx.geometry),)


class AvgPool2DFunction(Function):
    """y = mean of the real cells of each window;  dL/dx = g / count spread over the window."""

    @staticmethod
    def forward(ctx: Context, x, pool, strides, pads, out_size):
        ctx.input_shape, ctx.geometry = x.shape, (pool, strides, pads)
        return kernels.avg_pool2d_forward(x, pool, strides, pads, out_size)

    @staticmethod
    def backward(ctx: Context, g):
        return (kernels.avg_pool2d_backward(g, ctx.input_shape, *ctx.geometry),)


def max_pool2d(
    x: Tensor | np.ndarray,
    pool_size: int | tuple[int, int],
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> Tensor:
    """Max pooling: ``y[n, i, j, c]`` = the largest ``x[n, h, w, c]`` in window ``(i, j)``.

    ``x`` is ``(batch, rows, cols, channels)``; ``pool_size`` and ``strides`` are an int or a
    pair (rows, cols); ``strides=None`` means ``pool_size``; ``padding`` is ``'valid'`` or
    ``'same'``. The gradient flows only to each window's maximum.
    """
    x, params = _prepare("max_pool2d", x, pool_size, strides, padding)
    return apply(MaxPool2DFunction, x, **params)


def avg_pool2d(
    x: Tensor | np.ndarray,
    pool_size: int | tuple[int, int],
    strides: int | tuple[int, int] | None = None,
    padding: str = "valid",
) -> Tensor:
    """Average pooling: ``y[n, i, j, c]`` = the mean of ``x[n, h, w, c]`` over window ``(i, j)``.

    Arguments as in ``max_pool2d``. With ``padding='same'`` each window is divided by the
    number of real (non-padded) cells it covers, as Keras does.
    """
    x, params = _prepare("avg_pool2d", x, pool_size, strides, padding)
    return apply(AvgPool2DFunction, x, **params)


def _prepare(op: str, x, pool_size, strides, padding) -> tuple[Tensor, dict]:
    """Check the arguments; return x as a Tensor and the window geometry for the kernels."""
    x = image_tensor(op, x)
    pool = int_pair(op, "pool_size", pool_size)
    steps = pool if strides is None else int_pair(op, "strides", strides)
    padding = padding_mode(op, padding)
    pads, out_size = window_geometry(op, x.shape, pool, steps, padding, f"pool_size {pool}")
    return x, dict(pool=pool, strides=steps, pads=pads, out_size=out_size)
