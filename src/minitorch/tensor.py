"""The user-facing Tensor and the functions that create tensors.

A :class:`Tensor` wraps :class:`~minitorch.tensor_data.TensorData` (storage,
shape, strides), a backend that computes on it, and, when a gradient is
wanted, the history of how it was made. Public methods check their inputs
and raise the library's typed errors before any kernel runs.

Reductions keep the reduced dimension with size 1 (``sum(1)`` of a
``2 x 3`` tensor has shape ``2 x 1``), so results broadcast back against
their input.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import rng
from .autodiff import History, backpropagate
from .errors import GradientError, IndexingError, ShapeError
from .fast_ops import FastOps
from .tensor_data import Shape, Storage, Strides, TensorData, shape_broadcast, strides_from_shape
from .tensor_functions import (
    Add,
    Copy,
    Exp,
    Inv,
    Log,
    MatMul,
    Max,
    Mul,
    Neg,
    Permute,
    ReLU,
    Sigmoid,
    Sum,
    View,
)
from .tensor_ops import SimpleOps, TensorBackend

# The two backends every user of the library shares.
SimpleBackend = TensorBackend(SimpleOps)
FastBackend = TensorBackend(FastOps)
default_backend = FastBackend


class Tensor:
    """A multidimensional array of float64 numbers that can record its own gradient.

    Create tensors with :func:`tensor`, :func:`zeros`, :func:`ones` or
    :func:`rand` rather than this constructor.

    >>> x = tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> x.shape, x.size, x.dims
    ((2, 3), 6, 2)
    >>> x[1, 2]
    6.0
    """

    _next_id = 0

    def __init__(
        self,
        data: TensorData,
        history: History | None = None,
        name: str | None = None,
        backend: TensorBackend | None = None,
    ) -> None:
        Tensor._next_id += 1
        self.unique_id = Tensor._next_id
        self._tensor = data
        self.history = history
        self.backend = default_backend if backend is None else backend
        self.f = self.backend
        self.grad: Tensor | None = None
        self.name = name if name is not None else str(self.unique_id)

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        """Size of each dimension."""
        return self._tensor.shape

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._tensor.size

    @property
    def dims(self) -> int:
        """Number of dimensions."""
        return self._tensor.dims

    @property
    def strides(self) -> tuple[int, ...]:
        """Step in storage for each dimension."""
        return self._tensor.strides

    def tuple(self) -> builtins.tuple[Storage, Shape, Strides]:
        """``(storage, shape, strides)`` arrays, the arguments every kernel takes."""
        return self._tensor.tuple()

    def _new(self, data: TensorData) -> Tensor:
        return Tensor(data, backend=self.backend)

    def zeros(self, shape: Sequence[int] | None = None) -> Tensor:
        """A new tensor of zeros on this tensor's backend (of this shape by default).

        >>> tensor([1.0, 2.0]).zeros((3,))
        [0.00 0.00 0.00]
        """
        shape = self.shape if shape is None else tuple(shape)
        return zeros(shape, backend=self.backend)

    def is_contiguous(self) -> bool:
        """Whether storage holds the elements in row-major order with no gaps."""
        return self._tensor.is_contiguous()

    def to_numpy(self) -> npt.NDArray[np.float64]:
        """A NumPy copy with the same shape and values.

        >>> tensor([[1.0, 2.0]]).permute(1, 0).to_numpy().tolist()
        [[1.0], [2.0]]
        """
        storage, _, _ = self.tuple()
        return np.lib.stride_tricks.as_strided(
            storage,
            shape=self.shape,
            strides=tuple(s * storage.itemsize for s in self.strides),
        ).copy()

    def item(self) -> float:
        """The value of a one-element tensor.

        >>> tensor([[3.5]]).item()
        3.5
        """
        if self.size != 1:
            raise ShapeError(f"item: needs a tensor of one element, got shape {self.shape}")
        storage, _, _ = self.tuple()
        return float(storage[self._tensor.index((0,) * self.dims)])

    def __getitem__(self, key: int | Sequence[int]) -> float:
        index = (key,) if isinstance(key, int | np.integer) else tuple(key)
        return self._tensor.get(index)

    def __setitem__(self, key: int | Sequence[int], value: float) -> None:
        index = (key,) if isinstance(key, int | np.integer) else tuple(key)
        self._tensor.set(index, value)

    def __repr__(self) -> str:
        return self._tensor.to_string()

    def __hash__(self) -> int:
        return self.unique_id

    def __len__(self) -> int:
        if self.dims == 0:
            raise ShapeError("len: a tensor of no dimensions has no length")
        return self.shape[0]

    def __iter__(self) -> Any:
        raise TypeError("Tensor is not iterable; index it with t[i, j] or use to_numpy()")

    # -------------------------------------------------------------- autodiff
    @property
    def requires_grad(self) -> bool:
        """Whether backpropagation computes a gradient for this tensor."""
        return self.history is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.history = History() if flag else None

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Mark a leaf tensor as needing a gradient; returns the tensor itself."""
        self.requires_grad = flag
        return self

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares storage)."""
        return Tensor(self._tensor, backend=self.backend)

    def is_leaf(self) -> bool:
        """Whether this tensor was made by the user rather than by an operation."""
        return self.history is not None and self.history.last_fn is None

    def is_constant(self) -> bool:
        """Whether this tensor takes no part in backpropagation."""
        return self.history is None

    @property
    def parents(self) -> builtins.tuple[Tensor, ...]:
        """The inputs of the operation that made this tensor."""
        assert self.history is not None
        return tuple(self.history.inputs)

    def chain_rule(self, d_output: Tensor) -> list[builtins.tuple[Tensor, Tensor]]:
        """Each input paired with its gradient, summed back to the input's shape."""
        h = self.history
        assert h is not None and h.last_fn is not None and h.ctx is not None
        grads = h.last_fn.backward(h.ctx, d_output)
        assert len(grads) == len(h.inputs), f"{h.last_fn.__name__} returned {len(grads)} grads"
        return [(inp, inp._sum_to_shape(g)) for inp, g in zip(h.inputs, grads, strict=True)]

    def accumulate_derivative(self, x: Tensor) -> None:
        """Add ``x`` to this leaf's ``.grad``."""
        assert self.is_leaf(), "only leaves accumulate gradients"
        x = x.detach()
        self.grad = x.contiguous() if self.grad is None else self.grad + x

    def backward(self, grad_output: Tensor | None = None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        Args:
            grad_output: the gradient flowing into this tensor; may be omitted
                only for a one-element tensor (such as a loss), where it is 1.

        >>> x = tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        [2.00 4.00 6.00]

        """
        if not self.requires_grad:
            raise GradientError(
                "backward: this tensor does not require a gradient: no input of the "
                "computation had requires_grad=True (or it ran under no_grad)"
            )
        if grad_output is None:
            if self.size != 1:
                raise GradientError(
                    f"backward: a tensor of shape {self.shape} is not a scalar; pass "
                    "grad_output of the same shape, or reduce it first (e.g. .sum())"
                )
            grad_output = ones(self.shape, backend=self.backend)
        elif grad_output.shape != self.shape:
            raise ShapeError(
                f"backward: grad_output has shape {grad_output.shape} but the tensor "
                f"has shape {self.shape}"
            )
        backpropagate(self, grad_output)

    def _sum_to_shape(self, grad: Tensor) -> Tensor:
        """Sum a broadcast gradient back down to this tensor's shape."""
        if grad.shape == self.shape:
            return grad
        extra = grad.dims - self.dims
        out = grad
        for d in range(grad.dims):
            own = self.shape[d - extra] if d >= extra else 1
            if own == 1 and grad.shape[d] != 1:
                out = out.f.add_reduce(out, d)
        return out.contiguous()._reshape(self.shape)

    # ------------------------------------------------------------ operations
    def _ensure(self, b: float | int | Tensor) -> Tensor:
        if isinstance(b, Tensor):
            return b
        if isinstance(b, int | float | np.floating | np.integer):
            return tensor([float(b)], backend=self.backend)
        raise TypeError(f"cannot combine a Tensor with {type(b).__name__}")

    def _broadcast_check(self, op: str, b: Tensor) -> None:
        try:
            shape_broadcast(self.shape, b.shape)
        except ShapeError as err:
            raise ShapeError(f"{op}: {err}") from None

    def _zip_op(self, op: str, b: float | int | Tensor) -> Tensor:
        other = self._ensure(b)
        self._broadcast_check(op, other)
        return other

    def __add__(self, b: float | int | Tensor) -> Tensor:
        return Add.apply(self, self._zip_op("add", b))

    def __radd__(self, b: float | int | Tensor) -> Tensor:
        return Add.apply(self._zip_op("add", b), self)

    def __sub__(self, b: float | int | Tensor) -> Tensor:
        return Add.apply(self, Neg.apply(self._zip_op("sub", b)))

    def __rsub__(self, b: float | int | Tensor) -> Tensor:
        return Add.apply(self._zip_op("sub", b), Neg.apply(self))

    def __mul__(self, b: float | int | Tensor) -> Tensor:
        return Mul.apply(self, self._zip_op("mul", b))

    def __rmul__(self, b: float | int | Tensor) -> Tensor:
        return Mul.apply(self._zip_op("mul", b), self)

    def __truediv__(self, b: float | int | Tensor) -> Tensor:
        return Mul.apply(self, Inv.apply(self._zip_op("div", b)))

    def __rtruediv__(self, b: float | int | Tensor) -> Tensor:
        return Mul.apply(self._zip_op("div", b), Inv.apply(self))

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __lt__(self, b: float | int | Tensor) -> Tensor:
        other = self._zip_op("lt", b)
        return self.f.lt_zip(self.detach(), other.detach())

    def __gt__(self, b: float | int | Tensor) -> Tensor:
        other = self._zip_op("gt", b)
        return self.f.lt_zip(other.detach(), self.detach())

    def __eq__(self, b: object) -> Tensor:  # type: ignore[override]
        other = self._zip_op("eq", b)  # type: ignore[arg-type]
        return self.f.eq_zip(self.detach(), other.detach())

    def __matmul__(self, b: Tensor) -> Tensor:
        if not isinstance(b, Tensor):
            raise TypeError(f"matmul: needs two tensors, got {type(b).__name__}")
        if self.dims < 2 or b.dims < 2:
            raise ShapeError(
                f"matmul: both operands need at least 2 dimensions, got shapes "
                f"{self.shape} and {b.shape}; use .view(1, n) or .view(n, 1) for a vector"
            )
        if self.shape[-1] != b.shape[-2]:
            raise ShapeError(
                f"matmul: inner dimensions differ: {self.shape} @ {b.shape} needs "
                f"{self.shape[-1]} == {b.shape[-2]}"
            )
        try:
            shape_broadcast(self.shape[:-2], b.shape[:-2])
        except ShapeError as err:
            raise ShapeError(f"matmul: batch dimensions {err}") from None
        return MatMul.apply(self, b)

    def is_close(self, b: Tensor) -> Tensor:
        """1.0 where the elements are within 1e-2 (absolute plus relative), else 0.0."""
        other = self._zip_op("is_close", b)
        return self.f.is_close_zip(self.detach(), other.detach())

    def all(self, dim: int | None = None) -> Tensor:
        """1.0 if every element (along ``dim``) is non-zero, else 0.0.

        >>> tensor([1.0, 1.0, 0.0]).all().item()
        0.0
        """
        zero = self.zeros((1,))
        # eq(eq(x, 0), 0) is 1.0 exactly where x is non-zero
        nonzero = self.f.eq_zip(self.f.eq_zip(self.detach(), zero), zero)
        if dim is None:
            return self.f.mul_reduce(nonzero._reshape((self.size,)), 0)
        return self.f.mul_reduce(nonzero, self._dim("all", dim))

    def _dim(self, op: str, dim: int) -> int:
        if not -self.dims <= dim < self.dims:
            raise IndexingError(
                f"{op}: dim {dim} is out of range for a tensor of shape {self.shape}"
            )
        return dim % self.dims

    def sum(self, dim: int | None = None) -> Tensor:
        """Sum of all elements (shape ``(1,)``) or along ``dim`` (kept with size 1).

        >>> tensor([[1.0, 2.0], [3.0, 4.0]]).sum(0)
        [
            [4.00 6.00]]
        """
        if dim is None:
            return Sum.apply(self.contiguous().view(self.size), dim=0)
        return Sum.apply(self, dim=self._dim("sum", dim))

    def mean(self, dim: int | None = None) -> Tensor:
        """Mean of all elements or along ``dim`` (kept with size 1).

        >>> tensor([1.0, 2.0, 6.0]).mean().item()
        3.0
        """
        count = self.size if dim is None else self.shape[self._dim("mean", dim)]
        return self.sum(dim) / float(count)

    def max(self, dim: int | None = None) -> Tensor:
        """Largest element overall or along ``dim`` (kept with size 1); its gradient goes to the arg-max.

        >>> tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
        [
            [5.00]
            [7.00]]
        """
        if dim is None:
            return Max.apply(self.contiguous().view(self.size), dim=0)
        return Max.apply(self, dim=self._dim("max", dim))

    def exp(self) -> Tensor:
        """Element-wise ``e^x``."""
        return Exp.apply(self)

    def log(self) -> Tensor:
        """Element-wise natural logarithm."""
        return Log.apply(self)

    def relu(self) -> Tensor:
        """Element-wise ``max(x, 0)``."""
        return ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        """Element-wise ``1 / (1 + e^-x)``."""
        return Sigmoid.apply(self)

    def permute(self, *order: int) -> Tensor:
        """A view with dimensions reordered: result dimension ``d`` is input dimension ``order[d]``.

        >>> tensor([[1.0, 2.0, 3.0]]).permute(1, 0).shape
        (3, 1)
        """
        if len(order) == 1 and isinstance(order[0], Sequence):
            order = tuple(order[0])
        # TensorData.permute rejects an order that is not a permutation.
        return Permute.apply(self, order=tuple(int(o) for o in order))

    def _transpose(self) -> Tensor:
        order = list(range(self.dims))
        order[-2], order[-1] = order[-1], order[-2]
        return self._new(self._tensor.permute(*order))

    def view(self, *shape: int) -> Tensor:
        """The same storage seen with another shape; needs contiguous data of the same size.

        >>> tensor([1.0, 2.0, 3.0, 4.0]).view(2, 2)
        [
            [1.00 2.00]
            [3.00 4.00]]
        """
        if len(shape) == 1 and isinstance(shape[0], Sequence):
            shape = tuple(shape[0])
        shape = tuple(int(s) for s in shape)
        size = int(np.prod(shape)) if shape else 1
        if size != self.size:
            raise ShapeError(
                f"view: cannot view a tensor of shape {self.shape} ({self.size} elements) "
                f"as shape {shape} ({size} elements)"
            )
        if not self.is_contiguous():
            raise ShapeError(
                f"view: the tensor of shape {self.shape} with strides {self.strides} is not "
                "contiguous; call .contiguous() first"
            )
        return View.apply(self, shape=shape)

    def _reshape(self, shape: builtins.tuple[int, ...]) -> Tensor:
        storage, _, _ = self.tuple()
        offset = self._tensor.index((0,) * self.dims) if self.size else 0
        return self._new(TensorData(storage[offset:], shape, strides_from_shape(shape)))

    def contiguous(self) -> Tensor:
        """A row-major copy (or the tensor itself when it already is row-major)."""
        if self.is_contiguous():
            return self
        return Copy.apply(self)

    # ------------------------------------------------------- tensor creation
    def zeros_like(self) -> Tensor:
        """Zeros of this tensor's shape and backend."""
        return self.zeros(self.shape)


def _flatten(data: Any, op: str) -> tuple[list[float], tuple[int, ...]]:
    """Flatten a nested list, checking that it is rectangular."""
    if isinstance(data, int | float | np.floating | np.integer):
        return [float(data)], ()
    if isinstance(data, Tensor):
        return data.to_numpy().reshape(-1).tolist(), data.shape
    if isinstance(data, np.ndarray):
        return data.astype(np.float64).reshape(-1).tolist(), tuple(data.shape)
    if not isinstance(data, Sequence | Iterable) or isinstance(data, str):
        raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}")
    items = list(data)
    if not items:
        return [], (0,)
    parts = [_flatten(item, op) for item in items]
    inner = parts[0][1]
    for i, (_, shape) in enumerate(parts):
        if shape != inner:
            raise ShapeError(
                f"{op}: ragged nested list: element 0 has shape {inner} but element {i} "
                f"has shape {shape}; every row must have the same length"
            )
    flat = [x for values, _ in parts for x in values]
    return flat, (len(items), *inner)


