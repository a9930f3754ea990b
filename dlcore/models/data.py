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
        if self.samples == 0 and self.y is not None:
            raise ValueError(f"x of shape {self.x.shape} holds no samples: there is nothing to "
                             "train or evaluate on")
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
    """Batches read from a Sequence, in shuffled order when asked.

    With ``inputs_only=True`` (``predict``) a batch may also be ``x`` alone.
    """

    def __init__(self, sequence: Any, inputs_only: bool = False) -> None:
        self.sequence = sequence
        self.inputs_only = inputs_only
        self.steps = len(sequence)
        if self.steps == 0:
            raise ValueError(f"the {type(sequence).__name__} given has no batches (len 0)")
        self.first_batch: tuple[str, tuple] | None = None  # where, (x, y) shapes

    def epoch(self, shuffle: bool = False) -> Iterator[Batch]:
        order = random.generator().permutation(self.steps) if shuffle else range(self.steps)
        for index in order:
            where = f"{type(self.sequence).__name__}[{int(index)}]"
            item = self.sequence[int(index)]
            if self.inputs_only and not isinstance(item, (tuple, list)):
                item = (item, None)
            batch = unpack_batch(item, where, inputs_only=self.inputs_only)
            self.check_sample_shapes(batch, where)
            yield batch

    def check_sample_shapes(self, batch: Batch, where: str) -> None:
        """x and y keep the rank and the last axis of the first batch read (the number of
        samples and middle axes such as timesteps may vary from batch to batch)."""
        shapes = tuple(None if array is None else array.shape for array in batch[:2])
        if self.first_batch is None:
            self.first_batch = (where, shapes)
            return
        first_where, first_shapes = self.first_batch
        if [_rank_and_last_axis(shape) for shape in shapes] != [
                _rank_and_last_axis(shape) for shape in first_shapes]:
            raise ValueError(f"{where} returned x of shape {shapes[0]} and y of shape "
                             f"{shapes[1]}, but {first_where} returned {first_shapes[0]} and "
                             f"{first_shapes[1]}; batches may differ in their number of samples "
                             "(or steps), not in rank or in the size of the last axis")

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


def unpack_batch(batch: Any, where: str, inputs_only: bool = False) -> Batch:
    """``(x, y)`` or ``(x, y, sample_weight)`` as arrays (``y`` may be None for ``predict``)."""
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(f"{where} must be a tuple (x, y) or (x, y, sample_weight), got "
                         f"{type(batch).__name__}"
                         + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    if batch[1] is None and not inputs_only:
        raise ValueError(f"{where} returned no targets (y is None); training and evaluation "
                         "need (x, y)")
    x = as_array(batch[0])
    y = None if batch[1] is None else as_array(batch[1])
    weights = as_array(batch[2]) if len(batch) == 3 else None
    arrays = {"x": x, "y": y, "sample_weight": weights}
    counts = {array.shape[:1] for array in arrays.values() if array is not None}
    if len(counts) != 1 or () in counts:
        shapes = ", ".join(f"{name} of shape {array.shape}" for name, array in arrays.items()
                           if array is not None)
        raise ValueError(f"{where} returned {shapes}; each must hold the same number of "
                         "samples along its first axis")
    return x, y, weights


def _rank_and_last_axis(shape: tuple[int, ...] | None) -> tuple[int, int | None] | None:
    if shape is None:
        return None
    return len(shape), shape[-1] if len(shape) > 1 else None


def is_sequence(x: Any) -> bool:
    """A Sequence-like source: has ``__len__`` and ``__getitem__`` and is no array."""
    return (hasattr(x, "__getitem__") and hasattr(x, "__len__")
            and not isinstance(x, (np.ndarray, Tensor, list, tuple)))


def is_generator(x: Any) -> bool:
    return hasattr(x, "__next__") and hasattr(x, "__iter__")
