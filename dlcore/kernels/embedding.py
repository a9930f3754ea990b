"""Embedding lookup (a row gather) and its gradient (a scatter-add): compiled loops and numpy
references.

Shapes: ``table`` is ``(input_dim, output_dim)``, one row per id; ``ids`` holds ``L`` integer
ids in ``[0, input_dim)`` (any shape, seen here as a flat vector); the output ``y`` and the
upstream gradient ``g`` are ``(L, output_dim)``::

    y[i]      = table[ids[i]]
    dtable[r] = sum over the positions i with ids[i] == r of g[i]

An id that appears several times collects the gradient of every position it was looked up
at; a row that was never looked up gets zero.
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned, zeros_aligned

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _gather_loop(table, ids, y):
    for i in range(ids.size):
        row = ids[i]
        for k in range(table.shape[1]):
            y[i, k] = table[row, k]


@jit
def _scatter_add_loop(g, ids, dtable):
    for i in range(ids.size):
        row = ids[i]
        for k in range(g.shape[1]):
            dtable[row, k] += g[i, k]


# ----- entry points ---------------------------------------------------------------------------


def embedding_forward(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows of ``table`` picked by ``ids`` (int64, in range): shape ``ids.shape + (output_dim,)``.

    The ids are not checked here; an id outside ``[0, input_dim)`` reads outside the table.
    """
    table = np.ascontiguousarray(table)
    flat_ids = np.ascontiguousarray(ids).reshape(-1)
    y = empty_aligned((flat_ids.size, table.shape[1]), table.dtype)
    _gather_loop(table, flat_ids, y)
    return y.reshape(*ids.shape, table.shape[1])


def embedding_backward(g: np.ndarray, ids: np.ndarray, input_dim: int) -> np.ndarray:
    """Gradient of the table ``(input_dim, output_dim)``: each ``g`` row added at its id's row."""
    output_dim = g.shape[-1]
    dtable = zeros_aligned((input_dim, output_dim), g.dtype)
    _scatter_add_loop(
        np.ascontiguousarray(g).reshape(-1, output_dim),
        np.ascontiguousarray(ids).reshape(-1),
        dtable,
    )
    return dtable


# ----- numpy references -----------------------------------------------------------------------


def embedding_forward_reference(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Plain numpy lookup: integer-array indexing, ``table[ids]``."""
    return table[ids]


def embedding_backward_reference(g: np.ndarray, ids: np.ndarray, input_dim: int) -> np.ndarray:
    """Plain numpy scatter-add: ``np.add.at`` adds repeated ids up (``+=`` would not)."""
    dtable = np.zeros((input_dim, g.shape[-1]), dtype=g.dtype)
    np.add.at(dtable, ids.reshape(-1), g.reshape(-1, g.shape[-1]))
    return dtable
