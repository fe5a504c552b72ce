"""The map / zip / reduce / matmul protocol, and the plain-Python reference backend.

Every tensor operation is one of four kernel shapes:

- ``map(fn)``: ``out[i] = fn(a[i])`` (``a`` may broadcast into ``out``);
- ``zip(fn)``: ``out[i] = fn(a[i], b[i])`` with ``a`` and ``b`` broadcast together;
- ``reduce(fn, start)``: ``out[..., 0, ...] = fn(...fn(fn(start, a[..., 0, ...]), a[..., 1, ...])...)``
  along one dimension, which keeps size 1 in the output;
- ``matrix_multiply``: ``out[..., i, j] = sum_k a[..., i, k] * b[..., k, j]``, batched
  over the leading dimensions, which broadcast.

A backend (``SimpleOps`` here, ``FastOps`` in :mod:`minitorch.fast_ops`) supplies
these four; :class:`TensorBackend` specialises them once to the scalar functions
of :mod:`minitorch.operators`. The tensors handed to a backend have already
been checked by the caller; the kernels only compute.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from . import operators
from .tensor_data import (
    Shape,
    Storage,
    Strides,
    broadcast_index,
    index_to_position,
    promote_types,
    shape_broadcast,
    to_index,
)

if TYPE_CHECKING:
    from .tensor import Tensor


class MapProto(Protocol):
    """A specialised map: ``out`` may be given, and ``a`` then broadcasts into it."""

    def __call__(self, a: Tensor, out: Tensor | None = ..., /) -> Tensor:
        """Apply the function element-wise."""
        ...


class ConvGeometry(NamedTuple):
    """How a convolution kernel walks its input, one pair ``(along height, along width)`` each.

    On grouped 5-D views (``input [G, B, C, H, W]``, ``weight [G, O, C, KH, KW]``,
    ``out [G, B, O, OH, OW]``) every backend computes::

        out[g, b, o, y, x] = sum_{c, kh, kw} weight[g, o, c, kh, kw]
            * input[g, b, c, y * stride + kh * dilation - offset, x * ... - offset]

    reading zeros outside the input (``offset`` zeros before it, possibly a
    negative number: then the first cells are skipped), with ``weight`` read
    back to front in ``kh`` and ``kw`` when ``flip`` is set. A convolution
    has ``flip = False``; the pieces of its input gradient flip (see ``ConvNd``
    in :mod:`minitorch.tensor_functions`).
    """

    stride: tuple[int, int]
    dilation: tuple[int, int]
    offset: tuple[int, int]
    flip: bool


class PoolWindow(NamedTuple):
    """The windows of a pooling, one pair ``(along height, along width)`` each.

    Window ``(y, x)`` covers the cells ``(y * stride - padding + kh * dilation,
    x * stride - padding + kw * dilation)`` for ``kh < kernel[0]``, ``kw < kernel[1]``;
    cells outside the input are skipped (a max pool pads with -inf).
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]


# Positions of maxima, one per output element in row-major order.
Indices: TypeAlias = npt.NDArray[np.int64]


class TensorOps(Protocol):
    """The interface every backend implements: four static kernel constructors."""

    @staticmethod
    def map(fn: Callable[[float], float]) -> MapProto:
        """Return a function that applies ``fn`` to every element."""
        ...

    @staticmethod
    def zip(fn: Callable[[float, float], float]) -> Callable[[Tensor, Tensor], Tensor]:
        """Return a function that applies ``fn`` to broadcast pairs of elements."""
        ...

    @staticmethod
    def reduce(
        fn: Callable[[float, float], float], start: float = 0.0
    ) -> Callable[[Tensor, int], Tensor]:
        """Return a function that folds ``fn`` along one dimension, from ``start``."""
        ...

    @staticmethod
    def matrix_multiply(a: Tensor, b: Tensor) -> Tensor:
        """Batched matrix product of the last two dimensions."""
        ...

    @staticmethod
    def conv(
        out: Tensor,
        input: Tensor,
        weight: Tensor,
        geometry: ConvGeometry,
        bias: Tensor | None = None,
    ) -> Tensor:
        """Fill the 5-D grouped view ``out`` with the convolution of ``geometry``, plus ``bias``; return it.

        ``bias`` is ``[groups, out_channels]``: ``bias[g, o]`` is added to every
        output of channel ``o`` of group ``g``.
        """
        ...

    @staticmethod
    def max_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int]
    ) -> tuple[Tensor, Indices]:
        """Each window's maximum of ``[B, C, H, W]``, and where in its plane it is (``h * W + w``)."""
        ...

    @staticmethod
    def max_pool_backward(grad_output: Tensor, where: Indices, shape: Shape) -> Tensor:
        """Send each output's gradient to its window's maximum, adding where windows overlap."""
        ...

    @staticmethod
    def avg_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int], count_include_pad: bool
    ) -> Tensor:
        """Each window's mean of ``[B, C, H, W]`` (the window's dilation must be 1)."""
        ...

    @staticmethod
    def avg_pool_backward(
        grad_output: Tensor, window: PoolWindow, shape: Shape, count_include_pad: bool
    ) -> Tensor:
        """Share each output's gradient among its window's cells, adding where windows overlap."""
        ...

    @staticmethod
    def cross_entropy(logits: Tensor, labels: Indices) -> tuple[Tensor, Tensor]:
        """The softmax of each row of ``[B, C]``, and the mean of ``-log softmax[b, labels[b]]``."""
        ...

    @staticmethod
    def cross_entropy_backward(probs: Tensor, labels: Indices, scale: float) -> Tensor:
        """The logits' gradient ``(probs - one_hot(labels)) * scale``."""
        ...

    @staticmethod
    def adam_step(
        value: Tensor, grad: Tensor, mean: Tensor, square: Tensor, settings: AdamStep
    ) -> None:
        """One Adam update of the contiguous ``value`` and its running averages, in place."""
        ...

    @staticmethod
    def sgd_step(value: Tensor, grad: Tensor, velocity: Tensor | None, settings: SGDStep) -> None:
        """One SGD update of the contiguous ``value`` (and its ``velocity``), in place."""
        ...


