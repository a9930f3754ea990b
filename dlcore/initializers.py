"""Weight initializers: how a layer's weights are drawn before training.

Every random draw uses dlcore's seeded generator (``dlcore.random``), so
``dlcore.utils.set_random_seed`` makes initial weights reproducible.

Variance-scaling initializers pick the spread from the weight's fans: for a Dense
kernel ``(fan_in, fan_out)``; for a conv kernel ``(rows, cols, in, out)`` each fan is
multiplied by the receptive field ``rows * cols``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import random
from .names import from_identifier


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``, Keras's convention."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``initializer(shape, dtype)`` returns a new numpy array."""

    def __call__(self, shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=np.float32):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=np.float32):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def __call__(self, shape, dtype=np.float32):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    """Uniform on ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05) -> None:
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=np.float32):
        return random.generator().uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05) -> None:
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=np.float32):
        return random.generator().normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


# A standard normal cut at +-2 has standard deviation 0.8796; dividing by it restores 1.
_TRUNCATED_NORMAL_STD = 0.87962566103423978


def _truncated_normal(shape: tuple[int, ...], stddev: float) -> np.ndarray:
    """Normal draws with standard deviation ``stddev``, redrawn until within two deviations."""
    generator = random.generator()
    values = generator.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * (stddev / _TRUNCATED_NORMAL_STD)


class VarianceScaling(Initializer):
    """Variance ``scale / n`` with n = fan_in, fan_out or their mean (``mode``).

    ``distribution='uniform'`` draws from U(-limit, limit) with limit = sqrt(3 * scale / n);
    ``'truncated_normal'`` from a normal cut at two deviations, rescaled to that variance.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal") -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', "
                             f"got {mode!r}")
        if distribution not in ("uniform", "truncated_normal"):
            raise ValueError("VarianceScaling: distribution must be 'uniform' or "
                             f"'truncated_normal', got {distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=np.float32):
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return random.generator().uniform(-limit, limit, shape).astype(dtype)
        return _truncated_normal(tuple(shape), np.sqrt(variance)).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}


class GlorotUniform(VarianceScaling):
    """Glorot/Xavier uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")

    def get_config(self):
        return {}


class GlorotNormal(VarianceScaling):
    """Glorot/Xavier normal: truncated normal with variance 2 / (fan_in + fan_out)."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal")

    def get_config(self):
        return {}


class HeUniform(VarianceScaling):
    """He uniform: U(-l, l) with l = sqrt(6 / fan_in), suited to ReLU layers."""

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "uniform")

    def get_config(self):
        return {}


class HeNormal(VarianceScaling):
    """He normal: truncated normal with variance 2 / fan_in, suited to ReLU layers."""

    def __init__(self) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal")

    def get_config(self):
        return {}


class LecunNormal(VarianceScaling):
    """LeCun normal: truncated normal with variance 1 / fan_in."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "truncated_normal")

    def get_config(self):
        return {}


class Orthogonal(Initializer):
    """A random orthogonal matrix (times ``gain``): rows or columns orthonormal.

    Drawn as the Q factor of a normal matrix's QR decomposition, with the signs of R's
    diagonal folded in so that the result is uniformly distributed.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape, dtype=np.float32):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a weight of at least 2 dimensions, got {shape}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        normal = random.generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(normal)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "uniform": RandomUniform,
    "random_uniform": RandomUniform,
    "normal": RandomNormal,
    "random_normal": RandomNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}
_BY_CLASS_NAME = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: str | dict | Initializer) -> Initializer:
    """An Initializer from a name (``'he_normal'``), a ``{class_name, config}`` dict or itself."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str | dict):
        return from_identifier("initializer", identifier, _BY_NAME, _BY_CLASS_NAME)
    raise TypeError(f"an initializer must be a name, a config dict or an Initializer, "
                    f"got {type(identifier).__name__}")


def serialize(initializer: Initializer) -> dict:
    """``{class_name, config}``: JSON-serialisable, and ``get`` turns it back."""
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
