"""Checks of the batch-normalization exercise: the training-mode forward pass and its backward
pass, on inputs ``x (batch, features)``.

The references are dlcore's own numpy versions (``dlcore.kernels.batch_norm``), whose
gradients the tests compare with finite differences. Upstream gradients are random: with
all-ones ``g`` the gradient with respect to ``x`` is zero whatever the mistake, since the
normalised outputs of a feature always sum to zero.
"""

from __future__ import annotations

import numpy as np

from dlcore.exercises.feedback import Case, check_function, difference
from dlcore.kernels.batch_norm import batch_norm_backward_reference, batch_norm_forward_reference

RTOL, ATOL = 1e-6, 1e-9


def reference_forward(x, gamma, beta, epsilon=1e-3):
    """dlcore's training-mode batch normalization (the moving statistics play no part here)."""
    features = x.shape[-1]
    y, _, _ = batch_norm_forward_reference(x, gamma, beta, np.zeros(features),
                                           np.ones(features), True, 0.99, epsilon)
    return y


def reference_backward(g, x, gamma, epsilon=1e-3):
    """dlcore's ``(dx, dgamma, dbeta)`` of training-mode batch normalization."""
    return batch_norm_backward_reference(x, g, gamma, None, None, True, epsilon)


def _matches(received, variant) -> bool:
    return difference(received, variant, RTOL, ATOL) is None


def _inputs(rng, batch, features, scale=1.0, shift=0.0):
    """x with a different mean and spread per feature, and gamma (some negative), beta."""
    x = shift + scale * rng.uniform(0.5, 3.0, features) * rng.standard_normal((batch, features))
    return x, rng.uniform(-2.0, 2.0, features), rng.standard_normal(features)


def _forward_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    x, gamma, beta = _inputs(rng, 8, 5)
    x_small, gamma_small, beta_small = _inputs(rng, 6, 3, scale=0.01)
    x_large, gamma_large, beta_large = _inputs(rng, 16, 4, scale=50.0, shift=1000.0)
    x_one, gamma_one, beta_one = _inputs(rng, 1, 4)
    return [
        Case("a batch of 8 samples with 5 features", (x, gamma, beta)),
        Case("features that barely vary (variance about 1e-4: epsilon matters)",
             (x_small, gamma_small, beta_small)),
        Case("large values around 1000, epsilon=1e-5", (x_large, gamma_large, beta_large),
             {"epsilon": 1e-5}),
        Case("a batch of 1 (each feature has variance 0, so y = beta)",
             (x_one, gamma_one, beta_one)),
    ]


def _with_statistics(x, gamma, beta, epsilon, mean, variance, eps_inside=True):
    spread = np.sqrt(variance + epsilon) if eps_inside else np.sqrt(variance) + epsilon
    return gamma * (x - mean) / spread + beta


def _unbiased_variance(received, expected, case):
    x, gamma, beta = case.args
    if len(x) < 2:
        return None
    variant = _with_statistics(x, gamma, beta, case.kwargs.get("epsilon", 1e-3), x.mean(axis=0),
                               x.var(axis=0, ddof=1))
    if _matches(received, variant):
        return ("your variance divides by n - 1 (np.var(..., ddof=1), or np.std with ddof=1). "
                "Batch normalization uses the biased variance of the batch, the mean of "
                "(x - mean)**2: divide by n, which is what x.var(axis=0) does.")
    return None


def _epsilon_outside(received, expected, case):
    x, gamma, beta = case.args
    variant = _with_statistics(x, gamma, beta, case.kwargs.get("epsilon", 1e-3), x.mean(axis=0),
                               x.var(axis=0), eps_inside=False)
    if _matches(received, variant):
        return ("epsilon is added after the square root, sqrt(var) + eps. It belongs inside: "
                "sqrt(var + eps). The difference is largest for features that barely vary.")
    return None


def _wrong_axis(received, expected, case):
    x, gamma, beta = case.args
    epsilon = case.kwargs.get("epsilon", 1e-3)
    mean, variance = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    if _matches(received, _with_statistics(x, gamma, beta, epsilon, mean, variance)):
        return ("the mean and variance were taken over the features of each sample (axis 1). "
                "Batch normalization normalises each feature over the batch: use axis=0.")
    return None


def _no_scale_and_shift(received, expected, case):
    x, gamma, beta = case.args
    ones, zeros = np.ones_like(gamma), np.zeros_like(beta)
    if _matches(received, reference_forward(x, ones, zeros, **case.kwargs)):
        return "x_hat is right; now scale it by gamma and shift it by beta: gamma * x_hat + beta."
    return None


def check_batch_norm_forward(batch_norm_forward) -> None:
    """y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch's mean and biased var."""
    check_function("batch_norm_forward", batch_norm_forward, reference_forward, _forward_cases(),
                   rtol=RTOL, atol=ATOL,
                   hints=[_unbiased_variance, _epsilon_outside, _wrong_axis, _no_scale_and_shift])


def _backward_cases() -> list[Case]:
    rng = np.random.default_rng(8)
    cases = []
    for label, batch, features, scale in [
        ("a batch of 8 samples with 5 features", 8, 5, 1.0),
        ("a batch of 2 samples with 3 features", 2, 3, 1.0),
        ("features that barely vary (variance about 1e-4)", 6, 3, 0.01),
        ("a batch of 64 samples with a single feature", 64, 1, 1.0),
    ]:
        x, gamma, _ = _inputs(rng, batch, features, scale=scale)
        g = rng.standard_normal((batch, features))
        cases.append(Case(label, (g, x, gamma)))
    return cases


def _three(received) -> bool:
    return isinstance(received, tuple | list) and len(received) == 3


def _parameter_gradients_not_summed(received, expected, case):
    g = case.args[0]
    if _three(received) and any(np.shape(part) == g.shape for part in received[1:]):
        return ("dgamma and dbeta must have one value per feature, shape (features,). gamma "
                "and beta are shared by every sample of the batch, so their gradients add up "
                "the contributions of all samples: sum over axis 0.")
    return None


def _dx_without_correction(received, expected, case):
    g, x, gamma = case.args
    inverse_std = 1.0 / np.sqrt(x.var(axis=0) + case.kwargs.get("epsilon", 1e-3))
    if _three(received) and _matches(received[0], gamma * inverse_std * g):
        return ("dx = gamma * g / sqrt(var + eps) treats the mean and the variance as constants. "
                "In training they are computed from x, so every x also moves them: "
                "dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat)), "
                "means over the batch.")
    return None


def check_batch_norm_backward(batch_norm_backward) -> None:
    """``(dx, dgamma, dbeta)`` of the training-mode forward pass."""
    check_function("batch_norm_backward", batch_norm_backward, reference_backward,
                   _backward_cases(), rtol=RTOL, atol=ATOL,
                   hints=[_parameter_gradients_not_summed, _dx_without_correction])
