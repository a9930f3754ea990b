"""The batch-normalization exercise's checks: correct answers pass, each common mistake is
caught with its hint, unfinished functions are "not done yet", and the reference gradients
agree with finite differences."""

import numpy as np
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.backprop import numerical_gradient
from dlcore.exercises.checks.batch_norm import (
    check_batch_norm_backward,
    check_batch_norm_forward,
    reference_backward,
    reference_forward,
)


def batch_norm_forward(x, gamma, beta, epsilon=1e-3):
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon)
    return gamma * x_hat + beta


def batch_norm_backward(g, x, gamma, epsilon=1e-3):
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon)
    dgamma, dbeta = (g * x_hat).sum(axis=0), g.sum(axis=0)
    dx = gamma / np.sqrt(x.var(axis=0) + epsilon) * (
        g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


def unfinished(*args, **kwargs):
    raise NotImplementedError()


def test_correct_answers_pass(capsys):
    check_batch_norm_forward(batch_norm_forward)
    check_batch_norm_backward(batch_norm_backward)
    output = capsys.readouterr().out
    assert "✓ batch_norm_forward" in output and "✓ batch_norm_backward" in output


def test_the_reference_gradients_agree_with_finite_differences():
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)
    g = rng.standard_normal((5, 3))
    dx, dgamma, dbeta = reference_backward(g, x, gamma)
    numeric = [numerical_gradient(lambda v: reference_forward(v, gamma, beta), x, g),
               numerical_gradient(lambda v: reference_forward(x, v, beta), gamma, g),
               numerical_gradient(lambda v: reference_forward(x, gamma, v), beta, g)]
    for analytic, estimate in zip((dx, dgamma, dbeta), numeric, strict=True):
        np.testing.assert_allclose(analytic, estimate, rtol=1e-5, atol=1e-8)


def unbiased_variance(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + epsilon) + beta


def epsilon_outside(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(axis=0)) / (x.std(axis=0) + epsilon) + beta


def per_sample(x, gamma, beta, epsilon=1e-3):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def no_scale_and_shift(x, gamma, beta, epsilon=1e-3):
    return (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon)


@pytest.mark.parametrize(("wrong", "hint"), [
    (unbiased_variance, "your variance divides by n - 1"),
    (epsilon_outside, r"epsilon is added after the square root"),
    (per_sample, "normalises each feature over the batch: use axis=0"),
    (no_scale_and_shift, "scale it by gamma and shift it by beta"),
])
def test_forward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_batch_norm_forward(wrong)


def not_summed(g, x, gamma, epsilon=1e-3):
    dx, _, _ = batch_norm_backward(g, x, gamma, epsilon)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon)
    return dx, g * x_hat, g


def without_correction(g, x, gamma, epsilon=1e-3):
    _, dgamma, dbeta = batch_norm_backward(g, x, gamma, epsilon)
    return gamma * g / np.sqrt(x.var(axis=0) + epsilon), dgamma, dbeta


@pytest.mark.parametrize(("wrong", "hint"), [
    (not_summed, "dgamma and dbeta must have one value per feature"),
    (without_correction, "treats the mean and the variance as constants"),
])
def test_backward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_batch_norm_backward(wrong)


@pytest.mark.parametrize("check", [check_batch_norm_forward, check_batch_norm_backward])
def test_unfinished_functions_are_not_done_yet(check):
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
