"""Optimizers: turn gradients into parameter updates (Keras 2 update rules).

``SGD``, ``RMSprop``, ``Adagrad`` and ``Adam`` share one ``Optimizer`` base. Each update
call, for every parameter ``w`` with gradient ``g``:

1. the learning rate of this call is ``lr / (1 + decay * iterations)``, with
   ``iterations`` the number of update calls made before this one;
2. with ``clipnorm``, ``g`` is rescaled so that its L2 norm is at most ``clipnorm``
   (each gradient on its own); with ``clipvalue`` each element is clipped to
   ``[-clipvalue, clipvalue]``;
3. one fused kernel from ``dlcore.kernels.optimizers`` updates ``w.data`` and the
   optimizer's slot arrays for ``w`` (velocity, accumulators, moments) in place.

Slots are created on the first update of a parameter, with its shape and dtype, and
are kept per parameter object. Usage::

    opt = Adam(learning_rate=1e-3)
    loss.backward()
    opt.step(params)                          # from each parameter's .grad
    opt.apply_gradients(zip(grads, params))   # or from gradients you computed
"""

from __future__ import annotations

import math
import numbers
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np

from dlcore.kernels import optimizers as kernels
from dlcore.kernels._memory import empty_aligned, zeros_aligned
from dlcore.names import unknown_name_error
from dlcore.tensor import Tensor

DEFAULT_EPSILON = 1e-7


class _Default(float):
    """A default argument value, told apart from the same number passed explicitly."""


