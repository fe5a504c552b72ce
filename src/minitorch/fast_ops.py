"""The Numba backend: the map / zip / reduce / matmul of ``SimpleOps``, compiled and parallel.

Each kernel is written once as plain Python (``_tensor_map``, ``_tensor_zip``,
``_tensor_reduce``, ``_tensor_matrix_multiply``) and bound to its compiled twin
(``tensor_map = njit(parallel=True, cache=True)(_tensor_map)``); with
``NUMBA_DISABLE_JIT=1`` the plain functions run as they are.

Four choices make the kernels fast:

- The outer loop is a ``prange`` over independent pieces of the output, so the
  pieces run on every core. Index buffers are allocated once per piece, never
  in an inner loop.
- The innermost loop runs over contiguous 1-D slices (a row of the output and
  a row of each input) indexed by the loop counter, so LLVM emits vector code.
  Flat index arithmetic there (``storage[start + j * stride]``) blocks that:
  a matmul written so was measured 9x slower. A strided or broadcast row is
  first copied into a small buffer (:func:`_contiguous_row`).
- When the input and the output have the same shape and strides, and the
  output fills its storage, the whole storage is one row, cut into segments
  for the threads: index math once per segment, not per row.
- Work below ``PARALLEL_WORK`` runs on one thread (:func:`minitorch.jit.launch`):
  waking the others costs more than a small tensor's work.

One choice makes them cacheable, so that a new process loads them from disk
instead of compiling them again (seconds per kernel): which scalar function to
apply is an integer *op code* (``NEG``, ``ADD``, ...), not a function. Numba
keys its disk cache on a function's code and, for a closure, on a pickle of
the values it captured; a captured compiled function pickles differently in
every process, so kernels built around one were never found in the cache, and
a kernel that passes a compiled function as an argument is not cached at all.
Each module-level kernel takes an op code and, for each row, calls a switch
(:func:`_map_row_by_op` ...) that runs the inner loop compiled for that code's
function: one kernel serves every function of the library and is compiled
once. A function outside the tables (a user's lambda) gets the same kernel code
with its own loop in place of the switch, compiled in each process that uses it.

The cache sits in ``__pycache__`` beside this file or, where that directory is
read-only, in Numba's user-wide cache directory, and :mod:`minitorch.jit` keys
it on the library's kernel sources: after an edit of :mod:`minitorch.operators`
or :mod:`minitorch.tensor_data` the kernels compile again by themselves.

The results equal ``SimpleOps`` bit for bit: every output element comes from
the same scalar function, and a reduction or a matmul combines its terms in
the same order ``k = 0, 1, 2, ...``. The speed comes from working on many
outputs at once, never from reordering the terms of one.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import prange

from . import fast_conv, fast_train, operators
from .jit import MAX_PIECES, launch, njit
from .tensor_data import (
    MAX_DIMS,
    Index,
    Shape,
    Storage,
    Strides,
    TensorData,
    broadcast_index,
    index_to_position,
    promote_types,
    shape_broadcast,
    to_index,
)
from .tensor_ops import (
    AdamStep,
    ConvGeometry,
    Indices,
    Kernel,
    MapProto,
    PoolWindow,
    SGDStep,
    matmul_shape,
)

if TYPE_CHECKING:
    from .tensor import Tensor

# The op codes: one for each scalar function that TensorBackend specialises a
# kernel to. The tables map each function to its code.
# One-argument functions (map).
NEG, ID, EXP, LOG, INV, RELU, SIGMOID = range(7)
UNARY_OPS: dict[Callable[[float], float], int] = {
    operators.neg: NEG,
    operators.id: ID,
    operators.exp: EXP,
    operators.log: LOG,
    operators.inv: INV,
    operators.relu: RELU,
    operators.sigmoid: SIGMOID,
}

# Two-argument functions (zip and reduce).
ADD, MUL, MAX, LT, EQ, IS_CLOSE, LOG_BACK, INV_BACK, RELU_BACK, SIGMOID_BACK = range(10)
BINARY_OPS: dict[Callable[[float, float], float], int] = {
    operators.add: ADD,
    operators.mul: MUL,
    operators.lt: LT,
    operators.eq: EQ,
    operators.is_close: IS_CLOSE,
    operators.log_back: LOG_BACK,
    operators.inv_back: INV_BACK,
    operators.relu_back: RELU_BACK,
    operators.sigmoid_back: SIGMOID_BACK,
}

# The index math of minitorch.tensor_data, compiled once, here, for every kernel
# of the library to import (LLVM inlines the calls).
_inline = njit(cache=True)
index_to_position_jit = _inline(index_to_position)
to_index_jit = _inline(to_index)
broadcast_index_jit = _inline(broadcast_index)

# The functions a reduction is compiled for; other folds take the uncached path.
REDUCE_OPS: dict[Callable[[float, float], float], int] = {
    operators.add: ADD,
    operators.mul: MUL,
    operators.max: MAX,
}

# Longest piece of a row that one job of a map or zip computes: long rows (an
# aligned storage is one row) are cut so that they spread over the threads.
ROW_SEGMENT = 16384

# Rows shorter than this are run along a longer dimension when there is one
# (see _choose_rows).
SHORT_ROW = 16
# A map whose rows write scattered numbers beside the next rows' takes up to this many
# rows a job, this many numbers of each (see _tensor_map).
TILE_ROWS = 8
TILE_SEGMENT = 256
# Bytes of a cache line.
LINE = 64
# Outputs a reduction job folds: 256 contiguous outputs make an inner loop long
# enough to vectorise (measured on a sum over the first dim of 1000 x 1000:
# 256 fastest, 128 1.2x and 32 1.4x slower), and four jobs still share two cores.
REDUCE_TILE = 256
# Rows of ``a`` that share each row of ``b`` in a matmul (measured: 4 is as
# fast as 8 and keeps the accumulator rows in L1 for 512 columns).
MATMUL_ROWS = 4


def _compiled(fn: Callable[..., float]) -> Any:
    """``fn`` compiled by Numba (``fn`` may already be a Numba dispatcher).

    With NumPy's error model (:func:`minitorch.jit.njit`'s default) a division
    by zero gives ``inf`` or ``nan``, as it does on the NumPy scalars that
    SimpleOps computes with, instead of raising.

    >>> float(_compiled(operators.inv)(0.0))
    inf
    """
    return njit()(getattr(fn, "py_func", fn))


# Each factory below compiles the innermost loop of one kind of kernel for one
# scalar function, which Numba then inlines into the loop so that LLVM can
# vectorise it. The function is captured, not passed as an argument: a kernel
# that hands a compiled function to another one cannot be cached.


def _named(loop: Callable[..., None], fn: Callable[..., float]) -> Callable[..., None]:
    """Name a loop after the scalar function it calls: ``zip_loop`` becomes ``zip_loop_add``.

    Numba names a compiled function after its ``__qualname__`` and a counter of
    this process. The loops of every factory share one qualname, so a kernel
    loaded from the disk cache, whose calls name the loops as the process that
    compiled it numbered them, could be linked to another loop that this
    process compiled first under the same name: ``a + b`` once ran
    ``inv_back``. A name per function makes any such link the same loop.
    """
    name = f"{loop.__name__}_{getattr(fn, '__name__', 'fn')}"
    loop.__name__ = name
    loop.__qualname__ = f"{loop.__qualname__.rsplit('.', 1)[0]}.{name}"
    return loop


def _map_loop(fn: Callable[[float], float]) -> Any:
    """Compile ``out_row[j] = fn(in_row[j])`` for every ``j``: the innermost loop of a map.

    >>> out = np.zeros(2)
    >>> _map_loop(operators.neg)(out, np.array([1.0, 2.0]))
    >>> out.tolist()
    [-1.0, -2.0]
    """
    fn_jit = _compiled(fn)

    def map_loop(out_row: Storage, in_row: Storage) -> None:
        for j in range(len(out_row)):
            out_row[j] = fn_jit(in_row[j])

    return njit()(_named(map_loop, fn))


def _zip_loop(fn: Callable[[float, float], float]) -> Any:
    """Compile ``out_row[j] = fn(a_row[j], b_row[j])`` for every ``j``: the innermost loop of a zip.

    >>> out = np.zeros(2)
    >>> _zip_loop(operators.add)(out, np.array([1.0, 2.0]), np.array([10.0, 20.0]))
    >>> out.tolist()
    [11.0, 22.0]
    """
    fn_jit = _compiled(fn)

    def zip_loop(out_row: Storage, a_row: Storage, b_row: Storage) -> None:
        for j in range(len(out_row)):
            out_row[j] = fn_jit(a_row[j], b_row[j])

    return njit()(_named(zip_loop, fn))


def _fold_loop(fn: Callable[[float, float], float]) -> Any:
    """Compile the fold of ``n`` rows of ``a`` into ``acc``, in order: the inner loops of a reduction.

    Row ``k`` holds ``a_storage[start + k * step + j * a_step]`` for ``j < len(acc)``,
    and ``acc[j] = fn(acc[j], row_k[j])`` for ``k = 0, 1, ..., n - 1``. Each
    output's own chain of operations is sequential, so the loops keep several
    outputs in flight: where the rows are contiguous (``a_step == 1``) the loop
    over ``j`` runs across outputs and vectorises; where each output's numbers
    are contiguous instead (``step == 1``) four outputs are folded side by side
    along their runs (measured 4.6x faster than across outputs there).

    >>> acc = np.zeros(2)
    >>> columns = _fold_loop(operators.add)  # of [[0, 1], [2, 3], [4, 5]]:
    >>> columns(acc, np.arange(6.0), 0, 2, 1, 3)
    >>> acc.tolist()
    [6.0, 9.0]
    """
    fn_jit = _compiled(fn)

    def fold_loop(
        acc: Storage, a_storage: Storage, start: int, step: int, a_step: int, n: int
    ) -> None:
        width = len(acc)
        if a_step == 1:
            for k in range(n):
                row = a_storage[start + k * step : start + k * step + width]
                for j in range(width):
                    acc[j] = fn_jit(acc[j], row[j])
            return
        first = 0
        if step == 1:
            for first in range(0, width - 3, 4):
                p = start + first * a_step
                run0 = a_storage[p : p + n]
                run1 = a_storage[p + a_step : p + a_step + n]
                run2 = a_storage[p + 2 * a_step : p + 2 * a_step + n]
                run3 = a_storage[p + 3 * a_step : p + 3 * a_step + n]
                x0, x1, x2, x3 = acc[first], acc[first + 1], acc[first + 2], acc[first + 3]
                for k in range(n):
                    x0 = fn_jit(x0, run0[k])
                    x1 = fn_jit(x1, run1[k])
                    x2 = fn_jit(x2, run2[k])
                    x3 = fn_jit(x3, run3[k])
                acc[first], acc[first + 1], acc[first + 2], acc[first + 3] = x0, x1, x2, x3
            first = width - width % 4
        for k in range(n):
            position = start + k * step
            for j in range(first, width):
                acc[j] = fn_jit(acc[j], a_storage[position + j * a_step])

    return njit()(_named(fold_loop, fn))


_neg_loop = _map_loop(operators.neg)
_id_loop = _map_loop(operators.id)
_exp_loop = _map_loop(operators.exp)
_log_loop = _map_loop(operators.log)
_inv_loop = _map_loop(operators.inv)
_relu_loop = _map_loop(operators.relu)
_sigmoid_loop = _map_loop(operators.sigmoid)

_add_loop = _zip_loop(operators.add)
_mul_loop = _zip_loop(operators.mul)
_lt_loop = _zip_loop(operators.lt)
_eq_loop = _zip_loop(operators.eq)
_is_close_loop = _zip_loop(operators.is_close)
_log_back_loop = _zip_loop(operators.log_back)
_inv_back_loop = _zip_loop(operators.inv_back)
_relu_back_loop = _zip_loop(operators.relu_back)
_sigmoid_back_loop = _zip_loop(operators.sigmoid_back)

_add_fold = _fold_loop(operators.add)
_mul_fold = _fold_loop(operators.mul)
_max_fold = _fold_loop(operators.max)


# The switches turn an op code into a call of that code's loop. They cost one
# comparison per row; a switch per element, inside the loop, made a sum 4x slower.


def _map_row_by_op(op: int, out_row: Storage, in_row: Storage) -> None:
    """``out_row[j] = f(in_row[j])`` for every ``j``, ``f`` the function of op code ``op``.

    >>> out = np.zeros(2)
    >>> _map_row_by_op(RELU, out, np.array([-1.0, 2.0]))
    >>> out.tolist()
    [0.0, 2.0]
    """
    if op == NEG:
        _neg_loop(out_row, in_row)
    elif op == ID:
        _id_loop(out_row, in_row)
    elif op == EXP:
        _exp_loop(out_row, in_row)
    elif op == LOG:
        _log_loop(out_row, in_row)
    elif op == INV:
        _inv_loop(out_row, in_row)
    elif op == RELU:
        _relu_loop(out_row, in_row)
    elif op == SIGMOID:
        _sigmoid_loop(out_row, in_row)


def _zip_row_by_op(op: int, out_row: Storage, a_row: Storage, b_row: Storage) -> None:
    """``out_row[j] = f(a_row[j], b_row[j])`` for every ``j``, ``f`` the function of op code ``op``.

    >>> out = np.zeros(2)
    >>> _zip_row_by_op(LT, out, np.array([1.0, 2.0]), np.array([2.0, 1.0]))
    >>> out.tolist()
    [1.0, 0.0]
    """
    if op == ADD:
        _add_loop(out_row, a_row, b_row)
    elif op == MUL:
        _mul_loop(out_row, a_row, b_row)
    elif op == LT:
        _lt_loop(out_row, a_row, b_row)
    elif op == EQ:
        _eq_loop(out_row, a_row, b_row)
    elif op == IS_CLOSE:
        _is_close_loop(out_row, a_row, b_row)
    elif op == LOG_BACK:
        _log_back_loop(out_row, a_row, b_row)
    elif op == INV_BACK:
        _inv_back_loop(out_row, a_row, b_row)
    elif op == RELU_BACK:
        _relu_back_loop(out_row, a_row, b_row)
    elif op == SIGMOID_BACK:
        _sigmoid_back_loop(out_row, a_row, b_row)


def _fold_rows_by_op(
    op: int, acc: Storage, a_storage: Storage, start: int, step: int, a_step: int, n: int
) -> None:
    """The fold of :func:`_fold_loop` with the function of op code ``op``, one of ``REDUCE_OPS``.

    >>> acc = np.full(1, -np.inf)
    >>> _fold_rows_by_op(MAX, acc, np.array([3.0, 7.0, 5.0]), 0, 1, 1, 3)
    >>> acc.tolist()
    [7.0]
    """
    if op == ADD:
        _add_fold(acc, a_storage, start, step, a_step, n)
    elif op == MUL:
        _mul_fold(acc, a_storage, start, step, a_step, n)
    elif op == MAX:
        _max_fold(acc, a_storage, start, step, a_step, n)


map_row_by_op = njit()(_map_row_by_op)
zip_row_by_op = njit()(_zip_row_by_op)
fold_rows_by_op = njit()(_fold_rows_by_op)


def _size(shape: Shape) -> int:
    """Number of elements of a shape.

    >>> int(_size(np.array([2, 3, 4])))
    24
    """
    size = 1
    for s in shape:
        size *= s
    return size


def _step_along(out_shape: Shape, shape: Shape, strides: Strides, dim: int) -> int:
    """Storage step of a tensor broadcast into ``out_shape`` along ``out_shape``'s ``dim``.

    Shapes align on the right; the step is 0 where the tensor has no such
    dimension or has size 1 there, since one element then serves the whole row.

    >>> _step_along(np.array([3, 4]), np.array([4]), np.array([1]), 1)
    1
    >>> _step_along(np.array([3, 4]), np.array([4]), np.array([1]), 0)
    0
    """
    d = dim - (len(out_shape) - len(shape))
    if d < 0 or shape[d] == 1:
        return 0
    return int(strides[d])


def _row_dim(shape: Shape, skip: int) -> int:
    """The last dimension of size > 1 other than ``skip``, or -1 if there is none.

    The elements of a row along this dimension are enumerated by the ordinals
    ``r * width .. r * width + width - 1``, because every later dimension has size 1.

    >>> _row_dim(np.array([3, 4, 1]), -1), _row_dim(np.array([3, 1, 1]), 0)
    (1, -1)
    """
    dim = len(shape) - 1
    while dim >= 0 and (dim == skip or shape[dim] == 1):
        dim -= 1
    return dim


def _operand_steps(
    out_shape: Shape,
    out_strides: Strides,
    a_shape: Shape,
    a_strides: Strides,
    b_shape: Shape,
    b_strides: Strides,
) -> Strides:
    """Each operand's storage step along each dimension of ``out``: rows ``out``, ``a``, ``b``.

    A broadcast operand steps 0 along the dimensions it is stretched over, so
    ``sum_d index[d] * steps[k, d]`` is operand ``k``'s position for ``out``'s
    ``index``: broadcasting and positions in one product.

    >>> _operand_steps(np.array([2, 3]), np.array([3, 1]), np.array([3]), np.array([1]),
    ...                np.array([2, 1]), np.array([1, 1])).tolist()
    [[3, 1], [0, 1], [1, 0]]
    """
    steps = np.zeros((3, len(out_shape)), np.int64)
    for d in range(len(out_shape)):
        steps[0, d] = _step_along_jit(out_shape, out_shape, out_strides, d)
        steps[1, d] = _step_along_jit(out_shape, a_shape, a_strides, d)
        steps[2, d] = _step_along_jit(out_shape, b_shape, b_strides, d)
    return steps


def _row_span(out_shape: Shape, dim: int, steps: Strides) -> tuple[int, int]:
    """The first dimension and the length of the rows of ``out`` that end along dimension ``dim``.

    Dimensions merge into the row while, for every operand, the next
    dimension's step is the row's step times the row's length: the row then
    still walks each storage with one step. A broadcast operand (step 0 along
    the row) merges only dimensions it is also broadcast along. A bias added to
    a ``[B, C, H, W]`` map is then one row of ``H * W`` per channel instead of
    ``H`` rows of ``W``: for DigitsCNN's second layer at batch 128
    (``[128, 48, 4, 4]``) the addition went from 4.8 ms to 0.7 ms on this
    2-core EPYC.

    >>> shape, strides = np.array([2, 3, 4]), np.array([12, 4, 1])
    >>> steps = _operand_steps(shape, strides, shape, strides, np.array([3, 1]), np.array([1, 0]))
    >>> _row_span(shape, 2, steps)
    (2, 4)
    >>> steps = _operand_steps(shape, strides, shape, strides, np.array([3, 4]), np.array([4, 1]))
    >>> _row_span(shape, 2, steps)
    (1, 12)
    """
    first, width = dim, int(out_shape[dim])
    for d in range(dim - 1, -1, -1):
        if out_shape[d] == 1:
            continue
        for k in range(len(steps)):
            if steps[k, d] != steps[k, dim] * width:
                return first, width
        first, width = d, width * int(out_shape[d])
    return first, width


def _adjacent_along(steps: Strides, dim: int) -> bool:
    """Whether some operand's numbers along ``dim`` lie side by side (or all are one number).

    >>> _adjacent_along(np.array([[8, 1], [1, 8], [1, 8]]), 0)
    True
    >>> _adjacent_along(np.array([[8, 9], [9, 8], [9, 8]]), 1)
    False
    """
    adjacent = False
    for k in range(len(steps)):
        if abs(steps[k, dim]) <= 1:
            adjacent = True
    return adjacent


def _choose_rows(out_shape: Shape, steps: Strides) -> tuple[int, int, int, Shape]:
    """How map and zip cut ``out`` into rows: ``(dim, width, tick, counting)``.

    Rows run along ``dim``, ``width`` numbers long: the last dimensions of
    size > 1, merged by :func:`_row_span`. Where those rows would be shorter
    than ``SHORT_ROW`` and another dimension is longer, rows run along that
    one instead: a ``[2, 512, 1599]`` tensor permuted to ``[512, 1599, 2]``
    copied as rows of 2 took 155 ms, as rows of 1599 12 ms. A dimension
    along which some operand's numbers lie side by side comes first, however
    long the others: a ``[64, 8, 32, 32]`` gradient copied batch-last ran
    along its 64 channels, every number in another cache line, in 5.7 ms, and
    along its columns in 0.9 ms (2-core AMD EPYC). ``counting`` is
    ``out``'s shape with the row's dimensions set to 1: the rows are its
    indices, and :func:`_next_row` ticks its dimensions before ``tick``.

    >>> shape, strides = np.array([512, 1599, 2]), np.array([3198, 2, 1])
    >>> steps = _operand_steps(shape, strides, shape, np.array([1599, 1, 818688]),
    ...                        shape, np.array([1599, 1, 818688]))
    >>> dim, width, tick, counting = _choose_rows(shape, steps)
    >>> dim, width, tick, counting.tolist()
    (1, 818688, 3, [1, 1, 2])

    (Its first two dimensions merge into the row: two rows of 512 x 1599.) The
    batch-last copy above reads its input in order, a row per image (channels,
    rows and columns merge), where rows along the 64 channels read a line a number:

    >>> shape, strides = np.array([64, 32, 32, 8]), np.array([8192, 256, 8, 1])
    >>> steps = _operand_steps(shape, strides, shape, np.array([1024, 32, 1, 65536]),
    ...                        shape, np.array([1024, 32, 1, 65536]))
    >>> dim, width, tick, counting = _choose_rows(shape, steps)
    >>> dim, width, tick, counting.tolist()
    (2, 65536, 4, [1, 1, 1, 8])
    """
    counting = out_shape.copy()
    dim = _row_dim_jit(out_shape, -1)
    if dim < 0:
        return dim, 1, 0, counting
    first, width = _row_span_jit(out_shape, dim, steps)
    tick = first
    if width < SHORT_ROW:
        best, adjacent = (dim, first, width), _adjacent_along_jit(steps, dim)
        for d in range(len(out_shape)):
            along = _adjacent_along_jit(steps, d)
            if out_shape[d] > 1 and along >= adjacent:
                start, length = _row_span_jit(out_shape, d, steps)
                if along > adjacent or length > best[2]:
                    best, adjacent = (d, start, length), along
        if best[0] != dim:
            dim, first, width = best
            tick = len(out_shape)
    for d in range(first, dim + 1):
        counting[d] = 1
    return dim, width, tick, counting


def _row_start(row: int, counting: Shape, steps: Strides, index: Index, positions: Index) -> None:
    """Set ``index`` to the start of row number ``row`` and ``positions`` to every operand's position there."""
    to_index_jit(row, counting, index)
    for k in range(len(steps)):
        positions[k] = 0
        for d in range(len(counting)):
            positions[k] += index[d] * steps[k, d]


