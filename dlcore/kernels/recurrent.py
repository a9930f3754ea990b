"""Recurrent layers over a whole sequence, SimpleRNN and LSTM: the forward pass and
backpropagation through time (BPTT). Compiled loops and numpy references.

Shapes: ``x`` is ``(B, T, D)`` (batch, timesteps, features); with ``G`` gate blocks of
``U`` units each (``G = 1`` for SimpleRNN, ``G = 4`` for LSTM) the weights are
``kernel W (D, G*U)``, ``recurrent_kernel R (U, G*U)`` and ``bias b (G*U,)``. ``x_t`` is
``x[:, t]``, of shape ``(B, D)``.

SimpleRNN::

    h_0 = 0
    a_t = x_t W + h_{t-1} R + b                       (B, U)
    h_t = tanh(a_t)

LSTM (the columns of ``z_t`` hold the gate blocks in the Keras order i, f, c, o)::

    h_0 = c_0 = 0
    z_t = x_t W + h_{t-1} R + b = [z_i | z_f | z_c | z_o]          (B, 4U)
    i_t = sigmoid(z_i)   f_t = sigmoid(z_f)   k_t = tanh(z_c)   o_t = sigmoid(z_o)
    c_t = f_t * c_{t-1} + i_t * k_t
    h_t = o_t * tanh(c_t)

Backward. ``g_t = dL/dh_t`` is the gradient arriving from outside the op: at every step
when the op returned the whole sequence, else only at the last step (``g_t = 0`` for
``t < T``). Going back from ``t = T`` to ``1``, with ``da_{T+1} = dz_{T+1} = 0`` and
``dc_{T+1} = 0`` (``*`` is elementwise, ``@`` a matrix product)::

    SimpleRNN   dh_t = g_t + da_{t+1} @ R.T
                da_t = dh_t * (1 - h_t**2)

    LSTM        dh_t = g_t + dz_{t+1} @ R.T
                dc_t = dc_{t+1} * f_{t+1} + dh_t * o_t * (1 - tanh(c_t)**2)
                dz_i = dc_t * k_t * i_t * (1 - i_t)
                dz_f = dc_t * c_{t-1} * f_t * (1 - f_t)
                dz_c = dc_t * i_t * (1 - k_t**2)
                dz_o = dh_t * tanh(c_t) * o_t * (1 - o_t)

and then, with ``d_t`` standing for ``da_t`` or ``dz_t``::

    dW = sum_t x_t.T @ d_t          dR = sum_t h_{t-1}.T @ d_t
    db = sum_t sum_batch d_t        dx_t = d_t @ W.T

How the compiled version is organised (the references below follow the formulas step by
step instead). Everything is stored time-major, so that the rows of one step are one
contiguous block: ``x_t`` of every step stacked as ``(T*B, D)`` rows makes ``x_t W + b``
for all steps one BLAS matrix product before the time loop, and each sum over ``t`` above
one matrix product after it (``dW = X.T @ D`` with every ``d_t`` stacked in
``D (T*B, G*U)``). Inside the time loop remain one small matrix product per step,
``h_{t-1} R`` forward and ``d_{t+1} R.T`` backward, and one compiled pass over the gate
values. The forward pass keeps what BPTT needs: the hidden states ``h_0 .. h_T`` as
``hs (T+1, B, U)``, and for LSTM the cell states ``cs (T+1, B, U)``, the gate values
``gates (T, B, 4U) = [i | f | k | o]`` and ``tanh_cs (T, B, U) = tanh(c_1 .. c_T)``.

Every matrix product goes through numpy (``np.matmul``), the BLAS library that the other
ops use too: numba's ``np.dot`` calls a second OpenBLAS (scipy's), whose thread pool and
numpy's then compete for the two cores; measured here, 50 per-step products through numba
followed by a dense layer's products through numpy took several times the sum of their
separate times. The time loop itself is therefore a Python loop of two calls per step (a
few µs of overhead per step, against about 100 µs of work per step in the LSTM benchmark).

sigmoid and tanh are computed from an exponential written out below, in the arrays' own
precision: numba has no vectorised ``exp`` (it calls the C library once per number, about
20 ns for ``tanh``), while this one compiles to vector instructions (about 0.4 ns per
float32 number). Relative error: below 2e-7 in float32 and 5e-16 in float64 (for
``|z| <= 87`` and ``|z| <= 700``; beyond that the result is the value at that bound,
``sigmoid`` below 2e-38 or 1e-304, ``tanh`` exactly +-1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import ALIGNMENT, empty_aligned, zeros_aligned
from dlcore.kernels.activations import add_bias_relu, column_sums

# ----- sigmoid and tanh, from an exponential that vectorises -------------------------------
# ``real`` is the arrays' scalar type (np.float32 or np.float64); numba compiles one version
# per type, and every constant is rounded to that type, so float32 is computed in float32.

_LOG2_E = 1.4426950408889634
_LN2_HIGH = 0.693145751953125  # ln 2 = _LN2_HIGH + _LN2_LOW; _LN2_HIGH has 16 significant
_LN2_LOW = 1.4286068203094172e-06  # bits, so n * _LN2_HIGH is exact in float32 and float64
_INVERSE_FACTORIALS = tuple(1.0 / np.prod(np.arange(1.0, k + 1.0)) for k in range(1, 14))


@jit(error_model="numpy")
def _is_single(real):
    """True for float32 (then fewer series terms and a narrower exponent range suffice)."""
    return np.finfo(real).eps > 1e-10


@jit(error_model="numpy")
def _lowest_exponent(real):
    """The most negative ``x`` passed to ``_exp_parts``: ``e**x`` is still a normal number."""
    return real(-87.0) if _is_single(real) else real(-700.0)


@jit(error_model="numpy")
def _exp_parts(x, real):
    """Split ``e**x`` as ``(2**n, e**r - 1)`` with ``x = n ln2 + r``, ``|r| <= ln2 / 2``.

    ``e**x = 2**n * (1 + (e**r - 1))``. ``e**r - 1`` is its Taylor series up to ``r**7``
    (float32) or ``r**13`` (float64), the first left-out term being below the precision;
    ``2**n`` is built directly from its exponent bits. Needs ``_lowest_exponent <= x <= 0``.
    """
    single = _is_single(real)
    n = np.floor(x * real(_LOG2_E) + real(0.5))
    r = (x - n * real(_LN2_HIGH)) - n * real(_LN2_LOW)
    top = 6 if single else 12
    p = real(_INVERSE_FACTORIALS[top])
    for k in range(top - 1, -1, -1):
        p = p * r + real(_INVERSE_FACTORIALS[k])
    if single:
        power_of_two = real(np.int32((np.int32(n) + 127) << 23).view(np.float32))
    else:
        power_of_two = real(np.int64((np.int64(n) + 1023) << 52).view(np.float64))
    return power_of_two, p * r


@jit(error_model="numpy")
def _sigmoid(z, real):
    """``1 / (1 + e**-z)`` with ``e = e**-|z| <= 1``: ``1/(1+e)`` if ``z >= 0``, else ``e/(1+e)``"""
    power_of_two, expm1_r = _exp_parts(max(-abs(z), _lowest_exponent(real)), real)
    e = power_of_two + power_of_two * expm1_r
    s = real(1.0) / (real(1.0) + e)
    return s if z >= real(0.0) else e * s


@jit(error_model="numpy")
def _tanh(z, real):
    """``tanh|z| = -m / (2 + m)``, ``m = e**(-2|z|) - 1`` (exact even for tiny z), with z's sign."""
    power_of_two, expm1_r = _exp_parts(max(real(-2.0) * abs(z), _lowest_exponent(real)), real)
    m = power_of_two * expm1_r + (power_of_two - real(1.0))
    t = -m / (real(2.0) + m)
    return t if z >= real(0.0) else -t


