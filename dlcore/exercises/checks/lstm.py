"""Checks of the LSTM exercise: one cell step forward and backward, and backpropagation
through a whole sequence, with Keras's weight layout.

``kernel (features, 4U)``, ``recurrent_kernel (U, 4U)`` and ``bias (4U,)`` hold the four gate
blocks side by side in the order i, f, c, o (input gate, forget gate, candidate, output gate),
as in ``dlcore.kernels.recurrent``. The step's forward reference writes the formulas out; its
backward reference is dlcore's automatic differentiation of those formulas; the sequence
reference is dlcore's numpy backpropagation through time
(``dlcore.kernels.recurrent.lstm_backward_reference``).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from dlcore.exercises.feedback import Case, check_function, difference
from dlcore.kernels.recurrent import lstm_backward_reference, lstm_forward_reference
from dlcore.tensor import tensor

RTOL, ATOL = 1e-6, 1e-9
GATE_ORDER = "ifco"
GATE_NAMES = {"i": "input gate", "f": "forget gate", "c": "candidate", "o": "output gate"}


def sigmoid(z):
    """``1 / (1 + e**-z)``, written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _matches(received, variant) -> bool:
    return difference(received, variant, RTOL, ATOL) is None


def _results(received, count: int) -> bool:
    return isinstance(received, tuple | list) and len(received) == count


# ----- one step forward ----------------------------------------------------------------------


def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias, order=GATE_ORDER,
              candidate=np.tanh, squash_cell=np.tanh):
    """``(h, c)`` of one step; ``order`` says which block of z each gate is read from (the
    other arguments only serve to reproduce common mistakes)."""
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    blocks = dict(zip(order, np.split(z, 4, axis=1), strict=True))
    input_gate, forget_gate = sigmoid(blocks["i"]), sigmoid(blocks["f"])
    output_gate, new_content = sigmoid(blocks["o"]), candidate(blocks["c"])
    c = forget_gate * c_prev + input_gate * new_content
    return output_gate * squash_cell(c), c


def reference_step_forward(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    return lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias)


STEP_SHAPES = [
    ("a batch of 3, 4 inputs, 5 units", 3, 4, 5, 0.5, True),
    ("a batch of 1, 1 input, 2 units", 1, 1, 2, 0.5, True),
    ("the first step: h_prev = c_prev = 0", 2, 3, 3, 0.5, False),
    ("large weights: most gates saturate near 0 or 1", 4, 3, 2, 4.0, True),
    ("a batch of 2, 7 inputs, 3 units", 2, 7, 3, 0.5, True),
]


def _step_inputs(rng, batch, features, units, scale, with_state):
    h_prev, c_prev = (rng.standard_normal((2, batch, units)) if with_state
                      else np.zeros((2, batch, units)))
    return (rng.standard_normal((batch, features)), h_prev, c_prev,
            scale * rng.standard_normal((features, 4 * units)),
            scale * rng.standard_normal((units, 4 * units)),
            scale * rng.standard_normal(4 * units))


def _step_cases(with_gradients: bool) -> list[Case]:
    rng = np.random.default_rng(21)
    cases = []
    for label, batch, features, units, scale, with_state in STEP_SHAPES:
        inputs = _step_inputs(rng, batch, features, units, scale, with_state)
        if with_gradients:
            upstream = (rng.standard_normal((batch, units)), rng.standard_normal((batch, units)))
            inputs = upstream + inputs
        cases.append(Case(label, inputs))
    return cases


def _order_message(order: str) -> str:
    found = ", ".join(f"{GATE_NAMES[gate]} from block {position}"
                      for position, gate in enumerate(order) if gate != GATE_ORDER[position])
    return ("the gate blocks are read in the wrong places (here: " + found + "). z = x @ kernel "
            "+ h_prev @ recurrent_kernel + bias holds four blocks of U columns in Keras's order "
            "i, f, c, o: z[:, :U] input gate, z[:, U:2U] forget gate, z[:, 2U:3U] candidate, "
            "z[:, 3U:] output gate (blocks 0 to 3).")


