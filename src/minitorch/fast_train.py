"""The fused kernels of a training step, compiled: average pooling, cross-entropy, optimiser updates.

Each kernel is the plain-Python reference of :mod:`minitorch.tensor_ops`
compiled by Numba, with its outer loop (over planes, rows or segments of a
parameter) a ``prange`` here, so that the pieces run on every core; each piece
calls the reference compiled as it is. The arithmetic of every output element
is the reference's, in the same order, so the results equal ``SimpleOps`` bit
for bit. :func:`minitorch.jit.launch` keeps small work on the calling thread.

Outputs take the dtype of the inputs (``np.empty_like``), so that a float32
backend needs no second copy of these kernels.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import prange

from .jit import MAX_PIECES, launch, njit, pooling_work
from .tensor_data import Shape, Storage, Strides, TensorData
from .tensor_ops import (
    AdamStep,
    Indices,
    PoolWindow,
    SGDStep,
    row_major,
    softmax_cross_entropy_row,
    softmax_minus_one_hot_row,
    tensor_adam_step,
    tensor_avg_pool,
    tensor_avg_pool_backward,
    tensor_sgd_step,
)
from .tensor_ops import mean_in_order as tensor_mean_in_order

if TYPE_CHECKING:
    from .tensor import Tensor

# Numbers of a parameter one piece of an optimiser step updates.
SEGMENT = 16384

_avg_pool_planes = njit(cache=True)(tensor_avg_pool)
_avg_pool_backward_planes = njit(cache=True)(tensor_avg_pool_backward)
_softmax_cross_entropy_row = njit(cache=True)(softmax_cross_entropy_row)
_softmax_minus_one_hot_row = njit(cache=True)(softmax_minus_one_hot_row)
_adam_segment = njit(cache=True)(tensor_adam_step)
_sgd_segment = njit(cache=True)(tensor_sgd_step)


def _new(like: Tensor, storage: Storage, shape: tuple[int, ...]) -> Tensor:
    """A tensor on ``like``'s backend over a fresh row-major ``storage`` of ``shape``'s size."""
    return like._new(TensorData.view_of(storage, shape))


# --- average pooling ------------------------------------------------------------


def _avg_pool_kernel(
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
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_avg_pool` on pieces of the planes, in parallel."""
    planes = out_shape[0] * out_shape[1]
    pieces = min(planes, MAX_PIECES)
    for piece in prange(pieces):
        _avg_pool_planes(
            out, out_shape, out_strides, input, input_shape, input_strides,
            kernel, stride, padding, count_include_pad,
            piece * planes // pieces, (piece + 1) * planes // pieces,
        )  # fmt: skip


