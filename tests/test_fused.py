"""Fused ops against the compositions they replace: Dense + ReLU, Conv2D + bias + ReLU, and
softmax + cross-entropy computed from the logits while training.

Each fused op must give the values and gradients of the unfused ops (float32 and float64,
gradcheck in float64), and a model built with fused layers must train to the same weights as
the same model with the ReLU (or the loss) applied separately."""

import numpy as np
import pytest

import dlcore as dl
from dlcore import losses
from dlcore.autograd import no_grad
from dlcore.functional.activations import relu, softmax, softmax_logits
from dlcore.functional.conv import conv2d
from dlcore.functional.linear import linear
from dlcore.kernels import activations as activation_kernels
from dlcore.kernels import conv as conv_kernels
from dlcore.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def random_values(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def values_and_gradients(op, arrays, g):
    """``op``'s output and the gradients of ``sum(output * g)`` for every array given."""
    inputs = [None if a is None else dl.tensor(a, requires_grad=True) for a in arrays]
    y = op(*inputs)
    y.backward(g)
    return y.data, [t.grad for t in inputs if t is not None]


def assert_same_values_and_gradients(fused, unfused, arrays, dtype):
    arrays = [None if a is None else a.astype(dtype) for a in arrays]
    with no_grad():
        shape = unfused(*arrays).shape
    g = random_values(shape, seed=9, dtype=dtype)
    y, grads = values_and_gradients(fused, arrays, g)
    expected_y, expected_grads = values_and_gradients(unfused, arrays, g)
    assert y.dtype == expected_y.dtype == dtype
    np.testing.assert_allclose(y, expected_y, **TOLERANCE[dtype])
    for grad, expected in zip(grads, expected_grads, strict=True):
        assert grad.dtype == dtype
        np.testing.assert_allclose(grad, expected, **TOLERANCE[dtype])


# ----- the bias + ReLU kernel ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("with_relu", [True, False])
@pytest.mark.parametrize("shape", [(0, 3), (1, 1), (5, 7), (33, 16)])
def test_add_bias_relu_matches_the_numpy_reference(shape, with_relu, use_bias, dtype):
    rows = random_values(shape, dtype=dtype)
    bias = random_values(shape[1], seed=1) if use_bias else None
    expected = activation_kernels.add_bias_relu_reference(rows, bias, with_relu)
    activation_kernels.add_bias_relu(rows, bias, with_relu)
    assert rows.dtype == dtype
    np.testing.assert_array_equal(rows, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0, 3), (1, 1), (5, 7), (33, 6), (3, 129), (2, 2, 300)],
                         ids=str)
def test_column_sums_with_and_without_the_relu_mask(shape, dtype):
    """Blocks of rows are summed together: narrow rows (6 in a block of 126), a partial last
    block, rows wider than a block, and leading axes all end up in the right column."""
    g = random_values(shape, dtype=dtype)
    y = random_values(shape, seed=1, dtype=dtype)
    columns = (*range(len(shape) - 1),)
    sums = activation_kernels.column_sums(g)
    masked, masked_sums = activation_kernels.bias_relu_backward(y, g, need_bias=True)
    expected_masked = activation_kernels.relu_backward_reference(y, g)
    assert sums.dtype == masked.dtype == masked_sums.dtype == dtype
    np.testing.assert_allclose(sums, g.sum(axis=columns, dtype=np.float64), **TOLERANCE[dtype])
    np.testing.assert_array_equal(masked, expected_masked)
    np.testing.assert_allclose(masked_sums, expected_masked.sum(axis=columns, dtype=np.float64),
                               **TOLERANCE[dtype])
    unmasked, unmasked_sums = activation_kernels.bias_relu_backward(None, g, need_bias=True)
    assert unmasked is g
    np.testing.assert_array_equal(unmasked_sums, sums)
    no_bias = activation_kernels.bias_relu_backward(y, g, need_bias=False)
    np.testing.assert_array_equal(no_bias[0], expected_masked)
    assert no_bias[1] is None


# ----- Dense + ReLU ----------------------------------------------------------------------------

LINEAR_GRID = [
    pytest.param(x_shape, units, use_bias, id=f"x{x_shape}-units{units}-bias{use_bias}")
    for x_shape in [(4,), (3, 4), (2, 3, 4), (0, 4)]
    for units in [1, 5]
    for use_bias in [True, False]
]


def linear_arrays(x_shape, units, use_bias):
    return [random_values(x_shape), random_values((x_shape[-1], units), seed=1),
            random_values(units, seed=2) if use_bias else None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("x_shape", "units", "use_bias"), LINEAR_GRID)
def test_linear_relu_matches_relu_of_linear(x_shape, units, use_bias, dtype):
    assert_same_values_and_gradients(
        lambda x, kernel, bias: linear(x, kernel, bias, relu=True),
        lambda x, kernel, bias: relu(linear(x, kernel, bias)),
        linear_arrays(x_shape, units, use_bias), dtype,
    )


