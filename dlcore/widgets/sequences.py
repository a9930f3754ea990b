"""Sequence explorer: can a SimpleRNN or an LSTM carry information across many time steps?

Pick a task, a sequence length and a cell (or both, side by side). Before training the
figure shows how strongly the loss depends on the input at each step of a fresh network;
Train then draws the learning curves against the baseline (the loss of a prediction that
ignores the input) and the same gradient norms after training, on a log scale. The training
itself is ``dlcore.explore.sequences.train_sequence_model``.
"""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as widgets
from matplotlib.axes import Axes

from ..explore._checks import checked_choice
from ..explore.sequences import CELLS, TASKS, SequenceResult, train_sequence_model
from ..plot import plot_curves
from ..plot.style import new_figure, style_axes
from ._live import ChunkedTraining, Explorer, LiveFigure, on_change

BEFORE = "before training"
BOTH = "both"
CELL_NAMES = {"rnn": "SimpleRNN", "lstm": "LSTM"}
CHUNK_EPOCHS = 5
UNITS = (8, 16, 32)


def sequence_explorer(task: str = "adding", length: int = 20, cell: str = BOTH) -> Explorer:
    """A widget to train recurrent networks on ``task`` and watch the gradient through time.

    ``result`` holds a tuple with one ``SequenceResult`` per cell on display (two for
    ``'both'``): the untrained networks' until Train is pressed, then the latest chunk's.
    """
    checked_choice("sequence_explorer", "task", task, TASKS)
    checked_choice("sequence_explorer", "cell", cell, [*CELLS, BOTH])
    settings_controls = {
        "task": widgets.Dropdown(options=list(TASKS), value=task, description="task"),
        "length": widgets.IntSlider(value=length, min=7, max=60, description="length",
                                    continuous_update=False),
        "cell": widgets.ToggleButtons(options=[*CELLS, BOTH], value=cell, description="cell"),
        "units": widgets.Dropdown(options=UNITS, value=16, description="units"),
        "epochs": widgets.IntSlider(value=40, min=5, max=200, step=5, description="epochs",
                                    continuous_update=False),
    }
    figure, (loss_ax, gradient_ax) = new_figure(1, 2, figsize=(10, 3.8))
    live = LiveFigure(figure)

    def runs() -> list[Iterator[SequenceResult]]:
        settings = {name: control.value for name, control in settings_controls.items()}
        chosen = settings.pop("cell")
        return [train_sequence_model(cell=name, chunk_epochs=CHUNK_EPOCHS, **settings)
                for name in (CELLS if chosen == BOTH else [chosen])]

    def start() -> Iterator[tuple[SequenceResult, ...]]:
        return zip(*runs(), strict=True)

    def show(results: tuple[SequenceResult, ...]) -> None:
        draw_losses(results, loss_ax)
        draw_gradient_norms(results, gradient_ax)
        live.refresh()
        explorer.result = results

    def show_untrained() -> None:
        if training.running:
            return
        try:
            fresh = tuple(next(run) for run in runs())
        except (ValueError, TypeError) as error:
            explorer.status.value = f"Cannot train: {error}"
            return
        show(fresh)
        explorer.status.value = describe(fresh)

    def describe(results: tuple[SequenceResult, ...]) -> str:
        return "; ".join(describe_one(result, settings_controls["epochs"].value)
                         for result in results)

    training = ChunkedTraining(start, show, describe)
    controls = {**settings_controls, "train": training.train_button,
                "stop": training.stop_button}
    explorer = Explorer(controls, live, training.status)
    on_change(settings_controls, show_untrained)
    show_untrained()
    return explorer


def describe_one(result: SequenceResult, epochs: int) -> str:
    """Where one network stands: its loss against the baseline and g_0 / g_last."""
    name = CELL_NAMES[result.cell]
    if not result.epochs:
        return f"{name}: g_0 / g_last = {result.initial_gradient_ratio:.1e} {BEFORE}"
    return (f"{name} epoch {result.epochs}/{epochs}: loss {result.loss[-1]:.4f} "
            f"(baseline {result.baseline:.4f}), g_0 / g_last = {result.gradient_ratio:.1e}")


def draw_losses(results: tuple[SequenceResult, ...], ax: Axes) -> None:
    """Each network's training loss per epoch, and the baseline as a flat line."""
    ax.clear()
    plot_curves({CELL_NAMES[result.cell]: result.loss for result in results}, ax=ax)
    ax.axhline(results[0].baseline, color="gray", linestyle="--",
               label="baseline (ignores the input)")
    ax.legend(fontsize="small")
    style_axes(ax, title=f"{results[0].task} task, length {results[0].length}")


def draw_gradient_norms(results: tuple[SequenceResult, ...], ax: Axes) -> None:
    """||d loss / d x_t|| against t, before training and now, on a log scale."""
    ax.clear()
    curves = {}
    for result in results:
        name = CELL_NAMES[result.cell]
        curves[f"{name} {BEFORE}"] = result.initial_gradient_norms
        if result.epochs:
            curves[f"{name} after {result.epochs} epochs"] = result.gradient_norms
    plot_curves(curves, ax=ax, xlabel="time step t", ylabel="||d loss / d x_t||", logy=True,
                start=0)
    for line in ax.get_lines():
        if line.get_label().endswith(BEFORE):
            line.set_linestyle("--")
    ax.legend(fontsize="small")
    style_axes(ax, title="gradient reaching each input step")
