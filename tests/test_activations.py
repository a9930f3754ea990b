"""relu, sigmoid, tanh, softmax, log_softmax and softmax_cross_entropy: gradients, kernels
against the numpy references, PyTorch parity, dtypes, extreme logits and bad arguments."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.activations import (
    log_softmax,
    relu,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    tanh,
)
from dlcore.kernels import activations as activation_kernels
from dlcore.kernels import softmax as kernels

ELEMENTWISE = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
ALONG_AXIS = {"softmax": softmax, "log_softmax": log_softmax}
AXIS_GRID = [
    pytest.param(shape, axis, id=f"{shape}-axis{axis}")
    for shape, axes in [((6,), [0, -1]), ((3, 4), [0, 1, -1]), ((2, 3, 4), [0, 1, 2, -2])]
    for axis in axes
]
CE_SHAPES = [(1, 1), (3, 2), (4, 5), (6, 10), (3, 33)]
EXTREME_LOGITS = [
    [1e4, -1e4, 0.0],
    [-1e4, -1e4, -1e4],
    [1e4, 1e4, 1e4],
    [2.5, 2.5, 2.5],
    [-1e4, 1e4, 1e4],
]


def random_values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def random_labels(batch, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, batch)


def away_from_zero(shape, seed=0):
    x = random_values(shape, seed)
    return np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + 0.1)


# ----- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_gradcheck_elementwise(op):
    assert dl.gradcheck(ELEMENTWISE[op], away_from_zero((3, 4)))


@pytest.mark.parametrize(("shape", "axis"), AXIS_GRID)
@pytest.mark.parametrize("op", ALONG_AXIS)
def test_gradcheck_along_axis(op, shape, axis):
    assert dl.gradcheck(lambda x: ALONG_AXIS[op](x, axis=axis), random_values(shape))


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_gradcheck_softmax_cross_entropy(shape):
    labels = random_labels(*shape)
    assert dl.gradcheck(lambda z: softmax_cross_entropy(z, labels), random_values(shape))


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot():
    logits = dl.tensor(np.log([[1.0, 2.0, 5.0], [4.0, 4.0, 2.0]]), requires_grad=True)
    softmax_cross_entropy(logits, np.array([2, 0])).backward(np.array([1.0, 2.0]))
    expected = [[0.125, 0.25, 0.625 - 1.0], [2 * (0.4 - 1.0), 0.8, 0.4]]
    np.testing.assert_allclose(logits.grad, expected, rtol=1e-6, atol=1e-7)


# ----- compiled kernels against the numpy references ------------------------------------------


KERNEL_SHAPES = [(5,), (4, 7), (2, 3, 5), (3, 1), (2, 16), (3, 37), (2, 50)]


def tolerance_for(dtype):
    return 1e-6 if dtype == np.float32 else 1e-13


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", KERNEL_SHAPES, ids=str)
def test_softmax_kernels_match_the_numpy_references(shape, dtype):
    z = (random_values(shape) * 3).astype(dtype)
    g = random_values(shape, seed=1).astype(dtype)
    tol = tolerance_for(dtype)
    s = kernels.softmax_forward(z)
    assert s.dtype == dtype and s.shape == shape
    np.testing.assert_allclose(s, kernels.softmax_forward_reference(z), rtol=tol, atol=tol)
    dz = kernels.softmax_backward(s, g)
    assert dz.dtype == dtype
    np.testing.assert_allclose(dz, kernels.softmax_backward_reference(s, g), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", KERNEL_SHAPES, ids=str)
def test_log_softmax_kernels_match_the_numpy_references(shape, dtype):
    z = (random_values(shape) * 3).astype(dtype)
    g = random_values(shape, seed=1).astype(dtype)
    tol = tolerance_for(dtype)
    y, s = kernels.log_softmax_forward(z)
    assert y.dtype == s.dtype == dtype and y.shape == s.shape == shape
    np.testing.assert_allclose(y, kernels.log_softmax_forward_reference(z), rtol=tol, atol=tol)
    np.testing.assert_allclose(s, kernels.softmax_forward_reference(z), rtol=tol, atol=tol)
    dz = kernels.log_softmax_backward(s, g)
    assert dz.dtype == dtype
    np.testing.assert_allclose(dz, kernels.log_softmax_backward_reference(s, g), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", KERNEL_SHAPES, ids=str)
def test_relu_kernels_match_the_numpy_references(shape, dtype):
    x = random_values(shape).astype(dtype)
    x.flat[::3] = 0.0  # the kink: output 0, gradient 0
    g = random_values(shape, seed=1).astype(dtype)
    y = activation_kernels.relu_forward(x)
    assert y.dtype == dtype and y.shape == shape
    np.testing.assert_array_equal(y, activation_kernels.relu_forward_reference(x))
    dx = activation_kernels.relu_backward(y, g)
    assert dx.dtype == dtype and dx.shape == shape
    np.testing.assert_array_equal(dx, activation_kernels.relu_backward_reference(y, g))
    np.testing.assert_array_equal(dx, np.where(x > 0, g, 0))


def test_relu_kernels_accept_non_contiguous_arrays():
    x = random_values((6, 8))
    g = random_values((6, 8), seed=1)
    y = activation_kernels.relu_forward(x.T)
    np.testing.assert_array_equal(y, np.maximum(x.T, 0))
    dx = activation_kernels.relu_backward(y, g.T)
    np.testing.assert_array_equal(dx, np.where(x.T > 0, g.T, 0))


@pytest.mark.parametrize("classes", [1, 15, 16, 17, 40])
def test_the_row_maximum_is_found_wherever_it_sits(classes):
    z = np.tile(np.linspace(-1.0, 0.0, classes), (classes, 1))
    z[np.arange(classes), np.arange(classes)] = 30.0  # row n: its maximum at position n
    s = kernels.softmax_forward(z)
    np.testing.assert_allclose(s, kernels.softmax_forward_reference(z), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.diag(s), 1.0, rtol=1e-11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_kernels_match_the_numpy_references(shape, dtype):
    z = (random_values(shape) * 3).astype(dtype)
    labels = random_labels(*shape)
    g = random_values(shape[0], seed=2).astype(dtype)
    loss, s = kernels.softmax_cross_entropy_forward(z, labels)
    ref_loss, ref_s = kernels.softmax_cross_entropy_forward_reference(z, labels)
    tolerance = tolerance_for(dtype)
    assert loss.dtype == s.dtype == dtype and loss.shape == (shape[0],)
    np.testing.assert_allclose(loss, ref_loss, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(s, ref_s, rtol=tolerance, atol=tolerance)
    dz = kernels.softmax_cross_entropy_backward(s, labels, g)
    assert dz.dtype == dtype
    np.testing.assert_allclose(
        dz,
        kernels.softmax_cross_entropy_backward_reference(s, labels, g),
        rtol=tolerance,
        atol=tolerance,
    )


# ----- PyTorch parity -------------------------------------------------------------------------


def torch_pair(torch, x):
    return dl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_elementwise_match_torch(torch, op):
    x = away_from_zero((4, 5))
    g = random_values((4, 5), seed=3)
    ours, theirs = torch_pair(torch, x)
    y = ELEMENTWISE[op](ours)
    y.backward(g)
    expected = getattr(torch, op)(theirs)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("shape", "axis"), AXIS_GRID)
@pytest.mark.parametrize("op", ALONG_AXIS)
def test_along_axis_match_torch(torch, op, shape, axis):
    x = random_values(shape) * 4
    g = random_values(shape, seed=3)
    ours, theirs = torch_pair(torch, x)
    y = ALONG_AXIS[op](ours, axis=axis)
    y.backward(g)
    expected = getattr(torch, op)(theirs, dim=axis)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_softmax_cross_entropy_matches_torch(torch, shape):
    x = random_values(shape) * 4
    labels = random_labels(*shape)
    g = random_values(shape[0], seed=3)
    ours, theirs = torch_pair(torch, x)
    loss = softmax_cross_entropy(ours, labels)
    loss.backward(g)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), reduction="none")
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_float32_matches_torch(torch):
    x = (random_values((8, 10)) * 4).astype(np.float32)
    labels = random_labels(8, 10)
    g = random_values(8, seed=3).astype(np.float32)
    cases = [
        (lambda t: softmax(t, axis=0), lambda t: torch.softmax(t, dim=0)),
        (log_softmax, lambda t: torch.log_softmax(t, dim=-1)),
        (
            lambda t: softmax_cross_entropy(t, labels),
            lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(labels), reduction="none"),
        ),
    ]
    for ours_fn, theirs_fn in cases:
        ours, theirs = torch_pair(torch, x)
        y = ours_fn(ours)
        upstream = g if y.ndim == 1 else np.resize(g, y.shape)
        y.backward(upstream)
        expected = theirs_fn(theirs)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_relu_float32_matches_torch(torch):
    x = away_from_zero((4, 6, 5)).astype(np.float32)
    g = random_values(x.shape, seed=3).astype(np.float32)
    ours, theirs = torch_pair(torch, x)
    y = relu(ours)
    y.backward(g)
    expected = torch.relu(theirs)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_extreme_logits_match_torch(torch):
    x = np.array(EXTREME_LOGITS, dtype=np.float32)
    ours, theirs = torch_pair(torch, x)
    np.testing.assert_allclose(
        log_softmax(ours).data, torch.log_softmax(theirs, dim=-1).detach().numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(
        softmax(ours).data, torch.softmax(theirs, dim=-1).detach().numpy(), rtol=1e-6
    )


# ----- dtypes and numerics --------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        *ELEMENTWISE.values(),
        softmax,
        log_softmax,
        lambda t: softmax(t, axis=0),
        lambda t: softmax_cross_entropy(t, np.array([0, 2, 1])),
    ],
    ids=["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softmax_axis0", "cross_entropy"],
)
def test_float32_in_float32_out_and_float32_gradient(call):
    x = dl.tensor(random_values((3, 4)).astype(np.float32), requires_grad=True)
    y = call(x)
    assert y.dtype == np.float32
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_and_equal_logits_stay_finite(dtype):
    x = dl.tensor(np.array(EXTREME_LOGITS, dtype=dtype), requires_grad=True)
    s = softmax(x)
    np.testing.assert_allclose(s.data.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(s.data[3], 1 / 3, rtol=1e-6)
    for op in (softmax, log_softmax):
        x.zero_grad()
        y = op(x)
        y.backward(random_values(y.shape).astype(dtype))
        assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    x.zero_grad()
    loss = softmax_cross_entropy(x, np.array([1, 0, 2, 1, 0]))
    loss.backward(np.ones(5, dtype=dtype))
    np.testing.assert_allclose(
        loss.data, [2e4, np.log(3), np.log(3), np.log(3), 2e4 + np.log(2)], rtol=1e-6
    )
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad.sum(axis=-1), 0.0, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_keeps_the_dtype_with_and_without_gradient(dtype):
    x = random_values((3, 4))
    with_grad = dl.tensor(x, requires_grad=True, dtype=dtype)
    y = relu(with_grad)
    y.backward(np.ones(y.shape, dtype=dtype))
    assert y.dtype == with_grad.grad.dtype == np.dtype(dtype)
    inference = relu(dl.tensor(x, dtype=dtype))
    assert inference.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(inference.data, y.data)


def test_softmax_rows_are_distributions_and_numpy_input_is_accepted():
    s = softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32))
    assert isinstance(s, dl.Tensor) and s.dtype == np.float32
    np.testing.assert_allclose(s.data.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(s.data[1], 1 / 3, rtol=1e-6)


def test_labels_may_be_an_integer_tensor_or_list():
    logits = random_values((3, 4))
    expected = softmax_cross_entropy(logits, np.array([3, 0, 1])).data
    as_tensor = softmax_cross_entropy(logits, dl.tensor([3, 0, 1], dtype="int32")).data
    np.testing.assert_array_equal(as_tensor, expected)
    np.testing.assert_array_equal(softmax_cross_entropy(logits, [3, 0, 1]).data, expected)


# ----- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: softmax(np.zeros((2, 3)), axis=2), ValueError, r"softmax: axis 2 .*\[-2, 1\]"),
        (lambda: log_softmax(np.zeros(3), axis=-2), ValueError, r"log_softmax: axis -2"),
        (lambda: softmax(np.zeros((2, 3)), axis=1.0), TypeError, "axis must be an int"),
        (lambda: softmax(np.float64(1.0)), ValueError, r"scalar \(shape \(\)\)"),
        (lambda: softmax(np.zeros((2, 0))), ValueError, "is empty"),
        (
            lambda: softmax(dl.tensor([1, 2], dtype="int64")),
            TypeError,
            "softmax expects floating-point input, got dtype int64",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])),
            ValueError,
            r"labels must lie in \[0, 3\) .* 3 classes, got labels from 0 to 3",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 2])),
            ValueError,
            r"got labels from -1 to 2",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])),
            TypeError,
            r"integer class labels, got dtype float64.*astype\('int64'\)",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([[0], [1]])),
            ValueError,
            r"labels of shape \(2,\) .* got shape \(2, 1\).*reshape\(-1\)",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])),
            ValueError,
            r"labels of shape \(2,\)",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 3, 4)), np.array([0, 1])),
            ValueError,
            r"logits of shape \(batch, classes\), got shape \(2, 3, 4\)",
        ),
        (
            lambda: softmax_cross_entropy(np.zeros((2, 0)), np.array([0, 0])),
            ValueError,
            "at least one class",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