def _next_row(index: Index, counting: Shape, tick: int, steps: Strides, positions: Index) -> None:
    """Move ``index`` and ``positions`` to the start of the next row.

    The dimensions of ``counting`` before ``tick`` count like an odometer (the
    row's own dimensions have size 1 there, or lie past ``tick``), and each operand's
    position moves by its step along the dimension that ticks (and back along
    those that wrap to 0), so no index is divided out of an ordinal and no
    position recomputed. With rows of 12 or 16 numbers (DigitsCNN's
    ``[128, 48, 4, 4]`` bias addition, a permuted ``[32, 12, 8, 8]`` map copied
    to ``[32, 8, 8, 12]``) that took a third off the kernel's time on this
    2-core EPYC (0.75 to 0.55 ms, 0.23 to 0.15 ms).

    >>> index, positions = np.array([0, 2, 0]), np.array([8, 2])
    >>> steps = np.array([[12, 4, 1], [0, 1, 0]])
    >>> _next_row(index, np.array([2, 3, 4]), 2, steps, positions)
    >>> index.tolist(), positions.tolist()
    ([1, 0, 0], [12, 0])
    """
    d = tick - 1
    while d >= 0:
        index[d] += 1
        for k in range(len(steps)):
            positions[k] += steps[k, d]
        if index[d] < counting[d]:
            return
        for k in range(len(steps)):
            positions[k] -= steps[k, d] * counting[d]
        index[d] = 0
        d -= 1


