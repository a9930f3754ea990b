"""Batch normalization and dropout: the two ops that behave differently in training.

``batch_norm`` normalises each feature (the last axis) with the batch statistics while
training and with the moving statistics in inference; ``dropout`` zeroes random units while
training and is the identity in inference. The formulas are in ``dlcore.kernels.batch_norm``
and ``dlcore.kernels.dropout``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import batch_norm as bn_kernels
from dlcore.kernels import dropout as dropout_kernels
from dlcore.random import generator
from dlcore.tensor import Tensor, apply, as_tensor

from ._arguments import boolean_flag, floating_tensor


class BatchNormFunction(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature (the last axis).

    Backward, with x_hat = (x - mean) / sqrt(var + eps) and means over the batch axes::

        dL/dbeta  = sum g,    dL/dgamma = sum g * x_hat
        dL/dx     = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))

    in training (mean and var depend on x); in inference only the first term,
    ``gamma / sqrt(moving_var + eps) * g``, remains.
    """

    @staticmethod
    def forward(
        ctx: Context, x, gamma, beta, moving_mean, moving_variance, training, momentum, epsilon
    ):
        features = x.shape[-1]
        ctx.gamma = np.ones(features, x.dtype) if gamma is None else gamma
        beta = np.zeros(features, x.dtype) if beta is None else beta
        y, ctx.mean, ctx.inv_std = bn_kernels.batch_norm_forward(
            x, ctx.gamma, beta, moving_mean, moving_variance, training, momentum, epsilon
        )
        ctx.x, ctx.training = x, training
        return y

    @staticmethod
    def backward(ctx: Context, g):
        need_x, need_gamma, need_beta = ctx.needs_input_grad
        dx, dgamma, dbeta = bn_kernels.batch_norm_backward(
            ctx.x, g, ctx.mean, ctx.inv_std, ctx.gamma, ctx.training, need_dx=need_x
        )
        return dx, (dgamma if need_gamma else None), (dbeta if need_beta else None)


class DropoutFunction(Function):
    """y = x * keep / (1 - rate);    dL/dx = g * keep / (1 - rate)  (the same mask)."""

    @staticmethod
    def forward(ctx: Context, x, keep, scale):
        ctx.keep, ctx.scale = keep, scale
        return dropout_kernels.dropout_apply_mask(x, keep, scale)

    @staticmethod
    def backward(ctx: Context, g):
        return (dropout_kernels.dropout_apply_mask(g, ctx.keep, ctx.scale),)


def batch_norm(
    x: Tensor | np.ndarray,
    gamma: Tensor | np.ndarray | None,
    beta: Tensor | np.ndarray | None,
    moving_mean: Tensor | np.ndarray,
    moving_variance: Tensor | np.ndarray,
    training: bool,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> Tensor:
    """Batch normalization over every axis but the last (features, or channels of NHWC).

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``. With ``training=True``, ``mean``
    and ``var`` are the batch mean and the biased batch variance, and ``moving_mean`` and
    ``moving_variance`` (numpy arrays, or Tensors whose ``.data`` is used) are updated in
    place: ``moving = momentum * moving + (1 - momentum) * batch_statistic``. With
    ``training=False`` the moving statistics are used and left unchanged. ``gamma`` or
    ``beta`` may be None (scale 1, offset 0). Gradients flow to x, gamma and beta.
    """
    training = boolean_flag("batch_norm", "training", training)
    x = floating_tensor("batch_norm", "x", x)
    if x.ndim < 2:
        raise ValueError(
            f"batch_norm expects x with a batch axis and a feature axis (rank >= 2), got shape "
            f"{x.shape}; reshape a single sample to (1, features)"
        )
    if training and 0 in x.shape[:-1]:
        raise ValueError(
            f"batch_norm in training needs at least one sample for the batch mean and variance, "
            f"got x of shape {x.shape}; an empty batch would set the moving statistics to NaN. "
            "Skip empty batches, or call it with training=False"
        )
    features = x.shape[-1]
    gamma, beta = (
        None if value is None else _feature_vector("batch_norm", name, value, features)
        for name, value in (("gamma", gamma), ("beta", beta))
    )
    moving = [
        _moving_statistic(name, value, features, training)
        for name, value in (("moving_mean", moving_mean), ("moving_variance", moving_variance))
    ]
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"batch_norm: momentum must be in [0, 1], got {momentum!r}; Keras: 0.99")
    if not epsilon > 0.0:
        raise ValueError(f"batch_norm: epsilon must be positive, got {epsilon!r}; Keras: 1e-3")
    return apply(
        BatchNormFunction,
        x,
        gamma,
        beta,
        moving_mean=moving[0],
        moving_variance=moving[1],
        training=training,
        momentum=float(momentum),
        epsilon=float(epsilon),
    )


def dropout(x: Tensor | np.ndarray, rate: float, training: bool) -> Tensor:
    """Inverted dropout: while training, zero each unit with probability ``rate`` and scale
    the kept ones by ``1 / (1 - rate)``, so the expected output equals x.

    The keep-mask comes from ``dlcore.random.generator()`` (``dlcore.random.seed`` makes it
    repeatable). Not training, or ``rate == 0``: x itself is returned.
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout: rate must be a number in [0, 1), got {rate!r}")
    if not 0.0 <= rate < 1.0:
        raise ValueError(
            f"dropout: rate must satisfy 0 <= rate < 1 (the fraction of units dropped), got "
            f"{rate!r}; for example use rate=0.5"
        )
    training = boolean_flag("dropout", "training", training)
    x = floating_tensor("dropout", "x", x)
    if not training or rate == 0:
        return x
    keep = generator().random(x.shape, dtype=np.float32) >= rate
    return apply(DropoutFunction, x, keep=keep, scale=1.0 / (1.0 - float(rate)))


def _feature_vector(op: str, name: str, value, features: int):
    """A per-feature parameter as a Tensor (arrays are converted), checked to be (features,)."""
    value = as_tensor(value)
    if value.shape != (features,):
        raise ValueError(
            f"{op}: {name} must have shape ({features},), one value per feature of x (its last "
            f"axis has {features}), got shape {value.shape}"
        )
    return value


def _moving_statistic(name: str, value, features: int, training: bool) -> np.ndarray:
    """The array behind a moving statistic; in training it must be updatable in place."""
    array = value.data if isinstance(value, Tensor) else value
    if training and not (isinstance(array, np.ndarray) and array.flags.writeable):
        raise TypeError(
            f"batch_norm: {name} must be a writable numpy array or a Tensor in training, since "
            f"it is updated in place; got {type(value).__name__}"
        )
    array = np.asarray(array)
    if array.shape != (features,):
        raise ValueError(
            f"batch_norm: {name} must have shape ({features},), one value per feature of x (its "
            f"last axis has {features}), got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"batch_norm: {name} must hold floating-point numbers, got {array.dtype}")
    return array
