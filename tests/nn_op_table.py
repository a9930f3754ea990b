"""Every differentiable nn op and every layer, listed once; ``test_nn_op_table.py`` generates
the checks from this table (after PyTorch's OpInfo).

An entry (``NNOp``) says how to call the op on dlcore Tensors, a few float64 samples (the
tests derive the float32, non-contiguous and other variants), the numpy reference of the
value and, where one exists, of the gradients, the PyTorch twin, what an empty batch gives
(an empty output of a known shape, or an error) and the bad inputs with the error each one
raises. Adding an op means adding one entry. The grids of the per-op test files
(``test_conv.py``, ...) are not repeated: a few samples per op serve these properties.

Ops take ``op(*tensors, **params)``: ``tensors`` are the inputs that get gradients, in the
order of ``Sample.arrays``; ``params`` the fixed arguments (ids, labels, flags, sizes).
References take the same arrays and params; ``reference_grads(g, *arrays, **params)``
returns one gradient per array for the upstream gradient ``g``; torch twins take
``(torch, *torch_tensors, **params)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import dlcore as dl
import dlcore.functional as F
from dlcore import activations, layers, random
from dlcore.kernels import activations as relu_kernels
from dlcore.kernels import batch_norm as bn_kernels
from dlcore.kernels import conv as conv_kernels
from dlcore.kernels import dropout as dropout_kernels
from dlcore.kernels import embedding as embedding_kernels
from dlcore.kernels import pooling as pool_kernels
from dlcore.kernels import recurrent as recurrent_kernels
from dlcore.kernels import softmax as softmax_kernels
from tests.layer_testing import _attribute_holding
from tests.op_table import make_values
from tests.oracles import keras_geometry
from tests.test_conv import torch_conv2d
from tests.test_pooling import torch_pool

DROPOUT_SEED = 7


@dataclass(frozen=True)
class Sample:
    """One call of an op: ``arrays`` get gradients; ``params`` are passed as they are."""

    name: str
    arrays: tuple[np.ndarray, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def astype(self, dtype: Any) -> Sample:
        """The same call with every floating-point array (params included) in ``dtype``."""

        def cast(value):
            floating = isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)
            return value.astype(dtype) if floating else value

        params = {key: cast(value) for key, value in self.params.items()}
        return replace(self, arrays=tuple(cast(a) for a in self.arrays), params=params)


@dataclass(frozen=True)
class BadInput:
    """``call()`` must raise ``error`` with a message matching the regex ``match``."""

    name: str
    call: Callable[[], Any]
    error: type[Exception]
    match: str


@dataclass(frozen=True)
class Empty:
    """The op takes an empty batch: ``sample`` gives an (empty) output of ``shape``."""

    sample: Sample
    shape: tuple[int, ...]


@dataclass(frozen=True)
class NNOp:
    name: str  # the public name tested: a function of dlcore.functional or a layer class
    variant: str  # what is fixed for this entry ('' when nothing)
    op: Callable[..., dl.Tensor]
    samples: tuple[Sample, ...]
    reference: Callable[..., np.ndarray]
    empty: Empty | BadInput
    reference_grads: Callable[..., tuple[np.ndarray, ...]] | None = None
    torch: Callable[..., Any] | None = None
    bad_inputs: tuple[BadInput, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.name}-{self.variant}" if self.variant else self.name


# ----- sample values ------------------------------------------------------------------------


def normal(seed: int, *shapes: tuple[int, ...], scale: float = 1.0) -> tuple[np.ndarray, ...]:
    """Standard normal float64 arrays of ``shapes`` (times ``scale``), from one seed."""
    rng = np.random.default_rng(seed)
    return tuple(scale * rng.standard_normal(shape) for shape in shapes)


def values(shape: tuple[int, ...], kind: str = "any", distinct: bool = False, seed: int = 0):
    """One array of ``shape`` from ``make_values`` (away from kinks, or without ties)."""
    return make_values(np.random.default_rng(seed), shape, kind, distinct)


def positive(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


def seeded(function: Callable[..., dl.Tensor]) -> Callable[..., dl.Tensor]:
    """``function`` run right after ``dlcore.random.seed(DROPOUT_SEED)``: one mask every call."""

    def call(*args, **kwargs):
        random.seed(DROPOUT_SEED)
        return function(*args, **kwargs)

    return call


def empty(*arrays: np.ndarray, shape: tuple[int, ...], **params) -> Empty:
    return Empty(Sample("empty-batch", arrays, params), shape)


# ----- activations --------------------------------------------------------------------------


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _away_from_zero(shape):
    return values(shape, "away_from_zero")


def _spread(shape):
    """Distinct values in [-3.8, 3.8], none within 0.08 of hard_sigmoid's kinks at +-2.5."""
    return 1.9 * values(shape, distinct=True)


