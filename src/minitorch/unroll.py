"""Unrolling: a convolution written as one matrix product.

Row ``t`` of the unrolled input holds the window the kernel sees at output
position ``t``, so that ``unrolled @ weight`` is the convolution:

    unroll1d(x, K):             [T]        -> [T, K]              row t = x[t : t + K]
    unroll_channels(x, K):      [I, T]     -> [T, I * K]          row t = x[:, t : t + K]
    unroll2d(x, KH, KW):        [I, H, W]  -> [H * W, I * KH * KW]

with zeros where a window runs past the end (right, or bottom and right). The
columns of a row are in the order of a flattened weight, ``i`` then ``kh``
then ``kw``, so ``weight.view(out_channels, in_channels * K)`` lines up with them.

Each unrolled matrix is a strided *view* of the zero-padded input, whose rows
overlap: moving one row down moves one number along the storage, not ``K``.
Only the final ``contiguous()`` copies, which is why a real kernel
(:mod:`minitorch.fast_conv`) does not unroll: it would store every input
number ``K`` (or ``KH * KW``) times. The results carry no gradient; they
explain convolution, and :func:`~minitorch.convolution.conv1d` /
:func:`~minitorch.convolution.conv2d` compute it.
"""

from __future__ import annotations

from .errors import ArgumentError, ShapeError
from .tensor import Tensor
from .tensor_data import TensorData


def _check(op: str, x: Tensor, layout: tuple[str, ...], kernel: dict[str, int]) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: x must be a Tensor, got {type(x).__name__}")
    if x.dims != len(layout):
        raise ShapeError(
            f"{op}: x must have {len(layout)} dimensions ({' x '.join(layout)}), "
            f"got shape {x.shape}"
        )
    if 0 in x.shape:
        raise ShapeError(f"{op}: x has an empty dimension, shape {x.shape}")
    for name, size in kernel.items():
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ArgumentError(f"{op}: {name} must be a positive integer, got {size!r}")


def _zero_padded(x: Tensor, extra: tuple[int, ...]) -> Tensor:
    """Return a copy of ``x`` followed by ``extra[d]`` zeros along each dimension ``d``."""
    padded = x.zeros(tuple(s + e for s, e in zip(x.shape, extra, strict=True)))
    storage, _, _ = padded.kernel_args()
    # The top-left corner of `padded`: x's shape, padded's strides, padded's storage.
    corner = padded._new(TensorData(storage, x.shape, padded.strides))
    x.backend.id_map(x.detach(), corner)
    return padded


def _strided(t: Tensor, shape: tuple[int, ...], strides: tuple[int, ...]) -> Tensor:
    """Return another view of ``t``'s storage (no copy)."""
    storage, _, _ = t.kernel_args()
    return t._new(TensorData(storage, shape, strides))


def unroll1d(x: Tensor, kernel_width: int) -> Tensor:
    """Unroll a sequence: row ``t`` is the window ``x[t], ..., x[t + K - 1]`` (zeros past the end).

    Args:
        x: a sequence of shape ``(width,)``.
        kernel_width: ``K``, the window length.

    Returns:
        ``width x kernel_width``; ``unroll1d(x, K) @ w.view(K, 1)`` is the 1D
        convolution of ``x`` with ``w``.

    >>> from minitorch import tensor
    >>> x = tensor([1, 2, 3, 4, 5, 6])
    >>> unroll1d(x, 3)
    [[1.00 2.00 3.00]
     [2.00 3.00 4.00]
     [3.00 4.00 5.00]
     [4.00 5.00 6.00]
     [5.00 6.00 0.00]
     [6.00 0.00 0.00]]
    >>> (unroll1d(x, 3) @ tensor([5, 2, 3]).view(3, 1)).view(6)
    [18.00 28.00 38.00 48.00 37.00 30.00]

    """
    _check("unroll1d", x, ("width",), {"kernel_width": kernel_width})
    (width,) = x.shape
    padded = _zero_padded(x, (kernel_width - 1,))
    # [width, K] with strides (1, 1): the next row starts one number later.
    return _strided(padded, (width, kernel_width), (1, 1)).contiguous()


def unroll_channels(x: Tensor, kernel_width: int) -> Tensor:
    """Unroll a sequence of channels: row ``t`` is ``x[i, t + k]`` for every ``i``, then ``k``.

    Args:
        x: ``in_channels x width``.
        kernel_width: ``K``, the window length.

    Returns:
        ``width x (in_channels * kernel_width)``, column ``i * K + k`` holding
        ``x[i, t + k]`` (0 past the end). With a weight
        ``out_channels x in_channels x K``,
        ``unroll_channels(x, K) @ weight.view(out_channels, in_channels * K).permute(1, 0)``
        is ``width x out_channels``: the convolution, transposed.

    >>> from minitorch import tensor
    >>> unroll_channels(tensor([[1, 2, 3], [10, 20, 30]]), 2)
    [[ 1.00  2.00 10.00 20.00]
     [ 2.00  3.00 20.00 30.00]
     [ 3.00  0.00 30.00  0.00]]

    """
    _check("unroll_channels", x, ("in_channels", "width"), {"kernel_width": kernel_width})
    in_channels, width = x.shape
    padded = _zero_padded(x, (0, kernel_width - 1))
    row = padded.strides[0]
    # [width, in_channels, K]: a step in t or k moves one number, a step in i one padded row.
    windows = _strided(padded, (width, in_channels, kernel_width), (1, row, 1))
    return windows.contiguous().view(width, in_channels * kernel_width)


def unroll2d(x: Tensor, kernel_height: int, kernel_width: int) -> Tensor:
    """Unroll an image: row ``h * width + w`` is the window whose top-left corner is ``(h, w)``.

    Args:
        x: ``in_channels x height x width``.
        kernel_height: ``KH``, the window height.
        kernel_width: ``KW``, the window width.

    Returns:
        ``(height * width) x (in_channels * KH * KW)``, column
        ``(i * KH + kh) * KW + kw`` holding ``x[i, h + kh, w + kw]`` (0 past the
        bottom or right edge). With ``flat = weight.view(out_channels, in_channels * KH * KW)``,
        ``unroll2d(x, KH, KW) @ flat.permute(1, 0)`` is the 2D convolution, one row per pixel.

    >>> from minitorch import tensor
    >>> unroll2d(tensor([[[1, 2], [3, 4]]]), 2, 2)
    [[1.00 2.00 3.00 4.00]
     [2.00 0.00 4.00 0.00]
     [3.00 4.00 0.00 0.00]
     [4.00 0.00 0.00 0.00]]

    """
    _check(
        "unroll2d",
        x,
        ("in_channels", "height", "width"),
        {"kernel_height": kernel_height, "kernel_width": kernel_width},
    )
    in_channels, height, width = x.shape
    padded = _zero_padded(x, (0, kernel_height - 1, kernel_width - 1))
    channel, line, _ = padded.strides
    # [H, W, I, KH, KW]: h and kh step one padded line, w and kw one number, i one padded image.
    windows = _strided(
        padded,
        (height, width, in_channels, kernel_height, kernel_width),
        (line, 1, channel, line, 1),
    )
    return windows.contiguous().view(height * width, in_channels * kernel_height * kernel_width)
