"""The dropout exercise's checks: correct answers pass, each common mistake is caught with
its hint, unfinished functions are "not done yet"."""

import numpy as np
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.dropout import (
    check_dropout_backward,
    check_dropout_forward,
    check_dropout_mask,
)


def dropout_mask(shape, rate, rng):
    return rng.random(shape) >= rate


def dropout_forward(x, keep, rate, training):
    if not training:
        return x
    return np.where(keep, x / (1 - rate), 0.0)


def dropout_backward(g, keep, rate):
    return np.where(keep, g / (1 - rate), 0.0)


def unfinished(*args):
    raise NotImplementedError()


def test_correct_answers_pass(capsys):
    check_dropout_mask(dropout_mask)
    check_dropout_mask(lambda shape, rate, rng: rng.uniform(size=shape) < 1 - rate)
    check_dropout_forward(dropout_forward)
    check_dropout_backward(dropout_backward)
    output = capsys.readouterr().out
    assert "✓ dropout_mask" in output and "✓ dropout_forward" in output
    assert "✓ dropout_backward" in output


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda shape, rate, rng: rng.random(shape) < rate, "rate is the probability to DROP"),
    (lambda shape, rate, rng: rng.random(shape[::-1]) >= rate, "should have shape"),
    (lambda shape, rate, rng: (rng.random(shape) >= rate).astype(float), "should hold booleans"),
])
def test_mask_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_dropout_mask(wrong)


def test_a_mask_function_without_return_is_told_so():
    with pytest.raises(ExerciseFailure, match=r"dropout_mask returned None on the case 'shape "
                       r"\(400, 250\), rate=0.2': did the function forget to `return` the mask\?"):
        check_dropout_mask(lambda shape, rate, rng: None)


def not_rescaled(x, keep, rate, training):
    return x * keep if training else x


def divided_by_rate(x, keep, rate, training):
    return x * keep / rate if training else x


def also_at_inference(x, keep, rate, training):
    return x * keep / (1 - rate)


@pytest.mark.parametrize(("wrong", "hint"), [
    (not_rescaled, "the kept values are not rescaled"),
    (divided_by_rate, "as if rate were the probability to keep a unit"),
    (also_at_inference, "with training=False dropout must do nothing"),
])
def test_forward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_dropout_forward(wrong)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda g, keep, rate: g * keep, "the gradient is not rescaled"),
    (lambda g, keep, rate: g * keep / rate, "as if rate were the probability to keep a unit"),
])
def test_backward_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=hint):
        check_dropout_backward(wrong)


@pytest.mark.parametrize("check", [check_dropout_mask, check_dropout_forward,
                                   check_dropout_backward])
def test_unfinished_functions_are_not_done_yet(check):
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
