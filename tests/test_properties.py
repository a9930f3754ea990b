"""Property-based tests (hypothesis, derandomized: the same examples on every run).

* conv2d and pooling on random shapes, kernels, strides and paddings: values and gradients
  against the numpy references, and finite differences;
* SimpleRNN and LSTM on random sequences (batch, length, features, units, with or without
  bias, last state or whole sequence) against the references, and finite differences;
* elementwise operators on random broadcasting shapes: each input's gradient is the sum of
  the upstream contributions of every output element it was broadcast to (an index oracle);
* random valid Sequential stacks saved and loaded: bit-identical predictions, weights and
  one more training step.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dlcore as dl
import dlcore.functional as F
from dlcore import saving, utils
from dlcore.layers import LAYER_CLASSES
from dlcore.models import Sequential
from tests.nn_op_table import BY_ID, Sample, normal, values
from tests.op_table import BINARY, make_values
from tests.oracles import keras_geometry
from tests.test_nn_op_table import check_gradcheck, check_reference

EXAMPLES = settings(derandomize=True, database=None, deadline=None, max_examples=25,
                    suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**16)


# ----- convolution and pooling --------------------------------------------------------------


@st.composite
def windows(draw, largest=4):
    """``(x shape, window, strides, padding)`` of a window sliding over small NHWC images;
    with 'valid' padding the window fits."""
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(1, 6)),
             draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    limits = shape[1:3] if padding == "valid" else (largest, largest)
    window = tuple(draw(st.integers(1, min(largest, n))) for n in limits)
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return shape, window, strides, padding


@EXAMPLES
@given(geometry=windows(), filters=st.integers(1, 3), bias=st.booleans(), seed=seeds)
def test_conv2d_matches_the_reference_and_finite_differences(geometry, filters, bias, seed):
    shape, window, strides, padding = geometry
    arrays = normal(seed, shape, (*window, shape[3], filters), (filters,))
    sample = Sample("drawn", arrays[: 3 if bias else 2], {"strides": strides, "padding": padding})
    check_reference(BY_ID["conv2d"], sample)
    check_gradcheck(BY_ID["conv2d"], sample)


@EXAMPLES
@given(op=st.sampled_from(["max_pool2d", "avg_pool2d"]), geometry=windows(largest=3),
       default_strides=st.booleans(), seed=seeds)
def test_pooling_matches_the_reference_and_finite_differences(op, geometry, default_strides,
                                                              seed):
    shape, window, strides, padding = geometry
    x = values(shape, distinct=op == "max_pool2d", seed=seed)  # no ties for the maximum
    params = {"pool_size": window, "strides": None if default_strides else strides,
              "padding": padding}
    sample = Sample("drawn", (x,), params)
    check_reference(BY_ID[op], sample)
    check_gradcheck(BY_ID[op], sample)


# ----- recurrent ops ------------------------------------------------------------------------


@EXAMPLES
@given(op=st.sampled_from(["simple_rnn", "lstm"]), batch=st.integers(1, 3),
       steps=st.integers(1, 5), features=st.integers(1, 3), units=st.integers(1, 3),
       bias=st.booleans(), return_sequences=st.booleans(), seed=seeds)
def test_recurrent_ops_match_the_references_and_finite_differences(
        op, batch, steps, features, units, bias, return_sequences, seed):
    width = (4 if op == "lstm" else 1) * units
    arrays = normal(seed, (batch, steps, features), (features, width), (units, width),
                    (width,), scale=0.6)
    sample = Sample("drawn", arrays[: 4 if bias else 3], {"return_sequences": return_sequences})
    check_reference(BY_ID[op], sample)
    check_gradcheck(BY_ID[op], sample)


# ----- broadcasting -------------------------------------------------------------------------


def summed_to(contributions: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each element of an input of ``shape`` gets the sum of ``contributions`` over the output
    elements it was broadcast to: found by broadcasting the elements' indices, no axis rules."""
    owners = np.broadcast_to(np.arange(int(np.prod(shape))).reshape(shape), contributions.shape)
    sums = np.bincount(owners.ravel(), weights=contributions.ravel(), minlength=owners.size)
    return sums[: int(np.prod(shape))].reshape(shape)


# the partial derivatives of each binary operator, on the broadcast operands
PARTIALS = {
    "add": lambda a, b: (np.ones_like(a), np.ones_like(b)),
    "sub": lambda a, b: (np.ones_like(a), -np.ones_like(b)),
    "mul": lambda a, b: (b, a),
    "div": lambda a, b: (1 / b, -a / b**2),
    "pow": lambda a, b: (b * a ** (b - 1), a**b * np.log(a)),
}


