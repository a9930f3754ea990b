"""Training playground: train a small network on 2-D points and watch it learn.

Choose a dataset and a network, press Train: the decision boundary and the loss curves are
redrawn after every few epochs, and Stop ends training after the current chunk. The
training itself is ``dlcore.explore.train_in_chunks``.
"""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as widgets
import numpy as np

from ..explore.playground import (
    DATASETS,
    PlaygroundResult,
    make_dataset,
    parse_hidden_layers,
    train_in_chunks,
)
from ..plot import plot_curves, plot_decision_boundary, plot_points
from ..plot.style import new_figure, style_axes
from ._live import ChunkedTraining, Explorer, LiveFigure, on_change

CHUNK_EPOCHS = 5
RESOLUTION = 100
DATA_CONTROLS = ("dataset", "noise")


def training_playground(dataset: str = "moons") -> Explorer:
    """A widget to train ``build_classifier`` models on spirals, moons or circles.

    ``result`` holds the latest ``PlaygroundResult`` (None before the first chunk).
    """
    settings_controls = {
        "dataset": widgets.Dropdown(options=list(DATASETS), value=dataset,
                                    description="dataset"),
        "noise": widgets.FloatSlider(value=0.2, min=0.0, max=0.5, step=0.05,
                                     description="noise", continuous_update=False),
        "hidden_layers": widgets.Text(value="8, 8", description="hidden units",
                                      continuous_update=False),
        "activation": widgets.Dropdown(options=["tanh", "relu", "sigmoid"],
                                       description="activation"),
        "learning_rate": widgets.FloatLogSlider(value=0.03, base=10, min=-4, max=0,
                                                description="learning rate",
                                                continuous_update=False),
        "batch_size": widgets.Dropdown(options=[8, 16, 32, 64, 128], value=32,
                                       description="batch size"),
        "batch_norm": widgets.Checkbox(value=False, description="batch norm"),
        "dropout": widgets.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.05,
                                       description="dropout", continuous_update=False),
        "l2": widgets.Dropdown(options=[0.0, 1e-4, 1e-3, 1e-2], description="L2"),
        "epochs": widgets.IntSlider(value=100, min=10, max=500, step=10,
                                    description="epochs", continuous_update=False),
    }
    figure, (boundary_ax, loss_ax) = new_figure(1, 2, figsize=(10, 4.2))
    live = LiveFigure(figure)

    def settings() -> dict:
        values = {name: control.value for name, control in settings_controls.items()}
        values["hidden_layers"] = parse_hidden_layers(values["hidden_layers"])
        return values

    def start() -> Iterator[PlaygroundResult]:
        return train_in_chunks(chunk_epochs=CHUNK_EPOCHS, resolution=RESOLUTION, **settings())

    def show(result: PlaygroundResult) -> None:
        x = np.concatenate([result.x_train, result.x_val])
        y = np.concatenate([result.y_train, result.y_val])
        boundary_ax.clear()
        plot_decision_boundary(result.model, x, y, ax=boundary_ax, grid=result.grid)
        loss_ax.clear()
        plot_curves({"training": result.losses, "validation": result.val_losses}, ax=loss_ax)
        style_axes(loss_ax, title=f"loss after {result.epochs} epochs")
        live.refresh()
        explorer.result = result

    def describe(result: PlaygroundResult) -> str:
        line = (f"epoch {result.epochs}/{settings_controls['epochs'].value}: loss "
                f"{result.losses[-1]:.3f}, training accuracy {result.train_accuracy[-1]:.0%}")
        if result.val_accuracy:
            line += f", validation accuracy {result.val_accuracy[-1]:.0%}"
        return line

    def show_data() -> None:
        x, y = make_dataset(settings_controls["dataset"].value,
                            noise=settings_controls["noise"].value)
        boundary_ax.clear()
        loss_ax.clear()
        plot_points(x, y, ax=boundary_ax)
        style_axes(loss_ax, title="loss", xlabel="epoch", ylabel="loss")
        live.refresh()

    training = ChunkedTraining(start, show, describe)
    controls = {**settings_controls, "train": training.train_button,
                "stop": training.stop_button}
    explorer = Explorer(controls, live, training.status)
    on_change({name: controls[name] for name in DATA_CONTROLS}, show_data)
    show_data()
    return explorer
