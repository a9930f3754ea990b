"""dlcore.introspection against hand computations on tiny models."""

import numpy as np
import pytest

from dlcore.introspection import (
    layer_gradients,
    layer_outputs,
    lstm_gate_activations,
    weight_gradients,
)
from dlcore.layers import LSTM, Activation, BatchNormalization, Conv2D, Dense, Flatten
from dlcore.models import Sequential
from dlcore.utils import set_random_seed

BATCH = 5


@pytest.fixture
def classifier():
    """relu Dense -> linear Dense -> softmax, compiled with categorical cross-entropy."""
    set_random_seed(3)
    model = Sequential([Dense(4, activation="relu", input_dim=3, name="hidden"),
                        Dense(3, name="scores"), Activation("softmax", name="probabilities")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]]
    return x, y


def hand_forward(model, x):
    """The classifier's three outputs computed with numpy."""
    kernel_1, bias_1, kernel_2, bias_2 = model.get_weights()
    hidden = np.maximum(x @ kernel_1 + bias_1, 0)
    scores = hidden @ kernel_2 + bias_2
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return hidden, scores, exp / exp.sum(axis=1, keepdims=True)


def test_layer_outputs_are_each_layers_output_in_order(classifier, batch):
    x, _ = batch
    outputs = layer_outputs(classifier, x)
    assert [name for name, _ in outputs] == ["hidden", "scores", "probabilities"]
    for (_, got), expected in zip(outputs, hand_forward(classifier, x), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_layer_outputs_builds_an_unbuilt_model():
    model = Sequential([Conv2D(2, 3), Flatten()])
    outputs = layer_outputs(model, np.zeros((1, 6, 6, 1), dtype=np.float32))
    assert [array.shape for _, array in outputs] == [(1, 4, 4, 2), (1, 32)]


def test_layer_gradients_are_the_backpropagated_signal(classifier, batch):
    x, y = batch
    _, _, probabilities = hand_forward(classifier, x)
    gradients = dict(layer_gradients(classifier, x, y))
    # mean of -log p[label] over the batch, with p renormalised: d/dp_j = (1 - y_j / p_j) / n
    np.testing.assert_allclose(gradients["probabilities"], (1 - y / probabilities) / BATCH,
                               rtol=1e-4, atol=1e-6)
    # through the softmax: the familiar (softmax - one-hot) / batch
    np.testing.assert_allclose(gradients["scores"], (probabilities - y) / BATCH, atol=1e-6)
    kernel_2 = classifier.get_weights()[2]
    np.testing.assert_allclose(gradients["hidden"], gradients["scores"] @ kernel_2.T, atol=1e-6)


def test_weight_gradients_follow_from_the_layer_gradients(classifier, batch):
    x, y = batch
    hidden, _, probabilities = hand_forward(classifier, x)
    gradients = weight_gradients(classifier, x, y)
    assert [name for name, _ in gradients] == ["hidden/kernel", "hidden/bias",
                                               "scores/kernel", "scores/bias"]
    delta = (probabilities - y) / BATCH
    np.testing.assert_allclose(gradients[2][1], hidden.T @ delta, atol=1e-6)
    np.testing.assert_allclose(gradients[3][1], delta.sum(axis=0), atol=1e-6)
    hidden_delta = (delta @ classifier.get_weights()[2].T) * (hidden > 0)  # through the relu
    np.testing.assert_allclose(gradients[0][1], x.T @ hidden_delta, atol=1e-6)
    np.testing.assert_allclose(gradients[1][1], hidden_delta.sum(axis=0), atol=1e-6)


def test_frozen_layers_have_no_weight_gradients(classifier, batch):
    classifier.layers[0].trainable = False
    names = [name for name, _ in weight_gradients(classifier, *batch)]
    assert names == ["scores/kernel", "scores/bias"]


def test_gradients_change_no_weight_gradient_or_optimizer_state(classifier, batch):
    x, y = batch
    classifier.train_on_batch(x, y)
    before = classifier.get_weights()
    iterations = classifier.optimizer.iterations
    layer_gradients(classifier, x, y, training=True)
    weight_gradients(classifier, x, y)
    for old, new in zip(before, classifier.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert all(weight.grad is None for weight in classifier.weights)
    assert classifier.optimizer.iterations == iterations


def test_training_mode_leaves_batch_norm_statistics_alone(batch):
    x, y = batch
    model = Sequential([Dense(3, input_dim=3, name="scores"), BatchNormalization(),
                        Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = model.get_weights()
    training = dict(layer_gradients(model, x * 10 + 3, y, training=True))
    inference = dict(layer_gradients(model, x * 10 + 3, y))
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(training["scores"], inference["scores"])  # batch vs moving statistics


def test_lstm_gates_reproduce_the_layers_hidden_states():
    set_random_seed(1)
    layer = LSTM(4, return_sequences=True)
    x = np.random.default_rng(1).normal(size=(3, 6, 2)).astype(np.float32)
    hidden_states = layer(x).data
    gates = lstm_gate_activations(layer, x)
    assert sorted(gates) == sorted(["input", "forget", "cell", "output", "cell_state",
                                    "hidden"])
    assert all(values.shape == (3, 6, 4) for values in gates.values())
    np.testing.assert_allclose(gates["hidden"], hidden_states, atol=1e-5)
    np.testing.assert_allclose(gates["hidden"], gates["output"] * np.tanh(gates["cell_state"]))
    for name in ("input", "forget", "output"):
        assert 0 <= gates[name].min() and gates[name].max() <= 1


def test_lstm_gates_at_the_first_step_by_hand():
    layer = LSTM(2)
    x = np.array([[[0.5, -1.0, 2.0]]], dtype=np.float32)
    layer(x)
    z = x[0, 0] @ layer.kernel.data + layer.bias.data  # h_0 = 0: no recurrent part
    sigmoid = 1 / (1 + np.exp(-z))
    gates = lstm_gate_activations(layer, x)
    np.testing.assert_allclose(gates["input"][0, 0], sigmoid[0:2], rtol=1e-6)
    np.testing.assert_allclose(gates["forget"][0, 0], sigmoid[2:4], rtol=1e-6)
    np.testing.assert_allclose(gates["cell"][0, 0], np.tanh(z[4:6]), rtol=1e-6)
    np.testing.assert_allclose(gates["output"][0, 0], sigmoid[6:8], rtol=1e-6)
    np.testing.assert_allclose(gates["cell_state"][0, 0],
                               sigmoid[0:2] * np.tanh(z[4:6]), rtol=1e-6)


def test_errors_name_the_function_and_the_fix(classifier, batch):
    x, y = batch
    uncompiled = Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match=r"layer_gradients needs the model's loss: compile"):
        layer_gradients(uncompiled, x, y)
    with pytest.raises(TypeError, match=r"layer_outputs expects a dlcore model with layers"):
        layer_outputs(lambda v: v, x)
    with pytest.raises(TypeError, match=r"lstm_gate_activations expects a dlcore.layers.LSTM"):
        lstm_gate_activations(classifier.layers[0], x)
    with pytest.raises(ValueError, match=r"has no weights yet; call it on data"):
        lstm_gate_activations(LSTM(2), np.zeros((1, 3, 2)))
    layer = LSTM(2)
    layer(np.zeros((1, 3, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expects x of shape \(batch, time, 2\).*got shape "
                                         r"\(3, 2\)"):
        lstm_gate_activations(layer, np.zeros((3, 2)))
