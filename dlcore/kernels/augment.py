"""Affine warp of a batch of channels-last images: compiled loop and numpy reference.

Shapes: ``images`` is ``(N, H, W, C)``, ``matrices`` is ``(N, 2, 3)``, the output has the
shape and dtype of ``images``. The warp uses inverse mapping: every output pixel ``(r, c)``
of image ``n`` reads the input at the source position given by its matrix ``M = matrices[n]``::

    source_row = M[0, 0] * r + M[0, 1] * c + M[0, 2]
    source_col = M[1, 0] * r + M[1, 1] * c + M[1, 2]

Interpolation at the (fractional) source position:

* ``'nearest'``: the pixel at ``floor(source + 0.5)`` on both axes;
* ``'bilinear'``: with ``r0 = floor(source_row)``, ``a = source_row - r0`` (and ``c0``,
  ``b`` the same for columns), the weighted mean of the four pixels around the position::

      (1-a) * ((1-b) * x[r0, c0]   + b * x[r0, c0+1])
    +   a   * ((1-b) * x[r0+1, c0] + b * x[r0+1, c0+1])

Fill modes say what a pixel index ``i`` outside ``[0, size)`` reads (here ``size = 4``,
pixels ``a b c d``):

* ``'nearest'``:  the closest edge pixel     ``a a a | a b c d | d d d``
* ``'constant'``: the number ``cval``        ``k k k | a b c d | k k k``
* ``'reflect'``:  the image mirrored         ``c b a | a b c d | d c b``
* ``'wrap'``:     the image repeated         ``b c d | a b c d | a b c``

Sums are taken in float64 and stored in the images' dtype. The matrices are built outside
(from random draws in ``dlcore.preprocessing``); this kernel contains no random numbers.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
INTERPOLATIONS = ("nearest", "bilinear")

_NEAREST, _CONSTANT, _REFLECT, _WRAP = range(len(FILL_MODES))

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _fold(index, size, mode):
    """The pixel that index ``index`` reads along an axis of ``size`` pixels; -1 means cval."""
    if 0 <= index < size:
        return index
    if mode == _CONSTANT:
        return -1
    if mode == _NEAREST:
        return 0 if index < 0 else size - 1
    if mode == _WRAP:
        return index % size
    index = index % (2 * size)
    return index if index < size else 2 * size - 1 - index


@jit
def _pixel(image, row, col, channel, cval):
    """``image[row, col, channel]``, or ``cval`` where ``_fold`` said -1."""
    if row < 0 or col < 0:
        return cval
    return image[row, col, channel]


@jit
def _warp_loop(images, matrices, mode, cval, bilinear, out):
    count, height, width, channels = images.shape
    for n in range(count):
        m00, m01, m02 = matrices[n, 0, 0], matrices[n, 0, 1], matrices[n, 0, 2]
        m10, m11, m12 = matrices[n, 1, 0], matrices[n, 1, 1], matrices[n, 1, 2]
        image = images[n]
        for r in range(height):
            for c in range(width):
                source_row = m00 * r + m01 * c + m02
                source_col = m10 * r + m11 * c + m12
                if bilinear:
                    top = np.floor(source_row)
                    left = np.floor(source_col)
                    a = source_row - top
                    b = source_col - left
                    r0 = _fold(int(top), height, mode)
                    r1 = _fold(int(top) + 1, height, mode)
                    c0 = _fold(int(left), width, mode)
                    c1 = _fold(int(left) + 1, width, mode)
                    for k in range(channels):
                        upper = ((1 - b) * _pixel(image, r0, c0, k, cval)
                                 + b * _pixel(image, r0, c1, k, cval))
                        lower = ((1 - b) * _pixel(image, r1, c0, k, cval)
                                 + b * _pixel(image, r1, c1, k, cval))
                        out[n, r, c, k] = (1 - a) * upper + a * lower
                else:
                    r0 = _fold(int(np.floor(source_row + 0.5)), height, mode)
                    c0 = _fold(int(np.floor(source_col + 0.5)), width, mode)
                    for k in range(channels):
                        out[n, r, c, k] = _pixel(image, r0, c0, k, cval)


# ----- public functions -----------------------------------------------------------------------


def affine_warp(images: np.ndarray, matrices: np.ndarray, fill_mode: str = "nearest",
                cval: float = 0.0, interpolation: str = "bilinear") -> np.ndarray:
    """Warp every image of the batch with its own inverse-mapping matrix, in one call."""
    images, matrices = _checked(images, matrices, fill_mode, cval, interpolation)
    out = empty_aligned(images.shape, images.dtype)
    _warp_loop(images, matrices, FILL_MODES.index(fill_mode), float(cval),
               interpolation == "bilinear", out)
    return out


def affine_warp_reference(images: np.ndarray, matrices: np.ndarray, fill_mode: str = "nearest",
                          cval: float = 0.0, interpolation: str = "bilinear") -> np.ndarray:
    """Plain numpy version of ``affine_warp``: every pixel of the batch at once."""
    images, matrices = _checked(images, matrices, fill_mode, cval, interpolation)
    count, height, width, _ = images.shape
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    m = matrices[:, :, :, None, None]  # (N, 2, 3, 1, 1) against (H, W) grids
    source_row = m[:, 0, 0] * rows + m[:, 0, 1] * cols + m[:, 0, 2]
    source_col = m[:, 1, 0] * rows + m[:, 1, 1] * cols + m[:, 1, 2]
    batch = np.arange(count)[:, None, None]

    def read(row_index: np.ndarray, col_index: np.ndarray) -> np.ndarray:
        row = _fold_reference(row_index.astype(np.int64), height, fill_mode)
        col = _fold_reference(col_index.astype(np.int64), width, fill_mode)
        values = images[batch, np.maximum(row, 0), np.maximum(col, 0)].astype(np.float64)
        return np.where(((row < 0) | (col < 0))[..., None], float(cval), values)

    if interpolation == "nearest":
        return read(np.floor(source_row + 0.5), np.floor(source_col + 0.5)).astype(images.dtype)
    top, left = np.floor(source_row), np.floor(source_col)
    a, b = (source_row - top)[..., None], (source_col - left)[..., None]
    upper = (1 - b) * read(top, left) + b * read(top, left + 1)
    lower = (1 - b) * read(top + 1, left) + b * read(top + 1, left + 1)
    return ((1 - a) * upper + a * lower).astype(images.dtype)


def _fold_reference(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Vectorised ``_fold``: the pixel each index reads, -1 for cval."""
    if fill_mode == "constant":
        return np.where((index >= 0) & (index < size), index, -1)
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1)
    if fill_mode == "wrap":
        return index % size
    index = index % (2 * size)
    return np.where(index < size, index, 2 * size - 1 - index)


