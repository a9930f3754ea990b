"""Small expressions as computational graphs: every node with its value and its gradient.

``expression_graph(name, **values)`` builds one of the expressions in ``EXPRESSIONS`` with
dlcore Tensors (float64), reads the graph the engine recorded, and returns::

    nodes   labels, one per node: an input's name ("x1", "w"), a constant's value ("2"),
            or an operation's name ("mul", "add", "tanh", ...)
    edges   (parent, child) index pairs: the value of ``parent`` flows into ``child``
    values  each node's forward value, a numpy array
    grads   d output / d node for every node (None for constants, which need none)

Nodes come in topological order: every node after all of its parents; the last one is
the output. The gradients are computed by walking the recorded graph backwards with the
same ``Function.backward`` methods and ``unbroadcast`` that ``Tensor.backward`` uses, but
keeping the gradient of every intermediate node instead of only the leaves' ones.

``graph_layout(nodes, edges)`` places the nodes for a drawing: x is the node's depth (the
longest path from a leaf), y spreads the nodes of one depth apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import unbroadcast
from ..tensor import Tensor, tensor
from ._checks import checked_choice


@dataclass(frozen=True)
class Expression:
    """One expression of the explorer.

    ``formula`` is the expression in LaTeX, ``inputs`` maps each input's name to its
    default value (the sliders), and ``build(inputs)`` computes the output from a dict of
    float64 Tensors with those names.
    """

    title: str
    formula: str
    inputs: dict[str, float]
    build: Callable[[dict[str, Tensor]], Tensor]


def _neuron(v: dict[str, Tensor]) -> Tensor:
    return (v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b"]).tanh()


def _squared_error(v: dict[str, Tensor]) -> Tensor:
    return (v["w"] * v["x"] + v["b"] - v["y"]) ** 2


# Fixed weights of the small MLP: 2 inputs -> 3 tanh units -> 1 output.
_MLP_RNG = np.random.default_rng(0)
MLP_WEIGHTS = {
    "W1": np.round(_MLP_RNG.normal(0.0, 0.8, size=(2, 3)), 2),
    "b1": np.round(_MLP_RNG.normal(0.0, 0.2, size=(3,)), 2),
    "W2": np.round(_MLP_RNG.normal(0.0, 0.8, size=(3, 1)), 2),
    "b2": np.round(_MLP_RNG.normal(0.0, 0.2, size=(1,)), 2),
}


def _mlp(v: dict[str, Tensor]) -> Tensor:
    x = v["x"]
    hidden = (x @ v["W1"] + v["b1"]).tanh()
    prediction = hidden @ v["W2"] + v["b2"]
    return ((prediction - v["y"]) ** 2).mean()


EXPRESSIONS: dict[str, Expression] = {
    "neuron": Expression(
        "one neuron", r"\tanh(w_1 x_1 + w_2 x_2 + b)",
        {"x1": 1.0, "x2": -0.5, "w1": 0.8, "w2": 0.4, "b": 0.1}, _neuron),
    "squared_error": Expression(
        "squared error of a line", r"(w x + b - y)^2",
        {"x": 1.5, "y": 1.0, "w": 0.5, "b": 0.2}, _squared_error),
    "mlp": Expression(
        "two-layer MLP on one sample", r"\mathrm{mean}((\tanh(x W_1 + b_1) W_2 + b_2 - y)^2)",
        {"x1": 0.5, "x2": -1.0, "y": 0.5}, _mlp),
}


def expression_inputs(name: str, **values: float) -> dict[str, Tensor]:
    """The leaf Tensors of expression ``name`` (float64, requiring gradients).

    ``values`` override the defaults of the named inputs. The MLP's two numbers ``x1`` and
    ``x2`` become one input row ``x`` of shape ``(1, 2)``; its weights are ``MLP_WEIGHTS``.
    """
    function = "expression_graph"
    checked_choice(function, "expression", name, EXPRESSIONS)
    defaults = EXPRESSIONS[name].inputs
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ValueError(f"{function}: the expression {name!r} has no input "
                         f"{', '.join(map(repr, unknown))}; its inputs are "
                         f"{', '.join(map(repr, defaults))}")
    numbers = {}
    for key, default in defaults.items():
        value = values.get(key, default)
        if isinstance(value, bool) or not np.isfinite(np.asarray(value, dtype=float)).all():
            raise ValueError(f"{function}: input {key!r} must be a finite number, got {value!r}")
        numbers[key] = float(value)
    if name == "mlp":
        leaves = {"x": np.array([[numbers["x1"], numbers["x2"]]]), "y": np.array([[numbers["y"]]]),
                  **MLP_WEIGHTS}
    else:
        leaves = numbers
    return {key: tensor(np.asarray(value, dtype=np.float64), requires_grad=True, dtype="float64")
            for key, value in leaves.items()}


def trace(output: Tensor, names: dict[int, str] | None = None
          ) -> tuple[list[Tensor], list[str], list[tuple[int, int]]]:
    """The graph behind ``output``: its Tensors in topological order, their labels, the edges.

    Unlike the engine's own ``topological_order`` this keeps constants (tensors that need
    no gradient) too, so the drawing shows every number that went in. ``names`` maps
    ``id(tensor)`` to a label for the leaves; other leaves are labelled by their value.
    """
    names = names or {}
    order: list[Tensor] = []
    index: dict[int, int] = {}
    stack: list[tuple[Tensor, bool]] = [(output, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            if id(node) not in index:
                index[id(node)] = len(order)
                order.append(node)
            continue
        if id(node) in index:
            continue
        stack.append((node, True))
        for parent in reversed(_parents(node)):
            if id(parent) not in index:
                stack.append((parent, False))
    labels = [_label(node, names) for node in order]
    edges = [(index[id(parent)], index[id(node)]) for node in order for parent in _parents(node)]
    return order, labels, edges


def node_gradients(order: list[Tensor]) -> list[np.ndarray | None]:
    """d output / d node for each node of ``order`` (topological, the output last).

    The reverse sweep of backpropagation: start with 1 at the output, visit the nodes from
    last to first, and pass each node's gradient through its Function's ``backward`` to its
    parents, summed back to their shapes and added up where a node feeds several others.
    """
    grads: dict[int, np.ndarray] = {id(order[-1]): np.ones_like(order[-1].data)}
    for node in reversed(order):
        grad = grads.get(id(node))
        ctx = node._ctx
        if grad is None or ctx is None:
            continue
        for parent, parent_grad in zip(ctx.parents, ctx.function.backward(ctx, grad), strict=True):
            if parent is None or parent_grad is None or not parent.requires_grad:
                continue
            if parent_grad.shape != parent.shape:
                parent_grad = unbroadcast(parent_grad, parent.shape)
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
    return [grads.get(id(node)) if node.requires_grad else None for node in order]


def expression_graph(name: str, **values: float) -> tuple[list[str], list[tuple[int, int]],
                                                           list[np.ndarray],
                                                           list[np.ndarray | None]]:
    """``(nodes, edges, values, grads)`` of expression ``name`` at the given input values.

    ``name`` is a key of ``EXPRESSIONS``; ``values`` set some of its inputs (the others
    keep their defaults), e.g. ``expression_graph("neuron", x1=2.0, b=-1.0)``.
    """
    leaves = expression_inputs(name, **values)
    output = EXPRESSIONS[name].build(leaves)
    order, labels, edges = trace(output, {id(t): key for key, t in leaves.items()})
    return labels, edges, [node.data.copy() for node in order], node_gradients(order)


def graph_layout(nodes: list[str], edges: list[tuple[int, int]]) -> np.ndarray:
    """An ``(n, 2)`` array of positions for drawing the graph from left to right.

    x is a depth: an operation sits one step right of its deepest parent, and an input
    sits one step left of the first operation that uses it, so every edge points to the
    right. y is found from the output backwards: each node goes to the mean height of the
    nodes it feeds, and nodes of one depth are then pushed apart to a distance of at least 1,
    keeping the operations where they wanted to be (so the main chain runs straight and the
    inputs sit beside it).
    """
    count = len(nodes)
    parents: dict[int, list[int]] = {i: [] for i in range(count)}
    children: dict[int, list[int]] = {i: [] for i in range(count)}
    for parent, child in edges:
        parents[child].append(parent)
        children[parent].append(child)
    depth = np.zeros(count, dtype=int)
    for i in range(count):  # nodes are topological: parents already have their depth
        if parents[i]:
            depth[i] = 1 + max(depth[p] for p in parents[i])
    for i in range(count):
        if not parents[i] and children[i]:
            depth[i] = min(depth[c] for c in children[i]) - 1
    height = np.zeros(count)
    for level in sorted(np.unique(depth), reverse=True):
        members = np.flatnonzero(depth == level)
        wanted = np.array([np.mean(height[children[i]]) if children[i] else 0.0
                           for i in members])
        order = np.argsort(wanted, kind="stable")
        placed = wanted[order].copy()
        for k in range(1, len(placed)):
            placed[k] = max(placed[k], placed[k - 1] + 1.0)
        anchors = [k for k, i in enumerate(members[order]) if parents[i]] or range(len(placed))
        anchors = list(anchors)
        placed += np.mean(wanted[order][anchors] - placed[anchors])
        height[members[order]] = placed
    return np.column_stack([depth - depth.min(), height]).astype(float)


def format_value(value: Any, precision: int = 3) -> str:
    """A compact text for a node's value or gradient: a number, or a small rounded array.

    A number gets ``precision`` significant digits; an array's entries get one fewer
    decimals, so that a row of them stays short.
    """
    if value is None:
        return "-"
    array = np.asarray(value)
    if array.size == 1:
        return f"{array.item():.{precision}g}"
    decimals = max(precision - 1, 0)
    return np.array2string(np.round(array, decimals) + 0.0, precision=decimals, separator=" ",
                           suppress_small=True, floatmode="maxprec")


def _parents(node: Tensor) -> list[Tensor]:
    ctx = node._ctx
    if ctx is None or not hasattr(ctx, "parents"):
        return []
    return [parent for parent in ctx.parents if parent is not None]


def _label(node: Tensor, names: dict[int, str]) -> str:
    if id(node) in names:
        return names[id(node)]
    ctx = node._ctx
    if ctx is not None and hasattr(ctx, "function"):
        return ctx.function.__name__.lower()
    return format_value(node.data)
