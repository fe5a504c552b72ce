"""A 1D convolutional network that finds which pattern hides in a noisy signal.

Each signal of :func:`minitorch.datasets.load_signals` is noise, possibly with
a short bump, dip or wiggle added somewhere. The network, for
``batch x 1 x length`` signals::

    conv1d width 8, zeros after the end, 1 -> 8 channels, relu   -> batch x 8 x length
    max over time                                              -> batch x 8
    linear 8 -> 4                                              -> batch x 4 class scores

Each convolution channel is a pattern detector slid along the whole signal;
taking the maximum over time asks "did it fire anywhere?", so the answer
does not depend on where the pattern sits. Run it with
``python -m minitorch.examples.signal``; the book calls :func:`train`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from ..datasets import SIGNAL_CLASSES, DataSplit, load_signals
from ..modules import Conv1d, Linear, Module
from ..tensor import Tensor
from ..tensor_ops import TensorBackend
from . import Progress, TrainResult, command_line, train_classifier


class SignalCNN(Module):
    """Conv1d, relu, max over time, linear: ``batch x 1 x length`` signals to 4 class scores.

    Args:
        channels: the number of pattern detectors (convolution output channels).
        kernel_width: the width of each detector, in time steps.
        backend: the parameters' backend (the fast one by default).
        seed: seeds the initial weights.

    >>> from minitorch import zeros
    >>> SignalCNN(seed=0)(zeros((3, 1, 48))).shape
    (3, 4)

    """

    def __init__(
        self,
        channels: int = 8,
        kernel_width: int = 8,
        backend: TensorBackend | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        # Zeros after the end keep the output as long as the signal (the source chapter's
        # convolution), so a pattern at the very end is still seen by a whole window.
        self.conv = Conv1d(
            1, channels, kernel_width, padding=((0, kernel_width - 1),), backend=backend, seed=seed
        )
        self.out = Linear(channels, len(SIGNAL_CLASSES), backend=backend, seed=seed + 1)

    def forward(self, signals: Tensor) -> Tensor:
        """Map ``batch x 1 x length`` signals to ``batch x 4`` class scores."""
        batch = signals.shape[0]
        detections = self.conv(signals).relu()  # [B, C, T]: how strongly each detector fires
        strongest = nn.max(detections, 2)  # [B, C, 1]: anywhere in the signal
        return self.out(strongest.view(batch, strongest.size // batch))


def train(
    epochs: int = 10,
    seed: int = 0,
    lr: float = 0.02,
    batch_size: int = 32,
    channels: int = 8,
    progress: Progress = True,
    data: DataSplit | None = None,
    backend: TensorBackend | None = None,
) -> TrainResult:
    """Train :class:`SignalCNN` on the signal task and report the loss history and test accuracy.

    Args:
        epochs: passes over the training signals.
        seed: seeds the weights and the shuffling (the data set is fixed).
        lr: Adam's starting learning rate; it decays to 0 along a half cosine.
        batch_size: signals per step.
        channels: the number of pattern detectors.
        progress: True prints a line per epoch; a function receives each
            :class:`~minitorch.examples.EpochReport`; False is silent.
        data: the data set (``load_signals()`` by default).
        backend: the backend (the fast Numba one by default).

    Returns:
        A :class:`~minitorch.examples.TrainResult`.

    >>> result = train(epochs=1, progress=False, data=load_signals().head(64, 32))
    >>> len(result.losses), 0.0 <= result.test_accuracy <= 1.0
    (1, True)

    """
    data = load_signals(backend=backend) if data is None else data
    model = SignalCNN(channels, backend=backend, seed=seed)
    return train_classifier(
        model, data, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress
    )


def main(argv: Sequence[str] | None = None) -> TrainResult:
    """Train from the command line and print a line per epoch and a summary."""
    return command_line(__doc__.split("\n\n")[0], train, load_signals, argv)


if __name__ == "__main__":
    main()
