"""Softmax, log-softmax and softmax cross-entropy along the last axis: compiled loops and
numpy references.

Shapes: ``z`` holds ``classes`` numbers per row on its last axis; every other axis just counts
rows, so ``z`` is seen as a matrix ``(rows, classes)`` and each row is handled on its own.

Stability: with the row maximum ``m = max_j z[j]`` subtracted first, every exponent is
``<= 0`` and the largest term is exactly 1, so nothing overflows and the sum is ``>= 1``
(its logarithm is finite), even for logits of +-1e4::

    softmax:      s[k] = exp(z[k] - m) / sum_j exp(z[j] - m)
    log_softmax:  y[k] = (z[k] - m) - log(sum_j exp(z[j] - m))

Backward, with the upstream gradient ``g`` of the output's shape::

    softmax:      dz[k] = s[k] * (g[k] - sum_j g[j] * s[j])
    log_softmax:  dz[k] = g[k] - s[k] * sum_j g[j]        (s = exp(y) = softmax(z))

Softmax cross-entropy of integer labels ``labels[n]`` in ``[0, classes)`` fuses the two
steps, so no probability is ever passed through a logarithm. With ``g[n]`` the upstream
gradient of row ``n``'s loss::

    loss[n] = log(sum_j exp(z[n, j])) - z[n, labels[n]]  =  -log_softmax(z[n])[labels[n]]
    dz[n]   = g[n] * (softmax(z[n]) - onehot(labels[n]))

The forward pass keeps ``softmax(z)`` for the backward pass. Results are stored in the
input's dtype.

The exponentials are taken by numpy's ``np.exp`` between the compiled loops: numpy's exp
works on 8 or 16 numbers per instruction, while a numba loop calls the scalar ``exp`` once
per number (numba vectorises ``exp`` only with Intel's SVML library), about 5x slower on a
(256, 1000) matrix. The compiled loops do the rest: row maxima, sums and the fused passes.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned

LANES = 16  # running maxima kept side by side: one AVX-512 register of float32

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _row_max(row, lanes):
    """Largest number of ``row``.

    A single running maximum waits for each comparison before the next; ``LANES`` running
    maxima over consecutive blocks are independent, so the compiler compares a whole block
    per SIMD instruction. ``lanes`` is scratch space of ``LANES`` numbers.
    """
    size = row.size
    full = size - size % LANES
    largest = row[0]
    for j in range(LANES):
        lanes[j] = largest
    for k in range(0, full, LANES):
        for j in range(LANES):
            value = row[k + j]
            lanes[j] = value if value > lanes[j] else lanes[j]
    for j in range(LANES):
        largest = max(largest, lanes[j])
    for k in range(full, size):
        largest = max(largest, row[k])
    return largest


@jit
def _subtract_row_max(z, shifted):
    """shifted = z - m row by row; returns the row maxima m."""
    m = np.empty(z.shape[0], z.dtype)
    lanes = np.empty(LANES, z.dtype)
    for n in range(z.shape[0]):
        largest = _row_max(z[n], lanes)
        m[n] = largest
        for k in range(z.shape[1]):
            shifted[n, k] = z[n, k] - largest
    return m


@jit
def _row_sums(a):
    """Sum of every row of ``a``: the BLAS matrix-vector product ``a @ ones``.

    BLAS keeps several partial sums in SIMD registers; a plain loop adds one number at a time.
    """
    return np.dot(a, np.ones(a.shape[1], a.dtype))


@jit
def _normalize_rows(e):
    """e[n] /= sum(e[n]): exponentials into probabilities; returns the row sums."""
    totals = _row_sums(e)
    for n in range(e.shape[0]):
        inverse = 1.0 / totals[n]
        for k in range(e.shape[1]):
            e[n, k] *= inverse
    return totals


@jit
def _log_softmax_loop(z, m, e, y):
    """e = exp(z - m) on entry, softmax(z) on exit; y = (z - m) - log(sum(e)) row by row."""
    totals = _normalize_rows(e)
    for n in range(z.shape[0]):
        log_total = np.log(totals[n])
        for k in range(z.shape[1]):
            y[n, k] = (z[n, k] - m[n]) - log_total


@jit
def _softmax_backward_loop(s, g, dz):
    """dz = s * g - s * sum(s * g), the same as s * (g - sum(g * s)), row by row."""
    for n in range(s.shape[0]):
        for k in range(s.shape[1]):
            dz[n, k] = s[n, k] * g[n, k]
    dots = _row_sums(dz)
    for n in range(s.shape[0]):
        for k in range(s.shape[1]):
            dz[n, k] -= s[n, k] * dots[n]


@jit
def _log_softmax_backward_loop(s, g, dz):
    totals = _row_sums(g)
    for n in range(g.shape[0]):
        for k in range(g.shape[1]):
            dz[n, k] = g[n, k] - s[n, k] * totals[n]


@jit
def _cross_entropy_forward_loop(z, labels, m, e, loss):
    """e = exp(z - m) on entry, softmax(z) on exit; loss[n] = m - z[n, label] + log(sum(e[n]))."""
    totals = _normalize_rows(e)
    for n in range(z.shape[0]):
        loss[n] = (m[n] - z[n, labels[n]]) + np.log(totals[n])


@jit
def _cross_entropy_backward_loop(s, labels, g, dz):
    for n in range(s.shape[0]):
        for k in range(s.shape[1]):
            dz[n, k] = g[n] * s[n, k]
        label = labels[n]
        dz[n, label] = g[n] * (s[n, label] - 1)


# ----- entry points ---------------------------------------------------------------------------


def _rows(array: np.ndarray) -> np.ndarray:
    """``array`` as a C-contiguous ``(rows, classes)`` matrix (a view when possible)."""
    return np.ascontiguousarray(array).reshape(-1, array.shape[-1])


def _exp_shifted(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(exp(z - m), m)`` for the rows of ``z``, m the row maxima, in a new aligned array."""
    e = empty_aligned(rows.shape, rows.dtype)
    m = _subtract_row_max(rows, e)
    np.exp(e, out=e)
    return e, m


