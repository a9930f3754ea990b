"""Every layer through ``layer_test``, plus each layer's own rules, errors and gradients."""

import json
import warnings

import numpy as np
import pytest

import dlcore as dl
from dlcore import random
from dlcore.layers.base import reset_names
from dlcore.layers.convolutional import Conv2D
from dlcore.layers.core import Activation, Dense, Dropout, Flatten
from dlcore.layers.embedding import Embedding
from dlcore.layers.normalization import BatchNormalization
from dlcore.layers.pooling import AveragePooling2D, MaxPooling2D
from dlcore.layers.recurrent import LSTM, SimpleRNN
from tests.layer_testing import gradcheck_layer, layer_test


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()
    random.seed(0)


IDS = np.array([[0, 3, 9, 3, 1], [2, 2, 8, 0, 5]])

# (id, factory, input shape, output shape, weight shapes, extra layer_test arguments)
CASES = [
    ("dense", lambda: Dense(3), (2, 4), (2, 3), [(4, 3), (3,)],
     dict(weight_names=["kernel", "bias"])),
    ("dense-rank3-relu-nobias", lambda: Dense(3, activation="relu", use_bias=False),
     (2, 5, 4), (2, 5, 3), [(4, 3)], {}),
    ("dense-float64", lambda: Dense(2, activation="softmax", dtype="float64"), (3, 4), (3, 2),
     [(4, 2), (2,)], dict(dtype="float64")),
    ("activation-tanh", lambda: Activation("tanh"), (2, 3), (2, 3), [], {}),
    ("activation-softmax", lambda: Activation("softmax"), (2, 3, 4), (2, 3, 4), [], {}),
    ("dropout", lambda: Dropout(0.5), (4, 6), (4, 6), [], dict(training_changes_output=True)),
    ("flatten", lambda: Flatten(), (2, 3, 4, 2), (2, 24), [], {}),
    ("conv2d", lambda: Conv2D(4, 3), (2, 5, 5, 3), (2, 3, 3, 4), [(3, 3, 3, 4), (4,)],
     dict(weight_names=["kernel", "bias"])),
    ("conv2d-same-nonsquare", lambda: Conv2D(2, (2, 3), strides=(1, 2), padding="SAME",
                                             activation="relu"),
     (1, 5, 6, 2), (1, 5, 3, 2), [(2, 3, 2, 2), (2,)], {}),
    ("conv2d-stride2-valid-nobias", lambda: Conv2D(3, 3, strides=2, use_bias=False),
     (2, 6, 7, 1), (2, 2, 3, 3), [(3, 3, 1, 3)], {}),
    ("maxpool", lambda: MaxPooling2D(), (2, 4, 6, 3), (2, 2, 3, 3), [], {}),
    ("maxpool-same-overlap", lambda: MaxPooling2D((3, 3), strides=2, padding="same"),
     (1, 5, 5, 2), (1, 3, 3, 2), [], {}),
    ("avgpool-stride1", lambda: AveragePooling2D((2, 3), strides=1), (2, 4, 5, 1),
     (2, 3, 3, 1), [], {}),
    ("avgpool-same", lambda: AveragePooling2D(2, padding="same"), (1, 5, 5, 2), (1, 3, 3, 2),
     [], {}),
    ("batchnorm", lambda: BatchNormalization(), (6, 4), (6, 4), [(4,)] * 4,
     dict(weight_names=["gamma", "beta", "moving_mean", "moving_variance"], non_trainable=2,
          training_changes_output=True)),
    ("batchnorm-images-nocenter", lambda: BatchNormalization(center=False), (2, 3, 3, 4),
     (2, 3, 3, 4), [(4,)] * 3,
     dict(weight_names=["gamma", "moving_mean", "moving_variance"], non_trainable=2,
          training_changes_output=True)),
    ("batchnorm-plain", lambda: BatchNormalization(center=False, scale=False, axis=1),
     (5, 3), (5, 3), [(3,)] * 2, dict(non_trainable=2, training_changes_output=True)),
    ("simple_rnn", lambda: SimpleRNN(3), (2, 4, 5), (2, 3), [(5, 3), (3, 3), (3,)],
     dict(weight_names=["kernel", "recurrent_kernel", "bias"])),
    ("simple_rnn-sequences-nobias", lambda: SimpleRNN(3, return_sequences=True, use_bias=False),
     (2, 4, 5), (2, 4, 3), [(5, 3), (3, 3)], {}),
    ("lstm", lambda: LSTM(3), (2, 4, 5), (2, 3), [(5, 12), (3, 12), (12,)],
     dict(weight_names=["kernel", "recurrent_kernel", "bias"])),
    ("lstm-sequences", lambda: LSTM(2, return_sequences=True), (1, 6, 3), (1, 6, 2),
     [(3, 8), (2, 8), (8,)], {}),
    ("embedding", lambda: Embedding(10, 3), IDS.shape, (2, 5, 3), [(10, 3)],
     dict(input_data=IDS, weight_names=["embeddings"])),
    ("embedding-input_length", lambda: Embedding(10, 3, input_length=5), IDS.shape, (2, 5, 3),
     [(10, 3)], dict(input_data=IDS.astype(np.int32))),
]


