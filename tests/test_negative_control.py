"""Negative controls: a deliberately wrong backward pass must fail the registry's checks.

Each case swaps one op's backward, within the test, for a subtly wrong one (a sign flip on
one term, a missing factor, a flipped or permuted gradient, an assignment where a sum is
due) and runs the same check functions ``test_nn_op_table.py`` runs: finite differences,
the numpy reference and PyTorch must each reject it on every sample of the op. With the
real backward the same checks pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlcore import ops
from dlcore.functional.activations import SoftmaxCrossEntropyFunction
from dlcore.functional.conv import Conv2DFunction
from dlcore.functional.embedding import EmbeddingFunction
from dlcore.functional.normalization import BatchNormFunction
from dlcore.functional.recurrent import LSTMFunction
from dlcore.kernels import softmax as softmax_kernels
from tests.nn_op_table import BY_ID
from tests.test_nn_op_table import check_gradcheck, check_reference, check_torch


def tanh_with_a_sign_flip(ctx, g):
    return (g * (1 + ctx.z * ctx.z),)  # the right one: g * (1 - z**2)


def cross_entropy_without_the_upstream_factor(ctx, g):
    return (softmax_kernels.softmax_cross_entropy_backward(ctx.s, ctx.labels, np.ones_like(g)),)


def embedding_assigning_instead_of_adding(ctx, g):
    """Repeated ids keep only the last position's gradient instead of the sum."""
    dtable = np.zeros((ctx.input_dim, g.shape[-1]), g.dtype)
    dtable[ctx.ids.reshape(-1)] = g.reshape(-1, g.shape[-1])
    return (dtable,)


def wrapping(function, change):
    """A backward that runs ``function``'s real one and passes its gradients to ``change``."""
    original = function.backward

    def backward(ctx, g):
        return change(ctx, original(ctx, g))

    return backward


def conv_kernel_gradient_flipped(ctx, grads):
    """Convolution instead of cross-correlation: the kernel gradient turned by 180 degrees."""
    dx, dkernel, dbias = grads
    return dx, dkernel[::-1, ::-1], dbias


def lstm_input_and_forget_gates_swapped(ctx, grads):
    """The gate blocks of the weight gradients in the order f, i, c, o instead of i, f, c, o."""

    def swapped(grad):
        i, f, c, o = np.split(grad, 4, axis=-1)
        return np.concatenate([f, i, c, o], axis=-1)

    dx, *weights = grads
    return dx, *(None if grad is None else swapped(grad) for grad in weights)


BATCH_NORM_BACKWARD = BatchNormFunction.backward


def batch_norm_training_as_inference(ctx, g):
    """The training backward without the two terms that come from the batch statistics."""
    ctx.training = False
    return BATCH_NORM_BACKWARD(ctx, g)

WRONG_BACKWARDS = [
    pytest.param("tanh", ops.Tanh, tanh_with_a_sign_flip, id="tanh-sign-flip"),
    pytest.param("conv2d", Conv2DFunction,
                 wrapping(Conv2DFunction, conv_kernel_gradient_flipped),
                 id="conv2d-flipped-kernel-gradient"),
    pytest.param("lstm", LSTMFunction, wrapping(LSTMFunction, lstm_input_and_forget_gates_swapped),
                 id="lstm-swapped-gates"),
    pytest.param("batch_norm-training", BatchNormFunction, batch_norm_training_as_inference,
                 id="batch_norm-missing-batch-terms"),
    pytest.param("softmax_cross_entropy", SoftmaxCrossEntropyFunction,
                 cross_entropy_without_the_upstream_factor, id="cross_entropy-missing-factor"),
    pytest.param("embedding", EmbeddingFunction, embedding_assigning_instead_of_adding,
                 id="embedding-assigned-not-added"),
]


def assert_caught(monkeypatch, case_id, function, wrong_backward, check):
    """``check`` passes with the real backward, and fails on every sample with the wrong one."""
    case = BY_ID[case_id]
    check(case, case.samples[0])
    monkeypatch.setattr(function, "backward", staticmethod(wrong_backward))
    for sample in case.samples:
        with pytest.raises(AssertionError):
            check(case, sample)


@pytest.mark.parametrize(("case_id", "function", "wrong_backward"), WRONG_BACKWARDS)
def test_finite_differences_catch_a_wrong_backward(monkeypatch, case_id, function,
                                                   wrong_backward):
    assert_caught(monkeypatch, case_id, function, wrong_backward, check_gradcheck)


@pytest.mark.parametrize(("case_id", "function", "wrong_backward"), WRONG_BACKWARDS)
def test_the_numpy_reference_catches_a_wrong_backward(monkeypatch, case_id, function,
                                                      wrong_backward):
    assert_caught(monkeypatch, case_id, function, wrong_backward, check_reference)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("case_id", "function", "wrong_backward"), WRONG_BACKWARDS)
def test_torch_catches_a_wrong_backward(monkeypatch, torch, case_id, function, wrong_backward,
                                        dtype):
    assert_caught(monkeypatch, case_id, function, wrong_backward,
                  lambda case, sample: check_torch(case, sample, torch, dtype))


def test_the_gradcheck_failure_names_the_input_and_the_element(monkeypatch):
    monkeypatch.setattr(ops.Tanh, "backward", staticmethod(tanh_with_a_sign_flip))
    case = BY_ID["tanh"]
    with pytest.raises(AssertionError, match=r"gradcheck failed for input 0 \(shape \(3, 4\)\) "
                                             r"at index \(0, 0\): backward gives .*finite "
                                             r"differences give"):
        check_gradcheck(case, case.samples[0])
