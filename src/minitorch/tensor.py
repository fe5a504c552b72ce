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

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from . import rng
from .autodiff import History, backpropagate, topological_sort
from .errors import ArgumentTypeError, GradientError, IndexingError, ShapeError
from .tensor_data import (
    DTYPES,
    Shape,
    Storage,
    Strides,
    TensorData,
    check_dtype,
    check_sizes,
    float32,
    float64,
    is_integer,
    promote_types,
    shape_broadcast,
)
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
    To,
    View,
)
from .tensor_ops import SimpleOps, TensorBackend

# The two backends every user of the library shares. The fast one, the default,
# is made when first needed: it imports Numba (0.3 s of the 0.6 s that `import
# minitorch` took), which a program that only reads data sets or grades exercises
# never needs.
SimpleBackend = TensorBackend(SimpleOps)


@functools.cache
def fast_backend() -> TensorBackend:
    """The Numba backend (``minitorch.FastBackend``), the default of every tensor.

    >>> fast_backend() is fast_backend()
    True
    """
    from .fast_ops import FastOps  # the first use loads Numba

    return TensorBackend(FastOps)


def __getattr__(name: str) -> Any:
    if name == "FastBackend":
        return fast_backend()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Python's numbers, named outside the class, whose own ``float`` method
# (PyTorch's conversion to float32) hides the built-in type inside it.
Real: TypeAlias = float
Number: TypeAlias = float | int