def activation(name, op, value, derivative, torch_fn, sample_values=_away_from_zero) -> NNOp:
    """An elementwise activation: ``y = value(x)``, ``dL/dx = g * derivative(x)``."""
    shapes = {"batch-3": (3, 4), "batch-1": (1, 5), "rank-3": (2, 3, 2)}
    return NNOp(
        name, "", op,
        samples=tuple(Sample(label, (sample_values(shape),)) for label, shape in shapes.items()),
        reference=value,
        reference_grads=lambda g, x: (g * derivative(x),),
        torch=lambda torch, x: torch_fn(torch, x),
        empty=empty(np.zeros((0, 4)), shape=(0, 4)),
    )


def _elu_derivative(x, alpha=1.0):
    return np.where(x > 0, 1.0, alpha * np.exp(x))


ACTIVATIONS = [
    activation("relu", F.relu, relu_kernels.relu_forward_reference, lambda x: x > 0,
               lambda torch, x: torch.relu(x)),
    activation("sigmoid", F.sigmoid, _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
               lambda torch, x: torch.sigmoid(x), values),
    activation("tanh", F.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2,
               lambda torch, x: torch.tanh(x), values),
    activation("elu", activations.elu, lambda x: np.where(x > 0, x, np.expm1(x)),
               _elu_derivative, lambda torch, x: torch.nn.functional.elu(x)),
    activation("selu", activations.selu,
               lambda x: activations.SELU_SCALE * np.where(
                   x > 0, x, activations.SELU_ALPHA * np.expm1(x)),
               lambda x: activations.SELU_SCALE * _elu_derivative(x, activations.SELU_ALPHA),
               lambda torch, x: torch.nn.functional.selu(x)),
    activation("softplus", activations.softplus, lambda x: np.logaddexp(0, x), _sigmoid,
               lambda torch, x: torch.nn.functional.softplus(x), values),
    activation("softsign", activations.softsign, lambda x: x / (1 + np.abs(x)),
               lambda x: 1 / (1 + np.abs(x)) ** 2,
               lambda torch, x: torch.nn.functional.softsign(x)),
    activation("hard_sigmoid", activations.hard_sigmoid,
               lambda x: np.clip(0.2 * x + 0.5, 0, 1), lambda x: 0.2 * (np.abs(x) < 2.5),
               lambda torch, x: torch.clamp(0.2 * x + 0.5, 0, 1), _spread),
    activation("exponential", activations.exponential, np.exp, np.exp,
               lambda torch, x: torch.exp(x), values),
]


# ----- the softmax family -------------------------------------------------------------------


def _along(function, *arrays, axis):
    """``function`` of arrays whose last axis is ``axis``, moved there and back."""
    result = function(*(np.moveaxis(a, axis, -1) for a in arrays))
    return np.moveaxis(result, -1, axis)


def _softmax_family(name, op, value_reference, backward_reference, torch_name, bad_inputs):
    def grads(g, x, axis):
        def along_last(g_last, x_last):
            return backward_reference(softmax_kernels.softmax_forward_reference(x_last), g_last)

        return (_along(along_last, g, x, axis=axis),)

    return NNOp(
        name, "", lambda x, axis: op(x, axis=axis),
        samples=(Sample("rows", normal(1, (3, 4)), {"axis": -1}),
                 Sample("middle-axis", normal(2, (2, 3, 4)), {"axis": 1}),
                 Sample("batch-1", normal(3, (1, 5)), {"axis": -1})),
        reference=lambda x, axis: _along(value_reference, x, axis=axis),
        reference_grads=grads,
        torch=lambda torch, x, axis: getattr(torch, torch_name)(x, axis),
        empty=empty(np.zeros((0, 4)), shape=(0, 4), axis=-1),
        bad_inputs=bad_inputs,
    )


def _cross_entropy_grads(g, logits, labels):
    _, s = softmax_kernels.softmax_cross_entropy_forward_reference(logits, labels)
    return (softmax_kernels.softmax_cross_entropy_backward_reference(s, labels, g),)


