"""Shapes, strides and the index math that maps a tensor index to storage.

A tensor is a flat ``storage`` of float64 or float32 numbers (its ``dtype``)
plus a ``shape`` and ``strides``: the element at index ``(i0, i1, ..., in)`` lives at
``storage[i0 * strides[0] + i1 * strides[1] + ... + in * strides[n]]``.
Views (``permute``, broadcasting, ``view``) change shape and strides and never
copy storage.

This module is the only place that does index math. Each index function is
written once in plain Python, used as-is by the reference backend and the book,
and compiled once in :mod:`minitorch.fast_ops` (``*_jit``) for every Numba
kernel to import. Nothing here imports Numba, so ``import minitorch`` does not
load it until a kernel is first needed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from .errors import ArgumentError, ArgumentTypeError, IndexingError, ShapeError

Storage: TypeAlias = npt.NDArray[np.floating[Any]]
OutIndex: TypeAlias = npt.NDArray[np.int64]
Index: TypeAlias = npt.NDArray[np.int64]
Shape: TypeAlias = npt.NDArray[np.int64]
Strides: TypeAlias = npt.NDArray[np.int64]

# The two kinds of number a tensor can hold, named as PyTorch names them
# (``minitorch.float64`` is NumPy's ``dtype('float64')``, where PyTorch's prints
# as ``torch.float64``). float64 is the default, as in the course this grew from.
float64 = np.dtype(np.float64)
float32 = np.dtype(np.float32)
DTYPES = (float64, float32)

# Kernels keep index buffers of this fixed length, so they allocate no per-shape arrays.
MAX_DIMS = 32

UserIndex: TypeAlias = Sequence[int]
UserShape: TypeAlias = Sequence[int]
UserStrides: TypeAlias = Sequence[int]


def index_to_position(index: Index, strides: Strides) -> int:
    """Return the storage position of a multidimensional index.

    ``position = sum_d index[d] * strides[d]``.

    >>> index_to_position(np.array([1, 2]), np.array([3, 1]))
    5
    >>> index_to_position(np.array([1, 2]), np.array([1, 2]))  # a transposed view
    5
    """
    position = 0
    for d in range(len(index)):
        position += index[d] * strides[d]
    return int(position)


def to_index(ordinal: int, shape: Shape, out_index: OutIndex) -> None:
    """Write into ``out_index`` the index of the ``ordinal``-th element in row-major order.

    The last dimension varies fastest, as when counting in a mixed radix.
    Enumerating ``ordinal = 0 .. size - 1`` visits every index exactly once.

    >>> out = np.zeros(2, dtype=np.int64)
    >>> to_index(5, np.array([2, 3]), out)
    >>> out.tolist()
    [1, 2]
    """
    remaining = ordinal
    for d in range(len(shape) - 1, -1, -1):
        out_index[d] = remaining % shape[d]
        remaining = remaining // shape[d]


def broadcast_index(big_index: Index, big_shape: Shape, shape: Shape, out_index: OutIndex) -> None:
    """Map an index of a broadcast (bigger) shape to the index of a smaller shape.

    Dimensions are aligned on the right; where the smaller shape has size 1 the
    index is 0, because that one element is shared along the whole dimension.

    >>> out = np.zeros(2, dtype=np.int64)
    >>> broadcast_index(np.array([4, 1, 2]), np.array([5, 3, 4]), np.array([1, 4]), out)
    >>> out.tolist()
    [0, 2]
    """
    offset = len(big_shape) - len(shape)
    for d in range(len(shape)):
        out_index[d] = big_index[d + offset] if shape[d] > 1 else 0


def shape_broadcast(shape1: UserShape, shape2: UserShape) -> tuple[int, ...]:
    """Return the shape that both shapes broadcast to.

    Shapes are aligned on the right; in each dimension the sizes must be equal,
    or one of them 1 (it is then stretched to the other).

    >>> shape_broadcast((2, 1, 4), (3, 1))
    (2, 3, 4)
    >>> shape_broadcast((0, 1), (3,))
    (0, 3)
    >>> shape_broadcast((2, 3), (4, 3))
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: broadcast: shapes (2, 3) and (4, 3) do not broadcast: aligned on the right, sizes 2 and 4 differ and neither is 1
    """
    if shape1 == shape2:  # the common case, and a quarter of a small addition's time
        return tuple(shape1)
    n = max(len(shape1), len(shape2))
    a = (1,) * (n - len(shape1)) + tuple(shape1)
    b = (1,) * (n - len(shape2)) + tuple(shape2)
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and x != 1 and y != 1:
            raise ShapeError(
                f"broadcast: shapes {tuple(shape1)} and {tuple(shape2)} do not broadcast: "
                f"aligned on the right, sizes {x} and {y} differ and neither is 1"
            )
        # A size 1 stretches to the other size, including 0.
        out.append(y if x == 1 else x)
    return tuple(out)


def strides_from_shape(shape: UserShape) -> tuple[int, ...]:
    """Return row-major (contiguous) strides for a shape.

    >>> strides_from_shape((2, 3, 4))
    (12, 4, 1)
    >>> strides_from_shape(())
    ()
    """
    strides: list[int] = []
    step = 1
    for size in reversed(shape):
        strides.insert(0, step)
        step *= size
    return tuple(strides)


def is_integer(value: object) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's; ``True`` and ``2.0`` are not).

    >>> is_integer(3), is_integer(np.int64(3)), is_integer(3.0), is_integer(True)
    (True, True, False, False)
    """
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def check_sizes(op: str, shape: object) -> tuple[int, ...]:
    """``shape`` as a tuple of ints, or the library's typed error naming ``op`` and the value.

    >>> check_sizes("zeros", (2, np.int64(3)))
    (2, 3)
    >>> check_sizes("zeros", (2.7, 3))
    Traceback (most recent call last):
    ...
    minitorch.errors.ArgumentTypeError: zeros: sizes must be integers, got 2.7 (float) in shape (2.7, 3)
    >>> check_sizes("zeros", (-1, 3))
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: zeros: sizes must not be negative, got shape (-1, 3)
    """
    if isinstance(shape, tuple | list) and all(type(s) is int and s >= 0 for s in shape):
        return tuple(shape)  # already what is asked for: the common case, kept cheap
    if is_integer(shape):
        shape = (shape,)
    if not isinstance(shape, Sequence | np.ndarray) or isinstance(shape, str):
        raise ArgumentTypeError(
            f"{op}: a shape is an integer or a sequence of integers, got {shape!r}"
        )
    sizes = tuple(shape)
    for size in sizes:
        if not is_integer(size):
            raise ArgumentTypeError(
                f"{op}: sizes must be integers, got {size!r} ({type(size).__name__}) "
                f"in shape {sizes!r}"
            )
    out = tuple(int(s) for s in sizes)
    if any(s < 0 for s in out):
        raise ShapeError(f"{op}: sizes must not be negative, got shape {out}")
    return out


