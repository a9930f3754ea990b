"""Callbacks: each one driven through its hooks, as ``Model.fit`` drives them."""

from __future__ import annotations

import csv
import functools
import math
import types

import numpy as np
import pytest

from dlcore.callbacks.base import Callback, CallbackList
from dlcore.callbacks.checkpoint import ModelCheckpoint
from dlcore.callbacks.early_stopping import EarlyStopping, Monitor
from dlcore.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from dlcore.callbacks.logging import CSVLogger, TerminateOnNaN


class StandInModel:
    """The parts of a compiled model that callbacks touch; weights are one array."""

    def __init__(self, learning_rate: float = 0.1) -> None:
        self.optimizer = types.SimpleNamespace(learning_rate=learning_rate)
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.saved: list[str] = []

    def get_weights(self) -> list[np.ndarray]:
        return [weight.copy() for weight in self.weights]

    def set_weights(self, values: list[np.ndarray]) -> None:
        self.weights = [np.array(value) for value in values]

    def save(self, path: str) -> None:
        with open(path, "w") as file:
            file.write("model")
        self.saved.append(path)


def train(callbacks, model, epoch_logs):
    """Call the hooks in ``fit``'s order; during epoch ``e`` the weights become ``[e, e]``.

    Returns the logs of the epochs that ran, as the callbacks left them.
    """
    callback_list = CallbackList(callbacks, model, {"epochs": len(epoch_logs), "verbose": 0})
    model.stop_training = False
    callback_list.on_train_begin()
    seen = []
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        logs = dict(logs)
        callback_list.on_epoch_end(epoch, logs)
        seen.append(logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return seen


def losses(*values, key="val_loss"):
    return [{"loss": 1.0, key: value} for value in values]


# ----- Monitor ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, mode", [("val_loss", "min"), ("loss", "min"),
                                        ("accuracy", "max"), ("val_accuracy", "max"),
                                        ("val_acc", "max"), ("acc", "max")])
def test_monitor_auto_mode_follows_the_name(name, mode):
    assert Monitor("EarlyStopping", name, "auto", 0).mode == mode


@pytest.mark.parametrize("mode, current, best, expected", [
    ("min", 0.89, 1.0, True), ("min", 0.95, 1.0, False), ("min", 0.5, math.inf, True),
    ("max", 1.11, 1.0, True), ("max", 1.05, 1.0, False), ("max", -5.0, -math.inf, True),
])
def test_monitor_improvement_needs_more_than_min_delta(mode, current, best, expected):
    assert Monitor("EarlyStopping", "x", mode, 0.1).improves(current, best) is expected


@pytest.mark.parametrize("kwargs, error, match", [
    ({"mode": "lowest"}, ValueError, "mode must be 'auto', 'min' or 'max', got 'lowest'"),
    ({"min_delta": -0.1}, ValueError, "min_delta must be a number >= 0"),
    ({"monitor": 3}, TypeError, "monitor must be the name of a log entry"),
    ({"patience": -1}, ValueError, "patience must be at least 0, got -1"),
    ({"patience": 1.5}, TypeError, "patience must be a whole number"),
])
def test_early_stopping_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        EarlyStopping(**kwargs)


# ----- EarlyStopping ---------------------------------------------------------------------
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = StandInModel()
    stopper = EarlyStopping(patience=2)
    seen = train([stopper], model, losses(1.0, 0.5, 0.6, 0.7, 0.4, 0.3))
    assert len(seen) == 4
    assert model.stop_training
    assert stopper.stopped_epoch == 3
    assert stopper.best == 0.5 and stopper.best_epoch == 1


def test_early_stopping_patience_zero_stops_at_the_first_setback():
    model = StandInModel()
    stopper = EarlyStopping(patience=0)
    assert len(train([stopper], model, losses(1.0, 0.9, 0.95, 0.1))) == 3


def test_early_stopping_min_delta_ignores_small_gains():
    model = StandInModel()
    stopper = EarlyStopping(min_delta=0.1, patience=1)
    assert len(train([stopper], model, losses(1.0, 0.95, 0.92))) == 2


