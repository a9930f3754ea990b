"""The computations behind the explorer widgets, as plain functions returning arrays.

Each widget in ``dlcore.widgets`` calls one of these and draws the result; scripts, tests
and the book's static pages call them directly. Nothing here imports matplotlib or
ipywidgets.
"""

from .convolution import CLASSIC_KERNELS, convolve_image
from .decision import decision_grid
from .gradient_check import finite_difference_errors
from .graphs import EXPRESSIONS, expression_graph
from .initialization import INITIALIZERS, DepthStatistics, depth_statistics
from .kernels import blas_limit, time_matmul_versions
from .optimizer_paths import OPTIMIZERS, make_optimizer, optimizer_paths, tuned_settings
from .playground import (
    DATASETS,
    PlaygroundResult,
    build_classifier,
    make_dataset,
    parse_hidden_layers,
    train_in_chunks,
    train_playground,
)
from .regularization import regularization_gap
from .sequences import sequence_experiment
from .surfaces import SURFACES, Surface, get_surface

__all__ = [
    "CLASSIC_KERNELS", "DATASETS", "EXPRESSIONS", "INITIALIZERS", "OPTIMIZERS", "SURFACES",
    "DepthStatistics", "PlaygroundResult", "Surface", "blas_limit", "build_classifier",
    "convolve_image",
    "decision_grid", "depth_statistics", "expression_graph", "finite_difference_errors",
    "get_surface", "make_dataset", "make_optimizer", "optimizer_paths", "parse_hidden_layers",
    "regularization_gap", "sequence_experiment", "time_matmul_versions", "train_in_chunks",
    "train_playground", "tuned_settings",
]
