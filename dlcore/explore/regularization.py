"""Overfitting on the digits: how dropout and the size of the training set change the gap.

A small MLP (64 pixels -> ``Dense(hidden_units, relu)`` -> ``Dropout(rate)`` -> 10-class
softmax, Adam) learns from the first ``train_size`` images of the bundled digits' training
split; the fixed test split (450 images) is the validation set. After every epoch both sets
are scored in inference mode (dropout off), so the two numbers measure the same network::

    gap = train accuracy - validation accuracy          (both after the same epoch)
    loss gap = validation loss - train loss             (mean cross-entropy)

A network that memorises its training set reaches train accuracy 1 while the validation
accuracy stays lower: the gap measures overfitting. What the digits show (seeds 0-2, 150
epochs, 512 hidden units): four times more training images (400) halve the accuracy gap (about
0.095 -> 0.05) and the loss gap (0.34 -> 0.23); dropout 0.5 narrows the loss gap by about
0.02-0.03 (the network grows less over-confident on the images it memorised) but moves the
accuracy gap by no more than one or two validation images.

``fit`` itself reports the training accuracy averaged over the epoch with dropout active
(``fit_accuracy`` here). While the network learns, that number trails its real accuracy on
the same images, more so with dropout (on average by 0.020 at rate 0.5 against 0.0055
without, over 150 epochs on 100 images), which is why Keras curves with dropout can show
validation above training.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import datasets
from ..layers import Dense, Dropout
from ..models import Sequential
from ..utils import set_random_seed
from ._checks import checked_int, checked_number

PIXEL_MAX = 16.0  # the digits' intensities run from 0 to 16
N_CLASSES = 10
EVALUATION_BATCH = 512  # scoring needs no small batches: one or two batches per set


@dataclass
class RegularizationRun:
    """One network trained with one dropout rate on one training-set size.

    The lists hold one number per epoch (inference mode, measured after the epoch), except
    ``fit_accuracy``: the training accuracy as ``fit`` reports it (averaged over the
    epoch's batches, dropout active).
    """

    dropout_rate: float
    train_size: int
    train_accuracy: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    fit_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_accuracy)

    @property
    def final_train_accuracy(self) -> float:
        return self.train_accuracy[-1]

    @property
    def final_validation_accuracy(self) -> float:
        return self.validation_accuracy[-1]

    @property
    def gap_curve(self) -> np.ndarray:
        """Train minus validation accuracy after each epoch."""
        return np.subtract(self.train_accuracy, self.validation_accuracy)

    @property
    def gap(self) -> float:
        """Train minus validation accuracy after the last epoch."""
        return float(self.gap_curve[-1])

    @property
    def loss_gap(self) -> float:
        """Validation minus train loss after the last epoch."""
        return float(self.validation_loss[-1] - self.train_loss[-1])

    def label(self) -> str:
        """The settings in words, e.g. ``'dropout 0.5, 100 images'``."""
        return f"dropout {self.dropout_rate:g}, {self.train_size} images"


@dataclass
class RegularizationResult:
    """Every (dropout rate, training-set size) pair of ``regularization_gap``.

    ``runs[(rate, size)]`` holds the curves; the properties arrange the final numbers as
    arrays of shape ``(len(dropout_rates), len(train_sizes))``.
    """

    dropout_rates: tuple[float, ...]
    train_sizes: tuple[int, ...]
    runs: dict[tuple[float, int], RegularizationRun]

    def _table(self, value: str) -> np.ndarray:
        return np.array([[getattr(self.runs[rate, size], value) for size in self.train_sizes]
                         for rate in self.dropout_rates])

    @property
    def train_accuracy(self) -> np.ndarray:
        return self._table("final_train_accuracy")

    @property
    def validation_accuracy(self) -> np.ndarray:
        return self._table("final_validation_accuracy")

    @property
    def gap(self) -> np.ndarray:
        return self._table("gap")

    @property
    def loss_gap(self) -> np.ndarray:
        return self._table("loss_gap")


def digits_split(train_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_val, y_val)``: the first ``train_size`` training digits and
    the whole test split, as flat float32 pixels in ``[0, 1]`` (shape ``(n, 64)``)."""
    (x_train, y_train), (x_val, y_val) = datasets.load_digits()
    if not 1 <= train_size <= len(x_train):
        raise ValueError(f"digits_split: train_size must be between 1 and {len(x_train)} (the "
                         f"digits' training split), got {train_size}; pick a smaller size")

    def flat(images: np.ndarray) -> np.ndarray:
        return (images.reshape(len(images), -1) / PIXEL_MAX).astype(np.float32)

    return flat(x_train[:train_size]), y_train[:train_size], flat(x_val), y_val


def dropout_mlp(dropout_rate: float, hidden_units: int = 512, seed: int = 0) -> Sequential:
    """64 -> Dense(hidden_units, relu) -> Dropout(dropout_rate) -> Dense(10, softmax), compiled
    with Adam and sparse cross-entropy. The initial weights depend on ``seed`` only, so every
    dropout rate starts from the same network."""
    set_random_seed(seed)
    model = Sequential([Dense(hidden_units, activation="relu", input_dim=64),
                        Dropout(dropout_rate), Dense(N_CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_with_dropout(dropout_rate: float = 0.5, train_size: int = 100, epochs: int = 150,
                       chunk_epochs: int = 5, hidden_units: int = 512, batch_size: int = 32,
                       seed: int = 0) -> Iterator[RegularizationRun]:
    """Train one ``dropout_mlp`` on ``train_size`` digits, yielding the run so far after every
    ``chunk_epochs`` epochs (and after the last). Arguments are checked before the first
    epoch; stop iterating to stop training."""
    function = "train_with_dropout"
    dropout_rate = checked_number(function, "dropout_rate", dropout_rate, 0.0, 1.0)
    train_size = checked_int(function, "train_size", train_size)
    epochs = checked_int(function, "epochs", epochs)
    chunk_epochs = checked_int(function, "chunk_epochs", chunk_epochs)
    hidden_units = checked_int(function, "hidden_units", hidden_units)
    batch_size = checked_int(function, "batch_size", batch_size)
    seed = checked_int(function, "seed", seed, low=0)
    data = digits_split(train_size)
    model = dropout_mlp(dropout_rate, hidden_units, seed)
    run = RegularizationRun(dropout_rate, train_size)
    return _chunks(model, data, run, epochs, chunk_epochs, batch_size)


def _chunks(model: Sequential, data: tuple[np.ndarray, ...], run: RegularizationRun,
            epochs: int, chunk_epochs: int, batch_size: int) -> Iterator[RegularizationRun]:
    """The generator behind ``train_with_dropout``: fit one epoch, score both sets, repeat."""
    x_train, y_train, x_val, y_val = data
    for epoch in range(epochs):
        history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epoch + 1,
                            initial_epoch=epoch, verbose=0)
        run.fit_accuracy.append(history.history["accuracy"][-1])
        for x, y, losses, accuracies in ((x_train, y_train, run.train_loss, run.train_accuracy),
                                         (x_val, y_val, run.validation_loss,
                                          run.validation_accuracy)):
            loss, accuracy = model.evaluate(x, y, batch_size=EVALUATION_BATCH, verbose=0)
            losses.append(loss)
            accuracies.append(accuracy)
        if (epoch + 1) % chunk_epochs == 0 or epoch + 1 == epochs:
            yield copy.deepcopy(run)  # a snapshot: later epochs do not change it


def regularization_gap(dropout_rates: Sequence[float] = (0.0, 0.5),
                       train_sizes: Sequence[int] = (100, 400), epochs: int = 150,
                       seed: int = 0, hidden_units: int = 512,
                       batch_size: int = 32) -> RegularizationResult:
    """Train one network per (dropout rate, training-set size) pair to the end.

    Every network starts from the same weights (``seed``); see the module docstring for the
    data and the gaps. Returns the curves of every run and the final numbers as tables.
    """
    runs = {}
    for rate in dropout_rates:
        for size in train_sizes:
            (run,) = train_with_dropout(rate, size, epochs, chunk_epochs=epochs,  # one chunk
                                        hidden_units=hidden_units, batch_size=batch_size,
                                        seed=seed)
            runs[run.dropout_rate, run.train_size] = run
    return RegularizationResult(tuple(float(rate) for rate in dropout_rates),
                                tuple(int(size) for size in train_sizes), runs)