def _aligned(
    out: Storage,
    size: int,
    out_shape: Shape,
    out_strides: Strides,
    in_shape: Shape,
    in_strides: Strides,
) -> bool:
    """Whether position ``i`` of the input holds the input element for position ``i`` of ``out``.

    True when both have the same shape and strides and ``out`` holds exactly
    its ``size`` elements, so that positions ``0 .. size - 1`` are every element once.

    >>> s, st = np.array([2, 3]), np.array([3, 1])
    >>> _aligned(np.zeros(6), 6, s, st, s, st), _aligned(np.zeros(6), 6, s, st, s, np.array([1, 2]))
    (True, False)
    """
    if len(out_shape) != len(in_shape) or len(out) != size:
        return False
    for d in range(len(out_shape)):
        if out_shape[d] != in_shape[d] or out_strides[d] != in_strides[d]:
            return False
    return True


def _contiguous_row(
    storage: Storage, start: int, step: int, width: int, buffer: Storage
) -> Storage:
    """The numbers ``storage[start + j * step]`` for ``j < width`` as a contiguous 1-D array.

    A slice of ``storage`` when ``step`` is 1, otherwise a copy in ``buffer``;
    a step of 0 (a broadcast row) fills the buffer with one number, which
    vectorises where the general copy cannot.

    >>> _contiguous_row(np.arange(6.0), 1, 2, 3, np.empty(3)).tolist()
    [1.0, 3.0, 5.0]
    >>> _contiguous_row(np.arange(6.0), 4, 0, 2, np.empty(3)).tolist()
    [4.0, 4.0]
    """
    if step == 1:
        return storage[start : start + width]
    if step == 0:
        buffer[:width] = storage[start]
        return buffer[:width]
    for j in range(width):
        buffer[j] = storage[start + j * step]
    return buffer[:width]


