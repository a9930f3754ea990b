"""The confusion matrix: how often each true class was predicted as each class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from .labels import class_labels
from .style import ANNOTATION_SIZE, SEQUENTIAL_CMAP, new_figure, style_axes


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Integer counts ``(classes, classes)``: entry ``[t, p]`` counts samples of class ``t``
    predicted as ``p`` (rows are true classes, columns predictions; the diagonal is correct).

    Both arguments take labels ``(n,)``, one-hot rows or probabilities ``(n, classes)`` (the
    argmax is taken). ``num_classes`` defaults to the largest label seen plus one, or the
    width of one-hot/probability rows.
    """
    function = "confusion_matrix"
    true = class_labels(y_true, function, "y_true")
    predicted = class_labels(y_pred, function, "y_pred")
    if true.shape != predicted.shape:
        raise ValueError(f"{function}: y_true has {true.size} samples but y_pred has "
                         f"{predicted.size}; pass one prediction per sample")
    widths = [np.shape(v)[1] for v in (y_true, y_pred) if np.ndim(v) == 2 and np.shape(v)[1] > 1]
    seen = int(max(true.max(initial=-1), predicted.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = max([seen, *widths])
    elif seen > num_classes:
        raise ValueError(f"{function}: num_classes={num_classes} but the labels go up to "
                         f"{seen - 1}; pass num_classes={seen} or more")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def plot_confusion_matrix(y_true: Any, y_pred: Any, class_names: Sequence[str] | None = None,
                          normalize: bool = False, ax: Axes | None = None) -> Axes:
    """The confusion matrix as an image, each cell annotated with its count.

    With ``normalize=True`` each row is divided by its total (the fraction of each true
    class given each prediction; the diagonal is the per-class recall) and the cells show
    these fractions. ``class_names`` label the rows and columns (default 0, 1, ...).
    """
    counts = confusion_matrix(y_true, y_pred)
    if class_names is not None:
        if len(class_names) < len(counts):
            raise ValueError(f"plot_confusion_matrix: {len(class_names)} class_names for "
                             f"{len(counts)} classes; give one name per class")
        counts = np.pad(counts, (0, len(class_names) - len(counts)))
    shown = counts.astype(float)
    if normalize:
        shown = shown / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    if ax is None:
        size = 1.2 + 0.5 * len(counts)
        _, ax = new_figure(figsize=(max(3.5, size + 1), max(3.0, size)))
    image = ax.imshow(shown, cmap=SEQUENTIAL_CMAP, vmin=0,
                      vmax=1 if normalize else max(1, counts.max()))
    threshold = (image.norm.vmin + image.norm.vmax) / 2
    for (row, column), value in np.ndenumerate(shown):
        ax.text(column, row, f"{value:.2f}" if normalize else str(counts[row, column]),
                ha="center", va="center", fontsize=ANNOTATION_SIZE,
                color="black" if value > threshold else "white")
    names = [str(name) for name in (class_names or range(len(counts)))]
    ticks = np.arange(len(counts))
    ax.set_xticks(ticks, names)
    ax.set_yticks(ticks, names)
    style_axes(ax, title="confusion matrix" + (" (row fractions)" if normalize else ""),
               xlabel="predicted class", ylabel="true class")
    return ax
