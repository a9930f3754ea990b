"""Exercise 5 (momentum and Adam updates): right answers pass and agree with dlcore's optimizers,
each common mistake is caught with its hint, and an unfinished function is "not done yet"."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.optimizers import check_adam_update, check_momentum_update


def momentum_update(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity - lr * grad
    return param + velocity, velocity


def adam_update(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return param - lr_t * m / (np.sqrt(v) + epsilon), m, v


def test_right_answers_pass_every_check(capsys):
    check_momentum_update(momentum_update)
    check_adam_update(adam_update)
    assert capsys.readouterr().out.count("✓") == 2


def test_the_checked_formulas_are_those_of_dlcores_optimizers():
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal(4), rng.standard_normal((3, 4))
    for optimizer in (dl.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                      dl.optimizers.Adam(learning_rate=0.01)):
        param = dl.tensor(start.copy())
        ours, slots = start.copy(), [np.zeros(4), np.zeros(4)]
        for t, grad in enumerate(grads, start=1):
            optimizer.apply_gradients([(grad, param)])
            if isinstance(optimizer, dl.optimizers.SGD):
                ours, slots[0] = momentum_update(ours, grad, slots[0], 0.1, 0.9)
            else:
                ours, *slots = adam_update(ours, grad, *slots, t, 0.01, 0.9, 0.999, 1e-7)
        np.testing.assert_allclose(param.data, ours, rtol=1e-12)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda w, g, v, lr, mu: (w - (mu * v + lr * g), mu * v + lr * g), "opposite sign"),
    (lambda w, g, v, lr, mu: (w - lr * (mu * v + g), mu * v + g), "PyTorch's convention"),
    (lambda w, g, v, lr, mu: (w - (mu * v - lr * g), mu * v - lr * g), "moved uphill"),
    (lambda w, g, v, lr, mu: (w + v, mu * v - lr * g), "with the OLD velocity"),
], ids=["velocity sign", "pytorch convention", "uphill", "old velocity"])
def test_momentum_sign_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)momentum_update is not right yet.*Hint: "
                                              f".*{hint}"):
        check_momentum_update(wrong)


def no_bias_correction(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    return param - lr * m / (np.sqrt(v) + epsilon), m, v


def epsilon_inside(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return param - lr_t * m / np.sqrt(v + epsilon), m, v


def pytorch_epsilon(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def corrected_moments_kept(param, grad, m, v, t, lr, beta_1, beta_2, epsilon):
    m = (beta_1 * m + (1 - beta_1) * grad) / (1 - beta_1**t)
    v = (beta_2 * v + (1 - beta_2) * grad**2) / (1 - beta_2**t)
    return param - lr * m / (np.sqrt(v) + epsilon), m, v


@pytest.mark.parametrize(("wrong", "case", "hint"), [
    (no_bias_correction, "the first step", "the bias correction is missing"),
    (epsilon_inside, "tiny gradients", "epsilon went inside the square root"),
    (pytorch_epsilon, "tiny gradients", "PyTorch's placement of epsilon"),
    (corrected_moments_kept, "the first step", "bias-corrected averages as m and v"),
], ids=["no bias correction", "epsilon inside", "pytorch epsilon", "corrected moments kept"])
def test_adam_mistakes_get_their_hint(wrong, case, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)adam_update is not right yet on the case "
                                              f"'{case}.*Hint: .*{hint}"):
        check_adam_update(wrong)


@pytest.mark.parametrize("check", [check_momentum_update, check_adam_update])
def test_unfinished_functions_are_not_done_yet(check):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
