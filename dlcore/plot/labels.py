"""Class labels from what classifiers and datasets give: labels, one-hot rows, probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import as_array


def class_labels(values: Any, function: str, argument: str) -> np.ndarray:
    """Integer class labels, shape ``(n,)``.

    * ``(n, k)`` with ``k > 1`` (one-hot rows or class probabilities): the argmax of each row;
    * ``(n,)`` or ``(n, 1)`` integers (or whole floats): the labels themselves;
    * ``(n,)`` or ``(n, 1)`` other floats (sigmoid probabilities): class 1 where above 0.5.
    """
    array = as_array(values)
    if array.ndim == 2 and array.shape[1] > 1:
        return array.argmax(axis=1)
    if array.ndim > 2 or (array.ndim == 2 and array.shape[1] != 1) or array.ndim == 0:
        raise ValueError(f"{function}: {argument} must be labels (n,), one-hot rows or "
                         f"probabilities (n, classes), got shape {array.shape}")
    array = array.reshape(-1)
    if np.issubdtype(array.dtype, np.floating) and not np.all(array == np.round(array)):
        return (array > 0.5).astype(np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"{function}: {argument} holds the negative label {array.min()}; "
                         "class labels count from 0")
    return array.astype(np.int64)
