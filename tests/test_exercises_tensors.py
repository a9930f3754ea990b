"""Exercise 1 (broadcasting in backward passes): right answers pass, each common mistake is
caught with its hint, and an unfinished function is "not done yet"."""

import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.tensors import (
    check_add_backward,
    check_mul_backward,
    check_unbroadcast,
)


def unbroadcast(grad, shape):
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)
    return grad.sum(axis=stretched, keepdims=True)


def add_backward(a, b, g):
    return unbroadcast(g, a.shape), unbroadcast(g, b.shape)


def mul_backward(a, b, g):
    return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)


def test_right_answers_pass_every_check(capsys):
    check_unbroadcast(unbroadcast)
    check_add_backward(add_backward)
    check_mul_backward(mul_backward)
    assert capsys.readouterr().out.count("✓") == 3


def only_leading_axes(grad, shape):
    return grad.sum(axis=tuple(range(grad.ndim - len(shape))))


def only_stretched_axes(grad, shape):
    leading = grad.ndim - len(shape)
    stretched = tuple(leading + axis for axis, size in enumerate(shape) if size == 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def without_keepdims(grad, shape):
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)
    return grad.sum(axis=stretched) if stretched else grad


def trailing_axes(grad, shape):
    return grad.sum(axis=tuple(range(len(shape), grad.ndim)))


def mean_instead_of_sum(grad, shape):
    grad = grad.mean(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)
    return grad.mean(axis=stretched, keepdims=True)


@pytest.mark.parametrize(("wrong", "hint"), [
    (only_leading_axes, r"axis 1 has size 1 in the input's shape \(4, 1\) but size 5"),
    (only_stretched_axes, r"1 more axes than the input. Broadcasting puts new axes in FRONT"),
    (without_keepdims, r"shape is \(4,\), not \(4, 1\).*keepdims=True"),
    (trailing_axes, r"you summed over axes the input really had.*from the RIGHT"),
    (mean_instead_of_sum, r"4 times too small.*SUM"),
], ids=["stretched axis not summed", "leading axes not summed", "size-1 axis dropped",
        "wrong axis", "mean"])
def test_unbroadcast_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)unbroadcast is not right yet.*Hint: .*{hint}"):
        check_unbroadcast(wrong)


def test_a_gradient_of_the_output_shape_is_caught():
    with pytest.raises(ExerciseFailure, match=r"(?s)db has shape \(4, 3\), but the input has "
                                              r"shape \(3,\).*unbroadcast"):
        check_add_backward(lambda a, b, g: (g, g))


def test_swapped_factors_are_caught():
    def swapped(a, b, g):
        return unbroadcast(g * a, a.shape), unbroadcast(g * b, b.shape)

    with pytest.raises(ExerciseFailure, match="times the OTHER factor. You multiplied by a"):
        check_mul_backward(swapped)


@pytest.mark.parametrize("check", [check_unbroadcast, check_add_backward, check_mul_backward])
def test_unfinished_functions_are_not_done_yet(check):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
