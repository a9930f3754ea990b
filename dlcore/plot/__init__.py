"""Figures for the course, all in one style (``dlcore.plot.style``), drawn with matplotlib.

Every function draws into the axes it is given (``ax=`` or ``axes=``) or into a new figure
from ``style.new_figure``, and returns the Axes or Figure; none calls ``plt.show()``.
"""

from .confusion import confusion_matrix, plot_confusion_matrix
from .convolution import plot_feature_map, plot_feature_maps, plot_filters
from .curves import log_scale_values, plot_curves, plot_history
from .decision import decision_grid, plot_decision_boundary, plot_points
from .graph import GraphNode, graph_edges, plot_graph
from .histograms import plot_histograms
from .landscape import plot_optimizer_paths
from .recurrent import plot_gate_activations
from .style import DIVERGING_CMAP, PALETTE, SEQUENTIAL_CMAP, new_figure

__all__ = [
    "DIVERGING_CMAP", "PALETTE", "SEQUENTIAL_CMAP", "GraphNode", "confusion_matrix",
    "decision_grid", "graph_edges", "log_scale_values", "new_figure", "plot_confusion_matrix",
    "plot_curves",
    "plot_decision_boundary", "plot_feature_map", "plot_feature_maps", "plot_filters",
    "plot_gate_activations", "plot_graph", "plot_histograms", "plot_history",
    "plot_optimizer_paths", "plot_points",
]
