"""Test oracles shared by the image-op tests, written without dlcore's own code: the Keras
rule for windows sliding over images, and a backward pass compared with PyTorch's."""

import math

import numpy as np


def pair(value):
    """An int or a pair as a tuple of two."""
    return (value, value) if isinstance(value, int) else tuple(value)


def keras_geometry(shape, window, strides, padding):
    """``(window, strides, (pad_top, pad_left), (out_h, out_w), (pad_bottom, pad_right))`` of
    a window over NHWC images of ``shape`` by the Keras rule; ``strides=None`` means ``window``.
    """
    window = pair(window)
    strides = window if strides is None else pair(strides)
    before, after, out_size = [], [], []
    for n, k, s in zip(shape[1:3], window, strides, strict=True):
        if padding == "same":
            out = math.ceil(n / s)
            total = max((out - 1) * s + k - n, 0)
        else:
            out, total = (n - k) // s + 1, 0
        out_size.append(out)
        before.append(total // 2)
        after.append(total - total // 2)
    return window, strides, tuple(before), tuple(out_size), tuple(after)


def assert_backward_matches_torch(torch, y, y_torch, g, ours, theirs, dtype, tolerance):
    """Backpropagate ``g`` through dlcore's ``y`` and PyTorch's ``y_torch``: the outputs and
    the gradients of the inputs ``ours`` and ``theirs`` must agree, and ours stay ``dtype``."""
    y.backward(g)
    y_torch.backward(torch.tensor(g))
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, y_torch.detach().numpy(), **tolerance)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), **tolerance)
