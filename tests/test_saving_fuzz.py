"""Damaged and edited model files: loading either works or raises dlcore's clear errors.

A file with flipped bytes must give an ``OSError`` or ``ValueError`` (or load, when only
weight values changed); a model config with any value replaced or removed must give a
``ValueError`` (or load). Never another exception, and never anything run or imported.
"""

from __future__ import annotations

import json
import random

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcore import saving, utils
from dlcore.layers import (
    LSTM,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    MaxPooling2D,
)
from dlcore.models import Sequential


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A compiled, trained model using most layer kinds, saved: (folder, file bytes)."""
    utils.clear_session()
    utils.set_random_seed(0)
    images = Sequential([Conv2D(2, 3, padding="same", input_shape=(5, 5, 1)), MaxPooling2D(),
                         BatchNormalization(), Flatten(), Dropout(0.2), Dense(2)])
    images.compile("adam", "mse", metrics=["mae"])
    images.fit(np.ones((4, 5, 5, 1), np.float32), np.zeros((4, 2)), verbose=0)
    folder = tmp_path_factory.mktemp("fuzz")
    images.save(folder / "images.h5")
    sequences = Sequential([Embedding(6, 3, input_length=4), LSTM(2)])
    sequences.save(folder / "sequences.h5")
    return folder


def load_or_fail_cleanly(path, allowed):
    try:
        saving.load_model(path)
    except allowed:
        pass


@pytest.mark.parametrize("name", ["images.h5", "sequences.h5"])
def test_flipped_bytes(saved, name):
    data = (saved / name).read_bytes()
    rng = random.Random(0)
    damaged = saved / f"damaged-{name}"
    for _ in range(100):
        copy = bytearray(data)
        for _ in range(rng.choice([1, 3])):
            copy[rng.randrange(len(copy))] = rng.randrange(256)
        damaged.write_bytes(bytes(copy))
        load_or_fail_cleanly(damaged, (OSError, ValueError))


def json_paths(value, prefix=()):
    """Every place in a JSON value, as a tuple of keys and indices."""
    children = (value.items() if isinstance(value, dict) else
                enumerate(value) if isinstance(value, list) else ())
    paths = [prefix] if prefix else []
    for key, child in children:
        paths += json_paths(child, (*prefix, key))
    return paths


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 12) | st.text(max_size=6)
    | st.floats(-3, 3, allow_nan=False) | st.sampled_from(["same", "relu", "Dense", "zeros"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@pytest.mark.parametrize("name", ["images.h5", "sequences.h5"])
@pytest.mark.parametrize("attribute", ["model_config", "training_config"])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_edited_configs(saved, name, attribute, data):
    with h5py.File(saved / name, "r") as file:
        if attribute not in file.attrs:
            return
        config = json.loads(file.attrs[attribute])
    where = data.draw(st.sampled_from(json_paths(config)))
    parent = config
    for key in where[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[where[-1]] = data.draw(json_values)
    else:
        del parent[where[-1]]
    edited = saved / f"edited-{name}"
    edited.write_bytes((saved / name).read_bytes())
    with h5py.File(edited, "r+") as file:
        file.attrs[attribute] = np.bytes_(json.dumps(config).encode())
    load_or_fail_cleanly(edited, ValueError)
