"""Heat maps of an LSTM's gates over time, from ``introspection.lstm_gate_activations``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..introspection import GATE_NAMES
from .style import DIVERGING_CMAP, SEQUENTIAL_CMAP, panel_grid, style_axes

SIGMOID_GATES = ("input", "forget", "output")  # values in [0, 1]
PANEL_ORDER = (*GATE_NAMES, "cell_state", "hidden")
MAX_UNIT_TICKS = 16  # beyond this many units, matplotlib's own ticks read better
PANEL_TITLES = {"input": "input gate", "forget": "forget gate", "cell": "candidate (cell)",
                "output": "output gate", "cell_state": "cell state", "hidden": "hidden state"}


def plot_gate_activations(gates: Mapping[str, Any], sample: int = 0,
                          units: int | Sequence[int] | None = None,
                          axes: Any = None) -> Figure:
    """One heat map per gate for one sequence of the batch: time steps across, units
    up the side.

    ``gates`` is the dict of ``lstm_gate_activations`` (arrays ``(batch, time, units)``);
    every entry of ``input``, ``forget``, ``cell``, ``output``, ``cell_state``, ``hidden``
    present is drawn, in that order. Sigmoid gates use a fixed ``[0, 1]`` scale (dark:
    closed, bright: open); the others a scale symmetric around 0. ``units`` picks the units
    shown: a count (the first ones) or a list of indices; all by default. ``axes`` (one
    Axes per panel) draws into the caller's figure; by default the panels form a grid.
    """
    function = "plot_gate_activations"
    keys = [key for key in PANEL_ORDER if key in gates]
    if not keys:
        raise ValueError(f"{function} expects the dict of lstm_gate_activations with keys "
                         f"{PANEL_ORDER}, got keys {sorted(gates)}")
    batch, steps, width = np.shape(gates[keys[0]])
    if not -batch <= sample < batch:
        raise ValueError(f"{function}: sample={sample} but the batch holds {batch} sequences; "
                         f"pass 0 to {batch - 1}")
    chosen = _unit_indices(units, width, function)
    fig, axes = panel_grid(len(keys), function, axes)
    for ax, key in zip(axes, keys, strict=True):
        values = np.asarray(gates[key])[sample][:, chosen].T
        if key in SIGMOID_GATES:
            low, high, cmap = 0.0, 1.0, SEQUENTIAL_CMAP
        else:
            high = max(float(np.abs(values).max()), 1e-12)
            low, cmap = -high, DIVERGING_CMAP
        image = ax.imshow(values, aspect="auto", origin="lower", interpolation="nearest",
                          cmap=cmap, vmin=low, vmax=high)
        ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        if len(chosen) <= MAX_UNIT_TICKS:
            ax.set_yticks(np.arange(len(chosen)), [str(unit) for unit in chosen])
        style_axes(ax, title=PANEL_TITLES[key], xlabel="time step", ylabel="unit")
    return fig


def _unit_indices(units: int | Sequence[int] | None, width: int, function: str) -> np.ndarray:
    """The indices of the units to show: all, the first ``units``, or the ones listed."""
    if units is None:
        return np.arange(width)
    chosen = np.arange(units) if isinstance(units, (int, np.integer)) else np.asarray(units)
    if (chosen.ndim != 1 or chosen.size == 0 or not np.issubdtype(chosen.dtype, np.integer)
            or chosen.min() < 0 or chosen.max() >= width):
        raise ValueError(f"{function}: units must be a count from 1 to {width} or indices "
                         f"from 0 to {width - 1}, got {units!r}")
    return chosen
