"""Weight penalties: their values, their gradients, the loss fit/evaluate report, configs and
saving."""

import numpy as np
import pytest

import dlcore as dl
from dlcore import regularizers
from dlcore.layers import Conv2D, Dense, Flatten
from dlcore.models import Sequential, load_model


def weight(seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape)
    return dl.tensor(np.where(values >= 0, 1, -1) * (np.abs(values) + 0.1), requires_grad=True)


@pytest.mark.parametrize(("regularizer", "expected"), [
    (regularizers.l1(0.3), lambda w: 0.3 * np.abs(w).sum()),
    (regularizers.l2(0.2), lambda w: 0.2 * (w**2).sum()),
    (regularizers.l1_l2(0.3, 0.2), lambda w: 0.3 * np.abs(w).sum() + 0.2 * (w**2).sum()),
    (regularizers.L1L2(), lambda w: 0.0),
])
def test_penalty_values_and_gradients(regularizer, expected):
    w = weight()
    np.testing.assert_allclose(regularizer(w).item(), expected(w.data), rtol=1e-12)
    assert dl.gradcheck(lambda t: regularizer(t) * 1.0 + (t * 0.0).sum(), w)


def test_sgd_step_with_l2_is_weight_decay():
    """With zero data loss gradient the kernel shrinks by exactly lr * 2 * l2 * w."""
    dl.utils.set_random_seed(1)
    layer = Dense(3, input_dim=2, kernel_regularizer=regularizers.l2(0.05))
    model = Sequential([layer])
    model.compile(dl.optimizers.SGD(0.1), "mse")
    x = np.zeros((4, 2), "float32")
    model.predict(x)
    before = layer.kernel.data.copy()
    model.train_on_batch(x, model.predict(x))
    np.testing.assert_allclose(layer.kernel.data, before * (1 - 0.1 * 2 * 0.05), rtol=1e-6)


def test_fit_and_evaluate_report_the_data_loss_plus_the_penalties():
    dl.utils.set_random_seed(2)
    model = Sequential([Conv2D(2, 3, input_shape=(5, 5, 1), kernel_regularizer="l2",
                               bias_regularizer=regularizers.l1(0.5)), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.random((6, 5, 5, 1), dtype="float32"), rng.random((6, 1), dtype="float32")
    model.predict(x)
    model.layers[0].bias.data[:] = [0.25, -0.5]
    conv = model.layers[0]
    penalty = 0.01 * np.sum(conv.kernel.data.astype(np.float64) ** 2) + 0.5 * 0.75
    data_loss = np.mean((model.predict(x) - y) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert len(model.losses) == 2


def test_configs_round_trip_through_a_saved_model(tmp_path):
    model = Sequential([Dense(2, input_dim=3, kernel_regularizer=regularizers.l1_l2(0.1, 0.2))])
    model.compile("sgd", "mse")
    model.predict(np.ones((1, 3), "float32"))
    assert model.layers[0].get_config()["kernel_regularizer"] == {
        "class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}
    assert model.layers[0].get_config()["bias_regularizer"] is None
    model.save(tmp_path / "model.h5")
    loaded = load_model(tmp_path / "model.h5").layers[0]
    assert loaded.kernel_regularizer.get_config() == {"l1": 0.1, "l2": 0.2}


@pytest.mark.parametrize(("identifier", "error", "match"), [
    ("l3", ValueError, "l1"),
    ({"class_name": "os.system", "config": {}}, ValueError, "unknown regularizer class"),
    (0.01, TypeError, "a regularizer must be a name"),
])
def test_bad_regularizers_are_refused(identifier, error, match):
    with pytest.raises(error, match=match):
        Dense(2, kernel_regularizer=identifier)


@pytest.mark.parametrize("factor", [-0.1, float("nan"), "0.1", True])
def test_factors_must_be_non_negative_numbers(factor):
    with pytest.raises(ValueError, match="must be a number >= 0"):
        regularizers.l2(factor)