def _wrong_gate_order(received, expected, case):
    for order in permutations(GATE_ORDER):
        order = "".join(order)
        if order != GATE_ORDER and _matches(received, lstm_step(*case.args, order=order)):
            return _order_message(order)
    return None


def _sigmoid_candidate(received, expected, case):
    if _matches(received, lstm_step(*case.args, candidate=sigmoid)):
        return ("the candidate went through a sigmoid. The three gates (i, f, o) use the "
                "sigmoid, to be between 0 and 1; the candidate c~ = tanh(z_c) uses tanh, so "
                "the new content can be negative as well as positive.")
    return None


def _cell_not_squashed(received, expected, case):
    if _matches(received, lstm_step(*case.args, squash_cell=lambda c: c)):
        return "h is o * tanh(c), not o * c: the cell state goes through tanh first."
    return None


def check_lstm_step_forward(lstm_step_forward) -> None:
    """``(h, c)`` of one step from ``x, h_prev, c_prev`` and the weights."""
    check_function("lstm_step_forward", lstm_step_forward, reference_step_forward,
                   _step_cases(with_gradients=False), rtol=RTOL, atol=ATOL,
                   hints=[_wrong_gate_order, _sigmoid_candidate, _cell_not_squashed])


# ----- one step backward ---------------------------------------------------------------------


def reference_step_backward(dh, dc, x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """``(dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)`` by dlcore's autodiff of
    ``L = sum(h * dh) + sum(c * dc)``."""
    leaves = [tensor(np.asarray(value, dtype=np.float64), requires_grad=True)
              for value in (x, h_prev, c_prev, kernel, recurrent_kernel, bias)]
    x, h_prev, c_prev, kernel, recurrent_kernel, bias = leaves
    units = h_prev.shape[1]
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    input_gate, forget_gate = z[:, :units].sigmoid(), z[:, units:2 * units].sigmoid()
    new_content, output_gate = z[:, 2 * units:3 * units].tanh(), z[:, 3 * units:].sigmoid()
    c = forget_gate * c_prev + input_gate * new_content
    h = output_gate * c.tanh()
    ((h * dh).sum() + (c * dc).sum()).backward()
    return tuple(leaf.grad for leaf in leaves)


def _next_step_ignored(received, expected, case):
    dh, dc, *inputs = case.args
    if _matches(received, reference_step_backward(dh, np.zeros_like(dc), *inputs)):
        return ("the gradient dc coming from the next step was left out. c_t reaches the loss "
                "two ways: through h_t = o * tanh(c_t), and through c_{t+1} = f_{t+1} * c_t + "
                "... of the next step, whose gradient arrives as dc. The total is "
                "dc + dh * o * (1 - tanh(c)**2).")
    return None


def _previous_cell_without_forget_gate(received, expected, case):
    if not _results(received, 6):
        return None
    dh, dc, x, h_prev, c_prev, kernel, recurrent_kernel, bias = case.args
    units = h_prev.shape[1]
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    forget_gate = sigmoid(z[:, units:2 * units])
    if _matches(received[2], expected[2] / forget_gate):
        return ("dc_prev is missing the factor f: c = f * c_prev + i * c~, so "
                "dc_prev = (total gradient of c) * f.")
    return None


def _blocks_permuted(received, expected, case):
    """The gradient of the bias (or kernel) has the right blocks in the wrong order."""
    if not _results(received, 6):
        return None
    blocks = np.split(np.asarray(expected[5]), 4)
    for order in permutations(range(4)):
        if order != (0, 1, 2, 3) and _matches(received[5], np.concatenate(
                [blocks[k] for k in order])):
            return ("the four blocks of dz are right but in the wrong order. Write them in "
                    "Keras's order i, f, c, o (dz_i, dz_f, dz_c, dz_o side by side), the order "
                    "in which the forward pass reads z.")
    return None


def check_lstm_step_backward(lstm_step_backward) -> None:
    """``(dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias)`` of one step, given
    ``dh = dL/dh`` and ``dc``, the gradient reaching ``c`` from the next step."""
    check_function("lstm_step_backward", lstm_step_backward, reference_step_backward,
                   _step_cases(with_gradients=True), rtol=RTOL, atol=ATOL,
                   hints=[_next_step_ignored, _previous_cell_without_forget_gate,
                          _blocks_permuted])


# ----- a whole sequence ----------------------------------------------------------------------


def reference_lstm_backward(g, x, kernel, recurrent_kernel, bias):
    """dlcore's BPTT: ``(dx, dkernel, drecurrent_kernel, dbias)`` for ``g = dL/dh_t``
    of every step, shape ``(batch, steps, units)``."""
    states = lstm_forward_reference(x, kernel, recurrent_kernel, bias)
    return lstm_backward_reference(g, x, kernel, recurrent_kernel, *states)


def backward_through_time(g, x, kernel, recurrent_kernel, bias, carry_cell=True,
                          carry_hidden=True):
    """BPTT step by step with the references above; ``carry_cell=False`` or
    ``carry_hidden=False`` drops what flows back from step t to step t - 1 (common mistakes)."""
    steps, units = x.shape[1], recurrent_kernel.shape[0]
    hs, cs = [np.zeros((x.shape[0], units))], [np.zeros((x.shape[0], units))]
    for t in range(steps):
        h, c = lstm_step(x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)
        hs.append(h)
        cs.append(c)
    dx = np.zeros_like(x)
    totals = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)]
    dh_next, dc_next = np.zeros_like(hs[0]), np.zeros_like(cs[0])
    for t in reversed(range(steps)):
        dh = g[:, t] + (dh_next if carry_hidden else 0.0)
        dc = dc_next if carry_cell else np.zeros_like(dc_next)
        dx[:, t], dh_next, dc_next, *weights = reference_step_backward(
            dh, dc, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)
        for total, gradient in zip(totals, weights, strict=True):
            total += gradient
    return (dx, *totals)