SOFTMAX = [
    _softmax_family(
        "softmax", F.softmax, softmax_kernels.softmax_forward_reference,
        softmax_kernels.softmax_backward_reference, "softmax",
        (BadInput("axis-out-of-range", lambda: F.softmax(np.ones((2, 3)), axis=2), ValueError,
                  r"softmax: axis 2 is out of range for x of shape \(2, 3\)"),
         BadInput("float-axis", lambda: F.softmax(np.ones((2, 3)), axis=1.0), TypeError,
                  "axis must be an int, got 1.0"),
         BadInput("integer-tensor", lambda: F.softmax(dl.tensor([[1, 2]], dtype="int64")),
                  TypeError, "softmax expects floating-point input, got dtype int64"))),
    _softmax_family(
        "log_softmax", F.log_softmax, softmax_kernels.log_softmax_forward_reference,
        softmax_kernels.log_softmax_backward_reference, "log_softmax",
        (BadInput("scalar", lambda: F.log_softmax(np.float64(1.0)), ValueError,
                  r"needs an axis to normalise over, got a scalar"),
         BadInput("empty-axis", lambda: F.log_softmax(np.ones((3, 0))), ValueError,
                  r"axis 1 of x \(shape \(3, 0\)\) is empty"))),
    NNOp(
        "softmax_cross_entropy", "", F.softmax_cross_entropy,
        samples=(Sample("batch-4", normal(4, (4, 3)), {"labels": np.array([0, 2, 1, 2])}),
                 Sample("batch-1", normal(5, (1, 5)), {"labels": np.array([4])})),
        reference=lambda z, labels:
            softmax_kernels.softmax_cross_entropy_forward_reference(z, labels)[0],
        reference_grads=_cross_entropy_grads,
        torch=lambda torch, z, labels: torch.nn.functional.cross_entropy(
            z, torch.as_tensor(labels), reduction="none"),
        empty=empty(np.zeros((0, 3)), shape=(0,), labels=np.zeros(0, np.int64)),
        bad_inputs=(
            BadInput("float-labels",
                     lambda: F.softmax_cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])),
                     TypeError, "integer class labels, got dtype float64"),
            BadInput("label-out-of-range",
                     lambda: F.softmax_cross_entropy(np.ones((2, 3)), np.array([0, 3])),
                     ValueError, r"labels must lie in \[0, 3\).*from 0 to 3"),
            BadInput("one-hot-labels",
                     lambda: F.softmax_cross_entropy(np.ones((2, 3)), np.eye(3)[:2].astype(int)),
                     ValueError, r"labels of shape \(2,\).*got shape \(2, 3\)"),
            BadInput("vector-logits",
                     lambda: F.softmax_cross_entropy(np.ones(3), np.array([0])),
                     ValueError, r"logits of shape \(batch, classes\), got shape \(3,\)"),
        ),
    ),
]


# ----- linear, dropout, batch normalization -------------------------------------------------


def _linear_reference(x, kernel, bias=None):
    return x @ kernel + (0.0 if bias is None else bias)


def _linear_grads(g, x, kernel, bias=None):
    x_rows, g_rows = x.reshape(-1, x.shape[-1]), g.reshape(-1, g.shape[-1])
    return (g @ kernel.T, x_rows.T @ g_rows, g_rows.sum(axis=0))[: 2 if bias is None else 3]


def _torch_linear(torch, x, kernel, bias=None):
    return torch.nn.functional.linear(x, kernel.T, bias)


def _kept(shape, rate):
    """The keep-mask of the seeded dropout for inputs of ``shape``, read off a run on ones."""
    return seeded(F.dropout)(np.ones(shape), rate, True).data != 0


def _dropout_reference(x, rate):
    return dropout_kernels.dropout_apply_mask_reference(x, _kept(x.shape, rate), 1 / (1 - rate))


def _dropout_grads(g, x, rate):
    return (dropout_kernels.dropout_apply_mask_reference(g, _kept(x.shape, rate), 1 / (1 - rate)),)


def _batch_norm_op(training):
    def call(x, gamma, beta, *, moving_mean, moving_variance, momentum=0.99, epsilon=1e-3):
        return F.batch_norm(x, gamma, beta, moving_mean.copy(), moving_variance.copy(),
                            training, momentum, epsilon)

    return call


def _batch_norm_reference(training):
    def value(x, gamma, beta, *, moving_mean, moving_variance, momentum=0.99, epsilon=1e-3):
        return bn_kernels.batch_norm_forward_reference(
            x, gamma, beta, moving_mean, moving_variance, training, momentum, epsilon)[0]

    return value


def _batch_norm_grads(training):
    def grads(g, x, gamma, beta, *, moving_mean, moving_variance, momentum=0.99, epsilon=1e-3):
        return bn_kernels.batch_norm_backward_reference(
            x, g, gamma, moving_mean, moving_variance, training, epsilon)

    return grads


def _torch_batch_norm(training):
    def twin(torch, x, gamma, beta, *, moving_mean, moving_variance, momentum=0.99,
             epsilon=1e-3):
        y = torch.nn.functional.batch_norm(
            x.movedim(-1, 1), torch.tensor(moving_mean), torch.tensor(moving_variance), gamma,
            beta, training, 1 - momentum, epsilon)
        return y.movedim(1, -1)

    return twin


def _bn_sample(name, seed, shape, **params):
    features = shape[-1]
    x, gamma, beta, mean = normal(seed, shape, (features,), (features,), (features,))
    statistics = {"moving_mean": mean, "moving_variance": positive(seed, (features,))}
    return Sample(name, (x, gamma, beta), {**statistics, **params})


def _bn_empty(training):
    sample = _bn_sample("empty-batch", 0, (0, 3))
    if not training:
        return Empty(sample, (0, 3))
    return BadInput("empty-batch-training",
                    lambda: F.batch_norm(*sample.arrays, training=True, **sample.params),
                    ValueError, r"in training needs at least one sample.*\(0, 3\)")


