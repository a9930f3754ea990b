"""Regularization explorer: dropout and training-set size against overfitting on the digits.

Pick a dropout rate and a number of training images, press Train: the left plot follows the
train and validation accuracy epoch by epoch, the right one the gap between them, next to
the gaps of the runs trained before, so settings can be compared. The training itself is
``dlcore.explore.regularization.train_with_dropout``.
"""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as widgets
from matplotlib.axes import Axes

from ..explore.regularization import RegularizationRun, train_with_dropout
from ..plot import plot_curves
from ..plot.style import new_figure, style_axes
from ._live import ChunkedTraining, Explorer, LiveFigure

CHUNK_EPOCHS = 10
FIT_LABEL = "train, as fit reports it"
RUNS_COMPARED = 4  # gap curves kept on the right: the latest run and the ones before it


def regularization_explorer(dropout_rate: float = 0.5, train_size: int = 100,
                            epochs: int = 100) -> Explorer:
    """A widget to train ``dropout_mlp`` networks on the digits and compare their gaps.

    ``result`` holds the latest ``RegularizationRun`` (None before the first chunk);
    ``compared`` the runs whose gap curves are on display, oldest first.
    """
    settings_controls = {
        "dropout_rate": widgets.FloatSlider(value=dropout_rate, min=0.0, max=0.8, step=0.1,
                                            description="dropout", continuous_update=False),
        "train_size": widgets.IntSlider(value=train_size, min=50, max=1300, step=50,
                                        description="train images", continuous_update=False),
        "epochs": widgets.IntSlider(value=epochs, min=10, max=300, step=10,
                                    description="epochs", continuous_update=False),
    }
    figure, (accuracy_ax, gap_ax) = new_figure(1, 2, figsize=(10, 3.8))
    live = LiveFigure(figure)

    latest = {"is_new": False}  # True until the first chunk of a new run is shown

    def start() -> Iterator[RegularizationRun]:
        settings = {name: control.value for name, control in settings_controls.items()}
        chunks = train_with_dropout(chunk_epochs=CHUNK_EPOCHS, **settings)
        latest["is_new"] = True
        return chunks

    def show(run: RegularizationRun) -> None:
        earlier = explorer.compared if latest["is_new"] else explorer.compared[:-1]
        explorer.compared = [*earlier, run][-RUNS_COMPARED:]
        latest["is_new"] = False
        draw_run(run, accuracy_ax)
        draw_gaps(explorer.compared, gap_ax)
        live.refresh()
        explorer.result = run

    def describe(run: RegularizationRun) -> str:
        return (f"epoch {run.epochs}/{settings_controls['epochs'].value}: train accuracy "
                f"{run.final_train_accuracy:.1%}, validation {run.final_validation_accuracy:.1%}"
                f", gap {run.gap:.3f} (loss gap {run.loss_gap:.3f})")

    training = ChunkedTraining(start, show, describe)
    controls = {**settings_controls, "train": training.train_button,
                "stop": training.stop_button}
    explorer = Explorer(controls, live, training.status)
    explorer.compared = []
    style_axes(accuracy_ax, title="accuracy: press Train", xlabel="epoch", ylabel="accuracy")
    style_axes(gap_ax, title="gap", xlabel="epoch", ylabel="train - validation accuracy")
    live.refresh()
    return explorer


def draw_run(run: RegularizationRun, ax: Axes) -> None:
    """Train and validation accuracy per epoch, and (dotted) the training accuracy ``fit``
    reports, averaged over each epoch's batches with dropout active."""
    ax.clear()
    plot_curves({"train": run.train_accuracy, "validation": run.validation_accuracy,
                 FIT_LABEL: run.fit_accuracy}, ax=ax, ylabel="accuracy")
    ax.get_lines()[-1].set_linestyle(":")
    ax.legend(fontsize="small")
    style_axes(ax, title=run.label())


def draw_gaps(runs: list[RegularizationRun], ax: Axes) -> None:
    """The gap per epoch of each run, labelled with its settings."""
    ax.clear()
    plot_curves({run.label(): run.gap_curve for run in runs}, ax=ax,
                ylabel="train - validation accuracy")
    ax.axhline(0.0, color="gray", linewidth=0.8)
    style_axes(ax, title="gap")
