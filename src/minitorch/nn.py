"""Network operations, as in ``torch.nn.functional``, composed from the primitives.

Most of what is here has no backward of its own: softmax is exponentials
divided by their sum, ``nll_loss`` a masked sum of log-probabilities. Autodiff
differentiates each one through the primitives it is built from, so a gradient
here is correct as soon as the primitives' gradients are. Three operations a
training step runs every time are fused primitives instead, each one kernel
forward and one backward where the composition would launch many small ones:
max pooling (:class:`~minitorch.tensor_functions.MaxPool`, whose backward sends
each gradient to its window's maximum), average pooling
(:class:`~minitorch.tensor_functions.AvgPool`) and :func:`cross_entropy`
(:class:`~minitorch.tensor_functions.CrossEntropy`, whose backward is
``softmax - one_hot``). Their results are those of the compositions they
replace, which the tests check.

Layouts follow the library's convention: images are
``batch x channels x height x width``, class scores are ``batch x classes``.
Every function checks its arguments and raises the library's typed errors
before any kernel runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from . import rng

# The convolutions are functions of this module too, as in torch.nn.functional.
from .convolution import IntOrTuple, int_per_dim
from .convolution import conv1d as conv1d
from .convolution import conv2d as conv2d
from .convolution import conv_transpose1d as conv_transpose1d
from .convolution import conv_transpose2d as conv_transpose2d
from .errors import ArgumentError, ShapeError
from .tensor import Tensor, from_numpy
from .tensor_data import float64
from .tensor_functions import AvgPool, CrossEntropy, MaxPool
from .tensor_ops import Indices, PoolWindow, TensorBackend

# Class numbers: a tensor, a list, or a NumPy array of whole numbers.
Labels = Tensor | Sequence[int] | npt.NDArray[np.generic]


def _check_dims(op: str, input: Tensor, dims: int, layout: str) -> None:
    if input.dims != dims:
        raise ShapeError(
            f"{op}: input must have {dims} dimensions ({layout}), got shape {input.shape}"
        )


def _check_dim(op: str, input: Tensor, dim: int) -> int:
    if not -input.dims <= dim < input.dims:
        raise ShapeError(f"{op}: dim {dim} is out of range for a tensor of shape {input.shape}")
    return dim % input.dims


def tile(input: Tensor, kernel: tuple[int, int]) -> Tensor:
    """Cut each image into non-overlapping ``kh x kw`` tiles, one tile per output pixel.

    ``out[b, c, i, j, u * kw + v] = input[b, c, i * kh + u, j * kw + v]``, so a
    reduction over the last dimension pools each tile. No data is computed,
    only rearranged:

        [B, C, H, W] -view-> [B, C, H/kh, kh, W/kw, kw]
                     -permute-> [B, C, H/kh, W/kw, kh, kw] -view-> [B, C, H/kh, W/kw, kh*kw]

    Args:
        input: ``batch x channels x height x width``.
        kernel: ``(kh, kw)``, which must divide ``height`` and ``width``.

    Returns:
        ``batch x channels x (height / kh) x (width / kw) x (kh * kw)``.

    >>> from minitorch import tensor
    >>> x = tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])
    >>> tile(x, (2, 2)).shape
    (1, 1, 1, 2, 4)
    >>> tile(x, (2, 2)).to_numpy()[0, 0, 0].tolist()
    [[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0]]

    """
    _check_dims("tile", input, 4, "batch x channels x height x width")
    kh, kw = _check_kernel("tile", input, kernel)
    batch, channels, height, width = input.shape
    new_height, new_width = height // kh, width // kw
    split = input.contiguous().view(batch, channels, new_height, kh, new_width, kw)
    tiles = split.permute(0, 1, 2, 4, 3, 5).contiguous()
    return tiles.view(batch, channels, new_height, new_width, kh * kw)


def _check_kernel(op: str, input: Tensor, kernel: tuple[int, int]) -> tuple[int, int]:
    if len(kernel) != 2 or not all(isinstance(k, int | np.integer) and k > 0 for k in kernel):
        raise ArgumentError(f"{op}: kernel must be two positive integers (kh, kw), got {kernel}")
    kh, kw = int(kernel[0]), int(kernel[1])
    height, width = input.shape[2], input.shape[3]
    if height % kh != 0 or width % kw != 0:
        raise ShapeError(
            f"{op}: kernel {(kh, kw)} must divide the image size (height, width) = "
            f"{(height, width)}; input shape {input.shape}"
        )
    return kh, kw


def max_pool1d(
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """The largest value of each window, as ``torch.nn.functional.max_pool1d``.

    Args:
        input: ``batch x channels x width`` (or without the batch).
        kernel_size: the window's width.
        stride: the step between windows; the kernel size when None.
        padding: cells of -inf added on both sides, at most half the kernel.
        dilation: the step between the cells of a window.
        ceil_mode: keep a last, partial window that starts inside the input
            (or the left padding) instead of dropping it.

    Returns:
        ``batch x channels x out_width``. The gradient of each output goes to
        its window's maximum (the first of equal ones); a NaN in a window is
        its maximum, as in PyTorch.

    >>> from minitorch import tensor
    >>> max_pool1d(tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]]), 2)
    [[[5.00 2.00]]]
    >>> max_pool1d(tensor([[[1.0, 5.0, 2.0, 0.0, 3.0]]]), 2, ceil_mode=True)
    [[[5.00 2.00 3.00]]]

    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """The largest value of each window, as ``torch.nn.functional.max_pool2d``.

    See :func:`max_pool1d`; every setting is an int or a ``(height, width)``
    pair, and the input is ``batch x channels x height x width``.

    >>> from minitorch import tensor
    >>> x = tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])
    >>> max_pool2d(x, 2)
    [[[[6.00 8.00]]]]
    >>> max_pool2d(x, 3, stride=1, padding=1).shape
    (1, 1, 2, 4)

    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool1d(
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window, as ``torch.nn.functional.avg_pool1d``.

    One kernel computes it (:class:`~minitorch.tensor_functions.AvgPool`), the
    same numbers as a convolution with one constant filter per channel
    (``groups = channels``); its gradient shares each output's gradient
    equally among the cells of its window.

    Args:
        input: ``batch x channels x width`` (or without the batch).
        kernel_size: the window's width.
        stride: the step between windows; the kernel size when None.
        padding: zeros added on both sides, at most half the kernel.
        ceil_mode: keep a last, partial window (see :func:`max_pool1d`).
        count_include_pad: divide by the whole window, padding zeros included
            (PyTorch's default), or only by the input cells it covers. Cells
            past the padding, which only ``ceil_mode`` windows reach, never count.

    >>> from minitorch import tensor
    >>> avg_pool1d(tensor([[[1.0, 2.0, 3.0, 4.0]]]), 2)
    [[[1.50 3.50]]]
    >>> avg_pool1d(tensor([[[1.0, 2.0, 3.0]]]), 2, padding=1, count_include_pad=False)
    [[[1.00 2.50]]]

    """
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad
    )


