"""Every Tensor operation of the op table against PyTorch: values and gradients."""

import numpy as np
import pytest

import dlcore as dl
from tests.op_table import BINARY, MATMUL_SHAPES, UNARY, make_values

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")

TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}
UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
                 ((4, 1), (1, 5))]


def assert_same_values_and_gradients(dl_fn, torch_fn, arrays, dtype):
    """Run both frameworks on ``arrays`` with one random upstream gradient and compare."""
    arrays = [a.astype(dtype) for a in arrays]
    ours = [dl.tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    our_output, their_output = dl_fn(*ours), torch_fn(*theirs)
    upstream = np.random.default_rng(3).standard_normal(our_output.shape).astype(dtype)
    our_output.backward(upstream)
    their_output.backward(torch.tensor(upstream))
    assert our_output.dtype == dtype
    np.testing.assert_allclose(our_output.data, their_output.detach().numpy(), **TOLERANCE[dtype])
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), **TOLERANCE[dtype])


UNARY_CASES = [pytest.param(case, shape, id=f"{case.name}-{shape}")
               for case in UNARY for shape in UNARY_SHAPES
               if case.min_dims <= len(shape) <= case.max_dims]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("case", "shape"), UNARY_CASES)
def test_unary_matches_torch(case, shape, dtype):
    a = make_values(np.random.default_rng(len(shape)), shape, case.values, case.distinct)
    assert_same_values_and_gradients(case.dl, case.torch, [a], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("case", BINARY, ids=lambda c: c.name)
def test_binary_matches_torch(case, shapes, dtype):
    rng = np.random.default_rng(4)
    arrays = [make_values(rng, shape, case.values, case.distinct) for shape in shapes]
    assert_same_values_and_gradients(case.dl, case.torch, arrays, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    assert_same_values_and_gradients(lambda a, b: a @ b, lambda a, b: a @ b, arrays, dtype)


def test_a_small_network_matches_torch_end_to_end():
    rng = np.random.default_rng(6)
    x, w1, b1, w2 = (rng.standard_normal(s) for s in [(8, 5), (5, 7), (7,), (7, 3)])

    def network(x, w1, b1, w2, row_max):
        hidden = (x @ w1 + b1).relu()
        logits = hidden @ w2
        shifted = logits - row_max(logits)
        return (shifted.exp().sum(1).log() - shifted[np.arange(8), np.arange(8) % 3]).mean()

    assert_same_values_and_gradients(
        lambda *p: network(*p, lambda t: t.max(axis=1, keepdims=True)),
        lambda *p: network(*p, lambda t: t.amax(dim=1, keepdim=True)),
        [x, w1, b1, w2], np.float64)