def _checked(images: np.ndarray, matrices: np.ndarray, fill_mode: str, cval: float,
             interpolation: str) -> tuple[np.ndarray, np.ndarray]:
    """The arguments of ``affine_warp`` as contiguous arrays, or a clear error."""
    images, matrices = np.asarray(images), np.asarray(matrices)
    if images.dtype not in (np.float32, np.float64):
        raise TypeError(f"affine_warp needs float32 or float64 images, got {images.dtype}; "
                        "convert them first, e.g. images.astype('float32')")
    if images.ndim != 4 or 0 in images.shape:
        raise ValueError(f"affine_warp needs a non-empty batch of shape (N, H, W, C), got "
                         f"shape {images.shape}; add missing axes, e.g. images[..., None]")
    if matrices.shape != (len(images), 2, 3):
        raise ValueError(f"affine_warp needs one 2x3 matrix per image, shape "
                         f"({len(images)}, 2, 3), got shape {matrices.shape}")
    if not np.all(np.isfinite(matrices)):
        raise ValueError("affine_warp: the matrices hold NaN or infinite numbers")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_warp: fill_mode must be one of {FILL_MODES}, "
                         f"got {fill_mode!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"affine_warp: interpolation must be one of {INTERPOLATIONS}, "
                         f"got {interpolation!r}")
    if isinstance(cval, bool) or not isinstance(cval, Real) or not np.isfinite(cval):
        raise ValueError(f"affine_warp: cval must be a finite number, got {cval!r}")
    return np.ascontiguousarray(images), np.ascontiguousarray(matrices, dtype=np.float64)
