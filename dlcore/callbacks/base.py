"""``Callback``: hooks that ``fit`` calls around epochs and batches, and ``History``.

``fit`` calls, in order: ``on_train_begin``; for each epoch ``on_epoch_begin``, then for
each batch ``on_batch_begin`` / ``on_batch_end`` (logs: ``batch``, ``size``, ``loss`` and the
metrics of that batch), then ``on_epoch_end`` (logs: the epoch's averages, ``val_``
entries when validating); finally ``on_train_end``. A callback reaches the model as
``self.model`` and can stop training with ``self.model.stop_training = True``.
"""

from __future__ import annotations

from typing import Any


class Callback:
    """Base class: override the hooks you need; each receives a ``logs`` dict."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is a list of floats."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))


class CallbackList:
    """Several callbacks called as one, in the order given."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"callbacks must be dlcore.callbacks.Callback instances, "
                                f"got {type(callback).__name__}")
            callback.set_model(model)
            callback.set_params(params)

    def on_train_begin(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)
