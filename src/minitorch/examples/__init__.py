"""End-to-end training examples, and the training loop they share.

- :mod:`minitorch.examples.digits`: a small 2D CNN on scikit-learn's 8 x 8 digits;
- :mod:`minitorch.examples.mnist`: a LeNet-5-style CNN on 5,000 real 28 x 28 MNIST digits;
- :mod:`minitorch.examples.signal`: a 1D CNN that finds which pattern hides in a noisy signal.

Each runs as a program (``python -m minitorch.examples.digits``) printing a line
per epoch, and offers ``train(...)`` returning a :class:`TrainResult` (loss
history, test accuracy, wall time) for the book to plot and print. The three
share :func:`train_classifier` (Adam with a cosine schedule, then :func:`fit`)
and :func:`command_line` (options read from ``train``'s own defaults).

The loop here is the plainest one that works: shuffle, cut into mini-batches,
forward, loss, ``zero_grad``, ``backward``, ``step``; evaluate on the held-out
set after each epoch, with dropout off and no graph recorded.
"""

from __future__ import annotations

import argparse
import inspect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .. import nn, rng
from ..autodiff import no_grad
from ..datasets import DataSplit
from ..errors import ArgumentError
from ..modules import Module
from ..optim import Adam, Optimizer
from ..tensor import Tensor, from_numpy


@dataclass
class EpochReport:
    """What one epoch of training produced."""

    epoch: int
    epochs: int
    loss: float
    test_accuracy: float
    seconds: float

    def __str__(self) -> str:
        width = len(str(self.epochs))
        return (
            f"epoch {self.epoch:>{width}}/{self.epochs}  loss {self.loss:.4f}  "
            f"test accuracy {100 * self.test_accuracy:5.1f}%  {self.seconds:5.2f} s"
        )


@dataclass
class TrainResult:
    """The outcome of a training run.

    Attributes:
        model: the trained network, in evaluation mode.
        losses: the mean training loss of each epoch.
        batch_losses: the loss of every mini-batch, in order.
        test_accuracies: the test accuracy after each epoch.
        epoch_seconds: the wall time of each epoch (the first includes compiling kernels).
        seconds: the wall time of the whole training.

    """

    model: Module
    losses: list[float] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)
    test_accuracies: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def test_accuracy(self) -> float:
        """The accuracy on the held-out test set after the last epoch."""
        return self.test_accuracies[-1]

    def __repr__(self) -> str:
        return (
            f"TrainResult(epochs={len(self.losses)}, final loss {self.losses[-1]:.4f}, "
            f"test accuracy {100 * self.test_accuracy:.1f}%, {self.seconds:.1f} s)"
        )


Progress = bool | Callable[[EpochReport], object]


class HasLearningRate(Protocol):
    """An optimiser whose learning rate can be changed between steps."""

    lr: float


def cosine_schedule(optimizer: HasLearningRate, lr: float, epochs: int) -> Callable[[int], None]:
    """Return a schedule that lowers the learning rate from ``lr`` towards 0 along a half cosine.

    Epoch ``e`` (from 1) gets ``lr * (1 + cos(pi * (e - 1) / epochs)) / 2``:
    large steps first, to make progress; small ones at the end, so that the
    final weights settle instead of rattling around a minimum.

    >>> from minitorch import SGD, Linear
    >>> optimizer = SGD(Linear(1, 1).parameters(), lr=1.0)
    >>> schedule = cosine_schedule(optimizer, 1.0, epochs=4)
    >>> schedule(3); optimizer.lr
    0.5

    """

    def schedule(epoch: int) -> None:
        optimizer.lr = lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))

    return schedule


def predict(model: Module, inputs: Tensor, batch_size: int = 512) -> npt.NDArray[np.int64]:
    """Return the class with the largest score for each input, in evaluation mode without a graph.

    >>> from minitorch import Linear, tensor
    >>> predict(Linear(2, 3, seed=0), tensor([[1.0, 0.0], [0.0, 1.0]])).shape
    (2,)

    """
    was_training = model.training
    model.eval()
    values = inputs.to_numpy()
    predictions = []
    with no_grad():
        for start in range(0, values.shape[0], batch_size):
            chunk = from_numpy(values[start : start + batch_size], backend=inputs.backend)
            predictions.append(model(chunk).to_numpy().argmax(axis=1))
    model.train(was_training)
    return np.concatenate(predictions).astype(np.int64)


def accuracy(model: Module, inputs: Tensor, labels: Tensor) -> float:
    """Return the share of ``inputs`` whose predicted class equals the label.

    >>> from minitorch import Linear, tensor
    >>> layer = Linear(2, 2, seed=0)
    >>> 0.0 <= accuracy(layer, tensor([[1.0, 0.0]]), tensor([1.0])) <= 1.0
    True

    """
    return float(np.mean(predict(model, inputs) == labels.to_numpy()))