@EXAMPLES
@given(case=st.sampled_from(BINARY), seed=seeds,
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
def test_broadcast_gradients_sum_over_the_broadcast_elements(case, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [make_values(rng, shape, case.values, case.distinct)
              for shape in shapes.input_shapes]
    inputs = [dl.tensor(a, requires_grad=True) for a in arrays]
    y = case.dl(*inputs)
    assert y.shape == shapes.result_shape
    g = rng.standard_normal(y.shape)
    y.backward(g)
    partials = PARTIALS[case.name](*np.broadcast_arrays(*arrays))
    for tensor, partial in zip(inputs, partials, strict=True):
        assert tensor.grad.shape == tensor.shape
        np.testing.assert_allclose(tensor.grad, summed_to(g * partial, tensor.shape),
                                   rtol=1e-12, atol=1e-12)


@EXAMPLES
@given(leading=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), seed=seeds)
def test_the_dense_bias_gradient_sums_over_every_leading_axis(leading, seed):
    x, kernel, bias = normal(seed, (*leading, 3), (3, 2), (2,))
    bias_tensor = dl.tensor(bias, requires_grad=True)
    y = F.linear(x, kernel, bias_tensor)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(bias_tensor.grad, summed_to(g, bias.shape), rtol=1e-12)


# ----- save and load ------------------------------------------------------------------------

ACTIVATIONS = st.sampled_from([None, "relu", "tanh", "sigmoid", "softmax", "elu"])


def window_layer(draw, name, rows, cols):
    """A Conv2D or pooling layer valid for images of ``rows`` x ``cols``; its output size."""
    size = draw(st.integers(1, 3))
    fits = size <= min(rows, cols)
    padding = draw(st.sampled_from(["valid", "same"])) if fits else "same"
    strides = draw(st.integers(1, 2))
    out_rows, out_cols = keras_geometry((1, rows, cols, 1), size, strides, padding)[3]
    config = {"strides": strides, "padding": padding}
    if name == "Conv2D":
        config |= {"filters": draw(st.integers(1, 3)), "kernel_size": size,
                   "activation": draw(ACTIVATIONS)}
    else:
        config |= {"pool_size": size}
    return (name, config), out_rows, out_cols


def recurrent_stack(draw):
    """One or two SimpleRNN/LSTM layers; a Flatten after one that returns sequences."""
    count = draw(st.integers(1, 2))
    stack = []
    for position in range(count):
        sequences = position < count - 1 or draw(st.booleans())
        stack.append((draw(st.sampled_from(["SimpleRNN", "LSTM"])),
                      {"units": draw(st.integers(1, 3)), "return_sequences": sequences}))
    return stack + ([("Flatten", {})] if stack[-1][1]["return_sequences"] else [])


@st.composite
def architectures(draw):
    """``(layers, input shape without batch, whether the inputs are ids)`` of a valid
    Sequential, each layer as ``(class name, config)``."""
    kind = draw(st.sampled_from(["vectors", "images", "sequences", "ids"]))
    between = st.sampled_from([("BatchNormalization", {}), ("Dropout", {"rate": 0.3}),
                               ("Activation", {"activation": "tanh"})])
    if kind == "vectors":
        shape = (draw(st.integers(1, 5)),)
        layers = draw(st.lists(
            st.one_of(between, st.builds(lambda units, activation: (
                "Dense", {"units": units, "activation": activation}),
                st.integers(1, 4), ACTIVATIONS)), min_size=1, max_size=3))
    elif kind == "images":
        shape = (draw(st.integers(2, 6)), draw(st.integers(2, 6)), draw(st.integers(1, 2)))
        rows, cols, layers = shape[0], shape[1], []
        for name in draw(st.lists(st.sampled_from(["Conv2D", "MaxPooling2D", "AveragePooling2D",
                                                   "between"]), min_size=1, max_size=3)):
            if name == "between":
                layers.append(draw(between))
            else:
                layer, rows, cols = window_layer(draw, name, rows, cols)
                layers.append(layer)
        layers.append(("Flatten", {}))
    elif kind == "sequences":
        shape = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
        layers = recurrent_stack(draw)
    else:
        shape = (draw(st.integers(1, 4)),)
        layers = [("Embedding", {"input_dim": 5, "output_dim": draw(st.integers(1, 3)),
                                 "input_length": shape[0]}), *recurrent_stack(draw)]
    head = ("Dense", {"units": draw(st.integers(1, 3)), "activation": draw(ACTIVATIONS)})
    return [*layers, head], shape, kind == "ids"


def build(layers, shape):
    """The Sequential of ``layers``; the first one is given the input shape."""
    (name, config), *rest = layers
    if name != "Embedding":  # its input_length gives it the input shape
        config = {**config, "input_shape": shape}
    return Sequential([LAYER_CLASSES[name](**config),
                       *(LAYER_CLASSES[name](**config) for name, config in rest)])


def one_step(model, x, y, seed):
    utils.set_random_seed(seed)  # the same dropout masks for the model and its copy
    return model.train_on_batch(x, y)


@settings(EXAMPLES, max_examples=20)
@given(architecture=architectures(), seed=seeds,
       optimizer=st.sampled_from([None, "sgd", "rmsprop", "adagrad", "adam"]))
def test_saved_and_loaded_models_predict_and_train_bit_identically(architecture, seed,
                                                                   optimizer):
    layers, shape, ids = architecture
    utils.clear_session()
    utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, (4, *shape)) if ids else rng.standard_normal((4, *shape))
    model = build(layers, shape)
    y = rng.standard_normal((4, model.output_shape[-1]))
    if optimizer:
        model.compile(optimizer, "mse")
        one_step(model, x, y, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.h5"
        model.save(path)
        loaded = saving.load_model(path)
    assert loaded.get_config() == model.get_config()
    for mine, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    if optimizer:
        assert one_step(loaded, x, y, seed + 1) == one_step(model, x, y, seed + 1)
        for mine, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)
