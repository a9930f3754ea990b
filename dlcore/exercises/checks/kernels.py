"""Checks of exercise 3, a numba kernel: ``matmul_blocked(a, b, block)``, right on odd shapes
and much faster than Python loops.

Correctness is compared with numpy's ``a @ b``. Speed is compared with the same product written
as three Python loops (``dlcore.explore.kernels.matmul_loops``) on two 64 x 64 matrices: each
is timed several times after a first call (which compiles the kernel) and the best time
counts, since other programs on the machine can only make a run slower.
"""

from __future__ import annotations

import itertools

import numpy as np

from dlcore.exercises.feedback import (
    Case,
    ExerciseFailure,
    call_student,
    check_function,
    check_true,
    difference,
    result_array,
)
from dlcore.explore.kernels import best_time, matmul_loops

SPEED_SIZE = 64
SPEED_BLOCK = 16
REQUIRED_SPEEDUP = 50  # measured 450-800x for a compiled kernel on a busy 2-core machine


def _cases():
    rng = np.random.default_rng(6)
    normal = rng.standard_normal
    return [
        Case("(8, 8) @ (8, 8) with block 4: the tiles fit exactly", (normal((8, 8)),
                                                                    normal((8, 8)), 4)),
        Case("(5, 7) @ (7, 3) with block 4: sizes that are not multiples of the block",
             (normal((5, 7)), normal((7, 3)), 4)),
        Case("(33, 17) @ (17, 35) with block 16", (normal((33, 17)), normal((17, 35)), 16)),
        Case("a single row: (1, 9) @ (9, 1) with block 4", (normal((1, 9)), normal((9, 1)), 4)),
        Case("(6, 5) @ (5, 4) with block 32: one tile bigger than the matrices",
             (normal((6, 5)), normal((5, 4)), 32)),
        Case("negative and large entries, (10, 12) @ (12, 9) with block 5",
             (-1e3 * np.abs(normal((10, 12))), 1e3 * normal((12, 9)), 5)),
    ]


def _reference(a, b, block):
    return a @ b



def _edge_tiles_skipped(received, expected, case):
    got, (a, b, block) = result_array(received), case.args
    if got is None or got.shape != expected.shape:
        return None
    (n, k), m = a.shape, b.shape[1]
    for rows, depth, cols in itertools.product((n, n // block * block), (k, k // block * block),
                                               (m, m // block * block)):
        if (rows, depth, cols) == (n, k, m):
            continue
        partial = np.zeros_like(expected)
        partial[:rows, :cols] = a[:rows, :depth] @ b[:depth, :cols]
        if np.allclose(got, partial):
            return ("the last, smaller tiles were skipped. When a size is not a multiple of "
                    "block, the tile loops must still reach the end: step with "
                    "range(0, n, block) and stop each loop inside a tile at "
                    "min(start + block, n), in every dimension you cut into tiles.")
    return None


def _last_tile_only(received, expected, case):
    got, (a, b, block) = result_array(received), case.args
    depth = a.shape[1]
    if got is None or depth <= block:
        return None
    last = (depth - 1) // block * block
    if got.shape == expected.shape and np.allclose(got, a[:, last:] @ b[last:]):
        return ("only the last tile of the summed dimension counts in your result: each tile "
                "overwrites c instead of adding to it. Start c from np.zeros and accumulate "
                "with c[i, j] += ..., so that every tile of the sum contributes.")
    return None


def check_matmul_blocked(matmul_blocked):
    """``matmul_blocked(a, b, block)`` must equal ``a @ b`` for any shapes and block size."""
    check_function("matmul_blocked", matmul_blocked, _reference, _cases(), rtol=1e-9,
                   atol=1e-9, hints=[_edge_tiles_skipped, _last_tile_only])


def check_matmul_speed(matmul_blocked):
    """``matmul_blocked`` must be at least ``REQUIRED_SPEEDUP`` times faster than Python loops on
    two ``SPEED_SIZE x SPEED_SIZE`` matrices; prints both times."""
    name, size, required = "matmul_blocked", SPEED_SIZE, REQUIRED_SPEEDUP
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    case = Case(f"two {size}x{size} matrices, block {SPEED_BLOCK}", (a, b, SPEED_BLOCK))
    problem = difference(call_student(name, matmul_blocked, case), a @ b, 1e-9, 1e-9)
    if problem is not None:
        raise ExerciseFailure(f"{name} gives a wrong product on {case.label} ({problem}); "
                              "make check_matmul_blocked pass first.")
    python_seconds = best_time(matmul_loops, (a, b), repeats=3, time_budget=1.0)
    kernel_seconds = best_time(matmul_blocked, case.args, repeats=20, time_budget=1.0)
    speedup = python_seconds / kernel_seconds
    print(f"Python loops: {python_seconds * 1e3:.1f} ms, {name}: {kernel_seconds * 1e3:.3f} ms "
          f"({speedup:.0f}x faster)")
    check_true(f"{name} is at least {required}x faster than Python loops",
               speedup >= required,
               f"it is only {speedup:.1f}x faster than the Python loops on {size}x{size} "
               f"matrices, where {required}x is expected (a compiled kernel usually reaches "
               "several hundred). Check that the function is decorated with @njit (from numba "
               "import njit), that it loops over indices of numpy arrays (no Python lists, no "
               "np.append or new arrays inside the loops), and that the innermost loop runs "
               "over j, the column of b and c, so that it reads memory in order.")