# ----- compiled passes over one time step ---------------------------------------------------
# They go row by row (one sequence of the batch at a time), each inner loop running from 0
# over 1-D rows and touching few arrays: the form the compiler turns into vector
# instructions (measured 3x slower: a loop over ``range(start, stop)`` of a longer row, or
# one whose output row is also passed as a separate input).
# ``hr (B, G*U)`` is ``h_{t-1} R``; ``x_t W + b`` was written beforehand where the step's
# result goes (``hs[t+1]`` for SimpleRNN, ``gates[t]`` for LSTM), and is replaced in place.


@jit(error_model="numpy")
def _sigmoid_of_sum(z, h):
    """``z[j] = sigmoid(z[j] + h[j])`` for every ``j``, in place."""
    real = z.dtype.type
    for j in range(z.shape[0]):
        z[j] = _sigmoid(z[j] + h[j], real)


@jit(error_model="numpy")
def _tanh_of_sum(z, h):
    """``z[j] = tanh(z[j] + h[j])`` for every ``j``, in place."""
    real = z.dtype.type
    for j in range(z.shape[0]):
        z[j] = _tanh(z[j] + h[j], real)


@jit(error_model="numpy")
def _simple_rnn_step(t, hr, hs):
    """``hs[t+1] = tanh(hs[t+1] + hr)``: ``hs[t+1]`` holds ``x_t W + b`` on entry."""
    for b in range(hs.shape[1]):
        _tanh_of_sum(hs[t + 1, b], hr[b])