@pytest.mark.parametrize(("factory", "input_shape", "output_shape", "weight_shapes", "extra"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_layer_contract(factory, input_shape, output_shape, weight_shapes, extra):
    layer_test(factory, input_shape, output_shape, weight_shapes, **extra)


# ----- names, aliases, shapes --------------------------------------------------------------


def test_automatic_names_count_per_class():
    names = [Dense(2).name, Dense(2).name, Conv2D(1, 1).name, MaxPooling2D().name,
             AveragePooling2D().name, BatchNormalization().name, SimpleRNN(1).name,
             LSTM(1).name, Embedding(2, 2).name, Dense(2, name="out").name, Dense(2).name]
    assert names == ["dense", "dense_1", "conv2d", "max_pooling2d", "average_pooling2d",
                     "batch_normalization", "simple_rnn", "lstm", "embedding", "out", "dense_2"]


def test_output_dim_is_the_keras1_alias_of_units():
    with pytest.warns(DeprecationWarning, match=r"units=5"):
        layer = Dense(output_dim=5)
    assert layer.units == 5 and layer.get_config()["units"] == 5
    with pytest.raises(TypeError, match="both units=4 and output_dim=5"):
        Dense(4, output_dim=5)
    with pytest.raises(TypeError, match="Dense needs units"):
        Dense()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dense(units=5)


def test_input_dim_and_input_shape_give_the_input_shape():
    layer = Dense(3, input_dim=4)
    assert layer.batch_input_shape == (None, 4)
    assert layer.get_config()["batch_input_shape"] == [None, 4]
    layer.build_for(layer.batch_input_shape)
    assert layer.input_shape == (None, 4) and layer.output_shape == (None, 3)
    assert Conv2D(2, 3, input_shape=(8, 8, 1)).batch_input_shape == (None, 8, 8, 1)
    assert Embedding(10, 4, input_length=7).batch_input_shape == (None, 7)


@pytest.mark.parametrize(("layer", "input_shape", "expected"), [
    (lambda: Dense(5), (None, 7, 3), (None, 7, 5)),
    (lambda: Flatten(), (None, 3, None), (None, None)),
    (lambda: Conv2D(8, (3, 5), strides=(2, 3), padding="same"), (None, 7, 10, 2),
     (None, 4, 4, 8)),
    (lambda: Conv2D(8, 3), (None, None, 9, 2), (None, None, 7, 8)),
    (lambda: MaxPooling2D(3, strides=1), (None, 4, 5, 6), (None, 2, 3, 6)),
    (lambda: LSTM(4, return_sequences=True), (None, None, 3), (None, None, 4)),
    (lambda: SimpleRNN(4), (None, 10, 3), (None, 4)),
    (lambda: Embedding(5, 2), (None, 3, 4), (None, 3, 4, 2)),
])
def test_compute_output_shape_without_data(layer, input_shape, expected):
    assert layer().compute_output_shape(input_shape) == expected


def test_from_config_rebuilds_every_argument():
    layer = Conv2D(6, (5, 3), strides=2, padding="same", activation="relu", use_bias=False,
                   kernel_initializer="he_normal", kernel_regularizer="l2", name="features",
                   trainable=False, input_shape=(28, 28, 1))
    config = json.loads(json.dumps(layer.get_config()))
    assert config == {
        "name": "features", "trainable": False, "dtype": "float32",
        "batch_input_shape": [None, 28, 28, 1], "filters": 6, "kernel_size": [5, 3],
        "strides": [2, 2], "padding": "same", "data_format": "channels_last",
        "activation": "relu", "use_bias": False,
        "kernel_initializer": {"class_name": "HeNormal", "config": {}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}},
        "bias_regularizer": None,
    }
    rebuilt = Conv2D.from_config(config)
    assert rebuilt.get_config() == config and rebuilt.trainable is False


def test_a_custom_activation_cannot_go_into_a_config():
    layer = Dense(2, activation=lambda x: x * 2)
    np.testing.assert_allclose(layer(np.ones((1, 3))).data, 2 * (np.ones((1, 3)) @
                                                                 layer.kernel.data))
    with pytest.raises(ValueError, match="cannot be saved in a config"):
        layer.get_config()


# ----- values ------------------------------------------------------------------------------


def test_dense_computes_x_kernel_plus_bias_then_activation():
    layer = Dense(3, activation="relu")
    x = np.random.default_rng(1).standard_normal((4, 2, 5)).astype(np.float32)
    y = layer(x).data
    expected = np.maximum(x @ layer.kernel.data + layer.bias.data, 0)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_flatten_uses_c_order():
    x = np.arange(24, dtype=np.float32).reshape(2, 2, 3, 2)
    np.testing.assert_array_equal(Flatten()(x).data, x.reshape(2, 12))


def test_conv2d_one_by_one_kernel_is_a_matmul_over_channels():
    layer = Conv2D(4, 1, activation="tanh")
    x = np.random.default_rng(2).standard_normal((2, 3, 3, 5)).astype(np.float32)
    y = layer(x).data
    expected = np.tanh(x @ layer.kernel.data[0, 0] + layer.bias.data)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_conv2d_accepts_other_image_sizes_with_the_same_channels():
    layer = Conv2D(2, 3, padding="same")
    assert layer(np.zeros((1, 5, 5, 3))).shape == (1, 5, 5, 2)
    assert layer(np.zeros((2, 8, 6, 3))).shape == (2, 8, 6, 2)


def test_pooling_values():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(MaxPooling2D()(x).data[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(AveragePooling2D()(x).data[0, :, :, 0],
                                  [[2.5, 4.5], [10.5, 12.5]])


def test_dropout_scales_kept_units_and_is_identity_in_inference():
    layer = Dropout(0.25)
    x = np.ones((200, 50), dtype=np.float32)
    np.testing.assert_array_equal(layer(x, training=False).data, x)
    y = layer(x, training=True).data
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    random.seed(3)
    first = layer(x, training=True).data
    random.seed(3)
    np.testing.assert_array_equal(layer(x, training=True).data, first)


def test_embedding_looks_up_rows_and_accepts_whole_floats():
    layer = Embedding(10, 3)
    y = layer(IDS).data
    np.testing.assert_array_equal(y, layer.embeddings.data[IDS])
    np.testing.assert_array_equal(layer(IDS.astype(np.float32)).data, y)
    assert Embedding(4, 2)(np.array([[1, 2, 3]])).shape == (1, 3, 2)


def test_embedding_gradient_adds_up_repeated_ids():
    layer = Embedding(4, 2)
    ids = np.array([[1, 1, 3]])
    layer(ids).sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad, [[0, 0], [2, 2], [0, 0], [1, 1]])


# ----- batch normalization -----------------------------------------------------------------


def test_batch_norm_training_updates_the_moving_statistics():
    layer = BatchNormalization(momentum=0.9)
    x = np.random.default_rng(4).normal(3.0, 2.0, (32, 3)).astype(np.float32)
    y = layer(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-3), rtol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.data, 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.data, 0.9 + 0.1 * x.var(axis=0), rtol=1e-5)
    mean, var = layer.moving_mean.data.copy(), layer.moving_variance.data.copy()
    inference = layer(x, training=False).data
    np.testing.assert_allclose(inference, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.data, mean)
    np.testing.assert_array_equal(layer.get_weights()[2], mean)


def test_frozen_batch_norm_runs_in_inference_mode():
    layer = BatchNormalization()
    x = np.random.default_rng(5).normal(1.0, 3.0, (16, 2)).astype(np.float32)
    layer(x)
    layer.trainable = False
    before = layer.get_weights()
    np.testing.assert_array_equal(layer(x, training=True).data, layer(x, training=False).data)
    for after, weight in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(after, weight)


def test_lstm_unit_forget_bias_sets_the_forget_slice():
    layer = LSTM(3)
    layer.build_for((None, 4, 2))
    np.testing.assert_array_equal(layer.bias.data, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    plain.build_for((None, 4, 2))
    np.testing.assert_array_equal(plain.bias.data, np.ones(12))
    assert LSTM(3).get_config()["unit_forget_bias"] is True


# ----- gradients in float64 ----------------------------------------------------------------


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(("layer", "x", "training"), [
    (lambda: Dense(3, activation="tanh", dtype="float64"), _x(2, 4), False),
    (lambda: Dense(2, activation="softmax", dtype="float64"), _x(2, 3, 3), False),
    (lambda: Conv2D(2, (2, 3), strides=(2, 1), padding="same", activation="sigmoid",
                    dtype="float64"), _x(1, 4, 5, 2), False),
    (lambda: BatchNormalization(dtype="float64"), _x(5, 3), True),
    (lambda: BatchNormalization(center=False, dtype="float64"), _x(2, 2, 2, 3), True),
    (lambda: BatchNormalization(dtype="float64"), _x(4, 3), False),
    (lambda: LSTM(2, dtype="float64"), _x(2, 3, 2), False),
    (lambda: LSTM(2, return_sequences=True, dtype="float64"), _x(1, 3, 2), False),
    (lambda: SimpleRNN(2, return_sequences=True, dtype="float64"), _x(2, 3, 2), False),
    (lambda: AveragePooling2D(2, padding="same", dtype="float64"), _x(1, 3, 3, 2), False),
], ids=["dense", "dense-rank3-softmax", "conv2d", "batchnorm-training", "batchnorm-images",
        "batchnorm-inference", "lstm", "lstm-sequences", "simple_rnn", "avgpool"])
def test_gradients_match_finite_differences(layer, x, training):
    layer = layer()
    layer(x)
    if layer.weights:
        layer.set_weights([w + np.random.default_rng(1).uniform(-0.5, 0.5, w.shape)
                           for w in layer.get_weights()])
    assert gradcheck_layer(layer, x, training=training)


# ----- errors ------------------------------------------------------------------------------


def test_dense_wrong_feature_count_names_the_layer_and_suggests_flatten():
    layer = Dense(10, input_dim=784)
    layer.build_for(layer.batch_input_shape)
    with pytest.raises(ValueError, match=r"'dense' \(Dense\) expects .*784.*\(32, 28, 28\)"
                                         r".*Add a Flatten layer"):
        layer(np.zeros((32, 28, 28)))
    with pytest.raises(ValueError, match=r"784 features.*\(32, 100\).*Flatten"):
        layer(np.zeros((32, 100)))
    with pytest.raises(ValueError, match=r"\(784,\).*reshape a single sample to \(1, 784\)"):
        layer(np.zeros(784))
    with pytest.raises(ValueError, match=r"'dense_1'.*known number of features"):
        Dense(2)(np.zeros(3))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Dense(0), r"'dense'.*units must be a positive int, got 0"),
    (lambda: Dense(2.5), r"units must be a positive int, got 2.5"),
    (lambda: Dense(2, activation="rellu"), r"unknown activation 'rellu'.*Did you mean 'relu'"),
    (lambda: Dense(2, kernel_initializer="glorot"), r"unknown initializer"),
    (lambda: Dense(2, bogus=1), r"unexpected keyword arguments \['bogus'\]"),
    (lambda: Conv2D(4, (3, 3, 3)), r"kernel_size must be an int or a pair"),
    (lambda: Conv2D(4, 3, strides=0), r"strides must be a positive int, got 0"),
    (lambda: Conv2D(4, 3, padding="full"), r"'conv2d'.*padding must be 'valid' or 'same'"),
    (lambda: Conv2D(4, 3, data_format="channels_first"), r"channels-last only"),
    (lambda: MaxPooling2D(padding="causal"), r"padding must be 'valid' or 'same'"),
    (lambda: AveragePooling2D(data_format="channels_first"), r"channels-last only"),
    (lambda: Dropout(1.0), r"'dropout'.*0 <= rate < 1, got 1.0"),
    (lambda: Dropout(-0.1), r"0 <= rate < 1, got -0.1"),
    (lambda: Dropout("half"), r"rate must be a number"),
    (lambda: Dropout(0.5, noise_shape=(None, 1)), r"noise_shape=\(None, 1\) is not supported"),
    (lambda: Dropout(0.5, seed=3), r"seed=3 is not supported.*dlcore.utils.set_random_seed"),
    (lambda: BatchNormalization(momentum=1.5), r"momentum must be in \[0, 1\]"),
    (lambda: BatchNormalization(epsilon=0), r"epsilon must be positive"),
    (lambda: BatchNormalization(axis=None), r"axis must be an int"),
    (lambda: SimpleRNN(3, activation="relu"), r"'simple_rnn'.*only activation='tanh'.*'relu'"),
    (lambda: LSTM(3, recurrent_activation="hard_sigmoid"),
     r"only recurrent_activation='sigmoid'.*'hard_sigmoid'.*Keras 2.3"),
    (lambda: LSTM(3, activation=None), r"only activation='tanh'.*got 'None'"),
    (lambda: Embedding(0, 3), r"input_dim must be a positive int"),
])
def test_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize(("make", "x", "message"), [
    (lambda: Conv2D(2, 3), np.zeros((2, 8, 8)),
     r"'conv2d' \(Conv2D\) expects images of shape \(batch, rows, cols, channels\).*"
     r"x.reshape\(n, rows, cols, 1\)"),
    (lambda: Conv2D(2, 5), np.zeros((1, 4, 8, 1)), r"at least 5 rows.*padding='same'"),
    (lambda: MaxPooling2D(3), np.zeros((1, 2, 2, 1)), r"at least 3 rows"),
    (lambda: MaxPooling2D(), np.zeros((4, 6)), r"Reshape the input to \(batch, rows"),
    (lambda: BatchNormalization(axis=1), np.zeros((2, 4, 4, 3)),
     r"axis=1 to be the last axis.*use axis=-1"),
    (lambda: LSTM(2), np.zeros((3, 5)), r"'lstm'.*\(batch, timesteps, features\).*"
                                        r"x.reshape\(batch, timesteps, 1\)"),
    (lambda: SimpleRNN(2), np.zeros((1, 2, 3, 4)), r"Reshape the input to \(batch, timesteps"),
    (lambda: Embedding(10, 2), np.array([[1, 10]]),
     r"'embedding' \(Embedding, input_dim=10\).*from 1 to 10"),
    (lambda: Embedding(10, 2), np.array([[-1, 2]]), r"'embedding'.*from -1 to 2"),
    (lambda: Embedding(10, 2), np.array([[0.5, 2]]), r"'embedding'.*not whole numbers"),
])
def test_bad_first_inputs(make, x, message):
    with pytest.raises(ValueError, match=message):
        make()(x)


