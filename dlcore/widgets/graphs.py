"""Graph explorer: a small expression as a computational graph, with values and gradients.

Pick an expression and move the sliders of its inputs; every node of the graph shows its
forward value, and with "backward" ticked the gradient of the output with respect to
that node (in red, under the node). The numbers come from
``dlcore.explore.graphs.expression_graph``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..explore.graphs import EXPRESSIONS, expression_graph, format_value, graph_layout
from ..plot.style import ANNOTATION_SIZE, BACKGROUND, PALETTE, TEXT_COLOR, style_axes
from ._live import Explorer, LiveFigure, on_change

SLIDER_RANGE = (-3.0, 3.0)
GRADIENT_COLOR = PALETTE[3]
NODE_COLORS = {  # face, edge
    "input": ("#DCEBF7", PALETTE[0]),
    "constant": ("#EEEEEE", "#888888"),
    "operation": ("#FBE9CF", PALETTE[1]),
}


def graph_explorer(expression: str = "neuron", backward: bool = True) -> Explorer:
    """A widget drawing ``expression_graph`` for the chosen expression and input values.

    Controls: ``expression`` (a dropdown of ``EXPRESSIONS``), one slider per input name
    (only the chosen expression's inputs are shown) and ``backward`` (show the gradients).
    ``result`` holds ``(nodes, edges, values, grads)`` on display.
    """
    if expression not in EXPRESSIONS:
        raise ValueError(f"graph_explorer: unknown expression {expression!r}; expected one of "
                         f"{', '.join(map(repr, EXPRESSIONS))}")
    input_names = list(dict.fromkeys(name for e in EXPRESSIONS.values() for name in e.inputs))
    controls: dict[str, widgets.Widget] = {
        "expression": widgets.Dropdown(options=list(EXPRESSIONS), value=expression,
                                       description="expression"),
        "backward": widgets.Checkbox(value=backward, description="backward (show gradients)"),
    }
    for name in input_names:
        controls[name] = widgets.FloatSlider(value=0.0, min=SLIDER_RANGE[0], max=SLIDER_RANGE[1],
                                             step=0.05, description=name,
                                             continuous_update=False,
                                             layout=widgets.Layout(width="250px"))
    figure = Figure(figsize=(11, 4.6), facecolor=BACKGROUND, layout="constrained")
    ax = figure.add_subplot()
    explorer = Explorer(controls, LiveFigure(figure))
    updating = {"now": False}

    def show_inputs_of(name: str) -> None:
        """Show the chosen expression's sliders, at their default values; hide the others."""
        updating["now"] = True
        try:
            for key in input_names:
                slider = controls[key]
                if key in EXPRESSIONS[name].inputs:
                    slider.value = EXPRESSIONS[name].inputs[key]
                    slider.layout.display = None
                else:
                    slider.layout.display = "none"
        finally:
            updating["now"] = False

    def redraw() -> None:
        if updating["now"]:
            return
        name = controls["expression"].value
        values = {key: controls[key].value for key in EXPRESSIONS[name].inputs}
        result = expression_graph(name, **values)
        draw_expression_graph(ax, *result, show_gradients=controls["backward"].value)
        style_axes(ax, title=f"${EXPRESSIONS[name].formula}$")
        explorer.live.refresh()
        explorer.result = result
        explorer.status.value = describe(result, controls["backward"].value)

    def expression_changed(change: dict) -> None:
        show_inputs_of(change["new"])
        redraw()

    show_inputs_of(expression)
    on_change({key: control for key, control in controls.items() if key != "expression"},
              redraw)
    controls["expression"].observe(expression_changed, names="value")
    redraw()
    return explorer


def node_kind(index: int, nodes: list[str], edges: list[tuple[int, int]],
              grads: list[np.ndarray | None]) -> str:
    """``operation`` for a node with parents, ``input`` for a leaf with a gradient, else
    ``constant``."""
    if any(child == index for _, child in edges):
        return "operation"
    return "input" if grads[index] is not None else "constant"


def draw_expression_graph(ax: Axes, nodes: list[str], edges: list[tuple[int, int]],
                          values: list[np.ndarray], grads: list[np.ndarray | None],
                          show_gradients: bool = True) -> None:
    """Draw the graph on ``ax`` (cleared first): one box per node, arrows along the edges.

    A box holds the node's label and forward value; with ``show_gradients`` the gradient of
    the output with respect to the node is written under it in red.
    """
    ax.clear()
    positions = graph_layout(nodes, edges)
    boxes = []
    for index, (label, value) in enumerate(zip(nodes, values, strict=True)):
        face, edge = NODE_COLORS[node_kind(index, nodes, edges, grads)]
        text = label if label == format_value(value) else f"{label}\n{format_value(value)}"
        x, y = positions[index]
        boxes.append(ax.text(x, y, text, ha="center", va="center", color=TEXT_COLOR,
                             fontsize=ANNOTATION_SIZE, zorder=3, gid=f"node {index}",
                             bbox={"boxstyle": "round,pad=0.35", "facecolor": face,
                                   "edgecolor": edge}))
        if show_gradients and grads[index] is not None:
            ax.annotate(f"grad {format_value(grads[index])}", xy=(0.5, 0), xycoords=boxes[-1],
                        xytext=(0, -4), textcoords="offset points", ha="center", va="top",
                        color=GRADIENT_COLOR, fontsize=ANNOTATION_SIZE - 1, zorder=3,
                        gid=f"grad {index}")
    for start, end in edges:
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[end], xytext=(1, 0.5),
                    textcoords=boxes[start], zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": TEXT_COLOR, "shrinkA": 3,
                                "shrinkB": 3})
    columns = positions[:, 0].max() + 1
    ax.figure.set_size_inches(max(8.0, 1.3 * columns + 1.0), ax.figure.get_size_inches()[1])
    ax.set_xlim(positions[:, 0].min() - 0.6, positions[:, 0].max() + 0.6)
    ax.set_ylim(positions[:, 1].min() - 0.9, positions[:, 1].max() + 0.7)
    ax.axis("off")


def describe(result: tuple, backward: bool) -> str:
    """The status line: the output value, and the largest gradient among the inputs."""
    nodes, edges, values, grads = result
    line = f"output = {format_value(values[-1], 4)}."
    if not backward:
        return line + " Tick 'backward' to see d output / d node at every node."
    leaves = [i for i in range(len(nodes))
              if grads[i] is not None and not any(child == i for _, child in edges)]
    steepest = max(leaves, key=lambda i: float(np.max(np.abs(grads[i]))))
    return (line + f" The output is most sensitive to {nodes[steepest]!r} "
            f"(largest |gradient| {float(np.max(np.abs(grads[steepest]))):.3g}).")
