"""max_pool2d and avg_pool2d: gradients, kernels against the numpy references, PyTorch parity,
dtypes, the Keras size rule and bad arguments."""

import math

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.pooling import avg_pool2d, max_pool2d
from dlcore.kernels import pooling as kernels
from tests.oracles import assert_backward_matches_torch, keras_geometry, pair

OPS = {"max": max_pool2d, "avg": avg_pool2d}
SHAPES = [(1, 5, 6, 2), (2, 4, 7, 3)]  # odd and even rows and cols, batch 1 and 2
GRID = [
    pytest.param(pool, strides, padding, id=f"pool{pool}-strides{strides}-{padding}")
    for pool in [1, 2, 3, (2, 3)]
    for strides in [1, 2, 3, None]
    for padding in ["valid", "same"]
]


def distinct_values(shape, seed=0):
    """Values far apart (no ties, so every window has one clear maximum)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.linspace(-2.0, 2.0, int(np.prod(shape)))).reshape(shape)


def fits(shape, pool, padding):
    return padding == "same" or all(k <= n for k, n in zip(pair(pool), shape[1:3], strict=True))


# ----- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("pool", "strides", "padding"), GRID)
@pytest.mark.parametrize("op", OPS)
def test_gradcheck(op, pool, strides, padding, shape):
    if not fits(shape, pool, padding):
        pytest.skip("pool larger than the input with 'valid' padding")
    x = distinct_values(shape)
    assert dl.gradcheck(lambda t: OPS[op](t, pool, strides, padding), x)


def test_overlapping_windows_accumulate_the_gradient():
    x = dl.tensor(np.array([1.0, 3.0, 2.0]).reshape(1, 1, 3, 1), requires_grad=True)
    max_pool2d(x, (1, 2), strides=1).backward(np.ones((1, 1, 2, 1)))
    np.testing.assert_array_equal(x.grad.ravel(), [0.0, 2.0, 0.0])
    x.zero_grad()
    avg_pool2d(x, (1, 2), strides=1).backward(np.ones((1, 1, 2, 1)))
    np.testing.assert_array_equal(x.grad.ravel(), [0.5, 1.0, 0.5])


# ----- kernels against the numpy references --------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("pool", "strides", "padding"), GRID)
def test_kernels_match_the_numpy_references(pool, strides, padding, dtype):
    shape = (2, 5, 6, 3)
    pool_, strides_, pads, out_size, _ = keras_geometry(shape, pool, strides, padding)
    if min(out_size) < 1:
        pytest.skip("pool larger than the input with 'valid' padding")
    geometry = (pool_, strides_, pads, out_size)
    x = distinct_values(shape).astype(dtype)
    g = np.random.default_rng(1).standard_normal((2, *out_size, 3)).astype(dtype)
    tolerance = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)

    y, where = kernels.max_pool2d_forward(x, *geometry)
    np.testing.assert_array_equal(y, kernels.max_pool2d_forward_reference(x, *geometry))
    np.testing.assert_allclose(
        kernels.max_pool2d_backward(g, where, x.shape, *geometry[:3]),
        kernels.max_pool2d_backward_reference(x, g, *geometry),
        **tolerance,
    )
    np.testing.assert_allclose(
        kernels.avg_pool2d_forward(x, *geometry),
        kernels.avg_pool2d_forward_reference(x, *geometry),
        **tolerance,
    )
    np.testing.assert_allclose(
        kernels.avg_pool2d_backward(g, x.shape, *geometry[:3]),
        kernels.avg_pool2d_backward_reference(x, g, *geometry),
        **tolerance,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("pool", "strides", "padding"), GRID)
def test_max_values_kernel_matches_the_numpy_reference(pool, strides, padding, dtype):
    shape = (2, 5, 6, 3)
    pool_, strides_, pads, out_size, _ = keras_geometry(shape, pool, strides, padding)
    if min(out_size) < 1:
        pytest.skip("pool larger than the input with 'valid' padding")
    geometry = (pool_, strides_, pads, out_size)
    x = (-3.0 - distinct_values(shape)).astype(dtype)  # every value below zero
    y = kernels.max_pool2d_forward_values(x, *geometry)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, kernels.max_pool2d_forward_reference(x, *geometry))
    np.testing.assert_array_equal(y, kernels.max_pool2d_forward(x, *geometry)[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_without_gradient_gives_the_training_values(dtype):
    x = -1.0 - distinct_values((2, 7, 5, 3)) ** 2
    training = max_pool2d(dl.tensor(x, requires_grad=True, dtype=dtype), 3, 2, "same")
    inference = max_pool2d(dl.tensor(x, dtype=dtype), 3, 2, "same")
    assert inference.dtype == training.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(inference.data, training.data)


@pytest.mark.parametrize("shape", [(2, 6, 8, 3), (1, 7, 5, 2), (2, 5, 5, 16)], ids=str)
def test_unrolled_2x2_pooling_agrees_with_the_general_loop_on_ties_and_nan(shape):
    """2x2 windows at stride 2 take their own loops (the gradient too when the channels fill
    whole vectors); ties keep the first maximum in window order and NaN follows the same
    comparisons as the general loop; an odd last row or column gets no gradient."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, shape).astype(np.float32)  # many ties
    x[0, 1, 1, 0] = np.nan
    x[0, 2, 3, 1] = np.nan
    geometry = ((2, 2), (2, 2), (0, 0), (shape[1] // 2, shape[2] // 2))
    y, where = kernels.max_pool2d_forward(x, *geometry)
    out = (shape[0], shape[1] // 2 * (shape[2] // 2), shape[3])
    expected_y = np.empty(out, np.float32)
    expected_where = np.empty(out, where.dtype)
    windows = kernels._real_windows(*shape[1:3], *geometry[0], *geometry[1], 0, 0, *geometry[3])
    kernels._max_pool2d_forward_loop(x, windows, expected_y, expected_where)
    np.testing.assert_array_equal(y.reshape(out), expected_y)
    np.testing.assert_array_equal(where.reshape(out), expected_where)
    np.testing.assert_array_equal(kernels.max_pool2d_forward_values(x, *geometry), y)

    g = rng.standard_normal(y.shape).astype(np.float32)
    dx = kernels.max_pool2d_backward(g, where, shape, *geometry[:3])
    expected_dx = np.zeros(shape, np.float32)
    kernels._max_pool2d_backward_loop(g.reshape(out), expected_where, windows, 4, shape[2],
                                      expected_dx.reshape(shape[0], -1, shape[3]))
    np.testing.assert_array_equal(dx, expected_dx)


# ----- PyTorch parity ----------------------------------------------------------------------


def torch_pool(torch, op, x, pool, strides, padding):
    """The same pooling in PyTorch on an NHWC tensor, with the Keras 'same' padding."""
    functional = torch.nn.functional
    pool, strides, (top, left), _, (bottom, right) = keras_geometry(x.shape, pool, strides, padding)
    nchw = x.permute(0, 3, 1, 2)
    pads = (left, right, top, bottom)
    if op == "max":
        y = functional.max_pool2d(functional.pad(nchw, pads, value=-math.inf), pool, strides)
    elif (top, left) == (bottom, right):
        y = functional.avg_pool2d(nchw, pool, strides, padding=(top, left), count_include_pad=False)
    else:  # asymmetric: window sums of x over window sums of a mask of real cells
        real = functional.pad(torch.ones_like(nchw[:1, :1]), pads)
        y = functional.avg_pool2d(functional.pad(nchw, pads), pool, strides) / (
            functional.avg_pool2d(real, pool, strides)
        )
    return y.permute(0, 2, 3, 1)


def assert_matches_torch(torch, op, shape, pool, strides, padding, dtype, tolerance):
    x = distinct_values(shape, seed=2).astype(dtype)
    ours = dl.tensor(x, requires_grad=True, dtype=dtype)
    theirs = torch.tensor(x, requires_grad=True)
    y = OPS[op](ours, pool, strides, padding)
    y_torch = torch_pool(torch, op, theirs, pool, strides, padding)
    g = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    assert_backward_matches_torch(torch, y, y_torch, g, [ours], [theirs], dtype, tolerance)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("pool", "strides", "padding"), GRID)
@pytest.mark.parametrize("op", OPS)
def test_values_and_gradients_match_torch(torch, op, pool, strides, padding, shape):
    if not fits(shape, pool, padding):
        pytest.skip("pool larger than the input with 'valid' padding")
    assert_matches_torch(
        torch, op, shape, pool, strides, padding, np.float64, dict(rtol=1e-12, atol=1e-12)
    )


@pytest.mark.parametrize("op", OPS)
def test_float32_matches_torch(torch, op):
    assert_matches_torch(
        torch, op, (2, 9, 8, 4), 3, 2, "same", np.float32, dict(rtol=1e-5, atol=1e-6)
    )


# ----- dtypes, sizes and the padding rule -----------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_float32_in_float32_out_and_float32_gradient(op):
    x = dl.tensor(distinct_values((2, 6, 6, 3)), requires_grad=True, dtype="float32")
    y = OPS[op](x, 2)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("rows", "pool", "strides", "padding", "expected"),
    [(5, 2, None, "valid", 2), (5, 2, None, "same", 3), (7, 3, 2, "valid", 3),
     (7, 3, 2, "same", 4), (6, 2, 1, "same", 6), (5, 1, 3, "valid", 2)],
)
def test_output_size_follows_keras(rows, pool, strides, padding, expected):
    y = max_pool2d(np.zeros((1, rows, 4, 1)), (pool, 1), (strides or pool, 1), padding)
    assert y.shape == (1, expected, 4, 1)


def test_strides_none_means_pool_size_and_numpy_input_is_accepted():
    x = distinct_values((1, 6, 6, 2)).astype(np.float32)
    y = max_pool2d(x, (2, 3))
    assert isinstance(y, dl.Tensor) and y.shape == (1, 3, 2, 2)


def test_padded_cells_never_win_a_max_and_are_not_counted_in_an_average():
    x = -1.0 - distinct_values((1, 5, 5, 1)) ** 2  # every value below zero
    assert np.all(max_pool2d(x, 2, padding="same").data <= -1.0)
    np.testing.assert_allclose(avg_pool2d(np.ones((1, 5, 5, 2)), 3, 2, "same").data, 1.0)


# ----- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda f: f(np.zeros((4, 4, 3)), 2), ValueError, r"rank 4.*got shape \(4, 4, 3\)"),
        (lambda f: f(np.zeros((1, 4, 4, 1)), 2, padding="full"), ValueError,
         r"padding must be 'valid' or 'same', got 'full'"),
        (lambda f: f(np.zeros((1, 2, 5, 1)), 3), ValueError,
         r"pool_size \(3, 3\) is larger than the input \(2 rows.*padding='same'"),
        (lambda f: f(np.zeros((1, 4, 4, 1)), 0), ValueError, r"pool_size must be positive"),
        (lambda f: f(np.zeros((1, 4, 4, 1)), 2, strides=(1, 0)), ValueError,
         r"strides must be positive"),
        (lambda f: f(np.zeros((1, 4, 4, 1)), (2, 2, 2)), TypeError,
         r"pool_size must be an int or a pair of ints, got \(2, 2, 2\)"),
        (lambda f: f(np.zeros((1, 4, 4, 1)), 2, strides=1.5), TypeError, r"strides must be"),
        (lambda f: f(dl.tensor(np.zeros((1, 4, 4, 1)), dtype="int64"), 2), TypeError,
         r"floating-point x, got dtype int64"),
    ],
    ids=["rank", "padding", "too-large", "zero-pool", "zero-stride", "triple", "float-stride",
         "integer-x"],
)
def test_bad_arguments_raise_clear_errors(op, call, error, match):
    with pytest.raises(error, match=rf"{op}_pool2d.*{match}"):
        call(OPS[op])
