"""Activations and the softmax family: relu, sigmoid, tanh, softmax, log_softmax and the
fused softmax cross-entropy of integer labels.

``relu`` runs compiled loops (``dlcore.kernels.activations``); ``sigmoid`` and ``tanh`` are
the engine's elementwise ops (``dlcore.ops``), offered here under their functional names.
The softmax family works along one axis (the last by default); its formulas, and why the row
maximum is subtracted first, are in ``dlcore.kernels.softmax``.
"""

from __future__ import annotations

import numpy as np

from dlcore import ops
from dlcore.autograd import Context, Function
from dlcore.kernels import activations as activation_kernels
from dlcore.kernels import softmax as kernels
from dlcore.tensor import Tensor, apply, as_tensor

from ._arguments import check_index_range, floating_tensor, integer_array


class ReLUFunction(Function):
    """y = max(x, 0);  dL/dx = g where y > 0, else 0 (read from the output, no mask saved)."""

    @staticmethod
    def forward(ctx: Context, x):
        y = activation_kernels.relu_forward(x)
        if ctx.needs_input_grad[0]:
            ctx.y = y
        return y

    @staticmethod
    def backward(ctx: Context, g):
        return (activation_kernels.relu_backward(ctx.y, g),)


class SoftmaxFunction(Function):
    """s = exp(x - max) / sum(exp(x - max)) along ``axis``;  dL/dx = s * (g - sum(g * s))."""

    @staticmethod
    def forward(ctx: Context, x, axis):
        ctx.axis = axis
        ctx.s = kernels.softmax_forward(_axis_last(x, axis))
        return _axis_back(ctx.s, axis)

    @staticmethod
    def backward(ctx: Context, g):
        return (_backward_along_axis(kernels.softmax_backward, ctx, g),)


class LogSoftmaxFunction(Function):
    """y = (x - max) - log(sum(exp(x - max))) along ``axis``;  dL/dx = g - softmax(x) * sum(g)."""

    @staticmethod
    def forward(ctx: Context, x, axis):
        ctx.axis = axis
        y, ctx.s = kernels.log_softmax_forward(_axis_last(x, axis))
        return _axis_back(y, axis)

    @staticmethod
    def backward(ctx: Context, g):
        return (_backward_along_axis(kernels.log_softmax_backward, ctx, g),)


class SoftmaxCrossEntropyFunction(Function):
    """loss[n] = logsumexp(z[n]) - z[n, y[n]];  dL/dz[n] = g[n] * (softmax(z[n]) - onehot(y[n]))."""

    @staticmethod
    def forward(ctx: Context, logits, labels):
        loss, ctx.s = kernels.softmax_cross_entropy_forward(logits, labels)
        ctx.labels = labels
        return loss

    @staticmethod
    def backward(ctx: Context, g):
        return (kernels.softmax_cross_entropy_backward(ctx.s, ctx.labels, g),)


def relu(x: Tensor | np.ndarray) -> Tensor:
    """``max(x, 0)`` elementwise; the gradient is ``g`` where ``x > 0`` and 0 elsewhere."""
    return apply(ReLUFunction, as_tensor(x))


def sigmoid(x: Tensor | np.ndarray) -> Tensor:
    """``1 / (1 + exp(-x))`` elementwise; the gradient is ``g * s * (1 - s)``."""
    return apply(ops.Sigmoid, as_tensor(x))


def tanh(x: Tensor | np.ndarray) -> Tensor:
    """``tanh(x)`` elementwise; the gradient is ``g * (1 - tanh(x)**2)``."""
    return apply(ops.Tanh, as_tensor(x))


