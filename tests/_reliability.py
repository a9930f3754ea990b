"""The code the reliability tests run in other processes, and the models it shares with them.

* ``save_versions``: saves numbered versions of a 2 MB model onto one file until killed;
  ``copy_versions_in_place`` does the same the unsafe way (rewriting the file in place),
  the control that shows a kill can destroy a file.
* ``checkpointed_fit``: trains with ``ModelCheckpoint`` saving every epoch until killed.
* ``determinism_run``: a seeded training run of a model with Conv2D, BatchNormalization,
  LSTM and Dropout, returned as named arrays. ``python -m tests._reliability OUT.npz SEED``
  saves them, for comparisons across processes.

Importing the module loads the training kernels once (see ``load_kernels``).
"""

from __future__ import annotations

import itertools
import os
import sys

import numpy as np

from dlcore import utils
from dlcore.callbacks import Callback, ModelCheckpoint
from dlcore.layers import (
    LSTM,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Layer,
)
from dlcore.models import Sequential


# ----- killed while saving ----------------------------------------------------------------
def large_model() -> Sequential:
    """Four Dense layers, about 560,000 weights: a 2.2 MB file that takes tens of ms to save."""
    model = Sequential([Dense(512, input_shape=(64,)), Dense(512), Dense(512), Dense(4)])
    model.compile("sgd", "mse")
    return model


def version_weights(model: Sequential, version: int) -> list[np.ndarray]:
    """The weights of ``version``: random from that seed, with the number itself in the last
    bias, so a loaded file tells which version it holds."""
    rng = np.random.default_rng(version)
    arrays = [rng.standard_normal(weight.shape).astype(weight.dtype) for weight in model.weights]
    arrays[-1][0] = version
    return arrays


def version_in(weights: list[np.ndarray]) -> int:
    return int(weights[-1][0])


def save_versions(path: str, started, saved, first: int) -> None:
    """Save versions ``first``, ``first + 1``, ... onto ``path``; ``saved.value`` is the last
    version whose ``save`` returned."""
    model = large_model()
    started.set()
    for version in itertools.count(first):
        model.set_weights(version_weights(model, version))
        model.save(path)
        saved.value = version


def copy_versions_in_place(path: str, started, saved, first: int) -> None:
    """Like ``save_versions``, but each version is rewritten over ``path`` in 64 KiB pieces,
    each synced to disk (how Keras and ``torch.save`` write)."""
    model = large_model()
    scratch = f"{path}.scratch"
    started.set()
    for version in itertools.count(first):
        model.set_weights(version_weights(model, version))
        model.save(scratch)
        with open(scratch, "rb") as source, open(path, "wb") as target:
            while piece := source.read(2**16):
                target.write(piece)
                target.flush()
                os.fsync(target.fileno())
        saved.value = version


# ----- killed while training with ModelCheckpoint ------------------------------------------
CHECKPOINT_BATCH = 32


def checkpoint_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, 64)).astype(np.float32), rng.integers(0, 4, 32)


def checkpoint_model() -> Sequential:
    """A seeded, compiled model; the same weights in every process."""
    utils.clear_session()
    utils.set_random_seed(0)
    model = Sequential([Dense(256, activation="relu", input_shape=(64,)),
                        Dense(256, activation="relu"), Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


class EpochsSaved(Callback):
    """Placed after ModelCheckpoint: ``saved.value`` is the last epoch whose save returned;
    ``started`` is set once the first one has (the first epoch also loads the kernels)."""

    def __init__(self, started, saved) -> None:
        super().__init__()
        self.started, self.saved = started, saved

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.saved.value = epoch + 1
        self.started.set()


def load_kernels() -> None:
    """One training step of a model with the checkpointed model's kinds of layers, so that
    numba has loaded the kernels they run; processes forked later (by the fork server, which
    imports this module) skip that. Fixed names and zero weights: no name counter moves and
    no random number is drawn."""
    model = Sequential([Dense(4, activation="relu", kernel_initializer="zeros",
                              name="kernels_dense", input_shape=(64,)),
                        Dense(4, activation="softmax", kernel_initializer="zeros",
                              name="kernels_softmax")], name="kernels")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.train_on_batch(np.zeros((2, 64), np.float32), np.zeros(2, np.int64))


def checkpointed_fit(path: str, started, saved) -> None:
    """Train (without end) from ``checkpoint_model``, saving to ``path`` after every epoch."""
    model = checkpoint_model()
    x, y = checkpoint_data()
    model.fit(x, y, batch_size=CHECKPOINT_BATCH, epochs=10**6, verbose=0,
              callbacks=[ModelCheckpoint(path), EpochsSaved(started, saved)])


# ----- determinism ---------------------------------------------------------------------------
class ImageRowsAsSequence(Layer):
    """``(batch, rows, cols, channels)`` -> ``(batch, rows, cols * channels)``: each image row
    becomes one time step, so an LSTM can read what a Conv2D produced."""

    def call(self, x, training=False):
        return x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3])

    def compute_output_shape(self, input_shape):
        batch, rows, cols, channels = input_shape
        return (batch, rows, cols * channels)


def determinism_run(seed: int) -> dict[str, np.ndarray]:
    """Seed, build, fit (shuffled, with a validation split), predict: every result by name."""
    utils.clear_session()
    utils.set_random_seed(seed)
    model = Sequential([Conv2D(4, 3, padding="same", activation="relu", input_shape=(6, 6, 1)),
                        BatchNormalization(), ImageRowsAsSequence(), LSTM(8), Dropout(0.3),
                        Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1234)  # the same data for every seed
    x = rng.standard_normal((48, 6, 6, 1)).astype(np.float32)
    y = np.arange(48) % 3
    history = model.fit(x, y, batch_size=8, epochs=3, validation_split=0.25, shuffle=True,
                        verbose=0)
    results = {f"history_{key}": np.array(values) for key, values in history.history.items()}
    results.update({f"weight_{index}": weight
                    for index, weight in enumerate(model.get_weights())})
    results["predictions"] = model.predict(x)
    results["training_output"] = model(x[:8], training=True).data  # a fresh dropout mask
    return results


load_kernels()

if __name__ == "__main__":
    out, seed = sys.argv[1], int(sys.argv[2])
    np.savez(out, **determinism_run(seed))