def test_early_stopping_max_mode_for_accuracy():
    model = StandInModel()
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    assert len(train([stopper], model, losses(0.5, 0.6, 0.7, 0.65, 0.9,
                                              key="val_accuracy"))) == 4


def test_early_stopping_baseline_must_be_beaten():
    model = StandInModel()
    stopper = EarlyStopping(patience=2, baseline=0.5)
    seen = train([stopper], model, losses(0.9, 0.8, 0.7, 0.1))
    assert len(seen) == 2
    assert stopper.best == 0.8


def test_early_stopping_runs_to_the_end_while_improving():
    model = StandInModel()
    stopper = EarlyStopping(patience=1)
    assert len(train([stopper], model, losses(1.0, 0.9, 0.8))) == 3
    assert not model.stop_training and stopper.stopped_epoch == 0


def test_early_stopping_restores_best_weights_when_it_stops():
    model = StandInModel()
    train([EarlyStopping(patience=2, restore_best_weights=True)], model,
          losses(1.0, 0.5, 0.6, 0.7, 0.4))
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_early_stopping_restores_best_weights_when_training_runs_to_the_end():
    model = StandInModel()
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    seen = train([stopper], model, losses(1.0, 0.3, 0.5, 0.6))
    assert len(seen) == 4 and not model.stop_training
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])


def test_early_stopping_without_restore_keeps_the_last_weights():
    model = StandInModel()
    train([EarlyStopping(patience=10)], model, losses(1.0, 0.3, 0.5, 0.6))
    np.testing.assert_array_equal(model.weights[0], [3.0, 3.0])


def test_early_stopping_starts_afresh_on_each_training_run():
    model = StandInModel()
    stopper = EarlyStopping(patience=1, restore_best_weights=True)
    train([stopper], model, losses(0.1, 0.2))
    seen = train([stopper], model, losses(5.0, 4.0, 3.0))
    assert len(seen) == 3 and stopper.best == 3.0
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


def test_early_stopping_verbose_messages(capsys):
    model = StandInModel()
    train([EarlyStopping(patience=1, verbose=1, restore_best_weights=True)], model,
          losses(1.0, 0.5, 0.6, 0.7))
    out = capsys.readouterr().out
    assert "Epoch 00003: early stopping" in out
    assert "Restoring model weights from the end of the best epoch (00002" in out


def test_early_stopping_missing_monitor_warns_and_lists_the_keys():
    model = StandInModel()
    stopper = EarlyStopping(patience=0, restore_best_weights=True)
    with pytest.warns(RuntimeWarning, match=r"'val_loss'.*available: accuracy, loss"):
        seen = train([stopper], model, [{"loss": 1.0, "accuracy": 0.5}] * 3)
    assert len(seen) == 3 and not model.stop_training
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])


# ----- ModelCheckpoint -------------------------------------------------------------------
def test_checkpoint_formats_filenames_with_epoch_and_logs(tmp_path):
    model = StandInModel()
    pattern = str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5")
    train([ModelCheckpoint(pattern)], model, losses(0.5, 0.734, 0.25))
    names = [path.rsplit("/", 1)[-1] for path in model.saved]
    assert names == ["w.01-0.50.h5", "w.02-0.73.h5", "w.03-0.25.h5"]
    assert sorted(path.name for path in tmp_path.iterdir()) == names


def test_checkpoint_save_best_only_saves_improvements(tmp_path):
    model = StandInModel()
    pattern = str(tmp_path / "best-{epoch}.h5")
    train([ModelCheckpoint(pattern, save_best_only=True)], model, losses(0.5, 0.7, 0.4, 0.4))
    assert model.saved == [str(tmp_path / "best-1.h5"), str(tmp_path / "best-3.h5")]


def test_checkpoint_save_best_only_max_mode_for_accuracy(tmp_path):
    model = StandInModel()
    pattern = str(tmp_path / "best-{epoch}.h5")
    train([ModelCheckpoint(pattern, monitor="val_acc", save_best_only=True)], model,
          losses(0.5, 0.4, 0.8, key="val_acc"))
    assert model.saved == [str(tmp_path / "best-1.h5"), str(tmp_path / "best-3.h5")]