def softmax(x: Tensor | np.ndarray, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``: every slice along it becomes a distribution.

    Numerically stable (the maximum is subtracted first): finite for any finite ``x``.
    """
    x = floating_tensor("softmax", None, x)
    return apply(SoftmaxFunction, x, axis=_axis("softmax", x, axis))


def softmax_logits(probabilities: Tensor) -> Tensor | None:
    """The logits ``z`` of ``probabilities = softmax(z, axis=-1)``, read from the graph.

    None when ``probabilities`` came from another op, from a softmax along another axis, or
    from one computed without recording the graph (under ``no_grad``). A cross-entropy loss
    uses ``z`` to skip the softmax (see ``dlcore.losses.training_loss``).
    """
    ctx = probabilities._ctx
    if getattr(ctx, "function", None) is SoftmaxFunction and ctx.axis == probabilities.ndim - 1:
        return ctx.parents[0]
    return None


def log_softmax(x: Tensor | np.ndarray, axis: int = -1) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``: the log of ``softmax(x)``, computed without it.

    Use it (not ``log(softmax(x))``) for log-probabilities: it stays finite where a
    probability rounds to 0.
    """
    x = floating_tensor("log_softmax", None, x)
    return apply(LogSoftmaxFunction, x, axis=_axis("log_softmax", x, axis))


def softmax_cross_entropy(logits: Tensor | np.ndarray, labels: Tensor | np.ndarray) -> Tensor:
    """Per-sample loss ``-log softmax(logits[n])[labels[n]]``, shape ``(batch,)``.

    ``logits`` is ``(batch, classes)``, unnormalised scores; ``labels`` holds ``batch``
    integer class ids in ``[0, classes)`` (sparse labels: not one-hot). Softmax and logarithm
    are fused, so the loss is finite for any finite logits. Only ``logits`` gets a gradient.
    """
    op = "softmax_cross_entropy"
    logits = floating_tensor(op, None, logits)
    if logits.ndim != 2:
        raise ValueError(
            f"{op} expects logits of shape (batch, classes), got shape {logits.shape}; "
            "reshape them to (batch, classes) first, e.g. logits.reshape(-1, classes)"
        )
    batch, classes = logits.shape
    labels = integer_array(
        op, "class labels", labels,
        "convert them with labels.astype('int64') (for one-hot labels take labels.argmax(axis=-1))",
    )
    if labels.shape != (batch,):
        raise ValueError(
            f"{op} expects labels of shape ({batch},) (one class id per row of logits with "
            f"shape {logits.shape}), got shape {labels.shape}; pass a flat vector, e.g. "
            "labels.reshape(-1)"
        )
    if classes == 0:
        raise ValueError(f"{op} needs at least one class, got logits of shape {logits.shape}")
    check_index_range(
        op, "labels", labels, classes, f"logits with {classes} classes",
        "check that the last layer has one unit per class and that labels count from 0",
    )
    return apply(
        SoftmaxCrossEntropyFunction, logits, labels=np.ascontiguousarray(labels, dtype=np.int64)
    )


def _backward_along_axis(backward_kernel, ctx: Context, g: np.ndarray) -> np.ndarray:
    """dL/dx from a kernel that works on the last axis: ``ctx.axis`` moved last and back."""
    dx = backward_kernel(ctx.s, _axis_last(g, ctx.axis))
    return _axis_back(dx, ctx.axis)


def _axis_last(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` with ``axis`` moved last, as a view (``x`` itself when it is last already:
    ``np.moveaxis`` costs microseconds even then)."""
    return x if axis == x.ndim - 1 else np.moveaxis(x, axis, -1)


def _axis_back(y: np.ndarray, axis: int) -> np.ndarray:
    """The inverse of ``_axis_last``: the last axis of ``y`` moved back to ``axis``."""
    return y if axis == y.ndim - 1 else np.moveaxis(y, -1, axis)


def _axis(op: str, x: Tensor, axis) -> int:
    """``axis`` checked against ``x`` and made non-negative."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}; use for example axis=-1")
    if x.ndim == 0:
        raise ValueError(
            f"{op} needs an axis to normalise over, got a scalar (shape ()); "
            "pass at least a 1-D array, e.g. x.reshape(1)"
        )
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for x of shape {x.shape}; use an axis in "
            f"[{-x.ndim}, {x.ndim - 1}], e.g. axis=-1 for the last"
        )
    axis = int(axis) % x.ndim
    if x.shape[axis] == 0:
        raise ValueError(
            f"{op}: axis {axis} of x (shape {x.shape}) is empty; there is nothing to normalise"
        )
    return axis
