"""How accurate is a finite difference? The error against the exact derivative, step by step.

For a smooth ``f`` and a step ``h``, the two difference quotients and their errors are::

    forward   (f(x + h) - f(x)) / h              truncation error ~ |f''(x)| h / 2
    central   (f(x + h) - f(x - h)) / (2 h)      truncation error ~ |f'''(x)| h**2 / 6

Both also suffer round-off: ``f`` is known only to about ``eps |f(x)|`` (``eps`` is the
machine epsilon of the dtype, 2.2e-16 for float64 and 1.2e-7 for float32), and the
subtraction of two nearly equal numbers divided by a small ``h`` turns that into an
error of about ``eps |f(x)| / h``. Truncation falls as ``h`` shrinks, round-off grows:
the total error against ``h`` on a log-log plot is a V, and the bottom of the V is the
best step.

``finite_difference_errors`` computes both quotients in the requested dtype (float32 or
float64: ``x``, ``h`` and every operation in that precision) and compares them with the
exact derivative computed in float64.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ._checks import checked_choice


@dataclass(frozen=True)
class SmoothFunction:
    """A smooth function of one variable and its exact derivative, on a domain."""

    formula: str
    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    domain: tuple[float, float]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


FUNCTIONS: dict[str, SmoothFunction] = {
    "sin": SmoothFunction(r"\sin x", np.sin, np.cos, (-3.0, 3.0)),
    "exp": SmoothFunction(r"e^x", np.exp, np.exp, (-3.0, 3.0)),
    "tanh": SmoothFunction(r"\tanh x", np.tanh, lambda x: 1 - np.tanh(x) ** 2, (-3.0, 3.0)),
    "sigmoid": SmoothFunction(r"\sigma(x)", _sigmoid,
                            lambda x: _sigmoid(x) * (1 - _sigmoid(x)), (-3.0, 3.0)),
    "log": SmoothFunction(r"\log x", np.log, lambda x: 1 / x, (0.1, 3.0)),
    "cube": SmoothFunction(r"x^3", lambda x: x ** 3, lambda x: 3 * x ** 2, (-3.0, 3.0)),
}

DTYPES = ("float32", "float64")


def default_steps() -> np.ndarray:
    """The step sizes the explorer sweeps: 57 values from 1e-14 to 1, four per decade."""
    return np.logspace(-14, 0, 57)


class FiniteDifferenceErrors(NamedTuple):
    """Absolute errors ``|quotient - f'(x)|``, one per step, for both difference quotients."""

    steps: np.ndarray
    central: np.ndarray
    forward: np.ndarray


def finite_difference_errors(function_name: str, x: float, steps: Any = None,
                             dtype: Any = "float64") -> FiniteDifferenceErrors:
    """Errors of the central and forward differences of ``function_name`` at ``x``.

    ``function_name`` is a key of ``FUNCTIONS``; ``x`` must lie in its domain; ``steps``
    are positive step sizes (default ``default_steps()``); ``dtype`` is ``"float32"`` or
    ``"float64"``. The point and the steps are rounded to ``dtype`` first and every
    operation runs in it; the exact derivative is taken in float64 at the rounded point, so
    the errors measure the differencing alone. An error can be exactly 0 when the rounding
    happens to cancel; a step too small to change ``x`` in ``dtype`` gives the quotient 0
    and the error ``|f'(x)|``. A step that leaves the function's domain (``log`` at
    ``x - h <= 0``) gives NaN.
    """
    caller = "finite_difference_errors"
    checked_choice(caller, "function_name", function_name, FUNCTIONS)
    chosen = FUNCTIONS[function_name]
    low, high = chosen.domain
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{caller}: x must be a number, got {type(x).__name__} {x!r}")
    if not low <= x <= high:
        raise ValueError(f"{caller}: x must be in the domain [{low:g}, {high:g}] of "
                         f"{function_name!r}, got {x!r}; pass a point inside it")
    x = float(x)
    dtype = np.dtype(dtype)
    checked_choice(caller, "dtype", dtype.name, DTYPES)
    steps = default_steps() if steps is None else np.asarray(steps, dtype=np.float64)
    if steps.ndim != 1 or steps.size == 0 or not np.all(np.isfinite(steps)) or np.any(steps <= 0):
        raise ValueError(f"{caller}: steps must be a non-empty 1-D array of positive finite "
                         f"numbers, got {steps!r}")
    point = np.asarray(x, dtype=dtype)
    h = steps.astype(dtype)
    exact = float(chosen.derivative(np.float64(point)))
    f = chosen.function
    with np.errstate(all="ignore"):
        central = (f(point + h) - f(point - h)) / (h + h)
        forward = (f(point + h) - f(point)) / h
    return FiniteDifferenceErrors(steps, np.abs(central.astype(np.float64) - exact),
                                  np.abs(forward.astype(np.float64) - exact))


def best_step(steps: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """``(h, error)`` at the bottom of the V: the step with the smallest error.

    Steps whose error is NaN (``x - h`` left the domain, as for ``log``) are skipped.
    """
    i = int(np.nanargmin(errors))
    return float(steps[i]), float(errors[i])


def round_off_model(steps: np.ndarray, function_name: str, x: float, dtype: Any) -> np.ndarray:
    """The round-off estimate ``eps |f(x)| / h`` of the central difference, for plotting."""
    eps = np.finfo(np.dtype(dtype)).eps
    return eps * max(abs(float(FUNCTIONS[function_name].function(np.float64(x)))), 1e-3) / steps


def truncation_model(steps: np.ndarray, function_name: str, x: float) -> np.ndarray:
    """The truncation estimate ``|f'''(x)| h**2 / 6`` of the central difference, for plotting.

    ``f'''`` is itself estimated by a finite difference of the exact ``f'`` (in float64,
    with a large step), which is plenty for a guide line.
    """
    d = FUNCTIONS[function_name].derivative
    k = 1e-3
    third = abs((d(np.float64(x + k)) - 2 * d(np.float64(x)) + d(np.float64(x - k))) / k ** 2)
    return max(third, 1e-3) * steps ** 2 / 6