def _batch_norm(training):
    variant = "training" if training else "inference"
    bn_params = {"momentum": 0.9, "epsilon": 1e-2}
    return NNOp(
        "batch_norm", variant, _batch_norm_op(training),
        samples=(_bn_sample("features", 10, (6, 3), **bn_params),
                 _bn_sample("images", 11, (2, 3, 3, 2), **bn_params),
                 _bn_sample("images-batch-1", 12, (1, 2, 2, 3), **bn_params)),
        reference=_batch_norm_reference(training),
        reference_grads=_batch_norm_grads(training),
        torch=_torch_batch_norm(training),
        empty=_bn_empty(training),
        bad_inputs=(
            BadInput("momentum", lambda: F.batch_norm(np.ones((2, 3)), None, None, np.zeros(3),
                                                      np.ones(3), training, momentum=1.5),
                     ValueError, r"momentum must be in \[0, 1\], got 1.5"),
            BadInput("statistics-shape", lambda: F.batch_norm(np.ones((2, 3)), None, None,
                                                              np.zeros(4), np.ones(3), training),
                     ValueError, r"moving_mean must have shape \(3,\).*got shape \(4,\)"),
            BadInput("rank-1", lambda: F.batch_norm(np.ones(3), None, None, np.zeros(3),
                                                    np.ones(3), training),
                     ValueError, r"rank >= 2\), got shape \(3,\)"),
            BadInput("training-flag", lambda: F.batch_norm(np.ones((2, 3)), None, None,
                                                           np.zeros(3), np.ones(3), "yes"),
                     TypeError, "training must be True or False, got 'yes'"),
        ) + ((BadInput("read-only-statistics",
                       lambda: F.batch_norm(np.ones((2, 3)), None, None, (0.0, 0.0, 0.0),
                                            np.ones(3), True),
                       TypeError, "moving_mean must be a writable numpy array"),)
             if training else ()),
    )


def _dropout(training):
    if training:
        op, reference, grads, twin = (seeded(lambda x, rate: F.dropout(x, rate, True)),
                                      _dropout_reference, _dropout_grads, None)
    else:
        op, reference, grads = (lambda x, rate: F.dropout(x, rate, False), lambda x, rate: x,
                                lambda g, x, rate: (g,))

        def twin(torch, x, rate):
            return torch.nn.functional.dropout(x, rate, training=False)

    return NNOp(
        "dropout", "training" if training else "inference", op,
        samples=(Sample("batch-4", normal(20, (4, 5)), {"rate": 0.4}),
                 Sample("batch-1", normal(21, (1, 6)), {"rate": 0.5})),
        reference=reference, reference_grads=grads, torch=twin,
        empty=empty(np.zeros((0, 5)), shape=(0, 5), rate=0.4),
        bad_inputs=(
            BadInput("rate-1", lambda: F.dropout(np.ones(3), 1.0, training), ValueError,
                     r"0 <= rate < 1 .*got 1.0"),
            BadInput("rate-text", lambda: F.dropout(np.ones(3), "half", training), TypeError,
                     "rate must be a number in"),
            BadInput("training-flag", lambda: F.dropout(np.ones(3), 0.5, 1), TypeError,
                     "training must be True or False, got 1"),
        ),
    )


DENSE_OPS = [
    NNOp(
        "linear", "", F.linear,
        samples=(Sample("batch-4", normal(30, (4, 3), (3, 2), (2,))),
                 Sample("leading-axes", normal(31, (2, 3, 3), (3, 2), (2,))),
                 Sample("batch-1-no-bias", normal(32, (1, 3), (3, 2)))),
        reference=_linear_reference, reference_grads=_linear_grads, torch=_torch_linear,
        empty=empty(*normal(33, (0, 3), (3, 2), (2,)), shape=(0, 2)),
        bad_inputs=(
            BadInput("feature-count", lambda: F.linear(np.ones((2, 4)), np.ones((3, 2))),
                     ValueError, r"last axis of x must have the kernel's input_dim 3, got x of "
                     r"shape \(2, 4\)"),
            BadInput("image-input", lambda: F.linear(np.ones((2, 2, 2)), np.ones((4, 2))),
                     ValueError, r"flatten it first"),
            BadInput("kernel-rank", lambda: F.linear(np.ones((2, 3)), np.ones(3)), ValueError,
                     r"kernel of shape \(input_dim, units\), got shape \(3,\)"),
            BadInput("bias-shape", lambda: F.linear(np.ones((2, 3)), np.ones((3, 2)),
                                                    np.ones(3)),
                     ValueError, r"bias of shape \(2,\).*got shape \(3,\)"),
            BadInput("integer-tensor", lambda: F.linear(dl.tensor([[1, 2]], dtype="int64"),
                                                        np.ones((2, 2))),
                     TypeError, "linear expects a floating-point x, got dtype int64"),
        ),
    ),
    _dropout(True),
    _dropout(False),
    _batch_norm(True),
    _batch_norm(False),
]


# ----- convolution and pooling --------------------------------------------------------------


def _conv_reference(x, kernel, bias=None, strides=1, padding="valid"):
    _, steps, pads, out_size, _ = keras_geometry(x.shape, kernel.shape[:2], strides, padding)
    return conv_kernels.conv2d_forward_reference(x, kernel, bias, steps, pads, out_size)


def _conv_grads(g, x, kernel, bias=None, strides=1, padding="valid"):
    _, steps, pads, _, _ = keras_geometry(x.shape, kernel.shape[:2], strides, padding)
    grads = conv_kernels.conv2d_backward_reference(g, x, kernel, steps, pads)
    return grads[: 2 if bias is None else 3]


