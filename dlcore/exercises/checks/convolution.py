"""Checks of the convolution exercise: output size and padding, conv2d forward and backward,
max pooling forward and backward, on channels-last images ``(batch, rows, cols, channels)``
with Keras kernels ``(kernel_rows, kernel_cols, in_channels, filters)``.

The references are dlcore's numpy versions in ``dlcore.kernels.conv`` and
``dlcore.kernels.pooling``; the padding follows the Keras rule of ``dlcore.functional.conv``
('same': ``ceil(size / stride)`` outputs, the odd zero of the padding after, at the bottom or
right). Max pooling sends each window's gradient to its first maximum in row-major order,
as PyTorch and dlcore do.
"""

from __future__ import annotations

import numpy as np

from dlcore.exercises.feedback import Case, check_function, difference
from dlcore.kernels.conv import conv2d_backward_reference, conv2d_forward_reference
from dlcore.kernels.pooling import max_pool2d_backward_reference, max_pool2d_forward_reference

RTOL, ATOL = 1e-6, 1e-9


def _matches(received, variant) -> bool:
    return difference(received, variant, RTOL, ATOL) is None


def _results(received, count: int) -> bool:
    """``received`` is a tuple or list of ``count`` results."""
    return isinstance(received, tuple | list) and len(received) == count


# ----- output size and padding ------------------------------------------------------------------


def reference_padding(size, kernel_size, stride, padding):
    """``(out, pad_before, pad_after)`` along one axis, the Keras rule."""
    if padding == "valid":
        return (size - kernel_size) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel_size - size, 0)
    return out, total // 2, total - total // 2


PADDING_CASES = [
    (5, 3, 1, "valid"), (5, 3, 1, "same"), (6, 2, 1, "same"), (7, 3, 2, "same"),
    (8, 3, 2, "same"), (7, 3, 2, "valid"), (1, 1, 1, "same"), (4, 5, 1, "same"),
    (10, 4, 3, "valid"), (2, 3, 3, "same"),
]


def _padding_label(size, kernel_size, stride, padding) -> str:
    return f"size={size}, kernel_size={kernel_size}, stride={stride}, padding='{padding}'"


