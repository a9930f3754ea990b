"""2-D convolution on channels-last images ``(batch, rows, cols, channels)``.

``y[n, i, j, f] = bias[f] + sum over a, b, c of x[n, i*sh - pt + a, j*sw - pl + b, c] *
kernel[a, b, c, f]``, with the kernel in the Keras layout ``(kernel_rows, kernel_cols,
in_channels, filters)``. Output size per spatial axis (input ``n``, kernel ``k``, stride ``s``):

* ``'valid'``: ``out = floor((n - k) / s) + 1``, no padding;
* ``'same'``: ``out = ceil(n / s)``, total padding ``max((out - 1) * s + k - n, 0)``, half of
  it before (``pt``, ``pl``) and the rest, with the odd pixel, after (bottom/right).

With ``relu=True`` (a Conv2D layer with ``activation='relu'``) the op is ``max(y, 0)``: the
ReLU is taken in the pass that adds the bias, chunk by chunk, and the backward pass masks
``g`` once (``g`` where ``y > 0``, else 0) before the convolution's backward formulas.

The backward formulas and the im2col scheme are in ``dlcore.kernels.conv``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import activations as activation_kernels
from dlcore.kernels import conv as kernels
from dlcore.tensor import Tensor, apply

from ._arguments import (
    boolean_flag,
    floating_tensor,
    image_tensor,
    int_pair,
    padding_mode,
    window_geometry,
)


class Conv2DFunction(Function):
    """y = im2col(x) @ kernel + bias (then max(y, 0) when ``relu``).

    dL/dx = col2im(g @ kernel^T),  dL/dkernel = im2col(x)^T @ g,  dL/dbias = g summed,
    with g masked by y > 0 first when ``relu``.
    """

    @staticmethod
    def forward(ctx: Context, x, kernel, bias, strides, pads, out_size, relu):
        ctx.x, ctx.kernel, ctx.geometry = x, kernel, (strides, pads)
        y = kernels.conv2d_forward(x, kernel, bias, strides, pads, out_size, relu)
        ctx.y = y if relu else None
        return y

    @staticmethod
    def backward(ctx: Context, g):
        need_x, need_kernel, need_bias = ctx.needs_input_grad
        g, dbias = activation_kernels.bias_relu_backward(ctx.y, g, need_bias)
        dx = dkernel = None
        if need_x:
            dx = kernels.conv2d_backward_input(g, ctx.kernel, ctx.x.shape, *ctx.geometry)
        if need_kernel:
            dkernel = kernels.conv2d_backward_kernel(g, ctx.x, ctx.kernel.shape, *ctx.geometry)
        return dx, dkernel, dbias


def conv2d(
    x: Tensor | np.ndarray,
    kernel: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
    strides: int | tuple[int, int] = 1,
    padding: str = "valid",
    *,
    relu: bool = False,
) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras and PyTorch) of channels-last images.

    ``x`` is ``(batch, rows, cols, in_channels)``, ``kernel`` is ``(kernel_rows, kernel_cols,
    in_channels, filters)``, ``bias`` is ``(filters,)`` or None; ``strides`` is an int or a
    pair (rows, cols); ``padding`` is ``'valid'`` or ``'same'`` (any case). Returns
    ``(batch, out_rows, out_cols, filters)``. With ``relu=True`` the ReLU of that is computed
    in the same op (the same values as ``relu(conv2d(...))``).
    """
    op = "conv2d"
    relu = boolean_flag(op, "relu", relu)
    x = image_tensor(op, x)
    kernel = floating_tensor(op, "kernel", kernel)
    if kernel.ndim != 4:
        raise ValueError(
            "conv2d expects a kernel of rank 4 (kernel_rows, kernel_cols, in_channels, filters), "
            f"got shape {kernel.shape}; for a single filter use kernel.reshape(rows, cols, "
            "in_channels, 1)"
        )
    if min(kernel.shape[:2]) < 1:
        raise ValueError(
            f"conv2d: the kernel of shape {kernel.shape} has no rows or no cols; a kernel "
            "needs at least one of each, e.g. shape (3, 3, in_channels, filters)"
        )
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(
            f"conv2d: the kernel of shape {kernel.shape} expects {kernel.shape[2]} input "
            f"channels, but x of shape {x.shape} has {x.shape[3]}; make kernel.shape[2] equal "
            "to the last axis of x"
        )
    if bias is not None:
        bias = floating_tensor(op, "bias", bias)
        if bias.shape != (kernel.shape[3],):
            raise ValueError(
                f"conv2d: bias must have shape ({kernel.shape[3]},), one value per filter of the "
                f"kernel of shape {kernel.shape}, got shape {bias.shape}"
            )
    padding = padding_mode(op, padding)
    strides = int_pair(op, "strides", strides)
    what = f"the kernel of shape {kernel.shape}"
    pads, out_size = window_geometry(op, x.shape, kernel.shape[:2], strides, padding, what)
    return apply(Conv2DFunction, x, kernel, bias, strides=strides, pads=pads, out_size=out_size,
                 relu=relu)