def _torch_conv(torch, x, kernel, bias=None, strides=1, padding="valid"):
    return torch_conv2d(torch, x, kernel, bias, strides, padding)


def _pool_geometry(x, pool_size, strides=None, padding="valid"):
    """``(pool, strides, pads, out_size)`` as the pooling kernels take them."""
    return keras_geometry(x.shape, pool_size, strides, padding)[:4]


def _pooling(name, op, kind):
    forward = getattr(pool_kernels, f"{name}_forward_reference")
    backward = getattr(pool_kernels, f"{name}_backward_reference")
    distinct = kind == "max"  # no ties: each window has one clear maximum
    return NNOp(
        name, "", op,
        samples=(Sample("2x2", (values((2, 4, 4, 2), distinct=distinct, seed=40),),
                        {"pool_size": 2}),
                 Sample("3x3-stride-2-same", (values((1, 5, 5, 2), distinct=distinct, seed=41),),
                        {"pool_size": 3, "strides": 2, "padding": "same"}),
                 Sample("batch-1-2x3-stride-1x2", (values((1, 4, 6, 1), distinct=distinct),),
                        {"pool_size": (2, 3), "strides": (1, 2)})),
        reference=lambda x, **params: forward(x, *_pool_geometry(x, **params)),
        reference_grads=lambda g, x, **params: (backward(x, g, *_pool_geometry(x, **params)),),
        torch=lambda torch, x, pool_size, strides=None, padding="valid":
            torch_pool(torch, kind, x, pool_size, strides, padding),
        empty=empty(np.zeros((0, 5, 4, 2)), shape=(0, 3, 2, 2), pool_size=2, padding="same"),
        bad_inputs=(
            BadInput("pool-larger-than-x", lambda: op(np.ones((1, 2, 5, 1)), 3), ValueError,
                     rf"{name}: pool_size \(3, 3\) is larger than the input \(2 rows\)"),
            BadInput("zero-strides", lambda: op(np.ones((1, 4, 4, 1)), 2, strides=0), ValueError,
                     "strides must be positive, got 0"),
            BadInput("pool-triple", lambda: op(np.ones((1, 4, 4, 1)), (2, 2, 2)), TypeError,
                     r"pool_size must be an int or a pair of ints, got \(2, 2, 2\)"),
            BadInput("rank-3", lambda: op(np.ones((4, 4, 1)), 2), ValueError,
                     r"x of rank 4 \(batch, rows, cols, channels\), got shape \(4, 4, 1\)"),
        ),
    )


IMAGE_OPS = [
    NNOp(
        "conv2d", "", F.conv2d,
        samples=(Sample("same", normal(50, (2, 4, 4, 2), (3, 3, 2, 3), (3,)),
                        {"padding": "same"}),
                 Sample("valid-strides-2x1", normal(51, (1, 5, 4, 1), (2, 3, 1, 2), (2,)),
                        {"strides": (2, 1)}),
                 Sample("same-stride-2-no-bias", normal(52, (1, 5, 5, 2), (3, 3, 2, 2)),
                        {"strides": 2, "padding": "same"})),
        reference=_conv_reference, reference_grads=_conv_grads, torch=_torch_conv,
        empty=empty(*normal(53, (0, 5, 4, 2), (3, 3, 2, 2), (2,)), shape=(0, 3, 2, 2),
                    strides=2, padding="same"),
        bad_inputs=(
            BadInput("channels", lambda: F.conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 1, 2))),
                     ValueError, r"expects 1 input channels, but x of shape \(1, 5, 5, 3\) has 3"),
            BadInput("rank-3", lambda: F.conv2d(np.ones((5, 5, 1)), np.ones((3, 3, 1, 2))),
                     ValueError, r"x of rank 4 .*got shape \(5, 5, 1\)"),
            BadInput("float16-tensor",
                     lambda: F.conv2d(dl.tensor(np.ones((1, 3, 3, 1)), dtype="float16"),
                                      dl.tensor(np.ones((1, 1, 1, 1)), dtype="float16")),
                     TypeError, "conv2d.*float16"),
        ),
    ),
    _pooling("max_pool2d", F.max_pool2d, "max"),
    _pooling("avg_pool2d", F.avg_pool2d, "avg"),
]


# ----- embedding and recurrent ops ----------------------------------------------------------


def _embedding_reference(table, ids):
    return embedding_kernels.embedding_forward_reference(table, ids)


def _embedding_grads(g, table, ids):
    return (embedding_kernels.embedding_backward_reference(g, ids, table.shape[0]),)


def _torch_embedding(torch, table, ids):
    return torch.nn.functional.embedding(torch.as_tensor(ids), table)


def _recurrent_saved(name, x, kernel, recurrent_kernel, bias):
    """What ``<name>_forward_reference`` returns, always as a tuple (``hs`` first)."""
    saved = getattr(recurrent_kernels, f"{name}_forward_reference")(
        x, kernel, recurrent_kernel, bias)
    return saved if isinstance(saved, tuple) else (saved,)