def test_checkpoint_period_skips_epochs(tmp_path):
    model = StandInModel()
    train([ModelCheckpoint(str(tmp_path / "{epoch}.h5"), period=2)], model,
          losses(1, 1, 1, 1, 1))
    assert model.saved == [str(tmp_path / "2.h5"), str(tmp_path / "4.h5")]


def test_checkpoint_creates_the_folder(tmp_path):
    model = StandInModel()
    train([ModelCheckpoint(str(tmp_path / "runs" / "a" / "model.h5"))], model, losses(1.0))
    assert (tmp_path / "runs" / "a" / "model.h5").exists()


def test_checkpoint_verbose_messages(tmp_path, capsys):
    model = StandInModel()
    path = str(tmp_path / "m.h5")
    train([ModelCheckpoint(path, save_best_only=True, verbose=1)], model, losses(0.5, 0.7))
    out = capsys.readouterr().out
    assert f"Epoch 00001: val_loss improved from inf to 0.50000, saving model to {path}" in out
    assert "Epoch 00002: val_loss did not improve from 0.50000" in out


def test_checkpoint_missing_monitor_warns_and_saves_nothing(tmp_path):
    model = StandInModel()
    checkpoint = ModelCheckpoint(str(tmp_path / "m.h5"), save_best_only=True)
    with pytest.warns(RuntimeWarning, match=r"ModelCheckpoint monitors 'val_loss'.*available: "
                                            r"loss.*nothing is saved"):
        train([checkpoint], model, [{"loss": 1.0}] * 2)
    assert model.saved == []


def test_checkpoint_unknown_field_in_filepath(tmp_path):
    model = StandInModel()
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.h5"))
    with pytest.raises(ValueError, match=r"uses \{val_acc\}, but the epoch logs have only "
                                         r"loss, val_loss"):
        train([checkpoint], model, losses(1.0))


@pytest.mark.parametrize("filepath, match", [
    ("w.{epoch.h5", "is not a valid format string"),
    ("w.{}.h5", "unnamed or numbered"),
    ("w.{0}.h5", "unnamed or numbered"),
])
def test_checkpoint_rejects_bad_filepaths(filepath, match):
    with pytest.raises(ValueError, match=match):
        ModelCheckpoint(filepath)


def test_checkpoint_rejects_bad_period():
    with pytest.raises(ValueError, match="period must be at least 1, got 0"):
        ModelCheckpoint("m.h5", period=0)


# ----- LearningRateScheduler -------------------------------------------------------------
def test_scheduler_with_epoch_and_lr():
    model = StandInModel(learning_rate=1.0)
    seen = train([LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)],
                 model, losses(1, 1, 1))
    assert [logs["lr"] for logs in seen] == [1.0, 0.5, 0.25]
    assert model.optimizer.learning_rate == 0.25


def test_scheduler_with_epoch_only():
    model = StandInModel(learning_rate=1.0)

    def schedule(epoch):
        return 0.1 / (epoch + 1)

    seen = train([LearningRateScheduler(schedule)], model, losses(1, 1))
    assert [logs["lr"] for logs in seen] == [0.1, 0.05]


def test_scheduler_accepts_partial_and_callable_objects():
    class StepDecay:
        def __call__(self, epoch, lr, drop=0.5):
            return lr * drop

    def step(epoch, lr, drop):
        return lr * drop

    model = StandInModel(learning_rate=1.0)
    train([LearningRateScheduler(StepDecay())], model, losses(1, 1))
    assert model.optimizer.learning_rate == 0.25
    train([LearningRateScheduler(functools.partial(step, drop=0.1))], model, losses(1))
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_scheduler_accepts_numpy_numbers():
    model = StandInModel()
    train([LearningRateScheduler(lambda epoch: np.float32(0.5))], model, losses(1))
    assert model.optimizer.learning_rate == 0.5
    assert type(model.optimizer.learning_rate) is float


def test_scheduler_verbose_message(capsys):
    train([LearningRateScheduler(lambda epoch: 0.01, verbose=1)], StandInModel(), losses(1))
    assert ("Epoch 00001: LearningRateScheduler setting learning rate to 0.01."
            in capsys.readouterr().out)


