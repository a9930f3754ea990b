"""2-D convolution on channels-last images ``(batch, rows, cols, channels)``.

``y[n, i, j, f] = bias[f] + sum over a, b, c of x[n, i*sh - pt + a, j*sw - pl + b, c] *
kernel[a, b, c, f]``, with the kernel in the Keras layout ``(kernel_rows, kernel_cols,
in_channels, filters)``. Output size per spatial axis (input ``n``, kernel ``k``, stride ``s``):

* ``'valid'``: ``out = floor((n - k) / s) + 1``, no padding;
* ``'same'``: ``out = ceil(n / s)``, total padding ``max((out - 1) * s + k - n, 0)``, half of
  it before (``pt``, ``pl``) and the rest, with the odd pixel, after (bottom/right).

The backward formulas and the im2col scheme are in ``dlcore.kernels.conv``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import conv as kernels
from dlcore.tensor import Tensor, apply, tensor


class Conv2DFunction(Function):
    """y = im2col(x) @ kernel + bias.

    dL/dx = col2im(g @ kernel^T),  dL/dkernel = im2col(x)^T @ g,  dL/dbias = g summed.
    """

    @staticmethod
    def forward(ctx: Context, x, kernel, bias, strides, pads, out_size):
        ctx.x, ctx.kernel, ctx.geometry = x, kernel, (strides, pads)
        return kernels.conv2d_forward(x, kernel, bias, strides, pads, out_size)

    @staticmethod
    def backward(ctx: Context, g):
        need_x, need_kernel, need_bias = ctx.needs_input_grad
        dx = dkernel = dbias = None
        if need_x:
            dx = kernels.conv2d_backward_input(g, ctx.kernel, ctx.x.shape, *ctx.geometry)
        if need_kernel:
            dkernel = kernels.conv2d_backward_kernel(g, ctx.x, ctx.kernel.shape, *ctx.geometry)
        if need_bias:
            dbias = kernels.conv2d_backward_bias(g)
        return dx, dkernel, dbias


def conv2d(
    x: Tensor | np.ndarray,
    kernel: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
    strides: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras and PyTorch) of channels-last images.

    ``x`` is ``(batch, rows, cols, in_channels)``, ``kernel`` is ``(kernel_rows, kernel_cols,
    in_channels, filters)``, ``bias`` is ``(filters,)`` or None; ``strides`` is an int or a
    pair (rows, cols); ``padding`` is ``'valid'`` or ``'same'`` (any case). Returns
    ``(batch, out_rows, out_cols, filters)``.
    """
    x = _as_tensor("x", x)
    kernel = _as_tensor("kernel", kernel)
    if x.ndim != 4:
        raise ValueError(
            f"conv2d expects x of rank 4 (batch, rows, cols, channels), got shape {x.shape}; "
            "add a channel axis with x.reshape(batch, rows, cols, 1) for a single channel"
        )
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
        bias = _as_tensor("bias", bias)
        if bias.shape != (kernel.shape[3],):
            raise ValueError(
                f"conv2d: bias must have shape ({kernel.shape[3]},), one value per filter of the "
                f"kernel of shape {kernel.shape}, got shape {bias.shape}"
            )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"conv2d: padding must be 'valid' or 'same', got {padding!r}")
    geometry = _geometry(x.shape, kernel.shape, _strides_pair(strides), padding.lower())
    return apply(Conv2DFunction, x, kernel, bias, **geometry)


def _geometry(x_shape, kernel_shape, strides, padding) -> dict:
    """Strides, ``(pad_top, pad_left)`` and ``(out_rows, out_cols)`` by the Keras rules."""
    pads, out_size = [], []
    sizes = zip(("rows", "cols"), x_shape[1:3], kernel_shape[:2], strides, strict=True)
    for axis, n, k, s in sizes:
        if padding == "same":
            out = -(-n // s)
            pads.append(max((out - 1) * s + k - n, 0) // 2)
        elif k > n:
            raise ValueError(
                f"conv2d: the kernel of shape {kernel_shape} has {k} {axis}, more than x of shape "
                f"{x_shape} with padding='valid'; use padding='same' or a smaller kernel"
            )
        else:
            out = (n - k) // s + 1
            pads.append(0)
        out_size.append(out)
    return dict(strides=strides, pads=tuple(pads), out_size=tuple(out_size))


def _as_tensor(name: str, value) -> Tensor:
    """``value`` as a floating-point Tensor (arrays are converted, float32 by default)."""
    if not isinstance(value, Tensor):
        value = tensor(value)
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(
            f"conv2d expects a floating-point {name}, got dtype {value.dtype}; use dtype='float32'"
        )
    return value


def _strides_pair(strides) -> tuple[int, int]:
    """An int or a pair of ints as a pair of positive Python ints."""
    pair = (strides, strides) if isinstance(strides, (int, np.integer)) else strides
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)
    ):
        raise TypeError(f"conv2d: strides must be an int or a pair of ints, got {strides!r}")
    if min(pair) < 1:
        raise ValueError(f"conv2d: strides must be positive, got {strides!r}; use for example 1")
    return int(pair[0]), int(pair[1])
