"""``Conv2D``, and the window arithmetic it shares with the pooling layers.

Images are channels-last, ``(batch, rows, cols, channels)``. For one spatial axis of size
``n``, a window of size ``k`` and a stride ``s``, the output size is

* ``padding='valid'``: ``floor((n - k) / s) + 1`` (windows stay inside the image);
* ``padding='same'``: ``ceil(n / s)`` (the image is padded with ``max((out - 1) * s + k - n, 0)``
  cells, the odd one at the bottom/right).
"""

from __future__ import annotations

from typing import Any

from .. import activations, initializers, regularizers
from ..functional import _arguments as arguments
from ..functional.activations import relu
from ..functional.conv import conv2d
from .base import Layer
from .core import (
    add_kernel_and_bias,
    input_error,
    kernel_and_bias_config,
    kernel_and_bias_options,
    positive_int,
)

IMAGE_LAYOUT = "(batch, rows, cols, channels)"


def int_pair(layer: Layer, argument: str, value: Any) -> tuple[int, int]:
    """An int or a pair of ints (rows, cols) as a pair of positive ints."""
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): {argument} must be an "
                         f"int or a pair (rows, cols), got {value!r}")
    return positive_int(layer, argument, pair[0]), positive_int(layer, argument, pair[1])


def padding_mode(layer: Layer, padding: Any) -> str:
    """``'valid'`` or ``'same'`` (any case), lower-cased."""
    return arguments.padding_mode(f"Layer {layer.name!r} ({type(layer).__name__})", padding)


def check_data_format(layer: Layer, data_format: Any) -> None:
    """Only channels-last images exist in dlcore."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"Layer {layer.name!r} ({type(layer).__name__}): data_format={data_format!r} is not "
            f"supported; dlcore is channels-last only, images are {IMAGE_LAYOUT}. Leave "
            "data_format=None and move the channel axis last, e.g. x.transpose(0, 2, 3, 1)."
        )


def window_output_shape(layer: Layer, input_shape: tuple, window: tuple[int, int],
                        strides: tuple[int, int], padding: str, channels: int | None) -> tuple:
    """``(batch, out_rows, out_cols, channels)`` after sliding ``window`` over the image."""
    batch, rows, cols, in_channels = input_shape
    sizes = []
    for axis, n, k, s in zip(("rows", "cols"), (rows, cols), window, strides, strict=True):
        if n is None:
            sizes.append(None)
        elif padding == "valid" and k > n:
            raise input_error(layer, f"images with at least {k} {axis} for its {window} window "
                              "with padding='valid'", input_shape,
                              "Use padding='same', a smaller window or larger images.")
        else:
            sizes.append(arguments.axis_geometry(n, k, s, padding)[0])
    return (batch, *sizes, in_channels if channels is None else channels)


def check_image_input(layer: Layer, shape: tuple, channels: int | None) -> None:
    """Raise unless ``shape`` is rank 4 (with ``channels`` channels, when given)."""
    if len(shape) == 4 and (channels is None or shape[-1] == channels):
        return
    if len(shape) == 3:
        fix = "For one-channel images add a channel axis: x.reshape(n, rows, cols, 1)."
    elif len(shape) != 4:
        fix = f"Reshape the input to {IMAGE_LAYOUT}."
    else:
        fix = (f"The layer was built for {channels} channels; check the previous layer, or move "
               "the channel axis last if the images are channels-first.")
    wanted = "" if channels is None else f" with {channels} channels"
    raise input_error(layer, f"images of shape {IMAGE_LAYOUT}{wanted}", shape, fix)


class Conv2D(Layer):
    """2-D convolution: ``y = activation(conv2d(x, kernel, strides, padding) + bias)``.

    ``x`` is ``(batch, rows, cols, in_channels)``; ``kernel`` is ``(kernel_rows, kernel_cols,
    in_channels, filters)`` and ``bias`` ``(filters,)``; the output is ``(batch, out_rows,
    out_cols, filters)`` with the sizes of the module docstring. Images of any size with the
    built channel count are accepted. With ``activation='relu'`` the ReLU is computed inside
    the convolution op, in the pass that adds the bias.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = (1, 1),
        padding: str = "valid",
        activation: str | Any = None,
        use_bias: bool = True,
        kernel_initializer: str | dict | initializers.Initializer = "glorot_uniform",
        bias_initializer: str | dict | initializers.Initializer = "zeros",
        kernel_regularizer: str | dict | regularizers.Regularizer | None = None,
        bias_regularizer: str | dict | regularizers.Regularizer | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = positive_int(self, "filters", filters)
        self.kernel_size = int_pair(self, "kernel_size", kernel_size)
        self.strides = int_pair(self, "strides", strides)
        self.padding = padding_mode(self, padding)
        check_data_format(self, data_format)
        self.activation = activations.get(activation)
        kernel_and_bias_options(self, use_bias, kernel_initializer, bias_initializer,
                                kernel_regularizer, bias_regularizer)

    def build(self, input_shape):
        check_image_input(self, input_shape, None)
        channels = input_shape[-1]
        if channels is None:
            raise input_error(self, "images with a known number of channels", input_shape,
                              "Give the layer input_shape=(rows, cols, channels).")
        add_kernel_and_bias(self, (*self.kernel_size, channels, self.filters))

    def check_input_shape(self, shape):
        check_image_input(self, shape, self.input_shape[-1])

    def call(self, x, training=False):
        fused = self.activation is relu
        y = conv2d(x, self.kernel, self.bias, strides=self.strides, padding=self.padding,
                   relu=fused)
        return y if fused else self.activation(y)

    def compute_output_shape(self, input_shape):
        check_image_input(self, input_shape, None)
        return window_output_shape(self, tuple(input_shape), self.kernel_size, self.strides,
                                   self.padding, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": "channels_last",
            "activation": activations.serialize(self.activation),
            **kernel_and_bias_config(self),
        }