@pytest.mark.parametrize("result, match", [
    ("0.1", "schedule must return a number .* at epoch 0 it returned '0.1'"),
    (None, "schedule must return a number"),
    (float("nan"), "it must be finite and >= 0"),
    (-0.1, "it must be finite and >= 0"),
])
def test_scheduler_rejects_bad_results(result, match):
    with pytest.raises(ValueError, match=match):
        train([LearningRateScheduler(lambda epoch, lr: result)], StandInModel(), losses(1))


def test_scheduler_rejects_bad_schedules():
    with pytest.raises(TypeError, match="schedule must be a function"):
        LearningRateScheduler(0.1)
    with pytest.raises(TypeError, match=r"must take \(epoch, lr\) or \(epoch\), but its "
                                        r"signature is \(epoch, lr, drop\)"):
        LearningRateScheduler(lambda epoch, lr, drop: lr)


def test_scheduler_needs_a_compiled_model():
    model = StandInModel()
    model.optimizer = None
    with pytest.raises(RuntimeError, match="LearningRateScheduler needs a compiled model"):
        train([LearningRateScheduler(lambda epoch: 0.1)], model, losses(1))
    model.optimizer = object()
    with pytest.raises(TypeError, match="object has no such attribute"):
        train([LearningRateScheduler(lambda epoch: 0.1)], model, losses(1))


# ----- ReduceLROnPlateau -----------------------------------------------------------------
def test_plateau_reduces_after_patience():
    model = StandInModel(learning_rate=1.0)
    seen = train([ReduceLROnPlateau(factor=0.5, patience=2)], model, losses(1, 1, 1, 1, 1))
    assert [logs["lr"] for logs in seen] == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert model.optimizer.learning_rate == 0.25


def test_plateau_improvement_resets_the_wait():
    model = StandInModel(learning_rate=1.0)
    train([ReduceLROnPlateau(factor=0.5, patience=2)], model, losses(1.0, 1.0, 0.5, 0.5, 0.2))
    assert model.optimizer.learning_rate == 1.0


def test_plateau_min_delta():
    model = StandInModel(learning_rate=1.0)
    train([ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)], model,
          losses(1.0, 0.95))
    assert model.optimizer.learning_rate == 0.5


def test_plateau_max_mode_for_accuracy():
    model = StandInModel(learning_rate=1.0)
    train([ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)], model,
          losses(0.5, 0.6, 0.7, key="val_accuracy"))
    assert model.optimizer.learning_rate == 1.0


def test_plateau_respects_min_lr():
    model = StandInModel(learning_rate=1.0)
    seen = train([ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05)], model,
                 losses(1, 1, 1, 1, 1))
    assert [logs["lr"] for logs in seen] == pytest.approx([1.0, 1.0, 0.1, 0.05, 0.05])
    assert model.optimizer.learning_rate == 0.05


@pytest.mark.parametrize("cooldown, learning_rates", [
    (0, [1.0, 1.0, 0.5, 0.25, 0.125, 0.0625]),
    (2, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]),
])
def test_plateau_cooldown(cooldown, learning_rates):
    model = StandInModel(learning_rate=1.0)
    seen = train([ReduceLROnPlateau(factor=0.5, patience=1, cooldown=cooldown)], model,
                 losses(1, 1, 1, 1, 1, 1))
    assert [logs["lr"] for logs in seen] == learning_rates


def test_plateau_verbose_message(capsys):
    train([ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)], StandInModel(1.0),
          losses(1, 1))
    assert ("Epoch 00002: ReduceLROnPlateau reducing learning rate to 0.5."
            in capsys.readouterr().out)


def test_plateau_missing_monitor_warns_and_keeps_the_rate():
    model = StandInModel(learning_rate=1.0)
    with pytest.warns(RuntimeWarning, match=r"ReduceLROnPlateau monitors 'val_loss'.*"
                                            r"available: loss"):
        seen = train([ReduceLROnPlateau(patience=0)], model, [{"loss": 1.0}] * 3)
    assert model.optimizer.learning_rate == 1.0
    assert [logs["lr"] for logs in seen] == [1.0, 1.0, 1.0]