@jit(error_model="numpy")
def _simple_rnn_step_backward(t, dh, da, hs):
    """``da[t] = dh * (1 - hs[t+1]**2)``."""
    one = da.dtype.type(1.0)
    for b in range(da.shape[1]):
        h, dh_row, da_row = hs[t + 1, b], dh[b], da[t, b]
        for j in range(da.shape[2]):
            da_row[j] = dh_row[j] * (one - h[j] * h[j])


@jit(error_model="numpy")
def _lstm_step(t, hr, hs, cs, gates, tanh_cs):
    """Gates ``[i | f | k | o]`` of step t, then ``cs[t+1]``, ``tanh_cs[t]`` and ``hs[t+1]``.

    ``gates[t]`` holds ``x_t W + b`` on entry; adding ``hr`` gives ``z_t``.
    """
    real = hs.dtype.type
    u = hs.shape[2]
    for b in range(hs.shape[1]):
        gate, hr_row = gates[t, b], hr[b]
        _sigmoid_of_sum(gate[: 2 * u], hr_row[: 2 * u])
        _tanh_of_sum(gate[2 * u : 3 * u], hr_row[2 * u : 3 * u])
        _sigmoid_of_sum(gate[3 * u :], hr_row[3 * u :])
        c_prev, c, tanh_c, h = cs[t, b], cs[t + 1, b], tanh_cs[t, b], hs[t + 1, b]
        for j in range(u):
            c[j] = gate[u + j] * c_prev[j] + gate[j] * gate[2 * u + j]
        for j in range(u):
            tanh_c[j] = _tanh(c[j], real)
        for j in range(u):
            h[j] = gate[3 * u + j] * tanh_c[j]


@jit(error_model="numpy")
def _lstm_step_backward(t, dh, dz, dc, cs, gates, tanh_cs):
    """``dz[t] = [dz_i | dz_f | dz_c | dz_o]``; ``dc`` goes from ``dc_{t+1} * f_{t+1}`` to
    ``dc_t * f_t``, ready for step ``t-1``."""
    one = dz.dtype.type(1.0)
    units = dc.shape[1]
    for b in range(dc.shape[0]):
        gate, d = gates[t, b], dz[t, b]
        i, f = gate[:units], gate[units : 2 * units]
        k, o = gate[2 * units : 3 * units], gate[3 * units :]
        dz_i, dz_f = d[:units], d[units : 2 * units]
        dz_c, dz_o = d[2 * units : 3 * units], d[3 * units :]
        c_prev, tanh_c, dh_row, dc_row = cs[t, b], tanh_cs[t, b], dh[b], dc[b]
        for j in range(units):
            dz_o[j] = dh_row[j] * tanh_c[j] * o[j] * (one - o[j])
        for j in range(units):
            dc_row[j] += dh_row[j] * o[j] * (one - tanh_c[j] * tanh_c[j])
        for j in range(units):
            dz_i[j] = dc_row[j] * k[j] * i[j] * (one - i[j])
        for j in range(units):
            dz_f[j] = dc_row[j] * c_prev[j] * f[j] * (one - f[j])
        for j in range(units):
            dz_c[j] = dc_row[j] * i[j] * (one - k[j] * k[j])
        for j in range(units):
            dc_row[j] *= f[j]


