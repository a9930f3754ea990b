"""The checks every entry of ``tests/nn_op_table.py`` must pass: gradients against finite
differences (float64, random upstream gradient), values and gradients against the numpy
reference and against PyTorch (float64 and float32), float32 in gives float32 out,
non-contiguous inputs give what their contiguous copies give, inputs are left unchanged, the
empty batch gives what the table records, and every bad input raises its recorded error.

The ``check_*`` functions are the checks themselves; ``test_negative_control.py`` runs them on
deliberately wrong backward passes to show that they fail.
"""

from __future__ import annotations

import numpy as np
import pytest

import dlcore as dl
import dlcore.functional as F
from dlcore.layers import LAYER_CLASSES
from tests.nn_op_table import NN_OPS, BadInput, NNOp, Sample
from tests.oracles import assert_backward_matches_torch

FLOAT64 = dict(rtol=1e-10, atol=1e-12)
FLOAT32 = dict(rtol=1e-4, atol=1e-5)
TOLERANCE = {np.float64: FLOAT64, np.float32: FLOAT32}


# ----- the checks ---------------------------------------------------------------------------


def upstream(y: dl.Tensor) -> np.ndarray:
    """A random upstream gradient (never all ones: a wrong backward can hide behind a sum)."""
    return np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype)


def run(case: NNOp, sample: Sample) -> tuple[dl.Tensor, list[dl.Tensor], np.ndarray]:
    """The op on Tensors copied from the sample, backward from a random upstream gradient:
    ``(output, inputs with their .grad, upstream gradient)``."""
    inputs = [dl.tensor(a, requires_grad=True, dtype=a.dtype) for a in sample.arrays]
    y = case.op(*inputs, **sample.params)
    g = upstream(y)
    y.backward(g)
    return y, inputs, g


def check_gradcheck(case: NNOp, sample: Sample) -> None:
    assert dl.gradcheck(lambda *inputs: case.op(*inputs, **sample.params), *sample.arrays)


def check_reference(case: NNOp, sample: Sample) -> None:
    y, inputs, g = run(case, sample)
    expected = case.reference(*sample.arrays, **sample.params)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, **FLOAT64)
    if case.reference_grads is None:
        return
    expected_grads = case.reference_grads(g, *sample.arrays, **sample.params)
    for tensor, expected_grad in zip(inputs, expected_grads, strict=True):
        assert tensor.grad.shape == tensor.shape
        np.testing.assert_allclose(tensor.grad, expected_grad, **FLOAT64)


def check_torch(case: NNOp, sample: Sample, torch, dtype) -> None:
    sample = sample.astype(dtype)
    ours = [dl.tensor(a, requires_grad=True, dtype=dtype) for a in sample.arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in sample.arrays]
    y = case.op(*ours, **sample.params)
    y_torch = case.torch(torch, *theirs, **sample.params)
    assert_backward_matches_torch(torch, y, y_torch, upstream(y), ours, theirs, dtype,
                                  TOLERANCE[dtype])


def check_float32(case: NNOp, sample: Sample) -> None:
    y, inputs, _ = run(case, sample.astype(np.float32))
    y64, inputs64, _ = run(case, sample)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, y64.data, **FLOAT32)
    for tensor, tensor64 in zip(inputs, inputs64, strict=True):
        assert tensor.grad.dtype == np.float32
        np.testing.assert_allclose(tensor.grad, tensor64.grad, **FLOAT32)


def strided(a: np.ndarray):
    """``(make, view)``: ``view(make(a))`` has a's values, every other element of a wider
    array; None where a has fewer than two elements."""
    if a.size < 2:
        return None
    return (lambda b: np.repeat(b, 2, axis=-1)), (lambda b: b[..., ::2])


def transposed(a: np.ndarray):
    """``(make, view)``: ``view(make(a))`` has a's values with the axes stored in reverse
    order (a transposed copy, transposed back); None unless two axes are longer than 1."""
    if sum(n > 1 for n in a.shape) < 2:
        return None
    axes = tuple(reversed(range(a.ndim)))
    return (lambda b: np.ascontiguousarray(b.transpose(axes))), (lambda b: b.transpose(axes))


LAYOUTS = {"strided": strided, "transposed": transposed}
SAME = (lambda b: b), (lambda b: b)


