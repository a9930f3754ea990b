"""batch_norm: gradients in both modes, kernels against the numpy references, moving
statistics, PyTorch parity, dtypes and bad arguments."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.normalization import batch_norm
from dlcore.kernels import batch_norm as kernels
from tests.oracles import assert_backward_matches_torch

SHAPES = [(6, 4), (2, 3, 3, 2)]  # (batch, features) and NHWC
MOMENTUM, EPSILON = 0.9, 1e-3


def sample(shape, seed=0, dtype=np.float64):
    """x with a non-zero mean, and gamma, beta, moving mean and variance for its features."""
    rng = np.random.default_rng(seed)
    features = shape[-1]
    x = 1.5 * rng.standard_normal(shape) + 0.7
    gamma, beta = rng.uniform(0.5, 2.0, features), rng.standard_normal(features)
    moving_mean, moving_var = rng.standard_normal(features), rng.uniform(0.5, 2.0, features)
    return [a.astype(dtype) for a in (x, gamma, beta, moving_mean, moving_var)]


# ----- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradcheck(shape, training):
    x, gamma, beta, moving_mean, moving_var = sample(shape)

    def fn(x, gamma, beta):
        return batch_norm(x, gamma, beta, moving_mean, moving_var, training, MOMENTUM, EPSILON)

    assert dl.gradcheck(fn, x, gamma, beta)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_gradcheck_without_gamma_and_beta(training):
    x, _, _, moving_mean, moving_var = sample((5, 3))
    assert dl.gradcheck(lambda x: batch_norm(x, None, None, moving_mean, moving_var, training), x)


def test_only_the_gradients_asked_for_are_computed():
    x, gamma, beta, moving_mean, moving_var = sample((6, 4))
    gamma_tensor = dl.tensor(gamma, requires_grad=True)
    y = batch_norm(x, gamma_tensor, beta, moving_mean, moving_var, True)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    _, dgamma, _ = kernels.batch_norm_backward_reference(
        x, g, gamma, moving_mean, moving_var, True, EPSILON
    )
    np.testing.assert_allclose(gamma_tensor.grad, dgamma, rtol=1e-12)


# ----- kernels against the numpy references --------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5, 6)], ids=str)
def test_kernels_match_the_numpy_references(shape, training, dtype):
    x, gamma, beta, moving_mean, moving_var = sample(shape, seed=2, dtype=dtype)
    g = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    expected_y, expected_mean, expected_var = kernels.batch_norm_forward_reference(
        x, gamma, beta, moving_mean, moving_var, training, MOMENTUM, EPSILON
    )
    expected_grads = kernels.batch_norm_backward_reference(
        x, g, gamma, moving_mean, moving_var, training, EPSILON
    )
    y, mean, inv_std = kernels.batch_norm_forward(
        x, gamma, beta, moving_mean, moving_var, training, MOMENTUM, EPSILON
    )
    grads = kernels.batch_norm_backward(x, g, mean, inv_std, gamma, training)
    tolerance = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-12)
    assert y.dtype == dtype and all(grad.dtype == dtype for grad in grads)
    np.testing.assert_allclose(y, expected_y, **tolerance)
    np.testing.assert_allclose(moving_mean, expected_mean, **tolerance)
    np.testing.assert_allclose(moving_var, expected_var, **tolerance)
    for grad, expected in zip(grads, expected_grads, strict=True):
        np.testing.assert_allclose(grad, expected, **tolerance)


# ----- moving statistics ----------------------------------------------------------------------


def test_training_updates_the_given_arrays_in_place_with_the_biased_variance():
    x, gamma, beta, moving_mean, moving_var = sample((2, 3, 3, 2))
    old_mean, old_var = moving_mean.copy(), moving_var.copy()
    mean_tensor = dl.tensor(moving_mean)
    y = batch_norm(x, gamma, beta, mean_tensor, moving_var, True, momentum=0.99)
    batch_mean = x.mean(axis=(0, 1, 2))
    batch_var = ((x - batch_mean) ** 2).mean(axis=(0, 1, 2))
    np.testing.assert_allclose(mean_tensor.data, 0.99 * old_mean + 0.01 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(moving_var, 0.99 * old_var + 0.01 * batch_var, rtol=1e-12)
    normalised = (y.data - beta) / gamma
    np.testing.assert_allclose(normalised.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(normalised.var(axis=(0, 1, 2)), batch_var / (batch_var + 1e-3))


def test_inference_uses_the_moving_statistics_and_leaves_them_alone():
    x, gamma, beta, moving_mean, moving_var = sample((4, 3))
    old_mean, old_var = moving_mean.copy(), moving_var.copy()
    y = batch_norm(x, gamma, beta, moving_mean, moving_var, False)
    expected = gamma * (x - old_mean) / np.sqrt(old_var + 1e-3) + beta
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    np.testing.assert_array_equal(moving_mean, old_mean)
    np.testing.assert_array_equal(moving_var, old_var)


# ----- PyTorch parity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "tolerance"),
    [(np.float64, dict(rtol=1e-10, atol=1e-12)), (np.float32, dict(rtol=1e-4, atol=1e-5))],
    ids=["float64", "float32"],
)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("shape", [(8, 5), (2, 3, 4, 3)], ids=str)
def test_values_gradients_and_moving_mean_match_torch(torch, shape, training, dtype, tolerance):
    x, gamma, beta, moving_mean, moving_var = sample(shape, seed=4, dtype=dtype)
    ours = [dl.tensor(a, requires_grad=True, dtype=dtype) for a in (x, gamma, beta)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    running_mean, running_var = torch.tensor(moving_mean), torch.tensor(moving_var)
    y = batch_norm(*ours, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3)
    to_torch_layout = (0, 3, 1, 2) if len(shape) == 4 else (0, 1)
    y_torch = torch.nn.functional.batch_norm(
        theirs[0].permute(*to_torch_layout), running_mean, running_var, theirs[1], theirs[2],
        training=training, momentum=0.01, eps=1e-3,
    )
    y_torch = y_torch.permute(0, 2, 3, 1) if len(shape) == 4 else y_torch
    g = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    assert_backward_matches_torch(torch, y, y_torch, g, ours, theirs, dtype, tolerance)
    np.testing.assert_allclose(moving_mean, running_mean.numpy(), **tolerance)


# ----- dtypes and bad arguments ----------------------------------------------------------------


def test_float32_in_float32_out_and_float32_gradients():
    x, gamma, beta, moving_mean, moving_var = sample((4, 3), dtype=np.float32)
    tensors = [dl.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    y = batch_norm(*tensors, moving_mean, moving_var, True)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and moving_mean.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in tensors)


def call_with(**changes):
    x, gamma, beta, moving_mean, moving_var = sample((4, 3))
    arguments = dict(x=x, gamma=gamma, beta=beta, moving_mean=moving_mean,
                     moving_variance=moving_var, training=True)
    arguments.update(changes)
    return batch_norm(**arguments)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        (dict(x=np.zeros(3)), ValueError, r"rank >= 2\), got shape \(3,\)"),
        (dict(gamma=np.ones(4)), ValueError, r"gamma must have shape \(3,\).*got shape \(4,\)"),
        (dict(beta=np.ones((1, 3))), ValueError, r"beta must have shape \(3,\).*\(1, 3\)"),
        (dict(moving_mean=np.zeros(2)), ValueError,
         r"moving_mean must have shape \(3,\).*got shape \(2,\)"),
        (dict(moving_variance=np.ones(5), training=False), ValueError,
         r"moving_variance must have shape \(3,\).*got shape \(5,\)"),
        (dict(moving_mean=[0.0, 0.0, 0.0]), TypeError, r"moving_mean must be a writable numpy"),
        (dict(momentum=1.5), ValueError, r"momentum must be in \[0, 1\], got 1.5"),
        (dict(epsilon=0.0), ValueError, r"epsilon must be positive, got 0.0"),
        (dict(training="yes"), TypeError, r"training must be True or False, got 'yes'"),
    ],
    ids=["rank", "gamma", "beta", "moving-mean", "moving-variance", "list-in-training",
         "momentum", "epsilon", "training-flag"],
)
def test_bad_arguments_raise_clear_errors(changes, error, match):
    with pytest.raises(error, match=rf"batch_norm.*{match}"):
        call_with(**changes)
