"""Checks of exercise 2, backward passes: ``tanh_backward``, ``sigmoid_backward``,
``relu_backward``, ``matmul_backward`` and ``linear_backward``.

Every reference is a finite-difference estimate: for an operation ``f`` and a random upstream
gradient ``g``, the loss ``L = sum(g * f(x))`` is evaluated with each input entry nudged by
``+eps`` and ``-eps``, and ``(L+ - L-) / (2 eps)`` estimates ``dL/dx`` at that entry. No
formula for the derivative is used, so a check cannot share a mistake with the answer.
"""

from __future__ import annotations

import numpy as np

from dlcore.exercises.feedback import Case, check_function, result_array

EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-6  # central differences in float64 are good to about 1e-9 here


def numerical_gradient(f, x, g, eps=EPS):
    """dL/dx for ``L = sum(g * f(x))`` by central differences, one entry of ``x`` at a time."""
    x = np.array(x, dtype=np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        loss_plus = np.sum(g * f(x))
        x[index] = original - eps
        loss_minus = np.sum(g * f(x))
        x[index] = original
        gradient[index] = (loss_plus - loss_minus) / (2 * eps)
    return gradient



def _parts(value, count):
    if not isinstance(value, tuple | list) or len(value) != count:
        return [None] * count
    return [result_array(part) for part in value]


# ----- elementwise activations --------------------------------------------------------------------


def _activation_cases(kink=False):
    rng = np.random.default_rng(3)
    away_from_zero = rng.uniform(0.1, 2.5, (4, 5)) * rng.choice([-1.0, 1.0], (4, 5))
    cases = [
        Case("a batch of 4 rows of 5 values", (away_from_zero, rng.standard_normal((4, 5)))),
        Case("a batch of 1", (rng.uniform(0.1, 2.0, (1, 7)) * rng.choice([-1.0, 1.0], (1, 7)),
                              rng.standard_normal((1, 7)))),
        Case("negative inputs only, odd shape (3, 3, 2)", (-rng.uniform(0.05, 3.0, (3, 3, 2)),
                                                           rng.standard_normal((3, 3, 2)))),
        Case("large inputs (+-15)", (np.array([[-15.0, -8.0, 8.0, 15.0]]),
                                     rng.standard_normal((1, 4)))),
    ]
    if kink:
        cases.append(Case("inputs exactly 0 (the kink)", (np.array([0.0, 0.0, 1.0, -1.0]),
                                                          np.array([1.0, -2.0, 3.0, 4.0]))))
    return cases


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _reference(f):
    return lambda x, g: numerical_gradient(f, x, g)


def _relu_reference(x, g):
    """Finite differences, except at exactly 0, where dlcore (like PyTorch) passes no gradient:
    there the two one-sided slopes differ and a central difference would average them."""
    return np.where(x == 0, 0.0, numerical_gradient(lambda z: np.maximum(z, 0), x, g))


def _forgot_upstream(received, expected, case):
    got, g = result_array(received), case.args[1]
    if got is None or got.shape != g.shape:
        return None
    local = np.divide(expected, g, out=np.zeros_like(g), where=g != 0)
    if np.allclose(got, local, rtol=RTOL, atol=ATOL):
        return ("you returned the local derivative f'(x) alone. The chain rule multiplies it "
                "by the upstream gradient: return g * f'(x).")
    return None


def _tanh_of_input(received, expected, case):
    got, (x, g) = result_array(received), case.args
    if got is not None and got.shape == x.shape and np.allclose(got, g * (1 - x**2)):
        return ("you used 1 - x**2 with x the INPUT. The derivative of tanh is 1 - tanh(x)**2: "
                "square the output y = np.tanh(x), not the input.")
    return None


def _sigmoid_of_input(received, expected, case):
    got, (x, g) = result_array(received), case.args
    if got is not None and got.shape == x.shape and np.allclose(got, g * x * (1 - x)):
        return ("you used x * (1 - x) with x the INPUT. The derivative of the sigmoid is "
                "s * (1 - s) with s = sigmoid(x), the OUTPUT.")
    return None


def _relu_kink(received, expected, case):
    got, x = result_array(received), case.args[0]
    if got is None or got.shape != x.shape or not np.any(x == 0):
        return None
    if np.allclose(got[x != 0], expected[x != 0]) and not np.allclose(got[x == 0], 0):
        return ("at x = 0 exactly, return 0: the gradient flows only where x > 0 (use x > 0, "
                "not x >= 0), the convention of dlcore and PyTorch.")
    return None


def check_tanh_backward(tanh_backward):
    """``tanh_backward(x, g)`` must return dL/dx for ``y = tanh(x)``."""
    check_function("tanh_backward", tanh_backward, _reference(np.tanh), _activation_cases(),
                   rtol=RTOL, atol=ATOL, hints=[_tanh_of_input, _forgot_upstream])


def check_sigmoid_backward(sigmoid_backward):
    """``sigmoid_backward(x, g)`` must return dL/dx for ``y = 1 / (1 + exp(-x))``."""
    check_function("sigmoid_backward", sigmoid_backward, _reference(_sigmoid),
                   _activation_cases(), rtol=RTOL, atol=ATOL,
                   hints=[_sigmoid_of_input, _forgot_upstream])


def check_relu_backward(relu_backward):
    """``relu_backward(x, g)`` must return dL/dx for ``y = max(x, 0)`` (0 at x = 0)."""
    check_function("relu_backward", relu_backward, _relu_reference,
                   _activation_cases(kink=True), rtol=RTOL, atol=ATOL,
                   hints=[_relu_kink, _forgot_upstream])


# ----- matrix product and dense layer ---------------------------------------------------------


def _transposed(names, formulas):
    """A hint for a gradient that came back transposed (the shape tells, or for square
    matrices the values)."""

    def hint(received, expected, case):
        for name, got, want, formula in zip(names, _parts(received, len(names)), expected,
                                            formulas, strict=True):
            if got is None or want.ndim != 2:
                continue
            flipped = got.shape == want.shape[::-1] != want.shape
            square_and_transposed = (got.shape == want.shape == want.shape[::-1]
                                     and not np.allclose(want, want.T)
                                     and np.allclose(got, want.T, rtol=RTOL, atol=ATOL))
            if flipped or square_and_transposed:
                return (f"{name} came back transposed (shape {got.shape}, expected "
                        f"{want.shape}): a gradient has the shape of its input, and that "
                        f"decides on which side the transpose goes: {formula}.")
        return None

    return hint


def _matmul_cases():
    rng = np.random.default_rng(4)
    normal = rng.standard_normal
    return [
        Case("a (3, 4) @ b (4, 2)", (normal((3, 4)), normal((4, 2)), normal((3, 2)))),
        Case("a batch of 1: a (1, 5) @ b (5, 3)", (normal((1, 5)), normal((5, 3)),
                                                   normal((1, 3)))),
        Case("square matrices (3, 3)", (normal((3, 3)), normal((3, 3)), normal((3, 3)))),
        Case("a column: a (4, 1) @ b (1, 6)", (normal((4, 1)), normal((1, 6)), normal((4, 6)))),
        Case("negative and large entries", (-50 * np.abs(normal((2, 3))), 20 * normal((3, 4)),
                                            normal((2, 4)))),
    ]


def _matmul_reference(a, b, g):
    return (numerical_gradient(lambda x: x @ b, a, g),
            numerical_gradient(lambda y: a @ y, b, g))


def check_matmul_backward(matmul_backward):
    """``matmul_backward(a, b, g)`` must return ``(dL/da, dL/db)`` for ``z = a @ b``."""
    check_function("matmul_backward", matmul_backward, _matmul_reference, _matmul_cases(),
                   rtol=RTOL, atol=ATOL,
                   hints=[_transposed(("da", "db"), ("da = g @ b.T", "db = a.T @ g"))])


def _linear_cases():
    rng = np.random.default_rng(5)
    normal = rng.standard_normal
    return [
        Case("a batch of 4, 3 inputs, 2 units", (normal((4, 3)), normal((3, 2)), normal((4, 2)))),
        Case("a batch of 1, 5 inputs, 3 units", (normal((1, 5)), normal((5, 3)), normal((1, 3)))),
        Case("a batch of 7, 2 inputs, 6 units", (normal((7, 2)), normal((2, 6)), normal((7, 6)))),
        Case("3 inputs, 3 units (a square kernel)", (normal((5, 3)), normal((3, 3)),
                                                     normal((5, 3)))),
        Case("negative inputs", (-np.abs(normal((3, 4))), normal((4, 2)), normal((3, 2)))),
    ]


def _linear_reference(x, w, g):
    b = np.zeros(w.shape[1])
    return (numerical_gradient(lambda v: v @ w + b, x, g),
            numerical_gradient(lambda v: x @ v + b, w, g),
            numerical_gradient(lambda v: x @ w + v, b, g))


def _bias_not_summed(received, expected, case):
    db, g = _parts(received, 3)[2], case.args[2]
    if db is None:
        return None
    if db.shape == g.shape:
        return (f"db has shape {db.shape}, one row per example. The bias is shared by every "
                "example of the batch, so its gradient is the SUM of the rows of g: "
                "db = g.sum(axis=0), shape (units,).")
    batch = g.shape[0]
    if batch > 1 and db.shape == expected[2].shape and np.allclose(db * batch, expected[2]):
        return (f"db is {batch} times too small: you averaged over the batch. The gradient of "
                "a shared parameter is the SUM over the examples: db = g.sum(axis=0).")
    return None


def check_linear_backward(linear_backward):
    """``linear_backward(x, w, g)`` must return ``(dL/dx, dL/dw, dL/db)`` for ``y = x @ w + b``."""
    check_function("linear_backward", linear_backward, _linear_reference, _linear_cases(),
                   rtol=RTOL, atol=ATOL,
                   hints=[_bias_not_summed,
                          _transposed(("dx", "dw", "db"),
                                      ("dx = g @ w.T", "dw = x.T @ g", "db = g.sum(axis=0)"))])
