"""The convolution exercise's checks: correct answers pass, each common mistake is caught with
its hint, unfinished functions are "not done yet", and the references agree with dlcore's
conv2d and max_pool2d."""

import numpy as np
import pytest

import dlcore as dl
import dlcore.functional as F
from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.convolution import (
    CONV_SHAPES,
    PADDING_CASES,
    check_conv2d_backward,
    check_conv2d_forward,
    check_max_pool_backward,
    check_max_pool_forward,
    check_padding_amounts,
    reference_conv2d_backward,
    reference_conv2d_forward,
    reference_padding,
)


def padding_amounts(size, kernel_size, stride, padding):
    if padding == "valid":
        return (size - kernel_size) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel_size - size, 0)
    return out, total // 2, total - total // 2


def padded(x, kernel_size, stride, padding):
    """x with its zero border, the output size and the top/left padding."""
    (out_h, top, bottom), (out_w, left, right) = (
        padding_amounts(n, k, stride, padding)
        for n, k in zip(x.shape[1:3], kernel_size, strict=True))
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))), (out_h, out_w), (top, left)


def conv2d_forward(x, kernel, bias, stride=1, padding="valid", flip=False):
    kh, kw = kernel.shape[:2]
    if flip:
        kernel = kernel[::-1, ::-1]
    xp, (out_h, out_w), _ = padded(x, (kh, kw), stride, padding)
    y = np.zeros((x.shape[0], out_h, out_w, kernel.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.tensordot(window, kernel, axes=3)
    return y + bias


def conv2d_backward(g, x, kernel, stride=1, padding="valid", overwrite=False):
    kh, kw = kernel.shape[:2]
    xp, (out_h, out_w), (top, left) = padded(x, (kh, kw), stride, padding)
    dxp, dkernel = np.zeros_like(xp), np.zeros_like(kernel)
    for i in range(out_h):
        for j in range(out_w):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            dkernel += np.tensordot(xp[:, rows, cols, :], g[:, i, j, :], axes=([0], [0]))
            contribution = np.tensordot(g[:, i, j, :], kernel, axes=([1], [3]))
            if overwrite:
                dxp[:, rows, cols, :] = contribution
            else:
                dxp[:, rows, cols, :] += contribution
    dx = dxp[:, top:top + x.shape[1], left:left + x.shape[2], :]
    return dx, dkernel, g.sum(axis=(0, 1, 2))


def max_pool_forward(x, pool_size=2, stride=None, start=None):
    stride = pool_size if stride is None else stride
    out_h, out_w = ((n - pool_size) // stride + 1 for n in x.shape[1:3])
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            y[:, i, j, :] = window.max(axis=(1, 2))
    return y if start is None else np.maximum(y, start)


def max_pool_backward(g, x, pool_size=2, stride=None, route="first"):
    stride = pool_size if stride is None else stride
    dx = np.zeros_like(x)
    for i in range(g.shape[1]):
        for j in range(g.shape[2]):
            rows = slice(i * stride, i * stride + pool_size)
            cols = slice(j * stride, j * stride + pool_size)
            window = x[:, rows, cols, :]
            if route == "first":
                flat = window.reshape(x.shape[0], -1, x.shape[3]).argmax(axis=1)
                share = np.zeros_like(window).reshape(x.shape[0], -1, x.shape[3])
                np.put_along_axis(share, flat[:, None, :], 1.0, axis=1)
                share = share.reshape(window.shape)
            elif route == "ties":
                share = (window == window.max(axis=(1, 2), keepdims=True)).astype(float)
            else:
                share = np.ones_like(window)
            dx[:, rows, cols, :] += share * g[:, i, j, None, None, :]
    return dx


def unfinished(*args, **kwargs):
    raise NotImplementedError()


def test_correct_answers_pass(capsys):
    check_padding_amounts(padding_amounts)
    check_conv2d_forward(conv2d_forward)
    check_conv2d_backward(conv2d_backward)
    check_max_pool_forward(max_pool_forward)
    check_max_pool_backward(max_pool_backward)
    output = capsys.readouterr().out
    for name in ("padding_amounts", "conv2d_forward", "conv2d_backward", "max_pool_forward",
                 "max_pool_backward"):
        assert f"✓ {name}" in output


@pytest.mark.parametrize(("label", "x_shape", "kernel_shape", "stride", "padding"), CONV_SHAPES)
def test_the_references_agree_with_dlcore_conv2d(label, x_shape, kernel_shape, stride, padding):
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    bias = rng.standard_normal(kernel_shape[3])
    leaves = [dl.tensor(value, requires_grad=True) for value in (x, kernel, bias)]
    y = F.conv2d(*leaves, strides=stride, padding=padding)
    np.testing.assert_allclose(y.data, reference_conv2d_forward(x, kernel, bias, stride, padding))
    g = rng.standard_normal(y.shape)
    y.backward(g)
    for leaf, expected in zip(leaves, reference_conv2d_backward(g, x, kernel, stride, padding),
                                    strict=True):
        np.testing.assert_allclose(leaf.grad, expected, atol=1e-12)


def test_the_padding_reference_gives_dlcore_output_sizes():
    for size, kernel_size, stride, padding in PADDING_CASES:
        if padding == "valid" or kernel_size <= size:
            x = np.zeros((1, size, 1, 1))
            y = F.conv2d(x, np.zeros((kernel_size, 1, 1, 1)), strides=stride, padding=padding)
            assert y.shape[1] == reference_padding(size, kernel_size, stride, padding)[0]


def odd_zero_before(size, kernel_size, stride, padding):
    out, before, after = padding_amounts(size, kernel_size, stride, padding)
    return out, after, before


def no_valid_plus_one(size, kernel_size, stride, padding):
    out, before, after = padding_amounts(size, kernel_size, stride, padding)
    return (out - 1 if padding == "valid" else out), before, after


def half_kernel_each_side(size, kernel_size, stride, padding):
    if padding == "valid":
        return padding_amounts(size, kernel_size, stride, padding)
    return -(-size // stride), kernel_size // 2, kernel_size // 2


def same_ignores_stride(size, kernel_size, stride, padding):
    if padding == "valid":
        return padding_amounts(size, kernel_size, stride, padding)
    return size, (kernel_size - 1) // 2, kernel_size - 1 - (kernel_size - 1) // 2


@pytest.mark.parametrize(("wrong", "hint"), [
    (no_valid_plus_one, "one window too few"),
    (half_kernel_each_side, r"your padding adds up to \d+ zeros"),
    (odd_zero_before, "the odd zero went before"),
    (same_ignores_stride, r"the number of outputs is ceil\(size / stride\)"),
])
def test_padding_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_padding_amounts(wrong)


def conv_with_extra_padding(x, kernel, bias, stride=1, padding="valid"):
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))) if padding == "same" else x
    return conv2d_forward(xp, kernel, bias, stride, "valid")


def conv_odd_zero_before(x, kernel, bias, stride=1, padding="valid"):
    if padding == "same" and kernel.shape[0] % 2 == 0:
        x = np.pad(x, ((0, 0), (1, 0), (1, 0), (0, 0)))
        return conv2d_forward(x, kernel, bias, stride, "valid")
    return conv2d_forward(x, kernel, bias, stride, padding)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda x, kernel, bias, stride=1, padding="valid":
     conv2d_forward(x, kernel, bias, stride, padding, flip=True), "the kernel is flipped"),
    (conv_with_extra_padding, r"your output has \d+ x \d+ cells, it should have"),
    (conv_odd_zero_before, "the odd zero of the padding went at the top or left"),
    (lambda x, kernel, bias, stride=1, padding="valid":
     conv2d_forward(x, kernel, 0.0, stride, padding), "add the bias"),
])
def test_conv_forward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_conv2d_forward(wrong)


