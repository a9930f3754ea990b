"""``BatchNormalization``: normalise each feature, then scale and shift it."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..functional.normalization import batch_norm
from .base import Layer
from .core import input_error


class BatchNormalization(Layer):
    """Batch normalization over the last axis (features, or channels of NHWC images).

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``, per feature, with every other
    axis as the batch:

    * ``training=True``: ``mean`` and ``var`` are the batch mean and the biased batch
      variance, and the moving statistics are updated in place,
      ``moving = momentum * moving + (1 - momentum) * batch_statistic``;
    * ``training=False``: ``mean`` and ``var`` are the moving statistics, left unchanged.

    Weights, in order: ``gamma`` (if ``scale``), ``beta`` (if ``center``), ``moving_mean``,
    ``moving_variance``; the last two are not trainable. Without ``scale`` (``center``) gamma
    is 1 (beta is 0) and not a weight, as in Keras.

    A frozen layer (``trainable=False``) always runs in inference mode, also when called with
    ``training=True``, so fine-tuning a model around it leaves its statistics alone. This is
    Keras 3's rule; Keras 2 kept updating the moving statistics of a frozen layer.

    Only the last axis can be normalised (``axis=-1``, or its positive index).
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: str | dict | initializers.Initializer = "zeros",
        gamma_initializer: str | dict | initializers.Initializer = "ones",
        moving_mean_initializer: str | dict | initializers.Initializer = "zeros",
        moving_variance_initializer: str | dict | initializers.Initializer = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Layer {self.name!r} (BatchNormalization): axis must be an int, "
                            f"got {axis!r}; dlcore normalises the last axis, axis=-1")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"Layer {self.name!r} (BatchNormalization): momentum must be in "
                             f"[0, 1], got {momentum!r}; Keras's default is 0.99")
        if not epsilon > 0.0:
            raise ValueError(f"Layer {self.name!r} (BatchNormalization): epsilon must be "
                             f"positive, got {epsilon!r}; Keras's default is 1e-3")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        rank = len(input_shape)
        if rank < 2 or self.axis not in (-1, rank - 1):
            raise input_error(
                self, f"axis={self.axis} to be the last axis of its input (the features or "
                "channels)", input_shape,
                "dlcore normalises only the last axis: use axis=-1 with the features (or the "
                "channels of (batch, rows, cols, channels) images) last.",
            )
        features = input_shape[-1]
        if features is None:
            raise input_error(self, "a known number of features on the last axis", input_shape,
                              "Give the layer input_shape=.")
        self.gamma = (self.add_weight("gamma", (features,), self.gamma_initializer)
                      if self.scale else None)
        self.beta = (self.add_weight("beta", (features,), self.beta_initializer)
                     if self.center else None)
        self.moving_mean = self.add_weight("moving_mean", (features,),
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (features,),
                                               self.moving_variance_initializer, trainable=False)

    def check_input_shape(self, shape):
        rank, features = len(self.input_shape), self.input_shape[-1]
        if len(shape) == rank and shape[-1] == features:
            return
        raise input_error(self, f"input of rank {rank} with {features} features on the last "
                          "axis", shape, "It was built for inputs like "
                          f"{self.input_shape}; check the previous layer.")

    def call(self, x, training=False):
        return batch_norm(x, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                          training=bool(training) and self.trainable, momentum=self.momentum,
                          epsilon=self.epsilon)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
        }
