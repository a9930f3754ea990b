"""linear (the Dense op): gradients, the numpy formula, PyTorch parity, skipped gradients,
dtypes and bad arguments."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.linear import linear

GRID = [
    pytest.param(x_shape, units, use_bias, id=f"x{x_shape}-units{units}-bias{use_bias}")
    for x_shape in [(4,), (3, 4), (2, 3, 4)]
    for units in [1, 5]
    for use_bias in [True, False]
]


def random_values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def arrays(x_shape, units, use_bias):
    x = random_values(x_shape)
    kernel = random_values((x_shape[-1], units), seed=1)
    bias = random_values(units, seed=2) if use_bias else None
    return x, kernel, bias


@pytest.mark.parametrize(("x_shape", "units", "use_bias"), GRID)
def test_gradcheck(x_shape, units, use_bias):
    x, kernel, bias = arrays(x_shape, units, use_bias)
    if use_bias:
        assert dl.gradcheck(linear, x, kernel, bias)
    else:
        assert dl.gradcheck(lambda a, k: linear(a, k), x, kernel)


@pytest.mark.parametrize(("x_shape", "units", "use_bias"), GRID)
def test_matches_the_numpy_formula(x_shape, units, use_bias):
    x, kernel, bias = arrays(x_shape, units, use_bias)
    expected = x @ kernel + (0 if bias is None else bias)
    y = linear(x, kernel, bias)
    assert y.shape == (*x_shape[:-1], units)
    np.testing.assert_allclose(y.data, expected, rtol=1e-13, atol=1e-13)


def assert_matches_torch(torch, x, kernel, bias, g, tolerance):
    """Values and gradients of linear against F.linear, whose weight is the kernel transposed."""
    ours = [dl.tensor(a, requires_grad=True) for a in (x, kernel, bias) if a is not None]
    theirs = [torch.tensor(a, requires_grad=True)
              for a in (x, kernel.T.copy(), bias) if a is not None]
    y = linear(*ours)
    y.backward(g)
    expected = torch.nn.functional.linear(*theirs)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), **tolerance)
    their_grads = [t.grad.numpy() for t in theirs]
    their_grads[1] = their_grads[1].T
    for mine, reference in zip(ours, their_grads, strict=True):
        np.testing.assert_allclose(mine.grad, reference, **tolerance)


@pytest.mark.parametrize(("x_shape", "units", "use_bias"), GRID)
def test_values_and_gradients_match_torch(torch, x_shape, units, use_bias):
    x, kernel, bias = arrays(x_shape, units, use_bias)
    g = random_values((*x_shape[:-1], units), seed=3)
    assert_matches_torch(torch, x, kernel, bias, g, dict(rtol=1e-12, atol=1e-13))


def test_float32_matches_torch(torch):
    x, kernel, bias = (a.astype(np.float32) for a in arrays((16, 32), 8, True))
    g = random_values((16, 8), seed=3).astype(np.float32)
    assert_matches_torch(torch, x, kernel, bias, g, dict(rtol=1e-5, atol=1e-5))


def test_float32_in_float32_out_and_float32_gradients():
    x, kernel, bias = (a.astype(np.float32) for a in arrays((3, 4), 2, True))
    params = [dl.tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = linear(*params)
    assert y.dtype == np.float32
    y.backward(np.ones((3, 2), dtype=np.float32))
    assert all(p.grad.dtype == np.float32 for p in params)


def test_only_the_requested_gradients_are_computed():
    x, kernel, bias = arrays((3, 4), 2, True)
    frozen_x, weights = dl.tensor(x), dl.tensor(kernel, requires_grad=True)
    frozen_bias = dl.tensor(bias)
    linear(frozen_x, weights, frozen_bias).backward(np.ones((3, 2)))
    assert frozen_x.grad is None and frozen_bias.grad is None
    np.testing.assert_allclose(weights.grad, x.T @ np.ones((3, 2)))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: linear(np.zeros((2, 5)), np.zeros((4, 3))),
            r"linear: .*input_dim 4, got x of shape \(2, 5\) and kernel of shape \(4, 3\); "
            r"give the kernel 5 rows",
        ),
        (
            lambda: linear(np.zeros((2, 28, 28)), np.zeros((784, 10))),
            r"linear: .*shape \(2, 28, 28\) and kernel of shape \(784, 10\); flatten it first "
            r"\(a Flatten layer, or x.reshape\(batch, -1\)\)",
        ),
        (lambda: linear(np.float64(1.0), np.zeros((4, 3))), r"got x of shape \(\)"),
        (lambda: linear(np.zeros((2, 4)), np.zeros(4)), r"kernel of shape \(input_dim, units\)"),
        (
            lambda: linear(np.zeros((2, 4)), np.zeros((4, 3)), np.zeros(4)),
            r"bias of shape \(3,\) .* got shape \(4,\)",
        ),
    ],
)
def test_bad_shapes_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integer_kernel_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="linear expects a floating-point kernel, got dtype int64"):
        linear(np.zeros((2, 4)), dl.tensor(np.zeros((4, 3)), dtype="int64"))
