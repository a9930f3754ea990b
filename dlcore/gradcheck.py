"""``gradcheck``: compare a backward pass with central finite differences, in float64.

For a function ``f`` with output ``z`` and a random upstream gradient ``v`` (never all
ones: a wrong backward can hide behind a sum), the scalar ``L = sum(v * f(x))`` has

    dL/dx[i]  ~  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

with an error of order eps**2. ``backward(v)`` must give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s backward against finite differences; return True or raise AssertionError.

    The inputs checked are the Tensors with ``requires_grad=True`` and the floating numpy
    arrays; each is copied to float64 first. Other inputs (integer indices, flags) are passed
    through unchanged. ``fn`` must compute in float64 (every tensor it creates too), since
    float32 rounding swamps a finite difference with ``eps=1e-6``.

    An element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``. The first
    element that fails is reported with the input's position, the element's index and both
    values.
    """
    arguments = list(inputs)
    checked = [i for i, x in enumerate(inputs) if _is_checked(x)]
    if not checked:
        raise ValueError(
            "gradcheck needs at least one input to differentiate: pass a Tensor with "
            "requires_grad=True or a floating numpy array"
        )
    for i in checked:
        arguments[i] = Tensor(np.array(np.asarray(inputs[i]), dtype=np.float64), requires_grad=True)

    output = fn(*arguments)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    if output.dtype != np.float64:
        raise TypeError(
            f"gradcheck: fn returned a {output.dtype} tensor; finite differences need float64 "
            "throughout. Create every tensor inside fn with dtype='float64'."
        )
    upstream = np.random.default_rng(seed).standard_normal(output.shape)
    output.backward(upstream)

    def loss() -> float:
        with no_grad():
            return float(np.sum(upstream * fn(*arguments).data))

    for i in checked:
        x = arguments[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad
        flat = x.data.reshape(-1)  # a view: perturbing it perturbs x
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            loss_plus = loss()
            flat[j] = original - eps
            loss_minus = loss()
            flat[j] = original
            numeric = (loss_plus - loss_minus) / (2 * eps)
            exact = analytic.reshape(-1)[j]
            if not abs(exact - numeric) <= atol + rtol * abs(numeric):
                index = np.unravel_index(j, x.shape) if x.ndim else ()
                raise AssertionError(
                    f"gradcheck failed for input {i} (shape {x.shape}) at index "
                    f"{tuple(int(k) for k in index)}: backward gives {exact:.10g}, finite "
                    f"differences give {numeric:.10g} (tolerance atol={atol:g} + "
                    f"rtol={rtol:g} * |numeric|)"
                )
    return True


def _is_checked(value: Any) -> bool:
    if isinstance(value, Tensor):
        return value.requires_grad
    return isinstance(value, (np.ndarray, np.floating)) and np.issubdtype(value.dtype, np.floating)
