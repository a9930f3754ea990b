"""The numba-accelerated nn ops beside PyTorch CPU, and what compiling them costs.

Run from the repository root:  python -m benchmarks.nn_ops

1. forward+backward of each op on classroom-scale shapes, dlcore and PyTorch back to back;
2. the first call of every case in a fresh process, once with an empty numba cache
   (compiling) and once more with the cache that run left (loading), plus each kernel's
   own compile time as numba reports it;
3. a fresh process with a warm cache: import time and its first training step of a
   small CNN (conv, pool, dense, softmax cross-entropy, SGD).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

from benchmarks._timing import median_seconds, print_comparison

CASE_MODULES = ["benchmarks.cases_conv", "benchmarks.cases_pool_bn",
                "benchmarks.cases_recurrent", "benchmarks.cases_dense"]


def all_cases() -> list:
    cases = []
    for module_name in CASE_MODULES:
        cases.extend(importlib.import_module(module_name).cases())
    return cases


def side_by_side() -> None:
    rows = [(name, median_seconds(ours), median_seconds(theirs))
            for name, ours, theirs in all_cases()]
    print("forward + backward, median time per call:")
    print_comparison(rows)


def first_calls() -> dict:
    """In this (fresh) process: seconds of each case's first dlcore call, and per-kernel
    compile seconds reported by numba for kernels compiled here (not loaded from cache)."""
    firsts = {}
    for name, ours, _ in all_cases():
        start = time.perf_counter()
        ours()
        firsts[name] = time.perf_counter() - start
    return {"first_calls": firsts, "kernel_compile": compiled_kernels()}


def compiled_kernels() -> dict:
    """numba's own compile time for each kernel signature compiled in this process."""
    from numba.core.registry import CPUDispatcher

    import dlcore.kernels as kernels_package

    timings = {}
    for module_name in sorted(m for m in sys.modules if m.startswith(kernels_package.__name__)):
        for attribute, value in vars(sys.modules[module_name]).items():
            if not isinstance(value, CPUDispatcher):
                continue
            for signature, result in value.overloads.items():
                timers = (result.metadata or {}).get("timers")
                if timers:
                    dtypes = sorted({str(arg.dtype) for arg in signature if hasattr(arg, "dtype")})
                    label = f"{module_name.rsplit('.', 1)[-1]}.{attribute} [{', '.join(dtypes)}]"
                    timings[label] = timings.get(label, 0.0) + timers.get("compiler_lock", 0.0)
    return timings


def run_child(mode: str, cache_dir: str) -> dict:
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    output = subprocess.run([sys.executable, "-m", "benchmarks.nn_ops", mode],
                            env=environment, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def compile_report() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = run_child("--first-calls", cache_dir)
        warm = run_child("--first-calls", cache_dir)
        run_child("--first-step", cache_dir)  # compiles and caches its exact signatures
        start = run_child("--first-step", cache_dir)
    print("\nfirst call of each case in a fresh process (compile included):")
    print(f"{'case':<32}{'empty cache':>14}{'warm cache':>14}")
    for name, seconds in cold["first_calls"].items():
        print(f"{name:<32}{seconds:>13.2f}s{warm['first_calls'][name]:>13.3f}s")
    total_cold = sum(cold["first_calls"].values())
    total_warm = sum(warm["first_calls"].values())
    print(f"{'all cases':<32}{total_cold:>13.2f}s{total_warm:>13.3f}s")
    print("\nnumba compile time per kernel signature (empty cache):")
    for label, seconds in sorted(cold["kernel_compile"].items()):
        print(f"  {seconds:6.2f}s  {label}")
    print(f"  {sum(cold['kernel_compile'].values()):6.2f}s  in total "
          f"({len(cold['kernel_compile'])} signatures)")
    print(f"\nfresh process, warm cache: import dlcore {start['import']:.2f}s, first CNN "
          f"training step {start['first_step']:.2f}s (target under 2 s)")


def first_training_step() -> dict:
    """Import time and the first training step of a small CNN in this fresh process."""
    start = time.perf_counter()
    import numpy as np

    import dlcore as dl
    from dlcore.functional import conv2d, linear, max_pool2d, softmax_cross_entropy

    imported = time.perf_counter()
    rng = np.random.default_rng(0)
    images = dl.tensor(rng.standard_normal((32, 28, 28, 1)), dtype="float32")
    labels = rng.integers(0, 10, 32)
    kernel = dl.tensor(rng.standard_normal((5, 5, 1, 6)) * 0.1, requires_grad=True,
                       dtype="float32")
    weights = dl.tensor(rng.standard_normal((14 * 14 * 6, 10)) * 0.01, requires_grad=True,
                        dtype="float32")
    step_start = time.perf_counter()
    hidden = max_pool2d(conv2d(images, kernel, padding="same").relu(), 2)
    logits = linear(hidden.reshape(32, -1), weights)
    loss = softmax_cross_entropy(logits, labels=labels).mean()
    loss.backward()
    for parameter in (kernel, weights):
        parameter.data -= 0.01 * parameter.grad
    finished = time.perf_counter()
    return {"import": imported - start, "first_step": finished - step_start}


def main() -> None:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (pip install torch==2.13.0); the comparison needs it.")
        return
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    side_by_side()
    compile_report()


if __name__ == "__main__":
    if sys.argv[1:] == ["--first-calls"]:
        print(json.dumps(first_calls()))
    elif sys.argv[1:] == ["--first-step"]:
        print(json.dumps(first_training_step()))
    else:
        main()
