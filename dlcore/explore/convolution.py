"""One kernel sliding over one image: the feature map and the arithmetic of its shape.

``convolve_image`` runs ``dlcore.functional.conv2d`` (a cross-correlation, as in Keras and
PyTorch) on a single-channel image and spells out, per axis, how big the result is. With an
input of ``n`` pixels, a kernel of ``k``, stride ``s`` and ``p_before + p_after`` zeros of
padding::

    out = floor((n + p_before + p_after - k) / s) + 1

``'valid'`` pads nothing. ``'same'`` pads just enough that ``out = ceil(n / s)``: in total
``p = max((ceil(n / s) - 1) * s + k - n, 0)`` zeros, ``p // 2`` before and the rest after
(the odd one goes to the bottom or right, as in Keras). For stride 1 and an odd kernel
that is ``(k - 1) / 2`` on each side, the familiar ``out = floor((n + 2p - k) / s) + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..functional import conv2d
from ._checks import checked_choice, checked_int

PADDINGS = ("valid", "same")


def _kernel(rows: list[list[float]], scale: float = 1.0) -> np.ndarray:
    kernel = np.array(rows, dtype=np.float32) * np.float32(scale)
    kernel.flags.writeable = False  # shared by every caller: copy it to edit
    return kernel


CLASSIC_KERNELS: dict[str, np.ndarray] = {
    "identity": _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    # responds where brightness changes from top to bottom (a horizontal edge)
    "horizontal edge": _kernel([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    # responds where brightness changes from left to right (a vertical edge)
    "vertical edge": _kernel([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "sobel x": _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel y": _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "box blur": _kernel([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 1 / 9),
    "gaussian blur": _kernel([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "sharpen": _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "laplacian": _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
}


@dataclass(frozen=True)
class AxisArithmetic:
    """How one axis (rows or columns) of the output gets its size."""

    size: int  # n: input pixels along the axis
    kernel: int  # k
    stride: int  # s
    pad_before: int
    pad_after: int
    output: int  # floor((n + pad_before + pad_after - k) / s) + 1

    @property
    def padding(self) -> int:
        return self.pad_before + self.pad_after

    def formula(self) -> str:
        """``out = floor((n + p - k) / s) + 1`` with this axis's numbers filled in."""
        return (f"floor(({self.size} + {self.padding} - {self.kernel}) / {self.stride}) + 1 "
                f"= {self.output}")


@dataclass(frozen=True)
class ConvolutionResult:
    """The input, the kernel, the feature map (all 2-D) and the arithmetic of the shapes."""

    image: np.ndarray
    kernel: np.ndarray
    feature_map: np.ndarray
    stride: int
    padding: str
    rows: AxisArithmetic
    cols: AxisArithmetic

    @property
    def arithmetic(self) -> str:
        """The shape arithmetic as text, one line per axis."""
        lines = [f"out = floor((n + p - k) / s) + 1, padding={self.padding!r}, "
                 f"stride {self.stride}"]
        for name, axis in (("rows", self.rows), ("cols", self.cols)):
            pads = f"p = {axis.pad_before} + {axis.pad_after}"
            lines.append(f"{name}: n={axis.size}, k={axis.kernel}, {pads}: {axis.formula()}")
        return "\n".join(lines)


def axis_arithmetic(size: int, kernel: int, stride: int, padding: str) -> AxisArithmetic:
    """The padding and output size along one axis (see the module docstring)."""
    if padding == "same":
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pad_before, pad_after = total // 2, total - total // 2
    else:
        pad_before = pad_after = 0
    output = (size + pad_before + pad_after - kernel) // stride + 1
    return AxisArithmetic(size, kernel, stride, pad_before, pad_after, output)


def convolve_image(image: np.ndarray, kernel: np.ndarray, stride: int = 1,
                   padding: str = "valid") -> ConvolutionResult:
    """Slide ``kernel (k_rows, k_cols)`` over ``image (rows, cols)`` with ``conv2d``.

    Returns the feature map ``(out_rows, out_cols)`` with the per-axis arithmetic that
    predicts its shape. ``padding`` is ``'valid'`` or ``'same'``; in ``'valid'`` mode the
    kernel must fit inside the image.
    """
    function = "convolve_image"
    image = _plane(function, "image", image)
    kernel = _plane(function, "kernel", kernel)
    stride = checked_int(function, "stride", stride)
    padding = checked_choice(function, "padding", padding, PADDINGS)
    rows, cols = (axis_arithmetic(n, k, stride, padding)
                  for n, k in zip(image.shape, kernel.shape, strict=True))
    if min(rows.output, cols.output) < 1:
        raise ValueError(f"{function}: the kernel of shape {kernel.shape} does not fit inside "
                         f"the image of shape {image.shape} with padding='valid'; use "
                         "padding='same' or a smaller kernel")
    feature_map = conv2d(image[None, :, :, None], kernel[:, :, None, None], strides=stride,
                         padding=padding).data[0, :, :, 0]
    return ConvolutionResult(image, kernel, feature_map, stride, padding, rows, cols)


def _plane(function: str, argument: str, values: np.ndarray) -> np.ndarray:
    """``values`` as a 2-D float32 array (one channel)."""
    array = np.asarray(values)
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(f"{function} expects {argument} as a 2-D array (rows, cols), got "
                         f"shape {array.shape}; pass one channel, e.g. {argument}[..., 0]")
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise TypeError(f"{function} expects {argument} to hold real numbers, got dtype "
                        f"{array.dtype}")
    return array.astype(np.float32)
