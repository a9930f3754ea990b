"""The batches of ``ImageDataGenerator.flow``: a ``Sequence`` that ``fit`` reads.

Repeatable in any reading order: the sample order of epoch ``e`` is a permutation drawn
from a generator derived from ``(seed, e)``, and the random transforms of batch ``i`` in
epoch ``e`` come from a generator derived from ``(seed, e, i)``. So a batch's content depends
only on the seed, the epoch and its index, never on which batches were read before it:
``fit(shuffle=True)`` may read the batches in any order, and two runs with the same seed
see the same batches. ``on_epoch_end`` moves to the next epoch (new order, new transforms).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils import Sequence

_ORDER, _TRANSFORMS = 0, 1  # keep the two kinds of seeds apart


class NumpyArrayIterator(Sequence):
    """``len`` = ``ceil(n / batch_size)`` batches; the last one holds the remaining samples.

    ``self[i]`` is ``x_batch``, ``(x_batch, y_batch)`` or ``(x_batch, y_batch, weights)``,
    depending on what ``flow`` was given. Iterating (``next(it)``, ``for batch in it``)
    goes through the batches in order and on through the following epochs, without end.
    Made by ``ImageDataGenerator.flow``, which checks the arguments.
    """

    def __init__(self, image_data_generator: Any, images: np.ndarray, y: np.ndarray | None,
                 sample_weight: np.ndarray | None, batch_size: int, shuffle: bool, seed: int,
                 no_channel_axis: bool) -> None:
        self.image_data_generator = image_data_generator
        self.x = images
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.no_channel_axis = no_channel_axis
        self.epoch = 0
        self.order = self._sample_order()
        self._next_index = 0

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int) -> np.ndarray | tuple[np.ndarray, ...]:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"NumpyArrayIterator: batch index must be an int, got {index!r}")
        if not 0 <= index < len(self):
            raise IndexError(f"NumpyArrayIterator: batch index {index} is out of range; there "
                             f"are {len(self)} batches, 0 to {len(self) - 1}")
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, _TRANSFORMS, int(index)))
        augmenter = self.image_data_generator
        images = augmenter.standardize(augmenter.transform_batch(self.x[rows], rng))
        if self.no_channel_axis:
            images = images[..., 0]
        if self.y is None:
            return images
        if self.sample_weight is None:
            return images, self.y[rows]
        return images, self.y[rows], self.sample_weight[rows]

    def on_epoch_end(self) -> None:
        """Next epoch: a new sample order (when shuffling) and new random transforms."""
        self.epoch += 1
        self.order = self._sample_order()

    def __iter__(self) -> NumpyArrayIterator:
        return self

    def __next__(self) -> np.ndarray | tuple[np.ndarray, ...]:
        if self._next_index == len(self):
            self.on_epoch_end()
            self._next_index = 0
        batch = self[self._next_index]
        self._next_index += 1
        return batch

    def _sample_order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.x))
        return np.random.default_rng((self.seed, self.epoch, _ORDER, 0)).permutation(len(self.x))
