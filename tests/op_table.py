"""Every differentiable Tensor operation, listed once; the tests are generated from this table.

Each case says how to call the operation on dlcore tensors and on torch tensors, how
many inputs it takes, whether those broadcast against each other, and which input
values keep finite differences valid (away from kinks, poles and ties).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OpCase:
    name: str
    dl: Callable  # takes dlcore Tensors, returns a Tensor
    torch: Callable  # the same on torch tensors
    arity: int = 1
    values: str = "any"  # "any", "positive" or "away_from_zero" for every input
    distinct: bool = False  # all input values distinct (ops whose gradient breaks on ties)
    min_dims: int = 0
    max_dims: int = 3


def make_values(rng: np.random.Generator, shape: tuple[int, ...], kind: str, distinct: bool):
    """Random float64 values of ``shape`` suited to the case's domain."""
    x = rng.standard_normal(shape)
    if distinct:
        x = rng.permutation(np.linspace(-2.0, 2.0, x.size)).reshape(shape)
    if kind == "positive":
        x = np.abs(x) + 0.5
    elif kind == "away_from_zero":
        x = np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + 0.25)
    return np.asarray(x)


def _reversed_axes(a) -> tuple[int, ...]:
    return tuple(reversed(range(a.ndim)))


UNARY = [
    OpCase("neg", lambda a: -a, lambda a: -a),
    OpCase("exp", lambda a: a.exp(), lambda a: a.exp()),
    OpCase("log", lambda a: a.log(), lambda a: a.log(), values="positive"),
    OpCase("tanh", lambda a: a.tanh(), lambda a: a.tanh()),
    OpCase("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    OpCase("relu", lambda a: a.relu(), lambda a: a.relu(), values="away_from_zero"),
    OpCase("abs", lambda a: a.abs(), lambda a: a.abs(), values="away_from_zero"),
    OpCase("clip", lambda a: a.clip(-0.55, 0.83), lambda a: a.clamp(-0.55, 0.83), distinct=True),
    OpCase("square", lambda a: a**2, lambda a: a**2),
    OpCase("power_1.5", lambda a: a**1.5, lambda a: a**1.5, values="positive"),
    OpCase("scalar_power", lambda a: 2.0**a, lambda a: 2.0**a),
    OpCase("scalar_plus", lambda a: 1.5 + a, lambda a: 1.5 + a),
    OpCase("scalar_minus", lambda a: 1.5 - a, lambda a: 1.5 - a),
    OpCase("scalar_times", lambda a: a * 3.0, lambda a: a * 3.0),
    OpCase("scalar_over", lambda a: 2.0 / a, lambda a: 2.0 / a, values="away_from_zero"),
    OpCase("sum", lambda a: a.sum(), lambda a: a.sum()),
    OpCase("sum_last_keepdims", lambda a: a.sum(axis=-1, keepdims=True),
           lambda a: a.sum(dim=-1, keepdim=True), min_dims=1),
    OpCase("sum_first", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), min_dims=1),
    OpCase("mean", lambda a: a.mean(), lambda a: a.mean()),
    OpCase("mean_axes_0_1", lambda a: a.mean(axis=(0, 1)), lambda a: a.mean(dim=(0, 1)),
           min_dims=2),
    OpCase("mean_last_keepdims", lambda a: a.mean(axis=-1, keepdims=True),
           lambda a: a.mean(dim=-1, keepdim=True), min_dims=1),
    OpCase("max", lambda a: a.max(), lambda a: a.amax(), distinct=True),
    OpCase("max_last", lambda a: a.max(axis=-1), lambda a: a.amax(dim=-1), distinct=True,
           min_dims=1),
    OpCase("max_first_keepdims", lambda a: a.max(axis=0, keepdims=True),
           lambda a: a.amax(dim=0, keepdim=True), distinct=True, min_dims=1),
    OpCase("reshape_flat", lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    OpCase("reshape_tuple", lambda a: a.reshape((1, -1)), lambda a: a.reshape(1, -1)),
    OpCase("transpose", lambda a: a.transpose(), lambda a: a.permute(_reversed_axes(a))),
    OpCase("T", lambda a: a.T, lambda a: a.permute(_reversed_axes(a))),
    OpCase("transpose_axes", lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2),
           min_dims=3, max_dims=3),
    OpCase("slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], min_dims=2),
    OpCase("int_index", lambda a: a[0], lambda a: a[0], min_dims=1),
    OpCase("int_array_repeats", lambda a: a[[0, 0, -1, 0]], lambda a: a[[0, 0, -1, 0]],
           min_dims=1),
    OpCase("int_array_pairs", lambda a: a[np.array([0, -1, 0]), np.array([0, 0, 0])],
           lambda a: a[[0, -1, 0], [0, 0, 0]], min_dims=2),
    OpCase("bool_mask", lambda a: a[a.detach() > 0], lambda a: a[a.detach() > 0],
           values="away_from_zero", min_dims=1),
    OpCase("slice_and_array", lambda a: a[:, [-1, 0, -1]], lambda a: a[:, [-1, 0, -1]], min_dims=2),
]

BINARY = [
    OpCase("add", lambda a, b: a + b, lambda a, b: a + b, arity=2),
    OpCase("sub", lambda a, b: a - b, lambda a, b: a - b, arity=2),
    OpCase("mul", lambda a, b: a * b, lambda a, b: a * b, arity=2),
    OpCase("div", lambda a, b: a / b, lambda a, b: a / b, arity=2, values="away_from_zero"),
    OpCase("pow", lambda a, b: a**b, lambda a, b: a**b, arity=2, values="positive"),
]

# (shape of a, shape of b): matrices, batches that broadcast, and vectors on either side
MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((1, 4), (4, 1)),
    ((2, 3, 4), (4, 2)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
]
