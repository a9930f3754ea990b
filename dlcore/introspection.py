"""Look inside a model: what each layer outputs, which gradients flow back, what LSTM gates do.

Every function returns plain numpy arrays (the plots in ``dlcore.plot`` draw them) and
leaves the model as it found it: weights, batch-norm statistics, optimizer state and the
weights' ``.grad`` are the same after the call as before.

The model functions work on models whose layers run one after another (``Sequential``):
layer ``k`` receives the output of layer ``k - 1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import no_grad
from .layers.recurrent import LSTM
from .tensor import Tensor, as_array, tensor

GATE_NAMES = ("input", "forget", "cell", "output")


def layer_outputs(model: Any, x: Any) -> list[tuple[str, np.ndarray]]:
    """``[(layer name, output array), ...]`` for input ``x``, one forward pass in inference mode.

    The arrays have the layer's output shape with ``x``'s batch size, e.g. ``(n, 26, 26, 8)``
    after a ``Conv2D(8, 3)`` on ``(n, 28, 28, 1)`` images.
    """
    layers = _stacked_layers(model, "layer_outputs")
    signal = _prepared_input(model, x)
    outputs = []
    with no_grad():
        for layer in layers:
            signal = layer(signal, training=False)
            outputs.append((layer.name, signal.data))
    return outputs


def layer_gradients(model: Any, x: Any, y: Any,
                    training: bool = False) -> list[tuple[str, np.ndarray]]:
    """``[(layer name, d loss / d layer output), ...]``: the signal backpropagated to each layer.

    The loss is the compiled model's loss averaged over the batch, as ``fit`` computes it,
    so every array has the shape of that layer's output. ``training=True`` runs the forward
    pass as ``fit`` does (dropout active, batch norm on batch statistics); the default is
    inference mode. Nothing in the model is changed.
    """
    output_gradients, _ = _backpropagate(model, x, y, training, "layer_gradients")
    return output_gradients


def weight_gradients(model: Any, x: Any, y: Any,
                     training: bool = False) -> list[tuple[str, np.ndarray]]:
    """``[("layer/weight", d loss / d weight), ...]`` for every trainable weight; no update.

    The loss and the ``training`` flag are as in ``layer_gradients``. Frozen layers
    (``trainable = False``) and non-trainable weights (batch-norm statistics) are left out.
    """
    _, gradients = _backpropagate(model, x, y, training, "weight_gradients")
    return gradients


def lstm_gate_activations(layer: LSTM, x: Any) -> dict[str, np.ndarray]:
    """Every gate value of a built LSTM layer on ``x (batch, time, features)``, step by step.

    Returns ``input``, ``forget``, ``cell`` (the candidate ``tanh(z_c)``), ``output``,
    ``cell_state`` and ``hidden``, each ``(batch, time, units)``. They are recomputed in
    float64 numpy from the layer's weights with the formulas of ``dlcore.layers.LSTM``
    (gate blocks i, f, c, o; zero initial states), so ``hidden`` equals the layer's own
    output with ``return_sequences=True``.
    """
    function = "lstm_gate_activations"
    if not isinstance(layer, LSTM):
        raise TypeError(f"{function} expects a dlcore.layers.LSTM layer, got "
                        f"{type(layer).__name__}; pass the layer itself, e.g. model.layers[0]")
    if not layer.built:
        raise ValueError(f"{function}: the LSTM layer {layer.name!r} has no weights yet; call "
                         "it on data (or fit the model) first, e.g. layer(x)")
    x = np.asarray(as_array(x), dtype=np.float64)
    features = layer.input_shape[-1]
    if x.ndim != 3 or x.shape[-1] != features:
        raise ValueError(f"{function} expects x of shape (batch, time, {features}) for layer "
                         f"{layer.name!r}, got shape {x.shape}; a single sequence needs a batch "
                         "axis: x[None]")
    kernel = layer.kernel.data.astype(np.float64)
    recurrent_kernel = layer.recurrent_kernel.data.astype(np.float64)
    bias = 0.0 if layer.bias is None else layer.bias.data.astype(np.float64)
    batch, steps, _ = x.shape
    record = {name: np.empty((batch, steps, layer.units))
              for name in (*GATE_NAMES, "cell_state", "hidden")}
    hidden = np.zeros((batch, layer.units))
    cell_state = np.zeros((batch, layer.units))
    input_part = x @ kernel + bias
    for t in range(steps):
        z_input, z_forget, z_cell, z_output = np.split(
            input_part[:, t] + hidden @ recurrent_kernel, 4, axis=1)
        gates = (_sigmoid(z_input), _sigmoid(z_forget), np.tanh(z_cell), _sigmoid(z_output))
        input_gate, forget_gate, candidate, output_gate = gates
        cell_state = forget_gate * cell_state + input_gate * candidate
        hidden = output_gate * np.tanh(cell_state)
        for name, value in zip(GATE_NAMES, gates, strict=True):
            record[name][:, t] = value
        record["cell_state"][:, t] = cell_state
        record["hidden"][:, t] = hidden
    return record


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + e**-z)``, written as ``(1 + tanh(z / 2)) / 2``, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _stacked_layers(model: Any, function: str) -> list:
    """The model's layers, which must be a non-empty list run one after another."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not layers:
        raise TypeError(f"{function} expects a dlcore model with layers (e.g. Sequential), got "
                        f"{type(model).__name__}" + ("" if layers is None else
                                                     " without layers; add some with .add()"))
    return layers


