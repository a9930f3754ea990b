"""dropout: the keep-mask statistics, seeding, gradients, the kernel against the numpy
reference, the scaling convention against PyTorch, dtypes and bad arguments."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.normalization import DropoutFunction, dropout
from dlcore.kernels import dropout as kernels
from dlcore.random import seed
from dlcore.tensor import apply


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_kept_fraction_is_near_one_minus_rate_and_the_mean_is_preserved(rate):
    seed(0)
    y = dropout(np.ones((1000, 1000), dtype=np.float32), rate, True).data
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 3e-3  # about 5 standard deviations
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 1e-2


def test_the_same_seed_gives_the_same_mask_and_another_seed_another():
    x = np.ones((50, 40))
    seed(7)
    first = dropout(x, 0.5, True).data
    seed(7)
    again = dropout(x, 0.5, True).data
    seed(8)
    other = dropout(x, 0.5, True).data
    np.testing.assert_array_equal(first, again)
    assert np.any(first != other)


@pytest.mark.parametrize("rate", [0.2, 0.6])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 3, 2)], ids=str)
def test_gradcheck_with_a_fixed_mask(shape, rate):
    def fn(x):
        seed(3)  # every evaluation draws the same mask
        return dropout(x, rate, True)

    x = np.random.default_rng(1).standard_normal(shape)
    assert dl.gradcheck(fn, x)


def test_backward_uses_the_forward_mask():
    seed(4)
    x = dl.tensor(np.random.default_rng(2).standard_normal((30, 20)), requires_grad=True)
    y = dropout(x, 0.3, True)
    g = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(g)
    keep = y.data != 0
    np.testing.assert_allclose(x.grad, np.where(keep, g / 0.7, 0.0), rtol=1e-12)


@pytest.mark.parametrize(("rate", "training"), [(0.5, False), (0.0, True)])
def test_identity_when_not_training_or_rate_zero_and_still_differentiable(rate, training):
    x = dl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = dropout(x, rate, training)
    assert y is x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_matches_the_numpy_reference(dtype):
    rng = np.random.default_rng(5)
    values = rng.standard_normal((4, 5, 6)).astype(dtype)
    keep = rng.random((4, 5, 6)) >= 0.4
    result = kernels.dropout_apply_mask(values, keep, 1 / 0.6)
    assert result.dtype == dtype
    np.testing.assert_array_equal(
        result, kernels.dropout_apply_mask_reference(values, keep, 1 / 0.6)
    )


def test_float32_in_float32_out_and_float32_gradient():
    x = dl.tensor(np.ones((8, 8)), requires_grad=True, dtype="float32")
    y = dropout(x, 0.5, True)
    y.backward(np.ones((8, 8), dtype=np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaling_matches_torch_on_torchs_own_mask(torch, dtype):
    """Given the units PyTorch kept, the values and gradients are PyTorch's."""
    rng = np.random.default_rng(6)
    x = rng.uniform(0.5, 1.5, (16, 12)).astype(dtype)  # never zero, so zeros mark dropped units
    g = rng.standard_normal((16, 12)).astype(dtype)
    theirs = torch.tensor(x, requires_grad=True)
    torch.manual_seed(0)
    y_torch = torch.nn.functional.dropout(theirs, p=0.3, training=True)
    y_torch.backward(torch.tensor(g))
    keep = y_torch.detach().numpy() != 0
    ours = dl.tensor(x, requires_grad=True, dtype=dtype)
    y = apply(DropoutFunction, ours, keep=keep, scale=1 / (1 - 0.3))
    y.backward(g)
    tolerance = dict(rtol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(y.data, y_torch.detach().numpy(), **tolerance)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tolerance)


@pytest.mark.parametrize(
    ("rate", "training", "error", "match"),
    [
        (1.0, True, ValueError, r"0 <= rate < 1.*got 1.0"),
        (-0.1, True, ValueError, r"0 <= rate < 1.*got -0.1"),
        (1.5, False, ValueError, r"0 <= rate < 1.*got 1.5"),
        (float("nan"), True, ValueError, r"0 <= rate < 1.*got nan"),
        ("0.5", True, TypeError, r"rate must be a number in \[0, 1\), got '0.5'"),
        (0.5, None, TypeError, r"training must be True or False, got None"),
    ],
    ids=["one", "negative", "above-one-in-inference", "nan", "string", "training-flag"],
)
def test_bad_arguments_raise_clear_errors(rate, training, error, match):
    with pytest.raises(error, match=rf"dropout.*{match}"):
        dropout(np.ones(3), rate, training)
