"""Numerics at the edges: extreme logits and probabilities, zero variance, very long
sequences, and float32 against float64 for every layer.

Every warning is an error in this module, and numpy raises on overflow, invalid operations
and division by zero. Underflow stays quiet: ``exp`` of a very negative shifted logit
rounding to 0 is exactly what the stable formulas rely on.
"""

from __future__ import annotations

import numpy as np
import pytest

import dlcore as dl
import dlcore.functional as F
from dlcore import losses, random, utils
from dlcore.layers import (
    LSTM,
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPooling2D,
    SimpleRNN,
)
from dlcore.models import Sequential

pytestmark = pytest.mark.filterwarnings("error")

DTYPES = ["float32", "float64"]
EXTREME_LOGITS = np.array([
    [1e4, -1e4, 0.0, 0.0],
    [-1e4, -1e4, -1e4, 1e4],
    [1e4, 1e4, 1e4, 1e4],
    [-1e4, -1e4, -1e4, -1e4],
    [1e4, 1e4 - 1.0, -1e4, 0.0],
    [0.0, 0.0, 0.0, 0.0],
    [1e30, -1e30, 3.0, -3.0],
])
LABELS = np.array([1, 3, 0, 2, 1, 3, 0])  # for each row: mostly the least likely class


@pytest.fixture(autouse=True)
def numpy_raises():
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        yield


