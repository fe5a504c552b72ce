"""Network operations composed from the primitive tensor operations.

Nothing here has a backward of its own: pooling is a reshape followed by a
mean or a max, softmax is exponentials divided by their sum, a loss is a
masked sum of log-probabilities. Autodiff differentiates each one through the
primitives it is built from, so a gradient here is correct as soon as the
primitives' gradients are.

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
from .errors import ArgumentError, ShapeError
from .tensor import Tensor, from_numpy
from .tensor_ops import TensorBackend

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


def avgpool2d(input: Tensor, kernel: tuple[int, int]) -> Tensor:
    """Average each non-overlapping ``kh x kw`` tile of every image.

    Args:
        input: ``batch x channels x height x width``.
        kernel: ``(kh, kw)``, which must divide ``height`` and ``width``.

    Returns:
        ``batch x channels x (height / kh) x (width / kw)``.

    >>> from minitorch import tensor
    >>> x = tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])
    >>> avgpool2d(x, (2, 2))
    [
        [
            [
                [3.50 5.50]]]]

    """
    _check_dims("avgpool2d", input, 4, "batch x channels x height x width")
    tiles = tile(input, _check_kernel("avgpool2d", input, kernel))
    return tiles.mean(4).view(*tiles.shape[:4])


def maxpool2d(input: Tensor, kernel: tuple[int, int]) -> Tensor:
    """Keep the largest value of each non-overlapping ``kh x kw`` tile of every image.

    The gradient of a tile goes to its largest element (shared between exact
    ties), because that is the gradient of :meth:`Tensor.max`.

    Args:
        input: ``batch x channels x height x width``.
        kernel: ``(kh, kw)``, which must divide ``height`` and ``width``.

    Returns:
        ``batch x channels x (height / kh) x (width / kw)``.

    >>> from minitorch import tensor
    >>> x = tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])
    >>> maxpool2d(x, (2, 2))
    [
        [
            [
                [6.00 8.00]]]]

    """
    _check_dims("maxpool2d", input, 4, "batch x channels x height x width")
    tiles = tile(input, _check_kernel("maxpool2d", input, kernel))
    return tiles.max(4).view(*tiles.shape[:4])


def max(input: Tensor, dim: int) -> Tensor:
    """Return the largest value along ``dim`` (kept with size 1); its gradient goes to the arg-max.

    >>> from minitorch import tensor
    >>> max(tensor([[1.0, 9.0, 3.0]]), 1)
    [
        [9.00]]
    """
    return input.max(_check_dim("max", input, dim))


def argmax(input: Tensor, dim: int) -> Tensor:
    """Mark the largest value along ``dim`` with a 1 in a one-hot tensor of ``input``'s shape.

    Where several elements tie for the largest, each of them is marked. The
    result is a constant: it takes no part in backpropagation.

    >>> from minitorch import tensor
    >>> argmax(tensor([[1.0, 9.0, 3.0], [4.0, 0.0, 2.0]]), 1)
    [
        [0.00 1.00 0.00]
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
    [
        [0.50 0.50]]
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
    [
        [-1000.00 0.00]]
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
    [
        [2.00 0.00 0.00 0.00]
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
    mask = from_numpy(keep / (1.0 - rate), backend=input.backend)
    return input * mask


def one_hot(labels: Labels, classes: int, backend: TensorBackend | None = None) -> Tensor:
    """Encode labels as a ``batch x classes`` tensor: 1 at each label's class, 0 elsewhere.

    Built with one broadcast comparison,
    ``labels[b] == class[c]`` for ``[B, 1]`` against ``[1, C]``, not a loop.

    Args:
        labels: ``batch`` class numbers in ``[0, classes)``, a list or a tensor.
        classes: the number of classes.
        backend: the result's backend (the fast one by default).

    >>> one_hot([2, 0], 3)
    [
        [0.00 0.00 1.00]
        [1.00 0.00 0.00]]

    """
    values = _label_values("one_hot", labels, classes)
    label_column = from_numpy(values.reshape(-1, 1), backend=backend)
    class_row = from_numpy(np.arange(classes, dtype=np.float64).reshape(1, -1), backend=backend)
    return label_column == class_row


def _label_values(op: str, labels: Labels, classes: int) -> npt.NDArray[np.float64]:
    values = labels.to_numpy() if isinstance(labels, Tensor) else np.asarray(labels, np.float64)
    if values.ndim != 1:
        raise ShapeError(
            f"{op}: labels must be one class number per row, got shape {values.shape}"
        )
    if values.size and not np.all(values == np.round(values)):
        raise ArgumentError(f"{op}: labels must be whole class numbers, got {values.tolist()}")
    bad = (values < 0) | (values >= classes)
    if np.any(bad):
        raise ArgumentError(
            f"{op}: labels must be in [0, {classes}) for {classes} classes, got "
            f"{values[bad].astype(int).tolist()} at rows {np.flatnonzero(bad).tolist()}"
        )
    return values


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
    _check_dims("nll_loss", log_probs, 2, "batch x classes")
    batch, classes = log_probs.shape
    values = _label_values("nll_loss", labels, classes)
    if values.size != batch:
        raise ShapeError(
            f"nll_loss: got {values.size} labels for a batch of {batch} rows "
            f"(log_probs shape {log_probs.shape})"
        )
    picked = log_probs * one_hot(values, classes, log_probs.backend)
    return -picked.sum() / float(batch)


def cross_entropy(logits: Tensor, labels: Labels) -> Tensor:
    """Softmax cross-entropy from raw scores: ``nll_loss(logsoftmax(logits, 1), labels)``.

    Args:
        logits: ``batch x classes`` unnormalised scores.
        labels: ``batch`` class numbers in ``[0, classes)``, a list or a tensor.

    Returns:
        A one-element tensor.

    >>> from minitorch import tensor
    >>> round(cross_entropy(tensor([[0.0, 0.0]]), [1]).item(), 4)  # log 2
    0.6931

    """
    _check_dims("cross_entropy", logits, 2, "batch x classes")
    return nll_loss(logsoftmax(logits, 1), labels)