@pytest.mark.parametrize(("x_shape", "units", "use_bias"), LINEAR_GRID[:12])
def test_linear_relu_gradcheck(x_shape, units, use_bias):
    x, kernel, bias = linear_arrays(x_shape, units, use_bias)
    if use_bias:
        assert dl.gradcheck(lambda a, k, b: linear(a, k, b, relu=True), x, kernel, bias)
    else:
        assert dl.gradcheck(lambda a, k: linear(a, k, relu=True), x, kernel)


def test_relu_must_be_a_bool():
    with pytest.raises(TypeError, match="relu must be True or False"):
        linear(np.ones((2, 3)), np.ones((3, 4)), relu="yes")
    with pytest.raises(TypeError, match="relu must be True or False"):
        conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), relu=1)


# ----- Conv2D + bias + ReLU ----------------------------------------------------------------------

CONV_GRID = [
    pytest.param(kernel_size, strides, padding, use_bias,
                 id=f"k{kernel_size}-s{strides}-{padding}-bias{use_bias}")
    for kernel_size, strides, padding in [(3, 1, "valid"), (3, 2, "same"), (2, 1, "same"),
                                          (1, 1, "valid")]
    for use_bias in [True, False]
]


def conv_arrays(kernel_size, use_bias, shape=(2, 6, 7, 3), filters=4):
    return [random_values(shape), random_values((kernel_size, kernel_size, shape[3], filters), 1),
            random_values(filters, seed=2) if use_bias else None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("kernel_size", "strides", "padding", "use_bias"), CONV_GRID)
def test_conv2d_relu_matches_relu_of_conv2d(kernel_size, strides, padding, use_bias, dtype):
    assert_same_values_and_gradients(
        lambda x, k, b: conv2d(x, k, b, strides, padding, relu=True),
        lambda x, k, b: relu(conv2d(x, k, b, strides, padding)),
        conv_arrays(kernel_size, use_bias), dtype,
    )


@pytest.mark.parametrize(("kernel_size", "strides", "padding", "use_bias"), CONV_GRID)
def test_conv2d_relu_gradcheck(kernel_size, strides, padding, use_bias):
    x, kernel, bias = conv_arrays(kernel_size, use_bias, shape=(2, 5, 4, 2), filters=3)
    if use_bias:
        assert dl.gradcheck(lambda a, k, b: conv2d(a, k, b, strides, padding, relu=True),
                            x, kernel, bias)
    else:
        assert dl.gradcheck(lambda a, k: conv2d(a, k, None, strides, padding, relu=True),
                            x, kernel)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk_bytes", [64, 2**21])
def test_conv_kernels_take_the_relu_in_every_chunk(monkeypatch, chunk_bytes, dtype):
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", chunk_bytes)
    x, kernel, bias = (a.astype(dtype) for a in conv_arrays(3, True, shape=(5, 6, 6, 2)))
    geometry = ((1, 1), (1, 1), (6, 6))
    expected = np.maximum(conv_kernels.conv2d_forward_reference(x, kernel, bias, *geometry), 0)
    y = conv_kernels.conv2d_forward(x, kernel, bias, *geometry, relu=True)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, expected, **TOLERANCE[dtype])


# ----- softmax + cross-entropy from the logits ------------------------------------------------


def one_hot(labels, classes=5):
    return np.eye(classes)[labels]