class TensorBackend:
    """A backend's kernels, specialised once to each scalar function the library uses.

    Args:
        ops: the class providing ``map``, ``zip``, ``reduce`` and ``matrix_multiply``
            (``SimpleOps`` or ``FastOps``).

    >>> backend = TensorBackend(SimpleOps)
    >>> backend.add_zip.__name__
    'simple_zip'

    """

    def __init__(self, ops: type[TensorOps]) -> None:
        self.ops = ops
        self.neg_map = ops.map(operators.neg)
        self.sigmoid_map = ops.map(operators.sigmoid)
        self.relu_map = ops.map(operators.relu)
        self.log_map = ops.map(operators.log)
        self.exp_map = ops.map(operators.exp)
        self.id_map = ops.map(operators.id)
        self.inv_map = ops.map(operators.inv)

        self.add_zip = ops.zip(operators.add)
        self.mul_zip = ops.zip(operators.mul)
        self.lt_zip = ops.zip(operators.lt)
        self.eq_zip = ops.zip(operators.eq)
        self.is_close_zip = ops.zip(operators.is_close)
        self.relu_back_zip = ops.zip(operators.relu_back)
        self.log_back_zip = ops.zip(operators.log_back)
        self.inv_back_zip = ops.zip(operators.inv_back)
        self.sigmoid_back_zip = ops.zip(operators.sigmoid_back)

        self.add_reduce = ops.reduce(operators.add, 0.0)
        self.mul_reduce = ops.reduce(operators.mul, 1.0)
        self.max_reduce = ops.reduce(operators.max, -np.inf)
        self.matrix_multiply = ops.matrix_multiply
        self.conv = ops.conv
        self.max_pool = ops.max_pool
        self.max_pool_backward = ops.max_pool_backward
        self.avg_pool = ops.avg_pool
        self.avg_pool_backward = ops.avg_pool_backward
        self.cross_entropy = ops.cross_entropy
        self.cross_entropy_backward = ops.cross_entropy_backward
        self.adam_step = ops.adam_step
        self.sgd_step = ops.sgd_step

    def __repr__(self) -> str:
        return f"TensorBackend({self.ops.__name__})"


