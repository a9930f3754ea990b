"""Recurrent layers over sequences ``(batch, timesteps, features)``: ``SimpleRNN`` and ``LSTM``.

Both start from zero states and run one fused op over the whole sequence (forward and
backpropagation through time live in ``dlcore.functional.recurrent``). They return the
last hidden state ``(batch, units)``, or every one, ``(batch, timesteps, units)``, with
``return_sequences=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import activations, initializers
from ..functional.recurrent import lstm, simple_rnn
from ..tensor import Tensor
from .base import Layer
from .core import input_error, positive_int

SEQUENCE_LAYOUT = "(batch, timesteps, features)"


def _require_activation(layer: Layer, argument: str, given: Any, supported: str,
                        note: str = "") -> Callable[..., Tensor]:
    """``given`` as a function, which must be the activation the fused op computes."""
    if activations.get(given) is not activations.get(supported):
        label = given if isinstance(given, str) else getattr(given, "__name__", repr(given))
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): only "
                         f"{argument}={supported!r} is supported (the fused op computes it), "
                         f"got {label!r}.{note}")
    return activations.get(supported)


class _Recurrent(Layer):
    """What SimpleRNN and LSTM share: ``gates * units`` columns in each weight."""

    gates: int
    sequence_op: Callable[..., Tensor]  # the functional op, set by each subclass

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        kernel_initializer: str | dict | initializers.Initializer = "glorot_uniform",
        recurrent_initializer: str | dict | initializers.Initializer = "orthogonal",
        bias_initializer: str | dict | initializers.Initializer = "zeros",
        return_sequences: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = positive_int(self, "units", units)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.return_sequences = bool(return_sequences)

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise input_error(self, f"sequences of shape {SEQUENCE_LAYOUT} with a known number "
                              "of features", input_shape, self._rank_fix(input_shape))
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                self.recurrent_initializer)
        self.bias = (self.add_weight("bias", (width,), self.bias_initializer)
                     if self.use_bias else None)

    def _rank_fix(self, shape: tuple) -> str:
        if len(shape) == 2:
            return ("For one feature per step add an axis: x.reshape(batch, timesteps, 1); "
                    "for a single sequence, x.reshape(1, timesteps, features).")
        return f"Reshape the input to {SEQUENCE_LAYOUT}."

    def check_input_shape(self, shape):
        features = self.input_shape[-1]
        if len(shape) == 3 and shape[-1] == features:
            return
        fix = (self._rank_fix(shape) if len(shape) != 3 else
               f"It was built for {features} features per step; check the data or the "
               "previous layer.")
        raise input_error(self, f"sequences of shape {SEQUENCE_LAYOUT} with {features} "
                          "features", shape, fix)

    def call(self, x, training=False):
        return self.sequence_op(x, self.kernel, self.recurrent_kernel, self.bias,
                                return_sequences=self.return_sequences)

    def compute_output_shape(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.units)
        return (input_shape[0], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "return_sequences": self.return_sequences,
        }


class SimpleRNN(_Recurrent):
    """A fully connected recurrent layer: ``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel
    + bias)``, ``h_0 = 0``.

    Weights: ``kernel (features, units)``, ``recurrent_kernel (units, units)``, ``bias (units,)``.
    Only ``activation='tanh'`` is supported.
    """

    gates = 1
    sequence_op = staticmethod(simple_rnn)

    def __init__(self, units: int, activation: str | Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.activation = _require_activation(self, "activation", activation, "tanh")

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class LSTM(_Recurrent):
    """Long short-term memory. With gates packed i, f, c, o along the ``4 * units`` axis::

        z   = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
        i   = sigmoid(z_i),  f = sigmoid(z_f),  c~ = tanh(z_c),  o = sigmoid(z_o)
        c_t = f * c_{t-1} + i * c~,    h_t = o * tanh(c_t),    h_0 = c_0 = 0

    Weights: ``kernel (features, 4 * units)``, ``recurrent_kernel (units, 4 * units)``,
    ``bias (4 * units,)``. ``unit_forget_bias=True`` sets the forget slice of the bias,
    ``bias[units:2 * units]``, to 1 at build, so the cell remembers by default.
    Only ``activation='tanh'`` and ``recurrent_activation='sigmoid'`` are supported (Keras
    2.3 and later; Keras 2.2 used ``hard_sigmoid`` for the gates).
    """

    gates = 4
    sequence_op = staticmethod(lstm)

    def __init__(
        self,
        units: int,
        activation: str | Any = "tanh",
        recurrent_activation: str | Any = "sigmoid",
        unit_forget_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(units, **kwargs)
        self.activation = _require_activation(self, "activation", activation, "tanh")
        self.recurrent_activation = _require_activation(
            self, "recurrent_activation", recurrent_activation, "sigmoid",
            " Keras 2.2's default 'hard_sigmoid' is not available; dlcore's LSTM uses the "
            "sigmoid gates of Keras 2.3 and later (and PyTorch).",
        )
        self.unit_forget_bias = bool(unit_forget_bias)

    def build(self, input_shape):
        super().build(input_shape)
        if self.bias is not None and self.unit_forget_bias:
            self.bias.data[self.units:2 * self.units] = 1

    def get_config(self):
        return {
            **super().get_config(),
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }
