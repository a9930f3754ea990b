"""The LSTM exercise's checks: correct answers pass, each common mistake is caught with its
hint, unfinished functions are "not done yet", and the references agree with dlcore's LSTM
and with finite differences."""

from functools import partial

import numpy as np
import pytest

import dlcore as dl
import dlcore.functional as F
from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.backprop import numerical_gradient
from dlcore.exercises.checks.lstm import (
    backward_through_time,
    check_lstm_backward,
    check_lstm_step_backward,
    check_lstm_step_forward,
    reference_lstm_backward,
    reference_step_backward,
    reference_step_forward,
)
from dlcore.kernels.recurrent import lstm_forward_reference


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gates(x, h_prev, kernel, recurrent_kernel, bias, order="ifco", candidate=np.tanh):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    blocks = dict(zip(order, np.split(z, 4, axis=1), strict=True))
    return (sigmoid(blocks["i"]), sigmoid(blocks["f"]), candidate(blocks["c"]),
            sigmoid(blocks["o"]))


def lstm_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias, **mistake):
    i, f, k, o = gates(x, h_prev, kernel, recurrent_kernel, bias, **mistake)
    c = f * c_prev + i * k
    return o * np.tanh(c), c


def lstm_step_backward(dh, dc, x, h_prev, c_prev, kernel, recurrent_kernel, bias,
                       from_next=True, forget_factor=True, order=(0, 1, 2, 3)):
    i, f, k, o = gates(x, h_prev, kernel, recurrent_kernel, bias)
    tanh_c = np.tanh(f * c_prev + i * k)
    dc_total = dh * o * (1 - tanh_c**2) + (dc if from_next else 0)
    blocks = [dc_total * k * i * (1 - i), dc_total * c_prev * f * (1 - f),
              dc_total * i * (1 - k**2), dh * tanh_c * o * (1 - o)]
    dz = np.concatenate([blocks[position] for position in order], axis=1)
    return (dz @ kernel.T, dz @ recurrent_kernel.T, dc_total * (f if forget_factor else 1),
            x.T @ dz, h_prev.T @ dz, dz.sum(axis=0))


def lstm_backward(g, x, kernel, recurrent_kernel, bias, carry_cell=True, carry_hidden=True):
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    hs, cs = [np.zeros((batch, units))], [np.zeros((batch, units))]
    for t in range(steps):
        h, c = lstm_step_forward(x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)
        hs.append(h)
        cs.append(c)
    dx = np.zeros_like(x)
    dkernel, drecurrent, dbias = (np.zeros_like(w) for w in (kernel, recurrent_kernel, bias))
    dh_next, dc_next = np.zeros((batch, units)), np.zeros((batch, units))
    for t in reversed(range(steps)):
        dh = g[:, t] + (dh_next if carry_hidden else 0)
        dc = dc_next if carry_cell else np.zeros_like(dc_next)
        dx[:, t], dh_next, dc_next, dw, dr, db = lstm_step_backward(
            dh, dc, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)
        dkernel, drecurrent, dbias = dkernel + dw, drecurrent + dr, dbias + db
    return dx, dkernel, drecurrent, dbias


def unfinished(*args, **kwargs):
    raise NotImplementedError()


def test_correct_answers_pass(capsys):
    check_lstm_step_forward(lstm_step_forward)
    check_lstm_step_backward(lstm_step_backward)
    check_lstm_backward(lstm_backward)
    output = capsys.readouterr().out
    for name in ("lstm_step_forward", "lstm_step_backward", "lstm_backward"):
        assert f"✓ {name}" in output


def weights(rng, features, units):
    return (rng.standard_normal((features, 4 * units)), rng.standard_normal((units, 4 * units)),
            rng.standard_normal(4 * units))


def test_the_step_reference_continues_dlcores_sequence_from_any_state():
    rng = np.random.default_rng(0)
    x, (kernel, recurrent_kernel, bias) = rng.standard_normal((3, 2, 4)), weights(rng, 4, 5)
    hs, cs, _, _ = lstm_forward_reference(x, kernel, recurrent_kernel, bias)
    h, c = reference_step_forward(x[:, 1], hs[1], cs[1], kernel, recurrent_kernel, bias)
    np.testing.assert_allclose(h, hs[2], rtol=1e-12)
    np.testing.assert_allclose(c, cs[2], rtol=1e-12)