def _recurrent_reference(name):
    def value(x, kernel, recurrent_kernel, bias=None, return_sequences=False):
        hs = _recurrent_saved(name, x, kernel, recurrent_kernel, bias)[0]
        return hs[1:].transpose(1, 0, 2) if return_sequences else hs[-1]

    return value


def _recurrent_grads(name):
    def grads(g, x, kernel, recurrent_kernel, bias=None, return_sequences=False):
        saved = _recurrent_saved(name, x, kernel, recurrent_kernel, bias)
        backward = getattr(recurrent_kernels, f"{name}_backward_reference")
        return backward(g, x, kernel, recurrent_kernel, *saved)[: 3 if bias is None else 4]

    return grads


def _torch_recurrent(module_name):
    """The torch module run with our weights (``weight_ih = kernel.T``, ``bias_hh = 0``), so
    that its gradients reach the tensors passed in."""

    def twin(torch, x, kernel, recurrent_kernel, bias=None, return_sequences=False):
        module = getattr(torch.nn, module_name)(
            kernel.shape[0], recurrent_kernel.shape[0], batch_first=True,
            bias=bias is not None, dtype=x.dtype)
        weights = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent_kernel.T}
        if bias is not None:
            weights |= {"bias_ih_l0": bias, "bias_hh_l0": torch.zeros_like(bias)}
        sequence = torch.func.functional_call(module, weights, (x,))[0]
        return sequence if return_sequences else sequence[:, -1]

    return twin


def _recurrent(name, op, gates, module_name, bad_inputs):
    def inputs(seed, batch, steps, units=2, features=2):
        return normal(seed, (batch, steps, features), (features, gates * units),
                      (units, gates * units), (gates * units,), scale=0.6)

    return NNOp(
        name, "", op,
        samples=(Sample("last", inputs(60, 2, 3)),
                 Sample("sequences", inputs(61, 2, 3), {"return_sequences": True}),
                 Sample("batch-1-no-bias", inputs(62, 1, 4)[:3])),
        reference=_recurrent_reference(name), reference_grads=_recurrent_grads(name),
        torch=_torch_recurrent(module_name),
        empty=empty(*inputs(63, 0, 3), shape=(0, 2)),
        bad_inputs=bad_inputs,
    )


SEQUENCE_OPS = [
    NNOp(
        "embedding", "", lambda table, ids: F.embedding(ids, table),
        samples=(Sample("repeated-ids", normal(70, (6, 3)), {"ids": np.array([[0, 3, 3],
                                                                                [5, 0, 1]])}),
                 Sample("batch-1", normal(71, (6, 3)), {"ids": np.array([[2, 2]])}),
                 Sample("flat-ids", normal(72, (6, 3)), {"ids": np.array([1, 4, 1, 1])})),
        reference=_embedding_reference, reference_grads=_embedding_grads,
        torch=_torch_embedding,
        empty=empty(np.ones((6, 3)), shape=(0, 2, 3), ids=np.zeros((0, 2), np.int64)),
        bad_inputs=(
            BadInput("float-ids", lambda: F.embedding(np.array([0.0, 1.0]), np.ones((3, 2))),
                     TypeError, "embedding expects integer ids, got dtype float64"),
            BadInput("id-out-of-range", lambda: F.embedding(np.array([0, 3]), np.ones((3, 2))),
                     ValueError, r"ids must lie in \[0, 3\).*from 0 to 3"),
            BadInput("table-rank", lambda: F.embedding(np.array([0]), np.ones((3, 2, 1))),
                     ValueError, r"table of shape \(input_dim, output_dim\), got shape "
                     r"\(3, 2, 1\)"),
        ),
    ),
    _recurrent("simple_rnn", F.simple_rnn, 1, "RNN", (
        BadInput("no-timesteps", lambda: F.simple_rnn(np.ones((1, 0, 2)), np.ones((2, 3)),
                                                      np.ones((3, 3))),
                 ValueError, r"simple_rnn needs at least one timestep, got x of shape "
                 r"\(1, 0, 2\)"),
        BadInput("recurrent-kernel", lambda: F.simple_rnn(np.ones((1, 2, 2)), np.ones((2, 3)),
                                                          np.ones((2, 3))),
                 ValueError, r"recurrent_kernel of shape \(units, units\) = \(3, 3\)"),
    )),
    _recurrent("lstm", F.lstm, 4, "LSTM", (
        BadInput("kernel-width", lambda: F.lstm(np.ones((1, 3, 2)), np.ones((2, 10)),
                                                np.ones((3, 12))),
                 ValueError, r"4 gate blocks .*got kernel of shape \(2, 10\)"),
        BadInput("return-sequences-flag", lambda: F.lstm(np.ones((1, 3, 2)), np.ones((2, 12)),
                                                         np.ones((3, 12)), return_sequences=1),
                 TypeError, "return_sequences must be True or False, got 1"),
        BadInput("sequence-rank", lambda: F.lstm(np.ones((3, 2)), np.ones((2, 12)),
                                                 np.ones((3, 12))),
                 ValueError, r"x of shape \(batch, timesteps, features\), got shape \(3, 2\)"),
    )),
]


# ----- layers -------------------------------------------------------------------------------