def _avg_pool_backward_kernel(
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
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_avg_pool_backward` on pieces of the planes, in parallel."""
    planes = grad_shape[0] * grad_shape[1]
    pieces = min(planes, MAX_PIECES)
    for piece in prange(pieces):
        _avg_pool_backward_planes(
            grad, grad_shape, grad_strides, grad_output, out_shape, out_strides,
            kernel, stride, padding, count_include_pad,
            piece * planes // pieces, (piece + 1) * planes // pieces,
        )  # fmt: skip


avg_pool_kernel = njit(parallel=True, cache=True)(_avg_pool_kernel)
avg_pool_backward_kernel = njit(parallel=True, cache=True)(_avg_pool_backward_kernel)


def avg_pool(
    input: Tensor, window: PoolWindow, out_size: tuple[int, int], count_include_pad: bool
) -> Tensor:
    """Compiled average pooling of ``[B, C, H, W]`` (the loop: :func:`~minitorch.tensor_ops.tensor_avg_pool`).

    >>> import minitorch
    >>> x = minitorch.tensor([[[[1, 5, 2, 0]]]])
    >>> avg_pool(x, PoolWindow((1, 2), (1, 2), (0, 0), (1, 1)), (1, 2), True)
    [[[[3.00 1.00]]]]
    """
    storage = input.kernel_args()[0]
    shape = (*input.shape[:2], *out_size)
    out = _new(input, np.empty(math.prod(shape), dtype=storage.dtype), shape)
    work = pooling_work(out.size, window.kernel)
    launch(
        avg_pool_kernel,
        work,
        *out.kernel_args(),
        *input.kernel_args(),
        *window[:3],
        count_include_pad,
    )
    return out


def avg_pool_backward(
    grad_output: Tensor, window: PoolWindow, shape: Shape, count_include_pad: bool
) -> Tensor:
    """The compiled gradient of :func:`avg_pool`: each output's gradient shared among its window.

    >>> import minitorch
    >>> d = minitorch.tensor([[[[10, 20]]]])
    >>> window = PoolWindow((1, 2), (1, 2), (0, 0), (1, 1))
    >>> avg_pool_backward(d, window, (1, 1, 1, 4), True).to_numpy().ravel().tolist()
    [5.0, 5.0, 10.0, 10.0]
    """
    storage = grad_output.kernel_args()[0]
    sizes = tuple(int(n) for n in shape)  # the shape saved by AvgPool.forward, as ints
    grad = _new(grad_output, np.zeros(math.prod(sizes), dtype=storage.dtype), sizes)
    work = pooling_work(grad_output.size, window.kernel)
    launch(
        avg_pool_backward_kernel,
        work,
        *grad.kernel_args(),
        *grad_output.kernel_args(),
        *window[:3],
        count_include_pad,
    )
    return grad


# --- log-softmax with cross-entropy ---------------------------------------------


def _cross_entropy_kernel(
    probs: Storage,
    losses: Storage,
    logits: Storage,
    logits_shape: Shape,
    logits_strides: Strides,
    labels: Indices,
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_cross_entropy` with the rows in parallel."""
    classes = logits_shape[1]
    for b in prange(logits_shape[0]):
        losses[b] = _softmax_cross_entropy_row(
            probs[b * classes : (b + 1) * classes],
            logits,
            b * logits_strides[0],
            logits_strides[1],
            labels[b],
        )


def _cross_entropy_backward_kernel(
    grad: Storage, probs: Storage, classes: int, labels: Indices, scale: float
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_cross_entropy_backward` with the rows in parallel."""
    for b in prange(len(labels)):
        _softmax_minus_one_hot_row(
            grad[b * classes : (b + 1) * classes],
            probs[b * classes : (b + 1) * classes],
            labels[b],
            scale,
        )


cross_entropy_kernel = njit(parallel=True, cache=True)(_cross_entropy_kernel)
cross_entropy_backward_kernel = njit(parallel=True, cache=True)(_cross_entropy_backward_kernel)
mean_in_order = njit(cache=True)(tensor_mean_in_order)


def cross_entropy(logits: Tensor, labels: Indices) -> tuple[Tensor, Tensor]:
    """Compiled softmax of each row of ``[B, C]`` and the mean cross-entropy.

    >>> import minitorch
    >>> probs, loss = cross_entropy(minitorch.tensor([[0.0, 0.0]]), np.array([1]))
    >>> probs, round(loss.item(), 4)  # log 2
    ([[0.50 0.50]], 0.6931)
    """
    storage = logits.kernel_args()[0]
    batch, classes = logits.shape
    probs = _new(logits, np.empty(batch * classes, dtype=storage.dtype), logits.shape)
    losses = np.empty(batch, dtype=storage.dtype)
    launch(
        cross_entropy_kernel,
        logits.size,
        probs.kernel_args()[0],
        losses,
        *logits.kernel_args(),
        labels,
    )
    loss = _new(logits, np.full(1, mean_in_order(losses), dtype=storage.dtype), (1,))
    return probs, loss


def cross_entropy_backward(probs: Tensor, labels: Indices, scale: float) -> Tensor:
    """The compiled gradient of :func:`cross_entropy`'s logits: ``(probs - one_hot) * scale``.

    >>> import minitorch
    >>> cross_entropy_backward(minitorch.tensor([[0.5, 0.5]]), np.array([0]), 1.0)
    [[-0.50 0.50]]
    """
    values = row_major(probs)
    grad = _new(probs, np.empty_like(values), probs.shape)
    launch(
        cross_entropy_backward_kernel,
        probs.size,
        grad.kernel_args()[0],
        values,
        probs.shape[1],
        labels,
        scale,
    )
    return grad


# --- optimiser updates ----------------------------------------------------------


def _adam_kernel(
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
    """:func:`~minitorch.tensor_ops.tensor_adam_step` on segments of the parameter, in parallel."""
    size = len(value)
    segments = (size + SEGMENT - 1) // SEGMENT
    for segment in prange(segments):
        lo = segment * SEGMENT
        hi = min(size, lo + SEGMENT)
        _adam_segment(
            value[lo:hi], grad[lo:hi], mean[lo:hi], square[lo:hi],
            lr, beta1, beta2, eps, correction1, correction2,
        )  # fmt: skip


def _sgd_kernel(
    value: Storage, grad: Storage, velocity: Storage, lr: float, momentum: float, first: bool
) -> None:
    """:func:`~minitorch.tensor_ops.tensor_sgd_step` on segments of the parameter, in parallel."""
    size = len(value)
    segments = (size + SEGMENT - 1) // SEGMENT
    for segment in prange(segments):
        lo = segment * SEGMENT
        hi = min(size, lo + SEGMENT)
        moving = velocity[lo:hi] if momentum != 0.0 else velocity
        _sgd_segment(value[lo:hi], grad[lo:hi], moving, lr, momentum, first)


adam_kernel = njit(parallel=True, cache=True)(_adam_kernel)
sgd_kernel = njit(parallel=True, cache=True)(_sgd_kernel)


def adam_step(
    value: Tensor, grad: Tensor, mean: Tensor, square: Tensor, settings: AdamStep
) -> None:
    """One compiled Adam update of the row-major ``value``, ``mean`` and ``square``, in place.

    >>> import minitorch
    >>> value = minitorch.tensor([1.0])
    >>> adam_step(value, minitorch.tensor([2.0]), value.zeros(), value.zeros(),
    ...           AdamStep(0.1, 0.9, 0.999, 1e-8, 0.1, 0.001))
    >>> round(value.item(), 6)
    0.9
    """
    launch(
        adam_kernel,
        value.size,
        row_major(value),
        row_major(grad.contiguous()),
        row_major(mean),
        row_major(square),
        *settings,
    )


def sgd_step(value: Tensor, grad: Tensor, velocity: Tensor | None, settings: SGDStep) -> None:
    """One compiled SGD update of the row-major ``value`` (and ``velocity``), in place.

    >>> import minitorch
    >>> value = minitorch.tensor([1.0, 2.0])
    >>> sgd_step(value, minitorch.tensor([10.0, -10.0]), None, SGDStep(0.1, 0.0, True))
    >>> value
    [0.00 3.00]
    """
    storage = row_major(value)
    moving = np.empty(0, dtype=storage.dtype) if velocity is None else row_major(velocity)
    launch(sgd_kernel, value.size, storage, row_major(grad.contiguous()), moving, *settings)
