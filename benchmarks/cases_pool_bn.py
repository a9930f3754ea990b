"""Pooling and batch normalization, forward + backward, dlcore beside PyTorch CPU.

Run from the repository root:  python -m benchmarks.cases_pool_bn

Cases:
  * "max pool": x 64x28x28x32 (NHWC; NCHW for PyTorch), 2x2 windows, stride 2
  * "batch norm": x 128x256 in training mode (batch statistics, moving statistics updated)
"""

from __future__ import annotations

import numpy as np

import dlcore as dl
from benchmarks._timing import Case, optional_torch, run_cases
from dlcore.functional.normalization import batch_norm
from dlcore.functional.pooling import max_pool2d


def _max_pool_case(torch) -> Case:
    rng = np.random.default_rng(0)
    x_array = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    g_array = rng.standard_normal((64, 14, 14, 32)).astype(np.float32)
    x = dl.tensor(x_array, requires_grad=True)

    def dlcore_step():
        x.zero_grad()
        max_pool2d(x, 2).backward(g_array)

    if torch is None:
        return "max pool", dlcore_step, None
    x_torch = torch.tensor(x_array.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    g_torch = torch.tensor(g_array.transpose(0, 3, 1, 2).copy())

    def torch_step():
        x_torch.grad = None
        torch.nn.functional.max_pool2d(x_torch, 2).backward(g_torch)

    return "max pool", dlcore_step, torch_step


def _batch_norm_case(torch) -> Case:
    rng = np.random.default_rng(1)
    features = 256
    x_array = rng.standard_normal((128, features)).astype(np.float32)
    g_array = rng.standard_normal((128, features)).astype(np.float32)
    x = dl.tensor(x_array, requires_grad=True)
    gamma = dl.tensor(np.ones(features, dtype=np.float32), requires_grad=True)
    beta = dl.tensor(np.zeros(features, dtype=np.float32), requires_grad=True)
    moving_mean = np.zeros(features, dtype=np.float32)
    moving_variance = np.ones(features, dtype=np.float32)

    def dlcore_step():
        for t in (x, gamma, beta):
            t.zero_grad()
        batch_norm(x, gamma, beta, moving_mean, moving_variance, True).backward(g_array)

    if torch is None:
        return "batch norm", dlcore_step, None
    x_torch = torch.tensor(x_array, requires_grad=True)
    gamma_torch = torch.ones(features, requires_grad=True)
    beta_torch = torch.zeros(features, requires_grad=True)
    running_mean, running_var = torch.zeros(features), torch.ones(features)
    g_torch = torch.tensor(g_array)

    def torch_step():
        for t in (x_torch, gamma_torch, beta_torch):
            t.grad = None
        torch.nn.functional.batch_norm(
            x_torch, running_mean, running_var, gamma_torch, beta_torch,
            training=True, momentum=0.01, eps=1e-3,
        ).backward(g_torch)

    return "batch norm", dlcore_step, torch_step


def cases() -> list[Case]:
    """``(name, dlcore_step, torch_step)`` per case; ``torch_step`` is None without PyTorch."""
    torch = optional_torch()
    return [_max_pool_case(torch), _batch_norm_case(torch)]


if __name__ == "__main__":
    run_cases(cases(), "forward + backward, median time per step:")
