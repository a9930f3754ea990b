"""Losses: Keras's formulas, finite everywhere, never broadcasting targets, clear errors."""

import warnings

import numpy as np
import pytest

import dlcore as dl
from dlcore import losses, metrics

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 0])
ONE_HOT = np.eye(4)[LABELS]


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_categorical_crossentropy_on_probabilities_and_on_logits():
    expected = -np.log(softmax(LOGITS)[np.arange(6), LABELS])
    from_probs = losses.categorical_crossentropy(ONE_HOT, softmax(LOGITS))
    from_logits = losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)
    assert from_probs.shape == (6,)
    np.testing.assert_allclose(from_probs.data, expected, rtol=1e-6)
    np.testing.assert_allclose(from_logits.data, expected, rtol=1e-6)


def test_sparse_matches_categorical_for_both_label_shapes():
    expected = losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True).data
    for labels in (LABELS, LABELS[:, None], LABELS.astype(float)):
        for from_logits, scores in ((True, LOGITS), (False, softmax(LOGITS))):
            got = losses.sparse_categorical_crossentropy(labels, scores, from_logits=from_logits)
            np.testing.assert_allclose(got.data, expected, rtol=1e-6)


def test_binary_crossentropy_from_probabilities_and_logits_agree():
    logits = rng.standard_normal((5, 3))
    targets = (rng.random((5, 3)) > 0.5).astype(float)
    probabilities = 1 / (1 + np.exp(-logits))
    expected = -(targets * np.log(probabilities)
                 + (1 - targets) * np.log(1 - probabilities)).mean(axis=-1)
    np.testing.assert_allclose(losses.binary_crossentropy(targets, probabilities).data, expected,
                               rtol=1e-6)
    np.testing.assert_allclose(losses.binary_crossentropy(targets, logits, from_logits=True).data,
                               expected, rtol=1e-6)


def test_regression_losses_and_aliases():
    y, p = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    np.testing.assert_allclose(losses.mse(y, p).data, ((p - y) ** 2).mean(axis=-1))
    np.testing.assert_allclose(losses.mae(y, p).data, np.abs(p - y).mean(axis=-1))
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error


@pytest.mark.parametrize(("name", "from_logits"), [
    ("categorical_crossentropy", False), ("categorical_crossentropy", True),
    ("sparse_categorical_crossentropy", False), ("sparse_categorical_crossentropy", True),
    ("binary_crossentropy", False), ("binary_crossentropy", True)])
