"""Optimizer paths on 2-D surfaces: the surfaces, the twin ``optimizer_paths``, the widget."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dlcore as dl  # noqa: E402
from dlcore.explore import (  # noqa: E402
    OPTIMIZERS,
    SURFACES,
    make_optimizer,
    optimizer_paths,
    tuned_settings,
)
from dlcore.explore.surfaces import get_surface  # noqa: E402
from dlcore.optimizers import SGD, Adam  # noqa: E402
from dlcore.widgets.optimizers import optimizer_explorer  # noqa: E402

POINTS = [(-1.5, 2.5), (0.3, -0.7), (1.2, 0.4), (2.0, 1.1)]


@pytest.mark.parametrize("name", SURFACES)
def test_autodiff_gradient_equals_the_analytic_gradient(name):
    surface = SURFACES[name]
    for point in POINTS:
        w = dl.tensor(np.array(point, dtype=np.float64), requires_grad=True)
        surface.function(w[0], w[1]).backward()
        expected = np.array(surface.gradient(*np.array(point)), dtype=np.float64)
        np.testing.assert_allclose(w.grad, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", SURFACES)
def test_the_numpy_function_works_on_grids_and_the_minimum_is_flat(name):
    surface = SURFACES[name]
    xx, yy = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4))
    assert surface.function(xx, yy).shape == (4, 5)
    if surface.minimum is not None:
        np.testing.assert_allclose(surface.gradient(*np.array(surface.minimum)), 0, atol=1e-12)
        (x_low, x_high), (y_low, y_high) = surface.bounds
        assert x_low < surface.minimum[0] < x_high and y_low < surface.minimum[1] < y_high


def test_paths_start_at_the_start_and_have_one_point_per_step():
    paths = optimizer_paths("beale", ["sgd", "adam"], steps=25)
    assert set(paths) == {"sgd", "adam"}
    for path in paths.values():
        assert path.shape == (26, 2)
        np.testing.assert_array_equal(path[0], SURFACES["beale"].start)


def test_the_first_sgd_step_is_minus_learning_rate_times_the_gradient():
    surface = SURFACES["beale"]
    path = optimizer_paths(surface, {"sgd": {"learning_rate": 0.01}}, steps=1)["sgd"]
    step = -0.01 * np.array(surface.gradient(*np.array(surface.start)))
    np.testing.assert_allclose(path[1] - path[0], step, rtol=1e-12)


def test_momentum_and_nesterov_differ_from_plain_sgd_after_the_first_step():
    settings = tuned_settings(["sgd", "momentum", "nesterov"], 0.001, momentum=0.9)
    paths = optimizer_paths("quadratic", settings, steps=10)
    np.testing.assert_allclose(paths["momentum"][1], paths["sgd"][1])
    assert np.linalg.norm(paths["momentum"][5] - paths["sgd"][5]) > 1e-3
    assert np.linalg.norm(paths["nesterov"][5] - paths["momentum"][5]) > 1e-4


def test_adam_reaches_the_minimum_of_the_ill_conditioned_quadratic():
    path = optimizer_paths("quadratic", {"adam": {"learning_rate": 0.1}}, steps=200)["adam"]
    assert np.linalg.norm(path[-1] - np.array(SURFACES["quadratic"].minimum)) < 0.05


def test_a_diverging_path_stops_at_its_last_finite_point():
    with np.errstate(over="raise", invalid="raise"):
        path = optimizer_paths("rosenbrock", {"sgd": {"learning_rate": 0.1}}, steps=100)["sgd"]
    assert len(path) < 101
    assert np.all(np.isfinite(path))


def test_settings_choose_the_optimizer_and_its_hyperparameters():
    optimizer = make_optimizer("fast", {"optimizer": "nesterov", "learning_rate": 0.5})
    assert isinstance(optimizer, SGD)
    assert optimizer.nesterov and optimizer.momentum == 0.9 and optimizer.learning_rate == 0.5
    adam = make_optimizer("adam", {"beta_1": 0.5})
    assert isinstance(adam, Adam) and adam.beta_1 == 0.5 and adam.beta_2 == 0.999
    settings = tuned_settings(OPTIMIZERS, 0.01, momentum=0.5, beta_1=0.8, beta_2=0.99)
    assert settings["sgd"] == {"learning_rate": 0.01}
    assert settings["momentum"] == {"learning_rate": 0.01, "momentum": 0.5}
    assert settings["adam"] == {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99}


def test_bad_arguments_name_the_function_and_the_choices():
    with pytest.raises(ValueError, match="get_surface.*'himmelblau'.*rosenbrock"):
        optimizer_paths("himmelblau", ["sgd"])
    with pytest.raises(ValueError, match="make_optimizer.*'adamw'.*adam"):
        optimizer_paths("beale", ["adamw"])
    with pytest.raises(ValueError, match="optimizer_paths: steps"):
        optimizer_paths("beale", ["sgd"], steps=-1)
    with pytest.raises(TypeError, match="optimizer_paths: optimizers"):
        optimizer_paths("beale", "sgd")
    with pytest.raises(ValueError, match="optimizer_paths: start"):
        optimizer_paths("beale", ["sgd"], start=(1.0, np.nan))
    assert get_surface(SURFACES["saddle"]) is SURFACES["saddle"]


# ----- the widget -------------------------------------------------------------------------
def plotted_paths(explorer):
    """label -> (n, 2) data of the path lines drawn on the explorer's axes."""
    return {line.get_label(): line.get_xydata() for line in explorer.figure.axes[0].get_lines()
            if line.get_label() in OPTIMIZERS}


def test_the_widget_draws_one_line_per_chosen_optimizer():
    explorer = optimizer_explorer("quadratic", ("sgd", "adam"))
    assert set(plotted_paths(explorer)) == {"sgd", "adam"}
    assert explorer.output.outputs[0]["data"]["image/png"]
    explorer.controls["optimizers"].value = ("sgd", "momentum", "adam")
    lines = plotted_paths(explorer)
    assert set(lines) == {"sgd", "momentum", "adam"}
    assert set(explorer.result) == set(lines)
    assert not np.allclose(lines["momentum"], lines["sgd"])


def test_a_larger_learning_rate_moves_the_first_sgd_step_further():
    explorer = optimizer_explorer("quadratic", ("sgd",))
    explorer.controls["learning_rate"].value = 0.001
    small = np.linalg.norm(np.diff(plotted_paths(explorer)["sgd"][:2], axis=0))
    explorer.controls["learning_rate"].value = 0.01
    large = np.linalg.norm(np.diff(plotted_paths(explorer)["sgd"][:2], axis=0))
    assert large == pytest.approx(10 * small, rel=1e-6)


def test_the_widget_follows_surface_and_steps_and_reports_divergence():
    explorer = optimizer_explorer("rosenbrock", ("sgd", "adam"))
    explorer.controls["steps"].value = 50
    assert len(plotted_paths(explorer)["adam"]) == 51
    explorer.controls["surface"].value = "saddle"
    np.testing.assert_array_equal(plotted_paths(explorer)["adam"][0], SURFACES["saddle"].start)
    explorer.controls["surface"].value = "rosenbrock"
    explorer.controls["learning_rate"].value = 0.1
    assert "sgd diverged after" in explorer.status.value
    assert len(plotted_paths(explorer)["sgd"]) < 51
