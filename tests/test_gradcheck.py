"""gradcheck itself: it must pass correct gradients and catch wrong ones, saying where."""

import re

import numpy as np
import pytest

import dlcore as dl
from dlcore.autograd import Function
from dlcore.tensor import apply


class CubeWithWrongBackward(Function):
    """z = a**3, with a backward that forgets the factor 3 (the mistake gradcheck must catch)."""

    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return a**3

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.a**2,)


def test_a_wrong_backward_fails_with_the_input_index_and_both_values():
    a = np.array([[0.5, -1.0], [2.0, 1.5]])
    with pytest.raises(AssertionError) as failure:
        dl.gradcheck(lambda x: apply(CubeWithWrongBackward, x), a)
    message = str(failure.value)
    assert "input 0 (shape (2, 2)) at index (0, 0)" in message
    upstream = np.random.default_rng(0).standard_normal((2, 2))
    values = re.search(r"backward gives (\S+), finite differences give (\S+) ", message)
    backward, numeric = float(values[1]), float(values[2])
    assert backward == pytest.approx(upstream[0, 0] * 0.25)
    assert numeric == pytest.approx(upstream[0, 0] * 0.75, rel=1e-6)


def test_a_wrong_gradient_hidden_in_the_second_input_is_found():
    with pytest.raises(AssertionError, match=r"input 1 \(shape \(3,\)\)"):
        dl.gradcheck(lambda x, y: x + apply(CubeWithWrongBackward, y),
                     np.ones(3), np.array([1.0, 2.0, 3.0]))


def test_a_correct_gradient_passes_and_float32_inputs_are_checked_in_float64():
    x = dl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert dl.gradcheck(lambda t: (t * t).sum(axis=0), x)
    assert x.grad is None  # the user's tensor is not touched


def test_non_differentiable_inputs_pass_through_unchanged():
    ids = np.array([2, 0, 2])
    assert dl.gradcheck(lambda table, i: table[i] * 2.0, np.arange(6.0).reshape(3, 2), ids)


def test_float32_computation_inside_fn_is_refused_with_the_fix():
    weight = dl.tensor([1.0, 2.0])  # float32
    with pytest.raises(TypeError, match="float32 tensor; finite differences need float64"):
        dl.gradcheck(lambda x: dl.tensor(x.tolist()) * weight, np.ones(2))


def test_nothing_to_differentiate_is_an_error():
    with pytest.raises(ValueError, match="at least one input to differentiate"):
        dl.gradcheck(lambda t: t * 2, dl.tensor([1.0]))


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="must return a Tensor, got ndarray"):
        dl.gradcheck(lambda t: t.data, np.ones(2))
