"""Loss functions: one value per sample, shape ``(batch,)``; ``fit`` averages them.

Every loss takes ``(y_true, y_pred)`` as arrays or Tensors and is finite for any finite
input: probabilities are clipped to ``[1e-7, 1 - 1e-7]`` before a logarithm (no gradient
flows through a clipped value), and ``from_logits=True`` works on raw scores through a
log-softmax, which never forms a probability of exactly 0.

Targets are never broadcast against predictions: a ``(n,)`` target next to an ``(n, 1)``
prediction gains the missing axis; any other shape difference is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .functional.activations import log_softmax, softmax_cross_entropy
from .names import unknown_name_error
from .tensor import Tensor, as_tensor, tensor

EPSILON = 1e-7


def _matched_targets(y_true: Any, y_pred: Tensor, loss_name: str) -> Tensor:
    """``y_true`` as a Tensor of exactly ``y_pred``'s shape (only a missing last axis is added)."""
    target = as_tensor(y_true)
    if target.dtype != y_pred.dtype:
        target = tensor(target.data, dtype=y_pred.dtype)
    if target.shape == y_pred.shape:
        return target
    if target.shape + (1,) == y_pred.shape:
        return target.reshape(y_pred.shape)
    raise ValueError(
        f"{loss_name}: targets of shape {target.shape} do not match predictions of shape "
        f"{y_pred.shape}. Targets must have the predictions' shape (a missing last axis of "
        "size 1 is added); they are never broadcast."
    )


def _probabilities(y_pred: Tensor) -> Tensor:
    """Rows renormalised to sum to 1, then clipped away from 0 and 1."""
    return (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1 - EPSILON)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-sum_k t_k log p_k over the last axis, for one-hot (or soft) targets t.

    With ``from_logits=True``, ``y_pred`` holds raw scores and log p = log_softmax(scores).
    """
    y_pred = as_tensor(y_pred)
    target_shape = np.shape(y_true.data if isinstance(y_true, Tensor) else y_true)
    if len(target_shape) == y_pred.ndim - 1 or (target_shape[-1:] == (1,) != y_pred.shape[-1:]):
        raise ValueError(
            f"categorical_crossentropy expects one-hot targets of shape {y_pred.shape}, got "
            f"targets of shape {target_shape} (integer class labels?). Either one-hot encode "
            f"them with dlcore.utils.to_categorical(y, {y_pred.shape[-1]}) or use "
            "loss='sparse_categorical_crossentropy'."
        )
    target = _matched_targets(y_true, y_pred, "categorical_crossentropy")
    log_p = log_softmax(y_pred, axis=-1) if from_logits else _probabilities(y_pred).log()
    return -(target * log_p).sum(axis=-1)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-log p[label] for integer class labels of shape ``(batch,)`` or ``(batch, 1)``."""
    y_pred = as_tensor(y_pred)
    classes = y_pred.shape[-1]
    labels = class_labels(y_true, classes, "sparse_categorical_crossentropy")
    if labels.size != int(np.prod(y_pred.shape[:-1])):
        raise ValueError(
            f"sparse_categorical_crossentropy: {labels.size} labels for predictions of shape "
            f"{y_pred.shape}; expected one integer label per row, shape {y_pred.shape[:-1]}"
        )
    scores = y_pred.reshape(-1, classes)
    if from_logits:
        losses = softmax_cross_entropy(scores, labels=labels)
    else:
        losses = -_probabilities(scores)[np.arange(labels.size), labels].log()
    return losses.reshape(y_pred.shape[:-1])


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """Mean over the last axis of -(t log p + (1 - t) log(1 - p)).

    With ``from_logits=True`` the stable form on scores x is used:
    max(x, 0) - x t + log(1 + exp(-|x|)).
    """
    y_pred = as_tensor(y_pred)
    target = _matched_targets(y_true, y_pred, "binary_crossentropy")
    if from_logits:
        losses = y_pred.relu() - y_pred * target + (1 + (-y_pred.abs()).exp()).log()
    else:
        p = y_pred.clip(EPSILON, 1 - EPSILON)
        losses = -(target * p.log() + (1 - target) * (1 - p).log())
    return _mean_over_last_axis(losses)


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of (y_pred - y_true)**2."""
    y_pred = as_tensor(y_pred)
    target = _matched_targets(y_true, y_pred, "mean_squared_error")
    return _mean_over_last_axis((y_pred - target) ** 2)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of |y_pred - y_true|."""
    y_pred = as_tensor(y_pred)
    target = _matched_targets(y_true, y_pred, "mean_absolute_error")
    return _mean_over_last_axis((y_pred - target).abs())


def _mean_over_last_axis(losses: Tensor) -> Tensor:
    """Per-sample losses: the mean over the last axis (a 1-D input is already per sample)."""
    return losses if losses.ndim <= 1 else losses.mean(axis=-1)


def class_labels(y_true: Any, classes: int, where: str) -> np.ndarray:
    """Integer class labels as a flat int64 array, each checked to lie in ``[0, classes)``."""
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if labels.ndim >= 1 and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    if np.issubdtype(labels.dtype, np.floating):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"{where} needs integer class labels, got non-integer values "
                             f"such as {labels[labels != np.round(labels)][:3]}")
    elif not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{where} needs integer class labels, got dtype {labels.dtype}")
    labels = labels.astype(np.int64).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{where}: labels range from {labels.min()} to {labels.max()}, but the predictions "
            f"have {classes} classes (valid labels 0 to {classes - 1}). Check the labels, or "
            "widen the last layer to the number of classes."
        )
    return labels


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
}


def get(identifier: str | Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The loss function for a name (``'mse'``, ``'categorical_crossentropy'``, ...) or itself."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        loss = _BY_NAME.get(identifier.lower())
        if loss is not None:
            return loss
        raise unknown_name_error("loss", identifier, _BY_NAME)
    raise TypeError(f"a loss must be a name or a function, got {type(identifier).__name__}")


def name_of(loss: Callable[..., Tensor]) -> str:
    """The registered name of one of dlcore's losses (for saving a compiled model)."""
    for name, function in _BY_NAME.items():
        if function is loss:
            return name
    raise ValueError(f"the loss {getattr(loss, '__name__', loss)!r} is not one of dlcore's "
                     "named losses, so it cannot be saved with the model; compile with a name "
                     f"from: {', '.join(sorted(_BY_NAME))}")
