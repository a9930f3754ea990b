"""The training playground: the twin (``build_classifier``, ``train_in_chunks``), the widget,
and the Train/Stop plumbing of ``dlcore.widgets._live`` that it shares with other explorers."""

import matplotlib

matplotlib.use("Agg")

import asyncio  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from dlcore.explore import (  # noqa: E402
    build_classifier,
    decision_grid,
    make_dataset,
    parse_hidden_layers,
    train_in_chunks,
    train_playground,
)
from dlcore.introspection import weight_gradients  # noqa: E402
from dlcore.layers import Activation, BatchNormalization, Dense, Dropout  # noqa: E402
from dlcore.widgets._live import ChunkedTraining  # noqa: E402
from dlcore.widgets.playground import CHUNK_EPOCHS, training_playground  # noqa: E402


# ----- the twin ---------------------------------------------------------------------------
def test_the_classifier_learns_the_moons():
    result = train_playground("moons", noise=0.1, epochs=40, chunk_epochs=40)
    assert result.epochs == 40 and len(result.losses) == 40 and len(result.val_accuracy) == 40
    assert result.train_accuracy[-1] > 0.9
    assert result.losses[-1] < 0.5 * result.losses[0]
    xx, yy, probabilities = result.grid
    assert xx.shape == yy.shape == (100, 100) and probabilities.shape == (100, 100, 2)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1, rtol=1e-5)


def test_chunks_continue_one_training_run():
    chunks = list(train_in_chunks("circles", noise=0.05, epochs=12, chunk_epochs=5))
    assert [chunk.epochs for chunk in chunks] == [5, 10, 12]
    assert chunks[-1].losses[:5] == chunks[0].losses
    whole = train_playground("circles", noise=0.05, epochs=12, chunk_epochs=12)
    np.testing.assert_allclose(whole.losses, chunks[-1].losses, rtol=1e-6)


def test_the_validation_split_is_random_and_disjoint():
    x, _ = make_dataset("spirals", n_samples=100, noise=0.1)
    result = train_playground("spirals", n_samples=100, noise=0.1, epochs=1,
                              validation_fraction=0.3)
    assert len(result.x_train) == 70 and len(result.x_val) == 30
    together = np.concatenate([result.x_train, result.x_val])
    assert sorted(map(tuple, together)) == sorted(map(tuple, x))


def test_build_classifier_stacks_the_chosen_layers():
    model = build_classifier((4, 3), activation="relu", batch_norm=True, dropout=0.2,
                             n_classes=3)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Dense, BatchNormalization, Activation, Dropout] * 2 + [Dense]
    assert model.output_shape == (None, 3)
    assert [type(layer) for layer in build_classifier(()).layers] == [Dense]


def test_l2_adds_two_l2_w_to_the_kernel_gradients_and_nothing_to_the_biases():
    x, y = make_dataset("moons", n_samples=32, noise=0.1)
    plain = [gradient for _, gradient in weight_gradients(build_classifier((5,)), x, y)]
    model = build_classifier((5,), l2=0.01)  # same seed: the same initial weights
    penalized = [gradient for _, gradient in weight_gradients(model, x, y)]
    kernels, biases = model.get_weights()[0::2], model.get_weights()[1::2]
    for kernel, with_l2, without in zip(kernels, penalized[0::2], plain[0::2], strict=True):
        np.testing.assert_allclose(with_l2 - without, 2 * 0.01 * kernel, atol=1e-6)
    for bias, with_l2, without in zip(biases, penalized[1::2], plain[1::2], strict=True):
        assert bias.ndim == 1
        np.testing.assert_allclose(with_l2, without, atol=1e-7)


def test_decision_grid_spans_the_data_with_padding():
    x = np.array([[0.0, -1.0], [2.0, 3.0]], dtype=np.float32)
    xx, yy, probabilities = decision_grid(build_classifier(), x, resolution=5, padding=0.5)
    assert (xx.min(), xx.max(), yy.min(), yy.max()) == (-0.5, 2.5, -1.5, 3.5)
    assert probabilities.shape == (5, 5, 2)


def test_hidden_layers_are_read_from_text():
    assert parse_hidden_layers("8, 8") == (8, 8)
    assert parse_hidden_layers(" 16 ") == (16,)
    assert parse_hidden_layers("") == ()
    with pytest.raises(ValueError, match="parse_hidden_layers.*'8, x'"):
        parse_hidden_layers("8, x")
    with pytest.raises(ValueError, match="parse_hidden_layers"):
        parse_hidden_layers("8, 0")


