"""embedding: gradients (repeated ids add up), kernels against the numpy references, PyTorch
parity, dtypes and bad arguments."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.functional.embedding import embedding
from dlcore.kernels import embedding as kernels

IDS = [
    pytest.param(np.array(3), id="scalar"),
    pytest.param(np.array([0, 4, 4, 2]), id="vector-repeats"),
    pytest.param(np.array([[1, 1, 0], [5, 3, 1]]), id="matrix-repeats"),
]


def random_values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("ids", IDS)
def test_gradcheck(ids):
    assert dl.gradcheck(lambda table: embedding(ids, table), random_values((6, 3)))


def test_repeated_ids_add_up_and_unused_rows_get_zero():
    table = dl.tensor(np.zeros((4, 2)), requires_grad=True)
    embedding(np.array([2, 0, 2, 2]), table).backward(np.arange(8.0).reshape(4, 2))
    np.testing.assert_array_equal(table.grad, [[2, 3], [0, 0], [0 + 4 + 6, 1 + 5 + 7], [0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ids", IDS)
def test_kernels_match_the_numpy_references(ids, dtype):
    table = random_values((6, 3)).astype(dtype)
    g = random_values((*ids.shape, 3), seed=1).astype(dtype)
    y = kernels.embedding_forward(table, ids)
    assert y.dtype == dtype and y.shape == (*ids.shape, 3)
    np.testing.assert_array_equal(y, kernels.embedding_forward_reference(table, ids))
    dtable = kernels.embedding_backward(g, ids, 6)
    assert dtable.dtype == dtype
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(
        dtable, kernels.embedding_backward_reference(g, ids, 6), rtol=tolerance, atol=tolerance
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ids", IDS)
def test_values_and_gradients_match_torch(torch, ids, dtype):
    table = random_values((6, 3)).astype(dtype)
    g = random_values((*ids.shape, 3), seed=1).astype(dtype)
    ours = dl.tensor(table, requires_grad=True)
    theirs = torch.tensor(table, requires_grad=True)
    y = embedding(ids, ours)
    y.backward(g)
    expected = torch.nn.functional.embedding(torch.tensor(ids), theirs)
    expected.backward(torch.tensor(g))
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_array_equal(y.data, expected.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=tolerance, atol=tolerance)


def test_output_shape_is_ids_shape_plus_output_dim():
    table = random_values((5, 2))
    assert embedding(np.array(3), table).shape == (2,)
    assert embedding(np.zeros((2, 3, 4), dtype=int), table).shape == (2, 3, 4, 2)
    assert embedding(np.zeros(0, dtype=int), table).shape == (0, 2)


def test_float32_table_gives_float32_output_and_gradient():
    table = dl.tensor(random_values((5, 2)).astype(np.float32), requires_grad=True)
    y = embedding(np.array([1, 4]), table)
    assert y.dtype == np.float32
    y.backward(np.ones((2, 2), dtype=np.float32))
    assert table.grad.dtype == np.float32


@pytest.mark.parametrize("ids_dtype", ["int8", "int32", "uint16", "int64"])
def test_ids_may_be_any_integer_array_or_integer_tensor(ids_dtype):
    table = random_values((5, 2))
    ids = np.array([[4, 0], [1, 1]], dtype=ids_dtype)
    expected = table[ids]
    np.testing.assert_array_equal(embedding(ids, table).data, expected)
    np.testing.assert_array_equal(embedding(dl.tensor(ids, dtype=ids_dtype), table).data, expected)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: embedding(np.array([0.0, 1.0]), np.zeros((3, 2))),
            TypeError,
            r"embedding expects integer ids, got dtype float64.*astype\('int64'\)",
        ),
        (
            lambda: embedding(dl.tensor([0, 1]), np.zeros((3, 2))),
            TypeError,
            "integer ids, got dtype float32",
        ),
        (
            lambda: embedding(np.array([0, 3]), np.zeros((3, 2))),
            ValueError,
            r"ids must lie in \[0, 3\) for a table with input_dim 3, got ids from 0 to 3",
        ),
        (
            lambda: embedding(np.array([[-1, 2]]), np.zeros((3, 2))),
            ValueError,
            r"got ids from -1 to 2",
        ),
        (
            lambda: embedding(np.array([0]), np.zeros(3)),
            ValueError,
            r"table of shape \(input_dim, output_dim\), got shape \(3,\)",
        ),
        (
            lambda: embedding(np.array([0]), dl.tensor(np.zeros((3, 2)), dtype="int32")),
            TypeError,
            "floating-point table, got dtype int32",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