def fit(
    model: Module,
    data: DataSplit,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int,
    seed: int,
    progress: Progress = True,
    schedule: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``data.train_*`` with mini-batches, evaluating on ``data.test_*``.

    Args:
        model: the network; it maps a batch of inputs to ``batch x classes`` scores.
        data: the training and test sets.
        optimizer: updates the parameters (``step``) and clears their gradients
            (``zero_grad``), e.g. :class:`~minitorch.optim.Adam`.
        epochs: the number of passes over the training set.
        batch_size: the number of examples per step.
        seed: seeds the shuffling and dropout.
        progress: True prints a line per epoch, False prints nothing, and a
            function is called with each :class:`EpochReport`.
        schedule: called with the epoch number before each epoch (to set a learning rate).

    Returns:
        The :class:`TrainResult`; the model is left in evaluation mode.

    """
    if epochs < 1 or batch_size < 1:
        raise ArgumentError(
            f"fit: epochs and batch_size must be positive, got epochs={epochs}, "
            f"batch_size={batch_size}"
        )
    generator = np.random.default_rng(seed)
    rng.manual_seed(seed)  # dropout masks come from the library's generator
    inputs = data.train_inputs.to_numpy()
    labels = data.train_labels.to_numpy()
    backend = data.train_inputs.backend
    result = TrainResult(model)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_started = time.perf_counter()
        if schedule is not None:
            schedule(epoch)
        model.train()
        order = generator.permutation(len(inputs))
        total = 0.0
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = from_numpy(inputs[rows], backend=backend)
            loss = nn.cross_entropy(model(batch), labels[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            result.batch_losses.append(loss.item())
            total += loss.item() * len(rows)
        result.losses.append(total / len(order))
        result.test_accuracies.append(accuracy(model, data.test_inputs, data.test_labels))
        result.epoch_seconds.append(time.perf_counter() - epoch_started)
        report = EpochReport(
            epoch, epochs, result.losses[-1], result.test_accuracy, result.epoch_seconds[-1]
        )
        if progress is True:
            print(report, flush=True)
        elif callable(progress):
            progress(report)
    result.seconds = time.perf_counter() - started
    model.eval()
    return result


def train_classifier(
    model: Module,
    data: DataSplit,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    progress: Progress = True,
) -> TrainResult:
    """Train ``model`` with Adam, the learning rate decaying from ``lr`` along a half cosine.

    What every example's ``train`` does once it has built its network and data.

    >>> from minitorch.datasets import load_signals
    >>> from minitorch.examples.signal import SignalCNN
    >>> data = load_signals(train_count=8, test_count=4)
    >>> train_classifier(SignalCNN(seed=0), data, epochs=1, lr=0.01, batch_size=4, seed=0,
    ...                  progress=False)
    TrainResult(epochs=1, ...)

    """
    optimizer = Adam(model.parameters(), lr=lr)
    return fit(
        model,
        data,
        optimizer,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        schedule=cosine_schedule(optimizer, lr, epochs),
    )


def command_line(
    description: str,
    train: Callable[..., TrainResult],
    load: Callable[[], DataSplit],
    argv: Sequence[str] | None = None,
) -> TrainResult:
    """Run an example's ``train`` as a program: parse options, print the data, train, summarise.

    The options ``--epochs``, ``--seed``, ``--lr`` and ``--batch-size`` take
    their defaults from ``train``'s signature, so the program and the function
    cannot drift apart.

    Args:
        description: the program's one-line description (for ``--help``).
        train: the example's ``train``; it takes ``epochs, seed, lr, batch_size``
            and a ``data`` keyword.
        load: returns the data set to train on.
        argv: the arguments (``sys.argv[1:]`` when None).

    Returns:
        The :class:`TrainResult` of the run.

    """
    defaults = inspect.signature(train).parameters
    parser = argparse.ArgumentParser(description=description)
    for option in ("epochs", "seed", "lr", "batch_size"):
        default = defaults[option].default
        parser.add_argument(f"--{option.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args(argv)
    data = load()
    print(f"data: {data}, classes {', '.join(data.class_names)}")
    result = train(args.epochs, args.seed, args.lr, args.batch_size, data=data)
    test_count = data.test_inputs.shape[0]
    correct = round(result.test_accuracy * test_count)
    print(
        f"test accuracy {100 * result.test_accuracy:.1f}% ({correct}/{test_count})"
        f" after {len(result.losses)} epochs, {result.seconds:.1f} s of training"
    )
    return result
