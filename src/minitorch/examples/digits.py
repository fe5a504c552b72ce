"""A small convolutional network that reads handwritten digits.

The network, for ``batch x 1 x 8 x 8`` images::

    conv 3x3, 1 -> 16 channels, relu, max-pool 2x2   -> batch x 16 x 4 x 4
    conv 3x3, 16 -> 32 channels, relu, max-pool 2x2  -> batch x 32 x 2 x 2
    flatten, dropout, linear 128 -> 10               -> batch x 10 class scores

trained with Adam and a cosine-decaying learning rate on the 1,438 training
images of :func:`minitorch.datasets.load_digits`, and scored on the 359
held-out ones. Run it with ``python -m minitorch.examples.digits``; the book
calls :func:`train`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from .. import nn
from ..datasets import DataSplit, load_digits
from ..modules import Conv2d, Linear, Module
from ..optim import Adam
from ..tensor import Tensor
from ..tensor_ops import TensorBackend
from . import Array, Progress, TrainResult, cosine_schedule, fit


class DigitsCNN(Module):
    """Conv, relu, pool, conv, relu, pool, linear: 8 x 8 images to 10 class scores.

    Args:
        channels: the output channels of the two convolutions.
        dropout: the dropout rate before the linear layer (training mode only).
        backend: the parameters' backend (the fast one by default).
        seed: seeds the initial weights.

    >>> from minitorch import zeros
    >>> model = DigitsCNN(seed=0)
    >>> model(zeros((5, 1, 8, 8))).shape
    (5, 10)

    """

    def __init__(
        self,
        channels: tuple[int, int] = (16, 32),
        dropout: float = 0.25,
        backend: TensorBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        first, second = channels
        self.dropout = dropout
        self.conv1 = Conv2d(1, first, 3, 3, backend=backend, seed=seed)
        self.conv2 = Conv2d(first, second, 3, 3, backend=backend, seed=seed + 1)
        # Two 2x2 poolings leave 8 / 4 = 2 x 2 pixels of `second` channels.
        self.out = Linear(second * 2 * 2, 10, backend=backend, seed=seed + 2)

    def forward(self, images: Tensor) -> Tensor:
        """Map ``batch x 1 x 8 x 8`` images to ``batch x 10`` class scores."""
        batch = images.shape[0]
        hidden = nn.maxpool2d(self.conv1(images).relu(), (2, 2))  # [B, C1, 4, 4]
        hidden = nn.maxpool2d(self.conv2(hidden).relu(), (2, 2))  # [B, C2, 2, 2]
        flat = hidden.view(batch, hidden.size // batch)  # [B, C2 * 4]
        return self.out(nn.dropout(flat, self.dropout, self.training))


def shift_images(images: Array, generator: np.random.Generator, max_shift: int = 1) -> Array:
    """Move each image by a random whole number of pixels (up to ``max_shift``), zero-filling.

    A digit moved by a pixel is the same digit; training on such copies
    teaches the network not to rely on exact positions.

    >>> image = np.zeros((1, 1, 3, 3)); image[0, 0, 1, 1] = 1.0
    >>> moved = shift_images(image, np.random.default_rng(0))
    >>> float(moved.sum()), moved.shape
    (1.0, (1, 1, 3, 3))

    """
    count, channels, height, width = images.shape
    m = max_shift
    padded = np.pad(images, ((0, 0), (0, 0), (m, m), (m, m)))
    top = np.asarray(generator.integers(0, 2 * m + 1, size=count))
    left = np.asarray(generator.integers(0, 2 * m + 1, size=count))
    # Gather every image's window at once: [N, 1, H, 1] rows and [N, 1, 1, W] columns.
    rows = (top[:, None] + np.arange(height))[:, None, :, None]
    cols = (left[:, None] + np.arange(width))[:, None, None, :]
    return padded[
        np.arange(count)[:, None, None, None], np.arange(channels)[None, :, None, None], rows, cols
    ]


def train(
    epochs: int = 20,
    seed: int = 0,
    lr: float = 0.005,
    batch_size: int = 32,
    channels: tuple[int, int] = (16, 32),
    augment: bool = False,
    progress: Progress = True,
    data: DataSplit | None = None,
    backend: TensorBackend | None = None,
) -> TrainResult:
    """Train :class:`DigitsCNN` on the digits and report the loss history and test accuracy.

    Args:
        epochs: passes over the 1,438 training images.
        seed: seeds the weights, the shuffling and dropout (the split is fixed).
        lr: Adam's starting learning rate; it decays to 0 along a half cosine.
        batch_size: images per step.
        channels: the channels of the two convolutions.
        augment: whether to shift training images by up to a pixel at random.
        progress: True prints a line per epoch; a function receives each
            :class:`~minitorch.examples.EpochReport`; False is silent.
        data: the data set (``load_digits()`` by default).
        backend: the backend (the fast Numba one by default).

    Returns:
        A :class:`~minitorch.examples.TrainResult`.

    >>> result = train(epochs=1, progress=False, data=load_digits().head(64, 32))
    >>> len(result.losses), 0.0 <= result.test_accuracy <= 1.0
    (1, True)

    """
    data = load_digits(backend=backend) if data is None else data
    model = DigitsCNN(channels, backend=backend, seed=seed)
    optimizer = Adam(model.parameters(), lr=lr)

    return fit(
        model,
        data,
        optimizer.step,
        optimizer.zero_grad,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        augment=shift_images if augment else None,
        schedule=cosine_schedule(optimizer, lr, epochs),
    )


def main(argv: Sequence[str] | None = None) -> TrainResult:
    """Train from the command line and print a line per epoch and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--augment", action="store_true", help="shift images by up to a pixel")
    args = parser.parse_args(argv)
    data = load_digits()
    print(f"digits: {data}")
    result = train(
        args.epochs, args.seed, args.lr, args.batch_size, augment=args.augment, data=data
    )
    correct = round(result.test_accuracy * data.test_inputs.shape[0])
    print(
        f"test accuracy {100 * result.test_accuracy:.1f}% ({correct}/{data.test_inputs.shape[0]})"
        f" after {len(result.losses)} epochs, {result.seconds:.1f} s of training"
    )
    return result


if __name__ == "__main__":
    main()
