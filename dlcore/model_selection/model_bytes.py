"""A model as the bytes of its ``.h5`` file, and back: how a fitted wrapper is pickled.

The bytes hold what ``Model.save`` writes (architecture as JSON, weights, optimizer
state); ``load_model`` rebuilds the model from them without running anything stored in
them, and the rebuilt model predicts bit for bit like the original.
"""

from __future__ import annotations

import os
import tempfile

from ..models import Model, load_model

_FILE_NAME = "model.h5"


def model_to_bytes(model: Model) -> bytes:
    """The contents of the ``.h5`` file ``model.save`` would write."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, _FILE_NAME)
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def model_from_bytes(data: bytes) -> Model:
    """The model whose ``.h5`` file contents ``model_to_bytes`` returned."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, _FILE_NAME)
        with open(path, "wb") as file:
            file.write(data)
        return load_model(path)
