"""Progress output for ``fit`` and ``evaluate``.

``verbose=1``: a live bar per epoch with the running loss and metrics (tqdm: a widget in
JupyterLab, text in a terminal; written to stdout, never stderr). ``verbose=2``: one line
per epoch. ``verbose=0``: nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm.auto import tqdm


def format_logs(logs: dict) -> str:
    """``loss: 0.3012 - accuracy: 0.9100`` (4 decimals, or scientific below 1e-3)."""
    parts = []
    for key, value in logs.items():
        value = float(value)
        text = f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"
        parts.append(f"{key}: {text}")
    return " - ".join(parts)


class Progress:
    """Shows one epoch at a time according to ``verbose``."""

    def __init__(self, verbose: int, epochs: int, steps: int) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0 (silent), 1 (progress bar) or 2 (one line per "
                             f"epoch), got {verbose!r}")
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self.bar = None
        self.started = 0.0

    def epoch_begin(self, epoch: int) -> None:
        self.started = time.perf_counter()
        if self.verbose == 1:
            self.bar = tqdm(total=self.steps, desc=f"Epoch {epoch + 1}/{self.epochs}",
                            unit="batch", file=sys.stdout, leave=True, mininterval=0.1,
                            dynamic_ncols=True)

    def batch_end(self, logs: Callable[[], dict]) -> None:
        """Advance the bar; ``logs()`` (the running numbers) is only called when shown."""
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs()), refresh=False)
            self.bar.update(1)

    def epoch_end(self, epoch: int, logs: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs))
            self.bar.close()
            self.bar = None
        elif self.verbose == 2:
            seconds = time.perf_counter() - self.started
            print(f"Epoch {epoch + 1}/{self.epochs} - {seconds:.1f}s - {format_logs(logs)}",
                  flush=True)
