"""Sequence sets for recurrent networks, laid out ``(batch, timesteps, features)``.

* ``make_sine_windows``: forecast the next values of a noisy sine wave;
* ``make_adding_problem``: add the two marked numbers of a long sequence (long memory);
* ``make_copy_task``: repeat a sequence of symbols after a delay (long memory, per step).

A fixed ``seed`` gives the same arrays on every call; ``seed=None`` draws from dlcore's
generator.
"""

from __future__ import annotations

import numpy as np

from ._arguments import real_number, seeded_generator, whole_number

LOWEST_FREQUENCY = 1 / 50   # cycles per step: a period of 50 steps
HIGHEST_FREQUENCY = 1 / 10  # a period of 10 steps


def make_sine_windows(n_samples: int = 1000, window: int = 20, horizon: int = 1,
                      noise: float = 0.1, seed: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Windows of noisy sine waves, and the values that follow each window.

    Every sample is its own series of ``window + horizon`` steps::

        s_t = sin(2 pi f t + phase) + e_t,   t = 0, 1, ..., window + horizon - 1

    with ``f ~ U[1/50, 1/10]`` cycles per step (periods of 10 to 50 steps),
    ``phase ~ U[0, 2 pi)`` and ``e_t ~ N(0, noise^2)``. Returns ``x`` float32
    ``(n_samples, window, 1)``, the first ``window`` values, and ``y`` float32
    ``(n_samples, horizon)``, the next ``horizon``. The noise cannot be predicted, so the
    best possible mean squared error is about ``noise^2``.
    """
    function = "make_sine_windows"
    n_samples = whole_number(function, "n_samples", n_samples)
    window = whole_number(function, "window", window)
    horizon = whole_number(function, "horizon", horizon)
    noise = real_number(function, "noise", noise)
    generator = seeded_generator(function, seed)
    frequency = generator.uniform(LOWEST_FREQUENCY, HIGHEST_FREQUENCY, (n_samples, 1))
    phase = generator.uniform(0.0, 2 * np.pi, (n_samples, 1))
    steps = np.arange(window + horizon)
    series = np.sin(2 * np.pi * frequency * steps + phase)
    series += noise * generator.normal(size=series.shape)
    series = series.astype(np.float32)
    return series[:, :window, None], series[:, window:]


def make_adding_problem(n_samples: int = 1000, length: int = 50, seed: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter and Schmidhuber, 1997): sum the two marked values.

    ``x`` float32 ``(n_samples, length, 2)``: channel 0 holds values ``~ U[0, 1]``,
    channel 1 a marker that is 1 at exactly two steps, one in the first half
    (``t < length // 2``) and one in the second, and 0 elsewhere. ``y`` float32
    ``(n_samples, 1)``: the sum of the two marked values. Always predicting 1 gives a
    mean squared error of 1/6 (the variance of a sum of two ``U[0, 1]``), the level to beat.
    """
    function = "make_adding_problem"
    n_samples = whole_number(function, "n_samples", n_samples)
    length = whole_number(function, "length", length, low=2)
    generator = seeded_generator(function, seed)
    values = generator.uniform(0.0, 1.0, (n_samples, length)).astype(np.float32)
    rows = np.arange(n_samples)
    first = generator.integers(0, length // 2, n_samples)
    second = generator.integers(length // 2, length, n_samples)
    markers = np.zeros_like(values)
    markers[rows, first] = 1
    markers[rows, second] = 1
    targets = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), targets[:, None]


def make_copy_task(n_samples: int = 1000, length: int = 10, n_symbols: int = 8,
                   delay: int = 10, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The copy task: read ``length`` symbols, wait, and write them out again.

    Symbols have the ids ``0 .. n_symbols - 1``; ``n_symbols`` is the blank and
    ``n_symbols + 1`` the go marker. Every sequence has ``T = 2 * length + delay + 1`` steps::

        input   s_1 .. s_L   blank x delay   go      blank x L
        target  blank x L    blank x delay   blank   s_1 .. s_L

    ``x`` float32 ``(n_samples, T, n_symbols + 2)``: the input, one-hot. ``y`` int64
    ``(n_samples, T)``: the target class at every step, from ``n_symbols + 1`` classes.
    A model that outputs a class distribution per step fits it, since Dense acts on the
    last axis::

        Sequential([LSTM(64, return_sequences=True, input_shape=(T, n_symbols + 2)),
                    Dense(n_symbols + 1, activation="softmax")])
        compile(loss="sparse_categorical_crossentropy")

    Chance level: a model without memory writes blanks where they are due and guesses
    uniformly among the symbols in the last ``L`` steps, a mean cross-entropy per step of
    ``L * ln(n_symbols) / T`` (0.671 with the defaults); a model that copies gets 0.
    """
    function = "make_copy_task"
    n_samples = whole_number(function, "n_samples", n_samples)
    length = whole_number(function, "length", length)
    n_symbols = whole_number(function, "n_symbols", n_symbols, low=2)
    delay = whole_number(function, "delay", delay, low=0)
    generator = seeded_generator(function, seed)
    blank, go = n_symbols, n_symbols + 1
    symbols = generator.integers(0, n_symbols, (n_samples, length))
    wait = np.full((n_samples, length + delay + 1), blank)
    inputs = np.concatenate([symbols, wait], axis=1)
    inputs[:, length + delay] = go
    targets = np.concatenate([wait, symbols], axis=1)
    one_hot = np.eye(n_symbols + 2, dtype=np.float32)
    return one_hot[inputs], targets.astype(np.int64)
