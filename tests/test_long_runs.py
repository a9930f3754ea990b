"""Long runs keep memory flat: 20,000 training steps, and 1,000 rounds of fit, evaluate and
predict, on a small model with BatchNormalization and Dropout.

Python's allocations are traced the whole time (tracemalloc, numpy's arrays included) and
sampled twenty times, with the process's peak resident memory, each time after a full
garbage collection (which also empties the interpreter's free lists of small objects, a
bounded cache that tracemalloc counts as allocated). The growth from
the median of the first quarter of the samples to the median of the last quarter must stay
under ``TRACED_GROWTH`` (64 KiB: over the ~15,000 steps between those quarters, a leak of
5 bytes a step, far less than one leaked object, would exceed it) and ``RSS_GROWTH``
(8 MiB, for memory that tracemalloc does not see).
"""

from __future__ import annotations

import gc
import resource
import sys
import tracemalloc

import numpy as np
import pytest

from dlcore import utils
from dlcore.layers import BatchNormalization, Dense, Dropout
from dlcore.models import Sequential

pytestmark = pytest.mark.slow

TRACED_GROWTH = 64 * 2**10
RSS_GROWTH = 8 * 2**20


def peak_resident_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def small_model() -> tuple[Sequential, np.ndarray, np.ndarray]:
    utils.clear_session()
    utils.set_random_seed(0)
    model = Sequential([Dense(16, activation="relu", input_shape=(8,)), BatchNormalization(),
                        Dropout(0.2), Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.standard_normal((32, 8)).astype(np.float32), np.arange(32) % 3


def growth(samples: list[int]) -> float:
    """Median of the last quarter of ``samples`` minus the median of the first quarter."""
    quarter = len(samples) // 4
    return float(np.median(samples[-quarter:]) - np.median(samples[:quarter]))


def assert_flat_memory(run_once, rounds: int, every: int, record_property) -> None:
    """Call ``run_once`` ``rounds`` times (after a warm-up), sampling memory every ``every``."""
    for _ in range(rounds // 20):
        run_once()
    traced, resident = [], []
    tracemalloc.start()
    try:
        for index in range(rounds):
            run_once()
            if index % every == 0:
                gc.collect()
                traced.append(tracemalloc.get_traced_memory()[0])
                resident.append(peak_resident_bytes())
    finally:
        tracemalloc.stop()
    record_property("traced_growth_bytes", growth(traced))
    record_property("rss_growth_bytes", growth(resident))
    assert growth(traced) < TRACED_GROWTH, traced
    assert growth(resident) < RSS_GROWTH, resident


def test_20000_training_steps_keep_memory_flat(record_property):
    model, x, y = small_model()
    first = model.train_on_batch(x, y)[0]
    last = [first]

    def step():
        last[0] = model.train_on_batch(x, y)[0]

    assert_flat_memory(step, 20_000, 1000, record_property)
    assert np.isfinite(last[0]) and last[0] < first


def test_1000_rounds_of_fit_evaluate_predict_keep_memory_flat(record_property):
    model, x, y = small_model()

    def round_trip():
        model.fit(x, y, batch_size=16, epochs=1, validation_split=0.25, verbose=0)
        model.evaluate(x, y, verbose=0)
        model.predict(x)

    assert_flat_memory(round_trip, 1_000, 50, record_property)
    assert np.all(np.isfinite(model.predict(x)))
