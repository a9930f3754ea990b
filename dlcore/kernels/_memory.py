"""Memory for kernels: aligned allocation, and freed memory kept for reuse.

numpy's large arrays often start 16 bytes past a 64-byte boundary; vectorised loops
over such arrays ran about twice as slow as over 64-byte-aligned ones on this
project's machines. Kernels allocate what they write with ``empty_aligned``.

A training step allocates and frees the same large arrays again and again. By default
glibc hands large freed blocks back to the operating system, and touching fresh pages
costs microseconds each: a 32-64 filter CNN step spent a third of its time in such page
faults. ``keep_freed_memory`` asks glibc to keep them for reuse instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

ALIGNMENT = 64


SMALL_BYTES = 16384  # below this size a plain numpy array: aligning costs more than it saves


def empty_aligned(shape: int | tuple[int, ...], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """An uninitialised C-contiguous array whose first byte sits on a 64-byte boundary
    (arrays under ``SMALL_BYTES`` are left where numpy puts them: finding the address
    takes about 2 µs, more than a vectorised loop over so few numbers can lose)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < SMALL_BYTES:
        return np.empty(shape, dtype)
    raw = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    offset = (-raw.ctypes.data) % ALIGNMENT
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


def zeros_aligned(shape: int | tuple[int, ...], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Like ``empty_aligned``, filled with zeros."""
    array = empty_aligned(shape, dtype)
    array.fill(0)
    return array


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory in the process (returns False where there is no glibc).

    Sets both the trim threshold (1 GiB: free memory at the top of the heap is returned to
    the system only beyond that) and the mmap threshold (32 MiB: smaller arrays come from
    the reusable heap). Both together: setting one switches off glibc's own adaptive
    thresholds and was slower than the default. The peak memory of a training run is
    unchanged; memory freed after a run stays with the process for the next one.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc: musl, macOS, Windows
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30)) and bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20))
