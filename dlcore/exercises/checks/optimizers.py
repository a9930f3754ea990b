"""Checks of exercise 5, optimizer updates: ``momentum_update`` and ``adam_update``, with the
formulas of dlcore's ``SGD(momentum=...)`` and ``Adam`` (Keras 2 conventions).

The references are the numpy twins of dlcore's update kernels in ``dlcore.kernels.optimizers``,
called with the step size ``Adam`` computes. The hints rebuild the result of each common
mistake from the same inputs and compare: a bias correction left out, epsilon in the wrong
place, the velocity with the opposite sign.
"""

from __future__ import annotations

import math

import numpy as np

from dlcore.exercises.feedback import Case, check_function
from dlcore.kernels.optimizers import adam_update_reference, sgd_momentum_update_reference

HINT_RTOL, HINT_ATOL = 1e-7, 1e-12  # a mistake is recognised only when it matches closely


def _parts(value, count):
    if not isinstance(value, tuple | list) or len(value) != count:
        return [None] * count
    return [None if part is None else np.asarray(part) for part in value]


def _matches(got, candidate):
    return (got is not None and got.shape == np.shape(candidate)
            and np.allclose(got, candidate, rtol=HINT_RTOL, atol=HINT_ATOL))


# ----- SGD with momentum -----------------------------------------------------------------------


def _momentum_cases():
    rng = np.random.default_rng(9)
    normal = rng.standard_normal
    return [
        Case("the first step: velocity 0", (normal(5), normal(5), np.zeros(5), 0.1, 0.9)),
        Case("a later step: velocity already moving, weights (3, 4)",
             (normal((3, 4)), normal((3, 4)), 0.1 * normal((3, 4)), 0.05, 0.8)),
        Case("a single weight", (np.array([2.0]), np.array([-0.5]), np.array([0.3]), 0.01, 0.99)),
        Case("momentum 0: plain gradient descent", (normal(4), normal(4), normal(4), 0.1, 0.0)),
        Case("negative and large gradients", (normal(6), -1e3 * np.abs(normal(6)),
                                              normal(6), 1e-4, 0.9)),
    ]


def _momentum_reference(param, grad, velocity, learning_rate, momentum):
    sgd_momentum_update_reference(param, grad, velocity, learning_rate, momentum, False)
    return param, velocity


def _momentum_sign(received, expected, case):
    param, grad, velocity, learning_rate, momentum = case.args
    got_param, got_velocity = _parts(received, 2)
    new_velocity = expected[1]
    if _matches(got_velocity, momentum * velocity + learning_rate * grad) or _matches(
            got_velocity, -new_velocity):
        return ("your velocity has the opposite sign. In dlcore and Keras the velocity is the "
                "step itself, downhill: v = momentum * v - lr * g, then w = w + v.")
    if _matches(got_velocity, momentum * velocity + grad):
        return ("that is PyTorch's convention (v = momentum * v + g, w = w - lr * v). dlcore "
                "follows Keras, where the velocity already includes the learning rate and the "
                "minus sign: v = momentum * v - lr * g, then w = w + v.")
    if _matches(got_param, param - new_velocity):
        return ("the weights moved uphill: the new velocity v = momentum * v - lr * g already "
                "points downhill, so ADD it: w = w + v.")
    if _matches(got_param, param + velocity):
        return ("the weights moved with the OLD velocity. Update the velocity first, then add "
                "the new one to the weights.")
    return None


def check_momentum_update(momentum_update):
    """``momentum_update(param, grad, velocity, lr, momentum)`` must return the new
    ``(param, velocity)`` of dlcore's ``SGD(momentum=...)``."""
    check_function("momentum_update", momentum_update, _momentum_reference, _momentum_cases(),
                   hints=[_momentum_sign])


# ----- Adam ------------------------------------------------------------------------------------


def _adam_cases():
    rng = np.random.default_rng(10)
    normal = rng.standard_normal
    keras = (0.001, 0.9, 0.999, 1e-7)  # lr, beta_1, beta_2, epsilon
    return [
        Case("the first step (t = 1) from zero moments",
             (normal(6), normal(6), np.zeros(6), np.zeros(6), 1, *keras)),
        Case("step t = 10, weights (3, 4)",
             (normal((3, 4)), normal((3, 4)), 0.1 * normal((3, 4)),
              0.01 * np.abs(normal((3, 4))), 10, *keras)),
        Case("tiny gradients (about 1e-6), where epsilon matters",
             (normal(5), 1e-6 * normal(5), np.zeros(5), np.zeros(5), 1, *keras)),
        Case("a single weight, beta_1 = 0.5, beta_2 = 0.9, epsilon = 1e-3, t = 3",
             (np.array([1.5]), np.array([-2.0]), np.array([0.4]), np.array([0.7]), 3,
              0.01, 0.5, 0.9, 1e-3)),
        Case("a late step, t = 1000, negative gradients",
             (normal(4), -np.abs(normal(4)), -0.5 * np.abs(normal(4)), np.abs(normal(4)),
              1000, *keras)),
    ]


def _step_size(learning_rate, beta_1, beta_2, t):
    """Keras's step size with the bias correction folded in, as ``dlcore.optimizers.Adam``."""
    return learning_rate * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)


def _adam_reference(param, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    adam_update_reference(param, grad, m, v, _step_size(learning_rate, beta_1, beta_2, t),
                          beta_1, beta_2, epsilon)
    return param, m, v


def _adam_mistakes(received, expected, case):
    param, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon = case.args
    got_param, got_m, got_v = _parts(received, 3)
    _, new_m, new_v = expected
    m_hat, v_hat = new_m / (1 - beta_1**t), new_v / (1 - beta_2**t)
    step = _step_size(learning_rate, beta_1, beta_2, t)
    if _matches(got_m, m_hat) or _matches(got_v, v_hat):
        return ("you returned the bias-corrected averages as m and v. Keep the plain running "
                "averages in m and v (the next step builds on them); the correction only "
                "changes the size of this step.")
    if _matches(got_param, param - learning_rate * new_m / (np.sqrt(new_v) + epsilon)):
        return ("the bias correction is missing. m and v start at 0, so in the first steps "
                "they are too small; Adam divides them by (1 - beta**t). In dlcore's (Keras's) "
                "form that is one factor on the step size: "
                "lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t).")
    if _matches(got_param, param - step * new_m / np.sqrt(new_v + epsilon)):
        return ("epsilon went inside the square root. It is added AFTER it: "
                "w = w - lr_t * m / (sqrt(v) + epsilon). Inside, it dwarfs v when the "
                "gradients are tiny.")
    if _matches(got_param, param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)):
        return ("that is PyTorch's placement of epsilon (added to sqrt(v_hat), after the "
                "correction). dlcore follows Keras: lr_t = lr * sqrt(1 - beta_2**t) / "
                "(1 - beta_1**t), then w = w - lr_t * m / (sqrt(v) + epsilon). The two differ "
                "only when sqrt(v) is as small as epsilon, as with tiny gradients.")
    return None


def check_adam_update(adam_update):
    """``adam_update(param, grad, m, v, t, lr, beta_1, beta_2, epsilon)`` must return the new
    ``(param, m, v)`` of dlcore's ``Adam``."""
    check_function("adam_update", adam_update, _adam_reference, _adam_cases(),
                   hints=[_adam_mistakes])
