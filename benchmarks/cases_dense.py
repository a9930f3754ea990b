"""Dense layer, softmax cross-entropy and embedding lookup: dlcore beside PyTorch CPU.

Run from the repository root:  python -m benchmarks.cases_dense

Each case times one forward and backward pass in float32 with a fixed random upstream
gradient, inputs allocated once outside the step:

* "dense 128x784->256": ``linear(x, kernel, bias)`` with x (128, 784) not requiring a
  gradient and kernel (784, 256), bias (256,) requiring one, against ``F.linear``;
* "softmax CE 128x10": ``softmax_cross_entropy`` of (128, 10) logits and integer labels
  against ``F.cross_entropy(reduction='none')``;
* "embedding 64x50 ids, table 1000x64": ``embedding`` of (64, 50) ids in a (1000, 64) table
  against ``F.embedding``.
"""

from __future__ import annotations

import numpy as np

import dlcore as dl
from benchmarks._timing import Case, optional_torch, run_cases
from dlcore.functional.activations import softmax_cross_entropy
from dlcore.functional.embedding import embedding
from dlcore.functional.linear import linear


def _dense(torch, rng: np.random.Generator):
    x = rng.standard_normal((128, 784)).astype(np.float32)
    kernel = (rng.standard_normal((784, 256)) * 0.05).astype(np.float32)
    bias = rng.standard_normal(256).astype(np.float32)
    g = rng.standard_normal((128, 256)).astype(np.float32)
    dl_x, dl_kernel, dl_bias = dl.tensor(x), dl.tensor(kernel, True), dl.tensor(bias, True)

    def ours():
        linear(dl_x, dl_kernel, dl_bias).backward(g)

    if torch is None:
        return ours, None
    t_x, t_g = torch.from_numpy(x), torch.from_numpy(g)
    t_weight = torch.from_numpy(kernel.T.copy()).requires_grad_()
    t_bias = torch.from_numpy(bias).requires_grad_()

    def theirs():
        torch.nn.functional.linear(t_x, t_weight, t_bias).backward(t_g)

    return ours, theirs


def _cross_entropy(torch, rng: np.random.Generator):
    logits = rng.standard_normal((128, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 128)
    g = rng.standard_normal(128).astype(np.float32)
    dl_logits = dl.tensor(logits, True)

    def ours():
        softmax_cross_entropy(dl_logits, labels).backward(g)

    if torch is None:
        return ours, None
    t_logits = torch.from_numpy(logits).requires_grad_()
    t_labels, t_g = torch.from_numpy(labels), torch.from_numpy(g)

    def theirs():
        torch.nn.functional.cross_entropy(t_logits, t_labels, reduction="none").backward(t_g)

    return ours, theirs


def _embedding(torch, rng: np.random.Generator):
    ids = rng.integers(0, 1000, (64, 50))
    table = (rng.standard_normal((1000, 64)) * 0.05).astype(np.float32)
    g = rng.standard_normal((64, 50, 64)).astype(np.float32)
    dl_table = dl.tensor(table, True)

    def ours():
        embedding(ids, dl_table).backward(g)

    if torch is None:
        return ours, None
    t_ids, t_g = torch.from_numpy(ids), torch.from_numpy(g)
    t_table = torch.from_numpy(table).requires_grad_()

    def theirs():
        torch.nn.functional.embedding(t_ids, t_table).backward(t_g)

    return ours, theirs


def cases() -> list[Case]:
    """``(name, dlcore_step, torch_step)`` per case; ``torch_step`` is None without PyTorch."""
    torch = optional_torch()
    rng = np.random.default_rng(0)
    specs = [
        ("dense 128x784->256", _dense),
        ("softmax CE 128x10", _cross_entropy),
        ("embedding 64x50 ids, table 1000x64", _embedding),
    ]
    return [(name, *make(torch, rng)) for name, make in specs]


if __name__ == "__main__":
    run_cases(cases(), "forward + backward, float32, median time per step:")
