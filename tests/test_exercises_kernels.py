"""Exercise 3 (a blocked matrix product compiled with numba): a right kernel passes on odd shapes
and is fast enough, each common mistake is caught with its hint, a kernel left to the Python
interpreter is too slow, and an unfinished function is "not done yet"."""

import numpy as np
import pytest
from numba import njit

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.kernels import check_matmul_blocked, check_matmul_speed


def blocked(a, b, block):
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m))
    for i0 in range(0, n, block):
        for p0 in range(0, k, block):
            for i in range(i0, min(i0 + block, n)):
                for p in range(p0, min(p0 + block, k)):
                    a_ip = a[i, p]
                    for j in range(m):
                        c[i, j] += a_ip * b[p, j]
    return c


def full_tiles_only(a, b, block):
    n, k = a.shape
    c = np.zeros((n, b.shape[1]))
    for i0 in range(0, n - block + 1, block):
        for p0 in range(0, k - block + 1, block):
            c[i0:i0 + block] += a[i0:i0 + block, p0:p0 + block] @ b[p0:p0 + block]
    return c


def overwriting_tiles(a, b, block):
    n, k = a.shape
    m = b.shape[1]
    c = np.zeros((n, m))
    for p0 in range(0, k, block):
        c[:, :] = a[:, p0:p0 + block] @ b[p0:p0 + block, :]
    return c


def test_a_compiled_blocked_kernel_passes_both_checks(capsys):
    kernel = njit(cache=True)(blocked)
    check_matmul_blocked(kernel)
    check_matmul_speed(kernel)
    output = capsys.readouterr().out
    assert output.count("✓") == 2 and "Python loops:" in output


def test_skipped_edge_tiles_are_caught():
    with pytest.raises(ExerciseFailure, match="(?s)not multiples of the block.*Hint: the last, "
                                              "smaller tiles were skipped"):
        check_matmul_blocked(full_tiles_only)


def test_tiles_that_overwrite_instead_of_adding_are_caught():
    with pytest.raises(ExerciseFailure, match=r"(?s)'\(8, 8\) @ \(8, 8\).*Hint: only the last "
                                              r"tile.*c\[i, j\] \+="):
        check_matmul_blocked(overwriting_tiles)


def test_a_kernel_left_to_the_python_interpreter_is_too_slow():
    check_matmul_blocked(blocked)  # right, only slow
    with pytest.raises(ExerciseFailure, match=r"(?s)at least 50x faster.*@njit"):
        check_matmul_speed(blocked)


def test_the_speed_check_first_asks_for_a_right_product():
    with pytest.raises(ExerciseFailure, match="make check_matmul_blocked pass first"):
        check_matmul_speed(lambda a, b, block: a @ b.T)


@pytest.mark.parametrize("check", [check_matmul_blocked, check_matmul_speed])
def test_unfinished_functions_are_not_done_yet(check):
    @njit
    def unfinished(a, b, block):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
