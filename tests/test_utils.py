"""dlcore.utils: one-hot encoding with its traps closed, normalising, seeding."""

import numpy as np
import pytest

from dlcore import random, utils


def test_to_categorical_one_hot_encodes():
    np.testing.assert_array_equal(utils.to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert utils.to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)
    assert utils.to_categorical([1.0, 0.0]).dtype == np.float32
    assert utils.to_categorical(np.zeros((2, 5), int), 4).shape == (2, 5, 4)


def test_to_categorical_refuses_what_keras_silently_mis_encodes():
    with pytest.raises(ValueError, match="labels must be >= 0, got a minimum of -1"):
        utils.to_categorical([-1, 1])
    with pytest.raises(ValueError, match="largest label is 3, but num_classes=3"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="non-integer"):
        utils.to_categorical([0.5, 1.0])
    with pytest.raises(TypeError, match="integer class labels"):
        utils.to_categorical(["a", "b"])


def test_normalize_gives_unit_rows_and_keeps_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


def test_set_random_seed_resets_dlcore_generator():
    utils.set_random_seed(3)
    first = random.generator().random(3)
    utils.set_random_seed(3)
    np.testing.assert_array_equal(random.generator().random(3), first)
    with pytest.raises(ValueError, match="non-negative int"):
        utils.set_random_seed(-1)
    with pytest.raises(ValueError, match="non-negative int"):
        utils.set_random_seed(1.5)