def softmax_forward(z: np.ndarray) -> np.ndarray:
    """``softmax(z)`` along the last axis; same shape and dtype as ``z``."""
    s, _ = _exp_shifted(_rows(z))
    _normalize_rows(s)
    return s.reshape(z.shape)


def softmax_backward(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``dz = s * (g - sum(g * s))`` along the last axis, from the forward output ``s``."""
    rows = _rows(s)
    dz = empty_aligned(rows.shape, rows.dtype)
    _softmax_backward_loop(rows, _rows(g).astype(rows.dtype, copy=False), dz)
    return dz.reshape(s.shape)


def log_softmax_forward(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log_softmax(z), softmax(z))`` along the last axis, each of ``z``'s shape and dtype.

    The softmax comes for free on the way and spares the backward pass an ``exp``.
    """
    rows = _rows(z)
    s, m = _exp_shifted(rows)
    y = empty_aligned(rows.shape, rows.dtype)
    _log_softmax_loop(rows, m, s, y)
    return y.reshape(z.shape), s.reshape(z.shape)


def log_softmax_backward(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``dz = g - s * sum(g)`` along the last axis, from the softmax ``s`` of the forward pass."""
    rows = _rows(s)
    dz = empty_aligned(rows.shape, rows.dtype)
    _log_softmax_backward_loop(rows, _rows(g).astype(rows.dtype, copy=False), dz)
    return dz.reshape(s.shape)


def softmax_cross_entropy_forward(
    z: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row losses ``(rows,)`` and ``softmax(z)`` ``(rows, classes)`` for int64 ``labels``.

    ``labels`` must lie in ``[0, classes)``: the loop does not check them.
    """
    rows = _rows(z)
    s, m = _exp_shifted(rows)
    loss = empty_aligned(rows.shape[0], rows.dtype)
    _cross_entropy_forward_loop(rows, labels, m, s, loss)
    return loss, s


def softmax_cross_entropy_backward(s: np.ndarray, labels: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``dz[n] = g[n] * (s[n] - onehot(labels[n]))`` from the kept softmax ``s``."""
    dz = empty_aligned(s.shape, s.dtype)
    _cross_entropy_backward_loop(s, labels, np.ascontiguousarray(g, dtype=s.dtype), dz)
    return dz


# ----- numpy references -----------------------------------------------------------------------


def softmax_forward_reference(z: np.ndarray) -> np.ndarray:
    """Plain numpy softmax along the last axis (the row maximum subtracted first)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward_reference(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Plain numpy softmax gradient: ``s * (g - sum(g * s))``."""
    return s * (g - (g * s).sum(axis=-1, keepdims=True))


def log_softmax_forward_reference(z: np.ndarray) -> np.ndarray:
    """Plain numpy log-softmax: ``(z - m) - log(sum(exp(z - m)))``."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def log_softmax_backward_reference(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Plain numpy log-softmax gradient: ``g - s * sum(g)`` with ``s = softmax(z)``."""
    return g - s * g.sum(axis=-1, keepdims=True)


def softmax_cross_entropy_forward_reference(
    z: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Plain numpy losses ``-log_softmax(z)[n, labels[n]]`` and the softmax of ``z``."""
    log_probs = log_softmax_forward_reference(z)
    return -log_probs[np.arange(len(labels)), labels], np.exp(log_probs)


def softmax_cross_entropy_backward_reference(
    s: np.ndarray, labels: np.ndarray, g: np.ndarray
) -> np.ndarray:
    """Plain numpy cross-entropy gradient: ``g[:, None] * (s - onehot(labels))``."""
    onehot = np.eye(s.shape[1], dtype=s.dtype)[labels]
    return g[:, None] * (s - onehot)
