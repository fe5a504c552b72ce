"""A small convolutional network that reads handwritten digits.

The network, for ``batch x 1 x 8 x 8`` images (scikit-learn's digits)::

    conv 3x3 padding 1, 1 -> 12 channels, relu, max-pool 2  -> batch x 12 x 4 x 4
    conv 3x3 padding 1, 12 -> 48 channels, relu, max-pool 2 -> batch x 48 x 2 x 2
    flatten, dropout, linear 192 -> 10                      -> batch x 10 class scores

A 3x3 convolution with ``padding=1`` keeps the image size and centres each
window on its pixel, so the digit's edge pixels are seen from all sides with no
border added to the data. Few channels where the maps are large and more where
they are small: the first layer's output is the largest tensor of a step, so
its width sets much of the cost.

Trained with Adam and a cosine-decaying learning rate on the 1,438 training
images of :func:`minitorch.datasets.load_digits`, and scored on the 359
held-out ones. Run it with ``python -m minitorch.examples.digits``; the book
calls :func:`train`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from ..datasets import DataSplit, load_digits
from ..errors import ArgumentError
from ..modules import Conv2d, Linear, Module
from ..tensor import Tensor
from ..tensor_ops import TensorBackend
from . import Progress, TrainResult, command_line, train_classifier


class DigitsCNN(Module):
    """Conv, relu, pool, conv, relu, pool, linear: square images to 10 class scores.

    Args:
        channels: the output channels of the two convolutions.
        dropout: the dropout rate before the linear layer (training mode only).
        image_size: the height and width of the input images, a multiple of 4.
        backend: the parameters' backend (the fast one by default).
        seed: seeds the initial weights.

    >>> from minitorch import zeros
    >>> model = DigitsCNN(seed=0)
    >>> model(zeros((5, 1, 8, 8))).shape
    (5, 10)

    """

    def __init__(
        self,
        channels: tuple[int, int] = (12, 48),
        dropout: float = 0.25,
        image_size: int = 8,
        backend: TensorBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if image_size < 4 or image_size % 4 != 0:
            raise ArgumentError(
                f"DigitsCNN: image_size must be a positive multiple of 4 (two 2x2 poolings), "
                f"got {image_size}"
            )
        first, second = channels
        self.dropout = dropout
        # padding=1 keeps a 3x3 convolution's output the size of its input.
        self.conv1 = Conv2d(1, first, 3, padding=1, backend=backend, seed=seed)
        self.conv2 = Conv2d(first, second, 3, padding=1, backend=backend, seed=seed + 1)
        # Two 2x2 poolings leave (image_size / 4)^2 pixels of `second` channels.
        pooled = (image_size // 4) ** 2
        self.out = Linear(second * pooled, 10, backend=backend, seed=seed + 2)

    def forward(self, images: Tensor) -> Tensor:
        """Map ``batch x 1 x S x S`` images to ``batch x 10`` class scores."""
        batch = images.shape[0]
        hidden = nn.max_pool2d(self.conv1(images).relu(), 2)  # [B, C1, S/2, S/2]
        hidden = nn.max_pool2d(self.conv2(hidden).relu(), 2)  # [B, C2, S/4, S/4]
        flat = hidden.view(batch, hidden.size // batch)  # [B, C2 * (S/4)^2]
        return self.out(nn.dropout(flat, self.dropout, self.training))


def train(
    epochs: int = 30,
    seed: int = 0,
    lr: float = 0.01,
    batch_size: int = 32,
    channels: tuple[int, int] = (12, 48),
    progress: Progress = True,
    data: DataSplit | None = None,
    backend: TensorBackend | None = None,
    dtype: object = None,
) -> TrainResult:
    """Train :class:`DigitsCNN` on the digits and report the loss history and test accuracy.

    Args:
        epochs: passes over the 1,438 training images.
        seed: seeds the weights, the shuffling and dropout (the split is fixed).
        lr: Adam's starting learning rate; it decays to 0 along a half cosine.
        batch_size: images per step.
        channels: the channels of the two convolutions.
        progress: True prints a line per epoch; a function receives each
            :class:`~minitorch.examples.EpochReport`; False is silent.
        data: the data set (``load_digits()`` by default); its images must be
            square with a side that is a multiple of 4.
        backend: the backend (the fast Numba one by default).
        dtype: the network's and the images' dtype: float64 (the default) or
            float32. One seed starts both from the same weights, rounded.

    Returns:
        A :class:`~minitorch.examples.TrainResult`.

    >>> result = train(epochs=1, progress=False, data=load_digits().head(64, 32))
    >>> len(result.losses), 0.0 <= result.test_accuracy <= 1.0
    (1, True)

    """
    data = load_digits(backend=backend) if data is None else data
    image_size = data.train_inputs.shape[-1]
    model = DigitsCNN(channels, image_size=image_size, backend=backend, seed=seed)
    if dtype is not None:
        model.to(dtype)
        data = data.to(dtype)
    return train_classifier(
        model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress
    )


def main(argv: Sequence[str] | None = None) -> TrainResult:
    """Train from the command line and print a line per epoch and a summary."""
    return command_line(__doc__.split("\n\n")[0], train, load_digits, argv)


if __name__ == "__main__":
    main()
