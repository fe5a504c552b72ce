"""The primitive differentiable operations, each a forward and a backward side by side.

Only operations that need a gradient of their own are here; everything else
(subtraction, division, mean, softmax, pooling, losses) is composed from them
in :mod:`minitorch.tensor` and :mod:`minitorch.nn`. A ``backward`` receives
the gradient of the output and returns one gradient per tensor input, written
with the library's own operations. Gradients of broadcast inputs are summed
back to each input's shape by the tensor's ``chain_rule``, not here.

Inputs reaching these classes have been validated by the public methods of
:class:`~minitorch.tensor.Tensor`; the kernels they call only compute.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

from .autodiff import Context, History, is_grad_enabled
from .tensor_data import TensorData
from .tensor_ops import ConvGeometry, Indices, PoolWindow

if TYPE_CHECKING:
    from .tensor import Tensor


class Function(ABC):
    """Base of the differentiable operations: runs ``forward`` and records the graph."""

    @staticmethod
    @abstractmethod
    def forward(ctx: Context, *args: Any, **params: Any) -> Tensor:
        """Compute the result from detached inputs; save what backward needs in ``ctx``."""
        ...

    @staticmethod
    @abstractmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        """Return the gradient for each tensor input, given the output's gradient.

        None stands for the gradient of an input that ``ctx.needs_input_grad``
        says takes no part in backpropagation.
        """
        ...

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the operation on tensors; plain arguments (a dim, a shape) go by keyword.

        The result records this Function and its inputs when any input
        requires a gradient and recording is enabled.
        """
        recorded = [t for t in inputs if t.history is not None]
        need_grad = bool(recorded) and is_grad_enabled()
        ctx = Context(
            no_grad=not need_grad, needs_input_grad=tuple(t.history is not None for t in inputs)
        )
        # forward sees its inputs cut from the graph; constants need no cutting
        # (two tensors fewer to make: a tenth of a small operation's time).
        out = cls.forward(ctx, *(t.detach() for t in inputs) if recorded else inputs, **params)
        if need_grad:
            out.history = History(cls, ctx, inputs)
        return out