def _scatter_row(row: Storage, storage: Storage, start: int, step: int) -> None:
    """Write ``row[j]`` to ``storage[start + j * step]``: the inverse of :func:`_contiguous_row`.

    >>> storage = np.zeros(5)
    >>> _scatter_row(np.array([1.0, 2.0]), storage, 1, 3)
    >>> storage.tolist()
    [0.0, 1.0, 0.0, 0.0, 2.0]
    """
    for j in range(len(row)):
        storage[start + j * step] = row[j]


def _scatter_rows(
    rows: Storage, starts: Index, count: int, width: int, storage: Storage, step: int
) -> None:
    """Write ``rows[r, j]`` to ``storage[starts[r] + j * step]`` for the first ``count`` rows.

    Column by column: where the rows' starts are adjacent (a transposing copy)
    each column is written as one run, whole cache lines at a time.

    >>> storage = np.zeros(6)
    >>> _scatter_rows(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0, 1]), 2, 2, storage, 3)
    >>> storage.tolist()
    [1.0, 3.0, 0.0, 2.0, 4.0, 0.0]
    """
    for j in range(width):
        for r in range(count):
            storage[starts[r] + j * step] = rows[r, j]


def _tile_rows(counting: Shape, tick: int, steps: Strides) -> int:
    """How many consecutive rows start at adjacent places of ``out``: at most ``TILE_ROWS``, else 1.

    The rows that :func:`_next_row` steps through first run along the last
    dimension of ``counting`` before ``tick`` that has more than one index;
    when ``out``'s step along it is 1, consecutive rows start side by side.

    >>> _tile_rows(np.array([2, 6, 1]), 3, np.array([[100, 1, 6], [1, 1, 1], [1, 1, 1]]))
    6
    >>> _tile_rows(np.array([2, 6, 1]), 3, np.array([[100, 2, 6], [1, 1, 1], [1, 1, 1]]))
    1
    """
    for d in range(tick - 1, -1, -1):
        if counting[d] > 1:
            return min(TILE_ROWS, int(counting[d])) if steps[0, d] == 1 else 1
    return 1


