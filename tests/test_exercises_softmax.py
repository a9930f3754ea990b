"""Exercise 4 (softmax and cross-entropy): right answers pass, each common mistake is caught with
its hint, and an unfinished function is "not done yet"."""

import warnings

import numpy as np
import pytest

from dlcore.exercises import ExerciseFailure
from dlcore.exercises.checks.softmax import (
    check_cross_entropy,
    check_cross_entropy_gradient,
    check_softmax,
)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probabilities[np.arange(len(labels)), labels].mean()


def onehot(labels, classes):
    return np.eye(classes)[labels]


def cross_entropy_gradient(logits, labels):
    return (softmax(logits) - onehot(labels, logits.shape[1])) / len(labels)


def test_right_answers_pass_every_check(capsys):
    check_softmax(softmax)
    check_cross_entropy(cross_entropy)
    check_cross_entropy_gradient(cross_entropy_gradient)
    assert capsys.readouterr().out.count("✓") == 3


def unshifted_softmax(logits):
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_without_the_max_shift_overflows_and_says_why():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check keeps numpy's overflow warnings quiet
        with pytest.raises(ExerciseFailure, match=r"(?s)'large logits, around 1000'.*non-finite"
                                                  r".*Hint: .*overflows.*z.max\(axis=1"):
            check_softmax(unshifted_softmax)


def test_softmax_over_the_wrong_axis_is_caught():
    def over_columns(logits):
        e = np.exp(logits - logits.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    with pytest.raises(ExerciseFailure, match=r"(?s)Hint: each row .* must sum to 1; yours do "
                                              r"not \(your COLUMNS do"):
        check_softmax(over_columns)


def test_an_unshifted_cross_entropy_is_caught_on_large_logits():
    def unshifted(logits, labels):
        return -np.log(unshifted_softmax(logits)[np.arange(len(labels)), labels]).mean()

    with pytest.raises(ExerciseFailure, match="(?s)around 1000.*Hint: .*overflows"):
        check_cross_entropy(unshifted)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda z, y: cross_entropy(z, y) * len(y), "4 \\(the batch size\\) times too large"),
    (lambda z, y: -cross_entropy(z, y), "the sign is flipped"),
    (lambda z, y: np.full(len(y), cross_entropy(z, y)), "one loss per example"),
], ids=["sum", "sign", "per example"])
def test_cross_entropy_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)cross_entropy is not right yet.*Hint: "
                                              f".*{hint}"):
        check_cross_entropy(wrong)


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda z, y: softmax(z) - onehot(y, z.shape[1]), "4 \\(the batch size\\) times too large"),
    (lambda z, y: (onehot(y, z.shape[1]) - softmax(z)) / len(y), "the sign is flipped"),
    (lambda z, y: (unshifted_softmax(z) - onehot(y, z.shape[1])) / len(y), "overflows"),
], ids=["not divided by the batch", "sign", "overflow"])
def test_gradient_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailure, match=f"(?s)cross_entropy_gradient is not right yet.*"
                                              f"Hint: .*{hint}"):
        check_cross_entropy_gradient(wrong)


@pytest.mark.parametrize("check", [check_softmax, check_cross_entropy,
                                   check_cross_entropy_gradient])
def test_unfinished_functions_are_not_done_yet(check):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not done yet"):
        check(unfinished)
