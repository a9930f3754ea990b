"""The elementary differentiable operations behind Tensor's operators and methods.

Each operation is one Function: ``forward`` on numpy arrays, ``backward`` from the
output gradient ``g = dL/dz`` to the input gradients, and the math in the docstring.
Gradients may keep the broadcast shape of ``z``; the engine sums them back to each
input's shape.
"""

from __future__ import annotations

import numpy as np

from .autograd import Context, Function

# ----- arithmetic ---------------------------------------------------------------------------


class Add(Function):
    """z = a + b.    dL/da = g,  dL/db = g."""

    @staticmethod
    def forward(ctx: Context, a, b):
        return a + b

    @staticmethod
    def backward(ctx: Context, g):
        return g, g


class Sub(Function):
    """z = a - b.    dL/da = g,  dL/db = -g."""

    @staticmethod
    def forward(ctx: Context, a, b):
        return a - b

    @staticmethod
    def backward(ctx: Context, g):
        return g, -g


class Mul(Function):
    """z = a * b.    dL/da = g * b,  dL/db = g * a."""

    @staticmethod
    def forward(ctx: Context, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx: Context, g):
        return g * ctx.b, g * ctx.a


class Div(Function):
    """z = a / b.    dL/da = g / b,  dL/db = -g * a / b**2 = -g * z / b."""

    @staticmethod
    def forward(ctx: Context, a, b):
        z = a / b
        ctx.b, ctx.z = b, z
        return z

    @staticmethod
    def backward(ctx: Context, g):
        grad_a = g / ctx.b
        grad_b = -grad_a * ctx.z if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """z = -a.    dL/da = -g."""

    @staticmethod
    def forward(ctx: Context, a):
        return -a

    @staticmethod
    def backward(ctx: Context, g):
        return (-g,)


class Pow(Function):
    """z = a ** b.    dL/da = g * b * a**(b-1),  dL/db = g * z * log(a)  (needs a > 0)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        z = a**b
        ctx.a, ctx.b, ctx.z = a, b, z
        return z

    @staticmethod
    def backward(ctx: Context, g):
        a, b = ctx.a, ctx.b
        grad_a = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        grad_b = g * ctx.z * np.log(a) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class MatMul(Function):
    """z = a @ b  (numpy's matmul: 2-D, batched, or with a vector on either side).

    For matrices:  dL/da = g @ b.T,   dL/db = a.T @ g.
    A vector operand is treated as a one-row (left) or one-column (right) matrix, and
    batch dimensions broadcast like any other operation.
    """

    @staticmethod
    def forward(ctx: Context, a, b):
        ctx.a, ctx.b = a, b
        return a @ b

    @staticmethod
    def backward(ctx: Context, g):
        a, b = ctx.a, ctx.b
        a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
        if b_is_vector:
            b, g = b[:, np.newaxis], np.expand_dims(g, -1)
        if a_is_vector:
            a, g = a[np.newaxis, :], np.expand_dims(g, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = g @ np.swapaxes(b, -1, -2)
            if a_is_vector:
                grad_a = grad_a[..., 0, :]
        if ctx.needs_input_grad[1]:
            grad_b = np.swapaxes(a, -1, -2) @ g
            if b_is_vector:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


# ----- elementwise functions ----------------------------------------------------------------


class Exp(Function):
    """z = exp(a).    dL/da = g * z."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.z = np.exp(a)
        return ctx.z

    @staticmethod
    def backward(ctx: Context, g):
        return (g * ctx.z,)


class Log(Function):
    """z = log(a)  (natural logarithm).    dL/da = g / a."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.a = a
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, g):
        return (g / ctx.a,)


class Tanh(Function):
    """z = tanh(a).    dL/da = g * (1 - z**2)."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.z = np.tanh(a)
        return ctx.z

    @staticmethod
    def backward(ctx: Context, g):
        return (g * (1 - ctx.z * ctx.z),)


class Sigmoid(Function):
    """z = 1 / (1 + exp(-a)), computed as (1 + tanh(a/2)) / 2, which never overflows.

    dL/da = g * z * (1 - z).
    """

    @staticmethod
    def forward(ctx: Context, a):
        z = np.tanh(a * 0.5)
        z += 1
        z *= 0.5
        ctx.z = z
        return z

    @staticmethod
    def backward(ctx: Context, g):
        return (g * ctx.z * (1 - ctx.z),)


class ReLU(Function):
    """z = max(a, 0).    dL/da = g where a > 0, else 0 (the kink at 0 gets gradient 0)."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.positive = a > 0
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Context, g):
        return (g * ctx.positive,)


class Abs(Function):
    """z = |a|.    dL/da = g * sign(a)  (0 at a = 0)."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.sign = np.sign(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, g):
        return (g * ctx.sign,)


class Clip(Function):
    """z = a limited to [low, high].    dL/da = g inside the range, 0 where a was clipped."""

    @staticmethod
    def forward(ctx: Context, a, low, high):
        ctx.inside = (a >= low) & (a <= high)
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx: Context, g):
        return (g * ctx.inside,)