def matmul_shape(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Output shape of a batched matmul; the caller has checked the inner sizes.

    >>> matmul_shape((5, 1, 2, 3), (4, 3, 7))
    (5, 4, 2, 7)
    """
    batch = shape_broadcast(a_shape[:-2], b_shape[:-2])
    return (*batch, a_shape[-2], b_shape[-1])


class SimpleOps:
    """The reference backend: plain Python loops over every element, easy to read."""

    @staticmethod
    def map(fn: Callable[[float], float]) -> MapProto:
        """Element-wise ``fn`` with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> neg = SimpleOps.map(lambda x: -x)
        >>> neg(tensor([1.0, 2.0], backend=TensorBackend(SimpleOps)))
        [-1.00 -2.00]
        """
        kernel = tensor_map(fn)

        def simple_map(a: Tensor, out: Tensor | None = None) -> Tensor:
            if out is None:
                out = a.zeros(a.shape)
            kernel(*out.kernel_args(), *a.kernel_args())
            return out

        return simple_map

    @staticmethod
    def zip(fn: Callable[[float, float], float]) -> Callable[[Tensor, Tensor], Tensor]:
        """Element-wise ``fn`` of two broadcast tensors with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> add = SimpleOps.zip(lambda x, y: x + y)
        >>> b = TensorBackend(SimpleOps)
        >>> add(tensor([[1.0], [2.0]], backend=b), tensor([10.0, 20.0], backend=b))
        [[11.00 21.00]
         [12.00 22.00]]
        """
        kernel = tensor_zip(fn)

        def simple_zip(a: Tensor, b: Tensor) -> Tensor:
            wider = a if promote_types(a.dtype, b.dtype) == a.dtype else b
            out = wider.zeros(shape_broadcast(a.shape, b.shape))
            kernel(*out.kernel_args(), *a.kernel_args(), *b.kernel_args())
            return out

        return simple_zip

    @staticmethod
    def reduce(
        fn: Callable[[float, float], float], start: float = 0.0
    ) -> Callable[[Tensor, int], Tensor]:
        """Fold ``fn`` along ``dim`` with plain Python loops; ``dim`` keeps size 1.

        >>> from minitorch import tensor, TensorBackend
        >>> total = SimpleOps.reduce(lambda x, y: x + y, 0.0)
        >>> total(tensor([[1.0, 2.0], [3.0, 4.0]], backend=TensorBackend(SimpleOps)), 1)
        [[3.00]
         [7.00]]
        """
        kernel = tensor_reduce(fn)

        def simple_reduce(a: Tensor, dim: int) -> Tensor:
            out_shape = list(a.shape)
            out_shape[dim] = 1
            out = a.zeros(tuple(out_shape))
            out._tensor._storage[:] = start
            kernel(*out.kernel_args(), *a.kernel_args(), dim)
            return out

        return simple_reduce

    @staticmethod
    def matrix_multiply(a: Tensor, b: Tensor) -> Tensor:
        """Batched matrix product with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(SimpleOps)
        >>> SimpleOps.matrix_multiply(tensor([[1.0, 2.0]], backend=b), tensor([[3.0], [4.0]], backend=b))
        [[11.00]]
        """
        out = a.zeros(matmul_shape(a.shape, b.shape))
        tensor_matrix_multiply(*out.kernel_args(), *a.kernel_args(), *b.kernel_args())
        return out

    @staticmethod
    def conv(
        out: Tensor,
        input: Tensor,
        weight: Tensor,
        geometry: ConvGeometry,
        bias: Tensor | None = None,
    ) -> Tensor:
        """The general convolution (see :class:`ConvGeometry`) with plain Python loops, plus ``bias``.

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(SimpleOps)
        >>> x = tensor([1, 2, 3, 4, 5, 6], backend=b).view(1, 1, 1, 1, 6)
        >>> w = tensor([5, 2, 3], backend=b).view(1, 1, 1, 1, 3)
        >>> geometry = ConvGeometry((1, 1), (1, 1), (0, 0), False)
        >>> SimpleOps.conv(x.zeros((1, 1, 1, 1, 4)), x, w, geometry).to_numpy().ravel().tolist()
        [18.0, 28.0, 38.0, 48.0]
        >>> bias = tensor([100], backend=b).view(1, 1)
        >>> SimpleOps.conv(x.zeros((1, 1, 1, 1, 4)), x, w, geometry, bias).to_numpy().ravel().tolist()
        [118.0, 128.0, 138.0, 148.0]
        """
        bias_args = () if bias is None else bias.kernel_args()
        tensor_conv(
            *out.kernel_args(), *input.kernel_args(), *weight.kernel_args(), geometry, *bias_args
        )
        return out

    @staticmethod
    def max_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int]
    ) -> tuple[Tensor, Indices]:
        """Max pooling of ``[B, C, H, W]`` with plain Python loops (see :func:`tensor_max_pool`).

        >>> from minitorch import tensor, TensorBackend
        >>> x = tensor([[[[1, 5, 2, 0]]]], backend=TensorBackend(SimpleOps))
        >>> out, where = SimpleOps.max_pool(x, PoolWindow((1, 2), (1, 2), (0, 0), (1, 1)), (1, 2))
        >>> out.to_numpy().ravel().tolist(), where.tolist()
        ([5.0, 2.0], [1, 2])
        """
        out = input.zeros((*input.shape[:2], *out_size))
        where = np.zeros(out.size, dtype=np.int64)
        planes = out.shape[0] * out.shape[1]
        tensor_max_pool(*out.kernel_args(), where, *input.kernel_args(), *window, 0, planes)
        return out, where

    @staticmethod
    def max_pool_backward(grad_output: Tensor, where: Indices, shape: Shape) -> Tensor:
        """The gradient of :meth:`max_pool` with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> d = tensor([[[[10, 20]]]], backend=TensorBackend(SimpleOps))
        >>> SimpleOps.max_pool_backward(d, np.array([1, 1]), (1, 1, 1, 4)).to_numpy().ravel().tolist()
        [0.0, 30.0, 0.0, 0.0]
        """
        grad = grad_output.zeros(tuple(shape))
        planes = grad.shape[0] * grad.shape[1]
        tensor_max_pool_backward(*grad.kernel_args(), *grad_output.kernel_args(), where, 0, planes)
        return grad

    @staticmethod
    def avg_pool(
        input: Tensor, window: PoolWindow, out_size: tuple[int, int], count_include_pad: bool
    ) -> Tensor:
        """Average pooling of ``[B, C, H, W]`` with plain Python loops (see :func:`tensor_avg_pool`).

        >>> from minitorch import tensor, TensorBackend
        >>> x = tensor([[[[1, 5, 2, 0]]]], backend=TensorBackend(SimpleOps))
        >>> window = PoolWindow((1, 2), (1, 2), (0, 0), (1, 1))
        >>> SimpleOps.avg_pool(x, window, (1, 2), True).to_numpy().ravel().tolist()
        [3.0, 1.0]
        """
        out = input.zeros((*input.shape[:2], *out_size))
        planes = out.shape[0] * out.shape[1]
        with np.errstate(all="ignore"):
            tensor_avg_pool(
                *out.kernel_args(), *input.kernel_args(), *window[:3], count_include_pad, 0, planes
            )
        return out

    @staticmethod
    def avg_pool_backward(
        grad_output: Tensor, window: PoolWindow, shape: Shape, count_include_pad: bool
    ) -> Tensor:
        """The gradient of :meth:`avg_pool` with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> d = tensor([[[[10, 20]]]], backend=TensorBackend(SimpleOps))
        >>> window = PoolWindow((1, 2), (1, 2), (0, 0), (1, 1))
        >>> SimpleOps.avg_pool_backward(d, window, (1, 1, 1, 4), True).to_numpy().ravel().tolist()
        [5.0, 5.0, 10.0, 10.0]
        """
        grad = grad_output.zeros(tuple(shape))
        planes = grad.shape[0] * grad.shape[1]
        with np.errstate(all="ignore"):
            tensor_avg_pool_backward(
                *grad.kernel_args(),
                *grad_output.kernel_args(),
                *window[:3],
                count_include_pad,
                0,
                planes,
            )
        return grad

    @staticmethod
    def cross_entropy(logits: Tensor, labels: Indices) -> tuple[Tensor, Tensor]:
        """Softmax and mean cross-entropy with plain Python loops (see :func:`tensor_cross_entropy`).

        >>> from minitorch import tensor, TensorBackend
        >>> x = tensor([[0.0, 0.0]], backend=TensorBackend(SimpleOps))
        >>> probs, loss = SimpleOps.cross_entropy(x, np.array([1]))
        >>> probs, round(loss.item(), 4)  # log 2
        ([[0.50 0.50]], 0.6931)
        """
        probs = logits.zeros(logits.shape)
        losses = np.zeros(logits.shape[0], logits.dtype)
        with np.errstate(all="ignore"):  # NaN and infinities propagate silently, as in PyTorch
            tensor_cross_entropy(probs.kernel_args()[0], losses, *logits.kernel_args(), labels)
        loss = logits.zeros((1,))
        loss.kernel_args()[0][0] = mean_in_order(losses)
        return probs, loss

    @staticmethod
    def cross_entropy_backward(probs: Tensor, labels: Indices, scale: float) -> Tensor:
        """The gradient of :meth:`cross_entropy`'s logits with plain Python loops.

        >>> from minitorch import tensor, TensorBackend
        >>> probs = tensor([[0.5, 0.5]], backend=TensorBackend(SimpleOps))
        >>> SimpleOps.cross_entropy_backward(probs, np.array([1]), 1.0).to_numpy().tolist()
        [[0.5, -0.5]]
        """
        grad = probs.zeros(probs.shape)
        with np.errstate(all="ignore"):
            tensor_cross_entropy_backward(
                grad.kernel_args()[0], row_major(probs), probs.shape[1], labels, scale
            )
        return grad

    @staticmethod
    def adam_step(
        value: Tensor, grad: Tensor, mean: Tensor, square: Tensor, settings: AdamStep
    ) -> None:
        """One Adam update in place with a plain Python loop (see :func:`tensor_adam_step`).

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(SimpleOps)
        >>> value, grad = tensor([1.0], backend=b), tensor([2.0], backend=b)
        >>> SimpleOps.adam_step(value, grad, value.zeros(), value.zeros(),
        ...                     AdamStep(0.1, 0.9, 0.999, 1e-8, 0.1, 0.001))
        >>> round(value.item(), 6)  # one step of size lr against the gradient's sign
        0.9
        """
        moving = row_major(value), row_major(grad.contiguous()), row_major(mean), row_major(square)
        with np.errstate(all="ignore"):
            tensor_adam_step(*moving, *settings)

    @staticmethod
    def sgd_step(value: Tensor, grad: Tensor, velocity: Tensor | None, settings: SGDStep) -> None:
        """One SGD update in place with a plain Python loop (see :func:`tensor_sgd_step`).

        >>> from minitorch import tensor, TensorBackend
        >>> b = TensorBackend(SimpleOps)
        >>> value = tensor([1.0, 2.0], backend=b)
        >>> SimpleOps.sgd_step(value, tensor([10.0, -10.0], backend=b), None, SGDStep(0.1, 0.0, True))
        >>> value
        [0.00 3.00]
        """
        moving = np.empty(0, value.dtype) if velocity is None else row_major(velocity)
        with np.errstate(all="ignore"):
            tensor_sgd_step(row_major(value), row_major(grad.contiguous()), moving, *settings)


Kernel = Callable[..., None]


def tensor_map(fn: Callable[[float], float]) -> Kernel:
    """Return the plain-Python map kernel for ``fn``.

    The kernel's arguments are ``out, out_shape, out_strides, in_storage,
    in_shape, in_strides``; the input broadcasts into the output.
    """

    def _map(
        out: Storage,
        out_shape: Shape,
        out_strides: Strides,
        in_storage: Storage,
        in_shape: Shape,
        in_strides: Strides,
    ) -> None:
        out_index = np.zeros(len(out_shape), dtype=np.int64)
        in_index = np.zeros(len(in_shape), dtype=np.int64)
        for ordinal in range(int(np.prod(out_shape))):
            to_index(ordinal, out_shape, out_index)
            broadcast_index(out_index, out_shape, in_shape, in_index)
            value = in_storage[index_to_position(in_index, in_strides)]
            out[index_to_position(out_index, out_strides)] = fn(value)

    return _map


def tensor_zip(fn: Callable[[float, float], float]) -> Kernel:
    """Return the plain-Python zip kernel for ``fn``.

    The kernel's arguments are ``out, out_shape, out_strides`` then storage,
    shape and strides of ``a`` and of ``b``; both broadcast into the output.
    """

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
        out_index = np.zeros(len(out_shape), dtype=np.int64)
        a_index = np.zeros(len(a_shape), dtype=np.int64)
        b_index = np.zeros(len(b_shape), dtype=np.int64)
        for ordinal in range(int(np.prod(out_shape))):
            to_index(ordinal, out_shape, out_index)
            broadcast_index(out_index, out_shape, a_shape, a_index)
            broadcast_index(out_index, out_shape, b_shape, b_index)
            a = a_storage[index_to_position(a_index, a_strides)]
            b = b_storage[index_to_position(b_index, b_strides)]
            out[index_to_position(out_index, out_strides)] = fn(a, b)

    return _zip


def tensor_reduce(fn: Callable[[float, float], float]) -> Kernel:
    """Return the plain-Python reduce kernel for ``fn``.

    The kernel's arguments are ``out, out_shape, out_strides, a_storage,
    a_shape, a_strides, reduce_dim``; ``out`` holds the start value on entry
    and has size 1 along ``reduce_dim``.
    """

    def _reduce(
        out: Storage,
        out_shape: Shape,
        out_strides: Strides,
        a_storage: Storage,
        a_shape: Shape,
        a_strides: Strides,
        reduce_dim: int,
    ) -> None:
        out_index = np.zeros(len(out_shape), dtype=np.int64)
        for ordinal in range(int(np.prod(out_shape))):
            to_index(ordinal, out_shape, out_index)
            out_position = index_to_position(out_index, out_strides)
            a_index = out_index.copy()
            accumulator = out[out_position]
            for k in range(a_shape[reduce_dim]):
                a_index[reduce_dim] = k
                accumulator = fn(accumulator, a_storage[index_to_position(a_index, a_strides)])
            out[out_position] = accumulator

    return _reduce


def tensor_matrix_multiply(
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
    """Plain-Python batched matmul: ``out[..., i, j] = sum_k a[..., i, k] * b[..., k, j]``.

    The leading (batch) dimensions of ``a`` and ``b`` broadcast to those of ``out``.
    """
    out_index = np.zeros(len(out_shape), dtype=np.int64)
    a_index = np.zeros(len(a_shape), dtype=np.int64)
    b_index = np.zeros(len(b_shape), dtype=np.int64)
    inner = a_shape[-1]
    for ordinal in range(int(np.prod(out_shape))):
        to_index(ordinal, out_shape, out_index)
        broadcast_index(out_index, out_shape, a_shape, a_index)
        broadcast_index(out_index, out_shape, b_shape, b_index)
        total = 0.0
        for k in range(inner):
            a_index[-1] = k
            b_index[-2] = k
            total += (
                a_storage[index_to_position(a_index, a_strides)]
                * b_storage[index_to_position(b_index, b_strides)]
            )
        out[index_to_position(out_index, out_strides)] = total


def tensor_conv(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    weight: Storage,
    weight_shape: Shape,
    weight_strides: Strides,
    geometry: ConvGeometry,
    bias: Storage | None = None,
    bias_shape: Shape | None = None,
    bias_strides: Strides | None = None,
) -> None:
    """Plain-Python convolution on grouped 5-D views: the definition of :class:`ConvGeometry`.

    One output element at a time, one product at a time; a tap that lands
    outside the input adds nothing. A ``bias`` (``[G, O]``) is added to each sum.
    """
    groups, batch, out_channels, out_height, out_width = out_shape
    _, _, channels, height, width = input_shape
    kernel_height, kernel_width = weight_shape[3], weight_shape[4]
    (sh, sw), (dh, dw), (ph, pw), flip = geometry
    for g, b, o, y, x in itertools.product(
        range(groups), range(batch), range(out_channels), range(out_height), range(out_width)
    ):
        total = 0.0
        for c, kh, kw in itertools.product(
            range(channels), range(kernel_height), range(kernel_width)
        ):
            h, w = y * sh + kh * dh - ph, x * sw + kw * dw - pw
            if not (0 <= h < height and 0 <= w < width):
                continue
            if flip:
                kh, kw = kernel_height - 1 - kh, kernel_width - 1 - kw
            w_index = np.array([g, o, c, kh, kw])
            x_index = np.array([g, b, c, h, w])
            total += (
                weight[index_to_position(w_index, weight_strides)]
                * input[index_to_position(x_index, input_strides)]
            )
        if bias is not None and bias_strides is not None:
            total += bias[index_to_position(np.array([g, o]), bias_strides)]
        out[index_to_position(np.array([g, b, o, y, x]), out_strides)] = total


def tensor_max_pool(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    first_plane: int,
    last_plane: int,
) -> None:
    """Max pooling: ``out[b, c, y, x]`` = the largest cell of window ``(y, x)`` (see :class:`PoolWindow`).

    As PyTorch does, the first of equal maxima wins, and a NaN wins over any
    number, so a NaN in a window comes out. ``where`` receives the maximum's
    place in its plane, ``h * width + w``, in the order of the output elements.
    The planes ``plane = b * channels + c`` from ``first_plane`` to
    ``last_plane - 1`` are computed, so that a compiled backend can run pieces
    of them in parallel.
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    height, width = input_shape[2], input_shape[3]
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        base = b * input_strides[0] + c * input_strides[1]
        for y in range(out_height):
            for x in range(out_width):
                best = -np.inf
                found = -1
                for kh in range(kernel[0]):
                    h = y * stride[0] - padding[0] + kh * dilation[0]
                    if h < 0 or h >= height:
                        continue
                    for kw in range(kernel[1]):
                        w = x * stride[1] - padding[1] + kw * dilation[1]
                        if w < 0 or w >= width:
                            continue
                        value = input[base + h * input_strides[2] + w * input_strides[3]]
                        # value != value: a NaN, which wins and stays
                        if found < 0 or value > best or value != value:
                            best = value
                            found = h * width + w
                at = b * out_strides[0] + c * out_strides[1] + y * out_strides[2]
                out[at + x * out_strides[3]] = best
                where[(plane * out_height + y) * out_width + x] = found


def tensor_max_pool_backward(
    grad: Storage,
    grad_shape: Shape,
    grad_strides: Strides,
    grad_output: Storage,
    out_shape: Shape,
    out_strides: Strides,
    where: Indices,
    first_plane: int,
    last_plane: int,
) -> None:
    """Add each output's gradient to the input cell that was its window's maximum.

    ``grad`` holds zeros on entry. Overlapping windows may share a maximum, so
    the additions of one plane run in order; the planes from ``first_plane``
    to ``last_plane - 1`` are computed, as in :func:`tensor_max_pool`.
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    width = grad_shape[3]
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        for y in range(out_height):
            for x in range(out_width):
                found = where[(plane * out_height + y) * out_width + x]
                h = found // width
                w = found - h * width
                position = b * grad_strides[0] + c * grad_strides[1] + h * grad_strides[2]
                grad[position + w * grad_strides[3]] += grad_output[
                    b * out_strides[0]
                    + c * out_strides[1]
                    + y * out_strides[2]
                    + x * out_strides[3]
                ]


def row_major(t: Tensor) -> Storage:
    """The numbers of a row-major ``t``, in order: its storage cut to its size (no copy).

    >>> from minitorch import tensor
    >>> row_major(tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    assert t.is_contiguous(), "a fused kernel reads and writes row-major tensors"
    return t.kernel_args()[0][: t.size]


def tensor_avg_pool(
    out: Storage,
    out_shape: Shape,
    out_strides: Strides,
    input: Storage,
    input_shape: Shape,
    input_strides: Strides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    count_include_pad: bool,
    first_plane: int,
    last_plane: int,
) -> None:
    """Average pooling: ``out[b, c, y, x]`` = the mean of window ``(y, x)`` (see :class:`PoolWindow`).

    Cells of the padding add nothing. As in PyTorch, the mean divides by the
    window's cells inside the input, and by its padding cells too when
    ``count_include_pad`` is set; never by cells past the padding, which only a
    ``ceil_mode`` window reaches. The planes ``plane = b * channels + c`` from
    ``first_plane`` to ``last_plane - 1`` are computed, so that a compiled
    backend can run pieces of them in parallel.
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    height, width = input_shape[2], input_shape[3]
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        base = b * input_strides[0] + c * input_strides[1]
        for y in range(out_height):
            # rows top..bottom - 1 with the padding, first_h..last_h - 1 without it
            top = y * stride[0] - padding[0]
            bottom = min(top + kernel[0], height + padding[0])
            first_h, last_h = max(top, 0), min(bottom, height)
            for x in range(out_width):
                left = x * stride[1] - padding[1]
                right = min(left + kernel[1], width + padding[1])
                first_w, last_w = max(left, 0), min(right, width)
                total = 0.0
                for h in range(first_h, last_h):
                    for w in range(first_w, last_w):
                        total += input[base + h * input_strides[2] + w * input_strides[3]]
                if count_include_pad:
                    cells = (bottom - top) * (right - left)
                else:
                    cells = (last_h - first_h) * (last_w - first_w)
                out[
                    b * out_strides[0]
                    + c * out_strides[1]
                    + y * out_strides[2]
                    + x * out_strides[3]
                ] = total / cells


def tensor_avg_pool_backward(
    grad: Storage,
    grad_shape: Shape,
    grad_strides: Strides,
    grad_output: Storage,
    out_shape: Shape,
    out_strides: Strides,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    count_include_pad: bool,
    first_plane: int,
    last_plane: int,
) -> None:
    """Share each output's gradient equally among its window's input cells (``grad`` holds zeros).

    The windows of :func:`tensor_avg_pool`, with the same divisor; where
    windows overlap the shares add up, in the order of the outputs.
    """
    channels, out_height, out_width = out_shape[1], out_shape[2], out_shape[3]
    height, width = grad_shape[2], grad_shape[3]
    for plane in range(first_plane, last_plane):
        b = plane // channels
        c = plane - b * channels
        base = b * grad_strides[0] + c * grad_strides[1]
        for y in range(out_height):
            top = y * stride[0] - padding[0]
            bottom = min(top + kernel[0], height + padding[0])
            first_h, last_h = max(top, 0), min(bottom, height)
            for x in range(out_width):
                left = x * stride[1] - padding[1]
                right = min(left + kernel[1], width + padding[1])
                first_w, last_w = max(left, 0), min(right, width)
                if count_include_pad:
                    cells = (bottom - top) * (right - left)
                else:
                    cells = (last_h - first_h) * (last_w - first_w)
                share = (
                    grad_output[
                        b * out_strides[0]
                        + c * out_strides[1]
                        + y * out_strides[2]
                        + x * out_strides[3]
                    ]
                    / cells
                )
                for h in range(first_h, last_h):
                    for w in range(first_w, last_w):
                        grad[base + h * grad_strides[2] + w * grad_strides[3]] += share


def softmax_cross_entropy_row(
    probs: Storage, logits: Storage, start: int, step: int, label: int
) -> float:
    """One row of :func:`tensor_cross_entropy`: fill ``probs`` with its softmax, return its loss.

    With ``x[j] = logits[start + j * step]``, ``m`` the largest ``x[j]`` and
    ``total = sum_k exp(x[k] - m)``::

        probs[j] = exp(x[j] - m) / total
        loss = -log probs[label] = log(total) - (x[label] - m)

    Subtracting ``m`` keeps every exponent at most 0, so nothing overflows, and
    the loss is taken from the logit, not from a probability that may have
    rounded to 0. As in PyTorch, a NaN anywhere in the row makes the whole row
    NaN (through the total), and so does an infinite largest value
    (``inf - inf``); a ``-inf`` logit gets a probability of 0.

    >>> probs = np.zeros(2)
    >>> round(float(softmax_cross_entropy_row(probs, np.array([0.0, 0.0]), 0, 1, 1)), 4)  # log 2
    0.6931
    >>> probs.tolist()
    [0.5, 0.5]
    """
    classes = len(probs)
    largest = -math.inf
    for j in range(classes):
        largest = max(largest, logits[start + j * step])
    total = 0.0
    for j in range(classes):
        probs[j] = math.exp(logits[start + j * step] - largest)
        total += probs[j]
    for j in range(classes):
        probs[j] = probs[j] / total
    return math.log(total) - (logits[start + label * step] - largest)


def tensor_cross_entropy(
    probs: Storage,
    losses: Storage,
    logits: Storage,
    logits_shape: Shape,
    logits_strides: Strides,
    labels: Indices,
) -> None:
    """Softmax and loss of each row: ``losses[b] = -log softmax(logits[b])[labels[b]]``.

    ``probs`` is a row-major ``[B, C]``; ``logits`` may be any view. The
    labels have been checked to lie in ``[0, C)``.
    """
    classes = logits_shape[1]
    for b in range(logits_shape[0]):
        losses[b] = softmax_cross_entropy_row(
            probs[b * classes : (b + 1) * classes],
            logits,
            b * logits_strides[0],
            logits_strides[1],
            labels[b],
        )


def mean_in_order(values: Storage) -> float:
    """``(values[0] + values[1] + ...) / len(values)``, added left to right; NaN when empty.

    >>> float(mean_in_order(np.array([1.0, 2.0, 6.0]))), mean_in_order(np.zeros(0))
    (3.0, nan)
    """
    if len(values) == 0:
        return math.nan
    total = 0.0
    for value in values:
        total += value
    return total / len(values)


def softmax_minus_one_hot_row(grad: Storage, probs: Storage, label: int, scale: float) -> None:
    """``grad[j] = (probs[j] - (1 if j == label else 0)) * scale``: one row.

    >>> grad = np.zeros(2)
    >>> softmax_minus_one_hot_row(grad, np.array([0.25, 0.75]), 1, 2.0)
    >>> grad.tolist()
    [0.5, -0.5]
    """
    for j in range(len(grad)):
        if j == label:
            grad[j] = (probs[j] - 1.0) * scale
        else:
            grad[j] = probs[j] * scale


def tensor_cross_entropy_backward(
    grad: Storage, probs: Storage, classes: int, labels: Indices, scale: float
) -> None:
    """The logits' gradient of :func:`tensor_cross_entropy`, row by row (both row-major ``[B, C]``).

    ``d loss_b / d logits[b, j] = softmax(logits[b])[j] - (j == labels[b])``;
    ``scale`` is the loss's gradient over the batch size (the loss is a mean).
    """
    for b in range(len(labels)):
        row = slice(b * classes, (b + 1) * classes)
        softmax_minus_one_hot_row(grad[row], probs[row], labels[b], scale)


class AdamStep(NamedTuple):
    """The numbers of one Adam step: the rate, decays and ``eps``, and ``1 - beta ** t`` for each average."""

    lr: float
    beta1: float
    beta2: float
    eps: float
    correction1: float
    correction2: float


def tensor_adam_step(
    value: Storage,
    grad: Storage,
    mean: Storage,
    square: Storage,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    correction1: float,
    correction2: float,
) -> None:
    """One Adam step, element by element, in place (all four arrays of one length).

    ::

        mean = beta1 * mean + (1 - beta1) * grad
        square = beta2 * square + (1 - beta2) * grad * grad
        value -= lr * (mean / correction1) / (sqrt(square / correction2) + eps)

    A compiled backend runs it on segments of the arrays in parallel.
    """
    for i in range(len(value)):
        g = grad[i]
        mean[i] = beta1 * mean[i] + (1.0 - beta1) * g
        square[i] = beta2 * square[i] + (1.0 - beta2) * g * g
        value[i] = value[i] - lr * (mean[i] / correction1) / (
            math.sqrt(square[i] / correction2) + eps
        )


class SGDStep(NamedTuple):
    """The numbers of one SGD step; ``first`` marks a parameter's first step with momentum."""

    lr: float
    momentum: float
    first: bool


def tensor_sgd_step(
    value: Storage, grad: Storage, velocity: Storage, lr: float, momentum: float, first: bool
) -> None:
    """One SGD step, element by element, in place.

    ::

        velocity = momentum * velocity + grad   (grad itself on the first step)
        value -= lr * velocity

    With ``momentum`` 0 there is no velocity (``velocity`` may be empty) and
    the step is ``value -= lr * grad``.
    """
    for i in range(len(value)):
        step = grad[i]
        if momentum != 0.0:
            if not first:
                step = momentum * velocity[i] + step
            velocity[i] = step
        value[i] = value[i] - lr * step
