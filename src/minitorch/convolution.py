"""The public convolutions, with PyTorch's signatures and results.

``conv1d`` / ``conv2d`` are cross-correlations (the weight is not flipped),
as in every deep-learning library::

    conv1d: [batch, in_channels, width] (*) [out_channels, in_channels / groups, kernel_width]
            -> [batch, out_channels, out_width]
    out[b, g*O + o, t] = bias[g*O + o]
        + sum_{c, k} weight[g*O + o, c, k] * input[b, g*C + c, t * stride + k * dilation - before]

with ``C = in_channels / groups``, ``O = out_channels / groups``, zeros read
outside the input, and, along each spatial dimension of size ``n``,

    out_size = floor((n + before + after - dilation * (kernel - 1) - 1) / stride) + 1.

``conv_transpose1d`` / ``conv_transpose2d`` are the gradients of these with
respect to their input, run forward (PyTorch's ``conv_transpose``): each
input cell adds a weighted copy of the kernel to the output, ``stride``
cells apart. Every argument is checked here, with the library's typed
errors, before any kernel runs; :mod:`minitorch.tensor_functions` holds the
Functions and their derivation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np

from .errors import ArgumentError, ArgumentTypeError, ShapeError
from .tensor import Tensor
from .tensor_functions import ConvNd, ConvTransposeNd

# An int for every spatial dimension, or one int per dimension.
IntOrTuple: TypeAlias = int | Sequence[int]
# As IntOrTuple, or "valid", "same", or a (before, after) pair per spatial dimension.
Padding: TypeAlias = str | int | Sequence[int] | Sequence[Sequence[int]]

_LAYOUTS = {1: ("width",), 2: ("height", "width")}


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """1D convolution (a cross-correlation), as ``torch.nn.functional.conv1d``.

    Args:
        input: ``batch x in_channels x width`` (or ``in_channels x width``).
        weight: ``out_channels x (in_channels / groups) x kernel_width``.
        bias: ``out_channels`` numbers added to every output position, or None.
        stride: the step between windows.
        padding: zeros added on both sides (an int), ``"valid"`` (none),
            ``"same"`` (the output keeps the width; stride 1 only; an even
            kernel pads one more on the right), or ``((before, after),)``.
        dilation: the step between taps of one window.
        groups: split the channels into this many independent convolutions.

    Returns:
        ``batch x out_channels x out_width``, differentiable in every tensor argument.

    Raises:
        ShapeError: dimensions, channels or bias that do not fit, or an empty output.
        ArgumentError: a stride, padding, dilation or groups out of range.

    The source chapter's convolution keeps the width and reads zeros after the end:

    >>> from minitorch import tensor
    >>> x, w = tensor([[[1, 2, 3, 4, 5, 6]]]), tensor([[[5, 2, 3]]])
    >>> conv1d(x, w, padding=((0, 2),))
    [[[18.00 28.00 38.00 48.00 37.00 30.00]]]
    >>> conv1d(x, w, stride=2).shape, conv1d(x, w, padding="same").shape
    ((1, 1, 2), (1, 1, 6))
    >>> conv1d(x, tensor([[[1], [2]]]))
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: conv1d: input has 1 channels but weight expects 2 x groups 1 = 2 (input (1, 1, 6), weight (1, 2, 1))

    """
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> Tensor:
    """2D convolution (a cross-correlation), as ``torch.nn.functional.conv2d``.

    Args:
        input: ``batch x in_channels x height x width`` (or without the batch).
        weight: ``out_channels x (in_channels / groups) x kernel_height x kernel_width``.
        bias: ``out_channels`` numbers, or None.
        stride: an int or ``(along height, along width)``.
        padding: an int or pair (zeros on both sides), ``"valid"``, ``"same"``
            (stride 1 only), or ``((top, bottom), (left, right))``.
        dilation: an int or pair: the step between taps.
        groups: split the channels into this many independent convolutions.

    Returns:
        ``batch x out_channels x out_height x out_width``, differentiable in every tensor.

    Raises:
        ShapeError: dimensions, channels or bias that do not fit, or an empty output.
        ArgumentError: a stride, padding, dilation or groups out of range.

    >>> from minitorch import tensor
    >>> image = tensor([[[[1, 2, 3], [4, 5, 6]]]])
    >>> conv2d(image, tensor([[[[1, 1], [1, 1]]]]))  # the sum of each 2 x 2 window
    [[[[12.00 16.00]]]]
    >>> conv2d(image, tensor([[[[1, 1], [1, 1]]]]), padding=1, stride=2).shape
    (1, 1, 2, 2)

    """
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> Tensor:
    """1D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    The gradient of :func:`conv1d` with respect to its input, as a layer: each
    input cell adds ``weight`` scaled by its value to the output, ``stride``
    cells after the previous one. The output width is
    ``(width - 1) * stride - 2 * padding + dilation * (kernel_width - 1) + output_padding + 1``.

    Args:
        input: ``batch x in_channels x width`` (or without the batch).
        weight: ``in_channels x (out_channels / groups) x kernel_width``.
        bias: ``out_channels`` numbers, or None.
        stride: the step between the copies of the kernel.
        padding: cells cut from both ends of the output.
        output_padding: cells added at the end, to choose among the widths that
            a convolution with this stride maps to the same width; smaller than
            ``stride`` or ``dilation``.
        groups: independent channel groups.
        dilation: the step between taps.

    Returns:
        ``batch x out_channels x out_width``, differentiable in every tensor.

    >>> from minitorch import tensor
    >>> conv_transpose1d(tensor([[[1, 10]]]), tensor([[[1, 2, 3]]]), stride=2)
    [[[ 1.00  2.00 13.00 20.00 30.00]]]

    """
    return _transposed(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
) -> Tensor:
    """2D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    See :func:`conv_transpose1d`; every setting is an int or a
    ``(along height, along width)`` pair, and the weight is
    ``in_channels x (out_channels / groups) x kernel_height x kernel_width``.

    >>> from minitorch import ones
    >>> conv_transpose2d(ones((1, 1, 2, 2)), ones((1, 1, 2, 2)), stride=2).shape
    (1, 1, 4, 4)
    >>> conv_transpose2d(ones((1, 1, 2, 2)), ones((1, 1, 3, 3)), stride=2, padding=1, output_padding=1).shape
    (1, 1, 4, 4)

    """
    return _transposed(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def output_size(n: int, kernel: int, before: int, after: int, stride: int, dilation: int) -> int:
    """Output length of a convolution along one dimension (may be 0 or less when nothing fits).

    >>> output_size(28, 5, 2, 2, 1, 1), output_size(224, 3, 1, 1, 2, 1), output_size(10, 3, 0, 0, 1, 4)
    (28, 112, 2)
    """
    return (n + before + after - dilation * (kernel - 1) - 1) // stride + 1


def _convolution(
    op: str,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: IntOrTuple,
    padding: Padding,
    dilation: IntOrTuple,
    groups: int,
) -> Tensor:
    """Check every argument of ``conv1d`` / ``conv2d``, then run :class:`ConvNd`."""
    batched = _check_tensors(op, dims, input, weight)
    groups = _check_groups(op, groups)
    in_channels = batched.shape[1]
    if weight.shape[0] % groups != 0:
        raise ShapeError(
            f"{op}: out_channels {weight.shape[0]} (the weight's first dimension) must divide "
            f"by groups {groups} (input {input.shape}, weight {weight.shape})"
        )
    if in_channels != weight.shape[1] * groups:
        raise ShapeError(
            f"{op}: input has {in_channels} channels but weight expects {weight.shape[1]} x "
            f"groups {groups} = {weight.shape[1] * groups} (input {input.shape}, weight {weight.shape})"
        )
    strides = int_per_dim(op, "stride", stride, dims, minimum=1)
    dilations = int_per_dim(op, "dilation", dilation, dims, minimum=1)
    kernel = weight.shape[2:]
    pads = _padding(op, padding, dims, kernel, strides, dilations)
    sizes = batched.shape[2:]
    out_size = tuple(
        output_size(n, k, lo, hi, s, d)
        for n, k, (lo, hi), s, d in zip(sizes, kernel, pads, strides, dilations, strict=True)
    )
    if min(out_size) < 1:
        raise ShapeError(
            f"{op}: the output would be empty: size {tuple(sizes)} with padding {pads} is "
            f"smaller than the dilated kernel {tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True))} "
            f"(input {input.shape}, weight {weight.shape}, stride {strides}, dilation {dilations})"
        )
    _check_bias(op, bias, weight.shape[0], weight.dtype)
    before = tuple(lo for lo, _ in pads)
    out = ConvNd.apply(
        batched,
        weight,
        *(() if bias is None else (bias,)),
        stride=strides,
        padding=before,
        dilation=dilations,
        groups=groups,
        out_size=out_size,
    )
    return out.view(*out.shape[1:]) if input.dims == dims + 1 else out


def _transposed(
    op: str,
    dims: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: IntOrTuple,
    padding: IntOrTuple,
    output_padding: IntOrTuple,
    groups: int,
    dilation: IntOrTuple,
) -> Tensor:
    """Check every argument of ``conv_transpose1d`` / ``2d``, then run :class:`ConvTransposeNd`."""
    batched = _check_tensors(op, dims, input, weight, weight_layout="in_channels")
    groups = _check_groups(op, groups)
    in_channels = batched.shape[1]
    if in_channels != weight.shape[0] or in_channels % groups != 0:
        raise ShapeError(
            f"{op}: input has {in_channels} channels but the weight's first dimension is "
            f"{weight.shape[0]}; both must be equal and divide by groups {groups} "
            f"(input {input.shape}, weight {weight.shape})"
        )
    if isinstance(padding, str):
        raise ArgumentError(
            f"{op}: padding must be an int or one int per dimension, got {padding!r}"
        )
    strides = int_per_dim(op, "stride", stride, dims, minimum=1)
    dilations = int_per_dim(op, "dilation", dilation, dims, minimum=1)
    pads = int_per_dim(op, "padding", padding, dims, minimum=0)
    extras = int_per_dim(op, "output_padding", output_padding, dims, minimum=0)
    for extra, s, d in zip(extras, strides, dilations, strict=True):
        if extra >= max(s, d):
            raise ArgumentError(
                f"{op}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding {extras}, stride {strides}, dilation {dilations}"
            )
    kernel = weight.shape[2:]
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, k, s, p, d, e in zip(
            batched.shape[2:], kernel, strides, pads, dilations, extras, strict=True
        )
    )
    if min(out_size) < 1:
        raise ShapeError(
            f"{op}: the output would be empty ({out_size}): padding {pads} cuts more than "
            f"the {tuple(batched.shape[2:])} input spreads to (weight {weight.shape}, "
            f"stride {strides}, dilation {dilations})"
        )
    _check_bias(op, bias, weight.shape[1] * groups, weight.dtype)
    out = ConvTransposeNd.apply(
        batched,
        weight,
        *(() if bias is None else (bias,)),
        stride=strides,
        padding=pads,
        dilation=dilations,
        groups=groups,
        out_size=out_size,
    )
    return out.view(*out.shape[1:]) if input.dims == dims + 1 else out


def _check_tensors(
    op: str, dims: int, input: Tensor, weight: Tensor, weight_layout: str = "out_channels"
) -> Tensor:
    """Check types, ranks and sizes; return ``input`` with a batch dimension."""
    layout = _LAYOUTS[dims]
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if input.dims not in (dims + 1, dims + 2):
        raise ShapeError(
            f"{op}: input must have {dims + 2} dimensions (batch x in_channels x "
            f"{' x '.join(layout)}) or {dims + 1} without the batch, got shape {input.shape}"
        )
    if weight.dims != dims + 2:
        other = "in_channels" if weight_layout == "out_channels" else "out_channels"
        raise ShapeError(
            f"{op}: weight must have {dims + 2} dimensions ({weight_layout} x {other} / groups x "
            f"{' x '.join('kernel_' + d for d in layout)}), got shape {weight.shape}"
        )
    if input.dtype != weight.dtype:
        raise ArgumentTypeError(
            f"{op}: input and weight need the same dtype, got {input.dtype} and "
            f"{weight.dtype}; convert one with .to(dtype), .float() or .double() "
            "(PyTorch refuses this too)"
        )
    if 0 in weight.shape or 0 in input.shape[-dims - 1 :]:
        raise ShapeError(
            f"{op}: every size but the batch must be at least 1 (input {input.shape}, "
            f"weight {weight.shape})"
        )
    if input.dims == dims + 1:
        return input.contiguous().view(1, *input.shape)
    return input


def _check_groups(op: str, groups: int) -> int:
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive integer, got {groups!r}")
    return int(groups)


def _check_bias(op: str, bias: Tensor | None, out_channels: int, dtype: np.dtype[Any]) -> None:
    if bias is None:
        return
    if not isinstance(bias, Tensor):
        raise TypeError(f"{op}: bias must be a Tensor or None, got {type(bias).__name__}")
    if bias.shape != (out_channels,):
        raise ShapeError(
            f"{op}: bias must have shape ({out_channels},), one number per output channel, "
            f"got {bias.shape}"
        )
    if bias.dtype != dtype:
        raise ArgumentTypeError(
            f"{op}: bias needs the dtype of the input and weight, {dtype}, got {bias.dtype}"
        )


def int_per_dim(op: str, name: str, value: object, dims: int, minimum: int) -> tuple[int, ...]:
    """An int per spatial dimension from an int or a sequence, each at least ``minimum``.

    Booleans are refused, although Python counts them as ints: ``stride=True``
    is a mistake, not a stride of 1.
    """
    values = (value,) * dims if isinstance(value, int | np.integer) else value
    if (
        not isinstance(values, Sequence)
        or isinstance(values, str)
        or len(values) != dims
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values)
    ):
        raise ArgumentError(
            f"{op}: {name} must be an int or {dims} int(s), one per spatial dimension, "
            f"got {value!r}"
        )
    ints = [int(v) for v in values]
    if min(ints) < minimum:
        rule = "positive" if minimum == 1 else "non-negative"
        raise ArgumentError(f"{op}: {name} must be {rule}, got {value!r}")
    return tuple(ints)


def _padding(
    op: str,
    padding: Padding,
    dims: int,
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    dilations: tuple[int, ...],
) -> tuple[tuple[int, int], ...]:
    """Padding as a ``(before, after)`` pair per spatial dimension."""
    if padding == "valid":
        return ((0, 0),) * dims
    if padding == "same":
        if max(strides) != 1:
            raise ArgumentError(
                f"{op}: padding='same' needs stride 1 (the output keeps the input's size), "
                f"got stride {strides}"
            )
        # An even kernel needs an odd total: PyTorch puts the extra zero after.
        totals = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ArgumentError(
            f"{op}: padding must be 'valid', 'same', an int, or pairs, got {padding!r}"
        )
    if isinstance(padding, Sequence) and any(isinstance(p, Sequence) for p in padding):
        flat: list[object] = []
        for pair in padding:
            if not isinstance(pair, Sequence) or len(pair) != 2 or len(padding) != dims:
                raise ArgumentError(
                    f"{op}: explicit padding needs one (before, after) pair per spatial "
                    f"dimension ({dims}), got {padding!r}"
                )
            flat.extend(pair)
        pads = int_per_dim(op, "padding", flat, 2 * dims, minimum=0)
        return tuple((pads[2 * i], pads[2 * i + 1]) for i in range(dims))
    sizes = int_per_dim(op, "padding", padding, dims, minimum=0)
    return tuple((p, p) for p in sizes)
