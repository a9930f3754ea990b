"""Per-operation overhead of the autodiff engine, beside PyTorch CPU on the same machine.

Run from the repository root:  python -m benchmarks.engine_overhead

Two forward+backward workloads small enough that bookkeeping, not arithmetic, sets the time:
  * ``(w * a).sum()`` on 4-element tensors
  * a linear layer ``x @ W + b`` with x 32x64 and W 64x64, summed
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore as dl
from benchmarks._timing import median_seconds, print_comparison


def dlcore_steps() -> dict[str, Callable[[], None]]:
    rng = np.random.default_rng(0)
    w = dl.tensor(rng.standard_normal(4), requires_grad=True)
    a = dl.tensor(rng.standard_normal(4))
    x = dl.tensor(rng.standard_normal((32, 64)))
    weight = dl.tensor(rng.standard_normal((64, 64)), requires_grad=True)
    bias = dl.tensor(rng.standard_normal(64), requires_grad=True)

    def tiny():
        w.zero_grad()
        (w * a).sum().backward()

    def linear():
        weight.zero_grad()
        bias.zero_grad()
        (x @ weight + bias).sum().backward()

    return {"(w * a).sum(), 4 elements": tiny, "linear 32x64 @ 64x64 + b": linear}


def torch_steps(torch) -> dict[str, Callable[[], None]]:
    rng = np.random.default_rng(0)
    w = torch.tensor(rng.standard_normal(4), dtype=torch.float32, requires_grad=True)
    a = torch.tensor(rng.standard_normal(4), dtype=torch.float32)
    x = torch.tensor(rng.standard_normal((32, 64)), dtype=torch.float32)
    weight = torch.tensor(rng.standard_normal((64, 64)), dtype=torch.float32, requires_grad=True)
    bias = torch.tensor(rng.standard_normal(64), dtype=torch.float32, requires_grad=True)

    def tiny():
        w.grad = None
        (w * a).sum().backward()

    def linear():
        weight.grad = None
        bias.grad = None
        (x @ weight + bias).sum().backward()

    return {"(w * a).sum(), 4 elements": tiny, "linear 32x64 @ 64x64 + b": linear}


def main() -> None:
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch==2.13.0): showing dlcore alone.")
    ours = dlcore_steps()
    theirs = torch_steps(torch) if torch is not None else {}
    if torch is not None:
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"dlcore {dl.__version__}, numpy {np.__version__}")
    rows = []
    for name, step in ours.items():
        their_time = median_seconds(theirs[name]) if name in theirs else None
        rows.append((name, median_seconds(step), their_time))
    print("forward + backward, median time per step:")
    print_comparison(rows)


if __name__ == "__main__":
    main()
