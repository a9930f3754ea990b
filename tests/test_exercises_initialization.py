"""The initialization exercise's checks: correct answers pass, each common mistake is caught
with its hint, unfinished functions are "not done yet"."""

import numpy as np
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.initialization import (
    check_glorot_uniform,
    check_gradient_norms,
    check_he_normal,
)
from dlcore.initializers import GlorotUniform, HeNormal


def glorot_uniform(fan_in, fan_out, rng):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))


def gradient_norms(model, x, y):
    for weight in model.trainable_weights:
        weight.zero_grad()
    model.loss(y, model(x, training=True)).mean().backward()
    return np.array([np.linalg.norm(layer.kernel.grad) for layer in model.layers])


def unfinished(*args):
    raise NotImplementedError()


def test_correct_answers_pass(capsys):
    check_glorot_uniform(glorot_uniform)
    check_he_normal(he_normal)
    check_gradient_norms(gradient_norms)
    output = capsys.readouterr().out
    assert "✓ glorot_uniform" in output and "✓ he_normal" in output
    assert "✓ gradient_norms" in output


def test_other_correct_ways_to_draw_pass_too():
    """The checks look at the spread, not at the numbers: any correct sampler passes,
    Keras's truncated normal included."""
    check_glorot_uniform(lambda fan_in, fan_out, rng: np.sqrt(6 / (fan_in + fan_out))
                         * (2 * rng.random((fan_in, fan_out)) - 1))
    check_glorot_uniform(lambda fan_in, fan_out, rng: GlorotUniform()((fan_in, fan_out)))
    check_he_normal(lambda fan_in, fan_out, rng: HeNormal()((fan_in, fan_out)))
    check_he_normal(lambda fan_in, fan_out, rng: np.sqrt(2 / fan_in)
                    * rng.standard_normal((fan_in, fan_out)).astype(np.float32))


@pytest.mark.parametrize(("check", "wrong", "hint"), [
    (check_glorot_uniform, lambda fi, fo, rng: glorot_uniform(fo, fi, rng),
     "fan_in and fan_out are swapped"),
    (check_he_normal, lambda fi, fo, rng: he_normal(fo, fi, rng),
     "fan_in and fan_out are swapped"),
    (check_glorot_uniform,
     lambda fi, fo, rng: rng.uniform(-6 / (fi + fo), 6 / (fi + fo), (fi, fo)),
     "a square root is missing"),
    (check_glorot_uniform,
     lambda fi, fo, rng: rng.uniform(-np.sqrt(2 / (fi + fo)), np.sqrt(2 / (fi + fo)), (fi, fo)),
     "so you used it as the limit"),
    (check_he_normal, lambda fi, fo, rng: rng.normal(0.0, 2 / fi, (fi, fo)),
     r"the variance 2 / fan_in = .* where the standard deviation"),
    (check_he_normal, lambda fi, fo, rng: rng.normal(0.0, np.sqrt(2 / fo), (fi, fo)),
     "He initialization divides by fan_in"),
])
def test_initializer_mistakes_get_their_hint(check, wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check(wrong)


@pytest.mark.parametrize("check", [check_glorot_uniform, check_he_normal])
def test_an_initializer_without_return_is_told_so(check):
    with pytest.raises(ExerciseFailure, match=r"returned None on the case 'fan_in=300, "
                       r"fan_out=200': did the function forget to `return` the weights\?"):
        check(lambda fan_in, fan_out, rng: None)


def accumulating(model, x, y):
    model.loss(y, model(x, training=True)).mean().backward()
    return np.array([np.linalg.norm(layer.kernel.grad) for layer in model.layers])


def summed_loss(model, x, y):
    for weight in model.trainable_weights:
        weight.zero_grad()
    model.loss(y, model(x, training=True)).sum().backward()
    return np.array([np.linalg.norm(layer.kernel.grad) for layer in model.layers])


def weight_norms(model, x, y):
    return np.array([np.linalg.norm(layer.kernel.data) for layer in model.layers])


def with_biases(model, x, y):
    gradient_norms(model, x, y)
    return np.array([np.linalg.norm(weight.grad) for weight in model.trainable_weights])


@pytest.mark.parametrize(("wrong", "hint"), [
    (accumulating, "gradients of earlier calls were still in the weights' .grad"),
    (summed_loss, "the loss was summed over the batch"),
    (weight_norms, "the norms of the kernels themselves"),
    (with_biases, "one number per layer"),
])
def test_gradient_norm_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_gradient_norms(wrong)


@pytest.mark.parametrize("check", [check_glorot_uniform, check_he_normal, check_gradient_norms])
def test_unfinished_functions_are_not_done_yet(check):
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
