"""Initializers: shapes, dtypes, the spread each promises, reproducibility, names."""

import numpy as np
import pytest

from dlcore import initializers, random


@pytest.fixture(autouse=True)
def seeded():
    random.seed(0)


@pytest.mark.parametrize(("name", "shape", "expected_std"), [
    ("glorot_uniform", (300, 200), np.sqrt(2 / 500)),
    ("glorot_normal", (300, 200), np.sqrt(2 / 500)),
    ("he_uniform", (400, 100), np.sqrt(2 / 400)),
    ("he_normal", (400, 100), np.sqrt(2 / 400)),
    ("lecun_normal", (400, 100), np.sqrt(1 / 400)),
    ("he_normal", (3, 3, 16, 32), np.sqrt(2 / (9 * 16))),
    ("uniform", (200, 200), 0.1 / np.sqrt(12)),
    ("normal", (200, 200), 0.05),
])
def test_variance_matches_the_formula(name, shape, expected_std):
    values = initializers.get(name)(shape, "float64")
    assert values.shape == shape and values.dtype == np.float64
    assert values.std() == pytest.approx(expected_std, rel=0.05)
    assert abs(values.mean()) < 0.1 * expected_std + 1e-3


def test_uniform_limits_and_truncation():
    limit = np.sqrt(6 / (30 + 20))
    values = initializers.get("glorot_uniform")((30, 20))
    assert values.dtype == np.float32 and np.abs(values).max() <= limit
    normal = initializers.get("he_normal")((500, 100))
    assert np.abs(normal).max() <= 2 * np.sqrt(2 / 500) / 0.87962566103423978 + 1e-6


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (2, 3, 4)])
def test_orthogonal_has_orthonormal_rows_or_columns(shape):
    matrix = initializers.get("orthogonal")(shape, "float64").reshape(-1, shape[-1])
    small = min(matrix.shape)
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_constant_zeros_ones():
    assert np.all(initializers.get("zeros")((2, 3)) == 0)
    assert np.all(initializers.get("ones")((4,)) == 1)
    assert np.all(initializers.Constant(2.5)((2,)) == 2.5)


def test_same_seed_same_weights_and_different_seed_different_weights():
    random.seed(7)
    first = initializers.get("glorot_uniform")((4, 4))
    random.seed(7)
    again = initializers.get("glorot_uniform")((4, 4))
    random.seed(8)
    other = initializers.get("glorot_uniform")((4, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_serialize_round_trip():
    for initializer in [initializers.GlorotUniform(), initializers.Orthogonal(gain=2.0),
                        initializers.RandomNormal(stddev=0.3),
                        initializers.VarianceScaling(3.0, "fan_out", "uniform")]:
        config = initializers.serialize(initializer)
        rebuilt = initializers.get(config)
        assert type(rebuilt) is type(initializer)
        assert initializers.serialize(rebuilt) == config


def test_unknown_names_list_the_valid_ones_and_the_closest():
    with pytest.raises(ValueError, match=r"unknown initializer 'glorot_unifrom'.*"
                                         r"Did you mean 'glorot_uniform'\?"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="unknown initializer class 'os.system'"):
        initializers.get({"class_name": "os.system", "config": {}})
    with pytest.raises(TypeError, match="got int"):
        initializers.get(3)
    with pytest.raises(ValueError, match="mode must be"):
        initializers.VarianceScaling(mode="fan_sideways")
