"""``MaxPooling2D`` and ``AveragePooling2D``: summarise each window of a channels-last image.

``y[n, i, j, c]`` is the maximum (or the mean) of ``x[n, h, w, c]`` over window ``(i, j)``,
channel by channel; output sizes follow the rules in ``dlcore.layers.convolutional``.
With ``padding='same'``, padded cells never win a max and are not counted in a mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..functional.pooling import avg_pool2d, max_pool2d
from ..tensor import Tensor
from .base import Layer
from .convolutional import (
    check_data_format,
    check_image_input,
    int_pair,
    padding_mode,
    window_output_shape,
)


class _Pooling2D(Layer):
    """What both pooling layers share: window, strides (None means the window), padding."""

    pool: Callable[..., Tensor]  # the functional op, set by each subclass

    def __init__(
        self,
        pool_size: int | tuple[int, int] = (2, 2),
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = int_pair(self, "pool_size", pool_size)
        self.strides = self.pool_size if strides is None else int_pair(self, "strides", strides)
        self.padding = padding_mode(self, padding)
        check_data_format(self, data_format)

    def build(self, input_shape):
        check_image_input(self, input_shape, None)

    def check_input_shape(self, shape):
        check_image_input(self, shape, None)

    def call(self, x, training=False):
        return self.pool(x, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        check_image_input(self, input_shape, None)
        return window_output_shape(self, tuple(input_shape), self.pool_size, self.strides,
                                   self.padding, None)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": "channels_last",
        }


class MaxPooling2D(_Pooling2D):
    """Max pooling: the largest value of each ``pool_size`` window, moved by ``strides``.

    The gradient flows only to the position of each window's maximum.
    """

    pool = staticmethod(max_pool2d)


class AveragePooling2D(_Pooling2D):
    """Average pooling: the mean of each ``pool_size`` window, moved by ``strides``.

    The gradient of each output is shared equally by the cells of its window.
    """

    pool = staticmethod(avg_pool2d)