class Optimizer(ABC):
    """Base class: learning rate, decay, clipping, slots, config and state.

    A subclass names its slot arrays in ``slot_names``, implements ``_update`` (one
    kernel call on flat arrays) and ``_hyperparameters`` (its part of ``get_config``).
    """

    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate: float, decay: float = 0.0, clipnorm: float | None = None,
                 clipvalue: float | None = None, **kwargs: Any) -> None:
        name = type(self).__name__
        if "lr" in kwargs:
            if not isinstance(learning_rate, _Default):
                raise TypeError(f"{name}() got both learning_rate= and its older name lr=; "
                                "pass only learning_rate=")
            warnings.warn(f"{name}(lr=...) is deprecated: use learning_rate=", DeprecationWarning,
                          stacklevel=3)
            learning_rate = kwargs.pop("lr")
        if kwargs:
            accepted = ", ".join(self._accepted_arguments())
            raise TypeError(f"{name}() got unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}; accepted: {accepted}")
        self.learning_rate = learning_rate
        self.decay = self._check("decay", decay, 0.0, math.inf)
        self.clipnorm = None if clipnorm is None else self._check_positive("clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else self._check_positive("clipvalue", clipvalue)
        self.iterations = 0
        self._slots: dict[int, tuple[Tensor, list[np.ndarray]]] = {}

    # ----- learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The base learning rate (callbacks such as LearningRateScheduler set it)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate = self._check("learning_rate", value, 0.0, math.inf)

    @property
    def lr(self) -> float:
        """Older name of ``learning_rate`` (Keras 2)."""
        return self.learning_rate

    @lr.setter
    def lr(self, value: float) -> None:
        self.learning_rate = value

    # ----- updates ---------------------------------------------------------------------------
    def apply_gradients(self, grads_and_params: Iterable[tuple[Any, Tensor]]) -> None:
        """Update each parameter Tensor's ``.data`` in place from its gradient.

        ``grads_and_params`` yields ``(gradient, parameter)`` pairs, as from
        ``zip(grads, params)``; a gradient is an array or a Tensor of the parameter's
        shape, or None (that parameter is skipped). Counts as one update call.
        """
        pairs = [(self._check_parameter(param), grad)
                 for grad, param in grads_and_params if grad is not None]
        updates = [(param, self._flat_gradient(grad, param), self._slots_of(param))
                   for param, grad in pairs]
        learning_rate = self._learning_rate / (1.0 + self.decay * self.iterations)
        for param, grad, slots in updates:
            if self.clipnorm is not None or self.clipvalue is not None:
                clipped = empty_aligned(grad.shape, grad.dtype)
                kernels.clip_gradient(grad, self.clipnorm or math.inf,
                                      self.clipvalue or math.inf, clipped)
                grad = clipped
            data = param.data
            contiguous = data.flags.c_contiguous
            flat = data.reshape(-1) if contiguous else np.ascontiguousarray(data).reshape(-1)
            self._update(flat, grad, slots, learning_rate)
            if not contiguous:
                data[...] = flat.reshape(data.shape)
        self.iterations += 1

    def step(self, params: Iterable[Tensor]) -> None:
        """Update each parameter from its ``.grad`` (parameters without one are skipped).

        The gradients are left as they are: clear them (``param.zero_grad()``) before the
        next backward pass, which would otherwise add to them.
        """
        self.apply_gradients([(param.grad, param) for param in params])

    @abstractmethod
    def _update(self, w: np.ndarray, g: np.ndarray, slots: list[np.ndarray],
                learning_rate: float) -> None:
        """Update the flat weights ``w`` and ``slots`` in place from the flat gradient ``g``."""

    # ----- config ----------------------------------------------------------------------------
    @abstractmethod
    def _hyperparameters(self) -> dict[str, Any]:
        """The subclass's own constructor arguments, for ``get_config``."""

    def get_config(self) -> dict[str, Any]:
        """A JSON-serialisable dict of the constructor arguments (plus ``name``)."""
        config = {"name": type(self).__name__, "learning_rate": self._learning_rate,
                  **self._hyperparameters(), "decay": self.decay}
        if self.clipnorm is not None:
            config["clipnorm"] = self.clipnorm
        if self.clipvalue is not None:
            config["clipvalue"] = self.clipvalue
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """Rebuild an optimizer from ``get_config()``'s dict (a Keras 2 ``lr`` key works too).

        ``Optimizer.from_config`` picks the class from ``config['name']``.
        """
        config = dict(config)
        name = config.pop("name", cls.__name__)
        target = _class_named(name) if cls is Optimizer else cls
        if target.__name__.lower() != name.lower():
            raise ValueError(f"{cls.__name__}.from_config got a config for {name!r}; use "
                             f"dlcore.optimizers.{name}.from_config or Optimizer.from_config")
        if "lr" in config and "learning_rate" not in config:
            config["learning_rate"] = config.pop("lr")
        return target(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items()
                              if key != "name")
        return f"{type(self).__name__}({arguments})"

    # ----- state (for saving with a model) ---------------------------------------------------
    def get_state(self, params: Iterable[Tensor]) -> list[np.ndarray]:
        """``[iterations, slots of params[0]..., slots of params[1]..., ...]`` as new arrays.

        Slot arrays have their parameter's shape and dtype; a parameter not updated yet
        contributes zeros (the value its slots would start from).
        """
        state = [np.array(self.iterations, dtype=np.int64)]
        for param in params:
            param = self._check_parameter(param)
            entry = self._slots.get(id(param))
            for index in range(len(self.slot_names)):
                if entry is None:
                    state.append(np.zeros_like(param.data, order="C"))
                else:
                    state.append(entry[1][index].reshape(param.shape).copy())
        return state

    def set_state(self, params: Iterable[Tensor], arrays: list[np.ndarray]) -> None:
        """Restore what ``get_state(params)`` returned; every array is checked first."""
        params = [self._check_parameter(param) for param in params]
        name = type(self).__name__
        arrays = [np.asarray(array) for array in arrays]
        expected_count = 1 + len(self.slot_names) * len(params)
        if len(arrays) != expected_count:
            raise ValueError(
                f"{name}.set_state: expected {expected_count} arrays (iterations, then "
                f"{len(self.slot_names)} slot array(s) {list(self.slot_names)} for each of "
                f"{len(params)} parameters), got {len(arrays)}; pass the list get_state returned "
                "for the same parameters")
        iterations = arrays[0]
        if iterations.size != 1 or iterations.dtype.kind not in "iu" or iterations.item() < 0:
            raise ValueError(f"{name}.set_state: array 0 (iterations) must hold one "
                             f"non-negative integer, got dtype {iterations.dtype}, shape "
                             f"{iterations.shape}, value(s) {iterations.ravel()[:3].tolist()}")
        for position, array in enumerate(arrays[1:], start=1):
            param_index, slot_index = divmod(position - 1, len(self.slot_names))
            param = params[param_index]
            if array.shape != param.shape or array.dtype != param.dtype:
                raise ValueError(
                    f"{name}.set_state: array {position} (slot {self.slot_names[slot_index]!r} "
                    f"of parameter {param_index}) must have shape {param.shape} and dtype "
                    f"{param.dtype}, got shape {array.shape} and dtype {array.dtype}")
        self.iterations = int(iterations.item())
        for param_index, param in enumerate(params):
            start = 1 + param_index * len(self.slot_names)
            slots = []
            for array in arrays[start:start + len(self.slot_names)]:
                slot = empty_aligned(param.size, param.dtype)
                slot[...] = array.reshape(-1)
                slots.append(slot)
            self._slots[id(param)] = (param, slots)

    # ----- validation and slots --------------------------------------------------------------
    def _slots_of(self, param: Tensor) -> list[np.ndarray]:
        entry = self._slots.get(id(param))
        if entry is None:
            entry = (param, [zeros_aligned(param.size, param.dtype) for _ in self.slot_names])
            self._slots[id(param)] = entry
        slots = entry[1]
        if slots and (slots[0].size != param.size or slots[0].dtype != param.dtype):
            raise ValueError(
                f"{type(self).__name__}: a parameter changed from {slots[0].size} elements of "
                f"{slots[0].dtype} to shape {param.shape} of {param.dtype} after its first "
                "update; update parameters in place (param.data[...] = ...) or use a new "
                "optimizer")
        return slots

    def _check_parameter(self, param: Any) -> Tensor:
        if not isinstance(param, Tensor):
            raise TypeError(f"{type(self).__name__}: parameters must be dlcore Tensors, got "
                            f"{type(param).__name__}; wrap arrays with dlcore.tensor(...)")
        if param.dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}: can only update floating-point "
                            f"parameters, got dtype {param.dtype}")
        return param

    def _flat_gradient(self, grad: Any, param: Tensor) -> np.ndarray:
        """``grad`` as a flat C-contiguous array of the parameter's dtype."""
        array = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=param.dtype)
        if array.shape != param.shape:
            raise ValueError(f"{type(self).__name__}: gradient of shape {array.shape} for a "
                             f"parameter of shape {param.shape}; pass gradients in the same "
                             "order as the parameters (zip(grads, params))")
        return np.ascontiguousarray(array).reshape(-1)

    def _check(self, argument: str, value: Any, low: float, high: float,
               high_inclusive: bool = True) -> float:
        """``value`` as a float, checked to lie in ``[low, high]`` (or ``[low, high)``)."""
        name = type(self).__name__
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: {argument} must be a number, got "
                            f"{type(value).__name__} {value!r}")
        value = float(value)
        inside = low <= value < high or (high_inclusive and value == high)
        if not inside or math.isnan(value):
            bracket = "]" if high_inclusive else ")"
            raise ValueError(f"{name}: {argument} must be in [{low:g}, {high:g}{bracket}, "
                             f"got {value!r}; pass a value in that range")
        return value

    def _check_positive(self, argument: str, value: Any) -> float:
        value = self._check(argument, value, 0.0, math.inf)
        if value == 0.0:
            raise ValueError(f"{type(self).__name__}: {argument} must be > 0, got 0; leave it "
                             "as None to switch clipping off")
        return value

    def _check_epsilon(self, epsilon: float | None) -> float:
        """``epsilon``, with None meaning ``DEFAULT_EPSILON`` (1e-7, Keras's ``K.epsilon()``)."""
        if epsilon is None:
            return DEFAULT_EPSILON
        return self._check("epsilon", epsilon, 0.0, math.inf)

    def _accepted_arguments(self) -> list[str]:
        return ["learning_rate", *self._hyperparameters(), "decay", "clipnorm", "clipvalue",
                "lr (older name of learning_rate)"]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    ``momentum=0``: ``w -= lr * g``. Otherwise, with a velocity ``v`` per parameter,
    ``v = momentum * v - lr * g`` then ``w += v``, or with ``nesterov=True``
    ``w += momentum * v - lr * g``. Slots: ``velocity`` (only when momentum > 0).
    """

    def __init__(self, learning_rate: float = _Default(0.01), momentum: float = 0.0,
                 nesterov: bool = False, decay: float = 0.0, clipnorm: float | None = None,
                 clipvalue: float | None = None, **kwargs: Any) -> None:
        self.momentum = self._check("momentum", momentum, 0.0, 1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        self.slot_names = ("velocity",) if self.momentum > 0.0 else ()
        super().__init__(learning_rate, decay, clipnorm, clipvalue, **kwargs)

    def _update(self, w, g, slots, learning_rate):
        if self.momentum > 0.0:
            kernels.sgd_momentum_update(w, g, slots[0], learning_rate, self.momentum,
                                        self.nesterov)
        else:
            kernels.sgd_update(w, g, learning_rate)

    def _hyperparameters(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop: ``a = rho * a + (1 - rho) * g**2``; ``w -= lr * g / (sqrt(a) + epsilon)``.

    Slots: ``accumulator``. ``epsilon=None`` means 1e-7.
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate: float = _Default(0.001), rho: float = 0.9,
                 epsilon: float | None = None, decay: float = 0.0,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 **kwargs: Any) -> None:
        self.rho = self._check("rho", rho, 0.0, 1.0)
        self.epsilon = self._check_epsilon(epsilon)
        super().__init__(learning_rate, decay, clipnorm, clipvalue, **kwargs)

    def _update(self, w, g, slots, learning_rate):
        kernels.rmsprop_update(w, g, slots[0], learning_rate, self.rho, self.epsilon)

    def _hyperparameters(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adagrad(Optimizer):
    """Adagrad: ``a += g**2`` (from 0); ``w -= lr * g / (sqrt(a) + epsilon)``.

    Slots: ``accumulator``. ``epsilon=None`` means 1e-7.
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate: float = _Default(0.01), epsilon: float | None = None,
                 decay: float = 0.0, clipnorm: float | None = None,
                 clipvalue: float | None = None, **kwargs: Any) -> None:
        self.epsilon = self._check_epsilon(epsilon)
        super().__init__(learning_rate, decay, clipnorm, clipvalue, **kwargs)

    def _update(self, w, g, slots, learning_rate):
        kernels.adagrad_update(w, g, slots[0], learning_rate, self.epsilon)

    def _hyperparameters(self):
        return {"epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam with Keras 2's bias correction folded into the step size.

    ``t = iterations + 1``; ``lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``m = beta_1*m + (1-beta_1)*g``; ``v = beta_2*v + (1-beta_2)*g**2``;
    ``w -= lr_t * m / (sqrt(v) + epsilon)``. Slots: ``m``, ``v``. ``epsilon=None``
    means 1e-7.
    """

    slot_names = ("m", "v")

    def __init__(self, learning_rate: float = _Default(0.001), beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float | None = None, decay: float = 0.0,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 **kwargs: Any) -> None:
        self.beta_1 = self._check("beta_1", beta_1, 0.0, 1.0, high_inclusive=False)
        self.beta_2 = self._check("beta_2", beta_2, 0.0, 1.0, high_inclusive=False)
        self.epsilon = self._check_epsilon(epsilon)
        super().__init__(learning_rate, decay, clipnorm, clipvalue, **kwargs)

    def _update(self, w, g, slots, learning_rate):
        t = self.iterations + 1
        learning_rate_t = learning_rate * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        kernels.adam_update(w, g, slots[0], slots[1], learning_rate_t, self.beta_1, self.beta_2,
                            self.epsilon)

    def _hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


_CLASSES: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad,
                                        "adam": Adam}


def _class_named(name: str) -> type[Optimizer]:
    """The optimizer class for a name such as ``'adam'`` or ``'Adam'``."""
    found = _CLASSES.get(name.lower())
    if found is None:
        raise unknown_name_error("optimizer", name, _CLASSES)
    return found


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer from a name (``'sgd' 'rmsprop' 'adagrad' 'adam'``, any case) or an instance.

    A name gives a new optimizer with the default arguments; an ``Optimizer`` is returned
    as it is.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"optimizer must be a name such as 'adam' or an Optimizer instance "
                        f"such as dlcore.optimizers.Adam(), got {identifier!r}")
    return _class_named(identifier)()
