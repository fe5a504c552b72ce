"""Vectors of one AVX2 register (4 float64 or 8 float32 numbers) for the convolution's inner loop.

LLVM vectorises a loop by itself when the loop's shape lets it; the
outer-product micro-kernel of :mod:`minitorch.fast_conv` needs 12 vector sums
held in registers across its whole inner loop, which it never finds alone.
Written with 48 scalar sums, LLVM vectorised the wrong loop (a reduction per
sum, spilling registers) and the product ran at 16 GFLOP/s; written with these
vectors it runs at 63 GFLOP/s, as fast as OpenBLAS's ``dgemm`` on two threads
(a 516 x 1152 by 1152 x 256 product, 2-core AMD EPYC, float64).

Each function is plain Python, which says what it computes and is what runs
under ``NUMBA_DISABLE_JIT=1`` (a vector is then a NumPy array of ``lanes``
numbers). Compiled, each is one or two LLVM vector instructions.

>>> import numpy as np
>>> a = np.arange(8.0)
>>> fma(splat(a, 2), load(a, 4), zeros(a)).tolist()
[8.0, 10.0, 12.0, 14.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, overload, register_model

# Bytes of one vector register: AVX2's 256 bits. (AVX-512 has 64; the kernels
# were measured on a machine without it.)
VECTOR_BYTES = 32


def lanes(array: Any) -> int:
    """How many of ``array``'s numbers one vector holds: 4 float64 or 8 float32."""
    return VECTOR_BYTES // array.dtype.itemsize


def zeros(array: Any) -> Any:
    """A vector of zeros of ``array``'s dtype."""
    return np.zeros(lanes(array), array.dtype)


def load(array: Any, i: int) -> Any:
    """The vector ``array[i : i + lanes]``."""
    return array[i : i + lanes(array)].copy()


def splat(array: Any, i: int) -> Any:
    """The vector whose every lane is ``array[i]``."""
    return np.full(lanes(array), array[i], array.dtype)


def fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` lane by lane, with one rounding (a fused multiply-add)."""
    return a * b + c


def store(array: Any, i: int, v: Any) -> None:
    """Write the vector ``v`` to ``array[i : i + lanes]``."""
    array[i : i + len(v)] = v


def prefetch(array: Any, i: int) -> None:
    """Ask the hardware to bring ``array[i]`` into the cache; compute nothing (a hint)."""


# --- the compiled twins ------------------------------------------------------


class Vector(types.Type):
    """Numba's type of a vector of ``count`` numbers of ``dtype``: an LLVM ``<count x dtype>``."""

    def __init__(self, dtype: types.Type, count: int) -> None:
        self.dtype = dtype
        self.count = count
        super().__init__(name=f"Vector({dtype} x {count})")


@register_model(Vector)
class _VectorModel(models.PrimitiveModel):
    def __init__(self, dmm: Any, fe_type: Vector) -> None:
        element = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(element, fe_type.count))


def _vector_of(array: Any) -> Vector:
    """The vector type of a Numba array type's numbers."""
    return Vector(array.dtype, VECTOR_BYTES * 8 // array.dtype.bitwidth)


def _address(context: Any, builder: Any, array_type: Any, array: Any, i: Any) -> Any:
    data = context.make_array(array_type)(context, builder, array).data
    return cgutils.gep(builder, data, i)


def _zeros_typed(typingctx: Any, array: Any) -> Any:
    vector = _vector_of(array)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return ir.Constant(context.get_value_type(vector), None)

    return vector(array), codegen


_zeros: Any = intrinsic(_zeros_typed)


def _load_typed(typingctx: Any, array: Any, i: Any) -> Any:
    vector = _vector_of(array)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        address = _address(context, builder, signature.args[0], args[0], args[1])
        pointer = builder.bitcast(address, context.get_value_type(vector).as_pointer())
        return builder.load(pointer, align=array.dtype.bitwidth // 8)

    return vector(array, i), codegen


_load: Any = intrinsic(_load_typed)


def _splat_typed(typingctx: Any, array: Any, i: Any) -> Any:
    vector = _vector_of(array)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        value = builder.load(_address(context, builder, signature.args[0], args[0], args[1]))
        llvm_type = context.get_value_type(vector)
        one = builder.insert_element(ir.Constant(llvm_type, None), value, ir.IntType(32)(0))
        mask = ir.Constant(ir.VectorType(ir.IntType(32), vector.count), [0] * vector.count)
        return builder.shuffle_vector(one, ir.Constant(llvm_type, None), mask)

    return vector(array, i), codegen


_splat: Any = intrinsic(_splat_typed)


def _fma_typed(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        llvm_type = args[0].type
        bits = a.dtype.bitwidth
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(llvm_type, [llvm_type] * 3),
            f"llvm.fma.v{a.count}f{bits}",
        )
        return builder.call(function, args)

    return a(a, b, c), codegen


_fma: Any = intrinsic(_fma_typed)


def _store_typed(typingctx: Any, array: Any, i: Any, v: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        address = _address(context, builder, signature.args[0], args[0], args[1])
        pointer = builder.bitcast(address, args[2].type.as_pointer())
        builder.store(args[2], pointer, align=array.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(array, i, v), codegen


_store: Any = intrinsic(_store_typed)


def _prefetch_typed(typingctx: Any, array: Any, i: Any) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        address = _address(context, builder, signature.args[0], args[0], args[1])
        pointer = builder.bitcast(address, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        builder.call(function, [pointer, i32(0), i32(3), i32(1)])  # read, keep, data
        return context.get_dummy_value()

    return types.none(array, i), codegen


_prefetch: Any = intrinsic(_prefetch_typed)


# An overload's parameters must read exactly as its implementation's, annotations included.
@overload(lanes, inline="always")
def _lanes_compiled(array: Any) -> Any:
    count = _vector_of(array).count

    def compiled(array: Any) -> Any:
        return count

    return compiled


@overload(zeros, inline="always")
def _zeros_compiled(array: Any) -> Any:
    def compiled(array: Any) -> Any:
        return _zeros(array)

    return compiled


@overload(load, inline="always")
def _load_compiled(array: Any, i: Any) -> Any:
    def compiled(array: Any, i: Any) -> Any:
        return _load(array, i)

    return compiled


@overload(splat, inline="always")
def _splat_compiled(array: Any, i: Any) -> Any:
    def compiled(array: Any, i: Any) -> Any:
        return _splat(array, i)

    return compiled


@overload(fma, inline="always")
def _fma_compiled(a: Any, b: Any, c: Any) -> Any:
    def compiled(a: Any, b: Any, c: Any) -> Any:
        return _fma(a, b, c)

    return compiled


@overload(store, inline="always")
def _store_compiled(array: Any, i: Any, v: Any) -> Any:
    def compiled(array: Any, i: Any, v: Any) -> Any:
        _store(array, i, v)

    return compiled


@overload(prefetch, inline="always")
def _prefetch_compiled(array: Any, i: Any) -> Any:
    def compiled(array: Any, i: Any) -> Any:
        _prefetch(array, i)

    return compiled
