"""``Embedding``: turn integer ids (words, items, classes) into learned dense vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..functional.embedding import embedding
from .base import Layer
from .core import input_error, positive_int


class Embedding(Layer):
    """A lookup table: ``y[..., :] = embeddings[ids[...], :]``.

    ``embeddings`` is ``(input_dim, output_dim)``: one row per id in ``[0, input_dim)``.
    Ids of any shape ``(batch, ...)`` give ``(batch, ..., output_dim)``. The gradient of a
    row is the sum of the gradients of every position that looked it up.

    Ids are integers; floating-point arrays holding whole numbers are accepted too (as
    Keras casts them). ``input_length`` fixes the length of the sequences (and gives the
    layer its input shape, as in Keras); without it any length is accepted.
    """

    casts_inputs = False

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: str | dict | initializers.Initializer = "uniform",
        input_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if input_length is not None and "input_shape" not in kwargs:
            kwargs.setdefault("batch_input_shape", (None, input_length))
        super().__init__(**kwargs)
        self.input_dim = positive_int(self, "input_dim", input_dim)
        self.output_dim = positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.input_length = (None if input_length is None
                             else positive_int(self, "input_length", input_length))

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer)

    def check_input_shape(self, shape):
        if self.input_length is None or (len(shape) >= 2 and shape[1] == self.input_length):
            return
        raise input_error(self, f"ids of shape (batch, {self.input_length}) "
                          f"(input_length={self.input_length})", shape,
                          "Pad or cut the sequences to input_length, or leave input_length=None "
                          "to accept any length.")

    def call(self, x, training=False):
        ids = x.data
        if np.issubdtype(ids.dtype, np.floating):
            if not np.all(np.isfinite(ids) & (ids == np.round(ids))):
                raise ValueError(f"Layer {self.name!r} (Embedding) needs integer ids, got "
                                 "floating-point values that are not whole numbers")
            ids = ids.astype(np.int64)
        try:
            return embedding(ids, self.embeddings)
        except ValueError as error:
            raise ValueError(f"Layer {self.name!r} (Embedding, input_dim={self.input_dim}): "
                             f"{error}") from error

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "input_length": self.input_length,
        }
