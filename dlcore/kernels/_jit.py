"""The one place kernels are compiled: ``numba.njit`` with an on-disk cache.

Every kernel in this package is a top-level function decorated with ``@jit`` or
``@jit(parallel=True)``. Compilation happens on the first call, never at import.
With ``cache=True`` numba stores the machine code next to the source (or in
``~/.cache/numba`` when the package folder is read-only, or in ``NUMBA_CACHE_DIR``),
so a later process loads it in milliseconds instead of compiling again.

When no cache location is writable at all, numba refuses ``cache=True`` at
decoration time; the kernel is then compiled without a disk cache instead of
making ``import dlcore`` fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def jit(function: Callable | None = None, **options: Any):
    """Compile ``function`` with ``numba.njit(cache=True, **options)``.

    Use as ``@jit`` or ``@jit(parallel=True)``.
    """

    def compile_cached(kernel: Callable):
        try:
            return njit(cache=True, **options)(kernel)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(**options)(kernel)

    if function is None:
        return compile_cached
    return compile_cached(function)
