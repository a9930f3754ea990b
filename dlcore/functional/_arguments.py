"""Checking the arguments of the functional ops and bringing them to one form.

The checks take the name of the op (or layer) first, so that an error names it, what it
expected, what it got and how to fix it. Window sizes follow the Keras rule, per spatial
axis (input ``n``, window ``k``, stride ``s``):

* ``'valid'``: ``out = floor((n - k) / s) + 1``, no padding (the window must fit: ``k <= n``);
* ``'same'``: ``out = ceil(n / s)``, total padding ``max((out - 1) * s + k - n, 0)``, half of
  it before and the rest, with the odd cell, after (bottom/right).
"""

from __future__ import annotations

import numpy as np

from dlcore.tensor import Tensor, as_tensor


def floating_tensor(op: str, name: str | None, value) -> Tensor:
    """``value`` as a Tensor, which must hold float32 or float64 numbers (the dtypes the
    kernels are compiled for).

    ``name`` is the argument as the message calls it; None for the only input of an op.
    """
    value = as_tensor(value)
    if value.dtype not in (np.float32, np.float64):
        what = "floating-point input" if name is None else f"a floating-point {name}"
        raise TypeError(f"{op} expects {what}, got dtype {value.dtype}; the kernels take "
                        "float32 or float64: convert with .astype('float32')")
    return value


def image_tensor(op: str, x) -> Tensor:
    """``x`` as a floating-point Tensor of images ``(batch, rows, cols, channels)``."""
    x = floating_tensor(op, "x", x)
    if x.ndim != 4:
        raise ValueError(
            f"{op} expects x of rank 4 (batch, rows, cols, channels), got shape {x.shape}; "
            "add a channel axis with x.reshape(batch, rows, cols, 1) for a single channel"
        )
    return x


def integer_array(op: str, name: str, value, fix: str) -> np.ndarray:
    """``value`` (an array, or a Tensor's data) as a numpy array, which must hold integers."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{op} expects integer {name}, got dtype {array.dtype}; {fix}")
    return array


def check_index_range(op: str, name: str, indices: np.ndarray, limit: int, owner: str,
                      fix: str) -> None:
    """Raise unless every one of the integer ``indices`` lies in ``[0, limit)``."""
    if indices.size and (indices.min() < 0 or indices.max() >= limit):
        raise ValueError(
            f"{op}: {name} must lie in [0, {limit}) for {owner}, got {name} from "
            f"{indices.min()} to {indices.max()}; {fix}"
        )


def boolean_flag(op: str, name: str, value) -> bool:
    """``value`` as a Python bool; it must be True or False (numpy's bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)


def int_pair(op: str, name: str, value) -> tuple[int, int]:
    """An int or a pair of ints ``(rows, cols)`` as a pair of positive Python ints."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair)
    ):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {value!r}; use whole numbers >= 1")
    return int(pair[0]), int(pair[1])


def padding_mode(op: str, padding) -> str:
    """``'valid'`` or ``'same'`` (any case), lower-cased."""
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def axis_geometry(size: int, window: int, stride: int, padding: str) -> tuple[int, int]:
    """``(out, pad_before)`` along one axis by the Keras rule (``'valid'``: the window fits)."""
    if padding == "same":
        out = -(-size // stride)
        return out, max((out - 1) * stride + window - size, 0) // 2
    return (size - window) // stride + 1, 0


def window_geometry(
    op: str,
    x_shape: tuple[int, ...],
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    what: str,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((pad_top, pad_left), (out_rows, out_cols))`` of a window sliding over images of
    ``x_shape`` ``(batch, rows, cols, channels)``; ``what`` names the window in the message.
    """
    pads, out_size = [], []
    for axis, n, k, s in zip(("rows", "cols"), x_shape[1:3], window, strides, strict=True):
        if padding == "valid" and k > n:
            raise ValueError(
                f"{op}: {what} is larger than the input ({n} {axis}): it has {k} {axis}, more "
                f"than x of shape {x_shape} with padding='valid'; use padding='same' or a "
                "smaller window"
            )
        out, pad = axis_geometry(n, k, s, padding)
        out_size.append(out)
        pads.append(pad)
    return (pads[0], pads[1]), (out_size[0], out_size[1])
