"""dlcore: learn deep learning by building it.

Low level: ``dlcore.tensor`` makes a ``Tensor`` with reverse-mode autodiff,
``dlcore.gradcheck`` checks a backward against finite differences, and
``dlcore.functional`` holds the differentiable neural-network ops.
High level, as in Keras: ``dlcore.models``, ``dlcore.layers``, ``dlcore.losses``,
``dlcore.optimizers``, ``dlcore.metrics``, ``dlcore.callbacks``, ``dlcore.utils``,
``dlcore.datasets``; ``dlcore.introspection`` reads a model's layer outputs and gradients.
The modules that load heavier libraries are imported on first use: ``dlcore.plot``
(matplotlib), ``dlcore.widgets`` and ``dlcore.explore`` (ipywidgets), ``dlcore.model_selection``
(scikit-learn's estimators) and ``dlcore.exercises``.

Importing dlcore compiles nothing: each numba kernel compiles on its first call and is
cached on disk for later processes.
"""

import importlib

from . import (
    callbacks,
    datasets,
    functional,
    initializers,
    introspection,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    regularizers,
    utils,
)
from .autograd import is_grad_enabled, no_grad
from .gradcheck import gradcheck
from .tensor import Tensor, tensor
from .version import __version__

_LOADED_ON_FIRST_USE = ("plot", "widgets", "explore", "model_selection", "exercises")


def __getattr__(name: str):
    """``dlcore.plot`` and the other heavier modules, imported when first asked for."""
    if name in _LOADED_ON_FIRST_USE:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'dlcore' has no attribute {name!r}")


__all__ = ["Tensor", "tensor", "no_grad", "is_grad_enabled", "gradcheck", "functional",
           "layers", "models", "losses", "metrics", "optimizers", "callbacks", "initializers",
           "utils", "datasets", "introspection", "preprocessing", "regularizers",
           "__version__"]