def test_plateau_old_epsilon_name_warns():
    with pytest.warns(UserWarning, match="epsilon is the old name of min_delta"):
        plateau = ReduceLROnPlateau(epsilon=0.01)
    assert plateau.monitor.min_delta == 0.01


@pytest.mark.parametrize("kwargs, error, match", [
    ({"factor": 1.0}, ValueError, "factor must be between 0 and 1 .* got 1.0"),
    ({"factor": 2}, ValueError, "factor must be between 0 and 1"),
    ({"factor": 0}, ValueError, "factor must be between 0 and 1"),
    ({"min_lr": -1e-3}, ValueError, "min_lr must be a number >= 0"),
    ({"cooldown": -1}, ValueError, "cooldown must be at least 0"),
    ({"patience": "3"}, TypeError, "patience must be a whole number"),
    ({"mode": "up"}, ValueError, "ReduceLROnPlateau: mode must be"),
])
def test_plateau_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ReduceLROnPlateau(**kwargs)


# ----- TerminateOnNaN --------------------------------------------------------------------
@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_terminate_on_nan_stops_on_invalid_loss(loss, capsys):
    model = StandInModel()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_batch_end(0, {"batch": 0, "size": 8, "loss": 0.3})
    assert not model.stop_training
    callback.on_batch_end(7, {"batch": 7, "size": 8, "loss": loss})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 7: Invalid loss, terminating training\n"


# ----- CSVLogger -------------------------------------------------------------------------
def read_rows(path, delimiter=","):
    with open(path, newline="") as file:
        return list(csv.reader(file, delimiter=delimiter))


def epoch_logs(count):
    return [{"val_loss": 1.0 / (epoch + 2), "loss": 1.0 / (epoch + 1), "accuracy": 0.1 * epoch}
            for epoch in range(count)]


def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    train([CSVLogger(path)], StandInModel(), epoch_logs(3))
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_loss"]
    assert len(rows) == 4
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    np.testing.assert_array_equal(np.array(rows[1:], dtype=float)[:, 1:],
                                  [[log["accuracy"], log["loss"], log["val_loss"]]
                                   for log in epoch_logs(3)])


def test_csv_logger_rows_reach_the_file_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(StandInModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5})
    assert read_rows(path) == [["epoch", "loss"], ["0", "0.5"]]
    logger.on_epoch_end(1, {"loss": 0.25})
    assert read_rows(path)[-1] == ["1", "0.25"]


def test_csv_logger_append_writes_one_header(tmp_path):
    path = tmp_path / "log.csv"
    train([CSVLogger(path, append=True)], StandInModel(), epoch_logs(2))
    train([CSVLogger(path, append=True)], StandInModel(), epoch_logs(2))
    rows = read_rows(path)
    assert [row[0] for row in rows] == ["epoch", "0", "1", "0", "1"]


def test_csv_logger_append_to_an_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    train([CSVLogger(path, append=True)], StandInModel(), epoch_logs(1))
    assert read_rows(path)[0] == ["epoch", "accuracy", "loss", "val_loss"]


def test_csv_logger_without_append_overwrites(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    train([CSVLogger(path)], StandInModel(), epoch_logs(1))
    assert [row[0] for row in read_rows(path)] == ["epoch", "0"]


def test_csv_logger_separator_and_missing_entries(tmp_path):
    path = tmp_path / "log.csv"
    train([CSVLogger(path, separator=";")], StandInModel(),
          [{"loss": 0.5, "val_loss": 0.75}, {"loss": 0.25}])
    assert read_rows(path, ";") == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.75"],
                                    ["1", "0.25", "NA"]]


def test_csv_logger_rejects_bad_separator(tmp_path):
    with pytest.raises(ValueError, match="separator must be a single character"):
        CSVLogger(tmp_path / "log.csv", separator=", ")


# ----- with a real model -----------------------------------------------------------------
class Recorder(Callback):
    """Keeps every epoch's logs (as this callback sees them) and weights."""

    def __init__(self) -> None:
        super().__init__()
        self.logs: list[dict] = []
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))
        self.weights.append(self.model.get_weights())


