"""Calling a model-building function and checking that it gave back a compiled model."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..models import Model


def build_compiled_model(build_fn: Callable[..., Model], caller: str,
                         arguments: dict[str, Any] | None = None,
                         meta: dict[str, Any] | None = None) -> Model:
    """``build_fn(**arguments)``, plus each ``meta`` value whose name its signature lists.

    The result must be a dlcore model that is already compiled; ``caller`` names the
    function or class in the error messages.
    """
    if not callable(build_fn):
        raise TypeError(f"{caller}: build_fn must be a function that returns a compiled "
                        f"dlcore model, got {build_fn!r}; pass e.g. build_fn=make_model, "
                        "where make_model builds, compiles and returns a Sequential")
    accepted = inspect.signature(build_fn).parameters
    wanted = {name: value for name, value in (meta or {}).items() if name in accepted}
    model = build_fn(**(arguments or {}), **wanted)
    if not isinstance(model, Model):
        raise TypeError(f"{caller}: build_fn must return a dlcore model such as a Sequential, "
                        f"got {type(model).__name__}; end build_fn with 'return model'")
    if model.optimizer is None or model.loss is None:
        raise ValueError(f"{caller}: build_fn returned the model {model.name!r} uncompiled; "
                         "call model.compile(optimizer='adam', loss=..., metrics=['accuracy']) "
                         "inside build_fn before returning it")
    return model