class Tensor:
    """A multidimensional array of numbers that can record its own gradient.

    The numbers are float64 (the default) or float32, the tensor's ``dtype``.
    Create tensors with :func:`tensor`, :func:`zeros`, :func:`ones` or
    :func:`rand` rather than this constructor.

    Dtypes mix as in PyTorch: an element-wise operation of a float32 and a
    float64 tensor computes in float64 (see
    :func:`~minitorch.tensor_data.promote_types`), a Python number takes the
    tensor's dtype, and a matrix product or convolution needs both operands
    in one dtype. Gradients have the dtype of the tensor they belong to.

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
        self.backend = fast_backend() if backend is None else backend
        self.grad: Tensor | None = None
        # A name defaults to the id, spelled out only when asked for (errors, drawings).
        self._name: str | int = name if name is not None else self.unique_id

    # ----------------------------------------------------------------- basics
    @property
    def name(self) -> str:
        """The tensor's name in error messages and drawings (its id unless one was given)."""
        return str(self._name)

    @name.setter
    def name(self, name: str) -> None:
        self._name = name

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

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the tensor's numbers, ``minitorch.float64`` or ``minitorch.float32``.

        >>> tensor([1.0]).dtype, tensor([1.0], dtype=float32).dtype
        (dtype('float64'), dtype('float32'))
        """
        return self._tensor._storage.dtype

    def to(self, dtype: object) -> Tensor:
        """The tensor with its numbers converted to ``dtype`` (itself if it has it already).

        Rounding to float32 keeps about 7 significant digits. The conversion is
        differentiable: the gradient flows back converted to this tensor's dtype.

        >>> x = tensor([1 / 3], requires_grad=True)
        >>> y = x.to(float32)
        >>> y.dtype, y.item()
        (dtype('float32'), 0.3333333432674408)
        >>> y.sum().backward(); x.grad.dtype
        dtype('float64')
        """
        dtype = check_dtype("to", dtype)
        if dtype == self.dtype:
            return self
        return To.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        """The tensor in float32, as ``.to(minitorch.float32)``."""
        return self.to(float32)

    def double(self) -> Tensor:
        """The tensor in float64, as ``.to(minitorch.float64)``."""
        return self.to(float64)

    def kernel_args(self) -> tuple[Storage, Shape, Strides]:
        """``(storage, shape, strides)`` arrays, the arguments every kernel takes."""
        return self._tensor.kernel_args()

    @property
    def version(self) -> int:
        """How many in-place writes (``t[i] = v``) this tensor's storage has had, views included.

        >>> t = tensor([1.0, 2.0]); t[0] = 5.0; t.version
        1
        """
        return self._tensor.version.count

    def _new(self, data: TensorData) -> Tensor:
        return Tensor(data, backend=self.backend)

    def zeros(self, shape: Sequence[int] | None = None) -> Tensor:
        """A new tensor of zeros on this tensor's backend, in its dtype (of its shape by default).

        >>> tensor([1.0, 2.0]).zeros((3,))
        [0.00 0.00 0.00]
        """
        shape = self.shape if shape is None else shape
        return zeros(shape, backend=self.backend, dtype=self.dtype)

    def is_contiguous(self) -> bool:
        """Whether storage holds the elements in row-major order with no gaps."""
        return self._tensor.is_contiguous()

    def to_numpy(self) -> npt.NDArray[np.floating[Any]]:
        """A NumPy copy with the same shape, values and dtype.

        >>> tensor([[1.0, 2.0]]).permute(1, 0).to_numpy().tolist()
        [[1.0], [2.0]]
        """
        return self._as_array().copy()

    def _as_array(self) -> npt.NDArray[np.floating[Any]]:
        """A NumPy view of the storage with this tensor's shape and strides (no copy)."""
        storage, _, _ = self.kernel_args()
        return np.lib.stride_tricks.as_strided(
            storage,
            shape=self.shape,
            strides=tuple(s * storage.itemsize for s in self.strides),
        )

    def item(self) -> Real:
        """The value of a one-element tensor.

        >>> tensor([[3.5]]).item()
        3.5
        """
        if self.size != 1:
            raise ShapeError(f"item: needs a tensor of one element, got shape {self.shape}")
        storage, _, _ = self.kernel_args()
        return float(storage[self._tensor.index((0,) * self.dims)])

    def __getitem__(self, key: int | Sequence[int]) -> Real:
        return self._tensor.get(key)

    def __setitem__(self, key: int | Sequence[int], value: Real) -> None:
        """Write one element in place; a backward pass that needed the old value then refuses to run."""
        self._tensor.set(key, value)

    def __repr__(self) -> str:
        """The values laid out as NumPy prints them, with two decimals.

        A row prints as a list; from two dimensions on, each dimension adds a
        bracket, columns are aligned, and blocks of a 3D or higher tensor are
        separated by a blank line. A large tensor is summarised with ``...``.

        >>> tensor([4.0, 12.0, -1.5])
        [4.00 12.00 -1.50]
        >>> tensor([[1.0, -2.0], [3.0, 14.0]])
        [[ 1.00 -2.00]
         [ 3.00 14.00]]
        >>> zeros((2, 1, 2))
        [[[0.00 0.00]]
        <BLANKLINE>
         [[0.00 0.00]]]
        """
        values = self.to_numpy()
        if values.ndim <= 1:
            # A row needs no alignment; unpadded it reads like a list.
            formatter: Any = {"float_kind": lambda value: f"{value:.2f}"}
            return np.array2string(values, formatter=formatter)
        return np.array2string(values, precision=2, floatmode="fixed")

    def __hash__(self) -> int:
        return self.unique_id

    def __len__(self) -> int:
        if self.dims == 0:
            raise ShapeError("len: a tensor of no dimensions has no length")
        return self.shape[0]

    def __iter__(self) -> Any:
        raise ArgumentTypeError(
            "iter: a Tensor is not iterable; index it with t[i, j] or use to_numpy()"
        )

    def __bool__(self) -> bool:
        """The truth of a one-element tensor's value, as in PyTorch; any other size raises.

        ``if x.max() > 5:`` asks about one number. For more, say which question is
        meant: ``.all()`` (every element non-zero) or ``.sum()`` / ``.max()`` first.

        >>> bool(tensor([0.0])), bool(tensor([[2.0]]))
        (False, True)
        >>> bool(tensor([1.0, 2.0]))
        Traceback (most recent call last):
        ...
        minitorch.errors.ShapeError: bool: the truth value of a tensor of shape (2,) (2 elements) is ambiguous; only a one-element tensor has one: use .all().item() or compare .item()
        """
        if self.size != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor of shape {self.shape} ({self.size} "
                "elements) is ambiguous; only a one-element tensor has one: use "
                ".all().item() or compare .item()"
            )
        return bool(self.item())

    # -------------------------------------------------------------- autodiff
    @property
    def requires_grad(self) -> bool:
        """Whether backpropagation computes a gradient for this tensor."""
        return self.history is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.history is not None and self.history.last_fn is not None:
            if flag:
                return  # the result of an operation already has its gradient computed
            raise GradientError(
                f"requires_grad: tensor {self.name} of shape {self.shape} is the result of "
                f"{self.history.last_fn.__name__}, not a leaf; only a leaf's flag can be "
                "switched off; use .detach() for a copy cut from the graph"
            )
        self.history = History() if flag else None

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Mark a leaf tensor as needing a gradient (or not); returns the tensor itself.

        PyTorch's rule: on the result of an operation, which is not a leaf,
        ``requires_grad_(True)`` changes nothing (its gradient already flows) and
        ``requires_grad_(False)`` raises a :class:`~minitorch.errors.GradientError`,
        because it would silently cut the graph; ``detach()`` is the way to cut it.

        >>> x = tensor([1.0], requires_grad=True)
        >>> y = (x * 2).requires_grad_()
        >>> y.is_leaf(), y.requires_grad
        (False, True)
        """
        self.requires_grad = flag
        return self

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares storage and the name)."""
        detached = Tensor(self._tensor, backend=self.backend)
        detached._name = self._name
        return detached

    def is_leaf(self) -> bool:
        """Whether this tensor was made by the user rather than by an operation."""
        return self.history is not None and self.history.last_fn is None

    def is_constant(self) -> bool:
        """Whether this tensor takes no part in backpropagation."""
        return self.history is None

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The inputs of the operation that made this tensor."""
        assert self.history is not None
        return tuple(self.history.inputs)

    def chain_rule(self, d_output: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Each input paired with its gradient, summed back to the input's shape.

        Raises :class:`~minitorch.errors.GradientError` if a tensor that the
        operation saved for its backward was written in place since.
        """
        h = self.history
        assert h is not None and h.last_fn is not None and h.ctx is not None
        for value, version in zip(h.ctx.saved_values, h.ctx.saved_versions, strict=False):
            if version is not None and value.version != version:
                raise GradientError(
                    f"backward: tensor {value.name} of shape {value.shape}, saved by "
                    f"{h.last_fn.__name__} for its backward, was modified in place since "
                    f"(version {version}, now {value.version}); its gradient would use the "
                    "new values: write to a copy, or recompute the forward pass after the write"
                )
        grads = h.last_fn.backward(h.ctx, d_output)
        assert len(grads) == len(h.inputs), f"{h.last_fn.__name__} returned {len(grads)} grads"
        return [
            (inp, inp._sum_to_shape(g))
            for inp, g in zip(h.inputs, grads, strict=True)
            if g is not None  # an input that takes no part in backpropagation
        ]

    def accumulate_derivative(self, x: Tensor) -> None:
        """Add ``x`` to this leaf's ``.grad``."""
        assert self.is_leaf(), "only leaves accumulate gradients"
        x = x.detach()
        self.grad = x.contiguous() if self.grad is None else self.grad + x

    def backward(self, grad_output: Tensor | None = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        The graph's saved values are released afterwards, and a second backward
        through any of it raises, since it would add every gradient again;
        ``retain_graph=True`` keeps the graph for another pass (as in PyTorch).

        Args:
            grad_output: the gradient flowing into this tensor; may be omitted
                only for a one-element tensor (such as a loss), where it is 1.
            retain_graph: keep the graph so that backward can run through it again.

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
            grad_output = ones(self.shape, backend=self.backend, dtype=self.dtype)
        elif grad_output.shape != self.shape:
            raise ShapeError(
                f"backward: grad_output has shape {grad_output.shape} but the tensor "
                f"has shape {self.shape}"
            )
        elif grad_output.dtype != self.dtype:
            raise ArgumentTypeError(
                f"backward: grad_output has dtype {grad_output.dtype} but the tensor has "
                f"dtype {self.dtype}; convert it with .to({self.dtype})"
            )
        graph = [cast(Tensor, node) for node in topological_sort(self) if not node.is_leaf()]
        for node in graph:
            assert node.history is not None and node.history.ctx is not None
            if node.history.ctx.released:
                raise GradientError(
                    f"backward: the graph through tensor {node.name} (made by "
                    f"{node.history.last_fn.__name__}) was already used by a backward pass "
                    "and released; pass retain_graph=True to the first backward to run "
                    "another, or recompute the forward pass"
                )
        backpropagate(self, grad_output)
        if not retain_graph:
            for node in graph:
                assert node.history is not None and node.history.ctx is not None
                node.history.ctx.release()

    def _sum_to_shape(self, grad: Tensor) -> Tensor:
        """Sum a broadcast gradient back down to this tensor's shape."""
        if grad.shape == self.shape:
            return grad
        extra = grad.dims - self.dims
        out = grad
        for d in range(grad.dims):
            own = self.shape[d - extra] if d >= extra else 1
            if own == 1 and grad.shape[d] != 1:
                out = out.backend.add_reduce(out, d)
        return out.contiguous()._reshape(self.shape)

    # ------------------------------------------------------------ operations
    def _ensure(self, b: Number | Tensor) -> Tensor:
        if isinstance(b, Tensor):
            return b
        if isinstance(b, int | float | np.floating | np.integer):
            # A Python number takes this tensor's dtype: it does not promote.
            value = np.full(1, float(b), dtype=self.dtype)
            return Tensor(TensorData.view_of(value, (1,)), backend=self.backend)
        raise ArgumentTypeError(f"cannot combine a Tensor with {type(b).__name__}")

    def _broadcast_check(self, op: str, b: Tensor) -> None:
        try:
            shape_broadcast(self.shape, b.shape)
        except ShapeError as err:
            raise ShapeError(f"{op}: {err}") from None

    def _zip_op(self, op: str, b: Number | Tensor) -> tuple[Tensor, Tensor]:
        """Check that ``b`` broadcasts with this tensor; return both in their promoted dtype."""
        other = self._ensure(b)
        self._broadcast_check(op, other)
        if other.dtype == self.dtype:
            return self, other
        dtype = promote_types(self.dtype, other.dtype)
        return self.to(dtype), other.to(dtype)

    def __add__(self, b: Number | Tensor) -> Tensor:
        return Add.apply(*self._zip_op("add", b))

    def __radd__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("add", b)
        return Add.apply(other, a)

    def __sub__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("sub", b)
        return Add.apply(a, Neg.apply(other))

    def __rsub__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("sub", b)
        return Add.apply(other, Neg.apply(a))

    def __mul__(self, b: Number | Tensor) -> Tensor:
        return Mul.apply(*self._zip_op("mul", b))

    def __rmul__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("mul", b)
        return Mul.apply(other, a)

    def __truediv__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("div", b)
        return Mul.apply(a, Inv.apply(other))

    def __rtruediv__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("div", b)
        return Mul.apply(other, Inv.apply(a))

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __lt__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("lt", b)
        return self.backend.lt_zip(a.detach(), other.detach())

    def __gt__(self, b: Number | Tensor) -> Tensor:
        a, other = self._zip_op("gt", b)
        return self.backend.lt_zip(other.detach(), a.detach())

    def __eq__(self, b: object) -> Tensor:  # type: ignore[override]
        a, other = self._zip_op("eq", b)  # type: ignore[arg-type]
        return self.backend.eq_zip(a.detach(), other.detach())

    def __matmul__(self, b: Tensor) -> Tensor:
        if not isinstance(b, Tensor):
            raise ArgumentTypeError(f"matmul: needs two tensors, got {type(b).__name__}")
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
        if self.dtype != b.dtype:
            raise ArgumentTypeError(
                f"matmul: both operands need the same dtype, got {self.dtype} @ {b.dtype}; "
                "convert one with .to(dtype), .float() or .double() (PyTorch refuses this too)"
            )
        return MatMul.apply(self, b)

    def is_close(self, b: Tensor) -> Tensor:
        """1.0 where the elements are within 1e-2 (absolute plus relative), else 0.0."""
        a, other = self._zip_op("is_close", b)
        return self.backend.is_close_zip(a.detach(), other.detach())

    def all(self, dim: int | None = None) -> Tensor:
        """1.0 if every element (along ``dim``) is non-zero, else 0.0.

        >>> tensor([1.0, 1.0, 0.0]).all().item()
        0.0
        """
        zero = self.zeros((1,))
        # eq(eq(x, 0), 0) is 1.0 exactly where x is non-zero
        nonzero = self.backend.eq_zip(self.backend.eq_zip(self.detach(), zero), zero)
        if dim is None:
            return self.backend.mul_reduce(nonzero._reshape((self.size,)), 0)
        return self.backend.mul_reduce(nonzero, self._dim("all", dim))

    def _dim(self, op: str, dim: int) -> int:
        if not is_integer(dim):
            raise ArgumentTypeError(
                f"{op}: dim must be an integer, got {dim!r} ({type(dim).__name__})"
            )
        if not -self.dims <= dim < self.dims:
            raise IndexingError(
                f"{op}: dim {dim} is out of range for a tensor of shape {self.shape}"
            )
        return dim % self.dims

    def sum(self, dim: int | None = None) -> Tensor:
        """Sum of all elements (shape ``(1,)``) or along ``dim`` (kept with size 1).

        >>> tensor([[1.0, 2.0], [3.0, 4.0]]).sum(0)
        [[4.00 6.00]]
        """
        if dim is None:
            return Sum.apply(self, dim=None)
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
        [[5.00]
         [7.00]]
        """
        flat = self.contiguous().view(self.size) if dim is None else self
        dim = 0 if dim is None else self._dim("max", dim)
        if flat.shape[dim] == 0:
            raise ShapeError(
                f"max: the maximum of no numbers is undefined: dim {dim} of shape "
                f"{self.shape} has size 0 (NumPy and PyTorch refuse it too)"
            )
        return Max.apply(flat, dim=dim)

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
        if not all(is_integer(o) for o in order):
            raise ArgumentTypeError(f"permute: the order must be integers, got {order!r}")
        # TensorData.permute rejects an order that is not a permutation.
        return Permute.apply(self, order=tuple(int(o) for o in order))

    def _transpose(self) -> Tensor:
        order = list(range(self.dims))
        order[-2], order[-1] = order[-1], order[-2]
        return self._new(self._tensor.permute(*order))

    def view(self, *shape: int) -> Tensor:
        """The same storage seen with another shape; needs contiguous data of the same size.

        >>> tensor([1.0, 2.0, 3.0, 4.0]).view(2, 2)
        [[1.00 2.00]
         [3.00 4.00]]
        """
        if len(shape) == 1 and isinstance(shape[0], Sequence):
            shape = tuple(shape[0])
        shape = check_sizes("view", shape)
        size = _size(shape) if shape else 1
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

    def _reshape(self, shape: tuple[int, ...]) -> Tensor:
        # Storage starts at index (0, ..., 0): a view's offset is in its storage slice.
        return self._new(
            TensorData.view_of(self._tensor._storage, shape, None, self._tensor.version)
        )

    def contiguous(self) -> Tensor:
        """A row-major copy (or the tensor itself when it already is row-major)."""
        if self.is_contiguous():
            return self
        return Copy.apply(self)

    # ------------------------------------------------------- tensor creation
    def zeros_like(self) -> Tensor:
        """Zeros of this tensor's shape, dtype and backend."""
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
        raise ArgumentTypeError(f"{op}: cannot make a tensor from {type(data).__name__}")
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


def _dtype_of(data: Any) -> np.dtype[Any]:
    """The dtype a tensor made from ``data`` gets when none is asked for, as in PyTorch.

    A tensor or a NumPy array of float32 or float64 keeps its dtype; anything
    else (lists, integers) becomes float64, the library's default.
    """
    found = getattr(data, "dtype", None)
    return found if found in DTYPES else float64


def tensor(
    data: Any,
    backend: TensorBackend | None = None,
    requires_grad: bool = False,
    dtype: object = None,
) -> Tensor:
    """Make a tensor from a (nested) list of numbers, in ``dtype``.

    Without a ``dtype``, a float32 or float64 tensor or NumPy array keeps its
    dtype and anything else (lists, integers) becomes float64, as in PyTorch
    with float64 as the default.

    >>> tensor([[1, 2, 3], [4, 5, 6]])
    [[1.00 2.00 3.00]
     [4.00 5.00 6.00]]
    >>> tensor([[1, 2], [3]])
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: tensor: ragged nested list: element 0 has shape (2,) but element 1 has shape (1,); every row must have the same length
    """
    dtype = _dtype_of(data) if dtype is None else check_dtype("tensor", dtype)
    values, shape = _flatten(data, "tensor")
    if shape == ():
        shape = (1,)
    t = Tensor(TensorData(np.array(values, dtype=dtype), shape), backend=backend)
    return t.requires_grad_(requires_grad)


def from_numpy(
    array: npt.ArrayLike, backend: TensorBackend | None = None, dtype: object = None
) -> Tensor:
    """A tensor with a copy of a NumPy array's values and shape.

    A float32 or float64 array keeps its dtype unless ``dtype`` says otherwise;
    integers and booleans become float64. (PyTorch's ``from_numpy`` shares the
    array's memory and keeps integer dtypes; this library has floating tensors
    only, and copies so that the tensor owns contiguous storage.)

    >>> from_numpy(np.arange(3.0)).shape
    (3,)
    >>> from_numpy(np.ones(2, np.float32)).dtype, from_numpy(np.arange(2)).dtype
    (dtype('float32'), dtype('float64'))
    """
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise ArgumentTypeError(
            f"from_numpy: needs an array of real numbers, got dtype {a.dtype} "
            f"({np.array2string(a.reshape(-1)[:3], threshold=3)}...)"
        )
    dtype = _dtype_of(a) if dtype is None else check_dtype("from_numpy", dtype)
    a = np.array(a, dtype=dtype)
    return Tensor(TensorData(a.reshape(-1), a.shape), backend=backend)


def _size(shape: tuple[int, ...]) -> int:
    size = 1
    for s in shape:
        size *= s
    return size


def zeros(
    shape: Sequence[int] | int, backend: TensorBackend | None = None, dtype: object = None
) -> Tensor:
    """A tensor of zeros, float64 unless ``dtype`` is given.

    >>> zeros((2, 2))
    [[0.00 0.00]
     [0.00 0.00]]
    """
    shape = check_sizes("zeros", shape)
    dtype = float64 if dtype is None else check_dtype("zeros", dtype)
    return Tensor(TensorData.view_of(np.zeros(_size(shape), dtype), shape), backend=backend)


def ones(
    shape: Sequence[int] | int, backend: TensorBackend | None = None, dtype: object = None
) -> Tensor:
    """A tensor of ones, float64 unless ``dtype`` is given.

    >>> ones(3)
    [1.00 1.00 1.00]
    """
    shape = check_sizes("ones", shape)
    dtype = float64 if dtype is None else check_dtype("ones", dtype)
    return Tensor(TensorData.view_of(np.ones(_size(shape), dtype), shape), backend=backend)


def rand(
    shape: Sequence[int] | int,
    backend: TensorBackend | None = None,
    requires_grad: bool = False,
    seed: int | None = None,
    dtype: object = None,
) -> Tensor:
    """Uniform random numbers in [0, 1), from the library's seedable generator.

    Args:
        shape: the tensor's shape.
        backend: the backend (the fast one by default).
        requires_grad: whether the result is a leaf that needs a gradient.
        seed: a seed for this call only; otherwise :func:`minitorch.manual_seed` applies.
        dtype: float64 (default) or float32. The numbers are drawn in float64
            and rounded, so one seed gives the same numbers in both dtypes.

    >>> rand((2, 3), seed=0).shape
    (2, 3)
    >>> rand(4, seed=1).is_close(rand(4, seed=1)).all().item()
    1.0

    """
    shape = check_sizes("rand", shape)
    dtype = float64 if dtype is None else check_dtype("rand", dtype)
    values = rng.generator(seed).random(_size(shape))
    t = Tensor(TensorData(values, shape, dtype=dtype), backend=backend)
    return t.requires_grad_(requires_grad)


def zeros_like(t: Tensor) -> Tensor:
    """Zeros of the shape, dtype and backend of ``t``.

    >>> zeros_like(tensor([1.0, 2.0]))
    [0.00 0.00]
    """
    return t.zeros(t.shape)


__all__ = [
    "fast_backend",
    "float32",
    "float64",
    "SimpleBackend",
    "Tensor",
    "from_numpy",
    "ones",
    "rand",
    "tensor",
    "zeros",
    "zeros_like",
]
