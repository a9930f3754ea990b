"""Embedding lookup: integer ids in, rows of a trainable table out.

``embedding(ids, table)`` is ``table[ids]``: ``ids`` of any shape, ``table`` of shape
``(input_dim, output_dim)``, output ``ids.shape + (output_dim,)``. It is the same as
multiplying one-hot vectors by the table, without building them. The gradient goes to the
table only (ids are not differentiable) and adds up over repeated ids; the formulas are in
``dlcore.kernels.embedding``.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import Context, Function
from dlcore.kernels import embedding as kernels
from dlcore.tensor import Tensor, apply

from ._arguments import check_index_range, floating_tensor, integer_array


class EmbeddingFunction(Function):
    """y[i] = table[ids[i]];  dL/dtable[r] = sum of g[i] over the positions with ids[i] == r."""

    @staticmethod
    def forward(ctx: Context, table, ids):
        ctx.ids, ctx.input_dim = ids, table.shape[0]
        return kernels.embedding_forward(table, ids)

    @staticmethod
    def backward(ctx: Context, g):
        return (kernels.embedding_backward(g, ctx.ids, ctx.input_dim),)


def embedding(ids: Tensor | np.ndarray, table: Tensor | np.ndarray) -> Tensor:
    """Look up one row of ``table`` ``(input_dim, output_dim)`` per integer id in ``ids``.

    ``ids`` is an integer numpy array (or a Tensor of integer dtype) of any shape, with
    values in ``[0, input_dim)``. Returns ``ids.shape + (output_dim,)``.
    """
    op = "embedding"
    ids = integer_array(
        op, "ids", ids,
        "convert them with ids.astype('int64') (or create the tensor with dtype='int64')",
    )
    table = floating_tensor(op, "table", table)
    if table.ndim != 2:
        raise ValueError(
            f"embedding expects a table of shape (input_dim, output_dim), got shape {table.shape}"
        )
    input_dim = table.shape[0]
    check_index_range(
        op, "ids", ids, input_dim, f"a table with input_dim {input_dim}",
        "make the table larger (input_dim = largest id + 1) or map the ids into range",
    )
    return apply(EmbeddingFunction, table, ids=np.asarray(ids, dtype=np.int64, order="C"))