def check_layout(case: NNOp, sample: Sample, layout) -> None:
    """Every input it applies to as a non-contiguous view Tensor (made by an op of the graph,
    as ``x.T`` is), and every array param as a non-contiguous array, gives the values and
    gradients of the contiguous copies."""
    expected_y, contiguous, g = run(case, sample)
    ways = [layout(a) or SAME for a in sample.arrays]
    leaves = [dl.tensor(make(a), requires_grad=True)
              for a, (make, _) in zip(sample.arrays, ways, strict=True)]
    inputs = [view(leaf) for leaf, (_, view) in zip(leaves, ways, strict=True)]
    params = {}
    for key, value in sample.params.items():
        make, view = (layout(value) if isinstance(value, np.ndarray) else None) or SAME
        params[key] = view(make(value))
    assert not all(t.data.flags.c_contiguous for t in inputs)
    y = case.op(*inputs, **params)
    y.backward(g)
    np.testing.assert_allclose(y.data, expected_y.data, **FLOAT64)
    for leaf, (_, view), tensor in zip(leaves, ways, contiguous, strict=True):
        np.testing.assert_allclose(view(leaf.grad), tensor.grad, **FLOAT64)


def check_inputs_unchanged(case: NNOp, sample: Sample) -> None:
    inputs = [dl.tensor(a, requires_grad=True) for a in sample.arrays]
    params = {key: value.copy() if isinstance(value, np.ndarray) else value
              for key, value in sample.params.items()}
    y = case.op(*inputs, **params)
    y.backward(upstream(y))
    for tensor, array in zip(inputs, sample.arrays, strict=True):
        np.testing.assert_array_equal(tensor.data, array)
    for key, value in params.items():
        np.testing.assert_array_equal(value, sample.params[key])


def check_bad_input(bad: BadInput) -> None:
    with pytest.raises(bad.error, match=bad.match):
        bad.call()


def check_empty_batch(case: NNOp) -> None:
    if isinstance(case.empty, BadInput):
        check_bad_input(case.empty)
        return
    y, inputs, _ = run(case, case.empty.sample)
    assert y.shape == case.empty.shape
    assert y.dtype == np.float64
    for tensor in inputs:
        assert tensor.grad.shape == tensor.shape
        assert not np.any(tensor.grad)


# ----- the parametrised tests ---------------------------------------------------------------


def samples(cases=NN_OPS):
    return [pytest.param(case, sample, id=f"{case.id}-{sample.name}")
            for case in cases for sample in case.samples]


def test_every_functional_op_and_every_layer_has_an_entry():
    covered = {case.name for case in NN_OPS}
    assert set(F.__all__) <= covered
    assert set(LAYER_CLASSES) <= covered
    assert len({case.id for case in NN_OPS}) == len(NN_OPS)


@pytest.mark.parametrize(("case", "sample"), samples())
def test_gradients_match_finite_differences(case, sample):
    check_gradcheck(case, sample)


@pytest.mark.parametrize(("case", "sample"), samples())
def test_values_and_gradients_match_the_numpy_reference(case, sample):
    check_reference(case, sample)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("case", "sample"), samples([c for c in NN_OPS if c.torch]))
def test_values_and_gradients_match_torch(torch, case, sample, dtype):
    check_torch(case, sample, torch, dtype)


@pytest.mark.parametrize(("case", "sample"), samples())
def test_float32_in_float32_out(case, sample):
    check_float32(case, sample)


@pytest.mark.parametrize(("case", "sample", "layout"), [
    pytest.param(case, sample, layout, id=f"{case.id}-{sample.name}-{name}")
    for case in NN_OPS for sample in case.samples for name, layout in LAYOUTS.items()
    if any(layout(a) for a in sample.arrays)
])
def test_non_contiguous_inputs_give_the_contiguous_result(case, sample, layout):
    check_layout(case, sample, layout)


@pytest.mark.parametrize(("case", "sample"), samples())
def test_inputs_are_left_unchanged(case, sample):
    check_inputs_unchanged(case, sample)


@pytest.mark.parametrize("case", NN_OPS, ids=lambda case: case.id)
def test_empty_batch(case):
    check_empty_batch(case)


@pytest.mark.parametrize("bad", [pytest.param(bad, id=f"{case.id}-{bad.name}")
                                 for case in NN_OPS for bad in case.bad_inputs])
def test_bad_input_raises_the_recorded_error(bad):
    check_bad_input(bad)
