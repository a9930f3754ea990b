"""Checks of the initialization exercise: Glorot-uniform and He-normal weights, and the
gradient norm of every layer of a deep network.

Random weights cannot be compared number by number with a reference, since two correct
functions may draw them differently. So the checks draw with a fixed seed, look at the
shape first, then at the spread of the numbers: ``sqrt(mean(w**2))``, the standard deviation
around zero, which must match the formula within 3% (the matrices have tens of thousands of
entries, so a correct function lands well inside). For the uniform weights the largest
``|w|`` must also match the limit of the interval.
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
from dlcore.introspection import weight_gradients
from dlcore.layers import Dense
from dlcore.models import Sequential

SEED = 0
SPREAD_RTOL = 0.03  # 3%: at least seven standard errors of a sample spread for these sizes
FANS = [(300, 200), (1, 30000), (40000, 1), (257, 129)]


def _label(fan_in: int, fan_out: int) -> str:
    return f"fan_in={fan_in}, fan_out={fan_out}"


# ----- the formulas ------------------------------------------------------------------------


def glorot_limit(fan_in: int, fan_out: int) -> float:
    """Glorot uniform draws from U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))."""
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def glorot_std(fan_in: int, fan_out: int) -> float:
    """Glorot's standard deviation: limit / sqrt(3) = sqrt(2 / (fan_in + fan_out))."""
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def he_std(fan_in: int, fan_out: int) -> float:
    """He normal's standard deviation: sqrt(2 / fan_in) (fan_out plays no part)."""
    return float(np.sqrt(2.0 / fan_in))


def spread(weights: np.ndarray) -> float:
    """``sqrt(mean(w**2))``: the standard deviation around zero."""
    return float(np.sqrt(np.mean(np.square(np.asarray(weights, dtype=np.float64)))))


# ----- shape first, then the spread ----------------------------------------------------------


def _check_shapes(name: str, student) -> None:
    """Every draw must be a (fan_in, fan_out) matrix; a transposed one gets its own hint."""
    for fan_in, fan_out in FANS:
        case = Case(_label(fan_in, fan_out), (fan_in, fan_out, np.random.default_rng(SEED)))
        weights = call_student_for("the weights", name, student, case)
        shape = np.shape(weights)
        if shape == (fan_in, fan_out):
            continue
        message = (f"{name} is not right yet on the case '{case.label}': the weights should "
                   f"have shape (fan_in, fan_out) = {(fan_in, fan_out)}, received shape {shape}.")
        if shape == (fan_out, fan_in):
            message += ("\nHint: fan_in and fan_out are swapped. A Dense kernel maps "
                        "fan_in inputs to fan_out outputs, so it has one row per input and one "
                        "column per output: draw it with size=(fan_in, fan_out).")
        raise ExerciseFailure(message)


def _spread_cases(description: str) -> list[Case]:
    return [Case(f"{description} of {fan_in} x {fan_out} weights ({_label(fan_in, fan_out)})",
                 (fan_in, fan_out)) for fan_in, fan_out in FANS]


def _measured(student, statistics):
    """The student's weights for (fan_in, fan_out), drawn with the fixed seed, summarised."""
    def measure(fan_in, fan_out):
        return statistics(student(fan_in, fan_out, np.random.default_rng(SEED)))
    return measure


def _ratio_is(received: float, wanted: float) -> bool:
    return bool(np.isclose(received, wanted, rtol=SPREAD_RTOL))


def _glorot_statistics(weights) -> tuple[float, float]:
    return spread(weights), float(np.max(np.abs(weights)))


def _glorot_expected(fan_in, fan_out) -> tuple[float, float]:
    return glorot_std(fan_in, fan_out), glorot_limit(fan_in, fan_out)


def _glorot_variance_for_limit(received, expected, case):
    limit = glorot_limit(*case.args)
    if _ratio_is(received[1], limit**2):
        return (f"your largest |w| is limit**2 = {limit**2:.4g}, not the limit {limit:.4g}: a "
                "square root is missing. 6 / (fan_in + fan_out) is the square of the limit; "
                "the limit itself is np.sqrt(6 / (fan_in + fan_out)).")
    return None


def _glorot_std_for_limit(received, expected, case):
    if _ratio_is(received[1], glorot_std(*case.args)):
        return ("your largest |w| equals the standard deviation sqrt(2 / (fan_in + fan_out)), "
                "so you used it as the limit of the interval. A uniform draw on [-l, l] has "
                "standard deviation l / sqrt(3): the limit is sqrt(3) times larger, "
                "sqrt(6 / (fan_in + fan_out)).")
    return None


def check_glorot_uniform(glorot_uniform) -> None:
    """Shape (fan_in, fan_out), spread sqrt(2 / (fan_in + fan_out)), largest |w| at the limit."""
    name = "glorot_uniform"
    _check_shapes(name, glorot_uniform)
    check_function(name, _measured(glorot_uniform, _glorot_statistics), _glorot_expected,
                   _spread_cases("(1) spread sqrt(mean(w**2)) and (2) largest |w|"),
                   rtol=SPREAD_RTOL, atol=0.0,
                   hints=[_glorot_variance_for_limit, _glorot_std_for_limit])


def _he_variance_for_std(received, expected, case):
    std = he_std(*case.args)
    if _ratio_is(received, std**2):
        return (f"your spread is {received:.4g}, the variance 2 / fan_in = {std**2:.4g}, where "
                f"the standard deviation sqrt(2 / fan_in) = {std:.4g} is needed. "
                "rng.normal(0, s, size) takes the standard deviation s: take the square root "
                "of the variance first.")
    return None


