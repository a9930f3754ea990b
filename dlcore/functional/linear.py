"""The fully connected (Dense) layer's op: ``y = x @ kernel + bias`` on the last axis of ``x``.

Shapes (Keras layout): ``x`` is ``(..., input_dim)``, ``kernel`` is ``(input_dim, units)``,
``bias`` is ``(units,)``, ``y`` is ``(..., units)``. All leading axes of ``x`` are seen as one
batch axis of ``M`` rows, ``x2d`` of shape ``(M, input_dim)``; with ``g2d = dL/dy`` seen the
same way ``(M, units)``::

    y2d     = x2d @ kernel + bias
    dx2d    = g2d @ kernel.T            (M, input_dim)
    dkernel = x2d.T @ g2d               (input_dim, units)
    dbias   = sum over the M rows of g2d (units,)

The three products are single BLAS matrix multiplications (numpy's ``@``); a gradient
nobody asked for is not computed.

With ``relu=True`` (a Dense layer with ``activation='relu'``) the op is
``y2d = max(x2d @ kernel + bias, 0)``: one compiled pass over the product adds the bias and
applies the ReLU, and the backward pass masks the upstream gradient once, ``g2d = g2d`` where
``y2d > 0`` and 0 elsewhere, before the three formulas above. One op instead of two: the same
numbers, with one output array and one graph node fewer.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import activations as kernels
from dlcore.tensor import Tensor, apply

from ._arguments import boolean_flag, floating_tensor


class LinearFunction(Function):
    """y = x @ kernel + bias (then max(y, 0) when ``relu``);
    dx = g @ kernel.T,  dkernel = x.T @ g,  dbias = sum of g's rows (g masked by y > 0 first)."""

    @staticmethod
    def forward(ctx: Context, x, kernel, bias, relu):
        x2d = x.reshape(-1, x.shape[-1])
        y = x2d @ kernel
        kernels.add_bias_relu(y, bias, relu)
        ctx.x2d, ctx.kernel, ctx.input_shape = x2d, kernel, x.shape
        ctx.y = y if relu else None
        return y.reshape(*x.shape[:-1], kernel.shape[1])

    @staticmethod
    def backward(ctx: Context, g):
        need_x, need_kernel, need_bias = ctx.needs_input_grad
        g2d, dbias = kernels.bias_relu_backward(ctx.y, g.reshape(-1, g.shape[-1]), need_bias)
        dx = (g2d @ ctx.kernel.T).reshape(ctx.input_shape) if need_x else None
        dkernel = ctx.x2d.T @ g2d if need_kernel else None
        return dx, dkernel, dbias


def linear(
    x: Tensor | np.ndarray,
    kernel: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
    *,
    relu: bool = False,
) -> Tensor:
    """``x @ kernel + bias``: a Dense layer without its activation; ``max(x @ kernel + bias,
    0)`` in one op with ``relu=True`` (the same values as ``relu(linear(x, kernel, bias))``).

    ``x`` is ``(..., input_dim)`` (a batch of vectors, or any leading axes), ``kernel`` is
    ``(input_dim, units)`` as in Keras (PyTorch's ``weight`` is its transpose), ``bias`` is
    ``(units,)`` or None. Returns ``(..., units)``.
    """
    op = "linear"
    relu = boolean_flag(op, "relu", relu)
    x, kernel = floating_tensor(op, "x", x), floating_tensor(op, "kernel", kernel)
    bias = None if bias is None else floating_tensor(op, "bias", bias)
    if kernel.ndim != 2:
        raise ValueError(
            f"linear expects kernel of shape (input_dim, units), got shape {kernel.shape}"
        )
    input_dim, units = kernel.shape
    if x.ndim == 0 or x.shape[-1] != input_dim:
        hint = (
            "flatten it first (a Flatten layer, or x.reshape(batch, -1))"
            if x.ndim > 2
            else f"give the kernel {x.shape[-1] if x.ndim else 1} rows (input_dim)"
        )
        raise ValueError(
            f"linear: the last axis of x must have the kernel's input_dim {input_dim}, got x of "
            f"shape {x.shape} and kernel of shape {kernel.shape}; {hint}"
        )
    if bias is not None and bias.shape != (units,):
        raise ValueError(
            f"linear expects bias of shape ({units},) (one per unit of kernel {kernel.shape}), "
            f"got shape {bias.shape}"
        )
    return apply(LinearFunction, x, kernel, bias, relu=relu)
