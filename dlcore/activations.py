"""Activation functions by name, as in Keras: ``Dense(64, activation='relu')``.

``get`` turns a name (or None, or a callable) into a function from Tensor to Tensor;
``serialize`` turns one of these functions back into its name, for saving a layer's config.

``relu``, ``sigmoid``, ``tanh`` and ``softmax`` are the differentiable ops of
``dlcore.functional.activations``. The others are built here from Tensor operations, so
autodiff differentiates them through their parts::

    linear(x)       = x
    elu(x)          = x                        for x > 0,   alpha * (exp(x) - 1)  for x <= 0
    selu(x)         = scale * elu(x, alpha)    alpha = 1.6732632, scale = 1.0507010
    softplus(x)     = log(1 + exp(x))          = max(x, 0) + log(1 + exp(-|x|))  (no overflow)
    softsign(x)     = x / (1 + |x|)
    hard_sigmoid(x) = clip(0.2 * x + 0.5, 0, 1)   (Keras 2's piecewise-linear sigmoid)
    exponential(x)  = exp(x)

``max(x, 0)`` and ``min(x, 0)`` are written ``(x + |x|) / 2`` and ``(x - |x|) / 2``: the
same values as ``relu``, but at the kink x = 0 their derivative is 1/2 (the mean of the two
one-sided slopes). That makes the derivative of ``elu`` at 0 equal to 1, its true value, and
that of ``softplus`` equal to ``sigmoid(0) = 1/2``. For ``selu``, whose one-sided slopes at 0
differ (``scale * alpha`` and ``scale``), the derivative at 0 is their mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlcore.functional.activations import relu, sigmoid, softmax, tanh
from dlcore.names import unknown_name_error
from dlcore.tensor import Tensor, as_tensor

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _positive_part(x: Tensor) -> Tensor:
    """max(x, 0) as (x + |x|) / 2."""
    return (x + x.abs()) * 0.5


def _negative_part(x: Tensor) -> Tensor:
    """min(x, 0) as (x - |x|) / 2."""
    return (x - x.abs()) * 0.5


def linear(x: Any) -> Tensor:
    """The identity: y = x (a Dense layer without activation is a linear map)."""
    return as_tensor(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: y = x for x > 0, alpha * (exp(x) - 1) for x <= 0.

    dy/dx = 1 for x > 0, alpha * exp(x) for x < 0.
    """
    x = as_tensor(x)
    return _positive_part(x) + (_negative_part(x).exp() - 1) * alpha


def selu(x: Any) -> Tensor:
    """Scaled ELU: y = scale * elu(x, alpha) with the self-normalising constants
    alpha = 1.6732632 and scale = 1.0507010 (Klambauer et al., 2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def softplus(x: Any) -> Tensor:
    """y = log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-|x|)) so exp never overflows.

    dy/dx = sigmoid(x). Where exp(-|x|) is below the float's resolution of 1 (x < -17 in
    float32), y rounds to 0; its true value is then smaller than 1e-7.
    """
    x = as_tensor(x)
    return _positive_part(x) + ((-x.abs()).exp() + 1).log()


def softsign(x: Any) -> Tensor:
    """y = x / (1 + |x|), a sigmoid-shaped curve onto (-1, 1).    dy/dx = 1 / (1 + |x|)**2."""
    x = as_tensor(x)
    return x / (x.abs() + 1)


def hard_sigmoid(x: Any) -> Tensor:
    """y = clip(0.2 * x + 0.5, 0, 1): Keras 2's cheap piecewise-linear sigmoid.

    dy/dx = 0.2 for -2.5 < x < 2.5, else 0. (Keras 3 changed the slope to 1/6.)
    """
    return (as_tensor(x) * 0.2 + 0.5).clip(0.0, 1.0)


def exponential(x: Any) -> Tensor:
    """y = exp(x).    dy/dx = exp(x)."""
    return as_tensor(x).exp()


_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "hard_sigmoid": hard_sigmoid,
    "exponential": exponential,
}


def get(identifier: str | Callable[..., Tensor] | None) -> Callable[..., Tensor]:
    """The activation function for a name (``'relu'``), None (``linear``) or a callable.

    Softmax acts on the last axis. An unknown name raises a ValueError listing the valid
    names and the closest one.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        function = _BY_NAME.get(identifier.lower())
        if function is None:
            raise unknown_name_error("activation", identifier, _BY_NAME)
        return function
    if callable(identifier):
        return identifier
    raise TypeError(f"an activation must be a name such as 'relu', a callable or None, "
                    f"got {type(identifier).__name__}")


def serialize(function: Callable[..., Tensor]) -> str:
    """The name of one of dlcore's activation functions (what ``get`` turns back into it)."""
    for name, known in _BY_NAME.items():
        if known is function:
            return name
    label = getattr(function, "__name__", repr(function))
    raise ValueError(
        f"the activation {label!r} is not one of dlcore's named activations, so it cannot be "
        f"saved in a config (a config never holds code). Use one of "
        f"{', '.join(sorted(_BY_NAME))}, or apply the function outside the layer."
    )