def test_every_loss_and_gradient_is_finite_at_the_extremes(name, from_logits):
    extreme = np.array([[1e4, -1e4, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [-1e4, -1e4, -1e4, 1e4]])
    scores = extreme if from_logits else np.array([[1.0, 0.0, 0.0, 0.0], [0.25] * 4,
                                                   [0.0, 0.0, 0.0, 1.0]])
    targets = {"sparse_categorical_crossentropy": np.array([1, 0, 3])}.get(
        name, np.eye(4)[[1, 0, 3]])
    prediction = dl.tensor(scores, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning is a failure too
        value = losses.get(name)(targets, prediction, from_logits=from_logits)
        value.sum().backward()
    assert np.all(np.isfinite(value.data)) and np.all(np.isfinite(prediction.grad))


@pytest.mark.parametrize("name", ["categorical_crossentropy", "binary_crossentropy",
                                  "mean_squared_error", "mean_absolute_error"])
def test_gradients_match_finite_differences(name):
    targets = np.eye(3)[[0, 2, 1, 1]] * 0.8 + 0.05
    scores = rng.random((4, 3)) * 0.8 + 0.1
    assert dl.gradcheck(lambda p: losses.get(name)(targets, p), scores)
    if "crossentropy" in name:
        assert dl.gradcheck(lambda p: losses.get(name)(targets, p, from_logits=True),
                            rng.standard_normal((4, 3)))


def test_sparse_gradient_matches_finite_differences():
    assert dl.gradcheck(lambda p: losses.sparse_categorical_crossentropy(LABELS, p,
                                                                         from_logits=True), LOGITS)
    assert dl.gradcheck(lambda p: losses.sparse_categorical_crossentropy(LABELS, p),
                        softmax(LOGITS))


def test_targets_never_broadcast_against_predictions():
    column = rng.standard_normal((5, 1))
    flat_targets = rng.standard_normal(5)
    np.testing.assert_allclose(losses.mse(flat_targets, column).data,
                               (column[:, 0] - flat_targets) ** 2)
    with pytest.raises(ValueError, match=r"targets of shape \(5, 1\) do not match predictions "
                                         r"of shape \(5,\)"):
        losses.mse(column, flat_targets)
    with pytest.raises(ValueError, match="never broadcast"):
        losses.mse(rng.standard_normal((5, 2)), column)


def test_integer_labels_with_categorical_crossentropy_explain_the_two_fixes():
    for labels in (LABELS, LABELS[:, None]):
        with pytest.raises(ValueError, match=r"to_categorical\(y, 4\).*sparse_categorical"):
            losses.categorical_crossentropy(labels, softmax(LOGITS))


def test_out_of_range_labels_name_the_range_and_the_class_count():
    with pytest.raises(ValueError, match="labels range from 0 to 4, but the predictions have 4 "
                                         "classes"):
        losses.sparse_categorical_crossentropy(np.array([0, 4, 1, 1, 2, 0]), LOGITS,
                                               from_logits=True)
    with pytest.raises(ValueError, match="non-integer"):
        losses.sparse_categorical_crossentropy(np.full(6, 0.5), LOGITS)


def test_unknown_loss_lists_names_and_suggests_the_closest():
    with pytest.raises(ValueError, match=r"unknown loss 'categorical_crossentropi'.*"
                                         r"Did you mean 'categorical_crossentropy'"):
        losses.get("categorical_crossentropi")


def test_accuracy_resolution_follows_the_loss_and_output_width():
    assert metrics.resolve("accuracy", "categorical_crossentropy", 10) == (
        "accuracy", metrics.categorical_accuracy)
    assert metrics.resolve("acc", "sparse_categorical_crossentropy", 10) == (
        "acc", metrics.sparse_categorical_accuracy)
    assert metrics.resolve("accuracy", "binary_crossentropy", 10)[1] is metrics.binary_accuracy
    assert metrics.resolve("accuracy", "mse", 1)[1] is metrics.binary_accuracy
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        metrics.resolve("acuracy", "mse", 1)


def test_metric_values():
    probabilities = softmax(LOGITS)
    hits = (probabilities.argmax(-1) == LABELS).astype(float)
    np.testing.assert_array_equal(metrics.categorical_accuracy(ONE_HOT, probabilities), hits)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(LABELS, probabilities),
                                  hits)
    np.testing.assert_array_equal(metrics.accuracy(LABELS[:, None], probabilities), hits)
    np.testing.assert_array_equal(metrics.binary_accuracy([1, 0, 1], [[0.9], [0.2], [0.4]]),
                                  [1.0, 1.0, 0.0])


def test_accuracy_with_a_loss_given_as_a_function_follows_the_label_shapes():
    """A callable loss says nothing about the labels: integer labels must still be scored
    against the argmax, not read as one-hot rows."""
    from functools import partial

    from dlcore.layers import Dense
    from dlcore.models import Sequential

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = rng.integers(0, 4, 40)
    model = Sequential([Dense(4, input_dim=3)])
    model.compile("sgd", partial(dl.losses.sparse_categorical_crossentropy, from_logits=True),
                  metrics=["accuracy"])
    expected = np.mean(model.predict(x).argmax(axis=1) == y)
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(expected)


def test_categorical_accuracy_refuses_integer_labels():
    with pytest.raises(ValueError, match="use 'sparse_categorical_accuracy'"):
        dl.metrics.categorical_accuracy(np.array([1, 0]), np.eye(2))
