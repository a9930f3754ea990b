"""Batch normalization over every axis but the last: compiled loops and numpy references.

Shapes: ``x`` of any rank >= 2 is seen as a matrix ``(M, C)``: ``C`` features (the last
axis, e.g. the channels of an NHWC image) and ``M`` samples of each (all other axes).
``gamma``, ``beta``, ``mean``, ``var`` are ``(C,)``.

Forward, with ``mean`` and ``var`` the batch statistics (training) or the moving ones
(inference)::

    x_hat = (x - mean) / sqrt(var + eps)
    y     = gamma * x_hat + beta

Training uses the batch mean and the biased batch variance of each feature::

    mean = (1/M) sum_m x[m],    var = (1/M) sum_m (x[m] - mean)**2

and updates the moving statistics in place (Keras convention, ``momentum`` near 1)::

    moving_mean     = momentum * moving_mean     + (1 - momentum) * mean
    moving_variance = momentum * moving_variance + (1 - momentum) * var

Backward, with ``g = dL/dy`` and sums over the ``M`` samples of each feature::

    dL/dbeta  = sum g
    dL/dgamma = sum g * x_hat
    dL/dx     = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat))   (training)
    dL/dx     = gamma / sqrt(var + eps) * g                                         (inference)

In training ``mean`` and ``var`` depend on ``x``, which gives the two correction terms;
in inference they are constants. Statistics and intermediate values are computed in float64
and the results stored in the input's dtype.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _normalize(x, gamma, beta, mean, inv_std, y):
    """y = (x - mean) * (gamma * inv_std) + beta, one feature per column."""
    scale = gamma * inv_std
    for m in range(x.shape[0]):
        for c in range(x.shape[1]):
            y[m, c] = (x[m, c] - mean[c]) * scale[c] + beta[c]


@jit
def _batch_norm_train_forward_loop(x, gamma, beta, moving_mean, moving_var, momentum, eps, y):
    rows, features = x.shape
    mean = np.zeros(features)
    for m in range(rows):
        for c in range(features):
            mean[c] += x[m, c]
    mean /= rows
    var = np.zeros(features)
    for m in range(rows):
        for c in range(features):
            centred = x[m, c] - mean[c]
            var[c] += centred * centred
    var /= rows
    inv_std = 1.0 / np.sqrt(var + eps)
    _normalize(x, gamma, beta, mean, inv_std, y)
    for c in range(features):
        moving_mean[c] = momentum * moving_mean[c] + (1.0 - momentum) * mean[c]
        moving_var[c] = momentum * moving_var[c] + (1.0 - momentum) * var[c]
    return mean, inv_std


@jit
def _batch_norm_inference_forward_loop(x, gamma, beta, moving_mean, moving_var, eps, y):
    mean = moving_mean.astype(np.float64)
    inv_std = 1.0 / np.sqrt(moving_var.astype(np.float64) + eps)
    _normalize(x, gamma, beta, mean, inv_std, y)
    return mean, inv_std


@jit
def _batch_norm_backward_loop(x, g, mean, inv_std, gamma, batch_statistics, dx):
    rows, features = x.shape
    sum_g = np.zeros(features)
    sum_g_centred = np.zeros(features)
    for m in range(rows):
        for c in range(features):
            sum_g[c] += g[m, c]
            sum_g_centred[c] += g[m, c] * (x[m, c] - mean[c])
    dgamma = sum_g_centred * inv_std
    scale = gamma * inv_std
    if batch_statistics:
        mean_g = sum_g / rows
        centred_weight = dgamma * inv_std / rows
    else:
        mean_g = np.zeros(features)
        centred_weight = np.zeros(features)
    for m in range(dx.shape[0]):
        for c in range(features):
            correction = mean_g[c] + (x[m, c] - mean[c]) * centred_weight[c]
            dx[m, c] = scale[c] * (g[m, c] - correction)
    return dgamma, sum_g


# ----- entry points ---------------------------------------------------------------------------


def batch_norm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    moving_mean: np.ndarray,
    moving_var: np.ndarray,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalise ``x`` (..., C) -> ``(y, mean, inv_std)``, the latter two float64 ``(C,)``.

    ``training=True``: batch statistics, and ``moving_mean`` / ``moving_var`` are updated in
    place. ``training=False``: the moving statistics, left unchanged.
    """
    x2d = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    y = empty_aligned(x.shape, x.dtype)
    y2d = y.reshape(x2d.shape)
    if training:
        mean, inv_std = _batch_norm_train_forward_loop(
            x2d, gamma, beta, moving_mean, moving_var, momentum, eps, y2d
        )
    else:
        mean, inv_std = _batch_norm_inference_forward_loop(
            x2d, gamma, beta, moving_mean, moving_var, eps, y2d
        )
    return y, mean, inv_std


def batch_norm_backward(
    x: np.ndarray,
    g: np.ndarray,
    mean: np.ndarray,
    inv_std: np.ndarray,
    gamma: np.ndarray,
    training: bool,
    need_dx: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """``(dx, dgamma, dbeta)`` from the upstream gradient ``g``; ``dx`` is None unless needed.

    ``mean`` and ``inv_std`` are the ones the forward pass used; ``training`` says whether
    they were batch statistics (which adds the two correction terms to ``dx``).
    """
    features = x.shape[-1]
    x2d = np.ascontiguousarray(x).reshape(-1, features)
    g2d = np.ascontiguousarray(g).reshape(-1, features)
    dx = empty_aligned(x.shape if need_dx else (0, features), x.dtype)
    dgamma, dbeta = _batch_norm_backward_loop(
        x2d, g2d, mean, inv_std, gamma, training, dx.reshape(-1, features)
    )
    return (dx if need_dx else None), dgamma.astype(gamma.dtype), dbeta.astype(gamma.dtype)


# ----- numpy references -----------------------------------------------------------------------


def batch_norm_forward_reference(x, gamma, beta, moving_mean, moving_var, training, momentum, eps):
    """Plain numpy batch normalization; returns ``(y, new_moving_mean, new_moving_var)``."""
    axes = tuple(range(x.ndim - 1))
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = momentum * moving_mean + (1 - momentum) * mean
        moving_var = momentum * moving_var + (1 - momentum) * var
    else:
        mean, var = moving_mean, moving_var
    y = gamma * (x - mean) / np.sqrt(var + eps) + beta
    return y.astype(x.dtype), moving_mean, moving_var


def batch_norm_backward_reference(x, g, gamma, moving_mean, moving_var, training, eps):
    """Plain numpy gradients ``(dx, dgamma, dbeta)`` of batch normalization."""
    axes = tuple(range(x.ndim - 1))
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = moving_mean, moving_var
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    dgamma, dbeta = (g * x_hat).sum(axis=axes), g.sum(axis=axes)
    if training:
        g = g - g.mean(axis=axes) - x_hat * (g * x_hat).mean(axis=axes)
    return gamma * inv_std * g, dgamma, dbeta
