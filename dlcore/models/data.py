"""Where ``fit``, ``evaluate`` and ``predict`` get their batches from.

Three sources, one interface (``steps`` batches per epoch, ``epoch(shuffle)`` yields
``(x, y, sample_weight)`` tuples, ``on_epoch_end()``):

* numpy arrays, cut into batches of ``batch_size`` (the last one smaller, never dropped),
  in a new random order each epoch when shuffling;
* a Sequence (``__len__`` batches, ``__getitem__(i)`` -> ``(x, y)`` or ``(x, y, w)``), whose
  batch order is shuffled;
* a Python generator yielding such tuples forever, read ``steps_per_epoch`` times an epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import random
from ..tensor import Tensor, as_array

Batch = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


class ArrayData:
    """Batches cut from in-memory arrays."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None,
                 batch_size: int = 32) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.x = as_array(x)
        self.y = None if y is None else as_array(y)
        self.sample_weight = None if sample_weight is None else as_array(sample_weight)
        self.batch_size = int(batch_size)
        self.samples = len(self.x)
        if self.y is not None and len(self.y) != self.samples:
            raise ValueError(
                f"x and y must hold the same number of samples: x has {self.samples} "
                f"(shape {self.x.shape}), y has {len(self.y)} (shape {self.y.shape})"
            )
        if self.sample_weight is not None and self.sample_weight.shape != (self.samples,):
            raise ValueError(f"sample_weight must have shape ({self.samples},), one weight per "
                             f"sample, got shape {self.sample_weight.shape}")
        self.steps = -(-self.samples // self.batch_size)

    def epoch(self, shuffle: bool = False) -> Iterator[Batch]:
        order = random.generator().permutation(self.samples) if shuffle else None
        for start in range(0, self.samples, self.batch_size):
            rows = (slice(start, start + self.batch_size) if order is None
                    else order[start:start + self.batch_size])
            yield (self.x[rows],
                   None if self.y is None else self.y[rows],
                   None if self.sample_weight is None else self.sample_weight[rows])

    def on_epoch_end(self) -> None:
        pass

    def split(self, validation_split: float) -> tuple[ArrayData, ArrayData]:
        """The first part for training and the LAST ``validation_split`` for validation.

        The split happens before any shuffling, so the validation samples are the same every
        epoch (and, if the data are sorted by class, may miss classes: shuffle them first).
        """
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"validation_split must be between 0 and 1, got {validation_split}")
        split_at = int(self.samples * (1.0 - validation_split))
        if split_at == 0 or split_at == self.samples:
            raise ValueError(
                f"validation_split={validation_split} of {self.samples} samples leaves "
                f"{split_at} for training and {self.samples - split_at} for validation; "
                "both need at least one"
            )

        def part(rows: slice) -> ArrayData:
            weights = None if self.sample_weight is None else self.sample_weight[rows]
            y = None if self.y is None else self.y[rows]
            return ArrayData(self.x[rows], y, weights, self.batch_size)

        return part(slice(0, split_at)), part(slice(split_at, None))


class SequenceData:
    """Batches read from a Sequence, in shuffled order when asked."""

    def __init__(self, sequence: Any) -> None:
        self.sequence = sequence
        self.steps = len(sequence)
        if self.steps == 0:
            raise ValueError(f"the {type(sequence).__name__} given has no batches (len 0)")

    def epoch(self, shuffle: bool = False) -> Iterator[Batch]:
        order = random.generator().permutation(self.steps) if shuffle else range(self.steps)
        for index in order:
            yield unpack_batch(self.sequence[int(index)], f"{type(self.sequence).__name__}"
                                                          f"[{int(index)}]")

    def on_epoch_end(self) -> None:
        if hasattr(self.sequence, "on_epoch_end"):
            self.sequence.on_epoch_end()


class GeneratorData:
    """``steps_per_epoch`` batches an epoch from a generator that never ends."""

    def __init__(self, generator: Iterator, steps_per_epoch: int | None) -> None:
        if steps_per_epoch is None:
            raise ValueError("a Python generator has no length: pass steps_per_epoch= (the "
                             "number of batches that make one epoch), or use a "
                             "dlcore.utils.Sequence")
        self.generator = generator
        self.steps = int(steps_per_epoch)

    def epoch(self, shuffle: bool = False) -> Iterator[Batch]:
        for step in range(self.steps):
            try:
                batch = next(self.generator)
            except StopIteration:
                raise ValueError(f"the generator ran out after {step} batches; it must yield "
                                 f"at least steps_per_epoch={self.steps} batches every "
                                 "epoch") from None
            yield unpack_batch(batch, f"batch {step} of the generator")

    def on_epoch_end(self) -> None:
        pass


def unpack_batch(batch: Any, where: str) -> Batch:
    """``(x, y)`` or ``(x, y, sample_weight)`` as arrays."""
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(f"{where} must be a tuple (x, y) or (x, y, sample_weight), got "
                         f"{type(batch).__name__}"
                         + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    x, y = as_array(batch[0]), as_array(batch[1])
    weights = as_array(batch[2]) if len(batch) == 3 else None
    return x, y, weights


def is_sequence(x: Any) -> bool:
    """A Sequence-like source: has ``__len__`` and ``__getitem__`` and is no array."""
    return (hasattr(x, "__getitem__") and hasattr(x, "__len__")
            and not isinstance(x, (np.ndarray, Tensor, list, tuple)))


def is_generator(x: Any) -> bool:
    return hasattr(x, "__next__") and hasattr(x, "__iter__")