def reference_log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax in float64 by log-sum-exp (numpy, not dlcore)."""
    z = z.astype(np.float64)
    return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)


def backward_with_random_upstream(y: dl.Tensor, seed: int = 0) -> None:
    """Backward of sum(upstream * y), with upstream values exact in float32 and float64."""
    upstream = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    (y * dl.tensor(upstream, dtype=y.dtype)).sum().backward()


def assert_finite(*arrays) -> None:
    for array in arrays:
        assert np.all(np.isfinite(array)), array


# ----- softmax, log_softmax, softmax cross-entropy --------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_family_at_extreme_logits(dtype):
    expected = reference_log_softmax(EXTREME_LOGITS)
    for op in (F.softmax, F.log_softmax):
        z = dl.tensor(EXTREME_LOGITS.astype(dtype), requires_grad=True)
        y = op(z)
        backward_with_random_upstream(y)
        assert_finite(y.data, z.grad)
        reference = np.exp(expected) if op is F.softmax else expected
        np.testing.assert_allclose(y.data, reference, rtol=1e-6, atol=1e-6)
    probabilities = F.softmax(dl.tensor(EXTREME_LOGITS.astype(dtype))).data
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-6)
    assert probabilities.min() >= 0 and probabilities.max() <= 1
    z = dl.tensor(EXTREME_LOGITS.astype(dtype), requires_grad=True)
    loss = F.softmax_cross_entropy(z, LABELS)
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, -expected[np.arange(7), LABELS], rtol=1e-6)
    np.testing.assert_allclose(z.grad, np.exp(expected) - np.eye(4)[LABELS], atol=1e-6)


# ----- every loss, logits and probabilities -----------------------------------------------------
def targets_for(name: str, width: int = 4):
    if name == "sparse_categorical_crossentropy":
        return LABELS
    return np.eye(width)[LABELS]


PROBABILITIES = np.array([  # exactly 0 and 1, rows of zeros (underflowed sigmoids) and ones
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
    [0.0, 0.0, 0.0, 0.0],
    [1.0, 1.0, 1.0, 1.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.25, 0.25, 0.25, 0.25],
    [0.0, 0.5, 0.5, 0.0],
])
CROSS_ENTROPIES = ["categorical_crossentropy", "sparse_categorical_crossentropy",
                   "binary_crossentropy"]
CLIPPED = -np.log(1e-7)  # the largest cross-entropy of one probability


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CROSS_ENTROPIES)
def test_cross_entropy_from_logits_at_extremes_is_exact(name, dtype):
    logits = dl.tensor(EXTREME_LOGITS.astype(dtype), requires_grad=True)
    loss = losses.get(name)(targets_for(name), logits, from_logits=True)
    backward_with_random_upstream(loss)
    assert loss.dtype == np.dtype(dtype)
    assert_finite(loss.data, logits.grad)
    if name == "binary_crossentropy":  # mean over classes of softplus(x) - x t, in float64
        x, t = EXTREME_LOGITS, targets_for(name)
        expected = (np.logaddexp(0, x) - x * t).mean(axis=-1)
    else:
        expected = -reference_log_softmax(EXTREME_LOGITS)[np.arange(7), LABELS]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", CROSS_ENTROPIES)
def test_cross_entropy_of_probabilities_0_and_1_is_clipped_and_finite(name, dtype):
    p = dl.tensor(PROBABILITIES.astype(dtype), requires_grad=True)
    loss = losses.get(name)(targets_for(name), p)
    backward_with_random_upstream(loss)
    assert_finite(loss.data, p.grad)
    assert np.all(loss.data >= 0) and np.all(loss.data <= CLIPPED * (1 + 1e-6))
    if name != "binary_crossentropy":
        totals = PROBABILITIES.sum(axis=-1, keepdims=True)
        normalised = PROBABILITIES / np.maximum(totals, 1e-7)
        expected = -np.log(np.clip(normalised, 1e-7, 1 - 1e-7))[np.arange(7), LABELS]
        np.testing.assert_allclose(loss.data, expected, rtol=1e-5, atol=2e-7)
        assert loss.data[0] == pytest.approx(CLIPPED, rel=1e-5)  # certain and wrong


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error"])
def test_regression_losses_at_extremes(name, dtype):
    y_pred = dl.tensor(EXTREME_LOGITS[:6].astype(dtype), requires_grad=True)
    y_true = -EXTREME_LOGITS[:6]
    loss = losses.get(name)(y_true, y_pred)
    backward_with_random_upstream(loss)
    assert_finite(loss.data, y_pred.grad)
    error = EXTREME_LOGITS[:6] - y_true
    expected = (error**2 if name == "mean_squared_error" else np.abs(error)).mean(axis=-1)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-6)


def test_training_step_on_a_saturated_softmax_is_finite_and_teaches():
    """Logits of +-1e4 from the last layer: the model is certain and wrong, yet the step is
    finite and moves the weights (the logits path gives a gradient where clipping gives 0)."""
    utils.set_random_seed(0)
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    kernel = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0]], np.float32)
    model.set_weights([kernel, np.zeros(3, np.float32)])
    loss = model.train_on_batch(np.array([[1.0, 0.0]], np.float32), np.array([1]))
    assert loss == pytest.approx(2e4, rel=1e-6)
    weights = model.get_weights()
    assert_finite(*weights)
    assert not np.array_equal(weights[0], kernel)


# ----- batch normalization of constant features -----------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", [0.0, 1234.5678, -3e4])
@pytest.mark.parametrize("batch", [1, 16])
def test_batch_norm_of_zero_variance_features_is_finite(dtype, value, batch):
    layer = BatchNormalization(dtype=dtype)
    x = dl.tensor(np.full((batch, 3), value, dtype), requires_grad=True)
    y = layer(x, training=True)
    backward_with_random_upstream(y)
    assert_finite(y.data, x.grad, layer.gamma.grad, layer.beta.grad, *layer.get_weights())
    np.testing.assert_allclose(y.data, 0.0, atol=1e-3)  # x - mean = 0 up to rounding
    moving_mean, moving_variance = layer.get_weights()[2:]
    np.testing.assert_allclose(moving_mean, 0.01 * value, rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.99, rtol=1e-5)
    assert_finite(layer(x, training=False).data)


def test_model_with_a_constant_input_feature_trains_finitely():
    utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    x[:, 1] = 7.0
    model = Sequential([BatchNormalization(input_shape=(4,)), Dense(8, activation="relu"),
                        BatchNormalization(), Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(x, x[:, :1], batch_size=16, epochs=3, verbose=0)
    assert_finite(history.history["loss"], *model.get_weights(), model.predict(x))


# ----- very long sequences ----------------------------------------------------------------------
STEPS = 2000


@pytest.mark.parametrize("layer_class", [SimpleRNN, LSTM])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_recurrent_layers_over_2000_steps(layer_class, scale):
    random.seed(0)
    layer = layer_class(8, return_sequences=True)
    x = np.random.default_rng(0).standard_normal((2, STEPS, 3)).astype(np.float32) * scale
    inputs = dl.tensor(x, requires_grad=True)
    y = layer(inputs, training=True)
    backward_with_random_upstream(y)
    assert y.shape == (2, STEPS, 8)
    assert np.all(np.abs(y.data) <= 1)
    assert_finite(inputs.grad, *(weight.grad for weight in layer.trainable_weights))


def test_2000_step_graph_of_tensor_ops_backpropagates_without_recursion():
    """A SimpleRNN unrolled into 6,000 Tensor operations: the same numbers as the fused op,
    and backward walks the whole chain (the engine does not recurse)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, STEPS, 3))
    weights = [rng.standard_normal((3, 4)) * 0.5, rng.standard_normal((4, 4)) * 0.3,
               rng.standard_normal(4) * 0.1]
    unrolled = [dl.tensor(w, requires_grad=True) for w in weights]
    fused = [dl.tensor(w, requires_grad=True) for w in weights]
    kernel, recurrent, bias = unrolled
    h = dl.tensor(np.zeros((2, 4)))
    for t in range(STEPS):
        h = (dl.tensor(x[:, t]) @ kernel + h @ recurrent + bias).tanh()
    h.sum().backward()
    F.simple_rnn(dl.tensor(x), *fused).sum().backward()
    for mine, reference in zip(unrolled, fused, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad, rtol=1e-9, atol=1e-12)


