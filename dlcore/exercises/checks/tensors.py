"""Checks of exercise 1, elementwise Tensor ops with broadcasting: ``unbroadcast``,
``add_backward`` and ``mul_backward``.

The references are dlcore's own: ``dlcore.autograd.unbroadcast``, and for the two backward
passes dlcore's autodiff on ``a + b`` and ``a * b``. The hints read the shape that came back:
an extra axis, a size where 1 was due, or a size-1 axis that went missing each point at one
mistake.
"""

from __future__ import annotations

import numpy as np

from dlcore.autograd import unbroadcast as reference_unbroadcast
from dlcore.exercises.feedback import Case, check_function, result_array
from dlcore.tensor import tensor


def _parts(value, count):
    """The ``count`` results of a function that returns a tuple, each as an array or None."""
    if not isinstance(value, tuple | list) or len(value) != count:
        return [None] * count
    return [result_array(part) for part in value]


# ----- unbroadcast ----------------------------------------------------------------------------


def _unbroadcast_cases():
    rng = np.random.default_rng(1)
    return [
        Case("a bias of shape (3,) added to a batch of shape (4, 3)",
             (rng.standard_normal((4, 3)), (3,))),
        Case("a column of shape (4, 1) stretched along the columns of (4, 5)",
             (rng.standard_normal((4, 5)), (4, 1))),
        Case("shape (3, 1) broadcast to (2, 3, 4): one new axis and one stretched",
             (rng.standard_normal((2, 3, 4)), (3, 1))),
        Case("a batch of 1: shape (1, 3) kept from a gradient of shape (1, 3)",
             (rng.standard_normal((1, 3)), (1, 3))),
        Case("a batch of 1: shape (3,) from a gradient of shape (1, 3)",
             (rng.standard_normal((1, 3)), (3,))),
        Case("nothing was broadcast: shapes (2, 5) and (2, 5)",
             (rng.standard_normal((2, 5)), (2, 5))),
        Case("a scalar of shape () used everywhere in (2, 3)",
             (rng.standard_normal((2, 3)), ())),
        Case("shape (2, 1, 3) broadcast to (2, 4, 3), negative and large values",
             (1e3 * rng.standard_normal((2, 4, 3)), (2, 1, 3))),
    ]


def _extra_leading_axes(received, expected, case):
    got, shape = result_array(received), case.args[1]
    if got is None or got.ndim <= len(shape):
        return None
    extra = got.ndim - len(shape)
    return (f"your result has shape {got.shape} but the input had shape {shape}: the gradient "
            f"still has {extra} more axes than the input. Broadcasting puts new axes in FRONT, "
            f"so sum them away: grad.sum(axis={tuple(range(extra))}).")


def _stretched_axis_not_summed(received, expected, case):
    got, shape = result_array(received), case.args[1]
    if got is None or got.ndim != len(shape):
        return None
    missed = [axis for axis, size in enumerate(shape) if size == 1 and got.shape[axis] != 1]
    if not missed:
        return None
    return (f"axis {missed[0]} has size 1 in the input's shape {shape} but size "
            f"{got.shape[missed[0]]} in your result: numpy stretched that axis, so every entry "
            "was used several times. Sum over every axis where the input has size 1 and the "
            "gradient does not, with keepdims=True so that the axis stays (with size 1).")


def _size_one_axis_dropped(received, expected, case):
    got, want = result_array(received), np.asarray(expected)
    if got is None or got.ndim >= want.ndim or got.size != want.size:
        return None
    return (f"the numbers may be right but the shape is {got.shape}, not {want.shape}: a sum "
            "over a stretched axis must keep that axis. Use keepdims=True in that sum.")


def _summed_wrong_axis(received, expected, case):
    got, want = result_array(received), np.asarray(expected)
    if got is None or got.shape == want.shape or got.ndim != want.ndim:
        return None
    if any(size == 1 and got.shape[axis] != 1 for axis, size in enumerate(want.shape)):
        return None  # a stretched axis left unsummed: the hint above says so
    return (f"your result has shape {got.shape} where {want.shape} was due: you summed over "
            "axes the input really had. numpy lines shapes up from the RIGHT (the last axes "
            "match), so the extra axes of the gradient are its first ones, not its last ones.")


