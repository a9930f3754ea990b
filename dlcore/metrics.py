"""Metrics: per-sample scores on numpy arrays, averaged by ``fit`` and ``evaluate``.

``'accuracy'`` (or ``'acc'``) in ``compile`` means the accuracy that fits the loss and the
output, as in Keras: binary for a single output or binary cross-entropy, sparse for
integer labels, categorical (argmax against argmax) otherwise. History keys keep the
spelling the user gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .names import unknown_name_error
from .tensor import as_array


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """Mean over the last axis of [y_true == (y_pred > threshold)]."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape + (1,) == y_pred.shape:
        y_true = y_true[..., np.newaxis]
    hits = (y_true == (y_pred > threshold)).astype(np.float64)
    return hits if hits.ndim <= 1 else hits.mean(axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """[argmax y_true == argmax y_pred], per sample (one-hot targets)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_accuracy needs one-hot targets of the predictions' shape "
                         f"{y_pred.shape}, got targets of shape {y_true.shape}; for integer "
                         "labels use 'sparse_categorical_accuracy' (or 'accuracy')")
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """[label == argmax y_pred], per sample (integer labels, shape (batch,) or (batch, 1))."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true.astype(np.int64) == y_pred.argmax(axis=-1)).astype(np.float64)


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """Accuracy chosen from the shapes: binary for a single output, categorical when the
    targets have the predictions' shape, sparse for integer labels."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    if y_pred.ndim <= 1 or y_pred.shape[-1] == 1:
        return binary_accuracy(y_true, y_pred)
    if y_true.shape == y_pred.shape:
        return categorical_accuracy(y_true, y_pred)
    return sparse_categorical_accuracy(y_true, y_pred)


def _squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """Mean over the last axis of (y_pred - y_true)**2."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    error = (y_pred - y_true.reshape(y_pred.shape)) ** 2
    return error if error.ndim <= 1 else error.mean(axis=-1)


def _absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """Mean over the last axis of |y_pred - y_true|."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    error = np.abs(y_pred - y_true.reshape(y_pred.shape))
    return error if error.ndim <= 1 else error.mean(axis=-1)


mean_squared_error = mse = _squared_error
mean_absolute_error = mae = _absolute_error

_BY_NAME: dict[str, Callable[..., np.ndarray]] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
}
_ACCURACY_NAMES = ("accuracy", "acc")


def resolve(identifier: str | Callable, loss_name: str | None,
            output_width: int) -> tuple[str, Callable[..., np.ndarray]]:
    """``(history key, per-sample function)`` for a metric given to ``compile``.

    ``'accuracy'``/``'acc'`` become binary, sparse or categorical accuracy from the loss
    and the width of the model's output; with a loss given as a function, the accuracy is
    chosen from the shapes of each batch's targets and outputs.
    """
    if callable(identifier):
        return getattr(identifier, "__name__", "metric"), identifier
    if not isinstance(identifier, str):
        raise TypeError(f"a metric must be a name or a function, got {type(identifier).__name__}")
    if identifier in _ACCURACY_NAMES:
        if loss_name == "binary_crossentropy" or output_width == 1:
            return identifier, binary_accuracy
        if loss_name == "sparse_categorical_crossentropy":
            return identifier, sparse_categorical_accuracy
        if loss_name == "categorical_crossentropy":
            return identifier, categorical_accuracy
        return identifier, accuracy
    metric = _BY_NAME.get(identifier.lower())
    if metric is None:
        raise unknown_name_error("metric", identifier, [*_BY_NAME, *_ACCURACY_NAMES])
    return identifier, metric