def avg_pool2d(
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window, as ``torch.nn.functional.avg_pool2d`` (no ``divisor_override``).

    See :func:`avg_pool1d`; every setting is an int or a ``(height, width)`` pair.

    >>> from minitorch import tensor
    >>> avg_pool2d(tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]]), 2)
    [[[[3.50 5.50]]]]

    """
    return _avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad
    )


def adaptive_avg_pool2d(input: Tensor, output_size: IntOrTuple) -> Tensor:
    """Average into a fixed ``output_size``, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output row ``i`` averages input rows ``floor(i * H / out)`` up to
    ``ceil((i + 1) * H / out)`` (the same along the width). With
    ``output_size=1`` it is the global average pool that ends a ResNet or a
    MobileNet. Written as two matrix products with fixed averaging matrices,
    ``A_h @ x @ A_w^T``, so autodiff gives its gradient.

    >>> from minitorch import tensor
    >>> adaptive_avg_pool2d(tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]]), 1)
    [[[[3.50]]]]

    """
    op = "adaptive_avg_pool2d"
    batched = _batched(op, input, 2)
    sizes = int_per_dim(op, "output_size", output_size, 2, minimum=1)
    rows, cols = (
        from_numpy(_averaging(n, out), backend=input.backend, dtype=input.dtype)
        for n, out in zip(batched.shape[2:], sizes, strict=True)
    )
    out = rows @ batched @ cols.permute(1, 0)
    return out if input.dims == 4 else out.view(*out.shape[1:])


def _averaging(n: int, out: int) -> npt.NDArray[np.float64]:
    """The ``out x n`` matrix whose row ``i`` averages PyTorch's adaptive window ``i``."""
    matrix = np.zeros((out, n))
    for i in range(out):
        start, stop = (i * n) // out, -(-((i + 1) * n) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