def test_bad_arguments_are_refused_before_training():
    with pytest.raises(ValueError, match="make_dataset: unknown dataset 'xor'.*'moons'"):
        train_in_chunks("xor")
    with pytest.raises(ValueError, match="train_in_chunks: epochs must be >= 1"):
        train_in_chunks("moons", epochs=0)
    with pytest.raises(ValueError, match="build_classifier: dropout must lie in"):
        train_in_chunks("moons", dropout=1.5)
    with pytest.raises(TypeError, match="build_classifier: hidden_layers"):
        build_classifier(hidden_layers=(8, 2.5))


# ----- the widget -------------------------------------------------------------------------
def boundary_points(explorer):
    return np.concatenate([collection.get_offsets() for collection
                           in explorer.figure.axes[0].collections
                           if isinstance(collection, PathCollection)])


def loss_curve(explorer):
    lines = [line for line in explorer.figure.axes[1].get_lines()
             if line.get_label() == "training"]
    return lines[0].get_ydata()


def small_playground():
    explorer = training_playground("moons")
    explorer.controls["epochs"].value = 10
    explorer.controls["hidden_layers"].value = "6"
    return explorer


def test_train_draws_a_falling_loss_curve_and_a_decision_image():
    explorer = small_playground()
    first_picture = explorer.output.outputs[0]["data"]["image/png"]
    explorer.controls["train"].click()
    losses = loss_curve(explorer)
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert any(isinstance(image, AxesImage) for image in explorer.figure.axes[0].images)
    assert explorer.result.epochs == 10
    assert explorer.output.outputs[0]["data"]["image/png"] != first_picture
    assert explorer.status.value.startswith("epoch 10/10") and "Done." in explorer.status.value
    assert not explorer.controls["train"].disabled and explorer.controls["stop"].disabled


def test_changing_the_dataset_changes_the_plotted_points():
    explorer = small_playground()
    moons = boundary_points(explorer)
    explorer.controls["dataset"].value = "circles"
    circles = boundary_points(explorer)
    expected, _ = make_dataset("circles", noise=explorer.controls["noise"].value)
    assert not np.allclose(moons, circles)
    np.testing.assert_allclose(np.sort(circles, axis=0), np.sort(expected, axis=0))


def test_stop_ends_training_after_the_current_chunk():
    explorer = small_playground()
    explorer.controls["epochs"].value = 50

    def stop_after_first_chunk(change):
        if change["new"].startswith(f"epoch {CHUNK_EPOCHS}/"):
            explorer.controls["stop"].click()

    explorer.status.observe(stop_after_first_chunk, names="value")
    explorer.controls["train"].click()
    assert explorer.result.epochs == CHUNK_EPOCHS
    assert len(loss_curve(explorer)) == CHUNK_EPOCHS
    assert explorer.status.value.endswith("Stopped.")
    assert not explorer.controls["train"].disabled


def test_bad_settings_are_shown_instead_of_training():
    explorer = small_playground()
    explorer.controls["hidden_layers"].value = "8, many"
    explorer.controls["train"].click()
    assert explorer.status.value.startswith("Cannot train: parse_hidden_layers")
    assert explorer.result is None and not explorer.controls["train"].disabled


def test_in_an_event_loop_chunks_run_in_the_background_and_stop_works():
    shown = []

    def start():
        return iter(range(1000))

    training = ChunkedTraining(start, shown.append)

    async def click_train_then_stop():
        training.train_button.click()
        assert training.running and shown == []  # nothing ran yet: the kernel is free
        while len(shown) < 3:
            await asyncio.sleep(0.001)
        training.stop_button.click()
        while training.running:
            await asyncio.sleep(0.001)

    asyncio.run(click_train_then_stop())
    assert 3 <= len(shown) <= 4 and training.status.value.endswith("Stopped.")


def test_errors_during_training_are_shown_and_reset_the_buttons():
    def diverging():
        yield 1
        raise FloatingPointError("the loss became nan")

    shown = []
    training = ChunkedTraining(diverging, shown.append, describe=lambda chunk: f"chunk {chunk}")
    training.train()
    assert shown == [1] and training.status.value == "chunk 1 Stopped: the loss became nan"
    assert not training.running and training.stop_button.disabled

    def broken():
        raise RuntimeError("a bug")
        yield

    training = ChunkedTraining(broken, shown.append)
    with pytest.raises(RuntimeError, match="a bug"):
        training.train()
    assert training.status.value.endswith("Failed: RuntimeError: a bug")
    assert not training.train_button.disabled
