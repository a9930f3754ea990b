"""Optimizer update steps, dlcore beside PyTorch CPU, on the parameters of a 784-256-128-10 MLP.

Run from the repository root:  python -m benchmarks.cases_optimizers

Each case times one optimizer step over the six parameter arrays of the MLP (kernels and
biases: 784x256, 256, 256x128, 128, 128x10, 10), float32, with fixed
gradients set once outside the step: ``opt.step(params)`` in dlcore against
``torch.optim.<Optimizer>(params).step()`` with PyTorch's default implementation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore as dl
from benchmarks._timing import Case, optional_torch, run_cases
from dlcore import optimizers

MLP_SHAPES = [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]


def _arrays() -> list[tuple[np.ndarray, np.ndarray]]:
    """(weights, gradient) pairs for the MLP's parameters, float32, fixed seed."""
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(shape).astype(np.float32),
             rng.standard_normal(shape).astype(np.float32)) for shape in MLP_SHAPES]


def _dlcore_step(optimizer: optimizers.Optimizer) -> Callable[[], None]:
    params = []
    for weights, gradient in _arrays():
        param = dl.tensor(weights, requires_grad=True)
        param.grad = gradient
        params.append(param)
    return lambda: optimizer.step(params)


def _torch_step(torch, make_optimizer: Callable) -> Callable[[], None]:
    params = []
    for weights, gradient in _arrays():
        param = torch.nn.Parameter(torch.from_numpy(weights))
        param.grad = torch.from_numpy(gradient)
        params.append(param)
    return make_optimizer(params).step


def cases() -> list[Case]:
    """``(name, dlcore_step, torch_step)`` per case; ``torch_step`` is None without PyTorch."""
    torch = optional_torch()
    specs = [
        ("Adam update, 784-256-128-10 MLP params",
         lambda: optimizers.Adam(learning_rate=1e-3),
         lambda params: torch.optim.Adam(params, lr=1e-3)),
        ("SGD momentum update, same params",
         lambda: optimizers.SGD(learning_rate=0.01, momentum=0.9),
         lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9)),
    ]
    return [(name, _dlcore_step(ours()), None if torch is None else _torch_step(torch, theirs))
            for name, ours, theirs in specs]


if __name__ == "__main__":
    run_cases(cases(), "one optimizer step over the six parameters, float32, median time per step:")
