"""The regularization explorer: the twin (``regularization_gap``, ``train_with_dropout``) on the
digits, and the widget driven through its controls."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcore.explore.regularization import (  # noqa: E402
    digits_split,
    dropout_mlp,
    regularization_gap,
    train_with_dropout,
)
from dlcore.layers import Dropout  # noqa: E402
from dlcore.widgets.regularization import regularization_explorer  # noqa: E402

SMALL, LARGE = 0, 1  # columns of the tables: 100 and 400 training images
NO_DROPOUT, DROPOUT = 0, 1  # rows: rate 0.0 and 0.5


@pytest.fixture(scope="module")
def dropout_result():
    """Rates 0.0 and 0.5 on 100 images, trained until both networks have memorised them
    (batches of 50 rather than 32: the same effects in fewer steps)."""
    return regularization_gap(dropout_rates=(0.0, 0.5), train_sizes=(100,), epochs=100,
                              batch_size=50, seed=0)


@pytest.fixture(scope="module")
def size_result():
    """No dropout, 100 and 400 images."""
    return regularization_gap(dropout_rates=(0.0,), train_sizes=(100, 400), epochs=40,
                              batch_size=50, seed=0)


# ----- the twin ---------------------------------------------------------------------------
def test_the_tables_hold_the_final_numbers_of_every_run(dropout_result):
    result = dropout_result
    assert result.gap.shape == result.loss_gap.shape == (2, 1)
    run = result.runs[0.5, 100]
    assert run.epochs == 100 and len(run.validation_loss) == len(run.fit_accuracy) == 100
    assert result.train_accuracy[DROPOUT, SMALL] == run.train_accuracy[-1]
    np.testing.assert_allclose(result.gap, result.train_accuracy - result.validation_accuracy)
    np.testing.assert_allclose(run.gap_curve,
                               np.subtract(run.train_accuracy, run.validation_accuracy))
    np.testing.assert_allclose(run.loss_gap, run.validation_loss[-1] - run.train_loss[-1])


def test_the_networks_memorise_their_training_set_and_overfit(dropout_result):
    assert np.all(dropout_result.train_accuracy >= 0.99)
    assert np.all(dropout_result.gap > 0.05) and np.all(dropout_result.loss_gap > 0.2)


def test_dropout_narrows_the_loss_gap_on_the_small_training_set(dropout_result):
    # measured, seed 0: loss gap 0.315 -> 0.294 (seeds 1 and 2: 0.305 -> 0.285, 0.314 -> 0.300)
    loss_gap = dropout_result.loss_gap[:, SMALL]
    assert loss_gap[DROPOUT] < loss_gap[NO_DROPOUT] - 0.01
    # while the accuracy gap moves by a few of the 450 validation images at most
    # (measured, seed 0: 0.091 -> 0.089)
    gap = dropout_result.gap[:, SMALL]
    assert abs(gap[DROPOUT] - gap[NO_DROPOUT]) < 0.02


def test_fit_reports_a_lower_training_accuracy_while_dropout_is_on(dropout_result):
    def lag(run):  # how far fit's running accuracy trails the network's real one
        return np.mean(np.subtract(run.train_accuracy, run.fit_accuracy))

    # measured, seed 0: 0.0066 without dropout (the weights change during the epoch), 0.026 with
    assert lag(dropout_result.runs[0.5, 100]) > lag(dropout_result.runs[0.0, 100]) + 0.005


def test_more_training_images_narrow_both_gaps(size_result):
    # measured, seed 0, 40 epochs: accuracy gap 0.091 -> 0.051, loss gap 0.275 -> 0.158
    assert size_result.gap[NO_DROPOUT, LARGE] < size_result.gap[NO_DROPOUT, SMALL] - 0.03
    assert size_result.loss_gap[NO_DROPOUT, LARGE] < size_result.loss_gap[NO_DROPOUT, SMALL] - 0.05
    assert (size_result.validation_accuracy[NO_DROPOUT, LARGE]
            > size_result.validation_accuracy[NO_DROPOUT, SMALL] + 0.03)


def test_chunks_continue_one_training_run_and_repeat_exactly():
    chunks = list(train_with_dropout(0.5, 60, epochs=12, chunk_epochs=5, hidden_units=32))
    assert [chunk.epochs for chunk in chunks] == [5, 10, 12]
    (whole,) = train_with_dropout(0.5, 60, epochs=12, chunk_epochs=12, hidden_units=32)
    np.testing.assert_allclose(whole.validation_loss, chunks[-1].validation_loss, rtol=1e-6)


def test_the_data_and_the_network():
    x_train, y_train, x_val, y_val = digits_split(100)
    assert x_train.shape == (100, 64) and x_val.shape == (450, 64)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert set(np.unique(y_train)) == set(range(10))
    model = dropout_mlp(0.3, hidden_units=32)
    assert [layer.rate for layer in model.layers if isinstance(layer, Dropout)] == [0.3]
    assert model.output_shape == (None, 10)


def test_bad_arguments_are_refused_before_training():
    with pytest.raises(ValueError, match="train_with_dropout: dropout_rate"):
        train_with_dropout(dropout_rate=1.0)
    with pytest.raises(ValueError, match="digits_split: train_size must be between 1 and 1347"):
        train_with_dropout(train_size=5000)
    with pytest.raises(TypeError, match="train_with_dropout: epochs"):
        train_with_dropout(epochs=2.5)


# ----- the widget -------------------------------------------------------------------------
def curves(ax):
    return {line.get_label(): line.get_ydata() for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_train_draws_the_accuracy_curves_and_the_gap():
    explorer = regularization_explorer(dropout_rate=0.5, train_size=100, epochs=20)
    first_picture = explorer.output.outputs[0]["data"]["image/png"]
    explorer.controls["train"].click()
    run = explorer.result
    assert run.epochs == 20 and (run.dropout_rate, run.train_size) == (0.5, 100)
    accuracy = curves(explorer.figure.axes[0])
    np.testing.assert_allclose(accuracy["train"], run.train_accuracy)
    np.testing.assert_allclose(accuracy["validation"], run.validation_accuracy)
    np.testing.assert_allclose(accuracy["train, as fit reports it"], run.fit_accuracy)
    gaps = curves(explorer.figure.axes[1])
    np.testing.assert_allclose(gaps["dropout 0.5, 100 images"], run.gap_curve)
    assert explorer.output.outputs[0]["data"]["image/png"] != first_picture
    assert explorer.status.value.startswith("epoch 20/20") and "Done." in explorer.status.value


def test_a_second_run_is_compared_with_the_first():
    explorer = regularization_explorer(dropout_rate=0.0, train_size=100, epochs=10)
    explorer.controls["train"].click()
    explorer.controls["train_size"].value = 400
    explorer.controls["train"].click()
    gaps = curves(explorer.figure.axes[1])
    assert list(gaps) == ["dropout 0, 100 images", "dropout 0, 400 images"]
    assert not np.allclose(gaps["dropout 0, 100 images"], gaps["dropout 0, 400 images"])
    assert [run.train_size for run in explorer.compared] == [100, 400]
