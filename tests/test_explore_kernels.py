"""Matrix-product timings: the twin ``time_matmul_versions`` and the kernel speed explorer."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcore.explore import kernels  # noqa: E402
from dlcore.explore.kernels import (  # noqa: E402
    PYTHON_MAX_SIZE,
    VERSIONS,
    blas_limit,
    gflops,
    time_matmul_versions,
)
from dlcore.widgets.kernels import kernel_speed_explorer  # noqa: E402


# ----- the twin -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", [v for v in VERSIONS if v != "numpy"])
def test_every_hand_written_product_matches_numpy(name):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((13, 7))  # not square: rows and columns must not be mixed up
    b = rng.standard_normal((7, 5))
    np.testing.assert_allclose(kernels.FUNCTIONS[name](a, b), a @ b, rtol=1e-12, atol=1e-12)


def test_results_come_in_the_order_asked_with_consistent_numbers():
    results = time_matmul_versions(32, ["numpy", "numba", "python"], repeats=2)
    assert list(results) == ["numpy", "numba", "python"]
    for result in results.values():
        assert result["size"] == 32
        assert result["seconds"] > 0
        assert result["gflops"] == pytest.approx(2 * 32**3 / result["seconds"] / 1e9)
        assert result["max_error"] < 1e-5  # float32 products agree with the float64 one


def test_gflops_counts_two_operations_per_multiply_add():
    assert gflops(1000, 2.0) == pytest.approx(1.0)
    assert gflops(10, 1e-6) == pytest.approx(2.0)


def test_the_python_loop_is_capped_so_that_it_stays_quick():
    results = time_matmul_versions(PYTHON_MAX_SIZE * 2, ["python", "numpy"], repeats=1)
    assert results["python"]["size"] == PYTHON_MAX_SIZE
    assert results["numpy"]["size"] == PYTHON_MAX_SIZE * 2


def test_compiled_loops_beat_the_interpreter_by_far():
    # measured about 1000x on a 2-core machine; 20x leaves room for a busy one
    results = time_matmul_versions(48, ["python", "numba"], repeats=3)
    assert results["numba"]["seconds"] * 20 < results["python"]["seconds"]


def test_the_blas_limit_is_a_positive_speed():
    assert 0 < blas_limit(size=128, repeats=2) < 1e5


def test_bad_arguments_name_the_function_and_the_fix():
    with pytest.raises(ValueError, match="time_matmul_versions: unknown version 'cuda'"):
        time_matmul_versions(16, ["cuda"])
    with pytest.raises(TypeError, match="time_matmul_versions: size must be an int"):
        time_matmul_versions(16.0)
    with pytest.raises(ValueError, match="time_matmul_versions: repeats must be"):
        time_matmul_versions(16, repeats=0)
    with pytest.raises(ValueError, match="blas_limit: size must be"):
        blas_limit(size=0)


# ----- the widget -----------------------------------------------------------------------------
def bars(explorer, panel):
    """The heights of the bars on one panel (0: seconds, 1: GFLOP/s), left to right."""
    return [patch.get_height() for patch in explorer.figure.axes[panel].patches]


def tick_labels(explorer):
    return [label.get_text() for label in explorer.figure.axes[0].get_xticklabels()]


def test_the_widget_shows_one_bar_per_ticked_version_and_the_blas_limit():
    explorer = kernel_speed_explorer(size=32, versions=["numba", "numpy"], repeats=1)
    assert explorer.limit >= explorer.result["numpy"]["gflops"]  # measured, then raised
    assert tick_labels(explorer) == ["numba", "numpy"]
    seconds = [explorer.result[name]["seconds"] for name in ("numba", "numpy")]
    assert bars(explorer, 0) == pytest.approx(seconds)
    assert explorer.figure.axes[1].get_lines()[0].get_ydata()[0] == pytest.approx(explorer.limit)
    assert explorer.output.outputs  # the picture is on display
    assert "of the BLAS limit" in explorer.status.value


def test_ticking_and_unticking_versions_adds_and_removes_bars():
    explorer = kernel_speed_explorer(size=32, versions=["numpy"], repeats=1, limit=1e4)
    explorer.controls["numba_reordered"].value = True
    assert tick_labels(explorer) == ["numba_reordered", "numpy"]
    assert set(explorer.result) == {"numba_reordered", "numpy"}
    explorer.controls["numpy"].value = False
    assert tick_labels(explorer) == ["numba_reordered"]
    assert len(bars(explorer, 1)) == 1


def test_a_larger_size_is_timed_and_python_stays_capped():
    explorer = kernel_speed_explorer(size=32, versions=["python", "numba"], repeats=1, limit=1e4)
    small = explorer.result["numba"]["seconds"]
    explorer.controls["size"].value = 256
    assert explorer.result["numba"]["size"] == 256
    # 512 times more work: the time grows (by far more than timing noise)
    assert explorer.result["numba"]["seconds"] > 10 * small
    assert bars(explorer, 0)[1] == pytest.approx(explorer.result["numba"]["seconds"])
    assert explorer.result["python"]["size"] == PYTHON_MAX_SIZE
    assert tick_labels(explorer)[0] == f"python\n(size {PYTHON_MAX_SIZE})"
    assert "python is timed at size" in explorer.status.value


def test_a_given_limit_is_drawn_and_raised_when_numpy_beats_it():
    explorer = kernel_speed_explorer(size=64, versions=["numpy"], repeats=1, limit=1e-3)
    assert explorer.limit == explorer.result["numpy"]["gflops"] > 1e-3
    assert explorer.figure.axes[1].get_lines()[0].get_ydata()[0] == pytest.approx(explorer.limit)


def test_with_nothing_ticked_the_status_line_says_what_to_do():
    explorer = kernel_speed_explorer(size=16, versions=["numpy"], repeats=1, limit=1e4)
    explorer.controls["numpy"].value = False
    assert explorer.result == {}
    assert bars(explorer, 0) == []
    assert explorer.status.value == "Tick at least one version to time it."
