"""A LeNet-5-style network that reads real handwritten digits (MNIST, 28 x 28).

The network, for ``batch x 1 x 28 x 28`` images::

    conv 5x5 padding 2, 1 -> 6 channels, relu, max-pool 2   -> batch x 6 x 14 x 14
    conv 5x5, 6 -> 16 channels, relu, max-pool 2            -> batch x 16 x 5 x 5
    flatten, linear 400 -> 120, relu                        -> batch x 120
    linear 120 -> 84, relu                                  -> batch x 84
    dropout, linear 84 -> 10                                -> batch x 10 class scores

LeCun et al.'s LeNet-5 (1998) with today's ReLU and max pooling in place of
its scaled tanh and trainable subsampling. The first convolution pads by 2 so
that a 5x5 window is centred on every pixel (the original fed 32 x 32 images
instead); the second has no padding and shrinks 14 -> 10.

Trained with Adam and a cosine-decaying learning rate on the 4,000 training
images of :func:`minitorch.datasets.load_mnist`, and scored on the 1,000
held-out ones. Run it with ``python -m minitorch.examples.mnist``; the book
calls :func:`train`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from ..datasets import DataSplit, load_mnist
from ..modules import Conv2d, Linear, Module
from ..tensor import Tensor
from ..tensor_ops import TensorBackend
from . import Progress, TrainResult, command_line, train_classifier


class LeNet5(Module):
    """Two convolution stages and three linear layers: 28 x 28 digits to 10 class scores.

    Args:
        dropout: the dropout rate before the last linear layer (training mode only).
        backend: the parameters' backend (the fast one by default).
        seed: seeds the initial weights.

    >>> from minitorch import zeros
    >>> LeNet5(seed=0)(zeros((2, 1, 28, 28))).shape
    (2, 10)

    """

    def __init__(
        self, dropout: float = 0.1, backend: TensorBackend | None = None, seed: int = 0
    ) -> None:
        super().__init__()
        self.dropout = dropout
        self.conv1 = Conv2d(1, 6, 5, padding=2, backend=backend, seed=seed)
        self.conv2 = Conv2d(6, 16, 5, backend=backend, seed=seed + 1)
        self.fc1 = Linear(16 * 5 * 5, 120, backend=backend, seed=seed + 2)
        self.fc2 = Linear(120, 84, backend=backend, seed=seed + 3)
        self.out = Linear(84, 10, backend=backend, seed=seed + 4)

    def features(self, images: Tensor) -> Tensor:
        """The convolution stages: ``batch x 1 x 28 x 28`` to ``batch x 16 x 5 x 5``."""
        hidden = nn.max_pool2d(self.conv1(images).relu(), 2)  # [B, 6, 14, 14]
        return nn.max_pool2d(self.conv2(hidden).relu(), 2)  # [B, 16, 5, 5]

    def forward(self, images: Tensor) -> Tensor:
        """Map ``batch x 1 x 28 x 28`` images to ``batch x 10`` class scores."""
        batch = images.shape[0]
        hidden = self.features(images)
        flat = hidden.view(batch, hidden.size // batch)  # [B, 400]
        hidden = self.fc2(self.fc1(flat).relu()).relu()  # [B, 84]
        return self.out(nn.dropout(hidden, self.dropout, self.training))


def train(
    epochs: int = 6,
    seed: int = 0,
    lr: float = 0.006,
    batch_size: int = 32,
    progress: Progress = True,
    data: DataSplit | None = None,
    backend: TensorBackend | None = None,
) -> TrainResult:
    """Train :class:`LeNet5` on the MNIST digits and report the loss history and test accuracy.

    Args:
        epochs: passes over the 4,000 training images.
        seed: seeds the weights, the shuffling and dropout (the split is fixed).
        lr: Adam's starting learning rate; it decays to 0 along a half cosine.
        batch_size: images per step.
        progress: True prints a line per epoch; a function receives each
            :class:`~minitorch.examples.EpochReport`; False is silent.
        data: the data set (``load_mnist()`` by default), 28 x 28 images.
        backend: the backend (the fast Numba one by default).

    Returns:
        A :class:`~minitorch.examples.TrainResult`.

    >>> result = train(epochs=1, progress=False, data=load_mnist().head(64, 32))
    >>> len(result.losses), 0.0 <= result.test_accuracy <= 1.0
    (1, True)

    """
    data = load_mnist(backend=backend) if data is None else data
    model = LeNet5(backend=backend, seed=seed)
    return train_classifier(
        model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress
    )


def main(argv: Sequence[str] | None = None) -> TrainResult:
    """Train from the command line and print a line per epoch and a summary."""
    return command_line(__doc__.split("\n\n")[0], train, load_mnist, argv)


if __name__ == "__main__":
    main()
