"""Benchmark: conv2d forward + backward (x, kernel and bias all need gradients), dlcore vs PyTorch.

Run from the repository root: ``python -m benchmarks.cases_conv``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore as dl
from benchmarks._timing import Case, optional_torch, run_cases
from dlcore.functional.conv import conv2d

# name: (batch, rows, cols, in_channels, filters, kernel_size, padding); with stride 1 and an
# odd kernel, PyTorch's padding="same" pads like Keras (evenly), so both compute the same thing

SHAPES = {
    "conv LeNet-1": (64, 28, 28, 1, 6, 5, "same"),
    "conv small-2": (64, 14, 14, 32, 64, 3, "same"),
}


def _dlcore_step(x, kernel, bias, g, padding) -> Callable[[], object]:
    leaves = [dl.tensor(a, requires_grad=True) for a in (x, kernel, bias)]

    def step() -> None:
        for leaf in leaves:
            leaf.zero_grad()
        conv2d(*leaves, strides=1, padding=padding).backward(g)

    return step


def _torch_step(x, kernel, bias, g, padding) -> Callable[[], object] | None:
    torch = optional_torch()
    if torch is None:
        return None
    leaves = [
        torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True),
        torch.tensor(kernel.transpose(3, 2, 0, 1).copy(), requires_grad=True),
        torch.tensor(bias, requires_grad=True),
    ]
    upstream = torch.tensor(g.transpose(0, 3, 1, 2).copy())

    def step() -> None:
        for leaf in leaves:
            leaf.grad = None
        torch.nn.functional.conv2d(*leaves, padding=padding).backward(upstream)

    return step


def cases() -> list[Case]:
    """``(name, dlcore_step, torch_step)`` per case; torch_step is None without PyTorch."""
    rng = np.random.default_rng(0)
    result = []
    for name, (batch, rows, cols, channels, filters, size, padding) in SHAPES.items():
        x = rng.standard_normal((batch, rows, cols, channels), dtype=np.float32)
        kernel = rng.standard_normal((size, size, channels, filters), dtype=np.float32) * 0.1
        bias = rng.standard_normal(filters, dtype=np.float32)
        g = rng.standard_normal((batch, rows, cols, filters), dtype=np.float32)
        args = (x, kernel, bias, g, padding)
        result.append((name, _dlcore_step(*args), _torch_step(*args)))
    return result


if __name__ == "__main__":
    run_cases(cases(), "forward + backward, float32, median time per step:")
