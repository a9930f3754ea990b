"""Numba kernels: pure functions on numpy arrays (no Tensor, no layers).

Each kernel module holds the compiled forward and backward loops of one family of
operations, with a short plain-numpy reference implementation beside them: the
version a student reads first, and the oracle the tests compare against.
"""
