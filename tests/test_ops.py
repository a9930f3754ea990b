"""Every Tensor operation of the op table: finite-difference gradients and dtype rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dlcore as dl
from tests.op_table import BINARY, MATMUL_SHAPES, UNARY, make_values

CHECK = settings(max_examples=25, deadline=None)


def unary_shapes(case):
    return hnp.array_shapes(min_dims=case.min_dims, max_dims=case.max_dims, min_side=1,
                            max_side=4)


@pytest.mark.parametrize("case", UNARY, ids=lambda c: c.name)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
@CHECK
def test_unary_gradients_match_finite_differences(case, data, seed):
    shape = data.draw(unary_shapes(case))
    a = make_values(np.random.default_rng(seed), shape, case.values, case.distinct)
    assert dl.gradcheck(case.dl, a)


@pytest.mark.parametrize("case", BINARY, ids=lambda c: c.name)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
       seed=st.integers(0, 2**32 - 1))
@CHECK
def test_binary_gradients_with_broadcasting_match_finite_differences(case, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (make_values(rng, shape, case.values, case.distinct)
            for shape in shapes.input_shapes)
    assert dl.gradcheck(case.dl, a, b)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradients_match_finite_differences(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape) for shape in shapes)
    assert dl.gradcheck(lambda x, y: x @ y, a, b)


def test_gradients_of_one_input_only_are_checked_when_the_other_is_a_constant():
    rng = np.random.default_rng(1)
    constant = dl.tensor(rng.standard_normal((4, 3)), dtype="float64")
    assert dl.gradcheck(lambda x: x @ constant, rng.standard_normal((2, 4)))
    assert dl.gradcheck(lambda x: constant @ x, rng.standard_normal((3, 2)))
    positive = dl.tensor(np.abs(rng.standard_normal((2, 3))) + 0.5, dtype="float64")
    assert dl.gradcheck(lambda e: positive**e, rng.standard_normal((2, 3)))


def test_ndarray_on_the_left_of_an_operator_gives_a_tensor():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    for result in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x,
                   np.ones((2, 2)) @ x):
        assert isinstance(result, dl.Tensor)
        assert result.requires_grad


@pytest.mark.parametrize("case", UNARY + BINARY, ids=lambda c: c.name)
def test_float32_in_float32_out_and_float32_gradients(case):
    rng = np.random.default_rng(2)
    shape = (2, 3, 4)[: max(case.min_dims, 2)] if case.max_dims >= 2 else (3,)
    inputs = [dl.tensor(make_values(rng, shape, case.values, case.distinct).astype(np.float32),
                        requires_grad=True) for _ in range(case.arity)]
    output = case.dl(*inputs)
    assert output.dtype == np.float32
    output.backward(np.ones(output.shape, dtype=np.float32))
    for x in inputs:
        assert x.grad.dtype == np.float32
        assert x.grad.shape == x.shape


def test_float64_is_kept_through_operations_with_python_numbers():
    x = dl.tensor(np.arange(3.0), requires_grad=True)
    assert x.dtype == np.float64
    y = (x * 2 + 1) ** 2 / 3 - 0.5
    assert y.dtype == np.float64


def test_mixing_float32_and_float64_promotes_and_each_gradient_keeps_its_input_dtype():
    small = dl.tensor([1.0, 2.0], requires_grad=True)
    large = dl.tensor(np.array([3.0, 4.0]), requires_grad=True)
    product = small * large
    assert product.dtype == np.float64
    product.sum().backward()
    assert small.grad.dtype == np.float32 and large.grad.dtype == np.float64
    np.testing.assert_array_equal(small.grad, [3.0, 4.0])


def test_integer_index_arrays_scatter_add_repeated_gradients():
    x = dl.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 2, 0, 0])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [8.0, 0.0, 2.0])


def test_tensor_index_is_accepted():
    x = dl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = dl.tensor([1, 1], dtype="int64")
    x[rows].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [2.0, 2.0]])


def test_max_shares_the_gradient_between_ties():
    x = dl.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_sigmoid_is_finite_and_saturates_for_huge_inputs():
    x = dl.tensor([-1e4, 0.0, 1e4], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
    y.sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = dl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    for result, expected in [(x > 0, [True, False, True]), (x <= 1, [True, True, False]),
                             (x == 3, [False, False, True]), (x != 3, [True, True, False]),
                             (x < -1, [False, True, False]), (x >= 3, [False, False, True])]:
        assert isinstance(result, dl.Tensor)
        assert result.dtype == bool and not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)
