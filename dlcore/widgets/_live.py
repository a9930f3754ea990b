"""What every explorer widget shares: a figure redrawn in place, Train/Stop buttons, the box.

- ``LiveFigure`` shows a matplotlib figure as a PNG inside an ``ipywidgets.Output``.
  ``refresh()`` renders the figure again and replaces the picture in a single update of the
  Output's ``outputs``: the old picture stays until the new one takes its place, so nothing
  flickers, and it works the same from a slider callback, a background task or a script.
- ``ChunkedTraining`` is a Train and a Stop button around a generator that trains a few
  epochs per ``next()``. In a notebook the chunks run as an asyncio task on the kernel's
  event loop: between two chunks the kernel handles other messages, such as a click on Stop,
  so the kernel is never busy for longer than one chunk and Stop ends training after the
  current chunk. Without a running event loop (a script, a test) ``train()`` runs the chunks
  one after another before it returns, still checking the stop flag between them.
- ``Explorer`` is the ``VBox`` an explorer function returns: the controls on top, a status
  line, the figure below. It keeps ``controls`` (name -> widget), ``output``, ``figure`` and
  ``result`` (the latest computed result), so code and tests can drive it.
- ``on_change(controls, redraw)`` calls ``redraw()`` whenever a control's value changes.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable, Iterator
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


class LiveFigure:
    """A matplotlib ``Figure`` shown in an ``ipywidgets.Output`` and redrawn in place.

    The figure is closed in pyplot (it stays fully usable), so that a notebook does not also
    show it as a static picture below the cell that made it.
    """

    def __init__(self, figure: Figure, dpi: int = 90) -> None:
        plt.close(figure)
        self.figure = figure
        self.dpi = dpi
        self.output = widgets.Output()

    def refresh(self) -> None:
        """Render the figure as it is now and show it instead of the previous picture."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        picture = {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                     "text/plain": f"<figure: {len(self.figure.axes)} axes>"},
            "metadata": {},
        }
        self.output.outputs = (picture,)


class ChunkedTraining:
    """A Train and a Stop button that run a training generator one chunk at a time.

    ``start()`` makes a new iterator (it may raise ``ValueError`` for bad settings); each
    ``next()`` on it trains a few epochs and returns a result, which ``show(result)`` draws.
    ``describe(result)``, if given, is the status line after that chunk. A ``ValueError``,
    ``TypeError`` or ``FloatingPointError`` (a diverging loss) ends training and is shown in
    the status line instead of being lost in the kernel's log; any other error is shown
    there too, then raised.
    """

    def __init__(self, start: Callable[[], Iterator[Any]], show: Callable[[Any], None],
                 describe: Callable[[Any], str] | None = None) -> None:
        self._start = start
        self._show = show
        self._describe = describe
        self.train_button = widgets.Button(description="Train", icon="play",
                                           button_style="success")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.status = widgets.Label("")
        self.stop_requested = False
        self.running = False
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())

    def train(self) -> None:
        """Start training: in the background in a notebook, to the end in a script."""
        if self.running:
            return
        chunks = self._begin()
        if chunks is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            while self._advance(chunks):
                pass
        else:
            loop.create_task(self._run_in_background(chunks))

    def stop(self) -> None:
        """Ask training to end once the chunk that is running now is finished."""
        self.stop_requested = True

    def _begin(self) -> Iterator[Any] | None:
        try:
            chunks = self._start()
        except (ValueError, TypeError) as error:
            self.status.value = f"Cannot train: {error}"
            return None
        self.stop_requested = False
        self._set_running(True)
        self.status.value = "Training..."
        return chunks

    async def _run_in_background(self, chunks: Iterator[Any]) -> None:
        while self._advance(chunks):
            await asyncio.sleep(0.01)  # the kernel handles waiting clicks (Stop) here

    def _advance(self, chunks: Iterator[Any]) -> bool:
        """Train and show one chunk; False (and the buttons reset) once training is over."""
        if self.stop_requested:
            return self._finish("Stopped.")
        try:
            result = next(chunks)
            self._show(result)
        except StopIteration:
            return self._finish("Done.")
        except (ValueError, TypeError, FloatingPointError) as error:
            return self._finish(f"Stopped: {error}")
        except Exception as error:  # a bug: say so, and do not leave the buttons disabled
            self._finish(f"Failed: {type(error).__name__}: {error}")
            raise
        if self._describe is not None:
            self.status.value = self._describe(result)
        return True

    def _finish(self, message: str) -> bool:
        self.status.value = f"{self.status.value} {message}".strip()
        self._set_running(False)
        return False

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.train_button.disabled = running
        self.stop_button.disabled = not running


class Explorer(widgets.VBox):
    """The widget an explorer returns: controls, a status line and the live figure.

    Attributes: ``controls`` (name -> widget, buttons included), ``output`` (the Output the
    figure is shown in), ``figure`` (the matplotlib Figure), ``status`` (a Label) and
    ``result`` (what the explorer computed last; the explorer keeps it up to date).
    """

    def __init__(self, controls: dict[str, widgets.Widget], live: LiveFigure,
                 status: widgets.Label | None = None) -> None:
        for control in controls.values():
            style = getattr(control, "style", None)
            if style is not None and "description_width" in style.trait_names():
                style.description_width = "initial"  # show descriptions in full
        self.status = status if status is not None else widgets.Label("")
        panel = widgets.HBox(list(controls.values()),
                             layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([panel, self.status, live.output])
        self.controls = controls
        self.live = live
        self.output = live.output
        self.figure = live.figure
        self.result: Any = None


def on_change(controls: dict[str, widgets.Widget], redraw: Callable[[], None]) -> None:
    """Call ``redraw()`` after any change of value of one of ``controls`` (buttons are skipped)."""
    for control in controls.values():
        if "value" in control.trait_names():
            control.observe(lambda _change: redraw(), names="value")
