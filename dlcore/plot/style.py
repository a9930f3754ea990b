"""The one visual style of dlcore's figures: colours, colormaps, font sizes, figure creation.

Figures have an opaque white background and dark text, so they read the same on
JupyterLab's light and dark themes (a transparent figure would put dark text on a dark
page). Every plot function that is not given axes starts from ``new_figure``, and every
axes gets its title, labels and ticks through ``style_axes``.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Okabe & Ito's qualitative palette, distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")
SEQUENTIAL_CMAP = "viridis"  # magnitudes: probabilities, gate values, counts
DIVERGING_CMAP = "RdBu_r"  # signed values around 0: weights, kernels (blue < 0 < red)

BACKGROUND = "white"
TEXT_COLOR = "#222222"
TITLE_SIZE = 11
LABEL_SIZE = 10
TICK_SIZE = 8
ANNOTATION_SIZE = 8
PANEL_SIZE = (2.4, 2.2)  # inches per panel in a grid of small plots


def color(index: int) -> str:
    """The palette's colour number ``index``, starting over after the last one."""
    return PALETTE[index % len(PALETTE)]


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A new figure with a grid of axes: ``plt.subplots`` with dlcore's look.

    The figure is opaque white (``facecolor='white'``), which keeps its dark text readable
    on light and dark notebook themes. Keyword arguments go to ``plt.subplots`` (``figsize``,
    ``squeeze``, ...); with the default ``squeeze=True`` a 1 x 1 grid gives a single Axes.
    """
    kwargs.setdefault("facecolor", BACKGROUND)
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, **kwargs)


def style_axes(ax: Axes, title: str | None = None, xlabel: str | None = None,
               ylabel: str | None = None) -> Axes:
    """Set the title and axis labels in dlcore's font sizes and text colour, style the ticks."""
    ax.set_facecolor(BACKGROUND)
    if title is not None:
        ax.set_title(title, fontsize=TITLE_SIZE, color=TEXT_COLOR)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE, color=TEXT_COLOR)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE, color=TEXT_COLOR)
    ax.tick_params(labelsize=TICK_SIZE, colors=TEXT_COLOR)
    return ax


def axes_list(axes: Any, count: int, function: str) -> list[Axes]:
    """The first ``count`` of the caller's axes (one Axes, a sequence or an array of them)."""
    given = [axes] if isinstance(axes, Axes) else list(np.ravel(axes))
    if len(given) < count:
        raise ValueError(f"{function} draws {count} panels but got {len(given)} axes; pass "
                         f"at least {count} Axes, or leave axes=None for a new figure")
    return given[:count]


def panel_grid(count: int, function: str, axes: Any = None,
               fig: Figure | None = None) -> tuple[Figure, list[Axes]]:
    """``count`` axes in a near-square grid, for plots made of many small panels.

    ``axes`` (a sequence with at least ``count`` Axes) draws into the caller's axes; ``fig``
    clears the caller's figure and lays the grid out in it; neither makes a new figure.
    Grid cells beyond ``count`` are hidden. ``function`` names the caller in error messages.
    """
    if axes is not None:
        panels = axes_list(axes, count, function)
        return panels[0].figure, panels
    ncols = max(1, math.ceil(math.sqrt(count)))
    nrows = max(1, math.ceil(count / ncols))
    if fig is None:
        fig, grid = new_figure(nrows, ncols, squeeze=False,
                               figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
    else:
        fig.clear()
        grid = fig.subplots(nrows, ncols, squeeze=False)
    cells = list(grid.flat)
    for unused in cells[count:]:
        unused.set_visible(False)
    return fig, cells[:count]


def style_image_panel(ax: Axes, title: str) -> Axes:
    """A small image panel in a grid: a title, no ticks (the pixel grid speaks for itself)."""
    ax.set_xticks([])
    ax.set_yticks([])
    return style_axes(ax, title=title)
