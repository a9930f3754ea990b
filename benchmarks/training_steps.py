"""Keras-level training steps and predictions: dlcore beside PyTorch CPU.

Run from the repository root:  python -m benchmarks.training_steps [name filter ...]

Every workload is built twice from the same description, float32 throughout, inputs fixed
random arrays created once:

* dlcore: ``Sequential`` + ``compile`` + one ``model.train_on_batch(x, y)`` per step, with
  integer labels and ``loss='sparse_categorical_crossentropy'`` on softmax outputs, as a Keras
  user writes it; predictions with ``model.predict(x, batch_size=256)``.
* PyTorch: the equivalent ``torch.nn.Sequential`` in NCHW, one step being ``zero_grad``,
  forward, ``CrossEntropyLoss`` on the logits, ``backward``, ``step`` and ``loss.item()``
  (``train_on_batch`` returns the loss as a float too); predictions under ``no_grad`` in
  ``eval`` mode, followed by a softmax. Optimizers use Keras's defaults on both sides
  (Adam ``lr=1e-3, eps=1e-7``; SGD ``lr=0.01, momentum=0.9``); batch norm uses Keras's
  ``momentum=0.99, epsilon=1e-3``.

Each library is timed alone in a fresh process (PyTorch's OpenMP threads keep spinning
after each call and would slow dlcore's BLAS threads down, and the reverse), five processes
per library taking turns, dlcore then PyTorch. The table shows each library's median over
its processes and the median of the five dlcore/PyTorch ratios of neighbouring processes,
with their range: other work on the machine moves single runs, the median of alternating
runs much less.

The first dlcore step is timed on its own: it includes numba's compilation of each kernel
(or the loading of its on-disk cache) and the creation of the optimizer slots; with
``NUMBA_CACHE_DIR`` pointing at an empty folder it shows the cold compilation
(``python -m benchmarks.startup`` measures both, and the import).

Efficiency: the FLOPs of the dense and convolution matmuls of each step are counted from
the layer shapes, and the step's GFLOP/s are shown as a share of what numpy's own float32
matmul reaches on this machine in the same run (in a fresh process before each dlcore
process; the best counts): the practical limit.

Arguments keep only the workloads whose name contains one of them (``python -m
benchmarks.training_steps LeNet``).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numba
import numpy as np
from threadpoolctl import threadpool_info

import dlcore as dl
from benchmarks._timing import (
    MATMUL_SIZE,
    format_duration,
    matmul_gflops,
    median_seconds,
    run_fresh_process,
)
from dlcore.layers import (
    LSTM,
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)

CLASSES = 10
ALTERNATIONS = 5
MODULE = "benchmarks.training_steps"  # this script, run again in a fresh process per timing


@dataclass(frozen=True)
class Workload:
    """One row of the table: the same network described for each library."""

    name: str
    batch: int
    sample_shape: tuple[int, ...]  # one dlcore sample: (features,), (rows, cols, channels) ...
    dlcore_layers: Callable[[], list]
    torch_layers: Callable[[Any], list]  # gets torch.nn
    optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    predict: bool = False


def mlp_dlcore(widths: tuple[int, ...], normalise: bool = False) -> Callable[[], list]:
    def layers() -> list:
        hidden = []
        for units in widths[1:]:
            if normalise:
                hidden += [Dense(units), BatchNormalization(), Activation("relu"), Dropout(0.5)]
            else:
                hidden.append(Dense(units, activation="relu"))
        return [*hidden, Dense(CLASSES, activation="softmax")]
    return layers


def mlp_torch(widths: tuple[int, ...], normalise: bool = False) -> Callable[[Any], list]:
    def layers(nn) -> list:
        hidden = []
        for inputs, units in pairwise(widths):
            hidden.append(nn.Linear(inputs, units))
            if normalise:
                hidden += [nn.BatchNorm1d(units, eps=1e-3, momentum=0.01), nn.ReLU(),
                           nn.Dropout(0.5)]
            else:
                hidden.append(nn.ReLU())
        return [*hidden, nn.Linear(widths[-1], CLASSES)]
    return layers


def lenet_dlcore() -> list:
    return [Conv2D(6, 5, padding="same", activation="relu"), MaxPooling2D(2),
            Conv2D(16, 5, activation="relu"), MaxPooling2D(2), Flatten(),
            Dense(120, activation="relu"), Dense(84, activation="relu"),
            Dense(CLASSES, activation="softmax")]


def lenet_torch(nn) -> list:
    return [nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, CLASSES)]


def convnet_dlcore() -> list:
    return [Conv2D(32, 3, padding="same", activation="relu"), MaxPooling2D(2),
            Conv2D(64, 3, padding="same", activation="relu"), MaxPooling2D(2), Flatten(),
            Dense(CLASSES, activation="softmax")]


def convnet_torch(nn) -> list:
    return [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(7 * 7 * 64, CLASSES)]


def lstm_dlcore() -> list:
    return [LSTM(128), Dense(CLASSES, activation="softmax")]


def lstm_torch(nn) -> list:
    class LastOutput(nn.Module):
        """nn.LSTM (fused) keeping the output of the last time step, like Keras's LSTM."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(32, 128, batch_first=True)

        def forward(self, x):
            return self.lstm(x)[0][:, -1]

    return [LastOutput(), nn.Linear(128, CLASSES)]


