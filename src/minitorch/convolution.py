"""The public convolutions ``conv1d`` and ``conv2d``: check the arguments, then run the Function.

Both are cross-correlations anchored at the start (the weight is not flipped),
keep the input's length (width, or height and width), and read zeros past the
end. A kernel larger than the input is allowed: it then meets only zeros past
the edge. There is no bias here; the layers in :mod:`minitorch.modules` add it.

    conv1d: [batch, in_channels, width] (*) [out_channels, in_channels, kernel_width]
            -> [batch, out_channels, width]
    conv2d: [batch, in_channels, height, width]
            (*) [out_channels, in_channels, kernel_height, kernel_width]
            -> [batch, out_channels, height, width]
"""

from __future__ import annotations

from .errors import ShapeError
from .tensor import Tensor
from .tensor_functions import Conv1dFun, Conv2dFun


def _check(op: str, input: Tensor, weight: Tensor, layout: tuple[str, ...]) -> None:
    """Raise a typed error unless ``input`` and ``weight`` fit a convolution of ``layout``."""
    weight_layout = ("out_channels", "in_channels", *("kernel_" + d for d in layout[2:]))
    for name, t, names in (("input", input, layout), ("weight", weight, weight_layout)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dims != len(names):
            raise ShapeError(
                f"{op}: {name} must have {len(names)} dimensions ({' x '.join(names)}), "
                f"got shape {t.shape}"
            )
        for size, dim_name in zip(t.shape, names, strict=True):
            if size == 0:
                raise ShapeError(
                    f"{op}: {name} has an empty dimension {dim_name}; every size must be "
                    f"at least 1 (input {input.shape}, weight {weight.shape})"
                )
    if input.shape[1] != weight.shape[1]:
        raise ShapeError(
            f"{op}: input has {input.shape[1]} channels but weight expects {weight.shape[1]} "
            f"(input {input.shape}, weight {weight.shape})"
        )


def conv1d(input: Tensor, weight: Tensor) -> Tensor:
    """1D convolution (a cross-correlation) anchored left, with zeros past the right edge.

    ``out[b, o, t] = sum_{i,k} weight[o, i, k] * input[b, i, t + k]``, where
    ``input[b, i, t + k]`` is 0 when ``t + k >= width``.

    Args:
        input: ``batch x in_channels x width``.
        weight: ``out_channels x in_channels x kernel_width``; any kernel width,
            also wider than the input.

    Returns:
        ``batch x out_channels x width``, differentiable in both arguments.

    Raises:
        ShapeError: a wrong number of dimensions, an empty dimension, or
            channels that do not match.

    >>> from minitorch import tensor
    >>> conv1d(tensor([[[1, 2, 3, 4, 5, 6]]]), tensor([[[5, 2, 3]]]))
    [
        [
            [18.00 28.00 38.00 48.00 37.00 30.00]]]
    >>> conv1d(tensor([[[1, 2, 3]]]), tensor([[[1], [2]]]))
    Traceback (most recent call last):
    ...
    minitorch.errors.ShapeError: conv1d: input has 1 channels but weight expects 2 (input (1, 1, 3), weight (1, 2, 1))

    """
    _check("conv1d", input, weight, ("batch", "in_channels", "width"))
    return Conv1dFun.apply(input, weight)


def conv2d(input: Tensor, weight: Tensor) -> Tensor:
    """2D convolution (a cross-correlation) anchored top-left, with zeros past bottom and right.

    ``out[b, o, h, w] = sum_{i,kh,kw} weight[o, i, kh, kw] * input[b, i, h + kh, w + kw]``,
    where the input is 0 outside the image.

    Args:
        input: ``batch x in_channels x height x width``.
        weight: ``out_channels x in_channels x kernel_height x kernel_width``;
            any kernel size, also larger than the image.

    Returns:
        ``batch x out_channels x height x width``, differentiable in both arguments.

    Raises:
        ShapeError: a wrong number of dimensions, an empty dimension, or
            channels that do not match.

    >>> from minitorch import tensor
    >>> image = tensor([[[[1, 2, 3], [4, 5, 6]]]])
    >>> conv2d(image, tensor([[[[1, 1], [1, 1]]]]))  # sum of each 2 x 2 window
    [
        [
            [
                [12.00 16.00 9.00]
                [9.00 11.00 6.00]]]]

    """
    _check("conv2d", input, weight, ("batch", "in_channels", "height", "width"))
    return Conv2dFun.apply(input, weight)
