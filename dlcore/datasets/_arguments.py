"""Checking the arguments of the dataset makers.

Each check takes the name of the calling function first, so that an error names it, what
it expected, what it got and how to fix it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import random


def whole_number(function: str, argument: str, value: Any, low: int = 1) -> int:
    """``value`` as a Python int, which must be at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{function}: {argument} must be an int, got {type(value).__name__} "
                        f"{value!r}; pass a whole number >= {low}")
    if value < low:
        raise ValueError(f"{function}: {argument} must be >= {low}, got {value!r}; "
                         f"pass a whole number >= {low}")
    return int(value)


def real_number(function: str, argument: str, value: Any, low: float = 0.0,
                high: float = math.inf) -> float:
    """``value`` as a float in ``[low, high)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{function}: {argument} must be a number, got {type(value).__name__} "
                        f"{value!r}")
    if not low <= value < high:
        raise ValueError(f"{function}: {argument} must lie in [{low:g}, {high:g}), got "
                         f"{value!r}; pass a number in that range")
    return float(value)


def seeded_generator(function: str, seed: int | None) -> np.random.Generator:
    """A generator seeded with ``seed``, or dlcore's own generator when ``seed`` is None.

    A fixed seed makes the data the same on every call; with None,
    ``dlcore.utils.set_random_seed`` decides (the generator is the one dlcore draws
    weights and shuffles from).
    """
    if seed is None:
        return random.generator()
    return np.random.default_rng(whole_number(function, "seed", seed, low=0))
