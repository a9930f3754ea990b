"""``ModelCheckpoint``: save the model (or only its weights) during training."""

from __future__ import annotations

import os
import string

from .base import Callback
from .early_stopping import Monitor, check_count


class ModelCheckpoint(Callback):
    """Save after every ``period`` epochs to ``filepath``.

    ``filepath`` is a format string filled with ``epoch`` (1-based) and the epoch's logs,
    e.g. ``'w.{epoch:02d}-{val_loss:.2f}.h5'`` gives ``w.03-0.41.h5``; its folder is
    created when missing. The whole model goes through ``model.save`` (architecture,
    weights, optimizer state); ``save_weights_only=True`` writes only the weights with
    ``dlcore.saving.save_weights``.

    ``save_best_only=True`` saves only when ``monitor`` improves on the best value seen so
    far by this checkpoint (``mode`` as in ``EarlyStopping``); a missing ``monitor`` entry
    gives a ``RuntimeWarning`` and nothing is saved that epoch.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", period: int = 1) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(self.filepath)]
        except ValueError as error:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} is not a valid "
                             f"format string ({error}); write fields as {{epoch:02d}} or "
                             "{val_loss:.2f} and double a literal brace: {{ or }}") from None
        if any(field is not None and not field[:1].isidentifier() for field in fields):
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} has an unnamed or "
                             "numbered {} field; name what goes there, e.g. {epoch:02d} or "
                             "{val_loss:.2f}")
        self.monitor = Monitor("ModelCheckpoint", monitor, mode, 0)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = check_count("ModelCheckpoint", "period", period, 1)
        self.best = self.monitor.worst
        self.epochs_since_last_save = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        path = self.format_path(epoch, logs)
        if not self.save_best_only:
            self._report(f"Epoch {epoch + 1:05d}: saving model to {path}")
            self._save(path)
            return
        current = self.monitor.read(logs, "nothing is saved this epoch")
        if current is None:
            return
        name = self.monitor.name
        if self.monitor.improves(current, self.best):
            self._report(f"Epoch {epoch + 1:05d}: {name} improved from {self.best:.5f} to "
                         f"{current:.5f}, saving model to {path}")
            self.best = current
            self._save(path)
        else:
            self._report(f"Epoch {epoch + 1:05d}: {name} did not improve from {self.best:.5f}")

    def format_path(self, epoch: int, logs: dict) -> str:
        """``filepath`` filled in for the 0-based ``epoch`` (written 1-based) and ``logs``."""
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise ValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} uses {{{error.args[0]}}}, but "
                f"the epoch logs have only {', '.join(sorted(logs)) or 'no entries'} (and "
                "epoch); use one of those names, or give fit validation data for 'val_' entries"
            ) from None

    def _report(self, message: str) -> None:
        if self.verbose:
            print(message)

    def _save(self, path: str) -> None:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            from ..saving import save_weights

            save_weights(self.model, path)
        else:
            self.model.save(path)