def _sequence_cases() -> list[Case]:
    rng = np.random.default_rng(22)
    cases = []
    for label, batch, steps, features, units in [
        ("a batch of 2, 5 steps, 3 inputs, 4 units", 2, 5, 3, 4),
        ("a single step", 3, 1, 2, 3),
        ("a batch of 1, 8 steps, 1 input, 2 units", 1, 8, 1, 2),
    ]:
        x = rng.standard_normal((batch, steps, features))
        weights = (rng.standard_normal((features, 4 * units)),
                   rng.standard_normal((units, 4 * units)), rng.standard_normal(4 * units))
        g = rng.standard_normal((batch, steps, units))
        cases.append(Case(label, (g, x, *weights)))
    return cases


def _cell_gradient_not_carried(received, expected, case):
    if _matches(received, backward_through_time(*case.args, carry_cell=False)):
        return ("the cell state's gradient does not flow back from step t to step t - 1. The "
                "dc_prev that lstm_step_backward returns for step t is the dc of step t - 1: "
                "keep it from one step to the next, starting from zeros at the last step.")
    return None


def _hidden_gradient_not_carried(received, expected, case):
    if _matches(received, backward_through_time(*case.args, carry_hidden=False)):
        return ("h_{t-1} reaches the loss through the output g[:, t-1] and through step t: "
                "call the step backward of t - 1 with dh = g[:, t-1] + dh_prev of step t.")
    return None


def _weights_not_summed(received, expected, case):
    if (_results(received, 4) and _matches(received[0], expected[0])
            and not _matches(received[1:], expected[1:])):
        return ("dx is right but the weight gradients are not: every step uses the same "
                "kernel, recurrent_kernel and bias, so their gradients are the sums of the "
                "gradients of all steps.")
    return None


def check_lstm_backward(lstm_backward) -> None:
    """``(dx, dkernel, drecurrent_kernel, dbias)`` of an LSTM over a sequence, for
    ``g = dL/dh_t`` at every step ``(batch, steps, units)``."""
    check_function("lstm_backward", lstm_backward, reference_lstm_backward, _sequence_cases(),
                   rtol=RTOL, atol=ATOL,
                   hints=[_cell_gradient_not_carried, _hidden_gradient_not_carried,
                          _weights_not_summed])