def _he_fan_out(received, expected, case):
    fan_in, fan_out = case.args
    if fan_in != fan_out and _ratio_is(received, np.sqrt(2.0 / fan_out)):
        return ("your spread is sqrt(2 / fan_out): He initialization divides by fan_in, the "
                "number of inputs that add up in each unit of the layer.")
    return None


def check_he_normal(he_normal) -> None:
    """Shape (fan_in, fan_out) and spread sqrt(2 / fan_in)."""
    name = "he_normal"
    _check_shapes(name, he_normal)
    check_function(name, _measured(he_normal, spread), he_std,
                   _spread_cases("spread sqrt(mean(w**2))"), rtol=SPREAD_RTOL, atol=0.0,
                   hints=[_he_variance_for_std, _he_fan_out])


# ----- gradient norms layer by layer ---------------------------------------------------------


def deep_model(widths: list[int], activation: str, input_dim: int, loss: str,
               seed: int) -> Sequential:
    """Dense layers of the given widths (the last one linear for 'mse', softmax otherwise),
    with normal weights of standard deviation 1/sqrt(fan_in) drawn from ``seed``."""
    last = "linear" if loss == "mse" else "softmax"
    layers = [Dense(width, activation=activation) for width in widths[:-1]]
    model = Sequential([*layers, Dense(widths[-1], activation=last)])
    model.build((None, input_dim))
    model.compile(optimizer="sgd", loss=loss)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 1.0 / np.sqrt(weight.shape[0]), weight.shape)
                       if weight.ndim == 2 else rng.normal(0.0, 0.1, weight.shape)
                       for weight in model.get_weights()])
    return model


def kernel_gradient_norms(model, x, y) -> np.ndarray:
    """The reference: ``||dL/dW||`` of each layer's kernel, L the batch's mean loss."""
    return np.array([np.linalg.norm(gradient) for name, gradient
                     in weight_gradients(model, x, y) if name.endswith("/kernel")])


def _gradient_cases() -> list[Case]:
    rng = np.random.default_rng(SEED)
    tanh_model = deep_model([32] * 6 + [10], "tanh", 16, "sparse_categorical_crossentropy", 1)
    relu_model = deep_model([24] * 4 + [3], "relu", 8, "sparse_categorical_crossentropy", 2)
    regression = deep_model([7, 5, 3], "tanh", 9, "mse", 3)
    batch = rng.standard_normal((64, 16)).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    return [
        Case("7 layers (tanh), a batch of 64", (tanh_model, batch, labels)),
        Case("the same model and batch once more (nothing may carry over from the first call)",
             (tanh_model, batch, labels)),
        Case("5 layers (relu), a batch of 1",
             (relu_model, rng.standard_normal((1, 8)).astype(np.float32), np.array([2]))),
        Case("3 layers of odd widths, mean squared error, a batch of 5",
             (regression, rng.standard_normal((5, 9)).astype(np.float32),
              rng.standard_normal((5, 3)).astype(np.float32))),
    ]


def _common_ratio(received, expected) -> float | None:
    """``r`` when ``received`` is ``r * expected`` for one number r, else None."""
    received, expected = np.asarray(received, dtype=np.float64), np.asarray(expected)
    if received.shape != expected.shape or not np.all(expected > 0):
        return None
    ratios = received / expected
    return float(ratios[0]) if np.allclose(ratios, ratios[0], rtol=1e-3) else None


def _accumulated(received, expected, case):
    ratio = _common_ratio(received, expected)
    if ratio is not None and ratio > 1.5 and np.isclose(ratio, round(ratio), atol=1e-2) and \
            round(ratio) != len(case.args[1]):
        return (f"every norm is {round(ratio)} times too large: the gradients of earlier calls "
                "were still in the weights' .grad, and backward adds to them. Reset them with "
                "weight.zero_grad() for every weight in model.trainable_weights before calling "
                "backward.")
    return None


def _summed_loss(received, expected, case):
    batch = len(case.args[1])
    ratio = _common_ratio(received, expected)
    if batch > 1 and ratio is not None and np.isclose(ratio, batch, rtol=1e-3):
        return (f"every norm is {batch} times too large, the batch size: the loss was summed "
                "over the batch. Use its mean, as fit does: model.loss(y, output).mean().")
    return None


def _weight_norms(received, expected, case):
    model = case.args[0]
    norms = np.array([np.linalg.norm(layer.kernel.data) for layer in model.layers])
    if difference(received, norms, 1e-4, 0.0) is None:
        return ("these are the norms of the kernels themselves. The exercise asks for the "
                "norms of their gradients, kernel.grad, after loss.backward().")
    return None


def _one_per_layer(received, expected, case):
    if np.size(received) != np.size(expected):
        return (f"return one number per layer ({np.size(expected)} here): the norm of the "
                "gradient of that layer's kernel, leaving out the biases.")
    return None


def check_gradient_norms(gradient_norms) -> None:
    """One number per layer, ||dL/dkernel||, first layer first, for the batch's mean loss."""
    check_function("gradient_norms", gradient_norms, kernel_gradient_norms, _gradient_cases(),
                   rtol=1e-4, atol=1e-7,
                   hints=[_one_per_layer, _summed_loss, _accumulated, _weight_norms])