# ----- reductions ---------------------------------------------------------------------------


def _reduced_axes(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple, possibly negative) as a tuple of positive axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def _expand_to_input(g, ctx: Context):
    """Broadcast a reduction's output gradient back over the axes it reduced."""
    if not ctx.keepdims:
        g = np.expand_dims(g, ctx.axes)
    return np.broadcast_to(g, ctx.input_shape)


class Sum(Function):
    """z = sum of a over ``axis``.    dL/da = g copied along the summed axes."""

    @staticmethod
    def forward(ctx: Context, a, axis=None, keepdims=False):
        ctx.axes, ctx.keepdims, ctx.input_shape = _reduced_axes(axis, a.ndim), keepdims, a.shape
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, g):
        return (_expand_to_input(g, ctx),)


class Mean(Function):
    """z = mean of a over ``axis`` (n elements each).    dL/da = g / n copied along those axes."""

    @staticmethod
    def forward(ctx: Context, a, axis=None, keepdims=False):
        ctx.axes, ctx.keepdims, ctx.input_shape = _reduced_axes(axis, a.ndim), keepdims, a.shape
        ctx.count = int(np.prod([a.shape[i] for i in ctx.axes]))
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, g):
        return (_expand_to_input(g / ctx.count, ctx),)


class Max(Function):
    """z = max of a over ``axis``.

    dL/da = g at the position of the maximum, 0 elsewhere; when several elements tie for
    the maximum, they share g equally (as ``torch.amax`` does).
    """

    @staticmethod
    def forward(ctx: Context, a, axis=None, keepdims=False):
        ctx.axes, ctx.keepdims, ctx.input_shape = _reduced_axes(axis, a.ndim), keepdims, a.shape
        z = a.max(axis=axis, keepdims=True)
        is_max = a == z
        ctx.share = is_max / is_max.sum(axis=ctx.axes, keepdims=True, dtype=a.dtype)
        return z if keepdims else np.squeeze(z, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, g):
        return (_expand_to_input(g, ctx) * ctx.share,)


# ----- shape ------------------------------------------------------------------------------


class Reshape(Function):
    """z = a viewed with a new ``shape``.    dL/da = g reshaped back to a's shape."""

    @staticmethod
    def forward(ctx: Context, a, shape):
        ctx.input_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx: Context, g):
        return (g.reshape(ctx.input_shape),)


class Transpose(Function):
    """z = a with its axes permuted (reversed when ``axes`` is None).

    dL/da = g permuted by the inverse permutation.
    """

    @staticmethod
    def forward(ctx: Context, a, axes=None):
        ctx.inverse = None if axes is None else tuple(np.argsort(axes))
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx: Context, g):
        return (np.transpose(g, ctx.inverse),)


class GetItem(Function):
    """z = a[index]  (slices, integers, integer arrays, boolean masks).

    dL/da is zero except at the selected positions, which receive g. An integer-array
    index may select the same element several times; its gradients are then added up
    (a scatter-add, ``np.add.at``).
    """

    @staticmethod
    def forward(ctx: Context, a, index):
        ctx.index, ctx.input_shape, ctx.dtype = index, a.shape, a.dtype
        return a[index]

    @staticmethod
    def backward(ctx: Context, g):
        grad = np.zeros(ctx.input_shape, dtype=np.result_type(ctx.dtype, g.dtype))
        if _selects_with_arrays(ctx.index):
            np.add.at(grad, ctx.index, g)
        else:
            grad[ctx.index] = g  # slices and integers never select an element twice
        return (grad,)


def _selects_with_arrays(index) -> bool:
    """Whether ``index`` uses integer arrays, lists or masks (which may repeat elements)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(part, (np.ndarray, list)) for part in parts)