def check_dtype(op: str, dtype: object) -> np.dtype[Any]:
    """``dtype`` as ``float64`` or ``float32``, or the library's typed error naming ``op``.

    Anything NumPy reads as one of the two is accepted (``minitorch.float32``,
    ``np.float32``, ``"float32"``, ``float``).

    >>> check_dtype("zeros", "float32"), check_dtype("zeros", float)
    (dtype('float32'), dtype('float64'))
    >>> check_dtype("zeros", np.float16)
    Traceback (most recent call last):
    ...
    minitorch.errors.ArgumentTypeError: zeros: a tensor holds float64 or float32 numbers, got dtype float16 (half precision is not supported: its 11-bit significand makes sums and gradients unreliable without the loss scaling this library does not do)
    """
    if isinstance(dtype, np.dtype) and dtype in DTYPES:
        return dtype  # the common case, kept cheap
    try:
        found = np.dtype(dtype) if dtype is not None else None  # type: ignore[call-overload]
    except TypeError:
        found = None
    if found is None:
        raise ArgumentTypeError(
            f"{op}: a tensor holds float64 or float32 numbers, got dtype {dtype!r}"
        )
    if found not in DTYPES:
        why = {
            "f": "half precision is not supported: its 11-bit significand makes sums and "
            "gradients unreliable without the loss scaling this library does not do"
            if found.itemsize == 2
            else "only the machine's own 8- and 4-byte floats are supported",
            "c": "complex numbers are not supported",
            "b": "boolean tensors are not supported: comparisons give 0.0 and 1.0",
        }.get(found.kind, "integer tensors are not supported: integer data becomes float64")
        raise ArgumentTypeError(
            f"{op}: a tensor holds float64 or float32 numbers, got dtype {found} ({why})"
        )
    return found


