"""``Layer``: the contract every Keras-style layer follows.

A layer is built on its first call, when it sees the input shape: ``build`` creates the
weights with ``add_weight``; ``call`` computes the output from a Tensor. Everything else
(names, shapes, weights in and out, config for saving) is handled here once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from .. import initializers
from ..autograd import is_grad_enabled
from ..tensor import Tensor, tensor

_name_counts: dict[str, int] = {}


def unique_name(base: str) -> str:
    """``dense``, then ``dense_1``, ``dense_2``, ... for each base name."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    """Start automatic layer names from ``dense``, ``conv2d``, ... again."""
    _name_counts.clear()


def snake_case(class_name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, ``Conv2D`` -> ``conv2d``."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


_weight_budget: ContextVar[int | None] = ContextVar("weight_budget", default=None)


@contextmanager
def weight_budget(nbytes: int) -> Iterator[None]:
    """Layers built inside the ``with`` block may create at most ``nbytes`` of weights in
    all: a model described by a file cannot ask for more memory than the file could hold."""
    token = _weight_budget.set(int(nbytes))
    try:
        yield
    finally:
        _weight_budget.reset(token)


def _spend_weight_budget(layer: Layer, name: str, shape: tuple[int, ...]) -> None:
    budget = _weight_budget.get()
    if budget is None:
        return
    nbytes = math.prod(shape) * np.dtype(layer.dtype).itemsize
    if nbytes > budget:
        raise ValueError(f"Layer {layer.name!r}: the weight {name!r} of shape {shape} needs "
                         f"{nbytes} bytes, but only {budget} bytes of weights are allowed here "
                         "(a saved model's weights cannot be larger than its file)")
    _weight_budget.set(budget - nbytes)


class Layer:
    """Base class of all layers.

    Subclasses implement ``build(input_shape)`` (create weights with ``add_weight``),
    ``call(x, training)`` and, when the shape changes, ``compute_output_shape``; they
    extend ``get_config`` with their own constructor arguments.

    Shapes always include the batch axis, ``None`` when it is not fixed.
    """

    casts_inputs = True  # arrays given to the layer become its dtype (False: ids stay integers)

    def __init__(
        self,
        name: str | None = None,
        trainable: bool = True,
        input_shape: tuple[int | None, ...] | None = None,
        batch_input_shape: tuple[int | None, ...] | None = None,
        input_dim: int | None = None,
        dtype: str = "float32",
        **unknown: Any,
    ) -> None:
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments "
                            f"{sorted(unknown)}")
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (None, *tuple(input_shape))
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = np.dtype(dtype).name
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.built = False
        self._trainable = trainable
        self._weights: list[tuple[str, Tensor, bool]] = []  # (name, tensor, trainable kind)
        self._penalties: list[tuple[Tensor, Any]] = []  # (weight, its regularizer)
        self._input_shape: tuple | None = None
        self._output_shape: tuple | None = None

    # ----- to be provided by subclasses -----------------------------------------------
    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included)."""

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return tuple(input_shape)

    # ----- calling ----------------------------------------------------------------------
    def __call__(self, x: Any, training: bool = False) -> Tensor:
        """Build on the first call, check the input's shape, then ``call``. Arrays (not
        Tensors) are converted to the layer's dtype, integer images included; layers that
        read integer ids (``Embedding``) keep integers. An array is copied only while a
        graph is recorded (the graph keeps it for the backward pass, out of reach of later
        changes to the caller's array); inference reads it where it is."""
        if not isinstance(x, Tensor):
            array = np.asarray(x)
            keep = not self.casts_inputs and not np.issubdtype(array.dtype, np.floating)
            dtype = array.dtype if keep else self.dtype
            if is_grad_enabled():
                x = tensor(array, dtype=dtype)
            else:
                x = Tensor._wrap(np.asarray(array, dtype=dtype))
        if not self.built:
            self.build_for(x.shape)
        self.check_input_shape(x.shape)
        return self.call(x, training=training)

    def build_for(self, input_shape: tuple[int | None, ...]) -> None:
        """Build the layer for ``input_shape`` and record its input and output shapes."""
        input_shape = (None, *tuple(input_shape)[1:])
        self.build(input_shape)
        self._input_shape = input_shape
        self._output_shape = tuple(self.compute_output_shape(input_shape))
        self.built = True

    def check_input_shape(self, shape: tuple[int, ...]) -> None:
        """Raise a ValueError naming the layer if ``shape`` does not fit the built layer."""
        expected = self._input_shape
        fits = len(shape) == len(expected) and all(
            want is None or want == got for want, got in zip(expected[1:], shape[1:], strict=True)
        )
        if fits:
            return
        hint = ""
        if len(shape) > len(expected) == 2 and np.prod(shape[1:]) == expected[1]:
            hint = (" Add a Flatten layer before it, or reshape the input to "
                    f"(n, {expected[1]}).")
        elif len(shape) != len(expected):
            hint = f" Reshape the input to {len(expected)} dimensions (batch first)."
        raise ValueError(
            f"Layer {self.name!r} ({type(self).__name__}) expects input of shape {expected}, "
            f"got an array of shape {tuple(shape)}.{hint}"
        )

    @property
    def input_shape(self) -> tuple:
        if self._input_shape is None:
            raise AttributeError(f"Layer {self.name!r} has not been built yet, so it has no "
                                 "input_shape: call it on data or give it input_shape=")
        return self._input_shape

    @property
    def output_shape(self) -> tuple:
        if self._output_shape is None:
            raise AttributeError(f"Layer {self.name!r} has not been built yet, so it has no "
                                 "output_shape: call it on data or give it input_shape=")
        return self._output_shape

    # ----- weights ----------------------------------------------------------------------
    def add_weight(self, name: str, shape: tuple[int, ...], initializer: Any = "zeros",
                   trainable: bool = True, regularizer: Any = None) -> Tensor:
        """Create a weight Tensor, initialised by ``initializer``; trainable ones get gradients.
        A ``regularizer`` adds its penalty of this weight to ``losses``."""
        _spend_weight_budget(self, name, tuple(shape))
        value = initializers.get(initializer)(tuple(shape), self.dtype)
        weight = tensor(value, requires_grad=trainable and self._trainable, dtype=self.dtype)
        self._weights.append((name, weight, trainable))
        if regularizer is not None:
            self._penalties.append((weight, regularizer))
        return weight

    @property
    def losses(self) -> list[Tensor]:
        """The weight penalties of this layer (scalar Tensors), computed from the current
        weights; ``fit`` adds them to the loss."""
        return [regularizer(weight) for weight, regularizer in self._penalties]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for _, weight, trainable_kind in self._weights:
            weight.requires_grad = trainable_kind and self._trainable
            weight.zero_grad()

    @property
    def trainable_weights(self) -> list[Tensor]:
        if not self._trainable:
            return []
        return [weight for _, weight, trainable_kind in self._weights if trainable_kind]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [weight for _, weight, trainable_kind in self._weights
                if not (trainable_kind and self._trainable)]

    @property
    def weights(self) -> list[Tensor]:
        """Every weight, in the layer's own order (the order of ``get_weights``)."""
        return [weight for _, weight, _ in self._weights]

    @property
    def weight_names(self) -> list[str]:
        return [f"{self.name}/{name}" for name, _, _ in self._weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights as numpy arrays, in the layer's order."""
        return [weight.data.copy() for weight in self.weights]

    def set_weights(self, values: list[Any]) -> None:
        """Overwrite the weights in place from arrays of the same shapes, in the same order."""
        values = list(values)
        if len(values) != len(self._weights):
            raise ValueError(
                f"Layer {self.name!r} has {len(self._weights)} weights "
                f"({', '.join(self.weight_names) or 'none'}), but set_weights got {len(values)}"
            )
        arrays = [np.asarray(value) for value in values]
        for (name, weight, _), array in zip(self._weights, arrays, strict=True):
            if array.shape != weight.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {name!r} has shape {weight.shape}, "
                    f"but set_weights got an array of shape {array.shape}"
                )
        for (_, weight, _), array in zip(self._weights, arrays, strict=True):
            weight.data[...] = array

    def count_params(self) -> int:
        """Number of scalars in all the layer's weights."""
        if not self.built:
            raise RuntimeError(f"Layer {self.name!r} is not built yet, so its parameters "
                               "are not known: call it on data or give it input_shape=")
        return int(sum(weight.size for weight in self.weights))

    # ----- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable; ``from_config`` rebuilds the layer."""
        config = {"name": self.name, "trainable": self._trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"