# ----- entry points ---------------------------------------------------------------------------

Needs = tuple[bool, bool, bool, bool]
Grads = tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray | None]


def simple_rnn_forward(
    x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    """Hidden states ``hs (T+1, B, U)``, time-major: ``hs[0] = 0``, ``hs[t] = h_t``.

    ``bias`` may be None (no bias). Everything is computed in the common dtype of the inputs.
    """
    dtype = _common_dtype(x, kernel, recurrent_kernel, bias)
    batch, steps, _ = x.shape
    hs = empty_aligned((steps + 1, batch, kernel.shape[1]), dtype)
    hs[0] = 0
    _input_projection(x, kernel, bias, hs[1:])
    _forward_through_time(_simple_rnn_step, recurrent_kernel, hs)
    return hs


def simple_rnn_backward(
    g: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    hs: np.ndarray,
    needs: Needs = (True, True, True, True),
) -> Grads:
    """``(dx, dkernel, drecurrent_kernel, dbias)`` by BPTT; None where ``needs`` says False.

    ``g`` is ``dL/dh_T`` of shape ``(B, U)``, or ``dL/dh_t`` of every step ``(B, T, U)``;
    ``hs`` is what ``simple_rnn_forward`` returned.
    """
    da = empty_aligned((hs.shape[0] - 1, *hs.shape[1:]), hs.dtype)
    _backward_through_time(_simple_rnn_step_backward, g, recurrent_kernel, da, hs)
    return _weight_and_input_gradients(da, x, kernel, hs, needs)


def lstm_forward(
    x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(hs, cs, gates, tanh_cs)``, time-major (see the module docstring).

    ``hs`` and ``cs`` are ``(T+1, B, U)`` with row 0 the zero initial state, ``gates`` is
    ``(T, B, 4U)`` with the gate values ``[i | f | k | o]``, ``tanh_cs`` is ``(T, B, U)``.
    """
    batch, steps, _ = x.shape
    units = kernel.shape[1] // 4
    gates, hs, cs, tanh_cs = _arrays_in_one_block(
        [(steps, batch, 4 * units), (steps + 1, batch, units), (steps + 1, batch, units),
         (steps, batch, units)],
        _common_dtype(x, kernel, recurrent_kernel, bias),
    )
    hs[0] = cs[0] = 0
    _input_projection(x, kernel, bias, gates)
    _forward_through_time(_lstm_step, recurrent_kernel, hs, cs, gates, tanh_cs)
    return hs, cs, gates, tanh_cs


def lstm_backward(
    g: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    hs: np.ndarray,
    cs: np.ndarray,
    gates: np.ndarray,
    tanh_cs: np.ndarray,
    needs: Needs = (True, True, True, True),
) -> Grads:
    """``(dx, dkernel, drecurrent_kernel, dbias)`` by BPTT; None where ``needs`` says False.

    ``g`` is ``(B, U)`` or ``(B, T, U)`` as in ``simple_rnn_backward``; ``hs, cs, gates,
    tanh_cs`` are what ``lstm_forward`` returned.
    """
    dz = empty_aligned(gates.shape, gates.dtype)
    dc = zeros_aligned(hs.shape[1:], hs.dtype)
    _backward_through_time(_lstm_step_backward, g, recurrent_kernel, dz, dc, cs, gates, tanh_cs)
    return _weight_and_input_gradients(dz, x, kernel, hs, needs)


def _arrays_in_one_block(shapes: list[tuple[int, ...]], dtype: np.dtype) -> list[np.ndarray]:
    """One array per shape, all of them views of one allocation, each 64-byte aligned.

    Why one block: glibc's malloc returns freed memory at the top of its heap to the system
    once more than twice the largest block freed so far lies free there, and memory taken
    back costs a page fault per 4 KiB when touched again (about 4 µs each on this project's
    machine). With the LSTM's four saved arrays allocated apart, every benchmark step paid
    about 3000 faults (7-12 ms); with one block, none.
    """
    per_line = ALIGNMENT // np.dtype(dtype).itemsize
    sizes = [int(np.prod(shape)) for shape in shapes]
    starts = np.cumsum([0] + [-(-size // per_line) * per_line for size in sizes])
    block = empty_aligned(int(starts[-1]), dtype)
    return [
        block[start : start + size].reshape(shape)
        for shape, size, start in zip(shapes, sizes, starts[:-1], strict=True)
    ]


def _common_dtype(x, kernel, recurrent_kernel, bias) -> np.dtype:
    return np.result_type(x, kernel, recurrent_kernel, *(() if bias is None else (bias,)))


def _input_projection(x, kernel, bias, out) -> None:
    """``out[t] = x_t W + b`` for every step: one matrix product into ``out (T, B, G*U)``."""
    batch, steps, features = x.shape
    x_steps = empty_aligned((steps, batch, features), out.dtype)
    x_steps[...] = x.transpose(1, 0, 2)
    rows = out.reshape(steps * batch, out.shape[-1])
    kernel = kernel.astype(out.dtype, copy=False)
    np.matmul(x_steps.reshape(steps * batch, features), kernel, out=rows)
    add_bias_relu(rows, bias, relu=False)


def _forward_through_time(step: Callable, recurrent_kernel, hs, *state) -> None:
    """For t = 0 .. T-1: ``hr = hs[t] @ R`` (numpy's BLAS; zero for ``t = 0``), then the
    compiled ``step``, which completes ``hs[t+1]`` and the other ``state`` of step t."""
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel, hs.dtype)
    hr = zeros_aligned((hs.shape[1], recurrent_kernel.shape[1]), hs.dtype)
    for t in range(hs.shape[0] - 1):
        if t > 0:
            np.matmul(hs[t], recurrent_kernel, out=hr)
        step(t, hr, hs, *state)


def _backward_through_time(step: Callable, g, recurrent_kernel, d, *state) -> None:
    """For t = T-1 .. 0: ``dh = g_t + d[t+1] @ R.T``, then the compiled ``step`` fills ``d[t]``.

    ``g`` is the upstream gradient of the last step ``(B, U)`` or of every step ``(B, T, U)``.
    """
    steps, batch, _ = d.shape
    recurrent_kernel_t = np.ascontiguousarray(recurrent_kernel.T, d.dtype)
    g = g.astype(d.dtype, copy=False)
    dh = zeros_aligned((batch, recurrent_kernel_t.shape[1]), d.dtype)
    for t in range(steps - 1, -1, -1):
        if t + 1 < steps:
            np.matmul(d[t + 1], recurrent_kernel_t, out=dh)
        if g.ndim == 3:
            dh += g[:, t]
        elif t == steps - 1:
            dh += g
        step(t, dh, d, *state)


def _weight_and_input_gradients(d, x, kernel, hs, needs) -> Grads:
    """The sums over time after the loop, each one matrix product over all stacked steps.

    ``d (T, B, G*U)`` holds ``da_t`` or ``dz_t``; returns ``dx (B, T, D) = d_t @ W.T``,
    ``dW = X.T @ D``, ``dR = H_prev.T @ D`` and ``db`` = the column sums of ``D``.
    """
    need_x, need_kernel, need_recurrent, need_bias = needs
    steps, batch, width = d.shape
    d_rows = d.reshape(steps * batch, width)
    dx = dkernel = drecurrent = dbias = None
    if need_x:
        dx_steps = d_rows @ kernel.astype(d.dtype, copy=False).T
        dx = np.ascontiguousarray(dx_steps.reshape(steps, batch, x.shape[-1]).transpose(1, 0, 2))
    if need_kernel:
        x_rows = (x.transpose(1, 0, 2).reshape(steps * batch, x.shape[-1])
                  .astype(d.dtype, copy=False))
        dkernel = x_rows.T @ d_rows
    if need_recurrent:
        drecurrent = hs[:steps].reshape(steps * batch, hs.shape[-1]).T @ d_rows
    if need_bias:
        dbias = column_sums(d_rows)
    return dx, dkernel, drecurrent, dbias


# ----- numpy references -----------------------------------------------------------------------


def simple_rnn_forward_reference(x, kernel, recurrent_kernel, bias):
    """Plain numpy SimpleRNN forward, one step at a time; returns ``hs`` as the compiled one."""
    batch, steps, _ = x.shape
    bias = 0.0 if bias is None else bias
    hs = np.zeros((steps + 1, batch, kernel.shape[1]), dtype=x.dtype)
    for t in range(steps):
        hs[t + 1] = np.tanh(x[:, t] @ kernel + hs[t] @ recurrent_kernel + bias)
    return hs


def simple_rnn_backward_reference(g, x, kernel, recurrent_kernel, hs):
    """Plain numpy BPTT for SimpleRNN: ``(dx, dkernel, drecurrent_kernel, dbias)``."""
    g_steps = _upstream_per_step_reference(g, x.shape[1])
    dx, dkernel = np.zeros_like(x), np.zeros_like(kernel)
    drecurrent, dbias = np.zeros_like(recurrent_kernel), np.zeros(kernel.shape[1], x.dtype)
    da_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        dh = g_steps[t] + da_next @ recurrent_kernel.T
        da = dh * (1.0 - hs[t + 1] ** 2)
        dx[:, t] = da @ kernel.T
        dkernel += x[:, t].T @ da
        drecurrent += hs[t].T @ da
        dbias += da.sum(axis=0)
        da_next = da
    return dx, dkernel, drecurrent, dbias


def lstm_forward_reference(x, kernel, recurrent_kernel, bias):
    """Plain numpy LSTM forward, one step at a time; returns ``(hs, cs, gates, tanh_cs)``."""
    batch, steps, _ = x.shape
    units = kernel.shape[1] // 4
    bias = 0.0 if bias is None else bias
    hs = np.zeros((steps + 1, batch, units), dtype=x.dtype)
    cs = np.zeros_like(hs)
    gates = np.zeros((steps, batch, 4 * units), dtype=x.dtype)
    for t in range(steps):
        z = x[:, t] @ kernel + hs[t] @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
        i, f, o = _sigmoid_reference(z_i), _sigmoid_reference(z_f), _sigmoid_reference(z_o)
        k = np.tanh(z_c)
        cs[t + 1] = f * cs[t] + i * k
        hs[t + 1] = o * np.tanh(cs[t + 1])
        gates[t] = np.concatenate([i, f, k, o], axis=1)
    return hs, cs, gates, np.tanh(cs[1:])


def lstm_backward_reference(g, x, kernel, recurrent_kernel, hs, cs, gates, tanh_cs):
    """Plain numpy BPTT for LSTM: ``(dx, dkernel, drecurrent_kernel, dbias)``."""
    g_steps = _upstream_per_step_reference(g, x.shape[1])
    dx, dkernel = np.zeros_like(x), np.zeros_like(kernel)
    drecurrent, dbias = np.zeros_like(recurrent_kernel), np.zeros(kernel.shape[1], x.dtype)
    dz_next = np.zeros_like(gates[0])
    dc = np.zeros_like(hs[0])
    f_next = np.zeros_like(hs[0])
    for t in reversed(range(x.shape[1])):
        i, f, k, o = np.split(gates[t], 4, axis=1)
        dh = g_steps[t] + dz_next @ recurrent_kernel.T
        dc = dc * f_next + dh * o * (1.0 - tanh_cs[t] ** 2)
        dz = np.concatenate(
            [
                dc * k * i * (1.0 - i),
                dc * cs[t] * f * (1.0 - f),
                dc * i * (1.0 - k**2),
                dh * tanh_cs[t] * o * (1.0 - o),
            ],
            axis=1,
        )
        dx[:, t] = dz @ kernel.T
        dkernel += x[:, t].T @ dz
        drecurrent += hs[t].T @ dz
        dbias += dz.sum(axis=0)
        dz_next, f_next = dz, f
    return dx, dkernel, drecurrent, dbias


def _sigmoid_reference(z):
    """``1 / (1 + e**-z)`` written as ``e**-log(1 + e**-z)``, which cannot overflow."""
    return np.exp(-np.logaddexp(0.0, -z))


def _upstream_per_step_reference(g, steps):
    """``g_t`` for every step ``(T, B, U)``: ``g`` itself, or zeros except the last step."""
    if g.ndim == 3:
        return g.transpose(1, 0, 2)
    g_steps = np.zeros((steps, *g.shape), dtype=g.dtype)
    g_steps[-1] = g
    return g_steps
