"""Where does each optimizer go on a 2-D surface? Paths computed with dlcore itself.

The parameter is one dlcore Tensor ``w = (x, y)``; each step is exactly a training step::

    loss = surface.function(w[0], w[1])    # dlcore Tensor ops record the graph
    loss.backward()                        # autodiff: w.grad = (df/dx, df/dy)
    optimizer.step([w])                    # dlcore.optimizers updates w.data in place

so the paths show the update rules of ``dlcore.optimizers`` (SGD with momentum or
Nesterov, RMSprop, Adagrad, Adam) with their real hyperparameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop
from ..tensor import tensor
from ._checks import checked_choice, checked_int
from .surfaces import Surface, get_surface

# name -> (optimizer class, the hyperparameters that make it what its name says)
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (RMSprop, {"rho": 0.9}),
    "adagrad": (Adagrad, {}),
    "adam": (Adam, {"beta_1": 0.9, "beta_2": 0.999}),
}


def make_optimizer(name: str, settings: dict[str, Any] | None = None) -> Optimizer:
    """A new optimizer for ``name`` in ``OPTIMIZERS``, with ``settings`` overriding defaults.

    ``settings`` holds constructor arguments (``learning_rate``, ``momentum``, ...); it may
    also hold ``"optimizer"``, the ``OPTIMIZERS`` entry to use when ``name`` is a free
    label, e.g. ``make_optimizer("fast sgd", {"optimizer": "sgd", "learning_rate": 0.1})``.
    """
    settings = dict(settings or {})
    kind = checked_choice("make_optimizer", "optimizer", settings.pop("optimizer", name),
                          OPTIMIZERS)
    optimizer_class, defaults = OPTIMIZERS[kind]
    return optimizer_class(**{**defaults, **settings})


def tuned_settings(names: Iterable[str], learning_rate: float,
                   **hyperparameters: Any) -> dict[str, dict[str, Any]]:
    """One settings dict per optimizer from a single set of slider values.

    Every optimizer gets ``learning_rate``; any other hyperparameter goes only to the
    optimizers whose ``OPTIMIZERS`` entry sets it (``momentum`` to momentum and nesterov,
    ``beta_1`` and ``beta_2`` to adam, ``rho`` to rmsprop), so plain SGD stays plain.
    """
    settings = {}
    for name in names:
        own = OPTIMIZERS[checked_choice("tuned_settings", "optimizer", name, OPTIMIZERS)][1]
        settings[name] = {"learning_rate": learning_rate,
                          **{key: value for key, value in hyperparameters.items() if key in own}}
    return settings


def descend(function: Callable[[Any, Any], Any], optimizer: Optimizer,
            start: tuple[float, float], steps: int) -> np.ndarray:
    """The points ``optimizer`` visits while minimising ``function(x, y)`` from ``start``.

    Returns an array of shape ``(k + 1, 2)``: the start, then one point per step. Normally
    ``k = steps``; a path that diverges ends at its last finite point (``k < steps``), so a
    NaN or an infinity is never returned, and a short path means divergence.
    """
    point = tensor(np.array(start, dtype=np.float64), requires_grad=True)
    path = [point.data.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            loss = function(point[0], point[1])
            loss.backward()
            optimizer.step([point])
            point.zero_grad()
            if not np.all(np.isfinite(point.data)):
                break
            path.append(point.data.copy())
    return np.array(path)


def optimizer_paths(surface: str | Surface,
                    optimizers: dict[str, dict[str, Any]] | list[str] | tuple[str, ...],
                    steps: int = 100,
                    start: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Each optimizer's path on ``surface``: name -> array ``(steps + 1, 2)`` of (x, y) points.

    ``optimizers`` is a list of names in ``OPTIMIZERS`` (default hyperparameters) or a dict
    name -> settings for ``make_optimizer``. ``start`` defaults to the surface's own start.
    A diverging path stops at its last finite point and is then shorter (see ``descend``).
    """
    surface = get_surface(surface)
    if isinstance(optimizers, (list, tuple)):
        optimizers = {name: {} for name in optimizers}
    if not isinstance(optimizers, dict):
        raise TypeError("optimizer_paths: optimizers must be a list of names such as "
                        f"['sgd', 'adam'] or a dict name -> settings, got {optimizers!r}")
    steps = checked_int("optimizer_paths", "steps", steps, low=0)
    start = surface.start if start is None else start
    if np.shape(start) != (2,) or not np.all(np.isfinite(start)):
        raise ValueError(f"optimizer_paths: start must be a finite point (x, y), got {start!r}")
    return {name: descend(surface.function, make_optimizer(name, settings), start, steps)
            for name, settings in optimizers.items()}