def bias_per_cell(g, x, kernel, stride=1, padding="valid"):
    dx, dkernel, _ = conv2d_backward(g, x, kernel, stride, padding)
    return dx, dkernel, g.sum(axis=0)


def flipped_backward(g, x, kernel, stride=1, padding="valid"):
    dx, dkernel, dbias = conv2d_backward(g, x, kernel[::-1, ::-1], stride, padding)
    return dx, dkernel[::-1, ::-1], dbias


@pytest.mark.parametrize(("wrong", "hint"), [
    (bias_per_cell, "dbias has one value per filter"),
    (flipped_backward, "the kernel is flipped"),
    (lambda g, x, kernel, stride=1, padding="valid":
     conv2d_backward(g, x, kernel, stride, padding, overwrite=True),
     "where windows overlap these contributions add up"),
])
def test_conv_backward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_conv2d_backward(wrong)


def test_max_pool_forward_started_at_zero_gets_its_hint():
    with pytest.raises(ExerciseFailure, match="the running maximum started at 0"):
        check_max_pool_forward(lambda x, pool_size=2, stride=None:
                               max_pool_forward(x, pool_size, stride, start=0.0))


def test_max_pool_forward_with_a_wrong_window_count_gets_its_hint():
    with pytest.raises(ExerciseFailure, match=r"\(size - pool_size\) // stride \+ 1"):
        check_max_pool_forward(lambda x, pool_size=2, stride=None:
                               max_pool_forward(x, pool_size, 1))


@pytest.mark.parametrize(("route", "hint"), [
    ("every", "the gradient went to every cell of the window"),
    ("ties", "several cells tie for the maximum"),
])
def test_max_pool_backward_mistakes_get_their_hint(route, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_max_pool_backward(lambda g, x, pool_size=2, stride=None:
                                max_pool_backward(g, x, pool_size, stride, route=route))


@pytest.mark.parametrize("check", [check_padding_amounts, check_conv2d_forward,
                                   check_conv2d_backward, check_max_pool_forward,
                                   check_max_pool_backward])
def test_unfinished_functions_are_not_done_yet(check):
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