@pytest.mark.parametrize(("make", "first", "then", "message"), [
    (lambda: Conv2D(2, 3), (1, 5, 5, 3), (1, 5, 5, 1),
     r"images of shape \(batch, rows, cols, channels\) with 3 channels.*\(1, 5, 5, 1\)"),
    (lambda: BatchNormalization(), (4, 3), (4, 5), r"rank 2 with 3 features.*\(4, 5\)"),
    (lambda: LSTM(2), (1, 4, 3), (1, 4, 2), r"with 3 features.*\(1, 4, 2\).*built for 3"),
    (lambda: LSTM(2), (1, 4, 3), (1, 4), r"\(batch, timesteps, features\)"),
    (lambda: Embedding(10, 2, input_length=4), (1, 4), (1, 5), r"input_length=4.*\(1, 5\)"),
    (lambda: Flatten(), (2, 3, 4), (2, 4, 3), r"'flatten'.*\(None, 3, 4\).*\(2, 4, 3\)"),
], ids=["conv-channels", "batchnorm-features", "lstm-features", "lstm-rank",
        "embedding-length", "flatten-shape"])
def test_inputs_that_do_not_fit_the_built_layer(make, first, then, message):
    layer = make()
    floating = "Embedding" not in type(layer).__name__
    layer(np.zeros(first) if floating else np.zeros(first, dtype=np.int64))
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(then) if floating else np.zeros(then, dtype=np.int64))


