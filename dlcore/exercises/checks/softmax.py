"""Checks of exercise 4, softmax and cross-entropy: ``softmax``, ``cross_entropy`` and
``cross_entropy_gradient``.

The references are the numpy twins of dlcore's kernels in ``dlcore.kernels.softmax``. The cases
include logits around +1000 and -1000, where ``exp`` overflows to inf or underflows to 0 unless
the row maximum is subtracted first. numpy's overflow warnings are silenced while a check runs:
the check reports the non-finite result itself, with the hint that explains it.
"""

from __future__ import annotations

import numpy as np

from dlcore.exercises.feedback import Case, check_function, result_array
from dlcore.kernels.softmax import (
    softmax_cross_entropy_backward_reference,
    softmax_cross_entropy_forward_reference,
    softmax_forward_reference,
)


def _cases():
    rng = np.random.default_rng(8)
    return [
        Case("a batch of 4, 5 classes", (3 * rng.standard_normal((4, 5)),
                                         np.array([0, 4, 2, 2]))),
        Case("a batch of 1, 3 classes", (rng.standard_normal((1, 3)), np.array([1]))),
        Case("a batch of 7, 2 classes", (rng.standard_normal((7, 2)),
                                         np.array([0, 1, 1, 0, 1, 0, 0]))),
        Case("a batch of 3, 10 classes, all logits equal", (np.full((3, 10), 2.5),
                                                            np.array([9, 0, 3]))),
        Case("negative logits", (-np.abs(5 * rng.standard_normal((5, 6))),
                                 np.array([5, 0, 1, 2, 3]))),
        Case("large logits, around 1000", (1000 + 3 * rng.standard_normal((3, 4)),
                                           np.array([3, 1, 0]))),
        Case("very negative logits, around -1000", (-1000 + 3 * rng.standard_normal((3, 4)),
                                                    np.array([2, 2, 1]))),
    ]


def _softmax_reference(logits, labels):
    return softmax_forward_reference(logits)


def _cross_entropy_reference(logits, labels):
    losses, _ = softmax_cross_entropy_forward_reference(logits, labels)
    return losses.mean()


def _gradient_reference(logits, labels):
    _, probabilities = softmax_cross_entropy_forward_reference(logits, labels)
    batch = len(labels)
    return softmax_cross_entropy_backward_reference(probabilities, labels,
                                                    np.full(batch, 1.0 / batch))



def _overflow(received, expected, case):
    got, logits = result_array(received, np.float64), case.args[0]
    if got is None or np.all(np.isfinite(got)) or np.abs(logits).max() < 700:
        return None
    return ("with logits this far from 0, np.exp overflows to inf (or every term underflows to "
            "0) and inf / inf or 0 / 0 gives nan. Subtract each row's maximum first, "
            "z - z.max(axis=1, keepdims=True): softmax does not change when the same number is "
            "subtracted from a whole row, and then the largest exponent is exp(0) = 1.")


def _rows_do_not_sum_to_one(received, expected, case):
    got = result_array(received, np.float64)
    if (got is None or got.shape != expected.shape or not np.all(np.isfinite(got))
            or np.allclose(got.sum(axis=1), 1)):
        return None
    columns = " (your COLUMNS do: you normalised over axis 0)" if np.allclose(
        got.sum(axis=0), 1) else ""
    return ("each row holds the probabilities of one example, so each row must sum to 1; "
            f"yours do not{columns}. Take the maximum and the sum over the classes, the last "
            "axis: axis=1 with keepdims=True, so that the (batch, 1) result divides row by row.")


def _batch_factor(received, expected, case):
    got, batch = result_array(received, np.float64), len(case.args[1])
    if got is None or got.shape != np.shape(expected) or batch == 1:
        return None
    if np.allclose(got, batch * expected):
        return (f"your result is {batch} (the batch size) times too large. The loss is the MEAN "
                "over the batch, so each example's share, and its gradient, is divided by the "
                "batch size.")
    return None


def _not_a_mean(received, expected, case):
    got, batch = result_array(received, np.float64), len(case.args[1])
    if got is not None and got.shape == (batch,) != np.shape(expected):
        return ("you returned one loss per example; return their mean over the batch, a single "
                "number.")
    return None


def _sign_flipped(received, expected, case):
    got = result_array(received, np.float64)
    if got is not None and got.shape == np.shape(expected) and np.allclose(got, -expected):
        return ("the sign is flipped. The loss is MINUS the log-probability of the right class "
                "(a positive number), and its gradient is softmax - onehot, not onehot - "
                "softmax.")
    return None


def check_softmax(softmax):
    """``softmax(logits)`` must return probabilities, row by row, without overflowing."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        check_function("softmax", lambda logits, labels: softmax(logits), _softmax_reference,
                       _cases(), hints=[_overflow, _rows_do_not_sum_to_one])


def check_cross_entropy(cross_entropy):
    """``cross_entropy(logits, labels)`` must return the mean loss over the batch."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        check_function("cross_entropy", cross_entropy, _cross_entropy_reference, _cases(),
                       hints=[_overflow, _not_a_mean, _batch_factor, _sign_flipped])


def check_cross_entropy_gradient(cross_entropy_gradient):
    """``cross_entropy_gradient(logits, labels)`` must return d(mean loss)/d logits."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        check_function("cross_entropy_gradient", cross_entropy_gradient, _gradient_reference,
                       _cases(), hints=[_overflow, _batch_factor, _sign_flipped])