SMALL_MLP, MNIST_MLP = (64, 128, 64), (784, 256, 128)
WORKLOADS = [
    Workload("MLP 64-128-64-10, b32, Adam", 32, (64,), mlp_dlcore(SMALL_MLP),
             mlp_torch(SMALL_MLP)),
    Workload("MLP 784-256-128-10, b128, Adam", 128, (784,), mlp_dlcore(MNIST_MLP),
             mlp_torch(MNIST_MLP)),
    Workload("MLP 784 + BN/ReLU/Dropout, b128, Adam", 128, (784,),
             mlp_dlcore(MNIST_MLP, normalise=True), mlp_torch(MNIST_MLP, normalise=True)),
    Workload("LeNet-5, b64, SGD momentum", 64, (28, 28, 1), lenet_dlcore, lenet_torch, "sgd"),
    Workload("conv 32-64 3x3, b64, Adam", 64, (28, 28, 1), convnet_dlcore, convnet_torch),
    Workload("LSTM(128) 50x32, b64, Adam", 64, (50, 32), lstm_dlcore, lstm_torch),
    Workload("predict MLP 784, b256", 256, (784,), mlp_dlcore(MNIST_MLP), mlp_torch(MNIST_MLP),
             predict=True),
    Workload("predict LeNet-5, b256", 256, (28, 28, 1), lenet_dlcore, lenet_torch,
             predict=True),
]


def inputs(workload: Workload) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random batch (dlcore layout) and its integer labels."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((workload.batch, *workload.sample_shape)).astype(np.float32)
    return x, rng.integers(0, CLASSES, workload.batch)


def dlcore_step(workload: Workload, x: np.ndarray, labels: np.ndarray) -> Callable[[], object]:
    model = dl.models.Sequential(workload.dlcore_layers())
    model.build((None, *workload.sample_shape))
    if workload.predict:
        return lambda: model.predict(x, batch_size=workload.batch)
    optimizer = (dl.optimizers.Adam() if workload.optimizer == "adam"
                 else dl.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return lambda: model.train_on_batch(x, labels)


def torch_step(torch, workload: Workload, x: np.ndarray,
               labels: np.ndarray) -> Callable[[], object]:
    model = torch.nn.Sequential(*workload.torch_layers(torch.nn))
    images = x.ndim == 4
    x_torch = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if images else x)
    if workload.predict:
        model.eval()

        def predict():
            with torch.no_grad():
                return model(x_torch).softmax(dim=1).numpy()
        return predict
    labels_torch = torch.from_numpy(labels)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = (torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
                 if workload.optimizer == "adam"
                 else torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))

    def train():
        optimizer.zero_grad()
        loss = loss_fn(model(x_torch), labels_torch)
        loss.backward()
        optimizer.step()
        return loss.item()
    return train


def build_step(library: str, name: str) -> Callable[[], object]:
    """One step of the workload called ``name`` for ``library`` ("dlcore" or "torch")."""
    workload = next(w for w in WORKLOADS if w.name == name)
    x, labels = inputs(workload)
    if library == "torch":
        import torch

        torch.set_num_threads(2)
        torch.manual_seed(0)
        return torch_step(torch, workload, x, labels)
    dl.utils.set_random_seed(0)
    return dlcore_step(workload, x, labels)


def time_in_this_process(library: str, name: str) -> dict:
    """Build one workload for one library here, time its first step and its median step."""
    step = build_step(library, name)
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    return {"first": first, "median": median_seconds(step, min_seconds=0.3)}


def matmul_flops(workload: Workload) -> int | None:
    """Floating-point operations of the dense and convolution layers in one step, counted
    analytically; None for models with other layers that do matmuls (LSTM).

    Each Dense or Conv2D layer is a matmul of 2 * M * N * K operations: M rows (batch times
    output pixels), K inputs (kernel height * width * channels), N outputs, so that N * K is
    the kernel's size. Predicting does the forward matmul only; training does three, forward,
    dx and dW, except the first layer, whose input needs no gradient.
    """
    model = dl.models.Sequential(workload.dlcore_layers())
    model.build((None, *workload.sample_shape))
    if any(isinstance(layer, LSTM) for layer in model.layers):
        return None
    per_layer = [2 * workload.batch * math.prod(layer.output_shape[1:-1]) * layer.kernel.size
                 for layer in model.layers if isinstance(layer, Dense | Conv2D)]
    return sum(per_layer) if workload.predict else 3 * sum(per_layer) - per_layer[0]


