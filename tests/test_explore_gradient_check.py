"""The finite-difference twin (dlcore.explore.gradient_check) and its widget."""

import numpy as np
import pytest

from dlcore.explore.gradient_check import (
    FUNCTIONS,
    best_step,
    default_steps,
    finite_difference_errors,
)

SMOOTH_POINTS = [("sin", 1.0), ("sin", -2.0), ("exp", 0.5), ("tanh", 0.3), ("sigmoid", -0.7),
                 ("log", 1.7), ("cube", 0.9)]


def test_large_steps_follow_the_truncation_formulas():
    # sin at x: f'' = -sin x, f''' = -cos x
    x = 1.0
    h = np.array([1e-2, 3e-3])
    errors = finite_difference_errors("sin", x, h, "float64")
    np.testing.assert_allclose(errors.central, np.cos(x) * h**2 / 6, rtol=1e-3)
    np.testing.assert_allclose(errors.forward, np.sin(x) * h / 2, rtol=1e-2)
    # central beats forward by orders of magnitude at these steps
    assert np.all(errors.central < errors.forward / 50)


@pytest.mark.parametrize("name,x", SMOOTH_POINTS)
def test_float64_central_difference_has_its_best_step_near_1e_minus_5(name, x):
    errors = finite_difference_errors(name, x, default_steps(), "float64")
    h, error = best_step(errors.steps, errors.central)
    assert 1e-7 <= h <= 1e-4
    assert error < 1e-8
    # the V: both ends are far worse than the bottom
    assert errors.central[0] > 1e3 * error  # h = 1e-14: round-off
    largest_finite = errors.central[~np.isnan(errors.central)][-1]  # log leaves its domain
    assert largest_finite > 1e3 * error  # large h: truncation


@pytest.mark.parametrize("name,x", SMOOTH_POINTS)
def test_float32_is_far_less_accurate_and_wants_a_larger_step(name, x):
    e64 = finite_difference_errors(name, x, default_steps(), "float64")
    e32 = finite_difference_errors(name, x, default_steps(), "float32")
    h64, best64 = best_step(e64.steps, e64.central)
    h32, best32 = best_step(e32.steps, e32.central)
    assert best32 > 1e3 * best64
    assert 1e-4 <= h32 <= 1e-1
    assert h32 > 10 * h64


def test_round_off_grows_like_one_over_h():
    steps = np.logspace(-13, -9, 17)
    errors = finite_difference_errors("exp", 0.5, steps, "float64").central
    slope = np.polyfit(np.log10(steps), np.log10(errors), 1)[0]
    assert -1.4 < slope < -0.6


def test_a_step_below_float32_resolution_gives_a_zero_quotient():
    errors = finite_difference_errors("sin", 1.0, [1e-12], "float32")
    point = np.float64(np.float32(1.0))
    assert errors.central[0] == pytest.approx(np.cos(point))
    assert errors.forward[0] == pytest.approx(np.cos(point))


def test_steps_leaving_the_domain_give_nan_and_best_step_skips_them():
    errors = finite_difference_errors("log", 0.5, [1.0, 1e-5], "float64")
    assert np.isnan(errors.central[0])
    h, error = best_step(errors.steps, errors.central)
    assert h == 1e-5 and error < 1e-8


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="'cosh'.*'sin'"):   # names the value and the choices
        finite_difference_errors("cosh", 1.0)
    with pytest.raises(ValueError, match=r"domain \[0.1, 3\] of 'log'"):
        finite_difference_errors("log", -1.0)
    with pytest.raises(TypeError, match="x must be a number"):
        finite_difference_errors("sin", "1.0")
    assert finite_difference_errors("log", 3.0, [1e-3]).central.shape == (1,)
    with pytest.raises(ValueError, match="'float16'.*'float32'"):
        finite_difference_errors("sin", 1.0, dtype="float16")
    with pytest.raises(ValueError, match="positive"):
        finite_difference_errors("sin", 1.0, steps=[1e-3, -1e-3])
    with pytest.raises(ValueError, match="positive"):
        finite_difference_errors("sin", 1.0, steps=[])


def test_every_function_matches_its_derivative():
    for chosen in FUNCTIONS.values():
        low, high = chosen.domain
        x = np.linspace(low + 0.05, high - 0.05, 7)
        k = 1e-6
        numeric = (chosen.function(x + k) - chosen.function(x - k)) / (2 * k)
        np.testing.assert_allclose(chosen.derivative(x), numeric, rtol=1e-6, atol=1e-8)


# ----- the widget ---------------------------------------------------------------------------

def curves(explorer):
    ax = explorer.figure.axes[0]
    return {line.get_label(): line.get_ydata() for line in ax.get_lines()}


def test_widget_plots_both_dtypes_and_follows_the_x_slider():
    from dlcore.widgets.gradient_check import gradient_check_explorer

    explorer = gradient_check_explorer("sin", x=1.0)
    assert set(explorer.result) == {"float32", "float64"}
    before = curves(explorer)
    np.testing.assert_array_equal(before["central, float64"],
                                  np.where(explorer.result["float64"].central > 0,
                                           explorer.result["float64"].central, np.nan))
    assert not any(label.startswith("forward") for label in before)
    explorer.controls["x"].value = -2.0
    expected = finite_difference_errors("sin", -2.0, default_steps(), "float32").central
    np.testing.assert_array_equal(explorer.result["float32"].central, expected)
    after = curves(explorer)
    assert not np.allclose(np.nan_to_num(after["central, float64"]),
                           np.nan_to_num(before["central, float64"]))
    assert "float64: best h" in explorer.status.value


def test_widget_forward_checkbox_and_function_dropdown():
    from dlcore.widgets.gradient_check import gradient_check_explorer

    explorer = gradient_check_explorer("tanh", x=-2.5)
    explorer.controls["forward"].value = True
    labels = curves(explorer)
    assert {"forward, float32", "forward, float64"} <= set(labels)
    np.testing.assert_array_equal(labels["forward, float64"],
                                  np.where(explorer.result["float64"].forward > 0,
                                           explorer.result["float64"].forward, np.nan))
    explorer.controls["function"].value = "log"
    slider = explorer.controls["x"]
    assert (slider.min, slider.max) == FUNCTIONS["log"].domain
    assert slider.value == pytest.approx(FUNCTIONS["log"].domain[0])
    expected = finite_difference_errors("log", slider.value, default_steps(), "float64")
    np.testing.assert_array_equal(explorer.result["float64"].central, expected.central)
    assert "log" in explorer.figure.axes[0].get_title()
    with pytest.raises(ValueError, match="unknown function"):
        gradient_check_explorer("cosh")