class KickAt(Callback):
    """Pushes every weight far off at the start of one epoch, so that epoch turns out worse."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.set_weights([weight + 5.0 for weight in self.model.get_weights()])


@pytest.fixture
def regression():
    """A compiled one-Dense-layer model and a small linear regression problem."""
    from dlcore.layers.core import Dense
    from dlcore.models.sequential import Sequential
    from dlcore.optimizers import SGD
    from dlcore.utils import set_random_seed

    set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    return model, x, y


def fit(model, x, y, callbacks, epochs):
    return model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, validation_split=0.25,
                     shuffle=False, callbacks=callbacks)


def assert_weights_equal(actual, expected):
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_fit_early_stopping_restores_the_best_epoch_at_the_end(regression):
    model, x, y = regression
    recorder = Recorder()
    history = fit(model, x, y, [KickAt(4), recorder,
                                EarlyStopping(patience=10, restore_best_weights=True)], 5)
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) == 5 and best == 3
    assert_weights_equal(model.get_weights(), recorder.weights[best])


def test_fit_early_stopping_stops_and_restores(regression):
    model, x, y = regression
    recorder = Recorder()
    stopper = EarlyStopping(patience=1, restore_best_weights=True)
    history = fit(model, x, y, [KickAt(3), recorder, stopper], 10)
    assert len(history.history["loss"]) == 4
    assert stopper.stopped_epoch == 3
    assert_weights_equal(model.get_weights(), recorder.weights[2])


def test_fit_scheduler_sets_the_optimizer_rate_and_logs_it(regression):
    model, x, y = regression
    recorder = Recorder()
    fit(model, x, y, [LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)), recorder], 3)
    assert [logs["lr"] for logs in recorder.logs] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert model.optimizer.learning_rate == pytest.approx(0.1 / 3)


def test_fit_scheduler_rate_zero_freezes_the_weights(regression):
    model, x, y = regression
    before = model.get_weights()
    fit(model, x, y, [LearningRateScheduler(lambda epoch: 0.0)], 2)
    assert_weights_equal(model.get_weights(), before)


def test_fit_plateau_reduces_the_optimizer_rate(regression):
    model, x, y = regression
    recorder = Recorder()
    fit(model, x, y, [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=1e9),
                      recorder], 4)
    assert [logs["lr"] for logs in recorder.logs] == pytest.approx([0.05, 0.05, 0.025, 0.0125])
    assert model.optimizer.learning_rate == pytest.approx(0.00625)


def test_fit_csv_logger_matches_history(regression, tmp_path):
    model, x, y = regression
    path = tmp_path / "training.csv"
    history = fit(model, x, y, [CSVLogger(path)], 3)
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(table[:, 0], [0, 1, 2])
    np.testing.assert_array_equal(table[:, 1], history.history["loss"])
    np.testing.assert_array_equal(table[:, 2], history.history["val_loss"])


def test_fit_checkpoint_save_best_only_keeps_the_best_model(regression, tmp_path):
    from dlcore.saving import load_weights

    model, x, y = regression
    recorder = Recorder()
    pattern = str(tmp_path / "model.{epoch:02d}-{val_loss:.3f}.h5")
    history = fit(model, x, y, [KickAt(3), recorder,
                                ModelCheckpoint(pattern, save_best_only=True)], 4)
    val_loss = history.history["val_loss"]
    saved = sorted(path.name for path in tmp_path.iterdir())
    assert saved == [f"model.{epoch + 1:02d}-{val_loss[epoch]:.3f}.h5" for epoch in range(3)]
    load_weights(model, tmp_path / saved[-1])
    assert_weights_equal(model.get_weights(), recorder.weights[2])


def test_fit_checkpoint_save_weights_only(regression, tmp_path):
    from dlcore.saving import load_weights

    model, x, y = regression
    path = tmp_path / "weights.h5"
    fit(model, x, y, [ModelCheckpoint(str(path), save_weights_only=True)], 2)
    trained = model.get_weights()
    model.set_weights([np.zeros_like(weight) for weight in trained])
    load_weights(model, path)
    assert_weights_equal(model.get_weights(), trained)
