"""LSTM and SimpleRNN over a whole sequence: dlcore beside PyTorch CPU.

Run from the repository root:  python -m benchmarks.cases_recurrent

Each case times one forward and backward pass in float32 of 64 sequences of 50 steps,
32 features -> 128 units, keeping only the last hidden state (``return_sequences=False``),
with a fixed random upstream gradient; inputs are allocated once outside the step, x does
not require a gradient, the weights do:

* "LSTM 64x50x32->128": ``lstm(x, kernel, recurrent_kernel, bias)`` against
  ``torch.nn.LSTM(32, 128, batch_first=True)`` (torch's fused LSTM);
* "SimpleRNN 64x50x32->128": ``simple_rnn(...)`` against ``torch.nn.RNN`` (tanh).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import dlcore as dl
from benchmarks._timing import Case, optional_torch, run_cases
from dlcore.functional.recurrent import lstm, simple_rnn

BATCH, STEPS, FEATURES, UNITS = 64, 50, 32, 128


def _recurrent_case(torch, rng: np.random.Generator, op: Callable, gates: int, module: str):
    x = rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32)
    kernel = (0.1 * rng.standard_normal((FEATURES, gates * UNITS))).astype(np.float32)
    recurrent_kernel = (0.1 * rng.standard_normal((UNITS, gates * UNITS))).astype(np.float32)
    bias = (0.1 * rng.standard_normal(gates * UNITS)).astype(np.float32)
    g = rng.standard_normal((BATCH, UNITS)).astype(np.float32)
    weights = [dl.tensor(w, requires_grad=True) for w in (kernel, recurrent_kernel, bias)]
    dl_x = dl.tensor(x)

    def ours():
        op(dl_x, *weights).backward(g)

    if torch is None:
        return ours, None
    twin = getattr(torch.nn, module)(FEATURES, UNITS, batch_first=True)
    t_x, t_g = torch.from_numpy(x), torch.from_numpy(g)

    def theirs():
        twin(t_x)[0][:, -1].backward(t_g)

    return ours, theirs


def cases() -> list[Case]:
    """``(name, dlcore_step, torch_step)`` per case; ``torch_step`` is None without PyTorch."""
    torch = optional_torch()
    rng = np.random.default_rng(0)
    size = f"{BATCH}x{STEPS}x{FEATURES}->{UNITS}"
    return [
        (f"LSTM {size}", *_recurrent_case(torch, rng, lstm, 4, "LSTM")),
        (f"SimpleRNN {size}", *_recurrent_case(torch, rng, simple_rnn, 1, "RNN")),
    ]


if __name__ == "__main__":
    run_cases(cases(), "forward + backward, float32, median time per step:")
