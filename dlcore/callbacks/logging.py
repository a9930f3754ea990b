"""``TerminateOnNaN`` and ``CSVLogger``: watching and recording a training run."""

from __future__ import annotations

import csv
import math
import numbers
import os

from .base import Callback


class TerminateOnNaN(Callback):
    """Stop training after a batch whose loss is NaN or infinite.

    ``fit`` already stops with a ``FloatingPointError`` at the first non-finite batch loss,
    before any callback sees it, so inside ``fit`` this callback never fires. It exists for
    Keras familiarity and for hand-written training loops that call the hooks themselves.
    """

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write one CSV row per epoch: the 0-based ``epoch``, then the logs in sorted key order.

    The header (``epoch`` and the log names) is written before the first row; the columns
    are those of the first epoch, and an entry missing later is written as ``NA``. Every
    row reaches the file at the end of its epoch. ``append=True`` adds to an existing file
    and writes no second header when it already has content.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be a single character such as ',' "
                             f"or ';', got {separator!r}")
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self.keys: list[str] | None = None
        self.write_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.keys = None
        if self.append and os.path.exists(self.filename):
            self.write_header = os.path.getsize(self.filename) == 0
        else:
            self.write_header = True
            with open(self.filename, "w", newline=""):
                pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        row = [str(epoch)] + [_cell(logs[key]) if key in logs else "NA" for key in self.keys]
        with open(self.filename, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator)
            if self.write_header:
                writer.writerow(["epoch", *self.keys])
                self.write_header = False
            writer.writerow(row)


def _cell(value: object) -> str:
    """A log value as CSV text: numbers in full precision (``repr`` of the float)."""
    return repr(float(value)) if isinstance(value, numbers.Real) else str(value)
