"""Activations and gradients through depth: the twin ``depth_statistics`` and its widget."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcore.explore import depth_statistics  # noqa: E402
from dlcore.widgets.initialization import initialization_explorer  # noqa: E402


def test_every_statistic_has_one_value_per_hidden_layer():
    statistics = depth_statistics(depth=4, width=16, n_samples=32)
    for name in ("activation_mean", "activation_std", "saturated_fraction", "dead_fraction",
                 "output_gradient_norm", "output_gradient_std", "kernel_gradient_norm",
                 "kernel_gradient_std"):
        values = getattr(statistics, name)
        assert values.shape == (4,) and np.all(np.isfinite(values)), name


def test_the_same_seed_gives_the_same_statistics():
    first = depth_statistics(depth=3, width=16, seed=3)
    second = depth_statistics(depth=3, width=16, seed=3)
    np.testing.assert_array_equal(first.output_gradient_norm, second.output_gradient_norm)
    np.testing.assert_array_equal(first.activation_std, second.activation_std)


def test_sigmoid_with_tiny_weights_makes_the_gradient_vanish_towards_the_input():
    norms = depth_statistics(activation="sigmoid", initializer="too_small").output_gradient_norm
    assert norms[0] < 1e-9 * norms[-1]
    assert np.all(np.diff(np.log(norms)) > 0)


def test_he_normal_keeps_the_spread_of_relu_layers_while_tiny_weights_shrink_it():
    he = depth_statistics(activation="relu", initializer="he_normal").activation_std
    assert he.max() / he.min() < 2
    tiny = depth_statistics(activation="relu", initializer="too_small").activation_std
    assert tiny[-1] < 1e-6 * tiny[0]


def test_large_weights_saturate_tanh_and_make_relu_gradients_explode():
    tanh_large = depth_statistics(activation="tanh", initializer="too_large")
    assert np.all(tanh_large.saturated_fraction > 0.5)
    assert np.all(depth_statistics(activation="tanh").saturated_fraction < 0.01)
    relu_large = depth_statistics(activation="relu", initializer="too_large")
    assert relu_large.output_gradient_norm[0] > 1e3 * relu_large.output_gradient_norm[-1]


def test_dead_units_are_flat_for_every_sample():
    statistics = depth_statistics(depth=6, width=16, activation="relu",
                                  initializer="too_large", n_samples=64)
    assert np.all(statistics.dead_fraction <= statistics.saturated_fraction)
    assert 0.3 < statistics.saturated_fraction.mean() < 0.7  # relu is flat for z < 0


def test_bad_arguments_name_the_function_and_the_fix():
    with pytest.raises(ValueError, match="depth_statistics: unknown initializer 'xavier'"):
        depth_statistics(initializer="xavier")
    with pytest.raises(ValueError, match="depth_statistics: unknown activation 'softmax'"):
        depth_statistics(activation="softmax")
    with pytest.raises(TypeError, match="depth_statistics: depth must be an int"):
        depth_statistics(depth="3")
    with pytest.raises(ValueError, match="depth_statistics: width must be >= 1"):
        depth_statistics(width=0)


# ----- the widget -------------------------------------------------------------------------
def plotted(explorer, panel, label):
    lines = [line for line in explorer.figure.axes[panel].get_lines()
             if line.get_label() == label]
    assert len(lines) == 1, label
    return lines[0].get_ydata()


def test_the_widget_redraws_when_the_initializer_or_depth_changes():
    explorer = initialization_explorer(depth=6, width=32, activation="sigmoid")
    glorot = plotted(explorer, 1, "d loss / d layer output")
    assert len(glorot) == 6 and explorer.output.outputs
    explorer.controls["initializer"].value = "too_small"
    tiny = plotted(explorer, 1, "d loss / d layer output")
    np.testing.assert_allclose(tiny, explorer.result.output_gradient_norm)
    assert tiny[0] / tiny[-1] < 1e-3 * glorot[0] / glorot[-1]
    assert "first layer / at the last" in explorer.status.value
    explorer.controls["depth"].value = 9
    assert len(plotted(explorer, 0, "std of the layer's outputs")) == 9
