"""dlcore's own random number generator: one seeded source for every random choice.

Weight initialisers, dropout masks, shuffling and data augmentation all draw from
``generator()``. ``seed(n)`` resets it, so two runs after the same seed make the
same choices. Numba kernels never draw random numbers themselves: they receive
masks and noise as arrays drawn here.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

_state = {"generator": np.random.default_rng()}


def seed(value: int) -> None:
    """Reset dlcore's generator to a fixed seed (a non-negative int)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"the random seed must be a non-negative int, got {value!r}")
    _state["generator"] = np.random.default_rng(int(value))


def generator() -> np.random.Generator:
    """The generator every random draw in dlcore uses."""
    return _state["generator"]


@contextmanager
def preserved():
    """Draws made inside the ``with`` block leave dlcore's generator where it was (loading
    a model initialises weights it then overwrites: that must not shift later shuffles)."""
    state = _state["generator"].bit_generator.state
    try:
        yield
    finally:
        _state["generator"].bit_generator.state = state
