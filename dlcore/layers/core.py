"""The core layers: ``Dense``, ``Activation``, ``Dropout`` and ``Flatten``.

Also the checks the other layer modules share: positive sizes, and the error raised when
an input does not fit a layer (it names the layer, what it expects, what it got and a fix).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import activations, initializers, regularizers
from ..functional.activations import relu
from ..functional.linear import linear
from ..functional.normalization import dropout
from .base import Layer


def input_error(layer: Layer, expected: str, shape: tuple, fix: str) -> ValueError:
    """The ValueError for an input of ``shape`` that does not fit ``layer``."""
    return ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) expects {expected}, "
                      f"got an array of shape {tuple(shape)}. {fix}")


def positive_int(layer: Layer, argument: str, value: Any) -> int:
    """``value`` as an int, which must be at least 1 (a number of units, filters, ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"Layer {layer.name!r} ({type(layer).__name__}): {argument} must be a "
                        f"positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): {argument} must be a "
                         f"positive int, got {value!r}")
    return int(value)


def kernel_and_bias_options(layer: Layer, use_bias: bool, kernel_initializer: Any,
                            bias_initializer: Any, kernel_regularizer: Any,
                            bias_regularizer: Any) -> None:
    """The options every layer with a kernel and a bias takes (Dense, Conv2D)."""
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)


def add_kernel_and_bias(layer: Layer, kernel_shape: tuple[int, ...]) -> None:
    """``layer.kernel`` of ``kernel_shape`` and ``layer.bias`` (its last axis, or None)."""
    layer.kernel = layer.add_weight("kernel", kernel_shape, layer.kernel_initializer,
                                    regularizer=layer.kernel_regularizer)
    layer.bias = (layer.add_weight("bias", kernel_shape[-1:], layer.bias_initializer,
                                   regularizer=layer.bias_regularizer)
                  if layer.use_bias else None)


def kernel_and_bias_config(layer: Layer) -> dict:
    return {
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
    }


class Dense(Layer):
    """A fully connected layer: ``y = activation(x @ kernel + bias)``.

    ``kernel`` is ``(input_dim, units)`` and ``bias`` ``(units,)``. On an input of rank > 2,
    ``(batch, ..., input_dim)``, it acts on the last axis: ``(batch, ..., units)``.
    With ``activation='relu'`` the ReLU is computed inside the linear op (one pass, one graph
    node; the same values as applying it afterwards).
    ``output_dim=`` is accepted as the Keras 1 name of ``units`` (with a DeprecationWarning).
    """

    def __init__(
        self,
        units: int | None = None,
        activation: str | Any = None,
        use_bias: bool = True,
        kernel_initializer: str | dict | initializers.Initializer = "glorot_uniform",
        bias_initializer: str | dict | initializers.Initializer = "zeros",
        kernel_regularizer: str | dict | regularizers.Regularizer | None = None,
        bias_regularizer: str | dict | regularizers.Regularizer | None = None,
        output_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_dim is not None:
            if units is not None:
                raise TypeError(f"Dense got both units={units!r} and output_dim={output_dim!r}; "
                                "output_dim is the Keras 1 name of units: give only units")
            warnings.warn(f"Dense(output_dim={output_dim!r}) is the Keras 1 spelling; write "
                          f"Dense(units={output_dim!r})", DeprecationWarning, stacklevel=2)
            units = output_dim
        if units is None:
            raise TypeError("Dense needs units, the number of outputs: for example Dense(64)")
        self.units = positive_int(self, "units", units)
        self.activation = activations.get(activation)
        kernel_and_bias_options(self, use_bias, kernel_initializer, bias_initializer,
                                kernel_regularizer, bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise input_error(self, "inputs of shape (batch, ..., features) with a known number "
                              "of features", input_shape,
                              "Give the layer input_dim= or input_shape=, or a batch axis.")
        add_kernel_and_bias(self, (input_shape[-1], self.units))

    def check_input_shape(self, shape):
        features = self.input_shape[-1]
        if len(shape) >= 2 and shape[-1] == features:
            return
        if len(shape) < 2:
            fix = f"Add a batch axis: reshape a single sample to (1, {features})."
        elif np.prod(shape[1:]) == features:
            fix = f"Add a Flatten layer before it, or reshape the input to (n, {features})."
        else:
            fix = (f"It was built for {features} features: check the data and the previous "
                   "layer's output, or add a Flatten layer before it if the input is an image.")
        raise input_error(self, f"input of shape (batch, ..., {features}), with {features} "
                          "features on the last axis", shape, fix)

    def call(self, x, training=False):
        fused = self.activation is relu
        y = linear(x, self.kernel, self.bias, relu=fused)
        return y if fused else self.activation(y)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **kernel_and_bias_config(self),
        }


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')`` computes ``y = relu(x)``."""

    def __init__(self, activation: str | Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, x, training=False):
        return self.activation(x)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Inverted dropout: while training, each unit is zeroed with probability ``rate`` and the
    kept ones are scaled by ``1 / (1 - rate)``; at inference the layer is the identity.

    Masks come from dlcore's generator: ``dlcore.utils.set_random_seed`` makes them
    reproducible. ``noise_shape`` and ``seed`` exist for Keras compatibility; only their
    default ``None`` is supported.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
            raise TypeError(f"Layer {self.name!r} (Dropout): rate must be a number in [0, 1), "
                            f"got {rate!r}")
        if not 0 <= rate < 1:
            raise ValueError(f"Layer {self.name!r} (Dropout): rate is the fraction of units "
                             f"dropped and must satisfy 0 <= rate < 1, got {rate!r}; for example "
                             "Dropout(0.5)")
        if noise_shape is not None:
            raise ValueError(f"Layer {self.name!r} (Dropout): noise_shape={noise_shape!r} is not "
                             "supported; dlcore drops every unit independently "
                             "(noise_shape=None)")
        if seed is not None:
            raise ValueError(f"Layer {self.name!r} (Dropout): seed={seed!r} is not supported; "
                             "call dlcore.utils.set_random_seed(seed) instead, which makes "
                             "dropout reproducible")
        self.rate = float(rate)

    def call(self, x, training=False):
        return dropout(x, self.rate, bool(training))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": None, "seed": None}


class Flatten(Layer):
    """Flattens each sample: ``(batch, d1, d2, ...)`` -> ``(batch, d1 * d2 * ...)``, in C order
    (for images the channel index changes fastest, then the column, then the row)."""

    def call(self, x, training=False):
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        return (input_shape[0], None if None in rest else int(np.prod(rest, dtype=np.int64)))

