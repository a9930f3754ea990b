"""Standardising features: subtract the mean, divide by the standard deviation."""

from __future__ import annotations

from typing import Any

import numpy as np

_CONSTANT_TOLERANCE = 10 * np.finfo(np.float64).eps


def standardize(x: Any, mean: Any = None, std: Any = None,
                axis: int | tuple[int, ...] = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x - mean) / std`` feature by feature; returns ``(standardized, mean, std)``.

    Without ``mean`` and ``std`` both are computed from ``x`` over ``axis`` (by default the
    samples, so every feature gets its own statistics)::

        mean = (1/n) sum_i x_i        std = sqrt((1/n) sum_i (x_i - mean)^2)

    Compute them on the training data and reuse them on the test data::

        x_train, mean, std = standardize(x_train)
        x_test, _, _ = standardize(x_test, mean, std)

    The statistics keep the reduced axes with size 1, so they broadcast against ``x`` for
    any ``axis``. A constant feature has std 0 (or, after rounding, a std within
    ``10 * eps * |mean|`` of it): it is divided by 1 instead of 0, so it becomes 0 rather than
    NaN, and the returned ``std`` holds that 1. Floating ``x`` keeps its dtype; integer
    ``x`` becomes float32. The statistics are float64.
    """
    x = as_float_array(x, "standardize")
    if (mean is None) != (std is None):
        raise ValueError("standardize: give both mean and std (the ones returned for the "
                         "training data), or neither to compute them from x")
    if mean is None:
        mean, std = statistics(x, axis, "standardize")
    else:
        mean, std = _given_statistics(mean, std, x.shape)
    return ((x - mean) / std).astype(x.dtype), mean, std


def statistics(x: np.ndarray, axis: int | tuple[int, ...], caller: str,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``x`` over ``axis`` (kept with size 1), in float64;
    a std of (rounding noise around) zero is replaced by 1."""
    axes = _axes(axis, x.ndim, caller)
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
    std = x.std(axis=axes, keepdims=True, dtype=np.float64)
    return mean, _nonzero(std, mean)


def as_float_array(x: Any, caller: str, dtype: Any = None) -> np.ndarray:
    """``x`` as a non-empty array of finite numbers in ``dtype`` (by default: a floating
    dtype is kept, anything else becomes float32)."""
    array = np.asarray(x)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{caller} needs numbers, got an array of dtype {array.dtype}")
    if array.size == 0:
        raise ValueError(f"{caller} needs data, got an empty array of shape {array.shape}")
    if dtype is None:
        dtype = array.dtype if np.issubdtype(array.dtype, np.floating) else np.float32
    array = array.astype(dtype, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{caller} got NaN or infinite values; remove or replace them "
                         "first (e.g. with np.nan_to_num)")
    return array


def _nonzero(std: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return np.where(std > _CONSTANT_TOLERANCE * np.abs(mean), std, 1.0)


def _given_statistics(mean: Any, std: Any, shape: tuple[int, ...],
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The ``mean`` and ``std`` passed to ``standardize``, checked against ``x``'s shape."""
    mean = as_float_array(mean, "standardize (mean)", np.float64)
    std = as_float_array(std, "standardize (std)", np.float64)
    for name, value in (("mean", mean), ("std", std)):
        try:
            broadcast = np.broadcast_shapes(shape, value.shape)
        except ValueError:
            broadcast = None
        if broadcast != shape:
            raise ValueError(f"standardize: {name} of shape {value.shape} does not broadcast "
                             f"against x of shape {shape}; pass the {name} that standardize "
                             "returned for the training data (same axis)")
    if np.any(std < 0):
        raise ValueError(f"standardize: std must be >= 0, got a minimum of {std.min()}")
    return mean, _nonzero(std, mean)


def _axes(axis: Any, ndim: int, caller: str) -> tuple[int, ...]:
    """``axis`` (an int or a tuple of ints) as a tuple of distinct non-negative axes."""
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                           for a in axes):
        raise TypeError(f"{caller}: axis must be an int or a tuple of ints, got {axis!r}")
    if not all(-ndim <= a < ndim for a in axes) or len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{caller}: axis={axis!r} does not name distinct axes of an array "
                         f"with {ndim} axes (valid: 0 to {ndim - 1}, or negative from the end)")
    return tuple(int(a) % ndim for a in axes)
