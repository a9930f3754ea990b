"""simple_rnn and lstm against torch.nn.RNN (tanh) and torch.nn.LSTM: outputs and the
gradients of x and of every weight.

PyTorch stores ``weight_ih (G*units, features) = kernel.T``, ``weight_hh (G*units, units) =
recurrent_kernel.T`` and two biases (here ``bias_ih = bias``, ``bias_hh = 0``); its LSTM gate
order i, f, g, o is Keras's i, f, c, o.
"""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.recurrent import lstm, simple_rnn
from tests.test_recurrent import OPS, make_inputs

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")

TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


def torch_twin(op, kernel, recurrent_kernel, bias, dtype):
    features, width = kernel.shape
    units = recurrent_kernel.shape[0]
    if op == "lstm":
        module = torch.nn.LSTM(features, units, batch_first=True, dtype=TORCH_DTYPE[dtype])
    else:
        module = torch.nn.RNN(features, units, nonlinearity="tanh", batch_first=True,
                              dtype=TORCH_DTYPE[dtype])
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(bias))
        module.bias_hh_l0.zero_()
    return module


def assert_matches_torch(op, batch, steps, units, return_sequences, dtype):
    x, kernel, recurrent_kernel, bias = make_inputs(op, batch, steps, units, dtype, seed=steps)
    ours = [dl.tensor(a, requires_grad=True, dtype=dtype)
            for a in (x, kernel, recurrent_kernel, bias)]
    y = OPS[op](*ours, return_sequences=return_sequences)
    g = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
    y.backward(g)

    module = torch_twin(op, kernel, recurrent_kernel, bias, dtype)
    their_x = torch.from_numpy(x).requires_grad_()
    sequence = module(their_x)[0]
    their_y = sequence if return_sequences else sequence[:, -1]
    their_y.backward(torch.from_numpy(g))

    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, their_y.detach().numpy(), **TOLERANCE[dtype])
    expected_grads = [their_x.grad, module.weight_ih_l0.grad.T, module.weight_hh_l0.grad.T,
                      module.bias_ih_l0.grad]
    for mine, expected in zip(ours, expected_grads, strict=True):
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, expected.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("units", [1, 4])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("steps", [1, 200])
@pytest.mark.parametrize("op", OPS)
def test_matches_torch_float64(op, steps, batch, units, return_sequences):
    assert_matches_torch(op, batch, steps, units, return_sequences, np.float64)


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
@pytest.mark.parametrize("op", OPS)
def test_matches_torch_float32(op, return_sequences):
    assert_matches_torch(op, 3, 20, 8, return_sequences, np.float32)


def test_lstm_benchmark_size_matches_torch_in_float32():
    """The benchmark's shape (64 sequences of 50 steps, 32 -> 128): values and kernel grad."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 50, 32)).astype(np.float32)
    kernel = (0.1 * rng.standard_normal((32, 512))).astype(np.float32)
    recurrent_kernel = (0.1 * rng.standard_normal((128, 512))).astype(np.float32)
    bias = (0.1 * rng.standard_normal(512)).astype(np.float32)
    ours = dl.tensor(kernel, requires_grad=True)
    y = lstm(x, ours, recurrent_kernel, bias)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    module = torch_twin("lstm", kernel, recurrent_kernel, bias, np.float32)
    module(torch.from_numpy(x))[0][:, -1].backward(torch.from_numpy(g))
    np.testing.assert_allclose(y.data, module(torch.from_numpy(x))[0][:, -1].detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.grad, module.weight_ih_l0.grad.T.numpy(), rtol=1e-3,
                               atol=1e-4)


def test_simple_rnn_without_bias_matches_torch():
    x, kernel, recurrent_kernel, _ = make_inputs("simple_rnn", 2, 6, 3)
    module = torch.nn.RNN(2, 3, batch_first=True, bias=False, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
    np.testing.assert_allclose(
        simple_rnn(x, kernel, recurrent_kernel, return_sequences=True).data,
        module(torch.from_numpy(x))[0].detach().numpy(), rtol=1e-12, atol=1e-14,
    )
