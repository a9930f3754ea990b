"""Weight penalties added to the loss: L1, L2 and both (Keras's ``kernel_regularizer``).

A layer built with ``Dense(64, kernel_regularizer=l2(1e-4))`` adds ``1e-4 * sum(kernel**2)``
to the loss that ``fit`` minimises (and that ``fit``/``evaluate`` report), so the gradient of
each kernel entry gains ``2 * 1e-4 * w``: weight decay. L1 adds ``l1 * sum(|w|)``, whose
gradient ``l1 * sign(w)`` pushes small weights to exactly zero.
"""

from __future__ import annotations

from typing import Any

from .names import from_identifier
from .tensor import Tensor, tensor


class Regularizer:
    """Base class: ``regularizer(weight)`` returns the penalty, a scalar Tensor."""

    def __call__(self, weight: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)


def _factor(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"regularizer factor {name} must be a number >= 0, got {value!r}")
    return float(value)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, weight: Tensor) -> Tensor:
        terms = []
        if self.l1:
            terms.append(self.l1 * weight.abs().sum())
        if self.l2:
            terms.append(self.l2 * (weight * weight).sum())
        if not terms:
            return tensor(0.0, dtype=weight.dtype)
        return sum(terms[1:], terms[0])

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)``."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w**2)``."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


def l1(l1: float = 0.01) -> L1:
    """Keras 2 spelling: ``kernel_regularizer=l1(0.01)``."""
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    """Keras 2 spelling: ``kernel_regularizer=l2(0.01)``."""
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Keras 2 spelling: ``kernel_regularizer=l1_l2(l1=0.01, l2=0.01)``."""
    return L1L2(l1, l2)


_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2}
_BY_CLASS_NAME = {cls.__name__: cls for cls in (L1, L2, L1L2)}


def get(identifier: str | dict | Regularizer | None) -> Regularizer | None:
    """A Regularizer from a name (``'l2'``, default factor 0.01), a ``{class_name, config}``
    dict, itself, or None (no penalty)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str | dict):
        return from_identifier("regularizer", identifier, _BY_NAME, _BY_CLASS_NAME)
    raise TypeError(f"a regularizer must be a name ('l1', 'l2', 'l1_l2'), a config dict, a "
                    f"Regularizer or None, got {type(identifier).__name__}")


def serialize(regularizer: Regularizer | None) -> dict | None:
    """``{class_name, config}`` (or None): JSON-serialisable, and ``get`` turns it back."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