# ----- float32 against float64, layer by layer --------------------------------------------------
def activation(name):
    return lambda dtype: Activation(name, dtype=dtype)


# (name, layer factory taking a dtype, input shape, tolerance): the float32 result must equal
# the float64 one within ``tolerance`` relative to the largest float64 value, for the output,
# the input gradient and every weight gradient. 0 means bit-identical.
FLOAT32_TOLERANCES = [
    ("Dense", lambda dtype: Dense(7, activation="tanh", dtype=dtype), (5, 6), 1e-6),
    ("Conv2D", lambda dtype: Conv2D(4, 3, dtype=dtype), (2, 7, 7, 3), 2e-6),
    ("Conv2D same stride 2", lambda dtype: Conv2D(4, 3, strides=2, padding="same",
                                                  dtype=dtype), (2, 7, 7, 3), 2e-6),
    ("MaxPooling2D", lambda dtype: MaxPooling2D(dtype=dtype), (2, 6, 6, 3), 0.0),
    ("AveragePooling2D same", lambda dtype: AveragePooling2D(3, strides=2, padding="same",
                                                             dtype=dtype), (2, 7, 7, 3), 1e-6),
    ("BatchNormalization", lambda dtype: BatchNormalization(dtype=dtype), (16, 5), 1e-6),
    ("SimpleRNN, 20 steps", lambda dtype: SimpleRNN(6, return_sequences=True, dtype=dtype),
     (3, 20, 4), 1e-5),
    ("LSTM, 20 steps", lambda dtype: LSTM(6, return_sequences=True, dtype=dtype), (3, 20, 4),
     1e-5),
    ("Dropout", lambda dtype: Dropout(0.3, dtype=dtype), (4, 10), 1e-6),
    ("Flatten", lambda dtype: Flatten(dtype=dtype), (2, 3, 4), 0.0),
    ("Embedding", lambda dtype: Embedding(10, 4, dtype=dtype), (6, 5), 1e-6),  # sums repeats
    ("relu", activation("relu"), (4, 9), 0.0),
    ("linear", activation("linear"), (4, 9), 0.0),
    *[(name, activation(name), (4, 9), 1e-6)
      for name in ("sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign",
                   "hard_sigmoid", "exponential")],
]


def run_in(dtype, make, x, weights):
    """Output, input gradient and weight gradients of ``make(dtype)`` on ``x`` with
    ``weights`` (training mode, after the same seed)."""
    layer = make(dtype)
    floating = np.issubdtype(x.dtype, np.floating)
    inputs = dl.tensor(x.astype(dtype) if floating else x, requires_grad=floating)
    layer.build_for(inputs.shape)
    if weights is not None:
        layer.set_weights([w.astype(dtype) for w in weights])
    random.seed(5)
    y = layer(inputs, training=True)
    backward_with_random_upstream(y, seed=1)
    return [y.data, *([inputs.grad] if floating else []),
            *(weight.grad for weight in layer.trainable_weights)], layer


@pytest.mark.parametrize("name, make, shape, tolerance", FLOAT32_TOLERANCES,
                         ids=[case[0] for case in FLOAT32_TOLERANCES])
def test_float32_agrees_with_float64(name, make, shape, tolerance):
    rng = np.random.default_rng(0)
    x = (rng.integers(0, 10, shape) if name == "Embedding"
         else rng.standard_normal(shape).astype(np.float32))  # exact in both dtypes
    random.seed(3)
    _, layer = run_in("float32", make, x, None)
    weights = layer.get_weights()
    single, _ = run_in("float32", make, x, weights)
    double, _ = run_in("float64", make, x, weights)
    for mine, reference in zip(single, double, strict=True):
        assert mine.dtype == np.float32 and reference.dtype == np.float64
        scale = np.abs(reference).max()
        np.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance * scale)
