"""Small utilities a Keras user expects: labels to one-hot, normalising, seeding, Sequence."""

from __future__ import annotations

import random as python_random
from typing import Any

import numpy as np

from . import random
from .layers.base import reset_names


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """One-hot encode integer class labels: shape ``y.shape + (num_classes,)``.

    A trailing axis of size 1 is dropped first, so ``(n, 1)`` labels give ``(n, C)``.
    Labels must be integers in ``[0, num_classes)``; anything else is an error, never a
    silently wrong column (a label of -1 would otherwise land in the last column).
    """
    labels = np.asarray(y)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if np.issubdtype(labels.dtype, np.floating):
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical needs integer class labels, got non-integer values")
    elif not np.issubdtype(labels.dtype, np.integer) and labels.dtype != bool:
        raise TypeError(f"to_categorical needs integer class labels, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got a minimum of {labels.min()} "
                         "(labels such as -1/1 need mapping to 0/1 first)")
    largest = int(labels.max()) if labels.size else -1
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(f"to_categorical: the largest label is {largest}, but num_classes="
                         f"{num_classes} allows labels 0 to {num_classes - 1}")
    one_hot = np.zeros((labels.size, num_classes), dtype=dtype)
    one_hot[np.arange(labels.size), labels.reshape(-1)] = 1
    return one_hot.reshape(labels.shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors are left as they are)."""
    x = np.asarray(x)
    norms = np.atleast_1d(np.linalg.norm(x, ord=order, axis=axis))
    norms[norms == 0] = 1
    return x / np.expand_dims(norms, axis)


def set_random_seed(seed: int) -> None:
    """Seed every source of randomness dlcore uses (and Python's and numpy's global ones).

    Two runs that start from the same seed give identical weights, dropout masks,
    shuffles and histories.
    """
    random.seed(seed)
    python_random.seed(seed)
    np.random.seed(seed)


def clear_session() -> None:
    """Restart automatic layer names (``dense``, ``dense_1``, ...) from the beginning."""
    reset_names()


class Sequence:
    """Base class for a dataset that ``fit`` reads batch by batch.

    Implement ``__len__`` (batches per epoch) and ``__getitem__(index)`` returning
    ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_end`` runs after every epoch
    (reshuffle there if you like). ``fit(shuffle=True)`` shuffles the order of batches.
    """

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple:
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        pass
