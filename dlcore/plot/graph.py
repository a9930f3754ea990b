"""The computation graph behind a Tensor, drawn with matplotlib alone.

Every Tensor computed from one that requires a gradient remembers the operation that made
it and that operation's inputs (``dlcore.autograd``). ``graph_edges`` walks that record
back from a result to the leaves; ``plot_graph`` draws it left to right, as a chain of
tensors (boxes) and operations (circles).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from ..autograd import RELEASED
from ..tensor import Tensor
from .style import ANNOTATION_SIZE, PALETTE, TEXT_COLOR, new_figure, style_axes

TENSOR = "tensor"
OPERATION = "operation"
NODE_STYLE = {
    TENSOR: {"boxstyle": "round,pad=0.4", "facecolor": "#DCEBF7", "edgecolor": PALETTE[0]},
    OPERATION: {"boxstyle": "circle,pad=0.3", "facecolor": "#FBE9CF", "edgecolor": PALETTE[1]},
}


@dataclass(frozen=True)
class GraphNode:
    """A node of the drawn graph: a tensor or an operation, its label and its column."""

    kind: str  # TENSOR or OPERATION
    label: str  # a tensor's name, value (a one-number constant) or shape; an operation's name
    depth: int  # column from the left, leaves first


def graph_edges(tensor: Tensor, names: Mapping[str, Tensor] | None = None
                ) -> tuple[list[GraphNode], list[tuple[int, int]]]:
    """The graph that computed ``tensor``: ``(nodes, edges)``.

    ``nodes`` come inputs first (each operation's inputs in argument order, each operation
    just before its result); ``edges`` are ``(from, to)`` positions in ``nodes``, from each
    input tensor to the operation using it and from the operation to its result. An
    operation is labelled with its Function class name (``Mul``, ``MatMul``; a trailing
    ``Function`` is dropped). A tensor is labelled with its key in ``names`` (e.g.
    ``names={"w": w}``), else with its value if it is a one-number constant, else its shape.

    Depth: an operation sits one column right of its deepest input and its result one
    column further; a leaf sits in the column just before the first operation using it.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph_edges expects a dlcore Tensor, got {type(tensor).__name__}")
    given_names = {id(value): name for name, value in (names or {}).items()}
    kinds: list[str] = []
    labels: list[str] = []
    depths: list[int] = []
    edges: list[tuple[int, int]] = []
    position: dict[int, int] = {}  # id(tensor) -> index of its node

    def add(kind: str, label: str, depth: int) -> int:
        kinds.append(kind)
        labels.append(label)
        depths.append(depth)
        return len(kinds) - 1

    expanded = set()
    stack: list[tuple[Tensor, bool]] = [(tensor, False)]
    while stack:
        node, inputs_done = stack.pop()
        ctx = node._ctx
        if ctx is RELEASED:
            raise ValueError("graph_edges: backward() has already freed this graph; draw it "
                             "before calling backward(), or call backward(retain_graph=True)")
        parents = [] if ctx is None else [parent for parent in ctx.parents if parent is not None]
        if not inputs_done:
            if id(node) not in expanded:
                expanded.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in reversed(parents))
            continue
        if ctx is None:
            position[id(node)] = add(TENSOR, _tensor_label(node, given_names), 0)
            continue
        operation = add(OPERATION, _operation_label(ctx.function),
                        1 + max(depths[position[id(parent)]] for parent in parents))
        edges.extend((position[id(parent)], operation) for parent in parents)
        position[id(node)] = add(TENSOR, _tensor_label(node, given_names),
                                 depths[operation] + 1)
        edges.append((operation, position[id(node)]))
    _place_leaves_before_first_use(kinds, depths, edges)
    nodes = [GraphNode(kind, label, depth)
             for kind, label, depth in zip(kinds, labels, depths, strict=True)]
    return nodes, edges


def plot_graph(tensor: Tensor, ax: Axes | None = None,
               names: Mapping[str, Tensor] | None = None) -> Axes:
    """Draw the graph of ``graph_edges(tensor, names)``: leaves on the left, result on the right.

    Tensors are boxes, operations circles; arrows run from inputs to operations to results.
    """
    nodes, edges = graph_edges(tensor, names)
    columns: dict[int, list[int]] = {}
    for index, node in enumerate(nodes):
        columns.setdefault(node.depth, []).append(index)
    tallest = max(len(members) for members in columns.values())
    if ax is None:
        _, ax = new_figure(figsize=(1.2 + 1.3 * len(columns), 1.0 + 0.9 * tallest))
    places = {}
    for depth, members in columns.items():
        for row, index in enumerate(members):
            places[index] = (depth, (len(members) - 1) / 2 - row)
    texts = [
        ax.text(*places[index], node.label, ha="center", va="center", color=TEXT_COLOR,
                fontsize=ANNOTATION_SIZE, bbox=NODE_STYLE[node.kind], zorder=3)
        for index, node in enumerate(nodes)
    ]
    for start, end in edges:
        ax.annotate("", xy=(0, 0.5), xycoords=texts[end], xytext=(1, 0.5),
                    textcoords=texts[start], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": TEXT_COLOR, "shrinkA": 4,
                                "shrinkB": 4})
    ax.set_xlim(-0.7, max(columns) + 0.7)
    ax.set_ylim(-tallest / 2, tallest / 2)
    ax.axis("off")
    style_axes(ax, title="computation graph")
    return ax


def _place_leaves_before_first_use(kinds: list[str], depths: list[int],
                                   edges: list[tuple[int, int]]) -> None:
    """Move every leaf tensor to the column just left of the first operation that uses it."""
    produced = {end for _, end in edges if kinds[end] == TENSOR}
    for index, kind in enumerate(kinds):
        if kind == TENSOR and index not in produced:
            users = [depths[end] for start, end in edges if start == index]
            if users:
                depths[index] = min(users) - 1


def _operation_label(function: type) -> str:
    """``Mul`` for ``Mul``; ``Softmax`` for ``SoftmaxFunction``."""
    name = function.__name__
    return name.removesuffix("Function") or name


def _tensor_label(tensor: Tensor, names: dict[int, str]) -> str:
    """The tensor's given name, else a one-number constant's value, else its shape."""
    if id(tensor) in names:
        return names[id(tensor)]
    if tensor.size == 1 and not tensor.requires_grad:
        return f"{np.asarray(tensor.data).item():g}"
    return str(tensor.shape) if tensor.shape else "scalar"
