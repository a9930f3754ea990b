"""Kernel memory: aligned buffers, and freed memory reused instead of faulted in again."""

import subprocess
import sys

import numpy as np
import pytest

import dlcore.kernels  # noqa: F401  (importing it keeps freed memory in the process)
from dlcore.kernels._memory import SMALL_BYTES, empty_aligned, keep_freed_memory, zeros_aligned


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [7, (3, 5), (2, 3, 4, 5), (0, 4), (64, 64), (5, 1001)])
def test_buffers_are_64_byte_aligned_contiguous_and_writable(shape, dtype):
    """Aligned from ``SMALL_BYTES`` up; smaller arrays are plain numpy arrays."""
    for make in (empty_aligned, zeros_aligned):
        array = make(shape, dtype)
        assert array.nbytes < SMALL_BYTES or array.ctypes.data % 64 == 0
        assert array.flags.c_contiguous and array.flags.writeable
        assert array.shape == ((shape,) if isinstance(shape, int) else shape)
        assert array.dtype == dtype
    assert not zeros_aligned(shape, dtype).any()


FAULTS_PER_STEP = """
import resource, sys
import numpy as np
if sys.argv[1] == "dlcore":
    import dlcore
def step():  # eight 4 MiB arrays alive together, then freed, as in a training step
    arrays = [np.ones(2**19) for _ in range(8)]
    return sum(float(a[0]) for a in arrays)
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def faults_per_step(mode: str) -> float:
    result = subprocess.run([sys.executable, "-c", FAULTS_PER_STEP, mode], capture_output=True,
                            text=True, check=True, timeout=120)
    return float(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_after_import_dlcore_freed_arrays_are_reused_without_page_faults():
    assert keep_freed_memory()
    assert faults_per_step("numpy alone") > 1000  # glibc's default: 32 MiB faulted in again
    assert faults_per_step("dlcore") < 100
