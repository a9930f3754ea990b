"""A small classifier on a 2-D toy dataset, trained a few epochs at a time.

``train_in_chunks`` yields a ``PlaygroundResult`` after every chunk of epochs (the
training playground redraws from each one); ``train_playground`` runs to the end and
returns the last. Each result holds the loss and accuracy curves and the decision grid:
the model's class probabilities on a grid of points covering the data.

L2 regularisation gives every Dense layer ``kernel_regularizer=l2(l2)``::

    loss = mean cross-entropy + l2 * sum over Dense kernels of sum(W ** 2)

Its gradient adds ``2 * l2 * W`` to each kernel's gradient (biases are not penalised), which
for plain SGD is weight decay: each step shrinks W by the factor ``1 - 2 * lr * l2``. The
reported loss includes the penalty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets, regularizers
from ..layers import Activation, BatchNormalization, Dense, Dropout
from ..losses import sparse_categorical_crossentropy
from ..metrics import sparse_categorical_accuracy
from ..models import Sequential
from ..optimizers import Optimizer
from ..utils import set_random_seed
from ._checks import checked_choice, checked_int, checked_number
from .decision import Grid, decision_grid
from .optimizer_paths import make_optimizer

DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spirals": datasets.make_spirals,
    "moons": datasets.make_moons,
    "circles": datasets.make_circles,
}
ACCURACY = sparse_categorical_accuracy.__name__  # the history key of the accuracy metric


@dataclass
class PlaygroundResult:
    """Where training stands after ``epochs`` epochs.

    ``losses``/``val_losses`` and ``train_accuracy``/``val_accuracy`` hold one number per
    epoch (the validation lists are empty without validation data). ``grid`` is
    ``(xx, yy, probabilities)`` from ``decision_grid`` at that moment; ``model`` is the model
    being trained (after a later chunk it has moved on).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    epochs: int
    losses: list[float]
    val_losses: list[float]
    train_accuracy: list[float]
    val_accuracy: list[float]
    grid: Grid
    model: Sequential


def parse_hidden_layers(text: str) -> tuple[int, ...]:
    """``"8, 8"`` -> ``(8, 8)``: hidden layer sizes from text; ``""`` means no hidden layer."""
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError(f"parse_hidden_layers: expected positive whole numbers separated by "
                         f"commas, such as '8, 8', got {text!r}")
    return tuple(int(part) for part in parts)


def build_classifier(hidden_layers: Sequence[int] = (8, 8), activation: str = "tanh",
                     batch_norm: bool = False, dropout: float = 0.0, l2: float = 0.0,
                     learning_rate: float = 0.03, optimizer: str | Optimizer = "adam",
                     n_classes: int = 2, seed: int = 0) -> Sequential:
    """A compiled MLP for 2-D points: per hidden layer Dense -> [BatchNorm] -> activation
    -> [Dropout], then a softmax over ``n_classes``; sparse cross-entropy loss (plus the L2
    penalty when ``l2 > 0``) and accuracy.

    ``optimizer`` is a name from ``dlcore.explore.OPTIMIZERS`` (it gets ``learning_rate``) or
    an optimizer object (used as it is). ``seed`` fixes the initial weights.
    """
    function = "build_classifier"
    hidden_layers = tuple(checked_int(function, "hidden_layers[i]", units)
                          for units in hidden_layers)
    dropout = checked_number(function, "dropout", dropout, 0.0, 1.0)
    l2 = checked_number(function, "l2", l2)
    n_classes = checked_int(function, "n_classes", n_classes, low=2)
    set_random_seed(checked_int(function, "seed", seed, low=0))
    model = Sequential()
    penalty = regularizers.l2(l2) if l2 > 0 else None
    for units in hidden_layers:
        model.add(Dense(units, kernel_regularizer=penalty))
        if batch_norm:
            model.add(BatchNormalization())
        model.add(Activation(activation))
        if dropout > 0:
            model.add(Dropout(dropout))
    model.add(Dense(n_classes, activation="softmax", kernel_regularizer=penalty))
    model.build((None, 2))
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, {"learning_rate": learning_rate})
    model.compile(optimizer=optimizer, loss=sparse_categorical_crossentropy,
                  metrics=[sparse_categorical_accuracy])
    return model