def _mean_instead_of_sum(received, expected, case):
    got, want = result_array(received), np.asarray(expected)
    if got is None or got.shape != want.shape or got.shape == case.args[0].shape:
        return None
    copies = case.args[0].size // max(want.size, 1)
    if np.allclose(got * copies, want):
        return (f"your values are {copies} times too small: each input entry was used "
                f"{copies} times, so its gradient is the SUM of those {copies} gradients, "
                "not their mean.")
    return None


def check_unbroadcast(unbroadcast):
    """``unbroadcast(grad, shape)`` must sum ``grad`` back to ``shape`` after numpy broadcasting."""
    check_function("unbroadcast", unbroadcast, reference_unbroadcast, _unbroadcast_cases(),
                   hints=[_extra_leading_axes, _stretched_axis_not_summed,
                          _size_one_axis_dropped, _summed_wrong_axis, _mean_instead_of_sum])


# ----- add and mul backward -----------------------------------------------------------------------


def _binary_cases():
    rng = np.random.default_rng(2)
    normal = rng.standard_normal
    return [
        Case("a batch (4, 3) and a vector (3,)", (normal((4, 3)), normal(3), normal((4, 3)))),
        Case("a column (4, 1) and a row (1, 5)", (normal((4, 1)), normal((1, 5)),
                                                  normal((4, 5)))),
        Case("same shapes (2, 3), nothing broadcast", (normal((2, 3)), normal((2, 3)),
                                                       normal((2, 3)))),
        Case("a batch of 1: (1, 3) and (3,)", (normal((1, 3)), normal(3), normal((1, 3)))),
        Case("(2, 1, 3) and (4, 1): both broadcast", (normal((2, 1, 3)), normal((4, 1)),
                                                      normal((2, 4, 3)))),
        Case("a scalar () times a matrix (3, 2), negative values",
             (np.array(-1.5), -np.abs(normal((3, 2))), normal((3, 2)))),
    ]


def _autodiff(operation, a, b, g):
    """dL/da and dL/db for ``L = sum(g * operation(a, b))``, from dlcore's autodiff."""
    ta, tb = tensor(a, requires_grad=True), tensor(b, requires_grad=True)
    operation(ta, tb).backward(g)
    return ta.grad, tb.grad


def _gradient_has_output_shape(received, expected, case):
    a, b, g = case.args
    for name, got, want in zip(("da", "db"), _parts(received, 2), (a, b), strict=True):
        if got is not None and got.shape != want.shape:
            return (f"{name} has shape {got.shape}, but the input has shape {want.shape}. A "
                    "gradient always has the shape of the input it belongs to: pass it "
                    f"through unbroadcast(..., {name[1]}.shape) before returning it.")
    return None


def _factors_swapped(received, expected, case):
    a, b, g = case.args
    da, db = _parts(received, 2)
    swapped = (reference_unbroadcast(g * a, a.shape), reference_unbroadcast(g * b, b.shape))
    if da is not None and da.shape == a.shape and np.allclose(da, swapped[0]):
        return ("for z = a * b, dL/da = g * b: the gradient of one factor is the upstream "
                "gradient times the OTHER factor. You multiplied by a.")
    if db is not None and db.shape == b.shape and np.allclose(db, swapped[1]):
        return ("for z = a * b, dL/db = g * a: the gradient of one factor is the upstream "
                "gradient times the OTHER factor. You multiplied by b.")
    return None


def check_add_backward(add_backward):
    """``add_backward(a, b, g)`` must return ``(dL/da, dL/db)`` for ``z = a + b``."""
    check_function("add_backward", add_backward,
                   lambda a, b, g: _autodiff(lambda x, y: x + y, a, b, g), _binary_cases(),
                   hints=[_gradient_has_output_shape])


def check_mul_backward(mul_backward):
    """``mul_backward(a, b, g)`` must return ``(dL/da, dL/db)`` for ``z = a * b``."""
    check_function("mul_backward", mul_backward,
                   lambda a, b, g: _autodiff(lambda x, y: x * y, a, b, g), _binary_cases(),
                   hints=[_gradient_has_output_shape, _factors_swapped])