def describe_threads() -> str:
    """Each thread pool in the process (threadpoolctl comes with scikit-learn) and its size."""
    parts = [f"numba {numba.__version__}: {numba.config.NUMBA_NUM_THREADS} threads"]
    parts += [f"{pool['prefix']} ({pool['internal_api']}): {pool['num_threads']} threads"
              for pool in threadpool_info()]
    return "; ".join(parts) + "; PyTorch: 2 threads"


def print_efficiency(rates: list[tuple[str, int, float, float | None]], limit: float) -> None:
    """Print ``(case, FLOPs per step, dlcore seconds, PyTorch seconds or None)`` as GFLOP/s
    and as a share of ``limit``, numpy's matmul rate in GFLOP/s."""
    print(f"\nachieved GFLOP/s of the dense and convolution matmuls (2*M*N*K each, from the "
          f"layer shapes)\nagainst the practical limit, numpy's float32 "
          f"{MATMUL_SIZE}x{MATMUL_SIZE}x{MATMUL_SIZE} matmul (best of the\nprocesses run "
          f"before each dlcore process): {limit:.1f} GFLOP/s")
    width = max(len(name) for name, *_ in rates)
    headings = ("dlcore GFLOP/s (% of limit)", "PyTorch GFLOP/s (% of limit)")
    print(f"{'case':<{width}}  {'GFLOP/step':>10}" + "".join(f"  {h:>28}" for h in headings))
    for name, flops, *times in rates:
        cells = ["n/a" if seconds is None
                 else f"{flops / seconds / 1e9:7.1f} ({flops / seconds / 1e9 / limit:6.1%})"
                 for seconds in times]
        print(f"{name:<{width}}  {flops / 1e9:10.3f}" + "".join(f"  {c:>28}" for c in cells))


def print_alternations(rows: list[tuple[str, list[float], list[float]]]) -> None:
    """Print ``(case, dlcore seconds per process, PyTorch seconds per process)`` rows: the
    median time of each library, and the median and range of the paired ratios."""
    width = max(len(name) for name, _, _ in rows)
    print(f"{'case':<{width}}  {'dlcore':>11}  {'PyTorch':>11}  {'ratio':>6}  {'range':>11}")
    for name, ours, theirs in rows:
        line = f"{name:<{width}}  {format_duration(statistics.median(ours))}"
        if theirs:
            ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
            line += (f"  {format_duration(statistics.median(theirs))}  "
                     f"{statistics.median(ratios):6.2f}  {min(ratios):5.2f}-{max(ratios):<5.2f}")
        print(line)
    print(f"ratio = dlcore time / PyTorch time (below 1.0: dlcore is faster), the median of "
          f"{ALTERNATIONS} pairs\nof neighbouring processes; range: the lowest and highest "
          "pair")


def main(filters: list[str]) -> None:
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch==2.13.0): showing dlcore alone.")
    print(f"dlcore {dl.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}"
          + (f", PyTorch {torch.__version__}" if torch is not None else ""))
    print(describe_threads())
    rows, first_steps, rates, limits = [], [], [], []
    for workload in WORKLOADS:
        if filters and not any(word.lower() in workload.name.lower() for word in filters):
            continue
        ours, theirs = [], []
        for _ in range(ALTERNATIONS):
            limits.append(run_fresh_process(MODULE, "--blas")["gflops"])
            ours.append(run_fresh_process(MODULE, "--time", "dlcore", workload.name))
            if torch is not None:
                theirs.append(run_fresh_process(MODULE, "--time", "torch", workload.name))
        first_steps.append((workload.name, ours[0]["first"]))
        rows.append((workload.name, [run["median"] for run in ours],
                     [run["median"] for run in theirs]))
        flops = matmul_flops(workload)
        if flops is not None:
            rates.append((workload.name, flops, statistics.median(rows[-1][1]),
                          statistics.median(rows[-1][2]) if theirs else None))
    print("\ndlcore's first step in a fresh process (numba cache loading or compilation, "
          "optimizer slots):")
    for name, seconds in first_steps:
        print(f"  {name:<40} {format_duration(seconds)}")
    print("\nmedian time per step (training: forward, loss, backward, update; predict: one "
          "batch):")
    print_alternations(rows)
    print(f"Each library runs alone in its own process; each time is the median of "
          f"{ALTERNATIONS} such\nprocesses, dlcore and PyTorch taking turns.")
    if rates:
        print_efficiency(rates, max(limits))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--time"]:
        print(json.dumps(time_in_this_process(sys.argv[2], sys.argv[3])))
    elif sys.argv[1:] == ["--blas"]:
        print(json.dumps({"gflops": matmul_gflops()}))
    else:
        main(sys.argv[1:])
