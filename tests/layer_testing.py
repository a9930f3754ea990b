"""``layer_test``: the checks every layer must pass, in one place (after Keras's ``layer_test``).

``layer_test(layer_factory, input_shape, output_shape, weight_shapes, ...)`` builds a layer
on random data and checks its output shape and dtype, its weights (number, order, shapes,
names, trainable or not), ``get_weights``/``set_weights`` and their errors, the config round
trip through JSON, the difference between training and inference, one backward pass, and a
frozen copy. ``gradcheck_layer`` compares the layer's gradients with finite differences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

import numpy as np
import pytest

import dlcore as dl
from dlcore import random
from dlcore.layers.base import Layer


def layer_test(
    layer_factory: Callable[[], Layer],
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    weight_shapes: Sequence[tuple[int, ...]] = (),
    *,
    weight_names: Sequence[str] | None = None,
    non_trainable: int = 0,
    input_data: np.ndarray | None = None,
    training_changes_output: bool = False,
    dtype: str = "float32",
) -> Layer:
    """Run the common layer checks; return the layer built by the first call.

    ``input_shape`` and ``output_shape`` include the batch size. ``weight_shapes`` (and
    ``weight_names``, without the layer prefix) list the weights in their order; the last
    ``non_trainable`` of them are not trainable. ``input_data`` replaces the random normal
    input (integer ids for Embedding). ``training_changes_output`` is True for the layers
    that behave differently in training (Dropout, BatchNormalization).
    """
    random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape).astype(dtype) if input_data is None else input_data
    layer = layer_factory()
    y = layer(x)
    _check_output(layer, x, y, output_shape, dtype)
    _check_weights(layer, weight_shapes, weight_names, non_trainable, dtype)
    _check_set_weights(layer, rng, dtype)
    _check_config(layer, x)
    _check_training_mode(layer, x, training_changes_output)
    _check_backward(layer_factory(), x, rng, trainable=True)
    _check_backward(layer_factory(), x, rng, trainable=False)
    return layer


def gradcheck_layer(layer: Layer, x: np.ndarray, training: bool = False, **tolerances) -> bool:
    """``dl.gradcheck`` of ``layer(x)`` with respect to x and each trainable weight.

    The layer must be float64 (``dtype='float64'``). Each weight is found by the attribute
    that holds it (``layer.kernel``, ...); during the check that attribute holds the
    perturbed copy gradcheck differentiates.
    """
    x = np.asarray(x, dtype=np.float64)
    if not layer.built:
        layer.build_for(x.shape)
    weights = layer.trainable_weights
    attributes = [_attribute_holding(layer, weight) for weight in weights]

    def forward(inputs, *values):
        saved = [getattr(layer, name) for name in attributes]
        for name, value in zip(attributes, values, strict=True):
            setattr(layer, name, value)
        try:
            return layer(inputs, training=training)
        finally:
            for name, value in zip(attributes, saved, strict=True):
                setattr(layer, name, value)

    copies = [dl.tensor(weight.data.copy(), requires_grad=True) for weight in weights]
    return dl.gradcheck(forward, dl.tensor(x, requires_grad=True), *copies, **tolerances)


def _attribute_holding(layer: Layer, weight: dl.Tensor) -> str:
    return next(name for name, value in vars(layer).items() if value is weight)


def _check_output(layer, x, y, output_shape, dtype) -> None:
    assert isinstance(y, dl.Tensor)
    assert y.shape == tuple(output_shape)
    assert y.dtype == np.dtype(dtype)
    batchless_in, batchless_out = (None, *np.shape(x)[1:]), (None, *tuple(output_shape)[1:])
    assert layer.built
    assert layer.input_shape == batchless_in
    assert layer.output_shape == batchless_out
    assert tuple(layer.compute_output_shape(batchless_in)) == batchless_out


def _check_weights(layer, weight_shapes, weight_names, non_trainable, dtype) -> None:
    weights = layer.weights
    assert [w.shape for w in weights] == [tuple(s) for s in weight_shapes]
    assert all(w.dtype == np.dtype(dtype) for w in weights)
    if weight_names is not None:
        assert layer.weight_names == [f"{layer.name}/{name}" for name in weight_names]
    split = len(weights) - non_trainable
    assert [id(w) for w in layer.trainable_weights] == [id(w) for w in weights[:split]]
    assert [id(w) for w in layer.non_trainable_weights] == [id(w) for w in weights[split:]]
    assert all(w.requires_grad for w in weights[:split])
    assert not any(w.requires_grad for w in weights[split:])
    assert layer.count_params() == sum(w.size for w in weights)


def _check_set_weights(layer, rng, dtype) -> None:
    values = [rng.uniform(0.5, 1.5, w.shape).astype(dtype) for w in layer.weights]
    layer.set_weights(values)
    got = layer.get_weights()
    for array, value in zip(got, values, strict=True):
        np.testing.assert_array_equal(array, value)
        array += 1  # get_weights returns copies
    for array, value in zip(layer.get_weights(), values, strict=True):
        np.testing.assert_array_equal(array, value)
    name = re.escape(repr(layer.name))
    with pytest.raises(ValueError, match=rf"{name}.*{len(values)} weights.*got {len(values) + 1}"):
        layer.set_weights([*values, np.zeros(1)])
    if values:
        first = layer.weight_names[0].split("/", 1)[1]
        wrong = [np.zeros((*values[0].shape, 2)), *values[1:]]
        with pytest.raises(ValueError, match=rf"{name}.*{re.escape(repr(first))}.*shape"):
            layer.set_weights(wrong)
        for array, value in zip(layer.get_weights(), values, strict=True):
            np.testing.assert_array_equal(array, value)  # nothing written on error


def _check_config(layer, x) -> None:
    config = layer.get_config()
    text = json.dumps(config)
    rebuilt = type(layer).from_config(json.loads(text))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config
    assert not rebuilt.built
    rebuilt(x)
    rebuilt.set_weights(layer.get_weights())
    np.testing.assert_array_equal(rebuilt(x).data, layer(x).data)


def _check_training_mode(layer, x, changes_output) -> None:
    random.seed(1)
    inference = layer(x, training=False).data.copy()
    training = layer(x, training=True).data
    assert training.shape == inference.shape
    if changes_output:
        assert not np.allclose(training, inference)
    else:
        np.testing.assert_array_equal(training, inference)


def _check_backward(layer, x, rng, trainable: bool) -> None:
    """One backward pass of sum(upstream * y): finite gradients of the right shapes."""
    layer.trainable = trainable
    floating = np.issubdtype(np.asarray(x).dtype, np.floating)
    inputs = dl.tensor(x, requires_grad=floating, dtype=np.asarray(x).dtype)
    y = layer(inputs, training=True)
    if trainable:
        assert [id(w) for w in layer.trainable_weights] == [
            id(w) for w in layer.weights if w.requires_grad
        ]
    else:
        assert layer.trainable_weights == []
        assert len(layer.non_trainable_weights) == len(layer.weights)
    if y.requires_grad:
        upstream = rng.standard_normal(y.shape).astype(y.dtype)
        (y * upstream).sum().backward()
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.shape == weight.shape
        assert weight.grad.dtype == weight.dtype
        assert np.all(np.isfinite(weight.grad))
    assert all(weight.grad is None for weight in layer.non_trainable_weights)
    if floating:
        assert inputs.grad is not None and inputs.grad.shape == inputs.shape
        assert inputs.grad.dtype == inputs.dtype
        assert np.all(np.isfinite(inputs.grad))
