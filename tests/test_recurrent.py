"""simple_rnn and lstm: gradients, the compiled kernels against the numpy references, dtypes,
the gate activations' accuracy and bad arguments. PyTorch parity: test_recurrent_torch.py."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.recurrent import lstm, simple_rnn
from dlcore.kernels import recurrent as kernels

OPS = {"simple_rnn": simple_rnn, "lstm": lstm}
GATES = {"simple_rnn": 1, "lstm": 4}
FEATURES = 2


def make_inputs(op, batch, steps, units, dtype=np.float64, seed=0):
    """x (batch, steps, FEATURES) and the op's kernel, recurrent_kernel and bias."""
    width = GATES[op] * units
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, FEATURES))
    kernel = 0.6 * rng.standard_normal((FEATURES, width))
    recurrent_kernel = 0.6 * rng.standard_normal((units, width))
    bias = 0.3 * rng.standard_normal(width)
    return [a.astype(dtype) for a in (x, kernel, recurrent_kernel, bias)]


def forward_and_backward(op, inputs, g):
    """``kernels.<op>_forward`` then ``<op>_backward``: (saved arrays, gradients)."""
    forward, backward = getattr(kernels, f"{op}_forward"), getattr(kernels, f"{op}_backward")
    saved = forward(*inputs)
    saved = saved if isinstance(saved, tuple) else (saved,)
    return saved, backward(g, *inputs[:3], *saved)


def references(op, inputs, g):
    forward = getattr(kernels, f"{op}_forward_reference")
    backward = getattr(kernels, f"{op}_backward_reference")
    saved = forward(*inputs)
    saved = saved if isinstance(saved, tuple) else (saved,)
    return saved, backward(g, *inputs[:3], *saved)


# ----- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("units", [1, 4])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("steps", [1, 2, 5])
@pytest.mark.parametrize("op", OPS)
def test_gradcheck(op, steps, batch, units, return_sequences):
    inputs = make_inputs(op, batch, steps, units, seed=steps + 10 * units)
    assert dl.gradcheck(
        lambda *args: OPS[op](*args, return_sequences=return_sequences), *inputs
    )


@pytest.mark.parametrize("op", OPS)
def test_gradcheck_without_bias(op):
    x, kernel, recurrent_kernel, _ = make_inputs(op, 2, 3, 3)
    assert dl.gradcheck(lambda *args: OPS[op](*args, None, True), x, kernel, recurrent_kernel)


# ----- compiled kernels against the numpy references -----------------------------------------

