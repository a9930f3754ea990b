"""Sequential with compile/fit/evaluate/predict: the Keras workflow, its numbers and its errors."""

import warnings

import numpy as np
import pytest

import dlcore as dl
from dlcore import callbacks, optimizers, utils
from dlcore.layers import (
    LSTM,
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)
from dlcore.models import Sequential


@pytest.fixture(autouse=True)
def fresh_names_and_seed():
    utils.clear_session()
    utils.set_random_seed(0)


def blobs(samples=200, features=20, classes=3, seed=0):
    """Separable Gaussian blobs: features and integer labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, samples)
    centres = rng.standard_normal((classes, features)) * 3
    return (centres[labels] + rng.standard_normal((samples, features))).astype(np.float32), labels


def classifier(features=20, classes=3, hidden=32):
    model = Sequential()
    model.add(Dense(units=hidden, input_dim=features))
    model.add(Activation("relu"))
    model.add(Dense(classes))
    model.add(Activation("softmax"))
    return model


def test_the_keras_tutorial_workflow_runs_as_written(tmp_path):
    x, labels = blobs()
    y = utils.to_categorical(labels, 3)
    model = classifier()
    assert [layer.name for layer in model.layers] == ["dense", "activation", "dense_1",
                                                      "activation_1"]
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        adam = optimizers.Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0)
    model.compile(loss="categorical_crossentropy", optimizer=adam, metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 20 for values in history.history.values())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    assert history.history["loss"][-1] < history.history["loss"][0]
    scores = model.evaluate(x, y, verbose=0)
    assert len(scores) == 2 and scores[1] > 0.9
    predictions = model.predict(x)
    assert predictions.shape == (200, 3) and predictions.dtype == np.float32
    np.testing.assert_allclose(predictions.sum(axis=1), 1, rtol=1e-5)
    path = tmp_path / "my_model.h5"
    model.save(path)
    reloaded = dl.models.load_model(path)
    np.testing.assert_array_equal(reloaded.predict(x), predictions)
    model.save_weights(tmp_path / "weights.h5")
    fresh = classifier()
    fresh.build((None, 20))
    fresh.load_weights(tmp_path / "weights.h5")
    np.testing.assert_array_equal(fresh.predict(x), predictions)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, labels = blobs()
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    seen = []

    class RecordValidation(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], self.model.evaluate(x[160:], labels[160:], verbose=0)))

    history = model.fit(x, labels, epochs=2, validation_split=0.2, verbose=0,
                        callbacks=[RecordValidation()])
    assert "val_acc" in history.history
    for reported, recomputed in seen:
        assert reported == pytest.approx(recomputed[0], rel=1e-6)


def test_epoch_numbers_are_running_averages_weighted_by_batch_size():
    x, labels = blobs(samples=70)
    model = classifier()
    model.compile(optimizers.SGD(learning_rate=0.0), "sparse_categorical_crossentropy")
    history = model.fit(x, labels, batch_size=32, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x, labels, verbose=0),
                                                       rel=1e-5)


def test_same_seed_gives_identical_histories_and_weights():
    x, labels = blobs()

    def run():
        utils.clear_session()
        utils.set_random_seed(42)
        model = Sequential([Dense(32, input_dim=20, activation="relu"), Dropout(0.3),
                            Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, labels, epochs=3, validation_split=0.1, verbose=0)
        return history.history, model.get_weights()

    (first_history, first_weights), (second_history, second_weights) = run(), run()
    assert first_history == second_history
    for a, b in zip(first_weights, second_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_frozen_layer_is_not_updated_by_fit():
    x, labels = blobs()
    model = classifier()
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, labels, epochs=2, verbose=0)
    for before, after in zip(frozen, model.layers[0].get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(model.layers[2].get_weights()[0],
                              classifier().layers[2].get_weights()[0])


def test_predict_is_in_inference_mode_and_batch_independent():
    x, labels = blobs()
    model = Sequential([Dense(16, input_dim=20), BatchNormalization(), Activation("relu"),
                        Dropout(0.5), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, labels, epochs=2, verbose=0)
    all_at_once = model.predict(x, batch_size=200)
    np.testing.assert_allclose(model.predict(x, batch_size=7), all_at_once, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x[:1]), all_at_once[:1], rtol=1e-6)


def test_sample_and_class_weights_change_the_loss_as_defined():
    x, labels = blobs(samples=64)
    model = classifier()
    model.compile(optimizers.SGD(learning_rate=0.0), "sparse_categorical_crossentropy")
    per_sample = dl.losses.sparse_categorical_crossentropy(labels, model.predict(x)).data
    weights = np.linspace(0, 2, 64)
    history = model.fit(x, labels, sample_weight=weights, batch_size=64, verbose=0)
    assert history.history["loss"][0] == pytest.approx(np.mean(per_sample * weights), rel=1e-5)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    history = model.fit(x, labels, class_weight=class_weight, batch_size=64, verbose=0)
    expected = np.mean(per_sample * np.array([1.0, 3.0, 0.5])[labels])
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"no weight for classes \[2\]"):
        model.fit(x, labels, class_weight={0: 1.0, 1: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="not both"):
        model.fit(x, labels, class_weight=class_weight, sample_weight=weights, verbose=0)


def test_train_on_batch_and_test_on_batch_return_loss_and_metrics():
    x, labels = blobs(samples=32)
    model = classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.train_on_batch(x, labels)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    assert model.metrics_names == ["loss", "accuracy"]
    assert len(model.test_on_batch(x, labels)) == 2
    assert model.predict_on_batch(x).shape == (32, 3)


class Batches(utils.Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_reads_a_sequence_and_a_generator():
    x, labels = blobs()
    model = classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    batches = Batches(x, labels, 50)
    history = model.fit(batches, epochs=3, verbose=0, validation_data=(x[:20], labels[:20]))
    assert batches.epochs_ended == 3 and len(history.history["val_accuracy"]) == 3

    def forever():
        while True:
            for start in range(0, 200, 40):
                yield x[start:start + 40], labels[start:start + 40]

    history = model.fit(forever(), steps_per_epoch=5, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(forever(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="validation_split needs arrays"):
        model.fit(batches, validation_split=0.2, verbose=0)
    assert len(model.evaluate(batches, verbose=0)) == 2


def test_initial_epoch_continues_the_count(capsys):
    x, labels = blobs()
    model = classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, labels, epochs=4, initial_epoch=2, verbose=2)
    assert history.epoch == [2, 3]
    output = capsys.readouterr()
    assert "Epoch 3/4" in output.out and "Epoch 4/4" in output.out and "loss: " in output.out
    assert output.err == ""


def test_the_progress_bar_goes_to_stdout():
    x, labels = blobs()
    model = classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        model.fit(x, labels, epochs=1, verbose=1)
    assert "Epoch 1/1" in out.getvalue() and "accuracy:" in out.getvalue()
    assert err.getvalue() == ""


def test_summary_has_the_keras_layout(capsys):
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(32, activation="relu"),
                        BatchNormalization(), Dense(10, activation="softmax")])
    model.summary()
    text = capsys.readouterr().out.splitlines()
    assert text[2].startswith("Layer (type)") and "Output Shape" in text[2]
    assert "Param #" in text[2]
    assert text[4].startswith("flatten (Flatten)") and "(None, 64)" in text[4]
    assert any(line.startswith("dense (Dense)") and line.rstrip().endswith("2080")
               for line in text)
    assert "Total params: 2,538" in text and "Trainable params: 2,474" in text
    assert "Non-trainable params: 64" in text


def test_a_non_finite_loss_stops_fit_naming_epoch_batch_and_the_last_finite_loss():
    x, labels = blobs()
    x[150] = np.nan
    model = classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(FloatingPointError, match=r"epoch 1, batch 5 \(last finite batch loss"):
        model.fit(x, labels, batch_size=32, shuffle=False, verbose=0)


def test_errors_a_student_meets():
    x, labels = blobs()
    model = classifier()
    with pytest.raises(RuntimeError, match="compile the model first"):
        model.fit(x, labels, verbose=0)
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"to_categorical\(y, 3\)"):
        model.fit(x, labels, verbose=0)
    with pytest.raises(ValueError, match="same number of samples: x has 200"):
        model.fit(x, utils.to_categorical(labels[:150]), verbose=0)
    with pytest.raises(ValueError, match="Layer 'dense'.*Add a Flatten layer"):
        model.fit(x.reshape(200, 4, 5), utils.to_categorical(labels), verbose=0)
    with pytest.raises(ValueError, match="unknown loss 'categorical'.*Did you mean"):
        model.compile("adam", "categorical")
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        model.compile("adma", "mse")
    with pytest.raises(TypeError, match="add an instance"):
        Sequential().add(Dense)


def test_sparse_labels_out_of_range_name_the_last_layer_width():
    x, labels = blobs()
    model = classifier(classes=3)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="labels range from 0 to 5, but the predictions have 3"):
        model.fit(x, labels * 2 + 1 - 1 + (labels == 2) * 1, verbose=0)


def test_binary_crossentropy_on_a_wide_softmax_warns():
    x, labels = blobs()
    model = classifier()
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    with pytest.warns(UserWarning, match="binary_crossentropy on a softmax output of width 3"):
        model.fit(x, utils.to_categorical(labels), epochs=1, verbose=0)


def test_a_regression_target_of_shape_n_is_never_broadcast_against_n_by_1():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = Sequential([Dense(1, input_dim=3)])
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(model.layers[0].get_weights()[0][:, 0], [1.0, -2.0, 0.5],
                               atol=0.02)


def test_an_mlp_learns_the_bundled_digits():
    (x_train, y_train), (x_test, y_test) = dl.datasets.load_digits()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(64, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95


def test_a_small_cnn_learns_the_bundled_digits():
    (x_train, y_train), (x_test, y_test) = dl.datasets.load_digits()
    x_train, x_test = x_train[..., None] / 16.0, x_test[..., None] / 16.0
    model = Sequential([
        Conv2D(16, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        MaxPooling2D(), Flatten(), Dense(64, activation="relu"),
        Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.96


def test_an_lstm_reading_the_rows_as_a_sequence_learns_the_bundled_digits():
    (x_train, y_train), (x_test, y_test) = dl.datasets.load_digits()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    model = Sequential([LSTM(64, input_shape=(8, 8)), Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(x_test, y_test, verbose=0)[1] >= 0.90


def test_predict_on_no_samples_gives_an_empty_output_and_fit_refuses_them():
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", "mse")
    assert model.predict(np.zeros((0, 3))).shape == (0, 2)
    with pytest.raises(ValueError, match="holds no samples"):
        model.fit(np.zeros((0, 3)), np.zeros((0, 2)), verbose=0)


def test_integer_images_are_converted_to_the_layer_dtype():
    from dlcore.layers import Flatten

    images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    model = Sequential([Flatten(input_shape=(4, 4)), Dense(3)])
    model.compile("sgd", "mse")
    np.testing.assert_allclose(model.predict(images), model.predict(images.astype("float32")))
    assert model.predict(images).dtype == np.float32
