"""Two-dimensional toy sets for classification: spirals, moons and circles.

Each maker returns ``(x, y)``: ``x`` float32 points of shape ``(n_samples, 2)``, ``y``
int64 class labels of shape ``(n_samples,)``, in random order (so that
``validation_split``, which takes the last samples, sees every class). A fixed ``seed``
gives the same arrays on every call; ``seed=None`` draws from dlcore's generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._arguments import real_number, seeded_generator, whole_number

Points = tuple[np.ndarray, np.ndarray]


def make_spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.2,
                 seed: int | None = None) -> Points:
    """Points on interleaved spiral arms, one arm per class.

    A point of class ``k`` (of ``C``) at position ``t ~ U[0, 1)`` along its arm lies at
    radius ``t`` and angle ``2 pi (t + k / C) + e`` with ``e ~ N(0, noise^2)`` (radians):
    every arm winds once around the origin, the arms evenly spaced. The classes are as
    balanced as ``n_samples`` allows (their sizes differ by at most one).
    """
    function = "make_spirals"
    n_classes = whole_number(function, "n_classes", n_classes, low=2)
    n_samples = whole_number(function, "n_samples", n_samples, low=n_classes)
    noise = real_number(function, "noise", noise)
    generator = seeded_generator(function, seed)
    labels = generator.permutation(np.arange(n_samples) % n_classes)
    along = generator.uniform(0.0, 1.0, n_samples)
    angle = 2 * np.pi * (along + labels / n_classes) + noise * generator.normal(size=n_samples)
    points = along[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return points.astype(np.float32), labels.astype(np.int64)


def make_moons(n_samples: int = 300, noise: float = 0.1, seed: int | None = None) -> Points:
    """Two interleaving half circles (scikit-learn's ``make_moons``).

    Class 0 lies on the upper half of the unit circle, class 1 on the lower half of a unit
    circle centred at ``(1, 0.5)``; Gaussian noise of standard deviation ``noise`` is
    added to each coordinate. Class sizes: ``n_samples // 2`` and the rest.
    """
    from sklearn.datasets import make_moons as scikit_learn_moons

    return _from_scikit_learn(scikit_learn_moons, "make_moons", n_samples, noise, seed)


def make_circles(n_samples: int = 300, noise: float = 0.05, factor: float = 0.5,
                 seed: int | None = None) -> Points:
    """Two concentric circles (scikit-learn's ``make_circles``).

    Class 0 lies on the unit circle, class 1 on a circle of radius ``factor`` (in
    ``[0, 1)``); Gaussian noise of standard deviation ``noise`` is added to each
    coordinate. Class sizes: ``n_samples // 2`` and the rest.
    """
    from sklearn.datasets import make_circles as scikit_learn_circles

    factor = real_number("make_circles", "factor", factor, 0.0, 1.0)
    return _from_scikit_learn(scikit_learn_circles, "make_circles", n_samples, noise, seed,
                              factor=factor)


def _from_scikit_learn(maker: Callable[..., Points], function: str, n_samples: int,
                       noise: float, seed: int | None, **options: Any) -> Points:
    """``maker``'s points as float32 and labels as int64, its seed drawn from ``seed``."""
    n_samples = whole_number(function, "n_samples", n_samples, low=2)
    noise = real_number(function, "noise", noise)
    random_state = int(seeded_generator(function, seed).integers(2**32))
    points, labels = maker(n_samples=n_samples, noise=noise, random_state=random_state,
                           **options)
    return points.astype(np.float32), labels.astype(np.int64)
