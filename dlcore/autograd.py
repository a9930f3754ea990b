"""The graph engine: how an operation records itself, and how ``backward`` walks the graph.

Every differentiable operation is a ``Function`` with two static methods that sit side by
side: ``forward`` computes the output array from the input arrays, ``backward`` turns the
gradient of the output into one gradient per input (the chain rule, one node at a time).
``forward`` may keep whatever ``backward`` needs on the ``Context`` it is given.

A Tensor produced by a Function remembers its ``Context`` (``tensor._ctx``): which
Function made it and from which parent Tensors. ``backward`` sorts that graph
topologically with an explicit stack (no recursion, so a chain of any length works),
then visits the nodes from the output back to the leaves.

This module knows nothing about the Tensor class: it reads only ``data``,
``requires_grad``, ``grad`` and ``_ctx`` from the nodes it is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


class Context:
    """Scratch space one operation shares between its forward and its backward.

    ``needs_input_grad`` says which inputs want a gradient (set before ``forward`` runs, so
    it can skip saving what no gradient will use); ``parents`` are the input Tensors
    (``None`` for an optional input left out) and ``function`` the Function class, both
    recorded only when some gradient is needed. ``forward`` adds whatever else
    ``backward`` needs as attributes.
    """

    function: type[Function]
    parents: tuple
    needs_input_grad: tuple[bool, ...]


class Function:
    """Base of every differentiable operation.

    Subclasses define two static methods::

        forward(ctx, *input_arrays, **params) -> output array
        backward(ctx, grad_output) -> one gradient array per input (or None)

    ``backward`` may return gradients with the broadcast shape of the output:
    the engine sums them back to each input's shape (see ``unbroadcast``).
    """

    @staticmethod
    def forward(ctx: Context, *inputs: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError


class _GradMode:
    """Whether new operations record the graph (switched off inside ``no_grad``)."""

    enabled = True


def is_grad_enabled() -> bool:
    """True unless called inside a ``no_grad()`` block."""
    return _GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: operations inside it record no graph (inference, weight updates)."""
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


class _ReleasedGraph:
    """Stands in for a node's Context once backward has freed it."""


RELEASED = _ReleasedGraph()


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added or stretched to reach ``shape``.

    If ``x`` of shape ``(3, 1)`` was broadcast to ``(2, 3, 4)``, each element of ``x`` was
    used 2*4 times, so its gradient is the sum of those 8 upstream gradients.
    """
    extra_leading_axes = grad.ndim - len(shape)
    if extra_leading_axes > 0:
        grad = grad.sum(axis=tuple(range(extra_leading_axes)))
    stretched = tuple(
        axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1
    )
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def topological_order(root: Any) -> list:
    """Every node that ``root`` depends on and that requires a gradient, inputs before outputs.

    Depth-first search with an explicit stack: a node is appended once all of its
    parents are, so the reversed list visits each node before any of its parents.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None and ctx is not RELEASED:
            for parent in ctx.parents:
                if parent is not None and parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backward(root: Any, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (d loss / d root) back through the graph into every leaf's ``.grad``.

    Gradients of intermediate nodes live only in a dictionary during the pass; leaves
    (tensors created by the user with ``requires_grad=True``) accumulate into ``.grad``.
    Unless ``retain_graph`` is set, each visited node's Context is released afterwards,
    so the arrays saved for backward are freed as soon as they have been used.
    """
    order = topological_order(root)
    pending = {id(root): grad}
    for node in reversed(order):
        node_grad = pending.pop(id(node), None)
        ctx = node._ctx
        if ctx is None:
            _accumulate_into_leaf(node, node_grad)
            continue
        if node_grad is not None:
            if ctx is RELEASED:
                raise RuntimeError(
                    "backward() reached a part of the graph that an earlier backward() already "
                    "freed. Call the first backward(retain_graph=True) to go through it twice."
                )
            input_grads = ctx.function.backward(ctx, node_grad)
            for parent, parent_grad in zip(ctx.parents, input_grads, strict=True):
                if parent_grad is None or parent is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.data.shape:
                    parent_grad = unbroadcast(parent_grad, parent.data.shape)
                key = id(parent)
                previous = pending.get(key)
                pending[key] = parent_grad if previous is None else previous + parent_grad
        if not retain_graph:
            node._ctx = RELEASED


def _accumulate_into_leaf(leaf: Any, grad: np.ndarray | None) -> None:
    """Add ``grad`` to ``leaf.grad``, which is always an array the leaf owns, in its dtype."""
    if grad is None:
        return
    if leaf.grad is None:
        leaf.grad = np.array(grad, dtype=leaf.data.dtype, copy=True)
    else:
        leaf.grad += grad
