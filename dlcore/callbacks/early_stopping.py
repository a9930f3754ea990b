"""``EarlyStopping``: stop training once a watched number stops improving.

Also home of ``Monitor``, the "did it improve?" test that ``EarlyStopping``,
``ModelCheckpoint`` and ``ReduceLROnPlateau`` share. With ``mode='min'`` a value
``current`` improves on a reference ``best`` when::

    current < best - min_delta          (mode 'max': current > best + min_delta)

``mode='auto'`` picks 'max' for accuracies (the name contains ``acc``) and 'min' otherwise.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from .base import Callback


def check_count(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``; otherwise an error naming ``owner``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)


class Monitor:
    """Which entry of the epoch logs to watch, which direction is better, and by how much."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"{owner}: monitor must be the name of a log entry such as "
                            f"'val_loss', got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"{owner}: min_delta must be a number >= 0 (the smallest change "
                             f"that counts as an improvement), got {min_delta!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.owner = owner
        self.name = monitor
        self.mode = mode
        self.min_delta = float(min_delta)

    @property
    def worst(self) -> float:
        """A starting 'best' that any finite value improves on."""
        return math.inf if self.mode == "min" else -math.inf

    def improves(self, current: float, reference: float) -> bool:
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def read(self, logs: dict | None, consequence: str) -> float | None:
        """The watched value from ``logs``; ``None`` and a ``RuntimeWarning`` when it is absent."""
        logs = logs or {}
        if self.name in logs:
            return float(logs[self.name])
        warnings.warn(
            f"{self.owner} monitors {self.name!r}, but the epoch logs have no such entry "
            f"(available: {', '.join(sorted(logs)) or 'none'}); {consequence}. Set monitor= to "
            "one of the available entries; 'val_' entries need validation_split= or "
            "validation_data= in fit.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


class EarlyStopping(Callback):
    """Stop ``fit`` after ``patience`` epochs in a row without improvement of ``monitor``.

    An epoch improves when its value beats the best so far by more than ``min_delta``
    (see ``Monitor``) and, if ``baseline`` is given, also beats the baseline. After
    ``patience`` epochs without improvement, ``model.stop_training`` is set and
    ``stopped_epoch`` records the (0-based) epoch.

    ``restore_best_weights=True`` puts back the weights of the best epoch when training
    ends, whether it stopped early or ran through all its epochs (Keras 2 restored them
    only on an early stop, keras-team/keras#12511). A missing ``monitor`` entry gives a
    ``RuntimeWarning`` and the epoch is skipped, as in Keras.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False) -> None:
        super().__init__()
        self.monitor = Monitor("EarlyStopping", monitor, mode, min_delta)
        self.patience = check_count("EarlyStopping", "patience", patience, 0)
        self.verbose = verbose
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = restore_best_weights
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.monitor.worst
        self.best_epoch: int | None = None
        self.best_weights: list | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self.monitor.worst
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.monitor.read(logs, "this epoch does not count for early stopping")
        if current is None:
            return
        improved = self.monitor.improves(current, self.best)
        if improved:
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        if improved and (self.baseline is None or self.monitor.improves(current, self.baseline)):
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1:05d}: early stopping")

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is None:
            return
        if self.verbose:
            print(f"Restoring model weights from the end of the best epoch "
                  f"({self.best_epoch + 1:05d}, {self.monitor.name} = {self.best:.5g})")
        self.model.set_weights(self.best_weights)