def _prepared_input(model: Any, x: Any) -> np.ndarray:
    """``x`` as an array, after building the model for it if it was not built yet."""
    x = as_array(x)
    if not model.built:
        model.build(x.shape)
    return x


def _backpropagate(model: Any, x: Any, y: Any, training: bool,
                   function: str) -> tuple[list[tuple[str, np.ndarray]],
                                           list[tuple[str, np.ndarray]]]:
    """Gradients of the mean loss with respect to each layer's output and each trainable weight.

    The forward pass is cut after every layer: the next layer receives a fresh leaf tensor
    holding the output, so backward stops there and leaves the gradient in the leaf's
    ``.grad``. Going from the last layer to the first, ``output.backward(d loss / d output)``
    then fills the layer's input leaf and weights: the chain rule, one layer at a time.
    Weight penalties (``kernel_regularizer``) add their gradients to the weights' at the end.
    """
    layers = _stacked_layers(model, function)
    if getattr(model, "loss", None) is None:
        raise ValueError(f"{function} needs the model's loss: compile the model first, e.g. "
                         "model.compile(optimizer='adam', loss='categorical_crossentropy')")
    x = _prepared_input(model, x)
    saved_values = [weight.data.copy() for weight in model.weights]
    saved_grads = [weight.grad for weight in model.weights]
    for weight in model.weights:
        weight.grad = None
    try:
        inputs: list[Any] = []
        outputs: list[Tensor] = []
        signal: Any = x
        for layer in layers:
            inputs.append(signal)
            outputs.append(layer(signal, training=training))
            signal = tensor(outputs[-1].data, requires_grad=True)
        model.loss(as_array(y), signal).mean().backward()
        upstream = signal.grad
        output_gradients = []
        for layer, layer_input, output in zip(reversed(layers), reversed(inputs),
                                              reversed(outputs), strict=True):
            output_gradients.append((layer.name, upstream))
            if output.requires_grad:
                output.backward(upstream)
            if isinstance(layer_input, Tensor):
                upstream = (np.zeros_like(layer_input.data) if layer_input.grad is None
                            else layer_input.grad)
        for penalty in model.losses:  # weight penalties (kernel_regularizer) are in the loss
            if penalty.requires_grad:
                penalty.backward()
        weight_gradients = [
            (name, np.zeros_like(weight.data) if weight.grad is None else weight.grad)
            for layer in layers
            for name, weight in zip(layer.weight_names, layer.weights, strict=True)
            if any(weight is trainable for trainable in layer.trainable_weights)
        ]
    finally:
        for weight, value, grad in zip(model.weights, saved_values, saved_grads, strict=True):
            weight.data[...] = value
            weight.grad = grad
    return output_gradients[::-1], weight_gradients