def test_the_step_backward_reference_agrees_with_finite_differences():
    rng = np.random.default_rng(1)
    dh, dc = rng.standard_normal((2, 2, 3))
    inputs = [rng.standard_normal((2, 4)), rng.standard_normal((2, 3)),
              rng.standard_normal((2, 3)), *weights(rng, 4, 3)]
    analytic = reference_step_backward(dh, dc, *inputs)

    def step_outputs(which, value):
        """(h, c) stacked, with input ``which`` replaced by ``value``."""
        return np.stack(reference_step_forward(*inputs[:which], value, *inputs[which + 1:]))

    for which, gradient in enumerate(analytic):
        numeric = numerical_gradient(partial(step_outputs, which), inputs[which],
                                     np.stack([dh, dc]))
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


def test_the_sequence_references_agree_with_each_other_and_with_dlcore_lstm():
    rng = np.random.default_rng(2)
    x, (kernel, recurrent_kernel, bias) = rng.standard_normal((2, 4, 3)), weights(rng, 3, 2)
    g = rng.standard_normal((2, 4, 2))
    expected = reference_lstm_backward(g, x, kernel, recurrent_kernel, bias)
    stepwise = backward_through_time(g, x, kernel, recurrent_kernel, bias)
    for got, want in zip(stepwise, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    leaves = [dl.tensor(value, requires_grad=True) for value in (x, kernel, recurrent_kernel, bias)]
    F.lstm(*leaves, return_sequences=True).backward(g)
    for leaf, want in zip(leaves, expected, strict=True):
        np.testing.assert_allclose(leaf.grad, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("mistake", "hint"), [
    ({"order": "fico"}, r"the gate blocks are read in the wrong places \(here: forget gate"),
    ({"order": "icfo"}, "in Keras's order i, f, c, o"),
    ({"candidate": sigmoid}, "the candidate went through a sigmoid"),
])
def test_step_forward_mistakes_get_their_hint(mistake, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_lstm_step_forward(lambda *args: lstm_step_forward(*args, **mistake))


def test_a_cell_state_without_tanh_gets_its_hint():
    def without_tanh(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
        i, f, k, o = gates(x, h_prev, kernel, recurrent_kernel, bias)
        c = f * c_prev + i * k
        return o * c, c

    with pytest.raises(ExerciseFailure, match=r"h is o \* tanh\(c\), not o \* c"):
        check_lstm_step_forward(without_tanh)


@pytest.mark.parametrize(("mistake", "hint"), [
    ({"from_next": False}, "the gradient dc coming from the next step was left out"),
    ({"forget_factor": False}, "dc_prev is missing the factor f"),
    ({"order": (1, 0, 2, 3)}, "the four blocks of dz are right but in the wrong order"),
])
def test_step_backward_mistakes_get_their_hint(mistake, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_lstm_step_backward(lambda *args: lstm_step_backward(*args, **mistake))


def last_step_weights(g, x, kernel, recurrent_kernel, bias):
    dx, _, _, _ = lstm_backward(g, x, kernel, recurrent_kernel, bias)
    single = lstm_backward(g[:, -1:], x[:, -1:], kernel, recurrent_kernel, bias)
    return (dx, *single[1:])


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda *args: lstm_backward(*args, carry_cell=False),
     "the cell state's gradient does not flow back"),
    (lambda *args: lstm_backward(*args, carry_hidden=False),
     r"call the step backward of t - 1 with dh = g\[:, t-1\] \+ dh_prev"),
    (last_step_weights, "their gradients are the sums of the gradients of all steps"),
])
def test_sequence_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_lstm_backward(wrong)


@pytest.mark.parametrize("check", [check_lstm_step_forward, check_lstm_step_backward,
                                   check_lstm_backward])
def test_unfinished_functions_are_not_done_yet(check):
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