def _batched(op: str, input: Tensor, dims: int) -> Tensor:
    """``input`` with a batch dimension, after checking its rank."""
    layout = "batch x channels x " + " x ".join(("height", "width")[2 - dims :])
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dims not in (dims + 1, dims + 2) or 0 in input.shape[-dims - 1 :]:
        raise ShapeError(
            f"{op}: input must be {layout} (the batch may be left out) with no empty "
            f"dimension but the batch, got shape {input.shape}"
        )
    return input if input.dims == dims + 2 else input.contiguous().view(1, *input.shape)


def _ints(op: str, name: str, value: object, dims: int, minimum: int) -> tuple[int, ...]:
    """:func:`~minitorch.convolution.int_per_dim`, with a plain int (the usual setting) taken at once.

    The full check builds its error message before it knows whether it needs
    one: a pooling's checks took 13 us, now 5 (2-core AMD EPYC). A bool is not
    a plain int, so ``stride=True`` still reaches the check that refuses it.
    """
    if type(value) is int and value >= minimum:
        return (value,) * dims
    return int_per_dim(op, name, value, dims, minimum)


def _pool_window(
    op: str,
    dims: int,
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    dilation: IntOrTuple,
    ceil_mode: bool,
) -> tuple[Tensor, PoolWindow, tuple[int, int]]:
    """Check a pooling's arguments; return the 4-D input, its windows and the output size.

    The output size is PyTorch's: ``floor`` (or ``ceil``) of
    ``(n + 2p - d (k - 1) - 1) / s`` plus one, where a ``ceil_mode`` window
    that would start past the input and its left padding is dropped.
    """
    batched = _batched(op, input, dims)
    kernel = _ints(op, "kernel_size", kernel_size, dims, minimum=1)
    strides = kernel if stride is None else _ints(op, "stride", stride, dims, minimum=1)
    pads = _ints(op, "padding", padding, dims, minimum=0)
    dilations = _ints(op, "dilation", dilation, dims, minimum=1)
    if any(p > k // 2 for p, k in zip(pads, kernel, strict=True)):
        raise ArgumentError(
            f"{op}: padding must be at most half the kernel size, got padding {pads} "
            f"for kernel_size {kernel}"
        )
    sizes = []
    empty = False
    for n, k, s, p, d in zip(batched.shape[2:], kernel, strides, pads, dilations, strict=True):
        span = n + 2 * p - d * (k - 1) - 1
        size = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (size - 1) * s >= n + p:
            size -= 1
        empty = empty or span < 0 or size < 1
        sizes.append(size)
    if empty:
        raise ShapeError(
            f"{op}: the output would be empty: input {input.shape} is smaller than the "
            f"window (kernel_size {kernel}, dilation {dilations}, padding {pads})"
        )
    # 1D is 2D with a height of 1.
    if dims == 1:
        b, c, n = batched.shape
        batched = batched.contiguous().view(b, c, 1, n)
        window = PoolWindow((1, kernel[0]), (1, strides[0]), (0, pads[0]), (1, dilations[0]))
        return batched, window, (1, sizes[0])
    return batched, PoolWindow(kernel, strides, pads, dilations), (sizes[0], sizes[1])  # type: ignore[arg-type]


def _unpool_shape(out: Tensor, input: Tensor, dims: int) -> Tensor:
    """Give a pooled ``[B, C, H', W']`` the rank of the caller's input."""
    shape = out.shape if dims == 2 else (out.shape[0], out.shape[1], out.shape[3])
    if input.dims == dims + 1:
        shape = shape[1:]
    return out if shape == out.shape else out.view(*shape)


def _max_pool(
    op: str,
    dims: int,
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    dilation: IntOrTuple,
    ceil_mode: bool,
) -> Tensor:
    batched, window, out_size = _pool_window(
        op, dims, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    out = MaxPool.apply(batched, window=window, out_size=out_size)
    return _unpool_shape(out, input, dims)


def _avg_pool(
    op: str,
    dims: int,
    input: Tensor,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    ceil_mode: bool,
    count_include_pad: bool,
) -> Tensor:
    batched, window, out_size = _pool_window(
        op, dims, input, kernel_size, stride, padding, 1, ceil_mode
    )
    out = AvgPool.apply(
        batched, window=window, out_size=out_size, count_include_pad=bool(count_include_pad)
    )
    return _unpool_shape(out, input, dims)


def max(input: Tensor, dim: int) -> Tensor:
    """Return the largest value along ``dim`` (kept with size 1); its gradient goes to the arg-max.

    >>> from minitorch import tensor
    >>> max(tensor([[1.0, 9.0, 3.0]]), 1)
    [[9.00]]
    """
    return input.max(_check_dim("max", input, dim))


def argmax(input: Tensor, dim: int) -> Tensor:
    """Mark the largest value along ``dim`` with a 1 in a one-hot tensor of ``input``'s shape.

    Where several elements tie for the largest, each of them is marked. The
    result is a constant: it takes no part in backpropagation.

    >>> from minitorch import tensor
    >>> argmax(tensor([[1.0, 9.0, 3.0], [4.0, 0.0, 2.0]]), 1)
    [[0.00 1.00 0.00]
     [1.00 0.00 0.00]]
    """
    dim = _check_dim("argmax", input, dim)
    return input == input.max(dim)


def softmax(input: Tensor, dim: int) -> Tensor:
    r"""Exponentiate and normalise along ``dim``: ``e^{x_i} / sum_j e^{x_j}``.

    The largest value is subtracted first, which leaves the result unchanged
    (the factor ``e^{-m}`` cancels) but keeps every exponent at most 0, so
    inputs like 1000 do not overflow.

    >>> from minitorch import tensor
    >>> softmax(tensor([[1000.0, 1000.0]]), 1)
    [[0.50 0.50]]
    """
    dim = _check_dim("softmax", input, dim)
    # The shift cancels exactly, so its gradient is zero: detach it and save the work.
    exps = (input - input.max(dim).detach()).exp()
    return exps / exps.sum(dim)


def logsoftmax(input: Tensor, dim: int) -> Tensor:
    r"""Return the logarithm of :func:`softmax`, computed without forming the softmax.

    ``log softmax(x)_i = x_i - m - log sum_j e^{x_j - m}`` with ``m = max_j x_j``
    (the log-sum-exp trick): no exponent overflows, and no probability that
    rounds to zero is passed to a logarithm.

    >>> from minitorch import tensor
    >>> logsoftmax(tensor([[0.0, 1000.0]]), 1)
    [[-1000.00     0.00]]
    """
    dim = _check_dim("logsoftmax", input, dim)
    shifted = input - input.max(dim).detach()
    return shifted - shifted.exp().sum(dim).log()


def dropout(input: Tensor, rate: float, training: bool = True, seed: int | None = None) -> Tensor:
    """Zero each element with probability ``rate`` while training, scaling the rest up.

    Survivors are multiplied by ``1 / (1 - rate)``. This scaling ("inverted
    dropout") keeps the expected value of every element
    unchanged, so in evaluation mode the layer is simply the identity.

    Args:
        input: any tensor.
        rate: the probability of dropping an element, in ``[0, 1]``; 1 drops all.
        training: when False, ``input`` is returned unchanged.
        seed: a seed for this call's mask; otherwise the library's generator
            (:func:`minitorch.manual_seed`) is used.

    >>> from minitorch import ones
    >>> x = ones((2, 4))
    >>> dropout(x, 0.5, seed=0)
    [[2.00 0.00 0.00 0.00]
     [2.00 2.00 2.00 2.00]]
    >>> dropout(x, 0.5, training=False) is x
    True

    """
    if not 0.0 <= rate <= 1.0:
        raise ArgumentError(f"dropout: rate must be in [0, 1], got {rate}")
    if not training or rate == 0.0:
        return input
    if rate == 1.0:
        return input * 0.0
    keep = rng.generator(seed).random(input.shape) >= rate
    mask = from_numpy(keep / (1.0 - rate), backend=input.backend, dtype=input.dtype)
    return input * mask


def one_hot(
    labels: Labels, classes: int, backend: TensorBackend | None = None, dtype: object = None
) -> Tensor:
    """Encode labels as a ``batch x classes`` tensor: 1 at each label's class, 0 elsewhere.

    Built with one broadcast comparison,
    ``labels[b] == class[c]`` for ``[B, 1]`` against ``[1, C]``, not a loop.
    (PyTorch's ``one_hot`` returns integers; this library's tensors are
    floating, float64 unless ``dtype`` says float32.)

    Args:
        labels: ``batch`` class numbers in ``[0, classes)``, a list or a tensor.
        classes: the number of classes.
        backend: the result's backend (the fast one by default).
        dtype: the result's dtype, float64 by default.

    >>> one_hot([2, 0], 3)
    [[0.00 0.00 1.00]
     [1.00 0.00 0.00]]

    """
    values = _label_values("one_hot", labels, classes)
    dtype = float64 if dtype is None else dtype
    label_column = from_numpy(values.reshape(-1, 1), backend=backend, dtype=dtype)
    class_row = from_numpy(np.arange(classes).reshape(1, -1), backend=backend, dtype=dtype)
    return label_column == class_row


def _label_values(op: str, labels: Labels, classes: int) -> npt.NDArray[np.generic]:
    values = labels.to_numpy() if isinstance(labels, Tensor) else np.asarray(labels)
    if values.ndim != 1:
        raise ShapeError(
            f"{op}: labels must be one class number per row, got shape {values.shape}"
        )
    if values.dtype.kind not in "iu":  # integers need no check that they are whole
        values = values.astype(np.float64)
        if values.size and not np.all(values == np.round(values)):
            raise ArgumentError(f"{op}: labels must be whole class numbers, got {values.tolist()}")
    if values.size and (values.min() < 0 or values.max() >= classes):
        bad = (values < 0) | (values >= classes)
        raise ArgumentError(
            f"{op}: labels must be in [0, {classes}) for {classes} classes, got "
            f"{values[bad].astype(int).tolist()} at rows {np.flatnonzero(bad).tolist()}"
        )
    return values


def _class_labels(op: str, scores: Tensor, labels: Labels) -> Indices:
    """Check ``batch x classes`` scores and their labels; return the labels as integers."""
    _check_dims(op, scores, 2, "batch x classes")
    batch, classes = scores.shape
    values = _label_values(op, labels, classes)
    if values.size != batch:
        raise ShapeError(
            f"{op}: got {values.size} labels for a batch of {batch} rows "
            f"(scores shape {scores.shape})"
        )
    return np.asarray(values, dtype=np.int64)


def nll_loss(log_probs: Tensor, labels: Labels) -> Tensor:
    """Return the mean negative log-probability of the correct classes.

    ``loss = -mean_b log_probs[b, labels[b]]``.

    Args:
        log_probs: ``batch x classes`` log-probabilities (as from :func:`logsoftmax`).
        labels: ``batch`` class numbers in ``[0, classes)``, a list or a tensor.

    Returns:
        A one-element tensor.

    >>> from minitorch import tensor
    >>> nll_loss(tensor([[-0.5, -2.0], [-3.0, -0.25]]), [0, 1])
    [0.38]

    """
    values = _class_labels("nll_loss", log_probs, labels)
    batch, classes = log_probs.shape
    picked = log_probs * one_hot(values, classes, log_probs.backend, log_probs.dtype)
    return -picked.sum() / float(batch)


def cross_entropy(logits: Tensor, labels: Labels) -> Tensor:
    """Softmax cross-entropy from raw scores: ``nll_loss(logsoftmax(logits, 1), labels)``.

    Computed as one primitive (:class:`~minitorch.tensor_functions.CrossEntropy`):
    one kernel takes each row's softmax (with its largest value subtracted, so
    nothing overflows) and its loss ``log sum_j e^{x_j} - x_label``, and the
    backward is one kernel too, ``(softmax(logits) - one_hot(labels)) / batch``. A NaN in a row, or an
    infinite largest score, makes that row's loss and gradient NaN, as in PyTorch.

    Args:
        logits: ``batch x classes`` unnormalised scores.
        labels: ``batch`` class numbers in ``[0, classes)``, a list or a tensor.

    Returns:
        A one-element tensor: the mean loss over the batch (NaN for an empty batch).

    >>> from minitorch import tensor
    >>> round(cross_entropy(tensor([[0.0, 0.0]]), [1]).item(), 4)  # log 2
    0.6931

    """
    values = _class_labels("cross_entropy", logits, labels)
    return CrossEntropy.apply(logits, labels=values)