def layer_op(factory: Callable[..., Any], training: bool = False) -> Callable[..., dl.Tensor]:
    """A layer as an op: ``op(x, *weights, ids=None, **state)``.

    Each call builds a fresh layer (``factory(dtype=...)``) in the dtype of the first array,
    puts the Tensors ``weights`` in place of its trainable weights (in order, so that the
    gradients reach them) and sets the non-trainable ones named in ``state``. With ``ids``
    (Embedding) the ids are the input and every array is a weight.
    """

    def call(*arrays, ids=None, **state):
        x, weights = (arrays[0], arrays[1:]) if ids is None else (ids, arrays)
        layer = factory(dtype=arrays[0].dtype.name)
        layer.build_for(x.shape)
        for name, value in state.items():
            getattr(layer, name).data[...] = value
        for weight, value in zip(layer.trainable_weights, weights, strict=True):
            setattr(layer, _attribute_holding(layer, weight), value)
        return layer(x, training=training)

    return call


def _built(layer, shape):
    layer(np.zeros(shape))
    return layer


def _batch_normalization(training):
    return NNOp(
        "BatchNormalization", "training" if training else "inference",
        layer_op(layers.BatchNormalization, training),
        samples=(_bn_sample("images", 80, (2, 2, 3, 2)), _bn_sample("features", 81, (5, 3))),
        reference=_batch_norm_reference(training), reference_grads=_batch_norm_grads(training),
        torch=_torch_batch_norm(training),
        empty=(Empty(_bn_sample("empty-batch", 82, (0, 3)), (0, 3)) if not training else
               BadInput("empty-batch-training",
                        lambda: layers.BatchNormalization()(np.zeros((0, 3)), training=True),
                        ValueError, r"in training needs at least one sample")),
        bad_inputs=(BadInput("rank-1", lambda: layers.BatchNormalization()(np.zeros(3)),
                             ValueError,
                             r"\(BatchNormalization\) expects axis=-1 .*shape \(None,\)"),),
    )


def _pooling_layer(layer_class, name, params, sample, shape):
    return NNOp(
        layer_class.__name__, "", layer_op(lambda **kw: layer_class(**params, **kw)),
        samples=(Sample("images", (sample,)),),
        reference=lambda x: getattr(pool_kernels, f"{name}_forward_reference")(
            x, *_pool_geometry(x, **params)),
        torch=lambda torch, x: torch_pool(torch, name[:3], x, params["pool_size"],
                                          params.get("strides"), params.get("padding", "valid")),
        empty=Empty(Sample("empty-batch", (np.zeros((0, *sample.shape[1:])),)), shape),
        bad_inputs=(BadInput("rank-3", lambda: layer_class()(np.zeros((4, 4, 1))), ValueError,
                             r"For one-channel images add a channel axis"),),
    )


def _recurrent_layer(layer_class, name, gates, module_name, return_sequences):
    def factory(**kwargs):
        return layer_class(2, return_sequences=return_sequences, **kwargs)

    fixed = {"return_sequences": return_sequences}
    x, kernel, recurrent_kernel, bias = normal(90, (2, 3, 2), (2, 2 * gates), (2, 2 * gates),
                                               (2 * gates,), scale=0.6)
    return NNOp(
        layer_class.__name__, "", layer_op(factory),
        samples=(Sample("sequences", (x, kernel, recurrent_kernel, bias)),
                 Sample("batch-1", (x[:1], kernel, recurrent_kernel, bias))),
        reference=lambda *arrays: _recurrent_reference(name)(*arrays, **fixed),
        reference_grads=lambda g, *arrays: _recurrent_grads(name)(g, *arrays, **fixed),
        torch=lambda torch, *tensors: _torch_recurrent(module_name)(torch, *tensors, **fixed),
        empty=Empty(Sample("empty-batch", (x[:0], kernel, recurrent_kernel, bias)),
                    (0, 3, 2) if return_sequences else (0, 2)),
        bad_inputs=(BadInput("no-timesteps", lambda: factory()(np.zeros((1, 0, 2))), ValueError,
                             rf"{name} needs at least one timestep"),),
    )


def _dense_reference(x, kernel, bias):
    return np.tanh(_linear_reference(x, kernel, bias))