def _valid_count(received, expected, case):
    size, kernel_size, stride, padding = case.args
    if (padding == "valid" and _results(received, 3)
            and received[0] == (size - kernel_size) // stride):
        return ("one window too few: (size - kernel_size) // stride counts the steps between "
                "windows; the first window comes on top, so add 1.")
    return None


def _same_count(received, expected, case):
    size, kernel_size, stride, padding = case.args
    if padding == "same" and _results(received, 3) and received[0] != expected[0]:
        return (f"with padding='same' the number of outputs is ceil(size / stride) = "
                f"{expected[0]}, whatever the kernel size; in integers -(-size // stride).")
    return None


def _same_total(received, expected, case):
    size, kernel_size, stride, padding = case.args
    total = expected[1] + expected[2]
    if (padding == "same" and _results(received, 3) and received[0] == expected[0]
            and received[1] + received[2] != total):
        return (f"your padding adds up to {received[1] + received[2]} zeros; 'same' needs "
                f"(out - 1) * stride + kernel_size - size = {total} in total (kernel_size - 1 "
                "at stride 1), so that the last window ends on the last padded cell.")
    return None


def _odd_zero_before(received, expected, case):
    if (_results(received, 3) and expected[1] != expected[2]
            and tuple(received) == (expected[0], expected[2], expected[1])):
        return ("the total is right, but the odd zero went before. Keras (and TensorFlow) put "
                "total // 2 zeros before and the rest, with the odd one, after: at the bottom "
                "or the right.")
    return None


def check_padding_amounts(padding_amounts) -> None:
    """``(out, pad_before, pad_after)`` for 'valid' and 'same' along one axis."""
    cases = [Case(_padding_label(*arguments), arguments) for arguments in PADDING_CASES]
    check_function("padding_amounts", padding_amounts, reference_padding, cases,
                   hints=[_valid_count, _same_count, _same_total, _odd_zero_before])


# ----- conv2d ----------------------------------------------------------------------------------


def _geometry(image_size, kernel_size, stride, padding, odd_zero_before=False):
    """``(pads, out_size)`` as dlcore's kernels take them: top/left padding and output size."""
    rows, cols = (reference_padding(n, k, stride, padding)
                  for n, k in zip(image_size, kernel_size, strict=True))
    index = 2 if odd_zero_before else 1
    return (rows[index], cols[index]), (rows[0], cols[0])


def reference_conv2d_forward(x, kernel, bias, stride=1, padding="valid"):
    pads, out_size = _geometry(x.shape[1:3], kernel.shape[:2], stride, padding)
    return conv2d_forward_reference(x, kernel, bias, (stride, stride), pads, out_size)


def reference_conv2d_backward(g, x, kernel, stride=1, padding="valid"):
    pads, _ = _geometry(x.shape[1:3], kernel.shape[:2], stride, padding)
    return conv2d_backward_reference(g, x, kernel, (stride, stride), pads)


CONV_SHAPES = [
    ("'valid', 3x3 kernel, stride 1", (2, 5, 6, 3), (3, 3, 3, 4), 1, "valid"),
    ("'same', 3x3 kernel (odd), stride 1", (2, 5, 6, 3), (3, 3, 3, 4), 1, "same"),
    ("'same', 2x2 kernel (even: the odd zero goes at the bottom and right)", (2, 4, 5, 2),
     (2, 2, 2, 3), 1, "same"),
    ("'valid', 3x3 kernel, stride 2", (3, 7, 8, 2), (3, 3, 2, 2), 2, "valid"),
    ("'same', 3x3 kernel, stride 2", (2, 8, 7, 1), (3, 3, 1, 2), 2, "same"),
    ("a batch of 1, one channel, one filter, 3x1 kernel, 'same'", (1, 4, 4, 1), (3, 1, 1, 1), 1,
     "same"),
]


def _conv_cases(with_gradient: bool) -> list[Case]:
    rng = np.random.default_rng(11)
    cases = []
    for label, x_shape, kernel_shape, stride, padding in CONV_SHAPES:
        x = rng.standard_normal(x_shape)
        kernel = rng.standard_normal(kernel_shape)
        options = {"stride": stride, "padding": padding}
        if with_gradient:
            _, out_size = _geometry(x_shape[1:3], kernel_shape[:2], stride, padding)
            g = rng.standard_normal((x_shape[0], *out_size, kernel_shape[3]))
            cases.append(Case(label, (g, x, kernel), options))
        else:
            bias = rng.standard_normal(kernel_shape[3])
            cases.append(Case(label, (x, kernel, bias), options))
    return cases


FLIPPED = ("the kernel is flipped: this is the convolution of mathematics, which turns the "
           "kernel around. Deep-learning libraries (Keras, PyTorch, dlcore) compute a "
           "cross-correlation: output cell (i, j) multiplies kernel[a, b] with the input cell "
           "at offset (a, b) of its window, no flipping.")


def _conv_flipped(received, expected, case):
    x, kernel, bias = case.args
    if _matches(received, reference_conv2d_forward(x, kernel[::-1, ::-1], bias, **case.kwargs)):
        return FLIPPED
    return None


def _conv_output_size(received, expected, case):
    size, wanted = np.shape(received)[1:3], np.shape(expected)[1:3]
    if np.ndim(received) == 4 and size != wanted:
        return (f"your output has {size[0]} x {size[1]} cells, it should have "
                f"{wanted[0]} x {wanted[1]}: check the padding (padding_amounts) and how many "
                "windows fit along each axis.")
    return None


def _conv_odd_zero_before(received, expected, case):
    x, kernel, bias = case.args
    stride, padding = case.kwargs["stride"], case.kwargs["padding"]
    pads, out_size = _geometry(x.shape[1:3], kernel.shape[:2], stride, padding,
                               odd_zero_before=True)
    variant = conv2d_forward_reference(x, kernel, bias, (stride, stride), pads, out_size)
    if not _matches(expected, variant) and _matches(received, variant):
        return ("the odd zero of the padding went at the top or left; it belongs at the bottom "
                "or right (pad_after gets total - total // 2).")
    return None


def _conv_no_bias(received, expected, case):
    x, kernel, bias = case.args
    if _matches(received, reference_conv2d_forward(x, kernel, None, **case.kwargs)):
        return "add the bias: each filter f has its own bias[f], added to every output cell."
    return None


def check_conv2d_forward(conv2d_forward) -> None:
    """Cross-correlation of NHWC images with a Keras kernel, plus bias; stride and padding."""
    check_function("conv2d_forward", conv2d_forward, reference_conv2d_forward,
                   _conv_cases(with_gradient=False), rtol=RTOL, atol=ATOL,
                   hints=[_conv_output_size, _conv_flipped, _conv_odd_zero_before,
                          _conv_no_bias])


def _conv_bias_not_summed(received, expected, case):
    if _results(received, 3) and np.shape(received[2]) != np.shape(expected[2]):
        return ("dbias has one value per filter, shape (filters,): the bias of filter f is "
                "added to every output cell of every image, so its gradient sums g over the "
                "batch, the rows and the columns: g.sum(axis=(0, 1, 2)).")
    return None


def _conv_gradient_flipped(received, expected, case):
    g, x, kernel = case.args
    flipped_dx = reference_conv2d_backward(g, x, kernel[::-1, ::-1], **case.kwargs)[0]
    if _results(received, 3) and (_matches(received[0], flipped_dx)
                                  or _matches(received[1], expected[1][::-1, ::-1])):
        return FLIPPED
    return None


def _conv_dx_only(received, expected, case):
    if (_results(received, 3) and not _matches(received[0], expected[0])
            and _matches(received[1], expected[1]) and _matches(received[2], expected[2])):
        return ("dkernel and dbias are right, dx is not. Every output cell (i, j) sends "
                "g[:, i, j, :] @ kernel[a, b].T back to the input cell at offset (a, b) of its "
                "window; where windows overlap these contributions add up (+=). Work on a "
                "padded dx and cut the padding off at the end.")
    return None


def check_conv2d_backward(conv2d_backward) -> None:
    """``(dx, dkernel, dbias)`` of conv2d_forward."""
    check_function("conv2d_backward", conv2d_backward, reference_conv2d_backward,
                   _conv_cases(with_gradient=True), rtol=RTOL, atol=ATOL,
                   hints=[_conv_bias_not_summed, _conv_gradient_flipped, _conv_dx_only])


# ----- max pooling -----------------------------------------------------------------------------


def _pool_geometry(x_shape, pool_size, stride):
    stride = pool_size if stride is None else stride
    out_size = tuple((n - pool_size) // stride + 1 for n in x_shape[1:3])
    return (pool_size, pool_size), (stride, stride), out_size


def reference_max_pool_forward(x, pool_size=2, stride=None):
    pool, strides, out_size = _pool_geometry(x.shape, pool_size, stride)
    return max_pool2d_forward_reference(x, pool, strides, (0, 0), out_size)


def reference_max_pool_backward(g, x, pool_size=2, stride=None):
    pool, strides, out_size = _pool_geometry(x.shape, pool_size, stride)
    return max_pool2d_backward_reference(x, g, pool, strides, (0, 0), out_size)


POOL_SHAPES = [
    ("2x2 windows, stride 2", (2, 4, 6, 3), 2, None, "distinct"),
    ("5x5 images, 2x2 windows: the last row and column fit no window", (2, 5, 5, 2), 2, None,
     "distinct"),
    ("overlapping 3x3 windows, stride 2", (2, 7, 7, 2), 3, 2, "distinct"),
    ("only negative values", (2, 4, 4, 2), 2, None, "negative"),
    ("ties: small integers, several maxima per window", (2, 6, 6, 2), 3, 3, "ties"),
    ("a batch of 1, one channel, 2x2 windows, stride 1", (1, 3, 4, 1), 2, 1, "distinct"),
]


def _pool_cases(with_gradient: bool) -> list[Case]:
    rng = np.random.default_rng(12)
    cases = []
    for label, shape, pool_size, stride, values in POOL_SHAPES:
        x = {"distinct": rng.standard_normal(shape),
             "negative": -1.0 - rng.random(shape),
             "ties": rng.integers(0, 3, shape).astype(np.float64)}[values]
        options = {"pool_size": pool_size, "stride": stride}
        if with_gradient:
            _, _, out_size = _pool_geometry(shape, pool_size, stride)
            g = rng.standard_normal((shape[0], *out_size, shape[3]))
            cases.append(Case(label, (g, x), options))
        else:
            cases.append(Case(label, (x,), options))
    return cases


def _pool_output_size(received, expected, case):
    if np.ndim(received) == 4 and np.shape(received)[1:3] != np.shape(expected)[1:3]:
        return ("count the windows as for a 'valid' convolution: (size - pool_size) // stride "
                "+ 1 per axis, stride defaulting to pool_size; a window that would stick out "
                "of the image is left out.")
    return None


def _started_at_zero(received, expected, case):
    if _matches(received, np.maximum(expected, 0.0)):
        return ("your maxima are never below 0: the running maximum started at 0, which beats "
                "every negative value. Start it at the window's first value, or use "
                "window.max(axis=(1, 2)).")
    return None


def check_max_pool_forward(max_pool_forward) -> None:
    """The largest value of each window, per image and channel."""
    check_function("max_pool_forward", max_pool_forward, reference_max_pool_forward,
                   _pool_cases(with_gradient=False), rtol=RTOL, atol=ATOL,
                   hints=[_pool_output_size, _started_at_zero])


def _windows(x_shape, pool_size, stride):
    """``(i, j, rows, cols)`` of every window."""
    _, (step, _), (out_h, out_w) = _pool_geometry(x_shape, pool_size, stride)
    for i in range(out_h):
        for j in range(out_w):
            yield (i, j, slice(i * step, i * step + pool_size),
                   slice(j * step, j * step + pool_size))


def _routed(g, x, pool_size, stride, to_maxima_only):
    """dx with each g sent to every cell of its window, or to every (tied) maximum of it."""
    dx = np.zeros_like(x)
    for i, j, rows, cols in _windows(x.shape, pool_size, stride):
        window = x[:, rows, cols, :]
        share = np.ones_like(window)
        if to_maxima_only:
            share = (window == window.max(axis=(1, 2), keepdims=True)).astype(x.dtype)
        dx[:, rows, cols, :] += share * g[:, i, j, None, None, :]
    return dx


def _sent_to_every_cell(received, expected, case):
    g, x = case.args
    pool_size, stride = case.kwargs["pool_size"], case.kwargs["stride"]
    everywhere = _routed(g, x, pool_size, stride, to_maxima_only=False)
    if _matches(received, everywhere) or _matches(received, everywhere / pool_size**2):
        return ("the gradient went to every cell of the window. Only the window's maximum "
                "reached the output: a small change of any other cell changes nothing. Send "
                "g[n, i, j, c] to the position of that maximum alone (np.argmax over the "
                "window), and add it there (+=).")
    return None


def _sent_to_every_tie(received, expected, case):
    g, x = case.args
    pool_size, stride = case.kwargs["pool_size"], case.kwargs["stride"]
    ties = _routed(g, x, pool_size, stride, to_maxima_only=True)
    if not _matches(expected, ties) and _matches(received, ties):
        return ("where several cells tie for the maximum, each of them received the whole "
                "gradient, so it counts twice or more. Give it to one cell only, the first "
                "maximum in row-major order (np.argmax of the flattened window), as PyTorch "
                "and dlcore do.")
    return None


def check_max_pool_backward(max_pool_backward) -> None:
    """dx: each window's gradient added at the position of its (first) maximum."""
    check_function("max_pool_backward", max_pool_backward, reference_max_pool_backward,
                   _pool_cases(with_gradient=True), rtol=RTOL, atol=ATOL,
                   hints=[_sent_to_every_cell, _sent_to_every_tie])
