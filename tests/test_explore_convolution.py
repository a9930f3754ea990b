"""The convolution explorer: the twin (``convolve_image``, ``CLASSIC_KERNELS``) against hand
calculations, and the widget driven through its controls."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcore.datasets import load_digits  # noqa: E402
from dlcore.explore.convolution import (  # noqa: E402
    CLASSIC_KERNELS,
    axis_arithmetic,
    convolve_image,
)
from dlcore.widgets.convolution import convolution_explorer  # noqa: E402

DIGITS = load_digits()[0][0]


def vertical_step(rows=8, cols=8, step=4):
    """0 left of column ``step``, 1 from it on: one vertical edge."""
    image = np.zeros((rows, cols), dtype=np.float32)
    image[:, step:] = 1
    return image


# ----- the twin ---------------------------------------------------------------------------
def test_the_identity_kernel_with_same_padding_returns_the_image():
    result = convolve_image(DIGITS[5], CLASSIC_KERNELS["identity"], padding="same")
    np.testing.assert_array_equal(result.feature_map, DIGITS[5])


def test_sobel_x_responds_only_at_a_vertical_step():
    result = convolve_image(vertical_step(), CLASSIC_KERNELS["sobel x"])
    # output column j sees input columns j..j+2: it straddles the step for j = 2 and 3, where
    # the right column minus the left one, weighted 1, 2, 1, gives 1 + 2 + 1 = 4
    expected = np.zeros((6, 6), dtype=np.float32)
    expected[:, 2:4] = 4
    np.testing.assert_array_equal(result.feature_map, expected)
    across = convolve_image(vertical_step(), CLASSIC_KERNELS["sobel y"])
    np.testing.assert_array_equal(across.feature_map, np.zeros((6, 6)))


def test_the_feature_map_is_a_cross_correlation_worked_by_hand():
    image = np.arange(9, dtype=np.float32).reshape(3, 3)  # 0 1 2 / 3 4 5 / 6 7 8
    kernel = np.array([[1, 0], [0, -1]], dtype=np.float32)  # top-left minus bottom-right
    result = convolve_image(image, kernel)
    np.testing.assert_array_equal(result.feature_map, [[0 - 4, 1 - 5], [3 - 7, 4 - 8]])


# (rows, cols) of the image, stride, padding -> output (rows, cols), padding per axis,
# all worked by hand for a 3x3 kernel: valid out = floor((n - 3) / s) + 1;
# same out = ceil(n / s), padding (out - 1) * s + 3 - n split with the odd one after
SHAPES = [
    ((8, 8), 1, "valid", (6, 6), ((0, 0), (0, 0))),
    ((8, 8), 2, "valid", (3, 3), ((0, 0), (0, 0))),
    ((8, 8), 1, "same", (8, 8), ((1, 1), (1, 1))),
    ((8, 8), 2, "same", (4, 4), ((0, 1), (0, 1))),
    ((7, 10), 1, "valid", (5, 8), ((0, 0), (0, 0))),
    ((7, 10), 2, "valid", (3, 4), ((0, 0), (0, 0))),
    ((7, 10), 1, "same", (7, 10), ((1, 1), (1, 1))),
    ((7, 10), 2, "same", (4, 5), ((1, 1), (0, 1))),
]


@pytest.mark.parametrize(("shape", "stride", "padding", "expected", "pads"), SHAPES)
def test_output_shapes_follow_the_formula_and_the_hand_calculation(shape, stride, padding,
                                                                   expected, pads):
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    result = convolve_image(image, CLASSIC_KERNELS["laplacian"], stride, padding)
    assert result.feature_map.shape == expected
    assert (result.rows.output, result.cols.output) == expected
    for axis, (before, after), n in zip((result.rows, result.cols), pads, shape, strict=True):
        assert (axis.pad_before, axis.pad_after) == (before, after)
        assert axis.output == (n + before + after - 3) // stride + 1


def test_the_arithmetic_text_shows_the_numbers():
    result = convolve_image(np.zeros((7, 10)), CLASSIC_KERNELS["box blur"], 2, "same")
    lines = result.arithmetic.splitlines()
    assert lines[0] == "out = floor((n + p - k) / s) + 1, padding='same', stride 2"
    assert lines[1] == "rows: n=7, k=3, p = 1 + 1: floor((7 + 2 - 3) / 2) + 1 = 4"
    assert lines[2] == "cols: n=10, k=3, p = 0 + 1: floor((10 + 1 - 3) / 2) + 1 = 5"
    wide = axis_arithmetic(5, 5, 3, "same")  # out = ceil(5 / 3) = 2: (2 - 1) * 3 + 5 - 5 = 3
    assert (wide.pad_before, wide.pad_after, wide.output) == (1, 2, 2)


def test_the_classic_kernels():
    assert set(CLASSIC_KERNELS) == {"identity", "horizontal edge", "vertical edge", "sobel x",
                                    "sobel y", "box blur", "gaussian blur", "sharpen",
                                    "laplacian"}
    for name, kernel in CLASSIC_KERNELS.items():
        assert kernel.shape == (3, 3) and kernel.dtype == np.float32, name
        assert not kernel.flags.writeable, name
    sums = {name: float(kernel.sum()) for name, kernel in CLASSIC_KERNELS.items()}
    for name in ("identity", "box blur", "gaussian blur", "sharpen"):  # keep brightness
        assert sums[name] == pytest.approx(1.0), name
    for name in ("horizontal edge", "vertical edge", "sobel x", "sobel y", "laplacian"):
        assert sums[name] == 0.0, name  # flat regions give 0
    flat = convolve_image(np.full((5, 5), 3.0), CLASSIC_KERNELS["gaussian blur"])
    np.testing.assert_allclose(flat.feature_map, 3.0, rtol=1e-6)


def test_bad_inputs_name_the_function_and_the_fix():
    kernel = CLASSIC_KERNELS["identity"]
    with pytest.raises(ValueError, match=r"convolve_image expects image as a 2-D array .*"
                                         r"got shape \(1, 8, 8\)"):
        convolve_image(DIGITS[:1], kernel)
    with pytest.raises(ValueError, match="convolve_image: .*padding 'full'"):
        convolve_image(DIGITS[0], kernel, padding="full")
    with pytest.raises(ValueError, match="convolve_image: stride must be"):
        convolve_image(DIGITS[0], kernel, stride=0)
    with pytest.raises(ValueError, match="does not fit inside the image.*padding='same'"):
        convolve_image(np.zeros((2, 2)), kernel)
    with pytest.raises(TypeError, match="convolve_image expects kernel to hold real numbers"):
        convolve_image(DIGITS[0], np.array([["a"]]))


# ----- the widget -------------------------------------------------------------------------
def plotted(explorer):
    """The arrays on display: input, kernel and feature map."""
    return [ax.images[0].get_array() for ax in explorer.figure.axes]


def cells(explorer):
    return explorer.controls["kernel_grid"].children


def test_the_widget_shows_the_chosen_kernel_at_work():
    explorer = convolution_explorer(kernel="sobel x", digit=3)
    image, kernel, feature_map = plotted(explorer)
    np.testing.assert_array_equal(image, DIGITS[3])
    np.testing.assert_array_equal(kernel, CLASSIC_KERNELS["sobel x"])
    np.testing.assert_array_equal(feature_map,
                                  convolve_image(DIGITS[3], CLASSIC_KERNELS["sobel x"]).feature_map)
    assert [cell.value for cell in cells(explorer)] == [-1, 0, 1, -2, 0, 2, -1, 0, 1]
    assert explorer.status.value.startswith("out = floor((n + p - k) / s) + 1")


def test_editing_a_kernel_cell_changes_the_plotted_feature_map():
    explorer = convolution_explorer(kernel="identity", digit=0)
    before = plotted(explorer)[2].copy()
    np.testing.assert_array_equal(before, DIGITS[0][1:-1, 1:-1])
    cells(explorer)[4].value = 2.0  # the centre weight
    after = plotted(explorer)[2]
    np.testing.assert_allclose(after, 2 * before)
    assert explorer.controls["kernel"].value == "custom"
    np.testing.assert_array_equal(explorer.result.kernel, 2 * CLASSIC_KERNELS["identity"])
    cells(explorer)[4].value = 1.0  # back to a classic kernel: the menu names it again
    assert explorer.controls["kernel"].value == "identity"


def test_choosing_a_kernel_fills_the_grid_and_redraws_once():
    explorer = convolution_explorer(kernel="identity")
    pictures = []
    explorer.output.observe(lambda change: pictures.append(change["new"]), names="outputs")
    explorer.controls["kernel"].value = "laplacian"
    assert len(pictures) == 1
    assert [cell.value for cell in cells(explorer)] == [0, 1, 0, 1, -4, 1, 0, 1, 0]
    np.testing.assert_array_equal(plotted(explorer)[1], CLASSIC_KERNELS["laplacian"])


def test_stride_padding_and_digit_change_the_plotted_shapes_and_the_text():
    explorer = convolution_explorer()
    explorer.controls["stride"].value = 2
    assert plotted(explorer)[2].shape == (3, 3)
    explorer.controls["padding"].value = "same"
    assert plotted(explorer)[2].shape == (4, 4)
    assert "p = 0 + 1: floor((8 + 1 - 3) / 2) + 1 = 4" in explorer.status.value
    explorer.controls["digit"].value = 7
    np.testing.assert_array_equal(plotted(explorer)[0], DIGITS[7])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="convolution_explorer: .*kernel 'edges'"):
        convolution_explorer(kernel="edges")
    with pytest.raises(ValueError, match="convolution_explorer: digit .* below 1347, got 2000"):
        convolution_explorer(digit=2000)
