"""Recurrent layers' ops over a whole sequence: ``simple_rnn`` and ``lstm`` (Keras layouts).

Shapes: ``x`` is ``(batch, timesteps, features)``; SimpleRNN has ``kernel (features, units)``,
``recurrent_kernel (units, units)``, ``bias (units,)``; LSTM has ``kernel (features, 4*units)``,
``recurrent_kernel (units, 4*units)``, ``bias (4*units,)`` with the gate blocks in the Keras
order i, f, c, o. The states start at zero::

    SimpleRNN   h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)

    LSTM        z_t = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias = [z_i | z_f | z_c | z_o]
                c_t = sigmoid(z_f) * c_{t-1} + sigmoid(z_i) * tanh(z_c)
                h_t = sigmoid(z_o) * tanh(c_t)

The output is the last hidden state ``h_T (batch, units)``, or every ``h_t`` as
``(batch, timesteps, units)`` with ``return_sequences=True``. Backward is backpropagation
through time over the whole sequence; its formulas are in ``dlcore.kernels.recurrent``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels.recurrent import (
    lstm_backward,
    lstm_forward,
    simple_rnn_backward,
    simple_rnn_forward,
)
from dlcore.tensor import Tensor, apply

from ._arguments import boolean_flag, floating_tensor


class SimpleRNNFunction(Function):
    """h_t = tanh(x_t W + h_{t-1} R + b), h_0 = 0; backward by BPTT."""

    @staticmethod
    def forward(ctx: Context, x, kernel, recurrent_kernel, bias, return_sequences=False):
        hs = simple_rnn_forward(x, kernel, recurrent_kernel, bias)
        ctx.arrays = x, kernel, recurrent_kernel, hs
        return _output(hs, return_sequences)

    @staticmethod
    def backward(ctx: Context, g):
        grads = simple_rnn_backward(g, *ctx.arrays, needs=ctx.needs_input_grad)
        return _in_input_dtypes(grads, ctx)


class LSTMFunction(Function):
    """LSTM with gates i, f, c, o (Keras order), h_0 = c_0 = 0; backward by BPTT."""

    @staticmethod
    def forward(ctx: Context, x, kernel, recurrent_kernel, bias, return_sequences=False):
        hs, cs, gates, tanh_cs = lstm_forward(x, kernel, recurrent_kernel, bias)
        ctx.arrays = x, kernel, recurrent_kernel, hs, cs, gates, tanh_cs
        return _output(hs, return_sequences)

    @staticmethod
    def backward(ctx: Context, g):
        grads = lstm_backward(g, *ctx.arrays, needs=ctx.needs_input_grad)
        return _in_input_dtypes(grads, ctx)


def simple_rnn(
    x: Tensor | np.ndarray,
    kernel: Tensor | np.ndarray,
    recurrent_kernel: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
    return_sequences: bool = False,
) -> Tensor:
    """A SimpleRNN layer over the whole sequence: ``h_t = tanh(x_t W + h_{t-1} R + b)``.

    ``x (batch, timesteps, features)``, ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)`` or None. Returns ``h_T``
    ``(batch, units)``, or every ``h_t`` ``(batch, timesteps, units)`` if ``return_sequences``.
    """
    inputs = _checked_inputs("simple_rnn", 1, x, kernel, recurrent_kernel, bias, return_sequences)
    return apply(SimpleRNNFunction, *inputs, return_sequences=bool(return_sequences))


def lstm(
    x: Tensor | np.ndarray,
    kernel: Tensor | np.ndarray,
    recurrent_kernel: Tensor | np.ndarray,
    bias: Tensor | np.ndarray | None = None,
    return_sequences: bool = False,
) -> Tensor:
    """An LSTM layer over the whole sequence (gate order i, f, c, o as in Keras).

    ``x (batch, timesteps, features)``, ``kernel (features, 4*units)``,
    ``recurrent_kernel (units, 4*units)``, ``bias (4*units,)`` or None. Returns ``h_T``
    ``(batch, units)``, or every ``h_t`` ``(batch, timesteps, units)`` if ``return_sequences``.
    """
    inputs = _checked_inputs("lstm", 4, x, kernel, recurrent_kernel, bias, return_sequences)
    return apply(LSTMFunction, *inputs, return_sequences=bool(return_sequences))


def _output(hs: np.ndarray, return_sequences: bool) -> np.ndarray:
    """``h_1 .. h_T`` batch-major ``(B, T, U)``, or ``h_T`` ``(B, U)``, from ``hs (T+1, B, U)``."""
    if return_sequences:
        return np.ascontiguousarray(hs[1:].transpose(1, 0, 2))
    return hs[-1].copy()


def _in_input_dtypes(grads, ctx: Context) -> tuple:
    """Each gradient in its input's dtype (they differ from the result's only for mixed inputs)."""
    return tuple(
        None if grad is None else grad.astype(parent.dtype, copy=False)
        for grad, parent in zip(grads, ctx.parents, strict=True)
    )


def _checked_inputs(op, gates, x, kernel, recurrent_kernel, bias, return_sequences):
    """The inputs as Tensors, after checking dtypes and shapes; raises a message naming ``op``."""
    boolean_flag(op, "return_sequences", return_sequences)
    x, kernel = floating_tensor(op, "x", x), floating_tensor(op, "kernel", kernel)
    recurrent_kernel = floating_tensor(op, "recurrent_kernel", recurrent_kernel)
    bias = None if bias is None else floating_tensor(op, "bias", bias)
    if x.ndim != 3:
        raise ValueError(
            f"{op} expects x of shape (batch, timesteps, features), got shape {x.shape}; a "
            "single sequence (timesteps, features) needs a batch axis, x[None], and a batch "
            "of sequences of numbers (batch, timesteps) a features axis, x[..., None]"
        )
    batch, steps, features = x.shape
    if steps == 0:
        raise ValueError(f"{op} needs at least one timestep, got x of shape {x.shape}")
    width = f"{gates}*units" if gates > 1 else "units"
    if kernel.ndim != 2 or kernel.shape[0] != features:
        raise ValueError(
            f"{op} expects kernel of shape (features, {width}) with features = {features} "
            f"(the last axis of x, shape {x.shape}), got kernel of shape {kernel.shape}"
        )
    if kernel.shape[1] == 0 or kernel.shape[1] % gates:
        raise ValueError(
            f"{op} expects kernel of shape (features, {width}): its second axis holds {gates} "
            f"gate blocks of units columns (i, f, c, o), got kernel of shape {kernel.shape}"
        )
    units = kernel.shape[1] // gates
    if recurrent_kernel.shape != (units, gates * units):
        raise ValueError(
            f"{op} expects recurrent_kernel of shape (units, {width}) = "
            f"{(units, gates * units)} for kernel of shape {kernel.shape}, got recurrent_kernel "
            f"of shape {recurrent_kernel.shape}"
        )
    if bias is not None and bias.shape != (gates * units,):
        raise ValueError(
            f"{op} expects bias of shape ({width},) = ({gates * units},) for kernel of shape "
            f"{kernel.shape}, got bias of shape {bias.shape}"
        )
    return x, kernel, recurrent_kernel, bias