def promote_types(a: np.dtype[Any], b: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype of an element-wise operation on tensors of dtypes ``a`` and ``b``.

    PyTorch's rule for two floating types: the wider one wins, so float32 with
    float64 gives float64 (no precision is lost). A Python number combined with
    a tensor does not promote it: ``x * 0.5`` keeps ``x``'s dtype. Matrix products
    and convolutions do not promote at all: their operands must share a dtype,
    as in PyTorch.

    >>> promote_types(float32, float64), promote_types(float32, float32)
    (dtype('float64'), dtype('float32'))
    """
    return a if a == b else float64


class Version:
    """How many times a storage was written in place; shared by every view of it.

    A Function that saves a tensor for its backward records this number, and
    the backward pass refuses to run if it changed (as PyTorch's version counter).

    >>> v = Version(); v.bump(); v.count
    1
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def bump(self) -> None:
        """Record one more in-place write."""
        self.count += 1


def _prod(shape: UserShape) -> int:
    size = 1
    for s in shape:
        size *= int(s)
    return size


@functools.lru_cache(maxsize=4096)
def _row_major_layout(shape: tuple[int, ...]) -> tuple[tuple[int, ...], Shape, Strides, int]:
    """Strides, shape and strides as arrays, and size of a row-major tensor of ``shape``.

    A training step makes the same few shapes over and over, and building the
    two small arrays took a fifth of a 10 x 10 addition. The arrays are shared
    by every tensor of the shape; kernels only read them.
    """
    strides = strides_from_shape(shape)
    return (
        strides,
        np.array(shape, dtype=np.int64),
        np.array(strides, dtype=np.int64),
        _prod(shape),
    )


@functools.lru_cache(maxsize=4096)
def _strided_layout(
    shape: tuple[int, ...], strides: tuple[int, ...]
) -> tuple[Shape, Strides, int]:
    """Shape and strides as arrays, and size, of a view: shared as :func:`_row_major_layout`'s.

    The views a convolution's backward makes (its phases, grouped and swapped
    channels) come back every step; their arrays took a tenth of a small
    layer's forward and backward.
    """
    return np.array(shape, dtype=np.int64), np.array(strides, dtype=np.int64), _prod(shape)


@functools.lru_cache(maxsize=4096)
def _is_row_major(shape: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """:meth:`TensorData.is_contiguous` for a layout, remembered.

    A training step asks it of the same few layouts over and over, and the loop
    took a tenth of a 10 x 10 ``sum()``.
    """
    step = 1
    for size, stride in zip(reversed(shape), reversed(strides), strict=True):
        if size != 1 and stride != step:
            return False
        step *= size
    return True


class TensorData:
    """Storage, shape and strides: everything a kernel needs to find an element.

    Args:
        storage: flat numbers. An array of float64 or float32 keeps its dtype;
            anything else becomes float64 (copied to a NumPy array if needed).
        shape: size of each dimension.
        strides: step in storage for each dimension; row-major when omitted.
        version: the in-place write counter, shared with the views of a storage.
        dtype: convert the storage to this dtype (float64 or float32).

    >>> td = TensorData([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], (2, 3))
    >>> td.strides, td.get((1, 0))
    ((3, 1), 4.0)
    >>> td.permute(1, 0).get((0, 1))
    4.0

    """

    _storage: Storage
    _shape: Shape
    _strides: Strides
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dims: int
    size: int
    version: Version

    def __init__(
        self,
        storage: Sequence[float] | Storage,
        shape: UserShape,
        strides: UserStrides | None = None,
        version: Version | None = None,
        dtype: object = None,
    ) -> None:
        self.version = Version() if version is None else version
        if dtype is not None:
            dtype = check_dtype("tensor", dtype)
        elif isinstance(storage, np.ndarray) and storage.dtype in DTYPES:
            dtype = storage.dtype
        else:
            dtype = float64
        self._storage = np.ascontiguousarray(storage, dtype=dtype).reshape(-1)
        shape = check_sizes("tensor", shape)
        if len(shape) > MAX_DIMS:
            raise ShapeError(f"tensor: at most {MAX_DIMS} dimensions, got shape {shape}")
        if strides is None:
            strides = strides_from_shape(shape)
        elif isinstance(strides, tuple | list) and all(type(s) is int for s in strides):
            strides = tuple(strides)
        else:
            strides = tuple(int(s) for s in strides)
        if len(strides) != len(shape):
            raise ShapeError(
                f"tensor: strides {strides} and shape {shape} must have the same length"
            )
        self.shape = shape
        self.strides = strides
        self._shape = np.array(shape, dtype=np.int64)
        self._strides = np.array(strides, dtype=np.int64)
        self.dims = len(shape)
        self.size = _prod(shape)
        if self.size > 0:
            last = sum((s - 1) * st for s, st in zip(shape, strides, strict=True))
            if last >= len(self._storage) or min(strides, default=0) < 0:
                raise ShapeError(
                    f"tensor: shape {shape} with strides {strides} reaches position {last}, "
                    f"past the end of a storage of {len(self._storage)} numbers"
                )

    @classmethod
    def view_of(
        cls,
        storage: Storage,
        shape: tuple[int, ...],
        strides: tuple[int, ...] | None = None,
        version: Version | None = None,
    ) -> TensorData:
        """A ``TensorData`` from parts the library has already checked, without checking them again.

        For the results and views that operations make: ``storage`` is a flat
        float64 or float32 array, ``shape`` a tuple of non-negative ints and ``strides``
        (row-major when omitted) reach no element outside ``storage``. The
        constructor's checks cost about 20 us, as much as a small addition's
        kernel; a user's data still goes through the constructor.

        >>> TensorData.view_of(np.arange(6.0), (3, 2), (1, 3)).get((2, 1))
        5.0
        """
        self = cls.__new__(cls)
        self.version = Version() if version is None else version
        self._storage = storage
        self.shape = shape
        self.dims = len(shape)
        if strides is None:
            self.strides, self._shape, self._strides, self.size = _row_major_layout(shape)
        else:
            self.strides = strides
            self._shape, self._strides, self.size = _strided_layout(shape, strides)
        return self

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the numbers in storage, ``float64`` or ``float32``.

        >>> TensorData(np.zeros(2, np.float32), (2,)).dtype
        dtype('float32')
        """
        return self._storage.dtype

    def is_contiguous(self) -> bool:
        """Whether the elements lie in storage in row-major order with no gaps.

        Dimensions of size 1 are ignored: their stride is never used.

        >>> TensorData(np.zeros(6), (2, 3)).is_contiguous()
        True
        >>> TensorData(np.zeros(6), (2, 3)).permute(1, 0).is_contiguous()
        False
        """
        return _is_row_major(self.shape, self.strides)

    def index(self, index: int | UserIndex) -> int:
        """Return the storage position of ``index``, checking it against the shape.

        >>> TensorData(np.zeros(6), (2, 3)).index((1, 2))
        5
        >>> TensorData(np.zeros(6), (2, 3)).index((2, 0))
        Traceback (most recent call last):
        ...
        minitorch.errors.IndexingError: index: index (2, 0) is out of range for shape (2, 3): dimension 0 must be in [0, 2)
        """
        if is_integer(index):
            index = (int(index),)  # type: ignore[arg-type]
        if not isinstance(index, Sequence | np.ndarray) or isinstance(index, str):
            raise ArgumentTypeError(f"index: an index is a tuple of integers, got {index!r}")
        index = tuple(index)
        for i in index:
            if not is_integer(i):
                raise ArgumentTypeError(
                    f"index: indices must be integers, got {i!r} ({type(i).__name__}) "
                    f"in index {index!r}"
                )
        if len(index) != self.dims:
            raise IndexingError(
                f"index: index {index} has {len(index)} entries but the tensor has shape "
                f"{self.shape} ({self.dims} dimensions)"
            )
        for d, (i, size) in enumerate(zip(index, self.shape, strict=True)):
            if not 0 <= i < size:
                raise IndexingError(
                    f"index: index {index} is out of range for shape {self.shape}: "
                    f"dimension {d} must be in [0, {size})"
                )
        return index_to_position(np.array(index, dtype=np.int64), self._strides)

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Yield every index of the shape once, in row-major order.

        >>> list(TensorData(np.zeros(4), (2, 2)).indices())
        [(0, 0), (0, 1), (1, 0), (1, 1)]
        """
        out = np.zeros(self.dims, dtype=np.int64)
        for ordinal in range(self.size):
            to_index(ordinal, self._shape, out)
            yield tuple(int(i) for i in out)

    def get(self, key: int | UserIndex) -> float:
        """Return the element at ``key``.

        >>> TensorData([1.0, 2.0], (2,)).get((1,))
        2.0
        """
        return float(self._storage[self.index(key)])

    def set(self, key: int | UserIndex, value: float) -> None:
        """Set the element at ``key``.

        >>> td = TensorData([1.0, 2.0], (2,))
        >>> td.set((0,), 5.0); td.get((0,))
        5.0
        """
        self._storage[self.index(key)] = value
        self.version.bump()

    def kernel_args(self) -> tuple[Storage, Shape, Strides]:
        """Return ``(storage, shape, strides)`` as arrays, the arguments of every kernel.

        >>> [a.tolist() for a in TensorData([1.0, 2.0], (2, 1)).kernel_args()]
        [[1.0, 2.0], [2, 1], [1, 1]]
        """
        return self._storage, self._shape, self._strides

    def permute(self, *order: int) -> TensorData:
        """Return a view with the dimensions reordered; ``order[d]`` is the old dimension.

        >>> TensorData(np.zeros(24), (2, 3, 4)).permute(2, 0, 1).shape
        (4, 2, 3)
        >>> TensorData(np.zeros(6), (2, 3)).permute(0, 0)
        Traceback (most recent call last):
        ...
        minitorch.errors.ArgumentError: permute: order (0, 0) is not a permutation of (0, 1) for a tensor of shape (2, 3)
        """
        if not all(is_integer(o) for o in order):
            raise ArgumentTypeError(f"permute: the order must be integers, got {order!r}")
        order = tuple(int(o) for o in order)
        if sorted(order) != list(range(self.dims)):
            raise ArgumentError(
                f"permute: order {order} is not a permutation of {tuple(range(self.dims))} "
                f"for a tensor of shape {self.shape}"
            )
        return TensorData.view_of(
            self._storage,
            tuple(self.shape[o] for o in order),
            tuple(self.strides[o] for o in order),
            self.version,
        )

    def to_string(self) -> str:
        """Render the values as nested brackets with two decimals, as the book prints them.

        >>> print(TensorData([1.0, 2.0, 3.0, 4.0], (2, 2)).to_string())
        [
            [1.00 2.00]
            [3.00 4.00]]
        """
        return _format(self, ())

    def __repr__(self) -> str:
        return f"TensorData(shape={self.shape}, strides={self.strides})"


def _format(td: TensorData, prefix: tuple[int, ...]) -> str:
    depth = len(prefix)
    if td.dims == 0:
        return f"{td._storage[0]:.2f}"
    if depth == td.dims - 1:
        return "[" + " ".join(f"{td.get(prefix + (i,)):.2f}" for i in range(td.shape[depth])) + "]"
    indent = "    " * (depth + 1)
    rows = [indent + _format(td, prefix + (i,)) for i in range(td.shape[depth])]
    return "[\n" + "\n".join(rows) + "]"
