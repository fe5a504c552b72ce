"""The Numba backend: the same map / zip / reduce / matmul as ``SimpleOps``, compiled.

Each kernel is the plain-Python loop of :mod:`minitorch.tensor_ops` changed in
three ways: the outer loop is a ``prange`` (independent outputs run on all
cores), index buffers are allocated once per iteration of that outer loop and
never inside an inner loop, and when input and output have the same shape and
strides the index math is skipped altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numba
import numpy as np
from numba import prange

from .tensor_data import (
    MAX_DIMS,
    Shape,
    Storage,
    Strides,
    broadcast_index_jit,
    index_to_position_jit,
    shape_broadcast,
    to_index_jit,
)
from .tensor_ops import Kernel, MapProto, matmul_shape

if TYPE_CHECKING:
    from .tensor import Tensor


def _aligned(a_shape: Shape, a_strides: Strides, b_shape: Shape, b_strides: Strides) -> bool:
    """Whether two layouts are identical, so that position i of one is position i of the other."""
    return len(a_shape) == len(b_shape) and bool(
        np.array_equal(a_shape, b_shape) and np.array_equal(a_strides, b_strides)
    )


_aligned_jit = numba.njit(inline="always", cache=True)(_aligned)


def tensor_map(fn: Callable[[float], float]) -> Kernel:
    """Compile the map kernel for ``fn`` (arguments as in ``tensor_ops.tensor_map``)."""
    fn_jit = numba.njit(inline="always")(fn)

    def _map(
        out: Storage,
        out_shape: Shape,
        out_strides: Strides,
        in_storage: Storage,
        in_shape: Shape,
        in_strides: Strides,
    ) -> None:
        size = out.size if _aligned_jit(out_shape, out_strides, in_shape, in_strides) else 0
        if size == len(out) and size == len(in_storage):
            for i in prange(size):
                out[i] = fn_jit(in_storage[i])
            return
        total = 1
        for s in out_shape:
            total *= s
        for ordinal in prange(total):
            out_index = np.empty(MAX_DIMS, np.int64)
            in_index = np.empty(MAX_DIMS, np.int64)
            to_index_jit(ordinal, out_shape, out_index)
            broadcast_index_jit(out_index, out_shape, in_shape, in_index)
            o = index_to_position_jit(out_index[: len(out_shape)], out_strides)
            j = index_to_position_jit(in_index[: len(in_shape)], in_strides)
            out[o] = fn_jit(in_storage[j])

    return numba.njit(parallel=True)(_map)


def tensor_zip(fn: Callable[[float, float], float]) -> Kernel:
    """Compile the zip kernel for ``fn`` (arguments as in ``tensor_ops.tensor_zip``)."""
    fn_jit = numba.njit(inline="always")(fn)

    def _zip(
        out: Storage,
        out_shape: Shape,
        out_strides: Strides,
        a_storage: Storage,
        a_shape: Shape,
        a_strides: Strides,
        b_storage: Storage,
        b_shape: Shape,
        b_strides: Strides,
    ) -> None:
        if (
            _aligned_jit(out_shape, out_strides, a_shape, a_strides)
            and _aligned_jit(out_shape, out_strides, b_shape, b_strides)
            and len(out) == len(a_storage) == len(b_storage)
        ):
            for i in prange(len(out)):
                out[i] = fn_jit(a_storage[i], b_storage[i])
            return
        total = 1
        for s in out_shape:
            total *= s
        for ordinal in prange(total):
            out_index = np.empty(MAX_DIMS, np.int64)
            a_index = np.empty(MAX_DIMS, np.int64)
            b_index = np.empty(MAX_DIMS, np.int64)
            to_index_jit(ordinal, out_shape, out_index)
            broadcast_index_jit(out_index, out_shape, a_shape, a_index)
            broadcast_index_jit(out_index, out_shape, b_shape, b_index)
            o = index_to_position_jit(out_index[: len(out_shape)], out_strides)
            ja = index_to_position_jit(a_index[: len(a_shape)], a_strides)
            jb = index_to_position_jit(b_index[: len(b_shape)], b_strides)
            out[o] = fn_jit(a_storage[ja], b_storage[jb])

    return numba.njit(parallel=True)(_zip)


def tensor_reduce(fn: Callable[[float, float], float]) -> Kernel:
    """Compile the reduce kernel for ``fn`` (arguments as in ``tensor_ops.tensor_reduce``)."""
    fn_jit = numba.njit(inline="always")(fn)

    def _reduce(
        out: Storage,
        out_shape: Shape,
        out_strides: Strides,
        a_storage: Storage,
        a_shape: Shape,
        a_strides: Strides,
        reduce_dim: int,
    ) -> None:
        total = 1
        for s in out_shape:
            total *= s
        n = a_shape[reduce_dim]
        step = a_strides[reduce_dim]
        for ordinal in prange(total):
            out_index = np.empty(MAX_DIMS, np.int64)
            to_index_jit(ordinal, out_shape, out_index)
            o = index_to_position_jit(out_index[: len(out_shape)], out_strides)
            start = index_to_position_jit(out_index[: len(out_shape)], a_strides)
            accumulator = out[o]
            for k in range(n):
                accumulator = fn_jit(accumulator, a_storage[start + k * step])
            out[o] = accumulator

    return numba.njit(parallel=True)(_reduce)


def _tensor_matrix_multiply(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    a_storage: Storage,
    a_shape: Shape,
    a_strides: Strides,
    b_storage: Storage,
    b_shape: Shape,
    b_strides: Strides,
) -> None:
    """Batched ``out[..., i, j] = sum_k a[..., i, k] * b[..., k, j]``, parallel over batch and rows.

    The leading dimensions of ``a`` and ``b`` broadcast to those of ``out``.
    """
    dims = len(out_shape)
    rows = out_shape[dims - 2]
    cols = out_shape[dims - 1]
    inner = a_shape[len(a_shape) - 1]
    batch = 1
    for d in range(dims - 2):
        batch *= out_shape[d]
    a_col_stride = a_strides[len(a_shape) - 1]
    b_row_stride = b_strides[len(b_shape) - 2]
    b_col_stride = b_strides[len(b_shape) - 1]
    for job in prange(batch * rows):
        n = job // rows
        i = job % rows
        out_index = np.zeros(MAX_DIMS, np.int64)
        a_index = np.zeros(MAX_DIMS, np.int64)
        b_index = np.zeros(MAX_DIMS, np.int64)
        to_index_jit(n * rows * cols, out_shape, out_index)
        out_index[dims - 2] = i
        broadcast_index_jit(out_index, out_shape, a_shape, a_index)
        broadcast_index_jit(out_index, out_shape, b_shape, b_index)
        a_index[len(a_shape) - 1] = 0
        b_index[len(b_shape) - 2] = 0
        b_index[len(b_shape) - 1] = 0
        a_start = index_to_position_jit(a_index[: len(a_shape)], a_strides)
        b_start = index_to_position_jit(b_index[: len(b_shape)], b_strides)
        o_start = index_to_position_jit(out_index[:dims], out_strides)
        for j in range(cols):
            total = 0.0
            for k in range(inner):
                total += (
                    a_storage[a_start + k * a_col_stride]
                    * b_storage[b_start + k * b_row_stride + j * b_col_stride]
                )
            out[o_start + j * out_strides[dims - 1]] = total


tensor_matrix_multiply = numba.njit(parallel=True, cache=True)(_tensor_matrix_multiply)


class FastOps:
    """The Numba backend: parallel compiled kernels with the ``SimpleOps`` interface."""

    @staticmethod
    def map(fn: Callable[[float], float]) -> MapProto:
        """Element-wise ``fn``, compiled and parallel."""
        kernel = tensor_map(fn)

        def fast_map(a: Tensor, out: Tensor | None = None) -> Tensor:
            if out is None:
                out = a.zeros(a.shape)
            kernel(*out.tuple(), *a.tuple())
            return out

        return fast_map

    @staticmethod
    def zip(fn: Callable[[float, float], float]) -> Callable[[Tensor, Tensor], Tensor]:
        """Element-wise ``fn`` of two broadcast tensors, compiled and parallel."""
        kernel = tensor_zip(fn)

        def fast_zip(a: Tensor, b: Tensor) -> Tensor:
            out = a.zeros(shape_broadcast(a.shape, b.shape))
            kernel(*out.tuple(), *a.tuple(), *b.tuple())
            return out

        return fast_zip

    @staticmethod
    def reduce(
        fn: Callable[[float, float], float], start: float = 0.0
    ) -> Callable[[Tensor, int], Tensor]:
        """Fold ``fn`` along ``dim``, compiled and parallel over the kept elements."""
        kernel = tensor_reduce(fn)

        def fast_reduce(a: Tensor, dim: int) -> Tensor:
            out_shape = list(a.shape)
            out_shape[dim] = 1
            out = a.zeros(tuple(out_shape))
            out._tensor._storage[:] = start
            kernel(*out.tuple(), *a.tuple(), dim)
            return out

        return fast_reduce

    @staticmethod
    def matrix_multiply(a: Tensor, b: Tensor) -> Tensor:
        """Batched matrix product, compiled and parallel over batch and rows."""
        out = a.zeros(matmul_shape(a.shape, b.shape))
        tensor_matrix_multiply(*out.tuple(), *a.tuple(), *b.tuple())
        return out