def make_dataset(dataset: str = "spirals", n_samples: int = 300, noise: float = 0.2,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from the named generator in ``DATASETS``."""
    function = "make_dataset"
    maker = DATASETS[checked_choice(function, "dataset", dataset, DATASETS)]
    return maker(n_samples=checked_int(function, "n_samples", n_samples, low=4),
                 noise=checked_number(function, "noise", noise), seed=seed)


def split_validation(x: np.ndarray, y: np.ndarray, validation_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_val, y_val)``: a random ``validation_fraction`` held out."""
    order = np.random.default_rng(seed).permutation(len(x))
    held_out = int(round(validation_fraction * len(x)))
    train, validation = order[held_out:], order[:held_out]
    return x[train], y[train], x[validation], y[validation]


def train_in_chunks(dataset: str = "spirals", n_samples: int = 300, noise: float = 0.2,
                    epochs: int = 100, batch_size: int = 32, chunk_epochs: int = 5,
                    validation_fraction: float = 0.2, resolution: int = 100, seed: int = 0,
                    **model_options: Any) -> Iterator[PlaygroundResult]:
    """Train a ``build_classifier(**model_options)`` model, yielding a result every
    ``chunk_epochs`` epochs (and after the last one).

    The data come from ``make_dataset``; a random ``validation_fraction`` of them is held out
    for validation. Everything is checked before the first epoch, and ``seed`` fixes data,
    split, initial weights and shuffling. Stop iterating to stop training.
    """
    function = "train_in_chunks"
    epochs = checked_int(function, "epochs", epochs)
    batch_size = checked_int(function, "batch_size", batch_size)
    chunk_epochs = checked_int(function, "chunk_epochs", chunk_epochs)
    validation_fraction = checked_number(function, "validation_fraction", validation_fraction,
                                         0.0, 0.9)
    x, y = make_dataset(dataset, n_samples, noise, seed)
    model = build_classifier(n_classes=int(y.max()) + 1, seed=seed, **model_options)
    split = split_validation(x, y, validation_fraction, seed)
    return _chunks(model, split, epochs, batch_size, chunk_epochs, resolution)


def _chunks(model: Sequential, split: tuple[np.ndarray, ...], epochs: int, batch_size: int,
            chunk_epochs: int, resolution: int) -> Iterator[PlaygroundResult]:
    """The generator behind ``train_in_chunks`` (which checks its arguments eagerly)."""
    x_train, y_train, x_val, y_val = split
    validation_data = (x_val, y_val) if len(x_val) else None
    all_points = np.concatenate([x_train, x_val])
    history: dict[str, list[float]] = {}
    done = 0
    while done < epochs:
        end = min(done + chunk_epochs, epochs)
        chunk = model.fit(x_train, y_train, batch_size=batch_size, epochs=end,
                          initial_epoch=done, verbose=0, validation_data=validation_data)
        for key, values in chunk.history.items():
            history.setdefault(key, []).extend(values)
        done = end
        yield PlaygroundResult(
            *split, done, list(history["loss"]), list(history.get("val_loss", [])),
            list(history[ACCURACY]), list(history.get(f"val_{ACCURACY}", [])),
            decision_grid(model, all_points, resolution), model)


def train_playground(dataset: str = "spirals", n_samples: int = 300, noise: float = 0.2,
                     epochs: int = 100, batch_size: int = 32, chunk_epochs: int = 5,
                     validation_fraction: float = 0.2, resolution: int = 100, seed: int = 0,
                     **model_options: Any) -> PlaygroundResult:
    """Train to the end (see ``train_in_chunks``) and return the final result."""
    *_, last = train_in_chunks(dataset, n_samples, noise, epochs, batch_size, chunk_epochs,
                               validation_fraction, resolution, seed, **model_options)
    return last