KERNEL_GRID = [(1, 1, 1), (3, 4, 4), (2, 20, 3), (1, 200, 2)]  # (batch, steps, units)
TOLERANCE = {np.float64: dict(rtol=1e-11, atol=1e-13), np.float32: dict(rtol=2e-4, atol=2e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("upstream", ["last", "sequences"])
@pytest.mark.parametrize(("batch", "steps", "units"), KERNEL_GRID, ids=str)
@pytest.mark.parametrize("op", OPS)
def test_kernels_match_reference(op, batch, steps, units, upstream, dtype):
    inputs = make_inputs(op, batch, steps, units, dtype=dtype, seed=steps)
    g_shape = (batch, steps, units) if upstream == "sequences" else (batch, units)
    g = np.random.default_rng(1).standard_normal(g_shape).astype(dtype)
    saved, grads = forward_and_backward(op, inputs, g)
    expected_saved, expected_grads = references(op, inputs, g)
    for ours, expected in zip(saved + grads, expected_saved + expected_grads, strict=True):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("op", OPS)
def test_kernels_skip_gradients_not_needed(op):
    inputs = make_inputs(op, 2, 4, 3)
    g = np.ones((2, 3))
    _, all_grads = forward_and_backward(op, inputs, g)
    forward, backward = getattr(kernels, f"{op}_forward"), getattr(kernels, f"{op}_backward")
    saved = forward(*inputs)
    saved = saved if isinstance(saved, tuple) else (saved,)
    for wanted in range(4):
        needs = tuple(i == wanted for i in range(4))
        grads = backward(g, *inputs[:3], *saved, needs=needs)
        for i, grad in enumerate(grads):
            if i == wanted:
                np.testing.assert_array_equal(grad, all_grads[i])
            else:
                assert grad is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gate_activations_are_accurate(dtype):
    """sigmoid and tanh of the compiled passes against numpy in float64, tails included."""
    magnitudes = np.concatenate([np.geomspace(1e-30, 1e3, 4000), np.linspace(0, 30, 4001)])
    z = np.concatenate([magnitudes, -magnitudes, [0.0, 1e4, -1e4, np.inf, -np.inf]]).astype(dtype)
    exact_z = z.astype(np.float64)
    e = np.exp(-np.abs(exact_z))
    expected_sigmoid = np.where(exact_z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    expected_tanh = np.tanh(exact_z)
    sigmoid, tanh = z.copy(), z.copy()
    kernels._sigmoid_of_sum(sigmoid, np.zeros_like(z))
    kernels._tanh_of_sum(tanh, np.zeros_like(z))
    assert sigmoid.dtype == tanh.dtype == dtype
    relative = 3e-7 if dtype == np.float32 else 1e-15
    # relative accuracy down to e**-87 (float32) or e**-700 (float64), where sigmoid stops
    bound = 1e-37 if dtype == np.float32 else 1e-303
    in_range = expected_sigmoid > bound
    np.testing.assert_allclose(sigmoid[in_range], expected_sigmoid[in_range], rtol=relative)
    assert np.all((sigmoid[~in_range] >= 0) & (sigmoid[~in_range] < bound))
    np.testing.assert_allclose(tanh, expected_tanh, rtol=relative, atol=0)
    assert sigmoid[-2] == 1.0 and tanh[-2] == 1.0 and tanh[-1] == -1.0


def test_gate_activations_propagate_nan():
    z = np.array([np.nan, 1.0])
    sigmoid, tanh = z.copy(), z.copy()
    kernels._sigmoid_of_sum(sigmoid, np.zeros(2))
    kernels._tanh_of_sum(tanh, np.zeros(2))
    assert np.isnan(sigmoid[0]) and np.isnan(tanh[0])


# ----- the ops ------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_sequence_output_ends_with_the_last_output(op):
    inputs = make_inputs(op, 3, 6, 4)
    sequence = OPS[op](*inputs, return_sequences=True)
    last = OPS[op](*inputs)
    assert sequence.shape == (3, 6, 4) and last.shape == (3, 4)
    np.testing.assert_array_equal(sequence.data[:, -1], last.data)


@pytest.mark.parametrize("op", OPS)
def test_no_bias_is_a_zero_bias(op):
    x, kernel, recurrent_kernel, bias = make_inputs(op, 2, 5, 3)
    np.testing.assert_array_equal(
        OPS[op](x, kernel, recurrent_kernel, None, True).data,
        OPS[op](x, kernel, recurrent_kernel, np.zeros_like(bias), True).data,
    )


@pytest.mark.parametrize("op", OPS)
def test_float32_stays_float32(op):
    inputs = [dl.tensor(a, requires_grad=True) for a in make_inputs(op, 2, 4, 3, np.float32)]
    for return_sequences in (False, True):
        y = OPS[op](*inputs, return_sequences=return_sequences)
        assert y.dtype == np.float32
        y.backward(np.ones(y.shape, np.float32))
    for t in inputs:
        assert t.grad.dtype == np.float32


@pytest.mark.parametrize("op", OPS)
def test_mixed_dtypes_follow_numpy_promotion(op):
    x, kernel, recurrent_kernel, bias = make_inputs(op, 2, 3, 3)
    weights = [dl.tensor(a.astype(np.float32), requires_grad=True)
               for a in (kernel, recurrent_kernel, bias)]
    x64 = dl.tensor(x, requires_grad=True, dtype=np.float64)
    y = OPS[op](x64, *weights)
    assert y.dtype == np.float64
    y.backward(np.ones(y.shape))
    assert x64.grad.dtype == np.float64
    assert all(w.grad.dtype == np.float32 for w in weights)


@pytest.mark.parametrize("op", OPS)
def test_non_contiguous_inputs(op):
    x, kernel, recurrent_kernel, bias = make_inputs(op, 3, 5, 2)
    x_time_major = np.ascontiguousarray(x.transpose(1, 0, 2))
    kernel_t = np.ascontiguousarray(kernel.T)
    y = OPS[op](x_time_major.transpose(1, 0, 2), kernel_t.T, recurrent_kernel, bias, True)
    np.testing.assert_allclose(y.data, OPS[op](x, kernel, recurrent_kernel, bias, True).data,
                               rtol=1e-14)


@pytest.mark.parametrize("op", OPS)
def test_backward_twice_with_retain_graph_accumulates(op):
    inputs = [dl.tensor(a, requires_grad=True) for a in make_inputs(op, 2, 4, 3)]
    y = OPS[op](*inputs, return_sequences=True)
    g = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(g, retain_graph=True)
    first = [t.grad.copy() for t in inputs]
    y.backward(g)
    for t, once in zip(inputs, first, strict=True):
        np.testing.assert_allclose(t.grad, 2 * once, rtol=1e-14)


@pytest.mark.parametrize("op", OPS)
def test_only_the_inputs_that_require_grad_get_one(op):
    x, kernel, recurrent_kernel, bias = make_inputs(op, 2, 3, 3)
    kernel = dl.tensor(kernel, requires_grad=True)
    OPS[op](x, kernel, recurrent_kernel, bias).backward(np.ones((2, 3)))
    assert kernel.grad is not None and kernel.grad.shape == kernel.shape


@pytest.mark.parametrize("op", OPS)
def test_saturated_gates_stay_finite(op):
    x, kernel, recurrent_kernel, bias = make_inputs(op, 2, 50, 3)
    inputs = [dl.tensor(a * 1e3, requires_grad=True) for a in (x, kernel, recurrent_kernel, bias)]
    y = OPS[op](*inputs, return_sequences=True)
    assert np.all(np.abs(y.data) <= 1.0)
    y.backward(np.ones(y.shape))
    assert all(np.all(np.isfinite(t.grad)) for t in inputs)


def test_no_graph_without_grad():
    inputs = [dl.tensor(a, requires_grad=True) for a in make_inputs("lstm", 2, 3, 3)]
    with dl.no_grad():
        y = lstm(*inputs)
    assert not y.requires_grad


# ----- bad arguments ------------------------------------------------------------------------


def shapes(op, x=(3, 5, 2), kernel=None, recurrent_kernel=None, bias=None, units=4):
    width = GATES[op] * units
    kernel = kernel or (2, width)
    recurrent_kernel = recurrent_kernel or (units, width)
    bias = bias or (width,)
    return [np.zeros(s) for s in (x, kernel, recurrent_kernel, bias)]


ERRORS = [
    ("lstm", dict(x=(3, 5)), r"lstm expects x of shape \(batch, timesteps, features\), got "
     r"shape \(3, 5\).*x\[None\]"),
    ("simple_rnn", dict(x=(2, 3, 5, 2)), r"simple_rnn expects x of shape \(batch, timesteps, "
     r"features\), got shape \(2, 3, 5, 2\)"),
    ("lstm", dict(x=(3, 0, 2)), r"lstm needs at least one timestep, got x of shape \(3, 0, 2\)"),
    ("lstm", dict(kernel=(3, 16)), r"lstm expects kernel of shape \(features, 4\*units\) with "
     r"features = 2 \(the last axis of x, shape \(3, 5, 2\)\), got kernel of shape \(3, 16\)"),
    ("simple_rnn", dict(kernel=(5, 4)), r"simple_rnn expects kernel of shape \(features, units\) "
     r"with features = 2 .* got kernel of shape \(5, 4\)"),
    ("lstm", dict(kernel=(2, 10)), r"lstm expects kernel of shape \(features, 4\*units\): its "
     r"second axis holds 4 gate blocks .* got kernel of shape \(2, 10\)"),
    ("lstm", dict(recurrent_kernel=(4, 4)), r"lstm expects recurrent_kernel of shape \(units, "
     r"4\*units\) = \(4, 16\) for kernel of shape \(2, 16\), got recurrent_kernel of shape "
     r"\(4, 4\)"),
    ("simple_rnn", dict(recurrent_kernel=(4, 16)), r"simple_rnn expects recurrent_kernel of "
     r"shape \(units, units\) = \(4, 4\) .* got recurrent_kernel of shape \(4, 16\)"),
    ("lstm", dict(bias=(4,)), r"lstm expects bias of shape \(4\*units,\) = \(16,\) for kernel "
     r"of shape \(2, 16\), got bias of shape \(4,\)"),
    ("simple_rnn", dict(bias=(4, 1)), r"simple_rnn expects bias of shape \(units,\) = \(4,\) "
     r".* got bias of shape \(4, 1\)"),
]


@pytest.mark.parametrize(("op", "bad", "message"), ERRORS,
                         ids=[f"{op}-{next(iter(bad))}" for op, bad, _ in ERRORS])
def test_bad_shapes(op, bad, message):
    with pytest.raises(ValueError, match=message):
        OPS[op](*shapes(op, **bad))


@pytest.mark.parametrize("op", OPS)
def test_bad_types(op):
    x, kernel, recurrent_kernel, bias = shapes(op)
    with pytest.raises(TypeError, match=rf"{op} expects a floating-point x, got dtype int64"):
        OPS[op](dl.tensor(x, dtype="int64"), kernel, recurrent_kernel, bias)
    with pytest.raises(TypeError, match=rf"{op}: return_sequences must be True or False, got "
                       r"'yes'"):
        OPS[op](x, kernel, recurrent_kernel, bias, return_sequences="yes")