def tensor(data: Any, backend: TensorBackend | None = None, requires_grad: bool = False) -> Tensor:
    """Make a tensor from a (nested) list of numbers.

    >>> tensor([[1, 2, 3], [4, 5, 6]])
    [
        [1.00 2.00 3.00]
        [4.00 5.00 6.00]]
    >>> tensor([[1, 2], [3]])
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: tensor: ragged nested list: element 0 has shape (2,) but element 1 has shape (1,); every row must have the same length
    """
    values, shape = _flatten(data, "tensor")
    if shape == ():
        shape = (1,)
    t = Tensor(TensorData(np.array(values, dtype=np.float64), shape), backend=backend)
    return t.requires_grad_(requires_grad)


def from_numpy(array: npt.ArrayLike, backend: TensorBackend | None = None) -> Tensor:
    """A tensor with a float64 copy of a NumPy array's values and shape.

    >>> from_numpy(np.arange(3.0)).shape
    (3,)
    """
    a = np.array(array, dtype=np.float64)
    return Tensor(TensorData(a.reshape(-1), a.shape), backend=backend)


def _shape(shape: Sequence[int] | int) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)


def zeros(shape: Sequence[int] | int, backend: TensorBackend | None = None) -> Tensor:
    """A tensor of zeros.

    >>> zeros((2, 2))
    [
        [0.00 0.00]
        [0.00 0.00]]
    """
    shape = _shape(shape)
    return Tensor(TensorData(np.zeros(int(np.prod(shape))), shape), backend=backend)