LABELS = np.array([0, 3, 1, 4, 2, 3])
CROSS_ENTROPIES = [
    pytest.param(losses.sparse_categorical_crossentropy, LABELS, id="sparse"),
    pytest.param(losses.sparse_categorical_crossentropy, LABELS[:, None], id="sparse-column"),
    pytest.param(losses.categorical_crossentropy, one_hot(LABELS), id="categorical"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("loss", "targets"), CROSS_ENTROPIES)
def test_training_loss_on_a_softmax_matches_the_loss_on_probabilities(loss, targets, dtype):
    logits = random_values((6, 5), dtype=dtype)
    assert_same_values_and_gradients(
        lambda z: losses.training_loss(loss, targets.astype(dtype), softmax(z)),
        lambda z: loss(targets.astype(dtype), softmax(z)),
        [logits], dtype,
    )


@pytest.mark.parametrize(("loss", "targets"), CROSS_ENTROPIES)
def test_training_loss_gradcheck(loss, targets):
    logits = random_values((6, 5))
    assert dl.gradcheck(lambda z: losses.training_loss(loss, targets, softmax(z)), logits)


@pytest.mark.parametrize(("loss", "targets"), CROSS_ENTROPIES)
def test_the_gradient_is_softmax_minus_onehot_over_the_batch(loss, targets):
    z = dl.tensor(random_values((6, 5)), requires_grad=True)
    losses.training_loss(loss, targets, softmax(z)).mean().backward()
    expected = (softmax(z.data).data - one_hot(LABELS)) / len(LABELS)
    np.testing.assert_allclose(z.grad, expected, rtol=1e-12, atol=1e-15)


def test_beyond_the_clip_the_logits_give_the_exact_loss_and_a_gradient():
    """Keras clips probabilities to [1e-7, 1 - 1e-7]: a certain wrong prediction costs
    -log(1e-7) = 16.1 and teaches nothing. From the logits the loss is exact (here 40)."""
    z = dl.tensor([[40.0, 0.0]], requires_grad=True)
    labels = np.array([1])
    clipped = losses.sparse_categorical_crossentropy(labels, softmax(z))
    np.testing.assert_allclose(clipped.data, [-np.log(1e-7)], rtol=1e-6)
    exact = losses.training_loss(losses.sparse_categorical_crossentropy, labels, softmax(z))
    np.testing.assert_allclose(exact.data, [40.0], rtol=1e-12)
    exact.sum().backward()
    np.testing.assert_allclose(z.grad, [[1.0, -1.0]], atol=1e-15)


def test_training_loss_falls_back_to_the_loss_on_probabilities():
    z = random_values((4, 3))
    labels = np.array([0, 2, 1, 1])
    expected = losses.sparse_categorical_crossentropy(labels, softmax(z)).data
    scores = dl.tensor(z, requires_grad=True)
    with no_grad():  # no graph: the logits are not known
        assert softmax_logits(softmax(scores)) is None
        unrecorded = losses.training_loss(losses.sparse_categorical_crossentropy, labels,
                                          softmax(scores))
    along_first_axis = softmax(scores, axis=0)
    assert softmax_logits(along_first_axis) is None
    assert softmax_logits(scores * 1.0) is None
    np.testing.assert_array_equal(unrecorded.data, expected)
    assert losses.training_loss(losses.mean_squared_error, np.eye(3)[labels],
                                softmax(scores)).shape == (4,)


# ----- whole models ------------------------------------------------------------------------------


def train_both(fused_layers, unfused_layers, x, targets, fused_loss, unfused_loss, steps=5):
    """Train two Sequential models from the same weights; each one's losses, final weights
    and predictions. SGD keeps rounding differences as small as they came (Adam would divide
    tiny gradients by their own size)."""
    models = [dl.models.Sequential(layers) for layers in (fused_layers, unfused_layers)]
    models[0].build((None, *x.shape[1:]))
    models[1].build((None, *x.shape[1:]))
    models[1].set_weights(models[0].get_weights())
    runs = []
    for model, loss in zip(models, (fused_loss, unfused_loss), strict=True):
        model.compile(optimizer=dl.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss=loss)
        history = [model.train_on_batch(x, targets) for _ in range(steps)]
        runs.append((history, model.get_weights(), model.predict(x)))
    return runs


def assert_same_training(runs, dtype):
    fused, unfused = runs
    tolerance = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else TOLERANCE[dtype]
    np.testing.assert_allclose(fused[0], unfused[0], **tolerance)
    for array, expected in zip(fused[1], unfused[1], strict=True):
        np.testing.assert_allclose(array, expected, **tolerance)
    np.testing.assert_allclose(fused[2], unfused[2], **tolerance)
    np.testing.assert_allclose(fused[2].sum(axis=1), 1.0, rtol=1e-5)  # still probabilities


SPARSE = "sparse_categorical_crossentropy"


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_relu_trains_like_dense_then_activation(dtype):
    x, labels = random_values((16, 6), dtype=dtype), np.random.default_rng(1).integers(0, 3, 16)
    runs = train_both(
        [Dense(8, activation="relu", dtype=dtype), Dense(3, activation="softmax", dtype=dtype)],
        [Dense(8, dtype=dtype), Activation("relu", dtype=dtype),
         Dense(3, activation="softmax", dtype=dtype)],
        x, labels, SPARSE, SPARSE,
    )
    assert_same_training(runs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_relu_trains_like_conv2d_then_activation(dtype):
    x, labels = random_values((4, 8, 8, 2), dtype=dtype), np.array([0, 1, 2, 1])

    def head():
        return [MaxPooling2D(2, dtype=dtype), Flatten(dtype=dtype),
                Dense(3, activation="softmax", dtype=dtype)]

    runs = train_both(
        [Conv2D(4, 3, padding="same", activation="relu", dtype=dtype), *head()],
        [Conv2D(4, 3, padding="same", dtype=dtype), Activation("relu", dtype=dtype), *head()],
        x, labels, SPARSE, SPARSE,
    )
    assert_same_training(runs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", [SPARSE, "categorical_crossentropy"])
@pytest.mark.parametrize("last", ["dense", "activation"])
def test_cross_entropy_on_softmax_trains_like_the_loss_on_probabilities(last, name, dtype):
    x, labels = random_values((16, 6), dtype=dtype), np.random.default_rng(1).integers(0, 3, 16)
    targets = labels if name == SPARSE else one_hot(labels, 3).astype(dtype)

    def layers():
        if last == "dense":
            return [Dense(5, activation="tanh", dtype=dtype),
                    Dense(3, activation="softmax", dtype=dtype)]
        return [Dense(3, activation="tanh", dtype=dtype), Activation("softmax", dtype=dtype)]

    loss = losses.get(name)
    # a loss given as a function of its own is not recognised: the unfused twin
    runs = train_both(layers(), layers(), x, targets, name, lambda y, p: loss(y, p))
    assert_same_training(runs, dtype)
