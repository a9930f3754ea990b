"""Exercise 2 (backward passes checked by finite differences): right answers pass, each common
mistake is caught with its hint, and an unfinished function is "not done yet"."""

import numpy as np
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.backprop import (
    check_linear_backward,
    check_matmul_backward,
    check_relu_backward,
    check_sigmoid_backward,
    check_tanh_backward,
    numerical_gradient,
)


def tanh_backward(x, g):
    return g * (1 - np.tanh(x) ** 2)


def sigmoid_backward(x, g):
    s = 1 / (1 + np.exp(-x))
    return g * s * (1 - s)


def relu_backward(x, g):
    return g * (x > 0)


def matmul_backward(a, b, g):
    return g @ b.T, a.T @ g


def linear_backward(x, w, g):
    return g @ w.T, x.T @ g, g.sum(axis=0)


CHECKS = [(check_tanh_backward, tanh_backward), (check_sigmoid_backward, sigmoid_backward),
          (check_relu_backward, relu_backward), (check_matmul_backward, matmul_backward),
          (check_linear_backward, linear_backward)]


def test_right_answers_pass_every_check(capsys):
    for check, answer in CHECKS:
        check(answer)
    assert capsys.readouterr().out.count("✓") == len(CHECKS)


def test_the_finite_difference_estimate_is_close_to_the_exact_gradient():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(numerical_gradient(np.sin, x, g), g * np.cos(x), atol=1e-8)


@pytest.mark.parametrize(("check", "wrong", "hint"), [
    (check_tanh_backward, lambda x, g: g * (1 - x**2), "1 - x\\*\\*2 with x the INPUT"),
    (check_sigmoid_backward, lambda x, g: g * x * (1 - x), "x \\* \\(1 - x\\) with x the INPUT"),
    (check_tanh_backward, lambda x, g: 1 - np.tanh(x) ** 2, "multiplies it by the upstream"),
    (check_relu_backward, lambda x, g: (x > 0).astype(float), "multiplies it by the upstream"),
    (check_relu_backward, lambda x, g: g * (x >= 0), "at x = 0 exactly, return 0"),
], ids=["tanh of the input", "sigmoid of the input", "upstream forgotten", "relu mask alone",
        "relu kink"])
def test_activation_mistakes_get_their_hint(check, wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)is not right yet.*Hint: .*{hint}"):
        check(wrong)


def test_a_matmul_gradient_transposed_on_the_wrong_side_is_caught():
    with pytest.raises(ExerciseFailure, match=r"(?s)expected shape \(3, 4\), received shape "
                                              r"\(4, 3\).*Hint: da came back transposed.*"
                                              r"da = g @ b.T"):
        check_matmul_backward(lambda a, b, g: (b @ g.T, a.T @ g))
    with pytest.raises(ExerciseFailure, match=r"Hint: db came back transposed.*db = a.T @ g"):
        check_matmul_backward(lambda a, b, g: (g @ b.T, g.T @ a))


def test_a_transposed_gradient_of_square_matrices_is_caught_by_its_values():
    def transposed_when_square(a, b, g):
        da = g @ b.T
        return (da.T if da.shape[0] == da.shape[1] else da), a.T @ g

    with pytest.raises(ExerciseFailure, match=r"(?s)'square matrices.*Hint: da came back "
                                              r"transposed"):
        check_matmul_backward(transposed_when_square)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda x, w, g: (g @ w.T, x.T @ g, g), r"db has shape \(4, 2\), one row per example"),
    (lambda x, w, g: (g @ w.T, x.T @ g, g.mean(axis=0)), "4 times too small: you averaged"),
    (lambda x, w, g: (g @ w.T, g.T @ x, g.sum(axis=0)), "dw came back transposed"),
], ids=["bias not summed", "bias averaged", "kernel transposed"])
def test_dense_layer_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)linear_backward is not right yet.*Hint: "
                                              f".*{hint}"):
        check_linear_backward(wrong)


def test_a_bias_gradient_with_the_batch_axis_kept_is_caught_on_a_batch_of_1():
    def kept_for_one(x, w, g):
        return g @ w.T, x.T @ g, g.sum(axis=0, keepdims=len(g) == 1)

    with pytest.raises(ExerciseFailure, match=r"(?s)'a batch of 1.*db has shape \(1, 3\)"):
        check_linear_backward(kept_for_one)


@pytest.mark.parametrize("check", [check for check, _ in CHECKS])
def test_unfinished_functions_are_not_done_yet(check):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
