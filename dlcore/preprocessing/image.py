"""``ImageDataGenerator``: random rotations, shifts, zooms and flips, then rescaling and
feature-wise standardisation, batch by batch.

Every sample goes through, in this order:

1. a random geometric transform (one affine warp, see ``affine.py``), drawn per sample:
   angle ``uniform(-rotation_range, rotation_range)`` degrees, shifts ``uniform(-s, s)``
   (``s`` a fraction of the size when below 1, pixels from 1 on, whole pixels for an int),
   zoom factors ``uniform(low, high)`` drawn separately for rows and columns, each flip with
   probability 0.5;
2. ``x * rescale``;
3. ``x - mean`` (``featurewise_center``), then ``x / std`` (``featurewise_std_normalization``)
   with the per-channel statistics that ``.fit(x)`` computed on rescaled data.

Keras computed the ``.fit`` statistics before rescaling but applied them after it, and only
warned when ``.fit`` had not been called; here the statistics describe the rescaled data and a
missing ``.fit`` is an error.

Images are channels-last, ``(n, rows, cols, channels)``. Grayscale images may leave out the
channel axis, ``(n, rows, cols)``: they are treated as one channel and come back in the shape
they were given.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .. import random
from ..kernels.augment import FILL_MODES, INTERPOLATIONS, affine_warp
from .affine import inverse_affine_matrices
from .iterator import NumpyArrayIterator
from .scaling import as_float_array, statistics


class ImageDataGenerator:
    """Augments and standardises batches of images; ``.flow`` gives a Sequence for ``fit``.

    ``zoom_range`` is a float ``z`` for factors in ``[1 - z, 1 + z]`` or a pair
    ``(low, high)``; a factor below 1 zooms in. ``fill_mode`` (``'nearest'``, ``'constant'``
    with ``cval``, ``'reflect'``, ``'wrap'``) says what fills the pixels that come from
    outside the image; ``interpolation`` is ``'bilinear'`` or ``'nearest'``.
    """

    def __init__(self, rotation_range: float = 0, width_shift_range: float = 0.0,
                 height_shift_range: float = 0.0, zoom_range: float | tuple[float, float] = 0.0,
                 horizontal_flip: bool = False, vertical_flip: bool = False,
                 rescale: float | None = None, featurewise_center: bool = False,
                 featurewise_std_normalization: bool = False, fill_mode: str = "nearest",
                 cval: float = 0.0, dtype: str = "float32",
                 interpolation: str = "bilinear") -> None:
        self.rotation_range = _non_negative("rotation_range", rotation_range)
        self.width_shift_range = _non_negative("width_shift_range", width_shift_range)
        self.height_shift_range = _non_negative("height_shift_range", height_shift_range)
        self.zoom_range = zoom_range
        self.zoom_bounds = _zoom_bounds(zoom_range)
        self.horizontal_flip = _flag("horizontal_flip", horizontal_flip)
        self.vertical_flip = _flag("vertical_flip", vertical_flip)
        self.rescale = _rescale(rescale)
        self.featurewise_center = _flag("featurewise_center", featurewise_center)
        self.featurewise_std_normalization = _flag("featurewise_std_normalization",
                                                   featurewise_std_normalization)
        self.fill_mode = _one_of("fill_mode", fill_mode, FILL_MODES)
        self.cval = _finite("cval", cval)
        self.interpolation = _one_of("interpolation", interpolation, INTERPOLATIONS)
        if dtype not in ("float32", "float64", np.float32, np.float64):
            raise ValueError(f"ImageDataGenerator: dtype must be 'float32' or 'float64', "
                             f"got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.moves_pixels = bool(self.rotation_range or self.width_shift_range
                                 or self.height_shift_range or self.zoom_bounds != (1.0, 1.0)
                                 or self.horizontal_flip or self.vertical_flip)

    # ----- statistics -------------------------------------------------------------------
    def fit(self, x: Any) -> None:
        """Compute the per-channel ``mean`` and ``std`` of ``x`` after ``rescale``.

        ``x`` is ``(n, rows, cols, channels)`` or grayscale ``(n, rows, cols)``; statistics are
        taken over samples, rows and columns, one number per channel. A constant channel gets
        std 1 (it is centred, not divided by zero).
        """
        images = self._rescaled(self._images(x, "ImageDataGenerator.fit"))
        mean, std = statistics(images, (0, 1, 2), "ImageDataGenerator.fit")
        self.mean, self.std = mean.reshape(-1), std.reshape(-1)

    def standardize(self, x: Any) -> np.ndarray:
        """``x * rescale``, then the feature-wise centring and scaling asked for, as a new
        array (Keras changed ``x`` in place). The channel axis is the last one."""
        x = self._rescaled(np.array(x, dtype=self.dtype))
        if not (self.featurewise_center or self.featurewise_std_normalization):
            return x
        self._check_fitted("ImageDataGenerator.standardize", 1 if x.ndim < 3 else x.shape[-1])
        if self.featurewise_center:
            x = x - self.mean.astype(self.dtype)
        if self.featurewise_std_normalization:
            x = x / self.std.astype(self.dtype)
        return x

    def _rescaled(self, x: np.ndarray) -> np.ndarray:
        return x if self.rescale is None else x * self.dtype.type(self.rescale)

    def _check_fitted(self, caller: str, channels: int) -> None:
        """Raise unless ``.fit`` has computed statistics for images with ``channels`` channels."""
        if self.mean is None:
            raise ValueError(f"{caller}: featurewise_center/featurewise_std_normalization need "
                             "the statistics of the training images; call "
                             "generator.fit(x_train) first")
        if len(self.mean) not in (1, channels):
            raise ValueError(f"{caller}: the images have {channels} channels, but .fit saw "
                             f"{len(self.mean)}; fit on images like the ones you transform")

    # ----- random transforms ------------------------------------------------------------
    def random_matrices(self, count: int, height: int, width: int,
                        rng: np.random.Generator) -> np.ndarray:
        """``count`` random transforms of ``height x width`` images, drawn from ``rng``, as
        the ``(count, 2, 3)`` inverse-mapping matrices of ``affine.py``."""
        angles = np.deg2rad(rng.uniform(-self.rotation_range, self.rotation_range, count))
        shifts = np.stack([_draw_shifts(self.height_shift_range, height, count, rng),
                           _draw_shifts(self.width_shift_range, width, count, rng)], axis=-1)
        zooms = rng.uniform(*self.zoom_bounds, size=(count, 2))
        flip_chances = np.array([0.5 * self.vertical_flip, 0.5 * self.horizontal_flip])
        flips = rng.random((count, 2)) < flip_chances
        return inverse_affine_matrices(angles, shifts, zooms, flips, height, width)

    def transform_batch(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random transform per image of ``images`` ``(n, rows, cols, channels)``, drawn
        from ``rng``; one warp for the whole batch. Returns a new array."""
        if not self.moves_pixels:
            return images.copy()
        matrices = self.random_matrices(*images.shape[:3], rng)
        return affine_warp(images, matrices, self.fill_mode, self.cval, self.interpolation)

    def random_transform(self, image: Any, seed: int | None = None) -> np.ndarray:
        """One image ``(rows, cols, channels)`` or ``(rows, cols)``, randomly transformed
        (no rescaling or standardisation). With ``seed`` the same transform every time;
        without, drawn from dlcore's generator (see ``dlcore.utils.set_random_seed``)."""
        caller = "ImageDataGenerator.random_transform"
        if np.ndim(image) not in (2, 3):
            raise ValueError(f"{caller} needs one image of shape (rows, cols, channels) or "
                             f"(rows, cols), got an array of shape {np.shape(image)}")
        batch = self._images(np.asarray(image)[None], caller)
        rng = random.generator() if seed is None else np.random.default_rng(
            _check_seed(seed, caller))
        return self.transform_batch(batch, rng)[0].reshape(np.shape(image))

    # ----- batches ----------------------------------------------------------------------
    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             seed: int | None = None, sample_weight: Any = None) -> NumpyArrayIterator:
        """Batches of transformed ``x`` (with ``y`` and ``sample_weight`` when given), as a
        ``dlcore.utils.Sequence``: pass it to ``fit`` without ``batch_size``.

        Without ``seed`` one is drawn from dlcore's generator, so ``set_random_seed`` makes
        the batches repeatable too.
        """
        caller = "ImageDataGenerator.flow"
        images = self._images(x, caller)
        if self.featurewise_center or self.featurewise_std_normalization:
            self._check_fitted(caller, images.shape[-1])
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"{caller}: batch_size must be a positive int, got {batch_size!r}")
        labels, weights = _targets(y, sample_weight, len(images))
        seed = (int(random.generator().integers(2**32)) if seed is None
                else _check_seed(seed, caller))
        return NumpyArrayIterator(self, images, labels, weights, int(batch_size),
                                  _flag("shuffle", shuffle), seed, np.ndim(x) == 3)

    def _images(self, x: Any, caller: str) -> np.ndarray:
        """``x`` as a float array ``(n, rows, cols, channels)`` in the generator's dtype."""
        rank = np.ndim(x)
        if rank not in (3, 4):
            raise ValueError(f"{caller} needs images of shape (n, rows, cols, channels) or "
                             f"(n, rows, cols), got an array of shape {np.shape(x)}")
        images = as_float_array(x, caller, self.dtype)
        return images[..., None] if rank == 3 else images


