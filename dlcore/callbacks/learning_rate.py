"""Callbacks that change the optimizer's learning rate during training.

Both read and write ``model.optimizer.learning_rate`` and add the learning rate used in
the epoch to its logs as ``lr``.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

from .base import Callback
from .early_stopping import Monitor, check_count


def get_learning_rate(model: Any, owner: str) -> float:
    """The current ``model.optimizer.learning_rate`` as a float."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise RuntimeError(f"{owner} needs a compiled model: call model.compile(optimizer=..., "
                           "loss=...) before fit")
    if not hasattr(optimizer, "learning_rate"):
        raise TypeError(f"{owner} sets optimizer.learning_rate, but "
                        f"{type(optimizer).__name__} has no such attribute; use a "
                        "dlcore.optimizers optimizer")
    return float(optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule``.

    ``schedule(epoch, lr)`` gets the 0-based epoch and the current learning rate and
    returns the new one; a ``schedule(epoch)`` of one argument is called with the epoch
    only (decided from its signature). Example, halving every 10 epochs::

        LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch and epoch % 10 == 0 else lr)
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function "
                            f"schedule(epoch, lr) -> new lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self.passes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        current = get_learning_rate(self.model, "LearningRateScheduler")
        new = self.schedule(epoch, current) if self.passes_lr else self.schedule(epoch)
        if isinstance(new, bool) or not isinstance(new, numbers.Real):
            raise ValueError(f"LearningRateScheduler: schedule must return a number (the new "
                             f"learning rate), but at epoch {epoch} it returned {new!r}")
        if not (math.isfinite(new) and new >= 0):
            raise ValueError(f"LearningRateScheduler: schedule returned the learning rate "
                             f"{new!r} at epoch {epoch}; it must be finite and >= 0")
        self.model.optimizer.learning_rate = float(new)
        if self.verbose:
            print(f"Epoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to "
                  f"{float(new):g}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = get_learning_rate(self.model, "LearningRateScheduler")


def _accepts_two_arguments(schedule: Callable[..., float]) -> bool:
    """Whether ``schedule`` can be called as ``schedule(epoch, lr)`` (else ``(epoch)``)."""
    try:
        signature = inspect.signature(schedule)
    except ValueError:
        return True  # no readable signature (some built-ins): use the documented form
    try:
        signature.bind(0, 0.1)
        return True
    except TypeError:
        pass
    try:
        signature.bind(0)
    except TypeError:
        raise TypeError(f"LearningRateScheduler: schedule must take (epoch, lr) or (epoch), "
                        f"but its signature is {signature}") from None
    return False


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    After ``patience`` epochs in a row without improvement (by more than ``min_delta``,
    see ``Monitor``), ``lr = max(lr * factor, min_lr)``; then ``cooldown`` epochs pass
    before epochs without improvement are counted again. ``epsilon`` is the older Keras name
    of ``min_delta``.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0, *, epsilon: float | None = None) -> None:
        super().__init__()
        if epsilon is not None:
            warnings.warn("ReduceLROnPlateau: epsilon is the old name of min_delta; write "
                          f"min_delta={epsilon!r}", UserWarning, stacklevel=2)
            min_delta = epsilon
        if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be between 0 and 1 (the learning "
                             f"rate is multiplied by it), got {factor!r}; e.g. factor=0.5 "
                             "halves it")
        if not isinstance(min_lr, numbers.Real) or not min_lr >= 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be a number >= 0, got {min_lr!r}")
        self.monitor = Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.factor = float(factor)
        self.patience = check_count("ReduceLROnPlateau", "patience", patience, 0)
        self.cooldown = check_count("ReduceLROnPlateau", "cooldown", cooldown, 0)
        self.min_lr = float(min_lr)
        self.verbose = verbose
        self.best = self.monitor.worst
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = self.monitor.worst
        self.wait = 0
        self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current_lr = get_learning_rate(self.model, "ReduceLROnPlateau")
        if logs is not None:
            logs["lr"] = current_lr
        current = self.monitor.read(logs, "the learning rate stays as it is")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor.improves(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait >= self.patience and current_lr > self.min_lr:
            new_lr = max(current_lr * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new_lr
            if self.verbose:
                print(f"Epoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to "
                      f"{new_lr:g}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
