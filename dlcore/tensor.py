"""``Tensor``: a numpy array that remembers how it was computed, so it can be differentiated.

Arithmetic on Tensors goes through ``apply``, which runs a Function's forward on the
underlying arrays and, when some input requires a gradient, records the Function and
its inputs on the result. ``Tensor.backward`` then hands the recorded graph to the
engine in ``dlcore.autograd``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .autograd import Context, Function, backward, is_grad_enabled

DEFAULT_DTYPE = np.float32


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Attributes: ``data`` (the numpy array), ``grad`` (an array of the same shape once
    ``backward`` has reached this tensor, else ``None``), ``requires_grad``.
    Create one with ``dlcore.tensor(...)``.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # == is elementwise; identity still works in sets and dicts

    data: np.ndarray
    grad: np.ndarray | None
    requires_grad: bool

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = _to_array(data, dtype)
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                "pass dtype='float32' or 'float64'"
            )
        self.grad = None
        self.requires_grad = requires_grad
        self._ctx = None

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A Tensor around an array the caller owns, without any conversion (the fast path)."""
        result = cls.__new__(cls)
        result.data = array
        result.grad = None
        result.requires_grad = requires_grad
        result._ctx = None
        return result

    # ----- array-like attributes -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True if copy else None)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __bool__(self) -> bool:
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = ""
        if self.data.dtype != DEFAULT_DTYPE:
            extras += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    # ----- autodiff ----------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Add d self / d leaf to ``leaf.grad`` for every leaf with ``requires_grad``.

        A scalar tensor needs no ``grad`` (it is taken as 1). For any other shape, pass the
        upstream gradient ``grad`` of the same shape: the result is the vector-Jacobian product.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of the tensors "
                "it was computed from had requires_grad=True (or it was made inside no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a scalar tensor, got shape {self.shape}; "
                    "reduce it first (e.g. .sum() or .mean()) or pass grad= of the same shape"
                )
            upstream = np.ones_like(self.data)
        else:
            upstream = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if upstream.shape != self.data.shape:
                raise ValueError(
                    f"backward(grad=...) needs a gradient of the tensor's shape {self.shape}, "
                    f"got shape {upstream.shape}"
                )
            upstream = upstream.astype(self.data.dtype, copy=False)
        backward(self, upstream, retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data, cut off from the graph (no gradient flows)."""
        return Tensor._wrap(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes ``None``)."""
        self.grad = None

    # ----- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return apply(ops.Add, self, _operand(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return apply(ops.Add, _operand(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, self, _operand(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, _operand(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, self, _operand(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, _operand(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, self, _operand(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, _operand(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        return apply(ops.Pow, self, _operand(other, self))

    def __rpow__(self, other: Any) -> Tensor:
        return apply(ops.Pow, _operand(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, self, _operand(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, _operand(other, self), self)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg, self)

    # ----- comparisons: plain boolean tensors, outside the graph -------------------------
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data < _operand(other, self).data)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data <= _operand(other, self).data)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data > _operand(other, self).data)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data >= _operand(other, self).data)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data == _operand(other, self).data)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(self.data != _operand(other, self).data)

    # ----- elementwise functions ------------------------------------------------------------
    def exp(self) -> Tensor:
        return apply(ops.Exp, self)

    def log(self) -> Tensor:
        return apply(ops.Log, self)

    def tanh(self) -> Tensor:
        return apply(ops.Tanh, self)

    def sigmoid(self) -> Tensor:
        return apply(ops.Sigmoid, self)

    def relu(self) -> Tensor:
        return apply(ops.ReLU, self)

    def abs(self) -> Tensor:
        return apply(ops.Abs, self)

    def clip(self, low: float, high: float) -> Tensor:
        """Values limited to ``[low, high]``; no gradient flows where a value was clipped."""
        return apply(ops.Clip, self, low=low, high=high)

    # ----- reductions -----------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return apply(ops.Sum, self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return apply(ops.Mean, self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return apply(ops.Max, self, axis=axis, keepdims=keepdims)

    # ----- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(ops.Reshape, self, shape=shape)

    def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return apply(ops.Transpose, self, axes=axes or None)

    @property
    def T(self) -> Tensor:
        return apply(ops.Transpose, self, axes=None)

    def __getitem__(self, index: Any) -> Tensor:
        return apply(ops.GetItem, self, index=_plain_index(index))


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Make a Tensor from array-like ``data``.

    The dtype is float32 unless ``dtype`` says otherwise or ``data`` already is a float64
    array (then float64 is kept). Integer and boolean data become float32 too, unless a
    ``dtype`` is given (``dtype='int64'`` keeps class ids as integers).
    """
    if isinstance(data, Tensor):
        data = data.data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(value: Any) -> Tensor:
    """``value`` itself if it is a Tensor, else ``tensor(value)``."""
    return value if isinstance(value, Tensor) else tensor(value)


def as_array(value: Any) -> np.ndarray:
    """The numpy array behind a Tensor, or ``value`` as an array."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def apply(function: type[Function], *inputs: Tensor | None, **params: Any) -> Tensor:
    """Run ``function.forward`` on the inputs' arrays and record the step in the graph.

    ``inputs`` are the differentiable arguments (``None`` for a left-out optional one);
    ``params`` are passed to ``forward`` as they are (sizes, flags, index arrays).
    """
    ctx = Context()
    recording = is_grad_enabled()
    ctx.needs_input_grad = tuple(recording and t is not None and t.requires_grad for t in inputs)
    output = function.forward(ctx, *[None if t is None else t.data for t in inputs], **params)
    if type(output) is not np.ndarray:
        output = np.asarray(output)
    if not any(ctx.needs_input_grad):
        return Tensor._wrap(output)
    ctx.function = function
    ctx.parents = inputs
    result = Tensor._wrap(output, requires_grad=True)
    result._ctx = ctx
    return result


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """``data`` as an ndarray: the given dtype, else float64 kept, else float32."""
    if dtype is not None:
        return np.array(data, dtype=dtype)
    array = np.array(data)
    if array.dtype == np.float64 and isinstance(data, np.ndarray):
        return array
    return array.astype(DEFAULT_DTYPE, copy=False)


def _operand(value: Any, like: Tensor) -> Tensor:
    """The other side of a binary operator as a Tensor.

    Python numbers and integer or boolean arrays take ``like``'s dtype, so ``x * 2`` stays
    float32; floating arrays keep their own dtype and numpy's promotion rules apply.
    """
    if isinstance(value, Tensor):
        return value
    dtype = like.data.dtype if np.issubdtype(like.data.dtype, np.floating) else DEFAULT_DTYPE
    if isinstance(value, (int, float)):
        return Tensor._wrap(np.array(value, dtype=dtype))
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(dtype)
    return Tensor._wrap(array)


def _plain_index(index: Any) -> Any:
    """An index with every Tensor inside it replaced by its numpy array."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(part.data if isinstance(part, Tensor) else part for part in index)
    return index
