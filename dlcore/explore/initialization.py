"""Why initialization matters: activations and gradients layer by layer through a deep MLP.

``depth_statistics`` builds ``depth`` hidden ``Dense(width, activation)`` layers whose kernels
come from one initializer, puts a linear 10-class readout on top (Glorot uniform, the same
in every experiment), feeds random inputs ``x ~ N(0, 1)`` with random labels, and measures
with ``dlcore.introspection``:

- forward, per hidden layer ``l``: the mean and standard deviation of its outputs ``a_l``,
  the share of outputs where the activation is flat (saturated), and the share of units
  that are flat for every sample (dead units: they pass no gradient back at all);
- backward: the norm and standard deviation of ``dL/da_l`` and of ``dL/dW_l`` (W_l the
  layer's kernel), with L the mean cross-entropy of the softmax of the readout's logits.
  Computing it from the logits keeps ``dL/dz = softmax(z) - onehot(label)`` exact even when
  the softmax saturates (clipped probabilities would pass no gradient at all), so exploding
  gradients show as such.

Flat means a slope ``f'(z)`` below 1% of the activation's largest slope: sigmoid
``a (1 - a) < 0.0025``, tanh ``1 - a^2 < 0.01``, relu ``a = 0``.

The textbook effects: with small weights (``too_small``: normal, std 0.01) signals shrink
layer after layer and the gradient reaching the first layer is orders of magnitude smaller
than at the last (vanishing gradients); with large weights (``too_large``: normal, std 1.0)
tanh and sigmoid saturate; Glorot keeps tanh layers alike, He keeps relu layers alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..initializers import Initializer, RandomNormal
from ..introspection import layer_gradients, layer_outputs, weight_gradients
from ..layers import Dense
from ..losses import sparse_categorical_crossentropy
from ..models import Sequential
from ..utils import set_random_seed
from ._checks import checked_choice, checked_int

INITIALIZERS: dict[str, str | Initializer] = {
    "glorot_uniform": "glorot_uniform",
    "glorot_normal": "glorot_normal",
    "he_normal": "he_normal",
    "he_uniform": "he_uniform",
    "too_small": RandomNormal(mean=0.0, stddev=0.01),
    "too_large": RandomNormal(mean=0.0, stddev=1.0),
}

# f'(z) / max f', written with the output a = f(z)
RELATIVE_SLOPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda a: 4.0 * a * (1.0 - a),
    "tanh": lambda a: 1.0 - a**2,
    "relu": lambda a: (a > 0).astype(np.float64),
}
FLAT_SLOPE = 0.01
N_CLASSES = 10


@dataclass(frozen=True)
class DepthStatistics:
    """One value per hidden layer (arrays of length ``depth``, first layer first)."""

    activation: str
    initializer: str
    activation_mean: np.ndarray
    activation_std: np.ndarray
    saturated_fraction: np.ndarray
    dead_fraction: np.ndarray
    output_gradient_norm: np.ndarray
    output_gradient_std: np.ndarray
    kernel_gradient_norm: np.ndarray
    kernel_gradient_std: np.ndarray


def deep_mlp(depth: int, width: int, activation: str, initializer: str | Initializer) -> Sequential:
    """``depth`` hidden ``Dense(width, activation)`` layers and a linear 10-class readout,
    compiled with the cross-entropy of its logits."""
    model = Sequential([Dense(width, activation=activation, kernel_initializer=initializer)
                        for _ in range(depth)])
    model.add(Dense(N_CLASSES))
    model.build((None, width))
    model.compile(optimizer="sgd",
                  loss=partial(sparse_categorical_crossentropy, from_logits=True))
    return model


def depth_statistics(depth: int = 10, width: int = 64, activation: str = "tanh",
                     initializer: str = "glorot_uniform", n_samples: int = 256,
                     seed: int = 0) -> DepthStatistics:
    """Forward and backward statistics of each hidden layer of a fresh deep MLP (see above).

    ``activation`` is one of ``RELATIVE_SLOPES`` (sigmoid, tanh, relu), ``initializer`` a
    key of ``INITIALIZERS``. ``seed`` fixes the weights, the inputs and the labels.
    """
    function = "depth_statistics"
    depth = checked_int(function, "depth", depth)
    width = checked_int(function, "width", width)
    n_samples = checked_int(function, "n_samples", n_samples)
    activation = checked_choice(function, "activation", activation, RELATIVE_SLOPES)
    initializer = checked_choice(function, "initializer", initializer, INITIALIZERS)
    set_random_seed(checked_int(function, "seed", seed, low=0))
    model = deep_mlp(depth, width, activation, INITIALIZERS[initializer])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, width)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, n_samples)
    hidden = model.layers[:depth]
    outputs = [output.astype(np.float64) for _, output in layer_outputs(model, x)[:depth]]
    output_gradients = [gradient for _, gradient in layer_gradients(model, x, y)[:depth]]
    by_weight = dict(weight_gradients(model, x, y))
    kernel_gradients = [by_weight[f"{layer.name}/kernel"] for layer in hidden]
    flat = [RELATIVE_SLOPES[activation](output) < FLAT_SLOPE for output in outputs]
    return DepthStatistics(
        activation=activation,
        initializer=initializer,
        activation_mean=np.array([output.mean() for output in outputs]),
        activation_std=np.array([output.std() for output in outputs]),
        saturated_fraction=np.array([mask.mean() for mask in flat]),
        dead_fraction=np.array([mask.all(axis=0).mean() for mask in flat]),
        output_gradient_norm=_norms(output_gradients),
        output_gradient_std=_stds(output_gradients),
        kernel_gradient_norm=_norms(kernel_gradients),
        kernel_gradient_std=_stds(kernel_gradients),
    )


def _norms(arrays: list[np.ndarray]) -> np.ndarray:
    return np.array([np.linalg.norm(array.astype(np.float64)) for array in arrays])


def _stds(arrays: list[np.ndarray]) -> np.ndarray:
    return np.array([array.astype(np.float64).std() for array in arrays])