def ones(shape: Sequence[int] | int, backend: TensorBackend | None = None) -> Tensor:
    """A tensor of ones.

    >>> ones(3)
    [1.00 1.00 1.00]
    """
    shape = _shape(shape)
    return Tensor(TensorData(np.ones(int(np.prod(shape))), shape), backend=backend)


def rand(
    shape: Sequence[int] | int,
    backend: TensorBackend | None = None,
    requires_grad: bool = False,
    seed: int | None = None,
) -> Tensor:
    """Uniform random numbers in [0, 1), from the library's seedable generator.

    Args:
        shape: the tensor's shape.
        backend: the backend (the fast one by default).
        requires_grad: whether the result is a leaf that needs a gradient.
        seed: a seed for this call only; otherwise :func:`minitorch.manual_seed` applies.

    >>> rand((2, 3), seed=0).shape
    (2, 3)
    >>> rand(4, seed=1).is_close(rand(4, seed=1)).all().item()
    1.0

    """
    shape = _shape(shape)
    values = rng.generator(seed).random(int(np.prod(shape)))
    t = Tensor(TensorData(values, shape), backend=backend)
    return t.requires_grad_(requires_grad)


def zeros_like(t: Tensor) -> Tensor:
    """Zeros of the shape and backend of ``t``.

    >>> zeros_like(tensor([1.0, 2.0]))
    [0.00 0.00]
    """
    return t.zeros(t.shape)


__all__ = [
    "FastBackend",
    "SimpleBackend",
    "Tensor",
    "from_numpy",
    "ones",
    "rand",
    "tensor",
    "zeros",
    "zeros_like",
]