# d(-a) = -d
class Neg(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        return a.backend.neg_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return (grad_output.backend.neg_map(grad_output),)


# d(1/a) = -d / a^2
class Inv(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.backend.inv_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.backend.inv_back_zip(a, grad_output),)


# d(a + b) = (d, d)
class Add(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        return a.backend.add_zip(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return grad_output, grad_output


# d(a * b) = (d * b, d * a)
class Mul(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return a.backend.mul_zip(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        a, b = ctx.saved_values
        f = grad_output.backend
        return f.mul_zip(grad_output, b), f.mul_zip(grad_output, a)


# d sigmoid(a) = d * s * (1 - s)
class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.backend.sigmoid_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.backend.sigmoid_back_zip(a, grad_output),)


# d relu(a) = d where a > 0, else 0
class ReLU(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.backend.relu_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.backend.relu_back_zip(a, grad_output),)


# d log(a) = d / a
class Log(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)
        return a.backend.log_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (a,) = ctx.saved_values
        return (grad_output.backend.log_back_zip(a, grad_output),)


# d exp(a) = d * exp(a), and exp(a) is the output already computed
class Exp(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        out = a.backend.exp_map(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (out,) = ctx.saved_values
        return (grad_output.backend.mul_zip(grad_output, out),)


# d sum_dim(a) = d copied along dim: [.., 1, ..] -> [.., n, ..]; dim None sums everything
class Sum(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, dim: int | None) -> Tensor:
        ctx.save_for_backward(a.shape)
        if dim is None:
            a, dim = a.contiguous()._reshape((a.size,)), 0
        return a.backend.add_reduce(a, dim)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (shape,) = ctx.saved_values
        return (grad_output.backend.id_map(grad_output, grad_output.zeros(shape)),)


# d max_dim(a) = d at the arg-max along dim (shared equally between exact ties)
class Max(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, dim: int) -> Tensor:
        out = a.backend.max_reduce(a, dim)
        ctx.save_for_backward(a, out, dim)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        a, out, dim = ctx.saved_values
        f = grad_output.backend
        is_max = f.eq_zip(a, out)
        values = out.to_numpy()
        if (values != values).any():
            # NaN == NaN is false: a NaN maximum is matched by the NaNs it came from,
            # as in PyTorch. is_nan(x) = 1 - eq(x, x); eq is 0 wherever a NaN is.
            one = a.zeros((1,)) + 1.0
            a_nan = f.add_zip(one, f.neg_map(f.eq_zip(a, a)))
            out_nan = f.add_zip(one, f.neg_map(f.eq_zip(out, out)))
            is_max = f.add_zip(is_max, f.mul_zip(a_nan, out_nan))
        # [.., n, ..] / [.., 1, ..]: the one arg-max (or each of k ties) gets d / k
        share = f.mul_zip(is_max, f.inv_map(f.add_reduce(is_max, dim)))
        return (f.mul_zip(share, grad_output),)


# d permute(a, order) = permute(d, inverse order)
class Permute(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, order: tuple[int, ...]) -> Tensor:
        ctx.save_for_backward(order)
        return a._new(a._tensor.permute(*order))

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (order,) = ctx.saved_values
        inverse = sorted(range(len(order)), key=lambda d: order[d])
        return (grad_output._new(grad_output._tensor.permute(*inverse)),)


# d view(a, shape) = view(d, a.shape); a view shares contiguous storage
class View(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, shape: tuple[int, ...]) -> Tensor:
        ctx.save_for_backward(a.shape)
        return a._reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (shape,) = ctx.saved_values
        return (grad_output.contiguous()._reshape(shape),)


# d a.to(dtype) = d converted back to a's dtype, so a gradient has its tensor's dtype
class To(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, dtype: np.dtype[Any]) -> Tensor:
        ctx.save_for_backward(a.dtype)
        return _converted(a, dtype)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        (dtype,) = ctx.saved_values
        return (_converted(grad_output, dtype),)


def _converted(t: Tensor, dtype: np.dtype[Any]) -> Tensor:
    """A row-major copy of ``t`` in ``dtype`` (NumPy rounds to nearest, as PyTorch does)."""
    values = t._as_array().astype(dtype, order="C")
    return t._new(TensorData.view_of(values.reshape(-1), t.shape))


# d copy(a) = d: a contiguous copy changes layout, not values
class Copy(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor) -> Tensor:
        return a.backend.id_map(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        return (grad_output,)


# d(a @ b) = (d @ b^T, a^T @ d), transposing the last two dimensions
class MatMul(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return a.backend.matrix_multiply(a, b)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        a, b = ctx.saved_values
        f = grad_output.backend
        needs = ctx.needs_input_grad  # a network's inputs need no gradient
        return (
            f.matrix_multiply(grad_output, b._transpose()) if needs[0] else None,
            f.matrix_multiply(a._transpose(), grad_output) if needs[1] else None,
        )


# d max_pool(a) = d sent to each window's maximum (the first of equal ones), added
# up where overlapping windows share it: [B, C, H', W'] -> [B, C, H, W]
class MaxPool(Function):
    @staticmethod
    def forward(ctx: Context, a: Tensor, window: PoolWindow, out_size: tuple[int, int]) -> Tensor:
        out, where = a.backend.max_pool(a, window, out_size)
        ctx.save_for_backward(a.shape, where)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        shape, where = ctx.saved_values
        return (grad_output.backend.max_pool_backward(grad_output, where, shape),)


# Convolution. Shapes of a 1D convolution (2D adds a dimension to each of T, K, T'):
#   input [B, G * C, T] (*) weight [G * O, C, K] -> out [B, G * O, T'] with
#   out[b, g*O + o, t] = sum_{c,k} weight[g*O + o, c, k] * input[b, g*C + c, t*s + k*d - p]
# (stride s, dilation d, p zeros before the input; zeros past its end too).
# Its backward is convolutions of the same kernel:
#   grad_input[b, g*C + c, n] = sum over (o, k, t) with t*s + k*d - p = n of
#       weight[g*O + o, c, k] * grad_output[b, g*O + o, t]
#     the transposed convolution: grad_output with s - 1 zeros between its cells,
#     (*) the weight flipped and with its channels swapped [G, C, O, K], dilation d,
#     d * (K - 1) - p zeros before. Computed without the zeros, one phase of n at a time.
#   grad_weight[g*O + o, c, k] = sum_{b,t} input[b, g*C + c, k*d + t*s - p] * grad_output[b, g*O + o, t]
#     the input (*) grad_output with the batch as the channels:
#     [G, C, B, T] (*) [G, O, B, T'] -> [G, C, O, K], stride d and dilation s exchanged.
# An optional bias [G * O] is added to every position of its channel (by the kernel,
# as it stores each sum), so
#   grad_bias[g*O + o] = sum_{b,t} grad_output[b, g*O + o, t].
class ConvNd(Function):
    @staticmethod
    def forward(
        ctx: Context,
        input: Tensor,
        weight: Tensor,
        *bias: Tensor,
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
        groups: int,
        out_size: tuple[int, ...],
    ) -> Tensor:
        ctx.save_for_backward(input, weight, stride, padding, dilation, groups, bool(bias))
        out = _uninitialised(input, (input.shape[0], weight.shape[0], *out_size))
        return _convolve(out, input, weight, groups, stride, padding, dilation, *bias)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        input, weight, stride, padding, dilation, groups, biased = ctx.saved_values
        needs = ctx.needs_input_grad
        grad_input = grad_weight = None  # of an input that needs none (a network's images)
        if needs[0]:
            grad_input = _uninitialised(grad_output, input.shape)
            _transpose(grad_input, grad_output, weight, groups, stride, padding, dilation)
        if needs[1]:
            grad_weight = _uninitialised(grad_output, weight.shape)
            _weight_gradient(grad_weight, input, grad_output, groups, stride, padding, dilation)
        if biased:
            return grad_input, grad_weight, _channel_sums(grad_output) if needs[2] else None
        return grad_input, grad_weight


# The transposed convolution is the input's gradient of a convolution, run forward:
#   input [B, G * O, T] (*) weight [G * O, C, K] -> out [B, G * C, T']
# and its own backward is the convolution it transposes (for the input) and
# the same weight gradient with the roles of input and output exchanged. Its
# bias is added and differentiated as in ConvNd.
class ConvTransposeNd(Function):
    @staticmethod
    def forward(
        ctx: Context,
        input: Tensor,
        weight: Tensor,
        *bias: Tensor,
        stride: tuple[int, ...],
        padding: tuple[int, ...],
        dilation: tuple[int, ...],
        groups: int,
        out_size: tuple[int, ...],
    ) -> Tensor:
        ctx.save_for_backward(input, weight, stride, padding, dilation, groups, bool(bias))
        out = _uninitialised(input, (input.shape[0], weight.shape[1] * groups, *out_size))
        return _transpose(out, input, weight, groups, stride, padding, dilation, *bias)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        input, weight, stride, padding, dilation, groups, biased = ctx.saved_values
        needs = ctx.needs_input_grad
        grad_input = grad_weight = None
        if needs[0]:
            grad_input = _uninitialised(grad_output, input.shape)
            _convolve(grad_input, grad_output, weight, groups, stride, padding, dilation)
        if needs[1]:
            grad_weight = _uninitialised(grad_output, weight.shape)
            _weight_gradient(grad_weight, grad_output, input, groups, stride, padding, dilation)
        if biased:
            return grad_input, grad_weight, _channel_sums(grad_output) if needs[2] else None
        return grad_input, grad_weight


def _uninitialised(like: Tensor, shape: tuple[int, ...]) -> Tensor:
    """A new tensor of ``shape`` in ``like``'s dtype and backend, its numbers not set.

    For the outputs of the convolutions below, every number of which a kernel
    writes (or :func:`_fill_unreached` fills): ``zeros`` would write them all
    first, 1.6 ms for the 19 MB weight gradient of VGG-16's conv5. Forward +
    backward of the 34 layers of ``tests/bench/bench_conv.py`` ran 4% faster in
    geometric mean without them (2-core AMD EPYC).
    """
    return like._new(TensorData.view_of(np.empty(math.prod(shape), like.dtype), shape))


def _channel_sums(grad: Tensor) -> Tensor:
    """The sum over the batch and the positions of each channel of ``grad`` [B, C, ...]: [C]."""
    f = grad.backend
    batch, channels = grad.shape[:2]
    if grad._tensor.is_contiguous():
        # One pass along each (b, c)'s adjacent positions, then one over the batch.
        grad = grad._new(
            TensorData.view_of(
                grad._tensor._storage, (batch, channels, grad.size // max(1, batch * channels))
            )
        )
    for d in range(grad.dims - 1, 1, -1):
        grad = f.add_reduce(grad, d)
    grad = f.add_reduce(grad, 0)
    return grad._new(TensorData.view_of(grad._tensor._storage, (channels,)))


def _convolve(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    *bias: Tensor,
) -> Tensor:
    """Fill ``out`` with ``input (*) weight`` (plus ``bias``): [B, G*C, T] (*) [G*O, C, K] -> [B, G*O, T']."""
    geometry = ConvGeometry(_pair(stride, 1), _pair(dilation, 1), _pair(padding, 0), False)
    w = _split_first(weight, groups)
    input.backend.conv(
        _split_channels(out, groups),
        _split_channels(input, groups),
        w,
        geometry,
        *_grouped(bias, groups),
    )
    return out


def _grouped(bias: tuple[Tensor, ...], groups: int) -> tuple[Tensor, ...]:
    """The bias ``[G * O]`` (if any) seen as ``[G, O]``, as the backend's ``conv`` takes it."""
    if not bias:
        return ()
    (b,) = bias
    per_group, step = b.shape[0] // groups, b.strides[0]
    data = TensorData.view_of(b._tensor._storage, (groups, per_group), (per_group * step, step))
    return (b._new(data),)


def _transpose(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    *bias: Tensor,
) -> Tensor:
    """Fill ``out`` with the transposed convolution (plus ``bias``): [B, G*O, T'] (*) [G*O, C, K] -> [B, G*C, T].

    Inserting ``s - 1`` zeros between the cells of ``input`` would waste all
    but one in ``s`` products (``s^2`` in 2D). Instead each phase of the
    output, ``n = r + s * m``, is a convolution of its own: only the taps
    ``k = k0, k0 + s', ...`` (``s' = s / gcd(s, d)``) with
    ``k * d = r + p (mod s)`` reach it, at
    ``t = m + e - j * d'`` (``d' = d / gcd(s, d)``, ``e = (r + p - k0 * d) / s``),
    so phase ``r`` is ``input (*)`` those taps flipped, with dilation ``d'`` and
    ``(J - 1) * d' - e`` zeros before (``J`` taps). A phase no tap reaches is 0
    (or the bias).
    """
    kernel = weight.shape[2:]
    if _columns_pay(weight.shape[1], kernel, weight.shape[0] // groups, stride):
        return _transpose_by_columns(out, input, weight, groups, stride, padding, dilation, *bias)
    if weight.shape[0] == groups and max(stride) > 1:
        return _transpose_spread(out, input, weight, groups, stride, padding, dilation, *bias)
    pieces = [
        _transpose_phases(n, k, s, p, d) if cells > 1 else _transpose_taps(n, k, p, d)
        for n, cells, k, s, p, d in zip(
            out.shape[2:], input.shape[2:], kernel, stride, padding, dilation, strict=True
        )
    ]
    swapped = _swap12(_split_first(weight, groups))
    phases = list(itertools.product(*pieces))
    source = _split_channels(input, groups)
    before, after = _borders(input.shape[2:], pieces)
    if len(phases) > 1:
        # Every phase would pack all of input again (the input gradient of wav2vec 2.0's
        # first layer: 5 times 13 MB): it is laid out once, channels-last with the zeros
        # every phase needs, and each phase reads its window of it in place.
        source = _channels_last(source, before, after)
    for phase in phases:
        r, k0, taps, step, dil, offset, span, count = zip(*phase, strict=True)
        geometry = ConvGeometry((1, 1), _pair(dil, 1), _pair(offset, 0), True)
        window = source
        if len(phases) > 1:
            starts = tuple(b - o for b, o in zip(before, geometry.offset, strict=True))
            window = _spatial_slice(source, starts, (1, 1), _pair(span, 1))
            geometry = geometry._replace(offset=(0, 0))
        input.backend.conv(
            _split_channels(_spatial_slice(out, r, stride, count), groups),
            window,
            _spatial_slice(swapped, k0, step, taps),
            geometry,
            *_grouped(bias, groups),
        )
    _fill_unreached(out, pieces, stride, *bias)
    return out


def _fill_unreached(
    out: Tensor, pieces: list[list[tuple[int, ...]]], stride: tuple[int, ...], *bias: Tensor
) -> None:
    """Write 0, or the bias of its channel, to the cells of ``out`` that no phase of ``pieces`` reaches.

    Along a dimension cut into phases these are whole residues ``r, r + s, ...``
    (a 1 x 1 kernel of stride 2 reaches one row in 2); along one cut into taps
    (:func:`_transpose_taps`), single cells.
    """
    fill = out.zeros((1,))
    if bias:  # [C] seen as [C, 1, ...], broadcast over the batch and the cells
        (b,) = bias
        spread = (b.shape[0],) + (1,) * (out.dims - 2)
        apart = (b.strides[0],) + (0,) * (out.dims - 2)
        fill = b._new(TensorData.view_of(b._tensor._storage, spread, apart))
    sizes = out.shape[2:]
    for i, phases in enumerate(pieces):
        n, s = sizes[i], stride[i]
        if sum(phase[7] for phase in phases) == n:  # phases reach distinct cells: all of them
            continue
        reached = [False] * n
        for phase in phases:
            r, count = phase[0], phase[7]
            for m in range(count):
                reached[r + m * s] = True
        for r in range(min(s, n)):
            cells = range(r, n, s)
            missing = [c for c in cells if not reached[c]]
            whole = len(missing) == len(cells)
            for start, step, count in (
                [(r, s, len(cells))] if whole else [(c, 1, 1) for c in missing]
            ):
                starts, steps, counts = [0] * len(sizes), [1] * len(sizes), list(sizes)
                starts[i], steps[i], counts[i] = start, step, count
                window = _spatial_slice(out, tuple(starts), tuple(steps), tuple(counts))
                out.backend.id_map(fill, window)


# Most numbers in a filter (in_channels x kernel cells, per group) for which a strided
# layer's gradients go through its columns (see _columns_pay).
COLUMNS_MAX_TAPS = 16


def _columns_pay(
    channels: int, kernel: tuple[int, ...], out_channels: int, stride: tuple[int, ...]
) -> bool:
    """Whether a strided layer's gradients go through its unrolled input, its "columns".

    A filter of ``channels * kernel`` numbers (per group) makes ``taps`` columns
    per output cell. Taken in phases, each gradient of a strided layer reads
    ``grad_output`` once per phase, or copies it with its channels last; with
    few taps and many output channels (wav2vec 2.0's first layer: 10 taps, 512
    channels) those passes cost more than the products. Through the columns,
    ``grad_output`` is read once, where it is, and only the columns (``taps``
    channels instead of ``out_channels``) are unrolled and rolled back.
    """
    taps = channels * math.prod(kernel)
    return max(stride) > 1 and taps <= COLUMNS_MAX_TAPS and 4 * taps <= out_channels


def _one_hot(like: Tensor, groups: int, channels: int, kernel: tuple[int, ...]) -> Tensor:
    """The weight ``[G * taps, C, *kernel]`` whose filter ``t`` is 1 at its number ``t``, else 0.

    A convolution with it copies each window's numbers to their own channels:
    it unrolls the input (im2col, as on the unrolling page); the transposed
    convolution with it adds them back to their cells (col2im).
    """
    taps = channels * math.prod(kernel)
    ones = np.tile(np.eye(taps, dtype=like.dtype), (groups, 1))
    return like._new(TensorData.view_of(ones.ravel(), (groups * taps, channels, *kernel)))


def _transpose_by_columns(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    *bias: Tensor,
) -> Tensor:
    """:func:`_transpose` in two steps, for a filter of few numbers (:func:`_columns_pay`).

    The gradient of the columns, ``[B, G * taps, T']``, is a 1 x 1 convolution
    of ``input`` with the weight seen as ``[taps, O]`` per group; rolling the
    columns back into their cells is the transposed convolution with the
    one-hot weight (:func:`_one_hot`), over ``taps`` channels instead of ``O``.
    """
    taps = weight.shape[1] * math.prod(weight.shape[2:])
    columns = _uninitialised(input, (input.shape[0], groups * taps, *input.shape[2:]))
    flat = weight.backend.id_map(weight)  # [G * O, taps] in order
    per_group = weight.shape[0] // groups
    pointwise = flat._new(
        TensorData.view_of(
            flat._tensor._storage,
            (groups, taps, per_group, 1, 1),
            (per_group * taps, 1, taps, 0, 0),
        )
    )
    input.backend.conv(
        _split_channels(columns, groups),
        _split_channels(input, groups),
        pointwise,
        ConvGeometry((1, 1), (1, 1), (0, 0), False),
    )
    one_hot = _one_hot(weight, groups, weight.shape[1], weight.shape[2:])
    return _transpose(out, columns, one_hot, groups, stride, padding, dilation, *bias)


def _transpose_spread(
    out: Tensor,
    input: Tensor,
    weight: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    *bias: Tensor,
) -> Tensor:
    """:func:`_transpose` with one channel in each group of ``input`` (a depthwise layer's input gradient).

    The input is copied with ``s - 1`` zeros between its cells (``spread``);
    then it is one stride-1 convolution, the filters flipped, with
    ``(K - 1) * d - p`` zeros before: ``s^2`` times the products of the
    phases, but each filter is a few numbers and the phases' calls cost
    more than the products (the one-channel kernel then reads every plane
    once, and writes whole rows instead of every other number).
    """
    sizes = tuple((n - 1) * s + 1 for n, s in zip(input.shape[2:], stride, strict=True))
    cells = np.zeros((*input.shape[:2], *sizes), input.dtype)
    every_s: tuple[Any, ...] = (..., *(slice(None, None, s) for s in stride))
    cells[every_s] = input._as_array()
    spread = input._new(TensorData.view_of(cells.ravel(), cells.shape))
    kernel = weight.shape[2:]
    before = tuple((k - 1) * d - p for k, d, p in zip(kernel, dilation, padding, strict=True))
    geometry = ConvGeometry((1, 1), _pair(dilation, 1), _pair(before, 0), True)
    input.backend.conv(
        _split_channels(out, groups),
        _split_channels(spread, groups),
        _swap12(_split_first(weight, groups)),
        geometry,
        *_grouped(bias, groups),
    )
    return out


def _transpose_phases(n: int, k: int, s: int, p: int, d: int) -> list[tuple[int, ...]]:
    """Along one dimension: ``(r, k0, taps, s', d', offset, span, count)`` for every phase some tap reaches.

    The phase's windows cover ``span`` cells of the input from ``-offset``; it
    fills ``count`` cells of the output, ``r, r + s, ...``.
    """
    g = math.gcd(s, d)
    phases: list[tuple[int, ...]] = []
    for r in range(min(s, n)):
        k0 = next((k0 for k0 in range(min(k, s // g)) if (k0 * d - r - p) % s == 0), None)
        if k0 is None:
            continue
        taps = -(-(k - k0) // (s // g))
        e = (r + p - k0 * d) // s
        count = -(-(n - r) // s)
        span = count + (taps - 1) * (d // g)
        phases.append((r, k0, taps, s // g, d // g, (taps - 1) * (d // g) - e, span, count))
    return phases


def _transpose_taps(n: int, k: int, p: int, d: int) -> list[tuple[int, ...]]:
    """:func:`_transpose_phases` along a dimension where the input is one cell: a piece per tap.

    There output cell ``k * d - p`` gets tap ``k`` and no other, so a phase
    would multiply all but one of its taps by zeros. A tap alone is a piece
    (DCGAN's projection of 1 x 1 noise to 4 x 4 maps: 16x fewer products).
    """
    return [(k0 * d - p, k0, 1, 1, 1, 0, 1, 1) for k0 in range(k) if 0 <= k0 * d - p < n]


def _borders(
    sizes: tuple[int, ...], pieces: list[list[tuple[int, ...]]]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Zeros the phases of ``pieces`` read before and after an input of ``sizes``.

    Returned as ``(before, after)``, each a pair (height, width); 1D has no height.
    """
    before = [max([0, *(phase[5] for phase in phases)]) for phases in pieces]
    after = [
        max([0, *(phase[6] - phase[5] - n for phase in phases)])
        for n, phases in zip(sizes, pieces, strict=True)
    ]
    return _pair(tuple(before), 0), _pair(tuple(after), 0)


def _channels_last(t: Tensor, before: tuple[int, int], after: tuple[int, int]) -> Tensor:
    """Copy the 5-D ``[G, B, C, H, W]`` into zeros ``[G, B, H', W', C]``, ``before`` and ``after`` it.

    Returned as the 5-D view ``[G, B, C, H', W']`` of that buffer, zeros included.
    A window of it that needs no zeros is read in place by the compiled kernel.
    """
    groups, batch, channels, height, width = t.shape
    spans = [n + b + a for n, b, a in zip((height, width), before, after, strict=True)]
    buffer = t.zeros((groups, batch, *spans, channels))
    laid = buffer._new(buffer._tensor.permute(0, 1, 4, 2, 3))
    t.backend.id_map(t, _spatial_slice(laid, before, (1, 1), (height, width)))
    return laid


def _weight_gradient(
    out: Tensor,
    input: Tensor,
    grad_output: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Tensor:
    """Fill ``out`` [G*O, C, K] with sum over b, t of input windows times grad_output.

    With stride 1 this is one convolution with stride ``d``. With stride ``s``
    the window of tap ``k`` steps through the input ``s`` cells at a time,
    which would make the kernel's contiguous runs one number long. So the
    taps are taken in phases: ``k = k0 + j * s'`` all read the decimated input
    ``input[r::s]`` (``r = (k0 * d - p) mod s``) at ``t + q0 + j * d'``, a
    stride-``d'`` convolution whose runs are whole rows again.

    ``out`` is a new, contiguous tensor: the paths through the columns and one
    image at a time write it through flat views of its storage.
    """
    kernel = out.shape[2:]
    if _columns_pay(out.shape[1], kernel, out.shape[0] // groups, stride):
        return _weight_gradient_by_columns(
            out, input, grad_output, groups, stride, padding, dilation
        )
    if out.shape[1] == 1 and out.shape[0] == groups:
        return _weight_gradient_planes(out, input, grad_output, groups, stride, padding, dilation)
    pieces = [
        _weight_phases(k, s, p, d)
        for k, s, p, d in zip(kernel, stride, padding, dilation, strict=True)
    ]
    batch, phases = input.shape[0], math.prod(map(len, pieces))
    if groups == 1 and phases == 1 and batch > 1 and 8 * batch * out.size <= grad_output.size:
        return _weight_gradient_per_image(out, input, grad_output, padding, dilation)
    taps_of = _swap12(_split_first(out, groups))
    values = _swap12(_split_channels(grad_output, groups))
    if phases > 1 and batch > 1:
        # grad_output is every piece's weight, [G, O, B, T']: laid out once with the
        # batch last, each filter is one run the kernel reads in place instead of
        # packing it again for every piece (wav2vec 2.0's first layer: 21 -> 7 ms).
        # One image's rows are such runs already.
        values = _batch_last(values)
    for phase in itertools.product(*pieces):
        k0, step, r, stride_in, offset = zip(*phase, strict=True)
        geometry = ConvGeometry(_pair(stride_in, 1), (1, 1), _pair(offset, 0), False)
        sliced = _spatial_slice(input, r, stride)
        if 0 in sliced.shape:  # no input cell meets these taps
            input.backend.id_map(out.zeros((1,)), _spatial_slice(taps_of, k0, step))
            continue
        input.backend.conv(
            _spatial_slice(taps_of, k0, step),
            _swap12(_split_channels(sliced, groups)),
            values,
            geometry,
        )
    return out


def _weight_gradient_planes(
    out: Tensor,
    input: Tensor,
    grad_output: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Tensor:
    """:func:`_weight_gradient` of a layer with one input and one output channel per group (depthwise).

    One convolution with stride ``d`` and dilation ``s``, whatever the stride:
    each filter is a plane of ``grad_output`` and each output one of a few
    long dot products, which the compiled kernel takes one plane at a time,
    the input copied into the phases of ``s`` (taking the taps in phases
    instead, each phase copied ``grad_output`` and the input again).
    """
    geometry = ConvGeometry(_pair(dilation, 1), _pair(stride, 1), _pair(padding, 0), False)
    input.backend.conv(
        _swap12(_split_first(out, groups)),
        _swap12(_split_channels(input, groups)),
        _swap12(_split_channels(grad_output, groups)),
        geometry,
    )
    return out


def _weight_gradient_per_image(
    out: Tensor,
    input: Tensor,
    grad_output: Tensor,
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Tensor:
    """:func:`_weight_gradient` of a stride-1, ungrouped layer as one group per image, then summed.

    Each image's filters are then rows of ``grad_output`` that the kernel reads
    in place; with the batch as channels it packs them, interleaved, for every
    block of output channels. Worth it where the weight is small beside
    ``grad_output``: the sums over the batch are ``batch`` copies of the weight.
    """
    batch = input.shape[0]
    (out_channels, channels), (height, width) = out.shape[:2], _spatial(out)[0]
    cells = height * width
    partial = _uninitialised(out, (batch, out.size))  # image b's [O, C, KH, KW]
    taps_of = partial._new(  # seen as [B, C, O, KH, KW]
        TensorData.view_of(
            partial._tensor._storage,
            (batch, channels, out_channels, height, width),
            (out.size, cells, channels * cells, width, 1),
        )
    )
    geometry = ConvGeometry(_pair(dilation, 1), (1, 1), _pair(padding, 0), False)
    input.backend.conv(taps_of, _image_groups(input), _image_groups(grad_output), geometry)
    total = out.backend.add_reduce(partial, 0)
    out.backend.id_map(total, out._new(TensorData.view_of(out._tensor._storage, total.shape)))
    return out


def _image_groups(t: Tensor) -> Tensor:
    """View ``[B, C, ...]`` as the 5-D ``[B, C, 1, H, W]``: each image a group, its channels a batch."""
    size, stride = _spatial(t)
    shape = (t.shape[0], t.shape[1], 1, *size)
    strides = (t.strides[0], t.strides[1], 0, *stride)
    return t._new(TensorData.view_of(t._tensor._storage, shape, strides, t._tensor.version))


def _weight_gradient_by_columns(
    out: Tensor,
    input: Tensor,
    grad_output: Tensor,
    groups: int,
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Tensor:
    """:func:`_weight_gradient` through the columns, for a filter of few numbers (:func:`_columns_pay`).

    The columns ``[B, G * taps, T']`` are the convolution of ``input`` with the
    one-hot weight (:func:`_one_hot`); the weight gradient is then a 1 x 1
    layer's, one pass over ``grad_output`` instead of one for each phase.
    """
    channels, kernel = out.shape[1], out.shape[2:]
    taps = channels * math.prod(kernel)
    columns = _uninitialised(input, (input.shape[0], groups * taps, *grad_output.shape[2:]))
    one_hot = _one_hot(input, groups, channels, kernel)
    _convolve(columns, input, one_hot, groups, stride, padding, dilation)
    ones = (1,) * len(kernel)
    flat = out._new(TensorData.view_of(out._tensor._storage, (out.shape[0], taps, *ones)))
    _weight_gradient(flat, columns, grad_output, groups, ones, (0,) * len(kernel), ones)
    return out


def _batch_last(t: Tensor) -> Tensor:
    """Copy the 5-D ``[G, O, B, H, W]`` into ``[G, O, H, W, B]``; return it seen as ``[G, O, B, H, W]``."""
    laid = t.backend.id_map(t._new(t._tensor.permute(0, 1, 3, 4, 2)))
    return laid._new(laid._tensor.permute(0, 1, 4, 2, 3))


def _weight_phases(k: int, s: int, p: int, d: int) -> list[tuple[int, int, int, int, int]]:
    """Along one dimension: ``(k0, s', r, d', offset)`` for each phase of the taps."""
    g = math.gcd(s, d)
    phases = []
    for k0 in range(min(k, s // g)):
        r = (k0 * d - p) % s
        q0 = (k0 * d - p - r) // s
        phases.append((k0, s // g, r, d // g, -q0))
    return phases


def _spatial_slice(
    t: Tensor,
    starts: tuple[int, ...],
    steps: tuple[int, ...],
    counts: tuple[int, ...] | None = None,
) -> Tensor:
    """The view ``t[..., starts[0]::steps[0], starts[1]::steps[1]]`` of the last dimensions.

    ``counts`` cuts each to a length; the view shares ``t``'s storage.
    """
    shape, strides, offset = list(t.shape), list(t.strides), 0
    for i, (start, step) in enumerate(zip(starts, steps, strict=True)):
        d = t.dims - len(starts) + i
        offset += start * strides[d]
        shape[d] = max(0, -(-(shape[d] - start) // step)) if counts is None else counts[i]
        strides[d] *= step
    storage = t._tensor._storage
    if 0 not in shape:
        storage = storage[offset:]
    return t._new(TensorData.view_of(storage, tuple(shape), tuple(strides), t._tensor.version))


def _pair(values: tuple[int, ...], fill: int) -> tuple[int, int]:
    """One setting per spatial dimension, as (height, width): 1D has a height axis of size 1."""
    return (fill, values[0]) if len(values) == 1 else (values[0], values[1])


def _spatial(t: Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sizes and strides of the spatial dimensions as (height, width); 1D gets a height of 1."""
    if t.dims == 3:
        return (1, t.shape[2]), (0, t.strides[2])
    return t.shape[2:], t.strides[2:]


def _split_channels(t: Tensor, groups: int) -> Tensor:
    """View ``[A, G * C, ...]`` as ``[G, A, C, H, W]`` (no copy, and no check: the same elements)."""
    size, stride = _spatial(t)
    channels = t.shape[1] // groups
    shape = (groups, t.shape[0], channels, *size)
    strides = (channels * t.strides[1], t.strides[0], t.strides[1], *stride)
    return t._new(TensorData.view_of(t._tensor._storage, shape, strides, t._tensor.version))


def _split_first(t: Tensor, groups: int) -> Tensor:
    """View a weight ``[G * O, C, ...]`` as ``[G, O, C, KH, KW]`` (no copy, and no check)."""
    size, stride = _spatial(t)
    out_channels = t.shape[0] // groups
    shape = (groups, out_channels, t.shape[1], *size)
    strides = (out_channels * t.strides[0], t.strides[0], t.strides[1], *stride)
    return t._new(TensorData.view_of(t._tensor._storage, shape, strides, t._tensor.version))


def _swap12(t: Tensor) -> Tensor:
    """Exchange dimensions 1 and 2 of a 5-D view (no copy, no graph)."""
    (g, a, b, h, w), (sg, sa, sb, sh, sw) = t.shape, t.strides
    storage, version = t._tensor._storage, t._tensor.version
    return t._new(TensorData.view_of(storage, (g, b, a, h, w), (sg, sb, sa, sh, sw), version))


# d avg_pool(a) = d / (cells of its window) sent to every cell of that window, added
# up where windows overlap: [B, C, H', W'] -> [B, C, H, W]
class AvgPool(Function):
    @staticmethod
    def forward(
        ctx: Context,
        a: Tensor,
        window: PoolWindow,
        out_size: tuple[int, int],
        count_include_pad: bool,
    ) -> Tensor:
        ctx.save_for_backward(a.shape, window, count_include_pad)
        return a.backend.avg_pool(a, window, out_size, count_include_pad)

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        shape, window, count_include_pad = ctx.saved_values
        f = grad_output.backend
        return (f.avg_pool_backward(grad_output, window, shape, count_include_pad),)


# d cross_entropy(x, labels) = (softmax(x) - one_hot(labels)) * d / batch, row by row:
# [1] -> [B, C], with softmax(x) kept from the forward pass.
class CrossEntropy(Function):
    @staticmethod
    def forward(ctx: Context, logits: Tensor, labels: Indices) -> Tensor:
        probs, loss = logits.backend.cross_entropy(logits, labels)
        ctx.save_for_backward(probs, labels)
        return loss

    @staticmethod
    def backward(ctx: Context, grad_output: Tensor) -> tuple[Tensor, ...]:
        probs, labels = ctx.saved_values
        # the loss is the mean over the batch (an empty batch has no gradient to scale)
        scale = grad_output.item() / max(1, len(labels))
        return (grad_output.backend.cross_entropy_backward(probs, labels, scale),)
