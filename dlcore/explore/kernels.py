"""How fast is a matrix product? The same ``C = A @ B`` written five ways, timed side by side.

The numbers behind ``dlcore.widgets.kernel_speed_explorer`` (no plotting here). The versions:

- ``python``: three nested Python loops over numpy arrays. Every ``a[i, p]`` creates a new
  Python object (a numpy scalar), so each multiply-add costs a few hundred nanoseconds.
  Timed at most at ``PYTHON_MAX_SIZE`` (a 64 x 64 product already takes about 0.1 s).
- ``numba``: the very same loops compiled by numba (``i, j, p`` order: the inner loop walks
  down a column of ``B``, one number per cache line).
- ``numba_reordered``: the loops in ``i, p, j`` order. The inner loop now walks along rows of
  ``B`` and ``C``, contiguous in memory, so the compiler turns it into SIMD instructions.
- ``numba_parallel``: the reordered loops with the rows of ``C`` shared out between threads
  (``prange``).
- ``numpy``: ``np.matmul``, which calls the BLAS library (OpenBLAS): blocked for the caches,
  hand-tuned SIMD code, all cores.

A product of an ``n x n`` by an ``n x n`` matrix does ``n**3`` multiplications and ``n**3``
additions: ``2 n**3`` floating-point operations (FLOP). Speed is reported in GFLOP/s,
``2 n**3 / seconds / 1e9``, and compared with ``blas_limit()``, the best speed BLAS reaches
on a large float32 product: the practical limit of the machine.

Timing: each version is compiled (numba) and compared with the exact (float64) product of
the same matrices first, then run ``repeats`` times; the best time counts (other programs only ever
make a run slower). A slow version stops repeating once it has used ``time_budget`` seconds.
Before each version the timer pauses for ``SETTLE_SECONDS``, so that the threads of the
previous one have stopped spinning (see ``best_time``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
from numba import prange

from ..kernels._jit import jit
from ._checks import checked_choice, checked_int, checked_number

VERSIONS = ("python", "numba", "numba_reordered", "numba_parallel", "numpy")
PYTHON_MAX_SIZE = 64
LIMIT_SIZE = 1024
SETTLE_SECONDS = 0.1


def matmul_loops(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` by the definition ``c[i, j] = sum_p a[i, p] * b[p, j]`` (loops i, j, p)."""
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m), dtype=a.dtype)
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            c[i, j] = total
    return c


matmul_numba = jit(matmul_loops)


@jit
def matmul_reordered(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` with the loops in i, p, j order: the inner loop runs along rows of b and c."""
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m), dtype=a.dtype)
    for i in range(n):
        for p in range(k):
            a_ip = a[i, p]
            for j in range(m):
                c[i, j] += a_ip * b[p, j]
    return c


@jit(parallel=True)
def matmul_parallel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``matmul_reordered`` with the rows of c computed by several threads (``prange``)."""
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m), dtype=a.dtype)
    for i in prange(n):
        for p in range(k):
            a_ip = a[i, p]
            for j in range(m):
                c[i, j] += a_ip * b[p, j]
    return c


FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "python": matmul_loops,
    "numba": matmul_numba,
    "numba_reordered": matmul_reordered,
    "numba_parallel": matmul_parallel,
    "numpy": np.matmul,
}


def gflops(size: int, seconds: float) -> float:
    """Speed of an ``size x size`` matrix product that took ``seconds``: 2 size**3 / s / 1e9."""
    return 2.0 * size**3 / seconds / 1e9


def best_time(function: Callable[..., object], args: tuple = (), repeats: int = 3,
              time_budget: float = 1.0, settle: float = SETTLE_SECONDS) -> float:
    """The shortest of up to ``repeats`` runs of ``function(*args)``, in seconds.

    It always runs once; it stops early once the runs together took ``time_budget`` seconds.
    It first waits ``settle`` seconds: the threads of a thread pool that has just finished
    (numba's or BLAS's) keep spinning on the cores for some milliseconds, hoping for more
    work, and would slow down a version that needs those cores.
    """
    time.sleep(settle)
    best = np.inf
    spent = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent >= time_budget:
            break
    return best


def random_matrices(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two float32 ``size x size`` matrices with standard normal entries."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((size, size), dtype=np.float32),
            rng.standard_normal((size, size), dtype=np.float32))


def time_matmul_versions(size: int, versions: Iterable[str] = VERSIONS, repeats: int = 3,
                         seed: int = 0, time_budget: float = 1.0) -> dict[str, dict]:
    """Time ``C = A @ B`` for float32 ``size x size`` matrices, once per version.

    Returns ``{version: {"size", "seconds", "gflops", "max_error"}}`` in the order asked:
    ``size`` is the size actually timed (``python`` runs at most at ``PYTHON_MAX_SIZE``),
    ``seconds`` the best of ``repeats`` runs (compilation excluded), ``gflops`` the speed,
    and ``max_error`` the largest difference from the float64 product relative to the largest
    entry of the exact product.
    """
    function = "time_matmul_versions"
    size = checked_int(function, "size", size)
    repeats = checked_int(function, "repeats", repeats)
    time_budget = checked_number(function, "time_budget", time_budget)
    versions = [checked_choice(function, "version", v, VERSIONS) for v in versions]
    results: dict[str, dict] = {}
    for version in versions:
        n = min(size, PYTHON_MAX_SIZE) if version == "python" else size
        a, b = random_matrices(n, seed)
        product = FUNCTIONS[version]
        exact = a.astype(np.float64) @ b.astype(np.float64)
        c = product(a, b)  # the first call of a numba version compiles it
        seconds = best_time(product, (a, b), repeats, time_budget)
        results[version] = {
            "size": n,
            "seconds": seconds,
            "gflops": gflops(n, seconds),
            "max_error": float(np.abs(c - exact).max() / np.abs(exact).max()),
        }
    return results


def blas_limit(size: int = LIMIT_SIZE, repeats: int = 3, seed: int = 0) -> float:
    """GFLOP/s of ``np.matmul`` (BLAS) on float32 ``size x size`` matrices: the practical limit.

    The best of ``repeats`` runs with all of BLAS's threads and ``repeats`` runs with one
    thread: while other programs keep a core busy, a single thread can be the faster of the
    two. With size 1024 each run is about 2 GFLOP of work, enough for BLAS to reach its top
    speed.
    """
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    size = checked_int("blas_limit", "size", size)
    repeats = checked_int("blas_limit", "repeats", repeats)
    a, b = random_matrices(size, seed)
    args = (a, b, np.empty_like(a))
    seconds = best_time(np.matmul, args, repeats, time_budget=10.0)
    with threadpool_limits(limits=1, user_api="blas"):
        seconds = min(seconds, best_time(np.matmul, args, repeats, time_budget=10.0))
    return gflops(size, seconds)
