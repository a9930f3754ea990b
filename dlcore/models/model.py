"""``Model``: compile, fit, evaluate, predict — the training loop a Keras user knows.

A subclass supplies the structure (``layers``, ``call(x, training)``, ``build``,
``get_config``); everything about training lives here. One training step is::

    output = model.call(x, training=True)        # forward, recording the graph
    loss = mean(loss_fn(y, output) * weights)     # one number
    loss.backward()                               # gradients into every trainable weight
    optimizer.step(model.trainable_weights)       # update, then forget the gradients
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..autograd import no_grad
from ..callbacks.base import Callback, CallbackList, History
from ..functional.activations import softmax
from ..tensor import Tensor, as_array, tensor
from .data import ArrayData, GeneratorData, SequenceData, is_generator, is_sequence
from .progress import Progress


class Model:
    """Training and inference on top of a structure given by a subclass (see ``Sequential``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.optimizer: Any = None
        self.loss: Any = None
        self.stop_training = False
        self.history: History | None = None
        self._metric_names: list = []
        self._metrics: list[tuple[str, Any]] | None = None

    # ----- structure, provided by subclasses -------------------------------------------
    layers: list

    def call(self, x: Any, training: bool = False) -> Tensor:
        raise NotImplementedError

    def __call__(self, x: Any, training: bool = False) -> Tensor:
        return self.call(x, training=training)

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def output_shape(self) -> tuple:
        return self.layers[-1].output_shape

    @property
    def weights(self) -> list[Tensor]:
        return [weight for layer in self.layers for weight in layer.weights]

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [weight for layer in self.layers for weight in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        return [weight for layer in self.layers for weight in layer.non_trainable_weights]

    @property
    def losses(self) -> list[Tensor]:
        """Every layer's weight penalties (``kernel_regularizer=...``); the training loss is
        the data loss plus their sum."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def get_weights(self) -> list[np.ndarray]:
        """Every layer's weights, layer by layer, as numpy copies."""
        return [array for layer in self.layers for array in layer.get_weights()]

    def set_weights(self, values: list[Any]) -> None:
        """Set every layer's weights from a flat list in ``get_weights`` order."""
        values = list(values)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(values) != expected:
            raise ValueError(f"Model {self.name!r} has {expected} weight arrays, but "
                             f"set_weights got {len(values)}")
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(values[start:start + count])
            start += count

    def count_params(self) -> int:
        self._require_built("count_params")
        return sum(layer.count_params() for layer in self.layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Any:
        """The layer called ``name``, or at position ``index``."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are "
                         f"{[layer.name for layer in self.layers]}")

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{what}: the model {self.name!r} is not built yet, so its shapes are unknown. "
                "Give the first layer input_shape= (or input_dim=), or call fit/predict first."
            )

    # ----- compile ----------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: list | None = None) -> None:
        """Choose the optimizer, the loss and the metrics (names or objects)."""
        if loss is None:
            raise ValueError("compile needs a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise TypeError(f"metrics must be a list, e.g. metrics=['accuracy'], got {metrics!r}")
        self._metric_names = list(metrics or [])
        for metric in self._metric_names:  # an unknown name fails here, not in the first fit
            metrics_module.resolve(metric, None, 1)
        self._metrics = None  # resolved once the output width is known

    @property
    def metrics_names(self) -> list[str]:
        return ["loss", *[name for name, _ in self._resolved_metrics()]]

    def _resolved_metrics(self) -> list[tuple[str, Any]]:
        if self._metrics is None:
            self._require_built("metrics")
            loss_name = _loss_name(self.loss)
            width = self.output_shape[-1] if len(self.output_shape) > 1 else 1
            self._metrics = [metrics_module.resolve(metric, loss_name, width)
                             for metric in self._metric_names]
            warn_if_probabilities_meet_binary_crossentropy(
                loss_name, width, getattr(self.layers[-1], "activation", None) is softmax)
        return self._metrics

    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"{what}: compile the model first, e.g. "
                               "model.compile(optimizer='adam', loss='mse')")

    # ----- one batch ------------------------------------------------------------------
    def _batch_loss(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None,
                    training: bool) -> tuple[Tensor, Tensor]:
        """The batch's mean loss (weighted when ``weights`` is given) and the output.

        Cross-entropy on a softmax output is computed from the softmax's logits while
        training (``losses.training_loss``); the output stays the probabilities.
        """
        if not self.built:
            self.build(x.shape)
        output = self.call(x, training=training)
        per_sample = losses_module.training_loss(self.loss, y, output)
        if weights is not None:
            per_sample = per_sample * tensor(weights, dtype=per_sample.dtype)
        loss = per_sample.mean()
        for penalty in self.losses:
            loss = loss + penalty
        return loss, output

    def _batch_logs(self, loss: float, y: np.ndarray, output: np.ndarray) -> dict:
        logs = {"loss": loss}
        for name, metric in self._resolved_metrics():
            logs[name] = float(np.mean(metric(y, output)))
        return logs

    def train_on_batch(self, x: Any, y: Any, sample_weight: Any = None,
                       class_weight: dict | None = None) -> float | list[float]:
        """One optimizer step on this batch; the loss (and metrics) before the step."""
        self._require_compiled("train_on_batch")
        x, y = as_array(x), as_array(y)
        weights = _sample_weights(y, sample_weight, class_weight)
        logs = self._train_step(x, y, weights)
        return _scalar_or_list(logs)

    def _train_step(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> dict:
        loss, output = self._batch_loss(x, y, weights, training=True)
        parameters = self.trainable_weights
        loss.backward()
        self.optimizer.step(parameters)
        for parameter in parameters:
            parameter.zero_grad()
        return self._batch_logs(loss.item(), y, output.data)

    def test_on_batch(self, x: Any, y: Any, sample_weight: Any = None) -> float | list[float]:
        """Loss (and metrics) on this batch in inference mode, without updating anything."""
        self._require_compiled("test_on_batch")
        x, y = as_array(x), as_array(y)
        with no_grad():
            loss, output = self._batch_loss(x, y, _sample_weights(y, sample_weight, None), False)
        return _scalar_or_list(self._batch_logs(loss.item(), y, output.data))

    def predict_on_batch(self, x: Any) -> np.ndarray:
        with no_grad():
            return self.call(as_array(x), training=False).data

    # ----- fit --------------------------------------------------------------------------
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int = 1,
        callbacks: list[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple | None = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
    ) -> History:
        """Train for ``epochs - initial_epoch`` epochs; return the ``History``.

        ``validation_split`` holds out the LAST fraction of the samples, taken before any
        shuffling, as validation data; ``shuffle`` then reorders only the training part,
        anew each epoch. Training stops with an error at the first batch whose loss is not
        finite. Per-epoch training numbers are averages over the epoch's batches (the
        weights change during the epoch); validation numbers are computed at its end.
        """
        self._require_compiled("fit")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("give class_weight or sample_weight, not both")
        train, validation = self._training_data(x, y, batch_size, sample_weight, class_weight,
                                                validation_split, validation_data,
                                                steps_per_epoch)
        history = History()
        callback_list = CallbackList([*(callbacks or []), history], self, {
            "epochs": epochs, "steps": train.steps, "verbose": verbose})
        progress = Progress(verbose, epochs, train.steps)
        self.stop_training = False
        self.history = history
        callback_list.on_train_begin()
        last_finite_loss = None
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            progress.epoch_begin(epoch)
            averages = BatchAverages()
            for step, (x_batch, y_batch, weights) in enumerate(train.epoch(shuffle)):
                callback_list.on_batch_begin(step, {"batch": step, "size": len(x_batch)})
                batch_logs = self._train_step(x_batch, y_batch, weights)
                if not np.isfinite(batch_logs["loss"]):
                    raise FloatingPointError(
                        f"fit stopped: the loss became {batch_logs['loss']} at epoch "
                        f"{epoch + 1}, batch {step + 1} (last finite batch loss: "
                        f"{last_finite_loss}). Look for NaN or inf in the data, lower the "
                        "learning rate, or scale the inputs."
                    )
                last_finite_loss = batch_logs["loss"]
                averages.add(batch_logs, len(x_batch))
                progress.batch_end(averages.means)
                callback_list.on_batch_end(step, {"batch": step, "size": len(x_batch),
                                                  **batch_logs})
                if self.stop_training:
                    break
            train.on_epoch_end()
            epoch_logs = averages.means()
            if validation is not None:
                scores = self._evaluate_data(validation)
                epoch_logs.update({f"val_{key}": value for key, value in scores.items()})
            progress.epoch_end(epoch, epoch_logs)
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    def _training_data(self, x, y, batch_size, sample_weight, class_weight, validation_split,
                       validation_data, steps_per_epoch):
        """The training source and, if asked for, the validation source."""
        if is_sequence(x) or is_generator(x):
            if y is not None or sample_weight is not None or class_weight is not None:
                raise ValueError("when x is a Sequence or a generator it yields the targets "
                                 "(and weights) itself: leave y, sample_weight and "
                                 "class_weight out")
            if batch_size is not None:
                raise ValueError("when x is a Sequence or a generator it sets the batch size "
                                 "itself: leave batch_size out")
            if validation_split:
                raise ValueError("validation_split needs arrays; with a Sequence or a "
                                 "generator pass validation_data= instead")
            train = SequenceData(x) if is_sequence(x) else GeneratorData(x, steps_per_epoch)
        else:
            if y is None:
                raise ValueError("fit needs targets: fit(x, y, ...)")
            y_array = as_array(y)
            weights = _sample_weights(y_array, sample_weight, class_weight)
            train = ArrayData(x, y_array, weights, batch_size or 32)
        validation = None
        if validation_data is not None:
            validation = self._validation_source(validation_data, batch_size)
        elif validation_split:
            train, validation = train.split(validation_split)
            warn_if_split_separates_classes(_loss_name(self.loss), train.y, validation.y)
        return train, validation

    def _validation_source(self, validation_data: Any, batch_size: int | None):
        if is_sequence(validation_data):
            return SequenceData(validation_data)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or "
                             "(x_val, y_val, sample_weight_val), or a Sequence")
        return ArrayData(*validation_data, batch_size=batch_size or 32)

    # ----- evaluate and predict ---------------------------------------------------------
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int = 1, sample_weight: Any = None) -> float | list[float]:
        """The loss in inference mode (a float), or ``[loss, metric1, ...]`` with metrics."""
        self._require_compiled("evaluate")
        if is_sequence(x):
            source = SequenceData(x)
        else:
            if y is None:
                raise ValueError("evaluate needs targets: evaluate(x, y)")
            source = ArrayData(x, y, sample_weight, batch_size or 32)
        scores = self._evaluate_data(source, Progress(verbose, 1, source.steps))
        return _scalar_or_list(scores)

    def _evaluate_data(self, source: Any, progress: Progress | None = None) -> dict:
        """Batch-size-weighted averages of the loss and metrics over one pass."""
        progress = progress or Progress(0, 1, source.steps)
        averages = BatchAverages()
        progress.epoch_begin(0)
        with no_grad():
            for x_batch, y_batch, weights in source.epoch(shuffle=False):
                loss, output = self._batch_loss(x_batch, y_batch, weights, training=False)
                averages.add(self._batch_logs(loss.item(), y_batch, output.data), len(x_batch))
                progress.batch_end(averages.means)
        scores = averages.means()
        progress.epoch_end(0, scores)
        return scores

    def predict(self, x: Any, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Outputs for ``x`` in inference mode (dropout off, batch norm on moving statistics),
        computed batch by batch; one numpy array."""
        source = (SequenceData(x, inputs_only=True) if is_sequence(x)
                  else ArrayData(x, batch_size=batch_size or 32))
        progress = Progress(verbose, 1, source.steps)
        progress.epoch_begin(0)
        outputs = []
        with no_grad():
            for x_batch, _, _ in source.epoch(shuffle=False):
                if not self.built:
                    self.build(x_batch.shape)
                outputs.append(self.call(x_batch, training=False).data)
                progress.batch_end(dict)
        progress.epoch_end(0, {})
        if not outputs:  # no samples: an empty batch still gives the output's shape
            empty = as_array(x)
            if not self.built:
                self.build(empty.shape)
            with no_grad():
                outputs.append(self.call(empty, training=False).data)
        return np.concatenate(outputs, axis=0)

    # ----- saving -----------------------------------------------------------------------
    def save(self, filepath: str, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save architecture, weights and optimizer state to an HDF5 ``.h5`` file."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """Save only the weights (no architecture, no optimizer) to an HDF5 file."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str) -> None:
        """Load weights saved by ``save_weights`` or ``save`` into this (same-shaped) model."""
        from ..saving import load_weights

        load_weights(self, filepath)

    # ----- summary ----------------------------------------------------------------------
    def summary(self, line_length: int = 65, print_fn: Any = print) -> None:
        """Print the Keras table: layer (type), output shape, parameter count, totals."""
        self._require_built("summary")
        name_end, shape_end = int(line_length * 0.45), int(line_length * 0.85)

        def row(name: str, shape: str, params: str) -> str:
            return (name[:name_end - 1].ljust(name_end) + shape[:shape_end - name_end - 1]
                    .ljust(shape_end - name_end) + params)

        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        print_fn(row("Layer (type)", "Output Shape", "Param #"))
        print_fn("=" * line_length)
        for position, layer in enumerate(self.layers):
            print_fn(row(f"{layer.name} ({type(layer).__name__})", str(layer.output_shape),
                         str(layer.count_params())))
            print_fn(("=" if position == len(self.layers) - 1 else "_") * line_length)
        trainable = sum(weight.size for weight in self.trainable_weights)
        total = self.count_params()
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)


class BatchAverages:
    """Running means of per-batch numbers, each batch weighted by its number of samples."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.samples = 0

    def add(self, logs: dict, samples: int) -> None:
        self.samples += samples
        for key, value in logs.items():
            self.totals[key] = self.totals.get(key, 0.0) + value * samples

    def means(self) -> dict:
        return {key: total / self.samples for key, total in self.totals.items()}


def _loss_name(loss: Any) -> str | None:
    try:
        return losses_module.name_of(loss)
    except ValueError:
        return None


def _scalar_or_list(logs: dict) -> float | list[float]:
    values = [float(value) for value in logs.values()]
    return values[0] if len(values) == 1 else values


def _sample_weights(y: np.ndarray, sample_weight: Any, class_weight: dict | None):
    """Per-sample weights from ``sample_weight`` or from ``class_weight`` and the labels."""
    if sample_weight is not None:
        return as_array(sample_weight).astype(np.float64)
    if class_weight is None:
        return None
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    labels = labels.astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"class_weight has no weight for classes {missing} that occur in y; "
                         f"it covers {sorted(class_weight)}")
    lookup = np.zeros(labels.max() + 1)
    for label, weight in class_weight.items():
        if 0 <= label < len(lookup):
            lookup[label] = weight
    return lookup[labels]


def warn_if_probabilities_meet_binary_crossentropy(loss_name: str | None, width: int,
                                                    softmax_output: bool) -> None:
    """Binary cross-entropy on a softmax over several classes trains and reports wrongly."""
    if loss_name == "binary_crossentropy" and softmax_output and width > 1:
        warnings.warn(
            f"binary_crossentropy on a softmax output of width {width}: each class is then "
            "scored as a separate yes/no question and 'accuracy' becomes binary accuracy, "
            "which looks much better than it is. For one label out of several classes use "
            "categorical_crossentropy (one-hot targets) or sparse_categorical_crossentropy.",
            stacklevel=4,
        )


def warn_if_split_separates_classes(loss_name: str | None, train_y: np.ndarray,
                                    validation_y: np.ndarray) -> None:
    """``validation_split`` on data sorted by class: the two parts hold different classes."""
    if loss_name not in ("categorical_crossentropy", "sparse_categorical_crossentropy",
                         "binary_crossentropy"):
        return
    one_hot = loss_name == "categorical_crossentropy"
    labels = [y.argmax(axis=-1) if one_hot else y for y in (train_y, validation_y)]
    if not all(np.array_equal(part, np.round(part)) for part in labels):
        return  # soft targets (e.g. pixel intensities with binary_crossentropy): no classes
    train, validation = (set(np.unique(part).astype(np.int64).tolist()) for part in labels)
    problems = []
    if train - validation:
        problems.append(f"no samples of the classes {sorted(train - validation)} that occur "
                        "in training")
    if validation - train:
        problems.append(f"the classes {sorted(validation - train)} that training never sees")
    if problems:
        warnings.warn(
            f"validation_split takes the LAST {len(validation_y)} samples, before any "
            f"shuffling, and they hold {' and '.join(problems)} (are the samples sorted by "
            "class?), so the validation scores are misleading. Shuffle x and y together "
            "before fit, e.g. order = np.random.permutation(len(x)); x, y = x[order], "
            "y[order], or pass validation_data=.",
            stacklevel=4,
        )