_size_jit = njit()(_size)
_step_along_jit = njit()(_step_along)
_row_dim_jit = njit()(_row_dim)
_operand_steps_jit = njit()(_operand_steps)
_row_span_jit = njit()(_row_span)
_adjacent_along_jit = njit()(_adjacent_along)
_choose_rows_jit = njit()(_choose_rows)
_row_start_jit = njit()(_row_start)
_next_row_jit = njit()(_next_row)
_aligned_jit = njit()(_aligned)
_contiguous_row_jit = njit()(_contiguous_row)
_scatter_row_jit = njit()(_scatter_row)
_scatter_rows_jit = njit()(_scatter_rows)
_tile_rows_jit = njit()(_tile_rows)


def _tensor_map(
    op: int,
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    in_storage: Storage,
    in_shape: Shape,
    in_strides: Strides,
) -> None:
    """``out[i] = f(in[i])`` for every index ``i`` of ``out``, ``f`` the function with op code ``op``.

    The input broadcasts into ``out``. Rows along the last dimension of size
    > 1, widened by :func:`_row_span` over the dimensions that merge with it,
    are independent, and so are segments of a long row::

        for each segment of a row of out, in parallel:
            out_row[j] = f(in_row[j])   for j in the segment

    Each thread's piece of rows finds its first row's index and positions
    once (:func:`_row_start`); every later row moves them (:func:`_next_row`).
    """
    size = _size_jit(out_shape)
    if _aligned_jit(out, size, out_shape, out_strides, in_shape, in_strides):
        # Position i of one is position i of the other: both are one long row.
        flat = np.array([size, 1])
        out_shape, out_strides = in_shape, in_strides = flat[:1], flat[1:]
    # The input is both "operands" a and b of the walk over rows.
    steps = _operand_steps_jit(out_shape, out_strides, in_shape, in_strides, in_shape, in_strides)
    dim, width, tick, counting = _choose_rows_jit(out_shape, steps)
    out_step = steps[0, dim] if dim >= 0 else 0
    in_step = steps[1, dim] if dim >= 0 else 0
    # Writes a cache line or more apart, where the next rows start beside them (a
    # transposing copy), take up to TILE_ROWS rows a job, a short segment of each,
    # written column by column (:func:`_scatter_rows`): the rows' numbers of one column
    # are adjacent, whole lines (a [2, 512, 1599] gradient copied channels-last: 7.5 ->
    # 4.9 ms, 2-core AMD EPYC). Nearer writes already fill each line a row at a time:
    # tiles made a [128, 6, 28, 28] copy to channels-last 2x slower.
    tile = _tile_rows_jit(counting, tick, steps) if abs(out_step) * out.itemsize >= LINE else 1
    segment = min(width, ROW_SEGMENT if tile == 1 else TILE_SEGMENT)
    segments = (width + segment - 1) // segment if segment > 0 else 0
    rows = size // width if width > 0 else 0
    jobs = (rows + tile - 1) // tile * segments
    pieces = min(jobs, MAX_PIECES)
    for piece in prange(pieces):
        index = np.empty(MAX_DIMS, np.int64)
        positions = np.empty(3, np.int64)  # of the current row's start in out, in, in
        in_buffer = np.empty(segment, in_storage.dtype)
        out_rows = np.empty((tile, segment), out.dtype)
        out_at = np.empty(tile, np.int64)
        start = piece * jobs // pieces
        for job in range(start, (piece + 1) * jobs // pieces):
            first = (job % segments) * segment
            count = min(segment, width - first)
            top = job // segments * tile
            for row in range(top, min(top + tile, rows)):
                if tile > 1 or job == start:
                    _row_start_jit(row, counting, steps, index, positions)
                elif first == 0:
                    _next_row_jit(index, counting, tick, steps, positions)
                o = positions[0] + first * out_step
                in_row = _contiguous_row_jit(
                    in_storage, positions[1] + first * in_step, in_step, count, in_buffer
                )
                out_row = out[o : o + count] if out_step == 1 else out_rows[row - top, :count]
                map_row_by_op(op, out_row, in_row)
                out_at[row - top] = o
                if out_step != 1 and tile == 1:
                    _scatter_row_jit(out_row, out, o, out_step)
            if tile > 1:
                _scatter_rows_jit(out_rows, out_at, min(tile, rows - top), count, out, out_step)


def _tensor_zip(
    op: int,
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
    """``out[i] = f(a[i], b[i])`` for every index ``i`` of ``out``, ``f`` the function with op code ``op``.

    ``a`` and ``b`` broadcast into ``out``. Rows along the last dimension of
    size > 1, widened by :func:`_row_span` over the dimensions that merge with
    it, are independent, and so are segments of a long row::

        for each segment of a row of out, in parallel:
            out_row[j] = f(a_row[j], b_row[j])   for j in the segment

    As in :func:`_tensor_map`, a piece of rows walks from row to row.
    """
    size = _size_jit(out_shape)
    if _aligned_jit(out, size, out_shape, out_strides, a_shape, a_strides) and _aligned_jit(
        out, size, out_shape, out_strides, b_shape, b_strides
    ):
        # Position i of one is position i of the others: all are one long row.
        flat = np.array([size, 1])
        out_shape, out_strides = a_shape, a_strides = b_shape, b_strides = flat[:1], flat[1:]
    steps = _operand_steps_jit(out_shape, out_strides, a_shape, a_strides, b_shape, b_strides)
    dim, width, tick, counting = _choose_rows_jit(out_shape, steps)
    segment = min(width, ROW_SEGMENT)
    segments = (width + segment - 1) // segment if segment > 0 else 0
    jobs = size // width * segments if width > 0 else 0
    out_step = steps[0, dim] if dim >= 0 else 0
    a_step = steps[1, dim] if dim >= 0 else 0
    b_step = steps[2, dim] if dim >= 0 else 0
    pieces = min(jobs, MAX_PIECES)
    for piece in prange(pieces):
        index = np.empty(MAX_DIMS, np.int64)
        positions = np.empty(3, np.int64)  # of the current row's start in out, a, b
        a_buffer = np.empty(segment, a_storage.dtype)
        b_buffer = np.empty(segment, b_storage.dtype)
        out_buffer = np.empty(segment, out.dtype)
        start = piece * jobs // pieces
        for job in range(start, (piece + 1) * jobs // pieces):
            first = (job % segments) * segment
            count = min(segment, width - first)
            if job == start:
                _row_start_jit(job // segments, counting, steps, index, positions)
            elif first == 0:
                _next_row_jit(index, counting, tick, steps, positions)
            o = positions[0] + first * out_step
            pa = positions[1] + first * a_step
            pb = positions[2] + first * b_step
            a_row = _contiguous_row_jit(a_storage, pa, a_step, count, a_buffer)
            b_row = _contiguous_row_jit(b_storage, pb, b_step, count, b_buffer)
            out_row = out[o : o + count] if out_step == 1 else out_buffer[:count]
            zip_row_by_op(op, out_row, a_row, b_row)
            if out_step != 1:
                _scatter_row_jit(out_row, out, o, out_step)


def _tensor_reduce(
    op: int,
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    a_storage: Storage,
    a_shape: Shape,
    a_strides: Strides,
    reduce_dim: int,
) -> None:
    """Fold ``a`` along ``reduce_dim`` into ``out`` with the function ``f`` of op code ``op``.

    ``out`` has ``a``'s shape with size 1 along ``reduce_dim`` and holds the
    start value on entry; each output becomes
    ``f(...f(f(out, a[..., 0, ...]), a[..., 1, ...])..., a[..., n - 1, ...])``.
    The outputs are folded in tiles of up to ``REDUCE_TILE`` neighbours along
    another dimension, so that several outputs are in flight at once rather
    than one output's chain of dependent operations (see :func:`_fold_loop`)::

        for each tile of outputs, in parallel:
            for k < n:
                tile[j] = f(tile[j], a_tile_k[j])   for j < tile width
    """
    dims = len(out_shape)
    size = _size_jit(out_shape)
    n = a_shape[reduce_dim]
    if size == 0 or n == 0:
        return
    step = a_strides[reduce_dim]
    dim = _row_dim_jit(out_shape, reduce_dim)
    width = out_shape[dim] if dim >= 0 else 1
    out_step = _step_along_jit(out_shape, out_shape, out_strides, dim)
    a_step = _step_along_jit(out_shape, a_shape, a_strides, dim)
    tiles = (width + REDUCE_TILE - 1) // REDUCE_TILE
    jobs = (size // width) * tiles
    pieces = min(jobs, MAX_PIECES)
    for piece in prange(pieces):
        out_index = np.empty(MAX_DIMS, np.int64)
        out_buffer = np.empty(REDUCE_TILE, out.dtype)
        for job in range(piece * jobs // pieces, (piece + 1) * jobs // pieces):
            first = (job % tiles) * REDUCE_TILE
            tile_width = min(REDUCE_TILE, width - first)
            to_index_jit((job // tiles) * width + first, out_shape, out_index)
            o = index_to_position_jit(out_index[:dims], out_strides)
            # out_index is 0 along reduce_dim, so it also indexes a's first element.
            p = index_to_position_jit(out_index[:dims], a_strides)
            tile = _contiguous_row_jit(out, o, out_step, tile_width, out_buffer)
            fold_rows_by_op(op, tile, a_storage, p, step, a_step, n)
            if out_step != 1:
                _scatter_row_jit(tile, out, o, out_step)


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
    """Batched ``out[..., i, j] = sum_k a[..., i, k] * b[..., k, j]``; batch dimensions broadcast.

    Each job computes ``MATMUL_ROWS`` rows of one matrix of the batch. For each
    ``k`` in order it adds ``a[i, k] * b[k, :]`` to row ``i`` of an accumulator,
    so the inner loop runs along a row of ``b`` and of the accumulator (both
    contiguous, so it vectorises), and each row of ``b`` is read once for all
    the job's rows::

        for each (batch entry, block of rows), in parallel:
            acc = 0                                 # [rows in block, cols]
            for k < inner:
                for i in block:
                    acc[i, :] += a[i, k] * b[k, :]
            out[block, :] = acc

    A ``b`` whose rows are not contiguous is copied by every job that reads it;
    :meth:`FastOps.matrix_multiply` copies such a ``b`` (the transposed view of
    a backward pass) once instead.
    """
    dims = len(out_shape)
    a_dims = len(a_shape)
    b_dims = len(b_shape)
    size = _size_jit(out_shape)
    rows = out_shape[dims - 2]
    cols = out_shape[dims - 1]
    inner = a_shape[a_dims - 1]
    if size == 0:
        return
    batch = size // (rows * cols)
    blocks = (rows + MATMUL_ROWS - 1) // MATMUL_ROWS
    a_row_stride = a_strides[a_dims - 2]
    a_col_stride = a_strides[a_dims - 1]
    b_row_stride = b_strides[b_dims - 2]
    b_col_stride = b_strides[b_dims - 1]
    for job in prange(batch * blocks):
        first_row = (job % blocks) * MATMUL_ROWS
        block_rows = min(MATMUL_ROWS, rows - first_row)
        out_index = np.empty(MAX_DIMS, np.int64)
        a_index = np.empty(MAX_DIMS, np.int64)
        b_index = np.empty(MAX_DIMS, np.int64)
        acc = np.zeros((MATMUL_ROWS, cols), out.dtype)
        # The index of out[n, first_row, 0], and the matching ones of a and b.
        to_index_jit((job // blocks) * rows * cols + first_row * cols, out_shape, out_index)
        broadcast_index_jit(out_index, out_shape, a_shape, a_index)
        broadcast_index_jit(out_index, out_shape, b_shape, b_index)
        b_index[b_dims - 2] = 0
        a_start = index_to_position_jit(a_index[:a_dims], a_strides)
        b_start = index_to_position_jit(b_index[:b_dims], b_strides)
        o = index_to_position_jit(out_index[:dims], out_strides)
        b_rows, b_first, b_step = b_storage, b_start, b_row_stride
        if cols > 1 and b_col_stride != 1:
            # Strided rows: copy this matrix of b into [inner, cols] order once.
            b_rows, b_first, b_step = np.empty(inner * cols, b_storage.dtype), 0, cols
            for k in range(inner):
                _contiguous_row_jit(
                    b_storage, b_start + k * b_row_stride, b_col_stride, cols, b_rows[k * cols :]
                )
        for k in range(inner):
            b_row = b_rows[b_first + k * b_step : b_first + k * b_step + cols]
            for i in range(block_rows):
                a_ik = a_storage[a_start + i * a_row_stride + k * a_col_stride]
                acc_row = acc[i]
                for j in range(cols):
                    acc_row[j] += a_ik * b_row[j]
        for i in range(block_rows):
            _scatter_row_jit(acc[i], out, o + i * out_strides[dims - 2], out_strides[dims - 1])


tensor_map = njit(parallel=True, cache=True)(_tensor_map)
tensor_zip = njit(parallel=True, cache=True)(_tensor_zip)
tensor_reduce = njit(parallel=True, cache=True)(_tensor_reduce)
tensor_matrix_multiply = njit(parallel=True, cache=True)(_tensor_matrix_multiply)


def _rebind(kernel: Kernel, name: str, replacement: Any) -> Kernel:
    """Compile ``kernel``'s code with the global ``name`` bound to ``replacement``.

    This gives a function outside the op tables the same kernel, with a loop
    over its own function in place of the op-code switch. Numba cannot cache
    such a kernel, so it is compiled in every process that uses it.
    """
    assert isinstance(kernel, types.FunctionType)
    namespace = dict(kernel.__globals__)
    namespace[name] = replacement
    code = types.FunctionType(kernel.__code__, namespace, kernel.__name__)
    return njit(parallel=True)(code)


def map_kernel(fn: Callable[[float], float]) -> tuple[int, Kernel]:
    """The op code and compiled map kernel for ``fn`` (the cached one when ``fn`` is in the table).

    >>> map_kernel(operators.neg) == (NEG, tensor_map)
    True
    """
    if fn in UNARY_OPS:
        return UNARY_OPS[fn], tensor_map
    loop = _map_loop(fn)

    def map_row_by_fn(op: int, out_row: Storage, in_row: Storage) -> None:
        loop(out_row, in_row)

    return -1, _rebind(_tensor_map, "map_row_by_op", njit()(map_row_by_fn))


def zip_kernel(fn: Callable[[float, float], float]) -> tuple[int, Kernel]:
    """The op code and compiled zip kernel for ``fn`` (the cached one when ``fn`` is in the table).

    >>> zip_kernel(operators.add) == (ADD, tensor_zip)
    True
    """
    if fn in BINARY_OPS:
        return BINARY_OPS[fn], tensor_zip
    loop = _zip_loop(fn)

    def zip_row_by_fn(op: int, out_row: Storage, a_row: Storage, b_row: Storage) -> None:
        loop(out_row, a_row, b_row)

    return -1, _rebind(_tensor_zip, "zip_row_by_op", njit()(zip_row_by_fn))


def reduce_kernel(fn: Callable[[float, float], float]) -> tuple[int, Kernel]:
    """The op code and compiled reduce kernel for ``fn`` (the cached one for add, mul and max).

    >>> reduce_kernel(operators.max) == (MAX, tensor_reduce)
    True
    """
    if fn in REDUCE_OPS:
        return REDUCE_OPS[fn], tensor_reduce
    fold = _fold_loop(fn)

    def fold_rows_by_fn(
        op: int, acc: Storage, a_storage: Storage, start: int, step: int, a_step: int, n: int
    ) -> None:
        fold(acc, a_storage, start, step, a_step, n)

    return -1, _rebind(_tensor_reduce, "fold_rows_by_op", njit()(fold_rows_by_fn))


def _empty(
    like: Tensor, shape: tuple[int, ...], fill: float | None = None, dtype: Any = None
) -> Tensor:
    """A new contiguous tensor on ``like``'s backend, left uninitialised unless ``fill`` is given.

    It has ``like``'s dtype unless ``dtype`` is given.

    The kernels write every element of their output, so the zeros that
    ``Tensor.zeros`` would write first are wasted: for a million elements they
    cost as much as a whole ``neg``.
    """
    size = 1
    for s in shape:
        size *= s
    dtype = like.dtype if dtype is None else dtype
    storage = np.empty(size, dtype)
    if fill is not None:
        storage.fill(fill)  # np.full's Python wrapper costs a fifth of a 10 x 10 sum()
    return like._new(TensorData.view_of(storage, shape))


class FastOps:
    """The Numba backend: parallel compiled kernels with the ``SimpleOps`` interface.

    >>> from minitorch import tensor, TensorBackend
    >>> backend = TensorBackend(FastOps)
    >>> x = tensor([[1.0, 2.0], [3.0, 4.0]], backend=backend)
    >>> backend.add_reduce(backend.neg_map(x), 1)
    [[-3.00]
     [-7.00]]
    """

    @staticmethod
    def map(fn: Callable[[float], float]) -> MapProto:
        """Element-wise ``fn``, compiled and parallel.

        >>> from minitorch import tensor, TensorBackend
        >>> FastOps.map(operators.exp)(tensor([0.0], backend=TensorBackend(FastOps)))
        [1.00]
        """
        op, kernel = map_kernel(fn)

        def fast_map(a: Tensor, out: Tensor | None = None) -> Tensor:
            if out is None:
                out = _empty(a, a.shape)
            launch(kernel, out.size, op, *out.kernel_args(), *a.kernel_args())
            return out

        return fast_map

    @staticmethod
    def zip(fn: Callable[[float, float], float]) -> Callable[[Tensor, Tensor], Tensor]:
        """Element-wise ``fn`` of two broadcast tensors, compiled and parallel.

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(FastOps)
        >>> FastOps.zip(operators.mul)(tensor([[1.0], [2.0]], backend=b), tensor([3.0, 4.0], backend=b))
        [[3.00 4.00]
         [6.00 8.00]]
        """
        op, kernel = zip_kernel(fn)

        def fast_zip(a: Tensor, b: Tensor) -> Tensor:
            out = _empty(
                a, shape_broadcast(a.shape, b.shape), None, promote_types(a.dtype, b.dtype)
            )
            launch(kernel, out.size, op, *out.kernel_args(), *a.kernel_args(), *b.kernel_args())
            return out

        return fast_zip

    @staticmethod
    def reduce(
        fn: Callable[[float, float], float], start: float = 0.0
    ) -> Callable[[Tensor, int], Tensor]:
        """Fold ``fn`` along ``dim`` from ``start``, compiled and parallel; ``dim`` keeps size 1.

        >>> from minitorch import tensor, TensorBackend
        >>> total = FastOps.reduce(operators.add, 0.0)
        >>> total(tensor([[1.0, 2.0], [3.0, 4.0]], backend=TensorBackend(FastOps)), 0)
        [[4.00 6.00]]
        """
        op, kernel = reduce_kernel(fn)

        def fast_reduce(a: Tensor, dim: int) -> Tensor:
            out_shape = list(a.shape)
            out_shape[dim] = 1
            out = _empty(a, tuple(out_shape), fill=start)
            launch(kernel, a.size, op, *out.kernel_args(), *a.kernel_args(), dim)
            return out

        return fast_reduce

    @staticmethod
    def matrix_multiply(a: Tensor, b: Tensor) -> Tensor:
        """Batched matrix product, compiled and parallel over batch and blocks of rows.

        A ``b`` whose rows are not contiguous (a transposed view, as in the
        backward pass) is copied once so that the kernel reads its rows in order.

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(FastOps)
        >>> FastOps.matrix_multiply(tensor([[1.0, 2.0]], backend=b), tensor([[3.0], [4.0]], backend=b))
        [[11.00]]
        """
        if b.shape[-1] > 1 and b.strides[-1] != 1:
            b = b.contiguous()
        out = _empty(a, matmul_shape(a.shape, b.shape))
        work = out.size * a.shape[-1]
        launch(
            tensor_matrix_multiply, work, *out.kernel_args(), *a.kernel_args(), *b.kernel_args()
        )
        return out

    # The fused convolution and pooling kernels live in their own module, minitorch.fast_conv.
    @staticmethod
    def conv(
        out: Tensor,
        input: Tensor,
        weight: Tensor,
        geometry: ConvGeometry,
        bias: Tensor | None = None,
    ) -> Tensor:
        """The fused convolution (see :func:`minitorch.fast_conv.conv`)."""
        return fast_conv.conv(out, input, weight, geometry, bias)

    @staticmethod
    def max_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int]
    ) -> tuple[Tensor, Indices]:
        """Compiled max pooling (see :func:`minitorch.fast_conv.max_pool`)."""
        return fast_conv.max_pool(input, window, out_size)

    @staticmethod
    def max_pool_backward(grad_output: Tensor, where: Indices, shape: Shape) -> Tensor:
        """Its gradient (see :func:`minitorch.fast_conv.max_pool_backward`)."""
        return fast_conv.max_pool_backward(grad_output, where, shape)

    # The fused kernels of a training step live in their own module, minitorch.fast_train.
    @staticmethod
    def avg_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int], count_include_pad: bool
    ) -> Tensor:
        """Compiled average pooling (see :func:`minitorch.fast_train.avg_pool`)."""
        return fast_train.avg_pool(input, window, out_size, count_include_pad)

    @staticmethod
    def avg_pool_backward(
        grad_output: Tensor, window: PoolWindow, shape: Shape, count_include_pad: bool
    ) -> Tensor:
        """Its gradient (see :func:`minitorch.fast_train.avg_pool_backward`)."""
        return fast_train.avg_pool_backward(grad_output, window, shape, count_include_pad)

    @staticmethod
    def cross_entropy(logits: Tensor, labels: Indices) -> tuple[Tensor, Tensor]:
        """Compiled softmax and cross-entropy (see :func:`minitorch.fast_train.cross_entropy`)."""
        return fast_train.cross_entropy(logits, labels)

    @staticmethod
    def cross_entropy_backward(probs: Tensor, labels: Indices, scale: float) -> Tensor:
        """Its gradient (see :func:`minitorch.fast_train.cross_entropy_backward`)."""
        return fast_train.cross_entropy_backward(probs, labels, scale)

    @staticmethod
    def adam_step(
        value: Tensor, grad: Tensor, mean: Tensor, square: Tensor, settings: AdamStep
    ) -> None:
        """A compiled in-place Adam update (see :func:`minitorch.fast_train.adam_step`)."""
        fast_train.adam_step(value, grad, mean, square, settings)

    @staticmethod
    def sgd_step(value: Tensor, grad: Tensor, velocity: Tensor | None, settings: SGDStep) -> None:
        """A compiled in-place SGD update (see :func:`minitorch.fast_train.sgd_step`)."""
        fast_train.sgd_step(value, grad, velocity, settings)