# ----- argument checks ------------------------------------------------------------------------


def _check_seed(seed: Any, caller: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{caller}: seed must be a non-negative int or None, got {seed!r}")
    return int(seed)


def _draw_shifts(shift_range: float, size: int, count: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Shifts in pixels: whole pixels for an int range, a fraction of ``size`` below 1."""
    if isinstance(shift_range, (int, np.integer)):
        return rng.integers(-shift_range, shift_range + 1, count).astype(np.float64)
    pixels = shift_range * size if shift_range < 1 else shift_range
    return rng.uniform(-pixels, pixels, count)


def _targets(y: Any, sample_weight: Any, samples: int,
             ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``y`` and ``sample_weight`` for ``flow``, checked: one entry per image."""
    if y is None:
        if sample_weight is not None:
            raise ValueError("ImageDataGenerator.flow: sample_weight needs targets y as well")
        return None, None
    labels = np.asarray(y)
    if labels.ndim == 0 or len(labels) != samples:
        raise ValueError(f"ImageDataGenerator.flow: x holds {samples} images but y has shape "
                         f"{labels.shape}; give one target per image")
    if sample_weight is None:
        return labels, None
    weights = np.asarray(sample_weight)
    if weights.shape != (samples,):
        raise ValueError(f"ImageDataGenerator.flow: sample_weight needs one weight per image, "
                         f"shape ({samples},), got shape {weights.shape}")
    return labels, weights


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"ImageDataGenerator: {name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"ImageDataGenerator: {name} must be finite, got {value!r}")
    return value


def _non_negative(name: str, value: Any) -> float:
    if _finite(name, value) < 0:
        raise ValueError(f"ImageDataGenerator: {name} must be >= 0 (the range is drawn from "
                         f"-{name} to +{name}), got {value!r}; use {-value!r}")
    return value


def _zoom_bounds(zoom_range: Any) -> tuple[float, float]:
    """``(low, high)`` zoom factors from a float ``z`` (``1 - z, 1 + z``) or a pair."""
    if isinstance(zoom_range, (tuple, list)):
        if len(zoom_range) != 2:
            raise ValueError(f"ImageDataGenerator: zoom_range must be a float or a pair "
                             f"(low, high), got {zoom_range!r}")
        low, high = (float(_finite("zoom_range", bound)) for bound in zoom_range)
    else:
        z = float(_non_negative("zoom_range", zoom_range))
        low, high = 1.0 - z, 1.0 + z
    if not 0 < low <= high:
        raise ValueError(f"ImageDataGenerator: zoom_range={zoom_range!r} gives zoom factors "
                         f"from {low} to {high}; they must be positive with low <= high "
                         "(a float z needs 0 <= z < 1)")
    return low, high


def _rescale(rescale: Any) -> float | None:
    if rescale is None:
        return None
    if _finite("rescale", rescale) == 0:
        raise ValueError("ImageDataGenerator: rescale=0 would turn every image black; use "
                         "rescale=None for no rescaling")
    return float(rescale)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"ImageDataGenerator: {name} must be True or False, got {value!r}")
    return bool(value)


def _one_of(name: str, value: Any, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ValueError(f"ImageDataGenerator: {name} must be one of {valid}, got {value!r}")
    return value
