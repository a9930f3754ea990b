"""Timing for the benchmark scripts: median time per call, side-by-side table, a list of cases.

The machine is noisy, so each case runs dlcore and PyTorch back to back in one process,
repeats the measurement, and reports medians; judge the ratio, not the absolute times.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable

import numpy as np

MATMUL_SIZE = 1024

# A benchmark case: (name, dlcore_step, torch_step), torch_step None where PyTorch is absent.
Case = tuple[str, Callable[[], object], Callable[[], object] | None]


def optional_torch():
    """The ``torch`` module, or None where PyTorch is not installed (dlcore is timed alone)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def median_seconds(step: Callable[[], object], min_seconds: float = 0.3, rounds: int = 7) -> float:
    """Median wall time of one ``step()`` call over ``rounds`` rounds of ``min_seconds`` in all."""
    for _ in range(3):
        step()  # warm-up: caches, allocator, lazy initialisation
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds / rounds:
            break
        calls *= 2
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        per_call.append((time.perf_counter() - start) / calls)
    return statistics.median(per_call)


def matmul_gflops(size: int = MATMUL_SIZE) -> float:
    """GFLOP/s of numpy's float32 matmul of two ``size`` x ``size`` matrices (2 * size**3
    operations), median timing: the practical limit for any step whose work is matmuls."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty((size, size), dtype=np.float32)
    return 2 * size**3 / median_seconds(lambda: np.matmul(a, b, out=out)) / 1e9


def run_fresh_process(module: str, *arguments: str, **environment: str) -> dict:
    """``python -m module *arguments`` in a new Python process, with ``environment`` added to
    this one's variables; the last line it prints, read as JSON."""
    result = subprocess.run([sys.executable, "-m", module, *arguments], capture_output=True,
                            text=True, check=True, env={**os.environ, **environment})
    return json.loads(result.stdout.strip().splitlines()[-1])


def format_duration(seconds: float) -> str:
    """Seconds as a short human string in µs, ms or s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def print_comparison(rows: list[tuple[str, float, float | None]]) -> None:
    """Print ``(case, dlcore_seconds, torch_seconds or None)`` rows and the ratio of the two."""
    width = max(len(name) for name, _, _ in rows)
    print(f"{'case':<{width}}  {'dlcore':>11}  {'PyTorch':>11}  {'ratio':>6}")
    for name, ours, theirs in rows:
        if theirs is None:
            print(f"{name:<{width}}  {format_duration(ours)}  {'n/a':>11}  {'n/a':>6}")
        else:
            print(f"{name:<{width}}  {format_duration(ours)}  {format_duration(theirs)}  "
                  f"{ours / theirs:6.2f}")
    print("ratio = dlcore time / PyTorch time (below 1.0: dlcore is faster)")


def run_cases(cases: Iterable[Case], heading: str) -> None:
    """Time each ``(name, dlcore_step, torch_step or None)`` case; print ``heading``, the table."""
    rows = [(name, median_seconds(ours), None if theirs is None else median_seconds(theirs))
            for name, ours, theirs in cases]
    print(heading)
    print_comparison(rows)