def test_float32_layers_keep_float32_and_float64_layers_float64():
    x = np.random.default_rng(6).standard_normal((2, 4, 4, 3))
    for dtype in ("float32", "float64"):
        y = Conv2D(2, 3, dtype=dtype)(x)
        assert y.dtype == np.dtype(dtype)
        layer = BatchNormalization(dtype=dtype)
        z = layer(dl.tensor(x.astype(dtype), requires_grad=True), training=True)
        z.sum().backward()
        assert z.dtype == np.dtype(dtype) and layer.gamma.grad.dtype == np.dtype(dtype)
        assert layer.moving_mean.dtype == np.dtype(dtype)


def test_an_array_is_copied_only_while_a_graph_is_recorded():
    """Training keeps its own copy of the input for the backward pass; inference reads the
    caller's array in place (and leaves it unchanged)."""
    layer = Dense(3, kernel_initializer="ones")
    x = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    y = layer(x)
    x[...] = 0  # a later change to the caller's array does not reach the graph
    y.sum().backward()
    np.testing.assert_array_equal(layer.kernel.grad, np.tile([[4.0], [6.0], [8.0], [10.0]], 3))
    x = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    with dl.no_grad():
        inference = layer(x)
    np.testing.assert_array_equal(inference.data, x @ np.ones((4, 3)))
    np.testing.assert_array_equal(x, np.arange(8.0).reshape(2, 4))
