"""Loss functions: one value per sample, shape ``(batch,)``; ``fit`` averages them.

Every loss takes ``(y_true, y_pred)`` as arrays or Tensors and is finite for any finite
input: probabilities are clipped to ``[1e-7, 1 - 1e-7]`` before a logarithm (no gradient
flows through a clipped value), and ``from_logits=True`` works on raw scores through a
log-softmax, which never forms a probability of exactly 0.

A model in training computes cross-entropy on its softmax output from the softmax's logits
instead, as tf.keras does (``training_loss``): the same numbers inside the clip range.

Targets are never broadcast against predictions: a ``(n,)`` target next to an ``(n, 1)``
prediction gains the missing axis; any other shape difference is an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .functional.activations import log_softmax, softmax_cross_entropy, softmax_logits
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
    """Rows renormalised to sum to 1, then clipped away from 0 and 1.

    A row sum below ``EPSILON`` is taken as ``EPSILON``: a row of zeros (sigmoids that
    underflowed) then stays finite instead of becoming 0 / 0.
    """
    total = y_pred.sum(axis=-1, keepdims=True).clip(EPSILON, np.inf)
    return (y_pred / total).clip(EPSILON, 1 - EPSILON)


def _warn_if_probabilities(y_pred: Tensor, loss_name: str) -> None:
    """``from_logits=True`` on rows that look like softmax output: softmax applied twice."""
    scores = y_pred.data
    if scores.size == 0 or scores.shape[-1] < 2 or scores.min() < 0 or scores.max() > 1:
        return
    if np.allclose(scores.sum(axis=-1), 1.0, rtol=0.0, atol=1e-3):
        warnings.warn(
            f"{loss_name}(from_logits=True) got predictions whose rows are already "
            "probabilities (in [0, 1], summing to 1): the softmax inside the loss is then "
            "applied a second time, which trains slowly and reports a wrong loss. Remove the "
            "softmax from the last layer, or use from_logits=False.",
            stacklevel=3,
        )


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-sum_k t_k log p_k over the last axis, for one-hot (or soft) targets t.

    With ``from_logits=True``, ``y_pred`` holds raw scores and log p = log_softmax(scores).
    """
    y_pred = as_tensor(y_pred)
    target = _one_hot_targets(y_true, y_pred)
    if from_logits:
        _warn_if_probabilities(y_pred, "categorical_crossentropy")
        return _categorical_of_logits(target, y_pred)
    return -(target * _probabilities(y_pred).log()).sum(axis=-1)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """-log p[label] for integer class labels of shape ``(batch,)`` or ``(batch, 1)``."""
    y_pred = as_tensor(y_pred)
    labels = _labels_per_row(y_true, y_pred)
    if from_logits:
        _warn_if_probabilities(y_pred, "sparse_categorical_crossentropy")
        return _sparse_of_logits(labels, y_pred)
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    losses = -_probabilities(scores)[np.arange(labels.size), labels].log()
    return losses.reshape(y_pred.shape[:-1])


def training_loss(loss: Callable[..., Tensor], y_true: Any, y_pred: Tensor) -> Tensor:
    """``loss(y_true, y_pred)`` as a model computes it on its output ``y_pred``.

    When ``y_pred = softmax(z)`` was recorded in the graph (training) and ``loss`` is
    categorical or sparse categorical cross-entropy, the loss is computed from the logits
    ``z`` instead, as tf.keras does: ``-log softmax(z)[label]`` is one fused op (sparse labels)
    whose gradient is ``softmax(z) - onehot``, with no renormalising, clipping, logarithm and
    softmax backward in between. Wherever the probabilities of the target classes lie in
    ``[1e-7, 1 - 1e-7]`` both give the same number (to float rounding). Beyond the clip the
    logits give the exact loss where the probabilities give ``-log(1e-7) = 16.1`` and no
    gradient: a sample predicted wrong with certainty still teaches the model.
    """
    logits = softmax_logits(y_pred)
    if logits is not None and loss is categorical_crossentropy:
        return _categorical_of_logits(_one_hot_targets(y_true, y_pred), logits)
    if logits is not None and loss is sparse_categorical_crossentropy:
        return _sparse_of_logits(_labels_per_row(y_true, y_pred), logits)
    return loss(y_true, y_pred)


def _one_hot_targets(y_true: Any, y_pred: Tensor) -> Tensor:
    """``y_true`` as targets of ``y_pred``'s shape; integer class labels are refused."""
    target_shape = np.shape(y_true.data if isinstance(y_true, Tensor) else y_true)
    if len(target_shape) == y_pred.ndim - 1 or (target_shape[-1:] == (1,) != y_pred.shape[-1:]):
        raise ValueError(
            f"categorical_crossentropy expects one-hot targets of shape {y_pred.shape}, got "
            f"targets of shape {target_shape} (integer class labels?). Either one-hot encode "
            f"them with dlcore.utils.to_categorical(y, {y_pred.shape[-1]}) or use "
            "loss='sparse_categorical_crossentropy'."
        )
    return _matched_targets(y_true, y_pred, "categorical_crossentropy")


def _labels_per_row(y_true: Any, y_pred: Tensor) -> np.ndarray:
    """One checked int64 class label per row of ``y_pred`` (all axes but the last)."""
    labels = class_labels(y_true, y_pred.shape[-1], "sparse_categorical_crossentropy")
    if labels.size != math.prod(y_pred.shape[:-1]):
        raise ValueError(
            f"sparse_categorical_crossentropy: {labels.size} labels for predictions of shape "
            f"{y_pred.shape}; expected one integer label per row, shape {y_pred.shape[:-1]}"
        )
    return labels


def _categorical_of_logits(target: Tensor, logits: Tensor) -> Tensor:
    """-sum_k t_k log_softmax(logits)_k over the last axis."""
    return -(target * log_softmax(logits, axis=-1)).sum(axis=-1)


def _sparse_of_logits(labels: np.ndarray, logits: Tensor) -> Tensor:
    """-log_softmax(logits)[label] per row, in one fused op (other shapes seen as rows)."""
    if logits.ndim == 2:
        return softmax_cross_entropy(logits, labels=labels)
    losses = softmax_cross_entropy(logits.reshape(-1, logits.shape[-1]), labels=labels)
    return losses.reshape(logits.shape[:-1])


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
