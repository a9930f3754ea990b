"""Line plots over epochs or steps: a training history, or any set of named curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import PANEL_SIZE, axes_list, color, new_figure, style_axes

VALIDATION_PREFIX = "val_"


def plot_history(history: Any, metrics: Sequence[str] | None = None,
                 axes: Any = None) -> Figure:
    """One panel per metric: the training curve solid, its ``val_`` twin dashed.

    ``history`` is the ``History`` returned by ``fit`` or its ``.history`` dict.
    ``metrics`` defaults to every recorded name without the ``val_`` prefix (``loss``
    first, then e.g. ``accuracy``). Epochs are numbered from 1 on the x axis. ``axes``
    (a sequence with one Axes per metric) draws into the caller's axes.
    """
    function = "plot_history"
    records = _history_dict(history, function)
    names = [name for name in records if not name.startswith(VALIDATION_PREFIX)]
    metrics = names if metrics is None else list(metrics)
    for metric in metrics:
        if metric not in records:
            raise ValueError(f"{function}: the history has no metric {metric!r}; it records "
                             f"{sorted(records)}. Pass metrics= with some of these names")
    if axes is None:
        _, axes = new_figure(1, len(metrics), squeeze=False,
                               figsize=(PANEL_SIZE[0] * 1.6 * len(metrics), PANEL_SIZE[1] * 1.4))
    axes = axes_list(axes, len(metrics), function)
    first_epoch = _first_epoch(history)
    for ax, metric in zip(axes, metrics, strict=True):
        curves = ((metric, "-", "training"), (VALIDATION_PREFIX + metric, "--", "validation"))
        for index, (name, linestyle, label) in enumerate(curves):
            if name in records:
                values = np.asarray(records[name], dtype=float)
                epochs = first_epoch + np.arange(len(values))
                ax.plot(epochs, values, linestyle=linestyle, color=color(index), label=label)
        style_axes(ax, title=metric, xlabel="epoch", ylabel=metric)
        ax.legend(fontsize="small")
    return axes[0].figure


def log_scale_values(values: Any) -> np.ndarray:
    """``values`` with zeros and negatives made NaN: a log axis cannot show them, and
    matplotlib leaves NaN points out of a line."""
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)


def plot_curves(curves: Mapping[str, Sequence[float]], ax: Axes | None = None,
                xlabel: str = "epoch", ylabel: str = "loss", logy: bool = False,
                start: int = 1) -> Axes:
    """Several named curves on one axes, x counted from ``start`` (epochs from 1 by default).

    Used for live loss curves and for quantities along time, e.g.
    ``plot_curves({"gradient norm": norms}, xlabel="time step", ylabel="norm", start=0)``.
    ``logy=True`` puts the y axis on a log scale, where zeros and negative values are left
    out (``log_scale_values``).
    """
    if not isinstance(curves, Mapping):
        raise TypeError(f"plot_curves expects a dict name -> values, got "
                        f"{type(curves).__name__}; e.g. plot_curves({{'loss': losses}})")
    if ax is None:
        _, ax = new_figure(figsize=(5.5, 3.5))
    for index, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float).reshape(-1)
        if logy:
            values = log_scale_values(values)
        ax.plot(start + np.arange(len(values)), values, color=color(index), label=name)
    if logy:
        ax.set_yscale("log")
    style_axes(ax, xlabel=xlabel, ylabel=ylabel)
    if curves:
        ax.legend(fontsize="small")
    return ax


def _history_dict(history: Any, function: str) -> Mapping[str, Sequence[float]]:
    """The ``{name: values per epoch}`` dict of a History, or the dict itself."""
    records = getattr(history, "history", history)
    if not isinstance(records, Mapping):
        raise TypeError(f"{function} expects a History (returned by fit) or its .history "
                        f"dict, got {type(history).__name__}")
    if not records:
        raise ValueError(f"{function}: the history is empty; train first, e.g. "
                         "history = model.fit(x, y, epochs=5)")
    return records


def _first_epoch(history: Any) -> int:
    """1, or one more than the first recorded epoch index (fit with ``initial_epoch``)."""
    epochs = getattr(history, "epoch", None)
    return int(epochs[0]) + 1 if epochs else 1
