"""Numba kernels: pure functions on numpy arrays (no Tensor, no layers).

Each kernel module holds the compiled forward and backward loops of one family of
operations, with a short plain-numpy reference implementation beside them: the
version a student reads first, and the oracle the tests compare against.

Importing this package compiles nothing; it only asks the C allocator to keep freed
memory for reuse (see ``_memory.keep_freed_memory``).
"""

from ._memory import keep_freed_memory

keep_freed_memory()
