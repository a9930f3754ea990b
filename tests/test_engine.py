"""The graph engine: tensor creation, backward, accumulation, no_grad, memory, long graphs."""

import gc
import sys
import tracemalloc

import numpy as np
import pytest

import dlcore as dl

# ----- creation and dtype rules ----------------------------------------------------------

@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2.0], 3.5, 7, np.arange(4), np.ones(3, bool),
                                  np.ones(2, np.float16), np.ones(2, np.float32)])
def test_default_dtype_is_float32(data):
    assert dl.tensor(data).dtype == np.float32


def test_float64_arrays_keep_float64_and_dtype_argument_wins():
    assert dl.tensor(np.zeros(3)).dtype == np.float64
    assert dl.tensor([1.0, 2.0], dtype="float64").dtype == np.float64
    assert dl.tensor(np.zeros(3), dtype=np.float32).dtype == np.float32
    assert dl.tensor([1, 2], dtype="int64").dtype == np.int64


def test_tensor_copies_its_input():
    source = np.zeros(3, dtype=np.float32)
    t = dl.tensor(source)
    source[0] = 5.0
    assert t.data[0] == 0.0
    assert dl.tensor(t).data is not t.data


def test_array_like_attributes():
    t = dl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.grad is None and t.requires_grad
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert dl.tensor(2.5).item() == 2.5
    assert repr(dl.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert "dtype=float64" in repr(t)


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        dl.tensor([1, 2], dtype="int64", requires_grad=True)


# ----- backward ----------------------------------------------------------------------------

def test_gradients_accumulate_over_backward_calls_until_zero_grad():
    w = dl.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [3 + 2, 3 + 4])
    w.zero_grad()
    assert w.grad is None


def test_a_tensor_used_twice_gets_both_contributions():
    x = dl.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_leaf_gradients_are_separate_arrays_even_when_the_op_shares_one():
    a, b = dl.tensor([1.0], requires_grad=True), dl.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1
    assert b.grad[0] == 1.0


def test_intermediate_tensors_get_no_grad_attribute():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    hidden.sum().backward()
    assert hidden.grad is None and x.grad is not None


def test_backward_needs_a_scalar_or_a_gradient_of_the_right_shape():
    y = dl.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"needs a scalar tensor, got shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"tensor's shape \(2,\), got shape \(3,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_explains_why():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dl.tensor([1.0]).sum().backward()


def test_second_backward_through_a_freed_graph_is_an_error_unless_retained():
    x = dl.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 8.0
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_frees_the_arrays_saved_for_it():
    x = dl.tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    y.sum().backward()
    assert y._ctx is not None and not hasattr(y._ctx, "z")


def test_no_grad_records_nothing_and_restores_the_mode():
    w = dl.tensor([1.0], requires_grad=True)
    with dl.no_grad():
        assert not dl.is_grad_enabled()
        y = w * 2
    assert dl.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), dl.no_grad():
        raise ZeroDivisionError
    assert dl.is_grad_enabled()


def test_detach_shares_data_and_stops_gradients():
    x = dl.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert d.data is x.data and not d.requires_grad
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


# ----- long graphs and memory ------------------------------------------------------------

def test_a_chain_of_ten_thousand_operations_needs_no_recursion():
    assert sys.getrecursionlimit() < 10_000
    x = dl.tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000, rtol=1e-9)


def test_dropping_an_unused_long_graph_does_not_overflow_the_stack():
    x = dl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    del y  # freed without backward: deallocating a 100,000-deep chain must not crash


def test_memory_stays_flat_over_thousands_of_training_like_steps():
    rng = np.random.default_rng(0)
    w = dl.tensor(rng.standard_normal((16, 8)) * 0.1, requires_grad=True)
    b = dl.tensor(np.zeros(8), requires_grad=True)
    x = dl.tensor(rng.standard_normal((32, 16)))
    target = dl.tensor(rng.standard_normal((32, 8)))

    def step():
        loss = (((x @ w + b).tanh() - target) ** 2).mean()
        loss.backward()
        with dl.no_grad():
            w.data -= 0.1 * w.grad
            b.data -= 0.1 * b.grad
        w.zero_grad()
        b.zero_grad()

    gc.disable()  # reference cycles would now pile up instead of being collected
    try:
        tracemalloc.start()
        for _ in range(1_000):  # numpy's and Python's free lists fill up first
            step()
        after_warm_up = tracemalloc.get_traced_memory()[0]
        for _ in range(2_000):
            step()
        after_many = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        gc.enable()
    assert after_many - after_warm_up < 16 * 1024
