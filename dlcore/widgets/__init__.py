"""Interactive explorers for the course notebooks: each function returns an ipywidgets widget.

Display one in a notebook cell, e.g. ``dlcore.widgets.optimizer_explorer()``. Every
explorer draws what a plain function of ``dlcore.explore`` computes, and keeps its
``controls``, ``output``, ``figure`` and latest ``result`` as attributes.
"""

from .convolution import convolution_explorer
from .gradient_check import gradient_check_explorer
from .graphs import graph_explorer
from .initialization import initialization_explorer
from .kernels import kernel_speed_explorer
from .optimizers import optimizer_explorer
from .playground import training_playground
from .regularization import regularization_explorer
from .sequences import sequence_explorer

__all__ = ["convolution_explorer", "gradient_check_explorer", "graph_explorer",
           "initialization_explorer", "kernel_speed_explorer", "optimizer_explorer",
           "regularization_explorer", "sequence_explorer", "training_playground"]
