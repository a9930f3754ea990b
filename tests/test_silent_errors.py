"""Mistakes that other frameworks let through with a wrong number instead of an error:
targets broadcast against predictions, labels out of range, predictions that depend on the
rest of the batch, softmax applied twice, binary cross-entropy on a softmax, and a
validation split that holds other classes than the training part.
"""

from __future__ import annotations

import re
import warnings
from functools import partial

import numpy as np
import pytest

import dlcore as dl
from dlcore import losses, metrics, utils
from dlcore.layers import Activation, BatchNormalization, Dense, Dropout
from dlcore.models import Sequential

N = 6
rng = np.random.default_rng(0)
COLUMN = rng.random((N, 1)).astype(np.float32) * 0.8 + 0.1  # valid probabilities and logits
FLAT_TARGETS = (rng.random(N) > 0.5).astype(np.float32)


@pytest.fixture(autouse=True)
def fresh_names_and_seed():
    utils.clear_session()
    utils.set_random_seed(0)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# ----- targets never broadcast -------------------------------------------------------------
ELEMENTWISE = {
    "mean_squared_error": losses.mean_squared_error,
    "mean_absolute_error": losses.mean_absolute_error,
    "binary_crossentropy": losses.binary_crossentropy,
    "binary_crossentropy from logits": partial(losses.binary_crossentropy, from_logits=True),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_flat_targets_for_a_column_output_gain_the_axis_and_are_not_broadcast(name):
    """(n,) targets and (n, 1) predictions: Keras's (n, 1) result, never the (n, n) of
    numpy broadcasting (whose mean is a different, plausible-looking number)."""
    loss = ELEMENTWISE[name]
    flat = loss(FLAT_TARGETS, COLUMN).data
    assert flat.shape == (N,)
    np.testing.assert_array_equal(flat, loss(FLAT_TARGETS[:, None], COLUMN).data)
    broadcast = loss(np.broadcast_to(FLAT_TARGETS, (N, N)), np.broadcast_to(COLUMN, (N, N)))
    assert not np.isclose(flat.mean(), broadcast.data.mean())  # the mistake would show


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("targets, predictions", [
    ((N, 1), (N,)), ((N, 2), (N, 1)), ((1, N), (N, 1)), ((N,), (1, N)), ((N, 1), (N, 3)),
], ids=str)
def test_any_other_shape_difference_is_an_error(name, targets, predictions):
    message = re.escape(f"targets of shape {targets} do not match predictions of shape "
                        f"{predictions}")
    with pytest.raises(ValueError, match=message):
        ELEMENTWISE[name](np.zeros(targets), np.full(predictions, 0.5))


@pytest.mark.parametrize("targets", [(N,), (N, 1), (N, 2)], ids=str)
def test_categorical_crossentropy_refuses_targets_without_the_class_axis(targets):
    with pytest.raises(ValueError, match="one-hot targets|do not match"):
        losses.categorical_crossentropy(np.zeros(targets), np.full((N, 3), 1 / 3))


def test_sparse_labels_need_one_label_per_row():
    with pytest.raises(ValueError, match=rf"{2 * N} labels for predictions of shape"):
        losses.sparse_categorical_crossentropy(np.zeros((N, 2), int), np.full((N, 3), 1 / 3))


@pytest.mark.parametrize("name", ["mse", "mae", "binary_accuracy", "accuracy"])
def test_metrics_compare_flat_targets_row_by_row(name):
    metric = metrics.resolve(name, "binary_crossentropy", 1)[1]
    flat = metric(FLAT_TARGETS, COLUMN)
    assert flat.shape == (N,)
    np.testing.assert_array_equal(flat, metric(FLAT_TARGETS[:, None], COLUMN))


@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy"])
def test_fit_with_flat_targets_trains_as_with_a_column(loss):
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    weights = []
    for targets in (y, y[:, None]):
        utils.set_random_seed(1)
        model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
        model.compile("sgd", loss)
        model.fit(x, targets, batch_size=8, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for flat, column in zip(*weights, strict=True):
        np.testing.assert_array_equal(flat, column)


# ----- labels out of range ---------------------------------------------------------------------
BAD_LABELS = {
    "equal to the class count": (np.array([0, 1, 3, 2]), "labels range from 0 to 3, but the "
                                                         "predictions have 3 classes"),
    "negative": (np.array([0, -1, 2, 1]), "labels range from -1 to 2"),
    "not whole numbers": (np.array([0.0, 1.5, 2.0, 1.0]), "non-integer"),
    "NaN": (np.array([0.0, np.nan, 2.0, 1.0]), "non-integer"),
}


@pytest.mark.parametrize("case", BAD_LABELS)
def test_out_of_range_sparse_labels_stop_fit_before_any_update(case):
    labels, message = BAD_LABELS[case]
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(np.ones((4, 2), np.float32), labels, epochs=1, verbose=0)
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)
    with pytest.raises(ValueError, match=message):
        losses.sparse_categorical_crossentropy(labels, np.full((4, 3), 1 / 3),
                                               from_logits=True)


@pytest.mark.parametrize("labels, num_classes, message", [
    ([0, 1, 3], 3, "largest label is 3, but num_classes=3"),
    ([-1, 1, 1], None, "labels must be >= 0, got a minimum of -1"),
    ([0, 1.5], None, "non-integer"),
    ([0, np.nan], 2, "non-integer"),
    ([[0, 1], [2, 3]], 3, "largest label is 3"),
])
def test_to_categorical_refuses_what_it_would_encode_wrongly(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        utils.to_categorical(np.array(labels), num_classes)


# ----- predictions do not depend on the rest of the batch -------------------------------------
def test_predict_is_independent_of_the_other_samples_in_the_batch():
    """With BatchNormalization and Dropout, a sample's prediction alone, in batches of other
    sizes, or shuffled, is the same.

    Not bit for bit: a batch of one goes through BLAS's matrix-vector product, larger
    batches through its blocked matrix product, and the two add the same products in a
    different order (measured: a few float32 ulps). So the bound is 1e-5 of the outputs'
    scale (probabilities), while a leak of training mode moves them by more than 1e-2.
    """
    x = rng.standard_normal((100, 64)).astype(np.float32)
    y = rng.integers(0, 3, 100)
    model = Sequential([Dense(128, activation="relu", input_shape=(64,)), BatchNormalization(),
                        Dropout(0.5), Dense(32, activation="relu"), Dropout(0.3),
                        Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    whole = model.predict(x, batch_size=100)
    views = {"alone": np.concatenate([model.predict(x[i:i + 1]) for i in range(100)])}
    views.update({f"batches of {size}": model.predict(x, batch_size=size)
                  for size in (3, 7, 32, 64)})
    order = rng.permutation(100)
    views["shuffled"] = model.predict(x[order])[np.argsort(order)]
    for name, predictions in views.items():
        assert np.abs(predictions - whole).max() <= 1e-5, name
    leaked = model(x[:7], training=True).data  # the control: training mode does change them
    assert np.abs(leaked - whole[:7]).max() > 1e-2


# ----- softmax twice, binary cross-entropy on a softmax ---------------------------------------
PROBABILITY_ROWS = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])


@pytest.mark.parametrize("loss, targets", [
    (losses.categorical_crossentropy, np.eye(3)[[0, 2]]),
    (losses.sparse_categorical_crossentropy, np.array([0, 2])),
], ids=["categorical", "sparse"])
def test_from_logits_on_probabilities_warns(loss, targets, no_warnings):
    with pytest.warns(UserWarning, match=r"from_logits=True\) got predictions whose rows are "
                                         "already probabilities"):
        loss(targets, PROBABILITY_ROWS, from_logits=True)
    loss(targets, np.log(PROBABILITY_ROWS), from_logits=True)  # logits: silent
    loss(targets, PROBABILITY_ROWS)


def test_fit_with_a_from_logits_loss_on_a_softmax_output_warns():
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", partial(losses.sparse_categorical_crossentropy, from_logits=True))
    with pytest.warns(UserWarning, match="softmax inside the loss is then applied a second"):
        model.fit(np.ones((8, 4), np.float32), np.arange(8) % 3, verbose=0)


@pytest.mark.parametrize("separate_activation", [False, True])
def test_binary_crossentropy_on_a_softmax_of_several_classes_warns(separate_activation):
    layers = ([Dense(4, input_shape=(5,)), Activation("softmax")] if separate_activation
              else [Dense(4, activation="softmax", input_shape=(5,))])
    model = Sequential(layers)
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    with pytest.warns(UserWarning, match="binary_crossentropy on a softmax output of width 4"):
        model.fit(np.ones((8, 5), np.float32), np.eye(4)[np.arange(8) % 4], verbose=0)


def test_binary_crossentropy_on_one_sigmoid_is_silent(no_warnings):
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(5,))])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((8, 5), np.float32), np.arange(8) % 2, verbose=0)