LAYERS = [
    NNOp(
        "Dense", "", layer_op(lambda **kw: layers.Dense(3, activation="tanh", **kw)),
        samples=(Sample("batch-4", normal(100, (4, 5), (5, 3), (3,))),
                 Sample("rank-3", normal(101, (2, 3, 5), (5, 3), (3,))),
                 Sample("batch-1", normal(102, (1, 5), (5, 3), (3,)))),
        reference=_dense_reference,
        torch=lambda torch, x, kernel, bias: torch.tanh(_torch_linear(torch, x, kernel, bias)),
        empty=Empty(Sample("empty-batch", normal(103, (0, 5), (5, 3), (3,))), (0, 3)),
        bad_inputs=(BadInput("feature-count",
                             lambda: _built(layers.Dense(2), (2, 5))(np.zeros((2, 4))),
                             ValueError, r"5 features on the last axis, got an array of shape "
                             r"\(2, 4\)"),),
    ),
    NNOp(
        "Activation", "", layer_op(lambda **kw: layers.Activation("softmax", **kw)),
        samples=(Sample("rows", normal(110, (3, 4))), Sample("rank-3", normal(111, (2, 3, 4)))),
        reference=softmax_kernels.softmax_forward_reference,
        torch=lambda torch, x: torch.softmax(x, -1),
        empty=Empty(Sample("empty-batch", (np.zeros((0, 4)),)), (0, 4)),
        bad_inputs=(BadInput("scalar", lambda: layers.Activation("softmax")(np.float64(1.0)),
                             ValueError,
                             r"expects input of shape \(None,\), got an array of shape \(\)"),),
    ),
    NNOp(
        "Dropout", "training",
        seeded(layer_op(lambda **kw: layers.Dropout(0.4, **kw), training=True)),
        samples=(Sample("batch-4", normal(120, (4, 5))),),
        reference=lambda x: _dropout_reference(x, 0.4),
        empty=Empty(Sample("empty-batch", (np.zeros((0, 5)),)), (0, 5)),
    ),
    NNOp(
        "Dropout", "inference", layer_op(lambda **kw: layers.Dropout(0.4, **kw)),
        samples=(Sample("batch-4", normal(121, (4, 5))),),
        reference=lambda x: x, torch=lambda torch, x: torch.nn.functional.dropout(
            x, 0.4, training=False),
        empty=Empty(Sample("empty-batch", (np.zeros((0, 5)),)), (0, 5)),
    ),
    NNOp(
        "Flatten", "", layer_op(layers.Flatten),
        samples=(Sample("images", normal(130, (2, 3, 2, 2))),
                 Sample("batch-1", normal(131, (1, 2, 3)))),
        reference=lambda x: x.reshape(len(x), -1),
        torch=lambda torch, x: torch.flatten(x, 1),
        empty=Empty(Sample("empty-batch", (np.zeros((0, 3, 2, 2)),)), (0, 12)),
        bad_inputs=(BadInput("rank-changes",
                             lambda: _built(layers.Flatten(), (2, 3, 4))(np.zeros(3)),
                             ValueError, r"expects input of shape \(None, 3, 4\), got an array "
                             r"of shape \(3,\)"),),
    ),
    NNOp(
        "Conv2D", "", layer_op(lambda **kw: layers.Conv2D(
            2, (2, 3), strides=(2, 1), padding="same", activation="sigmoid", **kw)),
        samples=(Sample("images", normal(140, (2, 5, 4, 3), (2, 3, 3, 2), (2,))),),
        reference=lambda x, kernel, bias: _sigmoid(
            _conv_reference(x, kernel, bias, (2, 1), "same")),
        torch=lambda torch, x, kernel, bias: torch.sigmoid(
            _torch_conv(torch, x, kernel, bias, (2, 1), "same")),
        empty=Empty(Sample("empty-batch", normal(141, (0, 5, 4, 3), (2, 3, 3, 2), (2,))),
                    (0, 3, 4, 2)),
        bad_inputs=(BadInput("rank-5", lambda: layers.Conv2D(2, 3)(np.zeros((1, 2, 5, 5, 1))),
                             ValueError, r"Reshape the input to \(batch, rows, cols, channels\)"),),
    ),
    _pooling_layer(layers.MaxPooling2D, "max_pool2d", {"pool_size": (2, 2)},
                   values((2, 4, 4, 2), distinct=True, seed=150), (0, 2, 2, 2)),
    _pooling_layer(layers.AveragePooling2D, "avg_pool2d",
                   {"pool_size": (3, 3), "strides": (2, 2), "padding": "same"},
                   values((1, 5, 5, 2), seed=151), (0, 3, 3, 2)),
    _batch_normalization(True),
    _batch_normalization(False),
    _recurrent_layer(layers.SimpleRNN, "simple_rnn", 1, "RNN", return_sequences=True),
    _recurrent_layer(layers.LSTM, "lstm", 4, "LSTM", return_sequences=False),
    NNOp(
        "Embedding", "", layer_op(lambda **kw: layers.Embedding(6, 3, **kw)),
        samples=(Sample("repeated-ids", normal(160, (6, 3)), {"ids": np.array([[0, 3, 3],
                                                                                 [5, 0, 1]])}),),
        reference=_embedding_reference, reference_grads=_embedding_grads,
        torch=_torch_embedding,
        empty=Empty(Sample("empty-batch", normal(161, (6, 3)), {"ids": np.zeros((0, 3), int)}),
                    (0, 3, 3)),
        bad_inputs=(BadInput("id-out-of-range", lambda: layers.Embedding(6, 3)(np.array([[6]])),
                             ValueError, r"\(Embedding, input_dim=6\): .*from 6 to 6"),),
    ),
]

NN_OPS: list[NNOp] = ACTIVATIONS + SOFTMAX + DENSE_OPS + IMAGE_OPS + SEQUENCE_OPS + LAYERS
BY_ID: dict[str, NNOp] = {case.id: case for case in NN_OPS}
