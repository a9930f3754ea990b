"""Checks of the dropout exercise: the random keep-mask, inverted dropout's forward pass
(training and inference) and its backward pass.

A mask is random, so its check draws one with a fixed seed and looks at its shape, its type
(booleans, True for a kept unit) and the fraction of units kept, which must be ``1 - rate``
within 0.01 (the masks have at least 100 000 entries). The forward and backward passes get
the mask as an argument, so they are compared with dlcore's numpy reference exactly.
"""

from __future__ import annotations

import numpy as np

from dlcore.exercises.feedback import (
    Case,
    ExerciseFailure,
    call_student_for,
    check_function,
    difference,
)
from dlcore.kernels.dropout import dropout_apply_mask_reference

SEED = 0
FRACTION_ATOL = 0.01
MASKS = [((400, 250), 0.2), ((1, 100_000), 0.75), ((100, 40, 25), 0.5), ((200, 500), 0.0),
         ((100_000,), 0.9)]


def _mask_label(shape, rate) -> str:
    return f"shape {shape}, rate={rate}"


def _check_mask_shapes(dropout_mask) -> None:
    name = "dropout_mask"
    for shape, rate in MASKS:
        case = Case(_mask_label(shape, rate), (shape, rate, np.random.default_rng(SEED)))
        keep = call_student_for("the mask", name, dropout_mask, case)
        problem = None
        if np.shape(keep) != shape:
            problem = f"the mask should have shape {shape}, received shape {np.shape(keep)}"
        elif np.asarray(keep).dtype != bool:
            problem = (f"the mask should hold booleans (True: keep the unit), received dtype "
                       f"{np.asarray(keep).dtype}; a comparison such as u >= rate gives booleans")
        if problem:
            raise ExerciseFailure(f"{name} is not right yet on the case '{case.label}': "
                                  f"{problem}.")


def _fraction_kept(dropout_mask):
    def fraction(shape, rate):
        return float(np.mean(dropout_mask(shape, rate, np.random.default_rng(SEED))))
    return fraction


def _expected_fraction(shape, rate) -> float:
    return 1.0 - rate


def _keep_and_drop_swapped(received, expected, case):
    rate = case.args[1]
    if rate != 0.5 and abs(received - rate) <= FRACTION_ATOL:
        return (f"about {received:.0%} of the units are kept, which is the rate: rate is the "
                "probability to DROP a unit. Keep a unit with probability 1 - rate, e.g. "
                "rng.random(shape) >= rate.")
    return None


def check_dropout_mask(dropout_mask) -> None:
    """A boolean mask of the given shape keeping a fraction 1 - rate of the units."""
    _check_mask_shapes(dropout_mask)
    cases = [Case(f"fraction of units kept, {_mask_label(shape, rate)}", (shape, rate))
             for shape, rate in MASKS]
    check_function("dropout_mask", _fraction_kept(dropout_mask), _expected_fraction, cases,
                   rtol=0.0, atol=FRACTION_ATOL, hints=[_keep_and_drop_swapped])


# ----- forward and backward with a given mask ------------------------------------------------


def reference_forward(x, keep, rate, training):
    """Inverted dropout: ``x * keep / (1 - rate)`` in training, ``x`` itself in inference."""
    if not training:
        return x
    return dropout_apply_mask_reference(x, keep, 1.0 / (1.0 - rate))


def reference_backward(g, keep, rate):
    """``g * keep / (1 - rate)``: the same mask and scale as the forward pass."""
    return dropout_apply_mask_reference(g, keep, 1.0 / (1.0 - rate))


def _matches(received, variant) -> bool:
    return difference(received, variant, 1e-7, 1e-10) is None


def _mask_cases(arrays: str, with_flag: bool) -> list[Case]:
    """Cases ``(values, keep, rate, training)``, or ``(values, keep, rate)`` in training only
    when ``with_flag`` is False."""
    rng = np.random.default_rng(3)
    cases = []
    for label, shape, rate, flag in [
        ("rate=0.2, a batch of 4 x 6", (4, 6), 0.2, True),
        ("rate=0.75, a batch of 1 x 9", (1, 9), 0.75, True),
        ("rate=0.5, images (2, 3, 3, 2)", (2, 3, 3, 2), 0.5, True),
        ("rate=0.3, inference (training=False): nothing is dropped", (5, 4), 0.3, False),
        ("rate=0, training: nothing is dropped", (3, 5), 0.0, True),
    ]:
        if not (with_flag or flag):
            continue
        values = rng.standard_normal(shape) * 3.0
        keep = rng.random(shape) >= rate
        arguments = (values, keep, rate, flag) if with_flag else (values, keep, rate)
        cases.append(Case(f"{arrays}, {label}", arguments))
    return cases


def _not_rescaled(received, expected, case):
    values, keep, rate = case.args[:3]
    training = case.args[3] if len(case.args) > 3 else True
    if not (training and rate > 0 and _matches(received, values * keep)):
        return None
    if len(case.args) == 3:
        return ("the gradient is not rescaled. The forward pass multiplied each kept unit by "
                "1 / (1 - rate), so the gradient reaching it is multiplied by the same factor: "
                "dx = g * keep / (1 - rate).")
    return (f"the kept values are not rescaled. Dropping a fraction {rate} of the units "
            f"lowers the mean of the output by the factor 1 - rate = {1 - rate:g}, and the "
            "next layer would see smaller inputs in training than in inference. Divide the "
            "kept values by 1 - rate.")


def _rate_as_keep_probability(received, expected, case):
    values, keep, rate = case.args[:3]
    if rate not in (0.0, 0.5) and _matches(received, values * keep / rate):
        return ("you divided by rate, as if rate were the probability to keep a unit. rate is "
                "the probability to drop one; the kept ones are divided by 1 - rate.")
    return None


def _applied_at_inference(received, expected, case):
    values, keep, rate, training = case.args
    if not training and not _matches(received, values):
        return ("with training=False dropout must do nothing: return x unchanged. At "
                "inference every unit takes part, and the rescaling in training already made "
                "the expected outputs equal.")
    return None


def check_dropout_forward(dropout_forward) -> None:
    """``x * keep / (1 - rate)`` in training, ``x`` in inference."""
    check_function("dropout_forward", dropout_forward, reference_forward,
                   _mask_cases("x", with_flag=True), rtol=1e-7, atol=1e-10,
                   hints=[_applied_at_inference, _not_rescaled, _rate_as_keep_probability])


def check_dropout_backward(dropout_backward) -> None:
    """``g * keep / (1 - rate)``."""
    check_function("dropout_backward", dropout_backward, reference_backward,
                   _mask_cases("g", with_flag=False), rtol=1e-7, atol=1e-10,
                   hints=[_not_rescaled, _rate_as_keep_probability])