# ----- validation split on data sorted by class ----------------------------------------------
SORTED = np.repeat([0, 1, 2], 10)  # the last 20% (6 samples) are all class 2


@pytest.mark.parametrize("loss, targets, width", [
    ("sparse_categorical_crossentropy", SORTED, 3),
    ("categorical_crossentropy", np.eye(3)[SORTED], 3),
    ("binary_crossentropy", (SORTED == 2).astype(np.float32), 1),
], ids=["sparse", "one-hot", "binary"])
def test_validation_split_of_sorted_labels_warns(loss, targets, width):
    activation = "sigmoid" if width == 1 else "softmax"
    model = Sequential([Dense(width, activation=activation, input_shape=(4,))])
    model.compile("sgd", loss)
    x = np.ones((30, 4), np.float32)
    missing = "[0]" if width == 1 else "[0, 1]"
    with pytest.warns(UserWarning, match=rf"LAST 6 samples.*no samples of the classes "
                                         rf"\{missing}"):
        model.fit(x, targets, validation_split=0.2, verbose=0)
    order = np.random.default_rng(0).permutation(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x[order], targets[order], validation_split=0.2, verbose=0)


def test_validation_split_of_class_the_training_part_never_sees_warns():
    labels = np.array([0] * 27 + [1] * 3)
    model = Sequential([Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match=r"no samples of the classes \[0\].* and the classes "
                                         r"\[1\] that training never sees"):
        model.fit(np.ones((30, 4), np.float32), labels, validation_split=0.1, verbose=0)


@pytest.mark.parametrize("loss, targets", [
    ("mse", np.linspace(0, 1, 30)[:, None]),
    ("binary_crossentropy", np.linspace(0, 1, 30)[:, None]),  # soft targets: no classes
], ids=["regression", "soft targets"])
def test_validation_split_of_sorted_continuous_targets_is_silent(loss, targets, no_warnings):
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile("sgd", loss)
    model.fit(np.ones((30, 4), np.float32), targets, validation_split=0.2, verbose=0)


def test_tensors_are_accepted_where_arrays_are():
    """The same checks hold when targets and predictions arrive as Tensors."""
    with pytest.raises(ValueError, match="never broadcast"):
        losses.mean_squared_error(dl.tensor(np.zeros((N, 2))), dl.tensor(np.zeros((N, 1))))
    with pytest.warns(UserWarning, match="already probabilities"):
        losses.categorical_crossentropy(dl.tensor(np.eye(3)[[0, 2]]),
                                        dl.tensor(PROBABILITY_ROWS), from_logits=True)
